/* imgtamper: rewrite a process image into a new, valid stream with one thing
 * changed, so tests can check what the restorer does with an image that is
 * well-formed but wrong for this machine.
 *   imgtamper IN OUT vdso     the vdso checksum differs (an image from another kernel)
 *   imgtamper IN OUT uid N    the image belongs to uid N
 *   imgtamper IN OUT copy     an unchanged copy (control) */
#include "engine/image.h"
#include "appliance/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Apply the change to one record's payload in place. */
static void tamper(uint16_t type, uint8_t *p, const char *what, long arg)
{
	if (type == IMG_R_VDSO && !strcmp(what, "vdso"))
		((struct img_vdso *)p)->vdso_crc ^= 0x1234567u;
	if (type == IMG_R_PROC && !strcmp(what, "uid"))
		((struct img_proc *)p)->uid = (uint32_t)arg;
}

/* Copy one record to the writer. */
static int copy_rec(struct img_writer *w, const struct img_view *v, const char *what, long arg,
		    struct err *e)
{
	if (v->type == IMG_R_PAGES) {
		struct img_pages ph;
		memcpy(&ph, v->data, sizeof(ph));
		memcpy(img_pages_buf(w), v->data + sizeof(ph), (size_t)ph.npages * IMG_PAGE);
		return img_pages_commit(w, ph.addr, ph.npages, e);
	}
	uint8_t *p = malloc(v->len);
	memcpy(p, v->data, v->len);
	tamper(v->type, p, what, arg);
	int rc = img_write(w, v->type, p, v->len, NULL, 0, e);
	free(p);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: imgtamper IN OUT {vdso|uid N|copy}\n");
		return 2;
	}
	long arg = argc > 4 ? atol(argv[4]) : 0;
	int in = open(argv[1], O_RDONLY), out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct img_reader r = {.fd = -1};
	struct img_writer w = {.fd = -1};
	struct img_view v;
	struct err e = {0, ""};
	int rc = in < 0 || out < 0 ? -1 : img_reader_open(&r, in, &e);
	if (!rc)
		rc = img_writer_open(&w, out, 0, &e);
	while (!rc && (rc = img_read(&r, &v, &e)) > 0)
		rc = copy_rec(&w, &v, argv[3], arg, &e);
	if (!rc)
		rc = img_writer_finish(&w, &e);
	img_reader_free(&r);
	img_writer_free(&w);
	if (rc) {
		fprintf(stderr, "imgtamper: %s\n", e.msg[0] ? e.msg : "cannot open files");
		return 1;
	}
	return 0;
}
