/* localapi.h: the local API of guestd on a unix socket (/run/mosix/guestd.sock).
 *
 * Messages are single SOCK_SEQPACKET packets, magic- and version-tagged. A
 * one-shot request (status, expel, ...) gets one struct lapi_rep and the
 * connection ends. guestd knows who asks (SO_PEERCRED): administration is
 * root's, an authenticated connection to another node (LAPI_CONNECT, which
 * carries a session key) only for root and the cluster's group (mosrun is
 * installed setgid to it), and the rest is anyone's.
 *
 * A mosrun, and the supervisor of every guest, registers instead: its
 * connection stays open and carries the state of each process it
 * supervises (LAPI_PROC, LAPI_PROC_GONE) to guestd and guestd's requests
 * back (LAPI_MOVE, LAPI_GOHOME), so that guestd sees every migratable
 * process of its node and can move it. A registered client that loses
 * guestd registers again with the next one. */
#ifndef GUESTD_LOCALAPI_H
#define GUESTD_LOCALAPI_H

#include "appliance/err.h"
#include "appliance/wire.h"

#include <stdint.h>

#define LAPI_SOCK_DIR "/run/mosix"
#define LAPI_SOCK_NAME "guestd.sock"
#define LAPI_GROUP "mosix" /* the group whose processes may have node connections */

enum lapi_op {
	LAPI_CONNECT = 1,    /* member: an authenticated connection to node */
	LAPI_INFO,	     /* this node's number and the node count */
	LAPI_NODES,	     /* what this node knows of every node, as text lines */
	LAPI_EXPEL,	     /* root: block arrivals, send every guest home */
	LAPI_GUESTS,	     /* "guests N failed F blocked B" */
	LAPI_UNBLOCK,	     /* root: accept guests again (after expel or block) */
	LAPI_RELOAD,	     /* root: read the cluster map again (as SIGHUP) */
	LAPI_REGISTER,	     /* a mosrun: the connection stays and is registered */
	LAPI_PROC,	     /* registered -> guestd: one process, added or changed */
	LAPI_PROC_GONE,	     /* registered -> guestd: proc.pid ended (status: a guest's
				supervisor's result, 0 when its body went home or ended) */
	LAPI_PROCS,	     /* the registry as text lines (lapi_proc_line) */
	LAPI_BRING,	     /* root: every process of this node that runs elsewhere comes
				home; answered once all have answered */
	LAPI_MOVE,	     /* guestd -> a mosrun: move proc.pid to node (0: home); seq */
	LAPI_MOVED,	     /* mosrun -> guestd: the result of LAPI_MOVE seq (status, msg) */
	LAPI_GOHOME,	     /* guestd -> a guest's supervisor: send the body home */
	LAPI_GUEST_REGISTER, /* root: a guest's supervisor registers (proc: the guest);
				refused (-EBUSY) while the node accepts no guests */
	LAPI_BLOCK,	     /* root: accept no guests (without expelling) */
	LAPI_STAY,	     /* root: no automatic migration away from this node */
	LAPI_NOSTAY,	     /* root */
	LAPI_LSTAY,	     /* root: local processes stay; guests may leave */
	LAPI_NOLSTAY,	     /* root */
	LAPI_MAP,	     /* the cluster map: "node address" lines */
	LAPI_LINK,	     /* registered -> guestd: a migration to node took msg "BYTES USEC" (the
				image stream, and the time until it ran there) */
	LAPI_BEST,	     /* the node a new process should start on (mosrun -b): "N" */
	LAPI_CALLHOME,	     /* registered -> guestd: a process came home to run the call
				named in msg ("fadvise64"); node 1: a guest here got ENOSYS
				for it instead (mosrun -e); guestd counts both per call */
	LAPI_CALLS,	     /* those counts: "CALL COUNT REFUSED" lines, most first */
	LAPI_ASK,	     /* node's answer to a read-only op (status: LAPI_NODES or
				LAPI_PROCS), fetched over an authenticated connection */
	LAPI__MAX
};

/* lapi_proc.flags */
#define LAPI_P_GUEST 1u	  /* a body hosted here, whose home is another node */
#define LAPI_P_THREADS 2u /* has threads: may not move */
#define LAPI_P_STOPPED 4u /* stopped (job control) */
#define LAPI_P_ORPHAN 8u  /* a guest whose supervisor lost its guestd once */
#define LAPI_P_LOCKED 16u /* mosrun -L: the balancer leaves it where it is */

/* One process as guestd's registry holds it. */
struct lapi_proc {
	int32_t pid;	   /* at its home (the deputy's pid while it is away) */
	int32_t home_node; /* where it belongs */
	int32_t where;	   /* node it runs on */
	int32_t local_pid; /* a guest's body pid here; a mosrun's: 0 */
	uint32_t uid;	   /* owner (guestd reads it from /proc for a mosrun's) */
	uint32_t migrations;
	uint32_t flags; /* LAPI_P_* */
	int32_t job;	/* the supervising mosrun's pid (guests: the supervisor) */
	char comm[16];
	char why[64];	    /* why it may not move, or "" */
	uint64_t fwd_calls; /* a mosrun's: calls forwarded home so far (while away) */
	uint64_t fwd_bytes; /* and their bytes, both ways */
	char reason[48];    /* guestd's (LAPI_PROCS): why it is where it is */
};

