/* engine_downtime.c: time from freezing a 100 MiB process to its restored copy
 * running: sequentially through a tmpfs file, and pipelined through a pipe
 * or a socketpair.
 *
 * Pipelined: a dumper thread seizes the target (ptrace is per thread, so it
 * must be the one to freeze and dump it) and writes the image into the
 * channel while the main thread restores from the other end and so becomes
 * the tracer of the new process.
 *
 * Usage: engine_downtime OUTDIR [MiB]   (writes OUTDIR/downtime.dat)
 */
#include "bench.h"
#include "engine/compress.h"
#include "engine/image.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#define PIPE_BYTES (1 << 20) /* pipe-max-size: raising it needs CAP_SYS_RESOURCE */
#define SOCK_BYTES (4 << 20) /* above the writer's flushes (up to 3 MiB) */

/* Memory a round allocates: the image file and the restored copy, and some. */
#define PREFAULT(len) (2 * (len) + (len) / 4)

enum { SEQ, SEQMAP, PIPE, SOCK, NMODE };
static const char *const mode_names[NMODE] = {
    "sequential (tmpfs file)", "sequential (tmpfs file, map)", "pipelined (pipe, 1 MiB)",
    "pipelined (socketpair, 4 MiB)"};
static const char *const mode_short[NMODE] = {"file", "file map", "pipe", "socket"};
static const int methods[] = {COMP_NONE, COMP_LZO};
#define NMETHOD ARRAY_SIZE(methods)

/* One freeze-to-running round; seconds from the freeze. */
struct round {
	double total, freeze, dump, restore_tail, cont;
	double dump_meta, restore_total, image_mb;
};

/* The dumper thread's job in pipelined mode. */
struct job {
	pid_t target;
	int comp;
	int wfd;     /* image goes here; closed when the dump ends */
	int done_fd; /* eventfd: the main thread has its copy running */
	double t0, t_frozen, t_dumped;
	struct dump_stats st;
	struct err e;
	int rc;
};

/* Freeze and dump pid into fd, stamping the phases. */
static int freeze_and_dump(pid_t pid, int fd, int comp, double t[3], struct dump_stats *st,
			   struct err *e)
{
	struct dump_opts o = {.comp = comp};
	t[0] = util_now();
	int rc = freeze_process(pid, NULL, e);
	t[1] = util_now();
	if (!rc)
		rc = dump_process(pid, fd, &o, st, e);
	t[2] = util_now();
	return rc;
}

/* Dumper thread: seize, freeze, dump into the channel; let the target go at the end. */
static void *job_run(void *arg)
{
	struct job *j = arg;
	double t[3] = {0, 0, 0};
	uint64_t go;
	j->rc = bench_seize(j->target, &j->e);
	if (!j->rc)
		j->rc = freeze_and_dump(j->target, j->wfd, j->comp, t, &j->st, &j->e);
	close(j->wfd);
	j->t0 = t[0], j->t_frozen = t[1], j->t_dumped = t[2];
	if (read(j->done_fd, &go, sizeof(go)) != (ssize_t)sizeof(go) && !j->rc)
		j->rc = err_set(&j->e, -errno, "wait for the restore");
	/* Detach from this thread: with PTRACE_O_EXITKILL its exit would kill the target. */
	if (j->t_frozen > 0 && bench_release(j->target, j->rc ? NULL : &j->e) && !j->rc)
		j->rc = j->e.code;
	return NULL;
}

/* Restore from fd and continue the copy; stamps the end of both. *pid is
 * a running copy on success, -1 otherwise. */
static int restore_and_cont(int fd, unsigned mode, pid_t *pid, struct restore_info *info,
			    double t[2], struct err *e)
{
	struct restore_opts o = {.ptrace_opts = PTRACE_O_EXITKILL, .mode = mode};
	int rc = restore_process(fd, &o, pid, info, e);
	t[0] = util_now();
	if (!rc && (rc = bench_cont(*pid, e)))
		bench_check_restored(*pid, NULL, NULL);
	t[1] = util_now();
	if (rc)
		*pid = -1;
	return rc;
}

/* Fill a round from the phase stamps: d = freeze, frozen, dumped; s = restored, running. */
static void round_fill(struct round *r, const double d[3], const double s[2],
		       const struct dump_stats *st, const struct restore_info *info)
{
	r->total = s[1] - d[0];
	r->freeze = d[1] - d[0];
	r->dump = d[2] - d[1];
	r->restore_tail = s[0] - d[2];
	r->cont = s[1] - s[0];
	r->dump_meta = st->t_meta;
	r->restore_total = info->t_total;
	r->image_mb = (double)st->bytes / 1e6;
}

