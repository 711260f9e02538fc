/* checkpoint.h: checkpoint files FILE.1, FILE.2, ... written atomically. */
#ifndef GUESTD_CHECKPOINT_H
#define GUESTD_CHECKPOINT_H

#include "appliance/err.h"
#include "engine/dump.h"

#include <sys/types.h>

/* Dump stopped process pid to base.seq: written to a temporary file, synced,
 * then renamed over, so an interrupted checkpoint leaves the old file intact.
 * *path gets the file name (malloc'd). 0 or a negative code. */
int ckpt_write(pid_t pid, const char *base, int seq, const struct dump_opts *o,
	       struct dump_stats *st, char **path, struct err *e);
/* Split "FILE.N" into base and N when it has that form: 0, or -EINVAL. */
int ckpt_split(const char *file, char **base, int *seq);

#endif
