/* mosmigrate: ask for a process (or its whole job) to be moved, checkpointed
 * or stopped. Moves are asynchronous unless -w: as MOSIX's migrate. */
#include "daemon/localapi.h"
#include "job/ctl.h"
#include "appliance/util.h"
#include "appliance/version.h"

#include <errno.h>

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: mosmigrate [-w] [-j] [-q] [--json] PID {NODE|ADDRESS|home}\n"
    "       mosmigrate [-q] [--json] PID {checkpoint|chkstop|chkexit}\n"
    "  NODE         migrate PID to node NODE (a number, or the node's address; needs\n"
    "               guestd); remote to remote works; this node's own number is home.\n"
    "               An unknown node, or one that is down, is refused at once\n"
    "  home         bring PID back to its home node\n"
    "  checkpoint   write a checkpoint of PID now; it carries on\n"
    "  chkstop      checkpoint, then stop it (SIGSTOP; resume with kill -CONT)\n"
    "  chkexit      checkpoint, then end it (its mosrun exits with status 75)\n"
    "  -w, --wait   wait until the move is done, with a progress line; without it\n"
    "               the move is only asked for (mosps shows where PID runs and how\n"
    "               its last move went)\n"
    "  -j           move every process of PID's job (PID's mosrun and all it runs)\n"
    "  -q           quiet: no progress or result lines, only errors\n"
    "  --json       the result as one JSON object on stdout (one a line with -j):\n"
    "               a move {\"pid\", \"from\", \"to\", \"status\": \"moved\" (-w), \"asked\",\n"
    "               \"already\" or \"failed\", \"reason\", and with -w \"bytes\" (the\n"
    "               image stream sent, compressed) and \"ms\" when it went to a node};\n"
    "               an action {\"pid\", \"action\", \"status\": \"done\" or \"failed\",\n"
    "               \"reason\", \"message\"}. Nodes are numbers (home: this node's)\n"
    "  --help       this text     --version  mosmigrate's version\n"
    "PID must run under mosrun, as the same user (or you are root); the pid of a\n"
    "mosrun itself ($! after 'mosrun prog &') stands for the program it runs.\n"
    "Exit status: 0 done (or asked for), 1 refused or failed, 2 usage.\n";

/* What the command line asked for. */
struct opts {
	unsigned flags; /* CTL_F_ASYNC, or CTL_F_PROGRESS with -w */
	int job, quiet, json, help, version;
	int self; /* this node's number (0: no guestd) */
};

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
	const struct opts *o = arg;
	if (o->quiet)
		return;
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\rmosmigrate: %s\033[K", msg);
		progress_shown = 1;
	} else {
		fprintf(stderr, "mosmigrate: %s\n", msg);
	}
}

/* Print s as a JSON string. */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		printf(*c == '"' || *c == '\\' ? "\\%c" : *c < 32 ? "\\u%04x" : "%c", *c);
	putchar('"');
}

