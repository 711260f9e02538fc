/* engine_compress.c: LZO vs LZ4 vs zstd on real process images: a 256 MiB
 * target of mixed data and a python3 holding a few MB of objects. The inputs
 * are the images' own PAGES payloads (up to 2 MiB each), compressed one by
 * one with comp_compress() as the image writer does.
 *
 * Usage: engine_compress OUTDIR [MiB]   (writes OUTDIR/compress.dat)
 */
#include "bench.h"
#include "engine/compress.h"
#include "engine/image.h"

#include <poll.h>
#include <sys/stat.h>

static const int methods[] = {COMP_NONE, COMP_LZO, COMP_LZ4, COMP_ZSTD};
#define NMETHOD ARRAY_SIZE(methods)

/* Builds ~40k small dicts and ~30k strings (a few tens of MB), says ready, spins. */
static const char py_script[] =
    "import random, sys\n"
    "random.seed(1)\n"
    "words = 'node page memory cluster guest host image dump restore signal file "
    "socket packet thread user name value index table count'.split()\n"
    "objs = [{'id': i, 'name': 'user%d' % i, 'score': random.random(),\n"
    "         'tags': [random.choice(words) for _ in range(4)]} for i in range(40000)]\n"
    "text = [' '.join(random.choice(words) for _ in range(12)) for _ in range(30000)]\n"
    "nums = list(range(200000))\n"
    "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
    "while True: pass\n";

/* The PAGES payloads of one image, back to back. */
struct chunks {
	const char *name;
	uint8_t *data;
	size_t *len;
	size_t n, total, max;
};

/* One method on one image. */
struct result {
	int comp;
	double ratio, c_mbs, d_mbs;
};

/* Append one PAGES payload. */
static void chunks_add(struct chunks *c, const struct img_view *v, size_t cap)
{
	if (c->total + v->len > cap)
		abort(); /* an uncompressed image holds at least its payloads */
	memcpy(c->data + c->total, v->data, v->len);
	c->len = xrealloc(c->len, (c->n + 1) * sizeof(*c->len));
	c->len[c->n++] = v->len;
	c->total += v->len;
	c->max = v->len > c->max ? v->len : c->max;
}

/* Load the raw PAGES payloads of the image in fd. */
static int chunks_load(int fd, struct chunks *c, struct err *e)
{
	struct stat sb;
	struct img_reader r;
	struct img_view v;
	if (fstat(fd, &sb) || lseek(fd, 0, SEEK_SET))
		return err_set(e, -errno, "image file");
	c->data = xmalloc((size_t)sb.st_size);
	int rc = img_reader_open(&r, fd, e);
	while (!rc && (rc = img_read(&r, &v, e)) > 0) {
		if (v.type == IMG_R_PAGES)
			chunks_add(c, &v, (size_t)sb.st_size);
		rc = 0;
	}
	img_reader_free(&r);
	return rc < 0 ? rc : 0;
}

/* Seize, freeze and dump a process uncompressed into fd. */
static int image_of(pid_t pid, int fd, struct err *e)
{
	struct dump_opts o = {.comp = COMP_NONE};
	int rc = bench_rewind(fd, 1, e);
	if (!rc)
		rc = bench_seize(pid, e);
	if (!rc)
		rc = freeze_process(pid, NULL, e);
	if (!rc)
		rc = dump_process(pid, fd, &o, NULL, e);
	return rc;
}

/* Child side of the python target: stdout to the pipe, nothing else open. */
__attribute__((noreturn)) static void python_exec(int wfd)
{
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(wfd, 1) < 0)
		_exit(126);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	syscall(SYS_close_range, 3, ~0u, 0);
	execl("/usr/bin/python3", "python3", "-c", py_script, (char *)NULL);
	execlp("python3", "python3", "-c", py_script, (char *)NULL);
	_exit(127);
}

