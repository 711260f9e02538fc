/* supervise.c: the job supervision loop (epoll over signalfd, timerfd and the
 * control socket). */
#define LOG_PREFIX "mosrun"
#include "job/supervise.h"
#include "arch/arch.h"
#include "engine/checkpoint.h"
#include "engine/compress.h"
#include "engine/dump.h"
#include "job/creds.h"
#include "job/ctl.h"
#include "job/jobhub.h"
#include "daemon/nodes.h"
#include "engine/freeze.h"
#include "engine/image.h"
#include "remote/migrate.h"
#include "mosix.h"
#include "engine/procfs.h"
#include "remote/remote.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACE_OPTS                                                                                 \
	(PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |     \
	 PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)

/* One process of the job. */
struct sproc {
	pid_t pid;
	int threaded;	    /* started a thread: not checkpointable, not migratable */
	int is_thread;	    /* a thread of another entry, not a process */
	struct deputy *dep; /* set while the body runs on another node */
	unsigned migrations;
	struct jobhub_pub pub; /* what guestd was told of it */
	char last_move[160];   /* the last move's outcome, for mosps ("" before any) */
	unsigned homecomings;  /* how often it came home (asked, or for a call) */
	char home_for[160];    /* the calls that brought it home, distinct, "a,b" */
	int pinned;	       /* moved by hand (mosmigrate): balancing leaves it there */
	int stopped_home;      /* in a job-control stop at home, as last looked at */
	int64_t stop_seen_ms;  /* when */
};

struct job {
	const struct job_opts *o;
	struct sproc *procs;
	size_t nprocs;
	pid_t main;
	int main_status, main_done, ended_by_ckpt, main_lost, start_pending;
	int start_node; /* where the program goes when it starts (0: home) */
	int epfd, sigfd, ctlfd, timerfd;
	char *base;
	int seq;
	struct jobhub hub; /* registered with guestd */
};

static const int job_signals[] = {SIGCHLD,  SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1, SIGUSR2,
				  SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGPIPE};

/* Find a process of the job. */
static struct sproc *job_find(struct job *j, pid_t pid)
{
	for (size_t i = 0; i < j->nprocs; i++)
		if (j->procs[i].pid == pid)
			return &j->procs[i];
	return NULL;
}

