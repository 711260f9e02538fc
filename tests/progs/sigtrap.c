/* sigtrap: a program's own SIGTRAPs behave as natively: int3 and raise(SIGTRAP) run its handler
 * (si_code SI_KERNEL and SI_TKILL), the handler is still installed afterwards, and a SIGTRAP
 * raised while blocked stays pending and is read through a signalfd. With the argument "pipe"
 * it keeps a pipe open (a checkpoint of it is refused; the pending SIGTRAP must survive that).
 * With "ignore" SIGTRAP is ignored instead: raise() does nothing, before and after. With
 * "storm" it raises SIGTRAP in a loop, each run by its handler, while checkpoints are refused. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include "progs.h"

#define NAME "sigtrap"

static volatile int hits, last_code;

/* Count SIGTRAPs and remember how the last one came. */
static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	hits++;
	last_code = si->si_code;
}

/* Execute a breakpoint instruction. */
static void breakpoint(void)
{
#if defined(__x86_64__)
	__asm__ volatile("int3");
#else
	raise(SIGTRAP);
#endif
}

/* One int3 and one raise(SIGTRAP), SIGTRAP unblocked: the handler runs twice. */
static void traps(const char *when)
{
	sigset_t t;
	int before = hits;
	sigemptyset(&t);
	sigaddset(&t, SIGTRAP);
	sigprocmask(SIG_UNBLOCK, &t, NULL);
	breakpoint();
	if (hits != before + 1 || last_code != SI_KERNEL)
		progs_fail(NAME, "%s: int3 ran the handler %d times (code %d), want once with %d",
			   when, hits - before, last_code, SI_KERNEL);
	raise(SIGTRAP);
	if (hits != before + 2 || last_code != SI_TKILL)
		progs_fail(NAME,
			   "%s: raise(SIGTRAP) ran the handler %d times (code %d), want once "
			   "with %d",
			   when, hits - before - 1, last_code, SI_TKILL);
	sigprocmask(SIG_BLOCK, &t, NULL);
}

/* SIGTRAP ignored: raise() does nothing, and it stays ignored. */
static void ignored(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTRAP, &sa, NULL);
	raise(SIGTRAP);
	progs_wait(NAME);
	raise(SIGTRAP);
	if (sigaction(SIGTRAP, NULL, &sa) || sa.sa_handler != SIG_IGN)
		progs_fail(NAME, "SIGTRAP is no longer ignored");
	progs_pass(NAME);
}

/* "storm": raise SIGTRAP with a handler over and over until $MOSTEST_GO
 * exists (checkpoints are refused meanwhile: an open pipe); every raise must
 * have run the handler once, none lost, none doubled, the handler still there. */
static void storm(void)
{
	const char *go = getenv("MOSTEST_GO");
	int p[2];
	long raised = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	if (pipe(p) || sigaction(SIGTRAP, &sa, NULL))
		progs_fail(NAME, "setup: %m");
	progs_say("READY %s pid=%d\n", NAME, (int)getpid());
	for (long i = 0;; i++) {
		if (i % 1024 == 0 && (!go || access(go, F_OK) == 0))
			break;
		raise(SIGTRAP);
		raised++;
		if (hits != raised)
			progs_fail(NAME, "after %ld raises the handler ran %d times", raised, hits);
	}
	struct sigaction now;
	if (sigaction(SIGTRAP, NULL, &now) || now.sa_sigaction != on_trap)
		progs_fail(NAME, "the SIGTRAP handler is gone after %ld raises", raised);
	progs_say("raised %ld\n", raised);
	progs_pass(NAME);
}

int main(int argc, char **argv)
{
	int p[2] = {-1, -1};
	if (argc > 1 && !strcmp(argv[1], "ignore"))
		ignored();
	if (argc > 1 && !strcmp(argv[1], "storm"))
		storm();
	if (argc > 1 && !strcmp(argv[1], "pipe") && pipe(p))
		progs_fail(NAME, "pipe: %m");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, NULL))
		progs_fail(NAME, "sigaction: %m");
	sigset_t t;
	sigemptyset(&t);
	sigaddset(&t, SIGTRAP);
	sigprocmask(SIG_BLOCK, &t, NULL);
	traps("before");
	int sfd = signalfd(-1, &t, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		progs_fail(NAME, "signalfd: %m");
	raise(SIGTRAP); /* blocked: stays pending */

	progs_wait(NAME);

	struct sigaction now;
	if (sigaction(SIGTRAP, NULL, &now) || now.sa_sigaction != on_trap ||
	    !(now.sa_flags & SA_SIGINFO))
		progs_fail(NAME, "the SIGTRAP handler is gone (handler %p, flags %#x)",
			   (void *)now.sa_handler, (unsigned)now.sa_flags);
	sigset_t pend;
	sigpending(&pend);
	if (!sigismember(&pend, SIGTRAP))
		progs_fail(NAME, "the blocked SIGTRAP is no longer pending");
	if (hits != 2)
		progs_fail(NAME, "the handler ran %d times while SIGTRAP was blocked", hits - 2);
	struct signalfd_siginfo si;
	ssize_t n = read(sfd, &si, sizeof(si));
	if (n != (ssize_t)sizeof(si))
		progs_fail(NAME, "can't read signals: %s", n < 0 ? strerror(errno) : "short read");
	if (si.ssi_signo != SIGTRAP || si.ssi_code != SI_TKILL)
		progs_fail(NAME, "signalfd gave signal %u code %d, want SIGTRAP from tkill",
			   si.ssi_signo, si.ssi_code);
	sigpending(&pend);
	if (sigismember(&pend, SIGTRAP))
		progs_fail(NAME, "SIGTRAP still pending after it was read");
	traps("after");
	close(p[0]);
	close(p[1]);
	progs_pass(NAME);
}
