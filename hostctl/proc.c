/* proc.c: run helper programs and collect their output. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "sbuf.h"

/* Read a pipe until EOF into a string. */
static char *proc_slurp(int fd)
{
	struct sbuf b = {0};
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		sbuf_printf(&b, "%.*s", (int)n, buf);
	}
	return sbuf_take(&b);
}

/* The last non-empty line of s (in place). */
static const char *proc_last_line(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	char *nl = strrchr(s, '\n');
	return nl ? nl + 1 : s;
}

/* Child side: wire up fds and exec. */
static void proc_child(char *const argv[], int out_fd, int err_fd)
{
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(out_fd >= 0 ? out_fd : null, 1);
	dup2(err_fd, 2);
	/* nothing else of ours: a daemon started here (libvirtd) would hold
	 * the caller's descriptors for good (a test lock, sockets) */
	syscall(SYS_close_range, 3, ~0u, 0);
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Run a program to completion. Both pipes are read by the parent; stdout first
 * is safe because our helpers write little to stderr. */
int proc_run(char *const argv[], char **out, struct err *e)
{
	int op[2], ep[2];
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0)
		return err_set(e, -errno, "pipe");
	pid_t pid = fork();
	if (pid < 0)
		return err_set(e, -errno, "fork");
	if (pid == 0)
		proc_child(argv, op[1], ep[1]);
	close(op[1]);
	close(ep[1]);
	_cleanup_free_ char *o = proc_slurp(op[0]);
	_cleanup_free_ char *er = proc_slurp(ep[0]);
	close(op[0]);
	close(ep[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		const char *last = proc_last_line(er);
		return err_setx(
		    e, -EIO, "%s failed (%s %d)%s%s", argv[0], WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), *last ? ": " : "", last);
	}
	if (out)
		*out = TAKE_PTR(o);
	return 0;
}

/* Start a child whose stderr we keep. */
int proc_start(char *const argv[], int *errfd, struct err *e)
{
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) < 0)
		return err_set(e, -errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int r = err_set(e, -errno, "fork");
		close(ep[0]);
		close(ep[1]);
		return r;
	}
	if (pid == 0)
		proc_child(argv, -1, ep[1]);
	close(ep[1]);
	*errfd = ep[0];
	return pid;
}

/* Collect a proc_start child. */
int proc_wait(int pid, int errfd, const char *argv0, struct err *e)
{
	_cleanup_free_ char *er = proc_slurp(errfd);
	close(errfd);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	const char *last = proc_last_line(er);
	return err_setx(e, -EIO, "%s failed (%s %d)%s%s", argv0, WIFEXITED(st) ? "exit" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), *last ? ": " : "", last);
}

/* Look a program up in PATH. */
int proc_have(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	const char *path = getenv("PATH");
	_cleanup_free_ char *p = xstrdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(p, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *f = xasprintf("%s/%s", d, prog);
		if (access(f, X_OK) == 0)
			return 1;
	}
	return 0;
}
