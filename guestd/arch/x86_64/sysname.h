/* sysname.h: arch_syscall_name is declared in arch/arch.h, the architecture
 * interface; include that. This header is left only for a caller not yet
 * changed (remote/forward.c) and goes when it is. */
#ifndef GUESTD_ARCH_X86_64_SYSNAME_H
#define GUESTD_ARCH_X86_64_SYSNAME_H

#include "arch/arch.h"

#endif
