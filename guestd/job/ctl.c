/* ctl.c: local requests to a mosrun over an abstract unix socket. */
#include "job/ctl.h"
#include "engine/procfs.h"
#include "appliance/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Abstract address of mosrun pid. */
static socklen_t ctl_addr(pid_t pid, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "mosix-mosrun-%d", (int)pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Listen. */
int ctl_listen(pid_t self, struct err *e)
{
	struct sockaddr_un a;
	socklen_t len = ctl_addr(self, &a);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "control socket");
	if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, 8)) {
		int rc = -errno;
		close(fd);
		return err_set(e, rc, "bind control socket @%s", a.sun_path + 1);
	}
	return fd;
}

/* Accept one request from the same user or root. */
int ctl_accept(int lfd, int *cfd, struct ctl_req *req, struct err *e)
{
	_cleanup_close_ int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return err_set(e, -errno, "accept");
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
	    (cr.uid != 0 && cr.uid != getuid())) {
		ctl_reply(TAKE_FD(fd), -EPERM, "permission denied");
		return err_setx(e, -EPERM, "control request from uid %u refused", cr.uid);
	}
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, req, sizeof(*req), 0);
	if (n != (ssize_t)sizeof(*req) || req->magic != CTL_MAGIC || req->version != CTL_VERSION ||
	    req->op == 0 || req->op >= CTL__MAX) {
		ctl_reply(TAKE_FD(fd), -EPROTO, "malformed request");
		return err_setx(e, -EPROTO, "malformed control request (%zd bytes)", n);
	}
	*cfd = TAKE_FD(fd);
	return 0;
}

/* Send one reply message. */
__attribute__((format(printf, 4, 0))) static void ctl_send(int cfd, int status, int flags,
							   const char *fmt, va_list ap)
{
	static struct ctl_rep r;
	memset(&r, 0, sizeof(r));
	r.magic = CTL_MAGIC;
	r.version = CTL_VERSION;
	r.status = status;
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	if (send(cfd, &r, sizeof(r), MSG_NOSIGNAL | flags) < 0) {
		/* the requester went away (or does not read): nothing more to tell */
	}
}

/* Reply and close. */
void ctl_reply(int cfd, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ctl_send(cfd, status, 0, fmt, ap);
	va_end(ap);
	close(cfd);
}

/* An intermediate reply. */
void ctl_progress(int cfd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ctl_send(cfd, CTL_PROGRESS, MSG_DONTWAIT, fmt, ap); /* dropped if it does not read */
	va_end(ap);
}

/* One request/reply exchange with mosrun pid mosrun (progress replies first). */
static int ctl_exchange(pid_t mosrun, const struct ctl_req *req,
			void (*progress)(const char *msg, void *arg), void *arg,
			struct ctl_rep *rep, struct err *e)
{
	struct sockaddr_un a;
	socklen_t len = ctl_addr(mosrun, &a);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket");
	if (connect(fd, (struct sockaddr *)&a, len))
		return err_setx(e, -ESRCH, "pid %d is not a mosrun", (int)mosrun);
	if (send(fd, req, sizeof(*req), 0) != (ssize_t)sizeof(*req))
		return err_set(e, -errno, "send request to mosrun %d", (int)mosrun);
	for (;;) {
		ssize_t n = recv(fd, rep, sizeof(*rep), 0);
		if (n != (ssize_t)sizeof(*rep) || rep->magic != CTL_MAGIC ||
		    rep->version != CTL_VERSION)
			return err_setx(e, -EPROTO,
					"no valid reply from mosrun %d (it ended, or a different "
					"version?)",
					(int)mosrun);
		rep->msg[sizeof(rep->msg) - 1] = '\0';
		if (rep->status != CTL_PROGRESS)
			return 0;
		if (progress)
			progress(rep->msg, arg);
	}
}

/* Ask a mosrun directly. */
int ctl_call_mosrun(pid_t mosrun, enum ctl_op op, int node, struct ctl_rep *rep, struct err *e)
{
	struct ctl_req req = {CTL_MAGIC, CTL_VERSION, op, mosrun, node, 0};
	return ctl_exchange(mosrun, &req, NULL, NULL, rep, e);
}

