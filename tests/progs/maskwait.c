/* maskwait: waits with a signal mask (pselect6, ppoll, epoll_pwait), as
 * make's jobserver and event loops use them. With SIGUSR1 and SIGUSR2
 * blocked, each wait lets SIGUSR1 through: a SIGUSR1 sent meanwhile (by a
 * child) or already pending ends the wait with EINTR and is handled; a
 * SIGUSR2 does not end it (the wait times out) and stays pending; after
 * every wait the old mask is back. Prints PASS or FAIL. */
#include "progs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#define NAME "maskwait"

static volatile sig_atomic_t got1, got2;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		got1++;
	else
		got2++;
}

/* A child that sends sig to us after ms milliseconds. */
static pid_t send_later(int sig, int ms)
{
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		usleep((useconds_t)ms * 1000);
		kill(parent, sig);
		_exit(0);
	}
	return c;
}

/* SIGUSR1 and SIGUSR2 still blocked, as before the wait. */
static void check_mask(const char *after)
{
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	if (!sigismember(&now, SIGUSR1) || !sigismember(&now, SIGUSR2))
		progs_fail(NAME, "the mask was not restored after %s", after);
}

/* One wait of the given kind on fd (never ready) with mask, timeout ms. */
static int wait_one(int kind, int fd, int ep, const sigset_t *mask, int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	if (kind == 0) {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(fd, &r);
		return pselect(fd + 1, &r, NULL, NULL, &ts, mask);
	}
	if (kind == 1) {
		struct pollfd p = {fd, POLLIN, 0};
		return ppoll(&p, 1, &ts, mask);
	}
	struct epoll_event ev;
	return epoll_pwait(ep, &ev, 1, ms, mask);
}

int main(void)
{
	static const char *const kinds[] = {"pselect6", "ppoll", "epoll_pwait"};
	int p[2], ep;
	struct epoll_event ev = {EPOLLIN, {0}};
	sigset_t block, let1;
	signal(SIGUSR1, on_sig);
	signal(SIGUSR2, on_sig);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&let1);
	sigaddset(&let1, SIGUSR2);
	progs_wait(NAME); /* (no descriptors yet: a checkpoint of it is not refused) */
	if (pipe(p) || (ep = epoll_create1(0)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev))
		progs_fail(NAME, "setup: %s", strerror(errno));
	for (int k = 0; k < 3; k++) {
		/* a SIGUSR1 that arrives during the wait ends it */
		int before = got1;
		pid_t c = send_later(SIGUSR1, 300);
		int rc = wait_one(k, p[0], ep, &let1, 20000);
		if (rc != -1 || errno != EINTR || got1 != before + 1)
			progs_fail(NAME, "%s: SIGUSR1 during the wait: rc %d errno %d, handled %d",
				   kinds[k], rc, errno, got1 - before);
		waitpid(c, NULL, 0);
		check_mask(kinds[k]);
		/* one already pending ends it at once */
		raise(SIGUSR1);
		rc = wait_one(k, p[0], ep, &let1, 20000);
		if (rc != -1 || errno != EINTR || got1 != before + 2)
			progs_fail(NAME, "%s: SIGUSR1 pending: rc %d errno %d, handled %d",
				   kinds[k], rc, errno, got1 - before);
		check_mask(kinds[k]);
		/* a SIGUSR2 (blocked by the wait's mask too) does not end it */
		c = send_later(SIGUSR2, 100);
		rc = wait_one(k, p[0], ep, &let1, 1500);
		waitpid(c, NULL, 0);
		if (rc != 0 || got2)
			progs_fail(NAME, "%s: a blocked SIGUSR2 ended the wait (rc %d errno %d)",
				   kinds[k], rc, errno);
		sigset_t pend;
		sigpending(&pend);
		if (!sigismember(&pend, SIGUSR2))
			progs_fail(NAME, "%s: the blocked SIGUSR2 is not pending", kinds[k]);
		sigprocmask(SIG_UNBLOCK, &let1, NULL);
		sigprocmask(SIG_BLOCK, &block, NULL);
		if (got2 != 1)
			progs_fail(NAME, "%s: SIGUSR2 handled %d times once unblocked", kinds[k],
				   got2);
		got2 = 0;
	}
	progs_pass(NAME);
}
