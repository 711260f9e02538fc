/* test_cluster.c: the cluster map and key: round trip, every refusal, a full-size map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "appliance/cluster.h"
#include "appliance/err.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GOOD_KEY "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
#define GOOD_MAP "cluster t\nnode 1 10.0.0.1\nnode 2 10.0.0.2\nself 2\n"

/* A fresh temporary directory per test. */
static int setup(void **state)
{
	char *dir = xstrdup("/tmp/test_cluster.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

/* Remove the test's directory. */
static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", (char *)*state);
	int r = system(cmd);
	free(cmd);
	free(*state);
	return r == 0 ? 0 : -1;
}

/* Write DIR/NAME with the given text and mode. */
static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(util_write_full(fd, text, strlen(text)), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(path);
}

/* Load a map and key that must be refused with code; the message must contain want. */
static void refused(const char *dir, const char *map, const char *key, int code, const char *want)
{
	struct cluster c;
	struct err e;
	if (map)
		put(dir, "cluster.conf", map, 0644);
	if (key)
		put(dir, "cluster.key", key, 0600);
	err_clear(&e);
	int r = cluster_load(dir, &c, &e);
	if (r != code || !strstr(e.msg, want))
		print_error("load gave %d '%s', want %d '...%s...'\n", r, e.msg, code, want);
	assert_int_equal(r, code);
	assert_non_null(strstr(e.msg, want));
	assert_null(c.nodes);
	assert_int_equal(c.nnodes, 0);
}

/* What cluster_write writes, cluster_load reads back, into a directory it creates. */
static void test_round_trip(void **state)
{
	char *dir = xasprintf("%s/a/b/etc", (char *)*state);
	struct cluster_node nodes[] = {{1, "10.77.0.1"}, {2, "10.77.0.2"}, {5, "192.168.1.5"}};
	struct cluster c = {.name = "lab", .self = 2, .port = 5000, .nnodes = 3, .nodes = nodes};
	struct cluster got;
	struct err e;
	struct stat st;
	assert_int_equal(cluster_new_key(c.key, &e), 0);
	assert_int_equal(cluster_write(dir, &c, &e), 0);
	assert_int_equal(cluster_load(dir, &got, &e), 0);
	assert_string_equal(got.name, "lab");
	assert_int_equal(got.self, 2);
	assert_int_equal(got.port, 5000);
	assert_int_equal(got.nnodes, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(got.nodes[i].num, nodes[i].num);
		assert_string_equal(got.nodes[i].addr, nodes[i].addr);
	}
	assert_memory_equal(got.key, c.key, CLUSTER_KEY_LEN);
	char *key = xasprintf("%s/cluster.key", dir), *conf = xasprintf("%s/cluster.conf", dir);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	char *text = NULL;
	assert_true(util_read_file(conf, &text) > 0);
	assert_int_equal(text[0], '#');
	free(text);

	/* Rewriting replaces both files in place; no temporary files are left. */
	c.self = 5;
	assert_int_equal(cluster_write(dir, &c, &e), 0);
	cluster_free(&got);
	assert_int_equal(cluster_load(dir, &got, &e), 0);
	assert_int_equal(got.self, 5);
	char *cmd = xasprintf("test $(ls -A '%s' | wc -l) -eq 2", dir);
	assert_int_equal(system(cmd), 0);
	cluster_free(&got);
	assert_null(got.nodes);
	free(cmd), free(key), free(conf), free(dir);
}

/* Defaults, comments, blank lines, any order; a node lookup. */
static void test_defaults_and_find(void **state)
{
	const char *dir = *state;
	struct cluster c;
	struct err e;
	put(dir, "cluster.conf",
	    "# map\n\n  node 3 10.0.0.3   # three\n\tself 3\r\nnode 1 10.0.0.1\n", 0644);
	put(dir, "cluster.key", GOOD_KEY, 0600);
	assert_int_equal(cluster_load(dir, &c, &e), 0);
	assert_string_equal(c.name, "mosix");
	assert_int_equal(c.port, CLUSTER_DEFAULT_PORT);
	assert_int_equal(c.nodes[0].num, 1);
	assert_int_equal(c.nodes[1].num, 3);
	assert_string_equal(cluster_find(&c, 3)->addr, "10.0.0.3");
	assert_null(cluster_find(&c, 2));
	assert_null(cluster_find(&c, 0));
	assert_int_equal(c.key[0], 0x00);
	assert_int_equal(c.key[31], 0xff);
	cluster_free(&c);
}

/* Two keys are different and not all zeros. */
static void test_new_key(void **state)
{
	uint8_t a[CLUSTER_KEY_LEN], b[CLUSTER_KEY_LEN], zero[CLUSTER_KEY_LEN] = {0};
	assert_int_equal(cluster_new_key(a, NULL), 0);
	assert_int_equal(cluster_new_key(b, NULL), 0);
	assert_memory_not_equal(a, b, CLUSTER_KEY_LEN);
	assert_memory_not_equal(a, zero, CLUSTER_KEY_LEN);
}

/* Unknown keywords and wrong argument counts name the file and line. */
static void test_bad_syntax(void **state)
{
	const char *dir = *state;
	char *want = xasprintf("%s/cluster.conf:3: unknown keyword 'nodes'", dir);
	refused(dir, "self 1\nnode 1 10.0.0.1\nnodes 2 10.0.0.2\n", GOOD_KEY, -EINVAL, want);
	free(want);
	refused(dir, "self 1\nnode 1\n", GOOD_KEY, -EINVAL,
		"cluster.conf:2: expected 'node N ADDRESS'");
	refused(dir, "self 1\nnode 1 10.0.0.1 x\n", GOOD_KEY, -EINVAL, ":2: expected 'node N");
	refused(dir, "self\nnode 1 10.0.0.1\n", GOOD_KEY, -EINVAL, ":1: expected 'self N'");
	refused(dir, "port 0\nself 1\nnode 1 10.0.0.1\n", GOOD_KEY, -EINVAL, ":1: bad port '0'");
	refused(dir, "port 1\nport 2\n", GOOD_KEY, -EINVAL,
		":2: 'port' given twice (first at line 1)");
	refused(dir, "self 1\nself 1\n", GOOD_KEY, -EINVAL, ":2: 'self' given twice");
	refused(dir, "cluster a\ncluster b\n", GOOD_KEY, -EINVAL, ":2: 'cluster' given twice");
	refused(dir,
		"cluster "
		"n234567890123456789012345678901234567890123456789012345678901234\n",
		GOOD_KEY, -EINVAL, ":1: cluster name longer than 63");
}

/* Node numbers out of range or not numbers. */
static void test_bad_node_number(void **state)
{
	const char *dir = *state;
	refused(dir, "self 1\nnode 0 10.0.0.1\n", GOOD_KEY, -EINVAL,
		":2: bad node number '0' (1..1024)");
	refused(dir, "self 1\nnode 1025 10.0.0.1\n", GOOD_KEY, -EINVAL,
		":2: bad node number '1025'");
	refused(dir, "self 1\nnode x 10.0.0.1\n", GOOD_KEY, -EINVAL, ":2: bad node number 'x'");
	refused(dir, "self -1\nnode 1 10.0.0.1\n", GOOD_KEY, -EINVAL, ":1: bad node number '-1'");
	refused(dir, "self 1\nnode 1x 10.0.0.1\n", GOOD_KEY, -EINVAL, ":2: bad node number '1x'");
}

/* A node number or an address listed twice. */
static void test_duplicates(void **state)
{
	const char *dir = *state;
	refused(dir, "self 1\nnode 1 10.0.0.1\nnode 2 10.0.0.2\nnode 1 10.0.0.3\n", GOOD_KEY,
		-EINVAL, ":4: node 1 listed twice (first at line 2)");
	refused(dir, "self 1\nnode 1 10.0.0.1\nnode 2 10.0.0.2\nnode 3 10.0.0.1\n", GOOD_KEY,
		-EINVAL, ":4: node 3: address 10.0.0.1 already used by node 1 (line 2)");
}

/* Addresses that are not dotted IPv4. */
static void test_bad_address(void **state)
{
	const char *dir = *state;
	const char *bad[] = {"256.0.0.1", "10.0.0", "host", "::1", "10.0.0.1/24", "10.0.0.-1"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *map = xasprintf("self 1\nnode 1 %s\n", bad[i]);
		char *want = xasprintf(":2: node 1: bad IPv4 address '%s'", bad[i]);
		refused(dir, map, GOOD_KEY, -EINVAL, want);
		free(map), free(want);
	}
}

/* This node's number: missing, not in the map, or from DIR/node. */
static void test_self(void **state)
{
	const char *dir = *state;
	struct cluster c;
	struct err e;
	refused(dir, "node 1 10.0.0.1\n", GOOD_KEY, -EINVAL, "no 'self N' line, and no ");
	refused(dir, "self 3\nnode 1 10.0.0.1\nnode 2 10.0.0.2\n", GOOD_KEY, -EINVAL,
		"cluster.conf:1: self 3 is not in the map");
	refused(dir, "self 1\n", GOOD_KEY, -EINVAL, "no 'node N ADDRESS' lines");

	put(dir, "node", "2\n", 0644);
	put(dir, "cluster.conf", "node 1 10.0.0.1\nnode 2 10.0.0.2\n", 0644);
	assert_int_equal(cluster_load(dir, &c, &e), 0);
	assert_int_equal(c.self, 2);
	cluster_free(&c);
	refused(dir, "self 1\nnode 1 10.0.0.1\nnode 2 10.0.0.2\n", NULL, -EINVAL,
		"cluster.conf:1: self 1, but ");
	put(dir, "node", "9\n", 0644);
	refused(dir, "node 1 10.0.0.1\n", NULL, -EINVAL, "self 9 (from node) is not in the map");
	put(dir, "node", "two\n", 0644);
	refused(dir, NULL, NULL, -EINVAL, "/node: bad node number 'two'");
}

/* Keys that are not exactly 64 hex digits. */
static void test_bad_key(void **state)
{
	const char *dir = *state;
	const char *bad[] = {
	    "",
	    "\n",
	    "0011223344556677889900112233445566778899001122334455667788990011",
	    "00112233445566778899001122334455667788990011223344556677889900112\n",
	    "0011223344556677889900112233445566778899001122334455667788990g11\n",
	    "0011223344556677889900112233445566778899001122334455667788990011\n\n",
	    "0011223344556677889900112233445566778899001122334455667788990011 \n",
	    "0011223344556677889900112233445566778899001122334455667788990011\nxx"};
	/* The third one (no newline) is accepted: the newline is optional. */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (i == 2)
			continue;
		refused(dir, GOOD_MAP, bad[i], -EINVAL,
			"cluster.key:1: the key must be 64 hex digits (32 bytes)");
	}
	struct cluster c;
	put(dir, "cluster.key", bad[2], 0600);
	assert_int_equal(cluster_load(dir, &c, NULL), 0);
	cluster_free(&c);
}

