/* util.h: scoped cleanup helpers and full-length I/O. */
#ifndef APPLIANCE_UTIL_H
#define APPLIANCE_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

void util_closep(int *fd);
void util_freep(void *p);
void util_fclosep(FILE **f);

#define _cleanup_close_ __attribute__((cleanup(util_closep)))
#define _cleanup_free_ __attribute__((cleanup(util_freep)))
#define _cleanup_fclose_ __attribute__((cleanup(util_fclosep)))

/* Hand ownership out of a cleanup-scoped variable. */
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _t = (fd);                                                                     \
		(fd) = -1;                                                                         \
		_t;                                                                                \
	})
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _t = (p);                                                            \
		(p) = NULL;                                                                        \
		_t;                                                                                \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Read exactly n bytes (retrying short reads, EINTR). 0, -EIO at EOF, or -errno. */
int util_read_full(int fd, void *buf, size_t n);
/* Write exactly n bytes. 0 or -errno. */
int util_write_full(int fd, const void *buf, size_t n);
/* Read a whole (small) file into a NUL-terminated buffer. Length or -errno. */
ssize_t util_read_file(const char *path, char **out);
/* path made absolute against the working directory, in new memory (a copy
 * when it is absolute already). NULL if the working directory is unknown. */
char *util_abs_path(const char *path);
/* Monotonic time in seconds. */
double util_now(void);
/* Parse a base-10 integer strictly into *out within [min,max]. 0 or -EINVAL. */
int util_parse_long(const char *s, long min, long max, long *out);
/* Is sig one of job control's stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)? */
int util_is_stop_signal(int sig);
/* Is sig ignored when its handler is SIG_DFL (SIGCHLD, SIGCONT, SIGWINCH, SIGURG)? */
int util_default_ignored(int sig);

#endif
