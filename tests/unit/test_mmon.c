/* test_mmon.c: mmon's data and drawing on a fake view (no terminal, no
 * guestd): parsing guestd's node table, bar lengths and scales, colours,
 * the columns and numbers of a narrow screen, DEAD nodes, the bottom line,
 * keys, and the JSON snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "draw.h"
#include "keys.h"
#include "mon.h"
#include "view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A node table as guestd writes it: node 1 (this one) runs 2 processes on
 * one standard core, node 2 one process on two cores of half speed...,
 * node 3 is unreachable, node 4 is in the map but never heard of; node 5
 * speaks the older 16-field line. */
static const char table[] =
    "dead_ms 5000 sent 1 received 1 garbage 0 badsize 0 forged 0 replayed 0 unknown 0 "
    "unreachable 0\n"
    "1 0 1 10000 1000 1 2000 2000 2 0 0 0 262144 131072 0 75 12 3 1024 512 400\n"
    "2 800 1 5000 2000 2 1000 1000 0 1 1 5 524288 524288 0 3700 0 40 0 0 400\n"
    "3 9000 0 10000 1000 1 0 0 0 0 0 16 262144 262144 0 10 0 0 0 0 400\n"
    "5 300 1 10000 1000 1 0 0 0 0 0 0 262144 200000 0 100000\n";
static const char map[] = "1 10.77.0.1\n2 10.77.0.2\n3 10.77.0.3\n4 10.77.0.4\n5 10.77.0.5\n";

static struct view v;

static int setup(void **state)
{
	assert_int_equal(view_parse(&v, table, map, 1), 0);
	return 0;
}

/* Count cells of character ch in column x from row y0 to y1. */
static int count_col(const struct canvas *c, int x, int y0, int y1, char ch)
{
	int n = 0;
	for (int y = y0; y <= y1; y++)
		n += c->ch[y * c->w + x] == ch;
	return n;
}

/* The text of row y. */
static const char *row(const struct canvas *c, int y)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%.*s", c->w, c->ch + y * c->w);
	return buf;
}

/* Does any row contain s? */
static int shows(const struct canvas *c, const char *s)
{
	for (int y = 0; y < c->h; y++)
		if (strstr(row(c, y), s))
			return 1;
	return 0;
}

static void test_parse(void **state)
{
	assert_int_equal(v.count, 5);
	assert_true(v.ok);
	assert_int_equal(v.self, 1);
	assert_true(v.dead_s > 4.99 && v.dead_s < 5.01);
	const struct view_node *a = view_node(&v, 1), *b = view_node(&v, 2);
	assert_true(a->self && !b->self);
	assert_true(a->load > 1.99 && a->load < 2.01); /* 2 runnable on one standard core */
	assert_true(b->load > 0.99 && b->load < 1.01); /* 1 on 2 cores of half speed */
	assert_true(b->util > 0.49 && b->util < 0.51);
	assert_true(a->util > 0.99);
	assert_int_equal((int)a->mem_total_mb, 256);
	assert_int_equal((int)a->mem_free_mb, 128);
	assert_int_equal(b->frozen, 1);
	assert_int_equal(b->status, VIEW_ST_STAY | VIEW_ST_BLOCK);
	assert_string_equal(a->version, "0.4");
	assert_true(a->io_kbs == 12 && a->net_kbs == 3);
	assert_int_equal(view_node(&v, 3)->dead, VIEW_UNREACHABLE);
	assert_int_equal(view_node(&v, 4)->dead, VIEW_NO_NEWS);
	assert_true(view_node(&v, 5)->io_kbs < 0); /* an older guestd: not measured */
	assert_int_equal(view_node(&v, 5)->dead, VIEW_ALIVE);
	assert_int_equal(view_find(map, "n3"), 3);
	assert_int_equal(view_find(map, "10.77.0.2"), 2);
	assert_int_equal(view_find(map, "7"), 0);
	assert_int_equal(view_parse(&v, "garbage", map, 1), -EINVAL);
	setup(state);
}

