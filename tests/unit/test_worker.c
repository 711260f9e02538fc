/* test_worker.c: the one-job background thread (appliance/worker.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "appliance/worker.h"

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What the jobs of one test see and leave. */
struct log {
	int ran[16], n;
	int fail_at; /* job number that fails with -EIO (or -1) */
	sem_t go;    /* a gated job waits for this */
	int gated;   /* job number that waits for go (or -1) */
	int all_blocked;
};

/* A job: its number. It records itself, may wait for the gate, may fail. */
static int job_run(void *ctx, const void *job)
{
	struct log *l = ctx;
	int k;
	memcpy(&k, job, sizeof(k));
	if (k == l->gated) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (sem_timedwait(&l->go, &ts))
			return -ETIMEDOUT; /* submit waited for the job: not in the background */
	}
	sigset_t m;
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	l->all_blocked =
	    sigismember(&m, SIGINT) && sigismember(&m, SIGTERM) && sigismember(&m, SIGCHLD);
	l->ran[l->n++] = k;
	return k == l->fail_at ? -EIO : 0;
}

static void log_init(struct log *l)
{
	memset(l, 0, sizeof(*l));
	l->fail_at = l->gated = -1;
	sem_init(&l->go, 0, 0);
}

/* Every job runs, once, in order, on a thread with every signal blocked. */
static void test_in_order(void **state)
{
	struct log l;
	log_init(&l);
	struct worker *w = worker_start(job_run, &l);
	assert_non_null(w);
	for (int k = 0; k < 10; k++)
		assert_int_equal(worker_submit(w, &k, sizeof(k)), 0);
	assert_int_equal(worker_wait(w), 0);
	assert_int_equal(l.n, 10);
	for (int k = 0; k < 10; k++)
		assert_int_equal(l.ran[k], k);
	assert_true(l.all_blocked);
	worker_stop(w);
}

/* submit returns while the job runs: the caller goes on meanwhile. */
static void test_runs_in_background(void **state)
{
	struct log l;
	log_init(&l);
	l.gated = 1;
	struct worker *w = worker_start(job_run, &l);
	assert_non_null(w);
	int k = 1;
	assert_int_equal(worker_submit(w, &k, sizeof(k)), 0);
	sem_post(&l.go); /* only reached if submit did not wait for the job */
	assert_int_equal(worker_wait(w), 0);
	assert_int_equal(l.n, 1);
	worker_stop(w);
}

/* After a failed job, later jobs are not run and the error is reported by
 * wait and by every later submit. */
static void test_first_error_sticks(void **state)
{
	struct log l;
	log_init(&l);
	l.fail_at = 2;
	struct worker *w = worker_start(job_run, &l);
	int rc = 0, k;
	for (k = 0; k < 6 && !rc; k++)
		rc = worker_submit(w, &k, sizeof(k));
	assert_int_equal(worker_wait(w), -EIO);
	k = 9;
	assert_int_equal(worker_submit(w, &k, sizeof(k)), -EIO);
	assert_int_equal(worker_wait(w), -EIO);
	assert_int_equal(l.n, 3); /* 0, 1 and the failing 2 */
	assert_int_equal(l.ran[2], 2);
	worker_stop(w);
}

/* stop finishes the job in flight first; stopping nothing is harmless. */
static void test_stop_waits(void **state)
{
	struct log l;
	log_init(&l);
	struct worker *w = worker_start(job_run, &l);
	int k = 3;
	assert_int_equal(worker_submit(w, &k, sizeof(k)), 0);
	worker_stop(w);
	assert_int_equal(l.n, 1);
	worker_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_runs_in_background),
	    cmocka_unit_test(test_first_error_sticks),
	    cmocka_unit_test(test_stop_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
