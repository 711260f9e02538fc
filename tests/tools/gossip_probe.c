/* gossip_probe: send gossip datagrams to a guestd, good and bad, as a test
 * needs them.
 *   gossip_probe ADDR PORT KEYFILE FROM KIND [SPEED [TO]]
 * KIND: valid (an entry for node FROM, age 0, with speed SPEED), replay (the
 * same valid datagram twice, a second apart), forged (valid but for a wrong tag), truncated,
 * oversized, garbage (not our protocol), unknown (valid, from node 999).
 * TO: the node the datagram says it is for (default 1).
 * KEYFILE: the cluster key (64 hex digits). Exit 0 when sent. */
#include "daemon/nodes.h"
#include "appliance/dgram.h"
#include "appliance/wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Read 32 key bytes from hex. */
static int read_key(const char *path, uint8_t key[32])
{
	char hex[80] = "";
	FILE *f = fopen(path, "r");
	if (!f || !fgets(hex, sizeof(hex), f))
		return -1;
	fclose(f);
	for (int i = 0; i < 32; i++) {
		unsigned b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		key[i] = (uint8_t)b;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t buf[DGRAM_MAX + 4096], dkey[32];
	uint8_t key[32];
	if (argc < 6 || read_key(argv[3], key)) {
		fprintf(stderr, "usage: gossip_probe ADDR PORT KEYFILE FROM KIND [SPEED [TO]]\n");
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	inet_pton(AF_INET, argv[1], &a.sin_addr);
	int from = atoi(argv[4]), to = argc > 7 ? atoi(argv[7]) : 1;
	const char *kind = argv[5];
	struct node_info v;
	struct timespec t;
	memset(&v, 0, sizeof(v));
	v.node = from;
	v.speed = argc > 6 ? (uint32_t)atoi(argv[6]) : 4242;
	v.ncpus = 1;
	v.cpus_milli = 1000;
	dgram_key(key, dkey);
	clock_gettime(CLOCK_REALTIME, &t);
	uint64_t counter = (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
	int len = dgram_seal(dkey, WIRE_GOSSIP, !strcmp(kind, "unknown") ? 999 : from, to, counter,
			     &v, sizeof(v), buf);
	int s = socket(AF_INET, SOCK_DGRAM, 0), sends = 1;
	if (!strcmp(kind, "replay"))
		sends = 2;
	else if (!strcmp(kind, "forged"))
		buf[len - 1] ^= 0x40;
	else if (!strcmp(kind, "truncated"))
		len -= 9;
	else if (!strcmp(kind, "oversized"))
		memset(buf + len, 0, 4096), len += 4096;
	else if (!strcmp(kind, "garbage"))
		memset(buf, 'x', (size_t)len);
	else if (strcmp(kind, "valid") && strcmp(kind, "unknown"))
		return fprintf(stderr, "gossip_probe: unknown kind '%s'\n", kind), 2;
	for (int i = 0; i < sends; i++)
		if ((i && sleep(1)) ||
		    sendto(s, buf, (size_t)len, 0, (struct sockaddr *)&a, sizeof(a)) != len)
			return perror("sendto"), 1;
	return 0;
}
