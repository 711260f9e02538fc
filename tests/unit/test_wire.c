/* test_wire.c: the node-to-node wire protocol: handshake, cipher negotiation,
 * framing, encryption, tags, replays, rekeying, limits, timeouts. The other side of a connection is
 * a thread running wire.c, or this file speaking the format documented in wire.h/wire.c on its own,
 * with libsodium's AEAD call, so that a test also proves the bytes match the design. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "appliance/err.h"
#include "appliance/wire.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR 24
#define TAG 16
#define C2S 1u
#define S2C 2u
#define NODE_C 3
#define NODE_S 7
#define HS_MS 5000
#define VERSION 2 /* ours */
#define OLD 1	  /* a peer of the previous version */
#define HELLO 40
#define AES WIRE_CIPHER_AES256GCM
#define CHACHA WIRE_CIPHER_CHACHA20
#define TAGONLY WIRE_CIPHER_TAGONLY

static const uint8_t key1[32] = {0x11, 0x22, 0x33};
static const uint8_t key2[32] = {0x11, 0x22, 0x34};

/* ---- the format, written out again from its description ---- */

/* Store n little-endian bytes. */
static void t_put(uint8_t *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Load n little-endian bytes. */
static uint64_t t_get(const uint8_t *b, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Nonce: seq u64 || direction u32. */
static void t_nonce(uint8_t n[12], uint64_t seq, uint32_t dir)
{
	t_put(n, seq, 8);
	t_put(n + 8, dir, 4);
}

/* Session key: BLAKE2b-256 keyed by the cluster key over label || nonces || nodes ||
 * offers || cipher. */
static void t_session(uint8_t out[32], const uint8_t key[32], const uint8_t nc[24],
		      const uint8_t ns[24], uint32_t node_c, uint32_t node_s, uint32_t offer_c,
		      uint32_t offer_s, uint32_t cipher)
{
	uint8_t in[16 + 48 + 20];
	memcpy(in, "mosix-session-v2", 16);
	memcpy(in + 16, nc, 24);
	memcpy(in + 40, ns, 24);
	t_put(in + 64, node_c, 4);
	t_put(in + 68, node_s, 4);
	t_put(in + 72, offer_c, 4);
	t_put(in + 76, offer_s, 4);
	t_put(in + 80, cipher, 4);
	crypto_generichash(out, 32, in, sizeof(in), key, 32);
}

/* Key of the frames of one direction in one epoch (seq >> 15). */
static void t_dirkey(uint8_t out[32], const uint8_t session[32], uint32_t dir, uint64_t epoch,
		     uint32_t cipher)
{
	uint8_t in[15 + 16];
	memcpy(in, "mosix-frames-v2", 15);
	t_put(in + 15, dir, 4);
	t_put(in + 19, epoch, 8);
	t_put(in + 27, cipher, 4);
	crypto_generichash(out, 32, in, sizeof(in), session, 32);
}

/* Write a header. */
static void t_hdr(uint8_t *b, uint16_t version, uint16_t type, uint32_t len, uint64_t seq)
{
	t_put(b, 0x57534f4d, 4);
	t_put(b + 4, version, 2);
	t_put(b + 6, type, 2);
	t_put(b + 8, len, 4);
	t_put(b + 12, 0, 4);
	t_put(b + 16, seq, 8);
}

/* Build a whole handshake frame, tagged under session (NULL: zero tag). Its size. */
static size_t t_frame(uint8_t *out, uint16_t version, uint16_t type, const void *p, uint32_t len,
		      uint64_t seq, const uint8_t *session, uint32_t dir)
{
	uint8_t n[12];
	unsigned long long taglen;
	t_hdr(out, version, type, len, seq);
	if (len)
		memcpy(out + HDR, p, len);
	memset(out + HDR + len, 0, TAG);
	t_nonce(n, seq, dir);
	if (session)
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		    out, out + HDR + len, &taglen, NULL, 0, out, HDR + len, NULL, n, session);
	return HDR + len + TAG;
}

/* Does a raw frame (payload len bytes) carry the right tag for seq/dir under session? */
static int t_verify(const uint8_t *f, size_t len, const uint8_t *session, uint32_t dir)
{
	uint8_t n[12];
	t_nonce(n, t_get(f + 16, 8), dir);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(NULL, NULL, f, 0, f + HDR + len,
								  f, HDR + len, n, session) == 0;
}

/* Build a whole frame after the handshake as the description says: payload p sealed
 * with cipher under the key of dir for seq, with padding word pad. Its size. */
static size_t t_data(uint8_t *out, uint16_t type, const void *p, uint32_t len, uint64_t seq,
		     const uint8_t *session, uint32_t dir, uint32_t cipher, uint32_t pad)
{
	uint8_t n[12], k[32], *tag = out + HDR + len;
	t_hdr(out, VERSION, type, len, seq);
	t_put(out + 12, pad, 4);
	if (len)
		memcpy(out + HDR, p, len);
	t_nonce(n, seq, dir);
	t_dirkey(k, session, dir, seq >> 15, cipher);
	if (cipher == AES)
		crypto_aead_aes256gcm_encrypt_detached(out + HDR, tag, NULL, out + HDR, len, out,
						       HDR, NULL, n, k);
	else if (cipher == CHACHA)
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(out + HDR, tag, NULL, out + HDR,
								   len, out, HDR, NULL, n, k);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, tag, NULL, NULL, 0, out,
								   HDR + len, NULL, n, k);
	return HDR + len + TAG;
}

/* Open a raw frame after the handshake (payload len bytes) as the description says,
 * its plaintext into plain: 1 if it is authentic for dir and cipher. */
static int t_open(const uint8_t *f, size_t len, const uint8_t *session, uint32_t dir,
		  uint32_t cipher, uint8_t *plain)
{
	uint8_t n[12], k[32];
	uint64_t seq = t_get(f + 16, 8);
	t_nonce(n, seq, dir);
	t_dirkey(k, session, dir, seq >> 15, cipher);
	if (cipher == AES)
		return crypto_aead_aes256gcm_decrypt_detached(plain, NULL, f + HDR, len,
							      f + HDR + len, f, HDR, n, k) == 0;
	if (cipher == CHACHA)
		return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			   plain, NULL, f + HDR, len, f + HDR + len, f, HDR, n, k) == 0;
	memcpy(plain, f + HDR, len);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(NULL, NULL, f, 0, f + HDR + len,
								  f, HDR + len, n, k) == 0;
}

/* HELLO payload: version u32, node u32, nonce[24], offer u32, cipher u32. */
static void t_hello(uint8_t b[HELLO], uint32_t version, uint32_t node, const uint8_t nonce[24],
		    uint32_t offer, uint32_t cipher)
{
	t_put(b, version, 4);
	t_put(b + 4, node, 4);
	memcpy(b + 8, nonce, 24);
	t_put(b + 32, offer, 4);
	t_put(b + 36, cipher, 4);
}

/* The cipher wire.c picks for what both offer: AES-256-GCM, else ChaCha20, else tag only. */
static uint32_t t_pick(uint32_t both)
{
	return both & AES ? AES : both & CHACHA ? CHACHA : both & TAGONLY ? TAGONLY : 0;
}

