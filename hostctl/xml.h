/* xml.h: libvirt XML for a cluster's network and its node domains. */
#ifndef HOSTCTL_XML_H
#define HOSTCTL_XML_H

#include "state.h"

struct xml_opts {
	int tb_cache_mib;	 /* TCG translation cache cap, 0 to leave QEMU's default */
	const char *kernel_args; /* appended to the kernel command line, or NULL */
};

/* An isolated network (no <forward>, no DNS) with one DHCP host entry per node. */
char *xml_network(const struct vcluster *c);
/* Node domain: direct PVH kernel boot, qcow2 overlay, fw_cfg config, logged serial. */
char *xml_domain(const struct vcluster *c, int node, const struct xml_opts *o);

#endif
