/* draw.h: mmon's screen, drawn onto a canvas: a grid of cells, each a
 * character and an attribute. The terminal (screen.c) and the plain-text
 * output (--once, TERM=dumb, the unit tests) are two canvases; nothing
 * here knows ncurses. */
#ifndef MONITOR_DRAW_H
#define MONITOR_DRAW_H

#include "view.h"

#include <stddef.h>

/* Cell attributes: the terminal maps them to colours (or to bold and
 * reverse video without colour); plain text ignores them. */
enum draw_attr {
	DA_NORMAL = 0,
	DA_OK,	     /* a bar under the careful mark */
	DA_CAREFUL,  /* 50% of capacity and more */
	DA_WARNING,  /* 70% and more */
	DA_CRITICAL, /* 90% and more */
	DA_DEAD,
	DA_TITLE,
	DA_PART2, /* the second part of a stacked bar (free memory, guests) */
	DA_PART3, /* the third (frozen) */
	DA_SELECT,
	DA_FRAME,
	DA__N
};

/* A canvas: w x h cells. */
struct canvas {
	int w, h;
	char *ch;	     /* w*h characters */
	unsigned char *attr; /* w*h attributes */
};

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
/* A canvas of w x h blanks; draw_canvas_free releases it. */
void draw_canvas_init(struct canvas *c, int w, int h);
void draw_canvas_free(struct canvas *c);
/* Put text at (y, x), clipped to the canvas. */
void draw_text(struct canvas *c, int y, int x, int attr, const char *s);
/* The whole screen for view v. */
void draw_screen(struct canvas *c, const struct draw_ui *u, const struct view *v);
/* The canvas as text lines (trailing blanks cut) to a stream (FILE *). */
void draw_print(const struct canvas *c, void *fp);

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
/* Help text lines (NULL-terminated). */
const char *const *draw_help_lines(void);

/* draw_value kinds */
#define DV_LOAD 0  /* 2 decimals */
#define DV_MB 1	   /* megabytes: 512M, 1.5G */
#define DV_COUNT 2 /* whole number */
#define DV_KBS 3   /* KB a second: 12k, 3.4M */
#define DV_PCT 4   /* share 0..1 as 45% */

#endif