/* pid's entry in its mosrun's CTL_LIST answer. 0 or -ESRCH. */
static int proc_entry(pid_t pid, struct ctl_proc *out)
{
	static struct ctl_rep rep;
	struct err e = {0, ""};
	char *save = NULL;
	if (ctl_call(pid, CTL_LIST, 0, &rep, &e))
		return -ESRCH;
	for (char *l = strtok_r(rep.msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (ctl_list_parse(l, out) == 0 && out->pid == pid)
			return 0;
	return -ESRCH;
}

/* The node number for JSON: where (0: home) as a node of the map. */
static int node_num(const struct opts *o, int where)
{
	return where ? where : o->self;
}

/* --json: one move's result. from is where it ran before (-1: unknown). */
static void json_move(const struct opts *o, pid_t pid, int from, int to, int rc,
		      const struct ctl_rep *rep)
{
	struct ctl_proc now;
	const char *status = rc || rep->status ? "failed"
			     : strstr(rep->msg, "already runs") || strstr(rep->msg, "is at home")
				 ? "already"
			     : o->flags & CTL_F_ASYNC ? "asked"
						      : "moved";
	printf("{\"pid\": %d, \"from\": ", (int)pid);
	printf(from < 0 ? "null" : "%d", node_num(o, from));
	printf(", \"to\": %d, \"status\": \"%s\", \"reason\": ", node_num(o, to), status);
	json_str(*status == 'f' ? rep->msg : "");
	if (*status == 'm' && to && proc_entry(pid, &now) == 0 && now.sent)
		printf(", \"bytes\": %llu, \"ms\": %.0f", now.sent, now.sent_ms);
	printf("}\n");
}

/* Send one request and report its answer. op is a move when node >= 0. */
static int do_request(const struct opts *o, pid_t pid, enum ctl_op op, int node, const char *action)
{
	static struct ctl_rep rep;
	struct ctl_proc before;
	struct err e = {0, ""};
	int from = action || proc_entry(pid, &before) ? -1 : before.node;
	int rc =
	    ctl_call_flags(pid, op, node, action ? 0 : o->flags, on_progress, (void *)o, &rep, &e);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
	if (rc) { /* no answer: what was wrong is in e */
		rep.status = rc;
		snprintf(rep.msg, sizeof(rep.msg), "%s", e.msg);
	}
	if (rep.status || (!o->quiet && !o->json))
		fprintf(rep.status ? stderr : stdout, "%s%s\n", rep.status ? "mosmigrate: " : "",
			rep.msg);
	if (o->json && action) {
		printf("{\"pid\": %d, \"action\": \"%s\", \"status\": \"%s\", \"reason\": ",
		       (int)pid, action, rep.status ? "failed" : "done");
		json_str(rep.status ? rep.msg : "");
		printf(", \"message\": ");
		json_str(rep.status ? "" : rep.msg);
		printf("}\n");
	} else if (o->json) {
		json_move(o, pid, from, node, 0, &rep);
	}
	return rep.status ? 1 : 0;
}

/* -j: every process of pid's job (CTL_LIST lines). */
static int do_job(const struct opts *o, pid_t pid, enum ctl_op op, int node)
{
	static struct ctl_rep rep;
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
		failed |= do_request(o, (pid_t)p, op, node, NULL);
	}
	if (!n) {
		fprintf(stderr, "mosmigrate: the job of pid %d has no process\n", (int)pid);
		return 1;
	}
	return failed;
}

/* The target named by what (a number or an address): 0 for this node
 * (home), the node's number, or -1 when it is refused (why says why).
 * Without guestd nothing is known: the number is taken as given. */
static int target_node(const char *what, char *why, size_t len)
{
	static char map[LAPI_MSG_MAX];
	struct err e = {0, ""};
	long want = 0;
	int self = 0, by_num = util_parse_long(what, 1, 1024, &want) == 0;
	if (lapi_simple(LAPI_MAP, map, sizeof(map), 0, &e)) {
		if (by_num)
			return (int)want;
		snprintf(why, len, "'%s' is neither an action nor a node (%s)", what, e.msg);
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
		snprintf(why, len, "no node '%.64s' in this node's cluster map", what);
		return -1;
	}
	/* down in the gossip view: refused; not heard of yet: the move will tell */
	if (lapi_node_check(node, &self, &e) == -EHOSTDOWN) {
		snprintf(why, len, "%s", e.msg);
		return -1;
	}
	return node == self ? 0 : node;
}

/* A mosrun's pid stands for its program (MOSIX users type $!): the first
 * process of its job. pid itself when it is not a mosrun. */
static pid_t program_of(const struct opts *o, pid_t pid)
{
	struct ctl_rep rep;
	struct err e = {0, ""};
	int p;
	if (ctl_call(pid, CTL_LIST, 0, &rep, &e) == 0)
		return pid; /* a process under mosrun */
	if (ctl_call_mosrun(pid, CTL_LIST, 0, &rep, &e) || sscanf(rep.msg, "%d", &p) != 1)
		return pid;
	if (!o->quiet)
		fprintf(stderr, "mosmigrate: pid %d is mosrun; its program is pid %d\n", (int)pid,
			p);
	return (pid_t)p;
}

/* One option: its names (short, long) and the flag it sets. */
struct mm_opt {
	const char *name, *alias;
	size_t off;
};

static const struct mm_opt mm_opts[] = {
    {"-w", "--wait", offsetof(struct opts, flags)},
    {"-j", NULL, offsetof(struct opts, job)},
    {"-q", "--quiet", offsetof(struct opts, quiet)},
    {"--json", NULL, offsetof(struct opts, json)},
    {"--help", NULL, offsetof(struct opts, help)},
    {"--version", NULL, offsetof(struct opts, version)},
};

/* Options before the pid (letters may be grouped: -wj). Index of the first
 * operand, or -1 (said why). */
static int parse_opts(struct opts *o, int argc, char **argv)
{
	int i;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1;
		int grouped = argv[i][1] != '-';
		for (const char *c = argv[i] + 1; *c; c = grouped ? c + 1 : "") {
			char one[3] = {'-', *c, '\0'};
			const char *w = grouped ? one : argv[i];
			const struct mm_opt *m = NULL;
			for (size_t k = 0; k < ARRAY_SIZE(mm_opts) && !m; k++)
				if (!strcmp(w, mm_opts[k].name) ||
				    (mm_opts[k].alias && !strcmp(w, mm_opts[k].alias)))
					m = &mm_opts[k];
			if (!m) {
				fprintf(stderr, "mosmigrate: unknown option '%.60s'\n", w);
				return -1;
			}
			if (m->off == offsetof(struct opts, flags))
				o->flags = CTL_F_PROGRESS;
			else
				*(int *)(void *)((char *)o + m->off) = 1;
		}
	}
	return i;
}

