/* daemon.c: guestd's event loop. */
#define LOG_PREFIX "guestd"
#include "daemon/daemon.h"
#include "remote/body.h"
#include "daemon/guests.h"
#include "daemon/localapi.h"
#include "remote/migrate.h"
#include "daemon/nodes.h"
#include "appliance/cluster.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define HANDSHAKE_MS 5000
#define LIVENESS_MS 12000 /* a silent or cut link fails a migrated process's connection */
#define NOBODY 65534
#define EXPEL_ON_STOP_MS 30000 /* SIGTERM: how long guests may take to go home */

struct gd {
	struct cluster cl;
	const struct daemon_opts *o;
	char empty[256];
	uint64_t guest_mem; /* bytes of address space a guest may have; 0: no bound */
	int tcp, lapi, sigfd, epfd, timerfd;
	int stop;
	int daemonized;		 /* in the background (o->background): stderr is /dev/null */
	struct node_info *nodes; /* shared with the per-connection children */
	struct guests *guests;	 /* shared too: each supervisor registers itself */
};

/* Listen on this node's address and the cluster port. */
static int gd_listen_tcp(struct gd *g, struct err *e)
{
	const struct cluster_node *me = cluster_find(&g->cl, g->cl.self);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g->cl.port)};
	if (!me || inet_pton(AF_INET, me->addr, &a.sin_addr) != 1)
		return err_setx(e, -EINVAL, "this node (%d) has no address in the map", g->cl.self);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		return err_set(e, rc, "listen on %s:%u", me->addr, g->cl.port);
	}
	return fd;
}

/* Child: merge gossip about the nodes of our map only (a node removed from
 * the map stays gone even while others still gossip about it). */
static void gd_merge_gossip(struct gd *g, const uint8_t *p, size_t count)
{
	static struct node_info in[CLUSTER_MAX_NODES];
	size_t k = 0;
	for (size_t i = 0; i < count && k < CLUSTER_MAX_NODES; i++) {
		memcpy(&in[k], p + i * sizeof(in[0]), sizeof(in[0]));
		k += cluster_find(&g->cl, in[k].node) != NULL;
	}
	nodes_merge(g->nodes, CLUSTER_MAX_NODES, in, k);
}

/* Child: refuse an arriving process (the node is blocked or full). The
 * image is read and dropped so that home hears the reason, not a reset. */
static void gd_refuse_guest(struct gd *g, struct wire_conn *c)
{
	struct err e = {0, ""};
	uint16_t type = 0;
	const uint8_t *p;
	size_t len;
	char msg[96];
	while (type != WIRE_IMAGE_END && !wire_recv(c, &type, &p, &len, &e))
		;
	snprintf(msg, sizeof(msg), "node %d accepts no guests now (blocked or expelling)",
		 g->cl.self);
	mig_send_status(c, WIRE_STARTED, -EBUSY, msg, NULL);
	log_info("refused a process from node %d: blocked", c->peer_node);
	wire_close(c);
	_exit(0);
}

/* Child: authenticate a node that connected and serve what it asks. */
static void gd_serve_peer(struct gd *g, int fd)
{
	struct wire_conn c;
	struct err e = {0, ""};
	uint16_t type;
	const uint8_t *p;
	size_t len;
	wire_set_liveness(fd, LIVENESS_MS);
	if (wire_server(&c, fd, g->cl.key, g->cl.self, HANDSHAKE_MS, &e) ||
	    wire_recv(&c, &type, &p, &len, &e)) {
		log_warn("refused a connection: %s", e.msg);
		_exit(1);
	}
	if (type == WIRE_GOSSIP && len % sizeof(struct node_info) == 0) {
		gd_merge_gossip(g, p, len / sizeof(struct node_info));
		wire_close(&c);
		_exit(0);
	}
	if (type != WIRE_MIGRATE && type != WIRE_ADOPT) {
		log_warn("node %d sent frame %u first: refused", c.peer_node, type);
		_exit(1);
	}
	struct mig_hello h = {0, 0, 0, 0};
	memcpy(&h, p, len < sizeof(h) ? len : sizeof(h));
	/* register first, then look at the block: an expel either sees this
	 * supervisor or this supervisor sees the block */
	if (guests_add(g->guests, getpid(), h.home_node, h.home_pid) < 0 ||
	    __atomic_load_n(&g->guests->blocked, __ATOMIC_SEQ_CST))
		gd_refuse_guest(g, &c);
	struct body_conf bc = {g->cl.self, g->empty, NOBODY, NOBODY, g->guest_mem};
	int rc =
	    type == WIRE_ADOPT ? body_adopt(&c, p, len, &bc, &e) : body_serve(&c, p, len, &bc, &e);
	if (rc)
		log_warn("migrated process from node %d: %s", c.peer_node, e.msg);
	wire_close(&c);
	_exit(rc ? 1 : 0);
}

