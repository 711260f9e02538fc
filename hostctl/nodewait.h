/* nodewait.h: wait for nodes to answer on their ssh port, with a progress line. */
#ifndef HOSTCTL_NODEWAIT_H
#define HOSTCTL_NODEWAIT_H

#include <signal.h>

#include "appliance/err.h"

struct nodewait {
	const char *name; /* "n2" */
	const char *ip;
	double ready_s; /* seconds after the start when the banner came; <0 while waiting */
	/* private */
	int fd, reading;
	double started;
};

/* Wait until every node sends an SSH banner or timeout_s passes; with
 * progress set, show a progress line on stderr. 0, -ETIMEDOUT with the nodes
 * still missing in e, or -EINTR as soon as *stop (may be NULL) is set. */
int nodewait_ssh(struct nodewait *n, int count, double timeout_s, int progress,
		 volatile sig_atomic_t *stop, struct err *e);
/* Print the last lines of a console log to stderr. */
void nodewait_tail(const char *path, int lines);

#endif
