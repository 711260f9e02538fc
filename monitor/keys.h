/* keys.h: what a key does to mmon's state: displays and their variants,
 * scrolling, the help screen, prompts, the detail panel, quitting. No
 * terminal here (screen.c turns ncurses keys into these codes). */
#ifndef MONITOR_KEYS_H
#define MONITOR_KEYS_H

#include "draw.h"
#include "view.h"

/* Keys that are not characters. */
enum {
	K_LEFT = 0x1000,
	K_RIGHT,
	K_UP,
	K_DOWN,
	K_PGUP,
	K_PGDN,
	K_HOME,
	K_END,
	K_ENTER,
	K_ESC,
	K_F1,
	K_BACKSPACE,
};

/* What the caller does after a key. */
enum keys_action {
	KA_DRAW,    /* draw again */
	KA_QUIT,    /* leave */
	KA_DETAIL,  /* the detail panel opened or changed node: fetch its processes */
	KA_REFRESH, /* the refresh interval changed */
};

/* Apply key to u. v: the view shown; map: the cluster map's text (for
 * finding a node by address); w: the screen's width (for paging). */
enum keys_action keys_handle(struct draw_ui *u, const struct view *v, const char *map, int key,
			     int w);
/* Keep the cursor on a node that is shown (after the view changed). */
void keys_clamp(struct draw_ui *u, const struct view *v);

#endif
