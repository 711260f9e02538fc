/* state.c: cluster state on disk and the names derived from it. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/util.h"
#include "appliance/xmem.h"

/* Names become parts of libvirt object names and paths: keep them plain. */
int state_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STATE_NAME_MAX || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
	}
	return 1;
}

int state_node_index(const struct vcluster *c, int k)
{
	for (int i = 0; i < c->nodes; i++)
		if (c->id[i] == k)
			return i;
	return -1;
}

int state_free_node(const struct vcluster *c)
{
	int k = 1;
	while (state_node_index(c, k) >= 0)
		k++;
	return k <= STATE_NODES_MAX ? k : -1;
}

char *state_ids(const struct vcluster *c)
{
	char *s = xstrdup("");
	for (int i = 0; i < c->nodes; i++) {
		char *t = xasprintf("%s%s%d", s, i ? "," : "", c->id[i]);
		free(s);
		s = t;
	}
	return s;
}

/* Parse "1,2,4" (ascending); without it (older state) nodes are 1..nodes. */
static int state_parse_ids(struct vcluster *c, const char *v)
{
	int n = 0, prev = 0;
	for (const char *p = v; *p && n < STATE_NODES_MAX; n++) {
		char *end;
		long k = strtol(p, &end, 10);
		if (end == p || k <= prev || k > STATE_NODES_MAX || (*end && *end != ','))
			return -1;
		c->id[n] = prev = (int)k;
		p = *end ? end + 1 : end;
	}
	c->nodes = n;
	return 0;
}

void state_set_dir(struct vcluster *c)
{
	snprintf(c->dir, sizeof(c->dir), "%s/%s", STATE_ROOT, c->name);
}

/* Write text to a file below dir. */
int state_write(const char *dir, const char *rel, const char *text, int mode, struct err *e)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set(e, -errno, "create %s", p);
	int r = util_write_full(fd, text, strlen(text));
	return r < 0 ? err_set(e, r, "write %s", p) : 0;
}

/* Save state.conf. */
int state_save(const struct vcluster *c, struct err *e)
{
	_cleanup_free_ char *ids = state_ids(c);
	_cleanup_free_ char *t =
	    xasprintf("format=mosix-hostctl 1\nname=%s\nnodes=%d\nids=%s\ncpus=%d\n"
		      "mem_mb=%d\nsubnet=%s\naccel=%s\nimage=%s\n",
		      c->name, c->nodes, ids, c->cpus, c->mem_mb, c->subnet, c->accel, c->image);
	return state_write(c->dir, "state.conf", t, 0644, e);
}

/* Apply one key=value line. */
static void state_apply(struct vcluster *c, const char *k, const char *v)
{
	if (!strcmp(k, "nodes"))
		c->nodes = atoi(v);
	else if (!strcmp(k, "ids") && state_parse_ids(c, v) < 0)
		c->nodes = -1;
	else if (!strcmp(k, "cpus"))
		c->cpus = atoi(v);
	else if (!strcmp(k, "mem_mb"))
		c->mem_mb = atoi(v);
	else if (!strcmp(k, "subnet"))
		snprintf(c->subnet, sizeof(c->subnet), "%s", v);
	else if (!strcmp(k, "accel"))
		snprintf(c->accel, sizeof(c->accel), "%s", v);
	else if (!strcmp(k, "image"))
		snprintf(c->image, sizeof(c->image), "%s", v);
}

/* Load state.conf. */
int state_load(const char *name, struct vcluster *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (!state_name_ok(name))
		return err_setx(e, -EINVAL,
				"invalid cluster name '%s' (use a-z, 0-9, '-', "
				"at most %d characters)",
				name, STATE_NAME_MAX);
	snprintf(c->name, sizeof(c->name), "%s", name);
	state_set_dir(c);
	_cleanup_free_ char *p = xasprintf("%s/state.conf", c->dir);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return err_setx(e, -ENOENT, "cluster '%s' is not up", name);
	char line[PATH_MAX + 64];
	int ok = 0;
	int have_ids = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(line, "format"))
			ok = !strcmp(eq + 1, "mosix-hostctl 1");
		have_ids |= !strcmp(line, "ids");
		state_apply(c, line, eq + 1);
	}
	for (int i = 0; !have_ids && i < c->nodes && i < STATE_NODES_MAX; i++)
		c->id[i] = i + 1;
	if (!ok || c->nodes < 1 || c->nodes > STATE_NODES_MAX || !c->subnet[0])
		return err_setx(e, -EINVAL, "%s: not a cluster state file this hostctl understands",
				p);
	return 0;
}

/* List cluster names. */
char **state_list(void)
{
	size_t n = 0;
	char **v = xcalloc(1, sizeof(char *));
	DIR *d = opendir(STATE_ROOT);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!state_name_ok(de->d_name))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s/state.conf", STATE_ROOT, de->d_name);
		if (access(p, F_OK) != 0)
			continue;
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	if (d)
		closedir(d);
	return v;
}

/* nftw callback: remove one entry. */
static int state_rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(p) : unlink(p)) < 0 ? -1 : 0;
}

/* rm -rf, staying on one file system. */
int state_rmtree(const char *dir, struct err *e)
{
	if (access(dir, F_OK) != 0)
		return 0;
	if (nftw(dir, state_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return err_set(e, -errno, "remove %s", dir);
	return 0;
}

/* Serialize hostctl instances that change state: flock on the state root
 * itself (no lock file to leave behind). A root removed by a `down` while we
 * waited is recreated and locked again. */
int state_lock(struct err *e)
{
	for (;;) {
		if (mkdir(STATE_ROOT, 0755) < 0 && errno != EEXIST)
			return err_set(e, -errno, "mkdir %s", STATE_ROOT);
		int fd = open(STATE_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return err_set(e, -errno, "open %s", STATE_ROOT);
		if (flock(fd, LOCK_EX) < 0) {
			int r = err_set(e, -errno, "lock %s", STATE_ROOT);
			close(fd);
			return r;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
	}
}

/* Remove the state root if nothing is left in it (called under the lock). */
void state_prune_root(void)
{
	rmdir(STATE_ROOT);
}

char *state_net_name(const struct vcluster *c)
{
	return xasprintf("mosix-%s", c->name);
}

/* Bridge names are limited to 15 characters; the subnet is unique per cluster. */
char *state_bridge_name(const struct vcluster *c)
{
	unsigned a = 0, b = 0, d = 0;
	sscanf(c->subnet, "%u.%u.%u", &a, &b, &d);
	return xasprintf("mosbr%u-%u", b, d);
}

char *state_dom_name(const struct vcluster *c, int node)
{
	return xasprintf("mosix-%s-n%d", c->name, node);
}

char *state_node_ip(const struct vcluster *c, int node)
{
	return xasprintf("%s.%d", c->subnet, 10 + node);
}

/* 52:54:00 is QEMU's prefix; the subnet's octets keep clusters apart. */
char *state_node_mac(const struct vcluster *c, int node)
{
	unsigned a = 0, b = 0, d = 0;
	sscanf(c->subnet, "%u.%u.%u", &a, &b, &d);
	return xasprintf("52:54:00:%02x:%02x:%02x", b & 0xff, d & 0xff, node & 0xff);
}

char *state_node_dir(const struct vcluster *c, int node)
{
	return xasprintf("%s/n%d", c->dir, node);
}
