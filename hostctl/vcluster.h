/* cluster.h: the cluster lifecycle: up, down, and what ssh needs. */
#ifndef HOSTCTL_CLUSTER_H
#define HOSTCTL_CLUSTER_H

#include "appliance/err.h"
#include "state.h"

#define CLUSTER_DEFAULT_NAME "mosix"
#define CLUSTER_MEM_OVERHEAD_MB 160 /* QEMU + capped TCG code cache per node */
#define CLUSTER_TB_CACHE_MIB 64

struct cluster_up_opts {
	const char *name;
	int nodes, cpus, mem_mb;
	const char *image; /* dir with base.qcow2, vmlinux, initrd.img */
	double timeout_s;
	int keep_on_failure;
	int force_tcg;
};

/* Bring a cluster up and wait until every node answers ssh. */
int cluster_up(const struct cluster_up_opts *o, struct err *e);
/* Remove everything a cluster has: domains, network, overlays, keys, state. */
int cluster_down(const char *name, struct err *e);
/* argv for ssh to a node as root with the cluster's keys; cmd may be empty.
 * Free with cluster_argv_free. */
char **cluster_ssh_argv(const struct cluster *c, int node, char **cmd, int ncmd);
void cluster_argv_free(char **v);
/* Parse "2" or "n2" into a node number valid for c. */
int cluster_parse_node(const struct cluster *c, const char *s, int *node, struct err *e);

#endif
