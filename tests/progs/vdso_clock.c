/* vdso_clock: clock_gettime/gettimeofday/time through the vDSO still work and give sane times. */
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

#include "progs.h"

#define NAME "vdso_clock"
#define MAX_GAP_S 3600 /* a waiting program restored within the hour */

/* Read a clock through glibc (the vDSO when there is one); fail on error. */
static long long now_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		progs_fail(NAME, "clock_gettime(%d): %m", (int)id);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Fail unless the clock never goes backwards over many reads. */
static void check_steady(clockid_t id)
{
	long long prev = now_ns(id);
	for (int i = 0; i < 100000; i++) {
		long long t = now_ns(id);
		if (t < prev)
			progs_fail(NAME, "clock %d went back by %lld ns", (int)id, prev - t);
		prev = t;
	}
}

int main(void)
{
	if (!getauxval(AT_SYSINFO_EHDR))
		progs_say("note: no vDSO, glibc uses plain system calls\n");
	long long real0 = now_ns(CLOCK_REALTIME);
	now_ns(CLOCK_MONOTONIC);

	progs_wait(NAME);

	check_steady(CLOCK_MONOTONIC);
	check_steady(CLOCK_REALTIME);
	long long real1 = now_ns(CLOCK_REALTIME);
	if (real1 < real0)
		progs_fail(NAME, "REALTIME went back by %lld ns across the restore", real0 - real1);
	if (real1 - real0 > MAX_GAP_S * 1000000000LL)
		progs_fail(NAME, "REALTIME jumped %lld s across the restore",
			   (real1 - real0) / 1000000000LL);

	struct timeval tv;
	if (gettimeofday(&tv, NULL) != 0)
		progs_fail(NAME, "gettimeofday: %m");
	long long t = time(NULL);
	if (t < real0 / 1000000000LL || tv.tv_sec < real0 / 1000000000LL)
		progs_fail(NAME, "time()=%lld gettimeofday=%lld, before the wait it was %lld", t,
			   (long long)tv.tv_sec, real0 / 1000000000LL);
	progs_pass(NAME);
}