/* Add a process to the job. */
static struct sproc *job_add(struct job *j, pid_t pid)
{
	struct sproc *p = job_find(j, pid);
	if (p)
		return p;
	j->procs = xrealloc(j->procs, (j->nprocs + 1) * sizeof(*p));
	p = &j->procs[j->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* Stop serving a deputy (its body is home or gone). */
static void job_drop_deputy(struct job *j, struct sproc *p)
{
	if (!p->dep)
		return;
	epoll_ctl(j->epfd, EPOLL_CTL_DEL, p->dep->c.fd, NULL);
	remote_free(p->dep);
	p->dep = NULL;
}

/* Remove a process that has gone. */
static void job_remove(struct job *j, pid_t pid)
{
	for (size_t i = 0; i < j->nprocs; i++)
		if (j->procs[i].pid == pid) {
			if (j->procs[i].dep && !j->procs[i].dep->dying)
				remote_deputy_died(j->procs[i].dep);
			jobhub_gone(&j->hub, &j->procs[i].pub, pid);
			job_drop_deputy(j, &j->procs[i]);
			j->procs[i] = j->procs[--j->nprocs];
			return;
		}
}

/* Is pid a thread of another process (tgid differs)? */
static int job_is_thread(pid_t pid)
{
	char p[64], *buf = NULL;
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	if (util_read_file(p, &buf) < 0)
		return 0;
	char *s = strstr(buf, "Tgid:");
	int thread = s && atoi(s + 5) != pid;
	free(buf);
	return thread;
}

/* Write a checkpoint of a stopped process; message for the requester in msg. */
static int job_checkpoint(struct job *j, pid_t pid, unsigned flags, char *msg, size_t len)
{
	struct err e = {0, ""};
	struct dump_opts o = {j->o->comp, flags, 0};
	struct dump_stats st;
	char *path = NULL;
	double t0 = util_now();
	int rc = ckpt_write(pid, j->base, j->seq, &o, &st, &path, &e);
	if (rc) {
		snprintf(msg, len, "checkpoint of pid %d failed: %s", pid, e.msg);
		return rc;
	}
	j->seq++;
	snprintf(msg, len, "checkpointed pid %d to %s (%.1f MiB of memory, %.0f ms)", pid, path,
		 (double)st.pages * IMG_PAGE / 1048576.0, (util_now() - t0) * 1e3);
	log_info("%s", msg);
	free(path);
	return 0;
}

static void job_on_wait(struct job *j, pid_t pid, int st);

/* Freeze a process of the job. An exit met while waiting for the freeze is
 * the job's news: it is recorded, not lost. */
static int job_freeze(struct job *j, pid_t pid, char *msg, size_t len)
{
	struct err e = {0, ""};
	int st = 0;
	int rc = freeze_process(pid, &st, &e);
	if (rc == -ESRCH && (WIFEXITED(st) || WIFSIGNALED(st))) {
		job_on_wait(j, pid, st);
		snprintf(msg, len, "pid %d has exited", pid);
	} else if (rc) {
		snprintf(msg, len, "%s", e.msg);
	}
	return rc;
}

/* A deputy whose process ended while we waited on it: record the end. */
static void job_check_gone(struct job *j, struct sproc *p)
{
	if (p->dep && p->dep->gone)
		job_on_wait(j, p->pid, p->dep->gone_status);
}

static int job_bring_home(struct job *j, struct sproc *p, char *msg, size_t len);
static int job_note_move(struct job *j, pid_t pid, int node, int rc, const char *msg);
static int job_send(struct job *j, struct sproc *p, int node, int stopped, char *msg, size_t len);

/* Bring a process that runs away home for its checkpoint; if it cannot
 * come, the checkpoint is refused and it carries on where it is. */
static int job_come_home_for_ckpt(struct job *j, struct sproc *p, char *msg, size_t len)
{
	char why[1024];
	int node = p->dep->node;
	pid_t pid = p->pid;
	if (!job_bring_home(j, p, why, sizeof(why)))
		return 0;
	snprintf(msg, len,
		 "checkpoint of pid %d refused: it runs on node %d and could not come home for "
		 "it (%s)%s",
		 pid, node, why, job_find(j, pid) ? "; it carries on" : "");
	return -EAGAIN;
}

/* After a checkpoint made at home, send the process back to node; the
 * message says where it carries on. */
static void job_back_after_ckpt(struct job *j, pid_t pid, int node, char *msg, size_t len)
{
	char why[1024];
	struct sproc *p = job_find(j, pid);
	size_t at = strlen(msg);
	if (!p || p->dep)
		return;
	if (job_send(j, p, node, 0, why, sizeof(why)))
		snprintf(msg + at, len - at,
			 "; it could not go back to node %d (%s): it carries on at home", node,
			 why);
	else
		snprintf(msg + at, len - at, "; it carries on at node %d", node);
}

/* Freeze, checkpoint, and carry on / stop / exit as asked. */
static int job_ckpt_request(struct job *j, pid_t pid, enum ctl_op op, char *msg, size_t len)
{
	struct sproc *p = job_find(j, pid);
	if (!p) {
		snprintf(msg, len, "pid %d is not part of this mosrun's job", pid);
		return -ESRCH;
	}
	if (p->threaded) {
		snprintf(msg, len,
			 "pid %d has threads: only single-threaded processes can be checkpointed",
			 pid);
		return -EOPNOTSUPP;
	}
	/* Away from home, the process here is only its deputy: a faithful
	 * image needs the body's memory and the deputy's files in one
	 * process, so it comes home for the checkpoint and goes back after. */
	int away = p->dep ? p->dep->node : 0;
	if (away && job_come_home_for_ckpt(j, p, msg, len))
		return -EAGAIN;
	if (job_freeze(j, pid, msg, len))
		return -ESRCH;
	int rc = job_checkpoint(j, pid, 0, msg, len);
	if (rc == 0 && op == CTL_CHKEXIT) {
		if (pid == j->main)
			j->ended_by_ckpt = 1;
		kill(pid, SIGKILL);
	}
	ptrace(PTRACE_CONT, pid, 0, 0);
	if (rc == 0 && op == CTL_CHKSTOP)
		kill(pid, SIGSTOP);
	if (away && (rc || op == CTL_CHECKPOINT))
		job_back_after_ckpt(j, pid, away, msg, len);
	return rc;
}

/* Is pid's program setuid or setgid (it then runs at home, as in MOSIX)? */
static int job_is_setid(pid_t pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return !stat(path, &st) && (st.st_mode & (S_ISUID | S_ISGID));
}

/* The body's execve ran at home: p is the new program, stopped at the end of
 * execve. Send it where the old one ran; it stays home when it is setuid or
 * cannot go (job_send says why). Not a move of the balancer's: the count of
 * migrations stays. */
static void job_exec_there(struct job *j, struct sproc *p)
{
	char why[1024];
	int node = p->dep->node;
	job_drop_deputy(j, p);
	p->pub.sent = 0; /* a new program: guestd hears its name */
	if (job_is_setid(p->pid)) {
		snprintf(p->last_move, sizeof(p->last_move),
			 "came home: it runs a setuid or setgid program");
		log_info("pid %d runs a setuid or setgid program: it stays at home", p->pid);
		ptrace(PTRACE_CONT, p->pid, 0, 0);
		return;
	}
	unsigned moves = p->migrations;
	if (job_send(j, p, node, 1, why, sizeof(why))) {
		job_note_move(j, p->pid, 0, -1, why);
		log_warn("%s", why);
	}
	p->migrations = moves;
}

/* p came home: counted for mosps; a call that brought it is named there and
 * told to guestd, which counts those per call (mosctl calls). */
static void job_came_home(struct job *j, struct sproc *p)
{
	char call[64];
	size_t at = strlen(p->home_for), n;
	p->homecomings++;
	if (!fwd_home_call(p->dep->home_why, call, sizeof(call)))
		return;
	jobhub_home_call(&j->hub, call);
	n = strlen(call);
	for (const char *c = p->home_for; (c = strstr(c, call)); c += n)
		if ((c == p->home_for || c[-1] == ',') && (c[n] == ',' || !c[n]))
			return; /* named already */
	if (at + n + 2 < sizeof(p->home_for))
		snprintf(p->home_for + at, sizeof(p->home_for) - at, "%s%s", at ? "," : "", call);
}

/* What a remote event means for the job. */
static void job_on_remote_event(struct job *j, struct sproc *p, enum remote_event ev,
				const struct err *e)
{
	if (ev == REMOTE_HOME) {
		int stopped = p->dep->stopped;
		/* whatever brought it (a move, an expel, a call that runs only at
		 * home): mosps' last move says so */
		snprintf(p->last_move, sizeof(p->last_move), "came home");
		job_came_home(j, p);
		job_drop_deputy(j, p);
		ptrace(PTRACE_CONT, p->pid, 0, 0);
		if (stopped) /* it came home stopped: it stays stopped */
			kill(p->pid, SIGSTOP);
	} else if (ev == REMOTE_EXECED) {
		job_exec_there(j, p);
	} else if (ev == REMOTE_LOST) {
		fprintf(stderr, "mosrun: process %d was lost: %s\n", p->pid, e->msg);
		if (p->pid == j->main)
			j->main_lost = 1;
		p->dep->dying = SIGKILL;
		kill(p->pid, SIGKILL);
	}
}

/* Bring a migrated process home and wait for it. */
static int job_bring_home(struct job *j, struct sproc *p, char *msg, size_t len)
{
	struct err e = {0, ""};
	enum remote_event ev;
	int node = p->dep->node;
	int rc = remote_go_home(p->dep, &ev, &e);
	job_on_remote_event(j, p, ev, &e);
	if (ev != REMOTE_HOME)
		job_check_gone(j, p);
	if (rc || ev != REMOTE_HOME) {
		snprintf(msg, len, "pid %d did not come home from node %d: %s", p->pid, node,
			 rc ? e.msg : "it ended there");
		return rc ? rc : -ESRCH;
	}
	snprintf(msg, len, "pid %d is home from node %d", p->pid, node);
	return 0;
}

/* Freeze a process at home and send it to node. */
static int job_send(struct job *j, struct sproc *p, int node, int stopped, char *msg, size_t len)
{
	struct err e = {0, ""};
	if (!stopped && job_freeze(j, p->pid, msg, len))
		return -ESRCH;
	char where[512] = "";
	int rc = remote_migrate(p->pid, node, j->o->mig_flags, &p->dep, where, sizeof(where), &e);
	if (rc) {
		ptrace(PTRACE_CONT, p->pid, 0, 0);
		snprintf(msg, len, "migration of pid %d to node %d failed: %s; it stays at home",
			 p->pid, node, e.msg);
		return rc;
	}
	p->migrations++;
	jobhub_link(&j->hub, node, p->dep->sent_bytes, p->dep->sent_secs);
	struct epoll_event ev = {EPOLLIN, {.fd = p->dep->c.fd}};
	epoll_ctl(j->epfd, EPOLL_CTL_ADD, p->dep->c.fd, &ev);
	snprintf(msg, len, "migrated: %s", where);
	log_info("%s", msg);
	return 0;
}

/* Can pid move to node (0: home)? 0: yes (msg says so); 1: nothing to do
 * (msg says why); negative: refused (msg says why). */
static int job_move_check(struct job *j, pid_t pid, int node, char *msg, size_t len)
{
	struct sproc *p = job_find(j, pid);
	if (!p) {
		snprintf(msg, len, "pid %d is not part of this mosrun's job", pid);
		return -ESRCH;
	}
	if (node && p->threaded) {
		snprintf(msg, len, "pid %d has threads: a threaded process is not migratable", pid);
		return -EOPNOTSUPP;
	}
	int at = p->dep ? p->dep->node : 0;
	struct dump_why w;
	int rc = node && !at ? dump_check(pid, DUMP_M_NOFDS, &w) : 0;
	if (rc && *w.code) { /* refused before anything is stopped or sent */
		snprintf(msg, len, "pid %d cannot move: %s; it stays at home", pid, w.why);
		return rc;
	}
	if (at == node) {
		if (node)
			snprintf(msg, len, "pid %d already runs on node %d", pid, node);
		else
			snprintf(msg, len, "pid %d is at home", pid);
		return 1;
	}
	if (node)
		snprintf(msg, len, "pid %d: moving to node %d", pid, node);
	else
		snprintf(msg, len, "pid %d: coming home from node %d", pid, at);
	return 0;
}

/* Keep a move's outcome for mosps (an asynchronous one is told nowhere
 * else): one line, no tabs. Returns rc. */
static int job_note_move(struct job *j, pid_t pid, int node, int rc, const char *msg)
{
	struct sproc *p = job_find(j, pid);
	if (!p)
		return rc;
	if (!rc && node)
		snprintf(p->last_move, sizeof(p->last_move), "moved to node %d", node);
	else if (!rc)
		snprintf(p->last_move, sizeof(p->last_move), "came home");
	else
		snprintf(p->last_move, sizeof(p->last_move), "failed: %s", msg);
	for (char *c = p->last_move; *c; c++)
		*c = (unsigned char)*c < ' ' ? ' ' : *c;
	return rc;
}

/* Send p, in a ptrace-stop, to the node it starts on (-NODE, -b): it runs
 * at home when it cannot go (job_send says why). */
static void job_start_there(struct job *j, struct sproc *p)
{
	char why[1024];
	if (job_note_move(j, p->pid, j->start_node,
			  job_send(j, p, j->start_node, 1, why, sizeof(why)), why))
		fprintf(stderr, "mosrun: %s\n", why);
}

/* mosmigrate PID NODE | home (node 0). */
static int job_move(struct job *j, pid_t pid, int node, char *msg, size_t len)
{
	int rc = job_move_check(j, pid, node, msg, len);
	if (rc)
		return rc > 0 ? 0 : rc;
	struct sproc *p = job_find(j, pid);
	if (p->dep && (rc = job_bring_home(j, p, msg, len)))
		return job_note_move(j, pid, node, rc, msg);
	rc = node ? job_send(j, p, node, 0, msg, len) : 0;
	return job_note_move(j, pid, node, rc, msg);
}

/* A child deputy made for a fork at a remote node joins the job. */
static void job_adopt(struct job *j, struct deputy *k)
{
	struct sproc *q = job_add(j, k->pid);
	q->dep = k;
	struct epoll_event ev = {EPOLLIN, {.fd = k->c.fd}};
	epoll_ctl(j->epfd, EPOLL_CTL_ADD, k->c.fd, &ev);
}

/* Input on a deputy's connection. */
static int job_on_deputy(struct job *j, int fd)
{
	for (size_t i = 0; i < j->nprocs; i++) {
		struct sproc *p = &j->procs[i];
		if (!p->dep || p->dep->c.fd != fd)
			continue;
		struct err e = {0, ""};
		enum remote_event ev;
		remote_on_input(p->dep, &ev, &e);
		if (p->dep->forked) { /* its child was born there: it has a deputy too */
			struct deputy *k = p->dep->forked;
			p->dep->forked = NULL;
			job_adopt(j, k); /* (may move j->procs: p is not used after) */
			return 1;
		}
		if (p->dep->gone)
			job_check_gone(j, p);
		else if (ev == REMOTE_EXITED || (ev == REMOTE_LOST && p->dep->dying))
			job_drop_deputy(j, p); /* the deputy is ending the body's way */
		else
			job_on_remote_event(j, p, ev, &e);
		return 1;
	}
	return 0;
}

/* Why a process could not move (the migration's dump would refuse it): a
 * one-word code and the reason, or 0 when it can. A process away moved, so
 * it can; one gone meanwhile is not refused. Open files do not count (they
 * stay at home and are forwarded): the dump's migration mode. */
static int job_why_not(const struct sproc *p, char *code, size_t clen, char *why, size_t wlen)
{
	struct dump_why w;
	if (p->threaded) {
		snprintf(code, clen, "threads"), snprintf(why, wlen, "it has threads");
		return 1;
	}
	if (p->dep || !dump_check(p->pid, DUMP_M_NOFDS, &w) || !*w.code)
		return 0;
	snprintf(code, clen, "%s", w.code), snprintf(why, wlen, "%s", w.why);
	return 1;
}

/* Is a process at home in a job-control stop (SIGSTOP, chkstop)? One away
 * is when its deputy is. */
static int job_is_stopped(const struct sproc *p)
{
	struct proc_stat st;
	if (p->dep)
		return p->dep->stopped != 0;
	return procfs_stat(p->pid, &st) == 0 && (st.state == 'T' || st.state == 't');
}

/* The job's processes for mosps and mosmigrate, one line each:
 * "pid node migrations why-code" ("-": it can move), then tab-separated
 * key=value fields (values without tabs or newlines): state (running or
 * stopped), why (the reason in words), last_move (its outcome), sent and
 * sent_ms (the image stream of the move that took it where it runs). A
 * reader skips keys it does not know: a new field is one more here. */
static int job_list(struct job *j, char *msg, size_t len)
{
	size_t at = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < j->nprocs; i++) {
		const struct sproc *p = &j->procs[i];
		char code[32] = "-", why[200] = "", sent[64] = "", line[512];
		if (p->is_thread)
			continue;
		job_why_not(p, code, sizeof(code), why, sizeof(why));
		if (p->dep)
			snprintf(sent, sizeof(sent), "\tsent=%llu\tsent_ms=%.0f",
				 (unsigned long long)p->dep->sent_bytes, p->dep->sent_secs * 1e3);
		int n = snprintf(line, sizeof(line),
				 "%d %d %u %s\tstate=%s\twhy=%s\tlast_move=%s%s\thomecomings=%u"
				 "\thome_for=%s\n",
				 p->pid, p->dep ? p->dep->node : 0, p->migrations, code,
				 job_is_stopped(p) ? "stopped" : "running", why, p->last_move, sent,
				 p->homecomings, p->home_for);
		if (n < 0 || (size_t)n >= sizeof(line) || at + (size_t)n >= len)
			break; /* (a job of more than about 60 processes is cut short) */
		memcpy(msg + at, line, (size_t)n + 1);
		at += (size_t)n;
	}
	return 0;
}

/* Progress of a move for the mosmigrate that waits on it. */
struct job_progress {
	int cfd;
	pid_t pid;
	double t0;
};

static void job_on_progress(uint64_t bytes, void *arg)
{
	const struct job_progress *jp = arg;
	double mib = (double)bytes / 1048576.0, dt = util_now() - jp->t0;
	ctl_progress(jp->cfd, "pid %d: %.0f MiB moved, %.0f MiB/s", jp->pid, mib,
		     dt > 0 ? mib / dt : 0.0);
}

/* Serve one control connection. A move asked for asynchronously is answered
 * once checked (one the migration's dump would refuse is refused then, with
 * the reason), then made; a later failure is told on mosrun's stderr. Both
 * are kept for mosps's last move. */
static void job_on_ctl(struct job *j)
{
	struct ctl_req req;
	struct err e = {0, ""};
	int cfd, rc;
	if (ctl_accept(j->ctlfd, &cfd, &req, &e)) {
		log_warn("%s", e.msg);
		return;
	}
	char msg[8192];
	int node = req.op == CTL_MIGRATE ? req.node : 0;
	if (req.op == CTL_MIGRATE || req.op == CTL_HOME) {
		if ((rc = job_move_check(j, req.pid, node, msg, sizeof(msg)))) {
			if (rc < 0)
				job_note_move(j, req.pid, node, rc, msg);
			ctl_reply(cfd, rc > 0 ? 0 : rc, "%s", msg);
			return;
		}
		if (req.flags & CTL_F_ASYNC) {
			ctl_reply(cfd, 0, "%s", msg);
			cfd = -1;
		}
		struct job_progress jp = {cfd, req.pid, util_now()};
		if (cfd >= 0 && (req.flags & CTL_F_PROGRESS))
			mig_set_progress(job_on_progress, &jp);
		rc = job_move(j, req.pid, node, msg, sizeof(msg));
		mig_set_progress(NULL, NULL);
		struct sproc *p = rc ? NULL : job_find(j, req.pid);
		if (p) /* where the user put it, it stays (mosrun -L for one process) */
			p->pinned = 1;
		if (cfd >= 0)
			ctl_reply(cfd, rc, "%s", msg);
		else if (rc)
			fprintf(stderr, "mosrun: %s\n", msg);
		return;
	}
	rc = req.op == CTL_LIST
		 ? job_list(j, msg, sizeof(msg))
		 : job_ckpt_request(j, req.pid, (enum ctl_op)req.op, msg, sizeof(msg));
	ctl_reply(cfd, rc, "%s", msg);
}

/* The program asked for its own checkpoint (mosix_checkpoint): it is in the
 * signal-delivery-stop of the magic signal, right after the syscall. */
static int job_self_ckpt(struct job *j, pid_t pid, const siginfo_t *si)
{
	if (si->si_signo != MOSIX_CKPT_SIGNAL || si->si_code != SI_QUEUE || si->si_pid != pid ||
	    si->si_value.sival_int != MOSIX_CKPT_MAGIC)
		return 0;
	char msg[1024];
	struct sproc *p = job_find(j, pid);
	int rc = p && p->threaded ? -EOPNOTSUPP
				  : job_checkpoint(j, pid, IMG_F_SELF_CKPT, msg, sizeof(msg));
	if (rc)
		fprintf(stderr, "mosrun: %s\n", p && p->threaded ? "threaded process" : msg);
	arch_regs_t r;
	if (arch_get_regs(pid, &r) == 0 && arch_syscall_nr(&r) == SYS_rt_sigqueueinfo) {
		arch_set_ret(&r, rc);
		arch_set_regs(pid, &r);
	}
	return 1;
}

/* Is sig ignored by pid (SIG_IGN, or SIG_DFL where that ignores it)? */
static int job_ignores(pid_t pid, int sig)
{
	struct proc_status ps;
	uint64_t bit = 1ull << (sig - 1);
	return !procfs_status(pid, &ps) &&
	       ((ps.sigign & bit) || (!(ps.sigcgt & bit) && util_default_ignored(sig)));
}

/* A traced process gets even the signals it ignores (for its tracer to
 * see), and one ends an epoll wait with EINTR, which without mosrun it never
 * would: that wait restarts instead (a handler still makes it EINTR). */
static void job_keep_wait(pid_t pid, int sig)
{
	arch_regs_t r;
	long nr;
	if (arch_get_regs(pid, &r) || arch_syscall_ret(&r) != -EINTR ||
	    ((nr = arch_syscall_nr(&r)) != SYS_epoll_wait && nr != SYS_epoll_pwait &&
	     nr != SYS_epoll_pwait2) ||
	    !job_ignores(pid, sig))
		return;
	arch_set_ret(&r, -ARCH_ERESTARTNOHAND);
	arch_set_regs(pid, &r);
}

/* A signal is about to be delivered to pid: pass it on, unless it is ours. */
static void job_on_signal_stop(struct job *j, pid_t pid, int sig)
{
	siginfo_t si;

	if (sig == (SIGTRAP | 0x80)) { /* a syscall stop we did not ask for */
		ptrace(PTRACE_CONT, pid, 0, 0);
		return;
	}
	if (sig == MOSIX_CKPT_SIGNAL && !ptrace(PTRACE_GETSIGINFO, pid, 0, &si) &&
	    job_self_ckpt(j, pid, &si)) {
		ptrace(PTRACE_CONT, pid, 0, 0);
		return;
	}
	job_keep_wait(pid, sig);
	ptrace(PTRACE_CONT, pid, 0, sig);
}

/* A ptrace event stop (fork, exec, group-stop, interrupt). */
static void job_on_event(struct job *j, pid_t pid, int st)
{
	int ev = st >> 16, sig = WSTOPSIG(st);
	unsigned long msg = 0;
	struct sproc *ex = ev == PTRACE_EVENT_EXEC ? job_find(j, pid) : NULL;
	if (ex) /* a new program: guestd hears its name */
		ex->pub.sent = 0;
	if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK || ev == PTRACE_EVENT_CLONE) {
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
		/* The child's own stops and even its end may have been reaped
		 * already (a vfork child that ran exec and exited): add it only
		 * while it is still ours, or it would wait for an end seen. */
		struct sproc *child = job_find(j, (pid_t)msg);
		struct proc_status cs;
		if (!child && !procfs_status((pid_t)msg, &cs) && cs.tracer == getpid())
			child = job_add(j, (pid_t)msg);
		if (child && ev == PTRACE_EVENT_CLONE && job_is_thread((pid_t)msg)) {
			struct sproc *p = job_find(j, pid);
			if (p)
				p->threaded = 1;
			child->threaded = child->is_thread = 1;
		}
		ptrace(PTRACE_CONT, pid, 0, 0);
	} else if (ev == PTRACE_EVENT_EXEC && pid == j->main && j->start_pending) {
		/* Step out of execve (its return would overwrite what injection
		 * sets) and send it from that stop: were it let run first, a short
		 * program could end before it was frozen. */
		int xs = 0;
		j->start_pending = 0;
		struct sproc *p = job_find(j, pid);
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) || waitpid(pid, &xs, __WALL) < 0)
			return;
		if (!WIFSTOPPED(xs) || WSTOPSIG(xs) != (SIGTRAP | 0x80)) {
			fprintf(stderr,
				"mosrun: pid %d stays at home: it %s before it could move\n", pid,
				WIFSTOPPED(xs) ? "stopped" : "ended");
			job_on_wait(j, pid, xs); /* whatever it was, as any other time */
			return;
		}
		if (p)
			job_start_there(j, p);
	} else if (ev == PTRACE_EVENT_STOP && util_is_stop_signal(sig)) {
		ptrace(PTRACE_LISTEN, pid, 0, 0); /* stay stopped until SIGCONT */
		if (pid == j->main && sig != SIGSTOP)
			kill(getpid(), SIGSTOP); /* let the shell see the job stop */
	} else {
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
}

