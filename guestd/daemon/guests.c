/* guests.c: the guests service: processes arrive (each served by a
 * supervisor, a child of guestd), block, expel, unblock. */
#define LOG_PREFIX "guests"
#include "daemon/guests.h"
#include "daemon/hub.h"
#include "daemon/hubc.h"
#include "daemon/nodes.h"
#include "daemon/registry.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"
#include "remote/body.h"
#include "remote/migrate.h"

#include <errno.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#define NOBODY 65534 /* who bodies run as */

struct guests_svc {
	int blocked;	 /* refuse arriving processes (expel, block) */
	int expelling;	 /* an expel is under way */
	unsigned failed; /* guests that could not be sent home since the last expel */
};

int guests_accepting(struct hub *h)
{
	return !h->guests->blocked;
}

int guests_expelling(struct hub *h)
{
	return h->guests->expelling;
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

/* In a supervisor: refuse an arriving process (the node is blocked). A
 * migration's image is read and dropped so that home hears the reason, not
 * a reset. */
static int guests_refuse(struct wire_conn *c, uint16_t type, const char *why)
{
	struct err e = {0, ""};
	const uint8_t *p;
	size_t len;
	while (type == WIRE_MIGRATE && !wire_recv(c, &type, &p, &len, &e) && type != WIRE_IMAGE_END)
		;
	mig_send_status(c, WIRE_STARTED, -EBUSY, why, NULL);
	log_info("refused a process from node %d: %s", c->peer_node, why);
	return 0;
}

/* In a supervisor (a child of guestd): a process arrives (WIRE_MIGRATE), or
 * a body forked here asks for its child to be served (WIRE_ADOPT). Register
 * the guest with guestd, then serve it until it is gone. */
static int guests_serve(struct hub *h, struct wire_conn *c, uint16_t type, const uint8_t *p,
			size_t len, struct err *e)
{
	struct mig_hello hello = {0, 0, 0, 0}; /* first in both frames */
	struct lapi_proc g;
	struct hubc hc;
	memcpy(&hello, p, len < sizeof(hello) ? len : sizeof(hello));
	memset(&g, 0, sizeof(g));
	g.pid = hello.home_pid;
	g.home_node = hello.home_node;
	g.uid = hello.uid;
	hubc_init(&hc);
	int rc = hubc_register(&hc, &g, e);
	if (rc == -EBUSY)
		return guests_refuse(c, type, e->msg);
	if (rc) /* guestd is going away: serve it all the same, register later */
		log_warn("guest from node %d not registered yet: %s", c->peer_node, e->msg);
	struct body_conf bc = {h->cl.self, h->empty, NOBODY, NOBODY, h->o->guest_mem, &hc};
	rc = type == WIRE_ADOPT ? body_adopt(c, p, len, &bc, e) : body_serve(c, p, len, &bc, e);
	hubc_send(&hc, LAPI_PROC_GONE, &hc.self, rc, 0, NULL);
	hubc_close(&hc);
	return rc;
}

static const struct hub_frame guests_frames[] = {
    {WIRE_MIGRATE, guests_serve},
    {WIRE_ADOPT, guests_serve},
};

static const struct hub_request guests_requests[] = {
    {LAPI_EXPEL, HUB_ROOT, 0, guests_req_expel},
    {LAPI_GUESTS, HUB_ANYONE, 0, guests_req_count},
    {LAPI_UNBLOCK, HUB_ROOT, 0, guests_req_unblock},
    {LAPI_BLOCK, HUB_ROOT, 0, guests_req_block},
};

const struct service svc_guests = {
    .name = "guests",
    .start = guests_start,
    .stop = guests_stop,
    .requests = guests_requests,
    .nrequests = ARRAY_SIZE(guests_requests),
    .frames = guests_frames,
    .nframes = ARRAY_SIZE(guests_frames),
};
