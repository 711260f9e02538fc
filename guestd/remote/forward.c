/* forward.c: the system-call table of migrated processes, and moving a
 * call's arguments from the body to the deputy and its results back. */
#include "remote/forward.h"
#include "arch/arch.h"
#include "engine/procfs.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

/* Calls forwarded to the deputy, with their argument descriptors (struct
 * sizes from the architecture: arch/x86_64/abi.h). */
static const struct fwd_desc fwd_table[] = {
	{ SYS_read, { V, OUTR(2), V } },
	{ SYS_write, { V, IN(2), V } },
	{ SYS_open, { S, V, V } },
	{ SYS_close, { V } },
	{ SYS_stat, { S, OUTF(ARCH_SZ_STAT) } },
	{ SYS_fstat, { V, OUTF(ARCH_SZ_STAT) } },
	{ SYS_lstat, { S, OUTF(ARCH_SZ_STAT) } },
	{ SYS_poll, { IOM(1, ARCH_SZ_POLLFD), V, V } },
	{ SYS_lseek, { V, V, V } },
	{ SYS_pread64, { V, OUTR(2), V, V } },
	{ SYS_pwrite64, { V, IN(2), V, V } },
	{ SYS_access, { S, V } },
	{ SYS_pipe, { OUTF(8) } },
	{ SYS_pipe2, { OUTF(8), V } },
	{ SYS_select, { V, IOF(ARCH_SZ_FDSET), IOF(ARCH_SZ_FDSET), IOF(ARCH_SZ_FDSET),
			IOF(ARCH_SZ_TIMEVAL) } },
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
	{ SYS_sendmsg, { V, V, V } },	/* the msghdr travels by fwd_marshal_msg */
	{ SYS_recvmsg, { V, V, V } },
	{ SYS_shutdown, { V, V } },
	{ SYS_bind, { V, IN(2), V } },
	{ SYS_listen, { V, V } },
	{ SYS_getsockname, { V, OUTP(2), IOF(4) } },
	{ SYS_getpeername, { V, OUTP(2), IOF(4) } },
	{ SYS_socketpair, { V, V, V, OUTF(8) } },
	{ SYS_setsockopt, { V, V, V, IN(4), V } },
	{ SYS_getsockopt, { V, V, V, OUTP(4), IOF(4) } },
	{ SYS_wait4, { V, OUTF(4), V, OUTF(ARCH_SZ_RUSAGE) } },
	{ SYS_kill, { V, V } },
	{ SYS_uname, { OUTF(ARCH_SZ_UTSNAME) } },
	{ SYS_fcntl, { V, V, V } },
	{ SYS_flock, { V, V } },
	{ SYS_fsync, { V } },
	{ SYS_fdatasync, { V } },
	{ SYS_truncate, { S, V } },
	{ SYS_ftruncate, { V, V } },
	{ SYS_getdents, { V, OUTR(2), V } },
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
	{ SYS_getrlimit, { V, OUTF(ARCH_SZ_RLIMIT) } },
	{ SYS_setrlimit, { V, INF(ARCH_SZ_RLIMIT) } },
	{ SYS_getrusage, { V, OUTF(ARCH_SZ_RUSAGE) } },
	{ SYS_sysinfo, { OUTF(ARCH_SZ_SYSINFO) } },
	{ SYS_times, { OUTF(ARCH_SZ_TMS) } },
	{ SYS_getuid, { V } },
	{ SYS_getgid, { V } },
	{ SYS_geteuid, { V } },
	{ SYS_getegid, { V } },
	{ SYS_setpgid, { V, V } },
	{ SYS_getppid, { V } },
	{ SYS_getpgrp, { V } },
	{ SYS_setsid, { V } },
	{ SYS_getgroups, { V, OUTRM(0, 4) } },
	{ SYS_getresuid, { OUTF(4), OUTF(4), OUTF(4) } },
	{ SYS_getresgid, { OUTF(4), OUTF(4), OUTF(4) } },
	{ SYS_getpgid, { V } },
	{ SYS_getsid, { V } },
	{ SYS_capget, { IOF(ARCH_SZ_CAP_HEADER), OUTF(ARCH_SZ_CAP_DATA) } },
	{ SYS_gettid, { V } },
	{ SYS_tkill, { V, V } },
	{ SYS_tgkill, { V, V, V } },
	{ SYS_rt_sigqueueinfo, { V, V, INF(ARCH_SZ_SIGINFO) } },
	{ SYS_rt_tgsigqueueinfo, { V, V, V, INF(ARCH_SZ_SIGINFO) } },
	{ SYS_waitid, { V, V, OUTF(ARCH_SZ_SIGINFO), V, OUTF(ARCH_SZ_RUSAGE) } },
	{ SYS_openat, { V, S, V, V } },
	{ SYS_openat2, { V, S, IN(3), V } },
	{ SYS_mkdirat, { V, S, V } },
	{ SYS_mknod, { S, V, V } },
	{ SYS_mknodat, { V, S, V, V } },
	{ SYS_fchownat, { V, S, V, V, V } },
	{ SYS_newfstatat, { V, S, OUTF(ARCH_SZ_STAT), V } },
	{ SYS_unlinkat, { V, S, V } },
	{ SYS_renameat, { V, S, V, S } },
	{ SYS_renameat2, { V, S, V, S, V } },
	{ SYS_linkat, { V, S, V, S, V } },
	{ SYS_symlinkat, { S, V, S } },
	{ SYS_readlinkat, { V, S, OUTR(3), V } },
	{ SYS_fchmodat, { V, S, V } },
	{ ARCH_NR_FCHMODAT2, { V, S, V, V } },
	{ SYS_faccessat, { V, S, V } },
	{ SYS_faccessat2, { V, S, V, V } },
	{ SYS_statx, { V, S, V, V, OUTF(ARCH_SZ_STATX) } },
	{ SYS_statfs, { S, OUTF(ARCH_SZ_STATFS) } },
	{ SYS_fstatfs, { V, OUTF(ARCH_SZ_STATFS) } },
	{ SYS_utime, { S, INF(ARCH_SZ_UTIMBUF) } },
	{ SYS_utimes, { S, INF(2 * ARCH_SZ_TIMEVAL) } },
	{ SYS_futimesat, { V, S, INF(2 * ARCH_SZ_TIMEVAL) } },
	{ SYS_utimensat, { V, S, INF(2 * ARCH_SZ_TIMESPEC), V } },
	{ SYS_getxattr, { S, S, OUTR(3), V } },
	{ SYS_lgetxattr, { S, S, OUTR(3), V } },
	{ SYS_fgetxattr, { V, S, OUTR(3), V } },
	{ SYS_setxattr, { S, S, IN(3), V, V } },
	{ SYS_lsetxattr, { S, S, IN(3), V, V } },
	{ SYS_fsetxattr, { V, S, IN(3), V, V } },
	{ SYS_listxattr, { S, OUTR(2), V } },
	{ SYS_llistxattr, { S, OUTR(2), V } },
	{ SYS_flistxattr, { V, OUTR(2), V } },
	{ SYS_removexattr, { S, S } },
	{ SYS_lremovexattr, { S, S } },
	{ SYS_fremovexattr, { V, S } },
	{ SYS_fadvise64, { V, V, V, V } },
	{ SYS_readahead, { V, V, V } },
	{ SYS_fallocate, { V, V, V, V } },
	{ SYS_sync_file_range, { V, V, V, V } },
	{ SYS_syncfs, { V } },
	{ SYS_copy_file_range, { V, IOF(8), V, IOF(8), V, V } },
	{ SYS_sendfile, { V, V, IOF(8), V } },
	{ SYS_splice, { V, IOF(8), V, IOF(8), V, V } },
	{ SYS_tee, { V, V, V, V } },
	{ SYS_close_range, { V, V, V } },
	{ SYS_ppoll, { IOM(1, ARCH_SZ_POLLFD), V, INF(ARCH_SZ_TIMESPEC), IN(4), V } },
	{ SYS_epoll_create, { V } },
	{ SYS_epoll_create1, { V } },
	{ SYS_epoll_ctl, { V, V, V, INF(ARCH_SZ_EPOLL_EVENT) } },
	{ SYS_epoll_wait, { V, OUTRM(2, ARCH_SZ_EPOLL_EVENT), V, V } },
	{ SYS_epoll_pwait, { V, OUTRM(2, ARCH_SZ_EPOLL_EVENT), V, V, V, V } },
	{ SYS_eventfd, { V } },
	{ SYS_eventfd2, { V, V } },
	{ SYS_timerfd_create, { V, V } },
	{ SYS_timerfd_settime, { V, V, INF(ARCH_SZ_ITIMERSPEC), OUTF(ARCH_SZ_ITIMERSPEC) } },
	{ SYS_timerfd_gettime, { V, OUTF(ARCH_SZ_ITIMERSPEC) } },
	{ SYS_inotify_init, { V } },
	{ SYS_inotify_init1, { V } },
	{ SYS_inotify_add_watch, { V, S, V } },
	{ SYS_inotify_rm_watch, { V, V } },
	{ SYS_pidfd_open, { V, V } },
	{ SYS_pidfd_send_signal, { V, V, INF(ARCH_SZ_SIGINFO), V } },
	{ SYS_prlimit64, { V, V, INF(ARCH_SZ_RLIMIT), OUTF(ARCH_SZ_RLIMIT) } },
	{ SYS_sync, { V } },
	{ SYS_pselect6, { V, IOF(ARCH_SZ_FDSET), IOF(ARCH_SZ_FDSET), IOF(ARCH_SZ_FDSET),
			  IOF(ARCH_SZ_TIMESPEC), V } },
	{ SYS_ioctl, { V, V, V } },
	{ SYS_prctl, { V, V, V, V, V } },
	{ SYS_setpriority, { V, V, V } },
	{ SYS_getpriority, { V, V } },
	{ SYS_sched_setscheduler, { V, V, INF(ARCH_SZ_SCHED_PARAM) } },
	{ SYS_sched_getscheduler, { V } },
	{ SYS_sched_setparam, { V, INF(ARCH_SZ_SCHED_PARAM) } },
	{ SYS_sched_getparam, { V, OUTF(ARCH_SZ_SCHED_PARAM) } },
	{ SYS_sched_rr_get_interval, { V, OUTF(ARCH_SZ_TIMESPEC) } },
	{ SYS_setuid, { V } },
	{ SYS_setgid, { V } },
	{ SYS_setreuid, { V, V } },
	{ SYS_setregid, { V, V } },
	{ SYS_setresuid, { V, V, V } },
	{ SYS_setresgid, { V, V, V } },
	{ SYS_setfsuid, { V } },
	{ SYS_setfsgid, { V } },
};

