/* engine_throughput.c: dump and restore throughput of 64 MiB, 256 MiB and
 * 1 GiB processes, beside this machine's raw process_vm_readv copy rate
 * measured on the same frozen target in the same run. Dump runs twice: into
 * a tmpfs file (a checkpoint in memory) and into /dev/null (the image stream
 * itself, everything but storing it). Restore runs twice:
 * copying the pages (the default) and mapping them from the image file
 * (RESTORE_MAP).
 *
 * Usage: engine_throughput OUTDIR [MiB...]   (writes OUTDIR/throughput.dat)
 */
#include "bench.h"
#include "engine/compress.h"
#include "engine/image.h"

#define RAW_STEP (IMG_PAGES_PER_REC * IMG_PAGE) /* the dumper's read size */
#define PREFAULT(len) ((len) + (len) / 8)	/* what one timed operation allocates, and some */

static const int methods[] = {COMP_NONE, COMP_LZO};
#define NMETHOD ARRAY_SIZE(methods)

/* One size and compression method. */
struct row {
	size_t mib;
	int comp;
	double image_mb;	     /* stream bytes */
	double dump, stream;	     /* MB/s: into a tmpfs file, into /dev/null */
	double restore, rmap;	     /* MB/s; rmap: restore with RESTORE_MAP */
	double raw, raw_fresh, sink; /* MB/s: the baselines, see print_table */
};

/* Copy the target's memory into buf the way the dumper reads it. */
static int raw_copy(const struct bench_target *t, uint8_t *buf, double *secs, struct err *e)
{
	double t0 = util_now();
	for (size_t off = 0; off < t->len; off += RAW_STEP) {
		size_t n = t->len - off < RAW_STEP ? t->len - off : RAW_STEP;
		struct iovec lo = {buf + off, n}, ro = {(void *)(uintptr_t)(t->addr + off), n};
		if (process_vm_readv(t->pid, &lo, 1, &ro, 1, 0) != (ssize_t)n)
			return err_set(e, -errno, "process_vm_readv pid %d", t->pid);
	}
	*secs = util_now() - t0;
	return 0;
}

/* Copy the target's memory into fresh memory: the page faults a restore pays. */
static int raw_fresh(const struct bench_target *t, double *secs, struct err *e)
{
	bench_prefault(PREFAULT(t->len));
	uint8_t *buf = bench_map(t->len);
	int rc = raw_copy(t, buf, secs, e);
	munmap(buf, t->len);
	return rc;
}

/* Write len bytes of buf into the emptied file fd, 1 MiB per write() like the
 * image writer: the dump's sink. */
static int sink_once(int fd, size_t len, const uint8_t *buf, double *secs, struct err *e)
{
	int rc = bench_rewind(fd, 1, e);
	bench_prefault(PREFAULT(len));
	double t0 = util_now();
	for (size_t off = 0; !rc && off < len; off += BENCH_MiB)
		rc = util_write_full(fd, buf, len - off < BENCH_MiB ? len - off : BENCH_MiB);
	*secs = util_now() - t0;
	return rc ? err_set(e, rc, "write to tmpfs") : 0;
}

/* Dump the frozen target into fd: the (emptied) image file, or /dev/null
 * when file is 0. */
static int dump_once(const struct bench_target *t, int fd, int file, int comp, double *secs,
		     struct dump_stats *st, struct err *e)
{
	struct dump_opts o = {.comp = comp};
	int rc = file ? bench_rewind(fd, 1, e) : 0;
	bench_prefault(PREFAULT(t->len));
	double t0 = util_now();
	if (!rc)
		rc = dump_process(t->pid, fd, &o, st, e);
	*secs = util_now() - t0;
	return rc;
}

/* Restore the image file, let the copy run, check it and kill it. */
static int restore_once(const struct bench_target *t, int fd, unsigned mode, double *secs,
			struct err *e)
{
	struct restore_opts o = {.ptrace_opts = PTRACE_O_EXITKILL, .mode = mode};
	struct restore_info info;
	pid_t pid;
	int rc = bench_rewind(fd, 0, e);
	bench_prefault(PREFAULT(t->len));
	double t0 = util_now();
	if (!rc)
		rc = restore_process(fd, &o, &pid, &info, e);
	*secs = util_now() - t0;
	if (rc)
		return rc;
	rc = bench_cont(pid, e);
	int rc2 = bench_check_restored(pid, rc ? NULL : t, rc ? NULL : e);
	return rc ? rc : rc2;
}

