/* balance.c: the balancer service. */
#define LOG_PREFIX "balance"
#include "daemon/balance.h"
#include "daemon/gossip.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "daemon/registry.h"
#include "daemon/tune.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAL_PENDING_MAX 64
#define BAL_PENDING_MAX_MS 30000 /* a move not seen in the gossip by then is forgotten */
#define BAL_MOVE_FIXED_S 0.05	 /* a move's cost beyond sending its memory */
#define BAL_IO_BOUND 0.5	 /* forwarding would take this much of its time: I/O-bound */
#define BAL_IO_NOTABLE 0.1	 /* a move home for less is not for its I/O */

/* A move (or a mosrun -b placement) not yet seen in the gossip about its
 * ends: counted in by hand until then. */
struct bal_pending {
	unsigned id;
	int from, to;		/* from 0: a placement */
	int64_t at_ms, done_ms; /* done_ms: when it ended (0: under way) */
	int64_t hold_ms;	/* a placement counts at least this long */
	uint64_t rss_kb;	/* the memory it takes along */
};

struct balance_svc {
	struct tune t;
	struct bal_pending pend[BAL_PENDING_MAX];
	size_t npend;
	unsigned next_id;
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
	uint64_t mem_free_kb, mem_total_kb;
	int64_t seen_ms; /* when its news was true */
};

/* One round's view: the nodes, and this node. */
struct bal_round {
	struct bal_node v[CLUSTER_MAX_NODES];
	size_t nn;
	struct bal_node *me;
	int64_t now;
	double link_bps; /* this node's link, measured or assumed */
	int moves;
};

/* The rate one of n runnable processes gets on node b. */
static double bal_rate(const struct bal_node *b, double n)
{
	return b->speed * fmin(1.0, b->ncpus / fmax(n, 1.0));
}

/* The share of its time p would spend waiting on forwarded calls away
 * from home: a call's cost plus its bytes over the link. */
static double bal_io_share(const struct balance_svc *s, const struct bal_round *r,
			   const struct registry_proc *p)
{
	return fmin(1.0, p->io_cps * s->t.io_call_us / 1e6 + p->io_bps * 8 / r->link_bps);
}

/* The rate p gets on b when b has n runnable processes: away from home,
 * less the time its calls spend travelling. */
static double bal_eff(const struct balance_svc *s, const struct bal_round *r,
		      const struct bal_node *b, double n, const struct registry_proc *p)
{
	double rate = bal_rate(b, n);
	return b == r->me ? rate : rate * (1 - bal_io_share(s, r, p));
}

/* Is pending move x seen in the view (news of both ends younger than its end)? */
static int bal_seen(const struct bal_round *r, const struct bal_pending *x, int step_ms)
{
	if (!x->done_ms || r->now - x->at_ms < x->hold_ms)
		return 0;
	for (size_t i = 0; i < r->nn; i++) {
		const struct bal_node *b = &r->v[i];
		if ((b->node == x->to || b->node == x->from) && b->seen_ms <= x->done_ms + step_ms)
			return 0;
	}
	return 1;
}

/* The nodes, from the gossip view, with our moves not yet seen in it. */
static void bal_nodes(struct hub *h, struct bal_round *r)
{
	static struct node_info v[CLUSTER_MAX_NODES];
	struct balance_svc *s = h->balance;
	size_t k = gossip_view(h, v, CLUSTER_MAX_NODES);
	r->now = nodes_now_ms();
	r->nn = 0;
	r->me = NULL;
	r->link_bps = s->t.link_mbps * 1e6;
	for (size_t i = 0; i < k && r->nn < CLUSTER_MAX_NODES; i++) {
		struct bal_node *b = &r->v[r->nn++];
		b->node = v[i].node;
		b->up = gossip_node_up(h, v[i].node) || v[i].node == h->cl.self;
		b->n = v[i].load_adv / 1000.0;
		b->speed = v[i].speed / (double)NODES_STD_SPEED;
		b->ncpus = v[i].ncpus ? v[i].ncpus : 1;
		b->status = v[i].status;
		b->mem_free_kb = v[i].mem_free_kb;
		b->mem_total_kb = v[i].mem_total_kb;
		b->seen_ms = r->now - (int64_t)v[i].age_ms;
		if (b->node == h->cl.self) {
			/* its own load as it is now (it drops at once): the
			 * advertised one decays slowly, and a node judging
			 * itself by it would send away what already left */
			b->n = v[i].load_local / 1000.0;
			r->me = b;
			if (v[i].link_bps)
				r->link_bps = (double)v[i].link_bps;
		}
	}
	for (size_t p = 0; p < s->npend;) {
		struct bal_pending *x = &s->pend[p];
		if (bal_seen(r, x, h->step_ms) || r->now - x->at_ms > BAL_PENDING_MAX_MS) {
			s->pend[p] = s->pend[--s->npend];
			continue;
		}
		for (size_t i = 0; i < r->nn; i++) {
			struct bal_node *b = &r->v[i];
			if (b->node == x->to) {
				b->n += 1;
				b->mem_free_kb -= fmin(b->mem_free_kb, x->rss_kb);
			} else if (b->node == x->from) {
				b->n -= 1;
				b->mem_free_kb += x->rss_kb;
			}
		}
		p++;
	}
	for (size_t i = 0; i < r->nn; i++)
		r->v[i].n = fmax(r->v[i].n, 0);
}

