/* nodes.c: this node measures itself. */
#include "daemon/nodes.h"
#include "appliance/util.h"
#include "appliance/version.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CALIBRATE_ROUNDS 5
#define CALIBRATE_ITERS 2000000ul
/* Thread CPU nanoseconds the yardstick CPU takes for CALIBRATE_ITERS: one
 * core of this project's development machine (AMD EPYC, 2026) is the
 * standard CPU, NODES_STD_SPEED. */
#define YARDSTICK_NS 3400000.0
#define NO_LIMIT (1ull << 60)

/* Monotonic milliseconds. */
int64_t nodes_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A number from a one-value file; dflt when it cannot be read. */
static uint64_t nodes_read_u64(const char *dir, const char *name, uint64_t dflt)
{
	char p[320];
	_cleanup_free_ char *buf = NULL;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (!dir[0] || util_read_file(p, &buf) < 0)
		return dflt;
	char *end;
	long long v = strtoll(buf, &end, 10);
	return end == buf ? dflt : v < 0 ? NO_LIMIT : (uint64_t)v;
}

/* The directory of this process's cgroup of a v1 controller, if it is not
 * the root group (a node confined by the test cluster is not). */
static void nodes_cgroup(const char *ctrl, char *out, size_t len)
{
	_cleanup_free_ char *buf = NULL;
	out[0] = '\0';
	if (util_read_file("/proc/self/cgroup", &buf) < 0)
		return;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char *c = strchr(l, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p)
			continue;
		*p = '\0';
		int hit = 0;
		for (char *t = strtok_r(c + 1, ",", &c); t; t = strtok_r(NULL, ",", &c))
			hit |= !strcmp(t, ctrl);
		if (hit && strcmp(p + 1, "/")) {
			snprintf(out, len, "/sys/fs/cgroup/%s%s", ctrl, p + 1);
			if (access(out, R_OK))
				out[0] = '\0';
			return;
		}
	}
}

/* Thread CPU time of a fixed integer loop, best of a few rounds: the speed
 * of one core, whatever else runs. */
