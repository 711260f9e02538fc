/* calls: the system calls a migrated process forwards home or runs itself
 * give what they give at home, errors included (ENOENT, EBADF, EFAULT from a
 * bad pointer: the caller gets the error, nothing crashes). Each check
 * prints one line "name: result" (the same at home and away, so a harness
 * can compare the two runs) and the program fails if any result is not
 * what the kernel gives. Its files are made in a fresh directory of
 * $TMPDIR (or /tmp), removed at the end. With an argument, runs only the
 * checks whose name starts with it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <utime.h>

#include "progs.h"

#define NAME "calls"
static void *volatile bad = (void *)1; /* a pointer no process can use */
#define BAD (bad)
#define NR_fchmodat2 452 /* (newer than some C libraries' headers) */

static int fails;
static const char *only;

/* One check: print its line; count it when it is not what it should be. */
__attribute__((format(printf, 3, 4))) static void ck(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;
	printf("%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s\n", ok ? "" : "  <-- WRONG");
	fflush(stdout);
	fails += !ok;
}

/* (the condition first: the values printed are those it saw) */
#define CK(name, cond, ...)                                                                        \
	do {                                                                                       \
		int ok_ = (cond);                                                                  \
		ck(name, ok_, __VA_ARGS__);                                                        \
	} while (0)

/* A call's result as text: "0", "5", "-ENOENT"... */
static const char *res(long rc)
{
	static char buf[8][32];
	static int k;
	char *b = buf[k++ % 8];
	if (rc < 0)
		snprintf(b, 32, "-%s", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	else
		snprintf(b, 32, "%ld", rc);
	return b;
}

/* Is rc a failure with errno e? */
static int err(long rc, int e)
{
	return rc == -1 && errno == e;
}

static int want(const char *group)
{
	return !only || !strncmp(group, only, strlen(only));
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd))
		progs_fail(NAME, "make %s: %m", path);
}

static void check_fadvise(void)
{
	int fd = open("a", O_RDONLY);
	CK("fadvise64", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0, "ok");
	CK("fadvise64-ebadf", posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL) == EBADF, "EBADF");
	CK("readahead", syscall(SYS_readahead, fd, 0L, 4096L) == 0, "ok");
	close(fd);
}

static void check_statfs(void)
{
	struct statfs a, b;
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	long r1 = statfs(".", &a), r2 = fstatfs(fd, &b);
	CK("statfs", r1 == 0 && r2 == 0 && a.f_type == b.f_type && a.f_bsize == b.f_bsize,
	   "type %#lx bsize %ld namelen %ld", (long)a.f_type, (long)a.f_bsize, (long)a.f_namelen);
	int ffd = open("a", O_RDONLY);
	struct statfs c;
	CK("fstatfs-file", fstatfs(ffd, &c) == 0 && c.f_type == a.f_type && c.f_bsize == a.f_bsize,
	   "type %#lx", (long)c.f_type);
	CK("fstatfs-file-efault", err(fstatfs(ffd, BAD), EFAULT), "EFAULT");
	close(ffd);
	CK("statfs-enoent", err(statfs("nothing/here", &a), ENOENT), "ENOENT");
	CK("statfs-efault", err(statfs(".", BAD), EFAULT), "EFAULT");
	CK("statfs-efault-path", err(statfs(BAD, &a), EFAULT), "EFAULT");
	CK("fstatfs-ebadf", err(fstatfs(-1, &b), EBADF), "EBADF");
	close(fd);
}

