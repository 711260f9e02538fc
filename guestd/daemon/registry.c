/* registry.c: the registry service: this node's migratable processes. */
#define LOG_PREFIX "registry"
#include "daemon/registry.h"
#include "daemon/guests.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "engine/procfs.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reg_entry {
	struct lapi_proc p;
	struct hub_client *c; /* who registered it */
	/* profile, for the balancer */
	uint64_t cpu_ticks; /* ns it ran or waited to run, when last sampled (at home) */
	double cpu;	    /* share of the time it wants a core, smoothed */
	int64_t moved_ms;   /* when it last changed node (0: never) */
	uint64_t rss_kb;    /* resident at home, before it left */
	int64_t sampled_ms; /* when cpu_ticks was read */
	int64_t rss_ms;	    /* when rss_kb was read */
	unsigned samples;   /* how often it was sampled */
	int64_t born_ms;    /* when it was first registered */
	uint64_t io_calls;  /* I/O counters when last sampled (at home: /proc/PID/io; */
	uint64_t io_bytes;  /* away: the deputy's forwarded calls) */
	int io_away;	    /* which of the two io_calls counts */
	int64_t io_ms;	    /* when */
	double io_cps, io_bps;
	char been[48]; /* the nodes it ran on, oldest first: "1>2>1" */
};

#define REG_MOVE_MS (10 * 60 * 1000) /* a move not answered by then is given up */

/* A move asked of a mosrun, until it answers. */
struct reg_move {
	uint32_t seq;
	int64_t since_ms;
	struct hub_client *c;
	void (*done)(struct hub *h, void *arg, int status, const char *msg);
	void *arg;
};

/* A bring (LAPI_BRING) waiting for its moves. */
struct reg_bring {
	struct hub_client *req; /* NULL once the asker left */
	int pending, failed, asked;
	char *text;
	struct reg_bring *next;
};

/* A call that brought processes of this node home, and how often. */
struct reg_call {
	char name[48];
	uint64_t n, refused; /* came home for it; got ENOSYS for it here (mosrun -e) */
};
#define REG_CALLS_MAX 256

struct registry_svc {
	struct reg_entry *e;
	size_t n;
	struct reg_move *mv;
	size_t nmv;
	uint32_t seq;
	struct reg_bring *brings;
	struct reg_call *calls; /* the calls that brought processes home, counted */
	size_t ncalls;
};

/* The entry of (c, pid), or NULL. */
static struct reg_entry *reg_find(struct registry_svc *r, const struct hub_client *c, int pid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].c == c && r->e[i].p.pid == pid)
			return &r->e[i];
	return NULL;
}

/* Forget entry i. */
static void reg_remove(struct registry_svc *r, size_t i)
{
	r->e[i] = r->e[--r->n];
}

/* Note that x now runs on node (the oldest nodes go when it is full). */
static void reg_been(struct reg_entry *x, int node)
{
	char add[16];
	snprintf(add, sizeof(add), "%s%d", x->been[0] ? ">" : "", node);
	while (strlen(x->been) + strlen(add) >= sizeof(x->been)) {
		char *gt = strchr(x->been + 1, '>');
		memmove(x->been, gt ? gt : "", strlen(gt ? gt : "") + 1);
	}
	strcat(x->been, add);
}

/* Add or replace (c, p). */
static void reg_put(struct registry_svc *r, struct hub_client *c, const struct lapi_proc *p)
{
	struct reg_entry *x = reg_find(r, c, p->pid);
	if (!x) {
		r->e = xrealloc(r->e, (r->n + 1) * sizeof(*r->e));
		x = &r->e[r->n++];
		memset(x, 0, sizeof(*x));
		x->cpu = 0; /* until measured: the balancer leaves it */
		x->born_ms = nodes_now_ms();
		reg_been(x, p->where);
	} else if (x->p.where != p->where) {
		x->moved_ms = nodes_now_ms();
		reg_been(x, p->where);
	}
	char reason[sizeof(x->p.reason)];
	memcpy(reason, x->p.reason, sizeof(reason));
	x->p = *p;
	memcpy(x->p.reason, reason, sizeof(reason)); /* guestd's own */
	x->c = c;
}

