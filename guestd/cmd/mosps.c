/* mosps: list the processes that run under mosrun: where each runs, its
 * home, how often it migrated, and why one cannot migrate. */
#include "job/ctl.h"
#include "daemon/localapi.h"
#include "engine/procfs.h"
#include "appliance/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: mosps [--json] [--all]\n"
    "List processes supervised by mosrun (yours; --all: everyone's, root only):\n"
    "PID, where it runs (here or node N), its home node, migrations, whether it\n"
    "can migrate (and why not), and its command.\n";

/* The command line of pid, spaces for NULs. */
static void cmdline(pid_t pid, char *buf, size_t len)
{
	char *s = NULL;
	ssize_t n = procfs_read(pid, "cmdline", &s);
	snprintf(buf, len, "?");
	if (n > 0) {
		for (ssize_t i = 0; i < n - 1; i++)
			if (!s[i])
				s[i] = ' ';
		snprintf(buf, len, "%s", s);
	}
	free(s);
}

/* Print one process. */
static void show(int json, int *first, int self, pid_t pid, int node, unsigned migs,
		 const char *why)
{
	char cmd[256], where[32], home[16];
	cmdline(pid, cmd, sizeof(cmd));
	snprintf(where, sizeof(where), node ? "node %d" : "here", node);
	snprintf(home, sizeof(home), self > 0 ? "%d" : "-", self);
	int ok = !strcmp(why, "-");
	if (!json) {
		printf("%-8d %-8s %-5s %-5u %-24s %s\n", pid, where, home, migs,
		       ok ? "migratable" : "not migratable: threads", cmd);
		return;
	}
	printf("%s\n  {\"pid\": %d, \"node\": %d, \"home\": %d, \"migrations\": %u, "
	       "\"migratable\": %s, \"why\": \"%s\", \"command\": \"",
	       *first ? "" : ",", pid, node, self, migs, ok ? "true" : "false",
	       ok ? "" : "it has threads");
	for (const char *c = cmd; *c; c++)
		printf(*c == '"' || *c == '\\' ? "\\%c" : (unsigned char)*c < 32 ? "?" : "%c", *c);
	printf("\"}");
	*first = 0;
}

int main(int argc, char **argv)
{
	int json = 0, all = 0, self = 0, nnodes = 0, first = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--all"))
			all = 1;
		else {
			fputs(usage, strcmp(argv[i], "--help") ? stderr : stdout);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	struct err e = {0, ""};
	if (lapi_info(&self, &nnodes, &e))
		self = 0; /* no guestd: every process is at home */
	pid_t runs[1024];
	size_t n = ctl_find_mosruns(runs, 1024, all && getuid() == 0);
	if (json)
		printf("{\"home_node\": %d, \"processes\": [", self);
	else
		printf("%-8s %-8s %-5s %-5s %-24s %s\n", "PID", "WHERE", "HOME", "MIGS", "STATUS",
		       "COMMAND");
	for (size_t i = 0; i < n; i++) {
		struct ctl_rep rep;
		if (ctl_call_mosrun(runs[i], CTL_LIST, 0, &rep, &e))
			continue; /* it ended meanwhile, or another version */
		char *save = NULL;
		for (char *l = strtok_r(rep.msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			int pid, node;
			unsigned migs;
			char why[32];
			if (sscanf(l, "%d %d %u %31s", &pid, &node, &migs, why) == 4)
				show(json, &first, self, pid, node, migs, why);
		}
	}
	if (json)
		printf("\n]}\n");
	return 0;
}
