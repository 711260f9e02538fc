/* mosctl: look at and steer this node's part of the cluster (MOSIX's
 * mosctl): status, localstatus, whois; for root: expel, bring, block,
 * noblock (unblock), stay, nostay, lstay, nolstay, reload. */
#include "daemon/localapi.h"
#include "daemon/nodes.h"
#include "appliance/util.h"
#include "appliance/version.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_DEFAULT_S 120

struct opts {
	int json, wait;
	double timeout_s;
	const char *arg; /* whois NODE|ADDRESS */
};

struct cmd {
	const char *name, *args, *help;
	int (*run)(const struct opts *o);
	enum lapi_op op; /* for the commands that are one request */
	unsigned takes;	 /* CMD_* options it takes */
};

#define CMD_JSON 1u
#define CMD_WAIT 2u
#define CMD_ARG 4u

static int cmd_status(const struct opts *o);
static int cmd_local(const struct opts *o);
static int cmd_whois(const struct opts *o);
static int cmd_expel(const struct opts *o);
static int cmd_bring(const struct opts *o);
static int cmd_simple(const struct opts *o);
static int cmd_calls(const struct opts *o);

static const struct cmd cmds[] = {
    {"status", "[--json]",
     "every node this node knows of: up or down, age of the information,\n"
     "             speed, cpus, load, memory, locals, guests, status",
     cmd_status, 0, CMD_JSON},
    {"localstatus", "[--json]",
     "this node: its vector, its processes (where each runs), gossip counters", cmd_local, 0,
     CMD_JSON},
    {"whois", "NODE|ADDRESS [--json]", "the address of a node, or the node of an address",
     cmd_whois, 0, CMD_JSON | CMD_ARG},
    {"expel", "[--wait] [--timeout S]",
     "(root) send every guest home and refuse new guests until\n"
     "             `mosctl noblock`; --wait: until none is left",
     cmd_expel, LAPI_EXPEL, CMD_WAIT},
    {"bring", "[--wait] [--timeout S]",
     "(root) bring home every process of this node that runs elsewhere;\n"
     "             --wait: repeat until none runs elsewhere",
     cmd_bring, LAPI_BRING, CMD_WAIT},
    {"block", "[--json]", "(root) accept no new guests (those here stay)", cmd_simple, LAPI_BLOCK,
     CMD_JSON},
    {"noblock", "[--json]", "(root) accept guests again (after block or expel)", cmd_simple,
     LAPI_UNBLOCK, CMD_JSON},
    {"unblock", "[--json]", "(root) the same as noblock", cmd_simple, LAPI_UNBLOCK, CMD_JSON},
    {"stay", "[--json]", "(root) no automatic migration away from this node", cmd_simple, LAPI_STAY,
     CMD_JSON},
    {"nostay", "[--json]", "(root) automatic migration allowed again", cmd_simple, LAPI_NOSTAY,
     CMD_JSON},
    {"lstay", "[--json]", "(root) local processes stay; guests may leave", cmd_simple, LAPI_LSTAY,
     CMD_JSON},
    {"nolstay", "[--json]", "(root) local processes may leave again", cmd_simple, LAPI_NOLSTAY,
     CMD_JSON},
    {"reload", "[--json]", "(root) read the cluster map again (as `kill -HUP` of guestd)",
     cmd_simple, LAPI_RELOAD, 0},
    {"calls", "[--json]",
     "the system calls that brought this node's processes home since guestd\n"
     "             started, and that guests here got ENOSYS for (mosrun -e), with\n"
     "             how often (most first): the next calls to forward",
     cmd_calls, LAPI_CALLS, CMD_JSON},
};

/* Usage to f. 0. */
static int usage(FILE *f)
{
	fprintf(f, "usage: mosctl COMMAND [OPTIONS]\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-11s %s\n             %s\n", cmds[i].name, cmds[i].args,
			cmds[i].help);
	fprintf(f,
		"--timeout S: how long --wait waits (default %d s); --help; --version\n"
		"Exit status: 0 done, 1 failed (the message says why), 2 bad usage.\n",
		WAIT_DEFAULT_S);
	return 0;
}

