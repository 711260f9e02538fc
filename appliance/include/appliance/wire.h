/* wire.h: framed, versioned, authenticated and encrypted messages between nodes.
 *
 * Every frame: { magic "MOSW", version, type, length, sequence } then the
 * payload, then a 16-byte tag. After the handshake the payload is encrypted
 * with an AEAD (AES-256-GCM where both ends have the CPU's AES instructions,
 * else ChaCha20-Poly1305 IETF; OpenSSL's libcrypto computes them), the header
 * being its associated data; the key
 * is per connection and per direction, from the handshake, renewed every
 * 2^WIRE_REKEY_SHIFT frames; the nonce is the frame's sequence number and
 * direction: forged, altered, replayed, reordered or cross-connection frames
 * all fail, and no one without the cluster key reads a payload. The handshake:
 *   client -> HELLO  { version, node, nonce_c[24], offer_c, 0 }        (untagged)
 *   server -> HELLO  { version, node, nonce_s[24], offer_s, cipher } + tag
 *   client -> READY  {} + tag
 * (offers: the ciphers each side has, cipher: the server's choice, the
 * fastest both have). The session key is BLAKE2b of the cluster key over
 * both nonces, nodes, offers and the choice, so a changed offer or choice
 * fails authentication like a wrong key; the handshake tags are
 * ChaCha20-Poly1305 over header and payload, in clear, under the session
 * key. A peer with the wrong key, a wrong version, no cipher in common or a
 * bad tag gets the connection closed and a log line; no payload from it is
 * ever handed up. Frames are at most WIRE_MAX_PAYLOAD bytes. Byte layout
 * (little-endian, HELLO payload, keys, nonce and direction encoding,
 * sequence numbering): see the top of wire.c.
 */
#ifndef APPLIANCE_WIRE_H
#define APPLIANCE_WIRE_H

#include "appliance/err.h"

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC 0x57534f4du /* "MOSW" little-endian */
#define WIRE_VERSION 2	       /* 2: encrypted payloads, cipher negotiation */
#define WIRE_TAG_LEN 16
#define WIRE_MAX_PAYLOAD (4u << 20)
#define WIRE_REKEY_SHIFT 15 /* a new key per direction every 32768 frames (128 GiB at most) */

/* Ciphers of frames after the handshake, as bits of an offer. */
enum wire_cipher {
	WIRE_CIPHER_CHACHA20 = 1u << 0,	 /* ChaCha20-Poly1305 IETF */
	WIRE_CIPHER_AES256GCM = 1u << 1, /* AES-256-GCM (AES-NI and PCLMUL only) */
	WIRE_CIPHER_TAGONLY = 1u << 2,	 /* payload in clear, authenticated only (v1's frames):
					  * for measurements; never offered unless asked for */
	WIRE_CIPHERS_ALL = 7u
};

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_READY,
	WIRE_MIGRATE,	  /* a process arrives: struct wire_migrate, then WIRE_IMAGE frames */
	WIRE_IMAGE,	  /* image stream bytes */
	WIRE_IMAGE_END,	  /* end of the image stream */
	WIRE_STARTED,	  /* the body runs: { int32 status, char msg[] } */
	WIRE_SYSCALL,	  /* forwarded system call (body -> home) */
	WIRE_SYSRET,	  /* its result (home -> body) */
	WIRE_SIGNAL,	  /* deliver a signal to the body */
	WIRE_EXIT,	  /* the body ended: wait status */
	WIRE_GOHOME,	  /* bring the body home: its image follows as WIRE_IMAGE frames */
	WIRE_GOSSIP,	  /* node information */
	WIRE_ERROR,	  /* { int32 code, char msg[] } */
	WIRE_STOPPED,	  /* the body stopped (job control): struct mig_signal */
	WIRE_FORK,	  /* the body forked there: its child is to be adopted */
	WIRE_ADOPT,	  /* first frame: serve a body's forked child (struct mig_adopt) */
	WIRE_GOSSIP_PULL, /* node information, and the sender asks for the receiver's */
	WIRE_EXEC,   /* the body calls execve: struct mig_exec and its strings (body -> home) */
	WIRE_EXECED, /* it ran at home: end the body, its new program comes anew */
	WIRE_ASK,    /* first frame: a read-only local op's answer (ask.c): { u32 op } */
	WIRE_ANSWER, /* its answer: the op's text */
	WIRE__MAX
};

