/* crc32c.c: CRC-32C with an SSE4.2 path and a table fallback (TCG guests may lack SSE4.2). */
#include "appliance/crc32c.h"

#include <string.h>

static uint32_t table[8][256];
static int have_hw = -1;

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
	if (have_hw < 0)
		crc32c_init();
	uint32_t c = ~crc;
	c = have_hw ? crc32c_hw(c, buf, len) : crc32c_sw(c, buf, len);
	return ~c;
}