/* Say what was wrong in one line, then the usage. 2. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;
	fputs("mosctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* One node's line from guestd (LAPI_NODES). */
struct nline {
	int node, up;
	unsigned long long age, mem_total, mem_free, link, uptime;
	unsigned speed, cpus_milli, ncpus, load_local, load_adv, locals, guests, frozen, status;
};

static int nline_parse(const char *l, struct nline *n)
{
	return sscanf(l, "%d %llu %d %u %u %u %u %u %u %u %u %u %llu %llu %llu %llu", &n->node,
		      &n->age, &n->up, &n->speed, &n->cpus_milli, &n->ncpus, &n->load_local,
		      &n->load_adv, &n->locals, &n->guests, &n->frozen, &n->status, &n->mem_total,
		      &n->mem_free, &n->link, &n->uptime) == 16
		   ? 0
		   : -EINVAL;
}

/* Status letters as words. */
static const struct {
	unsigned bit;
	const char *word;
} status_words[] = {{NODE_ST_STAY, "stay"},
		    {NODE_ST_LSTAY, "lstay"},
		    {NODE_ST_BLOCK, "block"},
		    {NODE_ST_EXPELLING, "expelling"},
		    {NODE_ST_UNREACHABLE, "unreachable"}};

/* "stay,block" or "-"; as JSON, ["stay", "block"]. */
static void status_text(unsigned st, int json, char *out, size_t len)
{
	size_t at = 0;
	out[0] = '\0';
	if (json)
		at += (size_t)snprintf(out, len, "[");
	for (size_t i = 0; i < ARRAY_SIZE(status_words); i++) {
		if (!(st & status_words[i].bit))
			continue;
		const char *sep = at > (size_t)json ? (json ? ", " : ",") : "";
		at += (size_t)snprintf(out + at, len - at, json ? "%s\"%s\"" : "%s%s", sep,
				       status_words[i].word);
	}
	if (json)
		snprintf(out + at, len - at, "]");
	else if (!at)
		snprintf(out, len, "-");
}

/* One node as JSON. */
static void node_json(const struct nline *n)
{
	char st[96];
	status_text(n->status, 1, st, sizeof(st));
	printf("{\"node\": %d, \"up\": %s, \"state\": \"%s\", \"age_ms\": %llu, \"age\": %.1f, "
	       "\"speed\": %u, \"cpus\": %.3f, \"ncpus\": %u, \"load\": %.3f, \"load_local\": "
	       "%.3f, \"mem_free_kb\": %llu, \"mem_total_kb\": %llu, \"mem_free_mb\": %llu, "
	       "\"mem_total_mb\": %llu, \"locals\": %u, \"guests\": %u, \"frozen\": %u, "
	       "\"status\": %s, \"link_bps\": %llu, \"uptime_s\": %llu}",
	       n->node, n->up ? "true" : "false", n->up ? "up" : "down", n->age,
	       (double)n->age / 1000.0, n->speed, n->cpus_milli / 1000.0, n->ncpus,
	       n->load_adv / 1000.0, n->load_local / 1000.0, n->mem_free, n->mem_total,
	       n->mem_free / 1024, n->mem_total / 1024, n->locals, n->guests, n->frozen, st,
	       n->link, n->uptime);
}

/* One node as a table row. */
static void node_row(const struct nline *n, int self)
{
	char st[96];
	status_text(n->status, 0, st, sizeof(st));
	printf("%-5d %-5s %7.1f %6u %5.2f %6.2f %7llu/%-7llu %6u %6u  %s%s\n", n->node,
	       n->up ? "up" : "down", (double)n->age / 1000.0, n->speed, n->cpus_milli / 1000.0,
	       n->load_adv / 1000.0, n->mem_free / 1024, n->mem_total / 1024, n->locals, n->guests,
	       st, n->node == self ? " (this node)" : "");
}

/* Ask guestd for the node table. */
static int get_nodes(char *buf, size_t len, int *self, int *nnodes)
{
	struct err e = {0, ""};
	if (lapi_nodes(buf, len, self, nnodes, &e)) {
		fprintf(stderr, "mosctl: %s\n", e.msg);
		return 1;
	}
	return 0;
}

