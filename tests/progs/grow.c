/* grow: a process that grows, then idles: the memory-ushering test's load.
 *   grow MB GOFILE   touches MB MiB of its own, 8 MiB at a time (a tenth of
 *                    a second apart), prints "READY grow pid=N", then idles
 *                    (hardly any CPU) until GOFILE exists, checks every page
 *                    still holds what it wrote and prints "grow MB ok"
 * It must not be moved for CPU (it hardly computes): only for memory. */
#include "progs.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return fprintf(stderr, "usage: grow MB GOFILE\n"), 2;
	size_t mb = strtoull(argv[1], NULL, 10), len = mb << 20, page = 4096;
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		progs_fail("grow", "mmap %zu MiB", mb);
	for (size_t at = 0; at < len; at += page) {
		memset(m + at, (int)((at / page) & 0xff), page);
		if (at % (8u << 20) == 0)
			usleep(100000);
	}
	progs_say("READY grow pid=%d\n", (int)getpid());
	while (access(argv[2], F_OK))
		usleep(200000);
	for (size_t at = 0; at < len; at += page)
		if (m[at] != (uint8_t)((at / page) & 0xff) || m[at + page - 1] != m[at])
			progs_fail("grow", "page %zu changed", at / page);
	progs_say("grow %zu ok\n", mb);
	return 0;
}
