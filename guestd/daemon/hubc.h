/* hubc.h: a registered client of guestd (a mosrun, or a guest's supervisor).
 * It keeps one connection to its node's guestd on which it reports the
 * processes it supervises and hears guestd's requests. Sends never block:
 * a guestd that does not read, has gone or restarts costs the connection,
 * which is made again (hubc_retry) and the state sent again in full. */
#ifndef GUESTD_HUBC_H
#define GUESTD_HUBC_H

#include "daemon/localapi.h"

struct hubc {
	int fd;		       /* -1: not registered now */
	int guest;	       /* registered as a guest's supervisor */
	struct lapi_proc self; /* a guest's record, sent again on every registration */
	double next_try;       /* when hubc_retry tries again */
};

/* A client that is not connected yet. */
void hubc_init(struct hubc *h);
/* Connect and register: as a mosrun (guest NULL) or as the supervisor of
 * guest. 0; -EBUSY when guestd refuses a guest (blocked: e says why);
 * another negative code when guestd cannot be reached (hubc_retry later). */
int hubc_register(struct hubc *h, const struct lapi_proc *guest, struct err *e);
/* Try to register again if it is time (at most once a second). 1 when it
 * has just registered: the caller sends all its processes again. */
int hubc_retry(struct hubc *h);
/* Tell guestd op (LAPI_PROC, LAPI_PROC_GONE, LAPI_MOVED) about p. 0, or
 * negative: the connection is gone (retried later). */
int hubc_send(struct hubc *h, enum lapi_op op, const struct lapi_proc *p, int status, uint32_t seq,
	      const char *msg);
/* Tell guestd op about node, with msg. 0 or negative (gone). */
int hubc_send_node(struct hubc *h, enum lapi_op op, int node, const char *msg);
/* A request from guestd into q: 0; -EAGAIN when none waits; other negative
 * codes: the connection is gone (retried later). */
int hubc_recv(struct hubc *h, struct lapi_req *q);
/* Leave. */
void hubc_close(struct hubc *h);

#endif
