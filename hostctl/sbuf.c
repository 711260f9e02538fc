/* sbuf.c: growable string buffer. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/xmem.h"

/* Make room for n more bytes plus the NUL. */
static void sbuf_grow(struct sbuf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
}

/* Append formatted text. */
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Append with &, <, >, ' and " escaped. */
void sbuf_xml(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			sbuf_printf(b, "&amp;");
			break;
		case '<':
			sbuf_printf(b, "&lt;");
			break;
		case '>':
			sbuf_printf(b, "&gt;");
			break;
		case '\'':
			sbuf_printf(b, "&apos;");
			break;
		case '"':
			sbuf_printf(b, "&quot;");
			break;
		default:
			sbuf_printf(b, "%c", *s);
			break;
		}
	}
}

/* Free the storage. */
void sbuf_free(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* Give the string to the caller. */
char *sbuf_take(struct sbuf *b)
{
	if (!b->s)
		return xstrdup("");
	char *s = b->s;
	memset(b, 0, sizeof(*b));
	return s;
}
