/* procstate: process state kept by a move and by checkpoint/recovery: membarrier registrations,
 * oom_score_adj (raised to 500), PR_SET_CHILD_SUBREAPER, PR_SET_THP_DISABLE, the audit loginuid,
 * file leases (a read lease and a write lease on files of its own in $TMPDIR), and O_PATH
 * descriptors (of a directory and of a file) that still name what they named. */
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "progs.h"

#define NAME "procstate"
#define MB_GET_REGISTRATIONS (1 << 9) /* MEMBARRIER_CMD_GET_REGISTRATIONS */

/* membarrier(2) has no libc wrapper. */
static long membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

/* A number from /proc/self/NAME (-1 if absent). */
static long self_num(const char *name)
{
	char p[64], buf[64] = "";
	snprintf(p, sizeof(p), "/proc/self/%s", name);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 10);
}

/* Make a file of ours at path and open it with flags. */
static int own_file(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "lease\n", 6) != 6)
		progs_fail(NAME, "create %s: %m", path);
	close(fd);
	if ((fd = open(path, flags)) < 0)
		progs_fail(NAME, "open %s: %m", path);
	return fd;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char rd[4096], wr[4096];
	tmp = tmp && *tmp ? tmp : "/tmp";
	snprintf(rd, sizeof(rd), "%s/mostest-lease-r.%d", tmp, (int)getpid());
	snprintf(wr, sizeof(wr), "%s/mostest-lease-w.%d", tmp, (int)getpid());

	long reg = membarrier(MB_GET_REGISTRATIONS);
	if (reg < 0)
		progs_fail(NAME, "membarrier GET_REGISTRATIONS: %m (a kernel older than 6.3)");
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) ||
	    membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED))
		progs_fail(NAME, "membarrier register: %m");
	reg = membarrier(MB_GET_REGISTRATIONS);
	FILE *f = fopen("/proc/self/oom_score_adj", "we");
	if (!f || fprintf(f, "500\n") < 0 || fclose(f))
		progs_fail(NAME, "set oom_score_adj: %m");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) || prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		progs_fail(NAME, "prctl: %m");
	long luid = self_num("loginuid");
	int rfd = own_file(rd, O_RDONLY), wfd = own_file(wr, O_RDWR);
	if (fcntl(rfd, F_SETLEASE, F_RDLCK) || fcntl(wfd, F_SETLEASE, F_WRLCK))
		progs_fail(NAME, "F_SETLEASE: %m");
	int pdir = open(tmp, O_PATH | O_DIRECTORY), pfile = open(rd, O_PATH);
	struct stat dsb, fsb;
	if (pdir < 0 || pfile < 0 || fstat(pdir, &dsb) || fstat(pfile, &fsb))
		progs_fail(NAME, "O_PATH open: %m");

	progs_wait(NAME);

	long now = membarrier(MB_GET_REGISTRATIONS);
	if (now != reg)
		progs_fail(NAME, "membarrier registrations were %#lx, now %#lx", reg, now);
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		progs_fail(NAME, "membarrier PRIVATE_EXPEDITED: %m");
	if ((now = self_num("oom_score_adj")) != 500)
		progs_fail(NAME, "oom_score_adj is %ld, want 500", now);
	int reaper = -1;
	if (prctl(PR_GET_CHILD_SUBREAPER, &reaper, 0, 0, 0) || reaper != 1)
		progs_fail(NAME, "child subreaper is %d, want 1", reaper);
	if ((now = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)) != 1)
		progs_fail(NAME, "PR_GET_THP_DISABLE is %#lx, want 1", now);
	if ((now = self_num("loginuid")) != luid)
		progs_fail(NAME, "loginuid was %ld, now %ld", luid, now);
	if ((now = fcntl(rfd, F_GETLEASE)) != F_RDLCK)
		progs_fail(NAME, "read lease is %ld, want F_RDLCK", now);
	if ((now = fcntl(wfd, F_GETLEASE)) != F_WRLCK)
		progs_fail(NAME, "write lease is %ld, want F_WRLCK", now);
	struct stat d2, f2;
	if (fstat(pdir, &d2) || fstat(pfile, &f2))
		progs_fail(NAME, "fstat of the O_PATH fds: %m");
	if (d2.st_ino != dsb.st_ino || f2.st_ino != fsb.st_ino)
		progs_fail(NAME, "an O_PATH fd names another file");
	if (!(fcntl(pdir, F_GETFL) & O_PATH) || !(fcntl(pfile, F_GETFL) & O_PATH))
		progs_fail(NAME, "an fd is no longer O_PATH");
	char buf[8];
	if (read(pfile, buf, 1) != -1 || errno != EBADF)
		progs_fail(NAME, "read through an O_PATH fd did not fail with EBADF");
	int viapath = openat(pdir, strrchr(rd, '/') + 1, O_RDONLY | O_NONBLOCK);
	if (viapath < 0)
		progs_fail(NAME, "openat through the O_PATH directory: %m");
	close(viapath);
	fcntl(rfd, F_SETLEASE, F_UNLCK);
	fcntl(wfd, F_SETLEASE, F_UNLCK);
	if (!getenv("MOSTEST_KEEP")) {
		unlink(rd);
		unlink(wr);
	}
	progs_pass(NAME);
}
