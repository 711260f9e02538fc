/* restore.c: rebuild a process from its image inside a fresh stub process.
 * Order (see the architecture brief): injection page where the image has no
 * VMA, unmap the stub, move vdso/vvar to the image's addresses, map and fill
 * VMAs, PR_SET_MM_MAP, per-task state, fds, pending signals, registers last. */
#define LOG_PREFIX "restore"
#include "engine/restore.h"
#include "arch/arch.h"
#include "engine/inject.h"
#include "engine/procfs.h"
#include "appliance/crc32c.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/worker.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern const unsigned char guestd_stub_start[], guestd_stub_end[];

/* Metadata read ahead of the pages. */
struct plan {
	struct img_proc proc;
	struct img_task task;
	struct img_sigaction sa[64];
	struct img_vdso vdso;
	arch_regs_t regs;
	uint8_t *xstate;
	size_t xstate_len;
	char *exe, *cwd;
	uint8_t *auxv;
	size_t auxv_len;
	struct img_siginfo *sigs;
	size_t nsig;
	struct img_fd *fds;
	char **fd_paths;
	size_t nfd;
	struct img_vma *vmas;
	char **vma_paths;
	size_t nvma;
	struct img_procx px;
	struct img_timer *timers;
	size_t ntimer;
	struct img_lease *leases;
	size_t nlease;
	struct img_guard *guards;
	size_t nguard;
	unsigned have; /* bit per record type seen */
};

struct rctx {
	const struct restore_opts *o;
	struct img_reader rd;
	struct plan p;
	struct inject j;
	pid_t pid;
	int injecting;
	uint8_t *stub_stack;   /* the stub's starter ran here: freed once it is gone */
	long img_fd;	       /* RESTORE_MAP: the image file, open in the tracee (or -1) */
	size_t nmapped;	       /* records mapped from it */
	struct inject_pin pin; /* while injecting: the stub on this thread's CPU */
	struct worker *wk;     /* copies a record's pages while the next is read */
	uint64_t bad_addr;     /* where the worker's copy failed */
	size_t bad_len;
	uint8_t *huge; /* per VMA of the plan: what restore_huge did there */
};

enum { HUGE_NONE, HUGE_PRIMED, HUGE_MARKED }; /* see restore_huge */

/* Advice that only private anonymous memory keeps (or that must hold for
 * every page): such a VMA is neither mapped from the image file nor split
 * for huge pages. */
#define IMG_VMA_ANON_ONLY                                                                          \
	(IMG_VMA_DONTFORK | IMG_VMA_WIPEONFORK | IMG_VMA_DONTDUMP | IMG_VMA_LOCKED |               \
	 IMG_VMA_LOCKONFAULT | IMG_VMA_SEQ | IMG_VMA_RAND | IMG_VMA_MERGEABLE)

/* At most this many records are mapped (each becomes a VMA; the kernel
 * allows 65530 by default): 32 GiB. The rest is copied. */
#define MAP_MAX_RECORDS 16384u

/* Keep a copy of a record's variable part as a string. */
static char *plan_str(const struct img_view *v, size_t off, uint32_t len, struct err *e)
{
	if (off + len != v->len) {
		img_expect(v, off + len, 0, e);
		return NULL;
	}
	char *s = xmalloc(len + 1);
	memcpy(s, v->data + off, len);
	s[len] = '\0';
	return s;
}

/* Append a VMA or FD record to the plan. */
static int plan_add_vma(struct plan *p, const struct img_view *v, struct err *e)
{
	struct img_vma m;
	int rc = img_expect(v, sizeof(m), 1, e);
	if (rc)
		return rc;
	memcpy(&m, v->data, sizeof(m));
	char *path = plan_str(v, sizeof(m), m.pathlen, e);
	if (!path)
		return -EBADMSG;
	if (m.start % IMG_PAGE || m.end % IMG_PAGE || m.end <= m.start) {
		free(path);
		return err_setx(e, -EBADMSG, "corrupted image: bad VMA %#lx-%#lx",
				(unsigned long)m.start, (unsigned long)m.end);
	}
	p->vmas = xrealloc(p->vmas, (p->nvma + 1) * sizeof(m));
	p->vma_paths = xrealloc(p->vma_paths, (p->nvma + 1) * sizeof(char *));
	p->vmas[p->nvma] = m;
	p->vma_paths[p->nvma++] = path;
	return 0;
}

/* Append an FD record. */
static int plan_add_fd(struct plan *p, const struct img_view *v, struct err *e)
{
	struct img_fd f;
	int rc = img_expect(v, sizeof(f), 1, e);
	if (rc)
		return rc;
	memcpy(&f, v->data, sizeof(f));
	char *path = plan_str(v, sizeof(f), f.pathlen, e);
	if (!path)
		return -EBADMSG;
	p->fds = xrealloc(p->fds, (p->nfd + 1) * sizeof(f));
	p->fd_paths = xrealloc(p->fd_paths, (p->nfd + 1) * sizeof(char *));
	p->fds[p->nfd] = f;
	p->fd_paths[p->nfd++] = path;
	return 0;
}

/* Copy a fixed-size record. */
static int plan_fixed(const struct img_view *v, void *dst, size_t n, struct err *e)
{
	int rc = img_expect(v, n, 0, e);
	if (!rc)
		memcpy(dst, v->data, n);
	return rc;
}

/* Store a STRING record. */
static int plan_string(struct plan *p, const struct img_view *v, struct err *e)
{
	struct img_string s;
	int rc = img_expect(v, sizeof(s), 1, e);
	if (rc)
		return rc;
	memcpy(&s, v->data, sizeof(s));
	char *str = plan_str(v, sizeof(s), s.len, e);
	if (!str)
		return -EBADMSG;
	char **slot = s.kind == IMG_S_EXE ? &p->exe : s.kind == IMG_S_CWD ? &p->cwd : NULL;
	if (!slot) {
		free(str);
		return err_setx(e, -EBADMSG, "corrupted image: unknown string kind %u", s.kind);
	}
	free(*slot);
	*slot = str;
	return 0;
}

/* Store a pending signal. */
static int plan_siginfo(struct plan *p, const struct img_view *v, struct err *e)
{
	struct img_siginfo s;
	int rc = plan_fixed(v, &s, sizeof(s), e);
	if (rc)
		return rc;
	p->sigs = xrealloc(p->sigs, (p->nsig + 1) * sizeof(s));
	p->sigs[p->nsig++] = s;
	return 0;
}

/* Store a variable-length blob (auxv, xstate). */
static int plan_blob(const struct img_view *v, uint8_t **dst, size_t *len, size_t max,
		     struct err *e)
{
	if (v->len == 0 || v->len > max)
		return err_setx(e, -EBADMSG, "corrupted image: %s record of %u bytes",
				img_type_name(v->type), v->len);
	free(*dst);
	*dst = xmalloc(v->len);
	memcpy(*dst, v->data, v->len);
	*len = v->len;
	return 0;
}

/* Append a fixed-size record to an array of them. */
static int plan_append(const struct img_view *v, void **arr, size_t *n, size_t size, struct err *e)
{
	int rc = img_expect(v, size, 0, e);
	if (rc)
		return rc;
	*arr = xrealloc(*arr, (*n + 1) * size);
	memcpy((uint8_t *)*arr + *n * size, v->data, size);
	(*n)++;
	return 0;
}

/* PROCX: a longer record (a newer writer's) or a shorter one gives what both know. */
static int plan_procx(struct plan *p, const struct img_view *v, struct err *e)
{
	if (v->len < sizeof(uint32_t))
		return img_expect(v, sizeof(p->px), 0, e);
	memset(&p->px, 0, sizeof(p->px));
	memcpy(&p->px, v->data, v->len < sizeof(p->px) ? v->len : sizeof(p->px));
	/* field k (bit k-1 of have) is the k-th 32-bit word after have */
	for (unsigned k = 1; k < 32; k++)
		if (v->len < (k + 1) * sizeof(uint32_t))
			p->px.have &= ~(1u << (k - 1));
	return 0;
}

/* Take one metadata record into the plan. */
static int plan_take(struct plan *p, const struct img_view *v, struct err *e)
{
	p->have |= 1u << v->type;
	switch (v->type) {
	case IMG_R_PROC:
		return plan_fixed(v, &p->proc, sizeof(p->proc), e);
	case IMG_R_TASK:
		return plan_fixed(v, &p->task, sizeof(p->task), e);
	case IMG_R_SIGACTIONS:
		return plan_fixed(v, p->sa, sizeof(p->sa), e);
	case IMG_R_VDSO:
		return plan_fixed(v, &p->vdso, sizeof(p->vdso), e);
	case IMG_R_REGS:
		return plan_fixed(v, &p->regs, sizeof(p->regs), e);
	case IMG_R_XSTATE:
		return plan_blob(v, &p->xstate, &p->xstate_len, ARCH_XSTATE_MAX, e);
	case IMG_R_AUXV:
		return plan_blob(v, &p->auxv, &p->auxv_len, 4096, e);
	case IMG_R_STRING:
		return plan_string(p, v, e);
	case IMG_R_SIGINFO:
		return plan_siginfo(p, v, e);
	case IMG_R_FD:
		return plan_add_fd(p, v, e);
	case IMG_R_VMA:
		return plan_add_vma(p, v, e);
	case IMG_R_PROCX:
		return plan_procx(p, v, e);
	case IMG_R_TIMER:
		return plan_append(v, (void **)&p->timers, &p->ntimer, sizeof(*p->timers), e);
	case IMG_R_LEASE:
		return plan_append(v, (void **)&p->leases, &p->nlease, sizeof(*p->leases), e);
	case IMG_R_GUARD:
		return plan_append(v, (void **)&p->guards, &p->nguard, sizeof(*p->guards), e);
	default:
		return err_setx(e, -EBADMSG, "corrupted image: unexpected %s record",
				img_type_name(v->type));
	}
}

