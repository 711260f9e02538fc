/* mosps: list the processes that run under mosrun: where each runs, its
 * home, how often it migrated, whether it is stopped, why one cannot
 * migrate and how its last move went; with --guests, the guests this node
 * hosts. */
#include "job/ctl.h"
#include "daemon/localapi.h"
#include "engine/procfs.h"
#include "appliance/util.h"
#include "appliance/version.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: mosps [--json] [--all] [--guests]\n"
    "List processes supervised by mosrun (yours; --all: everyone's, root only):\n"
    "PID, where it runs (here or node N), its home node, migrations, its state\n"
    "(running, stopped), whether it can migrate (and why not), how its last move\n"
    "went (to node N, home, failed: the reason is in --json), why it is where it\n"
    "is (guestd's balancer: moved:load, moved:memory, moved:home-io, moved:home-room,\n"
    "no-better-node, locked, idle, io-bound, memory, stay, threads, stopped, ...),\n"
    "how often it came home and for which calls (CAME HOME: 2:fadvise64,statfs;\n"
    "1: asked, no call; - never),\n"
    "and its command (control characters escaped: \\n, \\t, \\xNN).\n"
    "  --json     one object: {\"home_node\": N, \"processes\": [{\"pid\", \"node\",\n"
    "             \"home\", \"migrations\", \"state\", \"migratable\", \"why\",\n"
    "             \"last_move\", \"reason\", \"homecomings\", \"home_for\",\n"
    "             \"command\"}, ...]} (home_for: the calls that brought it home)\n"
    "  --guests   the guests this node hosts instead (processes of other nodes that\n"
    "             run here): their local pid, home node and pid at home, owner and\n"
    "             command; --json: {\"node\": N, \"guests\": [{\"pid\", \"home\",\n"
    "             \"home_pid\", \"uid\", \"state\", \"command\"}, ...]}\n"
    "  --all      everyone's processes (root only)\n"
    "  --help     this text      --version  mosps's version\n"
    "Exit status: 0; 1 when --guests cannot reach guestd; 2 for usage errors.\n";

struct opts {
	int json, all, guests;
};

/* Append s to out (JSON string contents when json, else a one-line text):
 * quotes and backslashes escaped for JSON, control characters as \n, \t
 * and \xNN (\u00NN in JSON). */
static void escape(const char *s, int json, char *out, size_t len)
{
	size_t at = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c && at + 8 < len; c++) {
		int n;
		if (*c == '\n' || *c == '\t')
			n = snprintf(out + at, len - at, "\\%c", *c == '\n' ? 'n' : 't');
		else if (*c < 32 || *c == 127)
			n = snprintf(out + at, len - at, json ? "\\u%04x" : "\\x%02x", *c);
		else if (json && (*c == '"' || *c == '\\'))
			n = snprintf(out + at, len - at, "\\%c", *c);
		else
			n = snprintf(out + at, len - at, "%c", *c);
		at += n > 0 ? (size_t)n : 0;
	}
	out[at] = '\0';
}

/* The command line of pid (spaces for the NULs between arguments), escaped;
 * fallback when it cannot be read. */
static void cmdline(pid_t pid, int json, const char *fallback, char *buf, size_t len)
{
	char *s = NULL;
	ssize_t n = procfs_read(pid, "cmdline", &s);
	if (n > 0) {
		for (ssize_t i = 0; i < n - 1; i++)
			if (!s[i])
				s[i] = ' ';
	}
	escape(n > 0 ? s : fallback, json, buf, len);
	free(s);
}

/* The last move, short, for the table. */
static const char *move_short(const char *last, char *buf, size_t len)
{
	int node;
	if (!*last)
		return "-";
	if (sscanf(last, "moved to node %d", &node) == 1)
		snprintf(buf, len, "to node %d", node);
	else
		snprintf(buf, len, "%s", strncmp(last, "failed", 6) ? "home" : "failed");
	return buf;
}

/* How often it came home and for what, for the table: "2:fadvise64,statfs",
 * "1" (asked), "-" (never). */
static const char *came_home(const struct ctl_proc *p, char *buf, size_t len)
{
	if (!p->homecomings)
		return "-";
	snprintf(buf, len, p->home_for[0] ? "%llu:%s" : "%llu", p->homecomings, p->home_for);
	return buf;
}

/* "a,b" as JSON array contents: "\"a\", \"b\"" (names have no quotes). */
static const char *home_for_json(const char *list, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (const char *c = list; *c && at + 8 < len;) {
		size_t n = strcspn(c, ",");
		int k = snprintf(buf + at, len - at, "%s\"%.*s\"", at ? ", " : "", (int)n, c);
		at += k > 0 ? (size_t)k : 0;
		c += n + (c[n] == ',');
	}
	return buf;
}

/* What guestd's registry says of this node's processes (LAPI_PROCS). */
struct reasons {
	struct lapi_proc p[256];
	size_t n;
};

/* Read the registry; nothing without guestd. */
static void reasons_read(struct reasons *r)
{
	struct err e = {0, ""};
	int n = lapi_procs(r->p, NULL, ARRAY_SIZE(r->p), &e);
	r->n = n > 0 ? (size_t)n : 0;
}

/* Why local process pid is where it is, as the balancer last said ("-":
 * not said). */
static const char *reason_of(const struct reasons *r, pid_t pid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].pid == pid && !(r->p[i].flags & LAPI_P_GUEST) && r->p[i].reason[0])
			return r->p[i].reason;
	return "-";
}

