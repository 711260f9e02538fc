/* ctl.h: the local control socket between the user commands and a mosrun.
 * Each mosrun listens on the abstract unix socket "mosix-mosrun-<its pid>";
 * a command finds it through the TracerPid of the process it names. Requests
 * and replies are single SOCK_SEQPACKET messages, magic- and version-tagged;
 * only the same user (or root) is served. */
#ifndef GUESTD_CTL_H
#define GUESTD_CTL_H

#include "appliance/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_MAGIC 0x4d4f5343u /* "MOSC" */
#define CTL_VERSION 4

enum ctl_op {
	CTL_CHECKPOINT = 1,
	CTL_CHKSTOP,
	CTL_CHKEXIT,
	CTL_MIGRATE,
	CTL_HOME,
	CTL_LIST, /* the job's processes, one line each (ctl_list_parse reads one) */
	CTL__MAX
};

/* Request flags (ctl_req.flags). */
#define CTL_F_ASYNC 1u	  /* migrate/home: answer at once, then move it */
#define CTL_F_PROGRESS 2u /* send CTL_PROGRESS replies before the final one */

/* ctl_rep.status of an intermediate reply (progress text in msg). */
#define CTL_PROGRESS 1

struct ctl_req {
	uint32_t magic, version, op;
	int32_t pid, node;
	uint32_t flags;
};

struct ctl_rep {
	uint32_t magic, version;
	int32_t status; /* 0 or negative errno */
	char msg[8192];
};

/* One process of a CTL_LIST answer. Its line is "pid node migrations code"
 * and then tab-separated key=value fields; keys a reader does not know are
 * skipped, so a field can be added on one side first. */
struct ctl_proc {
	int pid, node; /* node: where it runs (0: at home) */
	unsigned migrations;
	char code[32];			/* why it cannot move, one word ("-": it can) */
	char state[16];			/* state=: running or stopped */
	char why[200];			/* why=: the reason in words ("" when it can move) */
	char last_move[160];		/* last_move=: its last move's outcome ("" before any) */
	unsigned long long sent;	/* sent=: image bytes of the move that took it away */
	double sent_ms;			/* sent_ms=: and how long that move took */
	unsigned long long homecomings; /* homecomings=: how often it came home */
	char home_for[160];		/* home_for=: the calls that brought it home ("a,b") */
};

/* Parse one CTL_LIST line into p (zeroed first). 0 or -EINVAL. */
int ctl_list_parse(const char *line, struct ctl_proc *p);

/* Listen for requests as mosrun pid self. Listening fd or negative code. */
int ctl_listen(pid_t self, struct err *e);
/* Accept and read one request; *cfd is the connection to reply on. 0 or negative. */
int ctl_accept(int lfd, int *cfd, struct ctl_req *req, struct err *e);
/* Send a reply and close the connection. */
void ctl_reply(int cfd, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Send an intermediate (CTL_PROGRESS) reply; the connection stays open. */
void ctl_progress(int cfd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send op for pid to the mosrun supervising pid and wait for its reply. */
/* (For CTL_LIST, pid may be any process of the job, or the mosrun itself
 * with ctl_call_mosrun.) */
int ctl_call_mosrun(pid_t mosrun, enum ctl_op op, int node, struct ctl_rep *rep, struct err *e);
int ctl_call(pid_t pid, enum ctl_op op, int node, struct ctl_rep *rep, struct err *e);
/* ctl_call with request flags; progress (may be NULL) gets every CTL_PROGRESS text. */
int ctl_call_flags(pid_t pid, enum ctl_op op, int node, unsigned flags,
		   void (*progress)(const char *msg, void *arg), void *arg, struct ctl_rep *rep,
		   struct err *e);
/* The distinct mosruns supervising the caller's processes (all: anyone's)
 * into out; returns how many (at most cap). */
size_t ctl_find_mosruns(pid_t *out, size_t cap, int all);

#endif