static struct bal_node *bal_find(struct bal_round *r, int node)
{
	for (size_t i = 0; i < r->nn; i++)
		if (r->v[i].node == node)
			return &r->v[i];
	return NULL;
}

/* Count a move or placement in until the gossip shows it. Its id. */
static unsigned bal_pend(struct balance_svc *s, int from, int to, int64_t now, int64_t hold_ms,
			 uint64_t rss_kb)
{
	unsigned id = ++s->next_id;
	if (s->npend == BAL_PENDING_MAX) /* the oldest goes */
		s->pend[0] = s->pend[--s->npend];
	s->pend[s->npend++] =
	    (struct bal_pending){id, from, to, now, from ? 0 : now, hold_ms, rss_kb};
	return id;
}

/* The move's answer. */
static void bal_done(struct hub *h, void *arg, int status, const char *msg)
{
	struct balance_svc *s = h->balance;
	if (!s)
		return;
	unsigned id = (unsigned)(uintptr_t)arg;
	s->in_flight--;
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].id == id) {
			if (status) /* nothing moved: count nothing */
				s->pend[i] = s->pend[--s->npend];
			else
				s->pend[i].done_ms = nodes_now_ms();
			break;
		}
	if (status) {
		s->failed++;
		log_info("move failed: %s", msg);
	}
}

/* Does b have room for p (memory), and may p go there? */
static int bal_open(const struct balance_svc *s, const struct bal_round *r,
		    const struct bal_node *b, const struct registry_proc *p)
{
	if (!b->up)
		return 0;
	if (b == r->me) /* home takes its own back, blocked or not */
		return 1;
	return !(b->status & (NODE_ST_BLOCK | NODE_ST_EXPELLING)) &&
	       b->mem_free_kb >= p->rss_kb + (uint64_t)(s->t.mem_reserve_mb * 1024);
}

/* Is b under the free-memory mark, or would it be with kb more? */
static int bal_short_with(const struct balance_svc *s, const struct bal_node *b, uint64_t kb)
{
	double after = (double)b->mem_free_kb - (double)kb;
	return b->mem_total_kb && after * 100 < s->t.usher_free_pct * (double)b->mem_total_kb;
}

static int bal_short(const struct balance_svc *s, const struct bal_node *b)
{
	return bal_short_with(s, b, 0);
}

/* What a move of p costs in seconds: its memory over the link. */
static double bal_cost_s(const struct bal_round *r, const struct registry_proc *p)
{
	return BAL_MOVE_FIXED_S + (double)p->rss_kb * 8192.0 / r->link_bps;
}

/* The best node for p now on a (counted in a->n) by rate, or NULL; *why
 * says why it goes there (load, home-room, home-io) or why none. */
static struct bal_node *bal_target(struct hub *h, struct bal_round *r, const struct bal_node *a,
				   const struct registry_proc *p, const char **why)
{
	struct balance_svc *s = h->balance;
	double now_rate = bal_eff(s, r, a, a->n, p), best_rate = 0;
	struct bal_node *best = NULL;
	int memory = 0;
	for (size_t i = 0; i < r->nn; i++) {
		struct bal_node *b = &r->v[i];
		if (b == a || !b->up || (b != r->me && p->cpu < s->t.cpu_bound))
			continue; /* (one that hardly computes only ever goes home) */
		double rate = bal_eff(s, r, b, b->n + 1, p);
		if (!bal_open(s, r, b, p)) {
			memory |= rate > now_rate * s->t.margin &&
				  !(b->status & (NODE_ST_BLOCK | NODE_ST_EXPELLING));
			continue;
		}
		if (rate > best_rate) {
			best_rate = rate;
			best = b;
		}
	}
	/* home with a free core, as fast, and memory for it: it comes home
	 * (no calls to forward) */
	if (a != r->me && best == r->me && r->me->n + 1 <= r->me->ncpus && best_rate >= now_rate &&
	    !bal_short_with(s, r->me, p->rss_kb)) {
		*why = bal_io_share(s, r, p) >= BAL_IO_NOTABLE ? "home-io" : "home-room";
		return best;
	}
	*why = memory						     ? "memory"
	       : a != r->me && bal_io_share(s, r, p) >= BAL_IO_BOUND ? "io-bound"
								     : "no-better-node";
	if (!best || best_rate < now_rate * s->t.margin || best_rate - now_rate < s->t.min_gain)
		return NULL;
	/* the gain over its likely remaining time (as long as it has run) must
	 * repay what the move costs */
	if ((best_rate - now_rate) * fmax(p->age_s, 1.0) <
	    s->t.payback * now_rate * bal_cost_s(r, p)) {
		*why = "too-young-to-move";
		return NULL;
	}
	*why = best != r->me				 ? "load"
	       : bal_io_share(s, r, p) >= BAL_IO_NOTABLE ? "home-io"
							 : "home-load";
	return best;
}

