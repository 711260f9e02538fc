/* selfckpt: mosix_checkpoint() returns 0 after a checkpoint, 1 after recovery, and the heap
 * survives. */
#include <errno.h>
#include <mosix.h>
#include <stdint.h>
#include <string.h>

#include "progs.h"

#define NAME "selfckpt"
#define WORDS (256 * 1024)

/* Return a checksum over n words. */
static uint64_t digest(const uint64_t *w, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 1099511628211ULL;
	return h;
}

int main(void)
{
	uint64_t *heap = malloc(WORDS * sizeof(*heap));
	if (!heap)
		progs_fail(NAME, "malloc: out of memory");
	for (size_t i = 0; i < WORDS; i++)
		heap[i] = i * 0x9e3779b97f4a7c15ULL + 1;
	uint64_t want = digest(heap, WORDS);
	int pid0 = (int)getpid();

	int r = mosix_checkpoint();
	int e = errno;
	if (r == -1 && e == ENOSYS) {
		progs_say("not under mosrun (mosix_checkpoint: ENOSYS)\n");
	} else if (r == -1) {
		progs_fail(NAME, "mosix_checkpoint refused: %s", strerror(e));
	} else if (r == 0) {
		progs_say("CKPT-TAKEN pid=%d\n", (int)getpid());
	} else if (r == 1) {
		progs_say("RECOVERED pid=%d (checkpointed as pid %d)\n", (int)getpid(), pid0);
	} else {
		progs_fail(NAME, "mosix_checkpoint returned %d", r);
	}
	if (digest(heap, WORDS) != want)
		progs_fail(NAME, "heap checksum changed (after return %d)", r);
	free(heap);
	progs_pass(NAME);
}