static void check_xattr(void)
{
	char v[64] = "";
	long r = setxattr("a", "user.mosix", "hello", 5, 0);
	if (err(r, ENOTSUP) || err(r, EOPNOTSUPP)) {
		CK("xattr", 1, "not supported here: %s", res(r)); /* (the same at home) */
		return;
	}
	CK("setxattr", r == 0, "%s", res(r));
	r = getxattr("a", "user.mosix", v, sizeof(v));
	CK("getxattr", r == 5 && !memcmp(v, "hello", 5), "%s %.5s", res(r), v);
	CK("getxattr-size", getxattr("a", "user.mosix", NULL, 0) == 5, "5");
	CK("getxattr-enodata", err(getxattr("a", "user.none", v, sizeof(v)), ENODATA), "ENODATA");
	CK("getxattr-enoent", err(getxattr("nothing", "user.mosix", v, sizeof(v)), ENOENT),
	   "ENOENT");
	CK("getxattr-efault", err(getxattr("a", "user.mosix", BAD, sizeof(v)), EFAULT), "EFAULT");
	CK("getxattr-erange", err(getxattr("a", "user.mosix", v, 2), ERANGE), "ERANGE");
	CK("lgetxattr", lgetxattr("a", "user.mosix", v, sizeof(v)) == 5, "5");
	char list[256];
	r = listxattr("a", list, sizeof(list));
	CK("listxattr", r > 0 && memmem(list, (size_t)r, "user.mosix", 11) != NULL,
	   "has user.mosix");
	CK("llistxattr", llistxattr("a", list, sizeof(list)) == r, "%s", res(r));
	int fd = open("a", O_RDWR);
	CK("fsetxattr", fsetxattr(fd, "user.two", "2", 1, XATTR_CREATE) == 0, "ok");
	CK("fsetxattr-eexist", err(fsetxattr(fd, "user.two", "2", 1, XATTR_CREATE), EEXIST),
	   "EEXIST");
	CK("fgetxattr", fgetxattr(fd, "user.two", v, sizeof(v)) == 1 && v[0] == '2', "1");
	CK("fgetxattr-ebadf", err(fgetxattr(-1, "user.two", v, sizeof(v)), EBADF), "EBADF");
	CK("flistxattr", flistxattr(fd, list, sizeof(list)) > r, "longer");
	CK("fremovexattr", fremovexattr(fd, "user.two") == 0, "ok");
	CK("removexattr", removexattr("a", "user.mosix") == 0, "ok");
	CK("lremovexattr-enodata", err(lremovexattr("a", "user.mosix"), ENODATA), "ENODATA");
	CK("lsetxattr-efault", err(lsetxattr("a", "user.x", BAD, 4, 0), EFAULT), "EFAULT");
	close(fd);
}

/* Contents of a file, for comparing copies. */
static const char *slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

