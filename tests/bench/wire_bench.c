/* wire_bench.c: what privacy costs between nodes. Side by side in one run, over TCP
 * loopback between two processes: raw write/read of the payload bytes, v1's tag-only
 * frames (payload in clear, Poly1305 tag), AES-256-GCM and ChaCha20-Poly1305 frames
 * (wire.c's ciphers, each forced on both ends with wire_set_ciphers), for 64 KiB and
 * 4 KiB frames and 64-byte request/response round trips. For each: wall-clock MB/s,
 * and MB per CPU-second of the sender and of the receiver (getrusage: "per core").
 * Then the ciphers alone in memory on one core (seal, open), in libsodium and in
 * OpenSSL's libcrypto (which wire.c uses for the AEADs). Each repetition runs
 * every mode once, in rotating order, a fresh connection each; medians are reported.
 * Not a timed test: only ratios within one run mean anything.
 *
 * Usage: wire_bench [OUTDIR [MiB]]   (MiB per throughput run, default 128;
 *                                     writes OUTDIR/wire.dat when OUTDIR is given)
 */
#include "appliance/err.h"
#include "appliance/util.h"
#include "appliance/wire.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPS 5
#define BIG (64u << 10)
#define SMALLF (4u << 10)
#define MSG 64
#define ROUNDS 10000

enum { M_RAW, M_TAG, M_AES, M_CHACHA, NMODE };
enum { C_BIG, C_SMALL, C_RTT, NCASE };

static const char *const mode_names[NMODE] = {"raw TCP (no frames)", "tag only (v1 frames)",
					      "AES-256-GCM", "ChaCha20-Poly1305"};
static const unsigned mode_cipher[NMODE] = {0, WIRE_CIPHER_TAGONLY, WIRE_CIPHER_AES256GCM,
					    WIRE_CIPHER_CHACHA20};
static const uint8_t bench_key[32] = {0x6d, 0x6f, 0x73, 0x69, 0x78};

/* One end of a connection and what it moves. */
struct end {
	struct wire_conn c;
	int mode;
	uint8_t *buf; /* BIG bytes */
	size_t mib;
};

/* What one case measured: wall seconds, CPU seconds of each end. */
struct meas {
	double wall, cpu_near, cpu_far;
};

/* Die with a message: a benchmark has no one to pass errors up to. */
static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "wire_bench: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	exit(1);
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Receive one message of want bytes into buf (framed unless raw) or die. */
static void get(struct end *x, void *buf, size_t want)
{
	uint16_t type;
	const uint8_t *p;
	size_t len;
	struct err e;
	if (x->mode == M_RAW) {
		if (util_read_full(x->c.fd, buf, want) < 0)
			die("raw read", NULL);
		return;
	}
	if (wire_recv(&x->c, &type, &p, &len, &e) < 0)
		die("receive", &e);
	if (len != want)
		die("frame of unexpected size", NULL);
	if (buf != x->buf) /* (a sink does not copy the payload out) */
		memcpy(buf, p, len);
}

/* Send one message (a frame unless raw) or die. */
static void put(struct end *x, const void *p, size_t len)
{
	struct err e;
	if (x->mode == M_RAW) {
		if (util_write_full(x->c.fd, p, len) < 0)
			die("raw write", NULL);
	} else if (wire_send(&x->c, WIRE_IMAGE, p, len, &e) < 0) {
		die("send", &e);
	}
}

/* Frames of one throughput case. */
static size_t case_frames(const struct end *x, int which)
{
	return x->mib * (1u << 20) / (which == C_BIG ? BIG : SMALLF);
}

