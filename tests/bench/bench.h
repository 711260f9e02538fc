/* bench.h: what the engine benchmarks share: target processes filled with
 * mixed data, seizing and checking restored copies, medians and output files.
 *
 * A benchmark is a short main over these helpers. It prints markdown tables
 * on stdout and writes gnuplot data files into the directory given as its
 * first argument. Timings are only compared within one run (ratios), never
 * against fixed thresholds: this is not a timed test.
 */
#ifndef BENCH_H
#define BENCH_H

#include "engine/dump.h"
#include "engine/freeze.h"
#include "engine/restore.h"
#include "appliance/err.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_REPS 3 /* timed repetitions; the median is reported */
#define BENCH_MiB (1024u * 1024u)
#define BENCH_BLOCK (32u * 1024u) /* text and random data alternate in blocks this big */
#define BENCH_POOL (1u << 20)	  /* text-like pool the text blocks are cut from */
#define BENCH_SAMPLES 64	  /* pages compared between original and restored copy */

/* A forked child that holds len bytes of mixed data at addr and spins. */
struct bench_target {
	pid_t pid;
	uint64_t addr;
	size_t len;
};

/* Megabytes (10^6 bytes) per second. */
static inline double bench_mbs(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes / 1e6 / secs : 0;
}

/* Map len bytes of private memory; out of memory aborts, like xmalloc. */
static inline void *bench_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		abort();
	return p;
}

/* Touch and release len bytes, so that what is allocated next finds memory
 * the VM has backed. This VM hands freed memory back to its host within a
 * few seconds, and touching it again costs several times a bare-metal page
 * fault (see PLATFORM.md); a node on real hardware never pays that. */
static inline void bench_prefault(size_t len)
{
	volatile uint8_t *p = bench_map(len);
	/* In huge pages where the kernel has them: the VM hands back whole free
	 * 2 MiB blocks, which is where huge pages (a restore's) come from. */
	madvise((void *)p, len, MADV_HUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	munmap((void *)p, len);
}

/* Sort helper for bench_median. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of n values (n small; the array is left untouched). */
static inline double bench_median(const double *v, int n)
{
	double s[16];
	if (n <= 0 || n > 16)
		return 0;
	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Next value of a splitmix64 generator. */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A word picked with a skew towards the start of the vocabulary. */
static inline const char *bench_word(uint64_t r)
{
	/* clang-format off */
	static const char *const words[] = {
		"the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with", "was",
		"on", "be", "by", "this", "process", "memory", "page", "node", "cluster", "image",
		"restore", "dump", "kernel", "signal", "file", "error", "return", "value", "struct",
		"int", "char", "static", "const", "void", "if", "else", "while", "buffer", "length",
		"address", "migration", "checkpoint", "thread", "socket", "request", "response",
		"user", "name", "id", "time", "count", "list", "table", "index", "key", "data",
		"load", "balance", "remote", "home", "guest", "host", "network", "packet"};
	/* clang-format on */
	size_t n = ARRAY_SIZE(words);
	return words[(r & 0xffff) % n * ((r >> 16 & 0xffff) % n) / n];
}

/* One line of text at p (room for 256 bytes): a record or a sentence. */
static inline size_t bench_line(char *p, uint64_t *s)
{
	uint64_t r = bench_rand(s);
	if (r & 1)
		return (size_t)snprintf(p, 256,
					"{\"id\": %llu, \"user\": \"%s%llu\", \"node\": \"n%llu\", "
					"\"state\": \"%s\", \"load\": %llu.%02llu}\n",
					(unsigned long long)(r >> 40), bench_word(r >> 8),
					(unsigned long long)(r >> 56),
					(unsigned long long)(r >> 60), bench_word(r >> 24),
					(unsigned long long)(r >> 50 & 7),
					(unsigned long long)(r >> 33 & 63));
	size_t at = 0, nw = 6 + (r >> 1) % 10;
	for (size_t w = 0; w < nw; w++)
		at += (size_t)snprintf(p + at, 24, "%s ", bench_word(bench_rand(s)));
	p[at - 1] = '\n';
	return at;
}

/* Fill p with text-like data: JSON-ish records and prose. */
static inline void bench_fill_text(char *p, size_t n, uint64_t *s)
{
	size_t at = 0;
	while (at + 256 < n)
		at += bench_line(p + at, s);
	memset(p + at, ' ', n - at);
}

/* Fill len bytes with alternating blocks of text-like and random data. */
static inline void bench_fill(uint8_t *p, size_t len, uint64_t seed)
{
	char *pool = xmalloc(BENCH_POOL);
	uint64_t s = seed;
	bench_fill_text(pool, BENCH_POOL, &s);
	for (size_t off = 0; off < len; off += BENCH_BLOCK) {
		size_t n = len - off < BENCH_BLOCK ? len - off : BENCH_BLOCK;
		if ((off / BENCH_BLOCK) % 2 == 0) {
			size_t from = (size_t)(bench_rand(&s) % (BENCH_POOL - BENCH_BLOCK));
			memcpy(p + off, pool + from, n);
			continue;
		}
		for (size_t i = 0; i + 8 <= n; i += 8) {
			uint64_t r = bench_rand(&s);
			memcpy(p + off + i, &r, 8);
		}
	}
	free(pool);
}

/* Child side of a target: map and fill the memory, report it, then spin. */
__attribute__((noreturn)) static inline void bench_target_main(int wfd, size_t len)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	bench_fill(p, len, 42);
	uint64_t msg[2] = {(uint64_t)(uintptr_t)p, len};
	if (write(wfd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(1);
	/* Nothing but stdio may stay open: the engine refuses pipes. */
	syscall(SYS_close_range, 3, ~0u, 0);
	for (;;)
		__asm__ volatile("" ::: "memory");
}

/* Start a target holding len bytes; returns once its memory is filled. */
static inline int bench_target_start(size_t len, struct bench_target *t, struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return err_set(e, -errno, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		bench_target_main(p[1], len);
	close(p[1]);
	uint64_t msg[2];
	char eof;
	int rc = pid < 0 ? -errno : util_read_full(p[0], msg, sizeof(msg));
	/* EOF once the child has closed everything above stdio. */
	if (!rc && read(p[0], &eof, 1) != 0)
		rc = -EPROTO;
	close(p[0]);
	if (rc) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return err_set(e, rc, "start a %zu MiB target", len / BENCH_MiB);
	}
	*t = (struct bench_target){pid, msg[0], (size_t)msg[1]};
	return 0;
}

/* Kill and reap a target. */
static inline void bench_target_stop(struct bench_target *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, __WALL);
	t->pid = 0;
}

/* Become pid's tracer the way the supervisor does. */
static inline int bench_seize(pid_t pid, struct err *e)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD))
		return err_set(e, -errno, "seize pid %d", pid);
	return 0;
}