/* Print the node table. */
static int cmd_status(const struct opts *o)
{
	static char buf[LAPI_MSG_MAX];
	int self = 0, nnodes = 0, first = 1, up = 0;
	if (get_nodes(buf, sizeof(buf), &self, &nnodes))
		return 1;
	if (o->json)
		printf("{\"self\": %d, \"nodes_in_map\": %d, \"nodes\": [", self, nnodes);
	else
		printf("%-5s %-5s %7s %6s %5s %6s %15s %6s %6s  %s\n", "NODE", "STATE", "AGE(s)",
		       "SPEED", "CPUS", "LOAD", "FREE/TOTAL MB", "LOCALS", "GUESTS", "STATUS");
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct nline n;
		if (nline_parse(l, &n))
			continue; /* the counters' line */
		up += n.up;
		if (o->json) {
			printf("%s\n  ", first ? "" : ",");
			node_json(&n);
			first = 0;
		} else {
			node_row(&n, self);
		}
	}
	if (o->json)
		printf("\n], \"up\": %d}\n", up);
	return 0;
}

/* One registry entry, with its profile, as JSON. */
static void local_json(const struct lapi_proc *p, const struct lapi_profile *pf, int first)
{
	char comm[sizeof(p->comm) + 1];
	size_t k = 0;
	for (size_t i = 0; i < sizeof(p->comm) && p->comm[i]; i++)
		if (p->comm[i] >= ' ' && p->comm[i] != '"' && p->comm[i] != '\\')
			comm[k++] = p->comm[i];
	comm[k] = '\0';
	printf("%s\n  {\"pid\": %d, \"home\": %d, \"where\": %d, \"uid\": %u, "
	       "\"migrations\": %u, \"kind\": \"%s\", \"local_pid\": %d, \"job\": %d, "
	       "\"comm\": \"%s\", \"cpu\": %.3f, \"io_calls_s\": %.1f, \"io_bytes_s\": %.0f, "
	       "\"rss_kb\": %llu, \"age_s\": %.1f, \"been\": [",
	       first ? "" : ",", p->pid, p->home_node, p->where, p->uid, p->migrations,
	       (p->flags & LAPI_P_GUEST) ? "guest" : "local", p->local_pid, p->job, comm, pf->cpu,
	       pf->io_cps, pf->io_bps, (unsigned long long)pf->rss_kb, pf->age_s);
	char *end;
	for (const char *b = pf->been; *b; b = *end == '>' ? end + 1 : end) {
		long node = strtol(b, &end, 10);
		if (end == b)
			break; /* "-": nowhere yet */
		printf("%s%ld", b == pf->been ? "" : ", ", node);
	}
	printf("], \"reason\": \"%s\"}", p->reason);
}