/* One case at one end (near: the sender and the one who times). CPU seconds it took. */
static double run_case(struct end *x, int which, int near, double *wall)
{
	uint8_t msg[MSG], k = 'k';
	size_t fl = which == C_BIG ? BIG : SMALLF, n = which == C_RTT ? 0 : case_frames(x, which);
	memset(msg, 0x5a, sizeof(msg));
	double c0 = cpu_now(), t0 = util_now();
	for (size_t i = 0; i < n; i++)
		near ? put(x, x->buf, fl) : get(x, x->buf, fl);
	if (n) /* the receiver has it all */
		near ? get(x, &k, 1) : put(x, &k, 1);
	for (int i = 0; which == C_RTT && i < ROUNDS; i++) {
		if (near)
			put(x, msg, MSG);
		get(x, msg, MSG);
		if (!near)
			put(x, msg, MSG);
	}
	if (wall)
		*wall = util_now() - t0;
	return cpu_now() - c0;
}

/* The far end of one connection: accept, handshake, serve every case, report its CPU. */
static void far_main(int lfd, struct end *x)
{
	struct err e;
	double cpu[NCASE];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept", NULL);
	x->c.fd = fd;
	wire_set_ciphers(mode_cipher[x->mode]);
	if (x->mode != M_RAW && wire_server(&x->c, fd, bench_key, 2, 5000, &e) < 0)
		die("server handshake", &e);
	for (int c = 0; c < NCASE; c++)
		cpu[c] = run_case(x, c, 0, NULL);
	if (util_write_full(x->c.fd, cpu, sizeof(cpu)) < 0)
		die("report", NULL);
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

/* One connection in mode: every case, measured at both ends. */
static void run_mode(struct end *x, int mode, struct meas m[NCASE])
{
	struct err e;
	uint16_t port;
	double cpu[NCASE];
	x->mode = mode;
	int lfd = listen_loopback(&port);
	pid_t pid = fork();
	if (pid == 0)
		far_main(lfd, x);
	close(lfd);
	int fd = wire_connect("127.0.0.1", port, 5000, &e);
	wire_set_ciphers(mode_cipher[mode]);
	if (fd < 0 || (mode != M_RAW && wire_client(&x->c, fd, bench_key, 1, 5000, &e) < 0))
		die("connect", &e);
	x->c.fd = fd;
	if (mode != M_RAW && x->c.cipher != mode_cipher[mode])
		die("the cipher asked for was not chosen", NULL);
	for (int c = 0; c < NCASE; c++)
		m[c].cpu_near = run_case(x, c, 1, &m[c].wall);
	if (util_read_full(fd, cpu, sizeof(cpu)) < 0)
		die("far end's report", NULL);
	for (int c = 0; c < NCASE; c++)
		m[c].cpu_far = cpu[c];
	if (mode != M_RAW)
		wire_close(&x->c);
	else
		close(fd);
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the far end failed", NULL);
}

/* Sort helper for medians. */
static int cmp_double(const void *a, const void *b)
{
	double p = *(const double *)a, q = *(const double *)b;
	return p < q ? -1 : p > q;
}

/* Median of REPS values. */
static double median(double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	return v[REPS / 2];
}

/* One cipher in memory on one core: seal (in place), or open (out of place, so that the
 * tag stays valid: a failed open would skip the decryption), 256 MiB in frames of len
 * bytes. MB/s. */
static double mem_mbs(int mode, int open, uint8_t *buf, size_t len)
{
	uint8_t tag[16], n[12] = {0}, ad[24] = {0};
	static crypto_aead_aes256gcm_state st;
	uint8_t *out = xmalloc(len);
	size_t frames = (256u << 20) / len;
	int bad = 0;
	crypto_aead_aes256gcm_beforenm(&st, bench_key);
	if (mode == M_AES)
		crypto_aead_aes256gcm_encrypt_detached_afternm(buf, tag, NULL, buf, len, ad, 24,
							       NULL, n, &st);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf, tag, NULL, buf, len, ad, 24,
								   NULL, n, bench_key);
	double t0 = util_now();
	for (size_t i = 0; i < frames; i++) {
		if (mode == M_AES && !open)
			crypto_aead_aes256gcm_encrypt_detached_afternm(buf, tag, NULL, buf, len, ad,
								       24, NULL, n, &st);
		else if (mode == M_AES)
			bad |= crypto_aead_aes256gcm_decrypt_detached_afternm(out, NULL, buf, len,
									      tag, ad, 24, n, &st);
		else if (mode == M_CHACHA && !open)
			crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			    buf, tag, NULL, buf, len, ad, 24, NULL, n, bench_key);
		else if (mode == M_CHACHA)
			bad |= crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			    out, NULL, buf, len, tag, ad, 24, n, bench_key);
		else /* tag only: sealing and opening are the same pass */
			crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			    tag, tag, NULL, NULL, 0, buf, len, NULL, n, bench_key);
	}
	double mbs = (double)frames * (double)len / 1e6 / (util_now() - t0);
	free(out);
	if (bad)
		die("an open failed", NULL);
	return mbs;
}

