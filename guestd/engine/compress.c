/* compress.c: LZO1X-1, LZ4 and zstd behind one interface. */
#include "engine/compress.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static const char *names[COMP__MAX] = {"none", "lzo", "lz4", "zstd"};

/* Name of a method. */
const char *comp_name(int c)
{
	return c >= 0 && c < COMP__MAX ? names[c] : "?";
}

/* Parse a method name. */
int comp_parse(const char *name)
{
	for (int i = 0; i < COMP__MAX; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}

/* Worst-case output size. */
size_t comp_bound(int c, size_t n)
{
	switch (c) {
	case COMP_LZO:
		return n + n / 16 + 64 + 3;
	case COMP_LZ4:
		return (size_t)LZ4_compressBound((int)n);
	case COMP_ZSTD:
		return ZSTD_compressBound(n);
	default:
		return n;
	}
}

/* Work memory of the compressors, one set per thread (the image writer may
 * run in several threads at once: a dumper thread beside a restore). */
struct comp_tls {
	void *lzo_wrk;
	ZSTD_CCtx *zstd;
};

static pthread_once_t comp_once = PTHREAD_ONCE_INIT;
static pthread_key_t comp_key;
static int lzo_ok;

/* Free a thread's work memory when it exits. */
static void comp_tls_free(void *p)
{
	struct comp_tls *t = p;
	free(t->lzo_wrk);
	ZSTD_freeCCtx(t->zstd);
	free(t);
}

/* Once per process: the LZO library and the per-thread key. */
static void comp_init(void)
{
	lzo_ok = lzo_init() == LZO_E_OK;
	if (pthread_key_create(&comp_key, comp_tls_free))
		abort(); /* only fails when out of keys or memory */
}

/* This thread's work memory, made on first use. */
static struct comp_tls *comp_tls(void)
{
	pthread_once(&comp_once, comp_init);
	struct comp_tls *t = pthread_getspecific(comp_key);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->lzo_wrk = xmalloc(LZO1X_1_MEM_COMPRESS);
		t->zstd = ZSTD_createCCtx();
		if (!t->zstd || pthread_setspecific(comp_key, t))
			abort(); /* out of memory, like xmalloc */
	}
	return t;
}

/* LZO1X-1. */
static size_t comp_lzo(const void *src, size_t n, void *dst)
{
	struct comp_tls *t = comp_tls();
	lzo_uint out = 0;
	if (!lzo_ok || lzo1x_1_compress(src, n, dst, &out, t->lzo_wrk) != LZO_E_OK)
		return 0;
	return out;
}

/* zstd level 1. */
static size_t comp_zstd(const void *src, size_t n, void *dst, size_t cap)
{
	size_t r = ZSTD_compressCCtx(comp_tls()->zstd, dst, cap, src, n, 1);
	return ZSTD_isError(r) ? 0 : r;
}

/* Compress; 0 means store raw. */
size_t comp_compress(int c, const void *src, size_t n, void *dst, size_t cap)
{
	size_t out = 0;
	if (cap < comp_bound(c, n))
		return 0;
	if (c == COMP_LZO)
		out = comp_lzo(src, n, dst);
	else if (c == COMP_LZ4)
		out = (size_t)LZ4_compress_default(src, dst, (int)n, (int)cap);
	else if (c == COMP_ZSTD)
		out = comp_zstd(src, n, dst, cap);
	return out && out < n ? out : 0;
}

/* Decompress, checking the output length exactly. */
int comp_decompress(int c, const void *src, size_t n, void *dst, size_t raw)
{
	if (c == COMP_LZO) {
		pthread_once(&comp_once, comp_init);
		lzo_uint out = raw;
		int r = lzo1x_decompress_safe(src, n, dst, &out, NULL);
		return r == LZO_E_OK && out == raw ? 0 : -EBADMSG;
	}
	if (c == COMP_LZ4) {
		int r = LZ4_decompress_safe(src, dst, (int)n, (int)raw);
		return r == (int)raw ? 0 : -EBADMSG;
	}
	if (c == COMP_ZSTD) {
		size_t r = ZSTD_decompress(dst, raw, src, n);
		return !ZSTD_isError(r) && r == raw ? 0 : -EBADMSG;
	}
	if (c == COMP_NONE && n == raw) {
		memcpy(dst, src, n);
		return 0;
	}
	return -EBADMSG;
}
