/* wire.c: framed, versioned, authenticated messages between nodes.
 *
 * On the wire, all integers little-endian:
 *   header   24 bytes: magic u32, version u16, type u16, len u32, pad u32 (0), seq u64
 *   payload  len bytes (at most WIRE_MAX_PAYLOAD; HS_MAX during the handshake)
 *   tag      16 bytes: what crypto_aead_chacha20poly1305_ietf_encrypt_detached gives for an
 *            empty message with header || payload as additional data, under the session
 *            key, with nonce = seq u64 || direction u32 (DIR_C2S or DIR_S2C). An untagged
 *            frame (the client's HELLO, a handshake refusal) carries 16 zero bytes.
 * Each direction numbers its frames from 0, handshake included: the client sends HELLO
 * (seq 0), READY (1), then data from 2; the server sends HELLO (0), then data from 1.
 * HELLO payload, 32 bytes: version u32, node u32, nonce u8[24]. The session key is
 * BLAKE2b-256 keyed with the cluster key over
 *   "mosix-session-v1" || nonce_c || nonce_s || node_c u32 || node_s u32.
 * A side that refuses a handshake first sends an untagged WIRE_ERROR { code i32 (negative
 * errno), text }: only a hint for the other side's message, since it is not authenticated.
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
#define HELLO_LEN 32
#define NONCE_LEN 24
#define HS_MAX 512 /* largest frame accepted before the peer is authenticated */
#define DIR_C2S 1u
#define DIR_S2C 2u
#define SESSION_LABEL "mosix-session-v1"

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

/* Check a received frame's tag (its header and payload lie together in buf). The
 * ciphertext is empty; libsodium wants a non-NULL pointer for it all the same. */
static int tag_ok(const struct wire_conn *c, const struct frame *f)
{
	uint8_t n[12];
	nonce_make(n, f->h.seq, !c->is_client);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		   NULL, NULL, f->tag, 0, f->tag, c->buf, HDR_LEN + f->h.len, n, c->session) == 0;
}

