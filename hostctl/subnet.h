/* subnet.h: choose a private /24 nobody on this host uses yet. */
#ifndef HOSTCTL_SUBNET_H
#define HOSTCTL_SUBNET_H

#include <libvirt/libvirt.h>

#include "appliance/err.h"

/* Write the first three octets of a free /24 to out ("10.213.7"). A /24 is
 * free when no host route or interface address overlaps it, no libvirt
 * network uses it, and no other hostctl cluster has it. */
int subnet_pick(virConnectPtr c, char out[16], struct err *e);
/* Does the /24 a.b.c.0 overlap a route or an interface address of this host? */
int subnet_clashes_host(unsigned a, unsigned b, unsigned d);

#endif
