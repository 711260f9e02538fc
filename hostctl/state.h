/* state.h: a cluster's persistent state under /var/lib/mosix-hostctl/NAME/. */
#ifndef HOSTCTL_STATE_H
#define HOSTCTL_STATE_H

#include <limits.h>

#include "appliance/err.h"

#define STATE_ROOT "/var/lib/mosix-hostctl"
#define STATE_NAME_MAX 24
#define STATE_NODES_MAX 64

/* What `hostctl up` decided; written to DIR/state.conf. */
struct vcluster {
	char name[STATE_NAME_MAX + 1];
	int nodes, cpus, mem_mb;
	int id[STATE_NODES_MAX]; /* node numbers, ascending (nodes may have been removed) */
	char subnet[16];	 /* first three octets, "10.213.7" */
	char accel[8];		 /* libvirt domain type: "qemu" (TCG) or "kvm" */
	char image[PATH_MAX];
	char dir[PATH_MAX];
};

/* Is name a valid cluster name ([a-z0-9][a-z0-9-]*, at most STATE_NAME_MAX)? */
int state_name_ok(const char *name);
/* Index of node number k in c->id, or -1 if the cluster has no such node. */
int state_node_index(const struct vcluster *c, int k);
/* Number 1..STATE_NODES_MAX for a new node: the lowest one not in use. */
int state_free_node(const struct vcluster *c);
/* "1,2,4": c's node numbers (free it). */
char *state_ids(const struct vcluster *c);
/* Fill c->dir from c->name. */
void state_set_dir(struct vcluster *c);
/* Write DIR/state.conf. */
int state_save(const struct vcluster *c, struct err *e);
/* Read a cluster's state. -ENOENT if it is not up. */
int state_load(const char *name, struct vcluster *c, struct err *e);
/* Names of clusters with a state dir (NULL-terminated; free each and the array). */
char **state_list(void);
/* Remove a directory tree. */
int state_rmtree(const char *dir, struct err *e);
/* Take the global hostctl lock (blocks); returns an fd to close, or -errno. */
int state_lock(struct err *e);
/* Remove the state root if it is empty (under the lock). */
void state_prune_root(void);
/* Write text to DIR/rel with mode (creating or truncating). */
int state_write(const char *dir, const char *rel, const char *text, int mode, struct err *e);

/* Names derived from the cluster (caller frees). */
char *state_net_name(const struct vcluster *c);
char *state_bridge_name(const struct vcluster *c);
char *state_dom_name(const struct vcluster *c, int node);
char *state_node_ip(const struct vcluster *c, int node);
char *state_node_mac(const struct vcluster *c, int node);
char *state_node_dir(const struct vcluster *c, int node);

#endif
