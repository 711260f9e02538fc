/* wire.c: framed, versioned, authenticated and encrypted messages between nodes.
 *
 * On the wire, all integers little-endian:
 *   header   24 bytes: magic u32, version u16, type u16, len u32, pad u32 (0), seq u64
 *   payload  len bytes (at most WIRE_MAX_PAYLOAD; HS_MAX during the handshake)
 *   tag      16 bytes
 * Each direction numbers its frames from 0, handshake included: the client sends HELLO
 * (seq 0), READY (1), then data from 2; the server sends HELLO (0), then data from 1.
 * The nonce of frame seq is seq u64 || direction u32 (DIR_C2S or DIR_S2C), 12 bytes.
 *
 * Handshake. HELLO payload, 40 bytes: version u32, node u32, nonce u8[24], offer u32 (the
 * WIRE_CIPHER_* bits the sender has), cipher u32 (the client: 0; the server: its choice,
 * the first of AES256GCM, CHACHA20, TAGONLY that both offer). The session key is
 * BLAKE2b-256 keyed with the cluster key over
 *   "mosix-session-v2" || nonce_c || nonce_s || node_c u32 || node_s u32 ||
 *   offer_c u32 || offer_s u32 || cipher u32.
 * The server's HELLO and the client's READY carry as tag what
 * crypto_aead_chacha20poly1305_ietf_encrypt_detached gives for an empty message with
 * header || payload as additional data, under the session key. An untagged frame (the
 * client's HELLO, a handshake refusal) carries 16 zero bytes. A side that refuses a
 * handshake first sends an untagged WIRE_ERROR { code i32 (negative errno), text }: only
 * a hint for the other side's message, since it is not authenticated.
 *
 * Frames after the handshake. Key of direction dir for frames seq with
 * seq >> WIRE_REKEY_SHIFT == epoch: BLAKE2b-256 keyed with the session key over
 *   "mosix-frames-v2" || dir u32 || epoch u64 || cipher u32.
 * AES256GCM and CHACHA20: the payload is the ciphertext of the AEAD (AES-256-GCM, or
 * ChaCha20-Poly1305 of RFC 8439: what libsodium's crypto_aead_aes256gcm and
 * crypto_aead_chacha20poly1305_ietf give, detached; computed here by OpenSSL's libcrypto,
 * see struct wire_dir) with the header as additional data, and the tag is its tag. TAGONLY: the
 * payload is in clear and tagged as handshake frames are, under the frame key.
 */
#include "appliance/wire.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN 24
#define HELLO_LEN 40
#define NONCE_LEN 24
#define HS_MAX 512 /* largest frame accepted before the peer is authenticated */
#define DIR_C2S 1u
#define DIR_S2C 2u
#define SESSION_LABEL "mosix-session-v2"
#define FRAMES_LABEL "mosix-frames-v2"

/* The keys of one direction for the epoch of its sequence numbers. The AEADs run in
 * OpenSSL's libcrypto: on this project's CPUs (AVX-512, VAES) its AES-256-GCM and
 * ChaCha20-Poly1305 are 3-4 times as fast as libsodium 1.0.18's, which would make
 * privacy cost a third of the stream (tests/bench/wire_bench.c); the bytes are the
 * same standard AEADs (test_wire.c opens them with libsodium). */
struct wire_dir {
	EVP_CIPHER_CTX *ctx; /* AES256GCM, CHACHA20: the key set, per frame only the nonce */
	uint8_t key[32];
	uint64_t epoch;
	int ready;
};

/* Both directions'. */
struct wire_keys {
	struct wire_dir d[2]; /* [0] what we send, [1] what we receive */
};

static _Thread_local unsigned ciphers_set; /* wire_set_ciphers' mask; 0: the default */

/* One received frame; the payload lives in the connection's buffer. */
struct frame {
	struct wire_hdr h;
	uint8_t *p;
	uint8_t tag[WIRE_TAG_LEN];
};

/* What a handshake carries from step to step. */
struct hs {
	const uint8_t *key;
	int self;
	int claimed; /* node number the peer gave, not yet verified; -1 before its HELLO */
	int timeout_ms;
	int64_t deadline; /* CLOCK_MONOTONIC ms, or -1 for none */
	uint8_t nonce_c[NONCE_LEN], nonce_s[NONCE_LEN];
	uint32_t offer_c, offer_s, offer; /* the client's, the server's, ours */
};

static const char *const type_names[WIRE__MAX] = {
    [WIRE_HELLO] = "HELLO",	    [WIRE_READY] = "READY",
    [WIRE_MIGRATE] = "MIGRATE",	    [WIRE_IMAGE] = "IMAGE",
    [WIRE_IMAGE_END] = "IMAGE_END", [WIRE_STARTED] = "STARTED",
    [WIRE_SYSCALL] = "SYSCALL",	    [WIRE_SYSRET] = "SYSRET",
    [WIRE_SIGNAL] = "SIGNAL",	    [WIRE_EXIT] = "EXIT",
    [WIRE_GOHOME] = "GOHOME",	    [WIRE_GOSSIP] = "GOSSIP",
    [WIRE_ERROR] = "ERROR",	    [WIRE_GOSSIP_PULL] = "GOSSIP_PULL",
};

/* Name a frame type for messages. */
static const char *type_name(unsigned t)
{
	return t < WIRE__MAX && type_names[t] ? type_names[t] : "unknown";
}

/* The ciphers, in the order of preference: the first that both ends offer is used. */
static const struct {
	unsigned bit;
	const char *name;
} ciphers[] = {
    {WIRE_CIPHER_AES256GCM, "aes256gcm"},
    {WIRE_CIPHER_CHACHA20, "chacha20poly1305"},
    {WIRE_CIPHER_TAGONLY, "tagonly"},
};
#define NCIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