/* What this machine offers by default. */
static uint32_t t_default(void)
{
	return (crypto_aead_aes256gcm_is_available() ? AES : 0) | CHACHA;
}

/* Read up to n bytes, waiting at most 5 s for each part. Bytes read. */
static size_t t_read(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Write all of buf (no SIGPIPE). 0 or -1. */
static int t_write(int fd, const void *buf, size_t n)
{
	return send(fd, buf, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Seconds on the monotonic clock. */
static double t_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pattern that differs by seed, so frames cannot be mistaken for each other. */
static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 9));
}

/* ---- one end of a connection running wire.c in a thread ---- */

struct side {
	struct wire_conn c;
	int fd, client, node, timeout_ms, rc;
	unsigned offer; /* the ciphers it offers (wire_set_ciphers); 0: the default */
	const uint8_t *key;
	struct err e;
	double secs;
	pthread_t t;
};

/* Run the handshake of one side. */
static void *side_run(void *arg)
{
	struct side *s = arg;
	double t0 = t_now();
	err_clear(&s->e);
	wire_set_ciphers(s->offer); /* (for this thread) */
	if (s->client)
		s->rc = wire_client(&s->c, s->fd, s->key, s->node, s->timeout_ms, &s->e);
	else
		s->rc = wire_server(&s->c, s->fd, s->key, s->node, s->timeout_ms, &s->e);
	s->secs = t_now() - t0;
	return NULL;
}

/* Set up a side on fd; start it in a thread if bg. */
static void side_start_offer(struct side *s, int fd, int client, const uint8_t *key, int timeout_ms,
			     int bg, unsigned offer)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->client = client;
	s->node = client ? NODE_C : NODE_S;
	s->key = key;
	s->timeout_ms = timeout_ms;
	s->offer = offer;
	if (bg)
		assert_int_equal(pthread_create(&s->t, NULL, side_run, s), 0);
	else
		side_run(s);
}

/* The same, offering the default ciphers. */
static void side_start(struct side *s, int fd, int client, const uint8_t *key, int timeout_ms,
		       int bg)
{
	side_start_offer(s, fd, client, key, timeout_ms, bg, 0);
}

/* A connected socketpair, both ends close-on-exec. */
static void t_socketpair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* Handshake a client (thread) offering oc with a server (here) offering os over a
 * socketpair (0: the default offer). */
static void pair_offer(struct side *cli, struct side *srv, const uint8_t *kc, const uint8_t *ks,
		       unsigned oc, unsigned os)
{
	int sv[2];
	t_socketpair(sv);
	side_start_offer(cli, sv[0], 1, kc, HS_MS, 1, oc);
	side_start_offer(srv, sv[1], 0, ks, HS_MS, 0, os);
	pthread_join(cli->t, NULL);
}

/* Handshake a client with a server, both offering the default. */
static void pair_open(struct side *cli, struct side *srv, const uint8_t *kc, const uint8_t *ks)
{
	pair_offer(cli, srv, kc, ks, 0, 0);
}

/* A good pair, or the test fails. */
static void pair_good(struct side *cli, struct side *srv)
{
	pair_open(cli, srv, key1, key1);
	assert_int_equal(cli->rc, 0);
	assert_int_equal(srv->rc, 0);
}

/* Close both ends. */
static void pair_close(struct side *cli, struct side *srv)
{
	wire_close(&cli->c);
	wire_close(&srv->c);
}

/* Have a send a frame and take its bytes off the wire before b reads them. */
static size_t capture(struct wire_conn *a, struct wire_conn *b, uint16_t type, const void *p,
		      size_t len, uint8_t *out)
{
	assert_int_equal(wire_send(a, type, p, len, NULL), 0);
	assert_int_equal(t_read(b->fd, out, HDR + len + TAG), HDR + len + TAG);
	return HDR + len + TAG;
}

/* Put raw bytes on the wire at a's end, for a's peer to read. */
static void inject(const struct wire_conn *a, const void *buf, size_t n)
{
	assert_int_equal(t_write(a->fd, buf, n), 0);
}

/* b must refuse what is waiting with code, deliver nothing, and say so with want in
 * its message. */
static void expect_refused(struct wire_conn *b, int code, const char *want)
{
	uint16_t type = 99;
	const uint8_t *p = (const uint8_t *)"x";
	size_t len = 99;
	struct err e;
	err_clear(&e);
	int r = wire_recv(b, &type, &p, &len, &e);
	if (r != code || !strstr(e.msg, want))
		print_error("wire_recv gave %d (%s), wanted %d with \"%s\"\n", r, e.msg, code,
			    want);
	assert_int_equal(r, code);
	assert_non_null(strstr(e.msg, want));
	assert_null(p);
	assert_int_equal(len, 0);
	assert_int_equal(type, 0);
}

/* ---- good connections ---- */

/* A frame sent from a thread. */
struct job {
	struct wire_conn *c;
	uint16_t type;
	const uint8_t *p;
	size_t len;
	int rc;
	pthread_t t;
};

/* Send one frame. */
static void *job_run(void *arg)
{
	struct job *j = arg;
	j->rc = wire_send(j->c, j->type, j->p, j->len, NULL);
	return NULL;
}

/* Send len bytes from a to b (from a thread: big frames exceed the socket buffer) and
 * check b gets exactly them. */
static void exchange_one(struct wire_conn *a, struct wire_conn *b, size_t len, unsigned seed)
{
	uint8_t *out = xmalloc(len + 1);
	fill(out, len, seed);
	struct job j = {.c = a, .type = WIRE_GOSSIP + seed % 2, .p = out, .len = len};
	assert_int_equal(pthread_create(&j.t, NULL, job_run, &j), 0);
	uint16_t type;
	const uint8_t *p;
	size_t got;
	struct err e;
	int r = wire_recv(b, &type, &p, &got, &e);
	pthread_join(j.t, NULL);
	if (r < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(r, 0);
	assert_int_equal(j.rc, 0);
	assert_int_equal(type, WIRE_GOSSIP + seed % 2);
	assert_int_equal(got, len);
	assert_memory_equal(p, out, len);
	free(out);
}

/* Handshake, then frames of every interesting size both ways. */
static void test_exchange(void **state)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 64, 65537, WIRE_MAX_PAYLOAD};
	struct side cli, srv;
	pair_good(&cli, &srv);
	assert_int_equal(cli.c.peer_node, NODE_S);
	assert_int_equal(srv.c.peer_node, NODE_C);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		exchange_one(&cli.c, &srv.c, sizes[i], 2 * i);
		exchange_one(&srv.c, &cli.c, sizes[i], 2 * i + 1);
	}
	/* Several frames queued before any is read arrive in order. */
	for (uint8_t i = 0; i < 5; i++)
		assert_int_equal(wire_send(&cli.c, WIRE_SIGNAL, &i, 1, NULL), 0);
	for (uint8_t i = 0; i < 5; i++) {
		uint16_t type;
		const uint8_t *p;
		size_t len;
		assert_int_equal(wire_recv(&srv.c, &type, &p, &len, NULL), 0);
		assert_int_equal(len, 1);
		assert_int_equal(p[0], i);
	}
	pair_close(&cli, &srv);
}

