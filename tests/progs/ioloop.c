/* ioloop: an I/O-bound process: small reads of a file, as fast as it can,
 * until GOFILE exists; then prints the sum of the file's first 64 KiB
 * (the same wherever it ran):
 *   ioloop FILE GOFILE   prints "READY ioloop pid=N", then "ioloop SUM"
 * Away from home every read is forwarded to it: the balancer must keep it
 * home, or bring it back. */
#include "progs.h"

#include <fcntl.h>
#include <stdint.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return fprintf(stderr, "usage: ioloop FILE GOFILE\n"), 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		progs_fail("ioloop", "open %s", argv[1]);
	progs_say("READY ioloop pid=%d\n", (int)getpid());
	uint8_t buf[4096];
	for (unsigned i = 0; i % 256 || access(argv[2], F_OK); i++)
		if (pread(fd, buf, sizeof(buf), (off_t)(i % 16) * 4096) < 0)
			progs_fail("ioloop", "read %s", argv[1]);
	uint64_t sum = 0;
	for (int k = 0; k < 16; k++) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)k * 4096);
		for (ssize_t b = 0; b < n; b++)
			sum += buf[b];
	}
	progs_say("ioloop %llu\n", (unsigned long long)sum);
	return 0;
}
