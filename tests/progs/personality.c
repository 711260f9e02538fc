/* personality: the ADDR_NO_RANDOMIZE personality flag survives. */
#include <sys/personality.h>

#include "progs.h"

#define NAME "personality"
#define QUERY 0xffffffff

int main(void)
{
	int cur = personality(QUERY);
	if (cur == -1)
		progs_fail(NAME, "personality query: %m");
	if (personality((unsigned long)cur | ADDR_NO_RANDOMIZE) == -1)
		progs_fail(NAME, "personality set: %m");
	int want = personality(QUERY);
	if (!(want & ADDR_NO_RANDOMIZE))
		progs_fail(NAME, "ADDR_NO_RANDOMIZE did not stick (%#x)", want);

	progs_wait(NAME);

	int got = personality(QUERY);
	if (got != want)
		progs_fail(NAME, "personality %#x, want %#x", got, want);
	progs_pass(NAME);
}
