/* check.c: gather host facts for `hostctl check`. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "vcluster.h"
#include "prep.h"
#include "daemon.h"
#include "virt.h"

/* libvirt: running, reachable, version. */
static void check_libvirt(struct check_result *r)
{
	r->libvirt_running = daemon_running();
	if (!r->libvirt_running) {
		snprintf(r->libvirt_detail, sizeof(r->libvirt_detail),
			 "libvirtd not running (hostctl up starts it)");
		return;
	}
	virConnectPtr c = NULL;
	struct err e = {0};
	if (virt_open(&c, 0, STATE_ROOT, &e) < 0) {
		snprintf(r->libvirt_detail, sizeof(r->libvirt_detail), "%s", e.msg);
		return;
	}
	r->libvirt_ok = 1;
	virConnectGetLibVersion(c, &r->libvirt_version);
	r->tb_cache = virt_has_tb_cache(c);
	snprintf(r->libvirt_detail, sizeof(r->libvirt_detail), "%s reachable", VIRT_URI);
	virt_close(c);
}

/* Gather everything. */
void check_gather(const char *image, struct check_result *r)
{
	memset(r, 0, sizeof(*r));
	probe_host(&r->host, 1000);
	check_libvirt(r);
	if (!realpath(image, r->image))
		snprintf(r->image, sizeof(r->image), "%s", image);
	struct err e = {0};
	r->image_ok = prep_image_ok(r->image, &e) == 0;
	if (!r->image_ok) {
		snprintf(r->image_detail, sizeof(r->image_detail), "%s", e.msg);
	} else {
		_cleanup_free_ char *info = xasprintf("%s/image.info", r->image);
		_cleanup_free_ char *s = NULL;
		char *k = NULL;
		if (util_read_file(info, &s) > 0 && (k = strstr(s, "kernel=")))
			k[strcspn(k, "\n")] = '\0';
		snprintf(r->image_detail, sizeof(r->image_detail), "%s", k ? k : "present");
	}
	r->nodes_fit = r->host.mem_avail_mb / (256 + VCLUSTER_MEM_OVERHEAD_MB);
}

/* Ready for `hostctl up`? */
int check_ready(const struct check_result *r)
{
	return !r->host.missing_tool && r->image_ok && (r->libvirt_ok || !r->libvirt_running);
}
