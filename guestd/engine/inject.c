/* inject.c: remote system calls through a "syscall; int3" trampoline. */
#define LOG_PREFIX "inject"
#include "engine/inject.h"
#include "engine/procfs.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Resume and wait for the next stop that is not job control. */
int inject_step(struct inject *j, int req, int *status)
{
	for (;;) {
		if (ptrace((enum __ptrace_request)req, j->pid, 0, 0))
			return -errno;
		int st;
		if (waitpid(j->pid, &st, __WALL) < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -ESRCH;
		int sig = WSTOPSIG(st), ev = st >> 16;
		if (ev == PTRACE_EVENT_STOP || ev == PTRACE_EVENT_SECCOMP)
			continue; /* interrupt, group-stop, or our own call meeting the
				   * body's filter: just go on */
		if (ev == 0 && util_is_stop_signal(sig)) {
			j->held_stop = sig;
			continue;
		}
		*status = st;
		return 0;
	}
}

/* Execute one syscall at an existing syscall instruction using syscall stops. */
static int inject_bootstrap(struct inject *j, uint64_t insn, long *ret, long nr, const long a[6])
{
	arch_regs_t r = j->saved;
	arch_set_syscall(&r, insn, nr, a);
	int rc = arch_set_regs(j->pid, &r);
	if (rc)
		return rc;
	for (int k = 0; k < 2; k++) { /* syscall entry, then exit */
		int st = 0;
		rc = inject_step(j, PTRACE_SYSCALL, &st);
		if (rc)
			return rc;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80))
			return -EPROTO;
	}
	rc = arch_get_regs(j->pid, &r);
	if (rc)
		return rc;
	*ret = arch_syscall_ret(&r);
	return 0;
}

/* Search one range of tracee memory for "0f 05". */
static uint64_t inject_scan(int memfd, uint64_t a, uint64_t b)
{
	size_t n = b - a;
	if (n > (1 << 20))
		n = 1 << 20;
	unsigned char *buf = xmalloc(n);
	ssize_t r = pread(memfd, buf, n, (off_t)a);
	uint64_t res = 0;
	for (ssize_t i = 0; i + 1 < r; i++)
		if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
			res = a + (uint64_t)i;
			break;
		}
	free(buf);
	return res;
}

/* Find a syscall instruction, preferring the vdso. */
uint64_t inject_find_syscall(pid_t pid, int memfd, uint64_t avoid)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	uint64_t best = 0;
	for (int pass = 0; pass < 2 && !best; pass++) {
		rewind(f);
		while (!best && fgets(line, sizeof(line), f)) {
			unsigned long a, b;
			char perm[8];
			if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) != 3 || perm[2] != 'x')
				continue;
			if (strstr(line, "[vsyscall]") || a == avoid)
				continue;
			if (pass == 0 && !strstr(line, "[vdso]"))
				continue;
			best = inject_scan(memfd, a, b);
		}
	}
	return best;
}

/* Save state, block signals, open /proc/PID/mem. */
static int inject_prepare(struct inject *j, pid_t pid, struct err *e)
{
	memset(j, 0, sizeof(*j));
	j->pid = pid;
	j->memfd = -1;
	int rc = arch_get_regs(pid, &j->saved);
	if (rc)
		return err_set(e, rc, "pid %d: read registers", pid);
	if (ptrace(PTRACE_GETSIGMASK, pid, sizeof(uint64_t), &j->saved_mask))
		return err_set(e, -errno, "pid %d: read signal mask", pid);
	uint64_t all = ~0ULL;
	if (ptrace(PTRACE_SETSIGMASK, pid, sizeof(uint64_t), &all))
		return err_set(e, -errno, "pid %d: block signals", pid);
	struct proc_status ps;
	j->trap_ignored = !procfs_status(pid, &ps) && (ps.sigign & (1ull << (SIGTRAP - 1)));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	j->memfd = open(path, O_RDWR | O_CLOEXEC);
	if (j->memfd < 0)
		return err_set(e, -errno, "open %s", path);
	return 0;
}

/* Write the trampoline into our page; from now on SIGTRAP is not blocked
 * (see struct inject). */
static int inject_arm(struct inject *j, uint64_t page, struct err *e)
{
	j->page = page;
	j->own_page = 1;
	if (pwrite(j->memfd, arch_trampoline, arch_trampoline_len, (off_t)page) !=
	    (ssize_t)arch_trampoline_len)
		return err_set(e, -errno, "pid %d: write trampoline at %#lx", j->pid,
			       (unsigned long)page);
	uint64_t mask = ~(1ull << (SIGTRAP - 1));
	if (ptrace(PTRACE_SETSIGMASK, j->pid, sizeof(mask), &mask))
		return err_set(e, -errno, "pid %d: block signals", j->pid);
	return 0;
}