static void test_bars_and_scales(void **state)
{
	assert_int_equal(draw_bar_len(0, 2, 10), 0);
	assert_int_equal(draw_bar_len(2, 2, 10), 10);
	assert_int_equal(draw_bar_len(1, 2, 10), 5);
	assert_int_equal(draw_bar_len(0.01, 2, 10), 1); /* a little shows */
	assert_int_equal(draw_bar_len(5, 2, 10), 10);	/* never past the top */
	assert_true(draw_scale_top(1.3, 1) == 2);
	assert_true(draw_scale_top(2.2, 1) == 2.5);
	assert_true(draw_scale_top(0.2, 1) == 1);
	assert_true(draw_scale_top(730, 1) == 1000);
	assert_int_equal(draw_threshold(0.49), DA_OK);
	assert_int_equal(draw_threshold(0.5), DA_CAREFUL);
	assert_int_equal(draw_threshold(0.7), DA_WARNING);
	assert_int_equal(draw_threshold(0.95), DA_CRITICAL);
	char s[16];
	draw_value(1536, DV_MB, s, sizeof(s));
	assert_string_equal(s, "1.5G");
	draw_value(0.456, DV_PCT, s, sizeof(s));
	assert_string_equal(s, "46%");
}

/* 80x24, load: node 1's bar (load 2) is twice node 2's (load 1), red. */
static void test_load_screen(void **state)
{
	struct draw_ui u;
	struct canvas c;
	draw_ui_init(&u);
	canvas_init(&c, 80, 24);
	draw_screen(&c, &u, &v);
	assert_non_null(strstr(row(&c, 0), "Load"));
	assert_non_null(strstr(row(&c, 23), "[Nodes: 5][Live: 3][Info age:"));
	int x1 = -1;
	for (int x = 0; x < c.w; x++) /* node 1's column: its number on row 22 */
		if (c.ch[22 * c.w + x] == '1') {
			x1 = x;
			break;
		}
	assert_true(x1 > 0);
	int colw = 8; /* five nodes in 72 columns: 8 each, automatically */
	int h1 = count_col(&c, x1, 2, 20, '#'), h2 = count_col(&c, x1 + colw, 2, 20, '#');
	assert_true(h1 > 0 && h2 > 0);
	assert_true(abs(h1 - 2 * h2) <= 1);
	assert_int_equal(c.attr[20 * c.w + x1], DA_CRITICAL); /* fully busy */
	assert_true(shows(&c, "2.00") && shows(&c, "1.00"));
	assert_true(shows(&c, "DEAD") && shows(&c, "unreach") && shows(&c, "no news"));
	canvas_free(&c);
}

/* 30 columns, 12 nodes: narrow columns, two-digit numbers vertical, a
 * scroll mark, the short bottom line. */
static void test_narrow_screen(void **state)
{
	static struct view many;
	char t[4096], m[1024];
	size_t at = 0, am = 0;
	at += (size_t)snprintf(t, sizeof(t), "dead_ms 5000\n");
	for (int k = 1; k <= 12; k++) {
		at += (size_t)snprintf(
		    t + at, sizeof(t) - at,
		    "%d 100 1 10000 1000 1 %d %d 0 0 0 0 262144 131072 0 5 0 0 0 0 "
		    "400\n",
		    k, k * 100, k * 100);
		am += (size_t)snprintf(m + am, sizeof(m) - am, "%d 10.77.0.%d\n", k, k);
	}
	assert_int_equal(view_parse(&many, t, m, 1), 0);
	struct draw_ui u;
	struct canvas c;
	draw_ui_init(&u);
	canvas_init(&c, 30, 20);
	draw_screen(&c, &u, &many);
	assert_non_null(strstr(row(&c, 19), "[N:12][L:12]"));
	assert_int_equal(c.ch[16 * c.w + 29], '>'); /* more to the right */
	/* 11 columns of 2 fit: node 10 shows as 1 over 0 */
	int colw, fit;
	draw_columns(&u, 30, 12, &colw, &fit);
	assert_int_equal(colw, 2);
	assert_int_equal(fit, 11);
	assert_int_equal(c.ch[17 * c.w + 7 + 9 * 2], '1');
	assert_int_equal(c.ch[18 * c.w + 7 + 9 * 2], '0');
	/* End scrolls: node 12 is seen, node 1 is not, and a mark says so */
	keys_handle(&u, &many, m, K_END, 30);
	draw_screen(&c, &u, &many);
	assert_int_equal(c.ch[16 * c.w + 6], '<');
	assert_int_equal(c.ch[17 * c.w + 7 + 10 * 2], '1');
	assert_int_equal(c.ch[18 * c.w + 7 + 10 * 2], '2');
	canvas_free(&c);
	/* -w: numbers across, cut to the column; -v: down, even where they fit */
	draw_ui_init(&u);
	u.numbers = 2;
	canvas_init(&c, 30, 20);
	draw_screen(&c, &u, &many);
	assert_int_equal(c.ch[18 * c.w + 7 + 9 * 2], '1'); /* node 10, cut */
	assert_int_equal(c.ch[18 * c.w + 7 + 0 * 2], '1'); /* node 1 */
	canvas_free(&c);
	u.numbers = 1;
	canvas_init(&c, 80, 20);
	draw_screen(&c, &u, &many); /* 12 columns of 6 */
	assert_int_equal(c.ch[17 * c.w + 7], ' ');
	assert_int_equal(c.ch[18 * c.w + 7], '1');
	assert_int_equal(c.ch[17 * c.w + 7 + 11 * 6], '1');
	assert_int_equal(c.ch[18 * c.w + 7 + 11 * 6], '2');
	canvas_free(&c);
}

