/* freeze.c: PTRACE_INTERRUPT-based freezing. */
#include "engine/freeze.h"
#include "arch/arch.h"
#include "engine/inject.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELD_MAX 32

/* Queue held signals back into the frozen task (inject_end does it, with
 * every signal blocked, so that none of them is taken for our trap). */
static int freeze_requeue(pid_t pid, siginfo_t *held, int n, struct err *e)
{
	struct inject j;
	int rc = inject_begin(&j, pid, 0, e);
	for (int i = 0; !rc && i < n; i++)
		if (inject_hold(&j, &held[i]))
			rc = err_setx(e, -ENOSPC, "pid %d: too many signals to queue again", pid);
	int rc2 = inject_end(&j, 1, rc ? NULL : e);
	return rc ? rc : rc2;
}

/* Freeze a tracee: bring it to a PTRACE_EVENT_STOP. Any other ptrace stop
 * met on the way (a seccomp or fork event, a signal) clears the kernel's
 * pending interrupt (ptrace_stop: "any trap clears pending STOP trap"), so
 * the interrupt is asked for again before the tracee goes on. */
int freeze_process(pid_t pid, int *status, struct err *e)
{
	siginfo_t held[HELD_MAX];
	int nheld = 0, trapped = 0;
	arch_regs_t call; /* a call trapped by seccomp on the way: runs after the freeze */
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return err_set(e, -errno, "freeze pid %d", pid);
	for (;;) {
		int st;
		if (waitpid(pid, &st, __WALL) < 0)
			return err_set(e, -errno, "freeze pid %d: wait", pid);
		if (status)
			*status = st;
		if (WIFEXITED(st))
			return err_setx(e, -ESRCH, "pid %d exited (status %d) while being frozen",
					pid, WEXITSTATUS(st));
		if (WIFSIGNALED(st))
			return err_setx(e, -ESRCH,
					"pid %d was killed by signal %d while being frozen", pid,
					WTERMSIG(st));
		if ((st >> 16) == PTRACE_EVENT_STOP)
			break;
		if ((st >> 16) == PTRACE_EVENT_SECCOMP && !trapped && !arch_get_regs(pid, &call)) {
			/* A filtered call (a migrated body's): it must not run here
			 * unsupervised. Skip it now; the frozen task runs it again.
			 * Skipped, it returns to user mode, where the interrupt
			 * stops it before another instruction runs. */
			arch_regs_t skip = call;
			arch_skip_syscall(&skip, -ENOSYS);
			trapped = !arch_set_regs(pid, &skip);
		} else if ((st >> 16) == 0 && nheld < HELD_MAX &&
			   !ptrace(PTRACE_GETSIGINFO, pid, 0, &held[nheld])) {
			nheld++; /* a signal about to be delivered: hold it */
		}
		/* (a fork/exec/... event carries on to the interrupt; a tracee
		 * killed meanwhile is reported by the next wait) */
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	if (trapped) {
		arch_regs_t now;
		if (arch_get_regs(pid, &now) == 0 && arch_ip(&now) == arch_ip(&call)) {
			arch_reexec_syscall(&call);
			arch_set_regs(pid, &call);
		}
	}
	return nheld ? freeze_requeue(pid, held, nheld, e) : 0;
}
