/* sysname.h: x86-64 system call names for messages ("it called openat").
 * (Its prototype belongs in arch/arch.h beside the other arch_* calls.) */
#ifndef GUESTD_ARCH_X86_64_SYSNAME_H
#define GUESTD_ARCH_X86_64_SYSNAME_H

/* The name of system call nr ("openat"), or NULL for a number the system's
 * headers did not know when mosix was built. */
const char *arch_syscall_name(long nr);

#endif
