/* panel.h: the help screen and the detail panel, drawn over the chart. */
#ifndef MONITOR_PANEL_H
#define MONITOR_PANEL_H

#include "draw.h"

/* The help screen from line u->help_top (a page of the canvas). */
void panel_help(struct canvas *c, const struct draw_ui *u);
/* Its lines (NULL-terminated). */
const char *const *panel_help_lines(void);
/* The detail panel of node u->detail: its vector from v, its processes
 * from u->procs. */
void panel_detail(struct canvas *c, const struct draw_ui *u, const struct view *v);

#endif