/* Start python3 and wait until its objects are built; *rfd stays open. */
static int python_start(pid_t *pid, int *rfd, struct err *e)
{
	int p[2];
	char buf[16] = "";
	if (pipe2(p, O_CLOEXEC))
		return err_set(e, -errno, "pipe");
	fflush(NULL);
	if ((*pid = fork()) == 0)
		python_exec(p[1]);
	close(p[1]);
	*rfd = p[0];
	struct pollfd pf = {p[0], POLLIN, 0};
	if (*pid < 0)
		return err_set(e, -errno, "fork");
	if (poll(&pf, 1, 30000) != 1 || read(p[0], buf, sizeof(buf) - 1) <= 0 ||
	    strncmp(buf, "ready", 5))
		return err_setx(e, -ENOENT, "python3 did not start (is it installed?)");
	return 0;
}

/* Image of a python3 process holding objects. */
static int python_image(int fd, struct err *e)
{
	pid_t pid = -1;
	int rfd = -1, rc = python_start(&pid, &rfd, e);
	if (!rc)
		rc = image_of(pid, fd, e);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
	}
	if (rfd >= 0)
		close(rfd);
	return rc;
}

/* Image of a mixed-data target of mib MiB. */
static int target_image(size_t mib, int fd, struct err *e)
{
	struct bench_target t = {0, 0, 0};
	int rc = bench_target_start(mib * BENCH_MiB, &t, e);
	if (!rc)
		rc = image_of(t.pid, fd, e);
	bench_target_stop(&t);
	return rc;
}

/* Compress every chunk into its slot of out; compressed sizes (0 = stored) into clen. */
static double pass_compress(int comp, const struct chunks *c, uint8_t *out, size_t slot,
			    size_t *clen)
{
	const uint8_t *src = c->data;
	double t0 = util_now();
	for (size_t i = 0; i < c->n; src += c->len[i], i++) {
		if (comp == COMP_NONE)
			memcpy(out + i * slot, src, c->len[i]), clen[i] = 0;
		else
			clen[i] = comp_compress(comp, src, c->len[i], out + i * slot, slot);
	}
	return util_now() - t0;
}

/* Decompress every chunk into buf (stored ones are copied); check them when asked. */
static int pass_decompress(int comp, const struct chunks *c, const uint8_t *in, size_t slot,
			   const size_t *clen, uint8_t *buf, int check, double *secs)
{
	const uint8_t *orig = c->data;
	double t0 = util_now();
	for (size_t i = 0; i < c->n; orig += c->len[i], i++) {
		const uint8_t *src = in + i * slot;
		if (!clen[i])
			memcpy(buf, src, c->len[i]);
		else if (comp_decompress(comp, src, clen[i], buf, c->len[i]))
			return -EBADMSG;
		if (check && memcmp(buf, orig, c->len[i]))
			return -EIO;
	}
	*secs = util_now() - t0;
	return 0;
}

/* Ratio and medians of compression and decompression speed for one method. */
static int measure(int comp, const struct chunks *c, struct result *r, struct err *e)
{
	size_t slot = comp_bound(comp, c->max), stored = 0;
	uint8_t *out = xmalloc(c->n * slot), *buf = xmalloc(c->max);
	size_t *clen = xcalloc(c->n, sizeof(*clen));
	double tc[BENCH_REPS], td[BENCH_REPS], s;
	pass_compress(comp, c, out, slot, clen); /* warm-up, and the check */
	int rc = pass_decompress(comp, c, out, slot, clen, buf, 1, &s);
	for (int i = 0; !rc && i < BENCH_REPS; i++) {
		tc[i] = pass_compress(comp, c, out, slot, clen);
		rc = pass_decompress(comp, c, out, slot, clen, buf, 0, &td[i]);
	}
	for (size_t i = 0; i < c->n; i++)
		stored += clen[i] ? clen[i] : c->len[i];
	*r = (struct result){comp, (double)c->total / (double)stored,
			     bench_mbs(c->total, bench_median(tc, BENCH_REPS)),
			     bench_mbs(c->total, bench_median(td, BENCH_REPS))};
	free(out);
	free(buf);
	free(clen);
	return rc ? err_set(e, rc, "%s on the %s image: round trip", comp_name(comp), c->name) : 0;
}

