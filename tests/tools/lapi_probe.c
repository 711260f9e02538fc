/* lapi_probe: ask guestd's local socket for one thing, as whoever runs it,
 * and say what came back: the status, the text, and whether a connection
 * or a session key came with it. Tests run it as an ordinary user to show
 * what guestd refuses.
 *   lapi_probe OP [NODE]   OP: connect, expel, bring, block, unblock, stay,
 *                          lstay, reload, nodes, procs, info, map
 *   lapi_probe garbage     a packet that is not our protocol
 * Exit: 0 when guestd said yes, 1 when it refused, 2 when it could not ask. */
#include "daemon/localapi.h"
#include "appliance/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const struct {
	const char *name;
	enum lapi_op op;
} ops[] = {{"connect", LAPI_CONNECT},
	   {"expel", LAPI_EXPEL},
	   {"bring", LAPI_BRING},
	   {"block", LAPI_BLOCK},
	   {"unblock", LAPI_UNBLOCK},
	   {"stay", LAPI_STAY},
	   {"lstay", LAPI_LSTAY},
	   {"reload", LAPI_RELOAD},
	   {"nodes", LAPI_NODES},
	   {"procs", LAPI_PROCS},
	   {"info", LAPI_INFO},
	   {"map", LAPI_MAP},
	   {"register", LAPI_GUEST_REGISTER}};

/* Send bytes that are not a request; guestd must answer or close, and live. */
static int garbage(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	static struct lapi_rep r;
	char junk[77];
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", lapi_path());
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		return perror("connect"), 2;
	memset(junk, 0x5a, sizeof(junk));
	if (send(s, junk, sizeof(junk), 0) != (ssize_t)sizeof(junk))
		return perror("send"), 2;
	ssize_t n = recv(s, &r, sizeof(r), 0);
	r.msg[sizeof(r.msg) - 1] = '\0';
	printf("status %d: %s\n", n == (ssize_t)sizeof(r) ? r.status : 0,
	       n == (ssize_t)sizeof(r) ? r.msg : "(closed)");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "garbage"))
		return garbage();
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(ops); i++) {
		if (strcmp(argv[1], ops[i].name))
			continue;
		struct lapi_req q;
		static struct lapi_rep r;
		struct err e = {0, ""};
		int fd = -1;
		lapi_req_init(&q, ops[i].op);
		q.node = argc >= 3 ? atoi(argv[2]) : 0;
		memset(&r, 0, sizeof(r));
		int rc = lapi_call(&q, &r, &fd, 10, &e);
		size_t key = 0;
		for (size_t k = 0; k < sizeof(r.session); k++)
			key += r.session[k] != 0;
		printf("status %d: %s\nconnection: %s\nsession key bytes: %zu\n", rc,
		       rc ? e.msg : r.msg, fd >= 0 ? "received" : "none", key);
		if (fd >= 0)
			close(fd);
		return rc == -EPROTO && !r.magic ? 2 : rc ? 1 : 0;
	}
	fprintf(stderr, "usage: lapi_probe OP [NODE] | garbage\n");
	return 2;
}
