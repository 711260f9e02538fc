/* prep.c: a new cluster's state dir: the pinned image, key material, maps and
 * per-node overlays, everything the domains refer to. */
#include "prep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cluster.h"
#include "appliance/util.h"
#include "appliance/xmem.h"
#include "keys.h"
#include "proc.h"
#include "sbuf.h"

static const char *image_files[] = {"base.qcow2", "vmlinux", "initrd.img"};

/* Check the image directory. */
int prep_image_ok(const char *dir, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(image_files); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, image_files[i]);
		if (access(p, R_OK) != 0)
			return err_setx(e, -ENOENT,
					"no guest image in %s (%s missing): build it with "
					"`images/build-image.sh %s` or `make image`",
					dir, image_files[i], dir);
	}
	return 0;
}

/* Copy a file (the image may be on another file system than the state). */
static int prep_copy(const char *src, const char *dst, struct err *e)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (in < 0 || out < 0)
		return err_set(e, -errno, "copy %s to %s", src, dst);
	ssize_t n;
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	return n < 0 ? err_set(e, -errno, "copy %s", src) : 0;
}

/* Pin the image into the state dir (hard link, else copy), so that rebuilding
 * the image never changes the backing file of a running cluster. */
int prep_pin_image(const struct vcluster *c, struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(image_files); i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", c->image, image_files[i]);
		_cleanup_free_ char *dst = xasprintf("%s/%s", c->dir, image_files[i]);
		if (link(src, dst) == 0)
			continue;
		int r = prep_copy(src, dst, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The nodes' host keys, pinned for the host's ssh and for node-to-node ssh. */
static int prep_known_hosts(const struct vcluster *c, struct err *e)
{
	struct sbuf kh = {0};
	int r = 0;
	for (int x = 0; x < c->nodes && r == 0; x++) {
		int i = c->id[x];
		_cleanup_free_ char *ip = state_node_ip(c, i);
		_cleanup_free_ char *nd = state_node_dir(c, i);
		_cleanup_free_ char *hk = xasprintf("%s/ssh_host_ed25519_key", nd);
		_cleanup_free_ char *pub = keys_read_pub(hk, e);
		if (!pub) {
			r = e ? e->code : -EIO;
			break;
		}
		/* drop the comment: "ssh-ed25519 AAAA... comment" */
		char *sp = strchr(pub, ' ');
		sp = sp ? strchr(sp + 1, ' ') : NULL;
		if (sp)
			*sp = '\0';
		pub[strcspn(pub, "\n")] = '\0';
		sbuf_printf(&kh, "n%d,%s %s\n", i, ip, pub);
	}
	if (r == 0)
		r = state_write(c->dir, "known_hosts", kh.s, 0644, e);
	sbuf_free(&kh);
	return r;
}

/* The cluster key hostctl made at up (64 hex digits in DIR/mosix/cluster.key). */
static int prep_read_key(const struct vcluster *c, uint8_t key[CLUSTER_KEY_LEN], struct err *e)
{
	_cleanup_free_ char *p = xasprintf("%s/mosix/cluster.key", c->dir);
	_cleanup_free_ char *s = NULL;
	ssize_t n = util_read_file(p, &s);
	for (int i = 0; n >= 2 * CLUSTER_KEY_LEN && i < CLUSTER_KEY_LEN; i++)
		if (sscanf(s + 2 * i, "%2hhx", &key[i]) != 1)
			n = -1;
	return n >= 2 * CLUSTER_KEY_LEN ? 0 : err_setx(e, -EINVAL, "%s: no cluster key", p);
}

/* The cluster map and the cluster key (fresh, or with keep_key the one in
 * use) in the appliance's format (what guestd reads), in DIR/mosix/. Each
 * node learns its own number from fw_cfg. */
static int prep_cluster_conf(const struct vcluster *c, int keep_key, struct err *e)
{
	struct cluster m = {.port = CLUSTER_DEFAULT_PORT, .nnodes = (size_t)c->nodes};
	snprintf(m.name, sizeof(m.name), "%s", c->name);
	m.nodes = xcalloc(m.nnodes, sizeof(*m.nodes));
	for (int i = 0; i < c->nodes; i++) {
		_cleanup_free_ char *ip = state_node_ip(c, c->id[i]);
		m.nodes[i].num = c->id[i];
		snprintf(m.nodes[i].addr, sizeof(m.nodes[i].addr), "%s", ip);
	}
	int r = keep_key ? prep_read_key(c, m.key, e) : cluster_new_key(m.key, e);
	if (r == 0) {
		_cleanup_free_ char *dir = xasprintf("%s/mosix", c->dir);
		r = cluster_write(dir, &m, e);
	}
	cluster_free(&m);
	return r < 0 ? err_prefix(e, "cluster map: ") : 0;
}

/* Node's ssh host key, in its state dir. */
static int prep_host_key(const struct vcluster *c, int node, struct err *e)
{
	_cleanup_free_ char *nd = state_node_dir(c, node);
	_cleanup_free_ char *hk = xasprintf("%s/ssh_host_ed25519_key", nd);
	_cleanup_free_ char *hc = xasprintf("n%d@%s", node, c->name);
	return keys_ssh_pair(hk, hc, e);
}

/* Node's qcow2 overlay over the pinned base image. */
static int prep_overlay(const struct vcluster *c, int node, struct err *e)
{
	_cleanup_free_ char *nd = state_node_dir(c, node);
	_cleanup_free_ char *base = xasprintf("%s/base.qcow2", c->dir);
	_cleanup_free_ char *disk = xasprintf("%s/disk.qcow2", nd);
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F",
			"qcow2",    "-b",     base, disk, NULL};
	int r = proc_run(argv, NULL, e);
	return r < 0 ? err_prefix(e, "overlay for n%d: ", node) : 0;
}

/* Keys: the user's ssh key, the nodes' own key, host keys, the cluster map and key. */
int prep_keys(const struct vcluster *c, struct err *e)
{
	_cleanup_free_ char *uk = xasprintf("%s/id_ed25519", c->dir);
	_cleanup_free_ char *nk = xasprintf("%s/node_key", c->dir);
	_cleanup_free_ char *comment = xasprintf("hostctl@%s", c->name);
	int r = keys_ssh_pair(uk, comment, e);
	if (r == 0)
		r = keys_ssh_pair(nk, comment, e);
	if (r == 0)
		r = prep_cluster_conf(c, 0, e);
	for (int i = 1; i <= c->nodes && r == 0; i++)
		r = prep_host_key(c, i, e);
	if (r < 0)
		return r;
	_cleanup_free_ char *up = keys_read_pub(uk, e);
	_cleanup_free_ char *np = keys_read_pub(nk, e);
	if (!up || !np)
		return e ? e->code : -EIO;
	_cleanup_free_ char *ak = xasprintf("%s%s", up, np);
	r = state_write(c->dir, "authorized_keys", ak, 0644, e);
	return r < 0 ? r : prep_known_hosts(c, e);
}

/* Per-node dirs and qcow2 overlays over the pinned base image. */
int prep_disks(const struct vcluster *c, struct err *e)
{
	int r = 0;
	for (int i = 1; i <= c->nodes && r == 0; i++)
		r = prep_overlay(c, i, e);
	return r;
}

/* Create the state dir tree (refuses an existing one: the name is in use). */
int prep_dirs(const struct vcluster *c, struct err *e)
{
	mkdir(STATE_ROOT, 0755);
	if (mkdir(c->dir, 0700) < 0)
		return errno == EEXIST
			   ? err_setx(e, -EEXIST,
				      "cluster '%s' is already up "
				      "(hostctl status --name %s; hostctl down --name %s)",
				      c->name, c->name, c->name)
			   : err_set(e, -errno, "mkdir %s", c->dir);
	for (int i = 1; i <= c->nodes; i++) {
		_cleanup_free_ char *nd = state_node_dir(c, i);
		if (mkdir(nd, 0700) < 0)
			return err_set(e, -errno, "mkdir %s", nd);
	}
	return 0;
}

/* One new node of a running cluster: its dir, host key and overlay. */
int prep_node(const struct vcluster *c, int node, struct err *e)
{
	_cleanup_free_ char *nd = state_node_dir(c, node);
	if (mkdir(nd, 0700) < 0)
		return err_set(e, -errno, "mkdir %s", nd);
	int r = prep_host_key(c, node, e);
	return r < 0 ? r : prep_overlay(c, node, e);
}

/* The map and known_hosts again, for the cluster's nodes now (same key). */
int prep_update_maps(const struct vcluster *c, struct err *e)
{
	int r = prep_cluster_conf(c, 1, e);
	return r < 0 ? r : prep_known_hosts(c, e);
}
