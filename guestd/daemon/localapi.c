/* localapi.c: guestd's local socket, both ends. */
#include "daemon/localapi.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LAPI_MAGIC 0x4d4f534cu /* "MOSL" */
#define LAPI_VERSION 2

/* Socket path. */
const char *lapi_path(void)
{
	static char path[108];
	const char *dir = getenv("MOSIX_RUN");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : LAPI_SOCK_DIR, LAPI_SOCK_NAME);
	return path;
}

/* Fill a unix address. */
static socklen_t lapi_addr(struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", lapi_path());
	return (socklen_t)sizeof(*a);
}

/* Listen. */
int lapi_listen(struct err *e)
{
	struct sockaddr_un a;
	socklen_t len = lapi_addr(&a);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket");
	unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, len) || chmod(a.sun_path, 0666) || listen(fd, 16)) {
		int rc = -errno;
		close(fd);
		return err_set(e, rc, "listen on %s", a.sun_path);
	}
	return fd;
}

/* Reply, passing the connection's fd when there is one. */
int lapi_reply(int cfd, int status, const char *msg, int self_node, int nnodes,
	       const struct wire_conn *c)
{
	struct lapi_rep r;
	memset(&r, 0, sizeof(r));
	r.magic = LAPI_MAGIC;
	r.version = LAPI_VERSION;
	r.status = status;
	r.self_node = self_node;
	r.nnodes = nnodes;
	snprintf(r.msg, sizeof(r.msg), "%s", msg ? msg : "");
	struct iovec iov = {&r, sizeof(r)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	if (c) {
		r.peer_node = c->peer_node;
		r.is_client = c->is_client;
		r.send_seq = c->send_seq;
		r.recv_seq = c->recv_seq;
		memcpy(r.session, c->session, sizeof(r.session));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c->fd, sizeof(int));
	}
	return sendmsg(cfd, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Send a request and take the reply (and an fd, if any). */
static int lapi_call(const struct lapi_req *q, struct lapi_rep *r, int *fd, struct err *e)
{
	struct sockaddr_un a;
	socklen_t len = lapi_addr(&a);
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, len))
		return err_set(e, -errno, "guestd is not running on this node (%s)", a.sun_path);
	struct timeval tv = {30, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, q, sizeof(*q), 0) != (ssize_t)sizeof(*q))
		return err_set(e, -errno, "send to guestd");
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {r, sizeof(*r)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
	if (n != (ssize_t)sizeof(*r) || r->magic != LAPI_MAGIC || r->version != LAPI_VERSION)
		return err_setx(e, -EPROTO, "no valid answer from guestd");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	*fd = -1;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	r->msg[sizeof(r->msg) - 1] = '\0';
	if (r->status) {
		if (*fd >= 0)
			close(*fd);
		return err_setx(e, r->status, "%s", r->msg);
	}
	return 0;
}

/* Ask for a connection to node. */
int lapi_connect_node(int node, struct wire_conn *c, int *self_node, struct err *e)
{
	struct lapi_req q = {LAPI_MAGIC, LAPI_VERSION, LAPI_CONNECT, node};
	struct lapi_rep r;
	int fd = -1, rc = lapi_call(&q, &r, &fd, e);
	if (rc)
		return rc;
	if (fd < 0)
		return err_setx(e, -EPROTO, "guestd sent no connection");
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer_node = r.peer_node;
	c->is_client = r.is_client;
	c->send_seq = r.send_seq;
	c->recv_seq = r.recv_seq;
	memcpy(c->session, r.session, sizeof(c->session));
	c->buf = xmalloc(WIRE_MAX_PAYLOAD + WIRE_TAG_LEN + 64);
	*self_node = r.self_node;
	return 0;
}

/* Ask for this node's number. */
int lapi_info(int *self_node, int *nnodes, struct err *e)
{
	struct lapi_req q = {LAPI_MAGIC, LAPI_VERSION, LAPI_INFO, 0};
	struct lapi_rep r;
	memset(&r, 0, sizeof(r));
	int fd = -1, rc = lapi_call(&q, &r, &fd, e);
	if (!rc) {
		*self_node = r.self_node;
		*nnodes = r.nnodes;
	}
	return rc;
}

/* Ask for the node table. */
int lapi_nodes(char *buf, size_t len, int *self_node, int *nnodes, struct err *e)
{
	struct lapi_req q = {LAPI_MAGIC, LAPI_VERSION, LAPI_NODES, 0};
	static struct lapi_rep r;
	int fd = -1, rc = lapi_call(&q, &r, &fd, e);
	if (!rc) {
		*self_node = r.self_node;
		*nnodes = r.nnodes;
		snprintf(buf, len, "%s", r.msg);
	}
	return rc;
}

/* A request without arguments; the answer's text. */
int lapi_simple(enum lapi_op op, char *buf, size_t len, struct err *e)
{
	struct lapi_req q = {LAPI_MAGIC, LAPI_VERSION, (uint32_t)op, 0};
	static struct lapi_rep r;
	int fd = -1, rc = lapi_call(&q, &r, &fd, e);
	if (!rc)
		snprintf(buf, len, "%s", r.msg);
	return rc;
}
