/* gossip.c: the node table and its gossip (core), and the gossip service. */
#define LOG_PREFIX "gossip"
#include "daemon/gossip.h"
#include "daemon/guests.h"
#include "daemon/hub.h"
#include "daemon/policy.h"
#include "daemon/registry.h"
#include "appliance/cluster.h"
#include "appliance/dgram.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/wire.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GOSSIP_MIN_DEAD_STEPS 5
#define GOSSIP_MAX_AGE_MS (3600 * 1000) /* older on arrival: nonsense, dropped */

struct gossip {
	int self, window, step_ms;
	unsigned step; /* steps so far: even ones push, odd ones pull */
	size_t nnodes;
	uint8_t key[32];
	uint64_t counter;
	struct gossip_stats st;
	uint64_t last[CLUSTER_MAX_NODES + 1]; /* highest counter seen per sender */
	int64_t tried[CLUSTER_MAX_NODES + 1]; /* when each node was last pulled */
	struct node_info tab[CLUSTER_MAX_NODES + 1];
	uint64_t rng;
};

/* A small fast generator (xorshift64*): gossip targets need no crypto. */
static uint64_t gossip_rand(struct gossip *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ull;
}

/* A new instance. */
struct gossip *gossip_new(int self, const uint8_t cluster_key[32], int window, int step_ms,
			  size_t nnodes)
{
	struct gossip *g = xcalloc(1, sizeof(*g));
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	g->self = self;
	g->window = window < 1 ? 1 : window > GOSSIP_W_MAX ? GOSSIP_W_MAX : window;
	g->step_ms = step_ms;
	g->nnodes = nnodes;
	dgram_key(cluster_key, g->key);
	/* above anything this node sent before it restarted */
	g->counter = (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
	g->rng = g->counter ^ ((uint64_t)self << 32) ^ 0x9e3779b97f4a7c15ull;
	return g;
}

void gossip_free(struct gossip *g)
{
	if (g)
		explicit_bzero(g->key, sizeof(g->key));
	free(g);
}

void gossip_set_nnodes(struct gossip *g, size_t nnodes)
{
	g->nnodes = nnodes;
}

const struct gossip_stats *gossip_stats(const struct gossip *g)
{
	return &g->st;
}

/* The closed forms (Amar, Barak, Drezner, Okun 2009). */
void gossip_expected(size_t n, int w, double *avg, double *max)
{
	double N = (double)n, W = (double)w;
	if (n < 2) {
		*avg = *max = 0;
		return;
	}
	if (W > N - 1) /* a window that holds every entry: as if it held all others */
		W = N - 1;
	if (W >= N - 1)
		W = N - 1 - 1e-3 * (N - 1);
	double T = ((N - 1) / N) * log(W * (N - 1) / (N - W));
	double eT = exp(N * T / (N - 1));
	double X = N * eT / (N - 1 + eT);
	double AW = T - ((N - 1) / X) * (log(N - 1 + eT) - log(N));
	double q = n > 2 ? 1.0 - 1.0 / (N - 1) : 0.5;
	*avg = 1.0 / (1.0 - pow(q, X)) + AW;
	*max = -(log(N) + 0.577) / (X * log(q));
}

/* Dead beyond three times the expected maximum age and two steps (the
 * worst age seen in long runs stays under that), never under five steps. */
int64_t gossip_dead_ms(const struct gossip *g)
{
	double avg, max;
	gossip_expected(g->nnodes, g->window, &avg, &max);
	double steps = 3 * max + 2;
	if (steps < GOSSIP_MIN_DEAD_STEPS)
		steps = GOSSIP_MIN_DEAD_STEPS;
	return (int64_t)(steps * g->step_ms);
}

/* Own vector. */
void gossip_set_self(struct gossip *g, const struct node_info *v, int64_t now)
{
	g->tab[g->self] = *v;
	g->tab[g->self].node = g->self;
	g->tab[g->self].seen_ms = now;
}

/* This node's own entry. */
const struct node_info *gossip_self(const struct gossip *g)
{
	return &g->tab[g->self];
}

/* Is node's entry younger than the dead bound? */
static int gossip_alive(const struct gossip *g, int node, int64_t now, int64_t dead)
{
	const struct node_info *e = &g->tab[node];
	return e->seen_ms && now - e->seen_ms < dead && !(e->status & NODE_ST_UNREACHABLE);
}

/* A datagram to node failed (nothing listens there): it is down as of now.
 * The news is an entry like any other, fresher than what others know, so
 * windows carry it first; the node's own next news, fresher still, undoes it. */
void gossip_failed(struct gossip *g, int node, int64_t now)
{
	if (node < 1 || node > CLUSTER_MAX_NODES || node == g->self || !g->tab[node].seen_ms ||
	    (g->tab[node].status & NODE_ST_UNREACHABLE))
		return;
	/* news of it younger than two steps says otherwise (an ICMP error is
	 * not authenticated: a forged one must not outweigh it) */
	if (now - g->tab[node].seen_ms < 2 * (int64_t)g->step_ms)
		return;
	g->tab[node].status |= NODE_ST_UNREACHABLE;
	g->tab[node].seen_ms = now;
	g->st.failed++;
}

/* Is node up at now? */
int gossip_up(const struct gossip *g, int node, int64_t now)
{
	return node >= 1 && node <= CLUSTER_MAX_NODES &&
	       gossip_alive(g, node, now, gossip_dead_ms(g));
}

/* The target: a live node, or with probability 1/max(5, alive) any. */
static int gossip_target(struct gossip *g, const int *nodes, size_t n, int64_t now)
{
	int64_t dead = gossip_dead_ms(g);
	size_t alive = 0, others = 0;
	for (size_t i = 0; i < n; i++)
		if (nodes[i] != g->self && nodes[i] >= 1 && nodes[i] <= CLUSTER_MAX_NODES) {
			others++;
			alive += gossip_alive(g, nodes[i], now, dead);
		}
	if (!others)
		return 0;
	int any = !alive || gossip_rand(g) % (alive > 5 ? alive : 5) == 0;
	size_t pick = (size_t)(gossip_rand(g) % (any ? others : alive));
	for (size_t i = 0; i < n; i++) {
		if (nodes[i] == g->self || nodes[i] < 1 || nodes[i] > CLUSTER_MAX_NODES)
			continue;
		if (!any && !gossip_alive(g, nodes[i], now, dead))
			continue;
		if (pick-- == 0)
			return nodes[i];
	}
	return 0;
}

/* Older first-seen last: by age, youngest first. */
static int gossip_by_age(const void *a, const void *b)
{
	const struct node_info *x = a, *y = b;
	return x->age_ms < y->age_ms ? -1 : x->age_ms > y->age_ms;
}

/* The window: own entry and the W-1 freshest others. */
static size_t gossip_window(const struct gossip *g, int64_t now, struct node_info *out)
{
	static struct node_info all[CLUSTER_MAX_NODES];
	size_t k = 0;
	for (int node = 1; node <= CLUSTER_MAX_NODES; node++) {
		if (node == g->self || !g->tab[node].seen_ms)
			continue;
		all[k] = g->tab[node];
		all[k++].age_ms = (uint64_t)(now - g->tab[node].seen_ms);
	}
	qsort(all, k, sizeof(all[0]), gossip_by_age);
	if (k > (size_t)g->window - 1)
		k = (size_t)g->window - 1;
	out[0] = g->tab[g->self];
	out[0].age_ms = 0;
	memcpy(out + 1, all, k * sizeof(all[0]));
	for (size_t i = 0; i <= k; i++)
		out[i].seen_ms = 0; /* local clock: not for the wire */
	return k + 1;
}

/* The node to pull from: the live node whose entry is oldest, or one never
 * heard of (nobody may ever push news of it here). A node pulled that has
 * not answered since is left alone for a while (four steps; never heard of:
 * the dead bound), so that a silent node does not draw every pull until it
 * is known dead. 0 if none. */
static int gossip_oldest(struct gossip *g, const int *nodes, size_t n, int64_t now)
{
	int64_t dead = gossip_dead_ms(g), oldest = INT64_MAX;
	int pick = 0;
	for (size_t i = 0; i < n; i++) {
		int k = nodes[i];
		if (k == g->self || k < 1 || k > CLUSTER_MAX_NODES)
			continue;
		int64_t seen = g->tab[k].seen_ms, tried = g->tried[k];
		int64_t wait = seen ? 4 * (int64_t)g->step_ms : dead;
		if (tried && seen <= tried && now - tried < wait)
			continue; /* pulled, no answer yet */
		if (!seen)
			seen = INT64_MIN + 1; /* never heard of: first */
		else if (!gossip_alive(g, k, now, dead))
			continue;
		if (seen < oldest) {
			oldest = seen;
			pick = k;
		}
	}
	if (pick)
		g->tried[pick] = now;
	return pick;
}

/* The window as a datagram of type for node to. */
static size_t gossip_seal(struct gossip *g, uint16_t type, int to, int64_t now, uint8_t *out)
{
	static struct node_info win[GOSSIP_W_MAX];
	size_t k = gossip_window(g, now, win);
	int len = dgram_seal(g->key, type, g->self, to, ++g->counter, win, k * sizeof(win[0]), out);
	if (len < 0)
		return 0;
	g->st.sent++;
	return (size_t)len;
}

/* Build the step's datagram: a push to a random node, and every other step
 * a pull from the live node whose entry is oldest (it answers with its
 * window), which cuts the tail of the ages. */
size_t gossip_emit(struct gossip *g, const int *nodes, size_t n, int64_t now, int *target,
		   uint8_t *out)
{
	int pull = g->step++ % 2 == 1;
	*target = pull ? gossip_oldest(g, nodes, n, now) : 0;
	if (!*target) {
		pull = 0;
		*target = gossip_target(g, nodes, n, now);
	}
	if (!*target || !g->tab[g->self].seen_ms)
		return 0;
	return gossip_seal(g, pull ? WIRE_GOSSIP_PULL : WIRE_GOSSIP, *target, now, out);
}

/* The answer to a pull from node to. */
size_t gossip_answer(struct gossip *g, int to, int64_t now, uint8_t *out)
{
	if (!g->tab[g->self].seen_ms)
		return 0;
	return gossip_seal(g, WIRE_GOSSIP, to, now, out);
}

/* Merge what a peer knows: newer information wins. */
static void gossip_merge(struct gossip *g, const struct node_info *in, size_t count, int64_t now,
			 int (*known)(void *arg, int node), void *arg)
{
	for (size_t i = 0; i < count; i++) {
		struct node_info e;
		memcpy(&e, &in[i], sizeof(e));
		int k = e.node;
		if (k < 1 || k > CLUSTER_MAX_NODES || k == g->self ||
		    e.age_ms > GOSSIP_MAX_AGE_MS || (known && !known(arg, k)))
			continue;
		int64_t seen = now - (int64_t)e.age_ms;
		if (seen <= g->tab[k].seen_ms)
			continue;
		e.seen_ms = seen;
		e.age_ms = 0;
		g->tab[k] = e;
		g->st.merged++;
	}
}

/* Take a datagram. */
int gossip_take(struct gossip *g, const uint8_t *buf, size_t n, int64_t now,
		int (*known)(void *arg, int node), void *arg)
{
	struct dgram_hdr h;
	const uint8_t *p;
	int rc = dgram_open(g->key, buf, n, &h, &p);
	if (rc == -EPROTO || (!rc && h.type != WIRE_GOSSIP && h.type != WIRE_GOSSIP_PULL))
		return g->st.garbage++, -EPROTO;
	if (rc == -EMSGSIZE || (!rc && (h.len % sizeof(struct node_info) ||
					h.len > GOSSIP_W_MAX * sizeof(struct node_info))))
		return g->st.badsize++, -EMSGSIZE;
	if (rc)
		return g->st.forged++, rc;
	if (h.from < 1 || h.from > CLUSTER_MAX_NODES || h.from == g->self ||
	    (known && !known(arg, h.from)))
		return g->st.unknown++, -ENOENT;
	if (h.counter <= g->last[h.from] || h.to != g->self) /* again, or meant for another */
		return g->st.replayed++, -EALREADY;
	g->last[h.from] = h.counter;
	g->st.received++;
	gossip_merge(g, (const struct node_info *)p, h.len / sizeof(struct node_info), now, known,
		     arg);
	return h.type == WIRE_GOSSIP_PULL ? h.from : 0;
}

/* Known entries with their ages. */
size_t gossip_snapshot(const struct gossip *g, int64_t now, int (*known)(void *arg, int node),
		       void *arg, struct node_info *out, size_t cap)
{
	size_t c = 0;
	for (int k = 1; k <= CLUSTER_MAX_NODES && c < cap; k++) {
		if (!g->tab[k].seen_ms || (known && !known(arg, k)))
			continue;
		out[c] = g->tab[k];
		out[c].node = k;
		out[c].age_ms = (uint64_t)(now - g->tab[k].seen_ms);
		c++;
	}
	return c;
}

/* ---- the service ---- */

#define LINK_MIN_BYTES (4u << 20) /* a smaller stream says more of latency than rate */

struct gossip_svc {
	struct gossip *g;
	uint64_t link_bps; /* this node's link, as its migrations measured it */
	struct nodes_meter meter;
	int fd;
	int *nodes; /* the map's node numbers */
	size_t nnodes;
};

/* Is node in the map? */
static int svc_known(void *arg, int node)
{
	return cluster_find(arg, node) != NULL;
}

/* The map's node numbers, again after a reload. */
static void svc_nodes(struct hub *h, struct gossip_svc *s)
{
	s->nodes = xrealloc(s->nodes, (h->cl.nnodes + 1) * sizeof(int));
	for (size_t i = 0; i < h->cl.nnodes; i++)
		s->nodes[i] = h->cl.nodes[i].num;
	s->nnodes = h->cl.nnodes;
	gossip_set_nnodes(s->g, h->cl.nnodes);
}

/* Send a datagram to node. */
static void svc_send(struct hub *h, struct gossip_svc *s, int node, const uint8_t *buf, size_t len)
{
	struct sockaddr_in a;
	if (len && !cluster_sockaddr(&h->cl, node, &a))
		sendto(s->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a));
}

