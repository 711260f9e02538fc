/* heap_huge: one 64 MiB anonymous mapping, its first 16 MiB (2 MiB-aligned)
 * written whole and the rest one page in every 2 MiB, survives intact and
 * as it was: still one mapping, no more resident memory than was written
 * (sparse parts must not come back as whole huge pages), not marked for huge
 * pages; and when this is a restored copy (another pid) on a kernel that
 * gives huge pages on request, the dense part is in huge pages (restore
 * fills whole aligned 2 MiB that way). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "progs.h"

#define NAME "heap_huge"
#define HUGE (2UL << 20)
#define LEN (64UL << 20)
#define DENSE (16UL << 20)
#define PAGE 4096UL

/* The pattern word at byte offset off. */
static uint64_t pattern(size_t off)
{
	return (off * 0x9e3779b97f4a7c15ULL) ^ 0xa5a5a5a5ULL;
}

/* The byte offsets written: every word of the dense part, and the first
 * page after each 2 MiB boundary of the rest. */
static int written(size_t off)
{
	return off < DENSE || off % HUGE < PAGE;
}

/* Fill what is written. */
static void fill(unsigned char *base)
{
	for (size_t off = 0; off < LEN; off += 8)
		if (written(off))
			*(uint64_t *)(base + off) = pattern(off);
}

/* First wrong byte offset, or LEN. Unwritten pages must read as zero. */
static size_t check(const unsigned char *base)
{
	for (size_t off = 0; off < LEN; off += 8) {
		uint64_t want = written(off) ? pattern(off) : 0;
		if (*(const uint64_t *)(base + off) != want)
			return off;
	}
	return LEN;
}

/* What /proc/self/smaps says of the mapping that holds base. */
struct vma_info {
	int found;
	uintptr_t start, end;
	unsigned long rss_kb, huge_kb;
	int hg; /* VmFlags has hg (MADV_HUGEPAGE) */
};

/* Read the smaps entry of the mapping holding base. */
static struct vma_info smaps_of(uintptr_t base)
{
	struct vma_info v = {0, 0, 0, 0, 0, 0};
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t s, e;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) ==
		    2) { /* a mapping's line */
			in = s <= base && base < e;
			if (in)
				v.found = 1, v.start = s, v.end = e;
			continue;
		}
		if (!in)
			continue;
		sscanf(line, "Rss: %lu kB", &v.rss_kb);
		sscanf(line, "AnonHugePages: %lu kB", &v.huge_kb);
		if (!strncmp(line, "VmFlags:", 8))
			v.hg = strstr(line, " hg") != NULL;
	}
	fclose(f);
	return v;
}

/* Does this kernel give huge pages to memory that asks (or to all)? */
static int thp_on_request(void)
{
	char b[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(b, sizeof(b), f))
			b[0] = '\0';
		fclose(f);
	}
	return strstr(b, "[madvise]") || strstr(b, "[always]");
}

int main(void)
{
	unsigned char *raw = mmap(NULL, LEN + HUGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		progs_fail(NAME, "mmap: %m");
	/* Keep only the 2 MiB-aligned LEN bytes: one mapping, aligned. */
	unsigned char *base = (unsigned char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	munmap(base + LEN, (size_t)(raw + LEN + HUGE - (base + LEN)));
	fill(base);
	pid_t first = getpid();
	int thp = thp_on_request();

	progs_wait(NAME);

	size_t bad = check(base);
	if (bad != LEN)
		progs_fail(NAME, "wrong word at offset %#zx", bad);
	struct vma_info v = smaps_of((uintptr_t)base);
	int restored = getpid() != first;
	/* A migrated copy's /proc is its home's: the mapping is not there. */
	if (!v.found && restored)
		progs_fail(NAME, "no mapping holds %p in /proc/self/smaps", (void *)base);
	if (v.found) {
		if (v.start != (uintptr_t)base || v.end != (uintptr_t)base + LEN)
			progs_fail(NAME, "mapping is %#" PRIxPTR "-%#" PRIxPTR ", want %p-%p",
				   v.start, v.end, (void *)base, (void *)(base + LEN));
		unsigned long want_kb = (DENSE + (LEN - DENSE) / HUGE * PAGE) / 1024;
		if (v.rss_kb > want_kb + 256)
			progs_fail(NAME, "%lu kB resident, %lu kB were written", v.rss_kb, want_kb);
		if (v.hg)
			progs_fail(NAME, "mapping is marked for huge pages (hg)");
		if (restored && thp && v.huge_kb < HUGE / 1024)
			progs_fail(NAME, "restored without huge pages (AnonHugePages %lu kB)",
				   v.huge_kb);
	}
	progs_pass(NAME);
}
