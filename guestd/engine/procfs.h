/* procfs.h: what /proc tells about a process. */
#ifndef GUESTD_PROCFS_H
#define GUESTD_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum vma_kind {
	VMA_ANON,
	VMA_FILE,
	VMA_HEAP,
	VMA_STACK,
	VMA_VDSO,
	VMA_VVAR,
	VMA_VVAR_VCLOCK,
	VMA_VSYSCALL,
	VMA_OTHER, /* deleted files, SysV shm, memfd, anything we cannot rebuild */
};

/* VmFlags of /proc/PID/smaps (procfs_vmflags), as bits. */
enum proc_vmf {
	PVF_DONTFORK = 1u << 0,	   /* dc */
	PVF_WIPEONFORK = 1u << 1,  /* wf */
	PVF_DONTDUMP = 1u << 2,	   /* dd */
	PVF_LOCKED = 1u << 3,	   /* lo */
	PVF_LOCKONFAULT = 1u << 4, /* lf */
	PVF_SEQ = 1u << 5,	   /* sr */
	PVF_RAND = 1u << 6,	   /* rr */
	PVF_NORESERVE = 1u << 7,   /* nr */
	PVF_HUGEPAGE = 1u << 8,	   /* hg */
	PVF_NOHUGEPAGE = 1u << 9,  /* nh */
	PVF_MERGEABLE = 1u << 10,  /* mg */
	PVF_IO = 1u << 11,	   /* io: device memory (VM_IO) */
	PVF_PFNMAP = 1u << 12,	   /* pf: raw page frames (VM_PFNMAP) */
	PVF_DONTEXPAND = 1u << 13, /* de: a driver's mapping */
	PVF_MIXEDMAP = 1u << 14,   /* mm */
	PVF_ACCOUNT = 1u << 15,	   /* ac: its memory is committed (private, once writable) */
	PVF_GUARD = 1u << 16,	   /* gu: it may hold guard pages (MADV_GUARD_INSTALL) */
	PVF_READ = 1u << 30,	   /* (the VmFlags line was read) */
};

/* One line of /proc/PID/maps. */
struct proc_vma {
	uint64_t start, end, pgoff, ino;
	uint32_t prot;	 /* PROT_* */
	uint32_t shared; /* 's' in the flags column */
	uint32_t dev;	 /* makedev(major, minor) */
	enum vma_kind kind;
	char *path;	  /* owned */
	uint32_t vmflags; /* PVF_*, after procfs_vmflags */
	int all;	  /* (for a dump) every page goes into the image */
};

/* Selected fields of /proc/PID/stat (mm layout). */
struct proc_stat {
	uint64_t start_code, end_code, start_stack, start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
	char state;
	pid_t ppid;
};

/* Selected fields of /proc/PID/status. */
struct proc_status {
	int threads;
	uid_t uid[4]; /* real, effective, saved, fs */
	gid_t gid[4];
	int seccomp;
	unsigned umask;
	pid_t tracer, ppid;
	uint64_t sigpnd, shdpnd, sigign, sigcgt; /* signal masks: pending (thread,
						   process), ignored, caught */
};

/* One open file descriptor. */
struct proc_fd {
	int fd;
	int fd_flags; /* FD_CLOEXEC */
	int flags;    /* open flags from fdinfo */
	uint64_t pos;
	uint32_t mode; /* st_mode of the target */
	uint64_t dev, ino, rdev;
	char *path;	  /* readlink of /proc/PID/fd/N, owned */
	int signalfd;	  /* a signalfd, of these signals: */
	uint64_t sigmask; /* (fdinfo "sigmask:") */
};

/* One POSIX timer as /proc/PID/timers shows it. */
struct proc_timer {
	int id, signo, clock;
	int notify;	/* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, or SIGEV_THREAD_ID */
	uint64_t value; /* sigev_value */
};

int procfs_maps(pid_t pid, struct proc_vma **out, size_t *n);
/* Fill vmflags of each VMA from /proc/PID/smaps (VMAs matched by start). */
int procfs_vmflags(pid_t pid, struct proc_vma *v, size_t n);
/* Does any process other than pid map the object dev:ino (e.g. the shmem
 * behind a MAP_SHARED|MAP_ANONYMOUS mapping)? 1 yes, 0 no, -errno when some
 * process's maps could not be read. */
int procfs_mapped_elsewhere(pid_t pid, uint32_t dev, uint64_t ino);
void procfs_free_maps(struct proc_vma *v, size_t n);
int procfs_stat(pid_t pid, struct proc_stat *st);
int procfs_status(pid_t pid, struct proc_status *st);
int procfs_fds(pid_t pid, struct proc_fd **out, size_t *n);
void procfs_free_fds(struct proc_fd *v, size_t n);
/* Number of POSIX timers (/proc/PID/timers entries). */
int procfs_timer_count(pid_t pid);
/* The POSIX timers of pid. 0 or -errno. */
int procfs_timers(pid_t pid, struct proc_timer **out, size_t *n);
/* Number of child processes. */
int procfs_child_count(pid_t pid);
/* Read a symlink under /proc/PID/ (exe, cwd) into a new string, or NULL. */
char *procfs_link(pid_t pid, const char *name);
/* Read a whole file under /proc/PID/ (auxv, comm). Length or -errno. */
ssize_t procfs_read(pid_t pid, const char *name, char **out);

#endif
