/* daemon.c: guestd's start, loop and stop. */
#define LOG_PREFIX "guestd"
#include "daemon/daemon.h"
#include "daemon/guests.h"
#include "daemon/hub.h"
#include "daemon/nodes.h"
#include "daemon/registry.h"
#include "appliance/log.h"
#include "appliance/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPEL_ON_STOP_MS 30000 /* SIGTERM: how long guests may take to go home */

/* Reap children (supervisors and connectors report over the local socket,
 * not by their exit). */
static void daemon_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Signals: reap children, reload the map on HUP, stop on TERM/INT. */
static void daemon_on_signal(struct hub *h, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	struct err e = {0, ""};
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			h->stop = 1;
		else if (si.ssi_signo == SIGHUP)
			hub_reload(h, &e);
	}
	daemon_reap();
}

/* Every step: each service's work. */
static void daemon_on_step(struct hub *h, int fd, uint32_t events, void *arg)
{
	uint64_t ticks;
	if (read(fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
		return;
	hub_step(h);
	for (size_t i = 0; i < hub_nservices; i++)
		if (hub_services[i]->step)
			hub_services[i]->step(h);
}

/* Wait for events once (at most ms; -1: no bound) and handle them. */
static void daemon_wait(struct hub *h, int ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(h->epfd, ev, 16, ms);
	for (int i = 0; i < n; i++)
		hub_dispatch_fd(h, ev[i].data.fd, ev[i].events);
}

/* Stopping: guests go home first (bounded), so that no process that could
 * be kept is lost with this node's daemon; the loop runs meanwhile, since
 * their supervisors report over the local socket. */
static void daemon_expel_on_stop(struct hub *h)
{
	if (!guests_expel_on_stop(h))
		return;
	int64_t t0 = nodes_now_ms();
	while (registry_guests(h) && nodes_now_ms() - t0 < EXPEL_ON_STOP_MS)
		daemon_wait(h, 100);
	size_t left = registry_guests(h);
	if (left || guests_failed(h))
		log_warn("stopping: %zu guests still here, %u could not go home", left,
			 guests_failed(h));
}

/* Prepare the run directory and the bodies' empty root. */
static int daemon_rundir(struct hub *h, struct err *e)
{
	mkdir(h->o->rundir, 0755);
	snprintf(h->empty, sizeof(h->empty), "%s/empty", h->o->rundir);
	mkdir(h->empty, 0555);
	struct stat sb;
	if (stat(h->empty, &sb) || !S_ISDIR(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & 0222))
		return err_setx(e, -EPERM, "%s must be an empty root-owned read-only directory",
				h->empty);
	setenv("MOSIX_RUN", h->o->rundir, 1);
	return 0;
}

/* The signalfd and the step timer. */
static int daemon_signals(struct hub *h, struct err *e)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	h->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec it = {{h->step_ms / 1000, (long)(h->step_ms % 1000) * 1000000L},
				{0, 1000000}};
	if (h->sigfd < 0 || h->timerfd < 0 || timerfd_settime(h->timerfd, 0, &it, NULL))
		return err_set(e, -errno, "signalfd / step timer");
	if (hub_watch(h, h->sigfd, daemon_on_signal, NULL) ||
	    hub_watch(h, h->timerfd, daemon_on_step, NULL))
		return err_set(e, -errno, "epoll");
	return 0;
}

/* Open everything: the map, the sockets, the services. */
static int daemon_setup(struct hub *h, struct err *e)
{
	int rc = cluster_load(h->o->confdir, &h->cl, e);
	if (!rc)
		rc = daemon_rundir(h, e);
	if (rc)
		return rc;
	/* as many descriptors as allowed: every registered mosrun and guest
	 * holds one */
	struct rlimit nf;
	if (!getrlimit(RLIMIT_NOFILE, &nf) && nf.rlim_cur < nf.rlim_max) {
		nf.rlim_cur = nf.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nf);
	}
	h->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	const struct group *gr = getgrnam(LAPI_GROUP);
	h->member_gid = gr ? gr->gr_gid : (gid_t)-1;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		return err_set(e, -errno, "epoll");
	/* the services first: a second guestd on a node fails on the bound
	 * address before it could take the first one's local socket */
	for (size_t i = 0; i < hub_nservices; i++)
		if (hub_services[i]->start && (rc = hub_services[i]->start(h, e)))
			return rc;
	if ((h->lapi = lapi_listen(e)) < 0)
		return h->lapi;
	if (hub_watch(h, h->lapi, hub_on_accept, NULL))
		return err_set(e, -errno, "epoll");
	/* To the background here: what could keep it from starting has been
	 * said on the caller's stderr, and what follows must be made in the
	 * daemon itself (a signalfd put in an epoll set before a fork does not
	 * wake it for the child's signals). */
	if (h->o->background) {
		if (daemon(0, 0))
			return err_set(e, -errno, "become a daemon");
		log_use_syslog(1, "guestd");
		h->daemonized = 1;
	}
	return daemon_signals(h, e);
}

/* Close what the services and the loop opened. */
static void daemon_teardown(struct hub *h)
{
	while (h->clients)
		hub_drop_client(h, h->clients);
	for (size_t i = hub_nservices; i-- > 0;)
		if (hub_services[i]->stop)
			hub_services[i]->stop(h);
	int fds[] = {h->lapi, h->sigfd, h->epfd, h->timerfd, h->reserve_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(h->watches);
	cluster_free(&h->cl);
}

/* Run the daemon. */
int daemon_run(const struct daemon_opts *o, struct err *e)
{
	struct hub h;
	memset(&h, 0, sizeof(h));
	h.o = o;
	h.lapi = h.sigfd = h.epfd = h.timerfd = h.reserve_fd = -1;
	h.step_ms = o->step_ms > 0 ? o->step_ms : 1000;
	int rc = daemon_setup(&h, e);
	if (rc && h.daemonized) /* its stderr is gone */
		log_error("%s", e->msg);
	if (!rc)
		log_info("node %d of cluster '%s' (%zu nodes) listening on port %u", h.cl.self,
			 h.cl.name, h.cl.nnodes, h.cl.port);
	if (!rc && o->guest_mem)
		log_info("guests may have %llu MiB of address space each",
			 (unsigned long long)(o->guest_mem >> 20));
	while (!rc && !h.stop)
		daemon_wait(&h, -1);
	if (!rc)
		daemon_expel_on_stop(&h);
	daemon_teardown(&h);
	return rc;
}