/* Bytes of address space the image's mappings take. */
static uint64_t plan_vm_size(const struct plan *p)
{
	uint64_t n = 0;
	for (size_t i = 0; i < p->nvma; i++)
		n += p->vmas[i].end - p->vmas[i].start;
	return n;
}

/* Check the plan is complete and fits this machine (and the sandbox's bound). */
static int plan_check(struct plan *p, const struct restore_opts *o, struct err *e)
{
	unsigned mode = o->mode;
	unsigned need = 1u << IMG_R_PROC | 1u << IMG_R_TASK | 1u << IMG_R_SIGACTIONS |
			1u << IMG_R_VDSO | 1u << IMG_R_REGS | 1u << IMG_R_XSTATE | 1u << IMG_R_AUXV;
	if ((p->have & need) != need || !p->exe || !p->cwd || !p->nvma)
		return err_setx(e, -EBADMSG, "corrupted image: state records missing");
	if (p->proc.uid != getuid() &&
	    !(mode & (RESTORE_INTO | RESTORE_SANDBOX))) /* a body: nobody */
		return err_setx(e, -EPERM, "image belongs to uid %u; only that user can recover it",
				p->proc.uid);
	size_t xs = arch_xstate_size();
	if (xs && p->xstate_len > xs)
		return err_setx(
		    e, -EOPNOTSUPP,
		    "image has %zu bytes of FPU state; this CPU has %zu (a different CPU model)",
		    p->xstate_len, xs);
	uint64_t vm = plan_vm_size(p), lim = o->sandbox ? o->sandbox->mem_limit : 0;
	if ((mode & RESTORE_SANDBOX) && lim && vm > lim)
		return err_setx(e, -ENOMEM,
				"it has %llu MiB of address space; guests here may have %llu MiB",
				(unsigned long long)(vm >> 20), (unsigned long long)(lim >> 20));
	return 0;
}

/* Release the plan. */
static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nvma; i++)
		free(p->vma_paths[i]);
	for (size_t i = 0; i < p->nfd; i++)
		free(p->fd_paths[i]);
	free(p->vma_paths);
	free(p->fd_paths);
	free(p->vmas);
	free(p->fds);
	free(p->sigs);
	free(p->timers);
	free(p->leases);
	free(p->guards);
	free(p->xstate);
	free(p->auxv);
	free(p->exe);
	free(p->cwd);
}

/* What the stub's starter needs; it lives in the parent's memory. */
struct stub_start {
	int memfd, sync, sandbox;
	int ready; /* the child writes a byte here once it may be traced */
	int drop;  /* drop a setgid group: in a copy of the restorer's memory */
};

#define STUB_STACK (64u << 10)

/* Close every descriptor above 2 but the three given (raw calls only). */
__attribute__((no_sanitize("address", "undefined"))) static void restore_close_but(int a, int b,
										   int c)
{
	int keep[3] = {a, b, c}, lo = 3;
	for (int i = 0; i < 3; i++) /* sort */
		for (int k = i + 1; k < 3; k++)
			if (keep[k] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[k];
				keep[k] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (keep[i] > lo)
			arch_raw_syscall(SYS_close_range, lo, keep[i] - 1, 0, 0, 0);
		if (keep[i] >= lo)
			lo = keep[i] + 1;
	}
	arch_raw_syscall(SYS_close_range, lo, ~0u, 0, 0, 0);
}

/* Child side of the stub spawn: wait for the go, then exec the stub. It
 * uses raw system calls only (no errno, no libc state, nothing on the
 * heap): it usually runs in the restorer's address space (clone with
 * CLONE_VM, like vfork). A setgid restorer (mosrun) gives the restored
 * program none of its group; the child must then be made traceable by the
 * user, which must never happen to memory it shares with the restorer (the
 * user could read the restorer through it for good, /proc/PID/mem keeps
 * the memory it was opened on): it gets a copy (s->drop), and keeps no
 * descriptor of the restorer's but the three it needs. */
__attribute__((no_sanitize("address", "undefined"))) static int restore_stub_child(void *arg)
{
	const struct stub_start *s = arg;
	static char *const argv[] = {"mosix-stub", NULL}, *const envp[] = {NULL};
	uint64_t all = ~0ull;
	char c = 'r';
	arch_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, sizeof(all), 0);
	if (s->drop) {
		long g = arch_raw_syscall(SYS_getgid, 0, 0, 0, 0, 0);
		restore_close_but(s->memfd, s->sync, s->ready);
		if (arch_raw_syscall(SYS_setresgid, g, g, g, 0, 0) ||
		    arch_raw_syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0))
			arch_raw_syscall(SYS_exit, 126, 0, 0, 0, 0);
	}
	if (arch_raw_syscall(SYS_write, s->ready, (long)&c, 1, 0, 0) != 1 ||
	    arch_raw_syscall(SYS_read, s->sync, (long)&c, 1, 0, 0) != 1)
		arch_raw_syscall(SYS_exit, 126, 0, 0, 0, 0);
	arch_raw_syscall(SYS_close_range, 3, ~0u, 0x4 /* CLOSE_RANGE_CLOEXEC */, 0, 0);
	if (s->sandbox) /* a body gets nothing of the hosting node, not even stdio */
		arch_raw_syscall(SYS_close_range, 0, 2, 0x4, 0, 0);
	arch_raw_syscall(SYS_execveat, s->memfd, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH);
	arch_raw_syscall(SYS_exit, 127, 0, 0, 0, 0);
	return 127;
}

/* Start the stub's process without copying the restorer's page tables: a
 * fork of a caller holding gigabytes costs a quarter of a second (a setgid
 * restorer, mosrun at start, holds little: its child gets a copy). All
 * signals stay blocked until the child has blocked them itself, so that no
 * handler of the parent ever runs on the child's stack. */
static pid_t restore_clone(struct rctx *c, struct stub_start *s)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	c->stub_stack = xmalloc(STUB_STACK);
	s->drop = getegid() != getgid();
	pid_t pid = clone(restore_stub_child, c->stub_stack + STUB_STACK,
			  (s->drop ? 0 : CLONE_VM) | SIGCHLD, s);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

/* Start the stub as a seized child and stop it at its first instruction. */
static int restore_spawn(struct rctx *c, uint64_t *entry, struct err *e)
{
	_cleanup_close_ int memfd = memfd_create("mosix-stub", MFD_CLOEXEC);
	if (memfd < 0)
		return err_set(e, -errno, "memfd_create");
	size_t n = (size_t)((uintptr_t)guestd_stub_end - (uintptr_t)guestd_stub_start);
	int rc = util_write_full(memfd, guestd_stub_start, n);
	int sync[2], ready[2];
	char byte;
	if (rc || pipe2(sync, O_CLOEXEC))
		return err_set(e, rc ? rc : -errno, "prepare restore stub");
	if (pipe2(ready, O_CLOEXEC)) {
		rc = err_set(e, -errno, "prepare restore stub");
		close(sync[0]);
		close(sync[1]);
		return rc;
	}
	struct stub_start s = {memfd, sync[0], !!(c->o->mode & RESTORE_SANDBOX), ready[1], 0};
	pid_t pid = restore_clone(c, &s);
	int saved = errno;
	close(sync[0]);
	close(ready[1]);
	if (pid < 0) {
		close(sync[1]);
		close(ready[0]);
		return err_set(e, -saved, "clone");
	}
	if (read(ready[0], &byte, 1) != 1) /* traceable from here on */
		rc = err_setx(e, -ECHILD, "restore stub ended before it started");
	close(ready[0]);
	c->pid = pid;
	if (!rc && ptrace(PTRACE_SEIZE, pid, 0,
			  c->o->ptrace_opts | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
			      PTRACE_O_TRACESYSGOOD))
		rc = err_set(e, -errno, "seize restore stub");
	if (!rc && write(sync[1], "x", 1) != 1)
		rc = err_set(e, -errno, "start restore stub");
	close(sync[1]);
	int st;
	if (!rc && waitpid(pid, &st, __WALL) < 0)
		rc = err_set(e, -errno, "wait for restore stub");
	if (!rc && (!WIFSTOPPED(st) || st >> 16 != PTRACE_EVENT_EXEC))
		rc = err_setx(e, -ECHILD, "restore stub failed to start (status %#x)", st);
	/* The exec event stop is inside execve, whose return value would
	 * overwrite rax: step to the syscall-exit stop before injecting. */
	if (!rc && (ptrace(PTRACE_SYSCALL, pid, 0, 0) || waitpid(pid, &st, __WALL) < 0 ||
		    !WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80)))
		rc = err_setx(e, -ECHILD, "restore stub did not leave execve (status %#x)", st);
	arch_regs_t r;
	if (!rc && !(rc = arch_get_regs(pid, &r)))
		*entry = arch_ip(&r);
	return rc;
}