size_t registry_locals(struct hub *h)
{
	size_t k = 0;
	for (size_t i = 0; i < h->registry->n; i++)
		k += !(h->registry->e[i].p.flags & LAPI_P_GUEST);
	return k;
}

size_t registry_guests(struct hub *h)
{
	return h->registry->n - registry_locals(h);
}

/* Processes held stopped on this node: its guests, and its own processes
 * that run here. */
size_t registry_frozen(struct hub *h)
{
	size_t k = 0;
	for (size_t i = 0; i < h->registry->n; i++) {
		const struct lapi_proc *p = &h->registry->e[i].p;
		k += (p->flags & LAPI_P_STOPPED) &&
		     ((p->flags & LAPI_P_GUEST) || p->where == h->cl.self);
	}
	return k;
}

/* Ask every guest's supervisor to send its body home. */
size_t registry_expel(struct hub *h)
{
	struct registry_svc *r = h->registry;
	struct lapi_req q;
	size_t asked = 0;
	lapi_req_init(&q, LAPI_GOHOME);
	for (size_t i = 0; i < r->n;) {
		struct reg_entry *x = &r->e[i];
		if (!(x->p.flags & LAPI_P_GUEST)) {
			i++;
			continue;
		}
		size_t before = r->n;
		q.proc = x->p;
		if (hub_send(h, x->c, &q) == 0)
			asked++;
		if (r->n == before) /* (a client that does not read is dropped) */
			i++;
	}
	return asked;
}

/* Ask a mosrun to move one of its processes. */
int registry_move(struct hub *h, int pid, int node,
		  void (*done)(struct hub *h, void *arg, int status, const char *msg), void *arg)
{
	struct registry_svc *r = h->registry;
	for (size_t i = 0; i < r->n; i++) {
		struct reg_entry *x = &r->e[i];
		if (x->p.pid != pid || (x->p.flags & LAPI_P_GUEST))
			continue;
		struct lapi_req q;
		lapi_req_init(&q, LAPI_MOVE);
		q.proc = x->p;
		q.node = node;
		q.seq = ++r->seq;
		struct hub_client *c = x->c;
		x->moved_ms = nodes_now_ms(); /* not asked again while it moves */
		r->mv = xrealloc(r->mv, (r->nmv + 1) * sizeof(*r->mv));
		r->mv[r->nmv++] = (struct reg_move){q.seq, nodes_now_ms(), c, done, arg};
		hub_send(h, c, &q); /* failing, it drops c: on_close answers the move */
		return 0;
	}
	return -ESRCH;
}

/* Answer move k and forget it. */
static void reg_move_done(struct hub *h, size_t k, int status, const char *msg)
{
	struct registry_svc *r = h->registry;
	struct reg_move m = r->mv[k];
	r->mv[k] = r->mv[--r->nmv];
	m.done(h, m.arg, status, msg);
}

/* A mosrun registers. */
static void reg_req_register(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	c->registered = 1;
	hub_reply(h, c, 0, "registered");
}

/* A guest's supervisor registers: only while guests are accepted. */
static void reg_req_guest(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	/* a guest that runs here already (its supervisor lost a guestd) is
	 * taken back even while blocked: an expel must see it */
	int orphan = !!(q->proc.flags & LAPI_P_ORPHAN);
	if (!orphan && !guests_accepting(h)) {
		hub_reply(h, c, -EBUSY, "node %d accepts no guests now (blocked or expelling)",
			  h->cl.self);
		return;
	}
	struct lapi_proc p = q->proc;
	p.flags |= LAPI_P_GUEST;
	p.where = h->cl.self;
	p.job = c->cred.pid;
	c->registered = c->guest = 1;
	reg_put(h->registry, c, &p);
	hub_reply(h, c, 0, "registered");
	if (orphan && guests_expelling(h)) {
		struct lapi_req go;
		lapi_req_init(&go, LAPI_GOHOME);
		go.proc = p;
		hub_send(h, c, &go);
	}
}