/* Let a frozen (dumped) tracee go: detaching from a ptrace-stop resumes it. */
static inline int bench_release(pid_t pid, struct err *e)
{
	if (ptrace(PTRACE_DETACH, pid, 0, 0))
		return err_set(e, -errno, "detach pid %d", pid);
	return 0;
}

/* A fresh image file in /dev/shm (tmpfs), already unlinked. */
static inline int bench_shm_file(struct err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/dev/shm/mosix-bench-%d.img", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, -errno, "create %s", path);
	unlink(path);
	return fd;
}

/* Empty an image file and rewind it, outside any timed region. */
static inline int bench_rewind(int fd, int truncate, struct err *e)
{
	if ((truncate && ftruncate(fd, 0)) || lseek(fd, 0, SEEK_SET))
		return err_set(e, -errno, "rewind image file");
	return 0;
}

/* Read one page of pid at addr. */
static inline int bench_peek(pid_t pid, uint64_t addr, void *buf)
{
	struct iovec lo = {buf, 4096}, ro = {(void *)(uintptr_t)addr, 4096};
	return process_vm_readv(pid, &lo, 1, &ro, 1, 0) == 4096 ? 0 : -errno;
}

/* Compare sampled pages of the target with the restored copy. */
static inline int bench_compare(pid_t pid, const struct bench_target *t, struct err *e)
{
	uint8_t a[4096], b[4096];
	size_t npages = t->len / 4096;
	for (size_t i = 0; i < BENCH_SAMPLES; i++) {
		size_t pg = i == BENCH_SAMPLES - 1 ? npages - 1 : i * npages / BENCH_SAMPLES;
		uint64_t at = t->addr + pg * 4096;
		int rc = bench_peek(t->pid, at, a);
		if (!rc)
			rc = bench_peek(pid, at, b);
		if (rc)
			return err_set(e, rc, "read page %#llx", (unsigned long long)at);
		if (memcmp(a, b, sizeof(a)))
			return err_setx(e, -EIO, "restored pid %d differs from pid %d at %#llx",
					pid, t->pid, (unsigned long long)at);
	}
	return 0;
}

/* Continue a restored process (it comes back in a ptrace-stop). */
static inline int bench_cont(pid_t pid, struct err *e)
{
	if (ptrace(PTRACE_CONT, pid, 0, 0))
		return err_set(e, -errno, "continue restored pid %d", pid);
	return 0;
}

/* Check a continued restored process still runs 50 ms later and holds the
 * target's data; then kill it. */
static inline int bench_check_restored(pid_t pid, const struct bench_target *t, struct err *e)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	int st = 0, rc = 0;
	pid_t w = waitpid(pid, &st, WNOHANG | __WALL);
	if (w != 0)
		rc = err_setx(e, -ECHILD, "restored pid %d did not keep running (status %#x)", pid,
			      st);
	if (!rc && t)
		rc = bench_compare(pid, t, e);
	kill(pid, SIGKILL);
	if (w == 0 || (w > 0 && WIFSTOPPED(st)))
		waitpid(pid, NULL, __WALL);
	return rc;
}

/* Open a data file for gnuplot in dir. */
static inline FILE *bench_dat(const char *dir, const char *name, struct err *e)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		err_set(e, -errno, "create %s", path);
	return f;
}

/* Print an error at the edge and fail. */
static inline int bench_fail(const char *name, const struct err *e)
{
	fprintf(stderr, "%s: %s\n", name, e->msg);
	return 1;
}

#endif