/* A node connects: fork a supervisor for it (the handshake runs there, so a
 * slow or hostile peer cannot stall the daemon). */
static void gd_on_tcp(struct gd *g)
{
	int fd;
	while ((fd = accept4(g->tcp, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		pid_t pid = fork();
		if (pid == 0) {
			close(g->tcp);
			close(g->lapi);
			close(g->epfd);
			close(g->sigfd);
			close(g->timerfd);
			sigset_t only; /* an expel waits for the supervisor's signalfd */
			sigemptyset(&only);
			sigaddset(&only, GUESTS_EXPEL_SIGNAL);
			sigprocmask(SIG_SETMASK, &only, NULL);
			gd_serve_peer(g, fd);
		}
		if (pid < 0)
			log_error("fork: %s", strerror(errno));
		close(fd);
	}
}

/* Connect to a node for a local command and hand the connection over. */
static void gd_lapi_connect(struct gd *g, int cfd, int node)
{
	struct err e = {0, ""};
	const struct cluster_node *n = cluster_find(&g->cl, node);
	struct wire_conn c;
	if (!n || node == g->cl.self) {
		lapi_reply(cfd, -EINVAL, n ? "that is this node" : "no such node in the cluster",
			   g->cl.self, (int)g->cl.nnodes, NULL);
		return;
	}
	int fd = wire_connect(n->addr, g->cl.port, HANDSHAKE_MS, &e);
	if (fd >= 0)
		wire_set_liveness(fd, LIVENESS_MS);
	if (fd < 0 || wire_client(&c, fd, g->cl.key, g->cl.self, HANDSHAKE_MS, &e)) {
		char msg[ERR_MSG_MAX + 32];
		snprintf(msg, sizeof(msg), "node %d: %s", node, e.msg);
		lapi_reply(cfd, e.code ? e.code : -EHOSTUNREACH, msg, g->cl.self, (int)g->cl.nnodes,
			   NULL);
		if (fd >= 0 && !e.code)
			close(fd);
		return;
	}
	lapi_reply(cfd, 0, "connected", g->cl.self, (int)g->cl.nnodes, &c);
	wire_close(&c);
}

/* Child: tell one node what this node knows. */
static void gd_gossip_to(struct gd *g, const struct cluster_node *n)
{
	static struct node_info snap[CLUSTER_MAX_NODES];
	struct err e = {0, ""};
	struct wire_conn c;
	size_t k = nodes_snapshot(g->nodes, CLUSTER_MAX_NODES, snap, CLUSTER_MAX_NODES);
	int fd = wire_connect(n->addr, g->cl.port, 1000, &e);
	if (fd < 0 || wire_client(&c, fd, g->cl.key, g->cl.self, 1000, &e))
		_exit(1); /* it is down: its entry simply ages */
	wire_send(&c, WIRE_GOSSIP, snap, k * sizeof(snap[0]), &e);
	wire_close(&c);
	_exit(0);
}

/* Every second: refresh our own vector and push the table to a random node
 * (in a child, so a dead node never stalls the daemon). */
static void gd_on_timer(struct gd *g)
{
	uint64_t ticks;
	if (read(g->timerfd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
		return;
	nodes_self(&g->nodes[g->cl.self], g->cl.self);
	if (g->cl.nnodes < 2)
		return;
	const struct cluster_node *n;
	do
		n = &g->cl.nodes[(size_t)random() % g->cl.nnodes];
	while (n->num == g->cl.self);
	pid_t pid = fork();
	if (pid == 0)
		gd_gossip_to(g, n);
}

/* Known nodes as text lines for mosctl: node age ncpus load procs total free. */
static void gd_lapi_nodes(struct gd *g, int cfd)
{
	static struct node_info snap[CLUSTER_MAX_NODES];
	char msg[LAPI_MSG_MAX];
	size_t k = nodes_snapshot(g->nodes, CLUSTER_MAX_NODES, snap, CLUSTER_MAX_NODES), at = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < k && at + 96 < sizeof(msg); i++) {
		int w = snprintf(msg + at, sizeof(msg) - at, "%d %llu %u %u %u %llu %llu\n",
				 snap[i].node, (unsigned long long)snap[i].age_ms, snap[i].ncpus,
				 snap[i].load_milli, snap[i].procs,
				 (unsigned long long)snap[i].mem_total_kb,
				 (unsigned long long)snap[i].mem_free_kb);
		at += w > 0 ? (size_t)w : 0;
	}
	lapi_reply(cfd, 0, msg, g->cl.self, (int)g->cl.nnodes, NULL);
}

/* Local expel: send every guest home and refuse new ones until unblocked. */
static void gd_lapi_expel(struct gd *g, int cfd)
{
	char msg[96];
	size_t n = guests_expel(g->guests);
	snprintf(msg, sizeof(msg), "%zu", n);
	if (n)
		log_info("expel: asked %zu guests to go home; arrivals blocked", n);
	lapi_reply(cfd, 0, msg, g->cl.self, (int)g->cl.nnodes, NULL);
}

/* Guest count for mosctl: "guests N failed F blocked B". */
static void gd_lapi_guests(struct gd *g, int cfd)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "guests %zu failed %u blocked %u", guests_count(g->guests),
		 __atomic_load_n(&g->guests->failed, __ATOMIC_SEQ_CST),
		 __atomic_load_n(&g->guests->blocked, __ATOMIC_SEQ_CST));
	lapi_reply(cfd, 0, msg, g->cl.self, (int)g->cl.nnodes, NULL);
}

/* Read the cluster map again (SIGHUP, mosctl reload): nodes may have been
 * added or removed. This node's number and address must stay; a map that
 * does not load, or changes them, is refused and the old one kept. */
static int gd_reload(struct gd *g, struct err *e)
{
	struct cluster nc;
	memset(&nc, 0, sizeof(nc));
	int rc = cluster_load(g->o->confdir, &nc, e);
	const struct cluster_node *old = cluster_find(&g->cl, g->cl.self);
	const struct cluster_node *now = rc ? NULL : cluster_find(&nc, nc.self);
	if (!rc && (nc.self != g->cl.self || nc.port != g->cl.port || !now ||
		    strcmp(now->addr, old->addr)))
		rc = err_setx(e, -EINVAL, "new map changes this node's number, address or port");
	if (rc) {
		cluster_free(&nc);
		log_warn("map reload refused, the old map stays: %s", e->msg);
		return rc;
	}
	for (int k = 1; k <= CLUSTER_MAX_NODES; k++) /* forget nodes that left */
		if (!cluster_find(&nc, k))
			g->nodes[k].seen_ms = 0;
	cluster_free(&g->cl);
	g->cl = nc;
	log_info("map reloaded: %zu nodes", g->cl.nnodes);
	return 0;
}

/* Local reload request. */
static void gd_lapi_reload(struct gd *g, int cfd)
{
	struct err e = {0, ""};
	int rc = gd_reload(g, &e);
	char msg[ERR_MSG_MAX + 32];
	snprintf(msg, sizeof(msg), "%s", rc ? e.msg : "map reloaded");
	lapi_reply(cfd, rc, msg, g->cl.self, (int)g->cl.nnodes, NULL);
}

/* A local command. */
static void gd_on_lapi(struct gd *g)
{
	int cfd;
	while ((cfd = accept4(g->lapi, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct lapi_req q;
		struct timeval tv = {2, 0};
		setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssize_t n = recv(cfd, &q, sizeof(q), 0);
		if (n != (ssize_t)sizeof(q))
			lapi_reply(cfd, -EPROTO, "malformed request", g->cl.self, 0, NULL);
		else if (q.op == LAPI_CONNECT)
			gd_lapi_connect(g, cfd, q.node);
		else if (q.op == LAPI_NODES)
			gd_lapi_nodes(g, cfd);
		else if (q.op == LAPI_EXPEL)
			gd_lapi_expel(g, cfd);
		else if (q.op == LAPI_GUESTS)
			gd_lapi_guests(g, cfd);
		else if (q.op == LAPI_UNBLOCK) {
			__atomic_store_n(&g->guests->blocked, 0, __ATOMIC_SEQ_CST);
			lapi_reply(cfd, 0, "unblocked", g->cl.self, (int)g->cl.nnodes, NULL);
		} else if (q.op == LAPI_RELOAD)
			gd_lapi_reload(g, cfd);
		else
			lapi_reply(cfd, 0, "info", g->cl.self, (int)g->cl.nnodes, NULL);
		close(cfd);
	}
}

/* Reap children; a guest's supervisor that failed counts during an expel. */
static void gd_reap(struct gd *g)
{
	pid_t pid;
	int st;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		guests_gone(g->guests, pid, !WIFEXITED(st) || WEXITSTATUS(st));
}

/* Signals: reap children, reload the map on HUP, stop on TERM/INT. */
static void gd_on_signal(struct gd *g)
{
	struct signalfd_siginfo si;
	struct err e = {0, ""};
	while (read(g->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			g->stop = 1;
		else if (si.ssi_signo == SIGHUP)
			gd_reload(g, &e);
	}
	gd_reap(g);
}

/* Stopping: guests go home first (bounded), so that no process that could
 * be kept is lost with this node's daemon. */
static void gd_expel_on_stop(struct gd *g)
{
	size_t n = guests_expel(g->guests);
	if (!n)
		return;
	log_info("stopping: sending %zu guests home", n);
	int64_t t0 = nodes_now_ms();
	while (guests_count(g->guests) && nodes_now_ms() - t0 < EXPEL_ON_STOP_MS) {
		usleep(50000);
		gd_reap(g);
	}
	size_t left = guests_count(g->guests);
	if (left || g->guests->failed)
		log_warn("stopping: %zu guests still here, %u could not go home", left,
			 g->guests->failed);
}

/* Prepare the run directory and the bodies' empty root. */
static int gd_rundir(struct gd *g, struct err *e)
{
	mkdir(g->o->rundir, 0755);
	snprintf(g->empty, sizeof(g->empty), "%s/empty", g->o->rundir);
	mkdir(g->empty, 0555);
	struct stat sb;
	if (stat(g->empty, &sb) || !S_ISDIR(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & 0222))
		return err_setx(e, -EPERM, "%s must be an empty root-owned read-only directory",
				g->empty);
	setenv("MOSIX_RUN", g->o->rundir, 1);
	return 0;
}

/* Open everything and register it with epoll. */
static int gd_setup(struct gd *g, struct err *e)
{
	int rc = cluster_load(g->o->confdir, &g->cl, e);
	if (!rc)
		rc = gd_rundir(g, e);
	if (rc || (g->tcp = gd_listen_tcp(g, e)) < 0 || (g->lapi = lapi_listen(e)) < 0)
		return rc ? rc : e->code;
	/* To the background here: what could keep it from starting has been
	 * said on the caller's stderr, and what follows must be made in the
	 * daemon itself (a signalfd put in an epoll set before a fork does not
	 * wake it for the child's signals). */
	if (g->o->background) {
		if (daemon(0, 0))
			return err_set(e, -errno, "become a daemon");
		log_use_syslog(1, "guestd");
		g->daemonized = 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	g->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->nodes = nodes_map(CLUSTER_MAX_NODES);
	g->guests = guests_map();
	g->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec it = {{1, 0}, {0, 1000000}};
	if (!g->nodes || !g->guests || g->timerfd < 0 || timerfd_settime(g->timerfd, 0, &it, NULL))
		return err_set(e, -errno, "node table / timer");
	nodes_self(&g->nodes[g->cl.self], g->cl.self);
	srandom((unsigned)getpid() ^ (unsigned)g->cl.self);
	int fds[] = {g->tcp, g->lapi, g->sigfd, g->timerfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		struct epoll_event ev = {EPOLLIN, {.fd = fds[i]}};
		if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fds[i], &ev))
			return err_set(e, -errno, "epoll");
	}
	return 0;
}

/* Run the daemon. */
int daemon_run(const struct daemon_opts *o, struct err *e)
{
	struct gd g;
	memset(&g, 0, sizeof(g));
	g.o = o;
	g.tcp = g.lapi = g.sigfd = g.epfd = g.timerfd = -1;
	g.guest_mem = o->guest_mem;
	int rc = gd_setup(&g, e);
	if (rc && g.daemonized) /* its stderr is gone */
		log_error("%s", e->msg);
	if (!rc)
		log_info("node %d of cluster '%s' (%zu nodes) listening on port %u", g.cl.self,
			 g.cl.name, g.cl.nnodes, g.cl.port);
	if (!rc && g.guest_mem)
		log_info("guests may have %llu MiB of address space each",
			 (unsigned long long)(g.guest_mem >> 20));
	while (!rc && !g.stop) {
		struct epoll_event ev[8];
		int n = epoll_wait(g.epfd, ev, 8, -1);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == g.tcp)
				gd_on_tcp(&g);
			else if (ev[i].data.fd == g.lapi)
				gd_on_lapi(&g);
			else if (ev[i].data.fd == g.timerfd)
				gd_on_timer(&g);
			else
				gd_on_signal(&g);
		}
	}
	if (!rc)
		gd_expel_on_stop(&g);
	int fds[] = {g.tcp, g.lapi, g.sigfd, g.epfd, g.timerfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cluster_free(&g.cl);
	return rc;
}
