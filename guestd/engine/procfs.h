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

/* One line of /proc/PID/maps. */
struct proc_vma {
	uint64_t start, end, pgoff, ino;
	uint32_t prot;	 /* PROT_* */
	uint32_t shared; /* 's' in the flags column */
	uint32_t dev;	 /* makedev(major, minor) */
	enum vma_kind kind;
	char *path; /* owned */
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
	char *path; /* readlink of /proc/PID/fd/N, owned */
};

int procfs_maps(pid_t pid, struct proc_vma **out, size_t *n);
void procfs_free_maps(struct proc_vma *v, size_t n);
int procfs_stat(pid_t pid, struct proc_stat *st);
int procfs_status(pid_t pid, struct proc_status *st);
int procfs_fds(pid_t pid, struct proc_fd **out, size_t *n);
void procfs_free_fds(struct proc_fd *v, size_t n);
/* Number of POSIX timers (/proc/PID/timers entries). */
int procfs_timer_count(pid_t pid);
/* Number of child processes. */
int procfs_child_count(pid_t pid);
/* Read a symlink under /proc/PID/ (exe, cwd) into a new string, or NULL. */
char *procfs_link(pid_t pid, const char *name);
/* Read a whole file under /proc/PID/ (auxv, comm). Length or -errno. */
ssize_t procfs_read(pid_t pid, const char *name, char **out);

#endif
