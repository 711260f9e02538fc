/* rseq: glibc's rseq registration survives: still registered (EBUSY) and cpu_id follows the real
 * CPU. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "progs.h"

#define NAME "rseq"

/* Return this thread's rseq area, as glibc registered it. */
static volatile struct rseq *area(void)
{
	return (volatile struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* Return the CPU from the kernel, not from the rseq area (glibc's sched_getcpu reads it). */
static int real_cpu(void)
{
	unsigned cpu = 0;
	if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0)
		progs_fail(NAME, "getcpu: %m");
	return (int)cpu;
}

/* Pin to each allowed CPU in turn; the area's cpu_id must follow (a stale area would not). */
static void check_follows(long ncpu)
{
	cpu_set_t all, one;
	if (sched_getaffinity(0, sizeof(all), &all) != 0)
		progs_fail(NAME, "sched_getaffinity: %m");
	for (int c = 0; c < CPU_SETSIZE && c < ncpu; c++) {
		if (!CPU_ISSET(c, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0)
			continue; /* not ours to use (cpuset) */
		int id = (int)area()->cpu_id, real = real_cpu();
		if (id != c || real != c)
			progs_fail(NAME, "pinned to CPU %d: rseq cpu_id %d, getcpu %d", c, id,
				   real);
	}
	sched_setaffinity(0, sizeof(all), &all);
}

/* Fail unless the area shows a CPU in [0, ncpu). */
static void check_area(long ncpu, const char *when)
{
	int id = (int)area()->cpu_id;
	if (id < 0 || id >= ncpu)
		progs_fail(NAME, "%s: rseq cpu_id %d, not in [0, %ld)", when, id, ncpu);
}

int main(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (__rseq_size == 0)
		progs_fail(NAME, "glibc did not register rseq (GLIBC_TUNABLES=%s)",
			   getenv("GLIBC_TUNABLES") ? getenv("GLIBC_TUNABLES") : "unset");
	check_area(ncpu, "before");

	progs_wait(NAME);

	int cpu = sched_getcpu();
	if (cpu < 0 || cpu >= ncpu)
		progs_fail(NAME, "sched_getcpu() = %d, not in [0, %ld)", cpu, ncpu);
	check_area(ncpu, "after");
	/* glibc registers 32 bytes, the original struct rseq, even where __rseq_size
	 * reports only the 20-byte feature size (Debian's 2.36 backport); the kernel
	 * answers EBUSY only to the length that was registered. */
	unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
	long r = syscall(SYS_rseq, area(), len, 0, RSEQ_SIG);
	if (r == 0)
		progs_fail(NAME, "rseq was not registered any more (a new registration succeeded)");
	if (errno != EBUSY)
		progs_fail(NAME, "rseq(area, %u) gave %m, want EBUSY (registered, same area)", len);
	check_follows(ncpu);
	progs_pass(NAME);
}
