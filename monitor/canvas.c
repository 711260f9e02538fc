/* canvas.c: a grid of cells, each a character and an attribute. */
#include "canvas.h"
#include "appliance/xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A canvas of blanks. */
void canvas_init(struct canvas *c, int w, int h)
{
	c->w = w < 1 ? 1 : w;
	c->h = h < 1 ? 1 : h;
	c->ch = xmalloc((size_t)c->w * (size_t)c->h);
	c->attr = xcalloc((size_t)c->w * (size_t)c->h, 1);
	memset(c->ch, ' ', (size_t)c->w * (size_t)c->h);
}

void canvas_free(struct canvas *c)
{
	free(c->ch);
	free(c->attr);
	c->ch = NULL;
	c->attr = NULL;
}

/* Put one cell. */
void canvas_cell(struct canvas *c, int y, int x, int attr, char ch)
{
	if (y < 0 || y >= c->h || x < 0 || x >= c->w)
		return;
	c->ch[y * c->w + x] = (ch >= ' ' && ch < 0x7f) ? ch : '?';
	c->attr[y * c->w + x] = (unsigned char)attr;
}

/* Put text, clipped. */
void canvas_text(struct canvas *c, int y, int x, int attr, const char *s)
{
	for (; *s; s++, x++)
		canvas_cell(c, y, x, attr, *s);
}

/* Text of at most max cells. */
void canvas_textn(struct canvas *c, int y, int x, int attr, const char *s, int max)
{
	for (int i = 0; i < max && s[i]; i++)
		canvas_cell(c, y, x + i, attr, s[i]);
}

/* Print the canvas, trailing blanks cut. */
void canvas_print(const struct canvas *c, void *fp)
{
	for (int y = 0; y < c->h; y++) {
		int n = c->w;
		while (n > 0 && c->ch[y * c->w + n - 1] == ' ')
			n--;
		fprintf(fp, "%.*s\n", n, c->ch + y * c->w);
	}
}

/* Blank every cell. */
void canvas_clear(struct canvas *c)
{
	memset(c->ch, ' ', (size_t)c->w * (size_t)c->h);
	memset(c->attr, 0, (size_t)c->w * (size_t)c->h);
}