/* Datagrams arrive. */
/* ICMP errors of datagrams sent (IP_RECVERR): the node they went to has
 * nothing listening, or cannot be reached. */
static void svc_on_errors(struct hub *h, struct gossip_svc *s)
{
	for (;;) {
		struct sockaddr_in to;
		char data[64];
		union {
			char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
					    sizeof(struct sockaddr_in))];
			struct cmsghdr align;
		} u;
		struct iovec iov = {data, sizeof(data)};
		struct msghdr m = {.msg_name = &to,
				   .msg_namelen = sizeof(to),
				   .msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = u.buf,
				   .msg_controllen = sizeof(u.buf)};
		if (recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		/* only "port unreachable" from ICMP: nothing listens there */
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		const struct sock_extended_err *ee =
		    cm && cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR
			? (const struct sock_extended_err *)CMSG_DATA(cm)
			: NULL;
		if (!ee || ee->ee_origin != SO_EE_ORIGIN_ICMP || ee->ee_errno != ECONNREFUSED)
			continue;
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &to.sin_addr, addr, sizeof(addr));
		const struct cluster_node *n = cluster_find_addr(&h->cl, addr);
		if (n) {
			log_debug("node %d unreachable", n->num);
			gossip_failed(s->g, n->num, nodes_now_ms());
		}
	}
}

