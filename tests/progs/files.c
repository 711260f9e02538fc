/* files: a read fd and a write fd keep their offsets, flags and contents.
 * The files live in $TMPDIR (or /tmp) and are removed at the end unless $MOSTEST_KEEP is set. */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "progs.h"

#define NAME "files"
#define RSIZE 10000
#define RDONE 1234  /* read before the wait */
#define WCHUNK 3000 /* written before and again after */

/* Return the byte at offset i of either file (the read one with salt 1, the written one with 2). */
static uint8_t byte(int salt, size_t i)
{
	return (uint8_t)(i * 13 + salt * 101 + (i >> 8));
}

/* Fill buf with n bytes of pattern salt starting at offset off. */
static void fill(uint8_t *buf, int salt, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = byte(salt, off + i);
}

/* Fail unless fd is at offset want with the given access mode. */
static void check_fd(int fd, const char *what, off_t want, int mode)
{
	off_t off = lseek(fd, 0, SEEK_CUR);
	if (off != want)
		progs_fail(NAME, "%s fd %d at offset %lld, want %lld", what, fd, (long long)off,
			   (long long)want);
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || (fl & O_ACCMODE) != mode || fdfl != FD_CLOEXEC)
		progs_fail(NAME, "%s fd %d flags %#x/%#x, want mode %#x and FD_CLOEXEC", what, fd,
			   fl, fdfl, mode);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char rpath[4096], wpath[4096];
	uint8_t buf[RSIZE], got[RSIZE];
	snprintf(rpath, sizeof(rpath), "%s/mostest-files-r.%d", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());
	snprintf(wpath, sizeof(wpath), "%s/mostest-files-w.%d", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());

	int fd = open(rpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fill(buf, 1, 0, RSIZE);
	if (fd < 0 || write(fd, buf, RSIZE) != RSIZE || close(fd) != 0)
		progs_fail(NAME, "create %s: %m", rpath);
	int rfd = open(rpath, O_RDONLY | O_CLOEXEC);
	int wfd = open(wpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (rfd < 0 || wfd < 0)
		progs_fail(NAME, "open: %m");
	if (read(rfd, got, RDONE) != RDONE || memcmp(got, buf, RDONE) != 0)
		progs_fail(NAME, "first read: %m");
	fill(buf, 2, 0, WCHUNK);
	if (write(wfd, buf, WCHUNK) != WCHUNK)
		progs_fail(NAME, "first write: %m");

	progs_wait(NAME);

	check_fd(rfd, "read", RDONE, O_RDONLY);
	check_fd(wfd, "write", WCHUNK, O_WRONLY);
	ssize_t n = read(rfd, got, RSIZE);
	fill(buf, 1, RDONE, RSIZE - RDONE);
	if (n != RSIZE - RDONE || memcmp(got, buf, RSIZE - RDONE) != 0)
		progs_fail(NAME, "read after restore got %zd bytes (want %d) or wrong ones", n,
			   RSIZE - RDONE);
	fill(buf, 2, WCHUNK, WCHUNK);
	if (write(wfd, buf, WCHUNK) != WCHUNK)
		progs_fail(NAME, "write after restore: %m");

	int cfd = open(wpath, O_RDONLY);
	n = cfd < 0 ? -1 : read(cfd, got, RSIZE);
	fill(buf, 2, 0, 2 * WCHUNK);
	if (n != 2 * WCHUNK || memcmp(got, buf, 2 * WCHUNK) != 0)
		progs_fail(NAME, "written file has %zd bytes (want %d) or wrong ones", n,
			   2 * WCHUNK);
	if (!getenv("MOSTEST_KEEP") && (unlink(rpath) != 0 || unlink(wpath) != 0))
		progs_fail(NAME, "unlink: %m");
	progs_pass(NAME);
}
