/* forward.c: the system-call table of migrated processes, and moving a
 * call's arguments from the body to the deputy and its results back. */
#include "remote/forward.h"
#include "arch/arch.h"
#include "engine/procfs.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum { K_VAL, K_STR, K_IN, K_OUT, K_INOUT };

/* How one argument travels. len_arg < 0: fixed size; lenptr: len_arg points
 * to an int holding the length; retmul: copy back ret * retmul bytes. */
struct fwd_arg {
	uint8_t kind;
	int8_t len_arg;
	uint8_t mul, retmul, lenptr;
	uint16_t size;
};

struct fwd_desc {
	int nr;
	struct fwd_arg a[6];
};

// clang-format off
#define V { K_VAL, -1, 0, 0, 0, 0 }
#define S { K_STR, -1, 0, 0, 0, 0 }
#define IN(i) { K_IN, i, 1, 0, 0, 0 }
#define INF(n) { K_IN, -1, 1, 0, 0, n }
#define OUTR(i) { K_OUT, i, 1, 1, 0, 0 }
#define OUTRM(i, m) { K_OUT, i, m, m, 0, 0 }
#define OUTF(n) { K_OUT, -1, 1, 0, 0, n }
#define OUTP(i) { K_OUT, i, 1, 0, 1, 0 }
#define IOF(n) { K_INOUT, -1, 1, 0, 0, n }
#define IOM(i, m) { K_INOUT, i, m, 0, 0, 0 }

