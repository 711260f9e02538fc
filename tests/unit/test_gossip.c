/* test_gossip.c: authenticated datagrams (appliance/dgram.c) and the gossip
 * core (guestd/daemon/gossip.c): windows, ages, dead nodes, and what a
 * receiver drops and counts. Time is simulated: no sockets, no sleeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/gossip.h"
#include "appliance/dgram.h"
#include "appliance/wire.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t other_key[32] = {9, 8, 7};

/* A datagram opens under its key only, and any change is caught. */
static void test_dgram_roundtrip_and_tamper(void **state)
{
	static uint8_t buf[DGRAM_MAX], k[32], k2[32];
	struct dgram_hdr h;
	const uint8_t *p;
	dgram_key(key, k);
	dgram_key(other_key, k2);
	int n = dgram_seal(k, WIRE_GOSSIP, 3, 1, 77, "hello", 5, buf);
	assert_int_equal(n, DGRAM_HDR_LEN + 5 + DGRAM_TAG_LEN);
	assert_int_equal(dgram_open(k, buf, (size_t)n, &h, &p), 0);
	assert_int_equal(h.from, 3);
	assert_int_equal(h.counter, 77);
	assert_int_equal(h.to, 1);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(dgram_open(k2, buf, (size_t)n, &h, &p), -EBADMSG);
	for (int i = 0; i < n; i++) { /* every byte is covered */
		buf[i] ^= 1;
		int rc = dgram_open(k, buf, (size_t)n, &h, &p);
		assert_true(rc == -EBADMSG || rc == -EPROTO || rc == -EMSGSIZE);
		buf[i] ^= 1;
	}
	assert_int_equal(dgram_open(k, buf, (size_t)n - 1, &h, &p), -EMSGSIZE);
	assert_int_equal(dgram_open(k, buf, 10, &h, &p), -EMSGSIZE); /* ours, cut */
	assert_int_equal(dgram_open(k, (const uint8_t *)"xxxxxxxxxx", 10, &h, &p), -EPROTO);
	assert_int_equal(dgram_seal(k, WIRE_GOSSIP, 1, 2, 1, buf, DGRAM_MAX_PAYLOAD + 1, buf),
			 -EMSGSIZE);
}

/* The closed forms give BALANCING.md's values. */
static void test_expected_ages(void **state)
{
	static const struct {
		size_t n;
		int w;
		double avg, max;
	} v[] = {{16, 8, 3.7, 6.1},
		 {64, 16, 6.4, 18.5},
		 {64, 20, 5.8, 14.8},
		 {256, 20, 15.3, 77.9},
		 {256, 40, 9.7, 39.0}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		double avg, max;
		gossip_expected(v[i].n, v[i].w, &avg, &max);
		assert_true(fabs(avg - v[i].avg) < 0.15);
		assert_true(fabs(max - v[i].max) < 0.15 * v[i].max / 10 + 0.15);
	}
}

/* n instances exchanging datagrams for steps steps (1000 ms each). */
struct sim {
	struct gossip *g[64];
	int nodes[64];
	size_t n;
};

static void sim_init(struct sim *s, size_t n, int window)
{
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->nodes[i] = (int)i + 1;
		s->g[i] = gossip_new((int)i + 1, key, window, 1000, n);
	}
}

static void sim_step(struct sim *s, int64_t now, int skip)
{
	static uint8_t buf[DGRAM_MAX];
	for (size_t i = 0; i < s->n; i++) {
		if ((int)i + 1 == skip)
			continue;
		struct node_info v;
		memset(&v, 0, sizeof(v));
		v.speed = 1000 * ((uint32_t)i + 1);
		gossip_set_self(s->g[i], &v, now);
		int to;
		size_t len = gossip_emit(s->g[i], s->nodes, s->n, now, &to, buf);
		int back =
		    len && to != skip ? gossip_take(s->g[to - 1], buf, len, now, NULL, NULL) : 0;
		if (back > 0) { /* a pull: the answer */
			assert_int_equal(back, (int)i + 1);
			len = gossip_answer(s->g[to - 1], back, now, buf);
			assert_int_equal(gossip_take(s->g[i], buf, len, now, NULL, NULL), 0);
		}
	}
}

static void sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++)
		gossip_free(s->g[i]);
}

/* Everyone learns everyone; a silent node is dead past the bound, and no
 * sooner than its last news ages past it. */