/* Name a cipher. */
const char *wire_cipher_name(unsigned cipher)
{
	for (size_t i = 0; i < NCIPHERS; i++)
		if (ciphers[i].bit == cipher)
			return ciphers[i].name;
	return cipher ? "unknown" : "none";
}

/* Name the ciphers of an offer: "aes256gcm,chacha20poly1305" ("nothing" for none). */
static const char *offer_names(unsigned offer, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < NCIPHERS && n < size; i++)
		if (offer & ciphers[i].bit)
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "",
					      ciphers[i].name);
	if (offer & ~(unsigned)WIRE_CIPHERS_ALL && n < size)
		snprintf(out + n, size - n, "%sunknown 0x%x", n ? "," : "",
			 offer & ~(unsigned)WIRE_CIPHERS_ALL);
	if (!offer)
		snprintf(out, size, "nothing");
	return out;
}

/* The cipher to use when both ends offer both: the first in the order of preference. */
static unsigned cipher_pick(unsigned both)
{
	for (size_t i = 0; i < NCIPHERS; i++)
		if (both & ciphers[i].bit)
			return ciphers[i].bit;
	return 0;
}

/* Is c one known cipher (one bit)? */
static int cipher_known(unsigned c)
{
	return c && !(c & (c - 1)) && !(c & ~(unsigned)WIRE_CIPHERS_ALL);
}

/* Initialise libsodium on first use. */
static int sodium_ready(struct err *e)
{
	static int done;
	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return 0;
	if (sodium_init() < 0)
		return err_setx(e, -ENOSYS, "libsodium failed to initialise");
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Store little-endian integers. */
static void put16(uint8_t *b, uint16_t v)
{
	v = htole16(v);
	memcpy(b, &v, 2);
}

static void put32(uint8_t *b, uint32_t v)
{
	v = htole32(v);
	memcpy(b, &v, 4);
}

static void put64(uint8_t *b, uint64_t v)
{
	v = htole64(v);
	memcpy(b, &v, 8);
}

/* Load little-endian integers. */
static uint16_t get16(const uint8_t *b)
{
	uint16_t v;
	memcpy(&v, b, 2);
	return le16toh(v);
}

static uint32_t get32(const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *b)
{
	uint64_t v;
	memcpy(&v, b, 8);
	return le64toh(v);
}

/* Encode a header. */
static void hdr_pack(uint8_t b[HDR_LEN], const struct wire_hdr *h)
{
	put32(b, h->magic);
	put16(b + 4, h->version);
	put16(b + 6, h->type);
	put32(b + 8, h->len);
	put32(b + 12, h->pad);
	put64(b + 16, h->seq);
}

/* Decode a header. */
static void hdr_unpack(struct wire_hdr *h, const uint8_t b[HDR_LEN])
{
	h->magic = get32(b);
	h->version = get16(b + 4);
	h->type = get16(b + 6);
	h->len = get32(b + 8);
	h->pad = get32(b + 12);
	h->seq = get64(b + 16);
}

/* Build the nonce of frame seq sent by the client (from_client) or the server. */
static void nonce_make(uint8_t n[12], uint64_t seq, int from_client)
{
	put64(n, seq);
	put32(n + 8, from_client ? DIR_C2S : DIR_S2C);
}

/* Tag header || payload exactly as crypto_aead_chacha20poly1305_ietf_encrypt_detached does
 * for an empty message with that as additional data (RFC 8439: Poly1305 keyed by ChaCha20
 * block 0, over AD, its zero padding and the two lengths), but without gathering header
 * and payload into one buffer first: that would copy every 1 MiB frame once more. */
static void tag_frame(uint8_t tag[WIRE_TAG_LEN], const uint8_t key[32], const uint8_t n[12],
		      const uint8_t *hdr, const void *p, size_t len)
{
	static const uint8_t zero[16];
	uint8_t block0[64], lens[16];
	crypto_onetimeauth_poly1305_state st;
	size_t adlen = HDR_LEN + len;

	crypto_stream_chacha20_ietf(block0, sizeof(block0), n, key);
	crypto_onetimeauth_poly1305_init(&st, block0);
	crypto_onetimeauth_poly1305_update(&st, hdr, HDR_LEN);
	if (len)
		crypto_onetimeauth_poly1305_update(&st, p, len);
	crypto_onetimeauth_poly1305_update(&st, zero, (16 - adlen % 16) % 16);
	put64(lens, adlen);
	put64(lens + 8, 0);
	crypto_onetimeauth_poly1305_update(&st, lens, sizeof(lens));
	crypto_onetimeauth_poly1305_final(&st, tag);
	sodium_memzero(block0, sizeof(block0));
	sodium_memzero(&st, sizeof(st));
}

/* Check a received handshake frame's tag (its header and payload lie together in buf)
 * under the session key. The ciphertext is empty; libsodium wants a non-NULL pointer
 * for it all the same. */
static int tag_ok(const struct wire_conn *c, const struct frame *f)
{
	uint8_t n[12];
	nonce_make(n, f->h.seq, !c->is_client);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		   NULL, NULL, f->tag, 0, f->tag, c->buf, HDR_LEN + f->h.len, n, c->session) == 0;
}

