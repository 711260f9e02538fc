/* check.h: `hostctl check`: what this host offers, gathered once. */
#ifndef HOSTCTL_CHECK_H
#define HOSTCTL_CHECK_H

#include <limits.h>

#include "appliance/err.h"
#include "probe.h"

struct check_result {
	struct probe_host host;
	int libvirt_running;
	int libvirt_ok;
	char libvirt_detail[ERR_MSG_MAX];
	unsigned long libvirt_version; /* major * 1e6 + minor * 1e3 + micro */
	int tb_cache;
	char image[PATH_MAX];
	int image_ok;
	char image_detail[ERR_MSG_MAX];
	long nodes_fit; /* default-size nodes that fit in available memory */
};

/* Gather the facts (does not start any daemon). */
void check_gather(const char *image, struct check_result *r);
/* Is everything needed for `hostctl up` there? (libvirt may still be down: up starts it.) */
int check_ready(const struct check_result *r);

#endif
