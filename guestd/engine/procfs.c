/* procfs.c: parsers for /proc/PID files. */
#include "engine/procfs.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Classify a maps path. */
static enum vma_kind procfs_kind(const char *path)
{
	static const struct {
		const char *name;
		enum vma_kind kind;
	} special[] = {
	    {"[heap]", VMA_HEAP},
	    {"[stack]", VMA_STACK},
	    {"[vdso]", VMA_VDSO},
	    {"[vvar]", VMA_VVAR},
	    {"[vvar_vclock]", VMA_VVAR_VCLOCK},
	    {"[vsyscall]", VMA_VSYSCALL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(special); i++)
		if (!strcmp(path, special[i].name))
			return special[i].kind;
	if (!*path || !strncmp(path, "[anon:", 6))
		return VMA_ANON;
	if (path[0] == '/' && !strstr(path, " (deleted)") && strncmp(path, "/SYSV", 5))
		return VMA_FILE;
	return VMA_OTHER;
}

/* Parse one maps line. 0 or -EINVAL. */
static int procfs_parse_vma(char *line, struct proc_vma *m)
{
	unsigned long a, b, off, ino;
	unsigned maj, min;
	char perm[8];
	int pos = 0;
	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &a, &b, perm, &off, &maj, &min, &ino,
		   &pos) < 7)
		return -EINVAL;
	char *path = line + pos;
	path[strcspn(path, "\n")] = '\0';
	memset(m, 0, sizeof(*m));
	m->start = a;
	m->end = b;
	m->pgoff = off;
	m->ino = ino;
	m->dev = (uint32_t)makedev(maj, min);
	m->prot = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
		  (perm[2] == 'x' ? PROT_EXEC : 0);
	m->shared = perm[3] == 's';
	m->kind = procfs_kind(path);
	m->path = xstrdup(path);
	return 0;
}

/* Read /proc/PID/maps. */
int procfs_maps(pid_t pid, struct proc_vma **out, size_t *n)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/maps", pid);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	size_t cap = 64, len = 0;
	struct proc_vma *v = xmalloc(cap * sizeof(*v));
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof(line), f)) {
		if (len == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		if (procfs_parse_vma(line, &v[len]) == 0)
			len++;
	}
	*out = v;
	*n = len;
	return 0;
}

/* The PVF_ bit of a two-letter VmFlags mnemonic (0: one we do not keep). */
static uint32_t procfs_vmf_bit(const char *f)
{
	static const struct {
		char name[3];
		uint32_t bit;
	} map[] = {{"dc", PVF_DONTFORK},   {"wf", PVF_WIPEONFORK},  {"dd", PVF_DONTDUMP},
		   {"lo", PVF_LOCKED},	   {"lf", PVF_LOCKONFAULT}, {"sr", PVF_SEQ},
		   {"rr", PVF_RAND},	   {"nr", PVF_NORESERVE},   {"hg", PVF_HUGEPAGE},
		   {"nh", PVF_NOHUGEPAGE}, {"mg", PVF_MERGEABLE},   {"io", PVF_IO},
		   {"pf", PVF_PFNMAP},	   {"de", PVF_DONTEXPAND},  {"mm", PVF_MIXEDMAP},
		   {"ac", PVF_ACCOUNT},	   {"gu", PVF_GUARD}};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (f[0] == map[i].name[0] && f[1] == map[i].name[1])
			return map[i].bit;
	return 0;
}

/* Parse "VmFlags: rd wr mr ..." into PVF_ bits. */
static uint32_t procfs_parse_vmflags(const char *s)
{
	uint32_t bits = PVF_READ;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		size_t n = strcspn(s, " \t\n");
		if (n == 2)
			bits |= procfs_vmf_bit(s);
		s += n;
	}
	return bits;
}

/* Fill vmflags from /proc/PID/smaps: one pass, VMAs in the same order. */
int procfs_vmflags(pid_t pid, struct proc_vma *v, size_t n)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/smaps", pid);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	char line[PATH_MAX + 128];
	size_t i = 0;
	struct proc_vma *cur = NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (!strncmp(line, "VmFlags:", 8)) {
			if (cur)
				cur->vmflags = procfs_parse_vmflags(line + 8);
			cur = NULL;
			continue;
		}
		if (sscanf(line, "%lx-%lx ", &a, &b) != 2)
			continue;
		cur = NULL;
		while (i < n && v[i].start < a)
			i++;
		if (i < n && v[i].start == a)
			cur = &v[i];
	}
	return 0;
}