/* Does [a, a+len) overlap any image VMA or the stub's low mappings? */
static int restore_clashes(const struct plan *p, uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < p->nvma; i++)
		if (a < p->vmas[i].end && a + len > p->vmas[i].start)
			return 1;
	return 0;
}

/* Pick an address for the injection page that the image does not use. */
static uint64_t restore_inject_addr(const struct plan *p)
{
	static const uint64_t cand[] = {0x100000000ull, 0x200000000ull, 0x10000000000ull,
					0x300000000000ull, 0x500000000000ull};
	for (size_t i = 0; i < ARRAY_SIZE(cand); i++)
		if (!restore_clashes(p, cand[i], INJECT_PAGE_LEN))
			return cand[i];
	return 0;
}

/* Run an injected syscall and turn a failure into an error with context. */
static long rsys(struct rctx *c, struct err *e, const char *what, long nr, long a1, long a2,
		 long a3, long a4, long a5, long a6)
{
	long ret;
	int rc = inject_call(&c->j, &ret, nr, a1, a2, a3, a4, a5, a6);
	if (rc)
		return err_set(e, rc, "restore: injection failed during %s", what);
	if (ret < 0 && ret > -4096)
		return err_set(e, (int)ret, "restore: %s", what);
	return ret;
}
#define RSYS(c, e, what, nr, ...) rsys(c, e, what, nr, __VA_ARGS__)

/* Compare the stub's vdso with the image's: same kernel, or refuse. */
static int restore_check_vdso(struct rctx *c, const struct proc_vma *vd, struct err *e)
{
	if (!vd)
		return err_setx(e, -ENOENT, "restore stub has no vdso");
	uint64_t len = vd->end - vd->start;
	if (len != c->p.vdso.vdso_len)
		return err_setx(e, -EOPNOTSUPP,
				"image comes from a different kernel (vdso is %lu bytes here, %lu "
				"in the image)",
				(unsigned long)len, (unsigned long)c->p.vdso.vdso_len);
	uint8_t *buf = xmalloc(len);
	int rc = inject_get(&c->j, vd->start, buf, len);
	uint32_t crc = crc32c(0, buf, len);
	free(buf);
	if (rc)
		return err_set(e, rc, "read stub vdso");
	if (crc != c->p.vdso.vdso_crc)
		return err_setx(
		    e, -EOPNOTSUPP,
		    "image comes from a different kernel (vdso differs): cannot restore it here");
	return 0;
}

/* Move the stub's vdso/vvar/vvar_vclock to the image's addresses. */
static int restore_move_vdso(struct rctx *c, struct proc_vma *src[3], struct err *e)
{
	const uint64_t dst[3][2] = {{c->p.vdso.vdso_start, c->p.vdso.vdso_len},
				    {c->p.vdso.vvar_start, c->p.vdso.vvar_len},
				    {c->p.vdso.vclock_start, c->p.vdso.vclock_len}};
	const uint64_t park = 0x380000000000ull;
	for (int k = 0; k < 3; k++) {
		if (!src[k] || !dst[k][1])
			continue;
		uint64_t len = src[k]->end - src[k]->start;
		if (len != dst[k][1])
			return err_setx(
			    e, -EOPNOTSUPP,
			    "image comes from a different kernel (vdso/vvar layout differs)");
		if (RSYS(c, e, "park vdso", SYS_mremap, (long)src[k]->start, (long)len, (long)len,
			 MREMAP_MAYMOVE | MREMAP_FIXED, (long)(park + (uint64_t)k * 0x1000000),
			 0) < 0)
			return e->code;
	}
	for (int k = 0; k < 3; k++) {
		if (!src[k] || !dst[k][1])
			continue;
		if (RSYS(c, e, "move vdso", SYS_mremap, (long)(park + (uint64_t)k * 0x1000000),
			 (long)dst[k][1], (long)dst[k][1], MREMAP_MAYMOVE | MREMAP_FIXED,
			 (long)dst[k][0], 0) < 0)
			return e->code;
	}
	return 0;
}

/* Unmap everything of the stub except vdso/vvar and the injection page. */
static int restore_clear_stub(struct rctx *c, struct err *e)
{
	struct proc_vma *v = NULL;
	size_t n = 0;
	int rc = procfs_maps(c->pid, &v, &n);
	if (rc)
		return err_set(e, rc, "read stub maps");
	struct proc_vma *vd[3] = {NULL, NULL, NULL};
	for (size_t i = 0; !rc && i < n; i++) {
		if (v[i].start == c->j.page || v[i].kind == VMA_VSYSCALL)
			continue;
		if (v[i].kind >= VMA_VDSO && v[i].kind <= VMA_VVAR_VCLOCK) {
			vd[v[i].kind - VMA_VDSO] = &v[i];
			continue;
		}
		if (RSYS(c, e, "unmap stub", SYS_munmap, (long)v[i].start,
			 (long)(v[i].end - v[i].start), 0, 0, 0, 0) < 0)
			rc = e->code;
	}
	if (!rc && !vd[0])
		rc = err_setx(e, -ENOENT, "restore stub has no vdso");
	if (!rc)
		rc = restore_check_vdso(c, vd[0], e);
	if (!rc)
		rc = restore_move_vdso(c, vd, e);
	procfs_free_maps(v, n);
	return rc;
}

/* Open a path inside the tracee; returns the remote fd or a negative code. */
static long restore_open(struct rctx *c, const char *path, int flags, int mode, struct err *e)
{
	uint64_t a = inject_put(&c->j, INJECT_SCRATCH, path, strlen(path) + 1);
	if (!a)
		return err_setx(e, -ENAMETOOLONG, "restore: path too long: %s", path);
	long fd = rsys(c, e, "open", SYS_openat, AT_FDCWD, (long)a, flags, mode, 0, 0);
	if (fd < 0)
		err_prefix(e, "%s: ", path);
	return fd;
}

/* A file mapped by the image must be the same file now. */
static int restore_check_file(const struct img_vma *m, const char *path, struct err *e)
{
	struct stat sb;
	if (stat(path, &sb))
		return err_set(e, -errno, "restore: mapped file %s", path);
	uint64_t mt = (uint64_t)sb.st_mtim.tv_sec * 1000000000ull + (uint64_t)sb.st_mtim.tv_nsec;
	if ((uint64_t)sb.st_size != m->size || mt != m->mtime)
		return err_setx(e, -ESTALE,
				"restore: %s changed since the checkpoint (size or time differs)",
				path);
	return 0;
}

