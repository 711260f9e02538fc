/* xmem.c: allocation wrappers that abort on out-of-memory. */
#include "appliance/xmem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Report and abort: there is no sane way to carry on. */
static void xmem_oom(size_t n)
{
	char msg[80];
	int len = snprintf(msg, sizeof(msg), "out of memory allocating %zu bytes\n", n);
	if (len > 0 && write(2, msg, (size_t)len) < 0)
		abort();
	abort();
}

/* Allocate n bytes. */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		xmem_oom(n);
	return p;
}

/* Allocate a zeroed array. */
void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		xmem_oom(n * size);
	return p;
}

/* Resize an allocation. */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xmem_oom(n);
	return q;
}

/* Duplicate a string. */
char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		xmem_oom(strlen(s) + 1);
	return p;
}

/* Format into a new string. */
char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		xmem_oom(strlen(fmt));
	return p;
}
