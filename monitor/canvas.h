/* canvas.h: a grid of cells, each a character and an attribute, that mmon
 * draws on. The terminal (screen.c) shows one; --once, TERM=dumb and the
 * unit tests print or read it. */
#ifndef MONITOR_CANVAS_H
#define MONITOR_CANVAS_H

/* Cell attributes: the terminal maps them to colours (or to bold and
 * reverse video without colour); plain text ignores them. */
enum canvas_attr {
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

/* w x h cells. */
struct canvas {
	int w, h;
	char *ch;	     /* w*h characters */
	unsigned char *attr; /* w*h attributes */
};

/* A canvas of w x h blanks; canvas_free releases it. */
void canvas_init(struct canvas *c, int w, int h);
void canvas_free(struct canvas *c);
/* Blank every cell. */
void canvas_clear(struct canvas *c);
/* Put one cell (clipped; a character that cannot be shown becomes '?'). */
void canvas_cell(struct canvas *c, int y, int x, int attr, char ch);
/* Put text at (y, x), clipped to the canvas; at most max cells. */
void canvas_text(struct canvas *c, int y, int x, int attr, const char *s);
void canvas_textn(struct canvas *c, int y, int x, int attr, const char *s, int max);
/* The canvas as text lines (trailing blanks cut) to a stream (FILE *). */
void canvas_print(const struct canvas *c, void *fp);

#endif