/* Act as a client from the description, offering offer: HELLO, the server's HELLO (1 if
 * its tag verifies under key; its choice in *cipher), READY tagged under the session
 * derived from key. Negative on a bad reply. */
static int raw_client(int fd, const uint8_t *key, uint32_t offer, uint8_t session[32],
		      uint32_t *cipher)
{
	uint8_t f[128], hello[HELLO], in[HDR + HELLO + TAG], nc[24];
	randombytes_buf(nc, sizeof(nc));
	t_hello(hello, VERSION, NODE_C, nc, offer, 0);
	if (t_write(fd, f, t_frame(f, VERSION, WIRE_HELLO, hello, HELLO, 0, NULL, 0)) < 0)
		return -1;
	if (t_read(fd, in, sizeof(in)) != sizeof(in) || t_get(in + 6, 2) != WIRE_HELLO ||
	    t_get(in + 8, 4) != HELLO || t_get(in + 16, 8) != 0 || t_get(in + HDR, 4) != VERSION)
		return -1;
	*cipher = (uint32_t)t_get(in + HDR + 36, 4);
	t_session(session, key, nc, in + HDR + 8, NODE_C, (uint32_t)t_get(in + HDR + 4, 4), offer,
		  (uint32_t)t_get(in + HDR + 32, 4), *cipher);
	int ok = t_verify(in, HELLO, session, S2C);
	if (t_write(fd, f, t_frame(f, VERSION, WIRE_READY, NULL, 0, 1, session, C2S)) < 0)
		return -1;
	return ok;
}

/* A client written from the description gets through with each offer, the server picks
 * as described, and frames both ways are encrypted and verify as described. */
static void test_spec_client(void **state)
{
	static const uint32_t offers[] = {AES | CHACHA, CHACHA, AES, CHACHA | TAGONLY, TAGONLY};
	for (size_t i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
		int sv[2];
		struct side srv;
		uint8_t session[32], f[128], plain[64];
		uint32_t offer = offers[i], cipher = 0, want = t_pick(offer & t_default());
		t_socketpair(sv);
		side_start(&srv, sv[1], 0, key1, HS_MS, 1);
		int ok = raw_client(sv[0], key1, offer, session, &cipher);
		pthread_join(srv.t, NULL);
		if (!want) { /* AES alone, on a CPU without it: refused, said why */
			assert_int_equal(srv.rc, -ENOPROTOOPT);
			assert_non_null(strstr(srv.e.msg, "no cipher in common"));
			close(sv[0]);
			continue;
		}
		assert_int_equal(ok, 1);
		assert_int_equal(srv.rc, 0);
		assert_int_equal(cipher, want);
		assert_int_equal(srv.c.cipher, want);
		assert_int_equal(srv.c.peer_node, NODE_C);

		assert_int_equal(
		    t_write(sv[0], f, t_data(f, WIRE_EXIT, "bye", 3, 2, session, C2S, cipher, 0)),
		    0);
		uint16_t type;
		const uint8_t *p;
		size_t len;
		assert_int_equal(wire_recv(&srv.c, &type, &p, &len, NULL), 0);
		assert_int_equal(type, WIRE_EXIT);
		assert_int_equal(len, 3);
		assert_memory_equal(p, "bye", 3);

		for (size_t n = 0; n < 40; n += 13) {
			uint8_t msg[40];
			fill(msg, n, (unsigned)n);
			assert_int_equal(wire_send(&srv.c, WIRE_SYSRET, msg, n, NULL), 0);
			assert_int_equal(t_read(sv[0], f, HDR + n + TAG), HDR + n + TAG);
			assert_int_equal(t_get(f + 16, 8), 1 + n / 13);
			assert_true(t_open(f, n, session, S2C, cipher, plain));
			assert_false(t_open(f, n, session, C2S, cipher, plain));
			assert_true(t_open(f, n, session, S2C, cipher, plain));
			assert_memory_equal(plain, msg, n);
			/* in clear on the wire only without a cipher */
			if (n)
				assert_int_equal(memcmp(f + HDR, msg, n) == 0, cipher == TAGONLY);
		}
		close(sv[0]);
		wire_close(&srv.c);
	}
}

/* Act as a server from the description, offering offer and choosing cipher (0: as the
 * description says), tagging its HELLO under key, then read up to *nafter bytes of what
 * the client sends next into after. 1 if that is a READY that verifies, 0 if it is
 * something else, negative on a bad client HELLO. */
static int raw_server_as(int fd, const uint8_t *key, uint32_t offer, uint32_t cipher,
			 uint8_t *after, size_t *nafter)
{
	uint8_t in[HDR + HELLO + TAG], f[128], hello[HELLO], ns[24], session[32];
	if (t_read(fd, in, sizeof(in)) != sizeof(in) || t_get(in, 4) != 0x57534f4d ||
	    t_get(in + 6, 2) != WIRE_HELLO || t_get(in + 16, 8) != 0 ||
	    t_get(in + HDR + 36, 4) != 0 || !sodium_is_zero(in + HDR + HELLO, TAG))
		return -1;
	uint32_t offer_c = (uint32_t)t_get(in + HDR + 32, 4);
	if (!cipher)
		cipher = t_pick(offer_c & offer);
	randombytes_buf(ns, sizeof(ns));
	t_session(session, key, in + HDR + 8, ns, (uint32_t)t_get(in + HDR + 4, 4), NODE_S, offer_c,
		  offer, cipher);
	t_hello(hello, VERSION, NODE_S, ns, offer, cipher);
	if (t_write(fd, f, t_frame(f, VERSION, WIRE_HELLO, hello, HELLO, 0, session, S2C)) < 0)
		return -1;
	*nafter = t_read(fd, after, *nafter);
	return *nafter == HDR + TAG && t_get(after + 6, 2) == WIRE_READY &&
	       t_get(after + 16, 8) == 1 && t_verify(after, 0, session, C2S);
}

/* The same, offering and choosing as the description says. */
static int raw_server(int fd, const uint8_t *key, uint8_t *after, size_t *nafter)
{
	return raw_server_as(fd, key, AES | CHACHA, 0, after, nafter);
}

/* wire_client against a server written from the description. */
static void test_spec_server(void **state)
{
	int sv[2];
	struct side cli;
	uint8_t after[256];
	size_t nafter = HDR + TAG;
	t_socketpair(sv);
	side_start(&cli, sv[0], 1, key1, HS_MS, 1);
	int ok = raw_server(sv[1], key1, after, &nafter);
	pthread_join(cli.t, NULL);
	assert_int_equal(cli.rc, 0);
	assert_int_equal(ok, 1);
	assert_int_equal(cli.c.peer_node, NODE_S);
	assert_int_equal(cli.c.cipher, t_pick(t_default()));
	close(sv[1]);
	wire_close(&cli.c);
}

/* A server (with the key) that chooses a cipher the description does not give for the
 * two offers: one the client did not offer, one that is not the fastest both have, an
 * unknown one, none. The client refuses cleanly, says which, and tells the server why. */
