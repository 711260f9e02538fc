/* wireprobe: talk to a guestd as a node would, for fault tests.
 *   wireprobe ADDR PORT key HEXKEY   handshake with this key, then send a MIGRATE
 *                                    frame of junk; prints what happened
 *   wireprobe ADDR PORT garbage      send random bytes instead of a handshake
 * Exit 0 when the handshake succeeded, 1 when it was refused. */
#include "appliance/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Parse 64 hex digits. */
static int parse_key(const char *s, uint8_t key[32])
{
	for (int i = 0; i < 32; i++)
		if (sscanf(s + 2 * i, "%2hhx", &key[i]) != 1)
			return -1;
	return strlen(s) == 64 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct err e = {0, ""};
	if (argc < 4) {
		fprintf(stderr, "usage: wireprobe ADDR PORT key HEX | garbage\n");
		return 2;
	}
	int fd = wire_connect(argv[1], (uint16_t)atoi(argv[2]), 3000, &e);
	if (fd < 0) {
		printf("connect: %s\n", e.msg);
		return 1;
	}
	if (!strcmp(argv[3], "garbage")) {
		unsigned char junk[4096];
		getrandom(junk, sizeof(junk), 0);
		ssize_t n = write(fd, junk, sizeof(junk));
		char buf[64];
		ssize_t r = read(fd, buf, sizeof(buf));
		printf("sent %zd random bytes; the server %s\n", n, r <= 0 ? "closed" : "answered");
		return 1;
	}
	uint8_t key[32];
	struct wire_conn c;
	if (argc < 5 || parse_key(argv[4], key)) {
		fprintf(stderr, "wireprobe: bad key\n");
		return 2;
	}
	if (wire_client(&c, fd, key, 99, 3000, &e)) {
		printf("handshake refused: %s\n", e.msg);
		return 1;
	}
	printf("handshake accepted by node %d\n", c.peer_node);
	wire_close(&c);
	return 0;
}
