/* spin: a CPU-bound workload for the balancing tests and the demo. It
 * computes a fixed number of rounds of a hash (no system calls while it
 * computes) and prints the result, the same wherever it ran:
 *   spin ITERATIONS [GOFILE]   prints "spin ITERATIONS HASH"
 * With GOFILE it first computes, just as busily, until that file exists (a
 * test or the demo lets it finish only once it has seen it move, so a fast
 * machine cannot finish first). It looks for the file a few times a second
 * (the clock is read through the vDSO, no system call): away from home each
 * look is a call forwarded home, and a load that calls home all the time is
 * not the CPU-bound load it stands for. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Monotonic seconds (the vDSO: no system call). */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One round of the hash. */
static inline uint64_t step(uint64_t *x, uint64_t h)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (h ^ (*x & 0xff)) * 1099511628211ull;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3)
		return fprintf(stderr, "usage: spin ITERATIONS [GOFILE]\n"), 2;
	unsigned long long n = strtoull(argv[1], NULL, 10);
	volatile uint64_t sink = 0;
	uint64_t x = 88172645463325252ull, h = 1469598103934665603ull;
	double last = -1;
	while (argc == 3) { /* busy, as the real work */
		uint64_t y = 1, g = 0;
		for (int i = 0; i < 1000000; i++)
			g = step(&y, g);
		sink += g;
		double t = now_s();
		if (t - last < 0.25 && t >= last)
			continue;
		last = t;
		if (access(argv[2], F_OK) == 0)
			break;
	}
	for (unsigned long long i = 0; i < n; i++)
		h = step(&x, h);
	printf("spin %llu %016llx\n", n, (unsigned long long)h);
	return 0;
}
