/* balance.c: the balancer service. */
#define LOG_PREFIX "balance"
#include "daemon/balance.h"
#include "daemon/gossip.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "daemon/registry.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BAL_MARGIN 1.3		  /* a target must give 30% more */
#define BAL_MIN_GAIN 0.02	  /* and at least this much of a standard core */
#define BAL_MIN_INTERVAL_MS 10000 /* a process moves at most once in this */
#define BAL_MOVES_PER_ROUND 4	  /* moves a node starts in one step */
#define BAL_CPU_BOUND 0.3	  /* a process using less of a core gains nothing by moving */
#define BAL_PENDING_MAX 64
#define BAL_MEM_RESERVE_KB (32u << 10) /* a target keeps this much free after a move */

/* A move made and not yet seen in the gossip about its target and source. */
struct bal_pending {
	int from, to;
	int64_t at_ms;
};

struct balance_svc {
	struct bal_pending pend[BAL_PENDING_MAX];
	size_t npend;
	int in_flight; /* moves asked and not answered yet */
	uint64_t moves, failed;
};

/* One node as the balancer sees it this round. */
struct bal_node {
	int node, up;
	double n;     /* runnable processes there, counting our moves */
	double speed; /* of one core, in standard cores */
	double ncpus;
	uint32_t status;
	uint64_t mem_free_kb;
	int64_t seen_ms; /* when its news was true */
};

/* The rate one of n runnable processes gets on node b. */
static double bal_rate(const struct bal_node *b, double n)
{
	return b->speed * fmin(1.0, b->ncpus / fmax(n, 1.0));
}

/* The nodes, from the gossip view, with our moves not yet seen in it. */
static size_t bal_nodes(struct hub *h, struct bal_node *out, size_t cap)
{
	static struct node_info v[CLUSTER_MAX_NODES];
	struct balance_svc *s = h->balance;
	size_t k = gossip_view(h, v, CLUSTER_MAX_NODES), m = 0;
	int64_t now = nodes_now_ms();
	for (size_t i = 0; i < k && m < cap; i++) {
		struct bal_node *b = &out[m++];
		b->node = v[i].node;
		b->up = gossip_node_up(h, v[i].node) || v[i].node == h->cl.self;
		b->n = v[i].load_adv / 1000.0;
		b->speed = v[i].speed / (double)NODES_STD_SPEED;
		b->ncpus = v[i].ncpus ? v[i].ncpus : 1;
		b->status = v[i].status;
		b->mem_free_kb = v[i].mem_free_kb;
		b->seen_ms = now - (int64_t)v[i].age_ms;
	}
	/* a move is in the view once news of both ends is younger than it */
	for (size_t p = 0; p < s->npend;) {
		struct bal_pending *x = &s->pend[p];
		int seen = 1;
		for (size_t i = 0; i < m; i++) {
			if (out[i].node != x->to && out[i].node != x->from)
				continue;
			if (out[i].seen_ms <= x->at_ms + h->step_ms) {
				seen = 0;
				out[i].n += out[i].node == x->to ? 1 : -1;
			}
		}
		if (seen || now - x->at_ms > 30000)
			s->pend[p] = s->pend[--s->npend];
		else
			p++;
	}
	for (size_t i = 0; i < m; i++)
		out[i].n = fmax(out[i].n, 0);
	return m;
}

static struct bal_node *bal_find(struct bal_node *v, size_t n, int node)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].node == node)
			return &v[i];
	return NULL;
}

/* The move's answer. */
static void bal_done(struct hub *h, void *arg, int status, const char *msg)
{
	struct balance_svc *s = h->balance;
	if (!s)
		return;
	s->in_flight--;
	if (status) {
		s->failed++;
		log_info("move failed: %s", msg);
	}
}

