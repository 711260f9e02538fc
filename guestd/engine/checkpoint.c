/* checkpoint.c: atomic, numbered checkpoint files. */
#include "engine/checkpoint.h"
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

/* An unnamed file in the directory of path (O_TMPFILE), or a named
 * temporary where the filesystem cannot do that. *named says which. */
static int ckpt_open_tmp(const char *path, const char *tmp, int *named)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(copy);
	*named = fd < 0;
	if (fd < 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	return fd;
}

/* Give a finished file its final name, replacing any older one atomically. */
static int ckpt_publish(int fd, int named, const char *tmp, const char *final, struct err *e)
{
	if (!named) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		unlink(tmp);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW))
			return err_set(e, -errno, "link %s", tmp);
	}
	if (rename(tmp, final))
		return err_set(e, -errno, "rename %s to %s", tmp, final);
	return 0;
}

/* Write a checkpoint file atomically: killed or failing half-way, an older
 * file of the same name stands and no partial file is left to be mistaken. */
int ckpt_write(pid_t pid, const char *base, int seq, const struct dump_opts *o,
	       struct dump_stats *st, char **path, struct err *e)
{
	char *final = xasprintf("%s.%d", base, seq);
	char *tmp = xasprintf("%s.%d.tmp-%d", base, seq, (int)getpid());
	int named = 0;
	int fd = ckpt_open_tmp(final, tmp, &named);
	int rc = fd < 0 ? err_set(e, -errno, "create a checkpoint file next to %s", final) : 0;
	if (!rc)
		rc = dump_process(pid, fd, o, st, e);
	if (!rc && fsync(fd))
		rc = err_set(e, -errno, "sync %s", final);
	if (!rc)
		rc = ckpt_publish(fd, named, tmp, final, e);
	if (fd >= 0 && close(fd) && !rc)
		rc = err_set(e, -errno, "close %s", final);
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
