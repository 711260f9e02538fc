/* view.h: what mmon shows, as data: every node of the cluster map with the
 * vector the local guestd's gossip holds for it (or another node's view,
 * asked through the local guestd), and a node's processes for the detail
 * panel. No terminal here: the drawing code and the unit tests use it. */
#ifndef MONITOR_VIEW_H
#define MONITOR_VIEW_H

#include "appliance/err.h"

#include <stddef.h>
#include <stdint.h>

#define VIEW_MAX_NODES 256
#define VIEW_MAX_PROCS 128
#define VIEW_NA -1.0 /* a rate the node does not measure */

/* Why a node is shown DEAD. */
enum view_dead {
	VIEW_ALIVE = 0,
	VIEW_TOO_OLD,	  /* its news is older than the dead bound */
	VIEW_UNREACHABLE, /* a contact with it failed */
	VIEW_NO_NEWS,	  /* in the map, never heard of */
};

/* node status bits (as guestd's NODE_ST_*) */
#define VIEW_ST_STAY 1u
#define VIEW_ST_LSTAY 2u
#define VIEW_ST_BLOCK 4u
#define VIEW_ST_EXPELLING 8u
#define VIEW_ST_UNREACHABLE 16u

/* One node as mmon shows it. */
struct view_node {
	int node;
	int self; /* the node whose view this is */
	enum view_dead dead;
	double age_s;	    /* of its information (-1: none) */
	unsigned speed;	    /* of one core (10000: the standard CPU) */
	double cpus;	    /* capacity in cores (a quota: a fraction) */
	unsigned ncpus;	    /* cores */
	double load_raw;    /* runnable processes (advertised) */
	double load;	    /* speed-normalised: 1 = one standard CPU busy */
	double frozen_load; /* the load its frozen processes would add */
	double util;	    /* share of its capacity busy, 0..1 */
	double mem_total_mb, mem_free_mb, swap_total_mb, swap_free_mb;
	unsigned locals, guests, frozen, status;
	double io_kbs, net_kbs; /* VIEW_NA where not measured */
	uint64_t uptime_s, link_bps;
	char version[16];
};

/* The whole picture at one moment. */
struct view {
	int ok; /* 0: information is not available (why) */
	char why[256];
	int self;      /* the node whose view it is */
	double dead_s; /* the dead bound of that view */
	size_t count;  /* nodes (map order, by number) */
	struct view_node n[VIEW_MAX_NODES];
};

/* One process on a node (detail panel). */
struct view_proc {
	int pid, home, where;
	unsigned uid;
	int guest;
	double cpu; /* share of a core it wants */
	char comm[17];
};

/* Parse guestd's LAPI_NODES text and LAPI_MAP text ("node address" lines)
 * into v: every node of the map, in number order; self is the node whose
 * view it is. 0 or -EINVAL (no node table in text). */
int view_parse(struct view *v, const char *nodes, const char *map, int self);
/* Fetch the view of node via (0: this node's own) from the local guestd,
 * and the map's text into map (maplen bytes) unless map is NULL. On
 * failure v->ok is 0 and v->why and e say why; the code is returned. */
int view_fetch(struct view *v, int via, char *map, size_t maplen, struct err *e);
/* Processes that run on node (its guests, and its own that run there),
 * from its guestd through the local one. The count or a negative code. */
int view_procs(int node, struct view_proc *out, size_t cap, struct err *e);
/* Parse LAPI_PROCS text: the processes that run on node. The count. */
int view_procs_parse(const char *text, int node, struct view_proc *out, size_t cap);
/* The node of a map entry named by "N", "nN" or its address; 0 if none. */
int view_find(const char *map, const char *name);
/* The map's text (LAPI_MAP) into buf. 0 or code. */
int view_map(char *buf, size_t len, struct err *e);
/* Summary: live nodes, average and maximum age of the live ones. */
void view_summary(const struct view *v, int *live, double *avg_age, double *max_age);
/* The node entry with number node, or NULL. */
const struct view_node *view_node(const struct view *v, int node);
/* A status word list ("stay,block"); "-" when none. */
void view_status_words(unsigned st, char *out, size_t len);
/* Dead reasons as a word and as one letter. */
const char *view_dead_word(enum view_dead d);
char view_dead_letter(enum view_dead d);

#endif
