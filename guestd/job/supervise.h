/* supervise.h: mosrun's job supervisor. It starts (or recovers) a program as
 * its ptrace tracer, follows its whole process tree, passes signals on,
 * serves checkpoint requests, and reports how the program ended. At home no
 * system call is trapped: only signals, forks and execs stop the program. */
#ifndef GUESTD_SUPERVISE_H
#define GUESTD_SUPERVISE_H

#include "appliance/err.h"
#include "engine/restore.h"

#include <stddef.h>

struct job_opts {
	char **argv;	     /* program and arguments, or NULL when recovering */
	const char *recover; /* -R FILE */
	const struct fd_redirect *redir;
	size_t nredir;
	const char *ckpt_base; /* -C FILE; default ./ckpt.<pid> */
	double auto_minutes;   /* -A: checkpoint every so many minutes (0: never) */
	int comp;	       /* page compression for checkpoints */
	int verbose;
	int start_node;	    /* -r NODE: migrate there as soon as it runs (0: stay) */
	unsigned mig_flags; /* MIG_F_* (-e) */
	int lock;	    /* -L: automatic balancing leaves its processes where they are (the
			       default when a node was named: -NODE, -r, -h; -l: it may move them) */
	int best;	    /* -b: start on the best node (the balancer's choice) */
	int force;	    /* -F: run even when the requested node is unavailable (at home) */
};

enum job_end {
	JOB_EXITED,	  /* *status is the main process's wait status */
	JOB_CHECKPOINTED, /* ended by chkexit: recover it from its checkpoint */
	JOB_LOST,	  /* its node or the link to it failed while it ran there */
};

/* Run a job until its processes are gone. 0 with *end and *status set, or a
 * negative code when it could not start (bad program, bad image). */
int job_run(const struct job_opts *o, enum job_end *end, int *status, struct err *e);

#endif
