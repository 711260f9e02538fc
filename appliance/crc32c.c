/* crc32c.c: CRC-32C with an SSE4.2 path and a table fallback (TCG guests may lack SSE4.2). */
#include "appliance/crc32c.h"

#include <pthread.h>
#include <string.h>

/* Three interleaved streams of STREAM bytes each hide the crc32 instruction's
 * latency (one result per 3 cycles in a single chain). The streams are
 * joined by "shifting" a CRC over STREAM zero bytes, done with a table. */
#define STREAM 8192u
#define POLY 0x82f63b78u

static uint32_t table[8][256];
static uint32_t zeros[4][256]; /* the operator appending STREAM zero bytes */
static int have_hw = -1;

/* Multiply the 32x32 GF(2) matrix mat by vec. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
	uint32_t sum = 0;
	for (; vec; vec >>= 1, mat++)
		if (vec & 1)
			sum ^= *mat;
	return sum;
}

/* square = mat * mat. */
static void gf2_square(uint32_t *square, const uint32_t *mat)
{
	for (int n = 0; n < 32; n++)
		square[n] = gf2_times(mat, mat[n]);
}

/* Build the table that applies len zero bytes to a raw CRC register. */
static void crc32c_zeros_init(size_t len)
{
	uint32_t op[32], sq[32], acc[32];
	op[0] = POLY; /* one zero bit */
	for (int n = 1; n < 32; n++)
		op[n] = 1u << (n - 1);
	gf2_square(sq, op); /* two bits */
	gf2_square(op, sq); /* four bits */
	int have = 0;
	for (size_t k = len; k; k >>= 1) {
		gf2_square(sq, op); /* op covers 1, 2, 4, ... bytes in turn */
		memcpy(op, sq, sizeof(op));
		if (k & 1) {
			if (have) {
				for (int n = 0; n < 32; n++)
					sq[n] = gf2_times(op, acc[n]);
				memcpy(acc, sq, sizeof(acc));
			} else {
				memcpy(acc, op, sizeof(acc));
			}
			have = 1;
		}
	}
	for (uint32_t n = 0; n < 256; n++)
		for (int k = 0; k < 4; k++)
			zeros[k][n] = gf2_times(acc, n << (8 * k));
}

/* Apply STREAM zero bytes to a raw CRC register. */
static uint32_t crc32c_shift(uint32_t c)
{
	return zeros[0][c & 0xff] ^ zeros[1][(c >> 8) & 0xff] ^ zeros[2][(c >> 16) & 0xff] ^
	       zeros[3][c >> 24];
}

/* Build the slicing-by-8 tables. */
static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
	crc32c_zeros_init(STREAM);
	__builtin_cpu_init();
	have_hw = __builtin_cpu_supports("sse4.2");
}

/* Software CRC, eight bytes at a time. */
static uint32_t crc32c_sw(uint32_t c, const unsigned char *p, size_t n)
{
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		w ^= c;
		c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
		    table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^
		    table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		n -= 8;
	}
	while (n--)
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
	return c;
}

/* Hardware CRC with the crc32 instruction. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t c, const unsigned char *p,
							    size_t n)
{
	uint64_t c64 = c;
	while (n >= 3 * STREAM) {
		uint64_t c1 = 0, c2 = 0;
		for (size_t i = 0; i < STREAM; i += 8) {
			uint64_t w0, w1, w2;
			memcpy(&w0, p + i, 8);
			memcpy(&w1, p + STREAM + i, 8);
			memcpy(&w2, p + 2 * STREAM + i, 8);
			c64 = __builtin_ia32_crc32di(c64, w0);
			c1 = __builtin_ia32_crc32di(c1, w1);
			c2 = __builtin_ia32_crc32di(c2, w2);
		}
		c64 = crc32c_shift((uint32_t)c64) ^ c1;
		c64 = crc32c_shift((uint32_t)c64) ^ c2;
		p += 3 * STREAM;
		n -= 3 * STREAM;
	}
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c64 = __builtin_ia32_crc32di(c64, w);
		p += 8;
		n -= 8;
	}
	c = (uint32_t)c64;
	while (n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}

/* Extend a CRC-32C over a buffer. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, crc32c_init);
	uint32_t c = ~crc;
	c = have_hw ? crc32c_hw(c, buf, len) : crc32c_sw(c, buf, len);
	return ~c;
}
