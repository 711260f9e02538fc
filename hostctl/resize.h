/* resize.h: add a node to a running cluster, or remove one. */
#ifndef HOSTCTL_RESIZE_H
#define HOSTCTL_RESIZE_H

#include "appliance/err.h"
#include "vcluster.h"

/* Add one node (the lowest free number): host key, overlay, DHCP entry,
 * domain; wait for its ssh; give every node the new map; wait until every
 * node sees every other. Undone on failure. */
int resize_add(const char *name, double timeout_s, struct err *e);
/* Remove node_arg ("3" or "n3"; never node 1): expel its guests and bring
 * its own processes home (refused if that fails, unless force), destroy its
 * domain and overlay, drop its DHCP entry, give the others the new map. */
int resize_remove(const char *name, const char *node_arg, int force, struct err *e);

#endif
