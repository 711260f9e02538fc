/* fwdclass: what a migrated process does with each system call named on
 * stdin, one a line ("openat", or "ioctl:TCGETS", "fcntl:F_GETFL",
 * "prctl:PR_SET_NAME" for the calls whose argument decides): prints
 * "name class", class one of forward (run by the deputy at home), local (run
 * by the body itself), home (the process goes home for it), fork (made at
 * the remote node too, when nothing is shared; a thread goes home),
 * local+filemap (anonymous memory locally; a private file mapping filled
 * from home), exec (lead's: run at home, then back), unknown (not a call of
 * this architecture).
 * Used by tests/tools/callsurvey.sh. */
#include "arch/arch.h"
#include "remote/forward.h"

#include <fcntl.h>
#include <linux/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* fcntl commands and prctl options by name (generic Linux numbers). */
#define N(x)                                                                                       \
	{                                                                                          \
#x, x                                                                              \
	}
static const struct {
	const char *name;
	long v;
} consts[] = {
    N(F_DUPFD),
    N(F_GETFD),
    N(F_SETFD),
    N(F_GETFL),
    N(F_SETFL),
    N(F_GETLK),
    N(F_SETLK),
    N(F_SETLKW),
    N(F_SETOWN),
    N(F_GETOWN),
    N(F_SETSIG),
    N(F_GETSIG),
    N(F_SETLEASE),
    N(F_GETLEASE),
    N(F_NOTIFY),
    N(F_DUPFD_CLOEXEC),
    N(F_SETPIPE_SZ),
    N(F_GETPIPE_SZ),
    N(F_ADD_SEALS),
    N(F_GET_SEALS),
    N(F_OFD_GETLK),
    N(F_OFD_SETLK),
    N(F_OFD_SETLKW),
    N(F_GETOWN_EX),
    N(F_SETOWN_EX),
    N(PR_SET_PDEATHSIG),
    N(PR_GET_PDEATHSIG),
    N(PR_GET_DUMPABLE),
    N(PR_SET_DUMPABLE),
    N(PR_SET_NAME),
    N(PR_GET_NAME),
    N(PR_GET_SECCOMP),
    N(PR_SET_SECCOMP),
    N(PR_CAPBSET_READ),
    N(PR_SET_NO_NEW_PRIVS),
    N(PR_GET_NO_NEW_PRIVS),
    N(PR_SET_VMA),
    N(PR_GET_THP_DISABLE),
    N(PR_SET_THP_DISABLE),
    N(PR_SET_CHILD_SUBREAPER),
    N(PR_GET_CHILD_SUBREAPER),
    N(PR_SET_TIMERSLACK),
    N(PR_GET_TIMERSLACK),
    N(PR_SET_KEEPCAPS),
    N(PR_GET_KEEPCAPS),
    N(PR_CAP_AMBIENT),
    N(PR_SET_MM),
    N(PR_GET_TID_ADDRESS),
};

static long const_of(const char *s)
{
	for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
		if (!strcmp(consts[i].name, s))
			return consts[i].v;
	return -1;
}

static long nr_of(const char *name)
{
	for (long nr = 0; nr < 1024; nr++) {
		const char *n = arch_syscall_name(nr);
		if (n && !strcmp(n, name))
			return nr;
	}
	return -1;
}

/* The class of one line. */
static const char *classify(char *line)
{
	long args[6] = {0};
	char *arg = strchr(line, ':');
	if (arg)
		*arg++ = '\0';
	long nr = nr_of(line);
	if (nr < 0)
		return "unknown";
	if (nr == SYS_mmap)
		return "local+filemap";
	if (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork)
		return "fork";
	if (nr == SYS_execve || nr == SYS_execveat)
		return "exec";
	if (arg && nr == SYS_ioctl) {
		if (!strcmp(arg, "BTRFS_IOC_CLONE")) /* (strace's name for FICLONE) */
			arg = "FICLONE";
		long req = arch_ioctl_number(arg);
		if (req < 0)
			return "home";
		args[1] = req;
	} else if (arg && (nr == SYS_fcntl || nr == SYS_prctl)) {
		long v = const_of(arg);
		if (v < 0)
			return "home";
		args[nr == SYS_fcntl ? 1 : 0] = v;
	}
	switch (fwd_classify(nr, args)) {
	case FWD_LOCAL:
		return "local";
	case FWD_FORWARD:
		return "forward";
	default:
		return "home";
	}
}

int main(void)
{
	char line[128];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		char copy[128];
		snprintf(copy, sizeof(copy), "%s", line);
		printf("%s %s\n", line, classify(copy));
	}
	return 0;
}
