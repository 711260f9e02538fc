/* hub.c: descriptors, local clients and their requests. */
#define LOG_PREFIX "guestd"
#include "daemon/hub.h"
#include "daemon/tune.h"
#include "daemon/nodes.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define HUB_MAX_CLIENTS 4096
#define HUB_MAX_PER_USER 512 /* connections of one user that is not root */
#define HUB_IDLE_MS 10000    /* a one-shot client that asks nothing is dropped */

struct hub_watch {
	int fd;
	hub_fd_fn fn;
	void *arg;
};

/* Watch fd. */
int hub_watch(struct hub *h, int fd, hub_fd_fn fn, void *arg)
{
	struct epoll_event ev = {EPOLLIN, {.fd = fd}};
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	h->watches = xrealloc(h->watches, (h->nwatches + 1) * sizeof(*h->watches));
	h->watches[h->nwatches++] = (struct hub_watch){fd, fn, arg};
	return 0;
}

/* Stop watching fd. */
void hub_unwatch(struct hub *h, int fd)
{
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (size_t i = 0; i < h->nwatches; i++)
		if (h->watches[i].fd == fd) {
			h->watches[i] = h->watches[--h->nwatches];
			return;
		}
}

/* Call the handler of a ready descriptor. */
void hub_dispatch_fd(struct hub *h, int fd, uint32_t events)
{
	for (size_t i = 0; i < h->nwatches; i++)
		if (h->watches[i].fd == fd) {
			struct hub_watch w = h->watches[i]; /* fn may unwatch */
			w.fn(h, fd, events, w.arg);
			return;
		}
}