static void test_spec_server_bad_choice(void **state)
{
	struct {
		uint32_t offer_c, offer_s, cipher;
		const char *says;
	} cases[] = {
	    {CHACHA, CHACHA | TAGONLY, TAGONLY, "chose cipher tagonly"},
	    {CHACHA | TAGONLY, CHACHA | TAGONLY, TAGONLY, "chacha20poly1305 was due"},
	    {CHACHA, CHACHA, 1u << 9, "unknown"},
	    {CHACHA, TAGONLY, TAGONLY, "no cipher in common"},
	    {AES | CHACHA, AES | CHACHA, CHACHA, "aes256gcm"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int sv[2];
		struct side cli;
		uint8_t after[256];
		size_t nafter = sizeof(after);
		if ((cases[i].offer_c & AES) && !crypto_aead_aes256gcm_is_available())
			continue; /* (this CPU cannot offer AES-GCM) */
		t_socketpair(sv);
		side_start_offer(&cli, sv[0], 1, key1, HS_MS, 1, cases[i].offer_c);
		int ok =
		    raw_server_as(sv[1], key1, cases[i].offer_s, cases[i].cipher, after, &nafter);
		pthread_join(cli.t, NULL);
		if (cli.rc != -ENOPROTOOPT || !strstr(cli.e.msg, cases[i].says))
			print_error("case %zu: rc %d: %s\n", i, cli.rc, cli.e.msg);
		assert_int_equal(ok, 0);
		assert_int_equal(cli.rc, -ENOPROTOOPT);
		assert_non_null(strstr(cli.e.msg, cases[i].says));
		assert_int_equal(cli.c.fd, -1);
		assert_null(cli.c.buf);
		/* no READY: a refusal, then the end */
		assert_true(nafter >= HDR + 4 + TAG);
		assert_int_equal(t_get(after + 6, 2), WIRE_ERROR);
		assert_int_equal((int32_t)t_get(after + HDR, 4), -ENOPROTOOPT);
		close(sv[1]);
	}
}

/* Two wire.c ends with various offers: the cipher both agree on is the fastest both
 * have; with none in common both refuse, saying so (the client: the server's words). */
static void test_negotiate(void **state)
{
	struct {
		unsigned oc, os, want;
	} cases[] = {
	    {0, 0, 0},		 {CHACHA, 0, CHACHA},
	    {0, CHACHA, CHACHA}, {TAGONLY, TAGONLY, TAGONLY},
	    {AES, 0, AES},	 {CHACHA | TAGONLY, TAGONLY, TAGONLY},
	    {AES, CHACHA, 0},	 {TAGONLY, 0, 0},
	};
	int aes = crypto_aead_aes256gcm_is_available();
	cases[0].want = aes ? AES : CHACHA;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct side cli, srv;
		if ((cases[i].oc | cases[i].os) & AES && !aes)
			continue;
		pair_offer(&cli, &srv, key1, key1, cases[i].oc, cases[i].os);
		if (cases[i].want) {
			if (cli.rc || srv.rc)
				print_error("case %zu: %s / %s\n", i, cli.e.msg, srv.e.msg);
			assert_int_equal(cli.rc, 0);
			assert_int_equal(srv.rc, 0);
			assert_int_equal(cli.c.cipher, cases[i].want);
			assert_int_equal(srv.c.cipher, cases[i].want);
			exchange_one(&cli.c, &srv.c, 100000, 1);
			exchange_one(&srv.c, &cli.c, 3, 2);
			pair_close(&cli, &srv);
			continue;
		}
		if (cli.rc != -ENOPROTOOPT || srv.rc != -ENOPROTOOPT)
			print_error("case %zu: %d %s / %d %s\n", i, cli.rc, cli.e.msg, srv.rc,
				    srv.e.msg);
		assert_int_equal(srv.rc, -ENOPROTOOPT);
		assert_non_null(strstr(srv.e.msg, "no cipher in common"));
		assert_int_equal(cli.rc, -ENOPROTOOPT);
		assert_non_null(strstr(cli.e.msg, "refused the handshake: no cipher in common"));
		assert_int_equal(cli.c.fd, -1);
		assert_int_equal(srv.c.fd, -1);
	}
	/* AES-GCM asked for on a CPU without it: nothing to offer, said before connecting */
	if (!aes) {
		struct side cli, srv;
		pair_offer(&cli, &srv, key1, key1, AES, 0);
		assert_int_equal(cli.rc, -ENOPROTOOPT);
		assert_non_null(strstr(cli.e.msg, "no cipher to offer"));
	}
}

/* MOSIX_WIRE_CIPHERS chooses the offer; an unknown name is an error that says so. */
static void test_cipher_env(void **state)
{
	struct err e;
	wire_set_ciphers(0);
	setenv("MOSIX_WIRE_CIPHERS", "chacha20poly1305,tagonly", 1);
	assert_int_equal(wire_ciphers(&e), CHACHA | TAGONLY);
	setenv("MOSIX_WIRE_CIPHERS", "tagonly", 1);
	assert_int_equal(wire_ciphers(&e), TAGONLY);
	setenv("MOSIX_WIRE_CIPHERS", "chacha20poly1305,rot13", 1);
	err_clear(&e);
	assert_int_equal(wire_ciphers(&e), 0);
	assert_int_equal(e.code, -ENOPROTOOPT);
	assert_non_null(strstr(e.msg, "unknown cipher 'rot13'"));
	wire_set_ciphers(CHACHA); /* wins over the environment */
	assert_int_equal(wire_ciphers(&e), CHACHA);
	wire_set_ciphers(0);
	unsetenv("MOSIX_WIRE_CIPHERS");
	assert_int_equal(wire_ciphers(&e), t_default());
	assert_string_equal(wire_cipher_name(AES), "aes256gcm");
	assert_string_equal(wire_cipher_name(0), "none");
}

/* ---- authentication ---- */

/* Check a side failed authentication and holds nothing from the peer. */
static void assert_auth_failed(const struct side *s)
{
	if (s->rc != -EKEYREJECTED || !strstr(s->e.msg, "authentication failed"))
		print_error("%s: rc %d: %s\n", s->client ? "client" : "server", s->rc, s->e.msg);
	assert_int_equal(s->rc, -EKEYREJECTED);
	assert_non_null(strstr(s->e.msg, "authentication failed"));
	assert_int_equal(s->c.peer_node, -1);
	assert_int_equal(s->c.fd, -1);
	assert_null(s->c.buf);
}

/* Different cluster keys, whichever side has the odd one: both sides fail. */
static void test_wrong_key(void **state)
{
	struct side cli, srv;
	pair_open(&cli, &srv, key1, key2);
	assert_auth_failed(&cli);
	assert_auth_failed(&srv);
	pair_open(&cli, &srv, key2, key1);
	assert_auth_failed(&cli);
	assert_auth_failed(&srv);
}

/* A client without the key that ignores the failure, sends READY and a frame anyway:
 * the server refuses at READY. The same client with the key gets through. */
