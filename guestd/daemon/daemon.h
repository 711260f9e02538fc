/* daemon.h: guestd, the per-node daemon and the node's hub. It reads the
 * cluster map and key, knows every migratable process of its node (each
 * mosrun and each guest's supervisor registers them), learns the other
 * nodes by gossip, starts a body supervisor for every arriving process, and
 * serves the local commands on its unix socket. Its work is done by
 * services (hub.h). */
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
	int step_ms;	     /* the step: gossip, measurements (0: 1000) */
	int window;	     /* gossip window W (0: GOSSIP_W_DEFAULT) */
	double speed_factor; /* 0: the speed as measured; else times this */
};

/* Run until SIGTERM/SIGINT. 0, or a negative code when it could not start
 * (said on the caller's stderr when that was before it went to the
 * background, as it is for a bad map or a bound address; in syslog after). */
int daemon_run(const struct daemon_opts *o, struct err *e);

#endif
