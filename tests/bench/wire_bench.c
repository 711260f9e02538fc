/* wire_bench.c: what authentication costs between nodes. Over one TCP loopback
 * connection: wire_send/wire_recv of 1 MiB frames against write/read of the same
 * payload bytes, and 64-byte request/response round trips, wire against raw. A child
 * process is the far end; each repetition runs every case once, alternating, and the
 * median is reported. Not a timed test: only ratios within one run mean anything.
 *
 * Usage: wire_bench [OUTDIR [MiB]]   (MiB per throughput run, default 256;
 *                                     writes OUTDIR/wire.dat when OUTDIR is given)
 */
#include "appliance/err.h"
#include "appliance/util.h"
#include "appliance/wire.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPS 5
#define FRAME (1u << 20)
#define SMALL 64
#define ROUNDS 20000

enum { THR_WIRE, THR_RAW, LAT_WIRE, LAT_RAW, NCASE };

static const uint8_t bench_key[32] = {0x6d, 0x6f, 0x73, 0x69, 0x78};

/* One end of the connection and what it moves. */
struct end {
	struct wire_conn c;
	uint8_t *buf; /* FRAME bytes */
	size_t frames;
};

/* Die with a message: a benchmark has no one to pass errors up to. */
static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "wire_bench: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	exit(1);
}

/* Receive one frame of want bytes or die. Its payload. */
static const uint8_t *must_recv(struct end *x, size_t want)
{
	uint16_t type;
	const uint8_t *p;
	size_t len;
	struct err e;
	if (wire_recv(&x->c, &type, &p, &len, &e) < 0)
		die("receive", &e);
	if (len != want)
		die("frame of unexpected size", NULL);
	return p;
}

/* Send one frame or die. */
static void must_send(struct end *x, const void *p, size_t len)
{
	struct err e;
	if (wire_send(&x->c, WIRE_IMAGE, p, len, &e) < 0)
		die("send", &e);
}

/* Raw full read/write or die. */
static void raw_read(struct end *x, void *p, size_t len)
{
	if (util_read_full(x->c.fd, p, len) < 0)
		die("raw read", NULL);
}

static void raw_write(struct end *x, const void *p, size_t len)
{
	if (util_write_full(x->c.fd, p, len) < 0)
		die("raw write", NULL);
}

/* Far end of one case: sink the frames and acknowledge, or echo the small messages. */
static void serve_case(struct end *x, int which)
{
	uint8_t msg[SMALL];
	for (size_t i = 0; which == THR_WIRE && i < x->frames; i++)
		must_recv(x, FRAME);
	for (size_t i = 0; which == THR_RAW && i < x->frames; i++)
		raw_read(x, x->buf, FRAME);
	if (which == THR_WIRE)
		must_send(x, "k", 1);
	if (which == THR_RAW)
		raw_write(x, "k", 1);
	for (int i = 0; which == LAT_WIRE && i < ROUNDS; i++)
		must_send(x, must_recv(x, SMALL), SMALL); /* echo what came */
	for (int i = 0; which == LAT_RAW && i < ROUNDS; i++) {
		raw_read(x, msg, SMALL);
		raw_write(x, msg, SMALL);
	}
}

/* Near end of one case, timed. Seconds. */
static double drive_case(struct end *x, int which)
{
	uint8_t msg[SMALL], k;
	memset(msg, 0x5a, sizeof(msg));
	double t0 = util_now();
	for (size_t i = 0; which == THR_WIRE && i < x->frames; i++)
		must_send(x, x->buf, FRAME);
	for (size_t i = 0; which == THR_RAW && i < x->frames; i++)
		raw_write(x, x->buf, FRAME);
	if (which == THR_WIRE)
		must_recv(x, 1);
	if (which == THR_RAW)
		raw_read(x, &k, 1);
	for (int i = 0; which == LAT_WIRE && i < ROUNDS; i++) {
		must_send(x, msg, SMALL);
		must_recv(x, SMALL);
	}
	for (int i = 0; which == LAT_RAW && i < ROUNDS; i++) {
		raw_write(x, msg, SMALL);
		raw_read(x, msg, SMALL);
	}
	return util_now() - t0;
}

