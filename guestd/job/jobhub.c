/* jobhub.c: a mosrun's registration with guestd. */
#include "job/jobhub.h"
#include "daemon/nodes.h"
#include "engine/procfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

/* Put the current connection into the job's epoll set. */
static void jobhub_watch(struct jobhub *jh)
{
	if (jh->watched == jh->hc.fd)
		return;
	jh->watched = jh->hc.fd; /* a closed fd left the set by itself */
	if (jh->hc.fd >= 0) {
		struct epoll_event ev = {EPOLLIN, {.fd = jh->hc.fd}};
		epoll_ctl(jh->epfd, EPOLL_CTL_ADD, jh->hc.fd, &ev);
	}
}

void jobhub_init(struct jobhub *jh, int epfd)
{
	struct err e = {0, ""};
	hubc_init(&jh->hc);
	jh->epfd = epfd;
	jh->watched = -1;
	hubc_register(&jh->hc, NULL, &e); /* no guestd: tried again later */
	jobhub_watch(jh);
}

int jobhub_tick(struct jobhub *jh)
{
	int again = hubc_retry(&jh->hc);
	jobhub_watch(jh);
	return again;
}

int jobhub_is(const struct jobhub *jh, int fd)
{
	return fd >= 0 && fd == jh->hc.fd;
}

void jobhub_sync(struct jobhub *jh, struct jobhub_pub *pub, pid_t pid, int where,
		 unsigned migrations, unsigned flags, const char *why, uint64_t calls,
		 uint64_t bytes)
{
	int64_t now = nodes_now_ms();
	if (jh->hc.fd < 0 ||
	    (pub->sent && pub->where == where && pub->migrations == migrations &&
	     pub->flags == flags && (pub->fwd_calls == calls || now - pub->at_ms < 1000)))
		return;
	struct lapi_proc p;
	char *comm = NULL;
	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.where = where;
	p.migrations = migrations;
	p.flags = flags;
	snprintf(p.why, sizeof(p.why), "%s", why ? why : "");
	p.fwd_calls = calls;
	p.fwd_bytes = bytes;
	if (procfs_read(pid, "comm", &comm) > 0) {
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(p.comm, sizeof(p.comm), "%s", comm);
	}
	free(comm);
	if (hubc_send(&jh->hc, LAPI_PROC, &p, 0, 0, NULL) == 0)
		*pub = (struct jobhub_pub){1, where, migrations, flags, calls, now};
}

void jobhub_gone(struct jobhub *jh, struct jobhub_pub *pub, pid_t pid)
{
	struct lapi_proc p;
	if (!pub->sent)
		return;
	memset(&p, 0, sizeof(p));
	p.pid = pid;
	hubc_send(&jh->hc, LAPI_PROC_GONE, &p, 0, 0, NULL);
	pub->sent = 0;
}

void jobhub_link(struct jobhub *jh, int node, uint64_t bytes, double secs)
{
	char msg[64];
	snprintf(msg, sizeof(msg), "%llu %llu", (unsigned long long)bytes,
		 (unsigned long long)(secs * 1e6));
	hubc_send_node(&jh->hc, LAPI_LINK, node, msg);
}

int jobhub_next(struct jobhub *jh, struct lapi_req *q)
{
	int rc = hubc_recv(&jh->hc, q);
	jobhub_watch(jh);
	return rc;
}

void jobhub_answer(struct jobhub *jh, uint32_t seq, int status, const char *msg)
{
	hubc_send(&jh->hc, LAPI_MOVED, NULL, status, seq, msg);
}

void jobhub_close(struct jobhub *jh)
{
	hubc_close(&jh->hc);
}

void jobhub_home_call(struct jobhub *jh, const char *call)
{
	hubc_send_node(&jh->hc, LAPI_CALLHOME, 0, call);
}
