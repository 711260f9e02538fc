/* guestd: the per-node daemon of the cluster. */
#include "daemon/daemon.h"
#include "daemon/localapi.h"
#include "appliance/cluster.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/version.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: guestd [-c DIR] [-r RUNDIR] [-m MIB] [-s MS] [-W N] [-f] [-q|-v|-d]\n"
    "Run this node's cluster daemon.\n"
    "  -c DIR     cluster map and key (DIR/cluster.conf, DIR/cluster.key; default /etc/mosix)\n"
    "  -r RUNDIR  sockets and the bodies' empty root (default /run/mosix)\n"
    "  -m MIB     address space a guest (a process migrated here) may have, in MiB\n"
    "             (1 or more; default: no bound but its own); bigger ones are\n"
    "             refused, and an allocation beyond it fails with ENOMEM\n"
    "  -s MS      the step: measure this node and gossip every MS ms\n"
    "             (100 to 60000, default 1000)\n"
    "  -W N       gossip window: entries sent per step (1 to 64, default 16)\n"
    "  -f         stay in the foreground, log to stderr (default: daemon, syslog)\n"
    "  -q, -v, -d what to log: warnings and errors only; also events, every\n"
    "             automatic move with its reason (the default); also debug lines\n"
    "  --help     this text\n"
    "  --version  guestd's version\n"
    "A second guestd on a node is refused: its port (the map's) is already taken.\n"
    "Exit status: 0 once running (in the background without -f), 1 if it cannot\n"
    "start, 2 for a usage error.\n";

/* The options with a number, and their ranges as the usage states them. */
static const struct num_opt {
	int letter;
	long lo, hi;
	const char *what;
} num_opts[] = {
    {'m', 1, LONG_MAX >> 20, "a whole number of MiB, 1 or more"},
    {'s', 100, 60000, "a whole number from 100 to 60000"},
    {'W', 1, 64, "a whole number from 1 to 64"},
};

/* Say what was wrong with the command line, then where help is. Returns 2. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("guestd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'guestd --help'.\n", stderr);
	return 2;
}

/* Read the number of option letter into v: 0, or 2 (said). */
static int num_arg(int letter, const char *arg, long *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(num_opts); i++)
		if (num_opts[i].letter == letter &&
		    util_parse_long(arg, num_opts[i].lo, num_opts[i].hi, v) < 0)
			return usage_error("-%c must be %s, not '%.60s'", letter, num_opts[i].what,
					   arg);
	return 0;
}

/* What getopt refused in word: an unknown option, or one missing its value
 * or given one it does not take. Returns 2. */
static int bad_option(int c, const char *word)
{
	int n = (int)strcspn(word, "=");
	if (c == ':')
		return usage_error("-%c needs a value", optopt);
	if (strncmp(word, "--", 2))
		return usage_error("unknown option '-%c'", optopt);
	if (optopt) /* a known long option, with a value it does not take */
		return usage_error("%.*s takes no value", n > 60 ? 60 : n, word);
	return usage_error("unknown option '%.*s'", n > 60 ? 60 : n, word);
}

/* One option. -1: go on; else the exit status. */
static int parse_one(int c, struct daemon_opts *o, int *fg)
{
	long v = 0;
	if (strchr("msW", c) && num_arg(c, optarg, &v))
		return 2;
	switch (c) {
	case 'c':
		o->confdir = optarg;
		break;
	case 'r':
		o->rundir = optarg;
		break;
	case 'm':
		o->guest_mem = (uint64_t)v << 20;
		break;
	case 's':
		o->step_ms = (int)v;
		break;
	case 'W':
		o->window = (int)v;
		break;
	case 'f':
		*fg = 1;
		break;
	case 'q':
		log_set_level(LOG_LVL_WARN);
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
	}
	return -1;
}

/* The command line. -1: run; else the exit status. */
static int parse(int argc, char **argv, struct daemon_opts *o, int *fg)
{
	static const struct option lo[] = {
	    {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {0, 0, 0, 0}};
	opterr = 0; /* (its messages start with the binary's path) */
	for (;;) {
		int at = optind, rc;
		/* '+': no reordering, so argv[at] is the word getopt looks at */
		int c = getopt_long(argc, argv, "+:c:r:m:s:W:fqvd", lo, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':')
			return bad_option(c, argv[at]);
		if ((rc = parse_one(c, o, fg)) >= 0)
			return rc;
	}
	if (optind != argc)
		return usage_error("unexpected argument '%.60s'", argv[optind]);
	return -1;
}

int main(int argc, char **argv)
{
	struct daemon_opts o = {CLUSTER_DEFAULT_DIR, LAPI_SOCK_DIR, 0, 0, 1000, 16, 0};
	if (!getenv("MOSIX_LOG")) /* events by default: every automatic move is logged */
		log_set_level(LOG_LVL_INFO);
	int fg = 0, rc = parse(argc, argv, &o, &fg);
	if (rc >= 0)
		return rc;
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
