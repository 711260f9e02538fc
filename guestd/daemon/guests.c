/* guests.c: the shared table of this node's guests. */
#include "daemon/guests.h"

#include <signal.h>
#include <sys/mman.h>

/* Map the table. */
struct guests *guests_map(void)
{
	void *p = mmap(NULL, sizeof(struct guests), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Claim a free slot (supervisors register concurrently: compare-and-swap). */
int guests_add(struct guests *g, pid_t sup, int home_node, int home_pid)
{
	for (int i = 0; i < GUESTS_MAX; i++) {
		int32_t free_slot = 0;
		if (!__atomic_compare_exchange_n(&g->slot[i].sup, &free_slot, (int32_t)sup, 0,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			continue;
		g->slot[i].home_node = home_node;
		g->slot[i].home_pid = home_pid;
		return i;
	}
	return -1;
}

/* Release sup's slot. */
int guests_gone(struct guests *g, pid_t sup, int failed)
{
	for (int i = 0; i < GUESTS_MAX; i++) {
		if (__atomic_load_n(&g->slot[i].sup, __ATOMIC_SEQ_CST) != sup)
			continue;
		if (failed && __atomic_load_n(&g->blocked, __ATOMIC_SEQ_CST))
			__atomic_add_fetch(&g->failed, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&g->slot[i].sup, 0, __ATOMIC_SEQ_CST);
		return 1;
	}
	return 0;
}

/* Count the used slots. */
size_t guests_count(const struct guests *g)
{
	size_t n = 0;
	for (int i = 0; i < GUESTS_MAX; i++)
		n += __atomic_load_n(&g->slot[i].sup, __ATOMIC_SEQ_CST) != 0;
	return n;
}

/* Block arrivals, then ask every supervisor to send its body home. */
size_t guests_expel(struct guests *g)
{
	size_t n = 0;
	__atomic_store_n(&g->blocked, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&g->failed, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < GUESTS_MAX; i++) {
		pid_t sup = __atomic_load_n(&g->slot[i].sup, __ATOMIC_SEQ_CST);
		if (sup > 0 && kill(sup, GUESTS_EXPEL_SIGNAL) == 0)
			n++;
	}
	return n;
}