/* Map one VMA, writable for now so pages can be filled. */
static int restore_map_one(struct rctx *c, const struct img_vma *m, const char *path, struct err *e)
{
	long len = (long)(m->end - m->start), r;
	int prot = (int)m->prot, shared = m->flags & IMG_VMA_SHARED;
	int known = !!(m->flags & IMG_VMA_ADVICE);
	int noreserve = known ? !!(m->flags & IMG_VMA_NORESERVE) : m->kind != VMA_FILE;
	/* Writable while it is filled; but memory that was never writable
	 * (read-only data, PROT_NONE reservations) keeps its protection, not to
	 * be committed memory ("ac") for good: it is filled through
	 * /proc/PID/mem (restore_copy). */
	if ((shared && m->kind != VMA_FILE) ||
	    (!shared && (!known || (m->flags & IMG_VMA_ACCOUNT) || (m->prot & PROT_WRITE))))
		prot |= PROT_READ | PROT_WRITE;
	if (m->kind == VMA_FILE && !shared && (c->p.proc.flags & IMG_F_ALLPAGES) &&
	    restore_check_file(m, path, NULL)) {
		/* Not here (or not the same file): every page is in the image. */
		r = RSYS(c, e, "mmap", SYS_mmap, (long)m->start, len, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	} else if (m->kind == VMA_FILE) {
		int rc = restore_check_file(m, path, e);
		if (rc)
			return rc;
		long fd = restore_open(c, path, O_RDONLY | O_CLOEXEC, 0, e);
		if (fd < 0)
			return (int)fd;
		r = RSYS(c, e, "mmap file", SYS_mmap, (long)m->start, len, prot,
			 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED_NOREPLACE |
			     (known && noreserve ? MAP_NORESERVE : 0),
			 fd, (long)m->pgoff);
		RSYS(c, NULL, "close", SYS_close, fd, 0, 0, 0, 0, 0);
	} else {
		/* Anonymous memory (shared anonymous memory: a new object of
		 * its own), NORESERVE as it was. An image without that word
		 * (version 2) gets NORESERVE: a sparse heap (a 1 GiB map with
		 * 16 MiB touched) must not be refused by overcommit on a small
		 * node. Nor must one that was accounted: it is mapped NORESERVE
		 * then, and said so. */
		int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
			    MAP_FIXED_NOREPLACE | (noreserve ? MAP_NORESERVE : 0) |
			    (m->flags & IMG_VMA_GROWSDOWN ? MAP_GROWSDOWN : 0);
		r = RSYS(c, noreserve ? e : NULL, "mmap", SYS_mmap, (long)m->start, len, prot,
			 flags, -1, 0);
		if (r == -ENOMEM && !noreserve) {
			log_warn("pid %d: %lu MiB at %#lx do not fit this node's commit limit: "
				 "mapped MAP_NORESERVE",
				 c->pid, (unsigned long)(len >> 20), (unsigned long)m->start);
			r = RSYS(c, e, "mmap", SYS_mmap, (long)m->start, len, prot,
				 flags | MAP_NORESERVE, -1, 0);
		}
		/* memory that wants huge pages gets them as it is filled */
		if (r == (long)m->start && (m->flags & IMG_VMA_HUGEPAGE))
			RSYS(c, NULL, "madvise", SYS_madvise, (long)m->start, len, MADV_HUGEPAGE, 0,
			     0, 0);
	}
	if (r != (long)m->start)
		return r < 0 ? err_prefix(e, "VMA %#lx-%#lx %s: ", (unsigned long)m->start,
					  (unsigned long)m->end, path)
			     : err_setx(e, -EFAULT, "restore: VMA %#lx landed at %#lx",
					(unsigned long)m->start, (unsigned long)r);
	return 0;
}

/* Map all VMAs of the image. */
static int restore_map_all(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nvma; i++) {
		const struct img_vma *m = &c->p.vmas[i];
		if (m->kind >= VMA_VDSO)
			continue; /* vdso/vvar moved already; vsyscall is fixed */
		int rc = restore_map_one(c, m, c->p.vma_paths[i], e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Put back the protections we widened for filling. */
static int restore_protect(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nvma; i++) {
		const struct img_vma *m = &c->p.vmas[i];
		if (m->kind >= VMA_VDSO || ((m->flags & IMG_VMA_SHARED) && m->kind == VMA_FILE) ||
		    m->prot == (PROT_READ | PROT_WRITE) ||
		    m->prot == (PROT_READ | PROT_WRITE | PROT_EXEC))
			continue;
		if (RSYS(c, e, "mprotect", SYS_mprotect, (long)m->start, (long)(m->end - m->start),
			 (long)m->prot, 0, 0, 0) < 0)
			return e->code;
	}
	return 0;
}

/* The image VMA that holds [a, a+len) whole, if it is private anonymous memory. */
static const struct img_vma *restore_anon_vma(const struct plan *p, uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < p->nvma; i++) {
		const struct img_vma *m = &p->vmas[i];
		if (a >= m->start && a + len <= m->end)
			return (m->kind == VMA_ANON || m->kind == VMA_HEAP) &&
				       !(m->flags & (IMG_VMA_SHARED | IMG_VMA_ANON_ONLY))
				   ? m
				   : NULL;
	}
	return NULL;
}

/* Map one record's pages from the image file over their place: 1 if done,
 * 0 if this record must be copied, or a negative code. */
static int restore_map_pages(struct rctx *c, const struct img_view *v, const struct img_pages *ph,
			     struct err *e)
{
	size_t len = (size_t)ph->npages * IMG_PAGE;
	int64_t off = v->file_off + (int64_t)sizeof(*ph);
	const struct img_vma *m;
	if (!(c->o->mode & RESTORE_MAP) || v->file_off < 0 || off % IMG_PAGE ||
	    ph->npages != IMG_PAGES_PER_REC || c->nmapped >= MAP_MAX_RECORDS ||
	    !(m = restore_anon_vma(&c->p, ph->addr, len)))
		return 0;
	if (c->img_fd < 0) { /* the tracee opens the restorer's own file */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), c->rd.fd);
		c->img_fd = restore_open(c, path, O_RDONLY | O_CLOEXEC, 0, e);
		if (c->img_fd < 0)
			return (int)c->img_fd;
	}
	long r = RSYS(c, e, "map pages", SYS_mmap, (long)ph->addr, (long)len,
		      (long)(m->prot | PROT_READ | PROT_WRITE), MAP_PRIVATE | MAP_FIXED, c->img_fd,
		      (long)off);
	if (r != (long)ph->addr)
		return r < 0 ? (int)r : err_setx(e, -EFAULT, "restore: pages mapped elsewhere");
	c->nmapped++;
	return 1;
}

/* Does this kernel give huge pages only to memory marked MADV_HUGEPAGE? */
static int restore_thp_madvise(void)
{
	static int mode = -1;
	if (mode < 0) {
		char *b = NULL;
		mode = util_read_file("/sys/kernel/mm/transparent_hugepage/enabled", &b) > 0 &&
		       strstr(b, "[madvise]");
		free(b);
	}
	return mode;
}

#define MADV_COLLAPSE_ 25 /* MADV_COLLAPSE, Linux 6.1 */

/* A huge page under [a, a+2 MiB) before its record is written, and the
 * VMA's flags left alone: its first page written, then MADV_COLLAPSE makes
 * a huge page of it (the rest zeros), whatever the VMA asked for; the record
 * then fills it without a fault per page. Best effort. */
static void restore_collapse(struct rctx *c, uint64_t a, const uint8_t *data)
{
	struct iovec lo = {(void *)data, IMG_PAGE}, ro = {(void *)a, IMG_PAGE};
	if (process_vm_writev(c->pid, &lo, 1, &ro, 1, 0) == (ssize_t)IMG_PAGE)
		RSYS(c, NULL, "madvise", SYS_madvise, (long)a, (long)IMG_HUGE, MADV_COLLAPSE_, 0, 0,
		     0);
}

/* A record that fills a whole aligned 2 MiB of private anonymous memory is
 * written into a huge page: one page fault instead of 512, which is most of
 * what copying into fresh memory costs. Where the kernel gives huge pages
 * only on request, ask for this range alone (a sparse region stays in small
 * pages, as it was); restore_huge_done takes the marks off again.
 * The first such record of a VMA is written in small pages: its first fault
 * gives the whole VMA, still in one piece, its anon_vma. Split first, each
 * piece would get its own at its first fault, and pieces with different
 * anon_vmas are never merged again. */
static void restore_huge(struct rctx *c, const struct img_pages *ph, const uint8_t *data)
{
	const struct img_vma *m;
	if (!restore_thp_madvise() || ph->npages != IMG_PAGES_PER_REC || ph->addr % IMG_HUGE ||
	    !(m = restore_anon_vma(&c->p, ph->addr, IMG_HUGE)))
		return;
	if (m->flags & IMG_VMA_ADVICE) {
		/* its advice is kept as it was: a VMA marked for huge pages was
		 * mapped so, one that refuses them gets none */
		if (!(m->flags & (IMG_VMA_HUGEPAGE | IMG_VMA_NOHUGEPAGE)) &&
		    !(c->p.px.thp_disable & 1))
			restore_collapse(c, ph->addr, data);
		return;
	}
	uint8_t *h = &c->huge[m - c->p.vmas];
	if (*h == HUGE_NONE) {
		*h = HUGE_PRIMED;
		return;
	}
	/* The priming write runs on the worker thread: it must have faulted
	 * before the first split (its error, if any, comes with the next job). */
	if (*h == HUGE_PRIMED && c->wk)
		worker_wait(c->wk);
	if (RSYS(c, NULL, "madvise", SYS_madvise, (long)ph->addr, (long)IMG_HUGE, MADV_HUGEPAGE, 0,
		 0, 0) == 0)
		*h = HUGE_MARKED;
}

/* Merge the VMAs that restore_huge split back into one (version 2 images): marked as not
 * wanting huge pages, which is how the kernel treats unmarked memory when
 * huge pages are given on request only. */
static int restore_huge_done(struct rctx *c, struct err *e)
{
	for (size_t i = 0; c->huge && i < c->p.nvma; i++) {
		const struct img_vma *m = &c->p.vmas[i];
		if (c->huge[i] == HUGE_MARKED &&
		    RSYS(c, e, "madvise", SYS_madvise, (long)m->start, (long)(m->end - m->start),
			 MADV_NOHUGEPAGE, 0, 0, 0) < 0)
			return e->code;
	}
	return 0;
}