/* Calls forwarded to the deputy, with their argument descriptors. */
static const struct fwd_desc fwd_table[] = {
	{ SYS_read, { V, OUTR(2), V } },
	{ SYS_write, { V, IN(2), V } },
	{ SYS_open, { S, V, V } },
	{ SYS_close, { V } },
	{ SYS_stat, { S, OUTF(144) } },
	{ SYS_fstat, { V, OUTF(144) } },
	{ SYS_lstat, { S, OUTF(144) } },
	{ SYS_poll, { IOM(1, 8), V, V } },
	{ SYS_lseek, { V, V, V } },
	{ SYS_pread64, { V, OUTR(2), V, V } },
	{ SYS_pwrite64, { V, IN(2), V, V } },
	{ SYS_access, { S, V } },
	{ SYS_pipe, { OUTF(8) } },
	{ SYS_pipe2, { OUTF(8), V } },
	{ SYS_select, { V, IOF(128), IOF(128), IOF(128), IOF(16) } },
	{ SYS_dup, { V } },
	{ SYS_dup2, { V, V } },
	{ SYS_dup3, { V, V, V } },
	{ SYS_getpid, { V } },
	{ SYS_socket, { V, V, V } },
	{ SYS_connect, { V, IN(2), V } },
	{ SYS_accept, { V, OUTP(2), IOF(4) } },
	{ SYS_accept4, { V, OUTP(2), IOF(4), V } },
	{ SYS_sendto, { V, IN(2), V, V, IN(5), V } },
	{ SYS_recvfrom, { V, OUTR(2), V, V, OUTP(5), IOF(4) } },
	{ SYS_shutdown, { V, V } },
	{ SYS_bind, { V, IN(2), V } },
	{ SYS_listen, { V, V } },
	{ SYS_getsockname, { V, OUTP(2), IOF(4) } },
	{ SYS_getpeername, { V, OUTP(2), IOF(4) } },
	{ SYS_socketpair, { V, V, V, OUTF(8) } },
	{ SYS_setsockopt, { V, V, V, IN(4), V } },
	{ SYS_getsockopt, { V, V, V, OUTP(4), IOF(4) } },
	{ SYS_wait4, { V, OUTF(4), V, OUTF(144) } },
	{ SYS_kill, { V, V } },
	{ SYS_uname, { OUTF(390) } },
	{ SYS_fcntl, { V, V, V } },
	{ SYS_flock, { V, V } },
	{ SYS_fsync, { V } },
	{ SYS_fdatasync, { V } },
	{ SYS_truncate, { S, V } },
	{ SYS_ftruncate, { V, V } },
	{ SYS_getdents64, { V, OUTR(2), V } },
	{ SYS_getcwd, { OUTR(1), V } },
	{ SYS_chdir, { S } },
	{ SYS_fchdir, { V } },
	{ SYS_rename, { S, S } },
	{ SYS_mkdir, { S, V } },
	{ SYS_rmdir, { S } },
	{ SYS_creat, { S, V } },
	{ SYS_link, { S, S } },
	{ SYS_unlink, { S } },
	{ SYS_symlink, { S, S } },
	{ SYS_readlink, { S, OUTR(2), V } },
	{ SYS_chmod, { S, V } },
	{ SYS_fchmod, { V, V } },
	{ SYS_chown, { S, V, V } },
	{ SYS_fchown, { V, V, V } },
	{ SYS_lchown, { S, V, V } },
	{ SYS_umask, { V } },
	{ SYS_getrlimit, { V, OUTF(16) } },
	{ SYS_setrlimit, { V, INF(16) } },
	{ SYS_getrusage, { V, OUTF(144) } },
	{ SYS_sysinfo, { OUTF(112) } },
	{ SYS_times, { OUTF(32) } },
	{ SYS_getuid, { V } },
	{ SYS_getgid, { V } },
	{ SYS_geteuid, { V } },
	{ SYS_getegid, { V } },
	{ SYS_setpgid, { V, V } },
	{ SYS_getppid, { V } },
	{ SYS_getpgrp, { V } },
	{ SYS_setsid, { V } },
	{ SYS_getgroups, { V, OUTRM(0, 4) } },
	{ SYS_getpgid, { V } },
	{ SYS_getsid, { V } },
	{ SYS_gettid, { V } },
	{ SYS_tkill, { V, V } },
	{ SYS_tgkill, { V, V, V } },
	{ SYS_waitid, { V, V, OUTF(128), V, OUTF(144) } },
	{ SYS_openat, { V, S, V, V } },
	{ SYS_mkdirat, { V, S, V } },
	{ SYS_fchownat, { V, S, V, V, V } },
	{ SYS_newfstatat, { V, S, OUTF(144), V } },
	{ SYS_unlinkat, { V, S, V } },
	{ SYS_renameat, { V, S, V, S } },
	{ SYS_renameat2, { V, S, V, S, V } },
	{ SYS_linkat, { V, S, V, S, V } },
	{ SYS_symlinkat, { S, V, S } },
	{ SYS_readlinkat, { V, S, OUTR(3), V } },
	{ SYS_fchmodat, { V, S, V } },
	{ SYS_faccessat, { V, S, V } },
	{ SYS_faccessat2, { V, S, V, V } },
	{ SYS_statx, { V, S, V, V, OUTF(256) } },
	{ SYS_ppoll, { IOM(1, 8), V, INF(16), IN(4), V } },
	{ SYS_epoll_create, { V } },
	{ SYS_epoll_create1, { V } },
	{ SYS_epoll_ctl, { V, V, V, INF(12) } },
	{ SYS_epoll_wait, { V, OUTRM(2, 12), V, V } },
	{ SYS_eventfd2, { V, V } },
	{ SYS_prlimit64, { V, V, INF(16), OUTF(16) } },
	{ SYS_sendfile, { V, V, IOF(8), V } },
	{ SYS_sync, { V } },
	{ SYS_pselect6, { V, IOF(128), IOF(128), IOF(128), IOF(16), V } },
	{ SYS_ioctl, { V, V, V } },
	{ SYS_setuid, { V } },
	{ SYS_setgid, { V } },
	{ SYS_setreuid, { V, V } },
	{ SYS_setregid, { V, V } },
	{ SYS_setresuid, { V, V, V } },
	{ SYS_setresgid, { V, V, V } },
};

/* Calls a body runs itself. */
static const int fwd_local[] = {
	SYS_brk,	   SYS_munmap,	       SYS_mprotect,	    SYS_mremap,
	SYS_madvise,	   SYS_rt_sigaction,   SYS_rt_sigprocmask,  SYS_rt_sigreturn,
	SYS_rt_sigpending, SYS_rt_sigsuspend,  SYS_rt_sigtimedwait, SYS_sigaltstack,
	SYS_pause,	   SYS_nanosleep,      SYS_clock_nanosleep, SYS_clock_gettime,
	SYS_clock_getres,  SYS_gettimeofday,   SYS_time,	    SYS_getitimer,
	SYS_setitimer,	   SYS_alarm,	       SYS_futex,	    SYS_sched_yield,
	SYS_getrandom,	   SYS_exit,	       SYS_exit_group,	    SYS_set_tid_address,
	SYS_set_robust_list, SYS_get_robust_list, SYS_rseq,	    SYS_arch_prctl,
	SYS_restart_syscall, SYS_sched_getaffinity, SYS_getcpu,	    SYS_membarrier,
	SYS_mlock,	   SYS_munlock,	       SYS_msync,
};