/* Does a process other than pid map dev:ino? */
int procfs_mapped_elsewhere(pid_t pid, uint32_t dev, uint64_t ino)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	struct dirent *de;
	int found = 0, unread = 0;
	while (!found && (de = readdir(d))) {
		long other;
		if (util_parse_long(de->d_name, 1, INT_MAX, &other) || other == pid)
			continue;
		struct proc_vma *v = NULL;
		size_t nv = 0;
		int rc = procfs_maps((pid_t)other, &v, &nv);
		/* A process whose maps we may not read is not a fork of ours
		 * (a fork keeps its user, and a traced one cannot gain another
		 * by exec): it cannot share our anonymous memory. */
		if (rc && rc != -ENOENT && rc != -ESRCH && rc != -EACCES && rc != -EPERM)
			unread = rc;
		for (size_t i = 0; !rc && i < nv && !found; i++)
			found = v[i].dev == dev && v[i].ino == ino;
		procfs_free_maps(v, nv);
	}
	closedir(d);
	return found ? 1 : unread;
}

/* Free a maps array. */
void procfs_free_maps(struct proc_vma *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

/* Read /proc/PID/stat mm fields. */
int procfs_stat(pid_t pid, struct proc_stat *st)
{
	char p[64], *buf = NULL;
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	ssize_t n = util_read_file(p, &buf);
	if (n < 0)
		return (int)n;
	char *s = strrchr(buf, ')');
	if (!s || s[1] != ' ') {
		free(buf);
		return -EINVAL;
	}
	uint64_t f[64] = {0};
	memset(st, 0, sizeof(*st));
	st->state = s[2];
	char *save = NULL;
	int i = 3; /* field numbers as in proc(5) */
	for (char *t = strtok_r(s + 2, " ", &save); t && i < 64; t = strtok_r(NULL, " ", &save))
		f[i++] = strtoull(t, NULL, 10);
	free(buf);
	if (i <= 51)
		return -EINVAL;
	st->ppid = (pid_t)f[4];
	st->start_code = f[26], st->end_code = f[27], st->start_stack = f[28];
	st->start_data = f[45], st->end_data = f[46], st->start_brk = f[47];
	st->arg_start = f[48], st->arg_end = f[49], st->env_start = f[50], st->env_end = f[51];
	return 0;
}

/* Read /proc/PID/status fields. */
int procfs_status(pid_t pid, struct proc_status *st)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	memset(st, 0, sizeof(*st));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Threads: %d", &st->threads);
		sscanf(line, "Uid: %u %u %u %u", &st->uid[0], &st->uid[1], &st->uid[2],
		       &st->uid[3]);
		sscanf(line, "Gid: %u %u %u %u", &st->gid[0], &st->gid[1], &st->gid[2],
		       &st->gid[3]);
		sscanf(line, "Seccomp: %d", &st->seccomp);
		sscanf(line, "Umask: %o", &st->umask);
		sscanf(line, "TracerPid: %d", &st->tracer);
		sscanf(line, "PPid: %d", &st->ppid);
		sscanf(line, "SigPnd: %" SCNx64, &st->sigpnd);
		sscanf(line, "ShdPnd: %" SCNx64, &st->shdpnd);
		sscanf(line, "SigIgn: %" SCNx64, &st->sigign);
		sscanf(line, "SigCgt: %" SCNx64, &st->sigcgt);
	}
	return 0;
}

/* Fill one fd entry from /proc/PID/fd/N and fdinfo/N. */
static int procfs_fd_one(pid_t pid, int fd, struct proc_fd *d)
{
	char p[96], target[PATH_MAX], *info = NULL;
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", pid, fd);
	ssize_t l = readlink(p, target, sizeof(target) - 1);
	if (l < 0)
		return -errno;
	target[l] = '\0';
	d->path = xstrdup(target);
	struct stat sb;
	if (stat(p, &sb) == 0) {
		d->mode = sb.st_mode;
		d->dev = sb.st_dev;
		d->ino = sb.st_ino;
		d->rdev = sb.st_rdev;
	}
	snprintf(p, sizeof(p), "/proc/%d/fdinfo/%d", pid, fd);
	if (util_read_file(p, &info) < 0)
		return 0;
	char *s;
	if ((s = strstr(info, "pos:")))
		d->pos = strtoull(s + 4, NULL, 10);
	if ((s = strstr(info, "flags:")))
		d->flags = (int)strtol(s + 6, NULL, 8);
	if (!strcmp(d->path, "anon_inode:[signalfd]") && (s = strstr(info, "sigmask:"))) {
		d->signalfd = 1;
		d->sigmask = strtoull(s + 8, NULL, 16);
	}
	d->fd_flags = d->flags & O_CLOEXEC ? FD_CLOEXEC : 0;
	d->flags &= ~O_CLOEXEC;
	free(info);
	return 0;
}