/* Print one process. */
static void show(int json, int *first, int self, const struct ctl_proc *p, const char *reason)
{
	char cmd[1024], where[32], home[16], status[64], mv[32], why[512], last[512], hc[512];
	int ok = !strcmp(p->code, "-");
	cmdline(p->pid, json, "?", cmd, sizeof(cmd));
	if (!json) {
		snprintf(where, sizeof(where), p->node ? "node %d" : "here", p->node);
		snprintf(home, sizeof(home), self > 0 ? "%d" : "-", self);
		snprintf(status, sizeof(status), ok ? "migratable" : "not migratable: %s", p->code);
		printf("%-8d %-8s %-5s %-5u %-8s %-30s %-10s %-15s %-20s %s\n", p->pid, where, home,
		       p->migrations, p->state, status, move_short(p->last_move, mv, sizeof(mv)),
		       reason, came_home(p, hc, sizeof(hc)), cmd);
		return;
	}
	escape(p->why, 1, why, sizeof(why));
	escape(p->last_move, 1, last, sizeof(last));
	printf("%s\n  {\"pid\": %d, \"node\": %d, \"home\": %d, \"migrations\": %u, "
	       "\"state\": \"%s\", \"migratable\": %s, \"why\": \"%s\", \"last_move\": \"%s\", "
	       "\"reason\": \"%s\", \"homecomings\": %llu, \"home_for\": [%s], "
	       "\"command\": \"%s\"}",
	       *first ? "" : ",", p->pid, p->node, self, p->migrations, p->state,
	       ok ? "true" : "false", why, last, strcmp(reason, "-") ? reason : "", p->homecomings,
	       home_for_json(p->home_for, hc, sizeof(hc)), cmd);
	*first = 0;
}

/* The processes under the caller's (or everyone's) mosruns. */
static int list_jobs(const struct opts *o)
{
	struct err e = {0, ""};
	int self = 0, nnodes = 0, first = 1;
	if (lapi_info(&self, &nnodes, &e))
		self = 0; /* no guestd: every process is at home */
	pid_t runs[1024];
	static struct reasons why;
	size_t n = ctl_find_mosruns(runs, 1024, o->all && getuid() == 0);
	reasons_read(&why);
	if (o->json)
		printf("{\"home_node\": %d, \"processes\": [", self);
	else
		printf("%-8s %-8s %-5s %-5s %-8s %-30s %-10s %-15s %-20s %s\n", "PID", "WHERE",
		       "HOME", "MIGS", "STATE", "STATUS", "LAST MOVE", "REASON", "CAME HOME",
		       "COMMAND");
	for (size_t i = 0; i < n; i++) {
		static struct ctl_rep rep;
		if (ctl_call_mosrun(runs[i], CTL_LIST, 0, &rep, &e))
			continue; /* it ended meanwhile, or another version */
		char *save = NULL;
		for (char *l = strtok_r(rep.msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			struct ctl_proc p;
			if (ctl_list_parse(l, &p) == 0)
				show(o->json, &first, self, &p, reason_of(&why, p.pid));
		}
	}
	if (o->json)
		printf("\n]}\n");
	return 0;
}

/* Print one guest. */
static void show_guest(int json, int *first, const struct lapi_proc *g)
{
	char cmd[1024];
	const char *state = g->flags & LAPI_P_STOPPED ? "stopped" : "running";
	cmdline(g->local_pid, json, g->comm, cmd, sizeof(cmd));
	if (!json) {
		printf("%-8d %-5d %-9d %-6u %-8s %s\n", g->local_pid, g->home_node, g->pid, g->uid,
		       state, cmd);
		return;
	}
	printf("%s\n  {\"pid\": %d, \"home\": %d, \"home_pid\": %d, \"uid\": %u, \"state\": "
	       "\"%s\", \"command\": \"%s\"}",
	       *first ? "" : ",", g->local_pid, g->home_node, g->pid, g->uid, state, cmd);
	*first = 0;
}

/* --guests: the bodies this node hosts, from guestd's registry. */
static int list_guests(const struct opts *o)
{
	static struct reasons reg;
	struct err e = {0, ""};
	int self = 0, nnodes = 0, first = 1, n = 0;
	if (lapi_info(&self, &nnodes, &e) ||
	    (n = lapi_procs(reg.p, NULL, ARRAY_SIZE(reg.p), &e)) < 0) {
		fprintf(stderr, "mosps: --guests: %s\n", e.msg);
		return 1;
	}
	if (o->json)
		printf("{\"node\": %d, \"guests\": [", self);
	else
		printf("%-8s %-5s %-9s %-6s %-8s %s\n", "PID", "HOME", "HOME PID", "UID", "STATE",
		       "COMMAND");
	for (int i = 0; i < n; i++)
		if (reg.p[i].flags & LAPI_P_GUEST)
			show_guest(o->json, &first, &reg.p[i]);
	if (o->json)
		printf("\n]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0, 0, 0};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o.json = 1;
		} else if (!strcmp(argv[i], "--all")) {
			o.all = 1;
		} else if (!strcmp(argv[i], "--guests")) {
			o.guests = 1;
		} else if (!strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf(MOSIX_VERSION_FMT, "mosps");
			return 0;
		} else {
			fprintf(stderr, "mosps: %s '%.60s'\nTry 'mosps --help'.\n",
				argv[i][0] == '-' ? "unknown option" : "unexpected argument",
				argv[i]);
			return 2;
		}
	}
	return o.guests ? list_guests(&o) : list_jobs(&o);
}
