/* mosctl: look at and steer this node's part of the cluster: status (what
 * this node knows of every node), expel (guests go home), bring (this
 * node's processes come home), unblock, reload (the cluster map). */
#include "job/ctl.h"
#include "daemon/localapi.h"
#include "daemon/nodes.h"
#include "appliance/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_DEFAULT_S 120

struct opts {
	int json, wait;
	double timeout_s;
};

struct cmd {
	const char *name, *args, *help;
	int (*run)(const struct opts *o);
};

static int cmd_status(const struct opts *o);
static int cmd_expel(const struct opts *o);
static int cmd_bring(const struct opts *o);
static int cmd_unblock(const struct opts *o);
static int cmd_reload(const struct opts *o);

static const struct cmd cmds[] = {
    {"status", "[--json]",
     "every node this node knows of: up (heard of in the last 5 s) or down,\n"
     "             age of the information, load, cpus, free and total memory",
     cmd_status},
    {"expel", "[--wait] [--timeout S]",
     "send every guest (a process whose home is another node) home and\n"
     "             refuse new guests until `mosctl unblock`; --wait: until none is left",
     cmd_expel},
    {"bring", "[--wait] [--timeout S]",
     "bring home every process whose home is this node and that runs\n"
     "             elsewhere; --wait: repeat until none runs elsewhere",
     cmd_bring},
    {"unblock", "", "accept guests again (after expel)", cmd_unblock},
    {"reload", "", "read the cluster map again (as `kill -HUP` of guestd)", cmd_reload},
};

/* Usage to f. */
static void usage(FILE *f)
{
	fprintf(f, "usage: mosctl COMMAND [OPTIONS]\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-8s %s\n             %s\n", cmds[i].name, cmds[i].args,
			cmds[i].help);
	fprintf(f, "--timeout S: how long --wait waits (default %d s); --help: this text\n",
		WAIT_DEFAULT_S);
}

/* One node line of the status table. */
static void status_line(const char *l, int json, int self, int *first, int *up)
{
	int node;
	unsigned long long age, total, freekb;
	unsigned ncpus, load, procs;
	if (sscanf(l, "%d %llu %u %u %u %llu %llu", &node, &age, &ncpus, &load, &procs, &total,
		   &freekb) != 7)
		return;
	int isup = age < NODES_UP_MS;
	*up += isup;
	if (json) {
		printf("%s\n  {\"node\": %d, \"up\": %s, \"age_ms\": %llu, \"load\": %.2f, "
		       "\"cpus\": %u, \"mem_free_kb\": %llu, \"mem_total_kb\": %llu}",
		       *first ? "" : ",", node, isup ? "true" : "false", age, load / 1000.0, ncpus,
		       freekb, total);
		*first = 0;
	} else {
		printf("%-6d %-5s %8.1f %7.2f %5u %6llu/%-7llu%s\n", node, isup ? "up" : "down",
		       (double)age / 1000.0, load / 1000.0, ncpus, freekb / 1024, total / 1024,
		       node == self ? " (this node)" : "");
	}
}

/* Print the node table. */
static int cmd_status(const struct opts *o)
{
	static char buf[LAPI_MSG_MAX];
	struct err e = {0, ""};
	int self = 0, nnodes = 0, first = 1, up = 0;
	if (lapi_nodes(buf, sizeof(buf), &self, &nnodes, &e)) {
		fprintf(stderr, "mosctl: %s\n", e.msg);
		return 1;
	}
	if (o->json)
		printf("{\"self\": %d, \"nodes_in_map\": %d, \"nodes\": [", self, nnodes);
	else
		printf("%-6s %-5s %8s %7s %5s %14s\n", "NODE", "STATE", "AGE(s)", "LOAD", "CPUS",
		       "FREE/TOTAL MB");
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		status_line(l, o->json, self, &first, &up);
	if (o->json)
		printf("\n], \"up\": %d}\n", up);
	return 0;
}

/* guestd's guest counters. */
static int guests_now(unsigned *left, unsigned *failed, struct err *e)
{
	char buf[128];
	unsigned blocked;
	int rc = lapi_simple(LAPI_GUESTS, buf, sizeof(buf), e);
	if (!rc && sscanf(buf, "guests %u failed %u blocked %u", left, failed, &blocked) != 3)
		rc = err_setx(e, -EPROTO, "guestd answered '%s'", buf);
	return rc;
}

