/* localapi.c: guestd's local socket, both ends. */
#include "daemon/localapi.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LAPI_MAGIC 0x4d4f534cu /* "MOSL" */
#define LAPI_VERSION 4
#define LAPI_TIMEOUT_S 30

/* Socket path. */
const char *lapi_path(void)
{
	static char path[108];
	const char *dir = secure_getenv("MOSIX_RUN"); /* not in a setgid mosrun */
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

/* A fresh request. */
void lapi_req_init(struct lapi_req *q, enum lapi_op op)
{
	memset(q, 0, sizeof(*q));
	q->magic = LAPI_MAGIC;
	q->version = LAPI_VERSION;
	q->op = (uint32_t)op;
}

/* Ours, whole, and of a known op? */
int lapi_req_valid(const struct lapi_req *q, size_t len)
{
	return len == sizeof(*q) && q->magic == LAPI_MAGIC && q->version == LAPI_VERSION &&
	       q->op >= LAPI_CONNECT && q->op < LAPI__MAX;
}

/* Copy a field for a text line: no blanks, '-' when empty. */
static void lapi_word(char *out, size_t cap, const char *in, size_t inlen)
{
	size_t k = 0;
	for (size_t i = 0; i < inlen && in[i] && k + 1 < cap; i++)
		out[k++] = (in[i] <= ' ' || in[i] == 0x7f) ? '_' : in[i];
	if (!k && cap > 1)
		out[k++] = '-';
	out[k] = '\0';
}

/* One registry line. */
int lapi_proc_line(char *buf, size_t len, const struct lapi_proc *p)
{
	char comm[sizeof(p->comm) + 1], why[sizeof(p->why) + 1], reason[sizeof(p->reason) + 1];
	lapi_word(comm, sizeof(comm), p->comm, sizeof(p->comm));
	lapi_word(why, sizeof(why), p->why, sizeof(p->why));
	lapi_word(reason, sizeof(reason), p->reason, sizeof(p->reason));
	return snprintf(buf, len, "%d %d %d %u %u %u %d %d %s %s %llu %llu %s\n", p->pid,
			p->home_node, p->where, p->uid, p->migrations, p->flags, p->job,
			p->local_pid, comm, why, (unsigned long long)p->fwd_calls,
			(unsigned long long)p->fwd_bytes, reason);
}

/* Parse a registry line. */
int lapi_proc_parse(const char *line, struct lapi_proc *p)
{
	char comm[sizeof(p->comm) + 1], why[sizeof(p->why) + 1], reason[sizeof(p->reason) + 1];
	unsigned long long calls, bytes;
	memset(p, 0, sizeof(*p));
	if (sscanf(line, "%d %d %d %u %u %u %d %d %16s %64s %llu %llu %48s", &p->pid, &p->home_node,
		   &p->where, &p->uid, &p->migrations, &p->flags, &p->job, &p->local_pid, comm, why,
		   &calls, &bytes, reason) != 13)
		return -EINVAL;
	p->fwd_calls = calls;
	p->fwd_bytes = bytes;
	if (strcmp(reason, "-"))
		memcpy(p->reason, reason, strnlen(reason, sizeof(p->reason)));
	if (strcmp(comm, "-"))
		memcpy(p->comm, comm, strnlen(comm, sizeof(p->comm)));
	if (strcmp(why, "-"))
		memcpy(p->why, why, strnlen(why, sizeof(p->why)));
	return 0;
}

/* The profile after the 13 fields of lapi_proc_line. */
int lapi_profile_parse(const char *line, struct lapi_profile *pf)
{
	const char *s = line;
	unsigned long long rss;
	memset(pf, 0, sizeof(*pf));
	for (int k = 0; k < 13; k++) { /* past the lapi_proc fields */
		s += strspn(s, " ");
		s += strcspn(s, " \n");
	}
	if (sscanf(s, "%lf %lf %lf %llu %lf %47s", &pf->cpu, &pf->io_cps, &pf->io_bps, &rss,
		   &pf->age_s, pf->been) != 6)
		return -EINVAL;
	pf->rss_kb = rss;
	return 0;
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
	if (bind(fd, (struct sockaddr *)&a, len) || chmod(a.sun_path, 0666) || listen(fd, 64)) {
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
	static struct lapi_rep r;
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
		r.cipher = (int32_t)c->cipher;
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
	int rc = sendmsg(cfd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
	explicit_bzero(r.session, sizeof(r.session));
	return rc;
}

/* Connect to guestd's socket without blocking for ever: a listener whose
 * backlog is full (a guestd flooded by a local user) refuses at once
 * instead, and is tried again for up to timeout_s. fd (blocking) or code. */
int lapi_dial(double timeout_s, struct err *e)
{
	struct sockaddr_un a;
	socklen_t len = lapi_addr(&a);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return err_set(e, -errno, "socket");
	double until = util_now() + timeout_s;
	while (connect(s, (struct sockaddr *)&a, len)) {
		if (errno != EAGAIN || util_now() > until) {
			int rc = errno == EAGAIN
				     ? err_setx(e, -ETIMEDOUT, "guestd is too busy to answer (%s)",
						a.sun_path)
				     : err_set(e, -errno, "guestd is not running on this node (%s)",
					       a.sun_path);
			close(s);
			return rc;
		}
		usleep(20000);
	}
	fcntl(s, F_SETFL, 0);
	return s;
}

/* Send a request and take the reply (and an fd, if any). */
int lapi_call(const struct lapi_req *q, struct lapi_rep *r, int *fd, double timeout_s,
	      struct err *e)
{
	double t = timeout_s > 0 ? timeout_s : LAPI_TIMEOUT_S;
	*fd = -1;
	_cleanup_close_ int s = lapi_dial(t, e);
	if (s < 0)
		return s;
	struct timeval tv = {(time_t)t, (suseconds_t)((t - (double)(time_t)t) * 1e6)};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, q, sizeof(*q), MSG_NOSIGNAL) != (ssize_t)sizeof(*q))
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
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return err_setx(e, -ETIMEDOUT, "guestd did not answer within %.0f s", t);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	if (n != (ssize_t)sizeof(*r) || r->magic != LAPI_MAGIC || r->version != LAPI_VERSION) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return err_setx(e, -EPROTO, "no valid answer from guestd");
	}
	r->msg[sizeof(r->msg) - 1] = '\0';
	if (r->status) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return err_setx(e, r->status, "%s", r->msg);
	}
	return 0;
}

