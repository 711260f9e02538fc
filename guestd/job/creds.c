/* creds.c: mosrun's identity. */
#include "job/creds.h"

#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

void creds_init(void)
{
	if (getegid() != getgid())
		setfsgid(getgid());
}

void creds_drop(void)
{
	gid_t g = getgid();
	if (getegid() == g)
		return;
	if (setresgid(g, g, g) == 0)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}
