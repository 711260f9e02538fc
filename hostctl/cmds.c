/* cmds.c: option parsing and output for each hostctl command: the edge where
 * errors are printed and exit codes chosen. Exit codes: 0 ok, 1 failure,
 * 2 usage error. */
#include "cmds.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/version.h"
#include "appliance/xmem.h"
#include "check.h"
#include "vcluster.h"
#include "jsonw.h"
#include "probe.h"
#include "resize.h"
#include "state.h"
#include "status.h"
#include "virt.h"

static int cmd_check(int argc, char **argv);
static int cmd_up(int argc, char **argv);
static int cmd_down(int argc, char **argv);
static int cmd_status(int argc, char **argv);
static int cmd_ssh(int argc, char **argv);
static int cmd_console(int argc, char **argv);
static int cmd_mon(int argc, char **argv);
static int cmd_add(int argc, char **argv);
static int cmd_remove(int argc, char **argv);

static const struct cmds_entry table[] = {
    {"check", "[--json] [--image DIR]",
     "what this host offers (libvirt, KVM or TCG, memory, image)", cmd_check},
    {"up",
     "[-n NODES] [--cpus C] [--mem MB] [--name CLUSTER] [--image DIR] [--timeout S] [--tcg] "
     "[--keep]",
     "start a cluster and wait until every node answers ssh", cmd_up},
    {"status", "[--name CLUSTER] [--json]", "nodes, addresses, state", cmd_status},
    {"ssh", "[--name CLUSTER] [NODE] [CMD...]",
     "ssh into a node (node 1, the login node, by default)", cmd_ssh},
    {"mon", "[--name CLUSTER] [NODE] [-- MMON-OPTION...]",
     "watch the cluster with mmon on its login node (node 1), or on NODE", cmd_mon},
    {"console", "[--name CLUSTER] NODE", "attach to a node's serial console (Ctrl-] leaves)",
     cmd_console},
    {"add", "[--name CLUSTER] [--timeout S]",
     "add a node to a running cluster and wait until every node sees every other", cmd_add},
    {"remove", "[--name CLUSTER] [--force] NODE",
     "send a node's guests and its own processes home, then remove it (not node 1)", cmd_remove},
    {"down", "[--name CLUSTER]", "stop and remove everything the cluster has", cmd_down},
};

/* Look up a command. */
const struct cmds_entry *cmds_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

