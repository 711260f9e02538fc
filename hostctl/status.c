/* status.c: hostctl status. Load from guestd joins here once guestd reports it. */
#include "status.h"
#include "vcluster.h"
#include "proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "jsonw.h"
#include "nodewait.h"
#include "state.h"
#include "virt.h"

#define STATUS_SSH_WAIT_S 3.0

struct status_node {
	const char *state;
	int pid, ssh;
	long rss_mb;
	char *dom, *ip;
	int gd_up; /* as node 1's guestd sees it: 1 up, 0 down, -1 unknown */
	long load_milli, mem_free_mb;
};

/* Resident memory of a process in MiB (0 if unknown). */
static long status_rss_mb(int pid)
{
	if (pid <= 0)
		return 0;
	_cleanup_free_ char *p = xasprintf("/proc/%d/status", pid);
	_cleanup_free_ char *s = NULL;
	long kb = 0;
	if (util_read_file(p, &s) > 0) {
		char *l = strstr(s, "VmRSS:");
		if (l)
			sscanf(l, "VmRSS: %ld", &kb);
	}
	return kb / 1024;
}

/* Gather one node's facts. */
static void status_node(virConnectPtr v, const struct vcluster *c, int i, struct status_node *n)
{
	n->dom = state_dom_name(c, i);
	n->ip = state_node_ip(c, i);
	n->state = v ? virt_dom_state(v, n->dom, &n->pid) : "unknown";
	n->rss_mb = status_rss_mb(n->pid);
}

/* A number (or true: 1) after "key": inside one JSON object [p, end); -1
 * when it is not there. */
static double status_field(const char *p, const char *end, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *at = strstr(p, pat);
	if (!at || at > end)
		return -1;
	at += strlen(pat);
	if (!strncmp(at, "true", 4))
		return 1;
	return strtod(at, NULL);
}

/* Load vectors as node 1's guestd knows them (gossip): mosctl status --json. */
static void status_guestd(const struct vcluster *c, struct status_node *n)
{
	for (int i = 0; i < c->nodes; i++)
		n[i].gd_up = -1;
	if (!c->nodes || !n[0].ssh)
		return;
	char *cmd[] = {"mosctl", "status", "--json"};
	char **argv = vcluster_ssh_argv(c, 1, cmd, 3);
	char *out = NULL;
	struct err ignore = {0, ""};
	int r = proc_run(argv, &out, &ignore);
	vcluster_argv_free(argv);
	for (const char *p = out; r == 0 && p && (p = strstr(p, "{\"node\": ")); p++) {
		const char *end = strchr(p, '}');
		int k = atoi(p + 9);
		if (!end || (k = state_node_index(c, k)) < 0)
			continue;
		n[k].gd_up = status_field(p, end, "up") == 1; /* true */
		n[k].load_milli = (long)(status_field(p, end, "load") * 1000);
		n[k].mem_free_mb = (long)(status_field(p, end, "mem_free_kb") / 1024);
	}
	free(out);
}

/* Human-readable output of one cluster. */
static void status_text(const struct vcluster *c, struct status_node *n)
{
	printf("cluster %s: %d nodes, network %s.0/24, %s, %d MB x %d vcpu, state %s\n", c->name,
	       c->nodes, c->subnet, strcmp(c->accel, "kvm") ? "TCG" : "KVM", c->mem_mb, c->cpus,
	       c->dir);
	printf("  %-5s %-24s %-9s %-15s %-4s %-9s %-7s %-6s %s\n", "NODE", "DOMAIN", "STATE",
	       "ADDRESS", "SSH", "HOST-RSS", "GUESTD", "LOAD", "FREE-MB");
	for (int i = 0; i < c->nodes; i++) {
		const char *gd = n[i].gd_up < 0 ? "?" : n[i].gd_up ? "up" : "down";
		printf("  n%-4d %-24s %-9s %-15s %-4s %-6ld MB %-7s %-6.2f %ld\n", c->id[i],
		       n[i].dom, n[i].state, n[i].ip, n[i].ssh ? "yes" : "no", n[i].rss_mb, gd,
		       n[i].load_milli / 1000.0, n[i].mem_free_mb);
	}
	printf("  (GUESTD, LOAD, FREE-MB: as node 1's guestd knows them by gossip)\n");
}

