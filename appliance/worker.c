/* worker.c: a thread that runs one job at a time for its caller. */
#include "appliance/worker.h"
#include "appliance/xmem.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	worker_fn fn;
	void *ctx;
	unsigned char job[WORKER_JOB_MAX];
	int busy, stop, err;
};

/* The thread: run each job, keep the first error. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;
		pthread_mutex_unlock(&w->mu);
		int rc = w->err ? 0 : w->fn(w->ctx, w->job);
		pthread_mutex_lock(&w->mu);
		if (rc && !w->err)
			w->err = rc;
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct worker *worker_start(worker_fn fn, void *ctx)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->fn = fn;
	w->ctx = ctx;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->th, NULL, worker_run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return NULL;
	}
	return w;
}

int worker_wait(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	int rc = w->err;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int worker_submit(struct worker *w, const void *job, size_t len)
{
	if (len > sizeof(w->job))
		abort(); /* a caller's bug: jobs are small descriptions */
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	int rc = w->err;
	if (!rc) {
		memcpy(w->job, job, len);
		w->busy = 1;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int worker_busy(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	int busy = w->busy;
	pthread_mutex_unlock(&w->mu);
	return busy;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
