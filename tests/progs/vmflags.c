/* vmflags: memory advice and VMA flags survive: MADV_DONTFORK, MADV_WIPEONFORK, MADV_DONTDUMP,
 * mlock, MADV_SEQUENTIAL/RANDOM, MAP_NORESERVE, MADV_HUGEPAGE/NOHUGEPAGE, MADV_MERGEABLE, a
 * read-only and a PROT_NONE region, 4 MiB of dense unadvised memory (restore fills such in huge
 * pages: it must not mark it), guard pages (MADV_GUARD_INSTALL: a touch still faults, the pages
 * around them keep their data), and the flags of every other mapping read the same in
 * /proc/self/smaps (VmFlags) afterwards; the prctl THP setting reads the same; a child forked
 * afterwards has no DONTFORK region and zeros in the WIPEONFORK one. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "progs.h"

#define NAME "vmflags"
#define PAGE 4096UL
#define LEN (16 * PAGE)

struct region {
	const char *what;
	const char *flag; /* two-letter VmFlags mnemonic it must show ("" none) */
	int advice;	  /* madvise advice, or -1 */
	int mflags;	  /* extra mmap flags */
	int prot;
	uint8_t *p;
	char before[256];
};

static struct region R[] = {
    {"dontfork", "dc", MADV_DONTFORK, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"wipeonfork", "wf", MADV_WIPEONFORK, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"dontdump", "dd", MADV_DONTDUMP, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"locked", "lo", -1, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"sequential", "sr", MADV_SEQUENTIAL, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"random", "rr", MADV_RANDOM, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"noreserve", "nr", -1, MAP_NORESERVE, PROT_READ | PROT_WRITE, NULL, ""},
    {"hugepage", "hg", MADV_HUGEPAGE, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"nohugepage", "nh", MADV_NOHUGEPAGE, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"mergeable", "mg", MADV_MERGEABLE, 0, PROT_READ | PROT_WRITE, NULL, ""},
    {"readonly", "", -1, 0, PROT_READ, NULL, ""},
    {"none", "", -1, 0, PROT_NONE, NULL, ""},
};
#define NR (sizeof(R) / sizeof(R[0]))

/* The VmFlags line of the mapping that starts at addr (every mapping when
 * addr is 0: "start flags" lines appended to out). 0 when found. */
static int vmflags(uintptr_t addr, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	uintptr_t cur = 0;
	int found = -1;
	if (!f)
		progs_fail(NAME, "open smaps: %m");
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			cur = a;
			continue;
		}
		if (strncmp(line, "VmFlags:", 8))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (addr && cur == addr) {
			snprintf(out, len, "%s", line + 8);
			found = 0;
			break;
		}
		if (!addr) {
			size_t n = strlen(out);
			snprintf(out + n, len - n, "%lx%s\n", (unsigned long)cur, line + 8);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* Does the VmFlags text hold the two-letter flag? */
static int has_flag(const char *flags, const char *flag)
{
	for (const char *s = flags; *s; s++)
		if (s[0] == ' ' && s[1] == flag[0] && s[2] == flag[1] && (!s[3] || s[3] == ' '))
			return 1;
	return 0;
}

/* The pattern byte of region r at i. */
static uint8_t pat(size_t r, size_t i)
{
	return (uint8_t)(r * 31 + i / PAGE + 1);
}

/* Is [p, p+PAGE) mapped in this process? */
static int mapped(const void *p)
{
	unsigned char v;
	return mincore((void *)p, PAGE, &v) == 0;
}

/* After the move: a child sees no DONTFORK memory and zeros where WIPEONFORK. */
static void check_fork(void)
{
	pid_t c = fork();
	if (c < 0)
		progs_fail(NAME, "fork: %m");
	if (c == 0) {
		if (mapped(R[0].p))
			_exit(2); /* DONTFORK region present in the child */
		for (size_t i = 0; i < LEN; i++)
			if (R[1].p[i])
				_exit(3); /* WIPEONFORK memory not zero */
		for (size_t i = 0; i < LEN; i++)
			if (R[2].p[i] != pat(2, i))
				_exit(4); /* ordinary memory not copied */
		_exit(0);
	}
	int st;
	if (waitpid(c, &st, 0) != c)
		progs_fail(NAME, "waitpid: %m");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		progs_fail(NAME,
			   "child after the move: status %#x (2: dontfork mapped, 3: "
			   "wipeonfork not zero, 4: memory not copied)",
			   st);
	for (size_t i = 0; i < LEN; i++)
		if (R[1].p[i] != pat(1, i))
			progs_fail(NAME, "parent's WIPEONFORK memory changed by the fork");
}

#define MADV_GUARD_INSTALL_ 102 /* Linux 6.13 */

static sigjmp_buf fault_jmp;

/* A touch of a guard page lands here. */
static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

/* Does reading p fault? */
static int faults(const volatile uint8_t *p)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, &old);
	int f = 1;
	if (!sigsetjmp(fault_jmp, 1)) {
		(void)*p;
		f = 0;
	}
	sigaction(SIGSEGV, &old, NULL);
	return f;
}

