/* guests.c: the guests service: block, expel, unblock. */
#define LOG_PREFIX "guests"
#include "daemon/guests.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "daemon/registry.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <stdlib.h>
#include <unistd.h>

#define EXPEL_ON_STOP_MS 30000 /* SIGTERM: how long guests may take to go home */

struct guests_svc {
	int blocked;	 /* refuse arriving processes (expel, block) */
	int expelling;	 /* an expel is under way */
	unsigned failed; /* guests that could not be sent home since the last expel */
};

int guests_accepting(struct hub *h)
{
	return !h->guests->blocked;
}

size_t guests_here(struct hub *h)
{
	return registry_guests(h);
}

uint32_t guests_status(struct hub *h)
{
	struct guests_svc *s = h->guests;
	if (s->expelling && !registry_guests(h))
		s->expelling = 0;
	return (s->blocked ? NODE_ST_BLOCK : 0) | (s->expelling ? NODE_ST_EXPELLING : 0);
}

void guests_ended(struct hub *h, int status)
{
	if (status && h->guests->expelling)
		h->guests->failed++;
}

/* Block arrivals and send every guest home. */
static size_t guests_expel(struct hub *h)
{
	h->guests->blocked = h->guests->expelling = 1;
	h->guests->failed = 0;
	return registry_expel(h);
}

static void guests_req_expel(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	size_t n = guests_expel(h);
	if (n)
		log_info("expel: asked %zu guests to go home; arrivals blocked", n);
	hub_reply(h, c, 0, "%zu", n);
}

unsigned guests_failed(struct hub *h)
{
	return h->guests->failed;
}

static void guests_req_count(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	hub_reply(h, c, 0, "guests %zu failed %u blocked %d", registry_guests(h), h->guests->failed,
		  h->guests->blocked);
}

static void guests_req_unblock(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	h->guests->blocked = h->guests->expelling = 0;
	hub_reply(h, c, 0, "unblocked: guests may arrive");
}

static void guests_req_block(struct hub *h, struct hub_client *c, const struct lapi_req *q)
{
	h->guests->blocked = 1;
	hub_reply(h, c, 0, "blocked: no new guests (those here stay)");
}

static int guests_start(struct hub *h, struct err *e)
{
	h->guests = xcalloc(1, sizeof(*h->guests));
	return 0;
}

static void guests_stop(struct hub *h)
{
	free(h->guests);
	h->guests = NULL;
}

/* Stopping: send every guest home. */
size_t guests_expel_on_stop(struct hub *h)
{
	size_t n = guests_expel(h);
	if (n)
		log_info("stopping: sending %zu guests home", n);
	return n;
}

static const struct hub_request guests_requests[] = {
    {LAPI_EXPEL, HUB_ROOT, guests_req_expel},
    {LAPI_GUESTS, HUB_ANYONE, guests_req_count},
    {LAPI_UNBLOCK, HUB_ROOT, guests_req_unblock},
    {LAPI_BLOCK, HUB_ROOT, guests_req_block},
};

const struct service svc_guests = {
    .name = "guests",
    .start = guests_start,
    .stop = guests_stop,
    .requests = guests_requests,
    .nrequests = ARRAY_SIZE(guests_requests),
};
