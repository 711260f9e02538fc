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
#include "inject.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum fwd_action { FWD_HOME = 0, FWD_LOCAL, FWD_FORWARD };

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
/* The seccomp program for bodies: local calls allowed, all else traced.
 * Returns the number of instructions written to out (struct sock_filter[]). */
size_t fwd_filter(void *out, size_t cap);

/* Body side: build the request for a trapped call, reading the body's memory. */
int fwd_marshal(pid_t body, long nr, const long args[6], struct fwd_buf *req, struct err *e);
/* Runs one syscall in the deputy: 0 with *ret, or negative when the deputy failed. */
typedef int (*fwd_exec_fn)(void *ctx, long *ret, long nr, const long args[6]);
/* Home side: run a request inside the deputy (memory through memfd, its
 * scratch area at scratch, the call through exec) and build the reply.
 * Fails only when the deputy itself fails. */
int fwd_execute(int memfd, uint64_t scratch, fwd_exec_fn exec, void *ctx, const uint8_t *req,
		size_t len, struct fwd_buf *rep, struct err *e);
/* Body side: copy a reply's output buffers into the body; *ret gets the result. */
int fwd_apply(pid_t body, long nr, const long args[6], const uint8_t *rep, size_t len, long *ret,
	      struct err *e);

void fwd_buf_free(struct fwd_buf *b);

#endif