/* Expel, and with --wait watch the guests leave. */
static int cmd_expel(const struct opts *o)
{
	char buf[128];
	struct err e = {0, ""};
	unsigned left = 0, failed = 0, last = ~0u;
	if (lapi_simple(LAPI_EXPEL, buf, sizeof(buf), &e))
		goto fail;
	printf("expel: %s guests asked to go home; new guests refused\n", buf);
	double t0 = util_now();
	while (o->wait) {
		if (guests_now(&left, &failed, &e))
			goto fail;
		if (left != last)
			printf("[%5.1fs] guests left here: %u\n", util_now() - t0, left);
		fflush(stdout);
		last = left;
		if (!left || util_now() - t0 > o->timeout_s)
			break;
		usleep(200000);
	}
	if (left || failed) {
		fprintf(stderr,
			"mosctl: expel: %u guests still here after %.0f s, %u could not go "
			"home (guestd's log says why)\n",
			left, o->timeout_s, failed);
		return 1;
	}
	return 0;
fail:
	fprintf(stderr, "mosctl: expel: %s\n", e.msg);
	return 1;
}

/* One pass over this node's processes: ask each remote one home (mosrun
 * answers once it is home). Returns how many still ran elsewhere; *bad
 * counts those that could not come. */
static int bring_pass(int *bad)
{
	pid_t runs[1024];
	size_t n = ctl_find_mosruns(runs, ARRAY_SIZE(runs), getuid() == 0);
	int remote = 0;
	*bad = 0;
	for (size_t i = 0; i < n; i++) {
		static struct ctl_rep list, rep;
		struct err e = {0, ""};
		if (ctl_call_mosrun(runs[i], CTL_LIST, 0, &list, &e))
			continue; /* it ended meanwhile, or belongs to another node */
		char *save = NULL;
		for (char *l = strtok_r(list.msg, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			int pid, node;
			if (sscanf(l, "%d %d", &pid, &node) != 2 || !node)
				continue;
			remote++;
			rep.status = 0;
			if (ctl_call(pid, CTL_HOME, 0, &rep, &e) || rep.status) {
				fprintf(stderr, "mosctl: bring pid %d from node %d: %s\n", pid,
					node, rep.status ? rep.msg : e.msg);
				(*bad)++;
			} else {
				printf("pid %d: home from node %d\n", pid, node);
			}
		}
	}
	fflush(stdout);
	return remote;
}

/* Bring this node's processes home; --wait: until none runs elsewhere. */
static int cmd_bring(const struct opts *o)
{
	double t0 = util_now();
	int bad = 0, remote;
	for (;;) {
		remote = bring_pass(&bad);
		if (!o->wait || !remote || util_now() - t0 > o->timeout_s)
			break;
		printf("[%5.1fs] processes that ran elsewhere this pass: %d\n", util_now() - t0,
		       remote);
		usleep(200000);
	}
	if (o->wait && remote) {
		fprintf(stderr, "mosctl: bring: processes still elsewhere after %.0f s\n",
			o->timeout_s);
		return 1;
	}
	return bad ? 1 : 0;
}

/* A request whose answer is just a message. */
static int simple(enum lapi_op op, const char *what)
{
	char buf[LAPI_MSG_MAX];
	struct err e = {0, ""};
	if (lapi_simple(op, buf, sizeof(buf), &e)) {
		fprintf(stderr, "mosctl: %s: %s\n", what, e.msg);
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int cmd_unblock(const struct opts *o)
{
	return simple(LAPI_UNBLOCK, "unblock");
}

static int cmd_reload(const struct opts *o)
{
	return simple(LAPI_RELOAD, "reload");
}

/* Options after the command; -1 to go on, else an exit code. */
static int parse(int argc, char **argv, struct opts *o)
{
	for (int i = 2; i < argc; i++) {
		long t;
		if (!strcmp(argv[i], "--json") && !strcmp(argv[1], "status"))
			o->json = 1;
		else if (!strcmp(argv[i], "--wait") && strcmp(argv[1], "status"))
			o->wait = 1;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc &&
			 !util_parse_long(argv[i + 1], 1, 86400, &t))
			o->timeout_s = (double)t, i++;
		else if (!strcmp(argv[i], "--help"))
			return usage(stdout), 0;
		else
			return usage(stderr), 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = {0, 0, WAIT_DEFAULT_S};
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		int rc = parse(argc, argv, &o);
		return rc >= 0 ? rc : cmds[i].run(&o);
	}
	usage(stderr);
	return 2;
}