/* The memory advice of every VMA, as it was (pages are in, limits set). */
static int restore_advice(struct rctx *c, struct err *e)
{
	static const struct {
		uint32_t flag;
		int advice;
		const char *name;
	} adv[] = {{IMG_VMA_DONTFORK, MADV_DONTFORK, "MADV_DONTFORK"},
		   {IMG_VMA_WIPEONFORK, MADV_WIPEONFORK, "MADV_WIPEONFORK"},
		   {IMG_VMA_DONTDUMP, MADV_DONTDUMP, "MADV_DONTDUMP"},
		   {IMG_VMA_SEQ, MADV_SEQUENTIAL, "MADV_SEQUENTIAL"},
		   {IMG_VMA_RAND, MADV_RANDOM, "MADV_RANDOM"},
		   {IMG_VMA_HUGEPAGE, MADV_HUGEPAGE, "MADV_HUGEPAGE"},
		   {IMG_VMA_NOHUGEPAGE, MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"},
		   {IMG_VMA_MERGEABLE, MADV_MERGEABLE, "MADV_MERGEABLE"}};
	for (size_t i = 0; i < c->p.nvma; i++) {
		const struct img_vma *m = &c->p.vmas[i];
		long a = (long)m->start, len = (long)(m->end - m->start);
		if (m->kind >= VMA_VDSO || !(m->flags & IMG_VMA_ADVICE))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(adv); k++)
			if ((m->flags & adv[k].flag) && RSYS(c, e, adv[k].name, SYS_madvise, a, len,
							     adv[k].advice, 0, 0, 0) < 0)
				return err_prefix(e, "VMA %#lx-%#lx: ", (unsigned long)a,
						  (unsigned long)m->end);
		if ((m->flags & IMG_VMA_LOCKED) &&
		    RSYS(c, e, "mlock", SYS_mlock2, a, len,
			 m->flags & IMG_VMA_LOCKONFAULT ? 1 /* MLOCK_ONFAULT */ : 0, 0, 0, 0) < 0)
			return err_prefix(e, "VMA %#lx-%#lx (locked, RLIMIT_MEMLOCK %llu): ",
					  (unsigned long)a, (unsigned long)m->end,
					  (unsigned long long)c->p.task.rlim[RLIMIT_MEMLOCK][0]);
	}
	return 0;
}

#define MADV_GUARD_INSTALL_ 102 /* Linux 6.13 */

/* Guard pages back where they were (their pages were never filled). */
static int restore_guards(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nguard; i++) {
		const struct img_guard *g = &c->p.guards[i];
		if (g->npages > (1ull << 40) / IMG_PAGE ||
		    RSYS(c, e, "MADV_GUARD_INSTALL", SYS_madvise, (long)g->addr,
			 (long)(g->npages * IMG_PAGE), MADV_GUARD_INSTALL_, 0, 0, 0) < 0)
			return err_prefix(e, "guard pages at %#lx: ", (unsigned long)g->addr);
	}
	return 0;
}

/* Copying one record's pages into the tracee. */
struct page_job {
	const uint8_t *src;
	uint64_t addr;
	size_t len;
};

/* Copy a record's pages (on the worker thread, or in line without one). */
static int restore_copy(void *ctx, const void *job)
{
	struct rctx *c = ctx;
	const struct page_job *j = job;
	struct iovec lo = {(void *)j->src, j->len}, ro = {(void *)j->addr, j->len};
	if (process_vm_writev(c->pid, &lo, 1, &ro, 1, 0) == (ssize_t)j->len)
		return 0;
	int rc = -errno;
	/* not writable (restore_map_one): through /proc/PID/mem, which may */
	if (rc == -EFAULT && pwrite(c->j.memfd, j->src, j->len, (off_t)j->addr) == (ssize_t)j->len)
		return 0;
	c->bad_addr = j->addr, c->bad_len = j->len;
	return rc ? rc : -EIO;
}

/* A failed copy, as an error. */
static int restore_copy_failed(struct rctx *c, int rc, struct err *e)
{
	return err_set(e, rc, "restore: write %zu bytes at %#lx (is it inside a VMA?)", c->bad_len,
		       (unsigned long)c->bad_addr);
}

/* Wait until every record's pages are in. */
static int restore_pages_wait(struct rctx *c, struct err *e)
{
	int rc = c->wk ? worker_wait(c->wk) : 0;
	return rc ? restore_copy_failed(c, rc, e) : 0;
}

/* Write one PAGES record into the tracee: handed to the worker thread, which
 * copies it while the next record is read, checked and decompressed (the
 * reader keeps this record's data valid that long). */
static int restore_pages(struct rctx *c, const struct img_view *v, struct err *e)
{
	struct img_pages ph;
	memcpy(&ph, v->data, sizeof(ph));
	int rc = restore_map_pages(c, v, &ph, e);
	if (rc)
		return rc < 0 ? rc : 0;
	restore_huge(c, &ph, v->data + sizeof(ph));
	struct page_job j = {v->data + sizeof(ph), ph.addr, (size_t)ph.npages * IMG_PAGE};
	if (!c->wk)
		c->wk = worker_start(restore_copy, c);
	rc = c->wk ? worker_submit(c->wk, &j, sizeof(j)) : restore_copy(c, &j);
	return rc ? restore_copy_failed(c, rc, e) : 0;
}

/* PR_SET_MM_MAP: code/data/brk/stack/args/env/auxv and the exe link. */
static int restore_mm(struct rctx *c, struct err *e)
{
	const struct img_proc *p = &c->p.proc;
	struct prctl_mm_map mm;
	memset(&mm, 0, sizeof(mm));
	mm.start_code = p->start_code, mm.end_code = p->end_code;
	mm.start_data = p->start_data, mm.end_data = p->end_data;
	mm.start_brk = p->start_brk, mm.brk = p->brk, mm.start_stack = p->start_stack;
	mm.arg_start = p->arg_start, mm.arg_end = p->arg_end;
	mm.env_start = p->env_start, mm.env_end = p->env_end;
	mm.exe_fd = (__u32)-1;
	long efd = -1;
	if (!(c->o->mode & RESTORE_INTO)) {
		efd = restore_open(c, c->p.exe, O_RDONLY | O_CLOEXEC, 0,
				   c->o->mode & RESTORE_SANDBOX ? NULL : e);
		if (efd < 0 && !(c->o->mode & RESTORE_SANDBOX))
			return err_prefix(e, "executable: ");
	}
	mm.exe_fd = efd >= 0 ? (__u32)efd : (__u32)-1;
	uint64_t auxv = inject_put(&c->j, 4096, c->p.auxv, c->p.auxv_len);
	mm.auxv = (__u64 *)auxv;
	mm.auxv_size = (__u32)c->p.auxv_len;
	uint64_t a = inject_put(&c->j, 1024, &mm, sizeof(mm));
	long r = RSYS(c, NULL, "PR_SET_MM_MAP", SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)a,
		      sizeof(mm), 0, 0);
	if (r == -EPERM && efd >= 0) {
		/* the exe link is root's (CAP_CHECKPOINT_RESTORE): an ordinary
		 * user's recovered process keeps the stub's */
		mm.exe_fd = (__u32)-1;
		a = inject_put(&c->j, 1024, &mm, sizeof(mm));
		r = RSYS(c, NULL, "PR_SET_MM_MAP", SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)a,
			 sizeof(mm), 0, 0);
		if (r == 0)
			log_info("pid %d: /proc/PID/exe not restored (only root may set it)",
				 c->pid);
	}
	if (r < 0)
		err_setx(e, (int)r, "PR_SET_MM_MAP: %s", strerror((int)-r));
	if (efd >= 0)
		RSYS(c, NULL, "close", SYS_close, efd, 0, 0, 0, 0, 0);
	return r < 0 ? (int)r : 0;
}

/* Does a new stub already have action a for signal s? exec left it every
 * action at SIG_DFL with no flags and no mask, except the ignores it
 * inherited from this process, which started it. Not so for a process we
 * restore into. Each action skipped saves an injected syscall. */
static int restore_sa_preset(const struct rctx *c, int s, const struct img_sigaction *a)
{
	struct sigaction mine;
	if (c->o->mode & RESTORE_INTO || a->handler || a->flags || a->mask)
		return 0;
	return sigaction(s, NULL, &mine) == 0 && mine.sa_handler != SIG_IGN;
}

/* Signal dispositions (all that differ from the stub's). */
static int restore_sigactions(struct rctx *c, struct err *e)
{
	for (int s = 1; s <= 64; s++) {
		if (s == SIGKILL || s == SIGSTOP || restore_sa_preset(c, s, &c->p.sa[s - 1]))
			continue;
		uint64_t a = inject_put(&c->j, 1024, &c->p.sa[s - 1], sizeof(c->p.sa[0]));
		if (RSYS(c, e, "rt_sigaction", SYS_rt_sigaction, s, (long)a, 0, 8, 0, 0) < 0)
			return err_prefix(e, "signal %d: ", s);
	}
	/* our trampoline's int3 would reset an ignored SIGTRAP: the session
	 * ignores it again at its end */
	c->j.trap_ignored = c->p.sa[SIGTRAP - 1].handler == (uint64_t)(uintptr_t)SIG_IGN;
	const struct img_task *t = &c->p.task;
	if (!(t->altstack_flags & SS_DISABLE)) {
		stack_t ss = {(void *)t->altstack_sp, t->altstack_flags & ~SS_ONSTACK,
			      t->altstack_size};
		uint64_t a = inject_put(&c->j, 1024, &ss, sizeof(ss));
		if (RSYS(c, e, "sigaltstack", SYS_sigaltstack, (long)a, 0, 0, 0, 0, 0) < 0)
			return e->code;
	}
	return 0;
}

/* Resource limits, as the process had them. */
static int restore_rlimits(struct rctx *c, struct err *e)
{
	for (int r = 0; r < 16; r++) {
		uint64_t lim[2] = {c->p.task.rlim[r][0], c->p.task.rlim[r][1]};
		struct rlimit mine; /* the stub has ours */
		if (getrlimit(r, &mine) == 0 && mine.rlim_cur == lim[0] && mine.rlim_max == lim[1])
			continue;
		uint64_t a = inject_put(&c->j, 1024, lim, sizeof(lim));
		if (RSYS(c, e, "prlimit", SYS_prlimit64, 0, r, (long)a, 0, 0, 0) < 0)
			return err_prefix(e, "rlimit %d (%llu/%llu): ", r,
					  (unsigned long long)lim[0], (unsigned long long)lim[1]);
	}
	return 0;
}