/* Handle one wait status. */
static void job_on_wait(struct job *j, pid_t pid, int st)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		if (pid == j->main) {
			j->main_status = st;
			j->main_done = 1;
		}
		job_remove(j, pid);
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	struct sproc *p = job_add(j, pid);
	if (p->dep) { /* a deputy: its stops belong to the migrated process */
		int stop = remote_on_stop(p->dep, st);
		job_check_gone(j, p);
		if (stop && pid == j->main && stop != SIGSTOP)
			kill(getpid(), SIGSTOP); /* let the shell see the job stop */
		return;
	}
	if (st >> 16)
		job_on_event(j, pid, st);
	else
		job_on_signal_stop(j, pid, WSTOPSIG(st));
}

/* Reap every pending wait status. */
static void job_reap(struct job *j)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
		job_on_wait(j, pid, st);
}

/* A signal for mosrun itself. */
static void job_on_sigfd(struct job *j)
{
	struct signalfd_siginfo si;
	while (read(j->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			job_reap(j);
			continue;
		}
		/* Terminal signals reach the whole foreground group, the program
		 * included; only signals sent to mosrun itself are passed on. */
		if (si.ssi_code == SI_KERNEL || sig == SIGTSTP || sig == SIGTTIN ||
		    sig == SIGTTOU || sig == SIGPIPE)
			continue;
		if (!j->main_done)
			kill(j->main, sig);
	}
}

