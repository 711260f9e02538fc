/* brk: a patterned 6 MiB sbrk region survives and the program break can still grow. */
#include <stdint.h>
#include <string.h>

#include "progs.h"

#define NAME "brk"
#define OLD (6UL << 20)
#define GROW (8UL << 20)

/* Return the pattern byte at offset i. */
static uint8_t pattern(size_t i)
{
	return (uint8_t)((i * 131) ^ (i >> 12));
}

int main(void)
{
	/* stdio must not malloc (and so move the break) behind our back. */
	static char outbuf[4096];
	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
	uint8_t *old = sbrk((intptr_t)OLD);
	if (old == (void *)-1)
		progs_fail(NAME, "sbrk %lu: %m", OLD);
	for (size_t i = 0; i < OLD; i++)
		old[i] = pattern(i);
	void *brk0 = sbrk(0);

	progs_wait(NAME);

	for (size_t i = 0; i < OLD; i++)
		if (old[i] != pattern(i))
			progs_fail(NAME, "byte %#zx is %#x, want %#x", i, old[i], pattern(i));
	void *brk1 = sbrk(0);
	if (brk1 != brk0)
		progs_fail(NAME, "program break %p, was %p", brk1, brk0);
	uint8_t *more = sbrk((intptr_t)GROW);
	if (more == (void *)-1)
		progs_fail(NAME, "sbrk +8 MiB after restore: %m");
	if ((void *)more != brk1)
		progs_fail(NAME, "new memory at %p, want the old break %p", (void *)more, brk1);
	memset(more, 0xa5, GROW);
	for (size_t i = 0; i < GROW; i += 4096)
		if (more[i] != 0xa5)
			progs_fail(NAME, "new memory at +%#zx not usable", i);
	void *brk2 = sbrk(0);
	if ((uint8_t *)brk2 != more + GROW)
		progs_fail(NAME, "program break %p after growing, want %p", brk2,
			   (void *)(more + GROW));
	progs_pass(NAME);
}
