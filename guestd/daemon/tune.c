/* tune.c: guestd's tunables, from the cluster map's 'set' lines. */
#include "daemon/tune.h"
#include "appliance/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct tune_def {
	const char *name;
	size_t off;
	double def, min, max;
	const char *doc;
};

#define T(name, field, def, min, max, doc)                                                         \
	{                                                                                          \
		name, offsetof(struct tune, field), def, min, max, doc                             \
	}
static const struct tune_def tune_defs[] = {
    T("balance_margin", margin, 1.3, 1.0, 10, "a move must make a process this much faster"),
    T("balance_min_gain", min_gain, 0.02, 0, 10, "and gain this share of a standard core"),
    T("balance_min_interval", min_interval_s, 10, 0, 3600,
      "seconds between two moves of a process"),
    T("balance_moves_per_step", moves_per_step, 4, 0, 1024, "moves a node starts in one step"),
    T("balance_cpu_bound", cpu_bound, 0.3, 0, 1, "share of a core a process must want to move"),
    T("mem_reserve_mb", mem_reserve_mb, 32, 0, 1 << 20, "MiB a target keeps free after a move"),
    T("usher_free_pct", usher_free_pct, 10, 0, 90, "below this % free memory a node ushers out"),
    T("io_call_us", io_call_us, 200, 0, 1e6, "microseconds one forwarded call costs"),
    T("link_mbps", link_mbps, 1000, 1, 1e6, "link rate (Mbit/s) until a migration measures it"),
    T("move_payback", payback, 1, 0, 1000, "a move's gain must repay its cost this many times"),
    T("best_hold", best_hold_s, 3, 0, 600, "seconds a mosrun -b placement counts on its node"),
    T("best_margin", best_margin, 1.05, 1.0, 10, "mosrun -b: how much faster than home"),
};
#undef T

int tune_read(const struct cluster *c, struct tune *t, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(tune_defs); i++)
		*(double *)((char *)t + tune_defs[i].off) = tune_defs[i].def;
	for (size_t k = 0; k < c->ntun; k++) {
		const struct cluster_tunable *x = &c->tun[k];
		const struct tune_def *d = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(tune_defs) && !d; i++)
			if (!strcmp(tune_defs[i].name, x->name))
				d = &tune_defs[i];
		if (!d)
			return err_setx(
			    e, -EINVAL,
			    "cluster.conf:%d: unknown tunable '%s' (guestd.8 lists them)", x->line,
			    x->name);
		if (x->value < d->min || x->value > d->max)
			return err_setx(e, -EINVAL,
					"cluster.conf:%d: %s must be from %g to %g, not %g",
					x->line, x->name, d->min, d->max, x->value);
		*(double *)((char *)t + d->off) = x->value;
	}
	return 0;
}

void tune_describe(char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(tune_defs) && at < len; i++) {
		const struct tune_def *d = &tune_defs[i];
		int w = snprintf(buf + at, len - at, "%s %g %g %g %s\n", d->name, d->def, d->min,
				 d->max, d->doc);
		at += w > 0 ? (size_t)w : 0;
	}
}
