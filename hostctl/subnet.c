/* subnet.c: pick a free private /24 for a cluster network. */
#include "subnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "state.h"
#include "virt.h"

/* Do net1/mask1 and net2/mask2 (host order) overlap? */
static int subnet_overlap(uint32_t n1, uint32_t m1, uint32_t n2, uint32_t m2)
{
	uint32_t m = m1 & m2; /* the shorter prefix decides */
	return (n1 & m) == (n2 & m);
}

/* Check /proc/net/route (hex, network byte order as stored) and getifaddrs. */
int subnet_clashes_host(unsigned a, unsigned b, unsigned d)
{
	uint32_t net = (a << 24) | (b << 16) | (d << 8), mask = 0xffffff00u;
	_cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		char ifn[64];
		unsigned dst, gw, flags, refcnt, use, metric, msk;
		if (sscanf(line, "%63s %x %x %x %u %u %u %x", ifn, &dst, &gw, &flags, &refcnt, &use,
			   &metric, &msk) != 8)
			continue;
		if (msk == 0) /* the default route overlaps everything; it is not a claim */
			continue;
		if (subnet_overlap(net, mask, ntohl(dst), ntohl(msk)))
			return 1;
	}
	struct ifaddrs *ifa = NULL, *i;
	int hit = 0;
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i && !hit; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
				continue;
			uint32_t ip = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
			hit = (ip & mask) == net;
		}
		freeifaddrs(ifa);
	}
	return hit;
}

/* Is the subnet already a hostctl cluster's? */
static int subnet_used_by_cluster(const char *sub)
{
	char **names = state_list();
	int hit = 0;
	for (size_t i = 0; names[i]; i++) {
		struct vcluster c;
		if (state_load(names[i], &c, NULL) == 0 && !strcmp(c.subnet, sub))
			hit = 1;
		free(names[i]);
	}
	free(names);
	return hit;
}

/* Try 10.213.x, then 172.29.x, then 192.168.x. */
int subnet_pick(virConnectPtr c, char out[16], struct err *e)
{
	static const unsigned bases[][2] = {{10, 213}, {172, 29}, {192, 168}};
	for (size_t k = 0; k < ARRAY_SIZE(bases); k++) {
		for (unsigned d = 1; d < 255; d++) {
			char sub[16], pre[20];
			snprintf(sub, sizeof(sub), "%u.%u.%u", bases[k][0], bases[k][1], d);
			snprintf(pre, sizeof(pre), "%s.", sub);
			if (subnet_clashes_host(bases[k][0], bases[k][1], d) ||
			    subnet_used_by_cluster(sub) || virt_net_uses_prefix(c, pre))
				continue;
			memcpy(out, sub, strlen(sub) + 1);
			return 0;
		}
	}
	return err_setx(e, -EADDRNOTAVAIL, "no free private /24 found for the cluster network");
}
