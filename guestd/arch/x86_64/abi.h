/* abi.h: x86-64 numbers and struct sizes that forwarded system calls need
 * (included by arch/arch.h): the seccomp audit arch, and how many bytes the
 * kernel reads or writes for each struct a call takes by pointer. */
#ifndef GUESTD_ARCH_X86_64_ABI_H
#define GUESTD_ARCH_X86_64_ABI_H

#define ARCH_AUDIT 0xc000003eu /* AUDIT_ARCH_X86_64: seccomp_data.arch of our calls */

/* Calls newer than some build systems' headers. */
#define ARCH_NR_FCHMODAT2 452

#define ARCH_SZ_STAT 144	  /* struct stat */
#define ARCH_SZ_STATFS 120	  /* struct statfs */
#define ARCH_SZ_STATX 256	  /* struct statx */
#define ARCH_SZ_UTSNAME 390	  /* struct new_utsname */
#define ARCH_SZ_RUSAGE 144	  /* struct rusage */
#define ARCH_SZ_SYSINFO 112	  /* struct sysinfo */
#define ARCH_SZ_TMS 32		  /* struct tms */
#define ARCH_SZ_SIGINFO 128	  /* siginfo_t */
#define ARCH_SZ_SIGSET 8	  /* the kernel's sigset_t */
#define ARCH_SZ_RLIMIT 16	  /* struct rlimit */
#define ARCH_SZ_TIMESPEC 16	  /* struct timespec */
#define ARCH_SZ_TIMEVAL 16	  /* struct timeval */
#define ARCH_SZ_ITIMERSPEC 32	  /* struct itimerspec */
#define ARCH_SZ_UTIMBUF 16	  /* struct utimbuf */
#define ARCH_SZ_FDSET 128	  /* fd_set */
#define ARCH_SZ_POLLFD 8	  /* struct pollfd */
#define ARCH_SZ_EPOLL_EVENT 12	  /* struct epoll_event (packed on x86-64) */
#define ARCH_SZ_FLOCK 32	  /* struct flock */
#define ARCH_SZ_MSGHDR 56	  /* struct msghdr */
#define ARCH_SZ_IOVEC 16	  /* struct iovec */
#define ARCH_SZ_CAP_HEADER 8	  /* struct __user_cap_header_struct */
#define ARCH_SZ_CAP_DATA 24	  /* struct __user_cap_data_struct[2] (version 3) */
#define ARCH_SZ_SCHED_PARAM 4	  /* struct sched_param */
#define ARCH_SZ_OPEN_HOW 24	  /* struct open_how (openat2's size argument says) */
#define ARCH_SZ_CLONE_ARGS_MIN 64 /* struct clone_args, CLONE_ARGS_SIZE_VER0 */

#endif