/* Is the tracee's SIGTRAP stop ours, not a SIGTRAP of the program's own?
 * While a session runs, the tracee executes only what we inject: a trap the
 * kernel raised (an int3, si_code > 0) is a trampoline's, of this session or
 * of an earlier one (a deputy interrupted in its pause() meets its old
 * trampoline's int3 when the restore of the process coming home lets it run;
 * held as the program's and queued again, it killed the process). Only a
 * SIGTRAP sent by kill, tgkill or sigqueue (si_code <= 0) can be the
 * program's, pending when the session began. */
static int inject_ours(struct inject *j)
{
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, j->pid, 0, &si))
		return 1;
	return si.si_code > 0;
}

int inject_hold(struct inject *j, const siginfo_t *si)
{
	if (j->nheld >= INJECT_HELD_MAX)
		return -ENOSPC;
	j->held[j->nheld++] = *si;
	return 0;
}

/* The program's own SIGTRAP met at a stop of ours: take it out of the way,
 * to be queued again at the end. */
static void inject_hold_trap(struct inject *j)
{
	siginfo_t si;
	if (!ptrace(PTRACE_GETSIGINFO, j->pid, 0, &si) && inject_hold(j, &si))
		log_warn("pid %d: too many signals held during injection; SIGTRAP dropped", j->pid);
}

/* Begin a session on an arbitrary stopped tracee. */
int inject_begin(struct inject *j, pid_t pid, uint64_t where, struct err *e)
{
	int rc = inject_prepare(j, pid, e);
	if (rc)
		return rc;
	uint64_t insn = inject_find_syscall(pid, j->memfd, 0);
	if (!insn)
		return err_setx(e, -ENOEXEC, "pid %d: no syscall instruction to borrow", pid);
	long a[6] = {(long)where,
		     INJECT_PAGE_LEN,
		     PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS | (where ? MAP_FIXED_NOREPLACE : 0),
		     -1,
		     0};
	long page;
	rc = inject_bootstrap(j, insn, &page, SYS_mmap, a);
	if (rc)
		return err_set(e, rc, "pid %d: bootstrap mmap", pid);
	if (page < 0 && page > -4096)
		return err_set(e, (int)page, "pid %d: mmap injection page", pid);
	return inject_arm(j, (uint64_t)page, e);
}

