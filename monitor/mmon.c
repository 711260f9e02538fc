/* mmon: the monitor of the whole cluster, one column a node (mmon.1). */
#include "mon.h"
#include "screen.h"
#include "view.h"
#include "daemon/localapi.h"
#include "appliance/util.h"
#include "appliance/xmem.h"
#include "appliance/version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_NODE 1024

static const char usage_text[] =
    "usage: mmon [OPTIONS]\n"
    "The cluster at a glance: one column a node, from this node's guestd.\n"
    "  -l            load (the default display)     -m  memory\n"
    "  -s            status letters, speed, uptime  -u  utilisation\n"
    "  -p            processes                      -i  disk and network rates\n"
    "  -d            start with dead nodes hidden (d shows them)\n"
    "  -t            start without the bottom line (t shows it)\n"
    "  -v            node numbers vertical          -w  node numbers horizontal\n"
    "  --nodes LIST  only these nodes, e.g. 1..8,12\n"
    "  -h HOST, --node N\n"
    "                the view of another node (number, nN or address)\n"
    "  --refresh S   seconds between refreshes (0.25 to 10; default 1; + and -)\n"
    "  --bw          no colours\n"
    "  --once        print one screen as text and exit ($COLUMNS x $LINES,\n"
    "                else the terminal's size or 80x24)\n"
    "  --json        print one snapshot as JSON and exit\n"
    "  --help        this text          --version  mmon's version\n"
    "Keys while it runs: h shows them all. q quits (asks), Q quits at once.\n"
    "Exit status: 0; 1 when the information is not available (--once,\n"
    "--json) or a node is unknown; 2 for a usage error.\n";

/* Say what was wrong, then where to look. 2. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;
	fputs("mmon: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mmon --help'.\n", stderr);
	return 2;
}

/* --nodes: "1..8,12" (also "1-8") into the filter. 0 or -1. */
static int parse_nodes(const char *s, struct draw_ui *u)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *save = NULL;
	u->nfilter = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *dots = strstr(t, ".."), *dash = strchr(t, '-');
		char *sep = dots ? dots : dash;
		long a, b;
		if (sep)
			*sep = '\0';
		if (util_parse_long(t, 1, MAX_NODE, &a) < 0)
			return -1;
		b = a;
		if (sep && util_parse_long(sep + (dots ? 2 : 1), a, MAX_NODE, &b) < 0)
			return -1;
		for (long k = a; k <= b; k++) {
			if (u->nfilter >= DRAW_MAX_FILTER)
				return -1;
			u->filter[u->nfilter++] = (int)k;
		}
	}
	return u->nfilter ? 0 : -1;
}

/* -h HOST / --node N: the node whose view to show. 0, 1 (unknown). */
static int resolve_via(const char *name, int *via)
{
	static char map[LAPI_MSG_MAX];
	struct err e = {0, ""};
	if (view_map(map, sizeof(map), &e)) {
		fprintf(stderr, "mmon: cannot find node '%s': %s\n", name, e.msg);
		return 1;
	}
	if (!(*via = view_find(map, name))) {
		fprintf(stderr, "mmon: no node '%s' in this node's cluster map\n", name);
		return 1;
	}
	return 0;
}

enum { OPT_NODES = 256, OPT_NODE, OPT_JSON, OPT_ONCE, OPT_BW, OPT_HELP, OPT_VERSION, OPT_REFRESH };

struct cli {
	struct mon_opts o;
	const char *via;
	int json, once;
};

/* One option. -1 to go on, else an exit status. */
static int option(struct cli *c, int opt, const char *arg, const char *as_typed)
{
	static const char disp[] = "lmsupi";
	const char *d = opt > 0 && opt < 128 ? strchr(disp, opt) : NULL;
	double r;
	char *end;
	if (d) {
		c->o.ui.disp = (enum draw_display)(d - disp);
		return -1;
	}
	switch (opt) {
	case 'd':
		c->o.ui.hide_dead = 1;
		return -1;
	case 't':
		c->o.ui.no_bar = 1;
		return -1;
	case 'v':
	case 'w':
		c->o.ui.numbers = opt == 'v' ? 1 : 2;
		return -1;
	case 'h':
	case OPT_NODE:
		c->via = arg;
		return -1;
	case OPT_NODES:
		return parse_nodes(arg, &c->o.ui) ? bad("--nodes: '%s' is not a list of nodes "
							"from 1 to %d (e.g. 1..8,12)",
							arg, MAX_NODE)
						  : -1;
	case OPT_REFRESH:
		r = strtod(arg, &end);
		if (end == arg || *end || r < 0.25 || r > 10)
			return bad(
			    "--refresh must be a number of seconds from 0.25 to 10, not '%s'", arg);
		c->o.ui.delay_s = r;
		return -1;
	case OPT_JSON:
		c->json = 1;
		return -1;
	case OPT_ONCE:
		c->once = 1;
		return -1;
	case OPT_BW:
		c->o.bw = 1;
		return -1;
	case OPT_HELP:
		fputs(usage_text, stdout);
		return 0;
	case OPT_VERSION:
		printf(MOSIX_VERSION_FMT, "mmon");
		return 0;
	case ':':
		return bad("%s needs a value", as_typed);
	default:
		return bad("unknown option '%s'", as_typed);
	}
}

/* Parse the command line. -1 to go on, else an exit status. */
static int parse(struct cli *c, int argc, char **argv)
{
	static const struct option longs[] = {{"nodes", required_argument, NULL, OPT_NODES},
					      {"node", required_argument, NULL, OPT_NODE},
					      {"json", no_argument, NULL, OPT_JSON},
					      {"once", no_argument, NULL, OPT_ONCE},
					      {"bw", no_argument, NULL, OPT_BW},
					      {"help", no_argument, NULL, OPT_HELP},
					      {"version", no_argument, NULL, OPT_VERSION},
					      {"refresh", required_argument, NULL, OPT_REFRESH},
					      {0}};
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":lmsupidtvwh:", longs, NULL)) != -1) {
		const char *typed = argv[optind - 1];
		char shortopt[3] = {'-', (char)optopt, 0};
		if (opt == '?' || opt == ':')
			typed = optopt ? shortopt : argv[optind - 1];
		if ((rc = option(c, opt, optarg, typed)) >= 0)
			return rc;
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (c->json && c->once)
		return bad("--json and --once: choose one");
	return -1;
}

/* The size of --once's screen. */
static void once_size(int *w, int *h)
{
	struct winsize ws;
	long v;
	const char *cols = getenv("COLUMNS"), *lines = getenv("LINES");
	*w = 80;
	*h = 24;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 0) {
		*w = ws.ws_col;
		*h = ws.ws_row;
	}
	if (cols && !util_parse_long(cols, 20, 1000, &v))
		*w = (int)v;
	if (lines && !util_parse_long(lines, 8, 1000, &v))
		*h = (int)v;
}

int main(int argc, char **argv)
{
	static struct cli c;
	int rc, w, h;
	draw_ui_init(&c.o.ui);
	if ((rc = parse(&c, argc, argv)) >= 0)
		return rc;
	if (c.via && (rc = resolve_via(c.via, &c.o.via)))
		return rc;
	if (c.json)
		return mon_json(&c.o);
	if (c.once) {
		once_size(&w, &h);
		return mon_once(&c.o, w, h);
	}
	return screen_usable() ? mon_interactive(&c.o) : mon_plain(&c.o);
}
