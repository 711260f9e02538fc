/* panel.c: what mmon draws over its chart: the help screen and a node's
 * detail panel (its vector and its processes). */
#include "panel.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>

static const char *const help_lines[] = {
    "mmon: the cluster at a glance, one column a node.",
    "",
    "Displays (a key pressed again shows the display's next variant):",
    "  l   load (1 = one standard CPU busy) > load of frozen processes > both",
    "  m   memory: used # and free . > swap",
    "  s   status letters (S stay, L lstay, B block, E expelling) > speed",
    "      of one core and cores > uptime and version",
    "  u   utilisation: the share of the node's capacity that is busy",
    "  p   processes: # local, + guests, ~ frozen (held stopped)",
    "  i   disk I/O > network, in KB a second (n/a: not measured there)",
    "",
    "Nodes:",
    "  Left/Right      move the cursor; the columns scroll to follow it",
    "  PgUp/PgDn       scroll a screenful of nodes",
    "  Home/End        the first and the last node",
    "  /               find a node by number or address",
    "  Enter           details of the node under the cursor: its vector",
    "                  and its processes (pid, owner, home, CPU, command)",
    "  C               details of a node by number; [ and ] step through",
    "  d               hide or show dead nodes",
    "",
    "Screen:",
    "  v   column width: automatic > 2 > 3 > 4 > 6 > 8 > 12",
    "  t   the bottom line on or off",
    "  +   refresh faster      -   refresh slower",
    "  h   this help (Up/Down/PgUp/PgDn scroll it; h, q or Esc close it)",
    "  q   quit (asks first)   Q   quit at once",
    "",
    "DEAD nodes: no news within the dead bound. Reason: O information too",
    "old, U unreachable (a contact failed), N no news yet. A + on the axis",
    "marks a node that runs guests; the node under the cursor is shown in",
    "reverse; this node's own number in bold.",
    "",
    "Bottom line: [Nodes: in the map][Live: up][Info age: average age of",
    "the live nodes' information][Max age: the oldest], in seconds.",
    "Colours: green under 50% of capacity, blue 50%, yellow 70%, red 90%.",
    NULL,
};

const char *const *panel_help_lines(void)
{
	return help_lines;
}

/* The help screen, from line u->help_top. */
void panel_help(struct canvas *c, const struct draw_ui *u)
{
	int n = 0;
	while (help_lines[n])
		n++;
	canvas_text(c, 0, 0, DA_TITLE, "mmon help  (Up/Down/PgUp/PgDn scroll; h, q or Esc close)");
	for (int y = 1; y < c->h - 1 && u->help_top + y - 1 < n; y++)
		canvas_text(c, y, 1, DA_NORMAL, help_lines[u->help_top + y - 1]);
	char s[48];
	int shown = c->h - 2 < n ? c->h - 2 : n;
	snprintf(s, sizeof(s), "-- lines %d-%d of %d --", u->help_top + 1,
		 u->help_top + shown < n ? u->help_top + shown : n, n);
	canvas_text(c, c->h - 1, 0, DA_FRAME, s);
}

/* A frame with a clear inside. */
static void panel_box(struct canvas *c, int y0, int x0, int h, int w)
{
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++) {
			int edge_y = y == y0 || y == y0 + h - 1,
			    edge_x = x == x0 || x == x0 + w - 1;
			canvas_cell(c, y, x, DA_FRAME,
				    edge_y && edge_x ? '+'
				    : edge_y	     ? '-'
				    : edge_x	     ? '|'
						     : ' ');
			if (!edge_y && !edge_x)
				c->attr[y * c->w + x] = DA_NORMAL;
		}
}