static void svc_on_udp(struct hub *h, int fd, uint32_t events, void *arg)
{
	static uint8_t buf[DGRAM_MAX + 1];
	struct gossip_svc *s = arg;
	ssize_t n;
	svc_on_errors(h, s);
	/* at most a few hundred a wake-up: a flood must not starve the loop */
	for (int left = 256; left-- > 0 && (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0;) {
		if (n > DGRAM_MAX) { /* bigger than any of ours: cut */
			s->g->st.badsize++;
			continue;
		}
		int rc = gossip_take(s->g, buf, (size_t)n, nodes_now_ms(), svc_known, &h->cl);
		if (rc < 0)
			log_debug("dropped a datagram: %s", strerror(-rc));
		else if (rc > 0) /* a pull: answer it */
			svc_send(h, s, rc, buf, gossip_answer(s->g, rc, nodes_now_ms(), buf));
	}
}

/* This node's own entry with its processes, status and link as they are
 * now (a command that changed them is seen at once here, by others at the
 * next step); the measurements stay those of the last step. */
static void svc_refresh(struct hub *h, struct gossip_svc *s)
{
	struct node_info v = *gossip_self(s->g);
	v.locals = (uint32_t)registry_locals(h);
	v.guests = (uint32_t)registry_guests(h);
	v.frozen = (uint32_t)registry_frozen(h);
	v.status = guests_status(h) | policy_status(h);
	v.link_bps = s->link_bps;
	gossip_set_self(s->g, &v, v.seen_ms);
}

/* This node's vector now. */
static void svc_measure(struct hub *h, struct gossip_svc *s)
{
	struct node_info v;
	nodes_measure(&s->meter, &v);
	v.node = h->cl.self;
	gossip_set_self(s->g, &v, v.seen_ms);
	svc_refresh(h, s);
}

/* Every step: measure, and tell one node. */
static void svc_step(struct hub *h)
{
	static uint8_t buf[DGRAM_MAX];
	struct gossip_svc *s = h->gossip;
	int target;
	svc_nodes(h, s); /* the map may have been reloaded */
	svc_measure(h, s);
	size_t len = gossip_emit(s->g, s->nodes, s->nnodes, nodes_now_ms(), &target, buf);
	svc_send(h, s, target, buf, len);
}

/* Bind the datagram socket on this node's address and the cluster port. */
static int svc_start(struct hub *h, struct err *e)
{
	struct sockaddr_in a;
	if (cluster_sockaddr(&h->cl, h->cl.self, &a))
		return err_setx(e, -EINVAL, "this node (%d) has no address in the map", h->cl.self);
	const struct cluster_node *me = cluster_find(&h->cl, h->cl.self);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		return err_set(e, rc, "gossip socket on %s:%u (udp)", me->addr, h->cl.port);
	}
	int one = 1; /* failed contacts come back as ICMP errors */
	setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	struct gossip_svc *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->g = gossip_new(h->cl.self, h->cl.key, h->o->window ? h->o->window : GOSSIP_W_DEFAULT,
			  h->step_ms, h->cl.nnodes);
	nodes_meter_init(&s->meter, h->o->speed_factor);
	h->gossip = s;
	svc_nodes(h, s);
	svc_measure(h, s);
	log_info("speed %u, %u.%03u cpus, gossip window %d, a node is down after %.1f s",
		 s->meter.speed, s->meter.cpus_milli / 1000, s->meter.cpus_milli % 1000,
		 s->g->window, (double)gossip_dead_ms(s->g) / 1000.0);
	return hub_watch(h, fd, svc_on_udp, s);
}

