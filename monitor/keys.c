/* keys.c: mmon's keys. */
#include "keys.h"
#include "panel.h"

#include <stdio.h>
#include <string.h>

static const double delays[] = {0.25, 0.5, 1, 2, 5, 10};
static const int widths[] = {0, 2, 3, 4, 6, 8, 12};
#define NDELAYS (int)(sizeof(delays) / sizeof(delays[0]))
#define NWIDTHS (int)(sizeof(widths) / sizeof(widths[0]))

/* The nodes shown and how many columns fit. */
static int keys_shown(const struct draw_ui *u, const struct view *v, int w, int *fit)
{
	static int idx[VIEW_MAX_NODES];
	int n = draw_shown(u, v, idx, VIEW_MAX_NODES), colw;
	draw_columns(u, w, n, &colw, fit);
	return n;
}

/* Move the cursor to index i (clamped) and scroll so that it is seen. */
static void keys_move(struct draw_ui *u, const struct view *v, int w, int i)
{
	int fit, n = keys_shown(u, v, w, &fit);
	u->cursor = i >= n ? n - 1 : i;
	if (u->cursor < 0)
		u->cursor = 0;
	if (u->cursor < u->first)
		u->first = u->cursor;
	if (u->cursor >= u->first + fit)
		u->first = u->cursor - fit + 1;
}

void keys_clamp(struct draw_ui *u, const struct view *v)
{
	static int idx[VIEW_MAX_NODES];
	int n = draw_shown(u, v, idx, VIEW_MAX_NODES);
	if (u->cursor >= n)
		u->cursor = n > 0 ? n - 1 : 0;
	if (u->first > u->cursor)
		u->first = u->cursor;
}

/* The node number under the cursor (0: none). */
static int keys_cursor_node(const struct draw_ui *u, const struct view *v)
{
	static int idx[VIEW_MAX_NODES];
	int n = draw_shown(u, v, idx, VIEW_MAX_NODES);
	return u->cursor < n ? v->n[idx[u->cursor]].node : 0;
}

/* The index among those shown of node (-1: not shown). */
static int keys_index_of(const struct draw_ui *u, const struct view *v, int node)
{
	static int idx[VIEW_MAX_NODES];
	int n = draw_shown(u, v, idx, VIEW_MAX_NODES);
	for (int i = 0; i < n; i++)
		if (v->n[idx[i]].node == node)
			return i;
	return -1;
}

/* The help screen is open. */
static enum keys_action keys_help(struct draw_ui *u, int key)
{
	int n = 0;
	while (panel_help_lines()[n])
		n++;
	if (key == 'h' || key == 'q' || key == K_ESC || key == K_F1 || key == '?')
		u->help = 0;
	else if (key == K_DOWN || key == 'j')
		u->help_top++;
	else if (key == K_UP || key == 'k')
		u->help_top--;
	else if (key == K_PGDN || key == ' ')
		u->help_top += 10;
	else if (key == K_PGUP)
		u->help_top -= 10;
	if (u->help_top > n - 1)
		u->help_top = n - 1;
	if (u->help_top < 0)
		u->help_top = 0;
	return KA_DRAW;
}

/* Enter at a prompt: find the node, or open its panel. */
static enum keys_action keys_prompt_done(struct draw_ui *u, const struct view *v, const char *map,
					 int w)
{
	int node = view_find(map, u->input), kind = u->prompt, i;
	u->prompt = 0;
	if (!node) {
		snprintf(u->note, sizeof(u->note), "no node '%s' in the cluster map", u->input);
		return KA_DRAW;
	}
	if (kind == 'C') {
		u->detail = node;
		return KA_DETAIL;
	}
	if ((i = keys_index_of(u, v, node)) < 0) {
		snprintf(u->note, sizeof(u->note), "node %d is not shown (d shows dead nodes)",
			 node);
		return KA_DRAW;
	}
	keys_move(u, v, w, i);
	snprintf(u->note, sizeof(u->note), "node %d", node);
	return KA_DRAW;
}

/* A prompt is open: edit, Enter, Esc. */
static enum keys_action keys_prompt(struct draw_ui *u, const struct view *v, const char *map,
				    int key, int w)
{
	size_t len = strlen(u->input);
	if (key == K_ESC) {
		u->prompt = 0;
	} else if (key == K_ENTER || key == '\n' || key == '\r') {
		return keys_prompt_done(u, v, map, w);
	} else if (key == K_BACKSPACE || key == 127 || key == 8) {
		if (len)
			u->input[len - 1] = '\0';
	} else if (key > ' ' && key < 0x7f && len + 1 < sizeof(u->input)) {
		u->input[len] = (char)key;
		u->input[len + 1] = '\0';
	}
	return KA_DRAW;
}

