/* progs.h: the protocol every workload program in tests/progs/ follows.
 *
 * 1. Set up the state under test (heap, registers, signals, ...).
 * 2. progs_wait(name): prints "READY <name> pid=<pid>" and waits until the
 *    file named by $MOSTEST_GO exists (polling access() every 5 ms; no wait
 *    at all when MOSTEST_GO is unset, so a plain run checks itself at once).
 *    The harness checkpoints (or migrates) the program while it waits, then
 *    creates the file.
 * 3. Verify the state, then progs_pass(name) or progs_fail(name, fmt, ...):
 *    "PASS <name> pid=<pid>" and exit 0, or "FAIL <name>: <why>" and exit 1.
 * A wait longer than 120 s is a FAIL (never hang a test run).
 */
#ifndef PROGS_H
#define PROGS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Print a line and flush it right away (output may be a pipe or a file). */
__attribute__((format(printf, 1, 2))) static inline void progs_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Report failure and exit 1. */
__attribute__((format(printf, 2, 3), noreturn)) static inline void progs_fail(const char *name,
									      const char *fmt, ...)
{
	va_list ap;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* Report success and exit 0. */
__attribute__((noreturn)) static inline void progs_pass(const char *name)
{
	progs_say("PASS %s pid=%d\n", name, (int)getpid());
	exit(0);
}

/* Announce readiness and wait for the go file. */
static inline void progs_wait(const char *name)
{
	const char *go = getenv("MOSTEST_GO");
	progs_say("READY %s pid=%d\n", name, (int)getpid());
	if (!go)
		return;
	for (int i = 0; access(go, F_OK) != 0; i++) {
		if (i > 120 * 200)
			progs_fail(name, "timed out waiting for %s", go);
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

#endif