/* The vector of node n as lines. */
static int detail_vector(const struct view_node *n, char lines[][160])
{
	char st[64], up[32], io[16], net[16];
	int k = 0;
	view_status_words(n->status, st, sizeof(st));
	draw_uptime(n->uptime_s, up, sizeof(up));
	draw_value(n->io_kbs, DV_KBS, io, sizeof(io));
	draw_value(n->net_kbs, DV_KBS, net, sizeof(net));
	if (n->dead)
		snprintf(lines[k++], 160, "DEAD: %s%s", view_dead_word(n->dead),
			 n->age_s >= 0 ? " (last news then)" : "");
	else
		snprintf(lines[k++], 160, "up, information %.1f s old", n->age_s);
	if (n->dead == VIEW_NO_NEWS)
		return k;
	snprintf(lines[k++], 160, "speed %u (of one core)  cores %u  capacity %.2f", n->speed,
		 n->ncpus, n->cpus);
	snprintf(lines[k++], 160, "load %.2f (runnable %.2f)  utilisation %.0f%%  frozen load %.2f",
		 n->load, n->load_raw, n->util * 100, n->frozen_load);
	snprintf(lines[k++], 160, "memory %.0f MB free of %.0f MB  swap %.0f MB free of %.0f MB",
		 n->mem_free_mb, n->mem_total_mb, n->swap_free_mb, n->swap_total_mb);
	snprintf(lines[k++], 160, "processes %u local, %u guests, %u frozen  status %s", n->locals,
		 n->guests, n->frozen, st);
	snprintf(lines[k++], 160, "uptime %s  version %s  disk %s/s  net %s/s", up, n->version,
		 n->io_kbs < 0 ? "n/a" : io, n->net_kbs < 0 ? "n/a" : net);
	return k;
}

/* One process line of the panel. */
static void detail_proc(const struct view_proc *p, char *out, size_t len)
{
	char owner[16];
	const struct passwd *pw = getpwuid(p->uid);
	if (pw)
		snprintf(owner, sizeof(owner), "%.10s", pw->pw_name);
	else
		snprintf(owner, sizeof(owner), "%u", p->uid);
	snprintf(out, len, "%7d %-10s %4d %5.0f%% %-5s %s", p->pid, owner, p->home, p->cpu * 100,
		 p->guest ? "guest" : "local", p->comm);
}

/* The detail panel of node u->detail. */
void panel_detail(struct canvas *c, const struct draw_ui *u, const struct view *v)
{
	char lines[8][160], s[192];
	const struct view_node *n = view_node(v, u->detail);
	int w = c->w - 4 < 76 ? c->w - 4 : 76, h = c->h - 2, x0 = (c->w - w) / 2, y0 = 1;
	if (w < 20 || h < 6)
		return;
	panel_box(c, y0, x0, h, w);
	snprintf(s, sizeof(s), " Node %d%s ", u->detail, n && n->self ? " (this view's node)" : "");
	canvas_text(c, y0, x0 + 2, DA_TITLE, s);
	int k = n ? detail_vector(n, lines) : 0, y = y0 + 1;
	for (int i = 0; i < k && y < y0 + h - 2; i++)
		canvas_textn(c, y++, x0 + 2, DA_NORMAL, lines[i], w - 4);
	y++;
	if (u->nprocs < 0) {
		snprintf(s, sizeof(s), "processes: %s", u->procs_why);
		canvas_textn(c, y++, x0 + 2, DA_WARNING, s, w - 4);
	} else {
		snprintf(s, sizeof(s), "%7s %-10s %4s %6s %-5s %s", "PID", "OWNER", "HOME", "CPU",
			 "KIND", "COMMAND");
		canvas_textn(c, y++, x0 + 2, DA_TITLE, s, w - 4);
		for (int i = 0; i < u->nprocs && y < y0 + h - 2; i++) {
			detail_proc(&u->procs[i], s, sizeof(s));
			canvas_textn(c, y++, x0 + 2, DA_NORMAL, s, w - 4);
		}
		if (!u->nprocs)
			canvas_textn(c, y++, x0 + 2, DA_NORMAL,
				     "(no migratable processes run here)", w - 4);
	}
	canvas_textn(c, y0 + h - 1, x0 + 2, DA_FRAME, " [ ] other node  Esc or Enter closes ",
		     w - 4);
}
