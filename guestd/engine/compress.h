/* compress.h: page compression back-ends (LZO as in MOSIX; LZ4 and zstd beside it). */
#ifndef GUESTD_COMPRESS_H
#define GUESTD_COMPRESS_H

#include <stddef.h>

enum comp { COMP_NONE = 0, COMP_LZO = 1, COMP_LZ4 = 2, COMP_ZSTD = 3, COMP__MAX };

/* Name of a method ("none", "lzo", "lz4", "zstd"); "?" if unknown. */
const char *comp_name(int c);
/* Parse a method name. The method, or -EINVAL. */
int comp_parse(const char *name);
/* Largest output compressing n bytes may produce. */
size_t comp_bound(int c, size_t n);
/* Compress n bytes into dst (cap bytes). Output length, or 0 when it did not shrink / failed. */
size_t comp_compress(int c, const void *src, size_t n, void *dst, size_t cap);
/* Decompress exactly raw bytes. 0, or -EBADMSG on corrupt input. */
int comp_decompress(int c, const void *src, size_t n, void *dst, size_t raw);

#endif