/* Ask the mosrun supervising pid (found as its tracer). */
int ctl_call(pid_t pid, enum ctl_op op, int node, struct ctl_rep *rep, struct err *e)
{
	return ctl_call_flags(pid, op, node, 0, NULL, NULL, rep, e);
}

int ctl_call_flags(pid_t pid, enum ctl_op op, int node, unsigned flags,
		   void (*progress)(const char *msg, void *arg), void *arg, struct ctl_rep *rep,
		   struct err *e)
{
	struct proc_status st;
	if (procfs_status(pid, &st))
		return err_setx(e, -ESRCH, "no process %d", (int)pid);
	if (st.tracer <= 0)
		return err_setx(e, -ESRCH, "process %d does not run under mosrun", (int)pid);
	struct ctl_req req = {CTL_MAGIC, CTL_VERSION, op, pid, node, flags};
	int rc = ctl_exchange(st.tracer, &req, progress, arg, rep, e);
	if (rc == -ESRCH)
		err_setx(e, rc, "process %d is traced by pid %d, which is not a mosrun", (int)pid,
			 (int)st.tracer);
	return rc;
}

/* The distinct mosruns that trace some process (the caller's, or with all
 * anyone's): each one's tracer whose comm is "mosrun". */
size_t ctl_find_mosruns(pid_t *out, size_t cap, int all)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;
	while (d && (de = readdir(d))) {
		long pid;
		struct proc_status st;
		if (util_parse_long(de->d_name, 1, INT_MAX, &pid) ||
		    procfs_status((pid_t)pid, &st) || st.tracer <= 0 ||
		    (!all && st.uid[0] != getuid()))
			continue;
		char *comm = NULL;
		int is_mosrun =
		    procfs_read(st.tracer, "comm", &comm) > 0 && !strcmp(comm, "mosrun\n");
		free(comm);
		int seen = 0;
		for (size_t i = 0; i < n; i++)
			seen |= out[i] == st.tracer;
		if (is_mosrun && !seen && n < cap)
			out[n++] = st.tracer;
	}
	if (d)
		closedir(d);
	return n;
}

/* A key of a CTL_LIST line: where its value goes, and as what. */
struct ctl_field {
	const char *key;
	size_t off, len; /* len: a string of that size; 0: a number */
	int is_double;
};

#define CTL_STR(k, f)                                                                              \
	{                                                                                          \
		k, offsetof(struct ctl_proc, f), sizeof(((struct ctl_proc *)0)->f), 0              \
	}
static const struct ctl_field ctl_fields[] = {
    CTL_STR("state", state),
    CTL_STR("why", why),
    CTL_STR("last_move", last_move),
    {"sent", offsetof(struct ctl_proc, sent), 0, 0},
    {"sent_ms", offsetof(struct ctl_proc, sent_ms), 0, 1},
    {"homecomings", offsetof(struct ctl_proc, homecomings), 0, 0},
    CTL_STR("home_for", home_for),
};

/* Store one key=value (of length n) into p; unknown keys are skipped. */
static void ctl_list_field(const char *kv, size_t n, struct ctl_proc *p)
{
	const char *eq = memchr(kv, '=', n);
	for (size_t i = 0; eq && i < ARRAY_SIZE(ctl_fields); i++) {
		const struct ctl_field *f = &ctl_fields[i];
		if (strlen(f->key) != (size_t)(eq - kv) || strncmp(kv, f->key, (size_t)(eq - kv)))
			continue;
		char val[256];
		snprintf(val, sizeof(val), "%.*s", (int)(n - (size_t)(eq + 1 - kv)), eq + 1);
		char *at = (char *)p + f->off;
		if (f->len)
			snprintf(at, f->len, "%s", val);
		else if (f->is_double)
			*(double *)(void *)at = strtod(val, NULL);
		else
			*(unsigned long long *)(void *)at = strtoull(val, NULL, 10);
	}
}

int ctl_list_parse(const char *line, struct ctl_proc *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->state, sizeof(p->state), "running");
	if (sscanf(line, "%d %d %u %31s", &p->pid, &p->node, &p->migrations, p->code) != 4)
		return -EINVAL;
	for (const char *t = strchr(line, '\t'); t; t = strchr(t + 1, '\t')) {
		const char *end = strchr(t + 1, '\t');
		ctl_list_field(t + 1, end ? (size_t)(end - t - 1) : strlen(t + 1), p);
	}
	return 0;
}