/* May p be moved by the balancer now? If not, why (a word for mosps). */
static const char *bal_stays(struct hub *h, const struct bal_round *r,
			     const struct registry_proc *p, const struct bal_node *a)
{
	struct balance_svc *s = h->balance;
	if (p->flags & LAPI_P_LOCKED)
		return "locked";
	if (p->flags & LAPI_P_THREADS)
		return "threads";
	if (p->flags & LAPI_P_STOPPED)
		return "stopped";
	if (a->status & NODE_ST_STAY)
		return "stay";
	if (a == r->me && (a->status & NODE_ST_LSTAY))
		return "lstay";
	if (p->moved_ms && r->now - p->moved_ms < s->t.min_interval_s * 1000)
		return "";
	if (a == r->me && bal_io_share(s, r, p) >= BAL_IO_BOUND)
		return "io-bound";
	if (a == r->me && p->cpu < s->t.cpu_bound)
		return "idle";
	return NULL;
}

/* Start moving p from a to b; reason a word for the log and mosps. 0 or code. */
static int bal_move(struct hub *h, struct bal_round *r, struct registry_proc *p, struct bal_node *a,
		    struct bal_node *b, const char *reason)
{
	struct balance_svc *s = h->balance;
	char why[48];
	snprintf(why, sizeof(why), "moved:%s", reason);
	log_info("moving pid %d from node %d (%.2f runnable, rate %.2f) to node %d (%.2f runnable, "
		 "rate %.2f there): %s",
		 p->pid, a->node, a->n, bal_rate(a, a->n), b->node, b->n, bal_rate(b, b->n + 1),
		 reason);
	unsigned id = bal_pend(s, a->node, b->node, r->now, 0, p->rss_kb);
	if (registry_move(h, p->pid, b == r->me ? 0 : b->node, bal_done, (void *)(uintptr_t)id)) {
		s->npend--; /* (the one just added) */
		return -ESRCH;
	}
	registry_reason(h, p->pid, why);
	s->in_flight++;
	s->moves++;
	r->moves++;
	a->n -= 1;
	b->n += 1;
	if (b != r->me)
		b->mem_free_kb -= fmin(b->mem_free_kb, p->rss_kb);
	a->mem_free_kb += p->rss_kb;
	p->moved_ms = r->now;
	return 0;
}

/* Memory ushering: from a node short of free memory, the largest movable
 * process of ours there goes to the node with the most free memory. */
static void bal_usher(struct hub *h, struct bal_round *r, struct registry_proc *procs, size_t np)
{
	struct balance_svc *s = h->balance;
	for (size_t i = 0; i < r->nn && r->moves < s->t.moves_per_step; i++) {
		struct bal_node *a = &r->v[i];
		if (!a->up || !bal_short(s, a))
			continue;
		struct registry_proc *big = NULL;
		for (size_t k = 0; k < np; k++) {
			const char *no = bal_stays(h, r, &procs[k], a);
			if (procs[k].where == a->node &&
			    (!no || !strcmp(no, "idle") || !strcmp(no, "io-bound")) &&
			    (!big || procs[k].rss_kb > big->rss_kb))
				big = &procs[k];
		}
		struct bal_node *to = NULL;
		for (size_t k = 0; big && k < r->nn; k++) {
			struct bal_node *b = &r->v[k];
			/* it must stay above the mark with big, or big would go on */
			if (b != a && bal_open(s, r, b, big) &&
			    (!to || b->mem_free_kb > to->mem_free_kb) &&
			    !bal_short_with(s, b, big->rss_kb))
				to = b;
		}
		if (big && to)
			bal_move(h, r, big, a, to, "memory");
		else if (big)
			registry_reason(h, big->pid, "memory:no-node-has-room");
	}
}

