/* gossip_bench: the ages of what nodes know of each other, measured on
 * gossip-only instances of guestd's own gossip code (guestd/daemon/gossip.c)
 * exchanging real authenticated datagrams over loopback UDP, with short
 * steps, beside the closed forms of BALANCING.md (push gossip with a window
 * W); and the time a node that joins takes to be known by all.
 *
 *   gossip_bench OUTDIR [STEP_MS]     (default 100 ms)
 *
 * Prints a markdown table; writes OUTDIR/gossip.dat for the plot. Ages are
 * in steps. A view's age of a node is how old the freshest news of it is. */
#include "daemon/gossip.h"
#include "appliance/dgram.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXN 260
#define PORT0 47000

struct inst {
	struct gossip *g;
	int fd;
	int64_t next; /* its next step, ms */
	int up;
};

static struct inst in[MAXN + 1];
static int nodes[MAXN + 1];
static const uint8_t key[32] = {0x6d, 0x6f, 0x73, 0x69, 0x78};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Send buf to node k's socket. */
static void send_to(int from, int k, const uint8_t *buf, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(PORT0 + k))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (len)
		sendto(in[from].fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a));
}

/* Start instance k (1-based) of n, window w. */
static int start(int k, size_t n, int w, int step_ms, int64_t t)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(PORT0 + k))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in[k].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 1 << 20;
	setsockopt(in[k].fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (in[k].fd < 0 || bind(in[k].fd, (struct sockaddr *)&a, sizeof(a)))
		return -errno;
	in[k].g = gossip_new(k, key, w, step_ms, n);
	in[k].next = t + rand() % step_ms; /* steps out of phase, as real nodes */
	in[k].up = 1;
	return 0;
}

static void stop_all(size_t n)
{
	for (size_t k = 1; k <= n; k++)
		if (in[k].up) {
			close(in[k].fd);
			gossip_free(in[k].g);
			in[k].up = 0;
		}
}

/* Run for ms: every instance steps on time, datagrams are taken as they come. */
static void run(size_t n, int step_ms, int64_t ms)
{
	static struct pollfd pf[MAXN + 1];
	static uint8_t buf[DGRAM_MAX];
	int64_t end = now_ms() + ms;
	for (int64_t t = now_ms(); t < end; t = now_ms()) {
		for (size_t k = 1; k <= n; k++) {
			if (!in[k].up || t < in[k].next)
				continue;
			struct node_info v;
			int to;
			memset(&v, 0, sizeof(v));
			gossip_set_self(in[k].g, &v, t);
			size_t len = gossip_emit(in[k].g, nodes, n, t, &to, buf);
			send_to((int)k, to, buf, len);
			in[k].next += step_ms;
		}
		for (size_t k = 1; k <= n; k++)
			pf[k - 1] = (struct pollfd){in[k].up ? in[k].fd : -1, POLLIN, 0};
		if (poll(pf, n, 2) <= 0)
			continue;
		for (size_t k = 1; k <= n; k++) {
			ssize_t got;
			while (pf[k - 1].revents &&
			       (got = recv(in[k].fd, buf, sizeof(buf), 0)) > 0) {
				int back =
				    gossip_take(in[k].g, buf, (size_t)got, now_ms(), NULL, NULL);
				if (back > 0)
					send_to((int)k, back, buf,
						gossip_answer(in[k].g, back, now_ms(), buf));
			}
		}
	}
}

struct ages {
	double avg, viewmax, worst;
};

/* Sample every live view now: average age, average of each view's maximum,
 * the worst, in steps; nodes listed in skip are left out. */
static void sample(size_t n, int step_ms, int skip, struct ages *a, long *views)
{
	static struct node_info v[MAXN + 1];
	for (size_t k = 1; k <= n; k++) {
		if (!in[k].up || (int)k == skip)
			continue;
		size_t c = gossip_snapshot(in[k].g, now_ms(), NULL, NULL, v, MAXN + 1);
		double sum = 0, mx = 0;
		size_t m = 0;
		for (size_t i = 0; i < c; i++) {
			if (v[i].node == (int)k || v[i].node == skip)
				continue;
			double age = (double)v[i].age_ms / step_ms;
			sum += age;
			mx = age > mx ? age : mx;
			m++;
		}
		if (!m)
			continue;
		a->avg += sum / (double)m;
		a->viewmax += mx;
		a->worst = mx > a->worst ? mx : a->worst;
		(*views)++;
	}
}