/* Ask for a connection to node. */
int lapi_connect_node(int node, struct wire_conn *c, int *self_node, struct err *e)
{
	struct lapi_req q;
	static struct lapi_rep r;
	lapi_req_init(&q, LAPI_CONNECT);
	q.node = node;
	int fd = -1, rc = lapi_call(&q, &r, &fd, 0, e);
	if (rc)
		return rc;
	if (fd < 0)
		return err_setx(e, -EPROTO, "guestd sent no connection");
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer_node = r.peer_node;
	c->is_client = r.is_client;
	c->cipher = (uint32_t)r.cipher;
	c->send_seq = r.send_seq;
	c->recv_seq = r.recv_seq;
	memcpy(c->session, r.session, sizeof(c->session));
	explicit_bzero(r.session, sizeof(r.session));
	c->buf = xmalloc(WIRE_MAX_PAYLOAD + WIRE_TAG_LEN + 64);
	*self_node = r.self_node;
	return 0;
}

/* Ask for this node's number. */
int lapi_info(int *self_node, int *nnodes, struct err *e)
{
	struct lapi_req q;
	static struct lapi_rep r;
	lapi_req_init(&q, LAPI_INFO);
	int fd = -1, rc = lapi_call(&q, &r, &fd, 0, e);
	if (!rc) {
		*self_node = r.self_node;
		*nnodes = r.nnodes;
	}
	return rc;
}

