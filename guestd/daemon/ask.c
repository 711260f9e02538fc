/* ask.c: the ask service: what another node's guestd would answer to a
 * read-only local request (its gossip view, its registry), fetched for a
 * local client over an authenticated connection (mmon --node, mmon's
 * detail panel). The connection and the wait run in a child of guestd, as
 * LAPI_CONNECT's do; the node asked answers in the child that the peers
 * service forked for the connection, from that child's copy of its state,
 * which is as fresh as the connection. */
#define LOG_PREFIX "ask"
#include "daemon/gossip.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "daemon/registry.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ASK_MS 5000	/* bound on the connect, the handshake and the answer */
#define ASK_RATE_MAX 20 /* asks this node starts in a second (anyone may ask) */

/* This node's own answer to op into msg. 0, or -EINVAL for an op that
 * may not be asked. */
static int ask_text(struct hub *h, uint32_t op, char *msg, size_t len)
{
	if (op == LAPI_NODES)
		gossip_nodes_text(h, msg, len);
	else if (op == LAPI_PROCS)
		registry_text(h, msg, len);
	else
		return -EINVAL;
	return 0;
}

/* Ask node for op's text over an authenticated connection. 0 or code. */
static int ask_fetch(struct hub *h, int node, uint32_t op, char *msg, size_t cap, struct err *e)
{
	const struct cluster_node *n = cluster_find(&h->cl, node);
	struct timeval tv = {ASK_MS / 1000, 0};
	struct wire_conn c;
	uint16_t type;
	const uint8_t *p;
	size_t len;
	int fd = wire_connect(n->addr, h->cl.port, ASK_MS, e), rc;
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((rc = wire_client(&c, fd, h->cl.key, h->cl.self, ASK_MS, e)))
		return rc; /* c is released */
	if (!(rc = wire_send(&c, WIRE_ASK, &op, sizeof(op), e)) &&
	    !(rc = wire_recv(&c, &type, &p, &len, e))) {
		if (type == WIRE_ANSWER)
			snprintf(msg, cap, "%.*s", (int)(len < cap ? len : cap - 1),
				 (const char *)p);
		else
			rc = err_setx(e, -EPROTO, "it refused the request");
	}
	if (rc == -EAGAIN)
		rc = err_setx(e, -ETIMEDOUT, "no answer within %d s", ASK_MS / 1000);
	wire_close(&c);
	return rc;
}

/* Child: ask node for op's text and answer the local client on cfd. */
static void ask_child(struct hub *h, int cfd, int node, uint32_t op)
{
	static char msg[LAPI_MSG_MAX];
	struct err e = {0, ""};
	int rc = ask_fetch(h, node, op, msg, sizeof(msg), &e);
	if (rc)
		snprintf(msg, sizeof(msg), "node %d: %s", node, e.msg);
	lapi_reply(cfd, rc, msg, h->cl.self, (int)h->cl.nnodes, NULL);
	_exit(rc ? 1 : 0);
}

/* May one more ask start in this second? */
static int ask_admit(void)
{
	static int64_t since;
	static int count;
	int64_t now = nodes_now_ms();
	if (now - since >= 1000) {
		since = now;
		count = 0;
	}
	return ++count <= ASK_RATE_MAX;
}

/* LAPI_ASK: node's answer to op q->status. */
static void ask_req(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	static char msg[LAPI_MSG_MAX];
	uint32_t op = (uint32_t)q->status;
	if (op != LAPI_NODES && op != LAPI_PROCS)
		return hub_reply(h, c, -EINVAL,
				 "only the node table and the registry may be asked");
	if (q->node == h->cl.self) {
		ask_text(h, op, msg, sizeof(msg));
		return hub_reply(h, c, 0, "%s", msg);
	}
	if (!cluster_find(&h->cl, q->node))
		return hub_reply(h, c, -ENODEV, "no node %d in this node's cluster map", q->node);
	if (!ask_admit())
		return hub_reply(h, c, -EBUSY, "too many requests to other nodes: try again");
	pid_t pid = fork();
	if (pid == 0) {
		hub_forget(h, c->fd);
		ask_child(h, c->fd, q->node, op);
	}
	if (pid < 0)
		return hub_reply(h, c, -errno, "fork: %s", strerror(errno));
	hub_drop_client(h, c); /* the child answers */
}

/* A node asks (in the peers service's child): answer from this copy. */
static int ask_serve(struct hub *h, struct wire_conn *c, uint16_t type, const uint8_t *p,
		     size_t len, struct err *e)
{
	static char msg[LAPI_MSG_MAX];
	uint32_t op = 0;
	if (len == sizeof(op))
		memcpy(&op, p, sizeof(op));
	if (len != sizeof(op) || ask_text(h, op, msg, sizeof(msg))) {
		int32_t code = -EINVAL;
		wire_send(c, WIRE_ERROR, &code, sizeof(code), e);
		return err_setx(e, -EINVAL, "asked for op %u, which may not be asked", op);
	}
	return wire_send(c, WIRE_ANSWER, msg, strlen(msg) + 1, e);
}

static const struct hub_request ask_requests[] = {
    {LAPI_ASK, HUB_ANYONE, 0, ask_req},
};

static const struct hub_frame ask_frames[] = {
    {WIRE_ASK, ask_serve},
};

const struct service svc_ask = {
    .name = "ask",
    .requests = ask_requests,
    .nrequests = ARRAY_SIZE(ask_requests),
    .frames = ask_frames,
    .nframes = ARRAY_SIZE(ask_frames),
};
