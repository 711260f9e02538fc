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

/* Calls newer than older headers (Linux 6.5 to 6.15), by number. */
static const char *const newer[] = {
    [451] = "cachestat",	 [452] = "fchmodat2",	     [453] = "map_shadow_stack",
    [454] = "futex_wake",	 [455] = "futex_wait",	     [456] = "futex_requeue",
    [457] = "statmount",	 [458] = "listmount",	     [459] = "lsm_get_self_attr",
    [460] = "lsm_set_self_attr", [461] = "lsm_list_modules", [462] = "mseal",
    [463] = "setxattrat",	 [464] = "getxattrat",	     [465] = "listxattrat",
    [466] = "removexattrat",	 [467] = "open_tree_attr",
};

/* Look up a system call's name. */
const char *arch_syscall_name(long nr)
{
	if (nr >= 0 && (unsigned long)nr < sizeof(names) / sizeof(names[0]) && names[nr])
		return names[nr];
	if (nr >= 0 && (unsigned long)nr < sizeof(newer) / sizeof(newer[0]))
		return newer[nr];
	return NULL;
}
