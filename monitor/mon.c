/* mon.c: mmon's loops and one-shot outputs. */
#include "mon.h"
#include "keys.h"
#include "screen.h"
#include "view.h"
#include "daemon/localapi.h"
#include "appliance/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the loops keep between refreshes. */
struct mon_state {
	struct view v;
	char map[LAPI_MSG_MAX];
	double next; /* when to fetch again */
};

/* Fetch the view (and the map, for finding nodes by address). */
static void mon_fetch(struct mon_state *s, struct mon_opts *o)
{
	struct err e = {0, ""};
	view_fetch(&s->v, o->via, s->map, sizeof(s->map), &e);
	keys_clamp(&o->ui, &s->v);
}

/* Fetch the processes of the detail panel's node. */
static void mon_fetch_procs(struct mon_state *s, struct draw_ui *u)
{
	struct err e = {0, ""};
	const struct view_node *n = view_node(&s->v, u->detail);
	if (!s->v.ok || !n || n->dead) {
		u->nprocs = -1;
		snprintf(u->procs_why, sizeof(u->procs_why), "node %d is not up", u->detail);
		return;
	}
	u->nprocs = view_procs(u->detail, u->procs, VIEW_MAX_PROCS, &e);
	if (u->nprocs < 0)
		snprintf(u->procs_why, sizeof(u->procs_why), "%s", e.msg);
}

/* Fetch when it is time; 1 if it was. */
static int mon_due(struct mon_state *s, struct mon_opts *o)
{
	double now = util_now();
	if (now < s->next)
		return 0;
	mon_fetch(s, o);
	if (o->ui.detail)
		mon_fetch_procs(s, &o->ui);
	s->next = util_now() + o->ui.delay_s;
	return 1;
}

/* Draw on a canvas of the terminal's size and show it. */
static void mon_show(struct mon_state *s, struct mon_opts *o, struct canvas *c)
{
	int w, h;
	screen_size(&w, &h);
	if (w != c->w || h != c->h) {
		canvas_free(c);
		canvas_init(c, w, h);
	}
	draw_screen(c, &o->ui, &s->v);
	screen_show(c);
}

/* React to one key; 1 to leave. */
static int mon_key(struct mon_state *s, struct mon_opts *o, int key, int w)
{
	switch (keys_handle(&o->ui, &s->v, s->map, key, w)) {
	case KA_QUIT:
		return 1;
	case KA_DETAIL:
		mon_fetch_procs(s, &o->ui);
		break;
	case KA_REFRESH:
		s->next = util_now() + o->ui.delay_s;
		break;
	case KA_DRAW:
		break;
	}
	return 0;
}

/* The terminal. */
int mon_interactive(struct mon_opts *o)
{
	static struct mon_state s;
	struct canvas c = {0};
	if (screen_open(o->bw))
		return 1;
	s.next = 0;
	for (int quit = 0; !quit;) {
		mon_due(&s, o);
		mon_show(&s, o, &c);
		int wait = (int)((s.next - util_now()) * 1000);
		int key = screen_key(wait < 0 ? 0 : wait);
		if (key >= 0)
			quit = mon_key(&s, o, key, c.w);
	}
	screen_close();
	canvas_free(&c);
	return 0;
}

/* The plain screen's size: $COLUMNS x $LINES, else 80 x 24. */
static void mon_plain_size(int *w, int *h)
{
	long v;
	const char *cols = getenv("COLUMNS"), *lines = getenv("LINES");
	*w = cols && !util_parse_long(cols, 20, 1000, &v) ? (int)v : 80;
	*h = lines && !util_parse_long(lines, 8, 1000, &v) ? (int)v : 24;
}

/* Keys typed as lines on stdin; 1 to leave. */
static int mon_plain_keys(struct mon_state *s, struct mon_opts *o, int w, int *eof)
{
	char line[128];
	ssize_t n = read(STDIN_FILENO, line, sizeof(line) - 1);
	if (n <= 0) {
		*eof = 1;
		return 0;
	}
	for (ssize_t i = 0; i < n; i++)
		if (line[i] != '\n' && mon_key(s, o, (unsigned char)line[i], w))
			return 1;
	return 0;
}

