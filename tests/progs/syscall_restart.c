/* syscall_restart: a program blocked in select() when checkpointed sees only timeouts or EINTR, and
 * select still sleeps afterwards. */
#include <errno.h>
#include <sys/select.h>
#include <time.h>

#include "progs.h"

#define NAME "syscall_restart"
#define NAP_US 50000

static int n_calls, n_eintr, bad_ret, bad_errno;

/* Sleep 50 ms in select(); record any result other than a timeout or EINTR. */
static void nap(void)
{
	struct timeval tv = {0, NAP_US};
	int r = select(0, NULL, NULL, NULL, &tv);
	n_calls++;
	if (r == -1 && errno == EINTR)
		n_eintr++;
	else if (r == -1 && !bad_errno)
		bad_errno = errno;
	else if (r != 0 && r != -1)
		bad_ret = r;
}

/* Return monotonic milliseconds. */
static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* progs_wait, with select() as the sleep. */
static void wait_in_select(void)
{
	const char *go = getenv("MOSTEST_GO");
	progs_say("READY %s pid=%d\n", NAME, (int)getpid());
	if (!go) {
		nap();
		return;
	}
	long long end = now_ms() + 120 * 1000;
	while (access(go, F_OK) != 0) {
		if (now_ms() > end)
			progs_fail(NAME, "timed out waiting for %s", go);
		nap();
	}
}

int main(void)
{
	wait_in_select();

	if (bad_ret)
		progs_fail(NAME, "select returned %d with no descriptors", bad_ret);
	if (bad_errno)
		progs_fail(NAME, "select failed with errno %d%s (not EINTR)", bad_errno,
			   bad_errno >= 512 && bad_errno <= 516 ? ", a kernel-internal ERESTART*"
								: "");
	long long t0 = now_ms();
	nap();
	long long took = now_ms() - t0;
	if (bad_ret || bad_errno || took < NAP_US / 1000 - 5)
		progs_fail(NAME, "select after restore took %lld ms (ret %d, errno %d), want ~50",
			   took, bad_ret, bad_errno);
	if (n_eintr)
		progs_say("note: %d of %d select calls returned EINTR\n", n_eintr, n_calls);
	progs_pass(NAME);
}
