/* prep.h: prepare a new cluster's state directory. */
#ifndef HOSTCTL_PREP_H
#define HOSTCTL_PREP_H

#include "appliance/err.h"
#include "state.h"

/* Is the image directory complete (base.qcow2, vmlinux, initrd.img)? */
int prep_image_ok(const char *dir, struct err *e);
/* Create the state dir tree; -EEXIST (the name is in use) if it exists. */
int prep_dirs(const struct vcluster *c, struct err *e);
/* Pin the image into the state dir (hard link, else copy), so that rebuilding
 * the image never changes the backing file of a running cluster. */
int prep_pin_image(const struct vcluster *c, struct err *e);
/* Login key, node key, host keys, authorized_keys, known_hosts, and the
 * appliance's cluster map and key (DIR/mosix/cluster.conf, cluster.key). */
int prep_keys(const struct vcluster *c, struct err *e);
/* A node added to a running cluster: its dir, host key and overlay. */
int prep_node(const struct vcluster *c, int node, struct err *e);
/* Rewrite the cluster map (keeping the key) and known_hosts for the nodes
 * c has now. */
int prep_update_maps(const struct vcluster *c, struct err *e);
/* One qcow2 overlay per node over the pinned base image. */
int prep_disks(const struct vcluster *c, struct err *e);

#endif
