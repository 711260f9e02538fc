/* sbuf.h: a growable NUL-terminated string buffer (XML, JSON, paths). */
#ifndef HOSTCTL_SBUF_H
#define HOSTCTL_SBUF_H

#include <stddef.h>

struct sbuf {
	char *s;
	size_t len, cap;
};

/* Append formatted text. */
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s with XML special characters escaped. */
void sbuf_xml(struct sbuf *b, const char *s);
/* Release the buffer (safe on a zeroed or already-freed one). */
void sbuf_free(struct sbuf *b);
/* Hand the string out; the buffer is empty afterwards. */
char *sbuf_take(struct sbuf *b);

#endif