/* One sequential round: the target is seized by this thread. */
static int round_seq(const struct bench_target *t, int fd, int comp, unsigned rmode,
		     struct round *r, struct err *e)
{
	double d[3], s[2];
	struct dump_stats st;
	struct restore_info info;
	pid_t pid;
	int rc = bench_rewind(fd, 1, e);
	if (!rc)
		rc = bench_seize(t->pid, e);
	if (rc)
		return rc;
	bench_prefault(PREFAULT(t->len));
	rc = freeze_and_dump(t->pid, fd, comp, d, &st, e);
	if (!rc)
		rc = bench_rewind(fd, 0, e);
	if (!rc && !(rc = restore_and_cont(fd, rmode, &pid, &info, s, e))) {
		round_fill(r, d, s, &st, &info);
		rc = bench_check_restored(pid, t, e);
	}
	int rc2 = bench_release(t->pid, rc ? NULL : e);
	return rc ? rc : rc2;
}

/* Tell the dumper thread the copy runs, and wait for it to let the target go. */
static void job_finish(struct job *j, pthread_t th)
{
	uint64_t one = 1;
	if (write(j->done_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		abort(); /* adding 1 to a fresh eventfd cannot fail */
	pthread_join(th, NULL);
	close(j->done_fd);
}

/* Socket buffer size: forced past wmem_max/rmem_max as root, else as large as allowed. */
static void sock_buffers(int fd, int opt_force, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, opt_force, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

/* The channel of a pipelined round: p[0] to read, p[1] to write. */
static int channel_open(int mode, int p[2], struct err *e)
{
	if (mode == PIPE) {
		if (pipe2(p, O_CLOEXEC))
			return err_set(e, -errno, "pipe");
		fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
		return err_set(e, -errno, "socketpair");
	sock_buffers(p[1], SO_SNDBUFFORCE, SO_SNDBUF, SOCK_BYTES);
	sock_buffers(p[0], SO_RCVBUFFORCE, SO_RCVBUF, SOCK_BYTES);
	return 0;
}

/* One pipelined round. */
static int round_pipe(const struct bench_target *t, int mode, int comp, struct round *r,
		      struct err *e)
{
	int p[2];
	if (channel_open(mode, p, e))
		return e->code;
	bench_prefault(PREFAULT(t->len));
	struct job j;
	memset(&j, 0, sizeof(j));
	j.target = t->pid, j.comp = comp, j.wfd = p[1];
	pthread_t th;
	if ((j.done_fd = eventfd(0, EFD_CLOEXEC)) < 0 || pthread_create(&th, NULL, job_run, &j))
		abort(); /* out of resources on a benchmark host */
	double s[2];
	struct restore_info info;
	pid_t pid = -1;
	int rc = restore_and_cont(p[0], 0, &pid, &info, s, e);
	close(p[0]); /* a failed restore must not leave the dumper blocked on a full pipe */
	job_finish(&j, th);
	if (!rc && j.rc) {
		bench_check_restored(pid, NULL, NULL);
		*e = j.e;
		return j.rc;
	}
	if (rc)
		return rc;
	round_fill(r, (double[3]){j.t0, j.t_frozen, j.t_dumped}, s, &j.st, &info);
	return bench_check_restored(pid, t, e);
}

/* Median of each column over n rounds (n <= BENCH_REPS). */
static void round_median(const struct round *rs, int n, struct round *m)
{
	enum { NF = sizeof(struct round) / sizeof(double) };
	double col[NF][BENCH_REPS], row[NF];
	for (int i = 0; i < n; i++) {
		memcpy(row, &rs[i], sizeof(row));
		for (int f = 0; f < NF; f++)
			col[f][i] = row[f];
	}
	for (int f = 0; f < NF; f++)
		row[f] = bench_median(col[f], n);
	memcpy(m, row, sizeof(row));
}

/* Median rounds of one mode and method, after a warm-up round. */
static int measure(const struct bench_target *t, int fd, int mode, int comp, struct round *m,
		   struct err *e)
{
	struct round rs[BENCH_REPS + 1];
	for (int i = 0; i <= BENCH_REPS; i++) {
		int rc = mode == SEQ	  ? round_seq(t, fd, comp, 0, &rs[i], e)
			 : mode == SEQMAP ? round_seq(t, fd, comp, RESTORE_MAP, &rs[i], e)
					  : round_pipe(t, mode, comp, &rs[i], e);
		if (rc)
			return err_prefix(e, "%s, %s: ", mode_names[mode], comp_name(comp));
	}
	round_median(rs + 1, BENCH_REPS, m);
	return 0;
}

/* The markdown table. */
static void print_table(size_t mib, struct round m[NMODE][NMETHOD])
{
	printf("## Freeze to running copy, %zu MiB process\n\n"
	       "Milliseconds, median of %d rounds after a warm-up round (each column's own "
	       "median). total = from PTRACE_INTERRUPT to the restored copy's first PTRACE_CONT "
	       "returning. restore after dump = what restore still needed once the dump had "
	       "finished (pipelined: the tail of an overlapped restore). The original is "
	       "running before each round, and memory for the image and the copy is touched and "
	       "freed just before it (see the throughput section); each copy is checked to run "
	       "50 ms with the original's data.\n\n",
	       mib, BENCH_REPS);
	printf("| mode | comp | image MB | total ms | freeze | dump | restore after dump | first "
	       "CONT | dump metadata | restore_process |\n"
	       "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	double best = m[0][0].total;
	for (int mode = 0; mode < NMODE; mode++)
		for (size_t c = 0; c < NMETHOD; c++) {
			const struct round *r = &m[mode][c];
			printf("| %s | %s | %.0f | **%.1f** | %.2f | %.1f | %.1f | %.2f | %.1f | "
			       "%.1f |\n",
			       mode_names[mode], comp_name(methods[c]), r->image_mb, r->total * 1e3,
			       r->freeze * 1e3, r->dump * 1e3, r->restore_tail * 1e3, r->cont * 1e3,
			       r->dump_meta * 1e3, r->restore_total * 1e3);
			best = r->total < best ? r->total : best;
		}
	printf("\nTarget: under 100 ms. Best here: %.1f ms%s.\n\n", best * 1e3,
	       best < 0.1 ? "" : " (MISSED)");
}

/* The data file for the downtime plot: stacked phases per mode and method. */
static int write_dat(const char *dir, struct round m[NMODE][NMETHOD], struct err *e)
{
	FILE *f = bench_dat(dir, "downtime.dat", e);
	if (!f)
		return e->code;
	fprintf(f, "# label freeze dump restore-after-dump cont (ms)\n");
	for (int mode = 0; mode < NMODE; mode++)
		for (size_t c = 0; c < NMETHOD; c++)
			fprintf(f, "\"%s, %s\" %.2f %.2f %.2f %.2f\n", mode_short[mode],
				comp_name(methods[c]), m[mode][c].freeze * 1e3,
				m[mode][c].dump * 1e3, m[mode][c].restore_tail * 1e3,
				m[mode][c].cont * 1e3);
	return fclose(f) ? err_set(e, -errno, "write downtime.dat") : 0;
}

/* Measure every mode and method on one target. */
static int measure_all(size_t mib, struct round m[NMODE][NMETHOD], struct err *e)
{
	struct bench_target t = {0, 0, 0};
	int fd = -1, rc = bench_target_start(mib * BENCH_MiB, &t, e);
	if (!rc && (fd = bench_shm_file(e)) < 0)
		rc = fd;
	for (int mode = 0; !rc && mode < NMODE; mode++)
		for (size_t c = 0; !rc && c < NMETHOD; c++)
			rc = measure(&t, fd, mode, methods[c], &m[mode][c], e);
	if (fd >= 0)
		close(fd);
	bench_target_stop(&t);
	return rc;
}

int main(int argc, char **argv)
{
	struct round m[NMODE][NMETHOD];
	struct err e = {0, ""};
	long mib = 100;
	if (argc < 2 || (argc > 2 && util_parse_long(argv[2], 1, 16384, &mib)))
		return fprintf(stderr, "usage: engine_downtime OUTDIR [MiB]\n"), 2;
	signal(SIGPIPE, SIG_IGN);
	if (measure_all((size_t)mib, m, &e))
		return bench_fail("engine_downtime", &e);
	print_table((size_t)mib, m);
	if (write_dat(argv[1], m, &e))
		return bench_fail("engine_downtime", &e);
	return 0;
}