/* Ask for the node table. */
int lapi_nodes(char *buf, size_t len, int *self_node, int *nnodes, struct err *e)
{
	struct lapi_req q;
	static struct lapi_rep r;
	lapi_req_init(&q, LAPI_NODES);
	int fd = -1, rc = lapi_call(&q, &r, &fd, 0, e);
	if (!rc) {
		*self_node = r.self_node;
		*nnodes = r.nnodes;
		snprintf(buf, len, "%s", r.msg);
	}
	return rc;
}

/* A request without arguments; the answer's text. */
int lapi_simple(enum lapi_op op, char *buf, size_t len, double timeout_s, struct err *e)
{
	struct lapi_req q;
	static struct lapi_rep r;
	lapi_req_init(&q, op);
	int fd = -1, rc = lapi_call(&q, &r, &fd, timeout_s, e);
	if (!rc)
		snprintf(buf, len, "%s", r.msg);
	return rc;
}

/* The registry, parsed. */
int lapi_procs(struct lapi_proc *out, struct lapi_profile *pf, size_t cap, struct err *e)
{
	static char buf[LAPI_MSG_MAX];
	int rc = lapi_simple(LAPI_PROCS, buf, sizeof(buf), 0, e), n = 0;
	char *save = NULL;
	if (rc)
		return rc;
	for (char *l = strtok_r(buf, "\n", &save); l && (size_t)n < cap;
	     l = strtok_r(NULL, "\n", &save)) {
		if (lapi_proc_parse(l, &out[n]))
			continue;
		if (pf && lapi_profile_parse(l, &pf[n]))
			memset(&pf[n], 0, sizeof(pf[n]));
		n++;
	}
	return n;
}

/* Is node in the map, and not down in the gossip view? */
int lapi_node_check(int node, int *self_node, struct err *e)
{
	static char map[LAPI_MSG_MAX], nodes[LAPI_MSG_MAX];
	int nnodes = 0, found = 0, rc;
	if ((rc = lapi_simple(LAPI_MAP, map, sizeof(map), 0, e)) ||
	    (rc = lapi_nodes(nodes, sizeof(nodes), self_node, &nnodes, e)))
		return rc;
	char *save = NULL;
	for (char *l = strtok_r(map, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save)) {
		int num;
		found = sscanf(l, "%d", &num) == 1 && num == node;
	}
	if (!found)
		return err_setx(e, -ENODEV, "no such node %d in this node's cluster map", node);
	save = NULL;
	for (char *l = strtok_r(nodes, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int num, up;
		unsigned long long age;
		if (sscanf(l, "%d %llu %d", &num, &age, &up) == 3 && num == node && !up)
			return err_setx(e, -EHOSTDOWN, "node %d is down (no news of it for %.0f s)",
					node, (double)age / 1000.0);
	}
	return 0; /* up, or not heard of yet (the move will tell) */
}

/* Another node's answer to a read-only op (LAPI_ASK). */
int lapi_ask(int node, enum lapi_op op, char *buf, size_t len, double timeout_s, struct err *e)
{
	struct lapi_req q;
	static struct lapi_rep r;
	int fd = -1, rc;
	lapi_req_init(&q, LAPI_ASK);
	q.node = node;
	q.status = (int32_t)op;
	if ((rc = lapi_call(&q, &r, &fd, timeout_s, e)))
		return rc;
	snprintf(buf, len, "%s", r.msg);
	return 0;
}

/* The node a new process should start on (LAPI_BEST); 0 for this one. */
int lapi_best(int *node, struct err *e)
{
	struct lapi_req q;
	static struct lapi_rep r;
	int fd = -1, rc;
	lapi_req_init(&q, LAPI_BEST);
	if ((rc = lapi_call(&q, &r, &fd, 0, e)))
		return rc;
	if (sscanf(r.msg, "%d", node) != 1)
		return err_setx(e, -EPROTO, "guestd's best node: '%.40s'", r.msg);
	if (*node == r.self_node)
		*node = 0;
	return 0;
}
