/* test_freeze.c: freeze_process against a real tracee whose every getppid
 * traps to us by seccomp (as a migrated body's forwarded calls do). A call
 * met by the freeze must not be lost: it runs again after the freeze, so
 * the tracee never sees anything but its parent's pid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "err.h"
#include "engine/freeze.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The tracee: getppid traps to the tracer; any other answer than the parent's
 * pid (a call skipped and never run again answers -ENOSYS) ends it with 1. */
/* The tracee: getppid traps to the tracer; any other answer than the parent's
 * pid (a call skipped and never run again answers -ENOSYS) ends it with 1.
 * Its filters are long, so that a freeze often lands inside a call's entry,
 * between the kernel's check for the freeze and the call's seccomp stop. */
#define PAD 4000
static void tracee(pid_t parent, int go)
{
	static struct sock_filter f[PAD + 4];
	for (int i = 0; i < PAD; i++)
		f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, nr));
	f[PAD] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	f[PAD + 1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1);
	f[PAD + 2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[PAD + 3] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {PAD + 4, f};
	char c;
	if (read(go, &c, 1) != 1 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	for (int i = 0; i < 7; i++)
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
	for (;;)
		if (syscall(SYS_getppid) != parent)
			_exit(1);
}

static void spin_ns(long ns)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < ns);
}

/* Let the tracee run through n trapped calls (each runs natively). */
static void run_calls(pid_t pid, int n)
{
	for (int i = 0; i < n; i++) {
		int st;
		assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
		assert_int_equal(waitpid(pid, &st, __WALL), pid);
		assert_true(WIFSTOPPED(st));
		assert_int_equal(st >> 16, PTRACE_EVENT_SECCOMP);
	}
}

static void test_freeze_busy_seccomp(void **state)
{
	(void)state;
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t parent = getpid(), pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		tracee(parent, go[0]);
	}
	close(go[0]);
	assert_int_equal(ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL),
			 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	int st;
	assert_int_equal(waitpid(pid, &st, __WALL), pid); /* its first call */
	assert_int_equal(st >> 16, PTRACE_EVENT_SECCOMP);
	/* Many freezes, each landing wherever the tracee happens to be: in user
	 * mode, entering its call, or stopped at the call's seccomp event. */
	for (int i = 0; i < 10000; i++) {
		run_calls(pid, 1 + i % 7);
		assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
		if (i % 3 == 0)
			usleep(100); /* likely at its next call's event, not yet waited for */
		else
			spin_ns((i * 7919L) % 30000); /* anywhere on its way to the next call */
		struct err e = {0, ""};
		int rc = freeze_process(pid, &st, &e);
		if (rc)
			fail_msg("freeze %d: %s", i, e.msg);
		assert_int_equal(st >> 16, PTRACE_EVENT_STOP);
		/* resumed, it must first run the call the freeze met */
		assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
		assert_int_equal(waitpid(pid, &st, __WALL), pid);
		if (!WIFSTOPPED(st))
			fail_msg("freeze %d: the tracee ended (status 0x%x)", i, st);
		assert_int_equal(st >> 16, PTRACE_EVENT_SECCOMP);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, __WALL);
	assert_true(WIFSIGNALED(st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_freeze_busy_seccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