/* Plain text screens. */
int mon_plain(struct mon_opts *o)
{
	static struct mon_state s;
	struct canvas c;
	int w, h, eof = 0, dirty = 1;
	mon_plain_size(&w, &h);
	canvas_init(&c, w, h);
	for (int quit = 0; !quit;) {
		if (mon_due(&s, o) || dirty) {
			draw_screen(&c, &o->ui, &s.v);
			canvas_print(&c, stdout);
			fflush(stdout);
		}
		struct pollfd p = {STDIN_FILENO, POLLIN, 0};
		int wait = (int)((s.next - util_now()) * 1000);
		dirty = 0;
		if (poll(&p, eof ? 0 : 1, wait < 0 ? 0 : wait) > 0) {
			quit = mon_plain_keys(&s, o, w, &eof);
			dirty = !eof;
		}
	}
	canvas_free(&c);
	return 0;
}

/* One screen. */
int mon_once(struct mon_opts *o, int w, int h)
{
	static struct mon_state s;
	struct canvas c;
	mon_fetch(&s, o);
	canvas_init(&c, w, h);
	draw_screen(&c, &o->ui, &s.v);
	canvas_print(&c, stdout);
	canvas_free(&c);
	return s.v.ok ? 0 : 1;
}

/* A rate as JSON: null where not measured. */
static void mon_json_rate(FILE *f, const char *key, double r)
{
	if (r < 0)
		fprintf(f, ", \"%s\": null", key);
	else
		fprintf(f, ", \"%s\": %.0f", key, r);
}

/* One node as JSON. */
static void mon_json_node(FILE *f, const struct view_node *n)
{
	char st[64];
	view_status_words(n->status, st, sizeof(st));
	fprintf(f, "{\"node\": %d, \"self\": %s, \"state\": \"%s\", \"reason\": ", n->node,
		n->self ? "true" : "false", n->dead ? "down" : "up");
	fprintf(f, n->dead ? "\"%s\"" : "null", view_dead_word(n->dead));
	fprintf(f, n->age_s >= 0 ? ", \"age\": %.1f" : ", \"age\": null", n->age_s);
	fprintf(f,
		", \"load\": %.3f, \"load_raw\": %.3f, \"frozen_load\": %.3f, \"util\": %.3f, "
		"\"speed\": %u, \"cpus\": %.3f, \"ncpus\": %u, \"mem_total_mb\": %.0f, "
		"\"mem_free_mb\": %.0f, \"swap_total_mb\": %.0f, \"swap_free_mb\": %.0f, "
		"\"locals\": %u, \"guests\": %u, \"frozen\": %u, \"status\": [",
		n->load, n->load_raw, n->frozen_load, n->util, n->speed, n->cpus, n->ncpus,
		(double)(long long)n->mem_total_mb, (double)(long long)n->mem_free_mb,
		n->swap_total_mb, n->swap_free_mb, n->locals, n->guests, n->frozen);
	if (strcmp(st, "-"))
		for (char *w = st, *end; w; w = end) {
			end = strchr(w, ',');
			if (end)
				*end++ = '\0';
			fprintf(f, "%s\"%s\"", w == st ? "" : ", ", w);
		}
	fprintf(f, "], \"uptime_s\": %llu, \"version\": \"%s\"", (unsigned long long)n->uptime_s,
		n->version);
	mon_json_rate(f, "io_kbs", n->io_kbs);
	mon_json_rate(f, "net_kbs", n->net_kbs);
	fprintf(f, "}");
}

/* The snapshot. */
void mon_json_print(const struct draw_ui *u, const struct view *v, void *fp)
{
	static int idx[VIEW_MAX_NODES];
	FILE *f = fp;
	int live, n = draw_shown(u, v, idx, VIEW_MAX_NODES);
	double avg, max;
	view_summary(v, &live, &avg, &max);
	fprintf(f, "{\"self\": %d, \"dead_after\": %.1f, \"nodes\": [", v->self, v->dead_s);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s\n  ", i ? "," : "");
		mon_json_node(f, &v->n[idx[i]]);
	}
	fprintf(f, "\n], \"total\": %zu, \"live\": %d, \"info_age\": %.1f, \"max_age\": %.1f}\n",
		v->count, live, avg, max);
}

/* One snapshot. */
int mon_json(struct mon_opts *o)
{
	static struct view v;
	struct err e = {0, ""};
	if (view_fetch(&v, o->via, NULL, 0, &e)) {
		fprintf(stderr, "mmon: information is not available: %s\n", e.msg);
		return 1;
	}
	mon_json_print(&o->ui, &v, stdout);
	return 0;
}
