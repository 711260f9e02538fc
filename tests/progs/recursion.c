/* recursion: 50,000 stack frames with depth-derived locals survive, checked while unwinding. */
#include "progs.h"

#define NAME "recursion"
#define DEPTH 50000

static long bad_frames, first_bad = -1;

/* Recurse to DEPTH, wait at the bottom, verify each frame on the way up. */
static __attribute__((noinline)) long descend(long depth)
{
	volatile long loc[3] = {depth * 7 + 1, depth ^ 0x5555aaaaL, -depth};
	long below = 0;
	if (depth < DEPTH)
		below = descend(depth + 1);
	else
		progs_wait(NAME);
	if (loc[0] != depth * 7 + 1 || loc[1] != (depth ^ 0x5555aaaaL) || loc[2] != -depth) {
		bad_frames++;
		first_bad = depth;
	}
	return below + 1;
}

int main(void)
{
	long frames = descend(1);
	if (frames != DEPTH)
		progs_fail(NAME, "unwound %ld frames, want %d", frames, DEPTH);
	if (bad_frames)
		progs_fail(NAME, "%ld frames corrupted, e.g. depth %ld", bad_frames, first_bad);
	progs_pass(NAME);
}