/* Calls a body runs itself: they touch only its own memory, signal state,
 * clocks and scheduling (the seccomp filter lets them through untraced). */
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
	SYS_mlock,	   SYS_munlock,	       SYS_msync,	    SYS_mlock2,
	SYS_mlockall,	   SYS_munlockall,     SYS_mincore,	    SYS_sched_get_priority_max,
	SYS_sched_get_priority_min,
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

/* fcntl commands whose argument is a value or a struct flock. */
static int fwd_fcntl_ok(long cmd)
{
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD || cmd == F_SETFD ||
	       cmd == F_GETFL || cmd == F_SETFL || cmd == F_GETLK || cmd == F_SETLK ||
	       cmd == F_SETLKW || cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ||
	       cmd == F_GETPIPE_SZ || cmd == F_SETPIPE_SZ || cmd == F_GET_SEALS ||
	       cmd == F_ADD_SEALS || cmd == F_GETLEASE || cmd == F_GETOWN || cmd == F_GETSIG;
}

/* prctl by option: the process's name is kept both at home (ps, /proc)
 * and here; what concerns its memory, timers and own thread runs here; the
 * process's identity, credentials and place in the process tree are home's
 * (PR_SET_DUMPABLE too: a deputy that cannot be dumped cannot be served). */
static enum fwd_action fwd_prctl(long opt)
{
	switch (opt) {
	case PR_SET_NAME:
		return FWD_BOTH;
	case PR_GET_NAME:
	case PR_SET_VMA:
	case PR_GET_THP_DISABLE:
	case PR_SET_THP_DISABLE:
	case PR_GET_TIMERSLACK:
	case PR_SET_TIMERSLACK:
	case PR_GET_TID_ADDRESS:
		return FWD_LOCAL;
	case PR_GET_PDEATHSIG:
	case PR_SET_PDEATHSIG:
	case PR_GET_DUMPABLE:
	case PR_GET_SECCOMP:
	case PR_CAPBSET_READ:
	case PR_GET_NO_NEW_PRIVS:
	case PR_SET_NO_NEW_PRIVS:
	case PR_GET_CHILD_SUBREAPER:
	case PR_SET_CHILD_SUBREAPER:
	case PR_GET_KEEPCAPS:
	case PR_SET_KEEPCAPS:
	case PR_GET_SECUREBITS:
	case PR_CAP_AMBIENT:
		return FWD_FORWARD;
	default:
		return FWD_HOME;
	}
}

