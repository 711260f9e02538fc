/* image.c: write and read the process image stream. */
#include "engine/image.h"
#include "arch/arch.h"
#include "engine/compress.h"
#include "appliance/crc32c.h"
#include "appliance/util.h"
#include "appliance/worker.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define OUT_CAP (1u << 20)
#define DIRECT_MIN (64u << 10) /* payloads this big are not copied into the buffer */
#define PAGES_RAW (sizeof(struct img_pages) + IMG_PAGES_PER_REC * IMG_PAGE)
#define CBUF_LEN (comp_bound(COMP_ZSTD, PAGES_RAW) + comp_bound(COMP_LZO, PAGES_RAW))

_Static_assert(sizeof(struct img_rec) == 24, "record header layout");
_Static_assert(sizeof(struct img_header) == 112, "file header layout");

static const char *type_names[IMG_R__MAX] = {
    "?",  "PROC", "STRING", "AUXV", "REGS", "XSTATE", "TASK",  "SIGACTIONS", "SIGINFO", "VDSO",
    "FD", "VMA",  "PAGES",  "END",  "PAD",  "PROCX",  "TIMER", "LEASE",	     "GUARD",
};

/* Name of a record type. */
const char *img_type_name(unsigned type)
{
	return type < IMG_R__MAX ? type_names[type] : "?";
}

/* Move exactly n bytes through an img_io (reading when rd is set). */
static int img_io_move(const struct img_io *io, void *buf, size_t n, int rd)
{
	if (io->fn)
		return io->fn(io->ctx, buf, n);
	return rd ? util_read_full(io->fd, buf, n) : util_write_full(io->fd, buf, n);
}

