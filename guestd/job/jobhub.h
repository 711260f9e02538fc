/* jobhub.h: a mosrun's registration with its node's guestd: every process
 * of the job, where it runs and why it may not move, kept current; and
 * guestd's requests to move one of them. guestd may be absent (a node
 * without it: checkpoints only) or restart: registration is tried again
 * every second and then the job's state is sent in full. */
#ifndef GUESTD_JOBHUB_H
#define GUESTD_JOBHUB_H

#include "daemon/hubc.h"

#include <stdint.h>
#include <sys/types.h>

/* What guestd was last told of one process. */
struct jobhub_pub {
	int sent;
	int where;
	unsigned migrations, flags;
	uint64_t fwd_calls; /* forwarded calls, when last told */
	int64_t at_ms;	    /* when last told */
};

struct jobhub {
	struct hubc hc;
	int epfd;    /* the job's epoll set: the connection is watched there */
	int watched; /* the fd that is in it, or -1 */
};

/* Start (registers at once if guestd is there). */
void jobhub_init(struct jobhub *jh, int epfd);
/* Once per loop turn: register again if it is time. 1 when it has just
 * registered: every jobhub_pub must be reset (sent = 0). */
int jobhub_tick(struct jobhub *jh);
/* Is fd the connection to guestd? */
int jobhub_is(const struct jobhub *jh, int fd);
/* Tell guestd of pid if anything changed since pub (where: node it runs
 * on, 0 at home); its forwarded calls and bytes (calls and bytes, counts
 * so far while away) at most once a second. */
void jobhub_sync(struct jobhub *jh, struct jobhub_pub *pub, pid_t pid, int where,
		 unsigned migrations, unsigned flags, const char *why, uint64_t calls,
		 uint64_t bytes);
/* pid has gone from the job. */
void jobhub_gone(struct jobhub *jh, struct jobhub_pub *pub, pid_t pid);
/* A migration to node sent bytes in secs (guestd learns the link's rate). */
void jobhub_link(struct jobhub *jh, int node, uint64_t bytes, double secs);
/* A process of the job came home to run call (guestd counts them per call). */
void jobhub_home_call(struct jobhub *jh, const char *call);
/* The next request from guestd into q: 0, or negative (none, or gone). */
int jobhub_next(struct jobhub *jh, struct lapi_req *q);
/* Answer request seq. */
void jobhub_answer(struct jobhub *jh, uint32_t seq, int status, const char *msg);
void jobhub_close(struct jobhub *jh);

#endif