/* Load: move what would clearly compute faster elsewhere, the processes
 * on the slowest nodes first. */
static void bal_load(struct hub *h, struct bal_round *r, struct registry_proc *procs, size_t np)
{
	struct balance_svc *s = h->balance;
	while (r->moves < s->t.moves_per_step) {
		struct registry_proc *pick = NULL;
		struct bal_node *from = NULL, *to = NULL;
		const char *reason = "";
		double worst = 1e9;
		for (size_t i = 0; i < np; i++) {
			struct registry_proc *p = &procs[i];
			struct bal_node *a = bal_find(r, p->where);
			const char *no = a ? bal_stays(h, r, p, a) : "";
			if (no) {
				if (*no)
					registry_reason(h, p->pid, no);
				continue;
			}
			double rate = bal_eff(s, r, a, a->n, p);
			const char *why = "";
			struct bal_node *b = rate < worst ? bal_target(h, r, a, p, &why) : NULL;
			if (*why && !b && rate < worst)
				registry_reason(h, p->pid, why);
			if (b) {
				worst = rate;
				pick = p, from = a, to = b, reason = why;
			}
		}
		if (!pick)
			break;
		if (bal_move(h, r, pick, from, to, reason))
			break;
	}
}

/* The local load rises slowly: it is at least the processes of ours that
 * compute here (not counting those leaving). */
static void bal_own_load(struct hub *h, struct bal_round *r, const struct registry_proc *procs,
			 size_t np)
{
	struct balance_svc *s = h->balance;
	double k = 0;
	for (size_t i = 0; i < np; i++)
		k += procs[i].where == h->cl.self && procs[i].cpu >= s->t.cpu_bound;
	for (size_t i = 0; i < s->npend; i++)
		k -= s->pend[i].from == h->cl.self && !s->pend[i].done_ms;
	r->me->n = fmax(r->me->n, k);
}

/* Every step: usher out of nodes short of memory, then balance the load. */
static void bal_step(struct hub *h)
{
	static struct bal_round r;
	static struct registry_proc procs[1024];
	struct balance_svc *s = h->balance;
	struct err e = {0, ""};
	if (tune_read(&h->cl, &s->t, &e)) /* (the map was checked when loaded) */
		return;
	if (s->in_flight >= s->t.moves_per_step)
		return; /* enough under way */
	bal_nodes(h, &r);
	if (!r.me)
		return;
	r.moves = s->in_flight;
	if (bal_short(s, r.me)) /* usher by today's sizes */
		registry_sizes(h);
	size_t np = registry_view(h, procs, ARRAY_SIZE(procs));
	bal_own_load(h, &r, procs, np);
	bal_usher(h, &r, procs, np);
	bal_load(h, &r, procs, np);
}

/* LAPI_BEST: the node a new process should start on (mosrun -b): the one
 * where it would get the highest rate, counting the placements made in the
 * last moments (a burst of starts spreads); home when no other is better
 * by a small margin (nearly equal counts as equal). */
static void bal_req_best(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	static struct bal_round r;
	struct balance_svc *s = h->balance;
	struct registry_proc none = {0};
	bal_nodes(h, &r);
	if (!r.me) {
		hub_reply(h, c, -EAGAIN, "this node does not know itself yet");
		return;
	}
	struct bal_node *best = r.me;
	double home_rate = bal_rate(r.me, r.me->n + 1), best_rate = home_rate;
	for (size_t i = 0; i < r.nn; i++) {
		struct bal_node *b = &r.v[i];
		double rate = bal_rate(b, b->n + 1);
		if (b != r.me && bal_open(s, &r, b, &none) && rate > best_rate &&
		    rate >= home_rate * s->t.best_margin)
			best = b, best_rate = rate;
	}
	bal_pend(s, 0, best->node, r.now, (int64_t)(s->t.best_hold_s * 1000), 0);
	log_info("best node for a new process: %d (%.2f runnable there)", best->node, best->n);
	hub_reply(h, c, 0, "%d", best->node);
}

static int bal_start(struct hub *h, struct err *e)
{
	struct tune t;
	int rc = tune_read(&h->cl, &t, e);
	if (rc)
		return rc;
	h->balance = xcalloc(1, sizeof(*h->balance));
	h->balance->t = t;
	return 0;
}

static void bal_stop(struct hub *h)
{
	free(h->balance);
	h->balance = NULL;
}

static const struct hub_request bal_requests[] = {
    {LAPI_BEST, HUB_ANYONE, 0, bal_req_best},
};

const struct service svc_balance = {
    .name = "balance",
    .start = bal_start,
    .step = bal_step,
    .stop = bal_stop,
    .requests = bal_requests,
    .nrequests = ARRAY_SIZE(bal_requests),
};
