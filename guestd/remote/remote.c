/* remote.c: the deputy of a migrated process, at its home node. */
#define LOG_PREFIX "mosrun"
#include "remote/remote.h"
#include "arch/arch.h"
#include "engine/compress.h"
#include "engine/dump.h"
#include "engine/image.h"
#include "daemon/localapi.h"
#include "remote/migrate.h"
#include "engine/procfs.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_S 60

/* Let the deputy idle in pause() on its trampoline, signals unblocked. */
static void dep_idle(struct deputy *d)
{
	arch_regs_t r = d->j.saved;
	long none[6] = {0};
	arch_set_syscall(&r, d->j.page, SYS_pause, none);
	uint64_t empty = 0;
	ptrace(PTRACE_SETSIGMASK, d->pid, sizeof(empty), &empty);
	arch_set_regs(d->pid, &r);
	ptrace(PTRACE_CONT, d->pid, 0, 0);
	d->idle = 1;
}

/* Relay a signal to the body. */
static void dep_relay(struct deputy *d, int sig)
{
	struct mig_signal s = {sig, 0};
	if (wire_send(&d->c, WIRE_SIGNAL, &s, sizeof(s), NULL))
		log_warn("pid %d: could not relay signal %d to node %d", d->pid, sig, d->node);
}

/* The deputy ended while we waited on it (killed): keep its status for the job. */
static int dep_gone(struct deputy *d, int st)
{
	d->gone = 1;
	d->gone_status = st;
	return -ESRCH;
}

/* Bring the deputy into a ptrace-stop, relaying signals met on the way. A
 * forwarded call still running in it is abandoned (its body is gone or
 * going). */
static int dep_stop(struct deputy *d)
{
	if (!d->idle && !d->in_call)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, d->pid, 0, 0))
		return -errno;
	for (;;) {
		int st;
		if (waitpid(d->pid, &st, __WALL) < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return dep_gone(d, st);
		if (st >> 16 == PTRACE_EVENT_STOP || (st >> 16 == 0 && WSTOPSIG(st) == SIGTRAP))
			break;
		if (st >> 16 == 0)
			dep_relay(d, WSTOPSIG(st));
		ptrace(PTRACE_CONT, d->pid, 0, 0);
	}
	d->idle = d->in_call = 0;
	return 0;
}

/* Run one forwarded syscall in the deputy. A signal that arrives meanwhile
 * is relayed and interrupts the call (EINTR), so a blocked read never keeps
 * the body from its signal. */
static int dep_call(struct deputy *d, long *ret, long nr, const long a[6])
{
	arch_regs_t r = d->j.saved;
	arch_set_syscall(&r, d->j.page, nr, a);
	int rc = arch_set_regs(d->pid, &r);
	for (int sig = 0; !rc;) {
		int st;
		if (ptrace(PTRACE_CONT, d->pid, 0, 0) || waitpid(d->pid, &st, __WALL) < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return dep_gone(d, st);
		if (st >> 16)
			continue;
		sig = WSTOPSIG(st);
		if (sig == SIGTRAP)
			break;
		dep_relay(d, sig);
		if ((rc = arch_get_regs(d->pid, &r)))
			break;
		if (arch_syscall_nr(&r) >= 0) { /* interrupted in the call: fail it with EINTR */
			arch_set_ret(&r, -EINTR);
			r.orig_rax = (unsigned long long)-1;
			rc = arch_set_regs(d->pid, &r);
		}
	}
	if (!rc && !(rc = arch_get_regs(d->pid, &r)))
		*ret = arch_syscall_ret(&r);
	return rc;
}

/* Unregister the deputy's rseq area: the kernel writes to it on the way back
 * to user mode and would fault once its memory is gone. */
static int dep_unregister_rseq(struct deputy *d)
{
	struct __ptrace_rseq_configuration rs;
	memset(&rs, 0, sizeof(rs));
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, d->pid, sizeof(rs), &rs) < 0 ||
	    !rs.rseq_abi_pointer)
		return 0;
	long ret;
	int rc = inject_call(&d->j, &ret, SYS_rseq, (long)rs.rseq_abi_pointer, rs.rseq_abi_size,
			     1 /* RSEQ_FLAG_UNREGISTER */, rs.signature, 0, 0);
	return rc ? rc : (int)(ret < 0 ? ret : 0);
}

/* Unmap [start, end) of the deputy but its injection page and its scratch
 * area: the kernel merges a new anonymous mapping with a neighbour of the
 * same protection, so either may lie inside a larger area of the program. */
