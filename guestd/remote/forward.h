/* forward.h: system calls of a migrated process. One table says, for every
 * system call, whether the body runs it itself (memory, signal masks and
 * handlers, time, futex, exit...), forwards it to its deputy at home (files,
 * identity, signals to processes, wait...), or has to go home to run it
 * (fork, exec, threads, anything unknown). Forwarded calls carry their
 * arguments by descriptor: which argument is a string, an input buffer or an
 * output buffer, and how long. */
#ifndef GUESTD_FORWARD_H
#define GUESTD_FORWARD_H

#include "appliance/err.h"
#include "engine/inject.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* FWD_BOTH: forwarded, and when home said yes, run by the body too (the
 * process's name, its nice value: right at home and where it runs). */
enum fwd_action { FWD_HOME = 0, FWD_LOCAL, FWD_FORWARD, FWD_BOTH };

#define FWD_MAX_FILTER 256
#define FWD_SCRATCH_LEN (4u << 20) /* deputy buffer space; bigger I/O is cut short */

/* A growable byte buffer for requests and replies. */
struct fwd_buf {
	uint8_t *p;
	size_t len, cap;
};

/* What to do with syscall nr (args decide for ioctl, fcntl, mmap, clone). */
enum fwd_action fwd_classify(long nr, const long args[6]);
/* Name of a syscall for messages ("openat"), or "syscall N". */
const char *fwd_name(long nr, char *buf, size_t len);
/* The call with the argument that decided its class, for messages and the
 * counters of calls that send processes home: "fadvise64", "ioctl:0x5412",
 * "fcntl:1033", "prctl:35". No blanks. */
const char *fwd_call_name(long nr, const long args[6], char *buf, size_t len);
/* Why a body goes home for a call: "it called NAME, which runs only at
 * home" (NAME as fwd_call_name); and the NAME back out of such a text
 * (1), or 0 when the text gives another reason. */
const char *fwd_home_why(long nr, const long args[6], char *buf, size_t len);
int fwd_home_call(const char *why, char *call, size_t len);
/* The seccomp program for bodies: local calls allowed, all else traced.
 * Returns the number of instructions written to out (struct sock_filter[]). */
size_t fwd_filter(void *out, size_t cap);

/* Body side: build the request for a trapped call, reading the body's memory. */
int fwd_marshal(pid_t body, long nr, const long args[6], struct fwd_buf *req, struct err *e);
/* A forwarded call being run in the deputy (it may block for long: the home
 * side starts it and finishes it when the deputy stops again). */
struct fwd_call {
	struct fwd_buf req; /* the request, kept until the reply is built */
	long nr, args[6];   /* what to run, pointers already moved to scratch */
	struct {
		int32_t arg;
		uint32_t inlen, outcap, retmul;
	} bufs[6]; /* copies of the request's buffer descriptors */
	int nbuf, refused;
	uint32_t msg[4]; /* sendmsg/recvmsg: name, data and control capacity */
	char tmp[96];	 /* an open of the body's /proc/self/maps...: the file at
			    home that holds its text, removed by fwd_end */
};

/* Home side, step 1: check a request and lay its buffers out in the
 * deputy's scratch area (memory through memfd). A call the table does not
 * allow is refused (call->refused; the reply is ENOSYS). */
int fwd_begin(int memfd, uint64_t scratch, const uint8_t *req, size_t len, struct fwd_call *call,
	      struct err *e);
/* Home side, step 2: the call returned ret; build the reply. */
int fwd_end(int memfd, struct fwd_call *call, long ret, struct fwd_buf *rep, struct err *e);
/* Body side: copy a reply's output buffers into the body; *ret gets the result. */
int fwd_apply(pid_t body, long nr, const long args[6], const uint8_t *rep, size_t len, long *ret,
	      struct err *e);

/* Append n bytes to a buffer (it grows). */
void fwd_put(struct fwd_buf *b, const void *p, size_t n);
/* Free a buffer. */
void fwd_buf_free(struct fwd_buf *b);

/* The deputy's fast path: a forwarded call on one of the deputy's regular
 * files runs here, on a duplicate of its descriptor (pidfd_getfd: the same
 * open file, so the same offset, flags and data), and getpid/getppid are
 * answered from /proc, without stopping the deputy. Any other call may
 * change the deputy's descriptors: fwd_fast_forget after it. */
struct fwd_fast {
	int pidfd;
	int fsize_ok; /* the deputy has no file size limit: writes may run here */
	struct {
		int fd, lfd; /* the deputy's fd, ours (-2: not a regular file) */
	} fds[16];
	int nfds;
	uint8_t *out; /* output buffer */
};
void fwd_fast_init(struct fwd_fast *f);
/* 1: done, the reply is in rep; 0: not for the fast path (run it in the deputy). */
int fwd_fast_try(struct fwd_fast *f, pid_t dep, const uint8_t *req, size_t len,
		 struct fwd_buf *rep);
void fwd_fast_forget(struct fwd_fast *f);
void fwd_fast_free(struct fwd_fast *f);

#endif
