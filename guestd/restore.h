/* restore.h: rebuild a process from its image. */
#ifndef GUESTD_RESTORE_H
#define GUESTD_RESTORE_H

#include "appliance/err.h"
#include "image.h"

#include <stdint.h>
#include <sys/types.h>

/* Open this file on fd instead of what the image says (mosrun -O fd=file). */
struct fd_redirect {
	int fd;
	const char *path;
};

struct restore_opts {
	const struct fd_redirect *redir;
	size_t nredir;
	unsigned long ptrace_opts; /* PTRACE_O_* the new tracee is seized with */
};

struct restore_info {
	pid_t old_pid;
	unsigned flags; /* IMG_F_* */
	char comm[16];
	uint64_t pages;
	double t_total;
};

/* Restore the image read from fd into a new child process of the caller,
 * seized with o->ptrace_opts. On success *pid is in a ptrace-stop, ready to
 * be continued with PTRACE_CONT and signal 0. On failure nothing is left. */
int restore_process(int fd, const struct restore_opts *o, pid_t *pid, struct restore_info *info,
		    struct err *e);

#endif
