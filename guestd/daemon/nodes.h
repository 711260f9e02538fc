/* nodes.h: what this node knows about every node of the cluster, MOSIX-style:
 * each entry is a load vector with the time it was true. Every second guestd
 * sends its own vector and the freshest entries it knows to one random node;
 * each node thus knows every node's state with a known age. The table lives
 * in shared memory so guestd's per-connection children can merge into it. */
#ifndef GUESTD_NODES_H
#define GUESTD_NODES_H

#include <stddef.h>
#include <stdint.h>

#define NODES_UP_MS 5000 /* an entry younger than this: the node is up */

/* One node's load vector, as sent on the wire. */
struct node_info {
	int32_t node;
	uint32_t ncpus;
	uint32_t load_milli; /* 1-minute load average x 1000 */
	uint32_t procs;	     /* runnable processes */
	uint64_t mem_total_kb, mem_free_kb;
	uint64_t age_ms; /* on the wire: how old; in the table: unused */
	int64_t seen_ms; /* in the table: local monotonic time it was true; 0 = never */
};

/* Map the shared table for n node numbers (1..n). NULL on failure. */
struct node_info *nodes_map(int n);
/* This node's own vector, now. */
void nodes_self(struct node_info *out, int self);
/* Merge entries received from a peer (ages relative to its now). */
void nodes_merge(struct node_info *table, int n, const struct node_info *in, size_t count);
/* Fill out with every known entry (age relative to now). Returns the count. */
size_t nodes_snapshot(const struct node_info *table, int n, struct node_info *out, size_t cap);
/* Monotonic milliseconds. */
int64_t nodes_now_ms(void);

#endif