/* Check a mosrun's record against /proc: the process must be traced by
 * that mosrun; its owner is what /proc says. 0 or -ESRCH. */
static int reg_verify(const struct hub *h, const struct hub_client *c, struct lapi_proc *p)
{
	struct proc_status st;
	if (p->pid <= 0 || procfs_status(p->pid, &st) || st.tracer != c->cred.pid)
		return -ESRCH;
	p->uid = st.uid[0];
	p->job = c->cred.pid;
	p->local_pid = 0;
	p->flags &= ~LAPI_P_GUEST;
	p->home_node = h->cl.self;
	if (p->where <= 0)
		p->where = h->cl.self;
	return 0;
}

/* A registered client tells of one of its processes. */
static void reg_req_proc(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct lapi_proc p = q->proc;
	if (c->guest) { /* its one entry, brought up to date */
		for (size_t i = 0; i < h->registry->n; i++)
			if (h->registry->e[i].c == c) {
				p.flags |= LAPI_P_GUEST;
				p.where = h->cl.self;
				p.job = c->cred.pid;
				h->registry->e[i].p = p;
			}
		return;
	}
	if (reg_verify(h, c, &p)) {
		log_debug("mosrun %d registered pid %d, which it does not trace", c->cred.pid,
			  p.pid);
		return;
	}
	reg_put(h->registry, c, &p);
}

/* A process ended or left; a guest's supervisor says how it ended. */
static void reg_req_gone(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct registry_svc *r = h->registry;
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].c == c && (c->guest || r->e[i].p.pid == q->proc.pid)) {
			reg_remove(r, i);
			break;
		}
	if (c->guest)
		guests_ended(h, q->status);
}

/* A mosrun's answer to a move. */
static void reg_req_moved(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct registry_svc *r = h->registry;
	char msg[sizeof(q->msg)];
	snprintf(msg, sizeof(msg), "%s", q->msg);
	for (size_t k = 0; k < r->nmv; k++)
		if (r->mv[k].c == c && r->mv[k].seq == q->seq)
			return reg_move_done(h, k, q->status, msg);
}

/* The registry as LAPI_PROCS lines, each with its profile. */
size_t registry_text(struct hub *h, char *msg, size_t len)
{
	size_t at = 0;
	msg[0] = '\0';
	int64_t now = nodes_now_ms();
	for (size_t i = 0; i < h->registry->n && at + 260 < len; i++) {
		const struct reg_entry *x = &h->registry->e[i];
		int w = lapi_proc_line(msg + at, len - at, &x->p);
		at += w > 0 ? (size_t)w - 1 : 0; /* the profile follows on the line */
		w = snprintf(msg + at, len - at, " %.3f %.1f %.0f %llu %.1f %s\n", x->cpu,
			     x->io_cps, x->io_bps, (unsigned long long)x->rss_kb,
			     (double)(now - x->born_ms) / 1000.0, x->been[0] ? x->been : "-");
		at += w > 0 ? (size_t)w : 0;
	}
	return at;
}

/* LAPI_PROCS: the registry, a line each. */
static void reg_req_procs(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	static char msg[LAPI_MSG_MAX];
	registry_text(h, msg, sizeof(msg));
	hub_reply(h, c, 0, "%s", msg);
}

/* Answer a bring once its last move has. */
static void reg_bring_end(struct hub *h, struct reg_bring *b)
{
	struct registry_svc *r = h->registry;
	if (b->req)
		hub_reply(h, b->req, b->failed ? -EAGAIN : 0, "asked %d failed %d\n%s", b->asked,
			  b->failed, b->text ? b->text : "");
	for (struct reg_bring **pp = &r->brings; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b->text);
	free(b);
}

/* One process of a bring answered. */
static void reg_bring_done(struct hub *h, void *arg, int status, const char *msg)
{
	struct reg_bring *b = arg;
	char *t = xasprintf("%s%s: %s\n", b->text ? b->text : "", status ? "failed" : "home", msg);
	free(b->text);
	b->text = t;
	b->failed += status != 0;
	if (--b->pending == 0)
		reg_bring_end(h, b);
}

