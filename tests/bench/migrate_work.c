/* migrate_work: workloads for the migration benchmark. Each waits for the
 * file GO (so the harness can migrate it first), runs, and prints its time.
 *   migrate_work GO lat FILE     ns per forwarded call: getppid, 4 KiB pread, 64 KiB write
 *   migrate_work GO cpu N        N million iterations of arithmetic
 *   migrate_work GO io FILE MB BS  write MB of BS-byte blocks to FILE, then read them back
 *   migrate_work GO mix FILE KB BS N  N million iterations of arithmetic with KB of
 *                                block I/O in BS-byte blocks spread evenly through it:
 *                                the first half written, then read back (an
 *                                application's I/O); also the time spent inside those
 *                                calls (total, median) */
#include "bench.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Monotonic seconds. */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Latency of three forwarded calls. */
static void lat(const char *file)
{
	static char buf[65536];
	int fd = open(file, O_RDONLY), out = open("/dev/null", O_WRONLY);
	int n = 2000;
	/* a few of each first: the steady state is what is measured, not the
	 * first call's set-up at either end */
	for (int i = 0; i < 50; i++)
		if (syscall(SYS_getppid) < 0 || pread(fd, buf, 4096, 0) < 0 ||
		    write(out, buf, sizeof(buf)) < 0)
			return;
	double t0 = now();
	for (int i = 0; i < n; i++)
		syscall(SYS_getppid);
	double t1 = now();
	for (int i = 0; i < n; i++)
		if (pread(fd, buf, 4096, 0) < 0)
			return;
	double t2 = now();
	for (int i = 0; i < n; i++)
		if (write(out, buf, sizeof(buf)) < 0)
			return;
	double t3 = now();
	printf("getppid_us %.2f read4k_us %.2f write64k_us %.2f\n", (t1 - t0) / n * 1e6,
	       (t2 - t1) / n * 1e6, (t3 - t2) / n * 1e6);
}

/* CPU-bound work. */
static void cpu(long n)
{
	volatile unsigned long h = 1469598103934665603ul;
	double t0 = now();
	for (long i = 0; i < n * 1000000; i++)
		h = (h ^ (unsigned long)i) * 1099511628211ul;
	printf("seconds %.4f\n", now() - t0);
}

/* Block I/O through the deputy. */
static void io(const char *file, long mb, long bs)
{
	char *buf = malloc((size_t)bs);
	memset(buf, 'x', (size_t)bs);
	double t0 = now();
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (long done = 0; done < mb << 20; done += bs)
		if (write(fd, buf, (size_t)bs) != bs)
			return;
	lseek(fd, 0, SEEK_SET);
	while (read(fd, buf, (size_t)bs) > 0)
		;
	close(fd);
	unlink(file);
	printf("seconds %.4f\n", now() - t0);
}

/* Computation with block I/O spread through it. */
static void mix(const char *file, long kb, long bs, long n)
{
	char *buf = malloc((size_t)bs);
	memset(buf, 'x', (size_t)bs);
	long blocks = (kb << 10) / bs / 2, steps = 2 * blocks;
	long per = n * 1000000 / (steps ? steps : 1);
	volatile unsigned long h = 1469598103934665603ul;
	double *in = calloc((size_t)(steps ? steps : 1), sizeof(double)), sum = 0;
	double t0 = now();
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (long s = 0; s < steps; s++) {
		for (long i = 0; i < per; i++)
			h = (h ^ (unsigned long)i) * 1099511628211ul;
		if (s == blocks)
			lseek(fd, 0, SEEK_SET);
		double c0 = now();
		if ((s < blocks ? write(fd, buf, (size_t)bs) : read(fd, buf, (size_t)bs)) != bs)
			return;
		in[s] = now() - c0;
		sum += in[s];
	}
	double t = now() - t0;
	close(fd);
	unlink(file);
	qsort(in, (size_t)steps, sizeof(double), bench_cmp_double);
	printf("seconds %.4f calls_s %.4f call_med_us %.1f\n", t, sum,
	       steps ? in[steps / 2] * 1e6 : 0.0);
	free(in);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	while (access(argv[1], F_OK))
		usleep(10000);
	if (!strcmp(argv[2], "lat"))
		lat(argv[3]);
	else if (!strcmp(argv[2], "cpu"))
		cpu(atol(argv[3]));
	else if (!strcmp(argv[2], "mix") && argc == 7)
		mix(argv[3], atol(argv[4]), atol(argv[5]), atol(argv[6]));
	else if (argc == 6)
		io(argv[3], atol(argv[4]), atol(argv[5]));
	return 0;
}
