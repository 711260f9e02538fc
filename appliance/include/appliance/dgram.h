/* dgram.h: authenticated datagrams between nodes (gossip).
 *
 * One datagram, all integers little-endian:
 *   header  32 bytes: magic "MOSD" u32, version u16, type u16 (enum wire_type),
 *           len u32, from i32 (sender's node number), to i32 (the node it is
 *           for: a datagram replayed to another node is refused), pad u32 (0),
 *           counter u64
 *   payload len bytes (at most DGRAM_MAX_PAYLOAD)
 *   tag     16 bytes: BLAKE2b-128 over header || payload, keyed with
 *           BLAKE2b-256(key = cluster key, "mosix-dgram-v1")
 * The counter rises with every datagram a sender sends and starts, when the
 * sender starts, at its clock's microseconds: a receiver that keeps the
 * highest counter seen per sender drops replays, also of a sender's
 * datagrams from before it restarted. */
#ifndef APPLIANCE_DGRAM_H
#define APPLIANCE_DGRAM_H

#include <stddef.h>
#include <stdint.h>

#define DGRAM_MAGIC 0x44534f4du /* "MOSD" little-endian */
#define DGRAM_VERSION 1
#define DGRAM_HDR_LEN 32
#define DGRAM_TAG_LEN 16
#define DGRAM_MAX_PAYLOAD 16384
#define DGRAM_MAX (DGRAM_HDR_LEN + DGRAM_MAX_PAYLOAD + DGRAM_TAG_LEN)

struct dgram_hdr {
	uint32_t magic;
	uint16_t version, type;
	uint32_t len;
	int32_t from, to;
	uint64_t counter;
};

/* The datagram key from the cluster key. */
void dgram_key(const uint8_t cluster_key[32], uint8_t out[32]);
/* Write a datagram into out (at least DGRAM_MAX bytes). Its length, or
 * -EMSGSIZE when the payload is too big. */
int dgram_seal(const uint8_t key[32], uint16_t type, int32_t from, int32_t to, uint64_t counter,
	       const void *payload, size_t len, uint8_t *out);
/* Check a received datagram: 0 with *h and *payload (inside buf) set;
 * -EPROTO (not ours: magic or version), -EMSGSIZE (truncated, oversized,
 * or a length that does not match), -EBADMSG (the tag: forged or altered). */
int dgram_open(const uint8_t key[32], const uint8_t *buf, size_t n, struct dgram_hdr *h,
	       const uint8_t **payload);

#endif