/* The operands: pid and what to do. 0, 1 (done: refused or failed), or 2
 * (a usage error, said). */
static int run(struct opts *o, const char *pidarg, const char *what)
{
	long pid;
	if (util_parse_long(pidarg, 1, INT_MAX, &pid)) {
		fprintf(stderr,
			"mosmigrate: the pid must be a whole number from 1 to %d, not '%.20s%s'\n",
			INT_MAX, pidarg, strlen(pidarg) > 20 ? "..." : "");
		return 2;
	}
	pid = program_of(o, (pid_t)pid);
	for (size_t k = 0; k < ARRAY_SIZE(actions); k++) {
		if (strcmp(what, actions[k].name))
			continue;
		if (o->job || o->flags != CTL_F_ASYNC) {
			fprintf(stderr, "mosmigrate: -w and -j are for moves, not %s\n", what);
			return 2;
		}
		return do_request(o, (pid_t)pid, actions[k].op, 0, what);
	}
	int node = 0;
	char why[256];
	if (strcmp(what, "home") && (node = target_node(what, why, sizeof(why))) < 0) {
		fprintf(stderr, "mosmigrate: %s\n", why);
		if (o->json) {
			printf(
			    "{\"pid\": %d, \"from\": null, \"to\": null, \"status\": \"failed\", "
			    "\"reason\": ",
			    (int)pid);
			json_str(why);
			printf("}\n");
		}
		return 1;
	}
	enum ctl_op op = node ? CTL_MIGRATE : CTL_HOME;
	return o->job ? do_job(o, (pid_t)pid, op, node) : do_request(o, (pid_t)pid, op, node, NULL);
}

int main(int argc, char **argv)
{
	struct opts o = {CTL_F_ASYNC, 0, 0, 0, 0, 0, 0};
	int i = parse_opts(&o, argc, argv), nnodes = 0;
	struct err e = {0, ""};
	if (i > 0 && o.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (i > 0 && o.version) {
		printf(MOSIX_VERSION_FMT, "mosmigrate");
		return 0;
	}
	if (i > 0 && argc - i != 2)
		fprintf(stderr, "mosmigrate: %s\n",
			argc - i < 2 ? "a pid and what to do are needed" : "too many arguments");
	if (i < 0 || argc - i != 2) {
		fputs("Try 'mosmigrate --help'.\n", stderr);
		return 2;
	}
	if (lapi_info(&o.self, &nnodes, &e))
		o.self = 0;
	int rc = run(&o, argv[i], argv[i + 1]);
	if (rc == 2)
		fputs("Try 'mosmigrate --help'.\n", stderr);
	return rc;
}
