/* daemon.c: guestd's event loop. */
#define LOG_PREFIX "guestd"
#include "daemon.h"
#include "body.h"
#include "localapi.h"
#include "nodes.h"
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

struct gd {
	struct cluster cl;
	const struct daemon_opts *o;
	char empty[256];
	int tcp, lapi, sigfd, epfd, timerfd;
	int stop;
	struct node_info *nodes; /* shared with the per-connection children */
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
		nodes_merge(g->nodes, CLUSTER_MAX_NODES, (const struct node_info *)p,
			    len / sizeof(struct node_info));
		wire_close(&c);
		_exit(0);
	}
	if (type != WIRE_MIGRATE && type != WIRE_ADOPT) {
		log_warn("node %d sent frame %u first: refused", c.peer_node, type);
		_exit(1);
	}
	struct body_conf bc = {g->cl.self, g->empty, NOBODY, NOBODY};
	if (type == WIRE_ADOPT ? body_adopt(&c, p, len, &bc, &e) : body_serve(&c, p, len, &bc, &e))
		log_warn("migrated process from node %d: %s", c.peer_node, e.msg);
	wire_close(&c);
	_exit(0);
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
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
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
		else
			lapi_reply(cfd, 0, "info", g->cl.self, (int)g->cl.nnodes, NULL);
		close(cfd);
	}
}

/* Signals: reap children, stop on TERM/INT. */
static void gd_on_signal(struct gd *g)
{
	struct signalfd_siginfo si;
	while (read(g->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			g->stop = 1;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
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
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	g->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->nodes = nodes_map(CLUSTER_MAX_NODES);
	g->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec it = {{1, 0}, {0, 1000000}};
	if (!g->nodes || g->timerfd < 0 || timerfd_settime(g->timerfd, 0, &it, NULL))
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
	int rc = gd_setup(&g, e);
	if (!rc)
		log_info("node %d of cluster '%s' (%zu nodes) listening on port %u", g.cl.self,
			 g.cl.name, g.cl.nnodes, g.cl.port);
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
	int fds[] = {g.tcp, g.lapi, g.sigfd, g.epfd, g.timerfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cluster_free(&g.cl);
	return rc;
}