/* The detail panel is open: [ ] step, Esc/Enter/C/q close. */
static enum keys_action keys_detail(struct draw_ui *u, const struct view *v, int key, int w)
{
	int i = keys_index_of(u, v, u->detail);
	if (key == '[' || key == ']' || key == K_LEFT || key == K_RIGHT) {
		int step = key == '[' || key == K_LEFT ? -1 : 1;
		keys_move(u, v, w, i < 0 ? 0 : i + step);
		u->detail = keys_cursor_node(u, v);
		return u->detail ? KA_DETAIL : KA_DRAW;
	}
	if (key == K_ESC || key == K_ENTER || key == '\n' || key == '\r' || key == 'C' ||
	    key == 'q')
		u->detail = 0;
	return key == 'Q' ? KA_QUIT : KA_DRAW;
}

/* A display key: switch, or the next variant when it is shown already. */
static void keys_display(struct draw_ui *u, enum draw_display d)
{
	if (u->disp == d) {
		u->variant = (u->variant + 1) % draw_variants(d);
	} else {
		u->disp = d;
		u->variant = 0;
	}
}

/* The next refresh interval, faster (dir < 0) or slower. */
static void keys_delay(struct draw_ui *u, int dir)
{
	int i = 0;
	while (i < NDELAYS - 1 && delays[i] < u->delay_s - 1e-9)
		i++;
	i += dir;
	u->delay_s = delays[i < 0 ? 0 : i >= NDELAYS ? NDELAYS - 1 : i];
	snprintf(u->note, sizeof(u->note), "refresh every %.2g s", u->delay_s);
}

/* The next column width. */
static void keys_width(struct draw_ui *u)
{
	int i = 0;
	while (i < NWIDTHS && widths[i] != u->width)
		i++;
	u->width = widths[(i + 1) % NWIDTHS];
	if (u->width)
		snprintf(u->note, sizeof(u->note), "columns %d wide", u->width);
	else
		snprintf(u->note, sizeof(u->note), "columns as wide as fits");
}

/* Scrolling keys; 0 if key is not one. */
static int keys_scroll(struct draw_ui *u, const struct view *v, int key, int w)
{
	int fit;
	keys_shown(u, v, w, &fit);
	if (key == K_LEFT || key == K_RIGHT)
		keys_move(u, v, w, u->cursor + (key == K_LEFT ? -1 : 1));
	else if (key == K_PGDN || key == K_PGUP) {
		int step = key == K_PGUP ? -fit : fit;
		u->first = u->first + step < 0 ? 0 : u->first + step;
		keys_move(u, v, w, u->first);
	} else if (key == K_HOME || key == K_END)
		keys_move(u, v, w, key == K_HOME ? 0 : VIEW_MAX_NODES);
	else
		return 0;
	return 1;
}

/* Keys of the main screen. */
static enum keys_action keys_main(struct draw_ui *u, const struct view *v, int key, int w)
{
	static const char disp_keys[DD__N] = {'l', 'm', 's', 'u', 'p', 'i'};
	for (int d = 0; d < DD__N; d++)
		if (key == disp_keys[d]) {
			keys_display(u, (enum draw_display)d);
			return KA_DRAW;
		}
	if (keys_scroll(u, v, key, w))
		return KA_DRAW;
	switch (key) {
	case 'd':
		u->hide_dead = !u->hide_dead;
		keys_clamp(u, v);
		snprintf(u->note, sizeof(u->note), "dead nodes %s",
			 u->hide_dead ? "hidden" : "shown");
		break;
	case 'h':
	case '?':
	case K_F1:
		u->help = 1;
		break;
	case 'q':
		u->quit_ask = 1;
		break;
	case 'Q':
		return KA_QUIT;
	case 'v':
		keys_width(u);
		break;
	case 't':
		u->no_bar = !u->no_bar;
		break;
	case '+':
	case '-':
		keys_delay(u, key == '+' ? -1 : 1);
		return KA_REFRESH;
	case '/':
	case 'C':
		u->prompt = key;
		u->input[0] = '\0';
		break;
	case K_ENTER:
	case '\n':
	case '\r':
		u->detail = keys_cursor_node(u, v);
		return u->detail ? KA_DETAIL : KA_DRAW;
	}
	return KA_DRAW;
}

/* One key. */
enum keys_action keys_handle(struct draw_ui *u, const struct view *v, const char *map, int key,
			     int w)
{
	if (key != '+' && key != '-')
		u->note[0] = '\0';
	if (u->quit_ask) {
		u->quit_ask = 0;
		return key == 'y' || key == 'Y' ? KA_QUIT : KA_DRAW;
	}
	if (u->prompt)
		return keys_prompt(u, v, map, key, w);
	if (u->help)
		return keys_help(u, key);
	if (u->detail)
		return keys_detail(u, v, key, w);
	return keys_main(u, v, key, w);
}
