/* arch.c: x86-64 registers, XSAVE state and the syscall ABI. */
#include "arch/arch.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* Kernel-internal restart codes (include/linux/errno.h): never seen by programs. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

const unsigned char arch_trampoline[] = {0x0f, 0x05, 0xcc, 0xcc};
const unsigned arch_trampoline_len = sizeof(arch_trampoline);

/* Read general registers. */
int arch_get_regs(pid_t pid, arch_regs_t *r)
{
	return ptrace(PTRACE_GETREGS, pid, 0, r) ? -errno : 0;
}

/* Write general registers. */
int arch_set_regs(pid_t pid, const arch_regs_t *r)
{
	return ptrace(PTRACE_SETREGS, pid, 0, r) ? -errno : 0;
}

/* Read the FPU state: the XSAVE area, or on a CPU without XSAVE (QEMU's
 * TCG default model) the 512-byte FXSAVE area; the length tells them apart. */
int arch_get_xstate(pid_t pid, void *buf, size_t cap)
{
	struct iovec iov = {buf, cap};
	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) == 0)
		return (int)iov.iov_len;
	if (errno != ENODEV)
		return -errno;
	iov.iov_len = cap < ARCH_FXSAVE_LEN ? cap : ARCH_FXSAVE_LEN;
	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &iov))
		return -errno;
	return (int)iov.iov_len;
}

/* Write the FPU state back in the form it was read. */
int arch_set_xstate(pid_t pid, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};
	long note = len == ARCH_FXSAVE_LEN ? NT_PRFPREG : NT_X86_XSTATE;
	return ptrace(PTRACE_SETREGSET, pid, (void *)note, &iov) ? -errno : 0;
}

/* XSAVE area size for the features the OS enabled (CPUID leaf 0xd, ebx). */
size_t arch_xstate_size(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d))
		return 0;
	return b;
}

/* XSTATE_BV at offset 512 of the XSAVE header. */
uint64_t arch_xstate_features(const void *buf, size_t len)
{
	uint64_t bv = 0;
	if (len >= 520)
		memcpy(&bv, (const char *)buf + 512, 8);
	return bv;
}

/* Load a syscall into the registers. */
void arch_set_syscall(arch_regs_t *r, uint64_t ip, long nr, const long args[6])
{
	r->rip = ip;
	r->rax = (unsigned long long)nr;
	r->orig_rax = (unsigned long long)-1;
	arch_set_syscall_args(r, args);
}

/* Syscall return value. */
long arch_syscall_ret(const arch_regs_t *r)
{
	return (long)r->rax;
}

/* Instruction pointer. */
uint64_t arch_ip(const arch_regs_t *r)
{
	return r->rip;
}

/* Stack pointer. */
uint64_t arch_sp(const arch_regs_t *r)
{
	return r->rsp;
}

/* Syscall number the task stopped in, or -1. */
long arch_syscall_nr(const arch_regs_t *r)
{
	return (long)r->orig_rax;
}

/* Set the return value register. */
void arch_set_ret(arch_regs_t *r, long v)
{
	r->rax = (unsigned long long)v;
}

/* Apply the kernel's restart rules ourselves, then clear orig_rax so the kernel
 * does not apply them a second time on the restored task. */
void arch_fixup_restart(arch_regs_t *r)
{
	if ((long)r->orig_rax >= 0) {
		long e = -(long)r->rax;
		if (e == ERESTARTSYS || e == ERESTARTNOINTR || e == ERESTARTNOHAND) {
			r->rip -= 2;
			r->rax = r->orig_rax;
		} else if (e == ERESTART_RESTARTBLOCK) {
			/* The restart block (e.g. a nanosleep's remaining time) lives
			 * in the kernel and does not travel: the call returns EINTR,
			 * as it would had a signal handler run. */
			r->rax = (unsigned long long)-EINTR;
		}
	}
	r->orig_rax = (unsigned long long)-1;
}

/* Restart an interrupted syscall of a task that keeps running. */
void arch_fixup_restart_live(arch_regs_t *r)
{
	if ((long)r->orig_rax < 0)
		return;
	long e = -(long)r->rax;
	if (e == ERESTARTSYS || e == ERESTARTNOINTR || e == ERESTARTNOHAND) {
		r->rax = r->orig_rax;
	} else if (e == ERESTART_RESTARTBLOCK) {
		r->rax = SYS_restart_syscall;
	} else {
		return;
	}
	r->rip -= 2;
	r->orig_rax = (unsigned long long)-1;
}

void arch_change_syscall(arch_regs_t *r, long nr, const long args[6])
{
	r->orig_rax = (unsigned long long)nr;
	arch_set_syscall_args(r, args);
}

void arch_set_syscall_args(arch_regs_t *r, const long args[6])
{
	r->rdi = (unsigned long long)args[0];
	r->rsi = (unsigned long long)args[1];
	r->rdx = (unsigned long long)args[2];
	r->r10 = (unsigned long long)args[3];
	r->r8 = (unsigned long long)args[4];
	r->r9 = (unsigned long long)args[5];
}

/* One of the returns that signal delivery turns into EINTR or a restart. */
int arch_ret_restarts(long v)
{
	return v == -ERESTARTSYS || v == -ERESTARTNOINTR || v == -ERESTARTNOHAND;
}

/* Re-execute the trapped syscall: back over the syscall instruction. */
void arch_reexec_syscall(arch_regs_t *r)
{
	if ((long)r->orig_rax < 0)
		return;
	r->rax = r->orig_rax;
	r->rip -= 2;
	r->orig_rax = (unsigned long long)-1;
}

/* Skip the syscall at a seccomp stop: orig_rax -1 means "no syscall". */
void arch_skip_syscall(arch_regs_t *r, long v)
{
	r->orig_rax = (unsigned long long)-1;
	r->rax = (unsigned long long)v;
}

/* Syscall arguments in ABI order. */
void arch_syscall_args(const arch_regs_t *r, long args[6])
{
	args[0] = (long)r->rdi;
	args[1] = (long)r->rsi;
	args[2] = (long)r->rdx;
	args[3] = (long)r->r10;
	args[4] = (long)r->r8;
	args[5] = (long)r->r9;
}

/* A system call by hand: rcx and r11 are clobbered by the instruction. */
long arch_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}
