/* gossip.h: what this node knows of every node, MOSIX-style (BALANCING.md).
 * Every step a node refreshes its own vector and sends the W freshest
 * entries it knows (its own always among them) to one node: on even steps a
 * push to a random node (usually one it believes alive, with probability
 * 1/max(5, alive) any node, so that dead ones are tried now and then), on
 * odd steps a pull from the live node whose entry is oldest, which answers
 * with its own window (MOSIX's push-pull variant: it cuts the tail of the
 * ages). Entries carry ages, not clock times. One
 * authenticated datagram per step (appliance/dgram.h); forged, replayed,
 * truncated, oversized and garbage datagrams are dropped and counted. A
 * node whose entry is older than the dead bound is down; so is one to which
 * a datagram came back undeliverable (a failed contact), news that spreads
 * as fast as any fresh entry.
 *
 * The core (gossip_new ... gossip_snapshot) takes the time as an argument
 * and does no I/O, so that a benchmark can run hundreds of instances; the
 * service (svc_gossip) gives it a UDP socket and guestd's step. */
#ifndef GUESTD_GOSSIP_H
#define GUESTD_GOSSIP_H

#include "daemon/nodes.h"

#include <stddef.h>
#include <stdint.h>

#define GOSSIP_W_DEFAULT 16
#define GOSSIP_W_MAX 64

struct gossip_stats {
	uint64_t sent, received, merged;
	uint64_t garbage;  /* not our protocol */
	uint64_t badsize;  /* truncated, oversized, or a length that does not match */
	uint64_t forged;   /* bad tag */
	uint64_t replayed; /* counter not above the sender's last */
	uint64_t unknown;  /* from a node not in the map */
	uint64_t failed;   /* datagrams that came back undeliverable */
};

struct gossip;

/* An instance for node self. window: W; step_ms: the step (for the dead
 * bound); nnodes: nodes in the map (for the dead bound; gossip_set_nnodes
 * when it changes). */
struct gossip *gossip_new(int self, const uint8_t cluster_key[32], int window, int step_ms,
			  size_t nnodes);
void gossip_free(struct gossip *g);
void gossip_set_nnodes(struct gossip *g, size_t nnodes);
/* This node's vector, true at now. */
void gossip_set_self(struct gossip *g, const struct node_info *v, int64_t now);
/* This node's own entry (as last set). */
const struct node_info *gossip_self(const struct gossip *g);
/* Pick a target among nodes[] (this node is skipped) and write the datagram
 * for it into out (DGRAM_MAX bytes). Its length (0: nobody to send to). */
size_t gossip_emit(struct gossip *g, const int *nodes, size_t n, int64_t now, int *target,
		   uint8_t *out);
/* The datagram that answers a pull (DGRAM_MAX bytes at out). Its length. */
size_t gossip_answer(struct gossip *g, int to, int64_t now, uint8_t *out);
/* Take a datagram. known(arg, node) says whether a node is in the map.
 * 0: merged; a node number: merged, and that node pulls (send it
 * gossip_answer); negative: dropped and counted. */
int gossip_take(struct gossip *g, const uint8_t *buf, size_t n, int64_t now,
		int (*known)(void *arg, int node), void *arg);
/* Every known entry with its age at now, in node order (known filters as
 * above; NULL: all). Returns the count. */
size_t gossip_snapshot(const struct gossip *g, int64_t now, int (*known)(void *arg, int node),
		       void *arg, struct node_info *out, size_t cap);
/* A datagram to node came back: nothing listens there. It is down from
 * now on, and the news spreads as a fresh entry, until the node itself
 * says otherwise. */
void gossip_failed(struct gossip *g, int node, int64_t now);
/* Is node up at now (news younger than the dead bound, and not failed)? */
int gossip_up(const struct gossip *g, int node, int64_t now);
/* Age beyond which a node is down, in ms. */
int64_t gossip_dead_ms(const struct gossip *g);
const struct gossip_stats *gossip_stats(const struct gossip *g);
/* The closed forms of BALANCING.md: expected average and maximum age, in
 * steps, for n nodes and window w. */
void gossip_expected(size_t n, int w, double *avg, double *max);

/* The service's own entry points for other services. */
struct hub;
/* This node's view as the service keeps it: the count, entries into out. */
size_t gossip_view(struct hub *h, struct node_info *out, size_t cap);
/* Is node up in this node's view? */
int gossip_node_up(struct hub *h, int node);
/* The view as LAPI_NODES text into msg (len bytes); the length. */
size_t gossip_nodes_text(struct hub *h, char *msg, size_t len);

#endif
