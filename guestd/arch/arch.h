/* arch.h: the architecture interface. Everything that knows x86-64 register
 * names or syscall-ABI details lives behind it (arch/x86_64/). */
#ifndef GUESTD_ARCH_H
#define GUESTD_ARCH_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "arch/x86_64/abi.h"

#define ARCH_NAME "x86_64"
#define ARCH_XSTATE_MAX 16384
#define ARCH_FXSAVE_LEN 512 /* FPU state without XSAVE (an XSAVE area is at least 576) */

/* General registers as ptrace sees them (fs_base included). */
typedef struct user_regs_struct arch_regs_t;

/* Machine code of "syscall; int3": the injection trampoline. */
extern const unsigned char arch_trampoline[];
extern const unsigned arch_trampoline_len;

/* Read / write general registers of a stopped tracee. 0 or -errno. */
int arch_get_regs(pid_t pid, arch_regs_t *r);
int arch_set_regs(pid_t pid, const arch_regs_t *r);
/* Read / write the extended (FPU/SSE/AVX) state. Length or -errno / 0 or -errno. */
int arch_get_xstate(pid_t pid, void *buf, size_t cap);
int arch_set_xstate(pid_t pid, const void *buf, size_t len);
/* Size of this CPU's XSAVE area, 0 if unknown. */
size_t arch_xstate_size(void);
/* Feature mask saved in an XSAVE area (XSTATE_BV mask from its header). */
uint64_t arch_xstate_features(const void *buf, size_t len);

/* Prepare r to run syscall nr with args at instruction address ip. */
void arch_set_syscall(arch_regs_t *r, uint64_t ip, long nr, const long args[6]);
/* Value a syscall returned, as a long (negative errno on failure). */
long arch_syscall_ret(const arch_regs_t *r);
/* Instruction pointer, stack pointer, syscall number (-1 when none). */
uint64_t arch_ip(const arch_regs_t *r);
uint64_t arch_sp(const arch_regs_t *r);
long arch_syscall_nr(const arch_regs_t *r);
/* Set the value a syscall returns (used for mosix_checkpoint's answer). */
void arch_set_ret(arch_regs_t *r, long v);
/* Turn a stop inside an interrupted syscall into what the kernel would do on
 * resumption without a handler: restart it, or fail it with EINTR where the
 * kernel's restart block cannot travel with the image. */
void arch_fixup_restart(arch_regs_t *r);
/* The same for a task that carries on after being stopped for injection: the
 * kernel applies restarts only on its signal path, which a resumed ptrace
 * stop may not take. The task keeps its restart block, so RESTART_RESTARTBLOCK
 * becomes restart_syscall. Registers that are not in an interrupted syscall
 * are left alone. */
void arch_fixup_restart_live(arch_regs_t *r);
/* At a syscall-entry (seccomp) stop: make the task execute that syscall again
 * when it next runs (used when a trapped call has to be run elsewhere). */
void arch_reexec_syscall(arch_regs_t *r);
/* At a seccomp stop: make the trapped call a different one (the kernel runs
 * it when the tracer resumes the task). */
void arch_change_syscall(arch_regs_t *r, long nr, const long args[6]);
/* Put syscall argument registers back (calls preserve them: a changed call
 * must not leave its own arguments behind). */
void arch_set_syscall_args(arch_regs_t *r, const long args[6]);
/* Is v one of the kernel's internal "restart me" returns that a signal's
 * delivery resolves (-ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND)? */
int arch_ret_restarts(long v);
/* -ERESTART_RESTARTBLOCK (its restart block stays in the kernel). */
#define ARCH_ERESTART_RESTARTBLOCK 516
/* -ERESTARTNOINTR: a call the kernel restarts after a signal's handler, whatever its flags. */
#define ARCH_ERESTARTNOINTR 513
/* -ERESTARTNOHAND: restarted after a signal without a handler, EINTR after one with. */
#define ARCH_ERESTARTNOHAND 514
/* Skip the syscall of a syscall-entry (seccomp) stop and return v instead. */
void arch_skip_syscall(arch_regs_t *r, long v);
/* Make a system call straight, touching neither errno nor anything else in
 * memory: for a child that runs in its parent's address space. The result,
 * or a negative errno. */
long arch_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5);
/* The six syscall arguments of r. */
void arch_syscall_args(const arch_regs_t *r, long args[6]);
/* The name of system call nr ("openat"), for messages ("it called openat"),
 * or NULL for a number the system's headers did not know when mosix was
 * built. */
const char *arch_syscall_name(long nr);

/* ioctl requests a migrated process may forward home: the request, its
 * name, and how its third argument travels (a value, or a struct of size
 * bytes that the kernel reads, writes, or both). */
enum arch_io_dir { ARCH_IO_VAL, ARCH_IO_IN, ARCH_IO_OUT, ARCH_IO_INOUT };
struct arch_ioctl {
	unsigned long req;
	const char *name;
	enum arch_io_dir dir;
	unsigned size;
};
/* The entry of request req (its low 32 bits, as the kernel takes it), or NULL. */
const struct arch_ioctl *arch_ioctl_find(unsigned long req);
/* A request's number by its name ("TCGETS"), or -1: for tools and messages. */
long arch_ioctl_number(const char *name);

#endif