static int dep_unmap_around(struct deputy *d, uint64_t start, uint64_t end)
{
	const uint64_t keep[2][2] = {{d->j.page, d->j.page + INJECT_PAGE_LEN},
				     {d->scratch, d->scratch + FWD_SCRATCH_LEN}};
	int first = keep[0][0] < keep[1][0] ? 0 : 1;
	uint64_t at = start;
	int rc = 0;
	for (int k = 0; k < 2 && !rc; k++) {
		const uint64_t *hole = keep[k == 0 ? first : 1 - first];
		uint64_t stop = hole[0] < end ? hole[0] : end;
		long ret;
		if (stop > at && (rc = inject_call(&d->j, &ret, SYS_munmap, (long)at,
						   (long)(stop - at), 0, 0, 0, 0)) == 0)
			rc = ret < 0 ? (int)ret : 0;
		if (hole[1] > at)
			at = hole[1];
	}
	long ret;
	if (!rc && end > at &&
	    (rc = inject_call(&d->j, &ret, SYS_munmap, (long)at, (long)(end - at), 0, 0, 0, 0)) ==
		0)
		rc = ret < 0 ? (int)ret : 0;
	return rc;
}

/* Unmap everything of the deputy but the vdso, its page and its scratch. */
static int dep_strip(struct deputy *d, struct err *e)
{
	struct proc_vma *v = NULL;
	size_t n = 0;
	int rc = dep_unregister_rseq(d);
	if (rc)
		return err_set(e, rc, "deputy %d: unregister rseq", d->pid);
	struct proc_stat ps = {0};
	rc = procfs_maps(d->pid, &v, &n);
	if (!rc)
		rc = procfs_stat(d->pid, &ps);
	for (size_t i = 0; !rc && i < n; i++) {
		uint64_t end = v[i].end;
		if (v[i].kind >= VMA_VDSO)
			continue;
		/* The stack keeps the pages of argv and environ: /proc/PID/cmdline
		 * and environ read them from the deputy. */
		if (v[i].kind == VMA_STACK && ps.arg_start > v[i].start && ps.arg_start < end)
			end = ps.arg_start & ~4095ull;
		if (end > v[i].start)
			rc = dep_unmap_around(d, v[i].start, end);
	}
	procfs_free_maps(v, n);
	return rc ? err_set(e, rc, "deputy %d: release its memory", d->pid) : 0;
}

/* Drop the signals pending on the process: they travelled in its image and
 * the body has them now. Ignoring a signal discards its pending instances;
 * a traced task still reports ignored signals, so relaying goes on. SIGCHLD
 * gets its default instead: ignoring it would auto-reap the children that
 * the body's wait() must find. */
static int dep_flush_signals(struct deputy *d, struct err *e)
{
	struct {
		uint64_t handler, flags, restorer, mask;
	} act = {1 /* SIG_IGN */, 0, 0, 0}, dfl = {0, 0, 0, 0};
	uint64_t a = inject_put(&d->j, INJECT_SCRATCH, &act, sizeof(act));
	uint64_t b = inject_put(&d->j, INJECT_SCRATCH + 64, &dfl, sizeof(dfl));
	for (int s = 1; s <= 64; s++) {
		long ret;
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		int rc = inject_call(&d->j, &ret, SYS_rt_sigaction, s, (long)(s == SIGCHLD ? b : a),
				     0, 8, 0, 0);
		if (rc)
			return err_set(e, rc, "deputy %d: flush signal %d", d->pid, s);
	}
	/* The stop signals get their default back: when the body stops, the
	 * deputy stops by the same signal, so its parent sees the job stop. */
	static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < ARRAY_SIZE(stops); i++) {
		long ret;
		int rc = inject_call(&d->j, &ret, SYS_rt_sigaction, stops[i], (long)b, 0, 8, 0, 0);
		if (rc)
			return err_set(e, rc, "deputy %d: default for signal %d", d->pid, stops[i]);
	}
	return 0;
}

/* Turn the migrated process into its deputy. */
static int dep_make(struct deputy *d, struct err *e)
{
	int rc = inject_begin(&d->j, d->pid, 0, e);
	long ret = -1;
	if (!rc)
		rc = inject_call(&d->j, &ret, SYS_mmap, 0, FWD_SCRATCH_LEN, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!rc && (ret < 0 && ret > -4096))
		rc = err_set(e, (int)ret, "deputy %d: scratch area", d->pid);
	if (rc)
		return rc;
	d->scratch = (uint64_t)ret;
	if ((rc = dep_flush_signals(d, e)) || (rc = dump_drop_timers(&d->j, e)) ||
	    (rc = dep_strip(d, e)))
		return rc;
	dep_idle(d);
	return 0;
}