/* Derive the session key from the cluster key, both HELLOs and the cipher chosen. */
static void session_derive(uint8_t out[32], const uint8_t key[32], const struct hs *hs,
			   uint32_t node_c, uint32_t node_s, uint32_t cipher)
{
	uint8_t in[sizeof(SESSION_LABEL) - 1 + 2 * NONCE_LEN + 20];
	uint8_t *q = in;
	memcpy(q, SESSION_LABEL, sizeof(SESSION_LABEL) - 1);
	q += sizeof(SESSION_LABEL) - 1;
	memcpy(q, hs->nonce_c, NONCE_LEN);
	memcpy(q + NONCE_LEN, hs->nonce_s, NONCE_LEN);
	q += 2 * NONCE_LEN;
	put32(q, node_c);
	put32(q + 4, node_s);
	put32(q + 8, hs->offer_c);
	put32(q + 12, hs->offer_s);
	put32(q + 16, cipher);
	crypto_generichash(out, 32, in, sizeof(in), key, 32);
}

/* The libcrypto AEAD of a cipher (NULL: TAGONLY). */
static const EVP_CIPHER *cipher_evp(unsigned cipher)
{
	return cipher == WIRE_CIPHER_AES256GCM	? EVP_aes_256_gcm()
	       : cipher == WIRE_CIPHER_CHACHA20 ? EVP_chacha20_poly1305()
						: NULL;
}

/* The keys of frame seq in one direction (send: ours), derived when its epoch begins. */
static struct wire_dir *dir_keys(struct wire_conn *c, int send, uint64_t seq)
{
	if (!c->keys)
		c->keys = xcalloc(1, sizeof(*c->keys));
	struct wire_dir *d = &c->keys->d[send ? 0 : 1];
	uint64_t epoch = seq >> WIRE_REKEY_SHIFT;
	if (d->ready && d->epoch == epoch)
		return d;
	uint8_t in[sizeof(FRAMES_LABEL) - 1 + 16];
	memcpy(in, FRAMES_LABEL, sizeof(FRAMES_LABEL) - 1);
	put32(in + sizeof(FRAMES_LABEL) - 1, !send == !c->is_client ? DIR_C2S : DIR_S2C);
	put64(in + sizeof(FRAMES_LABEL) + 3, epoch);
	put32(in + sizeof(FRAMES_LABEL) + 11, c->cipher);
	crypto_generichash(d->key, 32, in, sizeof(in), c->session, 32);
	d->ready = 0;
	const EVP_CIPHER *evp = cipher_evp(c->cipher);
	if (evp) {
		if (!d->ctx && !(d->ctx = EVP_CIPHER_CTX_new()))
			abort(); /* out of memory, as xmalloc would */
		if (EVP_CipherInit_ex(d->ctx, evp, NULL, d->key, NULL, send) != 1)
			return NULL;
	}
	d->epoch = epoch;
	d->ready = 1;
	return d;
}

/* Seal len bytes at p with ctx (key set) for nonce n and additional data hdr: the
 * ciphertext into out (which may be p), the tag into tag. 1 if done. */
static int evp_seal(EVP_CIPHER_CTX *ctx, const uint8_t n[12], const uint8_t *hdr, const uint8_t *p,
		    uint8_t *out, size_t len, uint8_t tag[WIRE_TAG_LEN])
{
	int l = 0, l2 = 0;
	return EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, n) == 1 &&
	       EVP_EncryptUpdate(ctx, NULL, &l, hdr, HDR_LEN) == 1 &&
	       (!len || EVP_EncryptUpdate(ctx, out, &l, p, (int)len) == 1) &&
	       EVP_EncryptFinal_ex(ctx, out + (len ? l : 0), &l2) == 1 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, WIRE_TAG_LEN, tag) == 1;
}

/* Open len bytes at p in place with ctx (key set) for nonce n, additional data hdr and
 * tag. 1 if authentic. */
static int evp_open(EVP_CIPHER_CTX *ctx, const uint8_t n[12], const uint8_t *hdr, uint8_t *p,
		    size_t len, uint8_t tag[WIRE_TAG_LEN])
{
	int l = 0, l2 = 0;
	return EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, n) == 1 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, WIRE_TAG_LEN, tag) == 1 &&
	       EVP_DecryptUpdate(ctx, NULL, &l, hdr, HDR_LEN) == 1 &&
	       (!len || EVP_DecryptUpdate(ctx, p, &l, p, (int)len) == 1) &&
	       EVP_DecryptFinal_ex(ctx, p + (len ? l : 0), &l2) > 0;
}

/* Seal the payload p of the frame whose header is hdr (seq c->send_seq): encrypt it into
 * out (which may be p) and give its tag; TAGONLY only tags p and leaves out alone.
 * 0, or -EIO when libcrypto fails. */
static int frame_seal(struct wire_conn *c, const uint8_t *hdr, const uint8_t *p, uint8_t *out,
		      size_t len, uint8_t tag[WIRE_TAG_LEN])
{
	uint8_t n[12];
	struct wire_dir *d = dir_keys(c, 1, c->send_seq);
	nonce_make(n, c->send_seq, c->is_client);
	if (!d)
		return -EIO;
	if (c->cipher == WIRE_CIPHER_TAGONLY) {
		tag_frame(tag, d->key, n, hdr, p, len);
		return 0;
	}
	uint8_t none[1];
	return evp_seal(d->ctx, n, hdr, p, len ? out : none, len, tag) ? 0 : -EIO;
}

/* Open a received frame (seq already checked) in place in c->buf: 1 if authentic. What
 * a forgery decrypted to is wiped. */
static int frame_open(struct wire_conn *c, struct frame *f)
{
	uint8_t n[12];
	struct wire_dir *d = dir_keys(c, 0, f->h.seq);
	nonce_make(n, f->h.seq, !c->is_client);
	if (!d)
		return 0;
	if (c->cipher == WIRE_CIPHER_TAGONLY)
		return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			   NULL, NULL, f->tag, 0, f->tag, c->buf, HDR_LEN + f->h.len, n, d->key) ==
		       0;
	if (evp_open(d->ctx, n, c->buf, f->p, f->h.len, f->tag))
		return 1;
	sodium_memzero(f->p, f->h.len);
	return 0;
}