struct wire_hdr {
	uint32_t magic;
	uint16_t version, type;
	uint32_t len;
	uint32_t pad;
	uint64_t seq;
};

struct wire_keys;

/* One authenticated, encrypted connection. fd, peer_node, is_client, session,
 * send_seq, recv_seq and cipher are its whole state (a process may hand it to
 * another: localapi.c); the rest is derived and private to wire.c. */
struct wire_conn {
	int fd;
	int peer_node;
	int is_client;
	uint8_t session[32];
	uint64_t send_seq, recv_seq;
	uint8_t *buf;	 /* receive buffer, WIRE_MAX_PAYLOAD */
	uint32_t cipher; /* one WIRE_CIPHER_* bit, chosen in the handshake */
	uint8_t *sbuf;	 /* send buffer (wire_send's ciphertext), grown as needed */
	size_t sbuf_size;
	struct wire_keys *keys; /* per-direction keys of the current epochs; NULL: none yet */
};

/* Run the handshake as the connecting side / the accepting side. On success c
 * is ready; on failure the reason is in e (wrong key: "authentication failed").
 * timeout_ms bounds the whole handshake (<= 0: no bound). c owns fd from the call
 * on: on failure the fd is already closed and c released (wire_close is harmless).
 * fd must be a connected stream socket. Codes: -EKEYREJECTED (authentication
 * failed), -EPROTONOSUPPORT (another wire version), -ENOPROTOOPT (no cipher in
 * common, or a bad MOSIX_WIRE_CIPHERS), -ETIMEDOUT, -EBADMSG or -EPROTO (not
 * this protocol), -ECONNREFUSED (the peer refused), -ECONNRESET. */
int wire_client(struct wire_conn *c, int fd, const uint8_t key[32], int self_node, int timeout_ms,
		struct err *e);
int wire_server(struct wire_conn *c, int fd, const uint8_t key[32], int self_node, int timeout_ms,
		struct err *e);
/* Send one frame. 0 or negative code. */
int wire_send(struct wire_conn *c, uint16_t type, const void *p, size_t len, struct err *e);
/* wire_send, encrypting p in place (no send buffer): p holds ciphertext after. */
int wire_send_inplace(struct wire_conn *c, uint16_t type, void *p, size_t len, struct err *e);
/* Receive one frame: *type, *p (valid until the next call), *len. 0 or
 * negative code (-ECONNRESET at a clean close, -EBADMSG for a bad tag). */
/* -EBADMSG also covers a bad header, a replayed or reordered frame and a close
 * inside a frame. On a non-blocking fd (or one with SO_RCVTIMEO) -EAGAIN means no
 * frame has begun; a frame that has begun is waited for. After any other error
 * the stream is unusable: close the connection. Nothing is delivered on error. */
int wire_recv(struct wire_conn *c, uint16_t *type, const uint8_t **p, size_t *len, struct err *e);
/* wire_recv, but only when a frame has started to arrive: -EAGAIN at once
 * (nothing is set in e) when none waits. For event loops, where readiness seen
 * earlier may be stale: a frame may have been consumed meanwhile. */
int wire_try_recv(struct wire_conn *c, uint16_t *type, const uint8_t **p, size_t *len,
		  struct err *e);
/* Connect to addr:port with a timeout. fd or negative code. */
int wire_connect(const char *addr, uint16_t port, int timeout_ms, struct err *e);
/* Make a dead peer or a cut link an error within about timeout_ms, even on
 * an idle connection (TCP keepalive and TCP_USER_TIMEOUT). */
void wire_set_liveness(int fd, int timeout_ms);
/* Release buffers, forget the keys and close the fd. */
void wire_close(struct wire_conn *c);

/* The ciphers this process offers in handshakes: AES-256-GCM when the CPU has
 * AES-NI and PCLMUL, and ChaCha20-Poly1305; or those that MOSIX_WIRE_CIPHERS
 * names ("aes256gcm,chacha20poly1305,tagonly", any of them; not read by a
 * setuid or setgid process) or wire_set_ciphers set. 0 (e says why) for a bad
 * MOSIX_WIRE_CIPHERS, or when nothing it names can run here. */
unsigned wire_ciphers(struct err *e);
/* Offer only the ciphers of mask from now on (tests, benchmarks); 0: the default. */
void wire_set_ciphers(unsigned mask);
/* A cipher's name ("aes256gcm", "chacha20poly1305", "tagonly"; "none" for 0). */
const char *wire_cipher_name(unsigned cipher);

#endif
