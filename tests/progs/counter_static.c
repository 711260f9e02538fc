/* counter_static: a static binary's heap buffer, checksum and loop state survive. */
#include <stdint.h>
#include <string.h>

#include "progs.h"

#define NAME "counter_static"
#define WORDS (1u << 20) /* 4 MiB of heap */
#define ROUNDS 8

/* Run rounds passes of a mixing loop over buf; return the running checksum. */
static uint64_t churn(uint32_t *buf, uint32_t *seed, int rounds, uint64_t sum)
{
	for (int r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < WORDS; i++) {
			*seed = *seed * 1664525u + 1013904223u;
			buf[i] ^= *seed + i;
			sum = sum * 1099511628211ULL + buf[i];
		}
	return sum;
}

/* Return a checksum over the whole buffer. */
static uint64_t digest(const uint32_t *buf)
{
	uint64_t h = 14695981039346656037ULL;
	for (uint32_t i = 0; i < WORDS; i++)
		h = (h ^ buf[i]) * 1099511628211ULL;
	return h;
}

int main(void)
{
	uint32_t *buf = calloc(WORDS, sizeof(*buf));
	uint32_t seed = 12345;
	if (!buf)
		progs_fail(NAME, "calloc: out of memory");
	uint64_t sum = churn(buf, &seed, ROUNDS / 2, 0);
	uint64_t half = digest(buf);

	progs_wait(NAME);

	if (digest(buf) != half)
		progs_fail(NAME, "heap buffer changed during the wait");
	sum = churn(buf, &seed, ROUNDS - ROUNDS / 2, sum);

	/* The same work in one go, in a fresh buffer, must give the same answer. */
	uint32_t *ref = calloc(WORDS, sizeof(*ref));
	uint32_t rseed = 12345;
	if (!ref)
		progs_fail(NAME, "calloc: out of memory");
	uint64_t rsum = churn(ref, &rseed, ROUNDS, 0);
	if (sum != rsum || seed != rseed || memcmp(buf, ref, WORDS * sizeof(*buf)) != 0)
		progs_fail(NAME, "result %#llx (seed %u), want %#llx (seed %u)",
			   (unsigned long long)sum, seed, (unsigned long long)rsum, rseed);
	free(ref);
	free(buf);
	progs_pass(NAME);
}