/* 4 pages written, the middle two made guard pages (0: this kernel has none). */
static uint8_t *guarded(void)
{
	uint8_t *p =
	    mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		progs_fail(NAME, "mmap guarded: %m");
	memset(p, 0x3c, 4 * PAGE);
	if (madvise(p + PAGE, 2 * PAGE, MADV_GUARD_INSTALL_)) {
		munmap(p, 4 * PAGE);
		return NULL;
	}
	return p;
}

/* 4 MiB, 2 MiB-aligned, written whole, no advice. */
static uint8_t *dense(void)
{
	size_t huge = 2UL << 20, len = 4UL << 20;
	uint8_t *raw =
	    mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		progs_fail(NAME, "mmap dense: %m");
	uint8_t *p = (uint8_t *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + len, (size_t)(raw + len + huge - (p + len)));
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	return p;
}

int main(void)
{
	static char all_before[16384], all_after[16384];
	int thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	uint8_t *big = dense(), *gp = guarded();
	for (size_t r = 0; r < NR; r++) {
		/* a gap of one unmapped page between regions: none merge */
		uint8_t *p = mmap(NULL, LEN + PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | R[r].mflags, -1, 0);
		if (p == MAP_FAILED)
			progs_fail(NAME, "mmap %s: %m", R[r].what);
		munmap(p + LEN, PAGE);
		R[r].p = p;
		for (size_t i = 0; i < LEN; i++)
			p[i] = pat(r, i);
		if (R[r].advice >= 0 && madvise(p, LEN, R[r].advice))
			progs_fail(NAME, "madvise %s: %m", R[r].what);
		if (!strcmp(R[r].what, "locked") && mlock(p, LEN))
			progs_fail(NAME, "mlock: %m");
		if (R[r].prot != (PROT_READ | PROT_WRITE) && mprotect(p, LEN, R[r].prot))
			progs_fail(NAME, "mprotect %s: %m", R[r].what);
	}
	for (size_t r = 0; r < NR; r++) {
		if (vmflags((uintptr_t)R[r].p, R[r].before, sizeof(R[r].before)))
			progs_fail(NAME, "%s: no smaps entry", R[r].what);
		if (*R[r].flag && !has_flag(R[r].before, R[r].flag))
			progs_fail(NAME, "%s: VmFlags%s lack '%s' before the move", R[r].what,
				   R[r].before, R[r].flag);
	}
	vmflags(0, all_before, sizeof(all_before));

	progs_wait(NAME);

	for (size_t r = 0; r < NR; r++) {
		char after[256];
		if (vmflags((uintptr_t)R[r].p, after, sizeof(after)))
			progs_fail(NAME, "%s: no smaps entry after the move", R[r].what);
		if (strcmp(after, R[r].before))
			progs_fail(NAME, "%s: VmFlags were%s, now%s", R[r].what, R[r].before,
				   after);
		if (R[r].prot & PROT_READ)
			for (size_t i = 0; i < LEN; i++)
				if (R[r].p[i] != pat(r, i))
					progs_fail(NAME, "%s: byte %zu changed", R[r].what, i);
	}
	for (size_t i = 0; i < (4UL << 20); i++)
		if (big[i] != (uint8_t)(i * 7 + 1))
			progs_fail(NAME, "dense memory changed at %zu", i);
	if (gp && (!faults(gp + PAGE) || !faults(gp + 2 * PAGE) || faults(gp) || gp[0] != 0x3c ||
		   gp[3 * PAGE] != 0x3c))
		progs_fail(NAME, "guard pages: a touch of them %s, the pages around hold %#x %#x",
			   faults(gp + PAGE) ? "faults" : "does not fault", gp[0], gp[3 * PAGE]);
	int thp_now = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	if (thp_now != thp)
		progs_fail(NAME, "PR_GET_THP_DISABLE was %#x, now %#x", thp, thp_now);
	vmflags(0, all_after, sizeof(all_after));
	if (strcmp(all_before, all_after)) {
		/* the first line that differs */
		const char *a = all_before, *b = all_after;
		while (*a && *a == *b)
			a++, b++;
		while (a > all_before && a[-1] != '\n')
			a--, b--;
		progs_fail(NAME, "VmFlags of the mappings differ: was %.*s, now %.*s",
			   (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	}
	check_fork();
	progs_pass(NAME);
}
