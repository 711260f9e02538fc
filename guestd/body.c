/* body.c: the supervisor of a migrated body. */
#define LOG_PREFIX "body"
#include "body.h"
#include "arch.h"
#include "compress.h"
#include "forward.h"
#include "freeze.h"
#include "guests.h"
#include "migrate.h"
#include "appliance/log.h"
#include "appliance/util.h"

#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

struct body {
	struct wire_conn *c;
	const struct body_conf *bc;
	struct mig_hello hello;
	pid_t pid;
	int sigfd;
	int done;
	int expel; /* guestd asked (GUESTS_EXPEL_SIGNAL): send it home */
	struct fwd_buf req;
};

/* At a seccomp stop the trapped call is still in progress: skip it and step
 * to its syscall-exit stop, then set the registers that execute it again
 * (at home, where the image goes). Injection needs a task out of any call. */
static int body_leave_syscall(struct body *b, struct err *e)
{
	arch_regs_t r, skip;
	int rc = arch_get_regs(b->pid, &r), st;
	skip = r;
	arch_skip_syscall(&skip, -ENOSYS);
	if (!rc)
		rc = arch_set_regs(b->pid, &skip);
	while (!rc) {
		if (ptrace(PTRACE_SYSCALL, b->pid, 0, 0) || waitpid(b->pid, &st, __WALL) < 0)
			rc = -errno;
		else if (!WIFSTOPPED(st))
			rc = -ESRCH;
		else if (WSTOPSIG(st) == (SIGTRAP | 0x80))
			break;
	}
	arch_reexec_syscall(&r);
	if (!rc)
		rc = arch_set_regs(b->pid, &r);
	return rc ? err_set(e, rc, "body %d: leave its system call", b->pid) : 0;
}

/* Send the body home (it is stopped): image over the connection, then it ends here. */
static int body_go_home(struct body *b, int reexec, const char *why, struct err *e)
{
	struct dump_opts o = {COMP_LZO, 0, DUMP_M_BODY};
	int rc = reexec ? body_leave_syscall(b, e) : 0;
	if (!rc)
		rc = mig_send_status(b->c, WIRE_GOHOME, 0, why, e);
	if (!rc)
		rc = mig_send_image(b->c, b->pid, &o, NULL, e);
	if (rc)
		log_warn("pid %d (home %d) could not go home: %s", b->pid, b->hello.home_pid,
			 e->msg);
	kill(b->pid, SIGKILL);
	waitpid(b->pid, NULL, __WALL);
	b->done = 1;
	return rc;
}

/* Handle frames from home while waiting for something else; a SYSRET stops
 * the wait (its payload is returned). */
static int body_on_frame(struct body *b, uint16_t type, const uint8_t *p, size_t len, int in_call,
			 struct err *e)
{
	if (type == WIRE_SIGNAL && len >= sizeof(struct mig_signal)) {
		struct mig_signal s;
		memcpy(&s, p, sizeof(s));
		if (s.sig > 0 && s.sig <= 64)
			kill(b->pid, s.sig);
		return 0;
	}
	if (type == WIRE_GOHOME && in_call) /* stopped at the trapped call: run it at home */
		return body_go_home(b, 1, "asked to come home", e);
	if (type == WIRE_GOHOME) {
		int st;
		if (freeze_process(b->pid, &st, e))
			return e->code;
		return body_go_home(b, 0, "asked to come home", e);
	}
	return err_setx(e, -EPROTO, "unexpected frame %u from home", type);
}

/* Forward one trapped call and wait for its result. */
static int body_forward(struct body *b, long nr, const long args[6], long *ret, struct err *e)
{
	int rc = fwd_marshal(b->pid, nr, args, &b->req, e);
	if (rc) {
		*ret = -EFAULT;
		return 0;
	}
	if ((rc = wire_send(b->c, WIRE_SYSCALL, b->req.p, b->req.len, e)))
		return rc;
	for (;;) {
		uint16_t type;
		const uint8_t *p;
		size_t len;
		if ((rc = wire_recv(b->c, &type, &p, &len, e)))
			return rc;
		if (type == WIRE_SYSRET)
			return fwd_apply(b->pid, nr, args, p, len, ret, e);
		if ((rc = body_on_frame(b, type, p, len, 1, e)) || b->done)
			return rc;
	}
}

