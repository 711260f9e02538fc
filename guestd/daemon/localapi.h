/* localapi.h: the local API of guestd on a unix socket (/run/mosix/guestd.sock).
 * A command asks guestd for an authenticated connection to another node;
 * guestd connects, runs the handshake with the cluster key, and hands the
 * connected socket and its session state back over the socket (SCM_RIGHTS).
 * The cluster key itself never leaves guestd. */
#ifndef GUESTD_LOCALAPI_H
#define GUESTD_LOCALAPI_H

#include "appliance/err.h"
#include "appliance/wire.h"

#define LAPI_SOCK_DIR "/run/mosix"
#define LAPI_SOCK_NAME "guestd.sock"

enum lapi_op {
	LAPI_CONNECT = 1,
	LAPI_INFO,
	LAPI_NODES,
	LAPI_EXPEL,   /* block arrivals, send every guest home; msg: how many were asked */
	LAPI_GUESTS,  /* msg: "guests N failed F blocked B" */
	LAPI_UNBLOCK, /* accept guests again */
	LAPI_RELOAD,  /* read the cluster map again (as SIGHUP) */
};

#define LAPI_MSG_MAX 8192

struct lapi_req {
	uint32_t magic, version, op;
	int32_t node;
};

struct lapi_rep {
	uint32_t magic, version;
	int32_t status, self_node, peer_node, is_client, nnodes, pad;
	uint64_t send_seq, recv_seq;
	uint8_t session[32];
	char msg[LAPI_MSG_MAX];
};

/* Path of the socket (MOSIX_RUN overrides the directory). */
const char *lapi_path(void);
/* Client: an authenticated connection to node. 0 or negative code. */
int lapi_connect_node(int node, struct wire_conn *c, int *self_node, struct err *e);
/* Client: what this node knows of every node (text lines: node age_ms ncpus
 * load_milli procs mem_total_kb mem_free_kb) into buf. */
int lapi_nodes(char *buf, size_t len, int *self_node, int *nnodes, struct err *e);
/* Client: a simple request op (LAPI_EXPEL, LAPI_GUESTS, LAPI_UNBLOCK,
 * LAPI_RELOAD); guestd's answer text into buf. */
int lapi_simple(enum lapi_op op, char *buf, size_t len, struct err *e);
/* Client: this node's number and the node count. */
int lapi_info(int *self_node, int *nnodes, struct err *e);
/* Server: listen on the socket (mode 0666). fd or negative code. */
int lapi_listen(struct err *e);
/* Server: send a reply, with an fd and connection state when c is set. */
int lapi_reply(int cfd, int status, const char *msg, int self_node, int nnodes,
	       const struct wire_conn *c);

#endif
