/* remote.h: the home side of a migrated process. While the body runs on
 * another node, the original process stays home as its deputy: same pid,
 * parent, children, fds, cwd, terminal. Its memory is unmapped but for an
 * injection page and a scratch area; it idles in pause() there, so every
 * signal sent to it stops it and is relayed to the body. Forwarded system
 * calls run inside it by injection. */
#ifndef GUESTD_REMOTE_H
#define GUESTD_REMOTE_H

#include "appliance/err.h"
#include "appliance/wire.h"
#include "remote/forward.h"
#include "engine/inject.h"

#include <sys/types.h>

struct deputy {
	pid_t pid;
	int node;
	struct wire_conn c;
	struct inject j;
	uint64_t scratch;
	struct fwd_buf rep;
	int dying;	/* the body died of this signal: let it through to the deputy */
	int idle;	/* running pause() (not in a ptrace-stop) */
	int in_call;	/* running a forwarded call (not in a ptrace-stop) */
	int going_home; /* GOHOME sent: calls still arriving are run at home */
	struct fwd_call call;
	struct fwd_fast fast;  /* calls on its regular files, run without stopping it */
	int gone;	       /* it ended while we waited on it: gone_status is its wait status */
	unsigned flags;	       /* MIG_F_* it was sent with */
	struct deputy *forked; /* a child deputy made for a fork at the remote node, for the job */
	int stop_sig;	       /* the body stopped with it: let it through to stop the deputy too */
	int stopped;	       /* the deputy is in a job-control stop with this signal */
	int gone_status;
	uint64_t sent_bytes; /* the migration that made it: bytes of the image stream */
	double sent_secs;    /* and how long it took, start to running there */
	uint64_t fwd_calls;  /* calls the body forwarded home through it */
	uint64_t fwd_bytes;  /* and their requests' and replies' bytes */
	char home_why[500];  /* REMOTE_HOME: why it came home, as its node said */
};

enum remote_event {
	REMOTE_NONE,   /* served a call or a status; nothing changes */
	REMOTE_EXITED, /* the body ended; the deputy is ending the same way */
	REMOTE_HOME,   /* the process is back home, native, in a ptrace-stop */
	REMOTE_LOST,   /* the link broke: the body and its memory are gone */
	REMOTE_EXECED, /* the body's execve ran at home: the new program is here, stopped
			* at the end of execve, and the body ended */
};

/* Migrate pid (in a ptrace-stop) to node. On success *out is its deputy and
 * msg says where it runs; on failure pid is untouched (still stopped). */
int remote_migrate(pid_t pid, int node, unsigned flags, struct deputy **out, char *msg, size_t len,
		   struct err *e);
/* Serve what arrived on the deputy's connection. */
int remote_on_input(struct deputy *d, enum remote_event *ev, struct err *e);
/* The job's reaper saw the deputy stop (wait status st): finish a forwarded
 * call, relay a signal, or let its final signal through. Returns the stop
 * signal when the deputy entered a job-control stop (its body stopped), else 0. */
int remote_on_stop(struct deputy *d, int st);
/* Bring the body home now (waits for it). */
int remote_go_home(struct deputy *d, enum remote_event *ev, struct err *e);
/* The deputy died (killed): end the body too. */
void remote_deputy_died(struct deputy *d);
void remote_free(struct deputy *d);

#endif