/* Comparator for fd numbers. */
static int procfs_fd_cmp(const void *a, const void *b)
{
	return ((const struct proc_fd *)a)->fd - ((const struct proc_fd *)b)->fd;
}

/* List open file descriptors, sorted. */
int procfs_fds(pid_t pid, struct proc_fd **out, size_t *n)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	if (!d)
		return -errno;
	size_t cap = 16, len = 0;
	struct proc_fd *v = xmalloc(cap * sizeof(*v));
	struct dirent *de;
	while ((de = readdir(d))) {
		long fd;
		if (util_parse_long(de->d_name, 0, INT_MAX, &fd))
			continue;
		if (len == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		if (procfs_fd_one(pid, (int)fd, &v[len]) == 0)
			len++;
	}
	closedir(d);
	qsort(v, len, sizeof(*v), procfs_fd_cmp);
	*out = v;
	*n = len;
	return 0;
}

/* Free an fd array. */
void procfs_free_fds(struct proc_fd *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

/* Count the "ID:" lines of /proc/PID/timers. */
int procfs_timer_count(pid_t pid)
{
	char *buf = NULL, p[64];
	snprintf(p, sizeof(p), "/proc/%d/timers", pid);
	if (util_read_file(p, &buf) < 0)
		return 0;
	int n = !strncmp(buf, "ID:", 3);
	for (char *s = buf; (s = strstr(s, "\nID:")); s += 4) /* (not "ClockID:") */
		n++;
	free(buf);
	return n;
}

/* Parse /proc/PID/timers: "ID:", "signal: SIG/VALUE", "notify: KIND/pid.N"
 * (or tid.N), "ClockID:" per timer. */
int procfs_timers(pid_t pid, struct proc_timer **out, size_t *n)
{
	char *buf = NULL, p[64];
	snprintf(p, sizeof(p), "/proc/%d/timers", pid);
	*out = NULL;
	*n = 0;
	ssize_t len = util_read_file(p, &buf);
	if (len < 0)
		return (int)len;
	size_t cap = 0, cnt = 0;
	struct proc_timer *v = NULL, *t = NULL;
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int id;
		char kind[16], who[8];
		unsigned long long val;
		if (sscanf(l, "ID: %d", &id) == 1) {
			if (cnt == cap)
				v = xrealloc(v, (cap = cap ? cap * 2 : 4) * sizeof(*v));
			t = &v[cnt++];
			memset(t, 0, sizeof(*t));
			t->id = id;
		} else if (t && sscanf(l, "signal: %d/%llx", &t->signo, &val) == 2) {
			t->value = val;
		} else if (t && sscanf(l, "notify: %15[a-z]/%7[a-z]", kind, who) == 2) {
			t->notify = !strcmp(kind, "none")     ? SIGEV_NONE
				    : !strcmp(kind, "thread") ? SIGEV_THREAD
							      : SIGEV_SIGNAL;
			if (!strcmp(who, "tid"))
				t->notify |= SIGEV_THREAD_ID;
		} else if (t) {
			sscanf(l, "ClockID: %d", &t->clock);
		}
	}
	free(buf);
	*out = v;
	*n = cnt;
	return 0;
}

/* Count children listed in /proc/PID/task/PID/children. */
int procfs_child_count(pid_t pid)
{
	char *buf = NULL, p[96];
	snprintf(p, sizeof(p), "/proc/%d/task/%d/children", pid, pid);
	if (util_read_file(p, &buf) < 0)
		return 0;
	int n = 0;
	for (char *s = strtok(buf, " \n"); s; s = strtok(NULL, " \n"))
		n++;
	free(buf);
	return n;
}

/* Read a symlink in /proc/PID. */
char *procfs_link(pid_t pid, const char *name)
{
	char p[96], target[PATH_MAX];
	snprintf(p, sizeof(p), "/proc/%d/%s", pid, name);
	ssize_t l = readlink(p, target, sizeof(target) - 1);
	if (l < 0)
		return NULL;
	target[l] = '\0';
	return xstrdup(target);
}

/* Read a file in /proc/PID. */
ssize_t procfs_read(pid_t pid, const char *name, char **out)
{
	char p[96];
	snprintf(p, sizeof(p), "/proc/%d/%s", pid, name);
	return util_read_file(p, out);
}