static void check_copy(void)
{
	int in = open("a", O_RDONLY), out = open("b", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	loff_t off_in = 2;
	long r = copy_file_range(in, &off_in, out, NULL, 5, 0);
	CK("copy_file_range", r == 5 && off_in == 7 && !strcmp(slurp("b"), "23456"), "%s %s",
	   res(r), slurp("b"));
	CK("copy_file_range-ebadf", err(copy_file_range(-1, NULL, out, NULL, 5, 0), EBADF),
	   "EBADF");
	CK("copy_file_range-efault", err(copy_file_range(in, BAD, out, NULL, 5, 0), EFAULT),
	   "EFAULT");
	off_t off = 0;
	r = sendfile(out, in, &off, 3);
	CK("sendfile", r == 3 && off == 3 && !strcmp(slurp("b"), "23456012"), "%s %s", res(r),
	   slurp("b"));
	int p[2], q[2];
	CK("pipe2", pipe2(p, O_CLOEXEC) == 0 && pipe2(q, O_CLOEXEC) == 0, "ok");
	loff_t so = 4;
	r = splice(in, &so, p[1], NULL, 4, 0);
	CK("splice-in", r == 4 && so == 8, "%s", res(r));
	r = tee(p[0], q[1], 4, 0);
	CK("tee", r == 4, "%s", res(r));
	r = splice(p[0], NULL, out, NULL, 4, 0);
	CK("splice-out", r == 4 && !strcmp(slurp("b"), "234560124567"), "%s %s", res(r),
	   slurp("b"));
	int n = -1;
	CK("ioctl-FIONREAD", ioctl(q[0], FIONREAD, &n) == 0 && n == 4, "%d", n);
	CK("fcntl-F_GETPIPE_SZ", fcntl(q[0], F_GETPIPE_SZ) == 65536, "%d",
	   fcntl(q[0], F_GETPIPE_SZ));
	CK("fcntl-F_SETPIPE_SZ", fcntl(q[0], F_SETPIPE_SZ, 8192) >= 8192, "ok");
	CK("splice-ebadf", err(splice(-1, NULL, p[1], NULL, 4, 0), EBADF), "EBADF");
	close(in);
	close(out);
	for (int i = 0; i < 2; i++)
		close(p[i]), close(q[i]);
}

static void check_times(void)
{
	struct timespec ts[2] = {{1000, 5}, {2000, 7}};
	struct stat st = {0};
	CK("utimensat",
	   utimensat(AT_FDCWD, "a", ts, 0) == 0 && !stat("a", &st) && st.st_atim.tv_sec == 1000 &&
	       st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 7,
	   "%ld %ld.%ld", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec,
	   (long)st.st_mtim.tv_nsec);
	int fd = open("a", O_RDONLY);
	ts[1].tv_sec = 3000;
	CK("futimens", futimens(fd, ts) == 0 && !fstat(fd, &st) && st.st_mtim.tv_sec == 3000, "%ld",
	   (long)st.st_mtim.tv_sec);
	struct timeval tv[2] = {{4000, 0}, {5000, 0}};
	CK("utimes", utimes("a", tv) == 0 && !stat("a", &st) && st.st_mtim.tv_sec == 5000, "%ld",
	   (long)st.st_mtim.tv_sec);
	tv[1].tv_sec = 6000;
	CK("futimesat",
	   syscall(SYS_futimesat, AT_FDCWD, "a", tv) == 0 && !stat("a", &st) &&
	       st.st_mtim.tv_sec == 6000,
	   "%ld", (long)st.st_mtim.tv_sec);
	struct utimbuf ub = {7000, 8000};
	CK("utime", utime("a", &ub) == 0 && !stat("a", &st) && st.st_mtim.tv_sec == 8000, "%ld",
	   (long)st.st_mtim.tv_sec);
	CK("utimensat-enoent", err(utimensat(AT_FDCWD, "nothing", ts, 0), ENOENT), "ENOENT");
	CK("utimensat-efault", err(utimensat(AT_FDCWD, "a", BAD, 0), EFAULT), "EFAULT");
	CK("futimens-ebadf", err(futimens(-1, ts), EBADF), "EBADF");
	close(fd);
}

static void check_at(void)
{
	int d = open(".", O_RDONLY | O_DIRECTORY);
	struct stat st = {0};
	char buf[64] = "";
	CK("mkdirat", mkdirat(d, "dir", 0750) == 0 && !stat("dir", &st) && S_ISDIR(st.st_mode),
	   "ok");
	CK("mknodat-fifo",
	   mknodat(d, "dir/fifo", S_IFIFO | 0600, 0) == 0 && !lstat("dir/fifo", &st) &&
	       S_ISFIFO(st.st_mode),
	   "ok");
	CK("fchmodat",
	   fchmodat(d, "a", 0600, 0) == 0 && !stat("a", &st) && (st.st_mode & 07777) == 0600, "%o",
	   st.st_mode & 07777);
	long r = syscall(NR_fchmodat2, d, "a", 0640, 0);
	CK("fchmodat2",
	   (r == 0 && !stat("a", &st) && (st.st_mode & 07777) == 0640) || err(r, ENOSYS), "%s",
	   res(r));
	CK("fchownat", fchownat(d, "a", getuid(), getgid(), 0) == 0, "ok");
	CK("linkat", linkat(d, "a", d, "dir/a2", 0) == 0 && !stat("a", &st) && st.st_nlink == 2,
	   "nlink %ld", (long)st.st_nlink);
	CK("symlinkat", symlinkat("../a", d, "dir/sym") == 0, "ok");
	r = readlinkat(d, "dir/sym", buf, sizeof(buf));
	CK("readlinkat", r == 4 && !memcmp(buf, "../a", 4), "%s %.4s", res(r), buf);
	CK("renameat2-noreplace", err(renameat2(d, "dir/a2", d, "a", RENAME_NOREPLACE), EEXIST),
	   "EEXIST");
	CK("renameat2", renameat2(d, "dir/a2", d, "dir/a3", 0) == 0, "ok");
	CK("faccessat2", faccessat(d, "dir/sym", R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == 0,
	   "ok");
	CK("unlinkat",
	   unlinkat(d, "dir/a3", 0) == 0 && unlinkat(d, "dir/sym", 0) == 0 &&
	       unlinkat(d, "dir/fifo", 0) == 0,
	   "ok");
	CK("unlinkat-enoent", err(unlinkat(d, "dir/none", 0), ENOENT), "ENOENT");
	CK("mkdirat-ebadf", err(mkdirat(-5, "x", 0700), EBADF), "EBADF");
	CK("mkdirat-efault", err(mkdirat(d, BAD, 0700), EFAULT), "EFAULT");
	struct statx sx;
	CK("statx", statx(d, "a", 0, STATX_SIZE, &sx) == 0 && sx.stx_size == 10, "%llu",
	   (unsigned long long)sx.stx_size);
	struct {
		uint64_t flags, mode, resolve;
	} how = {O_RDONLY, 0, 0x04 /* RESOLVE_NO_SYMLINKS */};
	r = syscall(SYS_openat2, d, "a", &how, sizeof(how));
	CK("openat2", r >= 0, "%s", r >= 0 ? "fd" : res(r));
	if (r >= 0)
		close((int)r);
	int fd = open("dir", O_RDONLY | O_DIRECTORY);
	char dents[4096];
	r = syscall(SYS_getdents64, fd, dents, sizeof(dents));
	CK("getdents64", r > 0, "entries of an empty dir: %s", r > 0 ? "some" : res(r));
	CK("getdents64-ebadf", err(syscall(SYS_getdents64, -1, dents, sizeof(dents)), EBADF),
	   "EBADF");
	close(fd);
	CK("rmdir", rmdir("dir") == 0, "ok");
	fd = open("c", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CK("fallocate", fallocate(fd, 0, 0, 8192) == 0 && !fstat(fd, &st) && st.st_size == 8192,
	   "%ld", (long)st.st_size);
	CK("sync_file_range", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0, "ok");
	CK("syncfs", syncfs(fd) == 0, "ok");
	CK("flock", flock(fd, LOCK_EX) == 0 && flock(fd, LOCK_UN) == 0, "ok");
	CK("fcntl-FIOCLEX", ioctl(fd, FIOCLEX) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "ok");
	close(fd);
	close(d);
}

static void check_memory(void)
{
	size_t len = 4 * 4096;
	unsigned char vec[4];
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	CK("mincore", mincore(p, len, vec) == 0 && (vec[0] & 1) && !(vec[3] & 1), "%d %d",
	   vec[0] & 1, vec[3] & 1);
	CK("mincore-enomem", err(mincore((void *)4096, 4096, vec), ENOMEM), "ENOMEM");
	CK("msync", msync(p, len, MS_SYNC) == 0, "ok");
	long r = mlock(p, 4096);
	CK("mlock", r == 0 || err(r, ENOMEM) || err(r, EPERM), "%s", res(r));
	CK("munlock", munlock(p, 4096) == 0, "ok");
	r = syscall(SYS_mlock2, p, 4096, 1 /* MLOCK_ONFAULT */);
	CK("mlock2", r == 0 || err(r, ENOMEM) || err(r, EPERM), "%s", res(r));
	munlock(p, 4096);
	r = mlockall(MCL_FUTURE);
	CK("mlockall", r == 0 || err(r, ENOMEM) || err(r, EPERM), "%s", res(r));
	CK("munlockall", munlockall() == 0, "ok");
	munmap(p, len);
}

static void check_fds(void)
{
	uint64_t v = 0;
	int e = eventfd(3, EFD_CLOEXEC);
	CK("eventfd", e >= 0 && write(e, &(uint64_t){4}, 8) == 8 && read(e, &v, 8) == 8 && v == 7,
	   "%llu", (unsigned long long)v);
	close(e);
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = {{0, 0}, {0, 50 * 1000 * 1000}}, old, cur;
	CK("timerfd_settime", timerfd_settime(t, 0, &its, &old) == 0 && old.it_value.tv_sec == 0,
	   "ok");
	CK("timerfd_gettime",
	   timerfd_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0,
	   "pending");
	CK("timerfd-read", read(t, &v, 8) == 8 && v == 1, "%llu", (unsigned long long)v);
	CK("timerfd_settime-efault", err(timerfd_settime(t, 0, BAD, NULL), EFAULT), "EFAULT");
	CK("timerfd_gettime-ebadf", err(timerfd_gettime(-1, &cur), EBADF), "EBADF");
	close(t);
	int in = inotify_init1(IN_CLOEXEC);
	int w = inotify_add_watch(in, ".", IN_CREATE);
	write_file("made", "x");
	char ev[512];
	ssize_t n = read(in, ev, sizeof(ev));
	struct inotify_event *ie = (struct inotify_event *)ev;
	CK("inotify", w >= 0 && n > (ssize_t)sizeof(*ie) && ie->len && !strcmp(ie->name, "made"),
	   "%s", n > 0 && ie->len ? ie->name : "none");
	CK("inotify_rm_watch", inotify_rm_watch(in, w) == 0, "ok");
	CK("inotify_add_watch-enoent", err(inotify_add_watch(in, "nothing", IN_CREATE), ENOENT),
	   "ENOENT");
	close(in);
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
	CK("pipe", pipe(p) == 0 && write(p[1], "x", 1) == 1, "ok");
	struct epoll_event ee = {EPOLLIN, {.u64 = 42}}, got;
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee);
	CK("epoll_pwait", epoll_pwait(ep, &got, 1, 1000, NULL) == 1 && got.data.u64 == 42, "42");
	close(ep);
	CK("close_range",
	   close_range((unsigned)p[0], (unsigned)p[1], 0) == 0 && fcntl(p[0], F_GETFD) == -1,
	   "closed");
	long pfd = syscall(SYS_pidfd_open, getpid(), 0);
	CK("pidfd_open", pfd >= 0, "%s", pfd >= 0 ? "fd" : res(pfd));
	if (pfd >= 0)
		close((int)pfd);
	CK("pidfd_open-einval", err(syscall(SYS_pidfd_open, getpid(), -1), EINVAL), "EINVAL");
}

static void check_sockets(void)
{
	int sv[2], fd = open("a", O_RDONLY);
	CK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "ok");
	int sz = 65536;
	socklen_t sl = sizeof(sz);
	CK("setsockopt", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0, "ok");
	CK("getsockopt", getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, &sl) == 0 && sz >= 65536,
	   "%s", sz >= 65536 ? "big" : "small");
	char a[] = "hel", b[] = "lo", cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2] = {{a, 3}, {b, 2}};
	struct msghdr m = {NULL, 0, iov, 2, cbuf, sizeof(cbuf), 0};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CK("sendmsg", sendmsg(sv[0], &m, 0) == 5, "5");
	char r1[2] = "", r2[8] = "", rc[CMSG_SPACE(sizeof(int)) + 16];
	struct iovec riov[2] = {{r1, 2}, {r2, 8}};
	struct msghdr rm = {NULL, 0, riov, 2, rc, sizeof(rc), 0};
	long r = recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC);
	struct cmsghdr *rcm = CMSG_FIRSTHDR(&rm);
	int got = -1;
	if (rcm && rcm->cmsg_type == SCM_RIGHTS)
		memcpy(&got, CMSG_DATA(rcm), sizeof(int));
	char first[4] = "";
	CK("recvmsg", r == 5 && !memcmp(r1, "he", 2) && !memcmp(r2, "llo", 3), "%s %.2s|%.3s",
	   res(r), r1, r2);
	CK("recvmsg-scm_rights", got >= 0 && pread(got, first, 3, 0) == 3 && !strcmp(first, "012"),
	   "%s", first);
	CK("recvmsg-controllen",
	   rm.msg_controllen == CMSG_SPACE(sizeof(int)) &&
	       !(rm.msg_flags & (MSG_TRUNC | MSG_CTRUNC)),
	   "%zu flags %#x", (size_t)rm.msg_controllen, (unsigned)rm.msg_flags);
	if (got >= 0)
		close(got);
	CK("recvmsg-eagain", err(recvmsg(sv[1], &rm, MSG_DONTWAIT), EAGAIN), "EAGAIN");
	CK("recvmsg-efault", err(recvmsg(sv[1], BAD, MSG_DONTWAIT), EFAULT), "EFAULT");
	CK("sendmsg-ebadf", err(sendmsg(-1, &m, 0), EBADF), "EBADF");
	/* an address: datagrams on an abstract unix socket name */
	int ds = socket(AF_UNIX, SOCK_DGRAM, 0);
	CK("sendmsg-dgram-noaddr",
	   err(sendmsg(ds, &(struct msghdr){NULL, 0, iov, 1, NULL, 0, 0}, 0), ENOTCONN),
	   "ENOTCONN");
	close(ds);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

