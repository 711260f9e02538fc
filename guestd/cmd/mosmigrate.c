/* mosmigrate: ask for a process (or its whole job) to be moved, checkpointed
 * or stopped. Moves are asynchronous unless -w: as MOSIX's migrate. */
#include "daemon/localapi.h"
#include "job/ctl.h"
#include "appliance/util.h"

#include <errno.h>

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: mosmigrate [-w] [-j] PID {NODE|ADDRESS|home}\n"
    "       mosmigrate PID {checkpoint|chkstop|chkexit}\n"
    "  NODE         migrate PID to node NODE (a number, or the node's address; needs\n"
    "               guestd); remote to remote works; this node's own number is home.\n"
    "               An unknown node, or one that is down, is refused at once\n"
    "  home         bring PID back to its home node\n"
    "  checkpoint   write a checkpoint of PID now; it carries on\n"
    "  chkstop      checkpoint, then stop it (SIGSTOP; resume with kill -CONT)\n"
    "  chkexit      checkpoint, then end it (its mosrun exits with status 75)\n"
    "  -w, --wait   wait until the move is done, with a progress line; without it\n"
    "               the move is only asked for (mosps shows where PID runs)\n"
    "  -j           move every process of PID's job (PID's mosrun and all it runs)\n"
    "PID must run under mosrun, as the same user (or you are root); the pid of a\n"
    "mosrun itself ($! after 'mosrun prog &') stands for the program it runs.\n"
    "Exit status: 0 done (or asked for), 1 refused or failed, 2 usage.\n";

/* One checkpoint action: a word and the request it sends. */
struct action {
	const char *name;
	enum ctl_op op;
};

static const struct action actions[] = {
    {"checkpoint", CTL_CHECKPOINT},
    {"chkstop", CTL_CHKSTOP},
    {"chkexit", CTL_CHKEXIT},
};

static int progress_shown;

/* A progress text from mosrun: one line, rewritten in place on a terminal. */
static void on_progress(const char *msg, void *arg)
{
	(void)arg;
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\rmosmigrate: %s\033[K", msg);
		progress_shown = 1;
	} else {
		fprintf(stderr, "mosmigrate: %s\n", msg);
	}
}

/* Send one request and report its answer. */
static int do_request(pid_t pid, enum ctl_op op, int node, unsigned flags)
{
	struct ctl_rep rep;
	struct err e = {0, ""};
	int rc = ctl_call_flags(pid, op, node, flags, on_progress, NULL, &rep, &e);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
	if (rc) {
		fprintf(stderr, "mosmigrate: %s\n", e.msg);
		return 1;
	}
	fprintf(rep.status ? stderr : stdout, "%s%s\n", rep.status ? "mosmigrate: " : "", rep.msg);
	return rep.status ? 1 : 0;
}

/* -j: every process of pid's job ("pid node migrations flags" lines from CTL_LIST). */
static int do_job(pid_t pid, enum ctl_op op, int node, unsigned flags)
{
	struct ctl_rep rep;
	struct err e = {0, ""};
	if (ctl_call(pid, CTL_LIST, 0, &rep, &e)) {
		fprintf(stderr, "mosmigrate: %s\n", e.msg);
		return 1;
	}
	static char list[sizeof(rep.msg)];
	snprintf(list, sizeof(list), "%s", rep.msg);
	int failed = 0, n = 0;
	char *save = NULL;
	for (char *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int p;
		if (sscanf(l, "%d", &p) != 1)
			continue;
		n++;
		failed |= do_request((pid_t)p, op, node, flags);
	}
	if (!n) {
		fprintf(stderr, "mosmigrate: the job of pid %d has no process\n", (int)pid);
		return 1;
	}
	return failed;
}

/* The target named by what (a number or an address): 0 for this node
 * (home), the node's number, or -1 when it is refused (said why). Without
 * guestd nothing is known: the number is taken as given. */
