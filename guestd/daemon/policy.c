/* policy.c: the policy service: stay and lstay. */
#define LOG_PREFIX "policy"
#include "daemon/policy.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <stdlib.h>

struct policy_svc {
	uint32_t status; /* NODE_ST_STAY | NODE_ST_LSTAY */
};

uint32_t policy_status(struct hub *h)
{
	return h->policy->status;
}

/* Set or clear one flag, and say so. */
static void policy_flag(struct hub *h, struct hub_client *c, uint32_t flag, int on,
			const char *what)
{
	uint32_t *st = &h->policy->status;
	*st = on ? *st | flag : *st & ~flag;
	log_info("%s", what);
	hub_reply(h, c, 0, "%s", what);
}

static void policy_stay(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	policy_flag(h, c, NODE_ST_STAY, 1, "stay: no automatic migration away from this node");
}

static void policy_nostay(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	policy_flag(h, c, NODE_ST_STAY, 0, "nostay: automatic migration allowed");
}

static void policy_lstay(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	policy_flag(h, c, NODE_ST_LSTAY, 1, "lstay: local processes stay; guests may leave");
}

static void policy_nolstay(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	policy_flag(h, c, NODE_ST_LSTAY, 0, "nolstay: local processes may leave");
}

static int policy_start(struct hub *h, struct err *e)
{
	h->policy = xcalloc(1, sizeof(*h->policy));
	return 0;
}

static void policy_stop(struct hub *h)
{
	free(h->policy);
	h->policy = NULL;
}

static const struct hub_request policy_requests[] = {
    {LAPI_STAY, HUB_ROOT, 0, policy_stay},
    {LAPI_NOSTAY, HUB_ROOT, 0, policy_nostay},
    {LAPI_LSTAY, HUB_ROOT, 0, policy_lstay},
    {LAPI_NOLSTAY, HUB_ROOT, 0, policy_nolstay},
};

const struct service svc_policy = {
    .name = "policy",
    .start = policy_start,
    .stop = policy_stop,
    .requests = policy_requests,
    .nrequests = ARRAY_SIZE(policy_requests),
};