/* In a child: the loop's descriptors are not its. */
void hub_forget(struct hub *h, int keep)
{
	for (size_t i = 0; i < h->nwatches; i++)
		if (h->watches[i].fd != keep)
			close(h->watches[i].fd);
	int fds[] = {h->epfd, h->sigfd, h->timerfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0 && fds[i] != keep)
			close(fds[i]);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Close a client; its services forget what it registered. */
void hub_drop_client(struct hub *h, struct hub_client *c)
{
	for (struct hub_client **pp = &h->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (size_t i = 0; i < hub_nservices; i++)
		if (hub_services[i]->on_close)
			hub_services[i]->on_close(h, c);
	hub_unwatch(h, c->fd);
	close(c->fd);
	free(c);
}

/* Answer; a one-shot client's connection ends with its answer. */
void hub_reply(struct hub *h, struct hub_client *c, int status, const char *fmt, ...)
{
	static char msg[LAPI_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lapi_reply(c->fd, status, msg, h->cl.self, (int)h->cl.nnodes, NULL);
	c->deferred = 0;
	if (!c->registered)
		hub_drop_client(h, c);
}

/* A request to a registered client, never blocking. */
int hub_send(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	if (send(c->fd, q, sizeof(*q), MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(*q))
		return 0;
	log_warn("local client %d does not read its requests: dropped", c->cred.pid);
	hub_drop_client(h, c);
	return -EPIPE;
}

/* The handler of op, and whether this client may ask for it. */
static const struct hub_request *hub_find_request(uint32_t op)
{
	for (size_t i = 0; i < hub_nservices; i++)
		for (size_t k = 0; k < hub_services[i]->nrequests; k++)
			if (hub_services[i]->requests[k].op == (enum lapi_op)op)
				return &hub_services[i]->requests[k];
	return NULL;
}

/* Why a client may not ask for r, or NULL. */
static const char *hub_refusal(const struct hub_client *c, const struct hub_request *r)
{
	if (r->registered != c->registered)
		return r->registered ? "not registered" : "not on a registered connection";
	if (r->priv == HUB_ROOT && c->cred.uid != 0)
		return "permission denied: only root may do this";
	if (r->priv == HUB_MEMBER && !c->member)
		return "permission denied: only root and mosrun (group " LAPI_GROUP
		       ") may connect to other nodes";
	return NULL;
}

/* Input from a local client. */
static void hub_on_client(struct hub *h, int fd, uint32_t events, void *arg)
{
	struct hub_client *c = arg;
	static struct lapi_req q;
	/* one message per wake-up (epoll is level-triggered): a handler may
	 * drop the client */
	ssize_t n = recv(fd, &q, sizeof(q), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) { /* it left */
		hub_drop_client(h, c);
		return;
	}
	const struct hub_request *r = lapi_req_valid(&q, (size_t)n) ? hub_find_request(q.op) : NULL;
	const char *no = r ? hub_refusal(c, r) : NULL;
	if (!r || no) {
		int registered = c->registered;
		if (!r)
			log_warn("local client %d sent a malformed request", c->cred.pid);
		hub_reply(h, c, r ? -EPERM : -EPROTO, "%s", r ? no : "malformed request");
		if (!r && registered)
			hub_drop_client(h, c);
		return;
	}
	r->fn(h, c, &q);
}

/* Descriptors ran out: take one connection with the reserve and close it,
 * so that the listening socket does not stay ready for ever. */
void hub_refuse_one(struct hub *h, int fd)
{
	if (h->reserve_fd < 0)
		return;
	close(h->reserve_fd);
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd >= 0)
		close(cfd);
	h->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_warn("out of descriptors: refused a local connection");
}

/* How many connections a user holds. */
static size_t hub_count(const struct hub *h, uid_t uid)
{
	size_t n = 0;
	for (const struct hub_client *k = h->clients; k; k = k->next)
		n += uid == (uid_t)-1 || k->cred.uid == uid;
	return n;
}

/* A local command connects. */
void hub_on_accept(struct hub *h, int fd, uint32_t events, void *arg)
{
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0 ||
	       errno == EMFILE || errno == ENFILE) {
		if (cfd < 0) {
			hub_refuse_one(h, fd);
			return;
		}
		struct hub_client *c = xcalloc(1, sizeof(*c));
		socklen_t len = sizeof(c->cred);
		c->fd = cfd;
		int ok = !getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) &&
			 hub_count(h, (uid_t)-1) < HUB_MAX_CLIENTS &&
			 (c->cred.uid == 0 || hub_count(h, c->cred.uid) < HUB_MAX_PER_USER);
		if (!ok || hub_watch(h, cfd, hub_on_client, c)) {
			if (ok)
				log_warn("local connection of pid %d refused: too many",
					 c->cred.pid);
			close(cfd);
			free(c);
			continue;
		}
		c->member = c->cred.uid == 0 ||
			    (h->member_gid != (gid_t)-1 && c->cred.gid == h->member_gid);
		c->since_ms = nodes_now_ms();
		c->next = h->clients;
		h->clients = c;
	}
}

/* Drop one-shot clients that connected and asked nothing. */
void hub_step(struct hub *h)
{
	int64_t now = nodes_now_ms();
	for (struct hub_client *c = h->clients, *next; c; c = next) {
		next = c->next;
		if (!c->registered && !c->deferred && now - c->since_ms > HUB_IDLE_MS)
			hub_drop_client(h, c);
	}
}

/* Read the cluster map again. */
int hub_reload(struct hub *h, struct err *e)
{
	struct cluster nc;
	memset(&nc, 0, sizeof(nc));
	int rc = cluster_load(h->o->confdir, &nc, e);
	const struct cluster_node *old = cluster_find(&h->cl, h->cl.self);
	const struct cluster_node *now = rc ? NULL : cluster_find(&nc, nc.self);
	if (!rc && (nc.self != h->cl.self || nc.port != h->cl.port || !now ||
		    strcmp(now->addr, old->addr)))
		rc = err_setx(e, -EINVAL, "new map changes this node's number, address or port");
	struct tune t;
	if (!rc)
		rc = tune_read(&nc, &t, e);
	if (!rc && sodium_memcmp(nc.key, h->cl.key, sizeof(nc.key)))
		rc = err_setx(e, -EINVAL,
			      "the cluster key changed: restart guestd to use a new key");
	if (rc) {
		cluster_free(&nc);
		log_warn("map reload refused, the old map stays: %s", e->msg);
		return rc;
	}
	cluster_free(&h->cl);
	h->cl = nc;
	log_info("map reloaded: %zu nodes", h->cl.nnodes);
	return 0;
}
