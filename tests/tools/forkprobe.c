/* forkprobe: process creation as a (migrated) program sees it, for the
 * cluster tests. Each way of making a child (glibc fork, vfork, the raw fork
 * syscall, raw clone with CLONE_PARENT_SETTID) must give the parent the
 * child's pid as getpid() says it in the child, the child's getppid() must
 * be the parent, and the parent's wait must see the child's status. With an
 * argument N the children sleep N seconds first (so the harness can look at
 * where they run) and report "CHILD pid" lines.
 * Prints "<way> ok" or "<way> FAIL ...", then "PASS" or "FAIL", exit 0 or 1. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int nap;

/* In the child: send "pid ppid" through the pipe, exit with code. */
static void child(int w, pid_t parent, int code)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %d", (int)getpid(), (int)getppid());
	if (write(w, buf, (size_t)n) != n)
		_exit(99);
	if (nap)
		sleep((unsigned)nap);
	_exit(getppid() == parent ? code : 98);
}

/* Check one child: what it said through r, and its wait status. */
static int check(const char *way, pid_t pid, int r, int code)
{
	char buf[64] = "";
	ssize_t n = read(r, buf, sizeof(buf) - 1);
	int cpid = -1, cppid = -1, st = 0;
	if (n > 0)
		sscanf(buf, "%d %d", &cpid, &cppid);
	if (nap) {
		printf("CHILD %d\n", (int)pid);
		fflush(stdout);
	}
	pid_t w = waitpid(pid, &st, 0);
	int ok = pid > 0 && cpid == pid && cppid == getpid() && w == pid && WIFEXITED(st) &&
		 WEXITSTATUS(st) == code;
	if (ok)
		printf("%s ok\n", way);
	else
		printf("%s FAIL: fork gave %d, child says pid %d ppid %d (parent %d), wait %d "
		       "status %#x (want exit %d)\n",
		       way, (int)pid, cpid, cppid, (int)getpid(), (int)w, st, code);
	fflush(stdout);
	close(r);
	return ok;
}

int main(int argc, char **argv)
{
	int fds[2];
	volatile int ok = 1;
	pid_t me = getpid(), pid;
	nap = argc > 1 ? atoi(argv[1]) : 0;
	setvbuf(stdout, NULL, _IOFBF, 4096);

	if (pipe(fds))
		return 2;
	if ((pid = fork()) == 0)
		child(fds[1], me, 3);
	close(fds[1]);
	ok &= check("fork", pid, fds[0], 3);

	if (pipe(fds))
		return 2;
	if ((pid = (pid_t)syscall(SYS_fork)) == 0)
		child(fds[1], me, 4);
	close(fds[1]);
	ok &= check("sys_fork", pid, fds[0], 4);

	/* vfork: the child may only _exit or exec; it exits at once */
	int st = 0;
	pid = vfork();
	if (pid == 0)
		_exit(5);
	pid_t w = waitpid(pid, &st, 0);
	int vok = pid > 0 && w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5;
	printf("vfork %s\n", vok ? "ok" : "FAIL");
	ok &= vok;

	if (pipe(fds))
		return 2;
	pid_t ptid = 0;
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, 0, 0);
	if (pid == 0)
		child(fds[1], me, 6);
	close(fds[1]);
	int cok = check("clone", pid, fds[0], 6);
	if (ptid != pid) {
		printf("clone FAIL: parent_tid %d, fork gave %d\n", (int)ptid, (int)pid);
		cok = 0;
	}
	ok &= cok;

	printf("%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