/* Overall usage. */
void cmds_usage(void *fp)
{
	FILE *f = fp;
	fprintf(f, "usage: hostctl COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		fprintf(f, "  %-8s %s\n", table[i].name, table[i].summary);
	fprintf(f, "\n`hostctl COMMAND --help` shows a command's options; man hostctl has more.\n");
	fprintf(f, "`hostctl --version` shows hostctl's version.\n");
}

/* Usage of one command; returns the exit code to use. */
static int cmds_help(const char *name, int rc)
{
	const struct cmds_entry *c = cmds_find(name);
	FILE *f = rc ? stderr : stdout;
	fprintf(f, "usage: hostctl %s %s\n  %s\n", c->name, c->usage, c->summary);
	return rc;
}

/* Print an error at the edge. */
static int cmds_fail(const struct err *e)
{
	fprintf(stderr, "hostctl: %s\n", e->msg);
	return 1;
}

/* Parse an integer option or complain. */
static int cmds_int(const char *opt, const char *s, long min, long max, int *out)
{
	long v;
	if (util_parse_long(s, min, max, &v) < 0) {
		fprintf(stderr, "hostctl: %s must be a whole number from %ld to %ld, not '%s'\n",
			opt, min, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Default image dir: $MOSIX_IMAGE, else ../image beside the binary (build/bin -> build/image). */
static char *cmds_default_image(void)
{
	const char *env = getenv("MOSIX_IMAGE");
	if (env && *env)
		return xstrdup(env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return xstrdup("build/image");
	exe[n] = '\0';
	return xasprintf("%s/../image", dirname(exe));
}

/* Parse --name/--help (and --json where json is non-NULL). Returns -1 to go on, else an exit code.
 */
static int cmds_parse_name(int argc, char **argv, const char **name, int *json, int stop_at_arg)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"name", required_argument, NULL, 'N'},
					     {"json", no_argument, NULL, 'j'},
					     {0}};
	int o;
	*name = VCLUSTER_DEFAULT_NAME;
	while ((o = getopt_long(argc, argv, stop_at_arg ? "+h" : "h", opts, NULL)) != -1) {
		switch (o) {
		case 'N':
			*name = optarg;
			break;
		case 'j':
			if (!json)
				return cmds_help(argv[0], 2);
			*json = 1;
			break;
		case 'h':
			return cmds_help(argv[0], 0);
		default:
			return cmds_help(argv[0], 2);
		}
	}
	return -1;
}

/* Text report of check. */
static void cmds_check_text(const struct check_result *r)
{
	const struct probe_host *h = &r->host;
	printf("libvirt:  %s", r->libvirt_detail);
	if (r->libvirt_ok)
		printf(" (libvirt %lu.%lu.%lu)", r->libvirt_version / 1000000,
		       r->libvirt_version / 1000 % 1000, r->libvirt_version % 1000);
	printf("\naccel:    %s: %s\n", h->kvm == PROBE_KVM_USABLE ? "KVM" : "TCG", h->kvm_detail);
	printf("memory:   %ld MB total, %ld MB available (~%ld nodes of 256 MB fit)\n",
	       h->mem_total_mb, h->mem_avail_mb, r->nodes_fit);
	printf("cpus:     %ld\n", h->cpus);
	printf("tools:    %s%s\n", h->missing_tool ? "missing " : "all present",
	       h->missing_tool ? h->missing_tool : "");
	printf("image:    %s: %s\n", r->image, r->image_detail);
	printf("verdict:  %s\n", check_ready(r) ? "ready for `hostctl up`" : "not ready");
}

/* JSON report of check. */
static void cmds_check_json(const struct check_result *r)
{
	struct jsonw j;
	jsonw_init(&j, stdout);
	jsonw_obj_open(&j, NULL);
	jsonw_bool(&j, "ready", check_ready(r));
	jsonw_bool(&j, "libvirt_running", r->libvirt_running);
	jsonw_bool(&j, "libvirt_reachable", r->libvirt_ok);
	jsonw_str(&j, "libvirt_detail", r->libvirt_detail);
	jsonw_int(&j, "libvirt_version", (long long)r->libvirt_version);
	jsonw_bool(&j, "tb_cache", r->tb_cache);
	jsonw_str(&j, "accel", r->host.kvm == PROBE_KVM_USABLE ? "kvm" : "tcg");
	jsonw_str(&j, "kvm", probe_kvm_name(r->host.kvm));
	jsonw_str(&j, "kvm_detail", r->host.kvm_detail);
	jsonw_int(&j, "mem_total_mb", r->host.mem_total_mb);
	jsonw_int(&j, "mem_available_mb", r->host.mem_avail_mb);
	jsonw_int(&j, "cpus", r->host.cpus);
	jsonw_str(&j, "missing_tool", r->host.missing_tool);
	jsonw_str(&j, "image", r->image);
	jsonw_bool(&j, "image_ok", r->image_ok);
	jsonw_str(&j, "image_detail", r->image_detail);
	jsonw_obj_close(&j);
}

/* hostctl check. */
static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"image", required_argument, NULL, 'i'},
					     {0}};
	int o, json = 0;
	_cleanup_free_ char *image = cmds_default_image();
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = 1;
			break;
		case 'i':
			free(image);
			image = xstrdup(optarg);
			break;
		case 'h':
			return cmds_help(argv[0], 0);
		default:
			return cmds_help(argv[0], 2);
		}
	}
	if (optind != argc)
		return cmds_help(argv[0], 2);
	struct check_result r;
	check_gather(image, &r);
	if (json)
		cmds_check_json(&r);
	else
		cmds_check_text(&r);
	return check_ready(&r) ? 0 : 1;
}

/* One option of `up`; returns -1 to go on, else an exit code. */
static int cmds_up_opt(int o, const char *arg, struct vcluster_up_opts *u, char **image)
{
	int t;
	switch (o) {
	case 'n':
		return cmds_int("-n/--nodes", arg, 1, STATE_NODES_MAX, &u->nodes) < 0 ? 2 : -1;
	case 'c':
		return cmds_int("--cpus", arg, 1, 16, &u->cpus) < 0 ? 2 : -1;
	case 'm':
		return cmds_int("--mem", arg, 128, 65536, &u->mem_mb) < 0 ? 2 : -1;
	case 'N':
		u->name = arg;
		return -1;
	case 'T':
		if (cmds_int("--timeout", arg, 1, 86400, &t) < 0)
			return 2;
		u->timeout_s = t;
		return -1;
	case 'i':
		free(*image);
		*image = xstrdup(arg);
		return -1;
	case 'g':
		u->force_tcg = 1;
		return -1;
	case 'k':
		u->keep_on_failure = 1;
		return -1;
	case 'h':
		return cmds_help("up", 0);
	default:
		return cmds_help("up", 2);
	}
}