/* Periodic checkpoint (-A). */
static void job_on_timer(struct job *j)
{
	uint64_t n;
	if (read(j->timerfd, &n, sizeof(n)) != (ssize_t)sizeof(n) || j->main_done)
		return;
	char msg[1024];
	if (job_ckpt_request(j, j->main, CTL_CHECKPOINT, msg, sizeof(msg)))
		fprintf(stderr, "mosrun: automatic %s\n", msg);
}

/* Block the job signals and open signalfd, control socket and timer. */
static int job_setup(struct job *j, struct err *e)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(job_signals); i++)
		sigaddset(&set, job_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	j->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	j->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (j->sigfd < 0 || j->epfd < 0)
		return err_set(e, -errno, "signalfd/epoll");
	if ((j->ctlfd = ctl_listen(getpid(), e)) < 0)
		return j->ctlfd;
	int fds[] = {j->sigfd, j->ctlfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		struct epoll_event ev = {EPOLLIN, {.fd = fds[i]}};
		epoll_ctl(j->epfd, EPOLL_CTL_ADD, fds[i], &ev);
	}
	j->timerfd = -1;
	if (j->o->auto_minutes > 0) {
		double s = j->o->auto_minutes * 60.0;
		struct itimerspec it;
		it.it_value.tv_sec = it.it_interval.tv_sec = (time_t)s;
		it.it_value.tv_nsec = it.it_interval.tv_nsec =
		    (long)((s - (double)(time_t)s) * 1e9);
		j->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (j->timerfd < 0 || timerfd_settime(j->timerfd, 0, &it, NULL))
			return err_set(e, -errno, "timerfd");
		struct epoll_event ev = {EPOLLIN, {.fd = j->timerfd}};
		epoll_ctl(j->epfd, EPOLL_CTL_ADD, j->timerfd, &ev);
	}
	jobhub_init(&j->hub, j->epfd);
	return 0;
}

