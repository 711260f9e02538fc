/* compress.c: LZO1X-1, LZ4 and zstd behind one interface. */
#include "compress.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
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

/* LZO1X-1 with its work memory kept across calls. */
static size_t comp_lzo(const void *src, size_t n, void *dst)
{
	static void *wrk;
	if (!wrk) {
		if (lzo_init() != LZO_E_OK)
			return 0;
		wrk = xmalloc(LZO1X_1_MEM_COMPRESS);
	}
	lzo_uint out = 0;
	if (lzo1x_1_compress(src, n, dst, &out, wrk) != LZO_E_OK)
		return 0;
	return out;
}

/* zstd level 1 with one reused context. */
static size_t comp_zstd(const void *src, size_t n, void *dst, size_t cap)
{
	static ZSTD_CCtx *cctx;
	if (!cctx)
		cctx = ZSTD_createCCtx();
	size_t r = ZSTD_compressCCtx(cctx, dst, cap, src, n, 1);
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