/* The markdown table. */
static void print_table(const struct chunks *c, size_t nimg, struct result r[][NMETHOD])
{
	printf("## Compression of page data\n\n"
	       "Each image's PAGES payloads (up to 2 MiB each, %d rounds after a warm-up, "
	       "median), compressed one by one with comp_compress() like the image writer; a "
	       "payload that does not shrink is stored (counted as a copy on the way back). "
	       "MB/s of uncompressed data. zstd is level 1. none = memcpy, for scale.\n\n",
	       BENCH_REPS);
	printf("| image | raw MB | method | ratio | compress MB/s | decompress MB/s |\n"
	       "|---|--:|---|--:|--:|--:|\n");
	for (size_t k = 0; k < nimg; k++)
		for (size_t m = 0; m < NMETHOD; m++)
			printf("| %s | %.1f | %s | %.2f | %.0f | %.0f |\n", c[k].name,
			       (double)c[k].total / 1e6, comp_name(r[k][m].comp), r[k][m].ratio,
			       r[k][m].c_mbs, r[k][m].d_mbs);
	printf("\n");
}

/* The data file for the ratio/speed plot: one gnuplot data block per image. */
static int write_dat(const char *dir, const struct chunks *c, size_t nimg,
		     struct result r[][NMETHOD], struct err *e)
{
	FILE *f = bench_dat(dir, "compress.dat", e);
	if (!f)
		return e->code;
	for (size_t k = 0; k < nimg; k++) {
		fprintf(f, "# %s: method ratio compress-MB/s decompress-MB/s\n", c[k].name);
		for (size_t m = 1; m < NMETHOD; m++)
			fprintf(f, "%s %.3f %.0f %.0f\n", comp_name(r[k][m].comp), r[k][m].ratio,
				r[k][m].c_mbs, r[k][m].d_mbs);
		fprintf(f, "\n\n");
	}
	return fclose(f) ? err_set(e, -errno, "write compress.dat") : 0;
}

/* Make one image and load it; a missing python is reported and skipped. */
static int load_image(size_t k, size_t mib, int fd, struct chunks *c, struct err *e)
{
	int rc = k == 0 ? target_image(mib, fd, e) : python_image(fd, e);
	if (rc && k == 1) {
		printf("(python3 image skipped: %s)\n\n", e->msg);
		return 1;
	}
	return rc ? rc : chunks_load(fd, c, e);
}

int main(int argc, char **argv)
{
	static char target_name[32];
	struct chunks c[2] = {{target_name, NULL, NULL, 0, 0, 0}, {"python3", NULL, NULL, 0, 0, 0}};
	struct result r[2][NMETHOD];
	struct err e = {0, ""};
	long mib = 256;
	size_t nimg = 0;
	if (argc < 2 || (argc > 2 && util_parse_long(argv[2], 1, 16384, &mib)))
		return fprintf(stderr, "usage: engine_compress OUTDIR [MiB]\n"), 2;
	snprintf(target_name, sizeof(target_name), "mixed-%ldMiB", mib);
	int rc, fd = bench_shm_file(&e);
	if (fd < 0)
		return bench_fail("engine_compress", &e);
	for (size_t k = 0; k < 2; k++) {
		if ((rc = load_image(k, (size_t)mib, fd, &c[nimg], &e)) < 0)
			return bench_fail("engine_compress", &e);
		nimg += rc == 0;
	}
	close(fd);
	for (size_t k = 0; k < nimg; k++)
		for (size_t m = 0; m < NMETHOD; m++)
			if (measure(methods[m], &c[k], &r[k][m], &e))
				return bench_fail("engine_compress", &e);
	print_table(c, nimg, r);
	if (write_dat(argv[1], c, nimg, r, &e))
		return bench_fail("engine_compress", &e);
	return 0;
}
