/* restore.h: rebuild a process from its image. */
#ifndef GUESTD_RESTORE_H
#define GUESTD_RESTORE_H

#include "appliance/err.h"
#include "engine/image.h"

#include <stdint.h>
#include <sys/types.h>

/* Where a redirected fd starts (mosrun -O fd=file[,append|,rewind]). */
enum redir_mode {
	REDIR_KEEP,   /* at the program's offset (a new file is extended up to it) */
	REDIR_APPEND, /* O_APPEND: every write goes to the end; the content is kept */
	REDIR_REWIND, /* at offset 0, the file truncated first (if opened for writing) */
};

/* Open this file on fd instead of what the image says (mosrun -O fd=file). */
struct fd_redirect {
	int fd;
	const char *path;
	enum redir_mode mode;
};

#define RESTORE_INTO                                                                               \
	1u		   /* into an existing process (o->into): a body coming home into          \
			    * its deputy, which keeps its own fds, cwd, umask and limits */
#define RESTORE_SANDBOX 2u /* a migrated body: no fds, confined by o->sandbox */
/* Restoring from a regular file: map full, uncompressed PAGES records of
 * anonymous memory from the image file (MAP_PRIVATE) instead of copying
 * them. Every record is still checked against its CRC, and the END record
 * too, before the process can run; but its memory then stays backed by the
 * file until written: the file must not be truncated (SIGBUS) or rewritten in
 * place (the process would see it) while the process lives. Checkpoint files
 * are replaced by rename, which is safe. A later dump of such a process
 * stores those pages as anonymous memory again. */
#define RESTORE_MAP 4u

#define RESTORE_BODY_NPROC 4096 /* RLIMIT_NPROC of bodies (their user's process count) */

/* The confinement of a body on a node that is not its home. */
struct restore_sandbox {
	const char *root; /* an empty directory to chroot into */
	uid_t uid;	  /* unprivileged identity */
	gid_t gid;
	const void *filter; /* seccomp BPF program (struct sock_filter[]) */
	unsigned short filter_len;
	uint64_t mem_limit; /* bytes of address space (RLIMIT_AS); 0: none */
};

struct restore_opts {
	const struct fd_redirect *redir;
	size_t nredir;
	unsigned long ptrace_opts; /* PTRACE_O_* the new tracee is seized with */
	unsigned mode;		   /* RESTORE_* */
	pid_t into;		   /* with RESTORE_INTO: seized and in a ptrace-stop */
	const struct restore_sandbox *sandbox;
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
/* The same from any stream. With RESTORE_INTO a failure leaves o->into
 * without a usable address space: the caller must kill it. */
int restore_process_io(const struct img_io *in, const struct restore_opts *o, pid_t *pid,
		       struct restore_info *info, struct err *e);

#endif
