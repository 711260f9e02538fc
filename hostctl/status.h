/* status.h: what hostctl knows about its clusters, in words or JSON. */
#ifndef HOSTCTL_STATUS_H
#define HOSTCTL_STATUS_H

#include "appliance/err.h"

/* Print one cluster (name) or all clusters (name NULL). -ENOENT if the named
 * cluster is not up. */
int status_print(const char *name, int json, struct err *e);

#endif
