/* dgram.c: authenticated datagrams. */
#include "appliance/dgram.h"

#include <endian.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#define DGRAM_LABEL "mosix-dgram-v1"

/* Derive the datagram key. */
void dgram_key(const uint8_t cluster_key[32], uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)DGRAM_LABEL, sizeof(DGRAM_LABEL) - 1,
			   cluster_key, 32);
}

/* The tag of header || payload. */
static void dgram_tag(const uint8_t key[32], const uint8_t *buf, size_t len, uint8_t *tag)
{
	crypto_generichash(tag, DGRAM_TAG_LEN, buf, len, key, 32);
}

/* Header fields to bytes. */
static void dgram_put(uint8_t *o, const struct dgram_hdr *h)
{
	uint32_t m = htole32(h->magic), l = htole32(h->len), f = htole32((uint32_t)h->from);
	uint32_t t2 = htole32((uint32_t)h->to), pad = 0;
	uint16_t v = htole16(h->version), t = htole16(h->type);
	uint64_t c = htole64(h->counter);
	memcpy(o, &m, 4);
	memcpy(o + 4, &v, 2);
	memcpy(o + 6, &t, 2);
	memcpy(o + 8, &l, 4);
	memcpy(o + 12, &f, 4);
	memcpy(o + 16, &t2, 4);
	memcpy(o + 20, &pad, 4);
	memcpy(o + 24, &c, 8);
}

/* Bytes to header fields. */
static void dgram_get(const uint8_t *o, struct dgram_hdr *h)
{
	uint32_t m, l, f, t2;
	uint16_t v, t;
	uint64_t c;
	memcpy(&m, o, 4);
	memcpy(&v, o + 4, 2);
	memcpy(&t, o + 6, 2);
	memcpy(&l, o + 8, 4);
	memcpy(&f, o + 12, 4);
	memcpy(&t2, o + 16, 4);
	memcpy(&c, o + 24, 8);
	h->magic = le32toh(m);
	h->version = le16toh(v);
	h->type = le16toh(t);
	h->len = le32toh(l);
	h->from = (int32_t)le32toh(f);
	h->to = (int32_t)le32toh(t2);
	h->counter = le64toh(c);
}

/* Seal. */
int dgram_seal(const uint8_t key[32], uint16_t type, int32_t from, int32_t to, uint64_t counter,
	       const void *payload, size_t len, uint8_t *out)
{
	if (len > DGRAM_MAX_PAYLOAD)
		return -EMSGSIZE;
	struct dgram_hdr h = {DGRAM_MAGIC, DGRAM_VERSION, type, (uint32_t)len, from, to, counter};
	dgram_put(out, &h);
	if (len)
		memcpy(out + DGRAM_HDR_LEN, payload, len);
	dgram_tag(key, out, DGRAM_HDR_LEN + len, out + DGRAM_HDR_LEN + len);
	return (int)(DGRAM_HDR_LEN + len + DGRAM_TAG_LEN);
}

/* Open. */
int dgram_open(const uint8_t key[32], const uint8_t *buf, size_t n, struct dgram_hdr *h,
	       const uint8_t **payload)
{
	uint8_t tag[DGRAM_TAG_LEN];
	if (n < DGRAM_HDR_LEN + DGRAM_TAG_LEN)
		return n >= 4 && !memcmp(buf, "MOSD", 4) ? -EMSGSIZE : -EPROTO;
	dgram_get(buf, h);
	if (h->magic != DGRAM_MAGIC || h->version != DGRAM_VERSION)
		return -EPROTO;
	if (h->len > DGRAM_MAX_PAYLOAD || n != DGRAM_HDR_LEN + (size_t)h->len + DGRAM_TAG_LEN)
		return -EMSGSIZE;
	dgram_tag(key, buf, DGRAM_HDR_LEN + h->len, tag);
	if (sodium_memcmp(tag, buf + DGRAM_HDR_LEN + h->len, DGRAM_TAG_LEN))
		return -EBADMSG;
	*payload = buf + DGRAM_HDR_LEN;
	return 0;
}
