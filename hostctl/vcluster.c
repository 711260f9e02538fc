/* vcluster.c: `hostctl up` and `hostctl down`. Up records its state before it
 * creates anything, so a failed or interrupted up is undone by the same code
 * as down. */
#include "vcluster.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "hostctl"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"
#include "nodewait.h"
#include "prep.h"
#include "probe.h"
#include "proc.h"
#include "sbuf.h"
#include "subnet.h"
#include "virt.h"
#include "xml.h"

/* Set by SIGINT/SIGTERM/SIGHUP during up: stop and undo. */
static volatile sig_atomic_t vcluster_stop;

/* Signal handler: remember, the up loop notices. */
static void vcluster_on_signal(int sig)
{
	vcluster_stop = sig;
}

/* Catch the signals that should undo a half-made cluster instead of leaving it. */
static void vcluster_catch_signals(void)
{
	struct sigaction sa = {.sa_handler = vcluster_on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* -EINTR if a signal asked us to stop. */
static int vcluster_check_stop(struct err *e)
{
	return vcluster_stop ? err_setx(e, -EINTR, "interrupted by signal %d", (int)vcluster_stop)
			     : 0;
}

/* Is name exactly "mosix-<cluster>-n<digits>"? */
static int vcluster_owns_domain(const char *cluster, const char *dom)
{
	_cleanup_free_ char *pre = xasprintf("mosix-%s-n", cluster);
	size_t n = strlen(pre);
	if (strncmp(dom, pre, n) || !dom[n])
		return 0;
	return strspn(dom + n, "0123456789") == strlen(dom + n);
}

/* Remove the libvirt objects of a cluster; returns how many existed. */
static int vcluster_remove_virt(virConnectPtr v, const char *name, struct err *e)
{
	_cleanup_free_ char *pre = xasprintf("mosix-%s-n", name);
	char **doms = virt_dom_list(v, pre);
	int found = 0, r = 0;
	for (size_t i = 0; doms[i]; i++) {
		if (!vcluster_owns_domain(name, doms[i]))
			continue;
		int x = virt_dom_remove(v, doms[i], e);
		if (x < 0)
			r = x;
		found += x > 0;
	}
	virt_strv_free(doms);
	_cleanup_free_ char *net = xasprintf("mosix-%s", name);
	int x = virt_net_remove(v, net, e);
	if (x < 0)
		r = x;
	found += x > 0;
	return r < 0 ? r : found;
}

/* Does libvirt hold objects of this name already (an unclean leftover)? */
static int vcluster_virt_in_use(virConnectPtr v, const char *name, struct err *e)
{
	_cleanup_free_ char *net = xasprintf("mosix-%s", name);
	_cleanup_free_ char *d1 = xasprintf("mosix-%s-n1", name);
	if (virt_net_exists(v, net) || virt_dom_exists(v, d1))
		return err_setx(e, -EEXIST,
				"libvirt already has objects named %s* (a leftover?): "
				"`hostctl down --name %s` removes them",
				net, name);
	return 0;
}

struct xml_opts vcluster_xml_opts(virConnectPtr v)
{
	return (struct xml_opts){.tb_cache_mib = virt_has_tb_cache(v) ? VCLUSTER_TB_CACHE_MIB : 0,
				 .kernel_args = getenv("MOSIX_KERNEL_ARGS")};
}

/* Define and start one node's domain. */
int vcluster_start_node(virConnectPtr v, const struct vcluster *c, int node,
			const struct xml_opts *xo, struct err *e)
{
	_cleanup_free_ char *dx = xml_domain(c, node, xo);
	_cleanup_free_ char *nd = state_node_dir(c, node);
	if (state_write(nd, "domain.xml", dx, 0600, e) < 0 || virt_dom_create(v, dx, e) < 0)
		return err_prefix(e, "node n%d: ", node);
	return 0;
}

/* Define and start the network and every node. */
static int vcluster_start(virConnectPtr v, const struct vcluster *c, struct err *e)
{
	_cleanup_free_ char *nx = xml_network(c);
	int r = virt_net_create(v, nx, e);
	if (r < 0)
		return r;
	struct xml_opts xo = vcluster_xml_opts(v);
	for (int i = 1; i <= c->nodes; i++)
		if ((r = vcluster_start_node(v, c, i, &xo, e)) < 0)
			return r;
	return 0;
}

/* Log into every node at once with the cluster key: proves keys and host keys. */
static int vcluster_ssh_all(const struct vcluster *c, struct err *e)
{
	int pid[c->nodes], fd[c->nodes], r = 0;
	char *cmd[] = {"true"};
	for (int i = 0; i < c->nodes; i++) {
		char **argv = vcluster_ssh_argv(c, c->id[i], cmd, 1);
		pid[i] = proc_start(argv, &fd[i], e);
		vcluster_argv_free(argv);
	}
	for (int i = 0; i < c->nodes; i++) {
		if (pid[i] < 0) {
			r = pid[i];
			continue;
		}
		if (proc_wait(pid[i], fd[i], "ssh", e) < 0)
			r = err_prefix(e, "log into n%d with the cluster key: ", c->id[i]);
	}
	return r;
}

/* How many nodes node `node` sees up (mosctl status), -1 if it cannot say. */
static int vcluster_seen_up(const struct vcluster *c, int node)
{
	char *cmd[] = {"mosctl", "status", "--json"};
	char **argv = vcluster_ssh_argv(c, node, cmd, 3);
	char *out = NULL;
	struct err ignore = {0, ""};
	int r = proc_run(argv, &out, &ignore), up = -1;
	vcluster_argv_free(argv);
	/* the total closes the object: ..., "up": N} (each node has an "up" too) */
	const char *p = r == 0 && out ? strstr(out, "], \"up\": ") : NULL;
	if (p)
		up = atoi(p + 9);
	free(out);
	return up;
}

/* Wait until every node's guestd sees every other node (gossip), with a
 * progress line; on timeout say which node sees how many. */
int vcluster_wait_gossip(const struct vcluster *c, double timeout_s, struct err *e)
{
	double t0 = util_now();
	int seen[c->nodes], done = 0, last = -1;
	while (!done && !vcluster_stop) {
		int k = 0;
		for (int i = 0; i < c->nodes; i++) {
			seen[i] = vcluster_seen_up(c, c->id[i]);
			k += seen[i] == c->nodes;
		}
		done = k == c->nodes;
		if (k != last)
			printf("[%5.1fs] nodes whose guestd sees all %d nodes: %d/%d\n",
			       util_now() - t0, c->nodes, k, c->nodes);
		fflush(stdout);
		last = k;
		if (!done && util_now() - t0 > timeout_s) {
			char who[256] = "";
			for (int i = 0, at = 0; i < c->nodes && at < 200; i++)
				at += snprintf(who + at, sizeof(who) - (size_t)at, " n%d:%d",
					       c->id[i], seen[i]);
			return err_setx(
			    e, -ETIMEDOUT,
			    "the nodes' guestd did not all see each other within %.0f s "
			    "(nodes seen up:%s)",
			    timeout_s, who);
		}
		if (!done)
			usleep(500000);
	}
	return vcluster_stop ? err_setx(e, -EINTR, "interrupted") : 0;
}

int vcluster_wait_ssh(const struct vcluster *c, const int *ids, int n, double timeout_s,
		      struct err *e)
{
	struct nodewait w[n];
	char *ips[n], *names[n];
	for (int i = 0; i < n; i++) {
		ips[i] = state_node_ip(c, ids[i]);
		names[i] = xasprintf("n%d", ids[i]);
		w[i] = (struct nodewait){.name = names[i], .ip = ips[i]};
	}
	int r = nodewait_ssh(w, n, timeout_s, 1, &vcluster_stop, e);
	for (int i = 0; i < n; i++) {
		if (r == -ETIMEDOUT && w[i].ready_s < 0) {
			_cleanup_free_ char *nd = state_node_dir(c, ids[i]);
			_cleanup_free_ char *log = xasprintf("%s/console.log", nd);
			fprintf(stderr, "node %s never answered ssh; its console:\n", names[i]);
			nodewait_tail(log, 20);
		}
		free(ips[i]);
		free(names[i]);
	}
	return r;
}

/* Wait for every node's ssh, then for gossip among their guestds. */
static int vcluster_wait(const struct vcluster *c, double timeout_s, struct err *e)
{
	int r = vcluster_wait_ssh(c, c->id, c->nodes, timeout_s, e);
	if (r < 0 || (r = vcluster_ssh_all(c, e)) < 0)
		return r;
	return vcluster_wait_gossip(c, timeout_s < 60 ? timeout_s : 60, e);
}

/* Fill the cluster description from the options. */
static int vcluster_describe(const struct vcluster_up_opts *o, struct vcluster *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (!state_name_ok(o->name))
		return err_setx(e, -EINVAL,
				"invalid cluster name '%s' (use a-z, 0-9, '-', "
				"at most %d characters)",
				o->name, STATE_NAME_MAX);
	snprintf(c->name, sizeof(c->name), "%s", o->name);
	state_set_dir(c);
	c->nodes = o->nodes;
	for (int i = 0; i < c->nodes; i++)
		c->id[i] = i + 1;
	c->cpus = o->cpus;
	c->mem_mb = o->mem_mb;
	if (!realpath(o->image, c->image))
		return err_setx(e, -ENOENT,
				"no guest image directory %s: build it with "
				"`images/build-image.sh %s` or `make image`",
				o->image, o->image);
	long total, avail;
	probe_meminfo(&total, &avail);
	long need = (long)c->nodes * (c->mem_mb + VCLUSTER_MEM_OVERHEAD_MB);
	if (need > avail)
		return err_setx(e, -ENOMEM,
				"%d nodes of %d MB need about %ld MB; the host has %ld MB "
				"available",
				c->nodes, c->mem_mb, need, avail);
	return prep_image_ok(c->image, e);
}

/* Choose KVM only when a real guest runs at speed. */
static void vcluster_pick_accel(struct vcluster *c, int force_tcg)
{
	char why[128] = "forced by --tcg";
	enum probe_kvm k = force_tcg ? PROBE_KVM_ABSENT : probe_kvm(1000, why, sizeof(why));
	snprintf(c->accel, sizeof(c->accel), "%s", k == PROBE_KVM_USABLE ? "kvm" : "qemu");
	printf("accelerator: %s (%s)\n", k == PROBE_KVM_USABLE ? "KVM" : "TCG", why);
}

/* Everything after the state dir exists; undone by the caller on error. */
static int vcluster_build(virConnectPtr v, struct vcluster *c, const struct vcluster_up_opts *o,
			  struct err *e)
{
	int r = subnet_pick(v, c->subnet, e);
	if (r == 0)
		r = state_save(c, e);
	if (r == 0)
		r = prep_pin_image(c, e);
	if (r == 0)
		r = prep_keys(c, e);
	if (r == 0)
		r = prep_disks(c, e);
	if (r == 0)
		r = vcluster_check_stop(e);
	if (r < 0)
		return r;
	printf("network %s.0/24 (isolated), %d nodes x %d MB, %d vcpu\n", c->subnet, c->nodes,
	       c->mem_mb, c->cpus);
	double t0 = util_now();
	if ((r = vcluster_start(v, c, e)) < 0 || (r = vcluster_check_stop(e)) < 0)
		return r;
	printf("nodes started in %.1f s; waiting for ssh (up to %.0f s)\n", util_now() - t0,
	       o->timeout_s);
	fflush(stdout);
	if ((r = vcluster_wait(c, o->timeout_s, e)) < 0)
		return r;
	printf("cluster '%s' is up: %d nodes ready %.1f s after start\n", c->name, c->nodes,
	       util_now() - t0);
	return 0;
}

/* hostctl up. */
int vcluster_up(const struct vcluster_up_opts *o, struct err *e)
{
	struct vcluster c;
	int r = vcluster_describe(o, &c, e);
	if (r < 0)
		return r;
	_cleanup_close_ int lock = state_lock(e);
	if (lock < 0)
		return lock;
	vcluster_catch_signals();
	virConnectPtr v = NULL;
	if ((r = virt_open(&v, 1, STATE_ROOT, e)) < 0)
		return r;
	if (access(c.dir, F_OK) == 0)
		r = err_setx(e, -EEXIST,
			     "cluster '%s' is already up (hostctl status --name %s; "
			     "hostctl down --name %s)",
			     c.name, c.name, c.name);
	else if ((r = vcluster_virt_in_use(v, c.name, e)) == 0 && (r = prep_dirs(&c, e)) == 0) {
		vcluster_pick_accel(&c, o->force_tcg);
		r = vcluster_build(v, &c, o, e);
		if (r < 0 && !o->keep_on_failure) {
			fprintf(stderr, "hostctl: up failed; removing what was created\n");
			vcluster_remove_virt(v, c.name, NULL);
			state_rmtree(c.dir, NULL);
			state_prune_root();
		} else if (r < 0) {
			fprintf(stderr,
				"hostctl: up failed; kept for inspection: %s "
				"(hostctl down --name %s removes it)\n",
				c.dir, c.name);
		}
	}
	virt_close(v);
	return r;
}

/* hostctl down. */
int vcluster_down(const char *name, struct err *e)
{
	if (!state_name_ok(name))
		return err_setx(e, -EINVAL, "invalid cluster name '%s'", name);
	_cleanup_close_ int lock = state_lock(e);
	if (lock < 0)
		return lock;
	_cleanup_free_ char *dir = xasprintf("%s/%s", STATE_ROOT, name);
	int have_state = access(dir, F_OK) == 0;
	virConnectPtr v = NULL;
	/* With state on disk, domains may still run under a libvirtd that died
	 * or was stopped: start it so that they are found and destroyed. */
	int r = virt_open(&v, have_state, STATE_ROOT, e);
	if (r < 0 && !have_state)
		return err_setx(e, -ENOENT, "cluster '%s' is not up", name);
	int found = 0;
	if (r == 0) {
		found = vcluster_remove_virt(v, name, e);
		virt_close(v);
		if (found < 0)
			return found;
	} else {
		log_warn("%s; removing the state only (check for QEMU processes of %s)", e->msg,
			 name);
	}
	if (!have_state && found == 0)
		return err_setx(e, -ENOENT, "cluster '%s' is not up", name);
	if ((r = state_rmtree(dir, e)) < 0)
		return r;
	state_prune_root();
	printf("cluster '%s' is down: %d libvirt objects and %s removed\n", name, found, dir);
	return 0;
}

/* ssh argv with the cluster's key and pinned host keys; free with vcluster_argv_free. */
char **vcluster_ssh_argv(const struct vcluster *c, int node, char **cmd, int ncmd)
{
	static const char *opts[] = {"IdentitiesOnly=yes", "StrictHostKeyChecking=yes",
				     "BatchMode=yes", "ConnectTimeout=10", "LogLevel=ERROR"};
	char **v = xcalloc((size_t)ncmd + 2 * ARRAY_SIZE(opts) + 10, sizeof(char *));
	int n = 0;
	_cleanup_free_ char *ip = state_node_ip(c, node);
	v[n++] = xstrdup("ssh");
	v[n++] = xstrdup("-i");
	v[n++] = xasprintf("%s/id_ed25519", c->dir);
	v[n++] = xstrdup("-o");
	v[n++] = xasprintf("UserKnownHostsFile=%s/known_hosts", c->dir);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		v[n++] = xstrdup("-o");
		v[n++] = xstrdup(opts[i]);
	}
	v[n++] = xasprintf("root@%s", ip);
	if (ncmd > 0)
		v[n++] = xstrdup("--");
	for (int i = 0; i < ncmd; i++)
		v[n++] = xstrdup(cmd[i]);
	v[n] = NULL;
	return v;
}

/* Free an argv from vcluster_ssh_argv. */
void vcluster_argv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* "2" or "n2". */
int vcluster_parse_node(const struct vcluster *c, const char *s, int *node, struct err *e)
{
	long v;
	const char *p = s[0] == 'n' ? s + 1 : s;
	if (util_parse_long(p, 1, STATE_NODES_MAX, &v) < 0 || state_node_index(c, (int)v) < 0) {
		_cleanup_free_ char *list = state_ids(c);
		return err_setx(e, -EINVAL, "no node '%s' in cluster '%s' (nodes %s)", s, c->name,
				list);
	}
	*node = (int)v;
	return 0;
}
