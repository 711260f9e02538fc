/* mosmigrate: ask for a process to be checkpointed, stopped, or moved. */
#include "ctl.h"
#include "appliance/util.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: mosmigrate PID {checkpoint|chkstop|chkexit|home|NODE}\n"
    "  checkpoint   write a checkpoint of PID now; it carries on\n"
    "  chkstop      checkpoint, then stop it (SIGSTOP; resume with kill -CONT)\n"
    "  chkexit      checkpoint, then end it (its mosrun exits with status 75)\n"
    "  home         bring PID back to its home node\n"
    "  NODE         migrate PID to node NODE (needs guestd)\n"
    "PID must run under mosrun, as the same user (or you are root).\n";

/* One action: a word and the request it sends (0: handled locally). */
struct action {
	const char *name;
	enum ctl_op op;
};

static const struct action actions[] = {
    {"checkpoint", CTL_CHECKPOINT},
    {"chkstop", CTL_CHKSTOP},
    {"chkexit", CTL_CHKEXIT},
    {"home", CTL_HOME},
};

/* Run one checkpoint request. */
static int do_request(pid_t pid, enum ctl_op op, int node)
{
	struct ctl_rep rep;
	struct err e = {0, ""};
	if (ctl_call(pid, op, node, &rep, &e)) {
		fprintf(stderr, "mosmigrate: %s\n", e.msg);
		return 1;
	}
	fprintf(rep.status ? stderr : stdout, "%s%s\n", rep.status ? "mosmigrate: " : "", rep.msg);
	return rep.status ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	long pid;
	if (argc != 3 || util_parse_long(argv[1], 1, INT_MAX, &pid)) {
		fputs(usage, stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(argv[2], actions[i].name))
			return do_request((pid_t)pid, actions[i].op, 0);
	long node;
	if (util_parse_long(argv[2], 1, 1024, &node)) {
		fprintf(stderr, "mosmigrate: '%s' is neither an action nor a node number\n",
			argv[2]);
		return 2;
	}
	return do_request((pid_t)pid, CTL_MIGRATE, (int)node);
}