#define LAPI_MSG_MAX 8192

struct lapi_req {
	uint32_t magic, version, op;
	int32_t node, status;
	uint32_t seq;
	struct lapi_proc proc;
	char msg[256];
};

struct lapi_rep {
	uint32_t magic, version;
	int32_t status, self_node, peer_node, is_client, nnodes, cipher; /* cipher: wire_conn's */
	uint64_t send_seq, recv_seq;
	uint8_t session[32];
	char msg[LAPI_MSG_MAX];
};

/* Path of the socket (MOSIX_RUN overrides the directory). */
const char *lapi_path(void);
/* Fill a request of op (magic and version set). */
void lapi_req_init(struct lapi_req *q, enum lapi_op op);
/* Is this a request of our protocol (magic, version, op in range)? */
int lapi_req_valid(const struct lapi_req *q, size_t len);
/* One registry entry as a text line: "pid home where uid migrations flags
 * job local_pid comm why fwd_calls fwd_bytes reason" (comm, why and reason
 * without blanks: '-' when empty). */
int lapi_proc_line(char *buf, size_t len, const struct lapi_proc *p);
/* Parse lapi_proc_line's line. 0 or -EINVAL. */
int lapi_proc_parse(const char *line, struct lapi_proc *p);

/* A local process's profile, as guestd's registry measures it: LAPI_PROCS
 * lines carry it after the lapi_proc_line fields ("cpu io_cps io_bps rss_kb
 * age_s been"; been: the nodes it ran on, oldest first, "1>2>1"). */
struct lapi_profile {
	double cpu;    /* share of the time it wants a core */
	double io_cps; /* I/O calls a second (away: calls forwarded home) */
	double io_bps; /* and their bytes a second */
	uint64_t rss_kb;
	double age_s;
	char been[48];
};

/* The profile part of a LAPI_PROCS line: 0, or -EINVAL (none there). */
int lapi_profile_parse(const char *line, struct lapi_profile *pf);
/* Client: guestd's registry (LAPI_PROCS): up to cap entries into out, and
 * their profiles into pf unless NULL (zero where a line has none). The
 * count, or a negative code with e set. */
int lapi_procs(struct lapi_proc *out, struct lapi_profile *pf, size_t cap, struct err *e);

/* Client: an authenticated connection to node. 0 or negative code. */
int lapi_connect_node(int node, struct wire_conn *c, int *self_node, struct err *e);
/* Client: what this node knows of every node (text lines: node age_ms ncpus
 * load_milli procs mem_total_kb mem_free_kb) into buf. */
int lapi_nodes(char *buf, size_t len, int *self_node, int *nnodes, struct err *e);
/* Client: a request op without arguments (LAPI_EXPEL, LAPI_GUESTS,
 * LAPI_UNBLOCK, LAPI_RELOAD, LAPI_PROCS, LAPI_BRING); guestd's answer text
 * into buf. timeout_s bounds the wait for the answer (0: 30 s). */
int lapi_simple(enum lapi_op op, char *buf, size_t len, double timeout_s, struct err *e);
/* Client: this node's number and the node count. */
int lapi_info(int *self_node, int *nnodes, struct err *e);
/* Client: send any request and take the answer (and an fd, if one comes:
 * *fd, else -1). 0, or the answer's status with its text in e. */
int lapi_call(const struct lapi_req *q, struct lapi_rep *r, int *fd, double timeout_s,
	      struct err *e);
/* Client: a connection to guestd's socket (blocking), tried for up to
 * timeout_s while guestd's backlog is full. fd or negative code. */
int lapi_dial(double timeout_s, struct err *e);
/* Client: may a process be sent to node now? 0 (up, or not heard of yet),
 * -ENODEV (not in the map), -EHOSTDOWN (down in the gossip view), or the
 * code of a failed call; e says which. *self_node: this node's number. */
int lapi_node_check(int node, int *self_node, struct err *e);
/* Client: node's answer to op (LAPI_NODES, LAPI_PROCS; this node's own
 * when node is this one) into buf, asked by this node's guestd. */
int lapi_ask(int node, enum lapi_op op, char *buf, size_t len, double timeout_s, struct err *e);
/* Client: the node a new process should start on (mosrun -b); 0 when it
 * is this one. */
int lapi_best(int *node, struct err *e);
/* Server: listen on the socket (mode 0666). fd or negative code. */
int lapi_listen(struct err *e);
/* Server: send a reply, with an fd and connection state when c is set. */
int lapi_reply(int cfd, int status, const char *msg, int self_node, int nnodes,
	       const struct wire_conn *c);

#endif
