/* rr.c: the link's request/response time, as the forwarded-call benchmark's
 * yardstick: 64-byte messages echoed over one TCP connection (TCP_NODELAY),
 * in C so that no interpreter's cost is counted as the link's.
 *   rr serve ADDR PORT [SIZE]   answer every SIZE-byte request (default 64) with
 *                               64 bytes, until the peer closes
 *   rr ping ADDR PORT [N [GAP_US [SIZE]]]
 *                               N round trips (default 5000) of SIZE-byte requests,
 *                               with GAP_US of computing before each (as an
 *                               application between its calls: the CPUs are not
 *                               kept awake by the trips); prints microseconds
 *                               per trip, the gaps not counted */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64
#define RR_SIZE_MAX 65536

/* All of n bytes, or -1. */
static int io_all(int fd, char *p, size_t n, int out)
{
	while (n) {
		ssize_t k = out ? write(fd, p, n) : read(fd, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Monotonic nanoseconds. */
static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "serve") && strcmp(argv[1], "ping"))) {
		fprintf(
		    stderr,
		    "usage: rr serve ADDR PORT [SIZE] | rr ping ADDR PORT [N [GAP_US [SIZE]]]\n");
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || inet_pton(AF_INET, argv[2], &a.sin_addr) != 1)
		return 1;
	static char buf[RR_SIZE_MAX];
	memset(buf, 'x', sizeof(buf));
	int sarg = !strcmp(argv[1], "serve") ? 4 : 6;
	long size = argc > sarg ? atol(argv[sarg]) : MSG;
	if (size < MSG || size > RR_SIZE_MAX) {
		fprintf(stderr, "rr: SIZE must be %d..%d\n", MSG, RR_SIZE_MAX);
		return 2;
	}
	if (!strcmp(argv[1], "serve")) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1))
			return 1;
		int c = accept(fd, NULL, NULL);
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (io_all(c, buf, (size_t)size, 0) == 0 && io_all(c, buf, MSG, 1) == 0)
			;
		return 0;
	}
	long n = argc > 4 ? atol(argv[4]) : 5000, gap = argc > 5 ? atol(argv[5]) : 0;
	for (int i = 0; connect(fd, (struct sockaddr *)&a, sizeof(a)); i++) {
		close(fd); /* (a refused socket is not reused) */
		if (i == 100 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return 1;
		usleep(20000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	double ns = 0;
	for (long i = 0; i < n; i++) {
		double g = gap > 0 ? now_ns() + (double)gap * 1e3 : 0;
		while (gap > 0 && now_ns() < g)
			; /* computing */
		double t0 = now_ns();
		if (io_all(fd, buf, (size_t)size, 1) || io_all(fd, buf, MSG, 0))
			return 1;
		ns += now_ns() - t0;
	}
	double us = ns / 1e3 / (double)n;
	printf("%.2f\n", us);
	return 0;
}
