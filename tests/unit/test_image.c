/* test_image.c: the image stream format: round trips and every way a stream can be bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/compress.h"
#include "engine/image.h"
#include "appliance/crc32c.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Build a small valid stream in a memfd: PROC, STRING, two PAGES, END. */
static int make_stream(int comp, size_t *len)
{
	int fd = memfd_create("img", 0);
	struct img_writer w;
	struct err e;
	struct img_proc p;
	memset(&p, 0, sizeof(p));
	p.pid = 42;
	assert_int_equal(img_writer_open(&w, fd, comp, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_PROC, &p, sizeof(p), NULL, 0, &e), 0);
	struct img_string s = {IMG_S_CWD, 4};
	assert_int_equal(img_write(&w, IMG_R_STRING, &s, sizeof(s), "/tmp", 4, &e), 0);
	for (int r = 0; r < 2; r++) {
		uint8_t *buf = img_pages_buf(&w);
		for (size_t i = 0; i < 3 * IMG_PAGE; i++)
			buf[i] = (uint8_t)(r ? (size_t)rand() : i % 7);
		assert_int_equal(img_pages_commit(&w, 0x10000 + r * 0x100000, 3, &e), 0);
	}
	assert_int_equal(img_writer_finish(&w, &e), 0);
	*len = (size_t)lseek(fd, 0, SEEK_END);
	img_writer_free(&w);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Read a whole stream; return the final code and the error text. */
static int read_all(int fd, struct err *e, int *records)
{
	struct img_reader r;
	struct img_view v;
	int rc = img_reader_open(&r, fd, e);
	*records = 0;
	while (rc == 0 && (rc = img_read(&r, &v, e)) > 0) {
		(*records)++;
		rc = 0;
	}
	img_reader_free(&r);
	return rc;
}

/* Every compression method round-trips. */
static void test_roundtrip(void **state)
{
	for (int c = 0; c < COMP__MAX; c++) {
		size_t len;
		int fd = make_stream(c, &len);
		struct img_reader r;
		struct img_view v;
		struct err e;
		assert_int_equal(img_reader_open(&r, fd, &e), 0);
		assert_int_equal(img_read(&r, &v, &e), 1);
		assert_int_equal(v.type, IMG_R_PROC);
		assert_int_equal(((const struct img_proc *)v.data)->pid, 42);
		assert_int_equal(img_read(&r, &v, &e), 1);
		assert_int_equal(v.type, IMG_R_STRING);
		assert_memory_equal(v.data + sizeof(struct img_string), "/tmp", 4);
		assert_int_equal(img_read(&r, &v, &e), 1);
		assert_int_equal(v.type, IMG_R_PAGES);
		assert_int_equal(((const struct img_pages *)v.data)->npages, 3);
		assert_int_equal(v.data[sizeof(struct img_pages) + 13], 13 % 7);
		assert_int_equal(img_read(&r, &v, &e), 1);
		assert_int_equal(img_read(&r, &v, &e), 0);
		assert_int_equal(r.npages, 6);
		img_reader_free(&r);
		close(fd);
	}
}

/* In a regular file, the page data of full uncompressed records starts
 * page-aligned (behind PAD records the reader skips; they go out through the
 * writer thread), smaller records are not padded, and the reader says where
 * full records lie in the file. */
static void test_aligned_pages(void **state)
{
	int fd = memfd_create("img", 0);
	struct img_writer w;
	struct err e;
	struct img_proc p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(img_writer_open(&w, fd, COMP_NONE, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_PROC, &p, sizeof(p), NULL, 0, &e), 0);
	const uint32_t np[4] = {5, IMG_PAGES_PER_REC, 1, IMG_PAGES_PER_REC};
	for (int r = 0; r < 4; r++) {
		uint8_t *buf = img_pages_buf(&w);
		for (size_t i = 0; i < np[r] * IMG_PAGE; i++)
			buf[i] = (uint8_t)(i / IMG_PAGE * 3 + (size_t)r);
		assert_int_equal(img_pages_commit(&w, 0x10000000ull * (r + 1), np[r], &e), 0);
	}
	assert_int_equal(img_writer_finish(&w, &e), 0);
	img_writer_free(&w);
	lseek(fd, 0, SEEK_SET);
	struct img_reader rd;
	struct img_view v;
	assert_int_equal(img_reader_open(&rd, fd, &e), 0);
	assert_int_equal(img_read(&rd, &v, &e), 1);
	assert_int_equal(v.type, IMG_R_PROC);
	for (int r = 0; r < 4; r++) {
		assert_int_equal(img_read(&rd, &v, &e), 1);
		assert_int_equal(v.type, IMG_R_PAGES);
		size_t last = (np[r] - 1) * IMG_PAGE;
		assert_int_equal(v.data[sizeof(struct img_pages) + last],
				 (uint8_t)((np[r] - 1) * 3 + (uint32_t)r));
		if (np[r] != IMG_PAGES_PER_REC)
			continue; /* not padded: wherever it happens to lie */
		int64_t off = v.file_off + (int64_t)sizeof(struct img_pages);
		assert_int_equal(off % IMG_PAGE, 0);
		uint8_t b;
		assert_int_equal(pread(fd, &b, 1, off + (off_t)last), 1);
		assert_int_equal(b, v.data[sizeof(struct img_pages) + last]);
	}
	assert_int_equal(img_read(&rd, &v, &e), 0);
	assert_int_equal(rd.npages, 2 * IMG_PAGES_PER_REC + 6);
	img_reader_free(&rd);
	close(fd);
}

/* Compressible pages get smaller with every real method. */
static void test_compression_shrinks(void **state)
{
	size_t none, lzo;
	close(make_stream(COMP_NONE, &none));
	close(make_stream(COMP_LZO, &lzo));
	assert_true(lzo < none);
}

/* Copy the first n bytes of a stream, with byte at flip xor'd (flip < 0: none). */
static int mutate(int src, size_t n, long flip)
{
	uint8_t *buf = xmalloc(n);
	assert_int_equal(pread(src, buf, n, 0), (ssize_t)n);
	if (flip >= 0)
		buf[flip] ^= 0x5a;
	int fd = memfd_create("bad", 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	lseek(fd, 0, SEEK_SET);
	free(buf);
	return fd;
}

/* Expect a read of the mutated stream to fail with text containing want. */
static void expect_bad(int src, size_t n, long flip, const char *want)
{
	int fd = mutate(src, n, flip), recs;
	struct err e = {0, ""};
	int rc = read_all(fd, &e, &recs);
	close(fd);
	if (rc >= 0 || !strstr(e.msg, want))
		fail_msg("n=%zu flip=%ld: rc=%d msg='%s', wanted '%s'", n, flip, rc, e.msg, want);
}

/* Truncation anywhere is reported as truncation. */
static void test_truncated(void **state)
{
	size_t len;
	int fd = make_stream(COMP_LZO, &len);
	size_t cuts[] = {0,	  10,	  sizeof(struct img_header), sizeof(struct img_header) + 5,
			 len / 2, len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		expect_bad(fd, cuts[i], -1, "truncated");
	close(fd);
}

/* A flipped byte in any record is caught; header bytes give a header error. */
static void test_flipped(void **state)
{
	size_t len;
	int fd = make_stream(COMP_NONE, &len);
	expect_bad(fd, len, 0, "not a process image");
	expect_bad(fd, len, 8, "version");
	expect_bad(fd, len, sizeof(struct img_header) + 2, "record header");
	expect_bad(fd, len, sizeof(struct img_header) + 30, "checksum");
	for (size_t off = sizeof(struct img_header); off < len; off += 97) {
		int bad = mutate(fd, len, (long)off), recs;
		struct err e = {0, ""};
		assert_true(read_all(bad, &e, &recs) < 0);
		assert_true(strstr(e.msg, "corrupted") || strstr(e.msg, "truncated"));
		close(bad);
	}
	close(fd);
}

/* Garbage of any size is refused, never crashes. */
static void test_garbage(void **state)
{
	for (int n = 0; n < 200; n++) {
		size_t len = (size_t)(rand() % 5000);
		uint8_t *buf = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (len >= 8 && n % 2)
			memcpy(buf, IMG_MAGIC, 8);
		int fd = memfd_create("junk", 0), recs;
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
		lseek(fd, 0, SEEK_SET);
		struct err e = {0, ""};
		assert_true(read_all(fd, &e, &recs) < 0);
		assert_true(e.msg[0] != '\0');
		close(fd);
		free(buf);
	}
}

/* A record's data stays valid through the next read (restore copies one
 * record's pages while it reads the next), from a file and from a pipe,
 * compressed or not. */
static void test_view_outlives_next_read(void **state)
{
	for (int c = 0; c < COMP__MAX; c++) {
		for (int piped = 0; piped < 2; piped++) {
			size_t len;
			int fd = make_stream(c, &len), p[2] = {-1, -1};
			if (piped) {
				uint8_t *all = xmalloc(len);
				assert_int_equal(pread(fd, all, len, 0), (ssize_t)len);
				assert_int_equal(pipe(p), 0);
				assert_true(len < 65536); /* fits the pipe: no writer needed */
				assert_int_equal(write(p[1], all, len), (ssize_t)len);
				close(p[1]);
				free(all);
			}
			struct img_reader r;
			struct img_view v;
			struct err e;
			assert_int_equal(img_reader_open(&r, piped ? p[0] : fd, &e), 0);
			do
				assert_int_equal(img_read(&r, &v, &e), 1);
			while (v.type != IMG_R_PAGES);
			const uint8_t *first = v.data;
			size_t n = v.len;
			uint8_t *copy = xmalloc(n);
			memcpy(copy, first, n);
			assert_int_equal(img_read(&r, &v, &e), 1);
			assert_int_equal(v.type, IMG_R_PAGES);
			assert_ptr_not_equal(v.data, first);
			assert_memory_equal(first, copy, n);
			free(copy);
			img_reader_free(&r);
			close(fd);
			if (piped)
				close(p[0]);
		}
	}
}

/* A sink that takes delay_ms per write (0: at once) and discards. */
static int sink_delay(void *ctx, void *buf, size_t n)
{
	(void)buf, (void)n;
	int ms = *(const int *)ctx;
	struct timespec ts = {0, ms * 1000000L};
	if (ms)
		nanosleep(&ts, NULL);
	return 0;
}

/* Write 8 compressible full PAGES records adaptively onto a sink that
 * takes delay_ms per write, pausing pause_ms before each; return how many
 * were stored uncompressed. */
static uint64_t adaptive_run(int delay_ms, int pause_ms)
{
	struct img_io io = {-1, sink_delay, &delay_ms};
	struct img_writer w;
	struct err e;
	assert_int_equal(img_writer_open_io(&w, &io, COMP_LZO, &e), 0);
	w.adaptive = 1;
	for (int r = 0; r < 8; r++) {
		uint8_t *b = img_pages_buf(&w); /* half random: it compresses, not to nothing */
		for (size_t i = 0; i < IMG_PAGES_PER_REC * IMG_PAGE; i++)
			b[i] = (uint8_t)(i % 2 ? rand() : 'a' + r);
		struct timespec ts = {0, pause_ms * 1000000L};
		nanosleep(&ts, NULL);
		assert_int_equal(
		    img_pages_commit(&w, (uint64_t)r * IMG_HUGE, IMG_PAGES_PER_REC, &e), 0);
	}
	assert_int_equal(img_writer_finish(&w, &e), 0);
	uint64_t n = w.nstored;
	img_writer_free(&w);
	return n;
}

/* Adaptive compression: a sink still busy when the next record is ready is
 * the slower part, so records are compressed; a sink that waits for them is
 * faster than the compressor, so they go out as they are (all but the first:
 * the writer thread has nothing to be busy with yet). */
static void test_adaptive_compression(void **state)
{
	assert_int_equal(adaptive_run(100, 0), 0);
	assert_int_equal(adaptive_run(0, 50), 7);
}

/* Version 3's records (PROCX, TIMER, LEASE, GUARD) and VMA advice bits go through
 * as written, in the order written. */
static void test_v3_records(void **state)
{
	int fd = memfd_create("img", 0);
	struct img_writer w;
	struct img_reader r;
	struct img_view v;
	struct err e;
	struct img_procx px = {IMG_PX_THP | IMG_PX_OOM | IMG_PX_LOGINUID, 1, 16, 500, 0, 1234};
	struct img_timer t = {3, 1, 0, 10, 77, 40000000, 12345678};
	struct img_lease l = {7, 1 /* F_WRLCK */};
	struct img_guard g = {0x11000, 2};
	struct img_vma m;
	memset(&m, 0, sizeof(m));
	m.start = 0x10000, m.end = 0x20000, m.prot = 3;
	m.flags = IMG_VMA_DONTFORK | IMG_VMA_WIPEONFORK | IMG_VMA_LOCKED | IMG_VMA_ADVICE;
	assert_int_equal(img_writer_open(&w, fd, COMP_NONE, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_PROCX, &px, sizeof(px), NULL, 0, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_TIMER, &t, sizeof(t), NULL, 0, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_LEASE, &l, sizeof(l), NULL, 0, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_VMA, &m, sizeof(m), "", 0, &e), 0);
	assert_int_equal(img_write(&w, IMG_R_GUARD, &g, sizeof(g), NULL, 0, &e), 0);
	assert_int_equal(img_writer_finish(&w, &e), 0);
	img_writer_free(&w);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(img_reader_open(&r, fd, &e), 0);
	assert_int_equal(r.hdr.version, 3);
	const struct {
		uint16_t type;
		const void *data;
		size_t len;
	} want[] = {{IMG_R_PROCX, &px, sizeof(px)},
		    {IMG_R_TIMER, &t, sizeof(t)},
		    {IMG_R_LEASE, &l, sizeof(l)},
		    {IMG_R_VMA, &m, sizeof(m)},
		    {IMG_R_GUARD, &g, sizeof(g)}};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(img_read(&r, &v, &e), 1);
		assert_int_equal(v.type, want[i].type);
		assert_int_equal(v.len, want[i].len);
		assert_memory_equal(v.data, want[i].data, want[i].len);
	}
	assert_int_equal(img_read(&r, &v, &e), 0);
	assert_string_equal(img_type_name(IMG_R_PROCX), "PROCX");
	assert_string_equal(img_type_name(IMG_R_TIMER), "TIMER");
	assert_string_equal(img_type_name(IMG_R_LEASE), "LEASE");
	assert_string_equal(img_type_name(IMG_R_GUARD), "GUARD");
	img_reader_free(&r);
	close(fd);
}

/* Set a stream's header version (and its checksum). */
static void set_version(int fd, uint32_t version)
{
	struct img_header h;
	assert_int_equal(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	h.version = version;
	h.crc = 0;
	h.crc = crc32c(0, &h, sizeof(h));
	assert_int_equal(pwrite(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
}

/* Version 2 images are still read; 1 and 4 are refused by their version. */
static void test_versions(void **state)
{
	size_t len;
	int fd = make_stream(COMP_NONE, &len), n;
	struct err e;
	set_version(fd, 2);
	assert_int_equal(read_all(fd, &e, &n), 0);
	assert_int_equal(n, 4);
	for (uint32_t bad = 1; bad <= 4; bad += 3) {
		set_version(fd, bad);
		lseek(fd, 0, SEEK_SET);
		assert_int_equal(read_all(fd, &e, &n), -EPROTO);
		assert_non_null(strstr(e.msg, "is not supported (this is version 3)"));
	}
	close(fd);
}

/* A length check refuses short records. */
static void test_expect(void **state)
{
	uint8_t d[8] = {0};
	struct img_view v = {IMG_R_TASK, 8, d, 100, -1};
	struct err e;
	assert_int_equal(img_expect(&v, 8, 0, &e), 0);
	assert_int_equal(img_expect(&v, 4, 1, &e), 0);
	assert_int_equal(img_expect(&v, 16, 0, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "TASK"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_aligned_pages),
	    cmocka_unit_test(test_compression_shrinks),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_flipped),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_view_outlives_next_read),
	    cmocka_unit_test(test_adaptive_compression),
	    cmocka_unit_test(test_v3_records),
	    cmocka_unit_test(test_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
