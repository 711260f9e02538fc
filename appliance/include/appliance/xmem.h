/* xmem.h: allocation that never returns NULL (aborts on out-of-memory). */
#ifndef APPLIANCE_XMEM_H
#define APPLIANCE_XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