/* Calls whose arguments decide; -1 for the others. The process's nice
 * value and scheduling policy are kept at home (a move does not carry
 * them): read there, and set there and in the body, which is what runs
 * (another process's: at home). CPU numbers are the node's own. A signal
 * mask to apply during a wait is simpler at home. */
static int fwd_by_args(long nr, const long args[6])
{
	switch (nr) {
	case SYS_mmap:
		return args[3] & MAP_ANONYMOUS ? FWD_LOCAL : FWD_HOME;
	case SYS_readv:
	case SYS_writev:
	case SYS_preadv:
	case SYS_pwritev:
		return FWD_FORWARD;
	case SYS_ioctl:
		return arch_ioctl_find((unsigned long)args[1]) ? FWD_FORWARD : FWD_HOME;
	case SYS_fcntl:
		return fwd_fcntl_ok(args[1]) ? FWD_FORWARD : FWD_HOME;
	case SYS_prctl:
		return fwd_prctl(args[0]);
	case SYS_pselect6:
	case SYS_epoll_pwait:
		return args[nr == SYS_pselect6 ? 5 : 4] ? FWD_HOME : FWD_FORWARD;
	case SYS_sched_setscheduler:
	case SYS_sched_setparam:
		return args[0] == 0 ? FWD_BOTH : FWD_FORWARD;
	case SYS_sched_setaffinity:
	case SYS_sched_setattr:
	case SYS_sched_getattr:
		return args[0] == 0 ? FWD_LOCAL : FWD_HOME;
	case SYS_setpriority:
		return args[0] == PRIO_PROCESS && args[1] == 0 ? FWD_BOTH : FWD_FORWARD;
	default:
		return -1;
	}
}

