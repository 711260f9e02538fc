/* migrate.c: process images carried by wire frames. */
#include "remote/migrate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Reading side of an image carried by frames. */
struct mig_src {
	struct wire_conn *c;
	const uint8_t *p;
	size_t left;
	int ended;
	struct err *e;
};

#define MIG_PROGRESS_STEP (8u << 20)

static void (*progress_fn)(uint64_t, void *);
static void *progress_arg;
static uint64_t progress_bytes, progress_next;

void mig_set_progress(void (*fn)(uint64_t bytes, void *arg), void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
	progress_bytes = 0;
	progress_next = MIG_PROGRESS_STEP;
}

/* Count image bytes; report every MIG_PROGRESS_STEP. */
static void mig_count(size_t n)
{
	progress_bytes += n;
	if (progress_fn && progress_bytes >= progress_next) {
		progress_next = progress_bytes + MIG_PROGRESS_STEP;
		progress_fn(progress_bytes, progress_arg);
	}
}

/* img_io function: send bytes as WIRE_IMAGE frames. */
static int mig_sink(void *ctx, void *buf, size_t n)
{
	struct wire_conn *c = ctx;
	const uint8_t *p = buf;
	while (n) {
		size_t k = n < WIRE_MAX_PAYLOAD ? n : WIRE_MAX_PAYLOAD;
		int rc = wire_send(c, WIRE_IMAGE, p, k, NULL);
		if (rc)
			return rc;
		mig_count(k);
		p += k;
		n -= k;
	}
	return 0;
}

/* img_io function: take bytes out of WIRE_IMAGE frames. */
static int mig_source(void *ctx, void *buf, size_t n)
{
	struct mig_src *s = ctx;
	uint8_t *out = buf;
	while (n) {
		if (!s->left) {
			uint16_t type;
			if (s->ended)
				return -EIO;
			int rc = wire_recv(s->c, &type, &s->p, &s->left, s->e);
			if (rc)
				return rc;
			if (type == WIRE_IMAGE_END)
				s->ended = 1;
			else if (type != WIRE_IMAGE)
				return -EPROTO;
			mig_count(s->left);
			continue;
		}
		size_t k = n < s->left ? n : s->left;
		memcpy(out, s->p, k);
		s->p += k;
		s->left -= k;
		out += k;
		n -= k;
	}
	return 0;
}

/* Send an image. */
int mig_send_image(struct wire_conn *c, pid_t pid, const struct dump_opts *o, struct dump_stats *st,
		   struct err *e)
{
	struct img_io io = {-1, mig_sink, c};
	int rc = dump_process_io(pid, &io, o, st, e);
	if (rc) { /* tell the other side the stream is over and why */
		mig_send_status(c, WIRE_ERROR, rc, e ? e->msg : "dump failed", NULL);
		return rc;
	}
	return wire_send(c, WIRE_IMAGE_END, NULL, 0, e);
}

/* Receive and restore an image; the END frame is consumed too. */
int mig_recv_image(struct wire_conn *c, const struct restore_opts *o, pid_t *pid,
		   struct restore_info *info, struct err *e)
{
	struct mig_src s = {c, NULL, 0, 0, e};
	struct img_io io = {-1, mig_source, &s};
	int rc = restore_process_io(&io, o, pid, info, e);
	while (!rc && !s.ended) { /* the image is read: consume frames up to IMAGE_END */
		uint16_t type;
		const uint8_t *p;
		size_t n;
		rc = wire_recv(c, &type, &p, &n, e);
		if (!rc && type == WIRE_IMAGE_END)
			s.ended = 1;
		else if (!rc && type != WIRE_IMAGE)
			rc = err_setx(e, -EPROTO, "frame %u inside an image stream", type);
	}
	return rc;
}

/* Send a status. */
int mig_send_status(struct wire_conn *c, uint16_t type, int status, const char *msg, struct err *e)
{
	struct mig_status st;
	memset(&st, 0, sizeof(st));
	st.status = status;
	snprintf(st.msg, sizeof(st.msg), "%s", msg ? msg : "");
	return wire_send(c, type, &st, sizeof(st), e);
}
