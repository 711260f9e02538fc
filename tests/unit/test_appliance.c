/* test_appliance.c: CRC-32C, error objects, parsing and path helpers, checkpoint names,
 * compression. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/checkpoint.h"
#include "engine/compress.h"
#include "appliance/crc32c.h"
#include "appliance/err.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Known CRC-32C check value, and incremental == one-shot. */
static void test_crc32c(void **state)
{
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(crc32c(0, "", 0), 0);
	char buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (char)(i * 31);
	assert_int_equal(crc32c(crc32c(0, buf, 333), buf + 333, 667), crc32c(0, buf, 1000));
}

/* Large buffers take the three-stream path: it must agree with small steps
 * (which never do) at every length around the stream boundaries. */
static void test_crc32c_streams(void **state)
{
	size_t n = 3 * 8192 * 3 + 77;
	unsigned char *buf = malloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	static const size_t lens[] = {3 * 8192 - 1, 3 * 8192, 3 * 8192 + 5, 6 * 8192 + 8, 0};
	for (int k = 0; k < 5; k++) {
		size_t len = lens[k] ? lens[k] : n;
		uint32_t small = 0;
		for (size_t off = 0; off < len; off += 1000)
			small = crc32c(small, buf + off, len - off < 1000 ? len - off : 1000);
		assert_int_equal(crc32c(0, buf, len), small);
		assert_int_equal(crc32c(crc32c(0, buf, 7), buf + 7, len - 7), small);
	}
	free(buf);
	(void)state;
}

/* Errors carry strerror and context. */
static void test_err(void **state)
{
	struct err e;
	assert_int_equal(err_set(&e, -ENOENT, "open %s", "/x"), -ENOENT);
	assert_string_equal(e.msg, "open /x: No such file or directory");
	err_prefix(&e, "restore pid %d: ", 7);
	assert_string_equal(e.msg, "restore pid 7: open /x: No such file or directory");
	assert_int_equal(err_setx(&e, -EPROTO, "bad %d", 1), -EPROTO);
	assert_string_equal(e.msg, "bad 1");
	assert_int_equal(err_set(NULL, -EIO, "ignored"), -EIO);
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_setx(&e, -EIO, "%s", big);
	err_prefix(&e, "%s", big);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
}

/* Strict integer parsing. */
static void test_parse_long(void **state)
{
	long v;
	assert_int_equal(util_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(util_parse_long("", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("4x", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("101", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(util_parse_long("99999999999999999999", 0, 100, &v), -EINVAL);
}

/* Paths made absolute: a copy of an absolute one, a relative one under the
 * working directory. */
static void test_abs_path(void **state)
{
	(void)state;
	char *p = util_abs_path("/etc/mosix");
	assert_string_equal(p, "/etc/mosix");
	free(p);
	assert_int_equal(chdir("/tmp"), 0);
	p = util_abs_path("ckpt.1");
	assert_string_equal(p, "/tmp/ckpt.1");
	free(p);
}

/* FILE.N splits; other names do not. */
static void test_ckpt_split(void **state)
{
	char *base;
	int seq;
	assert_int_equal(ckpt_split("/tmp/ck.12", &base, &seq), 0);
	assert_string_equal(base, "/tmp/ck");
	assert_int_equal(seq, 12);
	free(base);
	assert_int_equal(ckpt_split("/tmp/ck", &base, &seq), -EINVAL);
	assert_int_equal(ckpt_split("ck.x", &base, &seq), -EINVAL);
	assert_int_equal(ckpt_split(".3", &base, &seq), -EINVAL);
	assert_int_equal(ckpt_split("ck.0", &base, &seq), -EINVAL);
}

/* Every method round-trips, and corrupt input is refused. */
static void test_compress(void **state)
{
	size_t n = 256 * 1024;
	char *src = xmalloc(n), *dst = xmalloc(comp_bound(COMP_ZSTD, n) + n), *back = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		src[i] = (char)(i % 251 < 128 ? 'a' + i % 13 : (size_t)rand());
	for (int c = COMP_LZO; c < COMP__MAX; c++) {
		size_t len = comp_compress(c, src, n, dst, comp_bound(COMP_ZSTD, n) + n);
		assert_true(len > 0 && len < n);
		assert_int_equal(comp_decompress(c, dst, len, back, n), 0);
		assert_memory_equal(src, back, n);
		assert_int_equal(comp_decompress(c, dst, len / 2, back, n), -EBADMSG);
		assert_int_equal(comp_parse(comp_name(c)), c);
	}
	assert_int_equal(comp_parse("gzip"), -EINVAL);
	free(src);
	free(dst);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c),     cmocka_unit_test(test_crc32c_streams),
	    cmocka_unit_test(test_err),	       cmocka_unit_test(test_parse_long),
	    cmocka_unit_test(test_ckpt_split), cmocka_unit_test(test_compress),
	    cmocka_unit_test(test_abs_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
