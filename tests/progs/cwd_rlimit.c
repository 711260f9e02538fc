/* cwd_rlimit: working directory, RLIMIT_NOFILE/CORE/STACK, umask and the CPU
 * affinity survive (a checkpoint runs its injected calls with the process
 * pinned to one CPU for a moment: that must not stay).
 * The directory is made in $TMPDIR (or /tmp) and removed at the end unless $MOSTEST_KEEP is set. */
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "progs.h"

#define NAME "cwd_rlimit"

static const int which[] = {RLIMIT_NOFILE, RLIMIT_CORE, RLIMIT_STACK};
static const char *const which_name[] = {"NOFILE", "CORE", "STACK"};
#define NLIM 3

/* Lower one soft limit to want (or to the hard limit if that is lower). */
static void lower(int res, rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(res, &rl) != 0)
		progs_fail(NAME, "getrlimit %d: %m", res);
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(res, &rl) != 0)
		progs_fail(NAME, "setrlimit %d: %m", res);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], cwd[4096];
	snprintf(dir, sizeof(dir), "%s/mostest-cwd.%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	if (mkdir(dir, 0700) != 0 || chdir(dir) != 0)
		progs_fail(NAME, "mkdir/chdir %s: %m", dir);
	if (!getcwd(dir, sizeof(dir)))
		progs_fail(NAME, "getcwd: %m");
	lower(RLIMIT_NOFILE, 200);
	lower(RLIMIT_CORE, 0);
	lower(RLIMIT_STACK, 4 << 20);
	struct rlimit want[NLIM];
	for (int i = 0; i < NLIM; i++)
		getrlimit(which[i], &want[i]);
	umask(027);
	cpu_set_t cpus, now;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0)
		progs_fail(NAME, "sched_getaffinity: %m");

	progs_wait(NAME);

	if (!getcwd(cwd, sizeof(cwd)))
		progs_fail(NAME, "getcwd after restore: %m");
	if (strcmp(cwd, dir) != 0)
		progs_fail(NAME, "cwd is %s, want %s", cwd, dir);
	for (int i = 0; i < NLIM; i++) {
		struct rlimit rl;
		getrlimit(which[i], &rl);
		if (rl.rlim_cur != want[i].rlim_cur || rl.rlim_max != want[i].rlim_max)
			progs_fail(NAME, "RLIMIT_%s is %llu/%llu, want %llu/%llu", which_name[i],
				   (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
				   (unsigned long long)want[i].rlim_cur,
				   (unsigned long long)want[i].rlim_max);
	}
	if (sched_getaffinity(0, sizeof(now), &now) != 0 || !CPU_EQUAL(&now, &cpus))
		progs_fail(NAME, "may run on %d CPUs, want %d as before", CPU_COUNT(&now),
			   CPU_COUNT(&cpus));
	mode_t mask = umask(022);
	if (mask != 027)
		progs_fail(NAME, "umask is %03o, want 027", (unsigned)mask);
	if (!getenv("MOSTEST_KEEP") && (chdir("/") != 0 || rmdir(dir) != 0))
		progs_fail(NAME, "remove %s: %m", dir);
	progs_pass(NAME);
}
