/* creds.c: mosrun's identity. */
#include "job/creds.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

void creds_init(void)
{
	if (getegid() != getgid())
		setfsgid(getgid());
}

int creds_drop(int keep1, int keep2)
{
	gid_t g = getgid();
	if (getegid() == g)
		return 0;
	/* mosrun's own descriptors (all close-on-exec: its guestd connection,
	 * its control socket) must not be there once the user may trace this
	 * process; what the user's shell passed on stays for the program */
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd = d ? dirfd(d) : -1;
	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (fd > 2 && fd != dfd && fd != keep1 && fd != keep2 &&
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC))
			close(fd);
	}
	if (d)
		closedir(d);
	if (!d || setresgid(g, g, g) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -1;
	return 0;
}
