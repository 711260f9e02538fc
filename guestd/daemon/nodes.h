/* nodes.h: one node's resource vector, MOSIX-style, as measured here and as
 * gossiped: speed, cores, load, memory, processes, status. A node that is a
 * network namespace confined by cgroups (the test cluster) measures its own
 * group, not the machine, so that nodes on one machine behave like separate
 * machines. */
#ifndef GUESTD_NODES_H
#define GUESTD_NODES_H

#include <stddef.h>
#include <stdint.h>

#define NODES_STD_SPEED 10000 /* one standard CPU (MOSIX's yardstick) */

/* node_info.status */
#define NODE_ST_STAY 1u		/* no automatic migration away from here */
#define NODE_ST_LSTAY 2u	/* local processes stay; guests may leave */
#define NODE_ST_BLOCK 4u	/* no guests may arrive */
#define NODE_ST_EXPELLING 8u	/* guests are being sent home */
#define NODE_ST_UNREACHABLE 16u /* gossip news: a contact with it failed */

/* One node's vector. On the wire (gossip, little-endian) and in the table. */
struct node_info {
	int32_t node;
	uint32_t speed;	     /* of one core: NODES_STD_SPEED = the yardstick */
	uint32_t cpus_milli; /* CPU capacity in thousandths of a core (a quota: less) */
	uint32_t ncpus;	     /* cores it may use (rounded up) */
	uint32_t load_local; /* damped for its own decisions: runnable x 1000 */
	uint32_t load_adv;   /* advertised: rises at once, decays slowly */
	uint32_t locals;     /* processes of this node registered here */
	uint32_t guests;     /* processes of other nodes hosted here */
	uint32_t frozen;     /* frozen processes */
	uint32_t status;     /* NODE_ST_* */
	uint64_t mem_total_kb, mem_free_kb;
	uint64_t link_bps; /* measured link rate, 0: not measured yet */
	uint64_t uptime_s;
	uint64_t age_ms; /* on the wire: how old; in the table: unused */
	int64_t seen_ms; /* in the table: local monotonic time it was true; 0 = never */
	/* appended for the monitor (mmon): zero from a node that does not fill them */
	uint32_t io_kbs;  /* disk KB a second, read and written (NODES_NA: not measured) */
	uint32_t net_kbs; /* network KB a second, in and out, loopback aside (NODES_NA) */
	uint32_t swap_total_mb, swap_free_mb;
	uint32_t version; /* MOSIX_VERSION as major x 10000 + minor x 100 + patch */
	uint32_t reserved;
};

#define NODES_NA 0xffffffffu /* a rate this node does not measure */

/* How this node measures itself: sampled every step. */
struct nodes_meter {
	char cg_cpu[256];     /* the node's cpu cgroup directory, or "" */
	char cg_mem[256];     /* its memory cgroup directory, or "" */
	uint64_t cpu_prev_ns; /* the cgroup's cpuacct.usage at the last sample */
	int64_t cpu_prev_ms;
	double local, adv; /* the two smoothed loads, in processes */
	uint32_t speed, cpus_milli, ncpus;
	int64_t start_ms;
	uint64_t io_prev, net_prev; /* byte counters at the last rate sample */
	int64_t rate_prev_ms;	    /* when (0: not yet) */
	int io_ok, net_ok;	    /* the counters could be read then */
};

/* Find this node's cgroups (those of the calling process) and calibrate its
 * speed (speed_factor: a node declared slower, e.g. 0.5, by the test
 * cluster; 0 or 1: as measured). */
void nodes_meter_init(struct nodes_meter *m, double speed_factor);
/* This node's vector, now (node number, locals, guests, frozen, status
 * filled in by the caller). Call it once per step: it samples the load. */
void nodes_measure(struct nodes_meter *m, struct node_info *out);
/* Monotonic milliseconds. */
int64_t nodes_now_ms(void);
/* A version "MAJOR.MINOR[.PATCH]" as node_info.version, and back. */
uint32_t nodes_version_code(const char *v);
void nodes_version_text(uint32_t code, char *out, size_t len);

#endif