/* ioctl requests that carry a fixed-size struct: request, direction, size. */
static const struct {
	unsigned long req;
	uint8_t kind;
	uint16_t size;
} fwd_ioctls[] = {
	{ 0x5401, K_OUT, 36 }, /* TCGETS */
	{ 0x5402, K_IN, 36 },  /* TCSETS */
	{ 0x5403, K_IN, 36 },  /* TCSETSW */
	{ 0x5404, K_IN, 36 },  /* TCSETSF */
	{ 0x540f, K_OUT, 4 },  /* TIOCGPGRP */
	{ 0x5410, K_IN, 4 },   /* TIOCSPGRP */
	{ 0x5413, K_OUT, 8 },  /* TIOCGWINSZ */
	{ 0x5414, K_IN, 8 },   /* TIOCSWINSZ */
	{ 0x541b, K_OUT, 4 },  /* FIONREAD */
	{ 0x5421, K_IN, 4 },   /* FIONBIO */
	{ 0x5450, K_VAL, 0 },  /* FIONCLEX */
	{ 0x5451, K_VAL, 0 },  /* FIOCLEX */
	{ 0x5429, K_OUT, 4 },  /* TIOCGSID */
};

// clang-format on

/* Find a forwarded call's descriptor. */
static const struct fwd_desc *fwd_find(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(fwd_table); i++)
		if (fwd_table[i].nr == nr)
			return &fwd_table[i];
	return NULL;
}

/* Is nr run by the body itself? */
static int fwd_is_local(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(fwd_local); i++)
		if (fwd_local[i] == nr)
			return 1;
	return 0;
}

/* The ioctl entry for a request, or NULL. */
static int fwd_ioctl_index(unsigned long req)
{
	for (size_t i = 0; i < ARRAY_SIZE(fwd_ioctls); i++)
		if (fwd_ioctls[i].req == (req & 0xffffffffu))
			return (int)i;
	return -1;
}

/* fcntl commands whose argument is a value or a struct flock. */
static int fwd_fcntl_ok(long cmd)
{
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD || cmd == F_SETFD ||
	       cmd == F_GETFL || cmd == F_SETFL || cmd == F_GETLK || cmd == F_SETLK ||
	       cmd == F_SETLKW || cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
}

/* Classify one call. */
enum fwd_action fwd_classify(long nr, const long args[6])
{
	if (fwd_is_local(nr))
		return FWD_LOCAL;
	if (nr == SYS_mmap)
		return args[3] & MAP_ANONYMOUS ? FWD_LOCAL : FWD_HOME;
	if (nr == SYS_readv || nr == SYS_writev || nr == SYS_preadv || nr == SYS_pwritev)
		return FWD_FORWARD;
	if (nr == SYS_ioctl)
		return fwd_ioctl_index((unsigned long)args[1]) >= 0 ? FWD_FORWARD : FWD_HOME;
	if (nr == SYS_fcntl)
		return fwd_fcntl_ok(args[1]) ? FWD_FORWARD : FWD_HOME;
	if (nr == SYS_pselect6 && args[5])
		return FWD_HOME; /* a signal mask to apply at home: simpler there */
	return fwd_find(nr) ? FWD_FORWARD : FWD_HOME;
}

/* Name for messages: the call's own ("openat"; a file mmap says so), or its
 * number for one the build's headers did not know. */
const char *fwd_name(long nr, char *buf, size_t len)
{
	const char *name = nr == SYS_mmap ? "mmap of a file" : arch_syscall_name(nr);
	if (name)
		return name;
	snprintf(buf, len, "syscall %ld", nr);
	return buf;
}

/* Emit the seccomp program. */
size_t fwd_filter(void *out, size_t cap)
{
	struct sock_filter *f = out;
	size_t n = 0, nl = ARRAY_SIZE(fwd_local);
	if (cap < nl + 12)
		return 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < nl; i++) /* to ALLOW: (nl + 5) - (i + 1) ahead */
		f[n++] = (struct sock_filter)BPF_JUMP(
		    BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fwd_local[i], (uint8_t)(nl - i + 4), 0);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, args[3]));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

