/* view.c: the cluster as mmon shows it, from the local guestd's answers. */
#include "view.h"
#include "daemon/localapi.h"
#include "daemon/nodes.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_TIMEOUT_S 6.0 /* a guestd that does not answer in time is not there */

/* One LAPI_NODES line, as guestd writes it (gossip.c). */
struct view_line {
	int node, up;
	unsigned long long age_ms, mem_total, mem_free, link, uptime;
	unsigned speed, cpus_milli, ncpus, load_local, load_adv, locals, guests, frozen, status;
	unsigned io_kbs, net_kbs, swap_total, swap_free, version;
};

/* Parse one node line: 0, or -EINVAL (the counters' line, or garbage).
 * A line without the appended fields (an older guestd) leaves them zero,
 * and its rates unknown. */
static int view_line_parse(const char *l, struct view_line *x)
{
	memset(x, 0, sizeof(*x));
	x->io_kbs = x->net_kbs = NODES_NA;
	int k = sscanf(
	    l, "%d %llu %d %u %u %u %u %u %u %u %u %u %llu %llu %llu %llu %u %u %u %u %u", &x->node,
	    &x->age_ms, &x->up, &x->speed, &x->cpus_milli, &x->ncpus, &x->load_local, &x->load_adv,
	    &x->locals, &x->guests, &x->frozen, &x->status, &x->mem_total, &x->mem_free, &x->link,
	    &x->uptime, &x->io_kbs, &x->net_kbs, &x->swap_total, &x->swap_free, &x->version);
	return k >= 16 ? 0 : -EINVAL;
}

/* A rate as shown: KB/s, or VIEW_NA. */
static double view_rate(unsigned kbs)
{
	return kbs == NODES_NA ? VIEW_NA : (double)kbs;
}

/* Fill a node from its line. */
static void view_fill(struct view_node *n, const struct view_line *x)
{
	double power = (double)x->speed * (x->ncpus ? x->ncpus : 1) / NODES_STD_SPEED;
	double cap = x->cpus_milli ? x->cpus_milli / 1000.0 : 1.0;
	n->age_s = (double)x->age_ms / 1000.0;
	n->dead = x->up				      ? VIEW_ALIVE
		  : (x->status & VIEW_ST_UNREACHABLE) ? VIEW_UNREACHABLE
						      : VIEW_TOO_OLD;
	n->speed = x->speed;
	n->cpus = cap;
	n->ncpus = x->ncpus;
	n->load_raw = x->load_adv / 1000.0;
	n->load = power > 0 ? n->load_raw / power : 0;
	n->frozen_load = power > 0 ? x->frozen / power : 0;
	n->util = n->load_raw >= cap ? 1.0 : n->load_raw / cap;
	n->mem_total_mb = (double)x->mem_total / 1024.0;
	n->mem_free_mb = (double)x->mem_free / 1024.0;
	n->swap_total_mb = x->swap_total;
	n->swap_free_mb = x->swap_free;
	n->locals = x->locals;
	n->guests = x->guests;
	n->frozen = x->frozen;
	n->status = x->status;
	n->io_kbs = view_rate(x->io_kbs);
	n->net_kbs = view_rate(x->net_kbs);
	n->uptime_s = x->uptime;
	n->link_bps = x->link;
	nodes_version_text(x->version, n->version, sizeof(n->version));
}

/* Add node num (from the map) unless it is there already. */
static struct view_node *view_add(struct view *v, int num)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->n[i].node == num)
			return &v->n[i];
	if (v->count >= VIEW_MAX_NODES)
		return NULL;
	struct view_node *n = &v->n[v->count++];
	memset(n, 0, sizeof(*n));
	n->node = num;
	n->dead = VIEW_NO_NEWS;
	n->age_s = -1;
	n->io_kbs = n->net_kbs = VIEW_NA;
	snprintf(n->version, sizeof(n->version), "-");
	return n;
}

/* By node number. */
static int view_by_node(const void *a, const void *b)
{
	const struct view_node *x = a, *y = b;
	return (x->node > y->node) - (x->node < y->node);
}

/* Parse the node table and the map. */
int view_parse(struct view *v, const char *nodes, const char *map, int self)
{
	_cleanup_free_ char *copy = xstrdup(nodes ? nodes : "");
	char *save = NULL;
	int table = 0;
	memset(v, 0, sizeof(*v));
	v->self = self;
	for (const char *l = map; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		int num;
		if (sscanf(l, "%d", &num) == 1 && num > 0)
			view_add(v, num);
	}
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct view_line x;
		long long dead;
		if (sscanf(l, "dead_ms %lld", &dead) == 1) {
			v->dead_s = (double)dead / 1000.0;
			table = 1;
		} else if (!view_line_parse(l, &x) && x.node > 0) {
			struct view_node *n = view_add(v, x.node);
			if (n)
				view_fill(n, &x);
		}
	}
	qsort(v->n, v->count, sizeof(v->n[0]), view_by_node);
	for (size_t i = 0; i < v->count; i++)
		v->n[i].self = v->n[i].node == self;
	v->ok = table;
	return table ? 0 : -EINVAL;
}

