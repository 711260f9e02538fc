/* mon.h: mmon's ways of running: on the terminal (ncurses), as plain text
 * screens (TERM=dumb, no terminal), one screen (--once), one JSON snapshot
 * (--json). Each returns the exit status. */
#ifndef MONITOR_MON_H
#define MONITOR_MON_H

#include "draw.h"

struct mon_opts {
	struct draw_ui ui; /* the start: display, widths, dead nodes, --nodes */
	int via;	   /* -h/--node: whose view (0: this node's) */
	int bw;		   /* --bw: no colours */
};

/* The terminal: until q (confirmed) or Q. */
int mon_interactive(struct mon_opts *o);
/* Plain text screens every interval; keys read as lines from stdin. */
int mon_plain(struct mon_opts *o);
/* One screen as text, w x h. 0, or 1 when the information is not available. */
int mon_once(struct mon_opts *o, int w, int h);
/* One JSON snapshot. 0, or 1 (said on stderr) when it is not available. */
int mon_json(struct mon_opts *o);
/* The snapshot of v as JSON to a stream (FILE *). */
void mon_json_print(const struct draw_ui *u, const struct view *v, void *fp);

#endif