/* hostctl up. */
static int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},	       {"nodes", required_argument, NULL, 'n'},
	    {"cpus", required_argument, NULL, 'c'},    {"mem", required_argument, NULL, 'm'},
	    {"name", required_argument, NULL, 'N'},    {"image", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 'T'}, {"tcg", no_argument, NULL, 'g'},
	    {"keep", no_argument, NULL, 'k'},	       {0}};
	struct vcluster_up_opts u = {
	    .name = VCLUSTER_DEFAULT_NAME, .nodes = 3, .cpus = 1, .mem_mb = 256, .timeout_s = 300};
	_cleanup_free_ char *image = cmds_default_image();
	int o, rc;
	while ((o = getopt_long(argc, argv, "hn:", opts, NULL)) != -1)
		if ((rc = cmds_up_opt(o, optarg, &u, &image)) >= 0)
			return rc;
	if (optind != argc)
		return cmds_help(argv[0], 2);
	if (geteuid() != 0) {
		fprintf(stderr, "hostctl: up needs root (libvirt qemu:///system, bridges)\n");
		return 1;
	}
	u.image = image;
	struct err e = {0};
	if (vcluster_up(&u, &e) < 0)
		return cmds_fail(&e);
	const char *nm = strcmp(u.name, VCLUSTER_DEFAULT_NAME) ? u.name : NULL;
	printf("log in:   hostctl ssh%s%s        (node 1, the login node)\n", nm ? " --name " : "",
	       nm ? nm : "");
	printf("          hostctl ssh%s%s 2 CMD  (run CMD on node 2)\n", nm ? " --name " : "",
	       nm ? nm : "");
	printf("stop:     hostctl down%s%s\n", nm ? " --name " : "", nm ? nm : "");
	return 0;
}

/* hostctl down. */
static int cmd_down(int argc, char **argv)
{
	const char *name;
	int rc = cmds_parse_name(argc, argv, &name, NULL, 0);
	if (rc >= 0)
		return rc;
	if (optind != argc)
		return cmds_help(argv[0], 2);
	struct err e = {0};
	return vcluster_down(name, &e) < 0 ? cmds_fail(&e) : 0;
}

/* hostctl status. */
static int cmd_status(int argc, char **argv)
{
	const char *name;
	int json = 0, named = 0;
	for (int i = 1; i < argc; i++)
		named |= !strcmp(argv[i], "--name") || !strncmp(argv[i], "--name=", 7);
	int rc = cmds_parse_name(argc, argv, &name, &json, 0);
	if (rc >= 0)
		return rc;
	if (optind != argc)
		return cmds_help(argv[0], 2);
	struct err e = {0};
	return status_print(named ? name : NULL, json, &e) < 0 ? cmds_fail(&e) : 0;
}

/* Load the named cluster and pick the node from argv[optind] if it names one. */
static int cmds_node(int argc, char **argv, const char *name, struct vcluster *c, int *node,
		     int required)
{
	struct err e = {0};
	if (state_load(name, c, &e) < 0)
		return cmds_fail(&e);
	*node = 1;
	const char *a = optind < argc ? argv[optind] : NULL;
	int looks = a && strspn(a + (a[0] == 'n'), "0123456789") == strlen(a + (a[0] == 'n')) &&
		    a[a[0] == 'n'];
	if (!looks)
		return required ? cmds_help(argv[0], 2) : -1;
	if (vcluster_parse_node(c, a, node, &e) < 0)
		return cmds_fail(&e);
	optind++;
	return -1;
}

/* hostctl add. */
static int cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"name", required_argument, NULL, 'N'},
					     {"timeout", required_argument, NULL, 'T'},
					     {0}};
	const char *name = VCLUSTER_DEFAULT_NAME;
	int o, t = 240;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'N')
			name = optarg;
		else if (o == 'T' && cmds_int("--timeout", optarg, 1, 86400, &t) < 0)
			return 2;
		else if (o == 'h')
			return cmds_help(argv[0], 0);
		else if (o != 'T')
			return cmds_help(argv[0], 2);
	}
	if (optind != argc)
		return cmds_help(argv[0], 2);
	if (geteuid() != 0) {
		fprintf(stderr, "hostctl: add needs root (libvirt qemu:///system)\n");
		return 1;
	}
	struct err e = {0};
	return resize_add(name, t, &e) < 0 ? cmds_fail(&e) : 0;
}