/* /proc/self/FILE's text (at home, the home process's own). */
static const char *proc_self(const char *file)
{
	static char buf[4096];
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/%s", file);
	snprintf(buf, sizeof(buf), "%s", slurp(path));
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void check_process(void)
{
	char name[17] = "";
	CK("prctl-PR_SET_NAME", prctl(PR_SET_NAME, "mosix-calls") == 0, "ok");
	CK("prctl-PR_GET_NAME", prctl(PR_GET_NAME, name) == 0 && !strcmp(name, "mosix-calls"), "%s",
	   name);
	CK("prctl-comm", !strcmp(proc_self("comm"), "mosix-calls"), "%s", proc_self("comm"));
	CK("prctl-PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE) == 1, "1");
	int sig = -1;
	CK("prctl-PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == 0, "%d", sig);
	CK("prctl-PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "ok");
	int sub = -1;
	CK("prctl-PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &sub) == 0 && sub == 1,
	   "%d", sub);
	CK("prctl-PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "0");
	CK("prctl-efault", err(prctl(PR_GET_PDEATHSIG, BAD), EFAULT), "EFAULT");
	struct sched_param sp = {0};
	CK("sched_getscheduler", sched_getscheduler(0) == SCHED_OTHER, "%d", sched_getscheduler(0));
	CK("sched_getparam", sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "0");
	CK("sched_get_priority_max", sched_get_priority_max(SCHED_FIFO) == 99, "99");
	struct timespec ts;
	CK("sched_rr_get_interval", sched_rr_get_interval(0, &ts) == 0, "ok");
	cpu_set_t cs;
	CK("sched_setaffinity",
	   sched_getaffinity(0, sizeof(cs), &cs) == 0 && sched_setaffinity(0, sizeof(cs), &cs) == 0,
	   "ok");
	CK("sched_getscheduler-esrch", err(sched_getscheduler(999999999), ESRCH), "ESRCH");
	errno = 0;
	int start = getpriority(PRIO_PROCESS, 0);
	CK("getpriority", errno == 0, "%d (as started)", start);
	CK("setpriority", setpriority(PRIO_PROCESS, 0, 5) == 0 && getpriority(PRIO_PROCESS, 0) == 5,
	   "5");
	const char *st = proc_self("stat"), *rp = strrchr(st, ')');
	int nice = 99;
	if (rp)
		sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
		       &nice);
	CK("setpriority-home", nice == 5, "nice %d in /proc/self/stat", nice);
	CK("getpriority-esrch", err(getpriority(PRIO_PROCESS, 999999999), ESRCH), "ESRCH");
	uid_t r, e, s;
	CK("getresuid", getresuid(&r, &e, &s) == 0 && r == getuid() && e == geteuid(), "ok");
	gid_t gr, ge, gs;
	CK("getresgid", getresgid(&gr, &ge, &gs) == 0 && gr == getgid(), "ok");
	CK("getresuid-efault", err(getresuid(BAD, &e, &s), EFAULT), "EFAULT");
}

/* Does the maps file at path list a mapping that holds addr (its own
 * memory, as at home, even away from home)? */
static int maps_hold(const char *path, const void *addr)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (unsigned long)addr >= lo &&
		    (unsigned long)addr < hi)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static void check_proc(void)
{
	int on_stack = 0;
	void *heap = malloc(100000);
	CK("proc-maps-stack", maps_hold("/proc/self/maps", &on_stack), "found");
	CK("proc-maps-heap", maps_hold("/proc/self/maps", heap), "found");
	CK("proc-smaps-heap", maps_hold("/proc/self/smaps", heap), "found");
	CK("proc-thread-self-maps-heap", maps_hold("/proc/thread-self/maps", heap), "found");
	unsigned long size = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	CK("proc-statm", f && fscanf(f, "%lu", &size) == 1 && size > 0, "size");
	if (f)
		fclose(f);
	free(heap);
}

/* "home": a call that still runs only at home (signalfd: the signals it would
 * read arrive at the body, not at home); the process comes home for it, or
 * with mosrun -e gets ENOSYS. With $MOSTEST_HOLD set, it then prints
 * "HELD pid=N" and waits for that file, so a harness can look at it. */
static void check_home(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	long r = syscall(SYS_signalfd4, -1, &set, 8, SFD_CLOEXEC);
	CK("signalfd", r >= 0 || err(r, ENOSYS), "%s", r >= 0 ? "fd" : res(r));
	if (r < 0)
		return;
	kill(getpid(), SIGUSR1);
	struct signalfd_siginfo si;
	CK("signalfd-read", read((int)r, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1,
	   "%u", si.ssi_signo);
	close((int)r);
	const char *hold = getenv("MOSTEST_HOLD");
	if (!hold)
		return;
	progs_say("HELD pid=%d\n", (int)getpid());
	for (int i = 0; access(hold, F_OK) != 0 && i < 120 * 200; i++)
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	only = argc > 1 ? argv[1] : NULL;
	snprintf(dir, sizeof(dir), "%s/mostest-calls.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	progs_wait(NAME); /* (before its directory: a checkpoint recovered after the
			   * run has removed it must find its working directory) */
	if (!mkdtemp(dir) || chdir(dir))
		progs_fail(NAME, "make a directory in %s: %m", dir);
	write_file("a", "0123456789");
	if (only && !strcmp(only, "home"))
		check_home();
	else if (want("fadvise"))
		check_fadvise();
	if (want("statfs"))
		check_statfs();
	if (want("xattr"))
		check_xattr();
	if (want("copy"))
		check_copy();
	if (want("times"))
		check_times();
	if (want("at"))
		check_at();
	if (want("memory"))
		check_memory();
	if (want("fds"))
		check_fds();
	if (want("sockets"))
		check_sockets();
	if (want("process"))
		check_process();
	if (want("procfs"))
		check_proc();
	static const char *const made[] = {"a", "b", "c", "made", "dir"};
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		unlinkat(AT_FDCWD, made[i], i == 4 ? AT_REMOVEDIR : 0);
	if (chdir("/") || rmdir(dir))
		progs_fail(NAME, "remove %s: %m", dir);
	if (fails)
		progs_fail(NAME, "%d checks wrong", fails);
	progs_pass(NAME);
}
