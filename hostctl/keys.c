/* keys.c: ssh keys via ssh-keygen, the cluster key from getrandom. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "proc.h"

/* ssh-keygen into a fresh path. */
int keys_ssh_pair(const char *path, const char *comment, struct err *e)
{
	unlink(path);
	_cleanup_free_ char *pub = xasprintf("%s.pub", path);
	unlink(pub);
	char *argv[] = {"ssh-keygen",	 "-q", "-t",	     "ed25519", "-N", "", "-C",
			(char *)comment, "-f", (char *)path, NULL};
	return proc_run(argv, NULL, e);
}

/* 32 random bytes as 64 hex digits. */
int keys_cluster_key(const char *path, struct err *e)
{
	unsigned char k[32];
	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k))
		return err_set(e, -errno, "getrandom");
	char hex[2 * sizeof(k) + 2];
	for (size_t i = 0; i < sizeof(k); i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	strcat(hex, "\n");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, -errno, "create %s", path);
	int r = util_write_full(fd, hex, strlen(hex));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(hex, sizeof(hex));
	return r < 0 ? err_set(e, r, "write %s", path) : 0;
}

/* The public half of a key pair. */
char *keys_read_pub(const char *path, struct err *e)
{
	_cleanup_free_ char *p = xasprintf("%s.pub", path);
	char *s = NULL;
	ssize_t n = util_read_file(p, &s);
	if (n < 0) {
		err_set(e, (int)n, "read %s", p);
		return NULL;
	}
	return s;
}