static void test_forged_ready(void **state)
{
	for (int wrong = 0; wrong < 2; wrong++) {
		int sv[2];
		struct side srv;
		uint8_t session[32], f[128];
		uint32_t cipher = 0;
		t_socketpair(sv);
		side_start(&srv, sv[1], 0, key1, HS_MS, 1);
		int ok = raw_client(sv[0], wrong ? key2 : key1, t_default(), session, &cipher);
		t_write(sv[0], f, t_data(f, WIRE_GOSSIP, "evil", 4, 2, session, C2S, cipher, 0));
		pthread_join(srv.t, NULL);
		assert_int_equal(ok, !wrong);
		if (wrong) {
			assert_auth_failed(&srv);
		} else {
			uint16_t type;
			const uint8_t *p;
			size_t len;
			assert_int_equal(srv.rc, 0);
			assert_int_equal(wire_recv(&srv.c, &type, &p, &len, NULL), 0);
			assert_memory_equal(p, "evil", 4);
			wire_close(&srv.c);
		}
		close(sv[0]);
	}
}

/* A server without the key: the client refuses its HELLO, sends an untagged refusal and
 * no READY. With the key the client sends a good READY. */
static void test_forged_hello(void **state)
{
	for (int wrong = 0; wrong < 2; wrong++) {
		int sv[2];
		struct side cli;
		uint8_t after[256];
		size_t nafter = sizeof(after);
		t_socketpair(sv);
		side_start(&cli, sv[0], 1, key1, HS_MS, 1);
		if (!wrong)
			nafter = HDR + TAG;
		int ok = raw_server(sv[1], wrong ? key2 : key1, after, &nafter);
		pthread_join(cli.t, NULL);
		if (!wrong) {
			assert_int_equal(ok, 1);
			assert_int_equal(cli.rc, 0);
			wire_close(&cli.c);
			close(sv[1]);
			continue;
		}
		assert_int_equal(ok, 0);
		assert_auth_failed(&cli);
		/* What came after our HELLO: a refusal, then the end. */
		assert_true(nafter >= HDR + 4 + TAG);
		assert_int_equal(t_get(after + 6, 2), WIRE_ERROR);
		assert_int_equal(t_get(after + 16, 8), 1);
		size_t len = t_get(after + 8, 4);
		assert_int_equal(nafter, HDR + len + TAG);
		assert_int_equal((int32_t)t_get(after + HDR, 4), -EKEYREJECTED);
		close(sv[1]);
	}
}

/* ---- integrity of frames after the handshake ---- */

/* A frame from a to b with byte pos xor mask (mask 0: untouched) is refused. */
static void tamper_one(unsigned cipher, int to_server, size_t pos, uint8_t mask)
{
	struct side cli, srv;
	uint8_t f[HDR + 8 + TAG];
	pair_offer(&cli, &srv, key1, key1, cipher, cipher);
	assert_int_equal(cli.c.cipher, cipher);
	struct wire_conn *a = to_server ? &cli.c : &srv.c, *b = to_server ? &srv.c : &cli.c;
	size_t n = capture(a, b, WIRE_GOSSIP, "payload!", 8, f);
	f[pos] ^= mask;
	inject(a, f, n);
	shutdown(a->fd, SHUT_WR); /* a longer length then ends in EOF, not a wait */
	if (mask) {
		expect_refused(b, -EBADMSG, "frame from node");
	} else {
		uint16_t type;
		const uint8_t *p;
		size_t len;
		assert_int_equal(wire_recv(b, &type, &p, &len, NULL), 0);
		assert_int_equal(len, 8);
	}
	pair_close(&cli, &srv);
}

/* Any byte of header, payload (ciphertext) or tag flipped, either way, whatever the
 * cipher: -EBADMSG, nothing delivered. */
static void test_tamper(void **state)
{
	static const uint8_t masks[] = {0x01, 0x80};
	for (unsigned cipher = 1; cipher <= TAGONLY; cipher <<= 1) {
		if (cipher == AES && !crypto_aead_aes256gcm_is_available())
			continue;
		for (int dir = 0; dir < 2; dir++) {
			tamper_one(cipher, dir, 0, 0); /* the harness delivers an untouched frame */
			for (size_t pos = 0; pos < HDR + 8 + TAG; pos++)
				for (size_t m = 0; m < sizeof(masks); m++)
					tamper_one(cipher, dir, pos, masks[m]);
		}
	}
}

/* What crosses the wire is ciphertext (in clear only with TAGONLY), that the description
 * opens; wire_send leaves the caller's bytes alone, wire_send_inplace encrypts them
 * where they lie; both arrive whole, from empty to the largest frame. */
static void test_encrypted(void **state)
{
	static const size_t sizes[] = {0, 1, 4096, 65536, WIRE_MAX_PAYLOAD};
	uint8_t *f = xmalloc(HDR + WIRE_MAX_PAYLOAD + TAG), *plain = xmalloc(WIRE_MAX_PAYLOAD);
	uint8_t *msg = xmalloc(WIRE_MAX_PAYLOAD), *copy = xmalloc(WIRE_MAX_PAYLOAD);
	for (unsigned cipher = 1; cipher <= TAGONLY; cipher <<= 1) {
		struct side cli, srv;
		if (cipher == AES && !crypto_aead_aes256gcm_is_available())
			continue;
		pair_offer(&cli, &srv, key1, key1, cipher, cipher);
		assert_int_equal(srv.c.cipher, cipher);
		/* one frame on the wire, read raw: small enough for the socket buffer */
		fill(msg, 1000, 5);
		memcpy(copy, msg, 1000);
		capture(&cli.c, &srv.c, WIRE_IMAGE, msg, 1000, f);
		assert_memory_equal(msg, copy, 1000);
		assert_true(t_open(f, 1000, srv.c.session, C2S, cipher, plain));
		assert_memory_equal(plain, msg, 1000);
		assert_int_equal(memcmp(f + HDR, msg, 1000) == 0, cipher == TAGONLY);
		assert_int_equal(wire_send_inplace(&cli.c, WIRE_IMAGE, msg, 1000, NULL), 0);
		assert_int_equal(memcmp(msg, copy, 1000) == 0, cipher == TAGONLY);
		assert_int_equal(t_read(srv.c.fd, f, HDR + 1000 + TAG), HDR + 1000 + TAG);
		assert_memory_equal(f + HDR, msg, 1000); /* (what it sent is what lay there) */
		assert_true(t_open(f, 1000, srv.c.session, C2S, cipher, plain));
		assert_memory_equal(plain, copy, 1000);
		/* seq 2 and 3 went by raw: the receiver's count follows */
		srv.c.recv_seq = 4;
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			exchange_one(&cli.c, &srv.c, sizes[i], (unsigned)i);
			exchange_one(&srv.c, &cli.c, sizes[i], (unsigned)i + 9);
		}
		pair_close(&cli, &srv);
	}
	free(f);
	free(plain);
	free(msg);
	free(copy);
}

/* Keys change every 2^15 frames in each direction, as the description says: frames on
 * either side of the boundary arrive, and the first frame of an epoch opens under that
 * epoch's key only. A sender may not run out of sequence numbers silently. */
