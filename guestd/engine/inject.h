/* inject.h: run system calls inside a stopped tracee (remote syscalls). */
#ifndef GUESTD_INJECT_H
#define GUESTD_INJECT_H

#include "appliance/err.h"
#include "arch/arch.h"

#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INJECT_PAGE_LEN (64 * 1024)
#define INJECT_SCRATCH 64 /* scratch area starts here, after the trampoline */

#define INJECT_HELD_MAX 32

/* An injection session on one stopped tracee.
 *
 * The trampoline ends in int3, whose SIGTRAP the kernel forces: were SIGTRAP
 * blocked or ignored then, it would reset the program's own SIGTRAP action
 * to the default. So while the trampoline runs, every signal but SIGTRAP is
 * blocked; a SIGTRAP of the program's own (pending, or sent meanwhile) that
 * comes to delivery instead of ours is held, and inject_end queues it again
 * (and puts back an ignored SIGTRAP) with every signal blocked, by calls that
 * stop at their syscall exit and never reach an int3. */
struct inject {
	pid_t pid;
	int memfd;	     /* /proc/PID/mem, read-write */
	uint64_t page;	     /* trampoline + scratch page in the tracee */
	int own_page;	     /* we mapped it and must unmap it */
	arch_regs_t saved;   /* registers to put back when done */
	uint64_t saved_mask; /* signal mask to put back */
	int held_stop;	     /* a stop signal that arrived meanwhile (re-sent at the end) */
	int trap_ignored;    /* SIGTRAP is to be ignored: set again at the end */
	int nheld;	     /* signals to queue again at the end (inject_hold) */
	siginfo_t held[INJECT_HELD_MAX];
};

/* Start a session on a tracee in a ptrace-stop: save registers and mask, block
 * signals, map a page at where (0: anywhere) through an existing syscall
 * instruction. 0 or negative code. */
int inject_begin(struct inject *j, pid_t pid, uint64_t where, struct err *e);
/* Start a session on the restore stub, whose entry point ip is the trampoline. */
int inject_begin_stub(struct inject *j, pid_t pid, uint64_t ip, uint64_t where, struct err *e);
/* Run syscall nr in the tracee; *ret gets its result. 0, or negative when the
 * injection itself failed (tracee died, unexpected stop). */
int inject_call(struct inject *j, long *ret, long nr, long a1, long a2, long a3, long a4, long a5,
		long a6);
/* Copy bytes into the tracee's scratch area at offset off; returns the remote address or 0. */
uint64_t inject_put(struct inject *j, size_t off, const void *buf, size_t len);
/* Read len bytes at a remote address. 0 or -errno. */
int inject_get(struct inject *j, uint64_t addr, void *buf, size_t len);
/* Queue si again when the session ends (a signal taken out of the tracee's
 * queue meanwhile). 0, or -ENOSPC. */
int inject_hold(struct inject *j, const siginfo_t *si);
/* End the session: queue the held signals again, unmap our page (if we own it) and, when restore is
 * set, put the saved registers and mask back. 0 or negative code. */
int inject_end(struct inject *j, int restore, struct err *e);
/* Find a syscall instruction in an executable mapping (vdso first). 0 if none. */
uint64_t inject_find_syscall(pid_t pid, int memfd, uint64_t avoid);
/* Resume a stopped tracee with PTRACE_CONT or PTRACE_SYSCALL and wait for its
 * next stop, swallowing job-control stops (recorded in held_stop).
 * Returns the wait status, or negative when it died. */
int inject_step(struct inject *j, int req, int *status);

/* A tracer and its tracee take turns and never run at once: on one CPU each
 * hand-over is a plain switch, across two it wakes the other CPU, which on a
 * virtual machine costs tens of microseconds per injected call. */
struct inject_pin {
	pid_t pid;
	int on;
	cpu_set_t self, other; /* the affinities to put back */
};
/* Put the calling thread and pid on the CPU this thread runs on, for a run of
 * injected calls. Best effort: on failure nothing is changed. */
void inject_pin(struct inject_pin *p, pid_t pid);
/* Put both affinities back as they were (a no-op if inject_pin did nothing). */
void inject_unpin(struct inject_pin *p);

#endif