/* The map's text. */
int view_map(char *buf, size_t len, struct err *e)
{
	return lapi_simple(LAPI_MAP, buf, len, VIEW_TIMEOUT_S, e);
}

/* Fetch a view. */
int view_fetch(struct view *v, int via, char *map_out, size_t maplen, struct err *e)
{
	static char nodes[LAPI_MSG_MAX], map[LAPI_MSG_MAX];
	int self = 0, nn = 0, rc;
	if (!(rc = view_map(map, sizeof(map), e)) && !(rc = lapi_info(&self, &nn, e))) {
		if (via && via != self) {
			rc = lapi_ask(via, LAPI_NODES, nodes, sizeof(nodes), VIEW_TIMEOUT_S, e);
			self = via;
		} else {
			rc = lapi_simple(LAPI_NODES, nodes, sizeof(nodes), VIEW_TIMEOUT_S, e);
		}
	}
	if (!rc && view_parse(v, nodes, map, self))
		rc = err_setx(e, -EPROTO, "guestd's node table cannot be read");
	if (map_out)
		snprintf(map_out, maplen, "%s", rc ? "" : map);
	if (rc) {
		memset(v, 0, sizeof(*v));
		snprintf(v->why, sizeof(v->why), "%.255s", e->msg);
	}
	return rc;
}

/* Parse LAPI_PROCS lines: those that run on node. */
int view_procs_parse(const char *text, int node, struct view_proc *out, size_t cap)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	int k = 0;
	for (char *l = strtok_r(copy, "\n", &save); l && (size_t)k < cap;
	     l = strtok_r(NULL, "\n", &save)) {
		struct lapi_proc p;
		struct lapi_profile pf;
		if (lapi_proc_parse(l, &p) || p.where != node)
			continue;
		if (lapi_profile_parse(l, &pf))
			memset(&pf, 0, sizeof(pf));
		struct view_proc *x = &out[k++];
		x->pid = p.pid;
		x->home = p.home_node;
		x->where = p.where;
		x->uid = p.uid;
		x->guest = !!(p.flags & LAPI_P_GUEST);
		x->cpu = pf.cpu;
		snprintf(x->comm, sizeof(x->comm), "%.16s", p.comm);
	}
	return k;
}

/* Processes that run on node. */
int view_procs(int node, struct view_proc *out, size_t cap, struct err *e)
{
	static char text[LAPI_MSG_MAX];
	int rc = lapi_ask(node, LAPI_PROCS, text, sizeof(text), VIEW_TIMEOUT_S, e);
	return rc ? rc : view_procs_parse(text, node, out, cap);
}

/* A node named by number, "nN" or address, in the map's text. */
int view_find(const char *map, const char *name)
{
	long want = 0;
	const char *num = name[0] == 'n' ? name + 1 : name;
	if (util_parse_long(num, 1, 1000000, &want) < 0)
		want = 0;
	for (const char *l = map; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		int node;
		char addr[64];
		if (sscanf(l, "%d %63s", &node, addr) == 2 && (node == want || !strcmp(addr, name)))
			return node;
	}
	return 0;
}

/* Live nodes and the ages of their information. */
void view_summary(const struct view *v, int *live, double *avg_age, double *max_age)
{
	double sum = 0;
	*live = 0;
	*max_age = 0;
	for (size_t i = 0; i < v->count; i++) {
		if (v->n[i].dead)
			continue;
		(*live)++;
		sum += v->n[i].age_s;
		if (v->n[i].age_s > *max_age)
			*max_age = v->n[i].age_s;
	}
	*avg_age = *live ? sum / *live : 0;
}

/* A node by number. */
const struct view_node *view_node(const struct view *v, int node)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->n[i].node == node)
			return &v->n[i];
	return NULL;
}

/* Status words. */
void view_status_words(unsigned st, char *out, size_t len)
{
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {{VIEW_ST_STAY, "stay"},
		     {VIEW_ST_LSTAY, "lstay"},
		     {VIEW_ST_BLOCK, "block"},
		     {VIEW_ST_EXPELLING, "expelling"}};
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (st & words[i].bit)
			at += (size_t)snprintf(out + at, at < len ? len - at : 0, "%s%s",
					       at ? "," : "", words[i].word);
	if (!at)
		snprintf(out, len, "-");
}

const char *view_dead_word(enum view_dead d)
{
	static const char *const w[] = {"alive", "too old", "unreachable", "no news"};
	return w[d];
}

char view_dead_letter(enum view_dead d)
{
	return " OUN"[d];
}
