/* test_forward.c: the classes of the calls that everyday programs make
 * (tests/tools/callsurvey.sh found them), and the names a call that sends a
 * process home is given in messages and counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/arch.h"
#include "remote/forward.h"

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static enum fwd_action cls(long nr, long a0, long a1)
{
	long args[6] = {a0, a1, 0, 0, 0, 0};
	return fwd_classify(nr, args);
}

/* Calls the survey found, forwarded or local; the rest goes home. */
static void test_classes(void **state)
{
	static const long fwd[] = {SYS_fadvise64,	SYS_statfs,
				   SYS_fstatfs,		SYS_getxattr,
				   SYS_fsetxattr,	SYS_flistxattr,
				   SYS_lremovexattr,	SYS_copy_file_range,
				   SYS_splice,		SYS_utimensat,
				   SYS_futimesat,	SYS_getdents64,
				   SYS_timerfd_settime, SYS_inotify_add_watch,
				   SYS_eventfd2,	SYS_sendmsg,
				   SYS_recvmsg,		SYS_close_range,
				   SYS_pidfd_open,	ARCH_NR_FCHMODAT2,
				   SYS_getresuid};
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		assert_int_equal(cls(fwd[i], 3, 0), FWD_FORWARD);
	static const long local[] = {SYS_mincore, SYS_msync, SYS_mlock2, SYS_mlockall,
				     SYS_munlockall};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		assert_int_equal(cls(local[i], 0, 0), FWD_LOCAL);
	assert_int_equal(cls(SYS_signalfd4, -1, 0), FWD_HOME);
	assert_int_equal(cls(SYS_ptrace, 0, 0), FWD_HOME);
	assert_int_equal(cls(SYS_prctl, PR_SET_NAME, 0), FWD_BOTH);
	assert_int_equal(cls(SYS_prctl, PR_GET_NAME, 0), FWD_LOCAL);
	assert_int_equal(cls(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1), FWD_FORWARD);
	assert_int_equal(cls(SYS_prctl, PR_SET_MM, 0), FWD_HOME);
	assert_int_equal(cls(SYS_sched_setscheduler, 0, 0), FWD_BOTH);
	assert_int_equal(cls(SYS_sched_getscheduler, 0, 0), FWD_FORWARD);
	assert_int_equal(cls(SYS_sched_setscheduler, 1234, 0), FWD_FORWARD);
	assert_int_equal(cls(SYS_setpriority, PRIO_PROCESS, 0), FWD_BOTH);
	assert_int_equal(cls(SYS_getpriority, PRIO_PROCESS, 0), FWD_FORWARD);
	assert_int_equal(cls(SYS_setpriority, PRIO_USER, 0), FWD_FORWARD);
	assert_int_equal(cls(SYS_ioctl, 0, TCGETS), FWD_FORWARD);
	assert_int_equal(cls(SYS_ioctl, 0, 0x12345), FWD_HOME);
	assert_int_equal(cls(SYS_fcntl, 0, F_SETPIPE_SZ), FWD_FORWARD);
	assert_int_equal(cls(SYS_fcntl, 0, F_SETLEASE), FWD_HOME);
}

/* A call that sends a process home is named, with the argument that decided. */
static void test_home_names(void **state)
{
	char buf[160], call[64];
	long a[6] = {0, 0x5412, 0, 0, 0, 0};
	assert_string_equal(fwd_call_name(SYS_ioctl, a, buf, sizeof(buf)), "ioctl:0x5412");
	a[0] = PR_SET_MM;
	assert_string_equal(fwd_call_name(SYS_prctl, a, buf, sizeof(buf)), "prctl:35");
	assert_string_equal(fwd_call_name(ARCH_NR_FCHMODAT2, a, buf, sizeof(buf)), "fchmodat2");
	fwd_home_why(SYS_signalfd4, a, buf, sizeof(buf));
	assert_string_equal(buf, "it called signalfd4, which runs only at home");
	assert_int_equal(fwd_home_call(buf, call, sizeof(call)), 1);
	assert_string_equal(call, "signalfd4");
	assert_int_equal(fwd_home_call("asked to come home", call, sizeof(call)), 0);
	assert_int_equal(fwd_home_call("it called , which runs only at home", call, 8), 0);
}

/* ioctl requests by name and number (the survey's tool reads names). */
static void test_ioctls(void **state)
{
	assert_int_equal(arch_ioctl_number("TCGETS"), TCGETS);
	assert_int_equal(arch_ioctl_number("nothing"), -1);
	const struct arch_ioctl *io = arch_ioctl_find(0xffffffff00005413ul);
	assert_non_null(io);
	assert_string_equal(io->name, "TIOCGWINSZ");
	assert_int_equal(io->dir, ARCH_IO_OUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_home_names),
	    cmocka_unit_test(test_ioctls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
