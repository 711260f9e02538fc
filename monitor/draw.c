/* draw.c: mmon's screen onto a canvas: header, one bar (or text) column a
 * node with its scale, the node numbers, the bottom line; the help screen
 * and the detail panel (panel.c) over it. */
#include "draw.h"
#include "panel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEFT 7	    /* the scale's labels and the axis */
#define CHART_TOP 2 /* rows 0, 1: header and legend */

/* Where things go on this canvas. */
struct layout {
	int y_bar;  /* the bottom line (== h when it is off) */
	int y_num;  /* first row of the node numbers */
	int nrows;  /* rows of node numbers */
	int y_axis; /* the axis line; bars stand on it */
	int rows;   /* chart rows for bars (a label row above them) */
	int colw, fit;
	int idx[VIEW_MAX_NODES], nshown;
};

/* Defaults. */
void draw_ui_init(struct draw_ui *u)
{
	memset(u, 0, sizeof(*u));
	u->delay_s = 1.0;
}

/* Is node in --nodes (or is there no filter)? */
static int draw_wanted(const struct draw_ui *u, int node)
{
	if (!u->nfilter)
		return 1;
	for (int i = 0; i < u->nfilter; i++)
		if (u->filter[i] == node)
			return 1;
	return 0;
}

/* The nodes shown. */
int draw_shown(const struct draw_ui *u, const struct view *v, int *idx, int cap)
{
	int k = 0;
	for (size_t i = 0; i < v->count && k < cap; i++)
		if (draw_wanted(u, v->n[i].node) && !(u->hide_dead && v->n[i].dead))
			idx[k++] = (int)i;
	return k;
}

/* Column width and how many fit. */
void draw_columns(const struct draw_ui *u, int w, int nshown, int *colw, int *fit)
{
	int avail = w - LEFT - 1;
	int cw = u->width;
	if (!cw) { /* automatic: as wide as fits, between 2 and 8 */
		cw = nshown > 0 ? avail / nshown : 8;
		cw = cw < 2 ? 2 : cw > 8 ? 8 : cw;
	}
	*colw = cw;
	*fit = avail > 0 ? avail / cw : 0;
	if (*fit < 1)
		*fit = 1;
}

/* Rows a bar of value takes. */
int draw_bar_len(double value, double top, int rows)
{
	if (value <= 0 || top <= 0 || rows <= 0)
		return 0;
	int n = (int)lround(value / top * rows);
	return n < 1 ? 1 : n > rows ? rows : n;
}

/* A round top for the scale: 1, 2, 2.5, 5 times a power of ten. */
double draw_scale_top(double largest, double least)
{
	static const double steps[] = {1, 2, 2.5, 5, 10};
	double want = largest > least ? largest : least;
	if (want <= 0)
		return 1;
	double p = pow(10, floor(log10(want)));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] * p >= want * (1 - 1e-9))
			return steps[i] * p;
	return 10 * p;
}