/* A key that group or others may read is refused, with the fix in the message. */
static void test_key_mode(void **state)
{
	const char *dir = *state;
	mode_t modes[] = {0644, 0640, 0604, 0660, 0602};
	put(dir, "cluster.conf", GOOD_MAP, 0644);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		put(dir, "cluster.key", GOOD_KEY, modes[i]);
		char *want =
		    xasprintf("(mode %04o): run chmod 600 %s/cluster.key", (unsigned)modes[i], dir);
		refused(dir, NULL, NULL, -EACCES, want);
		free(want);
	}
	put(dir, "cluster.key", GOOD_KEY, 0400);
	struct cluster c;
	assert_int_equal(cluster_load(dir, &c, NULL), 0);
	cluster_free(&c);
}

/* Missing files and directories are named. */
static void test_missing(void **state)
{
	const char *dir = *state;
	char *want = xasprintf("%s/cluster.conf: No such file or directory", dir);
	refused(dir, NULL, NULL, -ENOENT, want);
	free(want);
	want = xasprintf("%s/cluster.key: No such file or directory", dir);
	refused(dir, GOOD_MAP, NULL, -ENOENT, want);
	free(want);
	refused("/nonexistent/dir", NULL, NULL, -ENOENT, "/nonexistent/dir/cluster.conf: No such");
	char *sub = xasprintf("%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(sub, "cluster.conf", GOOD_MAP, 0644);
	char *kd = xasprintf("%s/cluster.key", sub);
	assert_int_equal(mkdir(kd, 0700), 0);
	refused(sub, NULL, NULL, -EINVAL, "cluster.key: not a regular file");
	free(kd), free(sub);
}

/* cluster_write refuses what cluster_load would refuse, and writes nothing. */
static void test_write_refuses(void **state)
{
	char *dir = xasprintf("%s/w", (char *)*state);
	struct cluster_node ok[] = {{1, "10.0.0.1"}, {2, "10.0.0.2"}};
	struct cluster_node unsorted[] = {{2, "10.0.0.2"}, {1, "10.0.0.1"}};
	struct cluster_node twice[] = {{1, "10.0.0.1"}, {2, "10.0.0.1"}};
	struct cluster_node badaddr[] = {{1, "10.0.0.1"}, {2, "10.0.0.256"}};
	struct cluster_node badnum[] = {{0, "10.0.0.1"}};
	struct cluster c = {.name = "t", .port = 1, .self = 1, .nnodes = 2, .nodes = ok};
	struct err e;
	struct stat st;
	assert_int_equal(cluster_write(dir, &c, &e), -EINVAL); /* all-zero key */
	assert_non_null(strstr(e.msg, "cluster_new_key"));
	assert_int_equal(cluster_new_key(c.key, NULL), 0);
	struct {
		struct cluster_node *nodes;
		size_t n;
		int self;
		const char *name;
		const char *want;
	} cases[] = {
	    {unsorted, 2, 1, "t", "sorted by number"},
	    {twice, 2, 1, "t", "already used by node 1"},
	    {badaddr, 2, 1, "t", "bad IPv4 address"},
	    {badnum, 1, 0, "t", "bad node number 0"},
	    {ok, 2, 3, "t", "self 3 is not in the map"},
	    {ok, 0, 0, "t", "0 nodes"},
	    {ok, 2, 1, "two words", "one word"},
	    {ok, 2, 1, "", "one word"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		c.nodes = cases[i].nodes;
		c.nnodes = cases[i].n;
		c.self = cases[i].self;
		snprintf(c.name, sizeof(c.name), "%s", cases[i].name);
		assert_int_equal(cluster_write(dir, &c, &e), -EINVAL);
		assert_non_null(strstr(e.msg, cases[i].want));
	}
	assert_int_equal(stat(dir, &st), -1);
	free(dir);
}

/* A map without self (a shared map) plus DIR/node loads. */
static void test_write_no_self(void **state)
{
	const char *dir = *state;
	struct cluster_node nodes[] = {{1, "10.0.0.1"}, {2, "10.0.0.2"}};
	struct cluster c = {.name = "t", .port = 7, .nnodes = 2, .nodes = nodes}, got;
	assert_int_equal(cluster_new_key(c.key, NULL), 0);
	assert_int_equal(cluster_write(dir, &c, NULL), 0);
	refused(dir, NULL, NULL, -EINVAL, "no 'self N' line");
	put(dir, "node", "1", 0644);
	assert_int_equal(cluster_load(dir, &got, NULL), 0);
	assert_int_equal(got.self, 1);
	cluster_free(&got);
}

/* 1024 nodes listed backwards: loaded sorted, found, and written back identically. */
static void test_large_map(void **state)
{
	const char *dir = *state;
	size_t cap = 64 + CLUSTER_MAX_NODES * 32, len = 0;
	char *map = xmalloc(cap);
	len += (size_t)snprintf(map + len, cap - len, "cluster big\nself 700\n");
	for (int i = CLUSTER_MAX_NODES; i >= 1; i--)
		len += (size_t)snprintf(map + len, cap - len, "node %d 10.1.%d.%d\n", i, i / 256,
					i % 256);
	put(dir, "cluster.conf", map, 0644);
	put(dir, "cluster.key", GOOD_KEY, 0600);
	struct cluster c, again;
	struct err e;
	assert_int_equal(cluster_load(dir, &c, &e), 0);
	assert_int_equal(c.nnodes, CLUSTER_MAX_NODES);
	for (size_t i = 0; i < c.nnodes; i++)
		assert_int_equal(c.nodes[i].num, (int)i + 1);
	assert_string_equal(cluster_find(&c, 1024)->addr, "10.1.4.0");
	assert_string_equal(cluster_find(&c, 1)->addr, "10.1.0.1");
	assert_string_equal(cluster_find(&c, 700)->addr, "10.1.2.188");
	char *out = xasprintf("%s/out", dir);
	assert_int_equal(cluster_write(out, &c, &e), 0);
	assert_int_equal(cluster_load(out, &again, &e), 0);
	assert_int_equal(again.nnodes, c.nnodes);
	assert_memory_equal(again.nodes, c.nodes, c.nnodes * sizeof(*c.nodes));
	assert_memory_equal(again.key, c.key, CLUSTER_KEY_LEN);
	cluster_free(&c);
	cluster_free(&again);
	free(out), free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults_and_find, setup, teardown),
	    cmocka_unit_test(test_new_key),
	    cmocka_unit_test_setup_teardown(test_bad_syntax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_node_number, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_no_self, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_map, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