/* Write a then b (a gather write on an fd, so big payloads skip the buffer). */
static int img_io_write2(const struct img_io *io, const void *a, size_t alen, const void *b,
			 size_t blen)
{
	if (io->fn) {
		int rc = alen ? io->fn(io->ctx, (void *)a, alen) : 0;
		return rc || !blen ? rc : io->fn(io->ctx, (void *)b, blen);
	}
	struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
	struct iovec *v = iov;
	int n = 2;
	while (n) {
		ssize_t r = writev(io->fd, v, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		for (; n && (size_t)r >= v->iov_len; v++, n--)
			r -= (ssize_t)v->iov_len;
		if (n) {
			v->iov_base = (uint8_t *)v->iov_base + r;
			v->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* The writer thread and the spare halves of the doubled buffers. One job
 * at most is in flight: the one whose buffers are the spares. */
struct img_async {
	struct worker *wk;
	uint8_t *out, *raw, *cbuf;
};

/* A job of the writer thread: buffered output a, then payload b. */
struct img_job {
	const void *a, *b;
	size_t alen, blen;
};

/* Writer thread: write one job. */
static int img_async_run(void *ctx, const void *job)
{
	const struct img_job *j = job;
	return img_io_write2(ctx, j->a, j->alen, j->b, j->blen);
}

/* Start the writer thread (if none can be made, writes stay synchronous). */
static void img_async_start(struct img_writer *w)
{
	struct worker *wk = worker_start(img_async_run, &w->io);
	if (!wk)
		return;
	struct img_async *as = xcalloc(1, sizeof(*as));
	as->wk = wk;
	as->out = xmalloc(w->out_cap);
	as->raw = xmalloc(PAGES_RAW);
	as->cbuf = xmalloc(CBUF_LEN);
	w->async = as;
}

/* Hand the buffered output and payload b to the writer thread, and take the
 * spare buffers for what comes next. */
static int img_async_submit(struct img_writer *w, const uint8_t *b, size_t blen)
{
	struct img_async *as = w->async;
	struct img_job j = {w->out, b, w->out_len, blen};
	int rc = worker_submit(as->wk, &j, sizeof(j));
	if (rc)
		return rc;
	uint8_t *t = w->out;
	w->out = as->out, as->out = t;
	if (b && b == w->raw)
		t = w->raw, w->raw = as->raw, as->raw = t;
	else if (b && b == w->cbuf)
		t = w->cbuf, w->cbuf = as->cbuf, as->cbuf = t;
	return 0;
}

/* Stop the writer thread and free its buffers. */
static void img_async_stop(struct img_writer *w)
{
	struct img_async *as = w->async;
	if (!as)
		return;
	worker_stop(as->wk);
	free(as->out);
	free(as->raw);
	free(as->cbuf);
	free(as);
	w->async = NULL;
}

/* Write the buffered output and then payload b (b may be NULL). */
static int img_emit(struct img_writer *w, const uint8_t *b, size_t blen, int sync)
{
	int rc;
	if (w->async) {
		rc = img_async_submit(w, b, blen);
		if (!rc && sync)
			rc = worker_wait(w->async->wk);
	} else {
		rc = img_io_write2(&w->io, w->out, w->out_len, b, blen);
	}
	if (!rc)
		w->bytes += w->out_len + blen;
	w->out_len = 0;
	return rc;
}

/* Flush buffered output (and wait for the writer thread when sync is set). */
static int img_flush(struct img_writer *w, int sync, struct err *e)
{
	int rc = img_emit(w, NULL, 0, sync);
	return rc ? err_set(e, rc, "write image") : 0;
}

/* Make room for n bytes in the output buffer. */
static int img_reserve(struct img_writer *w, size_t n, struct err *e)
{
	if (w->out_len + n <= w->out_cap)
		return 0;
	return img_flush(w, 0, e);
}

/* Write the stream header onto an fd. */
int img_writer_open(struct img_writer *w, int fd, int comp, struct err *e)
{
	struct img_io io = {fd, NULL, NULL};
	return img_writer_open_io(w, &io, comp, e);
}

/* Write the stream header onto an img_io. */
int img_writer_open_io(struct img_writer *w, const struct img_io *io, int comp, struct err *e)
{
	memset(w, 0, sizeof(*w));
	w->fd = io->fd;
	w->io = *io;
	w->comp = comp;
	struct stat sb;
	off_t pos = io->fn ? -1 : lseek(io->fd, 0, SEEK_CUR);
	if (pos >= 0 && fstat(io->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		w->align = 1;
		w->base = (uint64_t)pos;
	}
	w->out_cap = OUT_CAP + IMG_REC_MAX;
	w->out = xmalloc(w->out_cap);
	w->raw = xmalloc(PAGES_RAW);
	w->cbuf = xmalloc(CBUF_LEN);
	struct img_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IMG_MAGIC, sizeof(IMG_MAGIC));
	h.version = IMG_VERSION;
	h.header_len = sizeof(h);
	snprintf(h.arch, sizeof(h.arch), "%s", ARCH_NAME);
	struct utsname u;
	if (uname(&u) == 0)
		memcpy(h.kernel, u.release, strnlen(u.release, sizeof(h.kernel) - 1));
	h.created = (uint64_t)time(NULL);
	h.crc = crc32c(0, &h, sizeof(h));
	memcpy(w->out, &h, sizeof(h));
	w->out_len = sizeof(h);
	return 0;
}

static int img_put(struct img_writer *w, uint16_t type, uint16_t comp, const void *p, size_t len,
		   size_t raw_len, struct err *e);

/* Before a full record of uncompressed pages in a file: a PAD record that
 * puts the page data (behind two record headers and struct img_pages) on a
 * page boundary. */
static int img_pad(struct img_writer *w, struct err *e)
{
	static const uint8_t zeros[IMG_PAGE];
	const uint64_t hdrs = sizeof(struct img_rec) + sizeof(struct img_pages);
	uint64_t pos = w->base + w->bytes + w->out_len;
	if ((pos + hdrs) % IMG_PAGE == 0)
		return 0;
	size_t pad =
	    (size_t)((IMG_PAGE - (pos + sizeof(struct img_rec) + hdrs) % IMG_PAGE) % IMG_PAGE);
	return img_put(w, IMG_R_PAD, COMP_NONE, zeros, pad, pad, e);
}

/* Append one record with a stored payload of len bytes (raw_len after decompression). */
static int img_put(struct img_writer *w, uint16_t type, uint16_t comp, const void *p, size_t len,
		   size_t raw_len, struct err *e)
{
	if (len > IMG_REC_MAX || raw_len > IMG_REC_MAX)
		return err_setx(e, -E2BIG, "image record %s too large (%zu bytes)",
				img_type_name(type), raw_len);
	int rc = 0;
	/* Only full records are worth aligning (a restorer maps no others):
	 * padding every one-page run of a sparse heap would double its image. */
	if (w->align && type == IMG_R_PAGES && comp == COMP_NONE && len == PAGES_RAW &&
	    (rc = img_pad(w, e)))
		return rc;
	/* Page payloads go out from the staging buffers, not through out. */
	int direct = len >= DIRECT_MIN && (p == w->raw || p == w->cbuf);
	rc = img_reserve(w, sizeof(struct img_rec) + (direct ? 0 : len), e);
	if (rc)
		return rc;
	struct img_rec h = {type, comp, (uint32_t)len, (uint32_t)raw_len, crc32c(0, p, len), 0, 0};
	h.hcrc = crc32c(0, &h, sizeof(h));
	memcpy(w->out + w->out_len, &h, sizeof(h));
	w->out_len += sizeof(h);
	w->nrec++;
	if (!direct) {
		memcpy(w->out + w->out_len, p, len);
		w->out_len += len;
		return 0;
	}
	/* A page payload goes out from where it is, behind what is buffered,
	 * written by the writer thread while the next one is prepared. */
	if (!w->async)
		img_async_start(w);
	if ((rc = img_emit(w, p, len, 0)))
		return err_set(e, rc, "write image");
	return 0;
}

/* Append a record made of two parts. */
int img_write(struct img_writer *w, uint16_t type, const void *a, size_t alen, const void *b,
	      size_t blen, struct err *e)
{
	if (alen + blen > IMG_REC_MAX)
		return err_setx(e, -E2BIG, "image record %s too large", img_type_name(type));
	uint8_t *tmp = xmalloc(alen + blen);
	memcpy(tmp, a, alen);
	if (blen)
		memcpy(tmp + alen, b, blen);
	int rc = img_put(w, type, COMP_NONE, tmp, alen + blen, alen + blen, e);
	free(tmp);
	return rc;
}

/* Where the caller puts page data for the next PAGES record. */
uint8_t *img_pages_buf(struct img_writer *w)
{
	return w->raw + sizeof(struct img_pages);
}

/* Emit a PAGES record from the staging buffer, compressed when that pays. */
int img_pages_commit(struct img_writer *w, uint64_t addr, uint32_t npages, struct err *e)
{
	struct img_pages ph = {addr, npages, 0};
	memcpy(w->raw, &ph, sizeof(ph));
	size_t raw_len = sizeof(ph) + (size_t)npages * IMG_PAGE;
	size_t clen = 0;
	int sink_waits = 0;
	if (w->adaptive && !w->async)
		img_async_start(w); /* from the next record on, it tells */
	else if (w->adaptive)
		sink_waits = !worker_busy(w->async->wk);
	w->nstored += w->comp != COMP_NONE && sink_waits;
	if (w->comp != COMP_NONE && !sink_waits)
		clen = comp_compress(w->comp, w->raw, raw_len, w->cbuf,
				     comp_bound(w->comp, PAGES_RAW));
	int rc = clen ? img_put(w, IMG_R_PAGES, (uint16_t)w->comp, w->cbuf, clen, raw_len, e)
		      : img_put(w, IMG_R_PAGES, COMP_NONE, w->raw, raw_len, raw_len, e);
	if (!rc)
		w->npages += npages;
	return rc;
}

/* Finish the stream. */
int img_writer_finish(struct img_writer *w, struct err *e)
{
	struct img_end end = {w->nrec + 1, w->npages};
	int rc = img_put(w, IMG_R_END, COMP_NONE, &end, sizeof(end), sizeof(end), e);
	return rc ? rc : img_flush(w, 1, e);
}

/* Free writer buffers. */
void img_writer_free(struct img_writer *w)
{
	img_async_stop(w);
	free(w->out);
	free(w->raw);
	free(w->cbuf);
	w->out = w->raw = w->cbuf = NULL;
}

/* Read exactly n bytes, naming truncation clearly. */
static int img_fill(struct img_reader *r, void *p, size_t n, const char *what, struct err *e)
{
	int rc = 0;
	if (r->map && n > r->map_len - r->offset)
		rc = -EIO;
	else if (r->map)
		memcpy(p, r->map + r->offset, n);
	else
		rc = img_io_move(&r->io, p, n, 1);
	if (rc == -EIO)
		return err_setx(
		    e, -EPROTO,
		    "truncated image: stream ends inside %s at offset %llu (no END record)", what,
		    (unsigned long long)r->offset);
	if (rc)
		return err_set(e, rc, "read image at offset %llu", (unsigned long long)r->offset);
	r->offset += n;
	return 0;
}

/* Read and validate the header from an fd. */
int img_reader_open(struct img_reader *r, int fd, struct err *e)
{
	struct img_io io = {fd, NULL, NULL};
	return img_reader_open_io(r, &io, e);
}

/* A regular file: map the stream instead of reading it (one copy less). */
static void img_reader_map(struct img_reader *r)
{
	struct stat sb;
	off_t pos = r->io.fn ? -1 : lseek(r->fd, 0, SEEK_CUR);
	if (pos < 0 || fstat(r->fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size <= pos)
		return;
	void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
	if (m == MAP_FAILED)
		return; /* read it then */
	r->map = (const uint8_t *)m + pos;
	r->map_len = (size_t)(sb.st_size - pos);
	r->base = (uint64_t)pos;
}

/* Read and validate the header from an img_io. */
int img_reader_open_io(struct img_reader *r, const struct img_io *io, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->fd = io->fd;
	r->io = *io;
	img_reader_map(r);
	int rc = img_fill(r, &r->hdr, sizeof(r->hdr), "the header", e);
	if (rc)
		return rc;
	if (memcmp(r->hdr.magic, IMG_MAGIC, sizeof(IMG_MAGIC)))
		return err_setx(e, -EPROTO, "not a process image (bad magic)");
	if (r->hdr.version < IMG_VERSION_MIN || r->hdr.version > IMG_VERSION)
		return err_setx(e, -EPROTO,
				"image version %u is not supported (this is version %u)",
				r->hdr.version, IMG_VERSION);
	struct img_header z = r->hdr;
	z.crc = 0;
	if (r->hdr.header_len != sizeof(r->hdr) || crc32c(0, &z, sizeof(z)) != r->hdr.crc)
		return err_setx(e, -EBADMSG, "corrupted image: the file header fails its checksum");
	r->hdr.arch[sizeof(r->hdr.arch) - 1] = '\0';
	r->hdr.kernel[sizeof(r->hdr.kernel) - 1] = '\0';
	if (strcmp(r->hdr.arch, ARCH_NAME))
		return err_setx(e, -EPROTO, "image is for %s, this machine is %s", r->hdr.arch,
				ARCH_NAME);
	r->buf = xmalloc(IMG_REC_MAX);
	r->raw = xmalloc(IMG_REC_MAX);
	r->spare_buf = xmalloc(IMG_REC_MAX);
	r->spare_raw = xmalloc(IMG_REC_MAX);
	return 0;
}

/* Check a record header's own integrity and bounds. */
static int img_check_rec(struct img_reader *r, const struct img_rec *h, uint64_t at, struct err *e)
{
	struct img_rec z = *h;
	z.hcrc = 0;
	if (crc32c(0, &z, sizeof(z)) != h->hcrc)
		return err_setx(e, -EBADMSG, "corrupted image: bad record header at offset %llu",
				(unsigned long long)at);
	if (h->type == 0 || h->type >= IMG_R__MAX)
		return err_setx(e, -EBADMSG,
				"corrupted image: unknown record type %u at offset %llu", h->type,
				(unsigned long long)at);
	if (h->len > IMG_REC_MAX || h->raw_len > IMG_REC_MAX || h->comp >= COMP__MAX ||
	    (h->comp == COMP_NONE && h->len != h->raw_len))
		return err_setx(e, -EBADMSG, "corrupted image: bad %s record length at offset %llu",
				img_type_name(h->type), (unsigned long long)at);
	return 0;
}

/* Check the END record against what was read. */
static int img_check_end(struct img_reader *r, const struct img_view *v, struct err *e)
{
	int rc = img_expect(v, sizeof(struct img_end), 0, e);
	if (rc)
		return rc;
	struct img_end end;
	memcpy(&end, v->data, sizeof(end));
	if (end.nrecords != r->nrec || end.npages != r->npages)
		return err_setx(
		    e, -EBADMSG,
		    "corrupted image: END says %llu records/%llu pages, stream had %llu/%llu",
		    (unsigned long long)end.nrecords, (unsigned long long)end.npages,
		    (unsigned long long)r->nrec, (unsigned long long)r->npages);
	r->done = 1;
	return 0;
}

/* Read the next record, PAD included. */
static int img_read_one(struct img_reader *r, struct img_view *v, struct err *e)
{
	if (r->done)
		return 0;
	struct img_rec h;
	uint64_t at = r->offset;
	int rc = img_fill(r, &h, sizeof(h), "a record header", e);
	if (rc || (rc = img_check_rec(r, &h, at, e)))
		return rc;
	/* Page data is used where it lies in a mapped file; everything else
	 * is copied, so that every record's data is aligned for its struct
	 * (page data in a file is: a page boundary minus struct img_pages). */
	const uint8_t *payload = r->buf, *pos = r->map ? r->map + r->offset : NULL;
	if (pos && h.len <= r->map_len - r->offset && h.type == IMG_R_PAGES &&
	    (uintptr_t)pos % sizeof(uint64_t) == 0) {
		payload = pos; /* checked below, before any use */
		r->offset += h.len;
	} else if ((rc = img_fill(r, r->buf, h.len, img_type_name(h.type), e))) {
		return rc;
	}
	if (crc32c(0, payload, h.len) != h.crc)
		return err_setx(e, -EBADMSG,
				"corrupted image: %s record at offset %llu fails its checksum",
				img_type_name(h.type), (unsigned long long)at);
	v->type = h.type;
	v->len = h.raw_len;
	v->offset = at;
	v->data = payload;
	v->file_off = payload == r->buf ? -1 : (int64_t)(r->base + (uint64_t)(payload - r->map));
	if (h.comp != COMP_NONE) {
		v->file_off = -1;
		if (comp_decompress(h.comp, payload, h.len, r->raw, h.raw_len))
			return err_setx(
			    e, -EBADMSG,
			    "corrupted image: %s data at offset %llu does not decompress",
			    comp_name(h.comp), (unsigned long long)at);
		v->data = r->raw;
	}
	r->nrec++;
	if (h.type == IMG_R_PAGES) {
		if ((rc = img_expect(v, sizeof(struct img_pages), 1, e)))
			return rc;
		struct img_pages ph;
		memcpy(&ph, v->data, sizeof(ph));
		if (ph.npages == 0 || ph.npages > IMG_PAGES_PER_REC ||
		    v->len != sizeof(ph) + (size_t)ph.npages * IMG_PAGE || ph.addr % IMG_PAGE)
			return err_setx(e, -EBADMSG,
					"corrupted image: bad PAGES record at offset %llu",
					(unsigned long long)at);
		r->npages += ph.npages;
	}
	if (h.type == IMG_R_END)
		return (rc = img_check_end(r, v, e)) ? rc : 0;
	return 1;
}

/* Read the next record; PAD records are only alignment and are skipped. */
int img_read(struct img_reader *r, struct img_view *v, struct err *e)
{
	uint8_t *t = r->buf;
	r->buf = r->spare_buf, r->spare_buf = t;
	t = r->raw, r->raw = r->spare_raw, r->spare_raw = t;
	int rc;
	while ((rc = img_read_one(r, v, e)) == 1 && v->type == IMG_R_PAD)
		;
	return rc;
}

/* Free reader buffers. */
void img_reader_free(struct img_reader *r)
{
	if (r->map)
		munmap((void *)(r->map - r->base), r->map_len + r->base);
	r->map = NULL;
	free(r->buf);
	free(r->raw);
	free(r->spare_buf);
	free(r->spare_raw);
	r->buf = r->raw = r->spare_buf = r->spare_raw = NULL;
}

/* Length check for a record's payload. */
int img_expect(const struct img_view *v, size_t n, int var, struct err *e)
{
	if (v->len == n || (var && v->len >= n))
		return 0;
	return err_setx(e, -EBADMSG,
			"corrupted image: %s record at offset %llu has %u bytes, expected %s%zu",
			img_type_name(v->type), (unsigned long long)v->offset, v->len,
			var ? "at least " : "", n);
}