/* The ciphers to offer: wire_set_ciphers', MOSIX_WIRE_CIPHERS' or the default; only
 * those that run here. */
unsigned wire_ciphers(struct err *e)
{
	char names[96];
	unsigned have = WIRE_CIPHER_CHACHA20 | WIRE_CIPHER_TAGONLY, want = ciphers_set;
	if (sodium_ready(e) < 0)
		return 0;
	if (crypto_aead_aes256gcm_is_available())
		have |= WIRE_CIPHER_AES256GCM;
	const char *env = want ? NULL : secure_getenv("MOSIX_WIRE_CIPHERS");
	for (const char *q = env; q && *q;) {
		size_t k = strcspn(q, ", ");
		size_t i = 0;
		while (i < NCIPHERS &&
		       (strlen(ciphers[i].name) != k || strncmp(q, ciphers[i].name, k)))
			i++;
		if (k && i == NCIPHERS) {
			err_setx(e, -ENOPROTOOPT,
				 "MOSIX_WIRE_CIPHERS: unknown cipher '%.*s' (known: "
				 "aes256gcm, chacha20poly1305, tagonly)",
				 (int)(k > 40 ? 40 : k), q);
			return 0;
		}
		want |= k ? ciphers[i].bit : 0;
		q += k + (q[k] != '\0');
	}
	if (!want)
		want = WIRE_CIPHER_AES256GCM | WIRE_CIPHER_CHACHA20;
	if (!(want & have))
		err_setx(e, -ENOPROTOOPT, "no cipher to offer: %s cannot run here (no AES-NI)",
			 offer_names(want, names, sizeof(names)));
	return want & have;
}

void wire_set_ciphers(unsigned mask)
{
	ciphers_set = mask & WIRE_CIPHERS_ALL;
}

