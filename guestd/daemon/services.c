/* services.c: guestd's services, in start order. A new service is a file
 * and a line here. */
#include "daemon/hub.h"

extern const struct service svc_members, svc_peers, svc_registry, svc_guests, svc_policy,
    svc_gossip, svc_balance, svc_ask;

const struct service *const hub_services[] = {
    &svc_peers,	   /* connections from other nodes, and to them */
    &svc_members,  /* the cluster map: info, map, reload */
    &svc_registry, /* this node's migratable processes */
    &svc_guests,   /* guests: block, expel */
    &svc_policy,   /* stay, lstay */
    &svc_gossip,   /* resource discovery: measure, tell, learn */
    &svc_balance,  /* automatic moves */
    &svc_ask,	   /* another node's view or registry, for mmon */
};

const size_t hub_nservices = sizeof(hub_services) / sizeof(hub_services[0]);
