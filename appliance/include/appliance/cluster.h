/* cluster.h: the cluster map and key every node reads at start-up.
 *
 * Directory layout (default /etc/mosix, or guestd -c DIR):
 *   DIR/cluster.conf   the map, text:
 *                        # comment
 *                        cluster NAME           (optional, default "mosix")
 *                        port PORT              (TCP port of guestd, default 4141)
 *                        self N                 (this node's number; or DIR/node holds it)
 *                        node N ADDRESS         (one per node, N in 1..1024, IPv4 address)
 *                        set NAME VALUE         (a tunable of guestd, a number: guestd.8
 *                                                lists them; the map only keeps them)
 *   DIR/cluster.key    64 hex digits (32 bytes) and a newline; must not be
 *                      readable by group or others
 * Errors name the file and line ("cluster.conf:7: node 3 listed twice").
 */
#ifndef APPLIANCE_CLUSTER_H
#define APPLIANCE_CLUSTER_H

#include "appliance/err.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define CLUSTER_KEY_LEN 32
#define CLUSTER_DEFAULT_DIR "/etc/mosix"
#define CLUSTER_DEFAULT_PORT 4141
#define CLUSTER_MAX_NODES 1024

struct cluster_node {
	int num;
	char addr[64]; /* dotted IPv4 */
};

#define CLUSTER_MAX_TUNABLES 32

/* A 'set NAME VALUE' line: guestd checks the name and range. */
struct cluster_tunable {
	char name[32];
	double value;
	int line; /* where it was set, for messages */
};

struct cluster {
	char name[64];
	int self; /* this node's number */
	uint16_t port;
	size_t nnodes;
	struct cluster_node *nodes; /* sorted by num */
	uint8_t key[CLUSTER_KEY_LEN];
	struct cluster_tunable tun[CLUSTER_MAX_TUNABLES];
	size_t ntun;
};

/* Load DIR/cluster.conf and DIR/cluster.key. 0 or a negative code. */
int cluster_load(const char *dir, struct cluster *c, struct err *e);
/* Load the map only (no key: any user may read it). */
int cluster_load_map(const char *dir, struct cluster *c, struct err *e);
/* The number of the node with IPv4 address addr in DIR's map, or a negative code. */
int cluster_node_by_addr(const char *dir, const char *addr, struct err *e);
/* Write c's map and c's key into DIR (for hostctl and the test cluster); fill
 * c->key with cluster_new_key first, and give every node the same key. */
int cluster_write(const char *dir, const struct cluster *c, struct err *e);
/* Fill key with random bytes. */
int cluster_new_key(uint8_t key[CLUSTER_KEY_LEN], struct err *e);
/* The node with number num, or NULL. */
const struct cluster_node *cluster_find(const struct cluster *c, int num);
/* The node with IPv4 address addr (dotted), or NULL. */
const struct cluster_node *cluster_find_addr(const struct cluster *c, const char *addr);
/* Node num's address and the cluster port. 0, or -ENOENT when num has no
 * IPv4 address in the map. */
int cluster_sockaddr(const struct cluster *c, int num, struct sockaddr_in *out);
void cluster_free(struct cluster *c);

#endif