/* LAPI_BRING: every local process that runs elsewhere comes home. */
static void reg_req_bring(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct registry_svc *r = h->registry;
	struct reg_bring *b = xcalloc(1, sizeof(*b));
	b->req = c;
	b->next = r->brings;
	r->brings = b;
	c->deferred = 1;
	b->pending = 1; /* held while asking */
	for (size_t i = 0; i < r->n; i++) {
		const struct lapi_proc *p = &r->e[i].p;
		if ((p->flags & LAPI_P_GUEST) || p->where == h->cl.self || p->where == 0)
			continue;
		b->pending++;
		b->asked++;
		if (registry_move(h, p->pid, 0, reg_bring_done, b))
			reg_bring_done(h, b, -ESRCH, "no longer registered");
	}
	reg_bring_done(h, b, 0, "");
}

/* A client left: forget its processes and answer what waited on it. */
static void reg_on_close(struct hub *h, struct hub_client *c)
{
	struct registry_svc *r = h->registry;
	if (!r)
		return;
	for (size_t i = 0; i < r->n;)
		if (r->e[i].c == c) {
			if (c->guest) /* it went without a word: it ended */
				guests_ended(h, 0);
			reg_remove(r, i);
		} else {
			i++;
		}
	for (struct reg_bring *b = r->brings; b; b = b->next)
		if (b->req == c)
			b->req = NULL;
	for (size_t k = 0; k < r->nmv;)
		if (r->mv[k].c == c)
			reg_move_done(h, k, -ESRCH, "its mosrun ended");
		else
			k++;
}

/* The first two numbers of a small /proc file of pid. 0 or -1. */
static int reg_proc_two(int pid, const char *name, uint64_t *a, uint64_t *b)
{
	char path[64];
	unsigned long long x, y;
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	FILE *f = fopen(path, "re");
	int ok = f && fscanf(f, "%llu %llu", &x, &y) == 2;
	if (f)
		fclose(f);
	if (ok)
		*a = x, *b = y;
	return ok ? 0 : -1;
}

/* Fold a counter's growth into a smoothed rate a second. */
static void reg_rate(double *rate, uint64_t now_v, uint64_t old_v, int64_t ms)
{
	double r = now_v >= old_v ? (double)(now_v - old_v) * 1000.0 / (double)ms : 0;
	*rate = (5 * *rate + 3 * r) / 8;
}

/* Its I/O: at home, the reads and writes it makes (/proc/PID/io: what would
 * be forwarded if it ran away); away, the calls its deputy forwarded. */
static void reg_io(struct reg_entry *x, int away, int64_t now)
{
	uint64_t calls = 0, bytes = 0;
	if (away) {
		calls = x->p.fwd_calls;
		bytes = x->p.fwd_bytes;
	} else {
		char *buf = NULL;
		unsigned long long rc = 0, wc = 0, sr = 0, sw = 0;
		if (procfs_read(x->p.pid, "io", &buf) < 0)
			return;
		const char *r = strstr(buf, "rchar:"), *w = strstr(buf, "wchar:");
		const char *a = strstr(buf, "syscr:"), *b = strstr(buf, "syscw:");
		if (r && w && a && b && sscanf(r, "rchar: %llu", &rc) == 1 &&
		    sscanf(w, "wchar: %llu", &wc) == 1 && sscanf(a, "syscr: %llu", &sr) == 1 &&
		    sscanf(b, "syscw: %llu", &sw) == 1) {
			calls = sr + sw;
			bytes = rc + wc;
		}
		free(buf);
	}
	if (x->io_ms && x->io_away == away && now > x->io_ms) {
		reg_rate(&x->io_cps, calls, x->io_calls, now - x->io_ms);
		reg_rate(&x->io_bps, bytes, x->io_bytes, now - x->io_ms);
	}
	x->io_calls = calls;
	x->io_bytes = bytes;
	x->io_away = away;
	x->io_ms = now;
}

