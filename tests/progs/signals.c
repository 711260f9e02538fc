/* signals: SIGUSR1 handler (SA_SIGINFO|SA_ONSTACK), sigaltstack and blocked mask survive. */
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "progs.h"

#define NAME "signals"
#define ALT_SIZE (64 * 1024)

static char altstack[ALT_SIZE] __attribute__((aligned(16)));
static volatile sig_atomic_t hits;
static volatile uintptr_t handler_sp;

/* Count the delivery and record where the handler's stack is. */
static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	volatile char here;
	(void)sig, (void)si, (void)uc;
	handler_sp = (uintptr_t)&here;
	hits++;
}

/* Install the handler, the alternate stack and the mask. */
static void setup(sigset_t *mask, stack_t *ss, struct sigaction *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sa_sigaction = on_usr1;
	sa->sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa->sa_mask);
	sigaddset(&sa->sa_mask, SIGTERM);
	if (sigaction(SIGUSR1, sa, NULL) != 0)
		progs_fail(NAME, "sigaction: %m");

	ss->ss_sp = altstack;
	ss->ss_size = ALT_SIZE;
	ss->ss_flags = 0;
	if (sigaltstack(ss, NULL) != 0)
		progs_fail(NAME, "sigaltstack: %m");

	sigemptyset(mask);
	sigaddset(mask, SIGUSR2);
	sigaddset(mask, SIGRTMIN + 3);
	if (sigprocmask(SIG_SETMASK, mask, NULL) != 0)
		progs_fail(NAME, "sigprocmask: %m");
}

/* Check mask, alternate stack and action against what was installed. */
static void verify(const sigset_t *mask, const stack_t *ss0, const struct sigaction *sa0)
{
	sigset_t m;
	sigprocmask(SIG_SETMASK, NULL, &m);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&m, s) != sigismember(mask, s))
			progs_fail(NAME, "signal %d is %s in the mask now", s,
				   sigismember(&m, s) ? "set" : "clear");

	stack_t ss;
	if (sigaltstack(NULL, &ss) != 0)
		progs_fail(NAME, "sigaltstack query: %m");
	if (ss.ss_sp != ss0->ss_sp || ss.ss_size != ss0->ss_size || ss.ss_flags != 0)
		progs_fail(NAME, "altstack %p/%zu/%#x, want %p/%zu/0", ss.ss_sp, ss.ss_size,
			   ss.ss_flags, ss0->ss_sp, ss0->ss_size);

	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	if (sa.sa_sigaction != sa0->sa_sigaction)
		progs_fail(NAME, "SIGUSR1 handler %p, want %p", (void *)sa.sa_sigaction,
			   (void *)sa0->sa_sigaction);
	int flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND;
	if ((sa.sa_flags & flags) != (sa0->sa_flags & flags))
		progs_fail(NAME, "SIGUSR1 flags %#x, want %#x", sa.sa_flags, sa0->sa_flags);
	if (!sigismember(&sa.sa_mask, SIGTERM) || sigismember(&sa.sa_mask, SIGINT))
		progs_fail(NAME, "SIGUSR1 handler mask changed");
}

int main(void)
{
	sigset_t mask;
	stack_t ss;
	struct sigaction sa;
	setup(&mask, &ss, &sa);

	progs_wait(NAME);

	verify(&mask, &ss, &sa);
	raise(SIGUSR1);
	if (hits != 1)
		progs_fail(NAME, "SIGUSR1 handler ran %d times, want 1", (int)hits);
	uintptr_t lo = (uintptr_t)altstack;
	if (handler_sp < lo || handler_sp >= lo + ALT_SIZE)
		progs_fail(NAME, "handler ran at %#lx, outside the alternate stack %#lx+%#x",
			   (unsigned long)handler_sp, (unsigned long)lo, ALT_SIZE);
	progs_pass(NAME);
}