/* The far end: accept, handshake, then the same sequence of cases as the near end. */
static void child_main(int lfd, struct end *x)
{
	struct err e;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept", NULL);
	if (wire_server(&x->c, fd, bench_key, 2, 5000, &e) < 0)
		die("server handshake", &e);
	for (int r = 0; r < REPS; r++)
		for (int c = 0; c < NCASE; c++)
			serve_case(x, (c + r) % NCASE);
	wire_close(&x->c);
	_exit(0);
}

/* A listening TCP socket on 127.0.0.1 and its port. */
static int listen_loopback(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		die("listen on 127.0.0.1", NULL);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Sort helper for medians. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median of REPS values. */
static double median(double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	return v[REPS / 2];
}

/* Tag throughput of one core on 1 MiB, the cost the wire adds per byte. MB/s. */
static double tag_mbs(const uint8_t *buf)
{
	uint8_t tag[16], n[12] = {0};
	unsigned long long tl;
	double t0 = util_now();
	for (int i = 0; i < 64; i++)
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(tag, tag, &tl, NULL, 0, buf,
								   FRAME, NULL, n, bench_key);
	return 64.0 * FRAME / 1e6 / (util_now() - t0);
}

/* Print the table, and the data file if asked. */
static void report(double t[NCASE], size_t frames, double tag, const char *outdir)
{
	double mb = (double)frames * FRAME / 1e6;
	double thr_raw = mb / t[THR_RAW], thr_wire = mb / t[THR_WIRE];
	double lat_raw = t[LAT_RAW] / ROUNDS * 1e6, lat_wire = t[LAT_WIRE] / ROUNDS * 1e6;
	printf("## Wire protocol cost (TCP loopback, median of %d)\n\n", REPS);
	printf("| case | raw TCP | wire | wire / raw |\n|---|---:|---:|---:|\n");
	printf("| 1 MiB frames, %zu MiB per run (MB/s) | %.0f | %.0f | %.2f |\n", frames, thr_raw,
	       thr_wire, thr_wire / thr_raw);
	printf("| 64 B request/response (us per round trip) | %.1f | %.1f | %.2f |\n\n", lat_raw,
	       lat_wire, lat_wire / lat_raw);
	printf("ChaCha20-Poly1305 tag over 1 MiB in memory, one core: %.0f MB/s.\n\n", tag);
	if (!outdir)
		return;
	char *path = xasprintf("%s/wire.dat", outdir);
	FILE *f = fopen(path, "w");
	if (!f)
		die(path, NULL);
	fprintf(f, "# case raw wire\nthroughput_MBps %.1f %.1f\nrtt_us %.2f %.2f\n", thr_raw,
		thr_wire, lat_raw, lat_wire);
	fclose(f);
	free(path);
}

int main(int argc, char **argv)
{
	struct end x = {.frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 256};
	struct err e;
	double t[NCASE][REPS], med[NCASE];
	uint16_t port;
	if (sodium_init() < 0 || x.frames == 0)
		die("usage: wire_bench [OUTDIR [MiB]]", NULL);
	x.buf = xmalloc(FRAME);
	randombytes_buf(x.buf, FRAME);
	int lfd = listen_loopback(&port);
	pid_t pid = fork();
	if (pid == 0)
		child_main(lfd, &x);
	close(lfd);
	int fd = wire_connect("127.0.0.1", port, 5000, &e);
	if (fd < 0 || wire_client(&x.c, fd, bench_key, 1, 5000, &e) < 0)
		die("connect", &e);
	for (int r = 0; r < REPS; r++)
		for (int c = 0; c < NCASE; c++)
			t[(c + r) % NCASE][r] = drive_case(&x, (c + r) % NCASE);
	wire_close(&x.c);
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the far end failed", NULL);
	for (int c = 0; c < NCASE; c++)
		med[c] = median(t[c]);
	report(med, x.frames, tag_mbs(x.buf), argc > 1 ? argv[1] : NULL);
	free(x.buf);
	return 0;
}
