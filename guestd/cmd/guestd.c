/* guestd: the per-node daemon of the cluster. */
#include "daemon/daemon.h"
#include "daemon/localapi.h"
#include "appliance/cluster.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/version.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: guestd [-c DIR] [-r RUNDIR] [-m MIB] [-s MS] [-W N] [-f] [-v|-d]\n"
    "Run this node's cluster daemon.\n"
    "  -c DIR     cluster map and key (DIR/cluster.conf, DIR/cluster.key; default /etc/mosix)\n"
    "  -r RUNDIR  sockets and the bodies' empty root (default /run/mosix)\n"
    "  -m MIB     address space a guest (a process migrated here) may have, in MiB\n"
    "             (default: no bound but its own); bigger ones are refused, and\n"
    "             an allocation beyond it fails with ENOMEM\n"
    "  -s MS      the step: measure this node and gossip every MS ms\n"
    "             (100 to 60000, default 1000)\n"
    "  -W N       gossip window: entries sent per step (1 to 64, default 16)\n"
    "  -f         stay in the foreground, log to stderr (default: daemon, syslog)\n"
    "  -v, -d     log more (info, debug)\n"
    "  --help     this text\n"
    "  --version  guestd's version\n"
    "A second guestd on a node is refused: its port (the map's) is already taken.\n";

int main(int argc, char **argv)
{
	struct daemon_opts o = {CLUSTER_DEFAULT_DIR, LAPI_SOCK_DIR, 0, 0, 1000, 16, 0};
	long mib, v;
	static const struct option lo[] = {
	    {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	int c, fg = 0;
	while ((c = getopt_long(argc, argv, "c:r:m:s:W:fvd", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.confdir = optarg;
			break;
		case 'r':
			o.rundir = optarg;
			break;
		case 'm':
			if (util_parse_long(optarg, 1, 1L << 40, &mib) < 0) {
				fprintf(stderr, "guestd: -m: bad size '%s' (MiB, 1 or more)\n",
					optarg);
				return 2;
			}
			o.guest_mem = (uint64_t)mib << 20;
			break;
		case 's':
			if (util_parse_long(optarg, 100, 60000, &v) < 0) {
				fprintf(stderr,
					"guestd: -s must be a whole number of ms from 100 to "
					"60000, not '%s'\n",
					optarg);
				return 2;
			}
			o.step_ms = (int)v;
			break;
		case 'W':
			if (util_parse_long(optarg, 1, 64, &v) < 0) {
				fprintf(
				    stderr,
				    "guestd: -W must be a whole number from 1 to 64, not '%s'\n",
				    optarg);
				return 2;
			}
			o.window = (int)v;
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
		case 'V':
			printf(MOSIX_VERSION_FMT, "guestd");
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
	/* absolute: a daemon works from "/", and the map is read again and the
	 * bodies' root used long after start */
	const char *conf = util_abs_path(o.confdir), *run = util_abs_path(o.rundir);
	if (!conf || !run) {
		perror("guestd: working directory (for a relative -c or -r)");
		return 1;
	}
	o.confdir = conf, o.rundir = run;
	/* without -f it goes to the background once set up, so that what
	 * keeps it from starting is still said here, with exit status 1 */
	struct err e = {0, ""};
	o.background = !fg;
	if (daemon_run(&o, &e)) {
		fprintf(stderr, "guestd: %s\n", e.msg);
		return 1;
	}
	return 0;
}