/* Wait until fd is ready for events, or the deadline (-1: none) passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int ms = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		struct pollfd pfd = {.fd = fd, .events = events};
		int r = poll(&pfd, 1, ms);
		if (r > 0)
			return 0; /* readiness, error or hangup: the next call reports which */
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Drop n bytes from the front of an iovec array. */
static void iov_skip(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/* Send all of iov, never raising SIGPIPE. With a deadline the socket is used
 * non-blocking so that a peer that stops reading cannot stall us past it. */
static int io_send(int fd, struct iovec *iov, int cnt, int64_t deadline)
{
	int flags = MSG_NOSIGNAL | (deadline >= 0 ? MSG_DONTWAIT : 0);
	iov_skip(&iov, &cnt, 0);
	while (cnt > 0) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
		ssize_t n = sendmsg(fd, &mh, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		iov_skip(&iov, &cnt, (size_t)n);
	}
	return 0;
}

/* Receive all of iov; fewer bytes only at end of file. Bytes read, or a negative
 * code: -EAGAIN only if idle_ok and the socket had nothing at all to give. */
static ssize_t io_recv(int fd, struct iovec *iov, int cnt, int64_t deadline, int idle_ok)
{
	int flags = deadline >= 0 ? MSG_DONTWAIT : MSG_WAITALL;
	size_t got = 0;
	iov_skip(&iov, &cnt, 0);
	while (cnt > 0) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
		ssize_t n = recvmsg(fd, &mh, flags);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (idle_ok && got == 0)
				return -EAGAIN;
			int r = wait_fd(fd, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		got += (size_t)n;
		iov_skip(&iov, &cnt, (size_t)n);
	}
	return (ssize_t)got;
}

/* How frame_send protects a frame. */
enum send_how {
	SEND_CLEAR, /* handshake refusals and the client's HELLO: a zero tag */
	SEND_HS,    /* the rest of the handshake: tagged under the session key */
	SEND_DATA,  /* after it: sealed with the cipher, the ciphertext in out */
};

/* Send one frame and count it. Its sequence number is used up even when the send fails,
 * so that no nonce ever seals two payloads. 0 or a negative code. */
static int frame_send(struct wire_conn *c, uint16_t type, const void *p, size_t len,
		      enum send_how how, uint8_t *out, int64_t deadline)
{
	uint8_t hdr[HDR_LEN], tag[WIRE_TAG_LEN] = {0};
	struct wire_hdr h = {WIRE_MAGIC, WIRE_VERSION, type, (uint32_t)len, 0, c->send_seq};
	hdr_pack(hdr, &h);
	if (how == SEND_HS) {
		uint8_t n[12];
		nonce_make(n, c->send_seq, c->is_client);
		tag_frame(tag, c->session, n, hdr, p, len);
	} else if (how == SEND_DATA) {
		int r = frame_seal(c, hdr, p, out, len, tag);
		c->send_seq++; /* (used up: see above) */
		if (r < 0)
			return r;
		if (c->cipher != WIRE_CIPHER_TAGONLY)
			p = out;
	}
	if (how != SEND_DATA)
		c->send_seq++;
	struct iovec iov[3] = {{hdr, HDR_LEN}, {(void *)p, len}, {tag, WIRE_TAG_LEN}};
	return io_send(c->fd, iov, 3, deadline);
}

/* Check a header before anything after it is read: a peer must not make us wait
 * for, or hold, more than the limit. */
static int hdr_check(const struct wire_hdr *h, int hs, struct err *e)
{
	size_t max = hs ? HS_MAX : WIRE_MAX_PAYLOAD;
	if (h->magic != WIRE_MAGIC)
		return err_setx(e, -EBADMSG, "not a wire frame (magic 0x%08x, expected 0x%08x)",
				h->magic, WIRE_MAGIC);
	if (h->version != WIRE_VERSION)
		return err_setx(e, hs ? -EPROTONOSUPPORT : -EBADMSG,
				"peer speaks wire version %u, this node speaks version %u",
				h->version, WIRE_VERSION);
	if (h->type < WIRE_HELLO || h->type >= WIRE__MAX)
		return err_setx(e, -EBADMSG, "unknown frame type %u", h->type);
	if (h->len > max)
		return err_setx(e, -EBADMSG, "%s frame too long: %u bytes, limit %zu",
				type_name(h->type), h->len, max);
	if (h->pad)
		return err_setx(e, -EBADMSG, "%s frame with nonzero padding 0x%x",
				type_name(h->type), h->pad);
	return 0;
}

/* Describe a failed or short read of a frame part. */
static int read_fail(ssize_t n, size_t want, const char *part, struct err *e)
{
	if (n == -ETIMEDOUT || n == -EAGAIN)
		return err_setx(e, (int)n, "timed out reading a frame %s", part);
	if (n < 0)
		return err_set(e, (int)n, "read frame %s", part);
	return err_setx(e, -EBADMSG, "connection closed inside a frame %s (%zd of %zu bytes)", part,
			n, want);
}

/* Read one frame (hs: still in the handshake) into c->buf without checking its tag. */
static int frame_read(struct wire_conn *c, struct frame *f, int hs, int64_t deadline, struct err *e)
{
	struct iovec iov[2] = {{c->buf, HDR_LEN}, {f->tag, WIRE_TAG_LEN}};
	ssize_t n = io_recv(c->fd, iov, 1, deadline, !hs);
	if (n == 0)
		return err_setx(e, -ECONNRESET, "connection closed");
	if (n == -EAGAIN && !hs)
		return err_setx(e, -EAGAIN, "no frame waiting");
	if (n != HDR_LEN)
		return read_fail(n, HDR_LEN, "header", e);
	hdr_unpack(&f->h, c->buf);
	int r = hdr_check(&f->h, hs, e);
	if (r < 0)
		return r;
	f->p = c->buf + HDR_LEN;
	iov[0] = (struct iovec){f->p, f->h.len};
	n = io_recv(c->fd, iov, 2, deadline, 0);
	if (n != (ssize_t)f->h.len + WIRE_TAG_LEN)
		return read_fail(n, f->h.len + WIRE_TAG_LEN, "body", e);
	return 0;
}

/* Is a read frame the next in sequence? */
static int seq_check(const struct wire_conn *c, const struct frame *f, struct err *e)
{
	if (f->h.seq != c->recv_seq)
		return err_setx(e, -EBADMSG,
				"%s frame has seq %llu, expected %llu (replayed or reordered)",
				type_name(f->h.type), (unsigned long long)f->h.seq,
				(unsigned long long)c->recv_seq);
	return 0;
}

/* Accept a read handshake frame if its tag (or, untagged, its zero tag) and its
 * sequence number are right. */
static int frame_check(const struct wire_conn *c, const struct frame *f, int tagged, struct err *e)
{
	const char *t = type_name(f->h.type);
	if (tagged && !tag_ok(c, f))
		return err_setx(e, -EBADMSG, "%s frame (seq %llu, %u bytes) fails authentication",
				t, (unsigned long long)f->h.seq, f->h.len);
	if (!tagged && !sodium_is_zero(f->tag, WIRE_TAG_LEN))
		return err_setx(e, -EBADMSG, "untagged %s frame carries a tag", t);
	return seq_check(c, f, e);
}

/* Accept a read frame after the handshake: the next in sequence, and authentic (then
 * its payload is decrypted in place). */
static int data_check(struct wire_conn *c, struct frame *f, struct err *e)
{
	int r = seq_check(c, f, e);
	if (r < 0)
		return r;
	if (!frame_open(c, f))
		return err_setx(e, -EBADMSG, "%s frame (seq %llu, %u bytes) fails authentication",
				type_name(f->h.type), (unsigned long long)f->h.seq, f->h.len);
	if (f->h.type < WIRE_MIGRATE)
		return err_setx(e, -EPROTO, "%s frame after the handshake", type_name(f->h.type));
	return 0;
}

/* Prefix e with the peer's node, keeping code r even when e is NULL. */
static int peer_fail(const struct wire_conn *c, int r, struct err *e)
{
	if (e)
		err_prefix(e, "frame from node %d: ", c->peer_node);
	return r;
}

/* Refuse what cannot be sent on c: 0, or a code with e set. */
static int send_check(const struct wire_conn *c, uint16_t type, const void *p, size_t len,
		      struct err *e)
{
	if (c->fd < 0 || !c->buf || !cipher_known(c->cipher))
		return err_setx(e, -EBADF, "send: connection not established");
	if (type < WIRE_MIGRATE || type >= WIRE__MAX || len > WIRE_MAX_PAYLOAD || (len && !p))
		return err_setx(e, -EINVAL, "send to node %d: bad frame (type %u, %zu bytes)",
				c->peer_node, type, len);
	if (c->send_seq == UINT64_MAX)
		return err_setx(e, -EOVERFLOW, "send to node %d: sequence numbers exhausted",
				c->peer_node);
	return 0;
}

/* Send one sealed frame, its ciphertext put in out. */
static int data_send(struct wire_conn *c, uint16_t type, const void *p, size_t len, uint8_t *out,
		     struct err *e)
{
	int r = frame_send(c, type, p, len, SEND_DATA, out, -1);
	if (r < 0)
		return err_set(e, r, "send %s frame to node %d", type_name(type), c->peer_node);
	return 0;
}

/* Send one frame, encrypted into the connection's send buffer. */
int wire_send(struct wire_conn *c, uint16_t type, const void *p, size_t len, struct err *e)
{
	int r = send_check(c, type, p, len, e);
	if (r < 0)
		return r;
	if (c->cipher != WIRE_CIPHER_TAGONLY && len > c->sbuf_size) {
		size_t n = (len + 0xffff) & ~(size_t)0xffff;
		free(c->sbuf); /* (nothing in it to keep) */
		c->sbuf = xmalloc(n);
		c->sbuf_size = n;
	}
	return data_send(c, type, p, len, c->sbuf, e);
}

/* Send one frame, encrypted where it lies. */
int wire_send_inplace(struct wire_conn *c, uint16_t type, void *p, size_t len, struct err *e)
{
	int r = send_check(c, type, p, len, e);
	return r < 0 ? r : data_send(c, type, p, len, p, e);
}

/* Receive one frame, decrypted. */
int wire_recv(struct wire_conn *c, uint16_t *type, const uint8_t **p, size_t *len, struct err *e)
{
	struct frame f;
	*type = 0;
	*p = NULL;
	*len = 0;
	if (c->fd < 0 || !c->buf || !cipher_known(c->cipher))
		return err_setx(e, -EBADF, "receive: connection not established");
	int r = frame_read(c, &f, 0, -1, e);
	if (r == 0)
		r = data_check(c, &f, e);
	if (r < 0)
		return peer_fail(c, r, e);
	c->recv_seq++;
	*type = f.h.type;
	*p = f.p;
	*len = f.h.len;
	return 0;
}

int wire_try_recv(struct wire_conn *c, uint16_t *type, const uint8_t **p, size_t *len,
		  struct err *e)
{
	struct pollfd pf = {c->fd, POLLIN, 0};
	int n;
	while ((n = poll(&pf, 1, 0)) < 0 && errno == EINTR)
		;
	if (n == 0 && c->fd >= 0) {
		*type = 0;
		*p = NULL;
		*len = 0;
		return -EAGAIN;
	}
	return wire_recv(c, type, p, len, e);
}

/* Send a HELLO carrying our version, node, nonce and offer, and the server's choice of
 * cipher; the server's is tagged. */
static int hello_send(struct wire_conn *c, const struct hs *hs, int64_t deadline)
{
	uint8_t b[HELLO_LEN];
	put32(b, WIRE_VERSION);
	put32(b + 4, (uint32_t)hs->self);
	memcpy(b + 8, c->is_client ? hs->nonce_c : hs->nonce_s, NONCE_LEN);
	put32(b + 8 + NONCE_LEN, hs->offer);
	put32(b + 12 + NONCE_LEN, c->is_client ? 0 : c->cipher);
	return frame_send(c, WIRE_HELLO, b, sizeof(b), c->is_client ? SEND_CLEAR : SEND_HS, NULL,
			  deadline);
}

/* Parse the peer's HELLO: its node into hs->claimed, its nonce into nonce, its offer
 * and cipher into *offer and *cipher. */
static int hello_parse(const struct frame *f, struct hs *hs, uint8_t nonce[NONCE_LEN],
		       uint32_t *offer, uint32_t *cipher, struct err *e)
{
	if (f->h.len != HELLO_LEN)
		return err_setx(e, -EPROTO, "HELLO of %u bytes, expected %d", f->h.len, HELLO_LEN);
	uint32_t version = get32(f->p), node = get32(f->p + 4);
	if (version != WIRE_VERSION)
		return err_setx(e, -EPROTONOSUPPORT,
				"peer speaks wire version %u, this node speaks version %u", version,
				WIRE_VERSION);
	if (node > INT_MAX)
		return err_setx(e, -EPROTO, "HELLO with bad node number %u", node);
	hs->claimed = (int)node;
	memcpy(nonce, f->p + 8, NONCE_LEN);
	*offer = get32(f->p + 8 + NONCE_LEN);
	*cipher = get32(f->p + 12 + NONCE_LEN);
	return 0;
}

/* Tell the peer why we refuse the handshake: untagged, best effort, never waiting. */
__attribute__((format(printf, 3, 4))) static void hs_refuse(struct wire_conn *c, int code,
							    const char *fmt, ...)
{
	uint8_t b[4 + 200];
	va_list ap;
	put32(b, (uint32_t)code);
	va_start(ap, fmt);
	int n = vsnprintf((char *)b + 4, sizeof(b) - 4, fmt, ap);
	va_end(ap);
	n = n < 0 ? 0 : n > (int)sizeof(b) - 5 ? (int)sizeof(b) - 5 : n;
	frame_send(c, WIRE_ERROR, b, 4 + (size_t)n, SEND_CLEAR, NULL, now_ms());
}

/* Turn the peer's refusal into our error; its text is printed, not trusted. */
static int hs_refused(const struct frame *f, struct err *e)
{
	char text[201];
	size_t n = 0;
	int32_t code = f->h.len >= 4 ? (int32_t)get32(f->p) : 0;
	for (size_t i = 4; i < f->h.len && n < sizeof(text) - 1; i++)
		text[n++] = f->p[i] >= 0x20 && f->p[i] < 0x7f ? (char)f->p[i] : '?';
	text[n] = '\0';
	if (code == -EKEYREJECTED)
		return err_setx(e, -EKEYREJECTED,
				"authentication failed: the peer could not "
				"verify our HELLO (different cluster key?)");
	if (code == -ENOPROTOOPT)
		return err_setx(e, -ENOPROTOOPT, "the peer refused the handshake: %s", text);
	return err_setx(e, -ECONNREFUSED, "the peer refused the handshake: %s", text);
}

/* Refuse a peer that failed authentication, and say so. */
static int hs_auth_fail(struct wire_conn *c, const char *what, struct err *e)
{
	hs_refuse(c, -EKEYREJECTED, "authentication failed");
	return err_setx(e, -EKEYREJECTED,
			"authentication failed: %s does not verify (different cluster key?)", what);
}

/* Describe a failed handshake send. */
static int hs_send_fail(const struct hs *hs, int r, const char *what, struct err *e)
{
	if (r == -ETIMEDOUT)
		return err_setx(e, r, "could not send %s within %d ms", what, hs->timeout_ms);
	return err_set(e, r, "send %s", what);
}

/* Read the peer's next handshake frame: one of type want, or its refusal. */
static int hs_read(struct wire_conn *c, const struct hs *hs, struct frame *f, uint16_t want,
		   struct err *e)
{
	int r = frame_read(c, f, 1, hs->deadline, e);
	if (r == -ETIMEDOUT)
		return err_setx(e, r, "no %s within %d ms", type_name(want), hs->timeout_ms);
	if (r == -ECONNRESET)
		return err_setx(e, r, "connection closed while waiting for %s", type_name(want));
	if (r < 0)
		return r;
	if (f->h.type == WIRE_ERROR) {
		r = frame_check(c, f, 0, e);
		return r < 0 ? r : hs_refused(f, e);
	}
	if (f->h.type != want)
		return err_setx(e, -EPROTO, "expected %s, got a %s frame", type_name(want),
				type_name(f->h.type));
	return 0;
}

/* Client side: check the cipher the server chose (its HELLO verified): the one our
 * order of preference gives for what both offer. */
static int client_cipher(struct wire_conn *c, const struct hs *hs, uint32_t chosen, struct err *e)
{
	char ours[96], theirs[96];
	unsigned due = cipher_pick(hs->offer_c & hs->offer_s);
	if (chosen == due && due)
		return 0;
	offer_names(hs->offer_c, ours, sizeof(ours));
	offer_names(hs->offer_s, theirs, sizeof(theirs));
	if (!due)
		hs_refuse(c, -ENOPROTOOPT, "no cipher in common: node %d offers %s", hs->self,
			  ours);
	else
		hs_refuse(c, -ENOPROTOOPT, "cipher %s chosen where %s was due",
			  wire_cipher_name(chosen), wire_cipher_name(due));
	return err_setx(e, -ENOPROTOOPT,
			"the server chose cipher %s (0x%x); we offer %s, it offers %s: %s%s",
			wire_cipher_name(chosen), chosen, ours, theirs,
			due ? wire_cipher_name(due) : "no cipher in common", due ? " was due" : "");
}

/* Client side: HELLO out, the server's tagged HELLO in, READY out. */
static int client_run(struct wire_conn *c, struct hs *hs, struct err *e)
{
	struct frame f;
	uint32_t chosen = 0;
	randombytes_buf(hs->nonce_c, NONCE_LEN);
	hs->offer_c = hs->offer;
	int r = hello_send(c, hs, hs->deadline);
	if (r < 0)
		return hs_send_fail(hs, r, "HELLO", e);
	r = hs_read(c, hs, &f, WIRE_HELLO, e);
	if (r == 0)
		r = hello_parse(&f, hs, hs->nonce_s, &hs->offer_s, &chosen, e);
	if (r < 0)
		return r;
	session_derive(c->session, hs->key, hs, (uint32_t)hs->self, (uint32_t)hs->claimed, chosen);
	if (frame_check(c, &f, 1, NULL) < 0)
		return hs_auth_fail(c, "the server's HELLO", e);
	if ((r = client_cipher(c, hs, chosen, e)) < 0)
		return r;
	c->cipher = chosen;
	c->recv_seq = 1;
	r = frame_send(c, WIRE_READY, NULL, 0, SEND_HS, NULL, hs->deadline);
	if (r < 0)
		return hs_send_fail(hs, r, "READY", e);
	c->peer_node = hs->claimed;
	return 0;
}

/* Server side: choose the cipher from both offers, or refuse. */
static int server_cipher(struct wire_conn *c, const struct hs *hs, struct err *e)
{
	char ours[96], theirs[96];
	c->cipher = cipher_pick(hs->offer_c & hs->offer_s);
	if (c->cipher)
		return 0;
	offer_names(hs->offer_s, ours, sizeof(ours));
	offer_names(hs->offer_c, theirs, sizeof(theirs));
	hs_refuse(c, -ENOPROTOOPT, "no cipher in common: node %d offers %s", hs->self, ours);
	return err_setx(e, -ENOPROTOOPT, "no cipher in common: the peer offers %s, we offer %s",
			theirs, ours);
}

/* Server side: the client's HELLO in, our tagged HELLO out, its tagged READY in. */
static int server_run(struct wire_conn *c, struct hs *hs, struct err *e)
{
	struct frame f;
	uint32_t zero = 0;
	int r = hs_read(c, hs, &f, WIRE_HELLO, e);
	if (r == 0)
		r = frame_check(c, &f, 0, e);
	if (r == 0)
		r = hello_parse(&f, hs, hs->nonce_c, &hs->offer_c, &zero, e);
	if (r == 0 && zero)
		r = err_setx(e, -EPROTO, "client HELLO names a cipher (0x%x)", zero);
	if (r == -EPROTONOSUPPORT)
		hs_refuse(c, r, "node %d speaks wire version %u only", hs->self, WIRE_VERSION);
	if (r < 0)
		return r;
	c->recv_seq = 1;
	hs->offer_s = hs->offer;
	if ((r = server_cipher(c, hs, e)) < 0)
		return r;
	randombytes_buf(hs->nonce_s, NONCE_LEN);
	session_derive(c->session, hs->key, hs, (uint32_t)hs->claimed, (uint32_t)hs->self,
		       c->cipher);
	r = hello_send(c, hs, hs->deadline);
	if (r < 0)
		return hs_send_fail(hs, r, "HELLO", e);
	r = hs_read(c, hs, &f, WIRE_READY, e);
	if (r < 0)
		return r;
	if (f.h.len != 0 || frame_check(c, &f, 1, NULL) < 0)
		return hs_auth_fail(c, "the client's READY", e);
	c->recv_seq = 2;
	c->peer_node = hs->claimed;
	return 0;
}

/* Name the other end of fd for messages: "10.0.0.3:4141", "local peer". */
static void peer_addr(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];
	memset(&ss, 0, sizeof(ss));
	snprintf(out, size, "peer");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_UNIX)
		snprintf(out, size, "local peer");
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
		if (inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)))
			snprintf(out, size, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
		if (inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip)))
			snprintf(out, size, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
	}
}

