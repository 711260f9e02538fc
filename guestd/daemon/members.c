/* members.c: the members service: the cluster map as this node has it:
 * this node's number, the nodes and their addresses, reading it again. */
#define LOG_PREFIX "guestd"
#include "daemon/hub.h"
#include "appliance/util.h"

#include <stdio.h>

/* LAPI_INFO: this node's number and the node count. */
static void members_info(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	hub_reply(h, c, 0, "node %d of %zu", h->cl.self, h->cl.nnodes);
}

/* LAPI_MAP: the nodes of the map and their addresses. */
static void members_map(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	static char msg[LAPI_MSG_MAX];
	size_t at = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < h->cl.nnodes && at + 80 < sizeof(msg); i++)
		at += (size_t)snprintf(msg + at, sizeof(msg) - at, "%d %s\n", h->cl.nodes[i].num,
				       h->cl.nodes[i].addr);
	hub_reply(h, c, 0, "%s", msg);
}

/* LAPI_RELOAD (as SIGHUP). */
static void members_reload(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	struct err e = {0, ""};
	int rc = hub_reload(h, &e);
	hub_reply(h, c, rc, "%s", rc ? e.msg : "map reloaded");
}

static const struct hub_request members_requests[] = {
    {LAPI_INFO, HUB_ANYONE, 0, members_info},
    {LAPI_MAP, HUB_ANYONE, 0, members_map},
    {LAPI_RELOAD, HUB_ROOT, 0, members_reload},
};

const struct service svc_members = {
    .name = "members",
    .requests = members_requests,
    .nrequests = ARRAY_SIZE(members_requests),
};
