/* sigprobe: signal semantics of a (migrated) process, for the cluster tests.
 *
 *   sigprobe restart   reads stdin twice, blocking: the first read has a
 *                      SIGUSR1 handler with SA_RESTART (a signal must not
 *                      break it: it returns the data written later), the
 *                      second a SIGUSR2 handler without (it must fail EINTR).
 *                      Prints "READY restart pid=N", "WAIT1", "READ1 <n> <text>
 *                      usr1=<k>", "WAIT2", "READ2 <ret> <errno name> usr2=<k>",
 *                      then "PASS" or "FAIL ...".
 *   sigprobe ticker    prints "TICK n" every 100 ms until a SIGTERM, then
 *                      "DONE n tstp=<k>" and exits 0. With TSTP_HANDLER set in
 *                      the environment it catches SIGTSTP (and so never stops
 *                      by it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, usr2, tstp, term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else if (sig == SIGUSR2)
		usr2++;
	else if (sig == SIGTSTP)
		tstp++;
	else if (sig == SIGTERM)
		term = 1;
}

static void catch (int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int restart(void)
{
	char buf[64];
	catch (SIGUSR1, SA_RESTART);
	catch (SIGUSR2, 0);
	printf("READY restart pid=%d\nWAIT1\n", (int)getpid());
	fflush(stdout);
	ssize_t n = read(0, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("READ1 %zd %s usr1=%d\nWAIT2\n", n, buf, (int)usr1);
	fflush(stdout);
	errno = 0;
	ssize_t m = read(0, buf, sizeof(buf) - 1);
	int err = errno;
	printf("READ2 %zd %s usr2=%d\n", m, err == EINTR ? "EINTR" : strerror(err), (int)usr2);
	if (n > 0 && usr1 == 1 && m == -1 && err == EINTR && usr2 == 1)
		printf("PASS\n");
	else
		printf("FAIL restart\n");
	fflush(stdout);
	return 0;
}

static int ticker(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	catch (SIGTERM, 0);
	if (getenv("TSTP_HANDLER"))
		catch (SIGTSTP, SA_RESTART);
	printf("READY ticker pid=%d\n", (int)getpid());
	fflush(stdout);
	long n = 0;
	while (!term) {
		printf("TICK %ld\n", ++n);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	printf("DONE %ld tstp=%d\n", n, (int)tstp);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 4096);
	if (argc == 2 && !strcmp(argv[1], "restart"))
		return restart();
	if (argc == 2 && !strcmp(argv[1], "ticker"))
		return ticker();
	fprintf(stderr, "usage: sigprobe restart | ticker\n");
	return 2;
}
