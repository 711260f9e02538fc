/* freeze.h: stop a supervised (seized) process where it is, and let it go again. */
#ifndef GUESTD_FREEZE_H
#define GUESTD_FREEZE_H

#include "appliance/err.h"

#include <sys/types.h>

/* Freeze a seized tracee that is running (or group-stopped): PTRACE_INTERRUPT,
 * then wait for the interrupt stop. Signals that reach delivery meanwhile are
 * put back in the queue, so nothing is lost and the image sees them pending.
 * 0, or a negative code (-ESRCH: it exited; the wait status is in *status). */
int freeze_process(pid_t pid, int *status, struct err *e);

#endif