/* A value as short text. */
void draw_value(double v, int kind, char *out, size_t len)
{
	switch (kind) {
	case DV_LOAD:
		snprintf(out, len, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
		break;
	case DV_MB:
		snprintf(out, len,
			 v >= 10240  ? "%.0fG"
			 : v >= 1024 ? "%.1fG"
				     : "%.0fM",
			 v >= 1024 ? v / 1024 : v);
		break;
	case DV_KBS:
		snprintf(out, len,
			 v >= 10240  ? "%.0fM"
			 : v >= 1024 ? "%.1fM"
				     : "%.0fk",
			 v >= 1024 ? v / 1024 : v);
		break;
	case DV_PCT:
		snprintf(out, len, "%.0f%%", v * 100);
		break;
	default:
		snprintf(out, len, "%.0f", v);
	}
}

/* Colour of a share of capacity (glances' marks: 50, 70, 90%). */
int draw_threshold(double share)
{
	return share < 0.5   ? DA_OK
	       : share < 0.7 ? DA_CAREFUL
	       : share < 0.9 ? DA_WARNING
			     : DA_CRITICAL;
}

static const char *const titles[DD__N][3] = {
    [DD_LOAD] = {"Load (1 = one standard CPU busy)", "Load of frozen processes",
		 "Load # and frozen load ~"},
    [DD_MEM] = {"Memory: used # free . (of the total)", "Swap: used # free . (of the total)"},
    [DD_STATUS] = {"Status: S stay  L lstay  B block  E expelling",
		   "Speed of one core (10000 = standard CPU) x cores", "Uptime and version"},
    [DD_UTIL] = {"Utilisation (share of the node's capacity busy)"},
    [DD_PROCS] = {"Processes: # local  + guests  ~ frozen"},
    [DD_IO] = {"Disk I/O (KB a second, read + written)", "Network (KB a second, in + out)"},
};

const char *draw_title(enum draw_display d, int variant)
{
	return titles[d][variant];
}

int draw_variants(enum draw_display d)
{
	int n = 0;
	while (n < 3 && titles[d][n])
		n++;
	return n;
}

/* One column's bar: up to three stacked parts (value, char, attr) and a
 * label; or text cells; or DEAD. */
struct column {
	double part[3];
	char pch[3];
	int pattr[3];
	char label[16];
	const char *text[4]; /* text display: lines from the bottom up */
	int text_attr[4];
	int na; /* the value is not measured there */
};

/* Fill a bar column for the load display. */
static void col_load(const struct draw_ui *u, const struct view_node *n, struct column *k)
{
	int a = draw_threshold(n->util);
	if (u->variant == 1) {
		k->part[0] = n->frozen_load;
		k->pch[0] = '~';
		k->pattr[0] = DA_PART3;
		draw_value(n->frozen_load, DV_LOAD, k->label, sizeof(k->label));
		return;
	}
	k->part[0] = n->load;
	k->pch[0] = '#';
	k->pattr[0] = a;
	draw_value(n->load, DV_LOAD, k->label, sizeof(k->label));
	if (u->variant == 2) {
		k->part[1] = n->frozen_load;
		k->pch[1] = '~';
		k->pattr[1] = DA_PART3;
	}
}

/* Memory (or swap): used solid, free dotted up to the total. */
static void col_mem(const struct draw_ui *u, const struct view_node *n, struct column *k)
{
	double total = u->variant ? n->swap_total_mb : n->mem_total_mb;
	double free_ = u->variant ? n->swap_free_mb : n->mem_free_mb;
	double used = total > free_ ? total - free_ : 0;
	k->part[0] = used;
	k->pch[0] = '#';
	k->pattr[0] = draw_threshold(total > 0 ? used / total : 0);
	k->part[1] = free_;
	k->pch[1] = '.';
	k->pattr[1] = DA_PART2;
	draw_value(used, DV_MB, k->label, sizeof(k->label));
}

/* Uptime as "45s", "12m", "3h12", "2d4h". */
void draw_uptime(uint64_t s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, len, "%llum", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(out, len, "%lluh%02llu", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(out, len, "%llud%lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
}

/* Status letters, speed and cores, uptime and version. */
static void col_status(const struct draw_ui *u, const struct view_node *n, struct column *k)
{
	static const struct {
		unsigned bit;
		const char *on;
	} letters[] = {{VIEW_ST_STAY, "S"},
		       {VIEW_ST_LSTAY, "L"},
		       {VIEW_ST_BLOCK, "B"},
		       {VIEW_ST_EXPELLING, "E"}};
	if (u->variant == 0) {
		for (int i = 0; i < 4; i++) {
			int on = !!(n->status & letters[i].bit);
			k->text[i] = on ? letters[i].on : "-";
			k->text_attr[i] = on ? DA_WARNING : DA_NORMAL;
		}
	} else if (u->variant == 1) {
		k->part[0] = n->speed;
		k->pch[0] = '#';
		k->pattr[0] = DA_OK;
		snprintf(k->label, sizeof(k->label), "%ux%u", n->speed, n->ncpus);
	}
}

/* Processes: locals, guests, frozen, stacked. */
static void col_procs(const struct view_node *n, struct column *k)
{
	k->part[0] = n->locals;
	k->part[1] = n->guests;
	k->part[2] = n->frozen;
	k->pch[0] = '#';
	k->pch[1] = '+';
	k->pch[2] = '~';
	k->pattr[0] = DA_OK;
	k->pattr[1] = DA_PART2;
	k->pattr[2] = DA_PART3;
	snprintf(k->label, sizeof(k->label), "%u/%u/%u", n->locals, n->guests, n->frozen);
}

/* One node's column for the current display. */
static void draw_column_of(const struct draw_ui *u, const struct view_node *n, struct column *k)
{
	memset(k, 0, sizeof(*k));
	switch (u->disp) {
	case DD_LOAD:
		col_load(u, n, k);
		break;
	case DD_MEM:
		col_mem(u, n, k);
		break;
	case DD_STATUS:
		col_status(u, n, k);
		break;
	case DD_UTIL:
		k->part[0] = n->util;
		k->pch[0] = '#';
		k->pattr[0] = draw_threshold(n->util);
		draw_value(n->util, DV_PCT, k->label, sizeof(k->label));
		break;
	case DD_PROCS:
		col_procs(n, k);
		break;
	default: {
		double r = u->variant ? n->net_kbs : n->io_kbs;
		k->na = r < 0;
		k->part[0] = r < 0 ? 0 : r;
		k->pch[0] = '#';
		k->pattr[0] = DA_OK;
		if (!k->na)
			draw_value(r, DV_KBS, k->label, sizeof(k->label));
	}
	}
}

/* The sum a column's bar stands for (the scale's measure). */
static double col_total(const struct column *k)
{
	return k->part[0] + k->part[1] + k->part[2];
}

/* The least top of the scale of a display. */
static double draw_least(const struct draw_ui *u)
{
	switch (u->disp) {
	case DD_LOAD:
		return 1;
	case DD_UTIL:
		return 1;
	case DD_PROCS:
		return 4;
	case DD_IO:
		return 100;
	default:
		return 1;
	}
}

/* Is the display text only (no bars, no scale)? */
static int draw_textual(const struct draw_ui *u)
{
	return u->disp == DD_STATUS && u->variant != 1;
}

/* Where things go. */
static void draw_layout(struct canvas *c, const struct draw_ui *u, const struct view *v,
			struct layout *l)
{
	l->nshown = draw_shown(u, v, l->idx, VIEW_MAX_NODES);
	draw_columns(u, c->w, l->nshown, &l->colw, &l->fit);
	int maxnode = 1;
	for (int i = 0; i < l->nshown; i++)
		if (v->n[l->idx[i]].node > maxnode)
			maxnode = v->n[l->idx[i]].node;
	int digits = maxnode >= 100 ? 3 : maxnode >= 10 ? 2 : 1;
	int vertical = u->numbers == 1 || (u->numbers == 0 && digits > l->colw - 1);
	l->nrows = vertical ? digits : 1;
	l->y_bar = u->no_bar ? c->h : c->h - 1;
	l->y_num = l->y_bar - l->nrows;
	l->y_axis = l->y_num - 1;
	l->rows = l->y_axis - CHART_TOP - 1; /* one row for the labels */
}

/* The first node index shown: the ui's, kept so that the cursor is seen. */
static int draw_first(const struct draw_ui *u, const struct layout *l)
{
	int first = u->first;
	if (u->cursor >= first + l->fit)
		first = u->cursor - l->fit + 1;
	if (u->cursor < first)
		first = u->cursor;
	if (first > l->nshown - l->fit)
		first = l->nshown - l->fit;
	return first < 0 ? 0 : first;
}

/* Header: mmon, the display's title, and at the right whose view it is,
 * the refresh and the help key, shorter where there is less room; a note
 * (a node found, a setting changed) under it. */
static void draw_header(struct canvas *c, const struct draw_ui *u, const struct view *v)
{
	char right[3][64];
	const char *title = draw_title(u->disp, u->variant);
	int room = c->w - 6 - (int)strlen(title) - 2;
	canvas_text(c, 0, 0, DA_TITLE, "mmon");
	canvas_text(c, 0, 6, DA_TITLE, title);
	snprintf(right[0], sizeof(right[0]), "view of node %d  every %.1fs  h: help", v->self,
		 u->delay_s);
	snprintf(right[1], sizeof(right[1]), "node %d  %.1fs  h: help", v->self, u->delay_s);
	snprintf(right[2], sizeof(right[2]), "h: help");
	for (int i = v->ok ? 0 : 2; i < 3; i++)
		if ((int)strlen(right[i]) <= room) {
			canvas_text(c, 0, c->w - (int)strlen(right[i]), DA_NORMAL, right[i]);
			break;
		}
	if (u->note[0])
		canvas_text(c, 1, 0, DA_WARNING, u->note);
}

/* The scale at the left: top, middle and 0, and the axis. */
static void draw_scale(struct canvas *c, const struct layout *l, double top, int kind)
{
	char s[16];
	int y0 = l->y_axis - 1, ytop = y0 - l->rows + 1;
	for (int y = ytop; y <= y0; y++)
		canvas_cell(c, y, LEFT - 1, DA_FRAME, '|');
	draw_value(top, kind, s, sizeof(s));
	canvas_textn(c, ytop, 0, DA_FRAME, s, LEFT - 1);
	if (l->rows >= 6) {
		draw_value(top / 2, kind, s, sizeof(s));
		canvas_textn(c, ytop + l->rows / 2, 0, DA_FRAME, s, LEFT - 1);
	}
	canvas_text(c, y0, 0, DA_FRAME, "0");
	for (int x = LEFT - 1; x < c->w; x++)
		canvas_cell(c, l->y_axis, x, DA_FRAME, x == LEFT - 1 ? '+' : '-');
}

/* A value kind for the scale labels of the display. */
static int draw_kind(const struct draw_ui *u)
{
	switch (u->disp) {
	case DD_MEM:
		return DV_MB;
	case DD_UTIL:
		return DV_PCT;
	case DD_PROCS:
	case DD_STATUS:
		return DV_COUNT;
	case DD_IO:
		return DV_KBS;
	default:
		return DV_LOAD;
	}
}

/* Text (letters, words) in a column, from the bottom up; a word wider than
 * the column is cut. */
static void draw_col_text(struct canvas *c, const struct layout *l, int x, const char *const *t,
			  const int *attr, int n)
{
	for (int i = 0; i < n && t[i]; i++)
		canvas_textn(c, l->y_axis - 1 - i, x, attr ? attr[i] : DA_NORMAL, t[i],
			     l->colw - 1);
}

/* A text display's column: status letters, or uptime under version. */
static void draw_text_col(struct canvas *c, const struct layout *l, int x, const struct draw_ui *u,
			  const struct view_node *n)
{
	struct column k;
	char up[32];
	if (u->variant == 0) {
		draw_column_of(u, n, &k);
		draw_col_text(c, l, x, k.text, k.text_attr, 4);
		return;
	}
	draw_uptime(n->uptime_s, up, sizeof(up));
	const char *t[2] = {n->version, up};
	draw_col_text(c, l, x, t, NULL, 2);
}

/* A dead node's column: DEAD and its reason (a letter where narrow). */
static void draw_dead(struct canvas *c, const struct layout *l, int x, const struct view_node *n)
{
	int bw = l->colw - 1;
	if (bw >= 4) {
		canvas_textn(c, l->y_axis - 1, x, DA_DEAD, "DEAD", bw);
		canvas_textn(c, l->y_axis - 2, x, DA_DEAD, view_dead_word(n->dead), bw);
		return;
	}
	static const char dead[] = "DEAD";
	for (int i = 0; i < 4; i++)
		canvas_cell(c, l->y_axis - 4 + i, x, DA_DEAD, dead[i]);
	canvas_cell(c, l->y_axis - 5, x, DA_DEAD, view_dead_letter(n->dead));
}

/* A bar column: the stacked parts from the axis up, the label above. */
static void draw_bar(struct canvas *c, const struct layout *l, int x, const struct column *k,
		     double top)
{
	int bw = l->colw - 1, y = l->y_axis - 1, done = 0;
	double sum = 0;
	for (int p = 0; p < 3; p++) {
		if (k->part[p] <= 0)
			continue;
		sum += k->part[p];
		int to = draw_bar_len(sum, top, l->rows);
		for (; done < to; done++)
			for (int i = 0; i < bw; i++)
				canvas_cell(c, y - done, x + i, k->pattr[p], k->pch[p]);
	}
	int used = draw_bar_len(k->part[0], top, l->rows); /* the label sits on the first part */
	if (k->na)
		canvas_textn(c, y, x, DA_NORMAL, "n/a", bw);
	else if ((int)strlen(k->label) <= bw)
		canvas_text(c, y - (used > done ? used : done), x, DA_NORMAL, k->label);
}

/* The node numbers under the columns (vertical when they do not fit). */
static void draw_number(struct canvas *c, const struct layout *l, int x, const struct view_node *n,
			int selected)
{
	char s[16];
	int attr = selected ? DA_SELECT : n->self ? DA_TITLE : DA_NORMAL;
	snprintf(s, sizeof(s), "%d", n->node);
	if (l->nrows == 1) {
		canvas_textn(c, l->y_num, x, attr, s, l->colw - 1 > 0 ? l->colw - 1 : 1);
		return;
	}
	int pad = l->nrows - (int)strlen(s);
	for (int i = 0; s[i]; i++)
		canvas_cell(c, l->y_num + pad + i, x, attr, s[i]);
}

/* The chart: scale, columns, numbers, scroll marks. */
static void draw_chart(struct canvas *c, const struct draw_ui *u, const struct view *v,
		       const struct layout *l)
{
	static struct column cols[VIEW_MAX_NODES];
	int first = draw_first(u, l), last = first + l->fit;
	double largest = 0;
	if (last > l->nshown)
		last = l->nshown;
	for (int i = first; i < last; i++) {
		draw_column_of(u, &v->n[l->idx[i]], &cols[i]);
		if (!v->n[l->idx[i]].dead && col_total(&cols[i]) > largest)
			largest = col_total(&cols[i]);
	}
	double top = u->disp == DD_UTIL			? 1
		     : u->disp == DD_MEM && largest > 0 ? largest /* the biggest node's total */
							: draw_scale_top(largest, draw_least(u));
	if (draw_textual(u)) {
		for (int x = LEFT - 1; x < c->w; x++)
			canvas_cell(c, l->y_axis, x, DA_FRAME, '-');
	} else {
		draw_scale(c, l, top, draw_kind(u));
	}
	for (int i = first; i < last; i++) {
		const struct view_node *n = &v->n[l->idx[i]];
		int x = LEFT + (i - first) * l->colw;
		if (n->dead)
			draw_dead(c, l, x, n);
		else if (draw_textual(u))
			draw_text_col(c, l, x, u, n);
		else
			draw_bar(c, l, x, &cols[i], top);
		if (n->guests)
			canvas_cell(c, l->y_axis, x, DA_PART2, '+');
		draw_number(c, l, x, n, i == u->cursor);
	}
	if (first > 0)
		canvas_cell(c, l->y_axis, LEFT - 1, DA_SELECT, '<');
	if (last < l->nshown)
		canvas_cell(c, l->y_axis, c->w - 1, DA_SELECT, '>');
}

/* The bottom line: [Nodes: N][Live: L][Info age: a][Max age: m], short
 * when narrow; what is not available; or the prompt. */
static void draw_bottom(struct canvas *c, const struct draw_ui *u, const struct view *v, int y)
{
	char s[160];
	int live;
	double avg, max;
	if (u->quit_ask) {
		canvas_text(c, c->h - 1, 0, DA_SELECT, "Quit mmon? (y/n)");
		return;
	}
	if (u->prompt) {
		snprintf(s, sizeof(s), "%s: %s_",
			 u->prompt == '/' ? "Find node (number or address)" : "Details of node",
			 u->input);
		canvas_text(c, c->h - 1, 0, DA_SELECT, s);
		return;
	}
	if (y >= c->h)
		return;
	if (!v->ok) {
		canvas_text(c, y, 0, DA_CRITICAL, "[Information is not available]");
		return;
	}
	view_summary(v, &live, &avg, &max);
	snprintf(s, sizeof(s), "[Nodes: %zu][Live: %d][Info age: %.1f][Max age: %.1f]", v->count,
		 live, avg, max);
	if ((int)strlen(s) > c->w)
		snprintf(s, sizeof(s), "[N:%zu][L:%d][A:%.1f][M:%.1f]", v->count, live, avg, max);
	canvas_text(c, y, 0, DA_NORMAL, s);
}

/* Information is not available: say so, and why, in the middle. */
static void draw_unavailable(struct canvas *c, const struct view *v)
{
	static const char msg[] = "Information is not available";
	int y = c->h / 2 - 1;
	canvas_text(c, y, (c->w - (int)strlen(msg)) / 2, DA_CRITICAL, msg);
	int x = (c->w - (int)strlen(v->why)) / 2;
	canvas_text(c, y + 1, x < 0 ? 0 : x, DA_NORMAL, v->why);
	canvas_text(c, y + 2, (c->w - 38) / 2 < 0 ? 0 : (c->w - 38) / 2, DA_NORMAL,
		    "(trying again; q quits, h for help)");
}

/* Everything. */
void draw_screen(struct canvas *c, const struct draw_ui *u, const struct view *v)
{
	struct layout l;
	canvas_clear(c);
	if (u->help) {
		panel_help(c, u);
		return;
	}
	draw_header(c, u, v);
	draw_layout(c, u, v, &l);
	if (!v->ok)
		draw_unavailable(c, v);
	else if (l.rows < 2 || c->w < LEFT + 3)
		canvas_text(c, CHART_TOP, 0, DA_WARNING, "(the terminal is too small)");
	else
		draw_chart(c, u, v, &l);
	draw_bottom(c, u, v, l.y_bar);
	if (u->detail && v->ok)
		panel_detail(c, u, v);
}
