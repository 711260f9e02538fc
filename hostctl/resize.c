/* resize.c: `hostctl add` and `hostctl remove`: a node joins or leaves a
 * running cluster. The other nodes learn the new map over ssh (written
 * atomically, then `mosctl reload`); a leaving node first sends its guests
 * home and calls its own processes home. */
#include "resize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "hostctl"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"
#include "prep.h"
#include "probe.h"
#include "proc.h"
#include "sbuf.h"
#include "virt.h"

#define RESIZE_GOSSIP_S 60

/* `printf '%s\n' 'line'... >PATH.new && mv PATH.new PATH`: the files hold
 * only names, numbers, addresses and base64 keys (no quote can occur). */
static int resize_put_file(struct sbuf *b, const char *text, const char *path, struct err *e)
{
	if (strchr(text, '\''))
		return err_setx(e, -EINVAL, "a quote in the text for %s", path);
	sbuf_printf(b, "printf '%%s\\n'");
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		sbuf_printf(b, " '%.*s'", (int)n, p);
		p += n + (p[n] == '\n');
	}
	sbuf_printf(b, " >%s.new && mv -f %s.new %s && ", path, path, path);
	return 0;
}

/* The shell command that gives a node the cluster's map, known hosts and
 * /etc/hosts, and makes its guestd read the map again. */
