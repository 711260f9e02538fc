/* peers.c: the peers service: other nodes connect to this one, and local
 * processes of the cluster's group ask for connections to other nodes. The
 * handshake and all that follows run in a child, so a slow or hostile peer
 * cannot stall the loop; the first frame says which service serves the
 * connection there (a process arrives: the guests service). */
#define LOG_PREFIX "guestd"
#include "daemon/hub.h"
#include "daemon/nodes.h"
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

#define PEERS_RATE_MAX 200 /* connections a node may open in a second */
#define PEERS_RATE_SLOTS 64

/* Connections one node opened in the current second. */
struct peers_rate {
	int node;
	int64_t since_ms;
	int count;
};

struct peers_svc {
	int tcp;
	struct peers_rate rate[PEERS_RATE_SLOTS];
};

/* Child: authenticate a node that connected and serve what it asks. */
static void peers_child(struct hub *h, int fd)
{
	struct wire_conn c;
	struct err e = {0, ""};
	uint16_t type;
	const uint8_t *p;
	size_t len;
	sigset_t expel; /* a supervisor's expel signal waits for its signalfd */
	sigemptyset(&expel);
	sigaddset(&expel, SIGUSR1);
	sigprocmask(SIG_BLOCK, &expel, NULL);
	wire_set_liveness(fd, LIVENESS_MS);
	if (wire_server(&c, fd, h->cl.key, h->cl.self, HANDSHAKE_MS, &e) ||
	    wire_recv(&c, &type, &p, &len, &e)) {
		log_warn("refused a connection: %s", e.msg);
		_exit(1);
	}
	for (size_t i = 0; i < hub_nservices; i++)
		for (size_t k = 0; k < hub_services[i]->nframes; k++) {
			const struct hub_frame *f = &hub_services[i]->frames[k];
			if (f->type != type)
				continue;
			int rc = f->serve(h, &c, type, p, len, &e);
			if (rc)
				log_warn("%s from node %d: %s", hub_services[i]->name, c.peer_node,
					 e.msg);
			wire_close(&c);
			_exit(rc ? 1 : 0);
		}
	log_warn("node %d sent frame %u first: refused", c.peer_node, type);
	_exit(1);
}

/* Is the peer of cfd a node of the map, and not connecting faster than
 * any node would? (A child is forked for each connection before the
 * handshake: strangers get none.) */
static int peers_admit(struct hub *h, int cfd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char addr[INET_ADDRSTRLEN] = "?";
	if (getpeername(cfd, (struct sockaddr *)&a, &len) == 0)
		inet_ntop(AF_INET, &a.sin_addr, addr, sizeof(addr));
	const struct cluster_node *n = cluster_find_addr(&h->cl, addr);
	if (!n) {
		log_warn("refused a connection from %s: not a node of the map", addr);
		return 0;
	}
	struct peers_rate *r = &h->peers->rate[n->num % PEERS_RATE_SLOTS];
	int64_t now = nodes_now_ms();
	if (r->node != n->num || now - r->since_ms >= 1000)
		*r = (struct peers_rate){n->num, now, 0};
	if (++r->count <= PEERS_RATE_MAX)
		return 1;
	if (r->count == PEERS_RATE_MAX + 1)
		log_warn("node %d connects more than %d times a second: refused for now", r->node,
			 PEERS_RATE_MAX);
	return 0;
}

/* A node connects: fork a supervisor for it. */
static void peers_on_tcp(struct hub *h, int fd, uint32_t events, void *arg)
{
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 || errno == EMFILE ||
	       errno == ENFILE) {
		if (cfd < 0) {
			hub_refuse_one(h, fd);
			return;
		}
		if (!peers_admit(h, cfd)) {
			close(cfd);
			continue;
		}
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
	struct sockaddr_in a;
	if (cluster_sockaddr(&h->cl, h->cl.self, &a))
		return err_setx(e, -EINVAL, "this node (%d) has no address in the map", h->cl.self);
	const struct cluster_node *me = cluster_find(&h->cl, h->cl.self);
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
    {LAPI_CONNECT, HUB_MEMBER, 0, peers_req_connect},
};

const struct service svc_peers = {
    .name = "peers",
    .start = peers_start,
    .stop = peers_stop,
    .requests = peers_requests,
    .nrequests = ARRAY_SIZE(peers_requests),
};
