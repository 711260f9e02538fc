/* peers.c: the peers service: other nodes connect to this one (a process
 * arrives, or a body's forked child is to be served), and local processes
 * of the cluster's group ask for connections to other nodes. The handshake
 * and all that follows run in a child, so a slow or hostile peer cannot
 * stall the loop; each arriving guest's supervisor is such a child. */
#define LOG_PREFIX "guestd"
#include "daemon/hubc.h"
#include "daemon/hub.h"
#include "remote/body.h"
#include "remote/migrate.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/wire.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HANDSHAKE_MS 5000
#define LIVENESS_MS 12000 /* a silent or cut link fails a migrated process's connection */
#define NOBODY 65534

struct peers_svc {
	int tcp;
};

/* A frame that opens a connection, and who serves it (in the child). */
struct peer_frame {
	uint16_t type;
	int (*serve)(struct wire_conn *c, const void *p, size_t len, const struct body_conf *bc,
		     struct err *e);
};

static const struct peer_frame peer_frames[] = {
    {WIRE_MIGRATE, body_serve},
    {WIRE_ADOPT, body_adopt},
};

/* Child: refuse an arriving process (the node is blocked or full). The
 * image is read and dropped so that home hears the reason, not a reset. */
static void peers_refuse(struct wire_conn *c, const char *why)
{
	struct err e = {0, ""};
	uint16_t type = 0;
	const uint8_t *p;
	size_t len;
	while (type != WIRE_IMAGE_END && !wire_recv(c, &type, &p, &len, &e))
		;
	mig_send_status(c, WIRE_STARTED, -EBUSY, why, NULL);
	log_info("refused a process from node %d: %s", c->peer_node, why);
	wire_close(c);
	_exit(0);
}

/* Child: register the guest with guestd, then serve it. */
static int peers_serve_guest(struct hub *h, const struct peer_frame *f, struct wire_conn *c,
			     const uint8_t *p, size_t len, struct err *e)
{
	struct mig_hello hello = {0, 0, 0, 0};
	struct lapi_proc g;
	struct hubc hc;
	memcpy(&hello, p, len < sizeof(hello) ? len : sizeof(hello));
	memset(&g, 0, sizeof(g));
	g.pid = hello.home_pid;
	g.home_node = hello.home_node;
	g.uid = hello.uid;
	hubc_init(&hc);
	int rc = hubc_register(&hc, &g, e);
	if (rc == -EBUSY)
		peers_refuse(c, e->msg);
	if (rc) /* guestd is going away: serve it all the same, register later */
		log_warn("guest from node %d not registered yet: %s", c->peer_node, e->msg);
	struct body_conf bc = {h->cl.self, h->empty, NOBODY, NOBODY, h->o->guest_mem, &hc};
	rc = f->serve(c, p, len, &bc, e);
	hubc_send(&hc, LAPI_PROC_GONE, &hc.self, rc, 0, NULL);
	hubc_close(&hc);
	return rc;
}

/* Child: authenticate a node that connected and serve what it asks. */
static void peers_child(struct hub *h, int fd)
{
	struct wire_conn c;
	struct err e = {0, ""};
	uint16_t type;
	const uint8_t *p;
	size_t len;
	wire_set_liveness(fd, LIVENESS_MS);
	if (wire_server(&c, fd, h->cl.key, h->cl.self, HANDSHAKE_MS, &e) ||
	    wire_recv(&c, &type, &p, &len, &e)) {
		log_warn("refused a connection: %s", e.msg);
		_exit(1);
	}
	for (size_t i = 0; i < ARRAY_SIZE(peer_frames); i++) {
		if (peer_frames[i].type != type)
			continue;
		int rc = peers_serve_guest(h, &peer_frames[i], &c, p, len, &e);
		if (rc)
			log_warn("migrated process from node %d: %s", c.peer_node, e.msg);
		wire_close(&c);
		_exit(rc ? 1 : 0);
	}
	log_warn("node %d sent frame %u first: refused", c.peer_node, type);
	_exit(1);
}

/* A node connects: fork a supervisor for it. */
static void peers_on_tcp(struct hub *h, int fd, uint32_t events, void *arg)
{
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		pid_t pid = fork();
		if (pid == 0) {
			hub_forget(h, cfd);
			peers_child(h, cfd);
		}
		if (pid < 0)
			log_error("fork: %s", strerror(errno));
		close(cfd);
	}
}

/* Child: connect to a node for a local process and hand the connection over. */
static void peers_connect_child(struct hub *h, int cfd, int node)
{
	struct err e = {0, ""};
	const struct cluster_node *n = cluster_find(&h->cl, node);
	struct wire_conn c;
	int fd = wire_connect(n->addr, h->cl.port, HANDSHAKE_MS, &e);
	if (fd >= 0)
		wire_set_liveness(fd, LIVENESS_MS);
	if (fd < 0 || wire_client(&c, fd, h->cl.key, h->cl.self, HANDSHAKE_MS, &e)) {
		char msg[ERR_MSG_MAX + 32];
		snprintf(msg, sizeof(msg), "node %d: %s", node, e.msg);
		lapi_reply(cfd, e.code ? e.code : -EHOSTUNREACH, msg, h->cl.self, (int)h->cl.nnodes,
			   NULL);
		_exit(1);
	}
	lapi_reply(cfd, 0, "connected", h->cl.self, (int)h->cl.nnodes, &c);
	wire_close(&c);
	_exit(0);
}

/* LAPI_CONNECT: the connect and handshake run in a child (a dead node
 * would stall the loop for the handshake's timeout). */
static void peers_req_connect(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	const struct cluster_node *n = cluster_find(&h->cl, q->node);
	if (!n || q->node == h->cl.self)
		return hub_reply(h, c, -EINVAL, "%s",
				 n ? "that is this node" : "no such node in the cluster");
	pid_t pid = fork();
	if (pid == 0) {
		hub_forget(h, c->fd);
		peers_connect_child(h, c->fd, q->node);
	}
	if (pid < 0)
		return hub_reply(h, c, -errno, "fork: %s", strerror(errno));
	hub_drop_client(h, c); /* the child answers */
}

/* Listen on this node's address and the cluster port. */
static int peers_start(struct hub *h, struct err *e)
{
	const struct cluster_node *me = cluster_find(&h->cl, h->cl.self);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(h->cl.port)};
	if (!me || inet_pton(AF_INET, me->addr, &a.sin_addr) != 1)
		return err_setx(e, -EINVAL, "this node (%d) has no address in the map", h->cl.self);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		if (rc == -EADDRINUSE)
			return err_setx(e, rc,
					"listen on %s:%u: Address already in use (is another "
					"guestd running on this node?)",
					me->addr, h->cl.port);
		return err_set(e, rc, "listen on %s:%u", me->addr, h->cl.port);
	}
	h->peers = xcalloc(1, sizeof(*h->peers));
	h->peers->tcp = fd;
	return hub_watch(h, fd, peers_on_tcp, NULL);
}

static void peers_stop(struct hub *h)
{
	if (!h->peers)
		return;
	close(h->peers->tcp);
	free(h->peers);
	h->peers = NULL;
}

static const struct hub_request peers_requests[] = {
    {LAPI_CONNECT, HUB_MEMBER, peers_req_connect},
};

const struct service svc_peers = {
    .name = "peers",
    .start = peers_start,
    .stop = peers_stop,
    .requests = peers_requests,
    .nrequests = ARRAY_SIZE(peers_requests),
};
