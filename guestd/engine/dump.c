/* dump.c: collect a stopped process's state and write its image. */
#define LOG_PREFIX "dump"
#include "engine/dump.h"
#include "arch/arch.h"
#include "engine/image.h"
#include "engine/inject.h"
#include "engine/procfs.h"
#include "appliance/crc32c.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Everything collected before writing. */
struct dump_ctx {
	pid_t pid;
	int memfd;
	unsigned mode;
	struct img_proc proc;
	struct img_task task;
	struct img_sigaction sa[64];
	arch_regs_t regs;
	uint8_t *xstate;
	int xstate_len;
	struct proc_vma *vmas;
	size_t nvma;
	struct proc_fd *fds;
	size_t nfd;
	char *exe, *cwd, *auxv;
	ssize_t auxv_len;
	struct img_procx px;
	struct img_timer *timers;
	size_t ntimer;
	int32_t *leases; /* per fd of fds: F_GETLEASE */
};

/* Character devices that can simply be reopened by name. */
static int dump_chr_ok(const char *path)
{
	static const char *ok[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
				   "/dev/urandom"};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(path, ok[i]))
			return 1;
	return 0;
}

/* Kind of an fd, or 0 if it cannot be restored. */
static int dump_fd_kind(const struct proc_fd *f)
{
	if (f->fd <= 2)
		return IMG_FD_STDIO;
	if (f->signalfd)
		return IMG_FD_SIGNALFD;
	if (f->path[0] != '/' || strstr(f->path, " (deleted)"))
		return 0;
	if (f->flags & O_PATH) /* a path only: whatever it names opens again */
		return IMG_FD_PATH;
	if (S_ISREG(f->mode))
		return IMG_FD_REG;
	if (S_ISDIR(f->mode))
		return IMG_FD_DIR;
	if (S_ISCHR(f->mode) && dump_chr_ok(f->path))
		return IMG_FD_CHR;
	return 0;
}

