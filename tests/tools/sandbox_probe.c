/* sandbox_probe: run migrated, try to reach the hosting node's resources and
 * report what it got. Usage: sandbox_probe GOFILE HOSTFILE HOSTBIN PORT
 * Waits for GOFILE (it is migrated meanwhile), then: opens HOSTFILE (exists
 * only on the hosting node), execs HOSTBIN (same), connects to 127.0.0.1:PORT
 * (a listener only on the hosting node). Each must give home's answer: here
 * ENOENT, ENOENT, ECONNREFUSED. Prints PASS or FAIL lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Report one probe: ok when errno is the wanted one. */
static int probe(const char *what, int rc, int want)
{
	int ok = rc < 0 && errno == want;
	printf("%s %s: %s (want %s)\n", ok ? "PASS" : "FAIL", what,
	       rc < 0 ? strerror(errno) : "succeeded", strerror(want));
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: sandbox_probe GOFILE HOSTFILE HOSTBIN PORT\n");
		return 2;
	}
	printf("READY sandbox_probe pid=%d\n", getpid());
	fflush(stdout);
	for (int i = 0; access(argv[1], F_OK) && i < 24000; i++)
		usleep(5000);
	int ok = probe("open host file", open(argv[2], O_RDONLY), ENOENT);
	char *const av[] = {argv[3], NULL};
	ok &= probe("exec host binary", execv(argv[3], av), ENOENT);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[4]))};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ok &= probe("connect to host port", connect(s, (struct sockaddr *)&a, sizeof(a)),
		    ECONNREFUSED);
	fflush(stdout);
	return ok ? 0 : 1;
}