/* Child: drop mosrun's group, say so, wait until seized, then exec the
 * program with the job signals unblocked. */
static void job_exec_child(char **argv, int ready, int sync)
{
	char c = 'r';
	if (creds_drop(ready, sync) || write(ready, &c, 1) != 1 || read(sync, &c, 1) != 1)
		_exit(126);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setenv(MOSIX_CKPT_ENV, "1", 1);
	execvp(argv[0], argv);
	fprintf(stderr, "mosrun: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Start the program under supervision. */
static int job_start(struct job *j, struct err *e)
{
	int sync[2], ready[2];
	char c;
	if (pipe2(sync, O_CLOEXEC))
		return err_set(e, -errno, "pipe");
	if (pipe2(ready, O_CLOEXEC)) {
		close(sync[0]);
		close(sync[1]);
		return err_set(e, -errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int rc = err_set(e, -errno, "fork");
		int fds[] = {sync[0], sync[1], ready[0], ready[1]};
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			close(fds[i]);
		return rc;
	}
	if (pid == 0)
		job_exec_child(j->o->argv, ready[1], sync[0]);
	close(sync[0]);
	close(ready[1]);
	int rc = 0;
	if (read(ready[0], &c, 1) != 1) /* it may be traced from here on */
		rc = err_setx(e, -ECHILD, "start %s: the child ended", j->o->argv[0]);
	close(ready[0]);
	if (!rc && ptrace(PTRACE_SEIZE, pid, 0, TRACE_OPTS))
		rc = err_set(e, -errno, "ptrace %d", pid);
	if (rc)
		kill(pid, SIGKILL);
	if (write(sync[1], "x", 1) != 1 && !rc)
		rc = err_set(e, -errno, "start %s", j->o->argv[0]);
	close(sync[1]);
	j->main = pid;
	job_add(j, pid);
	return rc;
}

/* Recover the program from a checkpoint file. */
static int job_recover(struct job *j, struct err *e)
{
	_cleanup_close_ int fd = open(j->o->recover, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, -errno, "%s", j->o->recover);
	struct restore_opts ro = {j->o->redir, j->o->nredir, TRACE_OPTS, 0, 0, NULL};
	struct restore_info info;
	pid_t pid;
	int rc = restore_process(fd, &ro, &pid, &info, e);
	if (rc)
		return err_prefix(e, "recover %s: ", j->o->recover);
	if (j->o->verbose)
		fprintf(stderr, "mosrun: recovered pid %d (%s) as pid %d from %s in %.0f ms\n",
			info.old_pid, info.comm, pid, j->o->recover, info.t_total * 1e3);
	j->main = pid;
	struct sproc *p = job_add(j, pid);
	if (j->start_node > 0 && p) /* mosrun -R FILE -NODE: it carries on there */
		job_start_there(j, p);
	else
		ptrace(PTRACE_CONT, pid, 0, 0);
	return 0;
}

/* Choose where checkpoints go and their first number. */
static void job_ckpt_names(struct job *j)
{
	int seq = 1;
	char *base = NULL;
	if (j->o->ckpt_base)
		base = xstrdup(j->o->ckpt_base);
	else if (j->o->recover && ckpt_split(j->o->recover, &base, &seq) == 0)
		seq++;
	else
		base = xasprintf("ckpt.%d", (int)getpid());
	char *abs = util_abs_path(base); /* NULL: no working directory, base stays relative */
	if (abs) {
		free(base);
		base = abs;
	}
	j->base = base;
	j->seq = j->o->ckpt_base ? 1 : seq;
}

/* guestd asks to move a process (balancing, mosctl bring). */
static void job_on_hub(struct job *j)
{
	struct lapi_req q;
	char msg[sizeof(q.msg)];
	while (jobhub_next(&j->hub, &q) == 0) {
		if (q.op != LAPI_MOVE)
			continue;
		int rc = job_move(j, q.proc.pid, q.node, msg, sizeof(msg));
		jobhub_answer(&j->hub, q.seq, rc, msg);
	}
}

/* Tell guestd what changed: each process, where it runs, why it stays. */
static void job_report(struct job *j)
{
	if (jobhub_tick(&j->hub))
		for (size_t i = 0; i < j->nprocs; i++)
			j->procs[i].pub.sent = 0;
	for (size_t i = 0; i < j->nprocs; i++) {
		struct sproc *p = &j->procs[i];
		if (p->is_thread)
			continue;
		int64_t now = nodes_now_ms();
		if (!p->dep && now - p->stop_seen_ms >= 1000) { /* (a /proc read: not every turn) */
			p->stopped_home = job_is_stopped(p);
			p->stop_seen_ms = now;
		}
		int stopped = p->dep ? p->dep->stopped != 0 : p->stopped_home;
		unsigned flags = (p->threaded ? LAPI_P_THREADS : 0) |
				 (stopped ? LAPI_P_STOPPED : 0) |
				 (j->o->lock > 0 || p->pinned ? LAPI_P_LOCKED : 0);
		jobhub_sync(&j->hub, &p->pub, p->pid, p->dep ? p->dep->node : 0, p->migrations,
			    flags, p->threaded ? "threads" : "", p->dep ? p->dep->fwd_calls : 0,
			    p->dep ? p->dep->fwd_bytes : 0);
	}
}

/* The loop: until every process of the job is gone. */
static void job_loop(struct job *j)
{
	while (j->nprocs > 0) {
		job_report(j);
		struct epoll_event ev[4];
		int n = epoll_wait(j->epfd, ev, 4, 1000);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (job_on_deputy(j, ev[i].data.fd))
				continue;
			if (jobhub_is(&j->hub, ev[i].data.fd))
				job_on_hub(j);
			else if (ev[i].data.fd == j->sigfd)
				job_on_sigfd(j);
			else if (ev[i].data.fd == j->ctlfd)
				job_on_ctl(j);
			else if (ev[i].data.fd == j->timerfd)
				job_on_timer(j);
		}
		job_reap(j); /* a SIGCHLD may coalesce with an earlier one */
	}
}

/* Where the program starts: the node named (-NODE), refused when it is
 * known not to be there unless -F (then at home), or the best node (-b,
 * guestd's choice; home without guestd). 0, or a code with e set. */
static int job_placement(struct job *j, struct err *e)
{
	const struct job_opts *o = j->o;
	int self = 0, rc;
	j->start_node = o->start_node;
	if (o->best) {
		struct err be = {0, ""};
		if (lapi_best(&j->start_node, &be)) {
			j->start_node = 0;
			if (o->verbose)
				fprintf(stderr,
					"mosrun: -b: no best node (%s): it starts at home\n",
					be.msg);
		}
	} else if (j->start_node > 0 && (rc = lapi_node_check(j->start_node, &self, e))) {
		/* absent, down, or no guestd to take it there: MOSIX refuses
		 * unless -F, which runs it at home */
		if (!o->force) {
			char why[sizeof(e->msg)];
			snprintf(why, sizeof(why), "%s", e->msg);
			return err_setx(e, rc, "%s: it does not start (-F runs it at home instead)",
					why);
		}
		if (log_get_level() >= LOG_LVL_WARN) /* (not with -q) */
			fprintf(stderr, "mosrun: %s: it runs at home (-F)\n", e->msg);
		j->start_node = 0;
	}
	if (j->start_node == self) /* -NODE named this one */
		j->start_node = 0;
	j->start_pending = j->start_node > 0 && !o->recover; /* (a recovery goes in job_recover) */
	return 0;
}

/* Run a job. */
int job_run(const struct job_opts *o, enum job_end *end, int *status, struct err *e)
{
	struct job j;
	memset(&j, 0, sizeof(j));
	j.o = o;
	j.ctlfd = j.timerfd = j.sigfd = j.epfd = -1;
	hubc_init(&j.hub.hc);
	job_ckpt_names(&j);
	int rc = job_placement(&j, e);
	if (!rc)
		rc = job_setup(&j, e);
	if (!rc)
		rc = o->recover ? job_recover(&j, e) : job_start(&j, e);
	if (!rc)
		job_loop(&j);
	*end = j.ended_by_ckpt ? JOB_CHECKPOINTED : j.main_lost ? JOB_LOST : JOB_EXITED;
	*status = j.main_status;
	int fds[] = {j.epfd, j.sigfd, j.ctlfd, j.timerfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	jobhub_close(&j.hub);
	for (size_t i = 0; i < j.nprocs; i++)
		remote_free(j.procs[i].dep);
	free(j.procs);
	free(j.base);
	return rc;
}