/* Request and reply layouts. */
struct fwd_req_hdr {
	int32_t nr, nbuf;
	int64_t args[6];
};
struct fwd_req_buf {
	int32_t arg;
	uint32_t inlen, outcap, retmul;
};
struct fwd_rep_hdr {
	int64_t ret;
	int32_t nbuf, pad;
};
struct fwd_rep_buf {
	int32_t arg;
	uint32_t len;
};

/* Make room for n more bytes; returns where they go (len is not moved). */
static uint8_t *fwd_reserve(struct fwd_buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = xrealloc(b->p, b->cap);
	}
	return b->p + b->len;
}

/* Append bytes to a buffer. */
static void fwd_put(struct fwd_buf *b, const void *p, size_t n)
{
	uint8_t *at = fwd_reserve(b, n);
	if (n)
		memcpy(at, p, n);
	b->len += n;
}

/* Free a buffer. */
void fwd_buf_free(struct fwd_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Read n bytes of body memory into the buffer. */
static int fwd_peek(pid_t pid, uint64_t addr, size_t n, struct fwd_buf *b)
{
	struct iovec lo = {fwd_reserve(b, n), n}, ro = {(void *)addr, n};
	if (n && process_vm_readv(pid, &lo, 1, &ro, 1, 0) != (ssize_t)n)
		return -EFAULT;
	b->len += n;
	return 0;
}

/* Length of a NUL-terminated string in the body (with the NUL), read page by page. */
static long fwd_strlen(pid_t pid, uint64_t addr)
{
	char page[4096] = ""; /* (filled by process_vm_readv; cppcheck cannot see it) */
	size_t total = 0;
	while (total < 4096) {
		size_t n = 4096 - ((addr + total) & 4095);
		struct iovec lo = {page, n}, ro = {(void *)(addr + total), n};
		if (process_vm_readv(pid, &lo, 1, &ro, 1, 0) != (ssize_t)n)
			return -EFAULT;
		char *z = memchr(page, 0, n);
		if (z)
			return (long)(total + (size_t)(z - page) + 1);
		total += n;
	}
	return -ENAMETOOLONG;
}

/* Capacity of a length-described buffer argument. */
static long fwd_len(pid_t pid, const struct fwd_arg *d, const long args[6])
{
	if (d->len_arg < 0)
		return d->size;
	if (!d->lenptr)
		return args[d->len_arg] * (d->mul ? d->mul : 1);
	int32_t v = 0;
	struct iovec lo = {&v, 4}, ro = {(void *)args[d->len_arg], 4};
	if (!args[d->len_arg] || process_vm_readv(pid, &lo, 1, &ro, 1, 0) != 4)
		return -EFAULT;
	return v;
}

/* Describe one pointer argument into the request. */
static int fwd_marshal_arg(pid_t body, int i, const struct fwd_arg *d, const long args[6],
			   struct fwd_buf *req)
{
	long len = d->kind == K_STR ? fwd_strlen(body, (uint64_t)args[i]) : fwd_len(body, d, args);
	if (len < 0)
		return (int)len;
	if ((unsigned long)len > FWD_SCRATCH_LEN / 2)
		len = FWD_SCRATCH_LEN / 2; /* callers see a short read or write */
	struct fwd_req_buf rb = {i, 0, 0, d->retmul};
	rb.inlen = d->kind == K_STR || d->kind == K_IN || d->kind == K_INOUT ? (uint32_t)len : 0;
	rb.outcap = d->kind == K_OUT || d->kind == K_INOUT ? (uint32_t)len : 0;
	fwd_put(req, &rb, sizeof(rb));
	return fwd_peek(body, (uint64_t)args[i], rb.inlen, req);
}

/* The effective descriptor of a call (ioctl and fcntl depend on arguments). */
static struct fwd_desc fwd_effective(long nr, const long args[6])
{
	const struct fwd_desc *d = fwd_find(nr);
	struct fwd_desc eff = d ? *d : (struct fwd_desc){(int)nr, {V, V, V, V, V, V}};
	if (nr == SYS_ioctl) {
		int k = fwd_ioctl_index((unsigned long)args[1]);
		if (k >= 0 && fwd_ioctls[k].kind != K_VAL)
			eff.a[2] =
			    (struct fwd_arg){fwd_ioctls[k].kind, -1, 1, 0, 0, fwd_ioctls[k].size};
	}
	if (nr == SYS_fcntl && (args[1] == F_GETLK || args[1] == F_SETLK || args[1] == F_SETLKW ||
				args[1] >= F_OFD_GETLK))
		eff.a[2] = (struct fwd_arg)IOF(32);
	return eff;
}

/* readv/writev and friends travel as one read/write of the gathered bytes. */
static int fwd_marshal_vec(pid_t body, long nr, const long args[6], struct fwd_buf *req)
{
	long n = args[2];
	if (n < 0 || n > 1024)
		return -EINVAL;
	struct iovec iov[1024];
	struct iovec lo = {iov, (size_t)n * sizeof(struct iovec)},
		     ro = {(void *)args[1], lo.iov_len};
	if (n && process_vm_readv(body, &lo, 1, &ro, 1, 0) != (ssize_t)lo.iov_len)
		return -EFAULT;
	size_t total = 0;
	for (long i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total > FWD_SCRATCH_LEN / 2)
		total = FWD_SCRATCH_LEN / 2;
	int out = nr == SYS_readv || nr == SYS_preadv;
	struct fwd_req_hdr h = {out ? (nr == SYS_readv ? SYS_read : SYS_pread64)
				    : (nr == SYS_writev ? SYS_write : SYS_pwrite64),
				1,
				{args[0], 1, (long)total, args[3], 0, 0}};
	struct fwd_req_buf rb = {1, out ? 0 : (uint32_t)total, out ? (uint32_t)total : 0, 1};
	fwd_put(req, &h, sizeof(h));
	fwd_put(req, &rb, sizeof(rb));
	for (long i = 0, left = (long)total; !out && i < n && left > 0; i++) {
		size_t k = iov[i].iov_len < (size_t)left ? iov[i].iov_len : (size_t)left;
		if (fwd_peek(body, (uint64_t)iov[i].iov_base, k, req))
			return -EFAULT;
		left -= (long)k;
	}
	return 0;
}

/* Cap count arguments so their buffers fit the deputy's scratch area: the
 * call then does a short read or write, as the kernel may. */
static void fwd_cap_counts(const struct fwd_desc *d, long a[6])
{
	for (int i = 0; i < 6; i++) {
		const struct fwd_arg *x = &d->a[i];
		long mul = x->mul ? x->mul : 1, max = (long)(FWD_SCRATCH_LEN / 2) / mul;
		if (x->kind != K_VAL && x->len_arg >= 0 && !x->lenptr && a[x->len_arg] > max)
			a[x->len_arg] = max;
	}
}

/* Build a request. */
int fwd_marshal(pid_t body, long nr, const long args[6], struct fwd_buf *req, struct err *e)
{
	req->len = 0;
	if (nr == SYS_readv || nr == SYS_writev || nr == SYS_preadv || nr == SYS_pwritev) {
		int rc = fwd_marshal_vec(body, nr, args, req);
		return rc ? err_set(e, rc, "read the iovec of syscall %ld", nr) : 0;
	}
	struct fwd_desc d = fwd_effective(nr, args);
	long a[6];
	memcpy(a, args, sizeof(a));
	fwd_cap_counts(&d, a);
	struct fwd_req_hdr h = {(int32_t)nr, 0, {a[0], a[1], a[2], a[3], a[4], a[5]}};
	fwd_put(req, &h, sizeof(h));
	for (int i = 0; i < 6; i++) {
		if (d.a[i].kind == K_VAL || !a[i])
			continue;
		int rc = fwd_marshal_arg(body, i, &d.a[i], a, req);
		if (rc)
			return err_set(e, rc, "read argument %d of syscall %ld", i + 1, nr);
		((struct fwd_req_hdr *)req->p)->nbuf++;
	}
	return 0;
}

/* Is this request one a body may send (defence in depth: the deputy runs
 * only calls of the table, whatever the connection says)? */
static int fwd_allowed(long nr, const long args[6])
{
	return fwd_find(nr) && fwd_classify(nr, args) == FWD_FORWARD;
}

/* Lay the request's buffers out in the deputy's scratch area. Descriptors
 * sit after variable-length data: they are copied out, never dereferenced
 * in place (alignment). */
static int fwd_place(int memfd, uint64_t scratch, struct fwd_call *c)
{
	size_t at = sizeof(struct fwd_req_hdr), off = 0, len = c->req.len;
	const uint8_t *req = c->req.p;
	for (int i = 0; i < c->nbuf; i++) {
		struct fwd_req_buf b;
		if (at + sizeof(b) > len)
			return -EBADMSG;
		memcpy(&b, req + at, sizeof(b));
		size_t room = b.inlen > b.outcap ? b.inlen : b.outcap;
		memcpy(&c->bufs[i], &b, sizeof(b));
		at += sizeof(b);
		if (b.arg < 0 || b.arg > 5 || b.inlen > len - at || off + room > FWD_SCRATCH_LEN)
			return -EBADMSG;
		if (b.inlen &&
		    pwrite(memfd, req + at, b.inlen, (off_t)(scratch + off)) != (ssize_t)b.inlen)
			return -EIO;
		c->args[b.arg] = (long)(scratch + off);
		at += b.inlen;
		off += (room + 15) & ~(size_t)15;
	}
	return 0;
}

/* A buffer descriptor of the call. */
static const struct fwd_req_buf *fwd_bufdesc(const struct fwd_call *c, int i)
{
	return (const struct fwd_req_buf *)&c->bufs[i];
}

/* Never let a count argument exceed the buffer placed for it, whatever the
 * request says. */
static void fwd_clamp(struct fwd_call *c)
{
	const struct fwd_desc *d = fwd_find(c->nr);
	for (int i = 0; d && i < c->nbuf; i++) {
		const struct fwd_req_buf *b = fwd_bufdesc(c, i);
		const struct fwd_arg *x = &d->a[b->arg];
		if (x->len_arg < 0 || x->lenptr || x->kind == K_STR)
			continue;
		long mul = x->mul ? x->mul : 1;
		long room = (long)(b->inlen > b->outcap ? b->inlen : b->outcap);
		if (c->args[x->len_arg] > room / mul || c->args[x->len_arg] < 0)
			c->args[x->len_arg] = room / mul;
	}
}

/* Step 1: check and place a request. */
int fwd_begin(int memfd, uint64_t scratch, const uint8_t *req, size_t len, struct fwd_call *c,
	      struct err *e)
{
	struct fwd_req_hdr h;
	c->req.len = 0;
	c->refused = 0;
	if (len < sizeof(h))
		return err_setx(e, -EBADMSG, "short forwarded-call request");
	fwd_put(&c->req, req, len);
	memcpy(&h, req, sizeof(h));
	c->nr = h.nr;
	c->nbuf = h.nbuf;
	memcpy(c->args, h.args, sizeof(c->args));
	if (h.nbuf < 0 || h.nbuf > 6 || !fwd_allowed(h.nr, c->args)) {
		c->refused = 1;
		c->nbuf = 0;
		return 0;
	}
	int rc = fwd_place(memfd, scratch, c);
	if (rc)
		return err_setx(e, rc, "malformed request for syscall %d", h.nr);
	fwd_clamp(c);
	return 0;
}

/* Step 2: copy the output buffers back out of the deputy into the reply. */
int fwd_end(int memfd, struct fwd_call *c, long ret, struct fwd_buf *rep, struct err *e)
{
	struct fwd_rep_hdr rh = {c->refused ? -ENOSYS : ret, 0, 0};
	rep->len = 0;
	fwd_put(rep, &rh, sizeof(rh));
	for (int i = 0; i < c->nbuf && ret >= 0; i++) {
		const struct fwd_req_buf *b = fwd_bufdesc(c, i);
		if (!b->outcap)
			continue;
		uint64_t n = b->retmul ? (uint64_t)ret * b->retmul : b->outcap;
		struct fwd_rep_buf rb = {b->arg, (uint32_t)(n < b->outcap ? n : b->outcap)};
		fwd_put(rep, &rb, sizeof(rb));
		uint8_t *at = fwd_reserve(rep, rb.len);
		if (rb.len && pread(memfd, at, rb.len, (off_t)c->args[b->arg]) != (ssize_t)rb.len)
			return err_set(e, -EIO, "deputy: read results of syscall %ld", c->nr);
		rep->len += rb.len;
		((struct fwd_rep_hdr *)rep->p)->nbuf++;
	}
	return 0;
}

/* Scatter a readv/preadv result into the body's iovecs. */
static int fwd_scatter(pid_t body, const long args[6], const uint8_t *p, size_t n)
{
	struct iovec iov[1024], lo;
	long cnt = args[2] > 1024 ? 1024 : args[2];
	struct iovec li = {iov, (size_t)cnt * sizeof(struct iovec)},
		     ri = {(void *)args[1], li.iov_len};
	if (cnt > 0 && process_vm_readv(body, &li, 1, &ri, 1, 0) != (ssize_t)li.iov_len)
		return -EFAULT;
	for (long i = 0; i < cnt && n; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
		lo = (struct iovec){(void *)p, k};
		struct iovec ro = {iov[i].iov_base, k};
		if (k && process_vm_writev(body, &lo, 1, &ro, 1, 0) != (ssize_t)k)
			return -EFAULT;
		p += k;
		n -= k;
	}
	return 0;
}

/* Apply a reply to the body. */
int fwd_apply(pid_t body, long nr, const long args[6], const uint8_t *rep, size_t len, long *ret,
	      struct err *e)
{
	struct fwd_rep_hdr h;
	if (len < sizeof(h))
		return err_setx(e, -EBADMSG, "short forwarded-call reply");
	memcpy(&h, rep, sizeof(h));
	*ret = h.ret;
	size_t at = sizeof(h);
	int vec = nr == SYS_readv || nr == SYS_preadv;
	for (int i = 0; i < h.nbuf; i++) {
		struct fwd_rep_buf b;
		if (at + sizeof(b) > len)
			return err_setx(e, -EBADMSG, "truncated forwarded-call reply");
		memcpy(&b, rep + at, sizeof(b));
		at += sizeof(b);
		if (b.arg < 0 || b.arg > 5 || b.len > len - at)
			return err_setx(e, -EBADMSG, "malformed forwarded-call reply");
		int rc = 0;
		if (vec) {
			rc = fwd_scatter(body, args, rep + at, b.len);
		} else if (b.len) {
			struct iovec lo = {(void *)(rep + at), b.len},
				     ro = {(void *)args[b.arg], b.len};
			if (process_vm_writev(body, &lo, 1, &ro, 1, 0) != (ssize_t)b.len)
				rc = -EFAULT;
		}
		if (rc)
			*ret = -EFAULT; /* the body passed a bad pointer: as the kernel would say */
		at += b.len;
	}
	return 0;
}

/* ---- The deputy's fast path ---------------------------------------------- */

#define FWD_FAST_FD_NONE (-2) /* cached: not a regular file, not for the fast path */

void fwd_fast_init(struct fwd_fast *f)
{
	memset(f, 0, sizeof(*f));
	f->pidfd = -1;
}

void fwd_fast_forget(struct fwd_fast *f)
{
	for (int i = 0; i < f->nfds; i++)
		if (f->fds[i].lfd >= 0)
			close(f->fds[i].lfd);
	f->nfds = 0;
}

void fwd_fast_free(struct fwd_fast *f)
{
	fwd_fast_forget(f);
	if (f->pidfd >= 0)
		close(f->pidfd);
	f->pidfd = -1;
	free(f->out);
	f->out = NULL;
}

/* Our duplicate of the deputy's fd when it is a regular file, or -1. */
static int fwd_fast_fd(struct fwd_fast *f, pid_t dep, long fd)
{
	for (int i = 0; i < f->nfds; i++)
		if (f->fds[i].fd == fd)
			return f->fds[i].lfd;
	if (fd < 0 || fd > INT32_MAX || f->nfds == (int)ARRAY_SIZE(f->fds))
		return -1;
	if (f->pidfd < 0 && (f->pidfd = (int)syscall(SYS_pidfd_open, dep, 0)) < 0)
		return -1;
	int lfd = (int)syscall(SYS_pidfd_getfd, f->pidfd, (int)fd, 0);
	struct stat st;
	if (lfd >= 0 && (fstat(lfd, &st) || !S_ISREG(st.st_mode))) {
		close(lfd);
		lfd = FWD_FAST_FD_NONE;
	}
	if (lfd == -1)
		return -1;  /* (closed in the deputy: the slow path says EBADF) */
	if (f->nfds == 0) { /* a write past the deputy's file size limit must be its */
		struct rlimit rl;
		f->fsize_ok =
		    !prlimit(dep, RLIMIT_FSIZE, NULL, &rl) && rl.rlim_cur == RLIM_INFINITY;
	}
	f->fds[f->nfds].fd = (int)fd;
	f->fds[f->nfds++].lfd = lfd;
	return lfd;
}

/* An identity the deputy would answer: from /proc, without stopping it. */
static int fwd_fast_identity(pid_t dep, long nr, long *ret)
{
	if (nr == SYS_getpid || nr == SYS_gettid) {
		*ret = dep;
		return 1;
	}
	struct proc_stat st;
	if (nr == SYS_getppid && !procfs_stat(dep, &st)) {
		*ret = st.ppid;
		return 1;
	}
	return 0;
}

/* Calls that run on a duplicate of a regular file's descriptor exactly as in
 * the deputy (the same open file: offset, flags, data), and whether they
 * write (a file size limit of the deputy's then keeps them slow). */
static int fwd_fast_fdcall(long nr, const long a[6], int *writes)
{
	*writes = nr == SYS_write || nr == SYS_pwrite64 || nr == SYS_ftruncate;
	switch (nr) {
	case SYS_read:
	case SYS_write:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_lseek:
	case SYS_fstat:
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_ftruncate:
		return 1;
	case SYS_newfstatat: /* fstat as glibc makes it: ("", AT_EMPTY_PATH) */
		return (a[3] & AT_EMPTY_PATH) && a[1];
	default:
		return 0;
	}
}

int fwd_fast_try(struct fwd_fast *f, pid_t dep, const uint8_t *req, size_t len, struct fwd_buf *rep)
{
	struct fwd_req_hdr h;
	long a[6], ret = 0;
	if (len < sizeof(h))
		return 0;
	memcpy(&h, req, sizeof(h));
	memcpy(a, h.args, sizeof(a));
	if (h.nbuf < 0 || h.nbuf > 6 || !fwd_allowed(h.nr, a))
		return 0;
	int writes = 0, handled = fwd_fast_identity(dep, h.nr, &ret);
	struct fwd_req_buf bufs[6];
	if (!handled) {
		if (!fwd_fast_fdcall(h.nr, a, &writes))
			return 0;
		int lfd = fwd_fast_fd(f, dep, a[0]);
		if (lfd < 0 || (writes && !f->fsize_ok))
			return 0;
		if (!f->out)
			f->out = xmalloc(FWD_SCRATCH_LEN / 2);
		/* the body's pointers mean nothing here: unless replaced, NULL
		 * (lseek's and ftruncate's second arguments are numbers) */
		if (h.nr != SYS_lseek && h.nr != SYS_ftruncate && h.nr != SYS_fsync &&
		    h.nr != SYS_fdatasync)
			a[1] = 0;
		if (h.nr == SYS_newfstatat)
			a[2] = 0;
		/* pointer arguments: inputs in place in the request, outputs here */
		size_t at = sizeof(h);
		for (int i = 0; i < h.nbuf; i++) {
			if (at + sizeof(bufs[i]) > len)
				return 0;
			memcpy(&bufs[i], req + at, sizeof(bufs[i]));
			at += sizeof(bufs[i]);
			struct fwd_req_buf *b = &bufs[i];
			if (b->arg < 0 || b->arg > 5 || b->inlen > len - at ||
			    b->outcap > FWD_SCRATCH_LEN / 2 || (b->inlen && b->outcap))
				return 0;
			if (b->inlen) {
				if (h.nr == SYS_newfstatat && req[at] != '\0')
					return 0; /* a path, not fstat: slow path */
				a[b->arg] = (long)(req + at);
			} else if (b->outcap) {
				a[b->arg] = (long)f->out;
			}
			at += b->inlen;
		}
		a[0] = lfd;
		ret = syscall(h.nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (ret < 0)
			ret = -errno;
	}
	struct fwd_rep_hdr rh = {ret, 0, 0};
	rep->len = 0;
	fwd_put(rep, &rh, sizeof(rh));
	for (int i = 0; !(handled) && i < h.nbuf && ret >= 0; i++) {
		const struct fwd_req_buf *b = &bufs[i];
		if (!b->outcap)
			continue;
		uint64_t n = b->retmul ? (uint64_t)ret * b->retmul : b->outcap;
		struct fwd_rep_buf rb = {b->arg, (uint32_t)(n < b->outcap ? n : b->outcap)};
		fwd_put(rep, &rb, sizeof(rb));
		fwd_put(rep, f->out, rb.len);
		((struct fwd_rep_hdr *)rep->p)->nbuf++;
	}
	return 1;
}
