/* keys.c: ssh keys via ssh-keygen. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
