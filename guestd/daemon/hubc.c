/* hubc.c: the registered client's side of guestd's local socket. */
#include "daemon/hubc.h"
#include "appliance/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HUBC_RETRY_S 1.0
#define HUBC_REPLY_S 5
#define HUBC_DIAL_S 0.5 /* a mosrun's loop waits no longer for a busy guestd */

/* Not connected. */
void hubc_init(struct hubc *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

/* Drop the connection; try again after a while. */
static void hubc_drop(struct hubc *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->next_try = util_now() + HUBC_RETRY_S;
}

/* Connect and register. */
int hubc_register(struct hubc *h, const struct lapi_proc *guest, struct err *e)
{
	static struct lapi_rep r;
	struct lapi_req q;
	hubc_drop(h);
	if (guest) {
		h->guest = 1;
		h->self = *guest;
	}
	int fd = lapi_dial(HUBC_DIAL_S, e);
	if (fd < 0)
		return fd;
	struct timeval tv = {HUBC_REPLY_S, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	lapi_req_init(&q, h->guest ? LAPI_GUEST_REGISTER : LAPI_REGISTER);
	if (h->guest)
		q.proc = h->self;
	ssize_t n = send(fd, &q, sizeof(q), MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(q))
		n = recv(fd, &r, sizeof(r), 0);
	if (n != (ssize_t)sizeof(r) || r.status) {
		close(fd);
		r.msg[sizeof(r.msg) - 1] = '\0';
		return n == (ssize_t)sizeof(r) ? err_setx(e, r.status, "%s", r.msg)
					       : err_setx(e, -EPROTO, "guestd did not register us");
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	h->fd = fd;
	return 0;
}

/* Register again when it is time. */
int hubc_retry(struct hubc *h)
{
	struct err e = {0, ""};
	if (h->fd >= 0 || util_now() < h->next_try)
		return 0;
	if (h->guest)
		h->self.flags |= LAPI_P_ORPHAN;
	if (hubc_register(h, h->guest ? &h->self : NULL, &e)) {
		h->next_try = util_now() + HUBC_RETRY_S;
		return 0;
	}
	return 1;
}

/* Send q, never blocking; a guestd that does not take it costs the
 * connection. */
static int hubc_put(struct hubc *h, const struct lapi_req *q)
{
	if (h->fd < 0)
		return -ENOTCONN;
	if (send(h->fd, q, sizeof(*q), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(*q)) {
		hubc_drop(h);
		return -ENOTCONN;
	}
	return 0;
}

/* One message about a process to guestd. */
int hubc_send(struct hubc *h, enum lapi_op op, const struct lapi_proc *p, int status, uint32_t seq,
	      const char *msg)
{
	struct lapi_req q;
	lapi_req_init(&q, op);
	if (p)
		q.proc = *p;
	q.status = status;
	q.seq = seq;
	snprintf(q.msg, sizeof(q.msg), "%s", msg ? msg : "");
	return hubc_put(h, &q);
}

/* One message about a node to guestd. */
int hubc_send_node(struct hubc *h, enum lapi_op op, int node, const char *msg)
{
	struct lapi_req q;
	lapi_req_init(&q, op);
	q.node = node;
	snprintf(q.msg, sizeof(q.msg), "%s", msg ? msg : "");
	return hubc_put(h, &q);
}

/* A request from guestd. */
int hubc_recv(struct hubc *h, struct lapi_req *q)
{
	if (h->fd < 0)
		return -ENOTCONN;
	ssize_t n = recv(h->fd, q, sizeof(*q), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (n == (ssize_t)sizeof(*q) && lapi_req_valid(q, (size_t)n))
		return 0;
	hubc_drop(h); /* closed (0), an error, or not our protocol */
	return -ENOTCONN;
}

/* Leave. */
void hubc_close(struct hubc *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}