/* Set c up for a handshake on fd; c owns fd from here on. */
static int hs_begin(struct wire_conn *c, int fd, int is_client, struct hs *hs, struct err *e)
{
	int one = 1;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer_node = -1;
	c->is_client = is_client;
	hs->claimed = -1;
	hs->deadline = hs->timeout_ms > 0 ? now_ms() + hs->timeout_ms : -1;
	if (fd < 0 || hs->self < 0)
		return err_setx(e, -EINVAL, "bad arguments (fd %d, node %d)", fd, hs->self);
	hs->offer = wire_ciphers(e);
	if (!hs->offer)
		return e ? e->code : -ENOPROTOOPT;
	/* Fails harmlessly on a socketpair; on TCP, small frames must not wait for ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->buf = xmalloc(HDR_LEN + WIRE_MAX_PAYLOAD);
	return 0;
}

/* End a handshake: on failure say with whom, then close the fd and free c. */
static int hs_end(struct wire_conn *c, const struct hs *hs, int r, struct err *e)
{
	char who[INET6_ADDRSTRLEN + 16];
	if (r == 0)
		return 0;
	if (e) {
		peer_addr(c->fd, who, sizeof(who));
		if (hs->claimed >= 0)
			err_prefix(e, "handshake with %s (node %d, unverified): ", who,
				   hs->claimed);
		else
			err_prefix(e, "handshake with %s: ", who);
	}
	wire_close(c);
	return r;
}

/* Run the handshake as the connecting side. */
int wire_client(struct wire_conn *c, int fd, const uint8_t key[32], int self_node, int timeout_ms,
		struct err *e)
{
	struct hs hs = {.key = key, .self = self_node, .timeout_ms = timeout_ms};
	int r = hs_begin(c, fd, 1, &hs, e);
	if (r == 0)
		r = client_run(c, &hs, e);
	return hs_end(c, &hs, r, e);
}

/* Run the handshake as the accepting side. */
int wire_server(struct wire_conn *c, int fd, const uint8_t key[32], int self_node, int timeout_ms,
		struct err *e)
{
	struct hs hs = {.key = key, .self = self_node, .timeout_ms = timeout_ms};
	int r = hs_begin(c, fd, 0, &hs, e);
	if (r == 0)
		r = server_run(c, &hs, e);
	return hs_end(c, &hs, r, e);
}

/* Parse a numeric IPv4 or IPv6 address and a port. */
static int addr_parse(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*sl = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*sl = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

/* Connect a non-blocking socket, waiting at most timeout_ms (<= 0: no limit). */
static int connect_wait(int fd, const struct sockaddr_storage *ss, socklen_t sl, int timeout_ms)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (connect(fd, (const struct sockaddr *)ss, sl) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	int r = wait_fd(fd, POLLOUT, timeout_ms > 0 ? now_ms() + timeout_ms : -1);
	if (r < 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

/* Connect to addr:port with a timeout; a blocking, close-on-exec, TCP_NODELAY fd. */
int wire_connect(const char *addr, uint16_t port, int timeout_ms, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;
	if (addr_parse(addr, port, &ss, &sl) < 0)
		return err_setx(e, -EINVAL, "connect %s:%u: not a numeric IP address", addr,
				(unsigned)port);
	_cleanup_close_ int fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "connect %s:%u: socket", addr, (unsigned)port);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return err_set(e, -errno, "connect %s:%u: TCP_NODELAY", addr, (unsigned)port);
	int r = connect_wait(fd, &ss, sl, timeout_ms);
	if (r == -ETIMEDOUT)
		return err_setx(e, r, "connect %s:%u: no answer within %d ms", addr, (unsigned)port,
				timeout_ms);
	if (r < 0)
		return err_set(e, r, "connect %s:%u", addr, (unsigned)port);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return err_set(e, -errno, "connect %s:%u: clear O_NONBLOCK", addr, (unsigned)port);
	return TAKE_FD(fd);
}

/* Release buffers, forget the session key and close the fd. */
void wire_close(struct wire_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	free(c->sbuf);
	c->sbuf = NULL;
	c->sbuf_size = 0;
	if (c->keys) {
		for (int i = 0; i < 2; i++)
			EVP_CIPHER_CTX_free(c->keys->d[i].ctx); /* (it wipes the key schedule) */
		sodium_memzero(c->keys, sizeof(*c->keys));
		free(c->keys);
		c->keys = NULL;
	}
	sodium_memzero(c->session, sizeof(c->session));
	c->cipher = 0;
	c->peer_node = -1;
}

/* Keepalive probes and a user timeout: a cut link fails a connection. */
void wire_set_liveness(int fd, int timeout_ms)
{
	int one = 1, idle = timeout_ms / 3000 > 0 ? timeout_ms / 3000 : 1, cnt = 3;
	unsigned ut = (unsigned)timeout_ms;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
}