/* Step a body stopped in a call to its syscall-exit stop; its registers there. */
static int body_finish_call(struct body *b, arch_regs_t *out)
{
	int st;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, b->pid, 0, 0) || waitpid(b->pid, &st, __WALL) < 0)
			return -errno;
		if (!WIFSTOPPED(st))
			return -ESRCH;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80))
			return arch_get_regs(b->pid, out);
	}
}

/* Fill [addr, addr+len) of the body with the home file's bytes from off:
 * forwarded preads straight into the new mapping. */
static int body_fill(struct body *b, long fd, uint64_t addr, uint64_t len, long off, struct err *e)
{
	for (uint64_t done = 0; done < len;) {
		long a[6] = {fd, (long)(addr + done), (long)(len - done), off + (long)done, 0, 0};
		long got;
		int rc = body_forward(b, SYS_pread64, a, &got, e);
		if (rc || b->done)
			return rc;
		if (got <= 0)
			break; /* end of file: the rest stays zero */
		done += (uint64_t)got;
	}
	return 0;
}

/* mmap of a home file, privately: an anonymous mapping filled with the
 * file's bytes over the connection, then given the asked protection with
 * the program's own syscall instruction. The result is what MAP_PRIVATE
 * gives (a private copy); shared writable maps still go home. */
static int body_mmap_file(struct body *b, arch_regs_t *r, const long a[6], struct err *e)
{
	arch_regs_t m = *r, x;
	long len = a[1], prot = a[2];
	m.rdx = (unsigned long long)(prot | PROT_READ | PROT_WRITE);
	m.r10 = (unsigned long long)((a[3] & ~(long)(MAP_SHARED | MAP_SHARED_VALIDATE)) |
				     MAP_PRIVATE | MAP_ANONYMOUS);
	m.r8 = (unsigned long long)-1;
	m.r9 = 0;
	int rc = arch_set_regs(b->pid, &m);
	if (!rc)
		rc = body_finish_call(b, &x); /* the filter lets the anonymous mmap run */
	if (rc)
		return err_set(e, rc, "body %d: mmap", b->pid);
	long addr = arch_syscall_ret(&x);
	if (addr < 0 && addr > -4096) {
		arch_set_ret(r, addr);
	} else {
		if ((rc = body_fill(b, a[4], (uint64_t)addr, (uint64_t)len, a[5], e)) || b->done)
			return rc;
		long p[6] = {addr, len, prot, 0, 0, 0};
		arch_regs_t mp = *r;
		arch_set_syscall(&mp, arch_ip(r) - 2, SYS_mprotect, p);
		if ((rc = arch_set_regs(b->pid, &mp)) || (rc = body_finish_call(b, &x)) ||
		    (rc = body_finish_call(b, &x)))
			return err_set(e, rc, "body %d: mprotect", b->pid);
		arch_set_ret(r, addr);
	}
	r->orig_rax = (unsigned long long)-1;
	if ((rc = arch_set_regs(b->pid, r)))
		return err_set(e, rc, "body %d: mmap result", b->pid);
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* A trapped system call: run at home, or go home to run it. */
static int body_on_syscall(struct body *b, struct err *e)
{
	arch_regs_t r;
	int rc = arch_get_regs(b->pid, &r);
	if (rc)
		return err_set(e, rc, "body %d: registers", b->pid);
	long nr = arch_syscall_nr(&r), args[6], ret = -ENOSYS;
	arch_syscall_args(&r, args);
	enum fwd_action a = fwd_classify(nr, args);
	if (nr == SYS_mmap && !(args[3] & MAP_ANONYMOUS) &&
	    (!(args[3] & MAP_SHARED) || !(args[2] & PROT_WRITE)))
		return body_mmap_file(b, &r, args, e);
	if (a == FWD_HOME && !(b->hello.flags & MIG_F_NO_HOME)) {
		char why[160], nb[32];
		snprintf(why, sizeof(why), "it called %s, which runs only at home",
			 fwd_name(nr, nb, sizeof(nb)));
		return body_go_home(b, 1, why, e);
	}
	if (a == FWD_FORWARD && (rc = body_forward(b, nr, args, &ret, e)))
		return rc;
	if (b->done)
		return 0;
	if (a != FWD_LOCAL) {
		arch_skip_syscall(&r, ret);
		if ((rc = arch_set_regs(b->pid, &r)))
			return err_set(e, rc, "body %d: set result", b->pid);
	}
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* One wait status of the body. */
static int body_on_wait(struct body *b, int st, struct err *e)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		struct mig_exit x = {st, 0};
		b->done = 1;
		return wire_send(b->c, WIRE_EXIT, &x, sizeof(x), e);
	}
	int ev = st >> 16, sig = WSTOPSIG(st);
	if (ev == PTRACE_EVENT_SECCOMP)
		return body_on_syscall(b, e);
	if (ev == PTRACE_EVENT_STOP) {
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			ptrace(PTRACE_LISTEN, b->pid, 0, 0);
		else
			ptrace(PTRACE_CONT, b->pid, 0, 0);
		return 0;
	}
	ptrace(PTRACE_CONT, b->pid, 0, ev ? 0 : sig); /* deliver its own signals */
	return 0;
}