/* Read x's resident size now. */
static void reg_size(struct reg_entry *x, int64_t now)
{
	uint64_t size, pages;
	if (!reg_proc_two(x->p.pid, "statm", &size, &pages)) {
		x->rss_kb = pages * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
		x->rss_ms = now;
	}
}

#define REG_IDLE 0.05	       /* below this share a process is sampled less often */
#define REG_IDLE_EVERY_MS 4000 /* how often then */
#define REG_RSS_EVERY_MS 2000  /* how often its size is read */

/* The profile of the processes at home: how much of the time it wants a
 * core (running or waiting to run, /proc/PID/schedstat: a process that
 * computes wants all of it, even on a crowded node where it gets little),
 * smoothed as MOSIX does, (5 old + 3 new) / 8; and its size. Idle ones
 * are looked at every few seconds only (a node with hundreds of waiting
 * processes must stay cheap). Away, a process keeps the profile it left
 * with. */
static void reg_profile(struct hub *h)
{
	struct registry_svc *r = h->registry;
	int64_t now = nodes_now_ms();
	for (size_t i = 0; i < r->n; i++) {
		struct reg_entry *x = &r->e[i];
		int guest = !!(x->p.flags & LAPI_P_GUEST), pid = guest ? x->p.local_pid : x->p.pid;
		uint64_t ns;
		if (guest && pid <= 0)
			continue;
		if (!guest && x->p.where != h->cl.self) {
			if (now - x->io_ms >= 1000)
				reg_io(x, 1, now);
			continue;
		}
		if (x->samples >= 2 && x->cpu < REG_IDLE && now - x->sampled_ms < REG_IDLE_EVERY_MS)
			continue; /* idle (measured once at least): now and then */
		uint64_t run, wait;
		if (reg_proc_two(pid, "schedstat", &run, &wait))
			continue;
		ns = run + wait;
		if (x->sampled_ms && ns >= x->cpu_ticks && now > x->sampled_ms) {
			double share = fmin(1.0, (double)(ns - x->cpu_ticks) /
						     ((double)(now - x->sampled_ms) * 1e6));
			x->cpu = (5 * x->cpu + 3 * share) / 8;
		}
		x->cpu_ticks = ns;
		if (guest) { /* its body's share, for mmon's panel: the balancer has no guests */
			x->sampled_ms = now;
			x->samples++;
			continue;
		}
		reg_io(x, 0, now);
		if (!x->rss_ms || now - x->rss_ms >= REG_RSS_EVERY_MS)
			reg_size(x, now);
		x->sampled_ms = now;
		x->samples++;
	}
}

/* Read the size of every process at home now (the balancer ushers by size:
 * a growing process must not be judged by an old figure). */
void registry_sizes(struct hub *h)
{
	struct registry_svc *r = h->registry;
	int64_t now = nodes_now_ms();
	for (size_t i = 0; i < r->n; i++)
		if (!(r->e[i].p.flags & LAPI_P_GUEST) && r->e[i].p.where == h->cl.self)
			reg_size(&r->e[i], now);
}

/* What the balancer sees of this node's processes. */
size_t registry_view(struct hub *h, struct registry_proc *out, size_t cap)
{
	struct registry_svc *r = h->registry;
	int64_t now = nodes_now_ms();
	size_t k = 0;
	for (size_t i = 0; i < r->n && k < cap; i++) {
		const struct reg_entry *x = &r->e[i];
		if (x->p.flags & LAPI_P_GUEST)
			continue;
		out[k++] = (struct registry_proc){
		    x->p.pid,  x->p.where,  x->p.flags,
		    x->cpu,    x->moved_ms, x->rss_kb,
		    x->io_cps, x->io_bps,   (double)(now - x->born_ms) / 1000.0};
	}
	return k;
}

void registry_reason(struct hub *h, int pid, const char *why)
{
	struct registry_svc *r = h->registry;
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].p.pid == pid && !(r->e[i].p.flags & LAPI_P_GUEST))
			snprintf(r->e[i].p.reason, sizeof(r->e[i].p.reason), "%s", why);
}

