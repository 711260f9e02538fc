/* draw.h: mmon's screen drawn onto a canvas (canvas.h): the header, one
 * column a node for the display chosen, the node numbers, the bottom line;
 * the help screen and the detail panel over it (panel.h). Nothing here
 * knows ncurses. */
#ifndef MONITOR_DRAW_H
#define MONITOR_DRAW_H

#include "canvas.h"
#include "view.h"

#include <stddef.h>
#include <stdint.h>

/* The displays and their variants (a key pressed again cycles them). */
enum draw_display { DD_LOAD, DD_MEM, DD_STATUS, DD_UTIL, DD_PROCS, DD_IO, DD__N };

#define DRAW_MAX_FILTER 64

/* What the user chose: display, scrolling, panels, prompts. */
struct draw_ui {
	enum draw_display disp;
	int variant;
	int width;	/* column width (0: automatic) */
	int numbers;	/* node numbers: 0 automatic, 1 vertical (-v), 2 horizontal (-w) */
	int first;	/* index of the first node shown (among those shown) */
	int cursor;	/* node under the cursor (0: the first shown) */
	int hide_dead;	/* d */
	int no_bar;	/* t: the bottom line is off */
	int help;	/* the help screen is open */
	int help_top;	/* its first line shown */
	int quit_ask;	/* "Quit mmon? (y/n)" */
	int detail;	/* node of the open detail panel (0: none) */
	int prompt;	/* 0, '/' (find) or 'C' (node for the panel) */
	char input[32]; /* what was typed at the prompt */
	char note[96];	/* a one-line message (a node not found, ...) */
	double delay_s; /* refresh interval */
	int filter[DRAW_MAX_FILTER]; /* --nodes: only these (nfilter 0: all) */
	int nfilter;
	/* the detail panel's processes, as last fetched */
	struct view_proc procs[VIEW_MAX_PROCS];
	int nprocs; /* negative: could not be fetched (procs_why) */
	char procs_why[128];
};

/* Defaults: load display, automatic widths, 1 s refresh. */
void draw_ui_init(struct draw_ui *u);
/* The whole screen for view v. */
void draw_screen(struct canvas *c, const struct draw_ui *u, const struct view *v);

/* The nodes shown (dead ones hidden with d, --nodes), as indices into v. */
int draw_shown(const struct draw_ui *u, const struct view *v, int *idx, int cap);
/* Columns: the width of one and how many fit across w. */
void draw_columns(const struct draw_ui *u, int w, int nshown, int *colw, int *fit);
/* A bar's height in rows: value against the scale's top, over rows. */
int draw_bar_len(double value, double top, int rows);
/* The scale's top for the largest value: a round number, at least least. */
double draw_scale_top(double largest, double least);
/* Short text of a value into out: "1.25", "512M", "3.4G", "12k". */
void draw_value(double v, int kind, char *out, size_t len);
/* The colour of a share of capacity (0..1): DA_OK .. DA_CRITICAL. */
int draw_threshold(double share);
/* The display's title for the header ("Load", "Memory: used / free") . */
const char *draw_title(enum draw_display d, int variant);
/* Variants of a display. */
int draw_variants(enum draw_display d);
/* Uptime as "45s", "12m", "3h12", "2d4h". */
void draw_uptime(uint64_t s, char *out, size_t len);

/* draw_value kinds */
#define DV_LOAD 0  /* 2 decimals */
#define DV_MB 1	   /* megabytes: 512M, 1.5G */
#define DV_COUNT 2 /* whole number */
#define DV_KBS 3   /* KB a second: 12k, 3.4M */
#define DV_PCT 4   /* share 0..1 as 45% */

#endif