/* The same in OpenSSL's libcrypto, as wire.c calls it (key set once, nonce per frame). */
static double evp_mbs(int mode, int open, uint8_t *buf, size_t len)
{
	uint8_t tag[16], n[12] = {0}, ad[24] = {0};
	uint8_t *out = xmalloc(len);
	size_t frames = (256u << 20) / len;
	int l, ok = 1;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *c = mode == M_AES ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	EVP_CipherInit_ex(ctx, c, NULL, bench_key, n, 1);
	EVP_EncryptUpdate(ctx, NULL, &l, ad, 24);
	EVP_EncryptUpdate(ctx, buf, &l, buf, (int)len);
	EVP_EncryptFinal_ex(ctx, buf + l, &l);
	EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
	if (open)
		EVP_CipherInit_ex(ctx, c, NULL, bench_key, n, 0);
	double t0 = util_now();
	for (size_t i = 0; i < frames; i++) {
		if (!open) {
			ok &= EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, n) == 1 &&
			      EVP_EncryptUpdate(ctx, NULL, &l, ad, 24) == 1 &&
			      EVP_EncryptUpdate(ctx, buf, &l, buf, (int)len) == 1 &&
			      EVP_EncryptFinal_ex(ctx, buf + l, &l) == 1 &&
			      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
		} else {
			ok &= EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, n) == 1 &&
			      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
			      EVP_DecryptUpdate(ctx, NULL, &l, ad, 24) == 1 &&
			      EVP_DecryptUpdate(ctx, out, &l, buf, (int)len) == 1 &&
			      EVP_DecryptFinal_ex(ctx, out + l, &l) > 0;
		}
	}
	double mbs = (double)frames * (double)len / 1e6 / (util_now() - t0);
	EVP_CIPHER_CTX_free(ctx);
	free(out);
	if (!ok)
		die("libcrypto failed", NULL);
	return mbs;
}

/* The table of the connections, and the data file if asked. */
static void report(struct meas med[NMODE][NCASE], int aes, const struct end *x, FILE *dat)
{
	printf("## Privacy on the wire (TCP loopback between two processes, median of %d; "
	       "%zu MiB per throughput run; wire.c picks %s here)\n\n",
	       REPS, x->mib,
	       wire_cipher_name(crypto_aead_aes256gcm_is_available() ? WIRE_CIPHER_AES256GCM
								     : WIRE_CIPHER_CHACHA20));
	printf("| frames | 64 KiB: MB/s | vs tag only | MB per CPU-s send / recv | 4 KiB: MB/s "
	       "| vs tag only | MB per CPU-s send / recv | 64 B round trip (us) |\n");
	printf("|---|--:|--:|--:|--:|--:|--:|--:|\n");
	for (int m = 0; m < NMODE; m++) {
		if (m == M_AES && !aes)
			continue;
		printf("| %s ", mode_names[m]);
		for (int c = C_BIG; c <= C_SMALL; c++) {
			double mb = (double)x->mib * 1.048576, t = med[m][c].wall;
			printf("| %.0f | %.2f | %.0f / %.0f ", mb / t, med[M_TAG][c].wall / t,
			       mb / med[m][c].cpu_near, mb / med[m][c].cpu_far);
			if (dat)
				fprintf(dat, "%s%.1f %.1f %.1f ", c == C_BIG ? "" : " ", mb / t,
					mb / med[m][c].cpu_near, mb / med[m][c].cpu_far);
		}
		printf("| %.1f |\n", med[m][C_RTT].wall / ROUNDS * 1e6);
		if (dat)
			fprintf(dat, "%.2f # %s\n", med[m][C_RTT].wall / ROUNDS * 1e6,
				mode_names[m]);
	}
	printf("\n");
}