/* Every step: profiles; give up moves that were never answered. */
static void reg_step(struct hub *h)
{
	struct registry_svc *r = h->registry;
	int64_t now = nodes_now_ms();
	reg_profile(h);
	for (size_t k = 0; k < r->nmv;)
		if (now - r->mv[k].since_ms > REG_MOVE_MS)
			reg_move_done(h, k, -ETIMEDOUT, "its mosrun did not answer in time");
		else
			k++;
}

static int reg_start(struct hub *h, struct err *e)
{
	h->registry = xcalloc(1, sizeof(*h->registry));
	return 0;
}

static void reg_stop(struct hub *h)
{
	if (!h->registry)
		return;
	while (h->registry->brings) {
		struct reg_bring *b = h->registry->brings;
		h->registry->brings = b->next;
		free(b->text);
		free(b);
	}
	free(h->registry->e);
	free(h->registry->mv);
	free(h->registry->calls);
	free(h->registry);
	h->registry = NULL;
}

/* LAPI_CALLHOME: a mosrun's process came home to run the call in msg. */
static void reg_req_callhome(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct registry_svc *r = h->registry;
	char name[48];
	size_t n = strnlen(q->msg, sizeof(q->msg));
	if (!n || n >= sizeof(name) || strpbrk(q->msg, " \t\n"))
		return;
	memcpy(name, q->msg, n + 1);
	struct reg_call *x = NULL;
	for (size_t i = 0; i < r->ncalls && !x; i++)
		if (!strcmp(r->calls[i].name, name))
			x = &r->calls[i];
	if (!x && r->ncalls == REG_CALLS_MAX)
		return;
	if (!r->calls)
		r->calls = xcalloc(REG_CALLS_MAX, sizeof(*r->calls));
	if (!x) {
		x = &r->calls[r->ncalls++];
		snprintf(x->name, sizeof(x->name), "%s", name);
	}
	if (q->node == 1)
		x->refused++;
	else
		x->n++;
}

/* Most counted first, then by name. */
static int reg_call_cmp(const void *a, const void *b)
{
	const struct reg_call *x = a, *y = b;
	if (x->n + x->refused != y->n + y->refused)
		return x->n + x->refused < y->n + y->refused ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* LAPI_CALLS: "CALL HOMECOMINGS REFUSED" lines, most first. */
static void reg_req_calls(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct registry_svc *r = h->registry;
	static char msg[LAPI_MSG_MAX];
	size_t at = 0;
	msg[0] = '\0';
	if (r->ncalls)
		qsort(r->calls, r->ncalls, sizeof(*r->calls), reg_call_cmp);
	for (size_t i = 0; i < r->ncalls && at + 80 < sizeof(msg); i++)
		at += (size_t)snprintf(msg + at, sizeof(msg) - at, "%s %llu %llu\n",
				       r->calls[i].name, (unsigned long long)r->calls[i].n,
				       (unsigned long long)r->calls[i].refused);
	hub_reply(h, c, 0, "%s", msg);
}

static const struct hub_request reg_requests[] = {
    {LAPI_REGISTER, HUB_ANYONE, 0, reg_req_register},
    {LAPI_GUEST_REGISTER, HUB_ROOT, 0, reg_req_guest},
    {LAPI_PROC, HUB_ANYONE, 1, reg_req_proc},
    {LAPI_PROC_GONE, HUB_ANYONE, 1, reg_req_gone},
    {LAPI_MOVED, HUB_ANYONE, 1, reg_req_moved},
    {LAPI_PROCS, HUB_ANYONE, 0, reg_req_procs},
    {LAPI_CALLHOME, HUB_ANYONE, 1, reg_req_callhome},
    {LAPI_CALLS, HUB_ANYONE, 0, reg_req_calls},
    {LAPI_BRING, HUB_ROOT, 0, reg_req_bring},
};

const struct service svc_registry = {
    .name = "registry",
    .start = reg_start,
    .step = reg_step,
    .on_close = reg_on_close,
    .stop = reg_stop,
    .requests = reg_requests,
    .nrequests = ARRAY_SIZE(reg_requests),
};