/* Seconds per round of everything measured on one target. */
struct samples {
	double raw[BENCH_REPS + 1], fresh[BENCH_REPS + 1], sink[BENCH_REPS + 1];
	double dump[NMETHOD][BENCH_REPS + 1], stream[NMETHOD][BENCH_REPS + 1];
	double restore[NMETHOD][BENCH_REPS + 1];
	double rmap[NMETHOD][BENCH_REPS + 1];
	struct dump_stats st[NMETHOD];
};

/* One round: the baselines, then dump and restore with each method, side by
 * side so that a burst of load on the machine hits them alike. */
static int measure_round(const struct bench_target *t, int fd, int null, uint8_t *warm, int i,
			 struct samples *s, struct err *e)
{
	int rc = raw_copy(t, warm, &s->raw[i], e);
	if (!rc)
		rc = raw_fresh(t, &s->fresh[i], e);
	if (!rc)
		rc = sink_once(fd, t->len, warm, &s->sink[i], e);
	for (size_t m = 0; !rc && m < NMETHOD; m++) {
		rc = dump_once(t, null, 0, methods[m], &s->stream[m][i], &s->st[m], e);
		if (!rc)
			rc = dump_once(t, fd, 1, methods[m], &s->dump[m][i], &s->st[m], e);
		if (!rc)
			rc = restore_once(t, fd, 0, &s->restore[m][i], e);
		if (!rc)
			rc = restore_once(t, fd, RESTORE_MAP, &s->rmap[m][i], e);
		if (rc)
			err_prefix(e, "%s: ", comp_name(methods[m]));
	}
	return rc;
}

/* Median rate over the rounds that count. */
static double rate(uint64_t bytes, const double *secs, int warm)
{
	return bench_mbs(bytes, bench_median(secs + warm, BENCH_REPS));
}

/* Rows of one size from the rounds that count (the first is a warm-up if warm is 1). */
static void rows_fill(size_t mib, const struct samples *s, int warm, struct row *rows)
{
	size_t len = mib * BENCH_MiB;
	for (size_t m = 0; m < NMETHOD; m++) {
		uint64_t bytes = s->st[m].pages * IMG_PAGE;
		rows[m] = (struct row){mib,
				       methods[m],
				       (double)s->st[m].bytes / 1e6,
				       rate(bytes, s->dump[m], warm),
				       rate(bytes, s->stream[m], warm),
				       rate(bytes, s->restore[m], warm),
				       rate(bytes, s->rmap[m], warm),
				       rate(len, s->raw, warm),
				       rate(len, s->fresh, warm),
				       rate(len, s->sink, warm)};
	}
}