static void test_rekey(void **state)
{
	uint8_t f[HDR + 16 + TAG], plain[16];
	for (unsigned cipher = 1; cipher <= CHACHA * 2; cipher <<= 1) {
		struct side cli, srv;
		if (cipher == AES && !crypto_aead_aes256gcm_is_available())
			continue;
		pair_offer(&cli, &srv, key1, key1, cipher, cipher);
		const uint64_t edge = (uint64_t)1 << WIRE_REKEY_SHIFT;
		for (uint64_t i = 2; i < edge + 3; i++) /* the whole first epoch, for real */
			exchange_one(&cli.c, &srv.c, i % 3, (unsigned)i);
		cli.c.send_seq = srv.c.recv_seq = 5 * edge - 1; /* as if many frames had gone by */
		exchange_one(&cli.c, &srv.c, 16, 1);
		capture(&cli.c, &srv.c, WIRE_SIGNAL, "epoch five start", 16, f);
		assert_int_equal(t_get(f + 16, 8), 5 * edge);
		assert_true(t_open(f, 16, srv.c.session, C2S, cipher, plain));
		assert_memory_equal(plain, "epoch five start", 16);
		t_put(f + 16, 5 * edge - 1, 8); /* the key of epoch 4 does not open it */
		assert_false(t_open(f, 16, srv.c.session, C2S, cipher, plain));
		srv.c.recv_seq++;
		exchange_one(&srv.c, &cli.c, 16, 3); /* the other way still in epoch 0 */
		exchange_one(&cli.c, &srv.c, 16, 4);
		cli.c.send_seq = UINT64_MAX;
		struct err e;
		assert_int_equal(wire_send(&cli.c, WIRE_SIGNAL, "x", 1, &e), -EOVERFLOW);
		pair_close(&cli, &srv);
	}
}

/* Random bytes after the handshake, from a peer that may or may not know the header:
 * always refused, nothing delivered, no crash (run it under ASan). */
static void test_garbage_frames(void **state)
{
	uint8_t buf[HDR + 300 + TAG];
	for (int i = 0; i < 300; i++) {
		struct side cli, srv;
		pair_good(&cli, &srv);
		size_t len = (size_t)randombytes_uniform(300), n = HDR + len + TAG;
		randombytes_buf(buf, sizeof(buf));
		if (i % 3) /* a well-formed header on random bytes */
			t_hdr(buf, VERSION, (uint16_t)(WIRE_MIGRATE + i % 10), (uint32_t)len,
			      i % 2 ? 2 : randombytes_random());
		if (i % 5 == 0) /* a short one: the end comes inside it */
			n = (size_t)randombytes_uniform((uint32_t)n);
		inject(&cli.c, buf, n);
		shutdown(cli.c.fd, SHUT_WR);
		uint16_t type = 99;
		const uint8_t *p = (const uint8_t *)"x";
		size_t got = 99;
		int r = wire_recv(&srv.c, &type, &p, &got, NULL);
		assert_true(r < 0);
		assert_null(p);
		assert_int_equal(got, 0);
		pair_close(&cli, &srv);
	}
}

/* A frame captured and sent again, frames swapped, a frame sent back to its sender, a
 * frame from another connection: all refused. */
static void test_replay(void **state)
{
	struct side cli, srv, cli2, srv2;
	uint8_t f[128], g[128];
	uint16_t type;
	const uint8_t *p;
	size_t len;

	pair_good(&cli, &srv);
	size_t n = capture(&cli.c, &srv.c, WIRE_SYSCALL, "alpha", 5, f);
	inject(&cli.c, f, n);
	inject(&cli.c, f, n);
	assert_int_equal(wire_recv(&srv.c, &type, &p, &len, NULL), 0);
	assert_memory_equal(p, "alpha", 5);
	expect_refused(&srv.c, -EBADMSG, "replayed");
	pair_close(&cli, &srv);

	pair_good(&cli, &srv);
	n = capture(&cli.c, &srv.c, WIRE_SYSCALL, "beta", 4, f);
	size_t m = capture(&cli.c, &srv.c, WIRE_SYSCALL, "gamma", 5, g);
	inject(&cli.c, g, m);
	inject(&cli.c, f, n);
	expect_refused(&srv.c, -EBADMSG, "expected 2");
	pair_close(&cli, &srv);

	/* The server's second frame has seq 2, the seq the server expects next. */
	pair_good(&cli, &srv);
	capture(&srv.c, &cli.c, WIRE_SYSRET, "one", 3, f);
	n = capture(&srv.c, &cli.c, WIRE_SYSRET, "two", 3, f);
	inject(&cli.c, f, n);
	expect_refused(&srv.c, -EBADMSG, "fails authentication");
	pair_close(&cli, &srv);

	pair_good(&cli, &srv);
	pair_good(&cli2, &srv2);
	n = capture(&cli.c, &srv.c, WIRE_SYSCALL, "other", 5, f);
	inject(&cli2.c, f, n);
	expect_refused(&srv2.c, -EBADMSG, "fails authentication");
	pair_close(&cli, &srv);
	pair_close(&cli2, &srv2);
}

/* A header announcing more than WIRE_MAX_PAYLOAD is refused before anything after it is
 * read; in the handshake the limit is far lower, so no waiting for the bytes either. */
static void test_oversize(void **state)
{
	static const uint32_t lens[] = {WIRE_MAX_PAYLOAD + 1, UINT32_MAX};
	for (size_t i = 0; i < 2; i++) {
		struct side cli, srv;
		uint8_t h[HDR], peek[16];
		pair_good(&cli, &srv);
		t_hdr(h, VERSION, WIRE_IMAGE, lens[i], 2);
		inject(&cli.c, h, HDR);
		inject(&cli.c, "SENTINEL", 8);
		shutdown(cli.c.fd, SHUT_WR);
		expect_refused(&srv.c, -EBADMSG, "too long");
		assert_int_equal(recv(srv.c.fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT), 8);
		assert_memory_equal(peek, "SENTINEL", 8);
		pair_close(&cli, &srv);
	}

	int sv[2];
	struct side srv;
	uint8_t h[HDR];
	t_socketpair(sv);
	t_hdr(h, VERSION, WIRE_HELLO, 1u << 20, 0);
	assert_int_equal(t_write(sv[0], h, HDR), 0);
	side_start(&srv, sv[1], 0, key1, 3000, 0);
	assert_int_equal(srv.rc, -EBADMSG);
	assert_non_null(strstr(srv.e.msg, "too long"));
	assert_true(srv.secs < 1.0);
	close(sv[0]);
}

/* ---- handshake refusals ---- */

/* A client of another version (in the header, the HELLO or both; a version 1 node sends
 * a 32-byte HELLO): the server refuses naming both versions, and tells the client which
 * it speaks. */
