/* registry.h: every migratable process of this node, as the mosruns that
 * supervise them and the supervisors of its guests register them over the
 * local socket (localapi.h). guestd asks a mosrun to move one of its
 * processes and hears the result (LAPI_MOVE, LAPI_MOVED). */
#ifndef GUESTD_REGISTRY_H
#define GUESTD_REGISTRY_H

#include "daemon/localapi.h"

#include <stddef.h>

struct hub;
struct hub_client;

/* A process of this node, as the balancer sees it. */
struct registry_proc {
	int pid, where;
	unsigned flags;	  /* LAPI_P_* */
	double cpu;	  /* share of the time it wants a core (0 until measured) */
	int64_t moved_ms; /* when it last changed node (0: never) */
	uint64_t rss_kb;  /* resident, as last measured at home */
	double io_cps;	  /* its I/O calls a second (at home: reads and writes; away:
			     every call forwarded home), smoothed */
	double io_bps;	  /* and their bytes a second */
	double age_s;	  /* since it was registered */
};

/* The processes of this node (home here), wherever they run. */
size_t registry_view(struct hub *h, struct registry_proc *out, size_t cap);
/* Read the size of every process at home now. */
void registry_sizes(struct hub *h);
/* Say why local process pid is where it is (mosps shows it; a word, e.g.
 * "locked", "moved:load"). */
void registry_reason(struct hub *h, int pid, const char *why);
/* Processes of this node (home here), wherever they run. */
size_t registry_locals(struct hub *h);
/* Guests hosted here. */
size_t registry_guests(struct hub *h);
/* Processes held stopped here (job control), as node_info.frozen: a
 * stopped process keeps its memory but takes no CPU, as a frozen one. */
size_t registry_frozen(struct hub *h);
/* The registry as LAPI_PROCS lines into msg (len bytes); the length. */
size_t registry_text(struct hub *h, char *msg, size_t len);
/* Ask every guest's supervisor to send its body home. How many were asked. */
size_t registry_expel(struct hub *h);
/* Ask the mosrun of local process pid to move it to node (0: home); done(h,
 * arg, status, msg) is called with its answer (or when its mosrun leaves).
 * 0, or -ESRCH when no registered mosrun has pid. */
int registry_move(struct hub *h, int pid, int node,
		  void (*done)(struct hub *h, void *arg, int status, const char *msg), void *arg);

#endif
