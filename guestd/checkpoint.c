/* checkpoint.c: atomic, numbered checkpoint files. */
#include "checkpoint.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fsync the directory holding path, so the rename is durable. */
static void ckpt_sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Write a checkpoint file atomically. */
int ckpt_write(pid_t pid, const char *base, int seq, const struct dump_opts *o,
	       struct dump_stats *st, char **path, struct err *e)
{
	char *final = xasprintf("%s.%d", base, seq);
	char *tmp = xasprintf("%s.%d.tmp-%d", base, seq, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = fd < 0 ? err_set(e, -errno, "create %s", tmp) : 0;
	if (!rc)
		rc = dump_process(pid, fd, o, st, e);
	if (!rc && fsync(fd))
		rc = err_set(e, -errno, "sync %s", tmp);
	if (fd >= 0 && close(fd) && !rc)
		rc = err_set(e, -errno, "close %s", tmp);
	if (!rc && rename(tmp, final))
		rc = err_set(e, -errno, "rename %s to %s", tmp, final);
	if (rc) {
		unlink(tmp);
		free(final);
	} else {
		ckpt_sync_dir(final);
		*path = final;
	}
	free(tmp);
	return rc;
}

/* Split FILE.N. */
int ckpt_split(const char *file, char **base, int *seq)
{
	const char *dot = strrchr(file, '.');
	long n;
	if (!dot || dot == file || util_parse_long(dot + 1, 1, INT_MAX, &n))
		return -EINVAL;
	*base = xasprintf("%.*s", (int)(dot - file), file);
	*seq = (int)n;
	return 0;
}