/* Wait for the remote node's verdict on the arriving process. */
static int dep_wait_started(struct deputy *d, char *msg, size_t len, struct err *e)
{
	struct timeval tv = {START_TIMEOUT_S, 0}, none = {0, 0};
	uint16_t type;
	const uint8_t *p;
	size_t n;
	setsockopt(d->c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int rc = wire_recv(&d->c, &type, &p, &n, e);
	setsockopt(d->c.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	if (rc)
		return err_prefix(e, "node %d did not start it: ", d->node);
	struct mig_status st;
	if (type != WIRE_STARTED || n != sizeof(st))
		return err_setx(e, -EPROTO, "node %d answered frame %u", d->node, type);
	memcpy(&st, p, sizeof(st));
	st.msg[sizeof(st.msg) - 1] = '\0';
	if (st.status)
		return err_setx(e, st.status, "node %d could not start it: %s", d->node, st.msg);
	snprintf(msg, len, "%s", st.msg);
	return 0;
}

/* Migrate a stopped process. */
int remote_migrate(pid_t pid, int node, unsigned flags, struct deputy **out, char *msg, size_t len,
		   struct err *e)
{
	struct deputy *d = xcalloc(1, sizeof(*d));
	int self = 0;
	fwd_fast_init(&d->fast);
	d->pid = pid;
	d->node = node;
	d->flags = flags;
	int rc = lapi_connect_node(node, &d->c, &self, e);
	if (rc) {
		free(d);
		return rc;
	}
	struct mig_hello h = {self, pid, getuid(), flags};
	struct dump_opts o = {COMP_LZO, 0, DUMP_M_ALLPAGES | DUMP_M_NOFDS | DUMP_M_ADAPTIVE};
	struct dump_stats st;
	double t0 = util_now();
	rc = wire_send(&d->c, WIRE_MIGRATE, &h, sizeof(h), e);
	if (!rc)
		rc = mig_send_image(&d->c, pid, &o, &st, e);
	if (rc == -ECONNRESET || rc == -EPIPE) {
		/* The other side gave up on the stream: its own reason is better. */
		struct err why = {0, ""};
		if (dep_wait_started(d, msg, len, &why) && why.msg[0])
			*e = why;
	}
	if (!rc)
		rc = dep_wait_started(d, msg, len, e);
	if (!rc && (rc = dep_make(d, e)))
		kill(pid, SIGKILL); /* half a deputy: its memory is gone, nothing to keep */
	if (rc) {
		wire_close(&d->c);
		free(d);
		return rc;
	}
	size_t l = strlen(msg);
	d->sent_bytes = st.bytes;
	d->sent_secs = util_now() - t0;
	/* what it holds, and what crossed the link (compressed) */
	snprintf(msg + l, len - l, " (%.1f MiB of memory, sent as %.1f MiB in %.0f ms)",
		 (double)st.pages * IMG_PAGE / 1048576.0, (double)st.bytes / 1048576.0,
		 d->sent_secs * 1e3);
	*out = d;
	return 0;
}

/* Start one forwarded call in the deputy and go back to the event loop: a
 * call that blocks at home (a read of an empty pipe) must not block the
 * other processes of the job. remote_on_stop finishes it. */
static int dep_on_syscall(struct deputy *d, const uint8_t *p, size_t len, struct err *e)
{
	if (d->going_home)
		return 0; /* sent before it saw GOHOME: it runs the call at home instead */
	d->fwd_calls++;
	d->fwd_bytes += len;
	if (fwd_fast_try(&d->fast, d->pid, p, len, &d->rep)) {
		d->fwd_bytes += d->rep.len;
		return wire_send(&d->c, WIRE_SYSRET, d->rep.p, d->rep.len, e);
	}
	fwd_fast_forget(&d->fast); /* the call may change its descriptors */
	int rc = dep_stop(d);
	if (rc)
		return err_set(e, rc, "deputy %d", d->pid);
	if ((rc = fwd_begin(d->j.memfd, d->scratch, p, len, &d->call, e)))
		return rc;
	if (d->call.refused) {
		if (!(rc = fwd_end(d->j.memfd, &d->call, -ENOSYS, &d->rep, e)))
			rc = wire_send(&d->c, WIRE_SYSRET, d->rep.p, d->rep.len, e);
		dep_idle(d);
		return rc;
	}
	arch_regs_t r = d->j.saved;
	arch_set_syscall(&r, d->j.page, d->call.nr, d->call.args);
	if ((rc = arch_set_regs(d->pid, &r)))
		return err_set(e, rc, "deputy %d: start syscall %ld", d->pid, d->call.nr);
	d->in_call = 1;
	ptrace(PTRACE_CONT, d->pid, 0, 0);
	return 0;
}

/* The forwarded call returned (the deputy reached the trampoline's int3). */
static void dep_finish_call(struct deputy *d)
{
	arch_regs_t r;
	struct err e = {0, ""};
	long ret = -EIO;
	d->in_call = 0;
	if (arch_get_regs(d->pid, &r) == 0)
		ret = arch_syscall_ret(&r);
	int rc = fwd_end(d->j.memfd, &d->call, ret, &d->rep, &e);
	d->fwd_bytes += rc ? 0 : d->rep.len;
	if (rc || wire_send(&d->c, WIRE_SYSRET, d->rep.p, d->rep.len, &e))
		log_warn("pid %d: reply to node %d: %s", d->pid, d->node, e.msg);
	dep_idle(d);
}

/* A signal arrived while the deputy runs a forwarded call: relay it. A call
 * it interrupted returns the kernel's restart code to the body, whose own
 * kernel then does what it would have done locally: restart the call
 * (SA_RESTART, or no handler), or fail it with EINTR. A call that had
 * completed keeps its result. */
static void dep_signal_in_call(struct deputy *d, int sig)
{
	arch_regs_t r;
	dep_relay(d, sig);
	if (arch_get_regs(d->pid, &r) == 0 && arch_syscall_nr(&r) >= 0) {
		long ret = arch_syscall_ret(&r);
		if (ret == -ARCH_ERESTART_RESTARTBLOCK)
			arch_set_ret(&r, -EINTR); /* its restart block stays here */
		if (ret == -ARCH_ERESTART_RESTARTBLOCK || arch_ret_restarts(ret)) {
			r.orig_rax = (unsigned long long)-1; /* not restarted here */
			arch_set_regs(d->pid, &r);
		}
	}
	ptrace(PTRACE_CONT, d->pid, 0, 0);
}

/* The body stopped (job control): stop the deputy by the same signal. */
static int dep_on_stopped(struct deputy *d, const uint8_t *p, size_t len, struct err *e)
{
	struct mig_signal s;
	if (len != sizeof(s))
		return err_setx(e, -EPROTO, "bad stop report from node %d", d->node);
	memcpy(&s, p, sizeof(s));
	if (!util_is_stop_signal(s.sig))
		return err_setx(e, -EPROTO, "node %d reported a stop by signal %d", d->node, s.sig);
	d->stop_sig = s.sig;
	syscall(SYS_tgkill, d->pid, d->pid, s.sig);
	return 0;
}

/* Any stop of the deputy seen by the job's reaper. */
int remote_on_stop(struct deputy *d, int st)
{
	int ev = st >> 16, sig = WSTOPSIG(st);
	if (ev == PTRACE_EVENT_STOP && util_is_stop_signal(sig)) {
		ptrace(PTRACE_LISTEN, d->pid, 0, 0); /* stopped until SIGCONT, as its body */
		d->stopped = sig;
		return sig;
	}
	if (ev) {
		d->stopped = 0;
		ptrace(PTRACE_CONT, d->pid, 0, 0);
	} else if (d->stop_sig && sig == d->stop_sig) {
		d->stop_sig = 0;
		ptrace(PTRACE_CONT, d->pid, 0, sig); /* the body's stop, at home */
	} else if (d->in_call && sig == SIGTRAP) {
		dep_finish_call(d);
	} else if (d->in_call) {
		dep_signal_in_call(d, sig);
	} else if (d->dying) {
		ptrace(PTRACE_CONT, d->pid, 0, sig); /* its final signal */
	} else {
		if (sig == SIGCONT)
			d->stopped = 0;
		dep_relay(d, sig);
		ptrace(PTRACE_CONT, d->pid, 0, 0);
	}
	return 0;
}

/* The body ended: end the deputy the same way (same status, same signal). */
static int dep_on_exit(struct deputy *d, const uint8_t *p, size_t len, struct err *e)
{
	struct mig_exit x;
	if (len != sizeof(x))
		return err_setx(e, -EPROTO, "bad exit report from node %d", d->node);
	memcpy(&x, p, sizeof(x));
	if (dep_stop(d))
		return 0; /* already gone */
	long none[6] = {0}, ret;
	arch_regs_t r = d->j.saved;
	if (WIFSIGNALED(x.wstatus) && WTERMSIG(x.wstatus) != SIGKILL) {
		int sig = WTERMSIG(x.wstatus);
		struct rlimit nocore = {0, 0};
		uint64_t a = inject_put(&d->j, INJECT_SCRATCH, &nocore, sizeof(nocore));
		long pl[6] = {0, RLIMIT_CORE, (long)a, 0, 0, 0};
		dep_call(d, &ret, SYS_prlimit64, pl); /* no core file of the deputy */
		struct {
			uint64_t handler, flags, restorer, mask;
		} act = {0, 0, 0, 0};
		a = inject_put(&d->j, INJECT_SCRATCH, &act, sizeof(act));
		long sa[6] = {sig, (long)a, 0, 8, 0, 0};
		dep_call(d, &ret, SYS_rt_sigaction, sa);
		d->dying = sig;
		long k[6] = {d->pid, d->pid, sig, 0, 0, 0};
		arch_set_syscall(&r, d->j.page, SYS_tgkill, k);
	} else if (WIFSIGNALED(x.wstatus)) {
		kill(d->pid, SIGKILL);
		return 0;
	} else {
		none[0] = WEXITSTATUS(x.wstatus);
		arch_set_syscall(&r, d->j.page, SYS_exit_group, none);
	}
	arch_set_regs(d->pid, &r);
	ptrace(PTRACE_CONT, d->pid, 0, 0); /* the reaper sees it end */
	return 0;
}

/* The body is coming home: rebuild it inside the deputy (same pid). */
static int dep_on_home(struct deputy *d, const uint8_t *p, size_t len, struct err *e)
{
	struct mig_status st = {0, ""};
	if (len == sizeof(st))
		memcpy(&st, p, sizeof(st));
	st.msg[sizeof(st.msg) - 1] = '\0';
	int rc = dep_stop(d);
	if (rc)
		return err_set(e, rc, "deputy %d", d->pid);
	close(d->j.memfd); /* the restore takes over the deputy's address space */
	d->j.memfd = -1;
	struct restore_opts o = {NULL, 0, 0, RESTORE_INTO, d->pid, NULL};
	struct restore_info info;
	pid_t pid;
	if (mig_recv_image(&d->c, &o, &pid, &info, e))
		return err_prefix(e, "pid %d could not come home from node %d: ", d->pid, d->node);
	log_info("pid %d is home from node %d (%s)", d->pid, d->node, st.msg);
	snprintf(d->home_why, sizeof(d->home_why), "%s", st.msg);
	return 0;
}

/* Answer a call home ran for the body itself (fork, exec): ret, no buffers;
 * the deputy idles again. */
static int dep_answer(struct deputy *d, long ret, struct err *e)
{
	struct fwd_call none;
	memset(&none, 0, sizeof(none));
	int rc = fwd_end(d->j.memfd, &none, ret, &d->rep, e);
	if (!rc)
		rc = wire_send(&d->c, WIRE_SYSRET, d->rep.p, d->rep.len, e);
	dep_idle(d);
	return rc;
}

/* Make the child deputy of a fork at the remote node: the deputy's own child
 * c (in its first stop, a copy of the deputy: same trampoline and scratch)
 * gets a connection of its own, whose supervisor adopts the body's child. */
static int dep_adopt(struct deputy *d, pid_t c, const struct mig_fork *f, struct deputy **out,
		     struct err *e)
{
	struct deputy *k = xcalloc(1, sizeof(*k));
	char path[64], msg[512];
	int self = 0, st, rc;
	fwd_fast_init(&k->fast);
	k->pid = c;
	k->node = d->node;
	k->flags = d->flags;
	k->j = d->j;
	k->j.pid = c;
	k->j.own_page = 0;
	k->j.held_stop = 0;
	k->scratch = d->scratch;
	k->c.fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)c);
	if (waitpid(c, &st, __WALL) < 0 || !WIFSTOPPED(st))
		rc = err_setx(e, -ESRCH, "forked deputy %d did not start", (int)c);
	else if ((k->j.memfd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		rc = err_set(e, -errno, "open %s", path);
	else
		rc = lapi_connect_node(d->node, &k->c, &self, e);
	if (!rc) {
		struct mig_adopt a = {{self, c, getuid(), d->flags}, f->rpid, 0, f->ctid};
		rc = wire_send(&k->c, WIRE_ADOPT, &a, sizeof(a), e);
	}
	if (!rc)
		rc = dep_wait_started(k, msg, sizeof(msg), e);
	if (rc) {
		if (k->j.memfd >= 0)
			close(k->j.memfd);
		wire_close(&k->c);
		free(k);
		return rc;
	}
	log_info("%s", msg);
	dep_idle(k);
	*out = k;
	return 0;
}

/* The body forked at the remote node: fork the deputy here (the child's home
 * pid, with the exit signal the program asked for) and have the child adopted
 * there; the parent's fork returns the home pid. */
static int dep_on_fork(struct deputy *d, const uint8_t *p, size_t len, struct err *e)
{
	struct mig_fork f;
	if (len != sizeof(f))
		return err_setx(e, -EPROTO, "bad fork report from node %d", d->node);
	if (d->going_home)
		return 0; /* it forks at home instead */
	memcpy(&f, p, sizeof(f));
	int rc = dep_stop(d);
	if (rc)
		return err_set(e, rc, "deputy %d", d->pid);
	long ret = -EAGAIN, a[6] = {(long)(f.flags & CSIGNAL), 0, 0, 0, 0, 0};
	if ((rc = dep_call(d, &ret, SYS_clone, a)))
		return err_set(e, rc, "deputy %d: fork", d->pid);
	if (ret > 0) {
		struct err why = {0, ""};
		if (dep_adopt(d, (pid_t)ret, &f, &d->forked, &why)) {
			log_warn("pid %d: its child could not stay on node %d: %s", d->pid, d->node,
				 why.msg);
			kill((pid_t)ret, SIGKILL); /* the job reaps it */
			ret = -EAGAIN;
		}
	}
	return dep_answer(d, ret, e);
}

/* Check an exec request and lay it out in the deputy's scratch area: the
 * strings, then argv's and envp's pointer arrays. *xp: its header; a: the
 * call's arguments. */
static int dep_exec_place(struct deputy *d, const uint8_t *p, size_t len, struct mig_exec *xp,
			  long a[6])
{
	struct mig_exec x;
	if (len < sizeof(x) || len > MIG_EXEC_MAX || p[len - 1] != '\0')
		return -EPROTO;
	memcpy(&x, p, sizeof(x));
	*xp = x;
	if ((x.nr != SYS_execve && x.nr != SYS_execveat) || x.argc > MIG_EXEC_MAXARGS ||
	    x.envc > MIG_EXEC_MAXARGS)
		return -EPROTO;
	const char *str = (const char *)p + sizeof(x), *end = (const char *)p + len;
	size_t nstr = 1 + (size_t)x.argc + x.envc, blob = (size_t)(end - str);
	uint64_t vec = d->scratch + ((blob + 7) & ~(size_t)7);
	uint64_t *ptrs = xmalloc((nstr + 2) * sizeof(*ptrs));
	size_t k = 0;
	const char *s = str;
	for (; s < end && k < nstr; s += strlen(s) + 1, k++)
		if (k) /* argv's strings, a NULL, then envp's */
			ptrs[k <= x.argc ? k - 1 : k] = d->scratch + (uint64_t)(s - str);
	int rc = k == nstr && s == end ? 0 : -EPROTO;
	size_t nptr = nstr + 1; /* argc, NULL, envc, NULL */
	ptrs[x.argc] = 0;
	ptrs[nptr - 1] = 0;
	if (!rc && (pwrite(d->j.memfd, str, blob, (off_t)d->scratch) != (ssize_t)blob ||
		    pwrite(d->j.memfd, ptrs, nptr * 8, (off_t)vec) != (ssize_t)(nptr * 8)))
		rc = -EIO;
	free(ptrs);
	int at = x.nr == SYS_execveat;
	memset(a, 0, 6 * sizeof(long));
	a[0] = x.dirfd;
	a[at] = (long)d->scratch;
	a[at + 1] = (long)vec;
	a[at + 2] = (long)(vec + (uint64_t)(x.argc + 1) * 8);
	if (at)
		a[4] = x.flags;
	return rc;
}

/* Give the deputy the body's signal state for its exec, which keeps the
 * mask and ignored signals (the deputy ignores nearly all, to relay them,
 * with none blocked): what the body ignores is ignored, the rest default. */
static int dep_exec_signals(struct deputy *d, const struct mig_exec *x)
{
	struct {
		uint64_t handler, flags, restorer, mask;
	} act = {0, 0, 0, 0};
	uint64_t a = inject_put(&d->j, INJECT_SCRATCH, &act, sizeof(act));
	for (int s = 1; s <= 64; s++) {
		uint64_t bit = 1ull << (s - 1);
		int dfl_now = s == SIGCHLD || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU;
		long ret, sa[6] = {s, (long)a, 0, 8, 0, 0};
		if (s == SIGKILL || s == SIGSTOP || !(x->ignored & bit) != !dfl_now)
			continue; /* (as dep_flush_signals left it, and as wanted) */
		act.handler = x->ignored & bit ? 1 /* SIG_IGN */ : 0;
		inject_put(&d->j, INJECT_SCRATCH, &act, sizeof(act));
		int rc = dep_call(d, &ret, SYS_rt_sigaction, sa);
		if (rc || ret < 0)
			return rc ? rc : (int)ret;
	}
	uint64_t blocked = x->blocked & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	return ptrace(PTRACE_SETSIGMASK, d->pid, sizeof(blocked), &blocked) ? -errno : 0;
}

/* Run the exec in the deputy. 1: it ran (the deputy is the new program, at
 * its syscall-exit stop); 0: it failed, *ret says how; negative: the deputy
 * ended or could not be driven. Signals that arrive meanwhile are not
 * delivered: *held says which (the new program's if the exec ran, else the
 * body's). */
static int dep_exec_run(struct deputy *d, long nr, const long a[6], long *ret, uint64_t *held)
{
	arch_regs_t r = d->j.saved;
	int st, rc = 0, ran = 0;
	arch_set_syscall(&r, d->j.page, nr, a);
	if ((rc = arch_set_regs(d->pid, &r)))
		return rc;
	for (;;) {
		if (ptrace(PTRACE_CONT, d->pid, 0, 0) || waitpid(d->pid, &st, __WALL) < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return dep_gone(d, st);
		if (st >> 16 == PTRACE_EVENT_EXEC) {
			ran = 1;
			break;
		}
		if (st >> 16)
			continue;
		int sig = WSTOPSIG(st);
		if (sig == SIGTRAP) { /* the trampoline's int3: it failed */
			if ((rc = arch_get_regs(d->pid, &r)))
				return rc;
			*ret = arch_syscall_ret(&r);
			break;
		}
		*held |= 1ull << (sig - 1);
	}
	/* out of execve, as a program that mosrun starts is sent */
	if (ran && (ptrace(PTRACE_SYSCALL, d->pid, 0, 0) || waitpid(d->pid, &st, __WALL) < 0))
		return -errno;
	if (ran && (WIFEXITED(st) || WIFSIGNALED(st)))
		return dep_gone(d, st);
	if (ran && WSTOPSIG(st) != (SIGTRAP | 0x80))
		return -EPROTO;
	return ran;
}

/* The body called execve: run it in the deputy, at home. */
static int dep_on_exec(struct deputy *d, const uint8_t *p, size_t len, enum remote_event *ev,
		       struct err *e)
{
	if (d->going_home)
		return 0; /* it runs the exec at home instead */
	int rc = dep_stop(d);
	if (rc)
		return err_set(e, rc, "deputy %d", d->pid);
	long a[6], ret = 0;
	struct mig_exec x;
	uint64_t held = 0;
	if ((rc = dep_exec_place(d, p, len, &x, a)))
		return err_setx(e, rc, "bad exec request from node %d (%s)", d->node,
				strerror(-rc));
	if ((rc = dep_exec_signals(d, &x)) || (rc = dep_exec_run(d, x.nr, a, &ret, &held)) < 0)
		return err_set(e, rc, "deputy %d: execve", d->pid);
	/* signals met meanwhile, and if it ran the body's pending ones: pending
	 * on the new program (in its image), or relayed to the body */
	uint64_t never = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
	uint64_t sigs = rc == 1 ? held | (x.pending & ~never) : held;
	for (int s = 1; s <= 64; s++)
		if (sigs & (1ull << (s - 1))) {
			if (rc == 1)
				syscall(SYS_tgkill, d->pid, d->pid, s);
			else
				dep_relay(d, s);
		}
	if (rc == 1) {
		close(d->j.memfd); /* the old program's memory, and its trampoline, are gone */
		d->j.memfd = -1;
		*ev = REMOTE_EXECED;
		log_info("pid %d ran execve at home for node %d", d->pid, d->node);
		return wire_send(&d->c, WIRE_EXECED, NULL, 0, e);
	}
	if ((rc = dep_flush_signals(d, e))) /* a relaying deputy again */
		return rc;
	return dep_answer(d, ret, e);
}

/* Serve one frame from the connection (waiting for it when block is set). */
static int dep_input(struct deputy *d, enum remote_event *ev, int block, struct err *e)
{
	uint16_t type;
	const uint8_t *p;
	size_t len;
	*ev = REMOTE_NONE;
	/* try: the job's loop may hold a stale readiness (a move home read
	 * every frame up to the image) */
	int rc =
	    block ? wire_recv(&d->c, &type, &p, &len, e) : wire_try_recv(&d->c, &type, &p, &len, e);
	if (rc == -EAGAIN)
		return 0;
	if (rc) {
		*ev = REMOTE_LOST;
		return err_prefix(e, "lost the link to node %d: ", d->node);
	}
	if (type == WIRE_SYSCALL)
		rc = dep_on_syscall(d, p, len, e);
	else if (type == WIRE_EXIT)
		rc = dep_on_exit(d, p, len, e), *ev = REMOTE_EXITED;
	else if (type == WIRE_STOPPED)
		rc = dep_on_stopped(d, p, len, e);
	else if (type == WIRE_FORK)
		rc = dep_on_fork(d, p, len, e);
	else if (type == WIRE_EXEC)
		rc = dep_on_exec(d, p, len, ev, e);
	else if (type == WIRE_GOHOME)
		rc = dep_on_home(d, p, len, e), *ev = rc ? REMOTE_LOST : REMOTE_HOME;
	else
		rc = err_setx(e, -EPROTO, "unexpected frame %u from node %d", type, d->node);
	if (rc && *ev == REMOTE_NONE)
		*ev = REMOTE_LOST;
	return rc;
}

/* Serve what arrived on the connection. */
int remote_on_input(struct deputy *d, enum remote_event *ev, struct err *e)
{
	return dep_input(d, ev, 0, e);
}

/* Take the deputy out of a forwarded call before a move: a call that has
 * returned is answered; one still blocked (a read of an empty pipe) is
 * abandoned, and the body runs it again at home, so nothing runs twice. */
static void dep_settle(struct deputy *d)
{
	if (!d->in_call || ptrace(PTRACE_INTERRUPT, d->pid, 0, 0))
		return;
	for (;;) {
		int st;
		if (waitpid(d->pid, &st, __WALL) < 0) {
			d->in_call = 0;
			return;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			dep_gone(d, st);
			return;
		}
		if (st >> 16 == PTRACE_EVENT_STOP) {
			d->in_call = d->idle = 0; /* abandoned: left in its stop */
			return;
		}
		if (st >> 16 == 0 && WSTOPSIG(st) == SIGTRAP) {
			dep_finish_call(d); /* it had returned: answer it, then idle */
			return;
		}
		if (st >> 16 == 0)
			dep_relay(d, WSTOPSIG(st));
		ptrace(PTRACE_CONT, d->pid, 0, 0);
	}
}

/* Ask for the body and wait until it is home (or gone). */
int remote_go_home(struct deputy *d, enum remote_event *ev, struct err *e)
{
	dep_settle(d);
	if (d->gone) {
		*ev = REMOTE_LOST;
		return err_setx(e, -ESRCH, "pid %d ended", d->pid);
	}
	d->going_home = 1;
	int rc = wire_send(&d->c, WIRE_GOHOME, NULL, 0, e);
	*ev = rc ? REMOTE_LOST : REMOTE_NONE;
	while (!rc && *ev == REMOTE_NONE)
		rc = dep_input(d, ev, 1, e);
	return rc;
}

/* The deputy was killed: the body goes too. */
void remote_deputy_died(struct deputy *d)
{
	struct mig_signal s = {SIGKILL, 0};
	wire_send(&d->c, WIRE_SIGNAL, &s, sizeof(s), NULL);
}

/* Release a deputy record. */
void remote_free(struct deputy *d)
{
	if (!d)
		return;
	if (d->j.memfd >= 0)
		close(d->j.memfd);
	wire_close(&d->c);
	fwd_buf_free(&d->rep);
	fwd_buf_free(&d->call.req);
	fwd_fast_free(&d->fast);
	free(d);
}
