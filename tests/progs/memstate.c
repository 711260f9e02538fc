/* memstate: memory and timers that used to pin a process home move with it: a one-page
 * MAP_SHARED|MAP_ANONYMOUS handshake page left over from a fork (the child is gone) and a larger
 * shared anonymous area, partly touched (both still shared after, with a child forked then); a
 * deleted file mapped privately (pages read, written and never touched; a mapping reaching two
 * pages past its end, which cannot be read there); POSIX timers (a 40 ms
 * periodic one with SIGUSR1 and a value, a 100 s one-shot on CLOCK_REALTIME, a SIGEV_NONE one)
 * keep their IDs, clocks, values and remaining time, and the periodic one keeps its rate. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "progs.h"

#define NAME "memstate"
#define PAGE 4096UL
#define FILE_PAGES 8
#define BIG (64 * PAGE)

static volatile int ticks, bad_value;

/* Count the periodic timer's signals; each must carry its value. */
static void on_tick(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si->si_code != SI_TIMER || si->si_value.sival_int != 77)
		bad_value = 1;
	ticks++;
}

/* Seconds on CLOCK_MONOTONIC. */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds in a timespec. */
static double secs(struct timespec t)
{
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The deleted file's byte at i. */
static uint8_t fbyte(size_t i)
{
	return (uint8_t)(i * 13 + i / PAGE + 5);
}

/* Create a timer with the given notification; fail on error. */
static timer_t make_timer(clockid_t clk, int notify, int sig, int value)
{
	struct sigevent sev;
	timer_t t;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = notify;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = value;
	if (timer_create(clk, &sev, &t))
		progs_fail(NAME, "timer_create: %m");
	return t;
}

/* Arm a timer. */
static void arm(timer_t t, double value, double interval)
{
	struct itimerspec its;
	its.it_value.tv_sec = (time_t)value;
	its.it_value.tv_nsec = (long)((value - (double)(time_t)value) * 1e9);
	its.it_interval.tv_sec = (time_t)interval;
	its.it_interval.tv_nsec = (long)((interval - (double)(time_t)interval) * 1e9);
	if (timer_settime(t, 0, &its, NULL))
		progs_fail(NAME, "timer_settime: %m");
}

int main(void)
{
	/* the handshake page: shared with a child that has exited since */
	volatile uint32_t *hs =
	    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (hs == MAP_FAILED || big == MAP_FAILED)
		progs_fail(NAME, "mmap shared: %m");
	pid_t c = fork();
	if (c < 0)
		progs_fail(NAME, "fork: %m");
	if (c == 0) {
		hs[0] = 0xfeedbeef; /* written by the child only */
		for (size_t i = 0; i < BIG; i += 2 * PAGE)
			big[i] = (uint8_t)(i / PAGE + 1);
		_exit(0);
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		progs_fail(NAME, "handshake child failed");

	/* a deleted file, mapped privately */
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/mostest-memstate.%d", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		progs_fail(NAME, "create %s: %m", path);
	static uint8_t fbuf[FILE_PAGES * PAGE];
	for (size_t i = 0; i < sizeof(fbuf); i++)
		fbuf[i] = fbyte(i);
	if (write(fd, fbuf, sizeof(fbuf)) != (ssize_t)sizeof(fbuf))
		progs_fail(NAME, "write %s: %m", path);
	uint8_t *fm = mmap(NULL, sizeof(fbuf), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	uint8_t *fro = mmap(NULL, sizeof(fbuf), PROT_READ, MAP_PRIVATE, fd, 0);
	/* two pages past the end of the file: they cannot be read (and are
	 * never touched); a move leaves them out and keeps the rest */
	uint8_t *fpast = mmap(NULL, sizeof(fbuf) + 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fm == MAP_FAILED || fro == MAP_FAILED || fpast == MAP_FAILED)
		progs_fail(NAME, "mmap %s: %m", path);
	close(fd);
	unlink(path);
	fm[3 * PAGE + 7] = 0x5a;		 /* a private change */
	(void)*(volatile uint8_t *)(fro + PAGE); /* read one page; the others never touched */

	/* POSIX timers */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_tick;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	timer_t tp = make_timer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 77);
	timer_t to = make_timer(CLOCK_REALTIME, SIGEV_SIGNAL, SIGUSR2, 5);
	timer_t tn = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
	arm(tp, 0.04, 0.04);
	arm(to, 100, 0);
	arm(tn, 30, 0);
	double t0 = now();
	int ticks0 = ticks;

	progs_wait(NAME);

	double waited = now() - t0;
	int got = ticks - ticks0;
	/* the rate while it was away: not lost, not doubled */
	if (got > waited / 0.04 * 1.3 + 3)
		progs_fail(NAME, "%d ticks of a 40 ms timer in %.2f s (doubled?)", got, waited);
	struct itimerspec its;
	if (timer_gettime(to, &its))
		progs_fail(NAME, "timer_gettime one-shot: %m");
	/* (it counted down, but not while it was a checkpoint file: the
	 * monotonic clock did) */
	double left = secs(its.it_value), want = 100 - (now() - t0);
	if (left > 100.0 || left < want - 1.0 || secs(its.it_interval) != 0)
		progs_fail(NAME, "one-shot timer has %.3f s left, want %.3f to 100", left, want);
	if (timer_gettime(tn, &its) || secs(its.it_value) > 30.0 ||
	    secs(its.it_value) < 30 - (now() - t0) - 1.0)
		progs_fail(NAME, "SIGEV_NONE timer has %.3f s left", secs(its.it_value));
	if (timer_gettime(tp, &its) || secs(its.it_interval) < 0.039 ||
	    secs(its.it_interval) > 0.041)
		progs_fail(NAME, "periodic timer interval %.3f s", secs(its.it_interval));
	int before = ticks;
	double t1 = now();
	while (now() - t1 < 0.5)
		;
	if (ticks - before < 8 || ticks - before > 17)
		progs_fail(NAME, "periodic timer gave %d ticks in 0.5 s, want about 12",
			   ticks - before);
	if (bad_value)
		progs_fail(NAME, "a timer signal came without its value or SI_TIMER");
	timer_t again = make_timer(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0);
	if (again == tn || again == tp || again == to)
		progs_fail(NAME, "a new timer got the ID %p of one in use", again);

	if (hs[0] != 0xfeedbeef)
		progs_fail(NAME, "handshake page holds %#x", hs[0]);
	for (size_t i = 0; i < BIG; i++)
		if (big[i] != (i % (2 * PAGE) ? 0 : (uint8_t)(i / PAGE + 1)))
			progs_fail(NAME, "shared area byte %zu is %u", i, big[i]);
	for (size_t i = 0; i < sizeof(fbuf); i++) {
		uint8_t w = i == 3 * PAGE + 7 ? 0x5a : fbyte(i);
		if (fm[i] != w || fro[i] != fbyte(i) || fpast[i] != fbyte(i))
			progs_fail(NAME, "deleted file's mapping: byte %zu is %u/%u/%u, want %u/%u",
				   i, fm[i], fro[i], fpast[i], w, fbyte(i));
	}
	/* still shared: a child's write shows in the parent */
	c = fork();
	if (c < 0)
		progs_fail(NAME, "fork after: %m");
	if (c == 0) {
		hs[0] = 0x600d;
		big[PAGE + 1] = 0x42;
		_exit(0);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		progs_fail(NAME, "child after failed");
	if (hs[0] != 0x600d || big[PAGE + 1] != 0x42)
		progs_fail(NAME, "shared memory is no longer shared with a child");
	progs_pass(NAME);
}