/* Microseconds in a timeval-like pair. */
static int64_t restore_usec(int64_t sec, int64_t usec)
{
	return sec * 1000000 + usec;
}

/* Set one interval timer. The kernel adds a tick to a CPU-time timer's value
 * when it is set (so it never fires early): read it back and take the excess
 * off again, so the restored value is the saved one. */
static int restore_itimer(struct rctx *c, int which, struct err *e)
{
	const struct img_itimer *it = &c->p.task.itimer[which];
	int64_t want = restore_usec(it->value_sec, it->value_usec);
	struct itimerval v = {{it->interval_sec, it->interval_usec},
			      {it->value_sec, it->value_usec}};
	if (!want && !restore_usec(it->interval_sec, it->interval_usec))
		return 0;
	if (!want) {
		/* A periodic timer that fired while the process was frozen reads
		 * 0 until its signal is dequeued; the kernel re-arms it then. The
		 * new task has no such timer to re-arm: arm it for one interval. */
		v.it_value = v.it_interval;
		want = restore_usec(it->interval_sec, it->interval_usec);
	}
	for (int round = 0; round < 2; round++) {
		uint64_t a = inject_put(&c->j, 1024, &v, sizeof(v));
		if (RSYS(c, e, "setitimer", SYS_setitimer, which, (long)a, 0, 0, 0, 0) < 0)
			return e->code;
		if (which == ITIMER_REAL || round == 1)
			break;
		struct itimerval got;
		if (RSYS(c, e, "getitimer", SYS_getitimer, which, (long)a, 0, 0, 0, 0) < 0 ||
		    inject_get(&c->j, a, &got, sizeof(got)))
			return e->code ? e->code : -EIO;
		int64_t excess = restore_usec(got.it_value.tv_sec, got.it_value.tv_usec) - want;
		if (excess <= 0 || excess >= want)
			break;
		int64_t set = want - excess;
		v.it_value.tv_sec = set / 1000000;
		v.it_value.tv_usec = set % 1000000;
	}
	return 0;
}

/* Interval timers, tid address, robust list, rseq, personality, umask, cwd, name. */
static int restore_task(struct rctx *c, struct err *e)
{
	const struct img_task *t = &c->p.task;
	for (int w = 0; w < 3; w++)
		if (restore_itimer(c, w, e))
			return e->code;
	if (RSYS(c, e, "set_tid_address", SYS_set_tid_address, (long)t->tid_address, 0, 0, 0, 0,
		 0) < 0 ||
	    (t->robust_head && RSYS(c, e, "set_robust_list", SYS_set_robust_list,
				    (long)t->robust_head, (long)t->robust_len, 0, 0, 0, 0) < 0) ||
	    (t->rseq_ptr && RSYS(c, e, "rseq", SYS_rseq, (long)t->rseq_ptr, t->rseq_size, 0,
				 t->rseq_sig, 0, 0) < 0) ||
	    RSYS(c, e, "personality", SYS_personality, c->p.proc.personality, 0, 0, 0, 0, 0) < 0)
		return e->code;
	/* the name first: a body has it too (the program reads it with
	 * PR_GET_NAME, run where it runs), not the stub's */
	char comm[16];
	memcpy(comm, c->p.proc.comm, 16);
	comm[15] = '\0';
	uint64_t a = inject_put(&c->j, 1024, comm, sizeof(comm));
	if (RSYS(c, e, "PR_SET_NAME", SYS_prctl, PR_SET_NAME, (long)a, 0, 0, 0, 0) < 0)
		return e->code;
	if (c->o->mode & (RESTORE_INTO | RESTORE_SANDBOX))
		return 0; /* cwd and umask live with the deputy at home */
	if (RSYS(c, e, "umask", SYS_umask, c->p.proc.umask, 0, 0, 0, 0, 0) < 0)
		return e->code;
	a = inject_put(&c->j, INJECT_SCRATCH, c->p.cwd, strlen(c->p.cwd) + 1);
	if (!a || RSYS(c, e, "chdir", SYS_chdir, (long)a, 0, 0, 0, 0, 0) < 0)
		return err_prefix(e, "working directory %s: ", c->p.cwd);
	return 0;
}

#ifndef PR_THP_DISABLE_EXCEPT_ADVISED
#define PR_THP_DISABLE_EXCEPT_ADVISED (1 << 1)
#endif
#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS 77 /* Linux 6.16: timer_create takes the ID asked for */
#endif

/* Write text to /proc/self/NAME of the process (its own rights apply). */
static long restore_proc_write(struct rctx *c, const char *name, const char *text, struct err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/%s", name);
	long fd = restore_open(c, path, O_WRONLY | O_CLOEXEC, 0, e);
	if (fd < 0)
		return fd;
	uint64_t a = inject_put(&c->j, 1024, text, strlen(text));
	long r = RSYS(c, e, name, SYS_write, fd, (long)a, (long)strlen(text), 0, 0, 0);
	RSYS(c, NULL, "close", SYS_close, fd, 0, 0, 0, 0, 0);
	return r < 0 ? r : 0;
}

/* A /proc/PID/NAME number of the new process as it is now (or def). */
static long restore_proc_num(struct rctx *c, const char *name, long def)
{
	char *b = NULL;
	long v = procfs_read(c->pid, name, &b) > 0 ? strtol(b, NULL, 10) : def;
	free(b);
	return v;
}

/* Process state of PROCX: THP setting, membarrier registrations, child
 * subreaper, oom_score_adj and the audit loginuid (those two not into a
 * deputy, which has kept its own). */
static int restore_procx(struct rctx *c, struct err *e)
{
	const struct img_procx *px = &c->p.px;
	long r;
	char num[32];
	if ((px->have & IMG_PX_THP) &&
	    RSYS(c, e, "PR_GET_THP_DISABLE", SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0, 0) !=
		(long)px->thp_disable &&
	    RSYS(c, e, "PR_SET_THP_DISABLE", SYS_prctl, PR_SET_THP_DISABLE, px->thp_disable & 1,
		 px->thp_disable & PR_THP_DISABLE_EXCEPT_ADVISED, 0, 0, 0) < 0)
		return e->code;
	for (uint32_t cmd = 1; (px->have & IMG_PX_MEMBARRIER) && cmd && cmd <= px->membarrier;
	     cmd <<= 1)
		if ((px->membarrier & cmd) &&
		    RSYS(c, e, "membarrier", SYS_membarrier, cmd, 0, 0, 0, 0, 0) < 0)
			return err_prefix(e, "register membarrier %#x: ", cmd);
	if ((px->have & IMG_PX_SUBREAPER) && px->subreaper &&
	    RSYS(c, e, "PR_SET_CHILD_SUBREAPER", SYS_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0, 0) <
		0)
		return e->code;
	if (c->o->mode & RESTORE_INTO)
		return 0;
	if ((px->have & IMG_PX_OOM) &&
	    restore_proc_num(c, "oom_score_adj", px->oom_score_adj) != px->oom_score_adj) {
		snprintf(num, sizeof(num), "%d", px->oom_score_adj);
		if ((r = restore_proc_write(c, "oom_score_adj", num, e)) < 0)
			return err_prefix(e,
					  "oom_score_adj %d (lower than it is here: only a "
					  "privileged user may set that): ",
					  px->oom_score_adj);
	}
	long luid = restore_proc_num(c, "loginuid", -1);
	if ((px->have & IMG_PX_LOGINUID) && luid != (long)px->loginuid) {
		snprintf(num, sizeof(num), "%u", px->loginuid);
		struct err le = {0, ""};
		if (restore_proc_write(c, "loginuid", num, &le) < 0)
			log_warn("pid %d: audit loginuid %u not restored: it is %ld here, and only "
				 "CAP_AUDIT_CONTROL may change a loginuid once set (%s)",
				 c->pid, px->loginuid, luid, le.msg);
	}
	return 0;
}

