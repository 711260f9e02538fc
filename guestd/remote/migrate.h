/* migrate.h: what home and remote nodes say to each other about a migrated
 * process, on top of the authenticated wire protocol (appliance/wire.h).
 *
 *   home -> remote   WIRE_MIGRATE {struct mig_hello}, WIRE_IMAGE..., WIRE_IMAGE_END
 *   remote -> home   WIRE_STARTED {struct mig_status}      (status 0: the body runs)
 *   remote -> home   WIRE_SYSCALL {forward.h request}      home -> remote WIRE_SYSRET {reply}
 *   home -> remote   WIRE_SIGNAL {struct mig_signal}       (a signal for the body)
 *   remote -> home   WIRE_EXIT {struct mig_exit}           (the body ended: wait status)
 *   remote -> home   WIRE_STOPPED {struct mig_signal}      (the body stopped: SIGSTOP, SIGTSTP...)
 *   remote -> home   WIRE_FORK {struct mig_fork}           (the body forked at the remote
 *                    node; its child, stopped there, is rpid) home -> remote WIRE_SYSRET
 *                    {the home pid of the child deputy, or -errno}, once the child deputy
 *                    made a connection of its own that begins with
 *   home -> remote   WIRE_ADOPT {struct mig_adopt}          (serve the child rpid as a body)
 *   home -> remote   WIRE_GOHOME {}                         (bring it back)
 *   remote -> home   WIRE_GOHOME {struct mig_status}, WIRE_IMAGE..., WIRE_IMAGE_END
 *                    (coming home, asked or because of a call only home can run)
 *   remote -> home   WIRE_EXEC {struct mig_exec, path, argv and envp strings, each with its
 *                    NUL}   home -> remote WIRE_SYSRET {-errno: the exec failed at home}, or
 *                    WIRE_EXECED {} (it ran at home: the body ends; the new program comes to
 *                    the same node on a new connection)
 */
#ifndef GUESTD_MIGRATE_H
#define GUESTD_MIGRATE_H

#include "appliance/err.h"
#include "appliance/wire.h"
#include "engine/dump.h"
#include "engine/restore.h"

#include <stdint.h>
#include <sys/types.h>

#define MIG_F_NO_HOME 1u /* mosrun -e: calls that need home fail with ENOSYS instead */

struct mig_hello {
	int32_t home_node, home_pid;
	uint32_t uid, flags;
};

struct mig_status {
	int32_t status; /* 0 or negative errno */
	char msg[500];
};

struct mig_signal {
	int32_t sig, pad;
};

struct mig_fork {
	int32_t rpid, pad; /* the child at the remote node, stopped and untraced */
	uint64_t flags;	   /* the program's clone flags (the exit signal is kept at home) */
	uint64_t ctid;	   /* CLONE_CHILD_SETTID: where the child keeps its tid */
};

struct mig_adopt {
	struct mig_hello hello; /* home_pid: the child deputy */
	int32_t rpid, pad;
	uint64_t ctid; /* write home_pid there before the child runs (0: none) */
};

struct mig_exec {
	int32_t nr;	      /* execve or execveat */
	int32_t dirfd, flags; /* execveat's */
	uint32_t argc, envc;  /* strings after the path */
	uint32_t pad;
	uint64_t blocked, ignored, pending; /* the body's signals: an exec keeps them */
};

#define MIG_EXEC_MAX (2u << 20)	     /* request bytes: the deputy's scratch holds them */
#define MIG_EXEC_STRMAX (128u << 10) /* one string, as the kernel's MAX_ARG_STRLEN */
#define MIG_EXEC_MAXARGS (1u << 16)  /* argv and envp entries, each */

struct mig_exit {
	int32_t wstatus, pad;
};

/* Send a stopped process's image as WIRE_IMAGE frames and WIRE_IMAGE_END. */
int mig_send_image(struct wire_conn *c, pid_t pid, const struct dump_opts *o, struct dump_stats *st,
		   struct err *e);
/* Restore an image arriving as WIRE_IMAGE frames, through WIRE_IMAGE_END. */
int mig_recv_image(struct wire_conn *c, const struct restore_opts *o, pid_t *pid,
		   struct restore_info *info, struct err *e);
/* Call fn(bytes so far, arg) about every 8 MiB of image sent or received by
 * this process (NULL: no more calls). For progress lines; one at a time. */
void mig_set_progress(void (*fn)(uint64_t bytes, void *arg), void *arg);

/* Send a status frame of the given type. */
int mig_send_status(struct wire_conn *c, uint16_t type, int status, const char *msg, struct err *e);

#endif