/* Begin a session on the stub: its entry point is the trampoline. */
int inject_begin_stub(struct inject *j, pid_t pid, uint64_t ip, uint64_t where, struct err *e)
{
	int rc = inject_prepare(j, pid, e);
	if (rc)
		return rc;
	j->page = ip;
	long page;
	rc = inject_call(j, &page, SYS_mmap, (long)where, INJECT_PAGE_LEN,
			 PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (rc)
		return err_set(e, rc, "stub %d: first syscall", pid);
	log_debug("stub %d: entry %#lx, injection page mmap -> %#lx", pid, (unsigned long)ip,
		  (unsigned long)page);
	if (page != (long)where)
		return err_set(e, page < 0 && page > -4096 ? (int)page : -EFAULT,
			       "stub %d: map injection page at %#lx", pid, (unsigned long)where);
	return inject_arm(j, (uint64_t)page, e);
}

/* Run one syscall through the trampoline. */
int inject_call(struct inject *j, long *ret, long nr, long a1, long a2, long a3, long a4, long a5,
		long a6)
{
	long a[6] = {a1, a2, a3, a4, a5, a6};
	arch_regs_t r = j->saved;
	arch_set_syscall(&r, j->page, nr, a);
	int rc = arch_set_regs(j->pid, &r);
	if (rc)
		return rc;
	int st;
	for (;;) {
		rc = inject_step(j, PTRACE_CONT, &st);
		if (rc)
			return rc;
		if (WSTOPSIG(st) != SIGTRAP || (st >> 16) || inject_ours(j))
			break;
		inject_hold_trap(j);
	}
	if (WSTOPSIG(st) != SIGTRAP) {
		log_debug("pid %d: unexpected stop %#x in syscall %ld", j->pid, st, nr);
		return -EPROTO;
	}
	rc = arch_get_regs(j->pid, &r);
	if (rc)
		return rc;
	*ret = arch_syscall_ret(&r);
	return 0;
}

/* Copy into the scratch area. */
uint64_t inject_put(struct inject *j, size_t off, const void *buf, size_t len)
{
	if (off < INJECT_SCRATCH || off + len > INJECT_PAGE_LEN)
		return 0;
	uint64_t addr = j->page + off;
	if (pwrite(j->memfd, buf, len, (off_t)addr) != (ssize_t)len)
		return 0;
	return addr;
}

/* Read tracee memory. */
int inject_get(struct inject *j, uint64_t addr, void *buf, size_t len)
{
	ssize_t r = pread(j->memfd, buf, len, (off_t)addr);
	if (r < 0)
		return -errno;
	return r == (ssize_t)len ? 0 : -EIO;
}

void inject_pin(struct inject_pin *p, pid_t pid)
{
	p->on = 0;
	p->pid = pid;
	int cpu = sched_getcpu();
	if (cpu < 0 || sched_getaffinity(0, sizeof(p->self), &p->self) ||
	    sched_getaffinity(pid, sizeof(p->other), &p->other))
		return;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return;
	if (sched_setaffinity(pid, sizeof(one), &one)) {
		sched_setaffinity(0, sizeof(p->self), &p->self);
		return;
	}
	p->on = 1;
}

void inject_unpin(struct inject_pin *p)
{
	if (!p->on)
		return;
	sched_setaffinity(p->pid, sizeof(p->other), &p->other);
	sched_setaffinity(0, sizeof(p->self), &p->self);
	p->on = 0;
}

/* Run one call at the trampoline's syscall instruction, stopping at its
 * syscall exit (no int3, so no SIGTRAP of ours). 0 or negative. */
static int inject_call_quiet(struct inject *j, long *ret, long nr, long a1, long a2, long a3,
			     long a4)
{
	long a[6] = {a1, a2, a3, a4, 0, 0};
	return inject_bootstrap(j, j->page, ret, nr, a);
}

/* Every signal blocked (so what is queued now stays pending): the held
 * signals queued again, an ignored SIGTRAP ignored again. */
static int inject_settle_signals(struct inject *j, struct err *e)
{
	uint64_t all = ~0ull, scratch = j->page + INJECT_SCRATCH;
	long ret = 0;
	int rc = 0;
	if (!j->nheld && !j->trap_ignored)
		return 0;
	if (ptrace(PTRACE_SETSIGMASK, j->pid, sizeof(all), &all))
		return err_set(e, -errno, "pid %d: block signals", j->pid);
	for (int i = 0; !rc && i < j->nheld; i++) {
		uint64_t a = inject_put(j, INJECT_SCRATCH, &j->held[i], sizeof(j->held[i]));
		rc = inject_call_quiet(j, &ret, SYS_rt_tgsigqueueinfo, j->pid, j->pid,
				       j->held[i].si_signo, (long)a);
		if (!rc && ret)
			rc = err_set(e, (int)ret, "pid %d: queue signal %d again", j->pid,
				     j->held[i].si_signo);
	}
	j->nheld = 0;
	if (!rc && j->trap_ignored) {
		uint64_t act[4]; /* handler, flags, restorer, mask */
		rc = inject_call_quiet(j, &ret, SYS_rt_sigaction, SIGTRAP, 0, (long)scratch, 8);
		if (!rc && !ret && !(rc = inject_get(j, scratch, act, sizeof(act)))) {
			act[0] = (uint64_t)(uintptr_t)SIG_IGN;
			inject_put(j, INJECT_SCRATCH, act, sizeof(act));
			rc = inject_call_quiet(j, &ret, SYS_rt_sigaction, SIGTRAP, (long)scratch, 0,
					       8);
		}
		if (rc || ret)
			rc = err_set(e, rc ? rc : (int)ret, "pid %d: ignore SIGTRAP again", j->pid);
	}
	return rc;
}

/* Unmap our page through a syscall instruction elsewhere, then restore. */
int inject_end(struct inject *j, int restore, struct err *e)
{
	int rc = j->page && j->memfd >= 0 ? inject_settle_signals(j, e) : 0;
	if (j->own_page) {
		uint64_t insn = inject_find_syscall(j->pid, j->memfd, j->page);
		long ret = -1;
		long a[6] = {(long)j->page, INJECT_PAGE_LEN, 0, 0, 0, 0};
		int urc = 0;
		if (!insn)
			urc = err_setx(rc ? NULL : e, -ENOEXEC,
				       "pid %d: no syscall instruction to unmap with", j->pid);
		else if ((urc = inject_bootstrap(j, insn, &ret, SYS_munmap, a)) || ret)
			urc = err_set(rc ? NULL : e, urc ? urc : (int)ret,
				      "pid %d: unmap injection page", j->pid);
		rc = rc ? rc : urc;
		j->own_page = 0;
	}
	if (restore && !rc) {
		arch_fixup_restart_live(&j->saved);
		if ((rc = arch_set_regs(j->pid, &j->saved)))
			err_set(e, rc, "pid %d: restore registers", j->pid);
		else if (ptrace(PTRACE_SETSIGMASK, j->pid, sizeof(uint64_t), &j->saved_mask))
			rc = err_set(e, -errno, "pid %d: restore signal mask", j->pid);
	}
	if (j->held_stop)
		kill(j->pid, j->held_stop);
	if (j->memfd >= 0)
		close(j->memfd);
	j->memfd = -1;
	return rc;
}
