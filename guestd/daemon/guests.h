/* guests.h: the guests of this node, MOSIX's name for processes whose home
 * is another node and whose body runs here. guestd forks one supervisor per
 * guest; the table lives in shared memory so that the supervisors register
 * themselves and the daemon can count them, expel them (each supervisor
 * freezes its body and sends it home on GUESTS_EXPEL_SIGNAL) and refuse new
 * arrivals while the node is blocked. */
#ifndef GUESTD_GUESTS_H
#define GUESTD_GUESTS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GUESTS_MAX 1024
#define GUESTS_EXPEL_SIGNAL SIGUSR1 /* to a supervisor: send the body home */

struct guest_slot {
	int32_t sup;		     /* supervisor pid; 0 = free */
	int32_t home_node, home_pid; /* where it belongs */
	int32_t pad;
};

struct guests {
	uint32_t blocked; /* refuse arriving processes (expel, block) */
	uint32_t failed;  /* guests that could not be sent home since the last expel */
	struct guest_slot slot[GUESTS_MAX];
};

/* Map a fresh shared table. NULL on failure. */
struct guests *guests_map(void);
/* Register supervisor sup for a guest from home_node. Slot index or -1 (full). */
int guests_add(struct guests *g, pid_t sup, int home_node, int home_pid);
/* Forget supervisor sup (it ended); count it as failed if it failed while
 * an expel was asked. Returns 1 if sup was a guest's supervisor. */
int guests_gone(struct guests *g, pid_t sup, int failed);
/* How many guests run here. */
size_t guests_count(const struct guests *g);
/* Send every guest home: block arrivals and signal every supervisor.
 * Returns how many were asked. */
size_t guests_expel(struct guests *g);

#endif