/* The best target for a process now on a (counted in a->n), or NULL. */
static struct bal_node *bal_target(struct hub *h, struct bal_node *v, size_t n,
				   const struct bal_node *a, const struct registry_proc *p)
{
	double now_rate = bal_rate(a, a->n), best_rate = 0;
	struct bal_node *best = NULL;
	for (size_t i = 0; i < n; i++) {
		struct bal_node *b = &v[i];
		int home = b->node == h->cl.self;
		if (b == a || !b->up || (!home && (b->status & NODE_ST_BLOCK)))
			continue;
		if (!home && b->mem_free_kb < p->rss_kb + BAL_MEM_RESERVE_KB)
			continue;
		double r = bal_rate(b, b->n + 1);
		if (r > best_rate) {
			best_rate = r;
			best = b;
		}
	}
	if (!best || best_rate < now_rate * BAL_MARGIN || best_rate - now_rate < BAL_MIN_GAIN)
		return NULL;
	return best;
}

/* May p be moved by the balancer now? */
static int bal_movable(struct hub *h, const struct registry_proc *p, uint32_t my_status,
		       int64_t now)
{
	if (p->flags & (LAPI_P_THREADS | LAPI_P_STOPPED | LAPI_P_LOCKED))
		return 0;
	if (p->moved_ms && now - p->moved_ms < BAL_MIN_INTERVAL_MS)
		return 0;
	if (p->cpu < BAL_CPU_BOUND)
		return 0;
	/* stay / lstay: no automatic move away from this node */
	return p->where != h->cl.self || !(my_status & (NODE_ST_STAY | NODE_ST_LSTAY));
}

/* Every step: move what would clearly compute faster elsewhere. */
static void bal_step(struct hub *h)
{
	static struct bal_node v[CLUSTER_MAX_NODES];
	static struct registry_proc procs[1024];
	struct balance_svc *s = h->balance;
	if (s->in_flight > 0)
		return; /* no new decision while moves are under way */
	size_t nn = bal_nodes(h, v, CLUSTER_MAX_NODES);
	size_t np = registry_view(h, procs, 1024);
	const struct bal_node *me = bal_find(v, nn, h->cl.self);
	int64_t now = nodes_now_ms();
	int moves = 0;
	/* the busiest first: processes on the most loaded nodes */
	for (int round = 0; round < BAL_MOVES_PER_ROUND && me; round++) {
		struct registry_proc *pick = NULL;
		struct bal_node *from = NULL, *to = NULL;
		double worst = 1e9;
		for (size_t i = 0; i < np; i++) {
			struct bal_node *a = bal_find(v, nn, procs[i].where);
			if (!a || !bal_movable(h, &procs[i], me->status, now))
				continue;
			double r = bal_rate(a, a->n);
			struct bal_node *b = r < worst ? bal_target(h, v, nn, a, &procs[i]) : NULL;
			if (b) {
				worst = r;
				pick = &procs[i], from = a, to = b;
			}
		}
		if (!pick)
			break;
		log_info("moving pid %d from node %d (%.2f runnable, rate %.2f) to node %d (%.2f "
			 "runnable, rate %.2f there)",
			 pick->pid, from->node, from->n, bal_rate(from, from->n), to->node, to->n,
			 bal_rate(to, to->n + 1));
		int target = to->node == h->cl.self ? 0 : to->node;
		if (registry_move(h, pick->pid, target, bal_done, NULL))
			break;
		s->in_flight++;
		s->moves++;
		from->n -= 1;
		to->n += 1;
		if (s->npend < BAL_PENDING_MAX)
			s->pend[s->npend++] = (struct bal_pending){from->node, to->node, now};
		pick->moved_ms = now;
		moves++;
	}
}

static int bal_start(struct hub *h, struct err *e)
{
	h->balance = xcalloc(1, sizeof(*h->balance));
	return 0;
}

static void bal_stop(struct hub *h)
{
	free(h->balance);
	h->balance = NULL;
}

const struct service svc_balance = {
    .name = "balance",
    .start = bal_start,
    .step = bal_step,
    .stop = bal_stop,
};