/* This node: its vector, its processes, the gossip counters. */
static int cmd_local(const struct opts *o)
{
	static char buf[LAPI_MSG_MAX], counters[512];
	static struct lapi_proc procs[256];
	static struct lapi_profile prof[256];
	struct err e = {0, ""};
	int self = 0, nnodes = 0, found = 0, np;
	struct nline n, x;
	if (get_nodes(buf, sizeof(buf), &self, &nnodes))
		return 1;
	if ((np = lapi_procs(procs, prof, ARRAY_SIZE(procs), &e)) < 0) {
		fprintf(stderr, "mosctl: %s\n", e.msg);
		return 1;
	}
	char *save = NULL;
	counters[0] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "dead_ms ", 8))
			snprintf(counters, sizeof(counters), "%s", l);
		else if (!nline_parse(l, &x) && x.node == self)
			n = x, found = 1;
	}
	if (!found) {
		fprintf(stderr, "mosctl: guestd has no entry for this node yet\n");
		return 1;
	}
	if (o->json) {
		printf("{\"self\": %d, \"node\": ", self);
		node_json(&n);
		printf(", \"processes\": [");
	} else {
		printf("node %d: speed %u, %.2f cpus, load %.2f (local %.2f), memory %llu/%llu MB "
		       "free, %u locals, %u guests\ngossip: %s\n",
		       self, n.speed, n.cpus_milli / 1000.0, n.load_adv / 1000.0,
		       n.load_local / 1000.0, n.mem_free / 1024, n.mem_total / 1024, n.locals,
		       n.guests, counters);
		printf("%-8s %-5s %-5s %-6s %-5s %-8s %-5s %-7s %-8s %-16s %-15s %s\n", "PID",
		       "HOME", "WHERE", "UID", "MOVES", "KIND", "CPU%", "RSS(MB)", "IO/s",
		       "BEEN ON", "REASON", "COMMAND");
	}
	for (int i = 0; i < np; i++) {
		const struct lapi_proc *p = &procs[i];
		const struct lapi_profile *pf = &prof[i];
		int guest = !!(p->flags & LAPI_P_GUEST);
		if (o->json)
			local_json(p, pf, i == 0);
		else
			printf("%-8d %-5d %-5d %-6u %-5u %-8s %-5.0f %-7.1f %-8.0f %-16s %-15s "
			       "%.16s\n",
			       p->pid, p->home_node, p->where, p->uid, p->migrations,
			       guest ? "guest" : "local", pf->cpu * 100, (double)pf->rss_kb / 1024,
			       pf->io_cps, pf->been[0] ? pf->been : "-",
			       p->reason[0] ? p->reason : "-", p->comm);
	}
	if (o->json)
		printf("\n], \"gossip\": \"%s\"}\n", counters);
	return 0;
}

/* whois NODE|ADDRESS. */
static int cmd_whois(const struct opts *o)
{
	static char buf[LAPI_MSG_MAX];
	struct err e = {0, ""};
	long want = 0;
	int by_num = util_parse_long(o->arg, 1, 1024, &want) == 0;
	if (lapi_simple(LAPI_MAP, buf, sizeof(buf), 0, &e)) {
		fprintf(stderr, "mosctl: %s\n", e.msg);
		return 1;
	}
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int num;
		char addr[64];
		if (sscanf(l, "%d %63s", &num, addr) != 2)
			continue;
		if (by_num ? num != want : strcmp(addr, o->arg) != 0)
			continue;
		if (o->json)
			printf("{\"node\": %d, \"address\": \"%s\"}\n", num, addr);
		else
			printf(by_num ? "node %d is %s\n" : "%2$s is node %1$d\n", num, addr);
		return 0;
	}
	fprintf(stderr, "mosctl: whois: %s '%s' is not in this node's cluster map\n",
		by_num ? "node" : "address", o->arg);
	return 1;
}

/* guestd's guest counters. */
static int guests_now(unsigned *left, unsigned *failed, struct err *e)
{
	char buf[128];
	unsigned blocked;
	int rc = lapi_simple(LAPI_GUESTS, buf, sizeof(buf), 0, e);
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
	if (lapi_simple(LAPI_EXPEL, buf, sizeof(buf), 0, &e))
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

/* One bring: guestd asks each mosrun and answers with a line each. The
 * number that were away, or -1. */
static int bring_pass(double timeout_s, int *bad)
{
	static char buf[LAPI_MSG_MAX];
	struct err e = {0, ""};
	int asked = 0, failed = 0;
	int rc = lapi_simple(LAPI_BRING, buf, sizeof(buf), timeout_s, &e);
	const char *text = rc ? e.msg : buf;
	if (sscanf(text, "asked %d failed %d", &asked, &failed) != 2) {
		fprintf(stderr, "mosctl: bring: %s\n", text);
		return -1;
	}
	const char *nl = strchr(text, '\n');
	char *save = NULL, *lines = nl ? strdup(nl + 1) : NULL;
	for (char *l = lines ? strtok_r(lines, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "home: ", 6))
			printf("%s\n", l + 6);
		else if (l[0])
			fprintf(stderr, "mosctl: bring: %s\n", l);
	}
	free(lines);
	fflush(stdout);
	*bad += failed;
	return asked;
}