/* JSON object of one cluster. */
static void status_json(struct jsonw *j, const struct vcluster *c, struct status_node *n)
{
	jsonw_obj_open(j, NULL);
	jsonw_str(j, "name", c->name);
	jsonw_int(j, "nodes", c->nodes);
	jsonw_str(j, "subnet", c->subnet);
	jsonw_str(j, "accel", c->accel);
	jsonw_int(j, "mem_mb", c->mem_mb);
	jsonw_int(j, "cpus", c->cpus);
	jsonw_str(j, "state_dir", c->dir);
	jsonw_arr_open(j, "node");
	for (int i = 0; i < c->nodes; i++) {
		jsonw_obj_open(j, NULL);
		jsonw_int(j, "node", c->id[i]);
		jsonw_str(j, "domain", n[i].dom);
		jsonw_str(j, "state", n[i].state);
		jsonw_str(j, "ip", n[i].ip);
		jsonw_bool(j, "ssh", n[i].ssh);
		jsonw_int(j, "host_rss_mb", n[i].rss_mb);
		if (n[i].gd_up >= 0) {
			jsonw_bool(j, "guestd_up", n[i].gd_up);
			jsonw_int(j, "load_milli", n[i].load_milli);
			jsonw_int(j, "mem_free_mb", n[i].mem_free_mb);
		}
		jsonw_obj_close(j);
	}
	jsonw_arr_close(j);
	jsonw_obj_close(j);
}

/* Gather and print one cluster. */
static int status_one(virConnectPtr v, const char *name, struct jsonw *j, struct err *e)
{
	struct vcluster c;
	int r = state_load(name, &c, e);
	if (r < 0)
		return r;
	struct status_node n[c.nodes];
	struct nodewait w[c.nodes];
	for (int i = 0; i < c.nodes; i++) {
		status_node(v, &c, c.id[i], &n[i]);
		w[i] = (struct nodewait){.name = n[i].dom, .ip = n[i].ip};
	}
	/* sshd forks and re-execs itself before its banner: up to ~1 s under TCG */
	nodewait_ssh(w, c.nodes, STATUS_SSH_WAIT_S, 0, NULL, NULL);
	for (int i = 0; i < c.nodes; i++)
		n[i].ssh = n[i].pid > 0 && w[i].ready_s >= 0;
	status_guestd(&c, n);
	if (j)
		status_json(j, &c, n);
	else
		status_text(&c, n);
	for (int i = 0; i < c.nodes; i++) {
		free(n[i].dom);
		free(n[i].ip);
	}
	return 0;
}

/* hostctl status. */
int status_print(const char *name, int json, struct err *e)
{
	virConnectPtr v = NULL;
	struct err ve = {0};
	if (virt_open(&v, 0, STATE_ROOT, &ve) < 0 && !json)
		fprintf(stderr, "hostctl: %s\n", ve.msg);
	struct jsonw jw, *j = json ? &jw : NULL;
	if (j) {
		jsonw_init(j, stdout);
		jsonw_obj_open(j, NULL);
		jsonw_bool(j, "libvirt", v != NULL);
		jsonw_arr_open(j, "clusters");
	}
	int r = 0;
	char **names = name ? NULL : state_list();
	int none = names && !names[0];
	if (name)
		r = status_one(v, name, j, e);
	for (size_t i = 0; names && names[i]; i++) {
		if (r == 0)
			r = status_one(v, names[i], j, e);
		free(names[i]);
	}
	if (none && !j)
		printf("no clusters are up\n");
	free(names);
	if (j) {
		jsonw_arr_close(j);
		jsonw_obj_close(j);
	}
	virt_close(v);
	return r;
}