/* Events of the body and frames from home, until the body is gone. */
static int body_loop(struct body *b, struct err *e)
{
	while (!b->done) {
		struct pollfd pf[2] = {{b->sigfd, POLLIN, 0}, {b->c->fd, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return err_set(e, -errno, "poll");
		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(b->sigfd, &si, sizeof(si)) > 0)
				b->expel |= si.ssi_signo == GUESTS_EXPEL_SIGNAL;
			int st, rc;
			while (!b->done && waitpid(b->pid, &st, WNOHANG | __WALL) > 0)
				if ((rc = body_on_wait(b, st, e)))
					return rc;
			/* expelled: as if home had asked */
			if (!b->done && b->expel)
				return body_on_frame(b, WIRE_GOHOME, NULL, 0, 0, e);
		}
		if (!b->done && pf[1].revents) {
			uint16_t type;
			const uint8_t *p;
			size_t len;
			int rc = wire_recv(b->c, &type, &p, &len, e);
			if (!rc)
				rc = body_on_frame(b, type, p, len, 0, e);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Rebuild the body from the image on the connection. */
static int body_start(struct body *b, struct err *e)
{
	static struct sock_filter filter[FWD_MAX_FILTER];
	size_t n = fwd_filter(filter, FWD_MAX_FILTER);
	struct restore_sandbox sb = {b->bc->empty_root, b->bc->uid, b->bc->gid, filter,
				     (unsigned short)n};
	struct restore_opts o = {NULL,
				 0,
				 PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD,
				 RESTORE_SANDBOX,
				 0,
				 &sb};
	struct restore_info info;
	int rc = mig_recv_image(b->c, &o, &b->pid, &info, e);
	char msg[200];
	if (rc) {
		mig_send_status(b->c, WIRE_STARTED, rc, e->msg, NULL);
		return rc;
	}
	snprintf(msg, sizeof(msg), "pid %d (home %d/%d) runs on node %d as pid %d", info.old_pid,
		 b->hello.home_node, b->hello.home_pid, b->bc->self_node, b->pid);
	log_info("%s", msg);
	if ((rc = mig_send_status(b->c, WIRE_STARTED, 0, msg, e)))
		return rc;
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* Serve one migrated process. */
int body_serve(struct wire_conn *c, const void *p, size_t len, const struct body_conf *bc,
	       struct err *e)
{
	struct body b;
	memset(&b, 0, sizeof(b));
	b.c = c;
	b.bc = bc;
	b.pid = -1;
	if (len != sizeof(b.hello))
		return err_setx(e, -EPROTO, "bad migration request (%zu bytes)", len);
	memcpy(&b.hello, p, sizeof(b.hello));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, GUESTS_EXPEL_SIGNAL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	b.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int rc = b.sigfd < 0 ? err_set(e, -errno, "signalfd") : body_start(&b, e);
	if (!rc)
		rc = body_loop(&b, e);
	if (b.pid > 0 && !b.done) { /* home is gone or the link broke: nothing to keep */
		kill(b.pid, SIGKILL);
		waitpid(b.pid, NULL, __WALL);
	}
	fwd_buf_free(&b.req);
	if (b.sigfd >= 0)
		close(b.sigfd);
	return rc;
}