/* Does every live instance but j know j? */
static int all_know(size_t n, int j)
{
	static struct node_info v[MAXN + 1];
	for (size_t k = 1; k <= n; k++) {
		if (!in[k].up || (int)k == j)
			continue;
		size_t c = gossip_snapshot(in[k].g, now_ms(), NULL, NULL, v, MAXN + 1), hit = 0;
		for (size_t i = 0; i < c; i++)
			hit |= v[i].node == j;
		if (!hit)
			return 0;
	}
	return 1;
}

/* One configuration: n nodes (node n joins late), window w. */
static int bench(FILE *dat, size_t n, int w, int step_ms)
{
	double favg, fmax;
	int64_t t0 = now_ms();
	for (size_t k = 1; k <= n; k++)
		nodes[k - 1] = (int)k;
	for (size_t k = 1; k < n; k++)
		if (start((int)k, n, w, step_ms, t0))
			return fprintf(stderr, "gossip_bench: bind: %s\n", strerror(errno)), -1;
	gossip_expected(n, w, &favg, &fmax);
	/* warm up long enough for news to reach everyone, then measure */
	int warm = (int)(4 * fmax) + 20, meas = 60;
	run(n, step_ms, (int64_t)warm * step_ms);
	struct ages a = {0, 0, 0};
	long views = 0;
	for (int s = 0; s < meas; s++) {
		run(n, step_ms, step_ms);
		sample(n, step_ms, (int)n, &a, &views);
	}
	/* node n joins: how long until all know it */
	int64_t tj = now_ms();
	start((int)n, n, w, step_ms, tj);
	double join = -1;
	while (now_ms() - tj < (int64_t)(20 * fmax + 100) * step_ms) {
		run(n, step_ms, step_ms / 4 > 0 ? step_ms / 4 : 1);
		if (all_know(n, (int)n)) {
			join = (double)(now_ms() - tj) / step_ms;
			break;
		}
	}
	stop_all(n);
	double avg = a.avg / (double)views, vmax = a.viewmax / (double)views;
	printf("| %zu | %d | %.2f | %.2f | %.1f | %.1f | %.0f | %.1f | %s |\n", n, w, avg, favg,
	       vmax, fmax, a.worst, join, avg <= favg && vmax <= fmax ? "yes" : "no");
	fprintf(dat, "\"N=%zu W=%d\" %.3f %.3f %.3f %.3f %.3f %.3f\n", n, w, avg, favg, vmax, fmax,
		a.worst, join);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		size_t n;
		int w;
	} cfg[] = {{16, 8}, {16, 16}, {64, 16}, {256, 16}, {256, 40}};
	int step_ms = argc > 2 ? atoi(argv[2]) : 100;
	if (argc < 2 || step_ms < 20) {
		fprintf(stderr, "usage: gossip_bench OUTDIR [STEP_MS >= 20]\n");
		return 2;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/gossip.dat", argv[1]);
	FILE *dat = fopen(path, "w");
	if (!dat)
		return perror(path), 1;
	srand((unsigned)time(NULL));
	printf("## Gossip ages (steps of %d ms; gossip-only instances of guestd's gossip code over "
	       "loopback UDP)\n\n",
	       step_ms);
	printf("Measured: average age of a node in a view, the average of each view's oldest "
	       "entry, the worst seen (60 samples of every view after a warm-up). Formula: "
	       "BALANCING.md's closed forms for push gossip with window W. Join: steps until every "
	       "node knows a node that starts late.\n\n");
	printf("| nodes | W | avg age | formula avg | view max | formula max | worst | join "
	       "(steps) | at or below the formula |\n|--:|--:|--:|--:|--:|--:|--:|--:|:-:|\n");
	fprintf(dat, "# config avg formula_avg viewmax formula_max worst join (steps)\n");
	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++)
		if (bench(dat, cfg[i].n, cfg[i].w, step_ms))
			return 1;
	fclose(dat);
	printf("\n");
	return 0;
}
