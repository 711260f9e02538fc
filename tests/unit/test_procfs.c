/* test_procfs.c: the /proc parsers against this very process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/procfs.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Our maps include heap-or-anon, stack, vdso, and a mapping we make ourselves. */
static void test_maps(void **state)
{
	void *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct proc_vma *v;
	size_t n;
	assert_int_equal(procfs_maps(getpid(), &v, &n), 0);
	int stack = 0, vdso = 0, mine = 0;
	for (size_t i = 0; i < n; i++) {
		stack |= v[i].kind == VMA_STACK;
		vdso |= v[i].kind == VMA_VDSO;
		if (v[i].start == (uint64_t)p) {
			mine = 1;
			assert_int_equal(v[i].prot, PROT_READ);
			assert_int_equal(v[i].kind, VMA_ANON);
			assert_int_equal(v[i].end - v[i].start, 8192);
		}
	}
	assert_true(stack && vdso && mine);
	procfs_free_maps(v, n);
	munmap(p, 8192);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* stat and status agree with what we know about ourselves. */
static void test_stat_status(void **state)
{
	struct proc_stat st;
	struct proc_status ss;
	assert_int_equal(procfs_stat(getpid(), &st), 0);
	assert_true(st.start_code < st.end_code && st.start_stack > 0);
	assert_true(st.arg_start < st.arg_end);
	assert_int_equal(procfs_status(getpid(), &ss), 0);
	assert_int_equal(ss.threads, 1);
	assert_int_equal(ss.uid[0], getuid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(ss.ppid, getppid());
	/* a caught, an ignored and a pending (blocked) signal show in the masks */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR1, on_usr1);
	signal(SIGWINCH, SIG_IGN);
	raise(SIGUSR2);
	assert_int_equal(procfs_status(getpid(), &ss), 0);
	assert_true(ss.sigcgt & (1ull << (SIGUSR1 - 1)));
	assert_true(ss.sigign & (1ull << (SIGWINCH - 1)));
	assert_true((ss.sigpnd | ss.shdpnd) & (1ull << (SIGUSR2 - 1)));
	signal(SIGUSR2, SIG_IGN); /* drops the pending one */
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/* An fd we open shows up with its offset and flags. */
static void test_fds(void **state)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	lseek(fd, 100, SEEK_SET);
	struct proc_fd *f;
	size_t n;
	assert_int_equal(procfs_fds(getpid(), &f, &n), 0);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].fd == fd) {
			found = 1;
			assert_int_equal(f[i].pos, 100);
			assert_int_equal(f[i].fd_flags, FD_CLOEXEC);
			assert_int_equal(f[i].flags & O_ACCMODE, O_RDONLY);
		}
	assert_true(found);
	procfs_free_fds(f, n);
	close(fd);
}

/* A nonexistent pid is an error, not a crash. */
static void test_missing(void **state)
{
	struct proc_vma *v;
	size_t n;
	struct proc_stat st;
	assert_true(procfs_maps(999999999, &v, &n) < 0);
	assert_true(procfs_stat(999999999, &st) < 0);
	assert_null(procfs_link(999999999, "exe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_maps),
	    cmocka_unit_test(test_stat_status),
	    cmocka_unit_test(test_fds),
	    cmocka_unit_test(test_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
