/* hub.h: guestd's one event loop and what its services share.
 *
 * The loop waits (epoll) on the descriptors the services watch, a signalfd
 * and a step timer. A service is one file and one entry of the table in
 * services.c: its name, start, the work it does every step, what it does
 * when a local client leaves or a child ends, and the local requests it
 * answers (each with who may ask). Long work (a migration stream, a guest's
 * supervisor) runs in a process of its own and reports back over the local
 * socket; nothing forks per message. */
#ifndef GUESTD_HUB_H
#define GUESTD_HUB_H

#include "daemon/daemon.h"
#include "daemon/localapi.h"
#include "appliance/cluster.h"
#include "appliance/err.h"
#include "appliance/wire.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct hub;
struct hub_client;

/* Who may ask for a local request. */
enum hub_priv {
	HUB_ANYONE,
	HUB_MEMBER, /* root, or a process of the cluster's group (a setgid mosrun) */
	HUB_ROOT,
};

/* One local request a service answers: asked on a one-shot connection, or
 * (registered) only on a registered one, which carries nothing else. */
struct hub_request {
	enum lapi_op op;
	enum hub_priv priv;
	int registered;
	void (*fn)(struct hub *h, struct hub_client *c, const struct lapi_req *q);
};

/* A first frame of a connection from another node that a service serves,
 * in a child of guestd (the peers service made the connection and its
 * handshake). */
struct hub_frame {
	uint16_t type; /* enum wire_type */
	int (*serve)(struct hub *h, struct wire_conn *c, uint16_t type, const uint8_t *p,
		     size_t len, struct err *e);
};

struct service {
	const char *name;
	int (*start)(struct hub *h, struct err *e);
	void (*step)(struct hub *h);			       /* every step */
	void (*on_close)(struct hub *h, struct hub_client *c); /* a local client left */
	void (*stop)(struct hub *h);			       /* guestd stops */
	const struct hub_request *requests;
	size_t nrequests;
	const struct hub_frame *frames; /* connections it serves, by first frame */
	size_t nframes;
};

/* A connection on the local socket. */
struct hub_client {
	int fd;
	struct ucred cred; /* who connected (SO_PEERCRED) */
	int member;	   /* root or the cluster's group */
	int registered;	   /* LAPI_REGISTER: it stays */
	int guest;	   /* registered as a guest's supervisor */
	int deferred;	   /* a request is answered later: it stays until then */
	int64_t since_ms;  /* accepted at (monotonic ms) */
	struct hub_client *next;
};

typedef void (*hub_fd_fn)(struct hub *h, int fd, uint32_t events, void *arg);

struct hub {
	struct cluster cl;
	const struct daemon_opts *o;
	char empty[256];  /* the bodies' empty root */
	int stop;	  /* SIGTERM/SIGINT seen */
	int daemonized;	  /* in the background: stderr is /dev/null */
	int step_ms;	  /* the step (gossip, measurements, balancing) */
	gid_t member_gid; /* the cluster's group; (gid_t)-1: none */
	struct hub_client *clients;
	/* each service's own state, made by its start */
	struct peers_svc *peers;
	struct gossip_svc *gossip;
	struct guests_svc *guests;
	struct registry_svc *registry;
	struct policy_svc *policy;
	struct balance_svc *balance;
	/* the loop's own */
	int epfd, sigfd, timerfd, lapi;
	int reserve_fd; /* spent to refuse a connection when descriptors run out */
	struct hub_watch *watches;
	size_t nwatches;
};

/* The services, in start order (services.c). */
extern const struct service *const hub_services[];
extern const size_t hub_nservices;

/* Call fn(h, fd, events, arg) when fd is readable (or hangs up). 0 or code. */
int hub_watch(struct hub *h, int fd, hub_fd_fn fn, void *arg);
/* Stop watching fd (before closing it). */
void hub_unwatch(struct hub *h, int fd);
/* Answer a local client's request (one-shot clients are closed after it). */
void hub_reply(struct hub *h, struct hub_client *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Send a request to a registered client. 0, or negative: it is gone. */
int hub_send(struct hub *h, struct hub_client *c, const struct lapi_req *q);
/* Close a local client (its services hear on_close). */
void hub_drop_client(struct hub *h, struct hub_client *c);
/* Descriptors ran out: accept one connection on the listening fd with the
 * reserve descriptor and close it (else the listener stays ready for ever). */
void hub_refuse_one(struct hub *h, int fd);
/* Every step: drop one-shot clients that never asked anything. */
void hub_step(struct hub *h);
/* In a child of the loop: close the loop's descriptors but keep, and
 * unblock every signal. */
void hub_forget(struct hub *h, int keep);
/* For the loop (daemon.c): a watched descriptor is ready; the local socket
 * has connections to accept. */
void hub_dispatch_fd(struct hub *h, int fd, uint32_t events);
void hub_on_accept(struct hub *h, int fd, uint32_t events, void *arg);
/* Read the cluster map again; the old one stays if the new one does not
 * load or changes this node's number, address or port. */
int hub_reload(struct hub *h, struct err *e);

#endif