/* hostctl remove. */
static int cmd_remove(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"name", required_argument, NULL, 'N'},
					     {"force", no_argument, NULL, 'f'},
					     {0}};
	const char *name = VCLUSTER_DEFAULT_NAME;
	int o, force = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'N')
			name = optarg;
		else if (o == 'f')
			force = 1;
		else if (o == 'h')
			return cmds_help(argv[0], 0);
		else
			return cmds_help(argv[0], 2);
	}
	if (optind != argc - 1)
		return cmds_help(argv[0], 2);
	if (geteuid() != 0) {
		fprintf(stderr, "hostctl: remove needs root (libvirt qemu:///system)\n");
		return 1;
	}
	struct err e = {0};
	return resize_remove(name, argv[optind], force, &e) < 0 ? cmds_fail(&e) : 0;
}

/* Become ssh to the node the arguments name, running the rest of them
 * there, after prog when it is set; tty: with -t (a terminal for it). */
static int cmds_ssh_exec(int argc, char **argv, const char *prog, int tty)
{
	const char *name;
	struct vcluster c;
	int node, rc = cmds_parse_name(argc, argv, &name, NULL, 1);
	if (rc >= 0)
		return rc;
	if ((rc = cmds_node(argc, argv, name, &c, &node, 0)) >= 0)
		return rc;
	int n = argc - optind, k = prog ? 1 : 0;
	char **cmd = xcalloc((size_t)(n + k) + 1, sizeof(char *));
	cmd[0] = (char *)prog;
	for (int i = 0; i < n; i++)
		cmd[i + k] = argv[optind + i];
	char **v = vcluster_ssh_argv(&c, node, cmd, n + k);
	free(cmd);
	if (tty) {
		size_t len = 0;
		while (v[len])
			len++;
		v = xrealloc(v, (len + 2) * sizeof(char *));
		memmove(v + 2, v + 1, len * sizeof(char *));
		v[1] = xstrdup("-t");
	}
	fflush(NULL);
	execvp(v[0], v);
	fprintf(stderr, "hostctl: cannot run ssh: %s\n", strerror(errno));
	vcluster_argv_free(v);
	return 1;
}

/* hostctl ssh: becomes ssh. */
static int cmd_ssh(int argc, char **argv)
{
	return cmds_ssh_exec(argc, argv, NULL, 0);
}

/* hostctl mon: becomes ssh -t NODE mmon [MMON-OPTION...] (a terminal for
 * it when there is one here: mmon needs it). */
static int cmd_mon(int argc, char **argv)
{
	return cmds_ssh_exec(argc, argv, "mmon", isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
}

/* hostctl console: becomes `virsh console`. */
static int cmd_console(int argc, char **argv)
{
	const char *name;
	struct vcluster c;
	int node, rc = cmds_parse_name(argc, argv, &name, NULL, 0);
	if (rc >= 0)
		return rc;
	if ((rc = cmds_node(argc, argv, name, &c, &node, 1)) >= 0)
		return rc;
	if (optind != argc)
		return cmds_help(argv[0], 2);
	_cleanup_free_ char *dom = state_dom_name(&c, node);
	char *v[] = {"virsh", "-c", VIRT_URI, "console", "--force", dom, NULL};
	fflush(NULL);
	execvp(v[0], v);
	fprintf(stderr, "hostctl: cannot run virsh: %s\n", strerror(errno));
	return 1;
}

/* Dispatch. */
int cmds_main(int argc, char **argv)
{
	if (argc < 2) {
		cmds_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		cmds_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf(MOSIX_VERSION_FMT, "hostctl");
		return 0;
	}
	const struct cmds_entry *c = cmds_find(argv[1]);
	if (!c) {
		fprintf(stderr, "hostctl: unknown command '%s'\n", argv[1]);
		cmds_usage(stderr);
		return 2;
	}
	if (getenv("MOSIX_LOG") == NULL)
		log_set_level(LOG_LVL_INFO);
	optind = 1;
	return c->handler(argc - 1, argv + 1);
}