/* Classify one call. */
enum fwd_action fwd_classify(long nr, const long args[6])
{
	if (fwd_is_local(nr))
		return FWD_LOCAL;
	int a = fwd_by_args(nr, args);
	if (a >= 0)
		return (enum fwd_action)a;
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

/* The call with the argument that decided, as counters and messages name
 * it: "fadvise64", "ioctl:0x5412", "prctl:15", "fcntl:1033". */
const char *fwd_call_name(long nr, const long args[6], char *buf, size_t len)
{
	char nb[32];
	const char *name = fwd_name(nr, nb, sizeof(nb));
	if (nr == SYS_ioctl)
		snprintf(buf, len, "%s:%#lx", name, (unsigned long)args[1] & 0xffffffffu);
	else if (nr == SYS_fcntl || nr == SYS_prctl)
		snprintf(buf, len, "%s:%ld", name, args[nr == SYS_fcntl ? 1 : 0]);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

/* The reason a body gives for going home to run a call. */
const char *fwd_home_why(long nr, const long args[6], char *buf, size_t len)
{
	char call[64];
	snprintf(buf, len, "it called %s, which runs only at home",
		 fwd_call_name(nr, args, call, sizeof(call)));
	return buf;
}

/* The call named in such a reason. */
int fwd_home_call(const char *why, char *call, size_t len)
{
	const char *at = strncmp(why, "it called ", 10) ? NULL : why + 10;
	const char *end = at ? strstr(at, ", which runs only at home") : NULL;
	if (!end || end == at || (size_t)(end - at) >= len)
		return 0;
	snprintf(call, len, "%.*s", (int)(end - at), at);
	return 1;
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
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_AUDIT, 1, 0);
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
void fwd_put(struct fwd_buf *b, const void *p, size_t n)
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
	static const uint8_t kinds[] = {[ARCH_IO_VAL] = K_VAL,
					[ARCH_IO_IN] = K_IN,
					[ARCH_IO_OUT] = K_OUT,
					[ARCH_IO_INOUT] = K_INOUT};
	const struct arch_ioctl *io =
	    nr == SYS_ioctl ? arch_ioctl_find((unsigned long)args[1]) : NULL;
	if (io && io->dir != ARCH_IO_VAL)
		eff.a[2] = (struct fwd_arg){kinds[io->dir], -1, 1, 0, 0, (uint16_t)io->size};
	if (nr == SYS_prctl && args[0] == PR_SET_NAME)
		eff.a[1] = (struct fwd_arg)S;
	if (nr == SYS_prctl && (args[0] == PR_GET_PDEATHSIG || args[0] == PR_GET_CHILD_SUBREAPER))
		eff.a[1] = (struct fwd_arg)OUTF(4);
	if (nr == SYS_fcntl &&
	    (args[1] == F_GETLK || args[1] == F_SETLK || args[1] == F_SETLKW ||
	     args[1] == F_OFD_GETLK || args[1] == F_OFD_SETLK || args[1] == F_OFD_SETLKW))
		eff.a[2] = (struct fwd_arg)IOF(ARCH_SZ_FLOCK);
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

/* sendmsg and recvmsg: the msghdr's parts travel after the header (no
 * buffer descriptors): struct fwd_msg, then for sendmsg the address, the
 * gathered data and the control data. The reply to recvmsg carries the same
 * with what the kernel wrote. Control data passes as it is: descriptors in
 * SCM_RIGHTS are the deputy's, as all the process's descriptors are. */
struct fwd_msg {
	uint32_t namelen, datalen, ctrllen, flags;
};
#define FWD_MSG_NAME_MAX 128u
#define FWD_MSG_CTRL_MAX 65536u
#define FWD_MSG_NAME_AT 128u /* where the parts sit in the deputy's scratch */
#define FWD_MSG_CTRL_AT 256u
#define FWD_MSG_DATA_AT (FWD_MSG_CTRL_AT + FWD_MSG_CTRL_MAX)

static int fwd_is_msg(long nr)
{
	return nr == SYS_sendmsg || nr == SYS_recvmsg;
}

/* Read a body's msghdr and its iovec array (up to 1024 entries). */
static int fwd_read_msghdr(pid_t body, long addr, struct msghdr *m, struct iovec *iov)
{
	struct iovec lo = {m, sizeof(*m)}, ro = {(void *)addr, sizeof(*m)};
	if (process_vm_readv(body, &lo, 1, &ro, 1, 0) != (ssize_t)sizeof(*m))
		return -EFAULT;
	if (m->msg_iovlen > 1024)
		return -EMSGSIZE;
	lo = (struct iovec){iov, m->msg_iovlen * sizeof(*iov)};
	ro = (struct iovec){m->msg_iov, lo.iov_len};
	if (lo.iov_len && process_vm_readv(body, &lo, 1, &ro, 1, 0) != (ssize_t)lo.iov_len)
		return -EFAULT;
	return 0;
}

static int fwd_marshal_msg(pid_t body, long nr, const long args[6], struct fwd_buf *req)
{
	struct msghdr m = {0};
	struct iovec iov[1024];
	int rc = fwd_read_msghdr(body, args[1], &m, iov);
	if (rc)
		return rc;
	size_t total = 0, room = FWD_SCRATCH_LEN - FWD_MSG_DATA_AT;
	for (size_t i = 0; i < m.msg_iovlen; i++)
		total += iov[i].iov_len;
	struct fwd_msg x = {
	    m.msg_name ? (m.msg_namelen < FWD_MSG_NAME_MAX ? m.msg_namelen : FWD_MSG_NAME_MAX) : 0,
	    (uint32_t)(total < room ? total : room),
	    m.msg_control ? (uint32_t)(m.msg_controllen < FWD_MSG_CTRL_MAX ? m.msg_controllen
									   : FWD_MSG_CTRL_MAX)
			  : 0,
	    0};
	struct fwd_req_hdr h = {(int32_t)nr, 0, {args[0], 0, args[2], 0, 0, 0}};
	fwd_put(req, &h, sizeof(h));
	fwd_put(req, &x, sizeof(x));
	if (nr == SYS_recvmsg)
		return 0;
	if (fwd_peek(body, (uint64_t)m.msg_name, x.namelen, req))
		return -EFAULT;
	for (size_t i = 0, left = x.datalen; i < m.msg_iovlen && left > 0; i++) {
		size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
		if (fwd_peek(body, (uint64_t)iov[i].iov_base, k, req))
			return -EFAULT;
		left -= k;
	}
	return fwd_peek(body, (uint64_t)m.msg_control, x.ctrllen, req);
}

/* The body's own /proc files: an open of /proc/self/maps (or smaps,
 * smaps_rollup, statm, numa_maps; of thread-self too) for reading would
 * show the deputy's memory at home, which is stripped: the body reads its
 * own here and sends the text, and home opens a file that holds it. The
 * request says so by FWD_NBUF_PROCFILE buffers, then a uint32 length and
 * the text. */
#define FWD_NBUF_PROCFILE 7
#define FWD_PROCFILE_MAX (1u << 20)

static const char *fwd_proc_own(const char *path)
{
	static const char *const files[] = {"maps", "smaps", "smaps_rollup", "statm", "numa_maps"};
	const char *f = !strncmp(path, "/proc/self/", 11)	   ? path + 11
			: !strncmp(path, "/proc/thread-self/", 18) ? path + 18
								   : NULL;
	for (size_t i = 0; f && i < ARRAY_SIZE(files); i++)
		if (!strcmp(f, files[i]))
			return files[i];
	return NULL;
}

/* 1 with the request built when nr opens one of the body's own /proc files. */
static int fwd_marshal_procfile(pid_t body, long nr, const long args[6], struct fwd_buf *req)
{
	int at = nr == SYS_openat;
	char path[32] = "";
	if ((nr != SYS_open && nr != SYS_openat) || (args[at + 1] & O_ACCMODE) != O_RDONLY)
		return 0;
	struct iovec lo = {path, sizeof(path) - 1}, ro = {(void *)args[at], sizeof(path) - 1};
	if (process_vm_readv(body, &lo, 1, &ro, 1, 0) <= 0) /* (a short read: a page's end) */
		return 0;
	const char *file = fwd_proc_own(path);
	char *text = NULL;
	char rel[64];
	snprintf(rel, sizeof(rel), "%s", file ? file : "");
	ssize_t n = file ? procfs_read(body, rel, &text) : -1;
	if (n < 0 || (size_t)n > FWD_PROCFILE_MAX) {
		free(text);
		return 0;
	}
	struct fwd_req_hdr h = {
	    (int32_t)nr, FWD_NBUF_PROCFILE, {args[0], args[1], args[2], args[3], args[4], args[5]}};
	uint32_t len = (uint32_t)n;
	fwd_put(req, &h, sizeof(h));
	fwd_put(req, &len, sizeof(len));
	fwd_put(req, text, len);
	free(text);
	return 1;
}

/* Home side: the text into a file of home's, opened instead of the path. */
static int fwd_place_procfile(int memfd, uint64_t scratch, struct fwd_call *c)
{
	size_t at = sizeof(struct fwd_req_hdr);
	uint32_t n;
	if (c->req.len < at + sizeof(n))
		return -EBADMSG;
	memcpy(&n, c->req.p + at, sizeof(n));
	if (n > FWD_PROCFILE_MAX || c->req.len - at - sizeof(n) != n)
		return -EBADMSG;
	const char *dir = getenv("TMPDIR");
	snprintf(c->tmp, sizeof(c->tmp), "%s/mosix-proc.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(c->tmp);
	if (fd < 0 || write(fd, c->req.p + at + sizeof(n), n) != (ssize_t)n) {
		int rc = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(c->tmp);
		}
		c->tmp[0] = '\0';
		return rc ? rc : -EIO;
	}
	close(fd);
	size_t plen = strlen(c->tmp) + 1;
	if (pwrite(memfd, c->tmp, plen, (off_t)scratch) != (ssize_t)plen)
		return -EIO;
	c->args[c->nr == SYS_openat] = (long)scratch;
	c->nbuf = 0;
	return 0;
}

/* Build a request. */
int fwd_marshal(pid_t body, long nr, const long args[6], struct fwd_buf *req, struct err *e)
{
	req->len = 0;
	if (nr == SYS_readv || nr == SYS_writev || nr == SYS_preadv || nr == SYS_pwritev) {
		int rc = fwd_marshal_vec(body, nr, args, req);
		return rc ? err_set(e, rc, "read the iovec of syscall %ld", nr) : 0;
	}
	if (fwd_is_msg(nr)) {
		int rc = fwd_marshal_msg(body, nr, args, req);
		return rc ? err_set(e, rc, "read the msghdr of syscall %ld", nr) : 0;
	}
	if (fwd_marshal_procfile(body, nr, args, req))
		return 0;
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
	enum fwd_action a = fwd_classify(nr, args);
	return fwd_find(nr) && (a == FWD_FORWARD || a == FWD_BOTH);
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

/* Lay a sendmsg or recvmsg out in scratch: a msghdr with one iovec, the
 * address, the control data, the data. */
static int fwd_place_msg(int memfd, uint64_t scratch, struct fwd_call *c)
{
	struct fwd_msg x;
	size_t at = sizeof(struct fwd_req_hdr), len = c->req.len;
	if (len < at + sizeof(x))
		return -EBADMSG;
	memcpy(&x, c->req.p + at, sizeof(x));
	at += sizeof(x);
	size_t in = c->nr == SYS_sendmsg ? (size_t)x.namelen + x.datalen + x.ctrllen : 0;
	if (x.namelen > FWD_MSG_NAME_MAX || x.ctrllen > FWD_MSG_CTRL_MAX ||
	    x.datalen > FWD_SCRATCH_LEN - FWD_MSG_DATA_AT || len - at != in)
		return -EBADMSG;
	struct iovec iov = {(void *)(scratch + FWD_MSG_DATA_AT), x.datalen};
	struct msghdr m = {x.namelen ? (void *)(scratch + FWD_MSG_NAME_AT) : NULL,
			   x.namelen,
			   (void *)(scratch + sizeof(m) + 8),
			   1,
			   x.ctrllen ? (void *)(scratch + FWD_MSG_CTRL_AT) : NULL,
			   x.ctrllen,
			   0};
	const uint8_t *p = c->req.p + at;
	if (pwrite(memfd, &m, sizeof(m), (off_t)scratch) != (ssize_t)sizeof(m) ||
	    pwrite(memfd, &iov, sizeof(iov), (off_t)(scratch + sizeof(m) + 8)) != sizeof(iov))
		return -EIO;
	if (in &&
	    (pwrite(memfd, p, x.namelen, (off_t)(scratch + FWD_MSG_NAME_AT)) < 0 ||
	     pwrite(memfd, p + x.namelen, x.datalen, (off_t)(scratch + FWD_MSG_DATA_AT)) < 0 ||
	     pwrite(memfd, p + x.namelen + x.datalen, x.ctrllen,
		    (off_t)(scratch + FWD_MSG_CTRL_AT)) < 0))
		return -EIO;
	c->args[1] = (long)scratch;
	c->msg[0] = x.namelen;
	c->msg[1] = x.datalen;
	c->msg[2] = x.ctrllen;
	return 0;
}

/* The reply to recvmsg: what the kernel wrote into the msghdr, the address,
 * the data, the control data. */
static int fwd_end_msg(int memfd, uint64_t scratch, struct fwd_call *c, long ret,
		       struct fwd_buf *rep)
{
	struct msghdr m = {0};
	if (pread(memfd, &m, sizeof(m), (off_t)scratch) != (ssize_t)sizeof(m))
		return -EIO;
	struct fwd_msg x = {(uint32_t)m.msg_namelen, (uint32_t)ret, (uint32_t)m.msg_controllen,
			    (uint32_t)m.msg_flags};
	uint32_t nl = x.namelen < c->msg[0] ? x.namelen : c->msg[0];
	uint32_t cl = x.ctrllen < c->msg[2] ? x.ctrllen : c->msg[2];
	if (x.datalen > c->msg[1])
		return -EIO;
	fwd_put(rep, &x, sizeof(x));
	uint8_t *at = fwd_reserve(rep, (size_t)nl + x.datalen + cl);
	if (pread(memfd, at, nl, (off_t)(scratch + FWD_MSG_NAME_AT)) != (ssize_t)nl ||
	    pread(memfd, at + nl, x.datalen, (off_t)(scratch + FWD_MSG_DATA_AT)) !=
		(ssize_t)x.datalen ||
	    pread(memfd, at + nl + x.datalen, cl, (off_t)(scratch + FWD_MSG_CTRL_AT)) !=
		(ssize_t)cl)
		return -EIO;
	rep->len += (size_t)nl + x.datalen + cl;
	return 0;
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
	if (h.nbuf == FWD_NBUF_PROCFILE && fwd_allowed(h.nr, c->args) &&
	    (h.nr == SYS_open || h.nr == SYS_openat)) {
		int rc = fwd_place_procfile(memfd, scratch, c);
		return rc ? err_setx(e, rc, "malformed /proc request for syscall %d", h.nr) : 0;
	}
	if (h.nbuf < 0 || h.nbuf > 6 || !fwd_allowed(h.nr, c->args)) {
		c->refused = 1;
		c->nbuf = 0;
		return 0;
	}
	int rc = fwd_is_msg(h.nr) ? fwd_place_msg(memfd, scratch, c) : fwd_place(memfd, scratch, c);
	if (rc)
		return err_setx(e, rc, "malformed request for syscall %d", h.nr);
	fwd_clamp(c);
	return 0;
}

/* Step 2: copy the output buffers back out of the deputy into the reply. */
int fwd_end(int memfd, struct fwd_call *c, long ret, struct fwd_buf *rep, struct err *e)
{
	struct fwd_rep_hdr rh = {c->refused ? -ENOSYS : ret, 0, 0};
	if (c->tmp[0]) { /* opened (or not): the file goes, the open one stays */
		unlink(c->tmp);
		c->tmp[0] = '\0';
	}
	rep->len = 0;
	fwd_put(rep, &rh, sizeof(rh));
	if (!c->refused && c->nr == SYS_recvmsg && ret >= 0 &&
	    fwd_end_msg(memfd, (uint64_t)c->args[1], c, ret, rep))
		return err_set(e, -EIO, "deputy: read results of recvmsg");
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

/* Scatter n bytes into cnt iovecs of the body. */
static int fwd_scatter_iov(pid_t body, const struct iovec *iov, long cnt, const uint8_t *p,
			   size_t n)
{
	struct iovec lo;
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

/* Scatter a readv/preadv result into the body's iovecs. */
static int fwd_scatter(pid_t body, const long args[6], const uint8_t *p, size_t n)
{
	struct iovec iov[1024];
	long cnt = args[2] > 1024 ? 1024 : args[2];
	struct iovec li = {iov, (size_t)cnt * sizeof(struct iovec)},
		     ri = {(void *)args[1], li.iov_len};
	if (cnt > 0 && process_vm_readv(body, &li, 1, &ri, 1, 0) != (ssize_t)li.iov_len)
		return -EFAULT;
	return fwd_scatter_iov(body, iov, cnt, p, n);
}

/* Apply a recvmsg reply: address, data, control data, and the msghdr's
 * lengths and flags, as the kernel writes them. */
static int fwd_apply_msg(pid_t body, const long args[6], const uint8_t *p, size_t len)
{
	struct fwd_msg x;
	struct msghdr m = {0};
	struct iovec iov[1024];
	if (len < sizeof(x))
		return -EBADMSG;
	memcpy(&x, p, sizeof(x));
	p += sizeof(x);
	len -= sizeof(x);
	if (fwd_read_msghdr(body, args[1], &m, iov))
		return -EFAULT;
	uint32_t nl = x.namelen < m.msg_namelen ? x.namelen : m.msg_namelen;
	uint32_t cl = x.ctrllen < m.msg_controllen ? x.ctrllen : (uint32_t)m.msg_controllen;
	if (!m.msg_name)
		nl = 0;
	if (!m.msg_control)
		cl = 0;
	if ((size_t)nl + x.datalen + cl > len)
		return -EBADMSG;
	struct iovec lo = {(void *)p, nl}, ro = {m.msg_name, nl};
	if (nl && process_vm_writev(body, &lo, 1, &ro, 1, 0) != (ssize_t)nl)
		return -EFAULT;
	if (fwd_scatter_iov(body, iov, (long)m.msg_iovlen, p + nl, x.datalen))
		return -EFAULT;
	lo = (struct iovec){(void *)(p + nl + x.datalen), cl};
	ro = (struct iovec){m.msg_control, cl};
	if (cl && process_vm_writev(body, &lo, 1, &ro, 1, 0) != (ssize_t)cl)
		return -EFAULT;
	m.msg_namelen = x.namelen;
	m.msg_controllen = x.ctrllen;
	m.msg_flags = (int)x.flags;
	lo = (struct iovec){&m, sizeof(m)};
	ro = (struct iovec){(void *)args[1], sizeof(m)};
	return process_vm_writev(body, &lo, 1, &ro, 1, 0) == (ssize_t)sizeof(m) ? 0 : -EFAULT;
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
	if (nr == SYS_recvmsg && h.ret >= 0) {
		int rc = fwd_apply_msg(body, args, rep + at, len - at);
		if (rc == -EBADMSG)
			return err_setx(e, rc, "malformed recvmsg reply");
		if (rc)
			*ret = rc; /* a bad pointer of the body's: as the kernel would say */
		return 0;
	}
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
	case SYS_fadvise64: /* (advice and readahead are the open file's: shared by a dup) */
	case SYS_readahead:
	case SYS_fstatfs:
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
		    h.nr != SYS_fdatasync && h.nr != SYS_fadvise64 && h.nr != SYS_readahead)
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