/* Say why not (code "" when the check could not be made). Returns rc. */
__attribute__((format(printf, 4, 5))) static int dump_no(struct dump_why *w, int rc,
							 const char *code, const char *fmt, ...)
{
	va_list ap;
	snprintf(w->code, sizeof(w->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* POSIX timers are dumped and made again, but for one that starts a thread
 * (a threaded process is refused anyway). */
static int dump_check_timers(pid_t pid, struct dump_why *w)
{
	struct proc_timer *t = NULL;
	size_t n = 0;
	int rc = 0;
	if (procfs_timers(pid, &t, &n))
		return 0;
	for (size_t i = 0; !rc && i < n; i++)
		if (t[i].notify == SIGEV_THREAD)
			rc = dump_no(w, -EOPNOTSUPP, "timers",
				     "its POSIX timer %d starts a thread (SIGEV_THREAD)", t[i].id);
	free(t);
	return rc;
}

/* Refuse what cannot be restored faithfully: identity and threads. */
static int dump_check_proc(pid_t pid, unsigned mode, struct dump_why *w)
{
	struct proc_status s;
	int rc = procfs_status(pid, &s);
	if (rc)
		return dump_no(w, rc, "", "cannot read /proc/%d/status: %s", pid, strerror(-rc));
	if (s.threads != 1)
		return dump_no(w, -EOPNOTSUPP, "threads",
			       "it has %d threads (only single-threaded processes can move or be "
			       "checkpointed)",
			       s.threads);
	if (s.uid[0] != s.uid[1] || s.uid[1] != s.uid[2] || s.gid[0] != s.gid[1] ||
	    s.gid[1] != s.gid[2])
		return dump_no(w, -EPERM, "setuid", "it runs setuid/setgid");
	/* A migrated body runs under our own filter, which its restore rebuilds. */
	if (s.seccomp && !(mode & DUMP_M_BODY))
		return dump_no(w, -EOPNOTSUPP, "seccomp", "it has a seccomp filter");
	if (dump_check_timers(pid, w))
		return -EOPNOTSUPP;
	/* A checkpoint is recovered by its user: one who may not set a
	 * negative oom_score_adj (CAP_SYS_RESOURCE) could not keep it. */
	_cleanup_free_ char *oom = NULL;
	long adj = !(mode & (DUMP_M_NOFDS | DUMP_M_BODY)) && s.uid[0] &&
			   procfs_read(pid, "oom_score_adj", &oom) > 0
		       ? strtol(oom, NULL, 10)
		       : 0;
	if (adj < 0)
		return dump_no(w, -EPERM, "oom-score",
			       "its oom_score_adj is %ld, which its user may not set again on "
			       "recovery (only a privileged user may lower it)",
			       adj);
	int kids = mode & (DUMP_M_NOFDS | DUMP_M_BODY) ? 0 : procfs_child_count(pid);
	if (kids)
		return dump_no(w, -EOPNOTSUPP, "children",
			       "it has %d child process%s (a checkpoint holds one process)", kids,
			       kids > 1 ? "es" : "");
	return 0;
}

/* Is the executable still there, and not setuid/setgid? */
static int dump_check_exe(pid_t pid, struct dump_why *w)
{
	struct stat sb;
	_cleanup_free_ char *exe = procfs_link(pid, "exe");
	if (!exe || strstr(exe, " (deleted)"))
		return dump_no(w, -ENOENT, "exe-gone", "its executable %s is gone",
			       exe ? exe : "?");
	if (stat(exe, &sb) == 0 && (sb.st_mode & (S_ISUID | S_ISGID)))
		return dump_no(w, -EPERM, "setuid", "it runs a setuid/setgid program (%s)", exe);
	return 0;
}

/* MAP_SHARED|MAP_ANONYMOUS memory (maps says "/dev/zero (deleted)"). */
static int dump_shared_anon(const struct proc_vma *m)
{
	return m->shared && (!*m->path || !strcmp(m->path, "/dev/zero (deleted)"));
}

/* A private mapping of a file that cannot be opened by name any more (a
 * deleted file, a memfd): its contents travel in the image. */
static int dump_private_gone(const struct proc_vma *m)
{
	return !m->shared && m->kind == VMA_OTHER && m->path[0] == '/' &&
	       (strstr(m->path, " (deleted)") || !strncmp(m->path, "/memfd:", 7));
}

/* Does the check need /proc/PID/smaps (device memory cannot be told otherwise)? */
static int dump_need_vmflags(const struct proc_vma *v, size_t nv)
{
	for (size_t i = 0; i < nv; i++)
		if (v[i].kind == VMA_OTHER ||
		    (v[i].kind == VMA_FILE &&
		     (!strncmp(v[i].path, "/dev/", 5) || !strncmp(v[i].path, "/sys/", 5))))
			return 1;
	return 0;
}

/* Shared memory, and mappings of what cannot be opened again elsewhere. */
static int dump_check_maps(pid_t pid, const struct proc_vma *v, size_t nv, struct dump_why *w)
{
	for (size_t i = 0; i < nv; i++) {
		const char *path = v[i].path;
		unsigned long at = (unsigned long)v[i].start, end = (unsigned long)v[i].end;
		if (v[i].kind < VMA_VDSO && (v[i].vmflags & (PVF_IO | PVF_PFNMAP | PVF_MIXEDMAP)))
			return dump_no(w, -EOPNOTSUPP, "mapping",
				       "it maps device memory at %#lx-%#lx (%s%s), which cannot be "
				       "copied",
				       at, end, *path ? path : "no file",
				       v[i].vmflags & PVF_PFNMAP ? ", VM_PFNMAP"
				       : v[i].vmflags & PVF_IO	 ? ", VM_IO"
								 : ", VM_MIXEDMAP");
		if (dump_shared_anon(&v[i])) {
			/* only the process's own: it moves as such (a fork's
			 * leftover that the other side has let go of) */
			int other = procfs_mapped_elsewhere(pid, v[i].dev, v[i].ino);
			if (!other)
				continue;
			return dump_no(
			    w, -EOPNOTSUPP, "shared-memory",
			    other > 0 ? "it has shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) "
					"at %#lx, which another process maps too"
				      : "it has shared anonymous memory at %#lx and not every "
					"process could be checked for it",
			    at);
		}
		if (dump_private_gone(&v[i]))
			continue;
		int writable = v[i].shared && (v[i].prot & PROT_WRITE);
		if (!writable && !(v[i].kind == VMA_OTHER && v[i].prot))
			continue;
		int anon = !*path || !strncmp(path, "/dev/zero", 9) || !strncmp(path, "/SYSV", 5) ||
			   !strncmp(path, "/memfd:", 7) || !strncmp(path, "[anon", 5);
		if (v[i].shared && anon)
			return dump_no(w, -EOPNOTSUPP, "shared-memory",
				       "it has shared memory (SysV or memfd) at %#lx (%s)", at,
				       path);
		if (writable)
			return dump_no(w, -EOPNOTSUPP, "shared-mapping",
				       "it has a shared writable mapping of a file at %#lx (%s)",
				       at, path);
		return dump_no(w, -EOPNOTSUPP, "mapping",
			       "it maps %s at %#lx, which cannot be mapped again elsewhere", path,
			       at);
	}
	return 0;
}

/* Open files that cannot be opened again. */
static int dump_check_fds(const struct proc_fd *f, size_t nf, struct dump_why *w)
{
	for (size_t i = 0; i < nf; i++)
		if (!dump_fd_kind(&f[i]))
			return dump_no(w, -EOPNOTSUPP, "fd",
				       "its fd %d is %s (open pipes, sockets, devices, event and "
				       "timer fds and deleted files cannot be checkpointed)",
				       f[i].fd, f[i].path);
	return 0;
}

/* Say whether a process can be dumped in mode: the dump's only check. */
int dump_check(pid_t pid, unsigned mode, struct dump_why *w)
{
	struct dump_why dummy;
	struct proc_vma *v = NULL;
	struct proc_fd *f = NULL;
	size_t nv = 0, nf = 0;
	int fds = !(mode & (DUMP_M_BODY | DUMP_M_NOFDS));
	w = w ? w : &dummy;
	memset(w, 0, sizeof(*w));
	int rc = dump_check_proc(pid, mode, w);
	if (!rc && !(mode & DUMP_M_BODY))
		rc = dump_check_exe(pid, w);
	if (!rc && (rc = procfs_maps(pid, &v, &nv)))
		dump_no(w, rc, "", "cannot read /proc/%d/maps: %s", pid, strerror(-rc));
	if (!rc && dump_need_vmflags(v, nv))
		procfs_vmflags(pid, v, nv);
	if (!rc)
		rc = dump_check_maps(pid, v, nv, w);
	if (!rc && fds && (rc = procfs_fds(pid, &f, &nf)))
		dump_no(w, rc, "", "cannot read /proc/%d/fd: %s", pid, strerror(-rc));
	if (!rc && fds)
		rc = dump_check_fds(f, nf, w);
	procfs_free_maps(v, nv);
	procfs_free_fds(f, nf);
	return rc;
}

/* Run a syscall that reports into the scratch area and copy its answer out;
 * a failing syscall is an error (out is left alone). */
static int dump_query(struct inject *j, long *ret, long nr, long a1, long a2, void *out, size_t len)
{
	int rc = inject_call(j, ret, nr, a1, a2, 0, 0, 0, 0);
	if (!rc && *ret < 0 && *ret > -4096)
		rc = (int)*ret;
	if (!rc && out)
		rc = inject_get(j, j->page + INJECT_SCRATCH, out, len);
	return rc;
}

#ifndef PR_THP_DISABLE_EXCEPT_ADVISED
#define PR_THP_DISABLE_EXCEPT_ADVISED (1 << 1)
#endif
#define MEMBARRIER_GET_REGISTRATIONS (1 << 9) /* MEMBARRIER_CMD_GET_REGISTRATIONS, 6.3 */

/* The POSIX timers, each with its time (timer_gettime inside the process). */
static int dump_timers(struct dump_ctx *c, struct inject *j)
{
	struct proc_timer *t = NULL;
	size_t n = 0;
	long ret, scratch = (long)(j->page + INJECT_SCRATCH);
	int rc = procfs_timers(c->pid, &t, &n);
	if (rc == -ENOENT)
		return 0;
	c->timers = n ? xcalloc(n, sizeof(*c->timers)) : NULL;
	for (size_t i = 0; !rc && i < n; i++) {
		struct itimerspec its;
		if ((rc = dump_query(j, &ret, SYS_timer_gettime, t[i].id, scratch, &its,
				     sizeof(its))))
			break;
		c->timers[i] = (struct img_timer){
		    t[i].id,
		    t[i].clock,
		    t[i].notify,
		    t[i].signo,
		    t[i].value,
		    its.it_interval.tv_sec * 1000000000ll + its.it_interval.tv_nsec,
		    its.it_value.tv_sec * 1000000000ll + its.it_value.tv_nsec};
		c->ntimer++;
	}
	free(t);
	return rc;
}

/* Process state beyond the basics (PROCX), and the timers. */
static int dump_injected_more(struct dump_ctx *c, struct inject *j)
{
	long ret = 0, scratch = (long)(j->page + INJECT_SCRATCH);
	struct img_procx *px = &c->px;
	int rc = inject_call(j, &ret, SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0, 0);
	if (!rc && ret >= 0)
		px->thp_disable = (uint32_t)ret, px->have |= IMG_PX_THP;
	if (!rc)
		rc = inject_call(j, &ret, SYS_membarrier, MEMBARRIER_GET_REGISTRATIONS, 0, 0, 0, 0,
				 0);
	if (!rc && ret >= 0)
		px->membarrier = (uint32_t)ret, px->have |= IMG_PX_MEMBARRIER;
	int reaper = 0;
	if (!rc && !dump_query(j, &ret, SYS_prctl, PR_GET_CHILD_SUBREAPER, scratch, &reaper,
			       sizeof(reaper)))
		px->subreaper = (uint32_t)reaper, px->have |= IMG_PX_SUBREAPER;
	return rc ? rc : dump_timers(c, j);
}

/* The rest of PROCX, from /proc. */
static void dump_procx_proc(struct dump_ctx *c)
{
	_cleanup_free_ char *oom = NULL, *luid = NULL;
	if (procfs_read(c->pid, "oom_score_adj", &oom) > 0) {
		c->px.oom_score_adj = (int32_t)strtol(oom, NULL, 10);
		c->px.have |= IMG_PX_OOM;
	}
	if (procfs_read(c->pid, "loginuid", &luid) > 0) {
		c->px.loginuid = (uint32_t)strtoul(luid, NULL, 10);
		c->px.have |= IMG_PX_LOGINUID;
	}
}

/* Leases held on the open files (F_GETLEASE inside the process). */
static int dump_leases(struct dump_ctx *c, struct err *e)
{
	struct inject j;
	int rc = 0, any = 0;
	for (size_t i = 0; i < c->nfd; i++)
		any |= c->fds[i].path[0] == '/' && S_ISREG(c->fds[i].mode) &&
		       !(c->fds[i].flags & O_PATH);
	if (!any)
		return 0;
	c->leases = xcalloc(c->nfd, sizeof(*c->leases));
	rc = inject_begin(&j, c->pid, 0, e);
	for (size_t i = 0; !rc && i < c->nfd; i++) {
		long ret = F_UNLCK;
		if (S_ISREG(c->fds[i].mode) && !(c->fds[i].flags & O_PATH))
			rc = inject_call(&j, &ret, SYS_fcntl, c->fds[i].fd, F_GETLEASE, 0, 0, 0, 0);
		c->leases[i] = ret >= 0 ? (int32_t)ret : F_UNLCK;
	}
	int rc2 = inject_end(&j, 1, rc ? NULL : e);
	return rc ? err_set(e, rc, "pid %d: read file leases", c->pid) : rc2;
}

/* State that only the process itself can report: run syscalls inside it. */
static int dump_injected(struct dump_ctx *c, struct inject *j, struct err *e)
{
	long ret = 0, scratch = (long)(j->page + INJECT_SCRATCH);
	int rc = inject_call(j, &ret, SYS_brk, 0, 0, 0, 0, 0, 0);
	c->proc.brk = (uint64_t)ret;
	if (!rc)
		rc = dump_query(j, &ret, SYS_prctl, PR_GET_TID_ADDRESS, scratch,
				&c->task.tid_address, 8);
	stack_t ss;
	if (!rc && !(rc = dump_query(j, &ret, SYS_sigaltstack, 0, scratch, &ss, sizeof(ss)))) {
		c->task.altstack_sp = (uint64_t)ss.ss_sp;
		c->task.altstack_size = ss.ss_size;
		c->task.altstack_flags = ss.ss_flags;
	}
	for (int s = 1; !rc && s <= 64; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		rc = inject_call(j, &ret, SYS_rt_sigaction, s, 0, scratch, 8, 0, 0);
		if (!rc && ret == 0)
			rc = inject_get(j, (uint64_t)scratch, &c->sa[s - 1], sizeof(c->sa[0]));
	}
	for (int w = 0; !rc && w < 3; w++) {
		struct itimerval it;
		if (!(rc = dump_query(j, &ret, SYS_getitimer, w, scratch, &it, sizeof(it))))
			c->task.itimer[w] =
			    (struct img_itimer){it.it_interval.tv_sec, it.it_interval.tv_usec,
						it.it_value.tv_sec, it.it_value.tv_usec};
	}
	if (!rc && !(rc = inject_call(j, &ret, SYS_personality, 0xffffffff, 0, 0, 0, 0, 0)))
		c->proc.personality = (uint32_t)ret;
	/* Limits from inside: prlimit() on another uid's process needs
	 * CAP_SYS_RESOURCE, which a body's supervisor may not have. */
	for (int r = 0; !rc && r < 16; r++) {
		rc = inject_call(j, &ret, SYS_prlimit64, 0, r, 0, scratch, 0, 0);
		if (!rc && ret == 0)
			rc = inject_get(j, (uint64_t)scratch, c->task.rlim[r], 16);
		else if (!rc)
			rc = (int)ret;
	}
	if (!rc && j->trap_ignored) /* our int3 reset it; the session sets it again */
		c->sa[SIGTRAP - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
	if (!rc)
		rc = dump_injected_more(c, j);
	return rc ? err_set(e, rc, "pid %d: query state by injection", c->pid) : 0;
}

/* State readable from the tracer: registers, rseq, robust list, limits, /proc. */
static int dump_external(struct dump_ctx *c, struct err *e)
{
	pid_t pid = c->pid;
	struct __ptrace_rseq_configuration rs;
	memset(&rs, 0, sizeof(rs));
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(rs), &rs) >= 0) {
		c->task.rseq_ptr = rs.rseq_abi_pointer;
		c->task.rseq_size = rs.rseq_abi_size;
		c->task.rseq_sig = rs.signature;
	}
	size_t rlen = 0;
	syscall(SYS_get_robust_list, pid, &c->task.robust_head, &rlen);
	c->task.robust_len = rlen;
	c->xstate = xmalloc(ARCH_XSTATE_MAX);
	c->xstate_len = arch_get_xstate(pid, c->xstate, ARCH_XSTATE_MAX);
	if (c->xstate_len < 0)
		return err_set(e, c->xstate_len, "pid %d: read FPU state", pid);
	return 0;
}

/* Identity and mm layout from /proc. */
static int dump_procfs(struct dump_ctx *c, struct err *e)
{
	pid_t pid = c->pid;
	struct proc_stat st;
	struct proc_status ps;
	int rc = procfs_stat(pid, &st);
	if (!rc)
		rc = procfs_status(pid, &ps);
	if (rc)
		return err_set(e, rc, "pid %d: read /proc", pid);
	struct img_proc *p = &c->proc;
	p->pid = pid;
	p->ppid = getppid();
	p->uid = ps.uid[0];
	p->gid = ps.gid[0];
	p->umask = ps.umask;
	p->start_code = st.start_code, p->end_code = st.end_code;
	p->start_data = st.start_data, p->end_data = st.end_data;
	p->start_brk = st.start_brk, p->start_stack = st.start_stack;
	p->arg_start = st.arg_start, p->arg_end = st.arg_end;
	p->env_start = st.env_start, p->env_end = st.env_end;
	_cleanup_free_ char *comm = NULL;
	if (procfs_read(pid, "comm", &comm) > 0) {
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
	}
	c->exe = procfs_link(pid, "exe");
	c->cwd = procfs_link(pid, "cwd");
	c->auxv_len = procfs_read(pid, "auxv", &c->auxv);
	if (!c->cwd || c->auxv_len <= 0)
		return err_setx(e, -EIO, "pid %d: cannot read cwd or auxv", pid);
	return 0;
}

/* Write the small records. */
static int dump_write_state(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	struct img_string s = {IMG_S_EXE, (uint32_t)strlen(c->exe)};
	int rc = img_write(w, IMG_R_PROC, &c->proc, sizeof(c->proc), NULL, 0, e);
	if (!rc)
		rc = img_write(w, IMG_R_STRING, &s, sizeof(s), c->exe, s.len, e);
	s = (struct img_string){IMG_S_CWD, (uint32_t)strlen(c->cwd)};
	if (!rc)
		rc = img_write(w, IMG_R_STRING, &s, sizeof(s), c->cwd, s.len, e);
	if (!rc)
		rc = img_write(w, IMG_R_AUXV, c->auxv, (size_t)c->auxv_len, NULL, 0, e);
	if (!rc)
		rc = img_write(w, IMG_R_REGS, &c->regs, sizeof(c->regs), NULL, 0, e);
	if (!rc)
		rc = img_write(w, IMG_R_XSTATE, c->xstate, (size_t)c->xstate_len, NULL, 0, e);
	if (!rc)
		rc = img_write(w, IMG_R_TASK, &c->task, sizeof(c->task), NULL, 0, e);
	if (!rc)
		rc = img_write(w, IMG_R_SIGACTIONS, c->sa, sizeof(c->sa), NULL, 0, e);
	if (!rc)
		rc = img_write(w, IMG_R_PROCX, &c->px, sizeof(c->px), NULL, 0, e);
	for (size_t i = 0; !rc && i < c->ntimer; i++)
		rc = img_write(w, IMG_R_TIMER, &c->timers[i], sizeof(c->timers[i]), NULL, 0, e);
	return rc;
}

/* Pending signals from both queues. */
static int dump_write_pending(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	for (uint32_t shared = 0; shared < 2; shared++) {
		siginfo_t si[64];
		struct __ptrace_peeksiginfo_args a = {0, shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
						      64};
		long n = ptrace(PTRACE_PEEKSIGINFO, c->pid, &a, si);
		if (n < 0)
			return err_set(e, -errno, "pid %d: read pending signals", c->pid);
		for (long i = 0; i < n; i++) {
			struct img_siginfo rec = {shared, 0, {0}};
			memcpy(rec.info, &si[i], sizeof(rec.info));
			int rc = img_write(w, IMG_R_SIGINFO, &rec, sizeof(rec), NULL, 0, e);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* vdso/vvar placement and a checksum of the vdso code (kernel identity). */
static int dump_write_vdso(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	struct img_vdso v;
	memset(&v, 0, sizeof(v));
	for (size_t i = 0; i < c->nvma; i++) {
		struct proc_vma *m = &c->vmas[i];
		if (m->kind == VMA_VDSO) {
			v.vdso_start = m->start, v.vdso_len = m->end - m->start;
			uint8_t *buf = xmalloc(v.vdso_len);
			if (pread(c->memfd, buf, v.vdso_len, (off_t)m->start) ==
			    (ssize_t)v.vdso_len)
				v.vdso_crc = crc32c(0, buf, v.vdso_len);
			free(buf);
		} else if (m->kind == VMA_VVAR) {
			v.vvar_start = m->start, v.vvar_len = m->end - m->start;
		} else if (m->kind == VMA_VVAR_VCLOCK) {
			v.vclock_start = m->start, v.vclock_len = m->end - m->start;
		}
	}
	return img_write(w, IMG_R_VDSO, &v, sizeof(v), NULL, 0, e);
}

/* File descriptor records. */
static int dump_write_fds(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	for (size_t i = 0; i < c->nfd; i++) {
		struct proc_fd *f = &c->fds[i];
		struct img_fd r = {f->fd,
				   f->fd_flags,
				   f->flags,
				   dump_fd_kind(f),
				   f->signalfd ? f->sigmask : f->pos,
				   f->mode,
				   (uint32_t)strlen(f->path)};
		int rc = img_write(w, IMG_R_FD, &r, sizeof(r), f->path, r.pathlen, e);
		if (rc)
			return rc;
		struct img_lease l = {f->fd, c->leases ? c->leases[i] : F_UNLCK};
		if (l.type != F_UNLCK &&
		    (rc = img_write(w, IMG_R_LEASE, &l, sizeof(l), NULL, 0, e)))
			return rc;
	}
	return 0;
}

/* IMG_VMA_ advice bits of a VMA, from its VmFlags. */
static uint32_t dump_vma_advice(const struct proc_vma *m)
{
	static const uint32_t map[][2] = {{PVF_DONTFORK, IMG_VMA_DONTFORK},
					  {PVF_WIPEONFORK, IMG_VMA_WIPEONFORK},
					  {PVF_DONTDUMP, IMG_VMA_DONTDUMP},
					  {PVF_LOCKED, IMG_VMA_LOCKED},
					  {PVF_LOCKONFAULT, IMG_VMA_LOCKONFAULT},
					  {PVF_SEQ, IMG_VMA_SEQ},
					  {PVF_RAND, IMG_VMA_RAND},
					  {PVF_NORESERVE, IMG_VMA_NORESERVE},
					  {PVF_HUGEPAGE, IMG_VMA_HUGEPAGE},
					  {PVF_NOHUGEPAGE, IMG_VMA_NOHUGEPAGE},
					  {PVF_MERGEABLE, IMG_VMA_MERGEABLE},
					  {PVF_ACCOUNT, IMG_VMA_ACCOUNT}};
	uint32_t f = 0;
	if (!(m->vmflags & PVF_READ))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (m->vmflags & map[i][0])
			f |= map[i][1];
	return f | IMG_VMA_ADVICE;
}

/* VMA records, with the identity of mapped files. */
static int dump_write_vmas(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	for (size_t i = 0; i < c->nvma; i++) {
		struct proc_vma *m = &c->vmas[i];
		struct img_vma r = {
		    m->start, m->end, m->pgoff, m->prot, 0, m->kind, (uint32_t)strlen(m->path),
		    m->dev,   m->ino, 0,	0};
		r.flags = (m->shared ? IMG_VMA_SHARED : 0) |
			  (m->kind == VMA_STACK ? IMG_VMA_GROWSDOWN : 0) | dump_vma_advice(m);
		struct stat sb;
		if (m->kind == VMA_FILE && stat(m->path, &sb) == 0) {
			r.size = (uint64_t)sb.st_size;
			r.mtime = (uint64_t)sb.st_mtim.tv_sec * 1000000000ull +
				  (uint64_t)sb.st_mtim.tv_nsec;
		}
		int rc = img_write(w, IMG_R_VMA, &r, sizeof(r), m->path, r.pathlen, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Guard pages (MADV_GUARD_INSTALL) of the VMAs that may have some: pagemap
 * marks them (bit 58); each run becomes a GUARD record. */
static int dump_write_guards(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	int pm = -1, rc = 0;
	for (size_t i = 0; !rc && i < c->nvma; i++) {
		const struct proc_vma *m = &c->vmas[i];
		if (!(m->vmflags & PVF_GUARD) || m->kind >= VMA_VDSO)
			continue;
		if (pm < 0) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/%d/pagemap", c->pid);
			if ((pm = open(p, O_RDONLY | O_CLOEXEC)) < 0)
				return err_set(e, -errno, "open %s", p);
		}
		struct img_guard g = {0, 0};
		for (uint64_t a = m->start; !rc && a <= m->end; a += IMG_PAGE) {
			uint64_t ent = 0;
			int guard = a < m->end &&
				    pread(pm, &ent, 8, (off_t)(a / IMG_PAGE * 8)) == 8 &&
				    (ent >> 58 & 1);
			if (guard && g.npages && g.addr + g.npages * IMG_PAGE == a) {
				g.npages++;
				continue;
			}
			if (g.npages)
				rc = img_write(w, IMG_R_GUARD, &g, sizeof(g), NULL, 0, e);
			g = (struct img_guard){a, guard ? 1u : 0u};
		}
	}
	if (pm >= 0)
		close(pm);
	return rc;
}

/* Copy npages at addr from the tracee into buf. */
static int dump_copy(struct dump_ctx *c, const struct proc_vma *m, uint64_t addr, uint32_t n,
		     uint8_t *buf)
{
	size_t len = (size_t)n * IMG_PAGE;
	if (m->prot & PROT_READ) {
		struct iovec lo = {buf, len}, ro = {(void *)addr, len};
		if (process_vm_readv(c->pid, &lo, 1, &ro, 1, 0) == (ssize_t)len)
			return 0;
	}
	/* Unreadable pages (PROT_NONE, write-only): /proc/PID/mem forces access. */
	return pread(c->memfd, buf, len, (off_t)addr) == (ssize_t)len ? 0 : -EFAULT;
}

/* A page that is there but cannot be read, as an error that names its mapping. */
static int dump_unreadable(struct dump_ctx *c, const struct proc_vma *m, uint64_t a, int rc,
			   struct err *e)
{
	return err_setx(e, rc,
			"pid %d cannot be moved or checkpointed: its memory at %#lx cannot be read "
			"(%s) in the mapping %#lx-%#lx %c%c%c%c %s",
			c->pid, (unsigned long)a, strerror(-rc), (unsigned long)m->start,
			(unsigned long)m->end, m->prot & PROT_READ ? 'r' : '-',
			m->prot & PROT_WRITE ? 'w' : '-', m->prot & PROT_EXEC ? 'x' : '-',
			m->shared ? 's' : 'p', *m->path ? m->path : "(anonymous)");
}

/* Copy a run of n pages at start into the image. Should the run not read
 * whole, it goes page by page: a page that cannot be read and is not there
 * (past the end of a mapped file, a guard page) is left out; one that is
 * there is an error naming its mapping. */
static int dump_run(struct dump_ctx *c, struct img_writer *w, int pm, const struct proc_vma *m,
		    uint64_t start, uint32_t n, struct err *e)
{
	uint8_t *buf = img_pages_buf(w);
	if (!dump_copy(c, m, start, n, buf))
		return img_pages_commit(w, start, n, e);
	uint32_t k = 0;
	uint64_t from = start;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = start + (uint64_t)i * IMG_PAGE, ent = 0;
		int rc = dump_copy(c, m, a, 1, buf + (size_t)k * IMG_PAGE);
		if (!rc) {
			from = k ? from : a;
			k++;
			continue;
		}
		if (pread(pm, &ent, 8, (off_t)(a / IMG_PAGE * 8)) != 8 || (ent >> 63 & 1) ||
		    ((ent >> 62 & 1) && !(ent >> 58 & 1)))
			return dump_unreadable(c, m, a, rc, e);
		log_debug("pid %d: page %#lx of %#lx-%#lx is not there: left out", c->pid,
			  (unsigned long)a, (unsigned long)m->start, (unsigned long)m->end);
		if (k && (rc = img_pages_commit(w, from, k, e)))
			return rc;
		k = 0;
		buf = img_pages_buf(w);
	}
	return k ? img_pages_commit(w, from, k, e) : 0;
}

/* End of the part of a file mapping that the file backs (0 if unknown). */
static uint64_t dump_file_end(const struct proc_vma *m)
{
	struct stat sb;
	if (m->kind != VMA_FILE || stat(m->path, &sb))
		return 0;
	uint64_t off = m->pgoff, size = (uint64_t)sb.st_size;
	if (size <= off)
		return 0;
	uint64_t end = m->start + ((size - off + IMG_PAGE - 1) & ~(uint64_t)(IMG_PAGE - 1));
	return end < m->end ? end : m->end;
}

/* Does this VMA's memory go into the image? */
static int dump_vma_wanted(const struct proc_vma *m)
{
	if (m->kind >= VMA_VDSO)
		return 0;
	return !(m->shared && m->kind == VMA_FILE);
}

/* Emit the pages of one VMA that pagemap reports present or swapped. */
static int dump_vma_pages(struct dump_ctx *c, struct img_writer *w, int pm,
			  const struct proc_vma *m, struct err *e)
{
	enum { CHUNK = 512 };
	uint64_t ent[CHUNK], run_start = 0, file_end = dump_file_end(m);
	uint32_t run = 0;
	for (uint64_t a = m->start; a < m->end;) {
		size_t k = (size_t)((m->end - a) / IMG_PAGE);
		if (k > CHUNK)
			k = CHUNK;
		if (pread(pm, ent, k * 8, (off_t)(a / IMG_PAGE * 8)) != (ssize_t)(k * 8))
			return err_set(e, -errno, "pid %d: read pagemap", c->pid);
		for (size_t i = 0; i < k; i++, a += IMG_PAGE) {
			int want = ((ent[i] >> 63 & 1) || (ent[i] >> 62 & 1) || m->all) &&
				   !(ent[i] >> 58 & 1); /* (a guard page: GUARD records) */
			if (m->kind == VMA_FILE && (ent[i] >> 61 & 1))
				want = 0; /* still the file's page: remapped from the file */
			if (m->kind == VMA_FILE && a < file_end && (c->mode & DUMP_M_ALLPAGES))
				want = 1; /* the file may not exist where this image goes */
			/* Records end at 2 MiB boundaries too, so a dense region's
			 * records are whole huge pages that restore can fill as such. */
			if (want && run && run_start + run * IMG_PAGE == a &&
			    run < IMG_PAGES_PER_REC && a % IMG_HUGE) {
				run++;
				continue;
			}
			int rc = run ? dump_run(c, w, pm, m, run_start, run, e) : 0;
			if (rc)
				return rc;
			run = want ? 1 : 0;
			run_start = a;
		}
	}
	return run ? dump_run(c, w, pm, m, run_start, run, e) : 0;
}

/* All memory. */
static int dump_write_pages(struct dump_ctx *c, struct img_writer *w, struct err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/pagemap", c->pid);
	_cleanup_close_ int pm = open(p, O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return err_set(e, -errno, "open %s", p);
	for (size_t i = 0; i < c->nvma; i++) {
		if (!dump_vma_wanted(&c->vmas[i]))
			continue;
		int rc = dump_vma_pages(c, w, pm, &c->vmas[i], e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Is the file mapped at m a process image? Looked at through map_files,
 * which works for a deleted file too, else through its path. */
static int dump_is_image(pid_t pid, const struct proc_vma *m)
{
	char magic[sizeof(IMG_MAGIC)], mf[96];
	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%lx-%lx", pid, (unsigned long)m->start,
		 (unsigned long)m->end);
	int fd = open(mf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(m->path, O_RDONLY | O_CLOEXEC);
	int yes = fd >= 0 && pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
		  !memcmp(magic, IMG_MAGIC, sizeof(magic));
	if (fd >= 0)
		close(fd);
	return yes;
}

/* Memory that a restore mapped from its image file (RESTORE_MAP) is the
 * process's anonymous memory: dump every present page of it, as such, so
 * the new image does not depend on the old file. */
static void dump_adopt_images(struct dump_ctx *c)
{
	char *last = NULL;
	int last_yes = 0;
	for (size_t i = 0; i < c->nvma; i++) {
		struct proc_vma *m = &c->vmas[i];
		if (m->kind != VMA_FILE || m->shared)
			continue;
		if (!last || strcmp(last, m->path)) {
			free(last);
			last = xstrdup(m->path);
			last_yes = dump_is_image(c->pid, m);
		}
		if (!last_yes)
			continue;
		m->kind = VMA_ANON;
		m->pgoff = m->dev = m->ino = 0;
		m->path[0] = '\0';
	}
	free(last);
}

/* Memory whose object cannot be opened again where the image goes, and
 * that dump_check let pass: it travels whole, as anonymous memory (shared
 * anonymous memory stays shared: a fresh object there). */
static void dump_adopt_gone(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nvma; i++) {
		struct proc_vma *m = &c->vmas[i];
		if (!dump_shared_anon(m) && !dump_private_gone(m))
			continue;
		m->kind = VMA_ANON;
		m->all = 1;
		m->pgoff = m->dev = m->ino = 0;
	}
}

/* Moving (its files stay at home): but a signalfd reads the signals pending
 * on the process, which are the body's now; the body gets one of its own, at
 * the same number, and reads it there (body.c). */
static void dump_keep_signalfds(struct dump_ctx *c)
{
	size_t k = 0;
	if (procfs_fds(c->pid, &c->fds, &c->nfd))
		return;
	for (size_t i = 0; i < c->nfd; i++) {
		if (c->fds[i].signalfd && c->fds[i].fd < 64) {
			c->fds[k++] = c->fds[i];
			continue;
		}
		free(c->fds[i].path);
	}
	c->nfd = k;
}

/* Collect the state of the stopped process (the injection page is gone again after). */
static int dump_collect(struct dump_ctx *c, struct err *e)
{
	struct inject j;
	int rc = dump_procfs(c, e);
	if (!rc)
		rc = dump_external(c, e);
	if (rc)
		return rc;
	struct inject_pin pin;
	inject_pin(&pin, c->pid);
	rc = inject_begin(&j, c->pid, 0, e);
	if (!rc) {
		c->regs = j.saved;
		c->task.sigmask = j.saved_mask;
		rc = dump_injected(c, &j, e);
	}
	int rc2 = inject_end(&j, 1, rc ? NULL : e);
	inject_unpin(&pin);
	if (rc || rc2)
		return rc ? rc : rc2;
	if ((rc = procfs_maps(c->pid, &c->vmas, &c->nvma)))
		return err_set(e, rc, "pid %d: read maps", c->pid);
	if ((rc = procfs_vmflags(c->pid, c->vmas, c->nvma)))
		return err_set(e, rc, "pid %d: read smaps", c->pid);
	dump_adopt_images(c);
	dump_adopt_gone(c);
	dump_procx_proc(c);
	if (!(c->mode & (DUMP_M_BODY | DUMP_M_NOFDS)) &&
	    ((rc = procfs_fds(c->pid, &c->fds, &c->nfd))
		 ? err_set(e, rc, "pid %d: read fds", c->pid)
		 : dump_leases(c, e)))
		return rc ? rc : e->code;
	if ((c->mode & DUMP_M_NOFDS) && !(c->mode & DUMP_M_BODY))
		dump_keep_signalfds(c);
	if (c->mode & DUMP_M_REEXEC)
		arch_reexec_syscall(&c->regs);
	return 0;
}

/* Write everything. */
static int dump_write(struct dump_ctx *c, const struct img_io *out, const struct dump_opts *o,
		      struct dump_stats *st, struct err *e)
{
	struct img_writer w;
	int rc = img_writer_open_io(&w, out, o->comp, e);
	w.adaptive = !!(o->mode & DUMP_M_ADAPTIVE);
	double t0 = util_now();
	if (!rc)
		rc = dump_write_state(c, &w, e);
	if (!rc)
		rc = dump_write_pending(c, &w, e);
	if (!rc)
		rc = dump_write_vdso(c, &w, e);
	if (!rc)
		rc = dump_write_fds(c, &w, e);
	if (!rc)
		rc = dump_write_vmas(c, &w, e);
	if (!rc)
		rc = dump_write_guards(c, &w, e);
	if (!rc)
		rc = dump_write_pages(c, &w, e);
	if (!rc)
		rc = img_writer_finish(&w, e);
	st->pages = w.npages;
	st->bytes = w.bytes;
	st->t_mem = util_now() - t0;
	img_writer_free(&w);
	return rc;
}

/* Release collected state. */
static void dump_free(struct dump_ctx *c)
{
	procfs_free_maps(c->vmas, c->nvma);
	procfs_free_fds(c->fds, c->nfd);
	free(c->xstate);
	free(c->exe);
	free(c->cwd);
	free(c->auxv);
	free(c->timers);
	free(c->leases);
	if (c->memfd >= 0)
		close(c->memfd);
}

/* The check as an error: "pid 42 cannot be moved: it has a seccomp filter". */
static int dump_refuse(pid_t pid, unsigned mode, struct err *e)
{
	struct dump_why w;
	int rc = dump_check(pid, mode, &w);
	if (rc && !*w.code)
		return err_setx(e, rc, "pid %d: %s", pid, w.why);
	if (rc)
		return err_setx(e, rc, "pid %d cannot be %s: %s", pid,
				mode & (DUMP_M_NOFDS | DUMP_M_BODY) ? "moved" : "checkpointed",
				w.why);
	return 0;
}

/* Dump a stopped process onto a stream. */
int dump_process_io(pid_t pid, const struct img_io *out, const struct dump_opts *o,
		    struct dump_stats *st, struct err *e)
{
	struct dump_ctx c;
	struct dump_stats dummy = {0};
	char p[64];
	memset(&c, 0, sizeof(c));
	c.pid = pid;
	c.mode = o->mode;
	st = st ? st : &dummy;
	memset(st, 0, sizeof(*st));
	double t0 = util_now();
	int rc = dump_refuse(pid, o->mode, e);
	snprintf(p, sizeof(p), "/proc/%d/mem", pid);
	c.memfd = rc ? -1 : open(p, O_RDONLY | O_CLOEXEC);
	if (!rc && c.memfd < 0)
		rc = err_set(e, -errno, "open %s", p);
	if (!rc)
		rc = dump_collect(&c, e);
	c.proc.flags = o->flags | (o->mode & DUMP_M_ALLPAGES ? IMG_F_ALLPAGES : 0);
	st->t_meta = util_now() - t0;
	if (!rc)
		rc = dump_write(&c, out, o, st, e);
	dump_free(&c);
	return rc;
}

/* Dump a stopped process to an fd. */
int dump_process(pid_t pid, int fd, const struct dump_opts *o, struct dump_stats *st, struct err *e)
{
	struct img_io io = {fd, NULL, NULL};
	return dump_process_io(pid, &io, o, st, e);
}

/* Stop the timers of a process whose image has them. */
int dump_drop_timers(struct inject *j, struct err *e)
{
	struct proc_timer *t = NULL;
	size_t n = 0;
	long ret = 0;
	int rc = 0;
	struct itimerval off;
	memset(&off, 0, sizeof(off));
	uint64_t a = inject_put(j, INJECT_SCRATCH, &off, sizeof(off));
	for (int w = 0; !rc && w < 3; w++)
		if (!(rc = inject_call(j, &ret, SYS_setitimer, w, (long)a, 0, 0, 0, 0)) && ret)
			rc = (int)ret;
	if (!rc && !procfs_timers(j->pid, &t, &n))
		for (size_t i = 0; !rc && i < n; i++)
			if (!(rc =
				  inject_call(j, &ret, SYS_timer_delete, t[i].id, 0, 0, 0, 0, 0)) &&
			    ret)
				rc = (int)ret;
	free(t);
	return rc ? err_set(e, rc, "pid %d: stop its timers", j->pid) : 0;
}
