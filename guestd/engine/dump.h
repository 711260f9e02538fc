/* dump.h: write a frozen process's image. */
#ifndef GUESTD_DUMP_H
#define GUESTD_DUMP_H

#include "appliance/err.h"
#include "engine/image.h"
#include "engine/inject.h"

#include <stdint.h>
#include <sys/types.h>

/* Dump modes. BODY: a migrated body (our seccomp filter allowed, no fds).
 * REEXEC: stopped at a trapped syscall, which the restored task runs again.
 * ALLPAGES: every page of file mappings (the file may be absent there).
 * NOFDS: migrating; fds and children stay at home with the deputy.
 * ADAPTIVE: onto a link: compress only while the link is the slower part
 * (img_writer.adaptive). */
#define DUMP_M_BODY 1u
#define DUMP_M_REEXEC 2u
#define DUMP_M_ALLPAGES 4u
#define DUMP_M_NOFDS 8u
#define DUMP_M_ADAPTIVE 16u

struct dump_opts {
	int comp;	/* enum comp, for page data */
	unsigned flags; /* IMG_F_* recorded in the image */
	unsigned mode;	/* DUMP_M_* */
};

struct dump_stats {
	uint64_t pages; /* pages written */
	uint64_t bytes; /* stream bytes */
	double t_meta;	/* seconds spent on state other than memory */
	double t_mem;	/* seconds spent on memory */
};

/* Why a process cannot be dumped: a one-word code for tables (threads,
 * setuid, seccomp, timers, oom-score, children, shared-memory, shared-mapping,
 * mapping, fd, exe-gone; "" when the check itself failed, e.g. the process is gone)
 * and the reason, a phrase about "it" ("it has a seccomp filter"). */
struct dump_why {
	char code[32];
	char why[200];
};

/* Say whether pid can be dumped faithfully in mode (DUMP_M_*; with
 * DUMP_M_NOFDS or DUMP_M_BODY its open files and children do not count, as
 * for a migration): 0, or a negative errno-style code with w filled. The
 * dump applies exactly this check, so what it says is what a dump does. */
int dump_check(pid_t pid, unsigned mode, struct dump_why *w);
/* Dump a process that is in a ptrace-stop to fd. On return it is still
 * stopped, its registers, mask and memory as they were. */
int dump_process(pid_t pid, int fd, const struct dump_opts *o, struct dump_stats *st,
		 struct err *e);
/* The same onto any stream (a connection to another node). */
int dump_process_io(pid_t pid, const struct img_io *out, const struct dump_opts *o,
		    struct dump_stats *st, struct err *e);

/* For a process that has left (its deputy, in an injection session j): its
 * interval and POSIX timers travelled in its image and run in its body; here
 * they are stopped (their signals would reach the body twice). Coming home,
 * the restore sets them again. 0 or a negative code. */
int dump_drop_timers(struct inject *j, struct err *e);

#endif
