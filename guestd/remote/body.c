/* body.c: the supervisor of a migrated body. */
#define LOG_PREFIX "body"
#include "remote/body.h"
#include "arch/arch.h"
#include "engine/compress.h"
#include "remote/forward.h"
#include "engine/freeze.h"
#include "remote/migrate.h"
#include "engine/procfs.h"
#include "appliance/log.h"
#include "appliance/util.h"

#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY_PTRACE_OPTS                                                                           \
	(PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |  \
	 PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE)

struct body {
	struct wire_conn *c;
	const struct body_conf *bc;
	struct mig_hello hello;
	pid_t pid;
	int sigfd;
	int done;
	int stop_as; /* a SIGSTOP sent for this stop signal: report that one */
	int expel;   /* guestd asked (BODY_EXPEL_SIGNAL): send it home */
	struct fwd_buf req;
	uint64_t own_fds; /* fds (< 64) the body has itself: its signalfds (engine) */
};

/* Note the fds the restore gave the body (its signalfds): reading one reads
 * the signals pending here, where the process is. */
static void body_note_own_fds(struct body *b)
{
	struct proc_fd *f = NULL;
	size_t n = 0;
	if (procfs_fds(b->pid, &f, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (f[i].fd >= 0 && f[i].fd < 64)
			b->own_fds |= 1ull << f[i].fd;
	procfs_free_fds(f, n);
}

/* Is fd one of the body's own? */
static int body_own_fd(const struct body *b, long fd)
{
	return fd >= 0 && fd < 64 && (b->own_fds & (1ull << fd));
}

/* Calls that run here, natively: a read of one of the body's own fds, and
 * a signal the process sends itself (raise, abort: delivered before the call
 * returns, as at home; its home pid is the body's pid here). */
static int body_run_here(struct body *b, arch_regs_t *r, long nr, long args[6])
{
	long self = b->hello.home_pid;
	if ((nr == SYS_read || nr == SYS_readv) && body_own_fd(b, args[0]))
		return 1;
	if ((nr == SYS_tgkill && args[0] == self && args[1] == self) ||
	    ((nr == SYS_tkill || nr == SYS_kill) && args[0] == self)) {
		args[0] = b->pid;
		if (nr == SYS_tgkill)
			args[1] = b->pid;
		arch_set_syscall_args(r, args);
		return !arch_set_regs(b->pid, r);
	}
	return 0;
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

/* At a seccomp stop (registers r) the trapped call is still in progress:
 * skip it, step to its syscall-exit stop, and leave the registers out there. */
static int body_skip_call(struct body *b, const arch_regs_t *r, const arch_regs_t *out)
{
	arch_regs_t skip = *r, x;
	arch_skip_syscall(&skip, -ENOSYS);
	int rc = arch_set_regs(b->pid, &skip);
	if (!rc)
		rc = body_finish_call(b, &x);
	return rc ? rc : arch_set_regs(b->pid, out);
}

/* Leave the trapped call with registers that execute it again (at home,
 * where the image goes). Injection needs a task out of any call. */
static int body_leave_syscall(struct body *b, struct err *e)
{
	arch_regs_t r, again;
	int rc = arch_get_regs(b->pid, &r);
	again = r;
	arch_reexec_syscall(&again);
	if (!rc)
		rc = body_skip_call(b, &r, &again);
	return rc ? err_set(e, rc, "body %d: leave its system call", b->pid) : 0;
}

/* Send the body home (it is stopped): image over the connection, then it ends here. */
static int body_go_home(struct body *b, int reexec, const char *why, struct err *e)
{
	struct dump_opts o = {COMP_LZO, 0, DUMP_M_BODY | DUMP_M_ADAPTIVE};
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

/* Does sig have its default action in the body (neither caught nor ignored)? */
static int body_default_action(pid_t pid, int sig)
{
	struct proc_status ps;
	return !procfs_status(pid, &ps) && !((ps.sigcgt | ps.sigign) & (1ull << (sig - 1)));
}

/* Handle frames from home while waiting for something else; a SYSRET stops
 * the wait (its payload is returned). in_call: 0 the body runs, 1 it is at a
 * seccomp stop, 2 it is stopped with registers that run its call again. */
static int body_on_frame(struct body *b, uint16_t type, const uint8_t *p, size_t len, int in_call,
			 struct err *e)
{
	log_debug("body %d: frame %u (%zu bytes)%s", b->pid, type, len,
		  in_call ? " in a call" : "");
	if (type == WIRE_SIGNAL && len >= sizeof(struct mig_signal)) {
		struct mig_signal s;
		memcpy(&s, p, sizeof(s));
		if ((s.sig == SIGTSTP || s.sig == SIGTTIN || s.sig == SIGTTOU) &&
		    body_default_action(b->pid, s.sig)) {
			/* The body's process group is orphaned here, and the kernel
			 * drops these there: stop it by SIGSTOP, report the real one. */
			b->stop_as = s.sig;
			kill(b->pid, SIGSTOP);
		} else if (s.sig > 0 && s.sig <= 64) {
			kill(b->pid, s.sig);
		}
		return 0;
	}
	if (type == WIRE_GOHOME && in_call == 2) /* stopped, registers set for home */
		return body_go_home(b, 0, "asked to come home", e);
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

static int body_wait_sysret(struct body *b, long nr, const long args[6], int in_call, long *ret,
			    struct err *e);

/* Its exec ran at home: the new program comes as a new body, this one ends
 * without a word (home knows). */
static void body_end_execed(struct body *b)
{
	log_info("pid %d (home %d/%d) ran execve at home: its new program comes anew", b->pid,
		 b->hello.home_node, b->hello.home_pid);
	kill(b->pid, SIGKILL);
	waitpid(b->pid, NULL, __WALL);
	b->done = 1;
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
	return body_wait_sysret(b, nr, args, 1, ret, e);
}

/* Wait for the reply to a forwarded call, serving other frames meanwhile
 * (in_call as for body_on_frame). */
static int body_wait_sysret(struct body *b, long nr, const long args[6], int in_call, long *ret,
			    struct err *e)
{
	int rc;
	for (;;) {
		uint16_t type;
		const uint8_t *p;
		size_t len;
		if ((rc = wire_recv(b->c, &type, &p, &len, e)))
			return rc;
		if (type == WIRE_EXECED && (nr == SYS_execve || nr == SYS_execveat)) {
			body_end_execed(b);
			return 0;
		}
		if (type == WIRE_SYSRET) {
			rc = fwd_apply(b->pid, nr, args, p, len, ret, e);
			log_debug("body %d: forwarded call %ld returned %ld", b->pid, nr, *ret);
			return rc;
		}
		if ((rc = body_on_frame(b, type, p, len, in_call, e)) || b->done)
			return rc;
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
		if (arch_ret_restarts(got))
			continue; /* interrupted by a signal at home: read again */
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

/* Signals pending on the body that it does not block. */
static uint64_t body_deliverable(pid_t pid)
{
	struct proc_status ps;
	uint64_t blocked = 0;
	if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(blocked), &blocked) < 0 ||
	    procfs_status(pid, &ps))
		return 0;
	return (ps.sigpnd | ps.shdpnd) & ~blocked;
}

/* A forwarded call was interrupted at home by a signal, which is now pending
 * here: leave the call with the kernel's restart code, so this kernel, while
 * delivering the signal, restarts it (SA_RESTART or no handler: trapped and
 * forwarded again) or fails it with EINTR, exactly as for a local call. Should
 * no signal be deliverable (blocked here), the call simply runs again. */
static int body_restart(struct body *b, const arch_regs_t *r, long code, struct err *e)
{
	arch_regs_t out = *r;
	if (body_deliverable(b->pid))
		arch_set_ret(&out, code); /* orig_rax keeps the call's number */
	else
		arch_reexec_syscall(&out);
	int rc = body_skip_call(b, r, &out);
	if (rc)
		return err_set(e, rc, "body %d: restart its system call", b->pid);
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* clone flags a child made here can have: no memory, files, fs, namespaces
 * or signal handlers shared with its parent (those go home), no pidfd. */
#define BODY_FORK_FLAGS                                                                            \
	(CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID | CLONE_SETTLS)

/* The clone3 arguments this supervisor reads (struct clone_args, version 0
 * and the set_tid/cgroup fields that must be unused). */
struct body_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* A fork call as clone sees it: flags (with the exit signal), child stack,
 * parent and child tid addresses, TLS. */
struct body_clone {
	unsigned long flags;
	long sp, ptid, ctid, tls;
};

/* Read clone3's argument struct from the body. 0, or -errno for the program. */
static int body_clone3_view(pid_t pid, const long args[6], struct body_clone *cl)
{
	struct body_clone_args ca;
	size_t size = (size_t)args[1];
	memset(&ca, 0, sizeof(ca));
	if (size < 64 || size > 4096)
		return -EINVAL;
	size_t n = size < sizeof(ca) ? size : sizeof(ca);
	struct iovec lo = {&ca, n}, ro = {(void *)args[0], n};
	if (process_vm_readv(pid, &lo, 1, &ro, 1, 0) != (ssize_t)n)
		return -EFAULT;
	if (ca.set_tid_size || ca.cgroup || ca.exit_signal > CSIGNAL || (ca.flags & CSIGNAL))
		return -EINVAL; /* (nothing a fork here can honour: home decides) */
	*cl = (struct body_clone){(unsigned long)(ca.flags | ca.exit_signal),
				  ca.stack ? (long)(ca.stack + ca.stack_size) : 0,
				  (long)ca.parent_tid, (long)ca.child_tid, (long)ca.tls};
	return 0;
}

/* fork, vfork, clone or clone3 without shared state (vfork and a
 * CLONE_VM|CLONE_VFORK clone, as posix_spawn makes, run as a fork: the child
 * gets a copy of the memory and its own stack there, and execs): 1 and *cl
 * when the child can be made here, else 0. */
static int body_fork_view(pid_t pid, long nr, const long args[6], struct body_clone *cl)
{
	memset(cl, 0, sizeof(*cl));
	if (nr == SYS_fork || nr == SYS_vfork) {
		cl->flags = SIGCHLD;
		return 1;
	}
	if (nr == SYS_clone)
		*cl =
		    (struct body_clone){(unsigned long)args[0], args[1], args[2], args[3], args[4]};
	else if (nr != SYS_clone3 || body_clone3_view(pid, args, cl))
		return 0;
	if (cl->flags & CLONE_VFORK)
		cl->flags &= ~(unsigned long)(CLONE_VFORK | CLONE_VM);
	return !(cl->flags & ~(unsigned long)BODY_FORK_FLAGS);
}

/* Run the fork here: the child (our child, by CLONE_PARENT: the body never
 * reaps it) ends up stopped and detached, for the supervisor that adopts it.
 * *child: its pid, or the fork's error; *x: the parent's registers at the
 * syscall-exit stop. 0, or negative when the body could not be driven. */
static int body_fork_here(struct body *b, const arch_regs_t *r, const struct body_clone *cl,
			  const long args[6], pid_t *child_out, arch_regs_t *x, struct err *e)
{
	long ca[6] = {(long)((cl->flags & ~(unsigned long)CSIGNAL) | CLONE_PARENT | SIGCHLD),
		      cl->sp,
		      cl->ptid,
		      cl->ctid,
		      cl->tls,
		      0};
	arch_regs_t c = *r;
	arch_change_syscall(&c, SYS_clone, ca);
	pid_t child = -1;
	int st, rc = arch_set_regs(b->pid, &c);
	while (!rc) {
		if (ptrace(PTRACE_SYSCALL, b->pid, 0, 0) || waitpid(b->pid, &st, __WALL) < 0)
			rc = -errno;
		else if (!WIFSTOPPED(st))
			rc = -ESRCH;
		else if (st >> 16 == PTRACE_EVENT_FORK || st >> 16 == PTRACE_EVENT_CLONE ||
			 st >> 16 == PTRACE_EVENT_VFORK) {
			unsigned long m = 0;
			ptrace(PTRACE_GETEVENTMSG, b->pid, 0, &m);
			child = (pid_t)m;
		} else if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			break;
		}
	}
	if (!rc)
		rc = arch_get_regs(b->pid, x);
	if (rc)
		return err_set(e, rc, "body %d: fork", b->pid);
	/* the program's own argument registers come back (vfork keeps its
	 * return address in one; clone3's wrapper keeps its function in them) */
	arch_set_syscall_args(x, args);
	*child_out = child > 0 ? child : (pid_t)arch_syscall_ret(x); /* or its error here */
	if (child > 0 &&
	    (waitpid(child, &st, __WALL) < 0 || !WIFSTOPPED(st) || arch_get_regs(child, &c) ||
	     (arch_set_syscall_args(&c, args), arch_set_regs(child, &c)) || kill(child, SIGSTOP) ||
	     ptrace(PTRACE_DETACH, child, 0, 0))) {
		/* (the pending SIGSTOP stops it before it runs a single instruction
		 * untraced: it waits there for its own supervisor) */
		kill(child, SIGKILL);
		*child_out = -EAGAIN;
	}
	return 0;
}

/* The body forks (no shared memory): the child is made here, and home makes
 * its child deputy, whose own connection brings another supervisor here to
 * adopt it. The parent's fork returns the child deputy's pid, the home pid. */
static int body_fork(struct body *b, const arch_regs_t *r, const struct body_clone *cl,
		     const long args[6], struct err *e)
{
	arch_regs_t x, again = *r;
	arch_reexec_syscall(&again); /* if it goes home meanwhile: fork there */
	pid_t child = -1;
	int frc = body_fork_here(b, r, cl, args, &child, &x, e);
	if (frc)
		return frc;
	long ret = child;
	if (child > 0) {
		unsigned long fl = cl->flags;
		struct mig_fork f = {child, 0, fl,
				     fl & CLONE_CHILD_SETTID ? (uint64_t)cl->ctid : 0};
		int rc = arch_set_regs(b->pid, &again);
		if (!rc)
			rc = wire_send(b->c, WIRE_FORK, &f, sizeof(f), e);
		if (!rc)
			rc = body_wait_sysret(b, SYS_fork, args, 2, &ret, e);
		if (rc || b->done || ret <= 0)
			kill(child, SIGKILL); /* not adopted: our child, reaped by body_loop */
		if (rc || b->done)
			return rc;
		if (ret > 0 && (fl & CLONE_PARENT_SETTID)) {
			int32_t tid = (int32_t)ret;
			struct iovec lo = {&tid, sizeof(tid)}, ro = {(void *)cl->ptid, sizeof(tid)};
			process_vm_writev(b->pid, &lo, 1, &ro, 1, 0);
		}
		log_info("pid %d (home %d/%d) forked: child %d here, home pid %ld", b->pid,
			 b->hello.home_node, b->hello.home_pid, child, ret);
	}
	if (ret == -ARCH_ERESTARTNOINTR)
		x = again; /* interrupted here by a signal: fork again after it */
	else
		arch_set_ret(&x, ret);
	int rc = arch_set_regs(b->pid, &x);
	if (rc)
		return err_set(e, rc, "body %d: fork result", b->pid);
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* ---- execve at this node ---------------------------------------------------
 * The deputy runs the exec at home (its files, close-on-exec descriptors,
 * credentials, /proc/PID/exe and comm are right there, and a setuid program
 * stays there); the new program then comes here as a fresh, small image on a
 * new connection, and this body ends quietly. */

/* Append the NUL-terminated string at addr of the body to the request. */
static int body_exec_str(pid_t pid, uint64_t addr, struct fwd_buf *q)
{
	for (size_t got = 0;;) {
		char page[4096];
		size_t n = 4096 - ((addr + got) & 4095);
		struct iovec lo = {page, n}, ro = {(void *)(addr + got), n};
		if (!addr || process_vm_readv(pid, &lo, 1, &ro, 1, 0) != (ssize_t)n)
			return -EFAULT;
		char *z = memchr(page, 0, n);
		size_t k = z ? (size_t)(z - page) + 1 : n;
		if (got + k > MIG_EXEC_STRMAX || q->len + k > MIG_EXEC_MAX)
			return -E2BIG;
		fwd_put(q, page, k);
		got += k;
		if (z)
			return 0;
	}
}

/* Append the strings of a NULL-terminated array of string pointers (argv or
 * envp; a NULL array is empty, as Linux takes it); *count: how many. */
static int body_exec_vec(pid_t pid, uint64_t addr, struct fwd_buf *q, uint32_t *count)
{
	*count = 0;
	for (; addr; addr += 8) {
		uint64_t sp;
		struct iovec lo = {&sp, 8}, ro = {(void *)addr, 8};
		if (process_vm_readv(pid, &lo, 1, &ro, 1, 0) != 8)
			return -EFAULT;
		if (!sp)
			return 0;
		if (*count >= MIG_EXEC_MAXARGS)
			return -E2BIG;
		int rc = body_exec_str(pid, sp, q);
		if (rc)
			return rc;
		++*count;
	}
	return 0;
}

/* The exec request: struct mig_exec, the path, argv's and envp's strings. */
static int body_exec_request(pid_t pid, long nr, const long args[6], struct fwd_buf *q)
{
	struct mig_exec x = {(int32_t)nr, 0, 0, 0, 0, 0, 0, 0, 0};
	int at = nr == SYS_execveat; /* execveat(dirfd, path, argv, envp, flags) */
	struct proc_status ps;
	if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(x.blocked), &x.blocked) < 0 ||
	    procfs_status(pid, &ps))
		return -ESRCH;
	x.ignored = ps.sigign;
	x.pending = ps.sigpnd | ps.shdpnd;
	q->len = 0;
	fwd_put(q, &x, sizeof(x)); /* (filled in at the end) */
	if (at) {
		x.dirfd = (int32_t)args[0];
		x.flags = (int32_t)args[4];
	}
	int rc = body_exec_str(pid, (uint64_t)args[at], q);
	if (!rc && q->len - sizeof(x) > 4096)
		rc = -ENAMETOOLONG;
	if (!rc)
		rc = body_exec_vec(pid, (uint64_t)args[at + 1], q, &x.argc);
	if (!rc)
		rc = body_exec_vec(pid, (uint64_t)args[at + 2], q, &x.envc);
	memcpy(q->p, &x, sizeof(x));
	return rc;
}

/* The body calls execve (or execveat): home runs it. A failure there is the
 * call's result here (the program carries on); success ends this body. */
static int body_exec(struct body *b, arch_regs_t *r, long nr, const long args[6], struct err *e)
{
	long ret = 0;
	int rc = body_exec_request(b->pid, nr, args, &b->req);
	if (!rc) {
		log_debug("body %d: execve, %zu bytes of strings", b->pid, b->req.len);
		if ((rc = wire_send(b->c, WIRE_EXEC, b->req.p, b->req.len, e)))
			return rc;
		if ((rc = body_wait_sysret(b, nr, args, 1, &ret, e)) || b->done)
			return rc;
	} else {
		ret = rc; /* what the kernel says of such arguments */
	}
	if (arch_ret_restarts(ret))
		return body_restart(b, r, ret, e);
	arch_skip_syscall(r, ret);
	if ((rc = arch_set_regs(b->pid, r)))
		return err_set(e, rc, "body %d: execve result", b->pid);
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* ---- Waits with a signal mask (pselect6, ppoll, epoll_pwait) ------------
 * The mask must hold while the call waits and a signal it lets through must
 * end the wait, be handled under that mask, and leave the old mask back. The
 * wait runs at home without the mask (the deputy lets every signal through
 * and relays it: the call ends, and runs here again); here, when a signal
 * the mask lets through is pending, this kernel does the rest: the call
 * becomes a pselect6 on no descriptors with no wait and the same mask, which
 * it ends with EINTR, running the handler, as it would have. */

/* Where a wait call keeps its signal mask: the argument of the sigset
 * pointer, and of its size (pselect6's sit in a struct), or -1. */
static int body_sigmask_arg(long nr)
{
	return nr == SYS_pselect6 ? 5 : nr == SYS_ppoll ? 3 : nr == SYS_epoll_pwait ? 4 : -1;
}

/* The call's mask, read from the body; *where: the sigset's address. */
static int body_wait_mask(pid_t pid, long nr, const long args[6], uint64_t *mask, uint64_t *where)
{
	uint64_t ptr = (uint64_t)args[body_sigmask_arg(nr)], pair[2];
	struct iovec lo = {pair, sizeof(pair)}, ro = {(void *)ptr, sizeof(pair)};
	if (nr == SYS_pselect6) { /* { const sigset_t *ss; size_t ss_len; } */
		if (process_vm_readv(pid, &lo, 1, &ro, 1, 0) != (ssize_t)sizeof(pair))
			return -EFAULT;
		ptr = pair[0];
	}
	*where = ptr;
	lo = (struct iovec){mask, 8};
	ro = (struct iovec){(void *)ptr, 8};
	return ptr && process_vm_readv(pid, &lo, 1, &ro, 1, 0) == 8 ? 0 : -EFAULT;
}

/* A signal the mask lets through is pending: this kernel runs the call as
 * pselect6(0, NULL, NULL, NULL, {0, 0}, {mask, 8}), below the red zone of
 * the body's stack, and delivers it. The program's registers and call number
 * come back but the result (a restart, the signal being ignored, runs the
 * program's own call); a call that found nothing after all runs again. */
static int body_wait_local(struct body *b, const arch_regs_t *r, uint64_t where, struct err *e)
{
	uint64_t at = (arch_sp(r) - 512) & ~(uint64_t)15, blob[4] = {0, 0, where, 8};
	struct iovec lo = {blob, sizeof(blob)}, ro = {(void *)at, sizeof(blob)};
	long a[6] = {0, 0, 0, 0, (long)at, (long)(at + 16)}, orig[6];
	arch_regs_t c = *r, x;
	arch_syscall_args(r, orig);
	arch_change_syscall(&c, SYS_pselect6, a);
	int rc =
	    process_vm_writev(b->pid, &lo, 1, &ro, 1, 0) == (ssize_t)sizeof(blob) ? 0 : -EFAULT;
	if (!rc && !(rc = arch_set_regs(b->pid, &c)))
		rc = body_finish_call(b, &x);
	if (rc)
		return err_set(e, rc, "body %d: wait with a signal mask", b->pid);
	if (arch_syscall_ret(&x) >= 0) { /* nothing was pending any more: the real call */
		x = *r;
		arch_reexec_syscall(&x);
	} else { /* the program's call again: a restart (signal ignored) runs it */
		arch_change_syscall(&x, arch_syscall_nr(r), orig);
	}
	if ((rc = arch_set_regs(b->pid, &x)))
		return err_set(e, rc, "body %d: wait with a signal mask", b->pid);
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* pselect6, ppoll or epoll_pwait with a signal mask. */
static int body_wait_sigmask(struct body *b, arch_regs_t *r, long nr, const long args[6],
			     struct err *e)
{
	uint64_t mask = 0, where = 0, never = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
	struct proc_status ps;
	long a[6], ret;
	int rc = body_wait_mask(b->pid, nr, args, &mask, &where);
	if (!rc && procfs_status(b->pid, &ps))
		rc = -ESRCH;
	if (!rc && ((ps.sigpnd | ps.shdpnd) & ~(mask & ~never)))
		return body_wait_local(b, r, where, e);
	if (!rc) {
		memcpy(a, args, sizeof(a));
		a[body_sigmask_arg(nr)] = 0;
		if ((rc = body_forward(b, nr, a, &ret, e)) || b->done)
			return rc;
		if (arch_ret_restarts(ret) || ret == -EINTR) {
			arch_regs_t again = *r; /* a signal came: here, under the mask */
			arch_reexec_syscall(&again);
			if ((rc = body_skip_call(b, r, &again)))
				return err_set(e, rc, "body %d: wait again", b->pid);
			ptrace(PTRACE_CONT, b->pid, 0, 0);
			return 0;
		}
	} else {
		ret = rc;
	}
	arch_skip_syscall(r, ret);
	if ((rc = arch_set_regs(b->pid, r)))
		return err_set(e, rc, "body %d: set result", b->pid);
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
	if (body_run_here(b, &r, nr, args)) {
		ptrace(PTRACE_CONT, b->pid, 0, 0);
		return 0;
	}
	if ((nr == SYS_dup2 || nr == SYS_dup3) && body_own_fd(b, args[1]))
		b->own_fds &= ~(1ull << args[1]); /* home's file is that fd now */
	if (nr == SYS_close && body_own_fd(b, args[0])) {
		/* closed at home, then here (the local close's result is the call's) */
		b->own_fds &= ~(1ull << args[0]);
		if ((rc = body_forward(b, nr, args, &ret, e)) || b->done)
			return rc;
		ptrace(PTRACE_CONT, b->pid, 0, 0);
		return 0;
	}
	enum fwd_action a = fwd_classify(nr, args);
	struct body_clone cl;
	if (body_fork_view(b->pid, nr, args, &cl))
		return body_fork(b, &r, &cl, args, e);
	if (nr == SYS_execve || nr == SYS_execveat)
		return body_exec(b, &r, nr, args, e);
	if (body_sigmask_arg(nr) >= 0 && args[body_sigmask_arg(nr)])
		return body_wait_sigmask(b, &r, nr, args, e);
	if (nr == SYS_mmap && !(args[3] & MAP_ANONYMOUS) &&
	    (!(args[3] & MAP_SHARED) || !(args[2] & PROT_WRITE)))
		return body_mmap_file(b, &r, args, e);
	if (a == FWD_HOME) {
		char why[160];
		fwd_home_why(nr, args, why, sizeof(why));
		if (!(b->hello.flags & MIG_F_NO_HOME))
			return body_go_home(b, 1, why, e);
		log_info("pid %d (home %d/%d): %s: ENOSYS (mosrun -e)", b->pid, b->hello.home_node,
			 b->hello.home_pid, why);
		char call[64];
		if (b->bc->hub && fwd_home_call(why, call, sizeof(call)))
			hubc_send_node(b->bc->hub, LAPI_CALLHOME, 1, call); /* counted: refused */
	}
	int fwd = a == FWD_FORWARD || a == FWD_BOTH;
	if (fwd && (rc = body_forward(b, nr, args, &ret, e)))
		return rc;
	if (b->done)
		return 0;
	/* An epoll wait at home ends with EINTR for any signal the deputy relays,
	 * one this process ignores too: as a restart code, this kernel restarts
	 * it unless a handler runs (then EINTR, as it should be). */
	if (fwd && ret == -EINTR && (nr == SYS_epoll_wait || nr == SYS_epoll_pwait))
		ret = -ARCH_ERESTARTNOHAND;
	if (fwd && arch_ret_restarts(ret))
		return body_restart(b, &r, ret, e);
	/* (FWD_BOTH: done at home, now here too: the call runs on) */
	if (a != FWD_LOCAL && !(a == FWD_BOTH && ret >= 0)) {
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
	log_debug("body %d: wait status %#x", b->pid, st);
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		struct mig_exit x = {st, 0};
		b->done = 1;
		return wire_send(b->c, WIRE_EXIT, &x, sizeof(x), e);
	}
	int ev = st >> 16, sig = WSTOPSIG(st);
	if (ev == PTRACE_EVENT_SECCOMP)
		return body_on_syscall(b, e);
	if (ev == PTRACE_EVENT_STOP) {
		if (util_is_stop_signal(sig)) {
			/* job control: it stays stopped until SIGCONT, and its home
			 * process stops the same way, for its parent and shell */
			struct mig_signal s = {sig == SIGSTOP && b->stop_as ? b->stop_as : sig, 0};
			b->stop_as = 0;
			ptrace(PTRACE_LISTEN, b->pid, 0, 0);
			return wire_send(b->c, WIRE_STOPPED, &s, sizeof(s), e);
		}
		ptrace(PTRACE_CONT, b->pid, 0, 0);
		return 0;
	}
	ptrace(PTRACE_CONT, b->pid, 0, ev ? 0 : sig); /* deliver its own signals */
	return 0;
}

/* guestd's requests (expel), and registering again after it restarted. */
static void body_on_hub(struct body *b)
{
	struct hubc *hc = b->bc->hub;
	struct lapi_req q;
	if (!hc)
		return;
	hubc_retry(hc);
	while (hubc_recv(hc, &q) == 0)
		b->expel |= q.op == LAPI_GOHOME;
}

/* Events of the body and frames from home, until the body is gone. */
static int body_loop(struct body *b, struct err *e)
{
	while (!b->done) {
		struct hubc *hc = b->bc->hub;
		struct pollfd pf[3] = {
		    {b->sigfd, POLLIN, 0}, {b->c->fd, POLLIN, 0}, {hc ? hc->fd : -1, POLLIN, 0}};
		int n = poll(pf, 3, hc && hc->fd < 0 ? 1000 : -1);
		if (n < 0 && errno != EINTR)
			return err_set(e, -errno, "poll");
		if (pf[2].revents || (hc && hc->fd < 0))
			body_on_hub(b);
		if (pf[0].revents || b->expel) {
			struct signalfd_siginfo si;
			while (read(b->sigfd, &si, sizeof(si)) > 0)
				b->expel |= si.ssi_signo == BODY_EXPEL_SIGNAL;
			int st, rc;
			pid_t w;
			/* any child: children the body forked here end as ours */
			while (!b->done && (w = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
				if (w == b->pid && (rc = body_on_wait(b, st, e)))
					return rc;
			/* expelled: as if home had asked */
			if (!b->done && b->expel)
				return body_on_frame(b, WIRE_GOHOME, NULL, 0, 0, e);
		}
		if (!b->done && pf[1].revents) {
			uint16_t type;
			const uint8_t *p;
			size_t len;
			/* try: a frame seen by poll may have been taken while
			 * the body's events were served (a forwarded call) */
			int rc = wire_try_recv(b->c, &type, &p, &len, e);
			if (!rc)
				rc = body_on_frame(b, type, p, len, 0, e);
			if (rc && rc != -EAGAIN)
				return rc;
		}
	}
	return 0;
}

/* Tell guestd which local process the body is. */
static void body_register(struct body *b)
{
	struct hubc *hc = b->bc->hub;
	if (!hc)
		return;
	char *comm = NULL;
	hc->self.local_pid = b->pid;
	if (!hc->self.comm[0] && procfs_read(b->pid, "comm", &comm) > 0) {
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(hc->self.comm, sizeof(hc->self.comm), "%s", comm);
	}
	free(comm);
	hubc_send(hc, LAPI_PROC, &hc->self, 0, 0, NULL);
}

/* Rebuild the body from the image on the connection. */
static int body_start(struct body *b, struct err *e)
{
	static struct sock_filter filter[FWD_MAX_FILTER];
	size_t n = fwd_filter(filter, FWD_MAX_FILTER);
	struct restore_sandbox sb = {.root = b->bc->empty_root,
				     .uid = b->bc->uid,
				     .gid = b->bc->gid,
				     .filter = filter,
				     .filter_len = (unsigned short)n,
				     .mem_limit = b->bc->mem_limit};
	struct restore_opts o = {NULL, 0, BODY_PTRACE_OPTS, RESTORE_SANDBOX, 0, &sb};
	struct restore_info info;
	int rc = mig_recv_image(b->c, &o, &b->pid, &info, e);
	if (!rc)
		body_note_own_fds(b);
	char msg[200];
	if (rc) {
		mig_send_status(b->c, WIRE_STARTED, rc, e->msg, NULL);
		return rc;
	}
	if (b->bc->hub)
		snprintf(b->bc->hub->self.comm, sizeof(b->bc->hub->self.comm), "%s", info.comm);
	snprintf(msg, sizeof(msg), "pid %d (home %d/%d) runs on node %d as pid %d", info.old_pid,
		 b->hello.home_node, b->hello.home_pid, b->bc->self_node, b->pid);
	log_info("%s", msg);
	if ((rc = mig_send_status(b->c, WIRE_STARTED, 0, msg, e)))
		return rc;
	ptrace(PTRACE_CONT, b->pid, 0, 0);
	return 0;
}

/* Serve one body: set up, start it (restore or adopt), loop, clean up. */
static int body_run(struct body *b, int (*start)(struct body *, const void *, struct err *),
		    const void *arg, struct err *e)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, BODY_EXPEL_SIGNAL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	b->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int rc = b->sigfd < 0 ? err_set(e, -errno, "signalfd") : start(b, arg, e);
	if (!rc) {
		body_register(b);
		rc = body_loop(b, e);
	}
	if (b->pid > 0 && !b->done) { /* home is gone or the link broke: nothing to keep */
		kill(b->pid, SIGKILL);
		waitpid(b->pid, NULL, __WALL);
	}
	fwd_buf_free(&b->req);
	if (b->sigfd >= 0)
		close(b->sigfd);
	return rc;
}

static int body_start_image(struct body *b, const void *arg, struct err *e)
{
	(void)arg;
	return body_start(b, e);
}

/* A body record for connection c, nothing started yet. */
static void body_init(struct body *b, struct wire_conn *c, const struct body_conf *bc)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->bc = bc;
	b->pid = -1;
	b->sigfd = -1;
}

/* Serve one migrated process. */
int body_serve(struct wire_conn *c, const void *p, size_t len, const struct body_conf *bc,
	       struct err *e)
{
	struct body b;
	body_init(&b, c, bc);
	if (len != sizeof(b.hello))
		return err_setx(e, -EPROTO, "bad migration request (%zu bytes)", len);
	memcpy(&b.hello, p, sizeof(b.hello));
	return body_run(&b, body_start_image, NULL, e);
}

/* Is pid a supervisor like us: root, running guestd's own program? (Its
 * parent may be a guestd that has since restarted.) */
static int body_is_supervisor(pid_t pid)
{
	struct proc_status st;
	char *theirs = procfs_link(pid, "exe"), *ours = procfs_link(getpid(), "exe");
	int same = theirs && ours && !strcmp(theirs, ours) && !procfs_status(pid, &st) &&
		   st.uid[0] == 0 && st.uid[1] == 0;
	free(theirs);
	free(ours);
	return same;
}

/* The child to adopt must be what a sibling supervisor left for us: a
 * stopped, untraced process of the bodies' user, child of a supervisor.
 * Waits a little for it to stop. */
static int body_check_orphan(struct body *b, pid_t pid, struct err *e)
{
	for (int i = 0; i < 200; i++) {
		struct proc_status ps;
		struct proc_stat st;
		if (pid <= 1 || procfs_status(pid, &ps) || procfs_stat(pid, &st) || ps.ppid <= 1)
			return err_setx(e, -ESRCH, "no process %d to adopt", pid);
		if (ps.uid[0] != b->bc->uid || ps.uid[1] != b->bc->uid ||
		    !body_is_supervisor(ps.ppid))
			return err_setx(e, -EPERM, "process %d is not a forked body", pid);
		if (ps.tracer <= 0 && st.state == 'T')
			return 0;
		usleep(10000);
	}
	return err_setx(e, -ETIMEDOUT, "forked body %d was not left stopped", pid);
}

/* Take over a body's child forked here: seize it (it waits in a SIGSTOP),
 * give it its home tid, and let it run without ever seeing the SIGCONT. */
static int body_start_adopt(struct body *b, const void *arg, struct err *e)
{
	const struct mig_adopt *a = arg;
	pid_t pid = a->rpid;
	int rc = body_check_orphan(b, pid, e), st, conts = 0;
	if (!rc && ptrace(PTRACE_SEIZE, pid, 0, BODY_PTRACE_OPTS))
		rc = err_set(e, -errno, "seize forked body %d", pid);
	if (rc)
		goto out;
	b->pid = pid;
	body_note_own_fds(b); /* (what its parent had here, it has) */
	if (a->ctid) {
		int32_t tid = a->hello.home_pid;
		struct iovec lo = {&tid, sizeof(tid)}, ro = {(void *)a->ctid, sizeof(tid)};
		if (process_vm_writev(pid, &lo, 1, &ro, 1, 0) != (ssize_t)sizeof(tid))
			log_warn("forked body %d: could not set its tid", pid);
	}
	/* Its stop, seen as a ptrace-stop now. A child that blocks SIGCONT
	 * (posix_spawn and vfork users block every signal around the fork)
	 * would run on at the SIGCONT without a stop for it, and keep it
	 * pending: SIGCONT is let through for that one delivery. */
	uint64_t mask = 0, open;
	if (waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) {
		rc = err_setx(e, -ESRCH, "forked body %d ended (wait status %#x)", pid, st);
		goto out;
	}
	ptrace(PTRACE_GETSIGMASK, pid, sizeof(mask), &mask);
	open = mask & ~(1ull << (SIGCONT - 1));
	if (open != mask && ptrace(PTRACE_SETSIGMASK, pid, sizeof(open), &open)) {
		rc = err_set(e, -errno, "forked body %d: signal mask", pid);
		goto out;
	}
	kill(pid, SIGCONT);
	ptrace(PTRACE_CONT, pid, 0, 0);
	/* its stops until the SIGCONT is taken (suppressed) */
	for (int i = 0; i < 8 && !conts; i++) {
		if (waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) {
			rc = err_setx(e, -ESRCH, "forked body %d ended (wait status %#x)", pid, st);
			goto out;
		}
		conts = st >> 16 == 0 && WSTOPSIG(st) == SIGCONT;
		if (conts && open != mask)
			ptrace(PTRACE_SETSIGMASK, pid, sizeof(mask), &mask);
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	if (!conts)
		rc = err_setx(e, -EPROTO, "forked body %d did not resume", pid);
out:;
	char msg[200];
	if (!rc)
		snprintf(msg, sizeof(msg), "pid %d (home %d) forked on node %d as pid %d",
			 a->hello.home_pid, a->hello.home_node, b->bc->self_node, pid);
	mig_send_status(b->c, WIRE_STARTED, rc, rc ? e->msg : msg, NULL);
	if (!rc)
		log_info("%s", msg);
	return rc;
}

/* Serve a child that a body forked here (WIRE_ADOPT). */
int body_adopt(struct wire_conn *c, const void *p, size_t len, const struct body_conf *bc,
	       struct err *e)
{
	struct body b;
	struct mig_adopt a;
	body_init(&b, c, bc);
	if (len != sizeof(a))
		return err_setx(e, -EPROTO, "bad adoption request (%zu bytes)", len);
	memcpy(&a, p, sizeof(a));
	b.hello = a.hello;
	return body_run(&b, body_start_adopt, &a, e);
}
