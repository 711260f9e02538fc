/* daemon.h: guestd, the per-node daemon. It reads the cluster map and key,
 * listens for other nodes (authenticated with the key; anything else is
 * refused and logged), starts a body supervisor for every arriving process,
 * and serves the local commands on its unix socket. */
#ifndef GUESTD_DAEMON_H
#define GUESTD_DAEMON_H

#include <stdint.h>

#include "appliance/err.h"

struct daemon_opts {
	const char *confdir; /* cluster.conf and cluster.key */
	const char *rundir;  /* sockets and the bodies' empty root */
	uint64_t guest_mem;  /* bytes of address space a guest may have; 0: no bound */
	int background;	     /* once its sockets are bound, become a daemon (daemon(3)) and
				log to syslog */
};

/* Run until SIGTERM/SIGINT. 0, or a negative code when it could not start
 * (said on the caller's stderr when that was before it went to the
 * background, as it is for a bad map or a bound address; in syslog after). */
int daemon_run(const struct daemon_opts *o, struct err *e);

#endif