static void test_keys(void **state)
{
	struct draw_ui u;
	draw_ui_init(&u);
	keys_handle(&u, &v, map, 'l', 80);
	assert_int_equal(u.disp, DD_LOAD);
	assert_int_equal(u.variant, 1); /* l again: frozen load */
	keys_handle(&u, &v, map, 'l', 80);
	keys_handle(&u, &v, map, 'l', 80);
	assert_int_equal(u.variant, 0); /* round */
	keys_handle(&u, &v, map, 'm', 80);
	assert_true(u.disp == DD_MEM && u.variant == 0);
	keys_handle(&u, &v, map, 'h', 80);
	assert_true(u.help);
	keys_handle(&u, &v, map, K_DOWN, 80);
	assert_int_equal(u.help_top, 1);
	keys_handle(&u, &v, map, 'h', 80);
	assert_false(u.help);
	assert_int_equal(keys_handle(&u, &v, map, 'q', 80), KA_DRAW);
	assert_true(u.quit_ask);
	assert_int_equal(keys_handle(&u, &v, map, 'n', 80), KA_DRAW);
	assert_false(u.quit_ask);
	keys_handle(&u, &v, map, 'q', 80);
	assert_int_equal(keys_handle(&u, &v, map, 'y', 80), KA_QUIT);
	assert_int_equal(keys_handle(&u, &v, map, 'Q', 80), KA_QUIT);
	keys_handle(&u, &v, map, 'd', 80);
	static int idx[VIEW_MAX_NODES];
	assert_int_equal(draw_shown(&u, &v, idx, VIEW_MAX_NODES), 3); /* 3 and 4 hidden */
	keys_handle(&u, &v, map, '/', 80);
	keys_handle(&u, &v, map, '5', 80);
	keys_handle(&u, &v, map, K_ENTER, 80);
	assert_int_equal(u.cursor, 2); /* 1, 2, 5 shown */
	assert_int_equal(keys_handle(&u, &v, map, K_ENTER, 80), KA_DETAIL);
	assert_int_equal(u.detail, 5);
	keys_handle(&u, &v, map, K_ESC, 80);
	assert_int_equal(u.detail, 0);
	keys_handle(&u, &v, map, '+', 80);
	assert_true(u.delay_s < 1);
}

static void test_json(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	struct draw_ui u;
	draw_ui_init(&u);
	FILE *f = open_memstream(&buf, &len);
	mon_json_print(&u, &v, f);
	fclose(f);
	assert_non_null(
	    strstr(buf, "{\"node\": 1, \"self\": true, \"state\": \"up\", \"reason\": null"));
	assert_non_null(strstr(buf, "\"node\": 3, \"self\": false, \"state\": \"down\", "
				    "\"reason\": \"unreachable\""));
	assert_non_null(strstr(buf, "\"status\": [\"stay\", \"block\"]"));
	assert_non_null(strstr(buf, "\"total\": 5, \"live\": 3"));
	free(buf);
}

static void test_unavailable(void **state)
{
	static struct view none;
	struct draw_ui u;
	struct canvas c;
	draw_ui_init(&u);
	snprintf(none.why, sizeof(none.why), "guestd is not running on this node");
	canvas_init(&c, 80, 24);
	draw_screen(&c, &u, &none);
	assert_true(shows(&c, "Information is not available"));
	assert_true(shows(&c, "guestd is not running"));
	canvas_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_parse, setup),
	    cmocka_unit_test_setup(test_bars_and_scales, setup),
	    cmocka_unit_test_setup(test_load_screen, setup),
	    cmocka_unit_test_setup(test_narrow_screen, setup),
	    cmocka_unit_test_setup(test_keys, setup),
	    cmocka_unit_test_setup(test_json, setup),
	    cmocka_unit_test_setup(test_unavailable, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