static double nodes_calibrate_ns(void)
{
	double best = 1e18;
	for (int r = 0; r < CALIBRATE_ROUNDS; r++) {
		struct timespec a, b;
		volatile uint64_t x = 88172645463325252ull;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		for (unsigned long i = 0; i < CALIBRATE_ITERS; i++) {
			uint64_t v = x; /* xorshift: no vector or memory shortcut */
			v ^= v << 13;
			v ^= v >> 7;
			v ^= v << 17;
			x = v;
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
		if (ns > 0 && ns < best)
			best = ns;
	}
	return best;
}

/* Find the groups, the CPU capacity and the speed. */
void nodes_meter_init(struct nodes_meter *m, double speed_factor)
{
	memset(m, 0, sizeof(*m));
	nodes_cgroup("cpu", m->cg_cpu, sizeof(m->cg_cpu));
	nodes_cgroup("memory", m->cg_mem, sizeof(m->cg_mem));
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	double cores = online > 0 ? (double)online : 1.0;
	uint64_t quota = nodes_read_u64(m->cg_cpu, "cpu.cfs_quota_us", NO_LIMIT);
	uint64_t period = nodes_read_u64(m->cg_cpu, "cpu.cfs_period_us", 100000);
	if (quota != NO_LIMIT && period > 0 && (double)quota / (double)period < cores)
		cores = (double)quota / (double)period;
	/* a fraction of a core is one core that much slower: MOSIX's power is
	 * speed x cores */
	double whole = ceil(cores - 1e-9);
	double one = NODES_STD_SPEED * YARDSTICK_NS / nodes_calibrate_ns();
	if (speed_factor > 0)
		one *= speed_factor;
	m->ncpus = whole < 1 ? 1 : (uint32_t)whole;
	m->cpus_milli = (uint32_t)lround(cores * 1000.0);
	m->speed = (uint32_t)lround(one * cores / (double)m->ncpus);
	m->start_ms = nodes_now_ms();
}

/* Is /proc/<task>/stat in state R? */
static int nodes_task_running(const char *tid)
{
	char p[64], buf[256];
	snprintf(p, sizeof(p), "/proc/%s/stat", tid);
	FILE *f = fopen(p, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *s = strrchr(buf, ')');
	return s && s[1] == ' ' && s[2] == 'R';
}

/* Runnable tasks of this node now, not counting the caller. */
static unsigned nodes_runnable(const struct nodes_meter *m)
{
	_cleanup_free_ char *buf = NULL;
	char p[320];
	unsigned n = 0;
	if (m->cg_cpu[0]) {
		snprintf(p, sizeof(p), "%s/tasks", m->cg_cpu);
		if (util_read_file(p, &buf) < 0)
			return 0;
		for (char *t = strtok(buf, "\n"); t; t = strtok(NULL, "\n"))
			n += nodes_task_running(t);
	} else if (util_read_file("/proc/stat", &buf) >= 0) {
		const char *s = strstr(buf, "procs_running ");
		n = s ? (unsigned)atoi(s + 14) : 0;
	}
	return n > 0 ? n - 1 : 0; /* the caller runs as it reads */
}

/* A version "MAJOR.MINOR[.PATCH]" as a number, and back. */
uint32_t nodes_version_code(const char *v)
{
	unsigned a = 0, b = 0, c = 0;
	if (sscanf(v, "%u.%u.%u", &a, &b, &c) < 1 || b > 99 || c > 99)
		return 0;
	return a * 10000 + b * 100 + c;
}

void nodes_version_text(uint32_t code, char *out, size_t len)
{
	if (!code)
		snprintf(out, len, "-");
	else if (code % 100)
		snprintf(out, len, "%u.%u.%u", code / 10000, code / 100 % 100, code % 100);
	else
		snprintf(out, len, "%u.%u", code / 10000, code / 100 % 100);
}

/* A "Name:  N kB" value of /proc/meminfo text, in kB (0 if absent). */
static uint64_t nodes_meminfo(const char *buf, const char *name)
{
	const char *s = strstr(buf, name);
	return s ? strtoull(s + strlen(name), NULL, 10) : 0;
}

/* Bytes read and written by the node's processes: those of its cpu group
 * (a namespace node), or the machine's disks (/proc/diskstats, whole disks
 * only: a partition's sectors are its disk's too). -1 if unreadable. */
static int nodes_io_bytes(const struct nodes_meter *m, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	char p[320];
	*out = 0;
	if (m->cg_cpu[0]) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", m->cg_cpu);
		if (util_read_file(p, &buf) < 0)
			return -1;
		for (char *t = strtok(buf, "\n"); t; t = strtok(NULL, "\n")) {
			_cleanup_free_ char *io = NULL;
			snprintf(p, sizeof(p), "/proc/%s/io", t);
			if (util_read_file(p, &io) < 0)
				continue; /* gone, or not ours to read */
			*out +=
			    nodes_meminfo(io, "read_bytes:") + nodes_meminfo(io, "write_bytes:");
		}
		return 0;
	}
	if (util_read_file("/proc/diskstats", &buf) < 0)
		return -1;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char name[64];
		unsigned long long rd, wr;
		if (sscanf(l, "%*u %*u %63s %*u %*u %llu %*u %*u %*u %llu", name, &rd, &wr) != 3 ||
		    !strncmp(name, "loop", 4) || !strncmp(name, "ram", 3))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s", name);
		if (!access(p, F_OK))
			*out += (rd + wr) * 512;
	}
	return 0;
}

/* Bytes in and out of the node's network interfaces (this namespace's),
 * loopback aside. -1 if unreadable. */