/* POSIX timers, each with its ID, clock, notification and time. */
static int restore_timers(struct rctx *c, struct err *e)
{
	int ids = 0;
	if (!c->p.ntimer)
		return 0;
	if (RSYS(c, NULL, "prctl", SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0, 0) == 0)
		ids = 1;
	for (size_t i = 0; i < c->p.ntimer; i++) {
		const struct img_timer *t = &c->p.timers[i];
		if (c->o->mode & RESTORE_INTO) /* the deputy's own, still set */
			RSYS(c, NULL, "timer_delete", SYS_timer_delete, t->id, 0, 0, 0, 0, 0);
		struct sigevent sev;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_value.sival_ptr = (void *)(uintptr_t)t->value;
		sev.sigev_signo = t->signo;
		sev.sigev_notify = t->notify;
		if (t->notify & SIGEV_THREAD_ID)
			sev._sigev_un._tid = c->pid;
		int32_t id = t->id;
		uint64_t a = inject_put(&c->j, 1024, &sev, sizeof(sev));
		uint64_t ida = inject_put(&c->j, 2048, &id, sizeof(id));
		if (RSYS(c, e, "timer_create", SYS_timer_create, t->clock, (long)a, (long)ida, 0, 0,
			 0) < 0 ||
		    inject_get(&c->j, ida, &id, sizeof(id)))
			return err_prefix(e, "POSIX timer %d: ", t->id);
		if (id != t->id)
			return err_setx(e, -EOPNOTSUPP,
					"restore: POSIX timer %d came back as %d (this kernel "
					"cannot give a timer its ID back)",
					t->id, id);
		int64_t v = t->value_ns ? t->value_ns : t->interval_ns;
		struct itimerspec its = {{t->interval_ns / 1000000000, t->interval_ns % 1000000000},
					 {v / 1000000000, v % 1000000000}};
		a = inject_put(&c->j, 1024, &its, sizeof(its));
		if (RSYS(c, e, "timer_settime", SYS_timer_settime, id, 0, (long)a, 0, 0, 0) < 0)
			return err_prefix(e, "POSIX timer %d: ", t->id);
	}
	if (ids)
		RSYS(c, NULL, "prctl", SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0, 0, 0);
	return 0;
}

/* The -O entry for fd, if any. */
static const struct fd_redirect *restore_redirect(struct rctx *c, int fd)
{
	for (size_t i = 0; i < c->o->nredir; i++)
		if (c->o->redir[i].fd == fd)
			return &c->o->redir[i];
	return NULL;
}

/* Open flags for a redirected fd whose entry says append or rewind. */
static int restore_redir_flags(int flags, enum redir_mode mode)
{
	if (mode == REDIR_APPEND)
		return (flags & ~O_TRUNC) | O_APPEND;
	if (mode == REDIR_REWIND && (flags & O_ACCMODE) != O_RDONLY)
		return flags | O_TRUNC;
	return flags;
}

/* Open path at fd number want in the tracee, seek to pos. */
static int restore_fd_at(struct rctx *c, int want, const char *path, int flags, uint64_t pos,
			 int cloexec, int seek, struct err *e)
{
	long fd = restore_open(c, path, flags, 0666, e);
	if (fd < 0)
		return err_prefix(e, "fd %d: ", want);
	if (fd != want) {
		long r = RSYS(c, e, "dup3", SYS_dup3, fd, want, cloexec ? O_CLOEXEC : 0, 0, 0, 0);
		RSYS(c, NULL, "close", SYS_close, fd, 0, 0, 0, 0, 0);
		if (r < 0)
			return err_prefix(e, "fd %d: ", want);
	} else if (cloexec) {
		RSYS(c, NULL, "fcntl", SYS_fcntl, fd, F_SETFD, FD_CLOEXEC, 0, 0, 0);
	}
	if (seek && RSYS(c, e, "lseek", SYS_lseek, want, (long)pos, SEEK_SET, 0, 0, 0) < 0)
		return err_prefix(e, "fd %d (%s): ", want, path);
	return 0;
}

/* A signalfd of the signals in f->pos, at its number. */
static int restore_signalfd(struct rctx *c, const struct img_fd *f, struct err *e)
{
	uint64_t a = inject_put(&c->j, 1024, &f->pos, sizeof(f->pos));
	long fd =
	    RSYS(c, e, "signalfd", SYS_signalfd4, -1, (long)a, 8, f->flags & O_NONBLOCK, 0, 0);
	if (fd < 0)
		return err_prefix(e, "fd %d: ", f->fd);
	if (fd != f->fd) {
		long r = RSYS(c, e, "dup3", SYS_dup3, fd, f->fd,
			      f->fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0, 0, 0, 0);
		RSYS(c, NULL, "close", SYS_close, fd, 0, 0, 0, 0, 0);
		if (r < 0)
			return err_prefix(e, "fd %d: ", f->fd);
	} else if (f->fd_flags & FD_CLOEXEC) {
		RSYS(c, NULL, "fcntl", SYS_fcntl, fd, F_SETFD, FD_CLOEXEC, 0, 0, 0);
	}
	return 0;
}

/* Leases on the reopened files, as they were. */
static int restore_leases(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nlease; i++) {
		const struct img_lease *l = &c->p.leases[i];
		if (RSYS(c, e, "F_SETLEASE", SYS_fcntl, l->fd, F_SETLEASE, l->type, 0, 0, 0) < 0)
			return err_prefix(e, "fd %d: %s lease: ", l->fd,
					  l->type == F_WRLCK ? "write" : "read");
	}
	return 0;
}

/* Reopen one fd of the image: a regular file at its offset, stdio from the
 * recovering terminal unless redirected with -O (at the program's offset,
 * or appending, or from 0 as the entry says). */
static int restore_fd(struct rctx *c, const struct img_fd *f, const char *img_path, struct err *e)
{
	const struct fd_redirect *r = restore_redirect(c, f->fd);
	int flags = f->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	int was_reg = S_ISREG(f->mode),
	    seek = (was_reg || f->kind == IMG_FD_DIR) && !(flags & O_PATH);
	if (f->kind == IMG_FD_SIGNALFD && !r)
		return restore_signalfd(c, f, e);
	if (f->kind == IMG_FD_STDIO && !r)
		return 0; /* the recovering terminal's, inherited */
	if (f->kind == IMG_FD_STDIO || (r && !was_reg)) {
		flags = f->fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | (was_reg ? 0 : O_TRUNC);
		flags |= f->flags & O_APPEND;
	} else if (r && (flags & O_ACCMODE) != O_RDONLY) {
		flags |= O_CREAT;
	}
	if (r && r->mode != REDIR_KEEP) {
		flags = restore_redir_flags(flags, r->mode);
		seek = 0;
	}
	return restore_fd_at(c, f->fd, r ? r->path : img_path, flags, f->pos,
			     f->fd_flags & FD_CLOEXEC, seek, e);
}

/* A body's own signalfds (the only fds it has: dump_keep_signalfds). */
static int restore_body_signalfds(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nfd; i++)
		if (c->p.fds[i].kind == IMG_FD_SIGNALFD && restore_signalfd(c, &c->p.fds[i], e))
			return e->code;
	return 0;
}

/* Reopen files (restore_fd), then open the -O files for fds the image did
 * not have. */
static int restore_fds(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nfd; i++) {
		int rc = restore_fd(c, &c->p.fds[i], c->p.fd_paths[i], e);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < c->o->nredir; i++) { /* -O for an fd the image did not have */
		const struct fd_redirect *r = &c->o->redir[i];
		int known = 0;
		for (size_t k = 0; k < c->p.nfd; k++)
			known |= c->p.fds[k].fd == r->fd;
		int flags = r->fd == 0		      ? O_RDONLY
			    : r->mode == REDIR_APPEND ? O_WRONLY | O_CREAT | O_APPEND
						      : O_WRONLY | O_CREAT | O_TRUNC;
		if (!known && restore_fd_at(c, r->fd, r->path, flags, 0, 0, 0, e))
			return e->code;
	}
	return 0;
}

/* Queue the pending signals back, from inside the process (all blocked now). */
static int restore_pending(struct rctx *c, struct err *e)
{
	for (size_t i = 0; i < c->p.nsig; i++) {
		siginfo_t si;
		memcpy(&si, c->p.sigs[i].info, sizeof(si));
		if (si.si_signo < 1 || si.si_signo > 64)
			return err_setx(e, -EBADMSG, "corrupted image: pending signal %d",
					si.si_signo);
		uint64_t a = inject_put(&c->j, 1024, &si, sizeof(si));
		long r = c->p.sigs[i].shared
			     ? RSYS(c, e, "rt_sigqueueinfo", SYS_rt_sigqueueinfo, c->pid,
				    si.si_signo, (long)a, 0, 0, 0)
			     : RSYS(c, e, "rt_tgsigqueueinfo", SYS_rt_tgsigqueueinfo, c->pid,
				    c->pid, si.si_signo, (long)a, 0, 0);
		if (r < 0)
			return e->code;
	}
	return 0;
}

/* Registers, FPU state and the signal mask: last. */
static int restore_regs(struct rctx *c, struct err *e)
{
	arch_regs_t r = c->p.regs;
	arch_fixup_restart(&r);
	if (c->p.proc.flags & IMG_F_SELF_CKPT)
		arch_set_ret(&r, 1); /* mosix_checkpoint() returns 1: recovered */
	int rc = arch_set_regs(c->pid, &r);
	if (rc)
		return err_set(e, rc, "restore: set registers");
	if ((rc = arch_set_xstate(c->pid, c->p.xstate, c->p.xstate_len)))
		return err_set(e, rc, "restore: set FPU/AVX state (CPU features differ?)");
	if (ptrace(PTRACE_SETSIGMASK, c->pid, sizeof(uint64_t), &c->p.task.sigmask))
		return err_set(e, -errno, "restore: set signal mask");
	return 0;
}

/* Confine a body: own namespaces, an empty root, an unprivileged identity,
 * no new privileges, and the seccomp filter that sends every non-local
 * system call to its supervisor. Done last, as root, by injection. */