static char *resize_map_cmd(const struct vcluster *c, struct err *e)
{
	_cleanup_free_ char *mp = xasprintf("%s/mosix/cluster.conf", c->dir);
	_cleanup_free_ char *kp = xasprintf("%s/known_hosts", c->dir);
	_cleanup_free_ char *map = NULL, *kh = NULL;
	struct sbuf hosts = {0}, b = {0};
	if (util_read_file(mp, &map) < 0 || util_read_file(kp, &kh) < 0) {
		err_set(e, -errno, "read %s or %s", mp, kp);
		return NULL;
	}
	sbuf_printf(&hosts, "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
	for (int i = 0; i < c->nodes; i++) {
		_cleanup_free_ char *ip = state_node_ip(c, c->id[i]);
		sbuf_printf(&hosts, "%s n%d\n", ip, c->id[i]);
	}
	sbuf_printf(&b, "umask 022 && ");
	int r = resize_put_file(&b, map, "/etc/mosix/cluster.conf", e);
	if (r == 0)
		r = resize_put_file(&b, kh, "/etc/ssh/ssh_known_hosts", e);
	if (r == 0)
		r = resize_put_file(&b, hosts.s, "/etc/hosts", e);
	sbuf_printf(&b, "mosctl reload");
	sbuf_free(&hosts);
	if (r < 0) {
		sbuf_free(&b);
		return NULL;
	}
	return sbuf_take(&b);
}

/* Run a shell command on a node; its output, indented, to stdout. */
static int resize_on(const struct vcluster *c, int node, const char *cmd, struct err *e)
{
	char *argv1[] = {(char *)cmd};
	char **argv = vcluster_ssh_argv(c, node, argv1, 1);
	char *out = NULL;
	int r = proc_run(argv, &out, e);
	vcluster_argv_free(argv);
	for (char *l = out, *nl; l && *l; l = nl ? nl + 1 : l + strlen(l)) {
		nl = strchr(l, '\n');
		printf("  n%d: %.*s\n", node, nl ? (int)(nl - l) : (int)strlen(l), l);
	}
	free(out);
	fflush(stdout);
	return r < 0 ? err_prefix(e, "on n%d: ", node) : 0;
}

/* Give every node of c except skip the new map. */
static int resize_push_maps(const struct vcluster *c, int skip, struct err *e)
{
	_cleanup_free_ char *cmd = resize_map_cmd(c, e);
	if (!cmd)
		return e ? e->code : -EIO;
	int r = 0;
	for (int i = 0; i < c->nodes; i++) {
		if (c->id[i] == skip)
			continue;
		int x = resize_on(c, c->id[i], cmd, e);
		r = r < 0 ? r : x;
	}
	return r;
}

/* The DHCP host entry of a node. */
static int resize_dhcp(virConnectPtr v, const struct vcluster *c, int node, int add, struct err *e)
{
	_cleanup_free_ char *net = state_net_name(c);
	_cleanup_free_ char *mac = state_node_mac(c, node);
	_cleanup_free_ char *ip = state_node_ip(c, node);
	_cleanup_free_ char *x = xasprintf("<host mac='%s' name='n%d' ip='%s'/>", mac, node, ip);
	return virt_net_dhcp_host(v, net, x, add, e);
}

/* Insert node k into c's ascending id list. */
static void resize_insert(struct vcluster *c, int k)
{
	int i = c->nodes;
	while (i > 0 && c->id[i - 1] > k) {
		c->id[i] = c->id[i - 1];
		i--;
	}
	c->id[i] = k;
	c->nodes++;
}

/* Take node k out of c's id list. */
static void resize_delete(struct vcluster *c, int k)
{
	int i = state_node_index(c, k);
	if (i < 0)
		return;
	memmove(&c->id[i], &c->id[i + 1], (size_t)(c->nodes - i - 1) * sizeof(c->id[0]));
	c->nodes--;
}

/* Boot the new node and wait for its ssh. */
static int resize_boot(virConnectPtr v, const struct vcluster *c, int k, double timeout_s,
		       struct err *e)
{
	struct xml_opts xo = vcluster_xml_opts(v);
	int r = resize_dhcp(v, c, k, 1, e);
	if (r == 0)
		r = vcluster_start_node(v, c, k, &xo, e);
	return r < 0 ? r : vcluster_wait_ssh(c, &k, 1, timeout_s, e);
}

/* Undo a half-added node: domain, DHCP entry, dir; the old map again. */
static void resize_undo_add(virConnectPtr v, struct vcluster *c, int k)
{
	_cleanup_free_ char *dom = state_dom_name(c, k);
	_cleanup_free_ char *nd = state_node_dir(c, k);
	virt_dom_remove(v, dom, NULL);
	resize_dhcp(v, c, k, 0, NULL);
	state_rmtree(nd, NULL);
	resize_delete(c, k);
	prep_update_maps(c, NULL);
	state_save(c, NULL);
}

/* The steps of add, after the new number is chosen. */
static int resize_add_node(virConnectPtr v, struct vcluster *c, int k, double timeout_s,
			   struct err *e)
{
	double t0 = util_now();
	int r = prep_node(c, k, e);
	if (r == 0) {
		resize_insert(c, k);
		r = prep_update_maps(c, e);
	}
	if (r == 0)
		r = state_save(c, e);
	printf("adding n%d (%s.%d) to cluster '%s'\n", k, c->subnet, 10 + k, c->name);
	fflush(stdout);
	if (r == 0)
		r = resize_boot(v, c, k, timeout_s, e);
	if (r == 0)
		r = resize_push_maps(c, k, e);
	if (r == 0)
		r = vcluster_wait_gossip(c, RESIZE_GOSSIP_S, e);
	if (r == 0)
		printf("n%d added: %d nodes, all seeing each other %.1f s after start\n", k,
		       c->nodes, util_now() - t0);
	return r;
}

/* Lock the state and load cluster name: the lock's fd, or a negative code. */
static int resize_load(const char *name, struct vcluster *c, struct err *e)
{
	int lock = state_lock(e);
	if (lock < 0)
		return lock;
	int r = state_load(name, c, e);
	if (r < 0) {
		state_prune_root();
		close(lock);
		return r;
	}
	return lock;
}

/* hostctl add. */
int resize_add(const char *name, double timeout_s, struct err *e)
{
	struct vcluster c;
	_cleanup_close_ int lock = resize_load(name, &c, e);
	if (lock < 0)
		return lock;
	int r, k = state_free_node(&c);
	long total, avail;
	probe_meminfo(&total, &avail);
	if (k < 0 || c.nodes >= STATE_NODES_MAX)
		return err_setx(e, -ENOSPC, "cluster '%s' has %d nodes, the most there can be",
				name, c.nodes);
	if (c.mem_mb + VCLUSTER_MEM_OVERHEAD_MB > avail)
		return err_setx(e, -ENOMEM, "a node of %d MB needs about %d MB; %ld MB available",
				c.mem_mb, c.mem_mb + VCLUSTER_MEM_OVERHEAD_MB, avail);
	virConnectPtr v = NULL;
	if ((r = virt_open(&v, 1, STATE_ROOT, e)) < 0)
		return r;
	if ((r = resize_add_node(v, &c, k, timeout_s, e)) < 0) {
		fprintf(stderr, "hostctl: add failed; removing n%d again\n", k);
		resize_undo_add(v, &c, k);
		resize_push_maps(&c, 0, NULL);
	}
	virt_close(v);
	return r;
}

/* Empty a leaving node: guests home, its own processes home. */
static int resize_drain(const struct vcluster *c, int node, struct err *e)
{
	printf("n%d: sending its guests home (mosctl expel --wait)\n", node);
	fflush(stdout);
	int r = resize_on(c, node, "mosctl expel --wait --timeout 60", e);
	if (r == 0) {
		printf("n%d: calling its own processes home (mosctl bring --wait)\n", node);
		fflush(stdout);
		r = resize_on(c, node, "mosctl bring --wait --timeout 60", e);
	}
	return r;
}

/* The steps of remove, after the checks. */
static int resize_remove_node(virConnectPtr v, struct vcluster *c, int node, int force,
			      struct err *e)
{
	int r = resize_drain(c, node, e);
	if (r < 0 && !force)
		return err_prefix(e, "n%d not removed (--force removes it anyway): ", node);
	if (r < 0)
		fprintf(stderr, "hostctl: %s; removing it anyway (--force)\n", e->msg);
	_cleanup_free_ char *dom = state_dom_name(c, node);
	_cleanup_free_ char *nd = state_node_dir(c, node);
	if ((r = virt_dom_remove(v, dom, e)) < 0 || (r = state_rmtree(nd, e)) < 0)
		return r;
	resize_dhcp(v, c, node, 0, NULL); /* gone already is fine */
	resize_delete(c, node);
	if ((r = prep_update_maps(c, e)) < 0 || (r = state_save(c, e)) < 0 ||
	    (r = resize_push_maps(c, 0, e)) < 0)
		return r;
	printf("n%d removed: cluster '%s' has %d nodes\n", node, c->name, c->nodes);
	return 0;
}

/* hostctl remove. */
int resize_remove(const char *name, const char *node_arg, int force, struct err *e)
{
	struct vcluster c;
	int node, r;
	_cleanup_close_ int lock = resize_load(name, &c, e);
	if (lock < 0)
		return lock;
	if ((r = vcluster_parse_node(&c, node_arg, &node, e)) < 0)
		return r;
	if (node == 1)
		return err_setx(e, -EPERM,
				"n1 is the login node and stays (hostctl down removes "
				"the whole cluster)");
	virConnectPtr v = NULL;
	if ((r = virt_open(&v, 1, STATE_ROOT, e)) < 0)
		return r;
	r = resize_remove_node(v, &c, node, force, e);
	virt_close(v);
	return r;
}
