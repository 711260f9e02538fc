/* vcluster.h: the cluster lifecycle: up, down, and what ssh needs. */
#ifndef HOSTCTL_VCLUSTER_H
#define HOSTCTL_VCLUSTER_H

#include "appliance/err.h"
#include "state.h"
#include "virt.h"
#include "xml.h"

#define VCLUSTER_DEFAULT_NAME "mosix"
#define VCLUSTER_MEM_OVERHEAD_MB 160 /* QEMU + capped TCG code cache per node */
#define VCLUSTER_TB_CACHE_MIB 64

struct vcluster_up_opts {
	const char *name;
	int nodes, cpus, mem_mb;
	const char *image; /* dir with base.qcow2, vmlinux, initrd.img */
	double timeout_s;
	int keep_on_failure;
	int force_tcg;
};

/* Bring a cluster up and wait until every node answers ssh. */
int vcluster_up(const struct vcluster_up_opts *o, struct err *e);
/* Remove everything a cluster has: domains, network, overlays, keys, state. */
int vcluster_down(const char *name, struct err *e);
/* argv for ssh to a node as root with the cluster's keys; cmd may be empty.
 * Free with vcluster_argv_free. */
char **vcluster_ssh_argv(const struct vcluster *c, int node, char **cmd, int ncmd);
void vcluster_argv_free(char **v);
/* Define and start the domain of one node (its dir, disk and keys exist). */
int vcluster_start_node(virConnectPtr v, const struct vcluster *c, int node,
			const struct xml_opts *xo, struct err *e);
/* The domain options every node of this host gets. */
struct xml_opts vcluster_xml_opts(virConnectPtr v);
/* Wait until nodes ids[0..n) answer ssh; on timeout show the silent ones'
 * consoles. */
int vcluster_wait_ssh(const struct vcluster *c, const int *ids, int n, double timeout_s,
		      struct err *e);
/* Wait until every node's guestd sees every node of c up, with a progress line. */
int vcluster_wait_gossip(const struct vcluster *c, double timeout_s, struct err *e);
/* Parse "2" or "n2" into a node number valid for c. */
int vcluster_parse_node(const struct vcluster *c, const char *s, int *node, struct err *e);

#endif
