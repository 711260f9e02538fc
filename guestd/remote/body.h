/* body.h: the supervisor of a migrated process on a node that is not its
 * home. It rebuilds the body from the arriving image inside a sandbox, runs
 * it with the system-call filter, forwards every non-local call to the
 * deputy at home, relays signals, reports the body's end, and sends it home
 * when asked or when it makes a call only home can run. */
#ifndef GUESTD_BODY_H
#define GUESTD_BODY_H

#include "daemon/hubc.h"
#include "appliance/err.h"
#include "appliance/wire.h"

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* To a guest's supervisor: send the body home (guestd asks over its local
 * socket; the signal is for an administrator). */
#define BODY_EXPEL_SIGNAL SIGUSR1

struct body_conf {
	int self_node;
	const char *empty_root; /* an empty directory for the body's root */
	uid_t uid;		/* unprivileged identity of bodies */
	gid_t gid;
	uint64_t mem_limit; /* bytes of address space a body may have (0: no bound) */
	struct hubc *hub;   /* registered with guestd as this guest (NULL: not) */
};

/* Serve one migrated process on connection c, whose WIRE_MIGRATE frame
 * (payload p, len) has been read. Returns when the body is gone. */
int body_serve(struct wire_conn *c, const void *p, size_t len, const struct body_conf *bc,
	       struct err *e);

/* Serve a child that a body forked on this node, asked for by its home with
 * a WIRE_ADOPT frame (payload p, len) on c. Returns when it is gone. */
int body_adopt(struct wire_conn *c, const void *p, size_t len, const struct body_conf *bc,
	       struct err *e);

#endif
