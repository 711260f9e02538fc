/* tune.h: guestd's tunables, set in the cluster map with 'set NAME VALUE'
 * lines (cluster.h), each with a default and a range; guestd.8 lists them.
 * A map with an unknown name or a value out of range is refused, at start
 * and on reload, with the file's line. */
#ifndef GUESTD_TUNE_H
#define GUESTD_TUNE_H

#include "appliance/cluster.h"
#include "appliance/err.h"

struct tune {
	double margin;	       /* a move must make the process this much faster (1.3) */
	double min_gain;       /* and gain at least this share of a standard core */
	double min_interval_s; /* a process moves at most once in this */
	double moves_per_step; /* moves one node starts in one step */
	double cpu_bound;      /* share of a core below which a process is not moved for CPU */
	double mem_reserve_mb; /* a target keeps this much memory free after a move */
	double usher_free_pct; /* below this much free memory a node ushers processes out */
	double io_call_us;     /* cost of one forwarded call, before the link is measured */
	double link_mbps;      /* link rate assumed until a migration measures it */
	double payback;	       /* a move must pay back its cost this many times over */
	double best_hold_s;    /* a -b placement counts on its node at least this long */
	double best_margin;    /* -b: another node must be this much faster than home */
};

/* The defaults, then c's 'set' lines. 0, or -EINVAL with the line in e. */
int tune_read(const struct cluster *c, struct tune *t, struct err *e);
/* "name default min max description" lines for every tunable, into buf. */
void tune_describe(char *buf, size_t len);

#endif