static int target_node(const char *what)
{
	static char map[LAPI_MSG_MAX], nodes[LAPI_MSG_MAX];
	struct err e = {0, ""};
	long want = 0;
	int self = 0, nnodes = 0, by_num = util_parse_long(what, 1, 1024, &want) == 0;
	if (lapi_simple(LAPI_MAP, map, sizeof(map), 0, &e) ||
	    lapi_nodes(nodes, sizeof(nodes), &self, &nnodes, &e)) {
		if (by_num)
			return (int)want;
		fprintf(stderr, "mosmigrate: '%s' is neither an action nor a node (%s)\n", what,
			e.msg);
		return -1;
	}
	int node = 0;
	char *save = NULL;
	for (char *l = strtok_r(map, "\n", &save); l && !node; l = strtok_r(NULL, "\n", &save)) {
		int num;
		char addr[64];
		if (sscanf(l, "%d %63s", &num, addr) == 2 &&
		    (by_num ? num == want : !strcmp(addr, what)))
			node = num;
	}
	if (!node) {
		fprintf(stderr, "mosmigrate: no node '%s' in this node's cluster map\n", what);
		return -1;
	}
	if (node == self)
		return 0;
	save = NULL;
	for (char *l = strtok_r(nodes, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int num, up;
		unsigned long long age;
		if (sscanf(l, "%d %llu %d", &num, &age, &up) == 3 && num == node) {
			if (up)
				return node;
			fprintf(stderr, "mosmigrate: node %d is down (no news of it for %.0f s)\n",
				node, (double)age / 1000.0);
			return -1;
		}
	}
	return node; /* not heard of yet (it just started?): the move will tell */
}

/* A mosrun's pid stands for its program (MOSIX users type $!): the first
 * process of its job. pid itself when it is not a mosrun. */
static pid_t program_of(pid_t pid)
{
	struct ctl_rep rep;
	struct err e = {0, ""};
	int p;
	if (ctl_call(pid, CTL_LIST, 0, &rep, &e) == 0)
		return pid; /* a process under mosrun */
	if (ctl_call_mosrun(pid, CTL_LIST, 0, &rep, &e) || sscanf(rep.msg, "%d", &p) != 1)
		return pid;
	fprintf(stderr, "mosmigrate: pid %d is mosrun; its program is pid %d\n", (int)pid, p);
	return (pid_t)p;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"help", no_argument, NULL, 'H'}, {"wait", no_argument, NULL, 'w'}, {NULL, 0, NULL, 0}};
	unsigned flags = CTL_F_ASYNC;
	int job = 0, c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+wj", lo, NULL)) != -1) {
		if (c == 'H') {
			fputs(usage, stdout);
			return 0;
		} else if (c == 'w') {
			flags = CTL_F_PROGRESS;
		} else if (c == 'j') {
			job = 1;
		} else {
			fprintf(stderr, "mosmigrate: unknown option '%s'\n%s", argv[optind - 1],
				usage);
			return 2;
		}
	}
	int i = optind;
	long pid;
	if (argc - i != 2) {
		fprintf(stderr, "mosmigrate: %s\n%s",
			argc - i < 2 ? "a pid and what to do are needed" : "too many arguments",
			usage);
		return 2;
	}
	if (util_parse_long(argv[i], 1, INT_MAX, &pid)) {
		fprintf(
		    stderr,
		    "mosmigrate: the pid must be a whole number from 1 to %d, not '%.20s%s'\n%s",
		    INT_MAX, argv[i], strlen(argv[i]) > 20 ? "..." : "", usage);
		return 2;
	}
	pid = program_of((pid_t)pid);
	const char *what = argv[i + 1];
	for (size_t k = 0; k < ARRAY_SIZE(actions); k++) {
		if (strcmp(what, actions[k].name))
			continue;
		if (job || flags != CTL_F_ASYNC) {
			fprintf(stderr, "mosmigrate: -w and -j are for moves, not %s\n", what);
			return 2;
		}
		return do_request((pid_t)pid, actions[k].op, 0, 0);
	}
	long node = 0;
	enum ctl_op op = CTL_HOME;
	if (strcmp(what, "home")) {
		int t = target_node(what);
		if (t < 0)
			return 1;
		node = t;
		op = t ? CTL_MIGRATE : CTL_HOME;
	}
	return job ? do_job((pid_t)pid, op, (int)node, flags)
		   : do_request((pid_t)pid, op, (int)node, flags);
}