/* Derive the session key from the cluster key and both HELLOs. */
static void session_derive(uint8_t out[32], const uint8_t key[32], const struct hs *hs,
			   uint32_t node_c, uint32_t node_s)
{
	uint8_t in[sizeof(SESSION_LABEL) - 1 + 2 * NONCE_LEN + 8];
	uint8_t *q = in;
	memcpy(q, SESSION_LABEL, sizeof(SESSION_LABEL) - 1);
	q += sizeof(SESSION_LABEL) - 1;
	memcpy(q, hs->nonce_c, NONCE_LEN);
	memcpy(q + NONCE_LEN, hs->nonce_s, NONCE_LEN);
	put32(q + 2 * NONCE_LEN, node_c);
	put32(q + 2 * NONCE_LEN + 4, node_s);
	crypto_generichash(out, 32, in, sizeof(in), key, 32);
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

/* Send one frame, tagged or not, and count it. 0 or a negative code. */
static int frame_send(struct wire_conn *c, uint16_t type, const void *p, size_t len, int tagged,
		      int64_t deadline)
{
	uint8_t hdr[HDR_LEN], tag[WIRE_TAG_LEN] = {0};
	struct wire_hdr h = {WIRE_MAGIC, WIRE_VERSION, type, (uint32_t)len, 0, c->send_seq};
	hdr_pack(hdr, &h);
	if (tagged) {
		uint8_t n[12];
		nonce_make(n, c->send_seq, c->is_client);
		tag_frame(tag, c->session, n, hdr, p, len);
	}
	struct iovec iov[3] = {{hdr, HDR_LEN}, {(void *)p, len}, {tag, WIRE_TAG_LEN}};
	int r = io_send(c->fd, iov, 3, deadline);
	if (r == 0)
		c->send_seq++;
	return r;
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

/* Accept a read frame if its tag (or, untagged, its zero tag) and its sequence
 * number are right. */
static int frame_check(const struct wire_conn *c, const struct frame *f, int tagged, struct err *e)
{
	const char *t = type_name(f->h.type);
	if (tagged && !tag_ok(c, f))
		return err_setx(e, -EBADMSG, "%s frame (seq %llu, %u bytes) fails authentication",
				t, (unsigned long long)f->h.seq, f->h.len);
	if (!tagged && !sodium_is_zero(f->tag, WIRE_TAG_LEN))
		return err_setx(e, -EBADMSG, "untagged %s frame carries a tag", t);
	if (f->h.seq != c->recv_seq)
		return err_setx(e, -EBADMSG,
				"%s frame has seq %llu, expected %llu (replayed or reordered)", t,
				(unsigned long long)f->h.seq, (unsigned long long)c->recv_seq);
	return 0;
}

/* Prefix e with the peer's node, keeping code r even when e is NULL. */
static int peer_fail(const struct wire_conn *c, int r, struct err *e)
{
	if (e)
		err_prefix(e, "frame from node %d: ", c->peer_node);
	return r;
}

/* Send one authenticated frame. */
int wire_send(struct wire_conn *c, uint16_t type, const void *p, size_t len, struct err *e)
{
	if (c->fd < 0 || !c->buf)
		return err_setx(e, -EBADF, "send: connection not established");
	if (type < WIRE_MIGRATE || type >= WIRE__MAX || len > WIRE_MAX_PAYLOAD || (len && !p))
		return err_setx(e, -EINVAL, "send to node %d: bad frame (type %u, %zu bytes)",
				c->peer_node, type, len);
	if (c->send_seq == UINT64_MAX)
		return err_setx(e, -EOVERFLOW, "send to node %d: sequence numbers exhausted",
				c->peer_node);
	int r = frame_send(c, type, p, len, 1, -1);
	if (r < 0)
		return err_set(e, r, "send %s frame to node %d", type_name(type), c->peer_node);
	return 0;
}

/* Receive one authenticated frame. */
int wire_recv(struct wire_conn *c, uint16_t *type, const uint8_t **p, size_t *len, struct err *e)
{
	struct frame f;
	*type = 0;
	*p = NULL;
	*len = 0;
	if (c->fd < 0 || !c->buf)
		return err_setx(e, -EBADF, "receive: connection not established");
	int r = frame_read(c, &f, 0, -1, e);
	if (r == 0)
		r = frame_check(c, &f, 1, e);
	if (r == 0 && f.h.type < WIRE_MIGRATE)
		r = err_setx(e, -EPROTO, "%s frame after the handshake", type_name(f.h.type));
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

/* Send a HELLO carrying our version, node and nonce; the server's is tagged. */
static int hello_send(struct wire_conn *c, const struct hs *hs, int64_t deadline)
{
	uint8_t b[HELLO_LEN];
	put32(b, WIRE_VERSION);
	put32(b + 4, (uint32_t)hs->self);
	memcpy(b + 8, c->is_client ? hs->nonce_c : hs->nonce_s, NONCE_LEN);
	return frame_send(c, WIRE_HELLO, b, sizeof(b), !c->is_client, deadline);
}

/* Parse the peer's HELLO: its node into hs->claimed, its nonce into nonce. */
static int hello_parse(const struct frame *f, struct hs *hs, uint8_t nonce[NONCE_LEN],
		       struct err *e)
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
	frame_send(c, WIRE_ERROR, b, 4 + (size_t)n, 0, now_ms());
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

/* Client side: HELLO out, the server's tagged HELLO in, READY out. */
static int client_run(struct wire_conn *c, struct hs *hs, struct err *e)
{
	struct frame f;
	randombytes_buf(hs->nonce_c, NONCE_LEN);
	int r = hello_send(c, hs, hs->deadline);
	if (r < 0)
		return hs_send_fail(hs, r, "HELLO", e);
	r = hs_read(c, hs, &f, WIRE_HELLO, e);
	if (r == 0)
		r = hello_parse(&f, hs, hs->nonce_s, e);
	if (r < 0)
		return r;
	session_derive(c->session, hs->key, hs, (uint32_t)hs->self, (uint32_t)hs->claimed);
	if (frame_check(c, &f, 1, NULL) < 0)
		return hs_auth_fail(c, "the server's HELLO", e);
	c->recv_seq = 1;
	r = frame_send(c, WIRE_READY, NULL, 0, 1, hs->deadline);
	if (r < 0)
		return hs_send_fail(hs, r, "READY", e);
	c->peer_node = hs->claimed;
	return 0;
}

/* Server side: the client's HELLO in, our tagged HELLO out, its tagged READY in. */
static int server_run(struct wire_conn *c, struct hs *hs, struct err *e)
{
	struct frame f;
	int r = hs_read(c, hs, &f, WIRE_HELLO, e);
	if (r == 0)
		r = frame_check(c, &f, 0, e);
	if (r == 0)
		r = hello_parse(&f, hs, hs->nonce_c, e);
	if (r == -EPROTONOSUPPORT)
		hs_refuse(c, r, "node %d speaks wire version %u only", hs->self, WIRE_VERSION);
	if (r < 0)
		return r;
	c->recv_seq = 1;
	randombytes_buf(hs->nonce_s, NONCE_LEN);
	session_derive(c->session, hs->key, hs, (uint32_t)hs->claimed, (uint32_t)hs->self);
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
	int r = sodium_ready(e);
	if (r < 0)
		return r;
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
	sodium_memzero(c->session, sizeof(c->session));
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