static void test_version_client(void **state)
{
	static const uint16_t versions[][3] = {
	    {OLD, OLD, 32},
	    {OLD, VERSION, HELLO},
	    {VERSION, OLD, HELLO},
	    {3, 3, HELLO},
	}; /* header, HELLO, HELLO's length */
	for (int i = 0; i < 4; i++) {
		int sv[2];
		struct side srv;
		uint8_t f[128], hello[HELLO], nc[24] = {0}, in[256];
		char other[16];
		snprintf(other, sizeof(other), "version %d",
			 versions[i][0] == VERSION ? versions[i][1] : versions[i][0]);
		t_socketpair(sv);
		t_hello(hello, versions[i][1], NODE_C, nc, CHACHA, 0);
		assert_int_equal(t_write(sv[0], f,
					 t_frame(f, versions[i][0], WIRE_HELLO, hello,
						 versions[i][2], 0, NULL, 0)),
				 0);
		side_start(&srv, sv[1], 0, key1, HS_MS, 0);
		if (!strstr(srv.e.msg, "version 2") || !strstr(srv.e.msg, other))
			print_error("%s\n", srv.e.msg);
		assert_int_equal(srv.rc, -EPROTONOSUPPORT);
		assert_non_null(strstr(srv.e.msg, "version 2"));
		assert_non_null(strstr(srv.e.msg, other));
		size_t n = t_read(sv[0], in, sizeof(in));
		assert_true(n > HDR + 4 + TAG);
		assert_int_equal(t_get(in + 6, 2), WIRE_ERROR);
		assert_int_equal((int32_t)t_get(in + HDR, 4), -EPROTONOSUPPORT);
		in[n - TAG] = '\0';
		assert_non_null(strstr((char *)in + HDR + 4, "version 2"));
		close(sv[0]);
	}
}

/* A server answering with a version 1 HELLO: the client refuses naming both. */
static void test_version_server(void **state)
{
	int sv[2];
	struct side cli;
	uint8_t in[HDR + HELLO + TAG], f[128], hello[HELLO], ns[24] = {0};
	t_socketpair(sv);
	side_start(&cli, sv[0], 1, key1, HS_MS, 1);
	assert_int_equal(t_read(sv[1], in, sizeof(in)), sizeof(in));
	t_hello(hello, OLD, NODE_S, ns, 0, 0);
	assert_int_equal(t_write(sv[1], f, t_frame(f, OLD, WIRE_HELLO, hello, 32, 0, NULL, 0)), 0);
	pthread_join(cli.t, NULL);
	assert_int_equal(cli.rc, -EPROTONOSUPPORT);
	assert_non_null(strstr(cli.e.msg, "version 2"));
	assert_non_null(strstr(cli.e.msg, "version 1"));
	close(sv[1]);
}

/* Something that is not the protocol at all, on either side, or cut short. */
static void test_garbage(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: node1\r\n\r\n";
	int sv[2];
	struct side s;
	uint8_t in[HDR + HELLO + TAG];

	t_socketpair(sv);
	assert_int_equal(t_write(sv[0], http, sizeof(http) - 1), 0);
	side_start(&s, sv[1], 0, key1, HS_MS, 0);
	assert_int_equal(s.rc, -EBADMSG);
	assert_non_null(strstr(s.e.msg, "not a wire frame"));
	assert_int_equal(s.c.peer_node, -1);
	close(sv[0]);

	t_socketpair(sv);
	side_start(&s, sv[0], 1, key1, HS_MS, 1);
	assert_int_equal(t_read(sv[1], in, sizeof(in)), sizeof(in));
	assert_int_equal(t_write(sv[1], http, sizeof(http) - 1), 0);
	pthread_join(s.t, NULL);
	assert_int_equal(s.rc, -EBADMSG);
	assert_non_null(strstr(s.e.msg, "not a wire frame"));
	assert_int_equal(s.c.peer_node, -1);
	close(sv[1]);

	/* A client HELLO is untagged: a tag there means the peer does not follow. */
	uint8_t f[128], hello[HELLO], nc[24] = {0};
	t_hello(hello, VERSION, NODE_C, nc, CHACHA, 0);
	size_t n = t_frame(f, VERSION, WIRE_HELLO, hello, HELLO, 0, NULL, 0);
	f[n - 1] = 0xff;
	t_socketpair(sv);
	assert_int_equal(t_write(sv[0], f, n), 0);
	side_start(&s, sv[1], 0, key1, HS_MS, 0);
	assert_int_equal(s.rc, -EBADMSG);
	assert_non_null(strstr(s.e.msg, "carries a tag"));
	close(sv[0]);

	t_socketpair(sv);
	assert_int_equal(t_write(sv[0], "MOSW\2", 5), 0);
	shutdown(sv[0], SHUT_WR);
	side_start(&s, sv[1], 0, key1, HS_MS, 0);
	assert_int_equal(s.rc, -EBADMSG);
	assert_non_null(strstr(s.e.msg, "closed inside a frame header"));
	close(sv[0]);
}

/* Write a valid client HELLO one byte at a time, slowly, until the reader hangs up. */
static void *trickle(void *arg)
{
	int fd = *(int *)arg;
	uint8_t f[128], hello[HELLO], nc[24] = {0};
	t_hello(hello, VERSION, NODE_C, nc, CHACHA, 0);
	size_t n = t_frame(f, VERSION, WIRE_HELLO, hello, HELLO, 0, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		if (t_write(fd, f + i, 1) < 0)
			break;
		usleep(30000);
	}
	return NULL;
}

/* Check a side timed out after about ms milliseconds. */
static void assert_timed_out(const struct side *s, int ms)
{
	if (s->rc != -ETIMEDOUT)
		print_error("rc %d: %s\n", s->rc, s->e.msg);
	assert_int_equal(s->rc, -ETIMEDOUT);
	assert_true(s->secs >= ms / 1000.0 - 0.005);
	assert_true(s->secs < ms / 1000.0 + 0.25);
	assert_non_null(strstr(s->e.msg, "within"));
}

/* A peer that never answers, or answers too slowly: the handshake ends on time. */
static void test_timeout(void **state)
{
	int sv[2];
	struct side s;
	pthread_t t;

	t_socketpair(sv);
	side_start(&s, sv[0], 1, key1, 300, 0);
	assert_timed_out(&s, 300);
	close(sv[1]);

	t_socketpair(sv);
	side_start(&s, sv[1], 0, key1, 300, 0);
	assert_timed_out(&s, 300);
	close(sv[0]);

	/* 72 bytes at 30 ms each would take 2 s: the bound is for the whole handshake. */
	t_socketpair(sv);
	assert_int_equal(pthread_create(&t, NULL, trickle, &sv[0]), 0);
	side_start(&s, sv[1], 0, key1, 300, 0);
	assert_timed_out(&s, 300);
	pthread_join(t, NULL);
	close(sv[0]);
}

/* ---- ends of connections ---- */

/* A close between frames is -ECONNRESET; a close inside a frame is not. */
static void test_close(void **state)
{
	struct side cli, srv;
	uint8_t f[128];

	pair_good(&cli, &srv);
	wire_close(&cli.c);
	expect_refused(&srv.c, -ECONNRESET, "node 3");
	wire_close(&srv.c);

	pair_good(&cli, &srv);
	wire_close(&srv.c);
	expect_refused(&cli.c, -ECONNRESET, "node 7");
	wire_close(&cli.c);

	for (size_t cut = 1; cut < HDR + 6 + TAG; cut += 11) {
		pair_good(&cli, &srv);
		size_t n = capture(&cli.c, &srv.c, WIRE_EXIT, "status", 6, f);
		assert_true(cut < n);
		inject(&cli.c, f, cut);
		shutdown(cli.c.fd, SHUT_WR);
		expect_refused(&srv.c, -EBADMSG, "closed inside a frame");
		pair_close(&cli, &srv);
	}
}