static void test_spread_and_death(void **state)
{
	struct sim s;
	static struct node_info v[64];
	sim_init(&s, 16, 8);
	int64_t now = 1000;
	for (int step = 0; step < 30; step++, now += 1000)
		sim_step(&s, now, 0);
	for (size_t i = 0; i < s.n; i++) {
		size_t k = gossip_snapshot(s.g[i], now, NULL, NULL, v, 64);
		assert_int_equal(k, 16);
		for (size_t j = 0; j < k; j++) {
			assert_true(v[j].age_ms < (uint64_t)gossip_dead_ms(s.g[i]));
			assert_int_equal(v[j].speed, 1000u * (uint32_t)v[j].node);
		}
	}
	/* a failed contact: down at once (once its last news is older than two
	 * steps: a forged ICMP error must not outweigh fresh news), the news
	 * spreads, the node's own fresher news undoes it */
	for (int step = 0; step < 3; step++, now += 1000)
		sim_step(&s, now, 7);
	assert_true(gossip_up(s.g[0], 7, now));
	gossip_failed(s.g[0], 7, now);
	assert_false(gossip_up(s.g[0], 7, now));
	int told = 0;
	for (int step = 0; step < 3; step++, now += 1000) {
		sim_step(&s, now, 7);
		for (size_t i = 1; i < s.n; i++)
			told += i != 6 && !gossip_up(s.g[i], 7, now);
	}
	assert_true(told > 0);
	for (int step = 0; step < 20; step++, now += 1000)
		sim_step(&s, now, 0);
	for (size_t i = 0; i < s.n; i++)
		assert_true(gossip_up(s.g[i], 7, now));
	int64_t dead = gossip_dead_ms(s.g[0]);
	for (int step = 0; step * 1000 <= dead + 2000; step++, now += 1000)
		sim_step(&s, now, 5); /* node 5 stops */
	size_t k = gossip_snapshot(s.g[0], now, NULL, NULL, v, 64);
	for (size_t j = 0; j < k; j++) {
		if (v[j].node == 5)
			assert_true((int64_t)v[j].age_ms > dead);
		else if ((int64_t)v[j].age_ms >= dead)
			fail_msg("node %d: age %llu ms, dead %lld", v[j].node,
				 (unsigned long long)v[j].age_ms, (long long)dead);
	}
	sim_free(&s);
}

/* Replayed, forged, cut, foreign and unknown datagrams are dropped,
 * counted, and change nothing. */
static void test_drops(void **state)
{
	static uint8_t buf[DGRAM_MAX], copy[DGRAM_MAX];
	static struct node_info v[8];
	struct gossip *a = gossip_new(1, key, 8, 1000, 3), *b = gossip_new(2, key, 8, 1000, 3);
	struct gossip *x = gossip_new(2, other_key, 8, 1000, 3);
	struct node_info me;
	int nodes[] = {1, 2, 3}, to;
	memset(&me, 0, sizeof(me));
	me.speed = 5;
	gossip_set_self(b, &me, 100);
	gossip_set_self(x, &me, 100);
	size_t len = gossip_emit(b, nodes + 0, 1, 100, &to, buf);
	assert_int_equal(to, 1);
	memcpy(copy, buf, len);
	struct gossip *c3 = gossip_new(3, key, 8, 1000, 3); /* meant for 1, not for 3 */
	assert_int_equal(gossip_take(c3, buf, len, 100, NULL, NULL), -EALREADY);
	gossip_free(c3);
	assert_int_equal(gossip_take(a, buf, len, 100, NULL, NULL), 0);
	assert_int_equal(gossip_take(a, copy, len, 200, NULL, NULL), -EALREADY);
	copy[30] ^= 4;
	assert_int_equal(gossip_take(a, copy, len, 200, NULL, NULL), -EBADMSG);
	assert_int_equal(gossip_take(a, buf, len - 3, 200, NULL, NULL), -EMSGSIZE);
	memset(copy, 'x', len);
	assert_int_equal(gossip_take(a, copy, len, 200, NULL, NULL), -EPROTO);
	size_t xl = gossip_emit(x, nodes, 1, 100, &to, copy);
	assert_int_equal(gossip_take(a, copy, xl, 200, NULL, NULL), -EBADMSG);
	const struct gossip_stats *st = gossip_stats(a);
	assert_int_equal(st->received, 1);
	assert_int_equal(st->replayed, 1);
	assert_int_equal(st->forged, 2);
	assert_int_equal(st->badsize, 1);
	assert_int_equal(st->garbage, 1);
	size_t k = gossip_snapshot(a, 300, NULL, NULL, v, 8);
	assert_int_equal(k, 1);
	assert_int_equal(v[0].node, 2);
	assert_int_equal(v[0].age_ms, 200);
	gossip_free(a);
	gossip_free(b);
	gossip_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dgram_roundtrip_and_tamper),
	    cmocka_unit_test(test_expected_ages),
	    cmocka_unit_test(test_spread_and_death),
	    cmocka_unit_test(test_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