static void svc_stop(struct hub *h)
{
	struct gossip_svc *s = h->gossip;
	if (!s)
		return;
	close(s->fd);
	gossip_free(s->g);
	free(s->nodes);
	free(s);
	h->gossip = NULL;
}

/* This node's view. */
size_t gossip_view(struct hub *h, struct node_info *out, size_t cap)
{
	struct gossip_svc *s = h->gossip;
	return gossip_snapshot(s->g, nodes_now_ms(), svc_known, &h->cl, out, cap);
}

/* Is node up? */
int gossip_node_up(struct hub *h, int node)
{
	struct gossip_svc *s = h->gossip;
	if (node < 1 || node > CLUSTER_MAX_NODES || !cluster_find(&h->cl, node))
		return 0;
	return gossip_up(s->g, node, nodes_now_ms());
}

/* The LAPI_NODES text: a line "dead_ms D" and the counters, then one line
 * a node (node age_ms up speed cpus_milli ncpus load_local load_adv locals
 * guests frozen status mem_total_kb mem_free_kb link_bps uptime_s, then
 * io_kbs net_kbs swap_total_mb swap_free_mb version). Its length. */
size_t gossip_nodes_text(struct hub *h, char *msg, size_t len)
{
	static struct node_info v[CLUSTER_MAX_NODES];
	struct gossip_svc *s = h->gossip;
	svc_refresh(h, s);
	size_t k = gossip_view(h, v, CLUSTER_MAX_NODES), at = 0;
	int64_t dead = gossip_dead_ms(s->g), now = nodes_now_ms();
	const struct gossip_stats *st = gossip_stats(s->g);
	at += (size_t)snprintf(msg, len,
			       "dead_ms %lld sent %llu received %llu garbage %llu badsize %llu "
			       "forged %llu replayed %llu unknown %llu unreachable %llu\n",
			       (long long)dead, (unsigned long long)st->sent,
			       (unsigned long long)st->received, (unsigned long long)st->garbage,
			       (unsigned long long)st->badsize, (unsigned long long)st->forged,
			       (unsigned long long)st->replayed, (unsigned long long)st->unknown,
			       (unsigned long long)st->failed);
	for (size_t i = 0; i < k && at + 240 < len; i++) {
		const struct node_info *e = &v[i];
		at += (size_t)snprintf(
		    msg + at, len - at,
		    "%d %llu %d %u %u %u %u %u %u %u %u %u %llu %llu %llu %llu %u %u %u %u %u\n",
		    e->node, (unsigned long long)e->age_ms, gossip_up(s->g, e->node, now), e->speed,
		    e->cpus_milli, e->ncpus, e->load_local, e->load_adv, e->locals, e->guests,
		    e->frozen, e->status, (unsigned long long)e->mem_total_kb,
		    (unsigned long long)e->mem_free_kb, (unsigned long long)e->link_bps,
		    (unsigned long long)e->uptime_s, e->io_kbs, e->net_kbs, e->swap_total_mb,
		    e->swap_free_mb, e->version);
	}
	return at;
}

/* LAPI_NODES: gossip_nodes_text. */
static void svc_req_nodes(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	static char msg[LAPI_MSG_MAX];
	gossip_nodes_text(h, msg, sizeof(msg));
	hub_reply(h, c, 0, "%s", msg);
}

/* LAPI_LINK: a mosrun's migration measured the link (bytes in usec). */
static void svc_req_link(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct gossip_svc *s = h->gossip;
	unsigned long long bytes, usec;
	if (sscanf(q->msg, "%llu %llu", &bytes, &usec) != 2 || bytes < LINK_MIN_BYTES || !usec)
		return;
	uint64_t bps = (uint64_t)((double)bytes * 8e6 / (double)usec);
	s->link_bps = s->link_bps ? (3 * s->link_bps + bps) / 4 : bps;
}

static const struct hub_request svc_requests[] = {
    {LAPI_NODES, HUB_ANYONE, 0, svc_req_nodes},
    {LAPI_LINK, HUB_ANYONE, 1, svc_req_link},
};

const struct service svc_gossip = {
    .name = "gossip",
    .start = svc_start,
    .step = svc_step,
    .stop = svc_stop,
    .requests = svc_requests,
    .nrequests = ARRAY_SIZE(svc_requests),
};
