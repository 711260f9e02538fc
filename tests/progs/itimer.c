/* itimer: a 20 ms ITIMER_REAL keeps firing and a 100 s ITIMER_VIRTUAL keeps counting down. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "progs.h"

#define NAME "itimer"

static volatile sig_atomic_t alarms;

/* Count SIGALRM. */
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Return microseconds of a timeval. */
static long long usec(struct timeval tv)
{
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

/* Sleep for ms milliseconds of wall time, whatever signals arrive. */
static void sleep_ms(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0)
		;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		progs_fail(NAME, "sigaction: %m");

	struct itimerval real = {{0, 20000}, {0, 20000}};
	struct itimerval virt = {{0, 0}, {100, 0}};
	if (setitimer(ITIMER_REAL, &real, NULL) != 0 || setitimer(ITIMER_VIRTUAL, &virt, NULL) != 0)
		progs_fail(NAME, "setitimer: %m");
	struct itimerval v0;
	getitimer(ITIMER_VIRTUAL, &v0);

	progs_wait(NAME);

	struct itimerval v1, r1;
	getitimer(ITIMER_VIRTUAL, &v1);
	getitimer(ITIMER_REAL, &r1);
	if (usec(v1.it_value) == 0)
		progs_fail(NAME, "ITIMER_VIRTUAL is disarmed");
	if (usec(v1.it_value) > usec(v0.it_value))
		progs_fail(NAME, "ITIMER_VIRTUAL went up: %lld us, was %lld us", usec(v1.it_value),
			   usec(v0.it_value));
	if (usec(r1.it_interval) != 20000)
		progs_fail(NAME, "ITIMER_REAL interval %lld us, want 20000", usec(r1.it_interval));

	int before = alarms;
	sleep_ms(200);
	int fired = alarms - before;
	if (fired < 3)
		progs_fail(NAME, "ITIMER_REAL fired %d times in 200 ms, want about 10", fired);
	progs_pass(NAME);
}
