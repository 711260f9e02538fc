/* test_sysname.c: every x86-64 system call has its name in messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/arch.h"
#include "remote/forward.h"

#include <string.h>
#include <sys/syscall.h>

/* Calls of every age are named, by the table the build made. */
static void test_names(void **state)
{
	assert_string_equal(arch_syscall_name(SYS_read), "read");
	assert_string_equal(arch_syscall_name(SYS_openat), "openat");
	assert_string_equal(arch_syscall_name(221), "fadvise64");
	assert_string_equal(arch_syscall_name(SYS_clone3), "clone3");
	assert_null(arch_syscall_name(-1));
	assert_null(arch_syscall_name(100000));
}

/* The going-home message names the call; a file mmap says what it is. */
static void test_fwd_name(void **state)
{
	char buf[32];
	assert_string_equal(fwd_name(SYS_fadvise64, buf, sizeof(buf)), "fadvise64");
	assert_string_equal(fwd_name(SYS_mmap, buf, sizeof(buf)), "mmap of a file");
	assert_string_equal(fwd_name(4000, buf, sizeof(buf)), "syscall 4000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_fwd_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