/* Bring this node's processes home; --wait: until none runs elsewhere. */
static int cmd_bring(const struct opts *o)
{
	double t0 = util_now();
	int bad = 0, remote;
	for (;;) {
		remote = bring_pass(o->timeout_s, &bad);
		if (remote < 0)
			return 1;
		if (!o->wait || !remote || util_now() - t0 > o->timeout_s)
			break;
		usleep(200000);
		bad = 0;
	}
	if (o->wait && remote && bad) {
		fprintf(stderr, "mosctl: bring: processes still elsewhere after %.0f s\n",
			o->timeout_s);
		return 1;
	}
	return bad ? 1 : 0;
}

/* s as a JSON string. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* A request whose answer is just a message. */
static const struct cmd *current;
/* calls: guestd's count of calls that brought processes home. */
static int cmd_calls(const struct opts *o)
{
	char buf[LAPI_MSG_MAX], name[64];
	unsigned long long n, refused;
	struct err e = {0, ""};
	int first = 1;
	if (lapi_simple(LAPI_CALLS, buf, sizeof(buf), 0, &e)) {
		fprintf(stderr, "mosctl: calls: %s\n", e.msg);
		return 1;
	}
	if (o->json)
		printf("{\"calls\": [");
	else
		printf("%-24s %-12s %s\n", "CALL", "HOMECOMINGS", "REFUSED");
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (sscanf(l, "%63s %llu %llu", name, &n, &refused) != 3)
			continue;
		if (o->json)
			printf("%s\n  {\"call\": \"%s\", \"homecomings\": %llu, \"refused\": %llu}",
			       first ? "" : ",", name, n, refused);
		else
			printf("%-24s %-12llu %llu\n", name, n, refused);
		first = 0;
	}
	if (o->json)
		printf("\n]}\n");
	return 0;
}

static int cmd_simple(const struct opts *o)
{
	char buf[LAPI_MSG_MAX];
	struct err e = {0, ""};
	int rc = lapi_simple(current->op, buf, sizeof(buf), 0, &e);
	if (o->json) {
		printf("{\"command\": \"%s\", \"ok\": %s, \"message\": ", current->name,
		       rc ? "false" : "true");
		json_string(rc ? e.msg : buf);
		printf("}\n");
	}
	if (rc) {
		fprintf(stderr, "mosctl: %s: %s\n", current->name, e.msg);
		return 1;
	}
	if (!o->json)
		printf("%s\n", buf);
	return 0;
}

/* Options after the command; -1 to go on, else an exit code. */
static int parse(int argc, char **argv, const struct cmd *c, struct opts *o)
{
	for (int i = 2; i < argc; i++) {
		long t;
		const char *a = argv[i];
		if (!strcmp(a, "--help"))
			return usage(stdout);
		if (!strcmp(a, "--json") && (c->takes & CMD_JSON)) {
			o->json = 1;
		} else if (!strcmp(a, "--wait") && (c->takes & CMD_WAIT)) {
			o->wait = 1;
		} else if (!strcmp(a, "--timeout") && (c->takes & CMD_WAIT)) {
			if (i + 1 >= argc)
				return bad("--timeout needs a number of seconds");
			if (util_parse_long(argv[i + 1], 1, 86400, &t))
				return bad("--timeout must be a whole number of seconds from 1 "
					   "to 86400, not '%s'",
					   argv[i + 1]);
			o->timeout_s = (double)t;
			i++;
		} else if (a[0] != '-' && (c->takes & CMD_ARG) && !o->arg) {
			o->arg = a;
		} else if (a[0] == '-') {
			return bad("%s: unknown option '%s'", c->name, a);
		} else {
			return bad("%s: unexpected argument '%s'", c->name, a);
		}
	}
	if ((c->takes & CMD_ARG) && !o->arg)
		return bad("whois needs a node number or an address");
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = {0, 0, WAIT_DEFAULT_S, NULL};
	if (argc < 2)
		return bad("a command is needed");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version")) {
		printf(MOSIX_VERSION_FMT, "mosctl");
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		current = &cmds[i];
		int rc = parse(argc, argv, &cmds[i], &o);
		return rc >= 0 ? rc : cmds[i].run(&o);
	}
	return bad("unknown command '%s'", argv[1]);
}