/* The ciphers alone, in memory, one core. */
static void report_mem(uint8_t *buf, int aes)
{
	printf("### The ciphers alone, in memory, one core (MB/s; libsodium %s, %s)\n\n",
	       sodium_version_string(), OPENSSL_VERSION_TEXT);
	printf("| cipher | library | seal 64 KiB | open 64 KiB | seal 4 KiB | open 4 KiB |\n");
	printf("|---|---|--:|--:|--:|--:|\n");
	for (int m = M_TAG; m < NMODE; m++) {
		if (m == M_AES && !aes)
			continue;
		printf("| %s | libsodium%s | %.0f | %.0f | %.0f | %.0f |\n", mode_names[m],
		       m == M_TAG ? " (v1 and wire.c)" : "", mem_mbs(m, 0, buf, BIG),
		       mem_mbs(m, 1, buf, BIG), mem_mbs(m, 0, buf, SMALLF),
		       mem_mbs(m, 1, buf, SMALLF));
		if (m != M_TAG)
			printf("| %s | libcrypto (wire.c) | %.0f | %.0f | %.0f | %.0f |\n",
			       mode_names[m], evp_mbs(m, 0, buf, BIG), evp_mbs(m, 1, buf, BIG),
			       evp_mbs(m, 0, buf, SMALLF), evp_mbs(m, 1, buf, SMALLF));
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	struct end x = {.mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 128};
	static struct meas runs[REPS][NMODE][NCASE], med[NMODE][NCASE];
	if (sodium_init() < 0 || x.mib == 0)
		die("usage: wire_bench [OUTDIR [MiB]]", NULL);
	/* without AES-NI the AES row is left out (wire.c would not offer it) */
	int aes = crypto_aead_aes256gcm_is_available(), nmodes = aes ? NMODE : NMODE - 1;
	int order[NMODE] = {M_RAW, M_TAG, M_CHACHA, M_AES};
	x.buf = xmalloc(BIG);
	randombytes_buf(x.buf, BIG);
	for (int r = 0; r < REPS; r++)
		for (int i = 0; i < nmodes; i++) {
			int m = order[(i + r) % nmodes];
			run_mode(&x, m, runs[r][m]);
		}
	for (int m = 0; m < NMODE; m++)
		for (int c = 0; c < NCASE && (m != M_AES || aes); c++) {
			double w[REPS], cn[REPS], cf[REPS];
			for (int r = 0; r < REPS; r++) {
				w[r] = runs[r][m][c].wall;
				cn[r] = runs[r][m][c].cpu_near;
				cf[r] = runs[r][m][c].cpu_far;
			}
			med[m][c] = (struct meas){median(w), median(cn), median(cf)};
		}
	FILE *dat = NULL;
	char *path = argc > 1 ? xasprintf("%s/wire.dat", argv[1]) : NULL;
	if (path && !(dat = fopen(path, "w")))
		die(path, NULL);
	if (dat)
		fprintf(dat, "# 64KiB: MBps send_MB_per_cpu_s recv_MB_per_cpu_s; 4KiB: the same; "
			     "rtt_us\n");
	report(med, aes, &x, dat);
	report_mem(x.buf, aes);
	if (dat)
		fclose(dat);
	free(path);
	free(x.buf);
	return 0;
}