static int nodes_net_bytes(uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	*out = 0;
	if (util_read_file("/proc/net/dev", &buf) < 0)
		return -1;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char *colon = strchr(l, ':');
		unsigned long long rx, tx;
		if (!colon)
			continue; /* the two header lines */
		*colon = '\0';
		if (!strcmp(l + strspn(l, " "), "lo") ||
		    sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) != 2)
			continue;
		*out += rx + tx;
	}
	return 0;
}

/* A rate in KB a second from two counter readings ms apart. */
static uint32_t nodes_kbs(int ok, int was_ok, uint64_t now_v, uint64_t old_v, int64_t ms)
{
	if (!ok)
		return NODES_NA;
	if (!was_ok || ms <= 0 || now_v < old_v)
		return 0; /* first sample, or a process left the group with its bytes */
	double kbs = (double)(now_v - old_v) / 1024.0 * 1000.0 / (double)ms;
	return kbs >= (double)(NODES_NA - 1) ? NODES_NA - 1 : (uint32_t)lround(kbs);
}

/* Disk and network rates since the last step. */
static void nodes_rates(struct nodes_meter *m, struct node_info *out)
{
	uint64_t io, net;
	int64_t now = nodes_now_ms();
	int io_ok = nodes_io_bytes(m, &io) == 0, net_ok = nodes_net_bytes(&net) == 0;
	int64_t ms = m->rate_prev_ms ? now - m->rate_prev_ms : 0;
	out->io_kbs = nodes_kbs(io_ok, m->io_ok, io, m->io_prev, ms);
	out->net_kbs = nodes_kbs(net_ok, m->net_ok, net, m->net_prev, ms);
	m->io_prev = io;
	m->net_prev = net;
	m->io_ok = io_ok;
	m->net_ok = net_ok;
	m->rate_prev_ms = now;
}

/* Total and free memory: the node's memory group if it has a limit. */
static void nodes_memory(const struct nodes_meter *m, struct node_info *out)
{
	_cleanup_free_ char *buf = NULL;
	uint64_t total = 0, avail = 0;
	if (util_read_file("/proc/meminfo", &buf) >= 0) {
		total = nodes_meminfo(buf, "MemTotal:");
		avail = nodes_meminfo(buf, "MemAvailable:");
		out->swap_total_mb = (uint32_t)(nodes_meminfo(buf, "SwapTotal:") / 1024);
		out->swap_free_mb = (uint32_t)(nodes_meminfo(buf, "SwapFree:") / 1024);
	}
	uint64_t limit = nodes_read_u64(m->cg_mem, "memory.limit_in_bytes", NO_LIMIT) / 1024;
	if (limit < total) {
		uint64_t used = nodes_read_u64(m->cg_mem, "memory.usage_in_bytes", 0) / 1024;
		total = limit;
		avail = used < limit ? limit - used : 0;
	}
	out->mem_total_kb = total;
	out->mem_free_kb = avail < total ? avail : total;
}

/* The two damped loads (BALANCING.md): the local one rises slowly and drops
 * at once, the advertised one rises at once and decays slowly. */
static void nodes_damp(struct nodes_meter *m, double sample)
{
	m->local = sample > m->local ? (5 * m->local + 3 * sample) / 8 : sample;
	m->adv = sample > m->adv ? sample : (7 * m->adv + sample) / 8;
}

/* This node's vector. */
void nodes_measure(struct nodes_meter *m, struct node_info *out)
{
	memset(out, 0, sizeof(*out));
	nodes_damp(m, (double)nodes_runnable(m));
	out->speed = m->speed;
	out->cpus_milli = m->cpus_milli;
	out->ncpus = m->ncpus;
	out->load_local = (uint32_t)lround(m->local * 1000);
	out->load_adv = (uint32_t)lround(m->adv * 1000);
	nodes_memory(m, out);
	nodes_rates(m, out);
	out->version = nodes_version_code(MOSIX_VERSION);
	out->seen_ms = nodes_now_ms();
	out->uptime_s = (uint64_t)(out->seen_ms - m->start_ms) / 1000;
}
