/* worker.h: one background thread that runs one job at a time, so that its
 * caller can prepare the next job while the last one runs. */
#ifndef APPLIANCE_WORKER_H
#define APPLIANCE_WORKER_H

#include <stddef.h>

#define WORKER_JOB_MAX 64 /* bytes of job description, copied at submit */

/* Run one job: 0 or a negative code. */
typedef int (*worker_fn)(void *ctx, const void *job);

struct worker;

/* Start the thread, with every signal blocked in it (signals stay with the
 * caller's threads). NULL if no thread could be made: then do the work in
 * the caller. */
struct worker *worker_start(worker_fn fn, void *ctx);
/* Wait for the job in flight; the first error of any job so far (once a job
 * has failed, later ones are not run). */
int worker_wait(struct worker *w);
/* Wait for the job in flight, then hand over len bytes of job; returns the
 * first error so far instead of submitting. */
int worker_submit(struct worker *w, const void *job, size_t len);
/* Is a job in flight? A hint only: it may end right after. */
int worker_busy(struct worker *w);
/* Finish the job in flight, end the thread and free w (NULL is fine). */
void worker_stop(struct worker *w);

#endif
