/* heap_sparse: a 1 GiB anonymous mapping with one page in 64 written survives intact. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "progs.h"

#define NAME "heap_sparse"
#define SIZE (1UL << 30)
#define PAGE 4096UL
#define STRIDE 64

/* Return the pattern word for word w of page p. */
static uint64_t pattern(size_t p, size_t w)
{
	return (p * 0x9e3779b97f4a7c15ULL) ^ (w * 0xbf58476d1ce4e5b9ULL) ^ 0x5a5a;
}

/* Fill every STRIDE-th page with its pattern; return a checksum over them. */
static uint64_t fill(unsigned char *base)
{
	uint64_t sum = 0;
	for (size_t p = 0; p < SIZE / PAGE; p += STRIDE) {
		uint64_t *w = (uint64_t *)(base + p * PAGE);
		for (size_t i = 0; i < PAGE / 8; i++) {
			w[i] = pattern(p, i);
			sum = sum * 31 + w[i];
		}
	}
	return sum;
}

/* Recompute the checksum from memory; report the first wrong word. */
static uint64_t check(const unsigned char *base, size_t *bad)
{
	uint64_t sum = 0;
	*bad = SIZE;
	for (size_t p = 0; p < SIZE / PAGE; p += STRIDE) {
		const uint64_t *w = (const uint64_t *)(base + p * PAGE);
		for (size_t i = 0; i < PAGE / 8; i++) {
			if (w[i] != pattern(p, i) && *bad == SIZE)
				*bad = p * PAGE + i * 8;
			sum = sum * 31 + w[i];
		}
	}
	return sum;
}

/* Return the offset of a non-zero byte in sampled untouched pages, or SIZE. */
static size_t check_zero(const unsigned char *base)
{
	static const unsigned char zero[PAGE];
	for (size_t p = 1; p < SIZE / PAGE; p += 97) {
		if (p % STRIDE == 0)
			continue;
		if (memcmp(base + p * PAGE, zero, PAGE) != 0)
			return p * PAGE;
	}
	return SIZE;
}

int main(void)
{
	unsigned char *base = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		progs_fail(NAME, "mmap 1 GiB: %m");
	uint64_t want = fill(base);

	progs_wait(NAME);

	size_t bad;
	uint64_t got = check(base, &bad);
	if (bad != SIZE)
		progs_fail(NAME, "wrong word at offset %#zx", bad);
	if (got != want)
		progs_fail(NAME, "checksum %#llx, want %#llx", (unsigned long long)got,
			   (unsigned long long)want);
	size_t nz = check_zero(base);
	if (nz != SIZE)
		progs_fail(NAME, "untouched page at offset %#zx is not zero", nz);
	progs_pass(NAME);
}