static int restore_confine(struct rctx *c, struct err *e)
{
	const struct restore_sandbox *sb = c->o->sandbox;
	if (!sb)
		return err_setx(e, -EINVAL, "restore: sandbox mode without a sandbox");
	uint64_t root = inject_put(&c->j, INJECT_SCRATCH, sb->root, strlen(sb->root) + 1);
	uint64_t slash = inject_put(&c->j, 1024, "/", 2);
	/* Limits of its own: a body never opens files locally (the filter
	 * sends those home) and forks only through its supervisor (the filter
	 * traps every fork), so a few fds and a bound on the processes of the
	 * bodies' user on this node (their count, not one body's: NPROC 0
	 * would stop the supervised fork too, and raising another user's limit
	 * takes CAP_SYS_RESOURCE); no core files here; and no more address
	 * space than the node allows a guest (an allocation beyond it fails
	 * with ENOMEM, as on a smaller machine). */
	struct {
		int res;
		uint64_t v[2]; /* soft, hard */
	} lim[4] = {{RLIMIT_NPROC, {RESTORE_BODY_NPROC, RESTORE_BODY_NPROC}},
		    {RLIMIT_NOFILE, {16, 16}},
		    {RLIMIT_CORE, {0, 0}}};
	size_t nlim = 3;
	if (sb->mem_limit) { /* the node's bound, or the process's own where lower */
		lim[nlim].res = RLIMIT_AS;
		for (int k = 0; k < 2; k++) {
			uint64_t own = c->p.task.rlim[RLIMIT_AS][k];
			lim[nlim].v[k] = own < sb->mem_limit ? own : sb->mem_limit;
		}
		nlim++;
	}
	for (size_t i = 0; i < nlim; i++) {
		uint64_t a = inject_put(&c->j, 2048, lim[i].v, sizeof(lim[i].v)); /* 1024: "/" */
		if (RSYS(c, e, "prlimit", SYS_prlimit64, 0, lim[i].res, (long)a, 0, 0, 0) < 0)
			return err_prefix(e, "confine the body: ");
	}
	if (RSYS(c, e, "unshare", SYS_unshare,
		 CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS, 0, 0, 0, 0, 0) < 0 ||
	    RSYS(c, e, "chroot", SYS_chroot, (long)root, 0, 0, 0, 0, 0) < 0 ||
	    RSYS(c, e, "chdir", SYS_chdir, (long)slash, 0, 0, 0, 0, 0) < 0 ||
	    RSYS(c, e, "setgroups", SYS_setgroups, 0, 0, 0, 0, 0, 0) < 0 ||
	    RSYS(c, e, "setresgid", SYS_setresgid, sb->gid, sb->gid, sb->gid, 0, 0, 0) < 0 ||
	    RSYS(c, e, "setresuid", SYS_setresuid, sb->uid, sb->uid, sb->uid, 0, 0, 0) < 0 ||
	    RSYS(c, e, "no_new_privs", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0)
		return err_prefix(e, "confine the body: ");
	if (!sb->filter)
		return 0;
	size_t flen = (size_t)sb->filter_len * 8;
	uint64_t prog = inject_put(&c->j, 4096, sb->filter, flen);
	struct {
		unsigned short len;
		uint64_t filter;
	} fprog = {sb->filter_len, prog};
	uint64_t fp = inject_put(&c->j, 2048, &fprog, sizeof(fprog));
	if (!prog || !fp)
		return err_setx(e, -E2BIG, "restore: seccomp filter too large");
	/* SPEC_ALLOW: a filter would otherwise force the speculative-store-
	 * bypass (and, with spectre_v2_user=seccomp, indirect-branch)
	 * mitigations on the body, which slow some computing by several per
	 * cent and which it does not have at home: they shield a process from
	 * untrusted code in its own address space, and the body runs only its
	 * own. Kernels older than 4.17 do not know the flag. */
	if (RSYS(c, NULL, "seccomp", SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		 SECCOMP_FILTER_FLAG_SPEC_ALLOW, (long)fp, 0, 0, 0) == 0)
		return 0;
	return RSYS(c, e, "seccomp", SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)fp, 0, 0, 0) < 0
		   ? err_prefix(e, "install the system-call filter: ")
		   : 0;
}

/* After the last page: everything but memory, then drop the injection page. */
static int restore_finish(struct rctx *c, struct err *e)
{
	if (c->img_fd >= 0) /* the mappings keep the file */
		RSYS(c, NULL, "close", SYS_close, c->img_fd, 0, 0, 0, 0, 0);
	c->img_fd = -1;
	inject_pin(&c->pin, c->pid);
	int rc = restore_huge_done(c, e), home = !(c->o->mode & (RESTORE_INTO | RESTORE_SANDBOX));
	if (!rc)
		rc = restore_protect(c, e);
	if (!rc)
		rc = restore_mm(c, e);
	if (!rc && !(c->o->mode & RESTORE_INTO))
		rc = restore_rlimits(c, e);
	if (!rc) /* (before mlock: no guard goes into locked memory) */
		rc = restore_guards(c, e);
	if (!rc)
		rc = restore_advice(c, e);
	if (!rc)
		rc = restore_task(c, e);
	if (!rc)
		rc = restore_procx(c, e);
	if (!rc)
		rc = restore_sigactions(c, e);
	if (!rc)
		rc = restore_timers(c, e);
	if (!rc && home)
		rc = restore_fds(c, e);
	if (!rc && (c->o->mode & RESTORE_SANDBOX))
		rc = restore_body_signalfds(c, e);
	if (!rc && home)
		rc = restore_leases(c, e);
	if (!rc)
		rc = restore_pending(c, e);
	if (!rc && (c->o->mode & RESTORE_SANDBOX))
		rc = restore_confine(c, e);
	if (rc)
		return rc;
	c->injecting = 0;
	if ((rc = inject_end(&c->j, 0, e)))
		return rc;
	return restore_regs(c, e);
}

/* Prepare the address space once all metadata is known. */
static int restore_prepare(struct rctx *c, struct err *e)
{
	uint64_t entry = 0, where = restore_inject_addr(&c->p);
	int rc = plan_check(&c->p, c->o, e);
	if (!rc && !where)
		rc = err_setx(e, -ENOMEM, "restore: no free address for the injection page");
	if (!rc && (c->o->mode & RESTORE_INTO)) {
		c->pid = c->o->into;
		if (!(rc = inject_begin(&c->j, c->pid, where, e)))
			c->injecting = 1;
	} else if (!rc && !(rc = restore_spawn(c, &entry, e)) &&
		   !(rc = inject_begin_stub(&c->j, c->pid, entry, where, e))) {
		c->injecting = 1;
	}
	if (!rc)
		inject_pin(&c->pin, c->pid);
	if (!rc)
		rc = restore_clear_stub(c, e);
	if (!rc)
		rc = restore_map_all(c, e);
	c->huge = xcalloc(c->p.nvma + 1, 1);
	inject_unpin(&c->pin); /* the pages are written while the stub waits */
	return rc;
}

/* Read the stream and apply it. */
static int restore_stream(struct rctx *c, struct err *e)
{
	struct img_view v;
	int rc, prepared = 0;
	while ((rc = img_read(&c->rd, &v, e)) > 0) {
		if (v.type != IMG_R_PAGES) {
			if (prepared)
				return err_setx(e, -EBADMSG,
						"corrupted image: %s record after pages",
						img_type_name(v.type));
			if ((rc = plan_take(&c->p, &v, e)))
				return rc;
			continue;
		}
		if (!prepared && (rc = restore_prepare(c, e)))
			return rc;
		prepared = 1;
		if ((rc = restore_pages(c, &v, e)))
			return rc;
	}
	if (rc < 0 || (rc = restore_pages_wait(c, e)))
		return rc;
	if (!prepared && (rc = restore_prepare(c, e)))
		return rc;
	return restore_finish(c, e);
}

/* Restore an image from a stream. */
int restore_process_io(const struct img_io *in, const struct restore_opts *o, pid_t *pid,
		       struct restore_info *info, struct err *e)
{
	struct rctx c;
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.pid = -1;
	c.img_fd = -1;
	double t0 = util_now();
	int rc = img_reader_open_io(&c.rd, in, e);
	if (!rc)
		rc = restore_stream(&c, e);
	worker_stop(c.wk); /* before the stub is killed or the buffers go */
	if (c.injecting)
		inject_end(&c.j, 0, NULL);
	inject_unpin(&c.pin);
	if (rc && c.pid > 0 && !(o->mode & RESTORE_INTO)) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, NULL, __WALL);
	}
	if (!rc) {
		*pid = c.pid;
		if (info) {
			info->old_pid = c.p.proc.pid;
			info->flags = c.p.proc.flags;
			memcpy(info->comm, c.p.proc.comm, sizeof(info->comm));
			info->pages = c.rd.npages;
			info->t_total = util_now() - t0;
		}
	}
	free(c.huge);
	free(c.stub_stack); /* the stub has exec'd or been reaped by now */
	img_reader_free(&c.rd);
	plan_free(&c.p);
	return rc;
}

/* Restore an image from an fd into a new child. */
int restore_process(int fd, const struct restore_opts *o, pid_t *pid, struct restore_info *info,
		    struct err *e)
{
	struct img_io io = {fd, NULL, NULL};
	return restore_process_io(&io, o, pid, info, e);
}