/* All measurements for one process size, one row per method. */
static int measure_size(size_t mib, int warm, struct row *rows, struct err *e)
{
	struct bench_target t = {0, 0, 0};
	struct samples s;
	uint8_t *buf = NULL;
	int fd = -1, null = -1, rc = bench_target_start(mib * BENCH_MiB, &t, e);
	if (!rc)
		rc = bench_seize(t.pid, e);
	if (!rc)
		rc = freeze_process(t.pid, NULL, e);
	if (!rc && (fd = bench_shm_file(e)) < 0)
		rc = fd;
	if (!rc && (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		rc = err_set(e, -errno, "open /dev/null");
	if (!rc) {
		buf = bench_map(t.len);
		/* restore_process forks this process to start its stub: that would
		 * write-protect the buffer, and the next raw copy would take a
		 * copy-on-write fault on every page. */
		madvise(buf, t.len, MADV_DONTFORK);
		memset(buf, 1, t.len);
		rc = raw_copy(&t, buf, &s.raw[0], e);
	}
	for (int i = 0; !rc && i < warm + BENCH_REPS; i++)
		rc = measure_round(&t, fd, null, buf, i, &s, e);
	if (buf)
		munmap(buf, t.len);
	if (fd >= 0)
		close(fd);
	if (null >= 0)
		close(null);
	bench_target_stop(&t);
	if (rc)
		return err_prefix(e, "%zu MiB process: ", mib);
	rows_fill(mib, &s, warm, rows);
	return 0;
}

/* The markdown table. */
static void print_table(const struct row *r, size_t n)
{
	printf("## Dump and restore throughput\n\n"
	       "MB = 10^6 bytes of process memory. Median of %d rounds (the smallest process "
	       "gets a warm-up round first); image file in /dev/shm (tmpfs). Each round "
	       "measures, on the same frozen target, the baselines and then dump and restore "
	       "with each method. dump writes the image into a tmpfs file, stream the same "
	       "dump into /dev/null: everything a dump does (pagemap, reading the pages, "
	       "checksums, records, the writer thread) but storing its bytes. restore copies the "
	       "pages into the new process (fresh "
	       "memory; a record that fills a whole aligned 2 MiB goes into one huge page) "
	       "on a worker thread while the next record is read and checked; map restores "
	       "the same file with RESTORE_MAP, which maps full "
	       "uncompressed page records from the image file instead (each record's CRC is "
	       "still checked before the process runs). raw = process_vm_readv, 2 MiB per "
	       "call as the dumper reads, into a warmed buffer; raw fresh = the same into "
	       "never-touched memory "
	       "(the page faults a restore would pay in small pages); tmpfs = write() of as "
	       "many bytes into an emptied tmpfs file (the dump's sink).\n\n"
	       "This VM hands freed memory back to its host within seconds, and touching it "
	       "again costs several times a page fault on real hardware (PLATFORM.md). So "
	       "every timed operation is preceded by touching and freeing as much memory as "
	       "it will need (in huge pages where the kernel gives them on request).\n\n",
	       BENCH_REPS);
	printf("| process | comp | image MB | dump MB/s | stream MB/s | restore MB/s | map MB/s "
	       "| raw | raw fresh | tmpfs | dump/raw | stream/raw | restore/raw | map/raw | "
	       "dump/tmpfs | restore/raw fresh |\n"
	       "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (size_t i = 0; i < n; i++)
		printf("| %zu MiB | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | "
		       "**%.2f** | **%.2f** | **%.2f** | **%.2f** | %.2f | %.2f |\n",
		       r[i].mib, comp_name(r[i].comp), r[i].image_mb, r[i].dump, r[i].stream,
		       r[i].restore, r[i].rmap, r[i].raw, r[i].raw_fresh, r[i].sink,
		       r[i].dump / r[i].raw, r[i].stream / r[i].raw, r[i].restore / r[i].raw,
		       r[i].rmap / r[i].raw, r[i].dump / r[i].sink, r[i].restore / r[i].raw_fresh);
	printf("\n");
}

/* The columns that ratio_span sets against each other. */
enum col { COL_DUMP, COL_STREAM, COL_RESTORE, COL_MAP, COL_RAW, COL_FRESH, COL_SINK };

/* One column of a row, in MB/s. */
static double row_col(const struct row *r, enum col c)
{
	const double v[] = {r->dump, r->stream, r->restore, r->rmap, r->raw, r->raw_fresh, r->sink};
	return v[c];
}

/* Worst and best of num / base over the rows of one method; how many reach
 * min out of how many rows there are (*rows). */
static int ratio_span(const struct row *r, size_t n, int comp, enum col num, enum col base,
		      double min, int *rows, double *lo, double *hi)
{
	int met = 0;
	*lo = 1e9, *hi = 0, *rows = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].comp != comp)
			continue;
		double x = row_col(&r[i], num) / row_col(&r[i], base);
		*lo = x < *lo ? x : *lo;
		*hi = x > *hi ? x : *hi;
		met += x >= min;
		++*rows;
	}
	return met;
}

/* Hold the rows against the targets: >= 0.5x raw for uncompressed images (a
 * compressed image goes at the compressor's speed: shown, not held to it);
 * >= 700 MB/s uncompressed at 1 GiB. */
