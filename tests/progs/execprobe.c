/* execprobe: what execve must keep and change, checked by the program itself
 * after a chain of execs (run migrated, each exec happens at the remote node):
 *   execprobe N    exec itself N times, then wait (progs_wait) and check
 *   execprobe      (the protocol of tests/progs) wait first, then exec twice
 * Across every exec: the pid, argv and the environment arrive as passed; a
 * descriptor without close-on-exec stays open and one with it is closed; the
 * signal mask and ignored signals are kept, caught ones are reset to default;
 * comm is the program's name; a failed execve (ENOENT, EFAULT, ENOTDIR)
 * returns its error and the program carries on. */
#include "progs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define NAME "execprobe"
#define KEEP_FD 40
#define GONE_FD 41

static void on_usr2(int sig)
{
	(void)sig;
}

/* Before the first exec: descriptors, signal state, failing execs. */
static void setup(char *self)
{
	int fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, KEEP_FD) != KEEP_FD || dup3(fd, GONE_FD, O_CLOEXEC) != GONE_FD)
		progs_fail(NAME, "descriptors: %s", strerror(errno));
	close(fd);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR2, on_usr2);
	char *none[] = {self, NULL};
	if (execv("/nonexistent/execprobe", none) != -1 || errno != ENOENT)
		progs_fail(NAME, "execv of a missing file: errno %d, not ENOENT", errno);
	if (syscall(SYS_execve, (char *)8, none, NULL) != -1 || errno != EFAULT)
		progs_fail(NAME, "execve of a bad pointer: errno %d, not EFAULT", errno);
	if (execv("/dev/null/x", none) != -1 || errno != ENOTDIR)
		progs_fail(NAME, "execv through a file: errno %d, not ENOTDIR", errno);
}

/* After the last exec: what the chain must have kept. */
static void check(pid_t first, const char *marker)
{
	char comm[32] = "";
	prctl(PR_GET_NAME, comm);
	if (getpid() != first)
		progs_fail(NAME, "pid %d after exec, %d before", (int)getpid(), (int)first);
	if (!marker || strcmp(marker, "with spaces and \"quotes\""))
		progs_fail(NAME, "environment: EXECPROBE_MARK=%s", marker ? marker : "(none)");
	if (fcntl(KEEP_FD, F_GETFD) < 0)
		progs_fail(NAME, "fd %d (no close-on-exec) was closed", KEEP_FD);
	if (fcntl(GONE_FD, F_GETFD) >= 0 || errno != EBADF)
		progs_fail(NAME, "fd %d (close-on-exec) is still open", GONE_FD);
	sigset_t set;
	sigprocmask(SIG_BLOCK, NULL, &set);
	if (!sigismember(&set, SIGUSR1))
		progs_fail(NAME, "the signal mask was not kept");
	struct sigaction sa;
	sigaction(SIGPIPE, NULL, &sa);
	if (sa.sa_handler != SIG_IGN)
		progs_fail(NAME, "an ignored signal is no longer ignored");
	sigaction(SIGUSR2, NULL, &sa);
	if (sa.sa_handler != SIG_DFL)
		progs_fail(NAME, "a caught signal was not reset to its default");
	if (strcmp(comm, NAME))
		progs_fail(NAME, "comm is '%s'", comm);
}

/* Exec self with n - 1 execs to go. */
static void chain(char *self, int n, pid_t first)
{
	char left[16], pid[16];
	snprintf(left, sizeof(left), "%d", n - 1);
	snprintf(pid, sizeof(pid), "%d", (int)first);
	char *args[] = {self, left, pid, "an argument with spaces", NULL};
	setenv("EXECPROBE_MARK", "with spaces and \"quotes\"", 1);
	execv(self, args);
	progs_fail(NAME, "execv %s: %s", self, strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc < 4) { /* the start: N execs, or (no argument) a wait, then two */
		int n = argc > 1 ? atoi(argv[1]) : 2;
		if (n < 1)
			return fprintf(stderr, "usage: execprobe [N]\n"), 2;
		setup(argv[0]);
		if (argc == 1)
			progs_wait(NAME); /* a harness moves it here: the execs come after */
		chain(argv[0], n, getpid());
	}
	int n = atoi(argv[1]);
	pid_t first = (pid_t)atoi(argv[2]);
	if (strcmp(argv[3], "an argument with spaces"))
		progs_fail(NAME, "argv[3] arrived as '%s'", argv[3]);
	if (n > 0)
		chain(argv[0], n, first);
	check(first, getenv("EXECPROBE_MARK"));
	progs_wait(NAME);
	check(first, getenv("EXECPROBE_MARK"));
	progs_pass(NAME);
}
