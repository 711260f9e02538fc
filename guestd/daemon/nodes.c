/* nodes.c: the shared table of node load vectors. */
#include "daemon/nodes.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

/* Monotonic milliseconds. */
int64_t nodes_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Map a shared table indexed by node number. */
struct node_info *nodes_map(int n)
{
	void *p = mmap(NULL, sizeof(struct node_info) * (size_t)(n + 1), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* This node's vector. */
void nodes_self(struct node_info *out, int self)
{
	struct sysinfo si;
	memset(out, 0, sizeof(*out));
	out->node = self;
	out->ncpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (sysinfo(&si) == 0) {
		out->load_milli = (uint32_t)(si.loads[0] * 1000 / (1 << SI_LOAD_SHIFT));
		out->mem_total_kb = (uint64_t)si.totalram * si.mem_unit / 1024;
		out->mem_free_kb = (uint64_t)(si.freeram + si.bufferram) * si.mem_unit / 1024;
		out->procs = si.procs;
	}
	out->seen_ms = nodes_now_ms();
}

/* Merge: newer information wins. */
void nodes_merge(struct node_info *table, int n, const struct node_info *in, size_t count)
{
	int64_t now = nodes_now_ms();
	for (size_t i = 0; i < count; i++) {
		int k = in[i].node;
		if (k < 1 || k > n || in[i].age_ms > 3600 * 1000)
			continue;
		int64_t seen = now - (int64_t)in[i].age_ms;
		if (seen <= table[k].seen_ms)
			continue;
		table[k] = in[i];
		table[k].seen_ms = seen;
		table[k].age_ms = 0;
	}
}

/* Known entries with their ages. */
size_t nodes_snapshot(const struct node_info *table, int n, struct node_info *out, size_t cap)
{
	int64_t now = nodes_now_ms();
	size_t c = 0;
	for (int k = 1; k <= n && c < cap; k++) {
		if (!table[k].seen_ms)
			continue;
		out[c] = table[k];
		out[c].node = k;
		out[c].age_ms = (uint64_t)(now - table[k].seen_ms);
		c++;
	}
	return c;
}
