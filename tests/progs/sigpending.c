/* sigpending: queued SIGUSR2 (value 42) and two SIGRTMIN+1 (7, 8) stay pending and deliver in
 * order. */
#include <signal.h>
#include <string.h>

#include "progs.h"

#define NAME "sigpending"

static volatile int usr2_value = -1, usr2_hits, usr2_code;
static volatile int rt_values[4], rt_hits;

/* Record SIGUSR2's queued value. */
static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	usr2_value = si->si_value.sival_int;
	usr2_code = si->si_code;
	usr2_hits++;
}

/* Record each SIGRTMIN+1 value in arrival order. */
static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (rt_hits < 4)
		rt_values[rt_hits] = si->si_value.sival_int;
	rt_hits++;
}

/* Install a SA_SIGINFO handler. */
static void handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		progs_fail(NAME, "sigaction %d: %m", sig);
}

/* Queue a signal with a value to ourselves. */
static void queue(int sig, int value)
{
	union sigval v = {.sival_int = value};
	if (sigqueue(getpid(), sig, v) != 0)
		progs_fail(NAME, "sigqueue %d: %m", sig);
}

int main(void)
{
	int rt = SIGRTMIN + 1;
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, rt);
	if (sigprocmask(SIG_BLOCK, &block, NULL) != 0)
		progs_fail(NAME, "sigprocmask: %m");
	handle(SIGUSR2, on_usr2);
	handle(rt, on_rt);
	queue(SIGUSR2, 42);
	queue(rt, 7);
	queue(rt, 8);

	progs_wait(NAME);

	sigset_t pend;
	if (sigpending(&pend) != 0)
		progs_fail(NAME, "sigpending: %m");
	if (!sigismember(&pend, SIGUSR2) || !sigismember(&pend, rt))
		progs_fail(NAME, "pending: SIGUSR2 %d, SIGRTMIN+1 %d, want both",
			   sigismember(&pend, SIGUSR2), sigismember(&pend, rt));
	if (usr2_hits || rt_hits)
		progs_fail(NAME, "a blocked signal was delivered early");
	if (sigprocmask(SIG_UNBLOCK, &block, NULL) != 0)
		progs_fail(NAME, "sigprocmask unblock: %m");

	if (usr2_hits != 1 || usr2_value != 42)
		progs_fail(NAME, "SIGUSR2 delivered %d times with value %d, want once with 42",
			   usr2_hits, usr2_value);
	if (usr2_code != SI_QUEUE)
		progs_fail(NAME, "SIGUSR2 si_code %d, want SI_QUEUE", usr2_code);
	if (rt_hits != 2)
		progs_fail(NAME, "SIGRTMIN+1 delivered %d times, want 2", rt_hits);
	if (rt_values[0] != 7 || rt_values[1] != 8)
		progs_fail(NAME, "SIGRTMIN+1 values %d, %d, want 7, 8", rt_values[0], rt_values[1]);
	progs_pass(NAME);
}