static void print_verdict(const struct row *r, size_t n)
{
	static const char *const what[] = {"dump into tmpfs", "dump as a stream (into /dev/null)",
					   "restore (copy)", "restore (map)"};
	static const char *const word[] = {"dump", "stream", "restore", "map"};
	double lo, hi;
	int rows;
	printf("Targets (uncompressed rows; lzo rows are bound by the compressor):\n\n");
	for (int which = COL_DUMP; which <= COL_MAP; which++) {
		int met = ratio_span(r, n, COMP_NONE, which, COL_RAW, 0.5, &rows, &lo, &hi);
		printf("- %s >= 0.5x raw: %s (met in %d of %d rows, %.2f-%.2fx)\n", what[which],
		       met == rows ? "met" : "MISSED", met, rows, lo, hi);
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].mib != 1024 || r[i].comp != COMP_NONE)
			continue;
		printf("- 1 GiB, uncompressed, >= 700 MB/s (CRIU's figure):");
		for (int c = COL_DUMP; c <= COL_MAP; c++) {
			double v = row_col(&r[i], c);
			printf("%s %s %.0f %s", c == COL_DUMP ? "" : ",", word[c], v,
			       v >= 700 ? "met" : "MISSED");
		}
		printf("\n");
	}
	/* What the copies themselves allow here: the dump cannot outrun writing
	 * its bytes into the sink at all, a restore cannot outrun filling fresh
	 * memory (both far below the warm copy on this VM). */
	ratio_span(r, n, COMP_NONE, COL_DUMP, COL_SINK, 0, &rows, &lo, &hi);
	printf("- against what this machine's copies allow: dump %.2f-%.2fx tmpfs write (the "
	       "sink)",
	       lo, hi);
	ratio_span(r, n, COMP_NONE, COL_RESTORE, COL_FRESH, 0, &rows, &lo, &hi);
	printf(", restore %.2f-%.2fx raw fresh (filling new memory)\n", lo, hi);
	ratio_span(r, n, COMP_LZO, COL_DUMP, COL_RAW, 0, &rows, &lo, &hi);
	printf("- lzo, for reference: dump %.2f-%.2fx raw", lo, hi);
	ratio_span(r, n, COMP_LZO, COL_RESTORE, COL_RAW, 0, &rows, &lo, &hi);
	printf(", restore %.2f-%.2fx raw\n\n", lo, hi);
}

/* The data file for the throughput plot: one line per size. */
static int write_dat(const char *dir, const struct row *r, size_t n, struct err *e)
{
	FILE *f = bench_dat(dir, "throughput.dat", e);
	if (!f)
		return e->code;
	fprintf(f, "# size dump-none dump-lzo restore-none restore-lzo raw raw-fresh tmpfs "
		   "map-none stream-none (MB/s)\n");
	for (size_t i = 0; i + NMETHOD <= n; i += NMETHOD)
		fprintf(f, "\"%zu MiB\" %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", r[i].mib,
			r[i].dump, r[i + 1].dump, r[i].restore, r[i + 1].restore, r[i].raw,
			r[i].raw_fresh, r[i].sink, r[i].rmap, r[i].stream);
	return fclose(f) ? err_set(e, -errno, "write throughput.dat") : 0;
}

int main(int argc, char **argv)
{
	size_t sizes[8] = {64, 256, 1024}, nsize = 3;
	struct row rows[8 * NMETHOD];
	struct err e = {0, ""};
	long v;
	if (argc < 2)
		return fprintf(stderr, "usage: engine_throughput OUTDIR [MiB...]\n"), 2;
	if (argc > 2)
		nsize = 0;
	for (int i = 2; i < argc && nsize < ARRAY_SIZE(sizes); i++) {
		if (util_parse_long(argv[i], 1, 16384, &v))
			return fprintf(stderr, "engine_throughput: bad size %s\n", argv[i]), 2;
		sizes[nsize++] = (size_t)v;
	}
	for (size_t i = 0; i < nsize; i++)
		if (measure_size(sizes[i], i == 0, rows + i * NMETHOD, &e))
			return bench_fail("engine_throughput", &e);
	print_table(rows, nsize * NMETHOD);
	print_verdict(rows, nsize * NMETHOD);
	if (write_dat(argv[1], rows, nsize * NMETHOD, &e))
		return bench_fail("engine_throughput", &e);
	return 0;
}