/* Sending to a peer that is gone is an error code, not SIGPIPE (which would kill us). */
static void test_no_sigpipe(void **state)
{
	struct side cli, srv;
	static uint8_t big[1 << 16];
	struct err e;
	signal(SIGPIPE, SIG_DFL);
	pair_good(&cli, &srv);
	wire_close(&srv.c);
	int r = 0;
	for (int i = 0; i < 100 && r == 0; i++)
		r = wire_send(&cli.c, WIRE_IMAGE, big, sizeof(big), &e);
	assert_int_equal(r, -EPIPE);
	assert_non_null(strstr(e.msg, "node 7"));
	wire_close(&cli.c);
}

/* Frames the API does not send, and well-tagged frames that are still wrong: a
 * handshake type, an unknown type, nonzero padding. */
static void test_bad_frames(void **state)
{
	struct side cli, srv;
	uint8_t f[128];
	pair_good(&cli, &srv);
	assert_int_equal(wire_send(&cli.c, WIRE_HELLO, NULL, 0, NULL), -EINVAL);
	assert_int_equal(wire_send(&cli.c, WIRE_READY, NULL, 0, NULL), -EINVAL);
	assert_int_equal(wire_send(&cli.c, WIRE__MAX, NULL, 0, NULL), -EINVAL);
	assert_int_equal(wire_send(&cli.c, WIRE_IMAGE, f, WIRE_MAX_PAYLOAD + 1, NULL), -EINVAL);
	/* Nothing went out: the next real frame is still seq 2. */
	assert_int_equal(wire_send(&cli.c, WIRE_IMAGE, "ok", 2, NULL), 0);
	assert_int_equal(t_read(srv.c.fd, f, HDR + 2 + TAG), HDR + 2 + TAG);
	assert_int_equal(t_get(f + 16, 8), 2);
	inject(&cli.c, f, HDR + 2 + TAG);
	uint16_t type;
	const uint8_t *p;
	size_t len;
	assert_int_equal(wire_recv(&srv.c, &type, &p, &len, NULL), 0);

	size_t n = t_data(f, WIRE_READY, NULL, 0, 3, srv.c.session, C2S, srv.c.cipher, 0);
	inject(&cli.c, f, n);
	expect_refused(&srv.c, -EPROTO, "READY frame after the handshake");
	pair_close(&cli, &srv);

	pair_good(&cli, &srv);
	n = t_data(f, WIRE__MAX, "?", 1, 2, srv.c.session, C2S, srv.c.cipher, 0);
	inject(&cli.c, f, n);
	expect_refused(&srv.c, -EBADMSG, "unknown frame type");
	pair_close(&cli, &srv);

	pair_good(&cli, &srv);
	n = t_data(f, WIRE_EXIT, "0", 1, 2, srv.c.session, C2S, srv.c.cipher, 1);
	inject(&cli.c, f, n);
	expect_refused(&srv.c, -EBADMSG, "padding");
	pair_close(&cli, &srv);
}

/* Send a frame's bytes in two parts with a pause between. */
struct halves {
	int fd;
	uint8_t f[128];
	size_t n;
};

static void *send_halves(void *arg)
{
	struct halves *h = arg;
	usleep(50000);
	t_write(h->fd, h->f, h->n / 2);
	usleep(50000);
	t_write(h->fd, h->f + h->n / 2, h->n - h->n / 2);
	return NULL;
}

/* On a non-blocking socket wire_recv says -EAGAIN when no frame has begun, and waits
 * for the rest of one that has. */
static void test_nonblocking(void **state)
{
	struct side cli, srv;
	struct halves h;
	pthread_t t;
	uint16_t type;
	const uint8_t *p;
	size_t len;
	pair_good(&cli, &srv);
	assert_int_equal(fcntl(srv.c.fd, F_SETFL, O_NONBLOCK), 0);
	expect_refused(&srv.c, -EAGAIN, "no frame");
	h.fd = cli.c.fd;
	h.n = capture(&cli.c, &srv.c, WIRE_SIGNAL, "sig", 3, h.f);
	assert_int_equal(pthread_create(&t, NULL, send_halves, &h), 0);
	int r, tries = 0;
	while ((r = wire_recv(&srv.c, &type, &p, &len, NULL)) == -EAGAIN && ++tries < 2000)
		usleep(1000);
	pthread_join(t, NULL);
	assert_int_equal(r, 0);
	assert_int_equal(type, WIRE_SIGNAL);
	assert_memory_equal(p, "sig", 3);
	pair_close(&cli, &srv);
}

/* wire_connect over TCP loopback: a blocking, close-on-exec, TCP_NODELAY socket that
 * carries a handshake; a closed port and a bad address are clear errors. */
static void test_tcp(void **state)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	struct err e;
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	uint16_t port = ntohs(a.sin_port);

	int fd = wire_connect("127.0.0.1", port, 2000, &e);
	assert_true(fd >= 0);
	int one = 0;
	socklen_t ol = sizeof(one);
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, &ol), 0);
	assert_int_equal(one, 1);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);

	struct side cli, srv;
	side_start(&cli, fd, 1, key1, HS_MS, 1);
	side_start(&srv, accept4(lfd, NULL, NULL, SOCK_CLOEXEC), 0, key1, HS_MS, 0);
	pthread_join(cli.t, NULL);
	assert_int_equal(cli.rc, 0);
	assert_int_equal(srv.rc, 0);
	exchange_one(&cli.c, &srv.c, 1 << 20, 1);
	exchange_one(&srv.c, &cli.c, 100, 2);
	pair_close(&cli, &srv);

	close(lfd); /* nothing listens there now */
	assert_int_equal(wire_connect("127.0.0.1", port, 2000, &e), -ECONNREFUSED);
	assert_non_null(strstr(e.msg, "127.0.0.1"));
	assert_int_equal(wire_connect("node1", port, 2000, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exchange),
	    cmocka_unit_test(test_spec_client),
	    cmocka_unit_test(test_spec_server),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_forged_ready),
	    cmocka_unit_test(test_forged_hello),
	    cmocka_unit_test(test_tamper),
	    cmocka_unit_test(test_replay),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_version_client),
	    cmocka_unit_test(test_version_server),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_close),
	    cmocka_unit_test(test_no_sigpipe),
	    cmocka_unit_test(test_bad_frames),
	    cmocka_unit_test(test_nonblocking),
	    cmocka_unit_test(test_tcp),
	    cmocka_unit_test(test_spec_server_bad_choice),
	    cmocka_unit_test(test_negotiate),
	    cmocka_unit_test(test_cipher_env),
	    cmocka_unit_test(test_encrypted),
	    cmocka_unit_test(test_rekey),
	    cmocka_unit_test(test_garbage_frames),
	};
	alarm(120); /* a test that hangs fails instead of stalling make check */
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
