/* sysname.c: x86-64 system call names. The table is made at build time from
 * the system's asm/unistd_64.h (the Makefile's $(B)/gen/syscall_names.h,
 * one '[NR] = "name",' line per call), so every call of the headers has its
 * name; without it (a static analyser's run) numbers stay unnamed. */
#include "arch/arch.h"

#include <stddef.h>

static const char *const names[] = {
#if __has_include("syscall_names.h")
#include "syscall_names.h"
#endif
    NULL,
};

/* Look up a system call's name. */
const char *arch_syscall_name(long nr)
{
	if (nr < 0 || (unsigned long)nr >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[nr];
}
