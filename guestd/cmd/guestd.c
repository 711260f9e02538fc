/* guestd: the per-node daemon of the cluster. */
#include "daemon.h"
#include "localapi.h"
#include "appliance/cluster.h"
#include "appliance/log.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: guestd [-c DIR] [-r RUNDIR] [-f] [-v|-d]\n"
    "Run this node's cluster daemon.\n"
    "  -c DIR     cluster map and key (DIR/cluster.conf, DIR/cluster.key; default /etc/mosix)\n"
    "  -r RUNDIR  sockets and the bodies' empty root (default /run/mosix)\n"
    "  -f         stay in the foreground, log to stderr (default: daemon, syslog)\n"
    "  -v, -d     log more (info, debug)\n"
    "  --help     this text\n";

int main(int argc, char **argv)
{
	struct daemon_opts o = {CLUSTER_DEFAULT_DIR, LAPI_SOCK_DIR};
	static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
	int c, fg = 0;
	while ((c = getopt_long(argc, argv, "c:r:fvd", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.confdir = optarg;
			break;
		case 'r':
			o.rundir = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		case 'v':
			log_set_level(LOG_LVL_INFO);
			break;
		case 'd':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!fg) {
		if (daemon(0, 0)) {
			perror("guestd: daemon");
			return 1;
		}
		log_use_syslog(1, "guestd");
	}
	struct err e = {0, ""};
	if (daemon_run(&o, &e)) {
		fprintf(stderr, "guestd: %s\n", e.msg);
		log_error("%s", e.msg);
		return 1;
	}
	return 0;
}
