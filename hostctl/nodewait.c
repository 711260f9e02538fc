/* nodewait.c: a poll loop over non-blocking connects to port 22 of every node. */
#include "nodewait.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "sbuf.h"

#define ATTEMPT_S 2.0

/* Start a non-blocking connect to ip:22. */
static int nodewait_connect(const char *ip)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(22)};
	if (fd < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drop the current attempt of a node. */
static void nodewait_reset(struct nodewait *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->reading = 0;
}

/* Handle poll events of one node; sets ready_s when the banner arrives. */
static void nodewait_event(struct nodewait *n, short rev, double now)
{
	if (!n->reading) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			nodewait_reset(n);
			return;
		}
		n->reading = 1;
		return;
	}
	char buf[64];
	ssize_t r = read(n->fd, buf, sizeof(buf) - 1);
	if (r >= 4 && !memcmp(buf, "SSH-", 4))
		n->ready_s = now;
	nodewait_reset(n);
	(void)rev;
}

/* Show "nodes answering ssh: k/n" (rewritten in place on a terminal). */
static void nodewait_progress(struct nodewait *n, int count, double el, int *last)
{
	int k = 0;
	struct sbuf b = {0};
	for (int i = 0; i < count; i++) {
		if (n[i].ready_s >= 0) {
			k++;
			sbuf_printf(&b, " %s", n[i].name);
		}
	}
	int tty = isatty(2);
	if (tty || k != *last)
		fprintf(stderr, "%s[%5.1fs] nodes answering ssh: %d/%d%s%s", tty ? "\r" : "", el, k,
			count, b.s ? " --" : "", b.s ? b.s : "");
	if (!tty && k != *last)
		fputc('\n', stderr);
	*last = k;
	sbuf_free(&b);
}

/* Build the pollfd set for this round, opening new attempts where due. */
static int nodewait_round(struct nodewait *n, int count, struct pollfd *p, int *map, double now)
{
	int np = 0;
	for (int i = 0; i < count; i++) {
		if (n[i].ready_s >= 0)
			continue;
		if (n[i].fd >= 0 && now - n[i].started > ATTEMPT_S)
			nodewait_reset(&n[i]);
		if (n[i].fd < 0) {
			n[i].fd = nodewait_connect(n[i].ip);
			n[i].started = now;
		}
		if (n[i].fd < 0)
			continue;
		p[np] = (struct pollfd){.fd = n[i].fd, .events = n[i].reading ? POLLIN : POLLOUT};
		map[np++] = i;
	}
	return np;
}

/* Wait for all banners. */
int nodewait_ssh(struct nodewait *n, int count, double timeout_s, int progress,
		 volatile sig_atomic_t *stop, struct err *e)
{
	static volatile sig_atomic_t never;
	if (!stop)
		stop = &never;
	struct pollfd p[count];
	int map[count], last = -1, left = count;
	double t0 = util_now();
	for (int i = 0; i < count; i++) {
		n[i].fd = -1;
		n[i].reading = 0;
		n[i].ready_s = -1;
	}
	while (left > 0 && util_now() - t0 < timeout_s && !*stop) {
		int np = nodewait_round(n, count, p, map, util_now());
		if (poll(p, (nfds_t)np, 200) < 0 && errno != EINTR)
			return err_set(e, -errno, "poll");
		for (int j = 0; j < np; j++)
			if (p[j].revents)
				nodewait_event(&n[map[j]], p[j].revents, util_now() - t0);
		if (np == 0)
			usleep(200000);
		left = 0;
		for (int i = 0; i < count; i++)
			left += n[i].ready_s < 0;
		if (progress)
			nodewait_progress(n, count, util_now() - t0, &last);
	}
	if (progress && isatty(2))
		fputc('\n', stderr);
	struct sbuf miss = {0};
	for (int i = 0; i < count; i++) {
		if (n[i].ready_s < 0)
			sbuf_printf(&miss, " %s", n[i].name);
		nodewait_reset(&n[i]);
	}
	int r = *stop	 ? err_setx(e, -EINTR, "interrupted")
		: miss.s ? err_setx(e, -ETIMEDOUT, "no ssh answer within %.0f s from:%s", timeout_s,
				    miss.s)
			 : 0;
	sbuf_free(&miss);
	return r;
}

/* tail -n lines path, to stderr. */
void nodewait_tail(const char *path, int lines)
{
	_cleanup_free_ char *s = NULL;
	ssize_t len = util_read_file(path, &s);
	if (len <= 0) {
		fprintf(stderr, "  (console log %s is empty or missing)\n", path);
		return;
	}
	const char *p = s + len;
	for (int k = 0; p > s && k <= lines; p--)
		if (p[-1] == '\n' && ++k > lines)
			break;
	fprintf(stderr, "---- last %d lines of %s ----\n%s%s---- end ----\n", lines, path, p,
		s[len - 1] == '\n' ? "" : "\n");
}
