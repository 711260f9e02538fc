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
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
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

/* The PVF_ bits of the VMA at p (0 if none). */
static uint32_t vmflags_at(void *p)
{
	struct proc_vma *v;
	size_t n;
	uint32_t f = 0;
	assert_int_equal(procfs_maps(getpid(), &v, &n), 0);
	assert_int_equal(procfs_vmflags(getpid(), v, n), 0);
	for (size_t i = 0; i < n; i++)
		if (v[i].start == (uint64_t)p)
			f = v[i].vmflags;
	procfs_free_maps(v, n);
	return f;
}

/* smaps VmFlags come back as PVF_ bits, each VMA its own. */
static void test_vmflags(void **state)
{
	uint8_t *a =
	    mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED);
	assert_int_equal(madvise(a, 4096, MADV_DONTFORK), 0);
	assert_int_equal(madvise(a + 8192, 4096, MADV_RANDOM), 0);
	uint32_t f0 = vmflags_at(a), f1 = vmflags_at(a + 4096), f2 = vmflags_at(a + 8192);
	assert_true(f0 & PVF_READ);
	assert_int_equal(f0 & (PVF_DONTFORK | PVF_RAND), PVF_DONTFORK);
	assert_int_equal(f1 & (PVF_DONTFORK | PVF_RAND), 0);
	assert_int_equal(f2 & (PVF_DONTFORK | PVF_RAND), PVF_RAND);
	assert_true(f1 & PVF_ACCOUNT);
	assert_true(vmflags_at(b) & PVF_NORESERVE);
	munmap(a, 3 * 4096);
	munmap(b, 4096);
}

/* POSIX timers: ID, signal, value, notification and clock. */
static void test_timers(void **state)
{
	struct sigevent sev;
	timer_t t1, t2;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	sev.sigev_value.sival_int = 77;
	assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &t1), 0);
	sev.sigev_notify = SIGEV_NONE;
	assert_int_equal(timer_create(CLOCK_REALTIME, &sev, &t2), 0);
	struct proc_timer *t;
	size_t n;
	assert_int_equal(procfs_timers(getpid(), &t, &n), 0);
	assert_true(n >= 2); /* (and any the test runner has) */
	assert_int_equal(procfs_timer_count(getpid()), (int)n);
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].id == (int)(intptr_t)t1) {
			seen |= 1;
			assert_int_equal(t[i].signo, SIGUSR1);
			assert_int_equal(t[i].value, 77);
			assert_int_equal(t[i].notify, SIGEV_SIGNAL);
			assert_int_equal(t[i].clock, CLOCK_MONOTONIC);
		} else if (t[i].id == (int)(intptr_t)t2) {
			seen |= 2;
			assert_int_equal(t[i].notify, SIGEV_NONE);
			assert_int_equal(t[i].clock, CLOCK_REALTIME);
		}
	}
	assert_int_equal(seen, 3);
	free(t);
	timer_delete(t1);
	timer_delete(t2);
}

/* A signalfd shows as one, with its mask. */
static void test_signalfd(void **state)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGTRAP);
	sigaddset(&m, SIGUSR2);
	int fd = signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK);
	struct proc_fd *f;
	size_t n;
	int found = 0;
	assert_int_equal(procfs_fds(getpid(), &f, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (f[i].fd == fd) {
			found = 1;
			assert_true(f[i].signalfd);
			assert_int_equal(f[i].sigmask,
					 (1ull << (SIGTRAP - 1)) | (1ull << (SIGUSR2 - 1)));
			assert_true(f[i].flags & O_NONBLOCK);
		}
	assert_true(found);
	procfs_free_fds(f, n);
	close(fd);
}

/* Shared anonymous memory: mapped elsewhere while a child holds it. */
static void test_mapped_elsewhere(void **state)
{
	uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2];
	assert_true(p != MAP_FAILED && pipe(go) == 0);
	pid_t c = fork();
	if (c == 0) {
		char x;
		close(go[1]);
		_exit(read(go[0], &x, 1) < 0);
	}
	close(go[0]);
	struct proc_vma *v;
	size_t n;
	uint32_t dev = 0;
	uint64_t ino = 0;
	assert_int_equal(procfs_maps(getpid(), &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (v[i].start == (uint64_t)p)
			dev = v[i].dev, ino = v[i].ino;
	procfs_free_maps(v, n);
	assert_true(ino != 0);
	assert_int_equal(procfs_mapped_elsewhere(getpid(), dev, ino), 1);
	close(go[1]);
	waitpid(c, NULL, 0);
	assert_int_equal(procfs_mapped_elsewhere(getpid(), dev, ino), 0);
	munmap(p, 4096);
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
	    cmocka_unit_test(test_maps),     cmocka_unit_test(test_stat_status),
	    cmocka_unit_test(test_fds),	     cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_vmflags),  cmocka_unit_test(test_timers),
	    cmocka_unit_test(test_signalfd), cmocka_unit_test(test_mapped_elsewhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
