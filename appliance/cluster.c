/* cluster.c: the cluster map (DIR/cluster.conf) and key (DIR/cluster.key). */
#include "appliance/cluster.h"
#include "appliance/util.h"
#include "appliance/xmem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_FILE "cluster.conf"
#define KEY_FILE "cluster.key"
#define NODE_FILE "node"
#define KEY_HEX (2 * CLUSTER_KEY_LEN)
#define CONF_HEADER                                                                                \
	"# cluster.conf: the cluster map (format: appliance/include/appliance/cluster.h)\n"        \
	"# cluster NAME, port PORT, self N (this node), node N ADDRESS, set TUNABLE VALUE\n"

/* State of one pass over cluster.conf. */
struct conf_parse {
	const char *path;
	int line;
	struct cluster *c;
	size_t cap;			     /* allocated entries of c->nodes */
	int num_line[CLUSTER_MAX_NODES + 1]; /* line where each node number was listed */
	int name_line, port_line, self_line; /* line of each once-only keyword */
	struct err *e;
};

struct conf_keyword {
	const char *name;
	int nargs;
	const char *usage;
	int (*parse)(struct conf_parse *p, char **arg);
};

/* Record an error at the current line: "PATH:LINE: message". */
static int conf_error(struct conf_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int conf_error(struct conf_parse *p, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_setx(p->e, -EINVAL, "%s:%d: %s", p->path, p->line, msg);
}

/* Refuse a second use of a once-only keyword; remember the line of the first. */
static int conf_once(struct conf_parse *p, const char *kw, int *first)
{
	if (*first)
		return conf_error(p, "'%s' given twice (first at line %d)", kw, *first);
	*first = p->line;
	return 0;
}

/* Parse a node number 1..CLUSTER_MAX_NODES. */
static int conf_num(struct conf_parse *p, const char *s, int *num)
{
	long v;
	if (util_parse_long(s, 1, CLUSTER_MAX_NODES, &v) < 0)
		return conf_error(p, "bad node number '%s' (1..%d)", s, CLUSTER_MAX_NODES);
	*num = (int)v;
	return 0;
}

/* cluster NAME */
static int conf_name(struct conf_parse *p, char **arg)
{
	int r = conf_once(p, "cluster", &p->name_line);
	if (r < 0)
		return r;
	if (strlen(arg[0]) >= sizeof(p->c->name))
		return conf_error(p, "cluster name longer than %zu characters",
				  sizeof(p->c->name) - 1);
	snprintf(p->c->name, sizeof(p->c->name), "%s", arg[0]);
	return 0;
}

/* port PORT */
static int conf_port(struct conf_parse *p, char **arg)
{
	long v;
	int r = conf_once(p, "port", &p->port_line);
	if (r < 0)
		return r;
	if (util_parse_long(arg[0], 1, 65535, &v) < 0)
		return conf_error(p, "bad port '%s' (1..65535)", arg[0]);
	p->c->port = (uint16_t)v;
	return 0;
}

/* self N */
static int conf_self(struct conf_parse *p, char **arg)
{
	int r = conf_once(p, "self", &p->self_line);
	return r < 0 ? r : conf_num(p, arg[0], &p->c->self);
}

/* Append a node to the map. */
static void conf_add_node(struct conf_parse *p, int num, const char *addr)
{
	struct cluster *c = p->c;
	if (c->nnodes == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		c->nodes = xrealloc(c->nodes, p->cap * sizeof(*c->nodes));
	}
	struct cluster_node *n = &c->nodes[c->nnodes++];
	*n = (struct cluster_node){.num = num}; /* no stale bytes: nodes compare with memcmp */
	snprintf(n->addr, sizeof(n->addr), "%s", addr);
	p->num_line[num] = p->line;
}

/* node N ADDRESS: numbers and addresses are unique; addresses kept in canonical form. */
static int conf_node(struct conf_parse *p, char **arg)
{
	struct in_addr in;
	char addr[INET_ADDRSTRLEN];
	int num = 0, r = conf_num(p, arg[0], &num);
	if (r < 0)
		return r;
	if (inet_pton(AF_INET, arg[1], &in) != 1)
		return conf_error(p, "node %d: bad IPv4 address '%s'", num, arg[1]);
	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	if (p->num_line[num])
		return conf_error(p, "node %d listed twice (first at line %d)", num,
				  p->num_line[num]);
	for (size_t i = 0; i < p->c->nnodes; i++) {
		const struct cluster_node *n = &p->c->nodes[i];
		if (strcmp(n->addr, addr) == 0)
			return conf_error(p,
					  "node %d: address %s already used by node %d (line %d)",
					  num, addr, n->num, p->num_line[n->num]);
	}
	conf_add_node(p, num, addr);
	return 0;
}

/* set NAME VALUE: a tunable, kept for guestd (a later line for the same name wins). */
static int conf_set(struct conf_parse *p, char **arg)
{
	struct cluster *c = p->c;
	char *end;
	double v = strtod(arg[1], &end);
	if (strlen(arg[0]) >= sizeof(c->tun[0].name))
		return conf_error(p, "tunable name '%.40s' too long", arg[0]);
	if (!*arg[1] || *end || v != v)
		return conf_error(p, "set %s: '%s' is not a number", arg[0], arg[1]);
	size_t i = 0;
	while (i < c->ntun && strcmp(c->tun[i].name, arg[0]))
		i++;
	if (i == CLUSTER_MAX_TUNABLES)
		return conf_error(p, "more than %d tunables", CLUSTER_MAX_TUNABLES);
	if (i == c->ntun)
		c->ntun++;
	snprintf(c->tun[i].name, sizeof(c->tun[i].name), "%s", arg[0]);
	c->tun[i].value = v;
	c->tun[i].line = p->line;
	return 0;
}

static const struct conf_keyword conf_keywords[] = {
    {"cluster", 1, "cluster NAME", conf_name}, {"port", 1, "port PORT", conf_port},
    {"self", 1, "self N", conf_self},	       {"node", 2, "node N ADDRESS", conf_node},
    {"set", 2, "set NAME VALUE", conf_set},
};

/* Parse one line: blank, a comment, or a keyword with its arguments. */
static int conf_line(struct conf_parse *p, char *s)
{
	char *tok[4], *save = NULL;
	int n = 0;
	s[strcspn(s, "#")] = '\0';
	for (char *t = strtok_r(s, " \t\r\n", &save); t && n < 4;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(conf_keywords); i++) {
		const struct conf_keyword *k = &conf_keywords[i];
		if (strcmp(tok[0], k->name) != 0)
			continue;
		if (n - 1 != k->nargs)
			return conf_error(p, "expected '%s'", k->usage);
		return k->parse(p, tok + 1);
	}
	return conf_error(p, "unknown keyword '%s'", tok[0]);
}

/* Parse every line of cluster.conf. */
static int conf_read(struct conf_parse *p)
{
	_cleanup_fclose_ FILE *f = fopen(p->path, "re");
	if (!f)
		return err_set(p->e, -errno, "%s", p->path);
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0;
	errno = 0;
	while (getline(&buf, &cap, f) >= 0) {
		p->line++;
		int r = conf_line(p, buf);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return err_set(p->e, errno ? -errno : -EIO, "read %s", p->path);
	return 0;
}

/* Take this node's number from DIR/node when cluster.conf has no 'self' (both: must agree). */
static int conf_self_file(const char *dir, struct conf_parse *p)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, NODE_FILE);
	_cleanup_free_ char *text = NULL;
	long v;
	ssize_t n = util_read_file(path, &text);
	if (n == -ENOENT && p->self_line)
		return 0;
	if (n == -ENOENT)
		return err_setx(p->e, -EINVAL, "%s: no 'self N' line, and no %s", p->path, path);
	if (n < 0)
		return err_set(p->e, (int)n, "%s", path);
	if (n > 0 && text[n - 1] == '\n')
		text[n - 1] = '\0';
	if (util_parse_long(text, 1, CLUSTER_MAX_NODES, &v) < 0)
		return err_setx(p->e, -EINVAL, "%s: bad node number '%s' (1..%d)", path, text,
				CLUSTER_MAX_NODES);
	if (p->self_line && v != p->c->self)
		return err_setx(p->e, -EINVAL, "%s:%d: self %d, but %s says %ld", p->path,
				p->self_line, p->c->self, path, v);
	p->c->self = (int)v;
	return 0;
}

/* Order nodes by number. */
static int node_cmp(const void *a, const void *b)
{
	const struct cluster_node *x = a, *y = b;
	return (x->num > y->num) - (x->num < y->num);
}

/* Sort the map and check it is whole: some nodes, this node among them. */
static int conf_check(struct conf_parse *p)
{
	struct cluster *c = p->c;
	if (c->nnodes == 0)
		return err_setx(p->e, -EINVAL, "%s: no 'node N ADDRESS' lines", p->path);
	qsort(c->nodes, c->nnodes, sizeof(*c->nodes), node_cmp);
	if (cluster_find(c, c->self))
		return 0;
	if (p->self_line)
		return err_setx(p->e, -EINVAL, "%s:%d: self %d is not in the map", p->path,
				p->self_line, c->self);
	return err_setx(p->e, -EINVAL, "%s: self %d (from %s) is not in the map", p->path, c->self,
			NODE_FILE);
}

/* Value of one hex digit, or -1. */
static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode exactly 64 hex digits and an optional newline. */
static int key_parse(const char *path, const char *s, size_t len, uint8_t *key, struct err *e)
{
	if (len == KEY_HEX + 1 && s[KEY_HEX] == '\n')
		len--;
	if (len != KEY_HEX)
		goto bad;
	for (size_t i = 0; i < CLUSTER_KEY_LEN; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	explicit_bzero(key, CLUSTER_KEY_LEN);
	return err_setx(e, -EINVAL, "%s:1: the key must be %d hex digits (%d bytes) and a newline",
			path, KEY_HEX, CLUSTER_KEY_LEN);
}

/* Read up to n bytes (to EOF). Count or -errno. */
static ssize_t read_upto(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Read DIR/cluster.key, which only its owner may access. */
static int key_read(const char *dir, uint8_t *key, struct err *e)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, KEY_FILE);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char buf[KEY_HEX + 3];
	if (fd < 0)
		return err_set(e, -errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return err_set(e, -errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return err_setx(e, -EINVAL, "%s: not a regular file", path);
	if (st.st_mode & 077)
		return err_setx(e, -EACCES,
				"%s: readable by group or others (mode %04o): run chmod 600 %s",
				path, (unsigned)(st.st_mode & 07777), path);
	ssize_t n = read_upto(fd, buf, sizeof(buf));
	if (n < 0)
		return err_set(e, (int)n, "read %s", path);
	int r = key_parse(path, buf, (size_t)n, key, e);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* Load DIR/cluster.conf (and DIR/node), and DIR/cluster.key when want_key. */
static int cluster_read(const char *dir, struct cluster *c, int want_key, struct err *e)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "mosix");
	c->port = CLUSTER_DEFAULT_PORT;
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, CONF_FILE);
	_cleanup_free_ struct conf_parse *p = xcalloc(1, sizeof(*p));
	p->path = path;
	p->c = c;
	p->e = e;
	int r = conf_read(p);
	if (r == 0)
		r = conf_self_file(dir, p);
	if (r == 0)
		r = conf_check(p);
	if (r == 0 && want_key)
		r = key_read(dir, c->key, e);
	if (r < 0)
		cluster_free(c);
	return r;
}

int cluster_load(const char *dir, struct cluster *c, struct err *e)
{
	return cluster_read(dir, c, 1, e);
}

int cluster_load_map(const char *dir, struct cluster *c, struct err *e)
{
	return cluster_read(dir, c, 0, e);
}

int cluster_node_by_addr(const char *dir, const char *addr, struct err *e)
{
	struct cluster c;
	int r = cluster_load_map(dir, &c, e);
	if (r < 0)
		return r;
	const struct cluster_node *n = cluster_find_addr(&c, addr);
	r = n ? n->num
	      : err_setx(e, -ENOENT, "no node has address %s in %s/%s", addr, dir, CONF_FILE);
	cluster_free(&c);
	return r;
}

/* The node with address addr. */
const struct cluster_node *cluster_find_addr(const struct cluster *c, const char *addr)
{
	for (size_t i = 0; i < c->nnodes; i++)
		if (!strcmp(c->nodes[i].addr, addr))
			return &c->nodes[i];
	return NULL;
}

/* Node num as a socket address. */
int cluster_sockaddr(const struct cluster *c, int num, struct sockaddr_in *out)
{
	const struct cluster_node *n = cluster_find(c, num);
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons(c->port);
	return n && inet_pton(AF_INET, n->addr, &out->sin_addr) == 1 ? 0 : -ENOENT;
}

/* Is the cluster name one word that fits? */
static int name_ok(const char *name, size_t size)
{
	size_t len = strnlen(name, size);
	return len > 0 && len < size && name[strcspn(name, " \t\r\n#")] == '\0';
}

/* Check nodes before writing: numbers in range and sorted, addresses IPv4 and unique. */
static int write_check_nodes(const struct cluster *c, struct err *e)
{
	_cleanup_free_ struct in_addr *in = xcalloc(c->nnodes, sizeof(*in));
	for (size_t i = 0; i < c->nnodes; i++) {
		const struct cluster_node *n = &c->nodes[i];
		if (n->num < 1 || n->num > CLUSTER_MAX_NODES)
			return err_setx(e, -EINVAL, "bad node number %d (1..%d)", n->num,
					CLUSTER_MAX_NODES);
		if (i > 0 && n->num <= c->nodes[i - 1].num)
			return err_setx(e, -EINVAL,
					"node %d: nodes must be sorted by number, each once",
					n->num);
		if (inet_pton(AF_INET, n->addr, &in[i]) != 1)
			return err_setx(e, -EINVAL, "node %d: bad IPv4 address '%.64s'", n->num,
					n->addr);
		for (size_t j = 0; j < i; j++)
			if (in[j].s_addr == in[i].s_addr)
				return err_setx(e, -EINVAL,
						"node %d: address %s already used by node %d",
						n->num, n->addr, c->nodes[j].num);
	}
	return 0;
}

/* Refuse to write what cluster_load would refuse to read. */
static int write_check(const struct cluster *c, struct err *e)
{
	static const uint8_t zero[CLUSTER_KEY_LEN];
	if (!name_ok(c->name, sizeof(c->name)))
		return err_setx(e, -EINVAL, "cluster name must be one word of 1..%zu characters",
				sizeof(c->name) - 1);
	if (c->port == 0)
		return err_setx(e, -EINVAL, "port 0");
	if (c->nnodes == 0 || c->nnodes > CLUSTER_MAX_NODES)
		return err_setx(e, -EINVAL, "%zu nodes (1..%d)", c->nnodes, CLUSTER_MAX_NODES);
	if (memcmp(c->key, zero, sizeof(zero)) == 0)
		return err_setx(e, -EINVAL, "the key is all zeros: fill it with cluster_new_key");
	int r = write_check_nodes(c, e);
	if (r == 0 && c->self != 0 && !cluster_find(c, c->self))
		return err_setx(e, -EINVAL, "self %d is not in the map", c->self);
	return r;
}

/* Create dir and its missing parents. */
static int mkdir_p(const char *dir, struct err *e)
{
	_cleanup_free_ char *path = xstrdup(dir);
	struct stat st;
	if (!*dir)
		return err_setx(e, -EINVAL, "empty directory name");
	for (char *s = path + 1;; s++) {
		char ch = *s;
		if (ch != '/' && ch != '\0')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return err_set(e, -errno, "mkdir %s", path);
		*s = ch;
		if (ch == '\0')
			break;
	}
	if (stat(dir, &st) < 0)
		return err_set(e, -errno, "%s", dir);
	if (!S_ISDIR(st.st_mode))
		return err_setx(e, -ENOTDIR, "%s: not a directory", dir);
	return 0;
}

/* Replace DIR/NAME with data atomically: a temporary file with the final mode, then rename. */
static int file_replace(const char *dir, const char *name, const char *data, size_t len,
			mode_t mode, struct err *e)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
	int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 from the start */
	if (fd < 0)
		return err_set(e, -errno, "create %s", tmp);
	int r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = util_write_full(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return err_set(e, r, "write %s", path);
	}
	return 0;
}

/* The text of cluster.conf for c. */
static char *conf_format(const struct cluster *c)
{
	size_t cap = 512 + sizeof(c->name) + c->nnodes * 32 + c->ntun * 64, len = 0;
	char *s = xmalloc(cap);
	len += (size_t)snprintf(s + len, cap - len, "%scluster %s\nport %u\n", CONF_HEADER, c->name,
				(unsigned)c->port);
	if (c->self)
		len += (size_t)snprintf(s + len, cap - len, "self %d\n", c->self);
	for (size_t i = 0; i < c->nnodes; i++)
		len += (size_t)snprintf(s + len, cap - len, "node %d %s\n", c->nodes[i].num,
					c->nodes[i].addr);
	for (size_t i = 0; i < c->ntun; i++)
		len += (size_t)snprintf(s + len, cap - len, "set %s %g\n", c->tun[i].name,
					c->tun[i].value);
	return s;
}

/* Write c (the map, and c->key: draw it with cluster_new_key) into DIR. A self of 0 is left
 * out (DIR/node then holds it). The key goes first, so a map never comes without one. */
int cluster_write(const char *dir, const struct cluster *c, struct err *e)
{
	char hex[KEY_HEX + 1];
	int r = write_check(c, e);
	if (r == 0)
		r = mkdir_p(dir, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < CLUSTER_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->key[i]);
	hex[KEY_HEX] = '\n';
	r = file_replace(dir, KEY_FILE, hex, sizeof(hex), 0600, e);
	explicit_bzero(hex, sizeof(hex));
	if (r < 0)
		return r;
	_cleanup_free_ char *conf = conf_format(c);
	return file_replace(dir, CONF_FILE, conf, strlen(conf), 0644, e);
}

/* Fill key from the kernel's random pool. */
int cluster_new_key(uint8_t key[CLUSTER_KEY_LEN], struct err *e)
{
	size_t got = 0;
	while (got < CLUSTER_KEY_LEN) {
		ssize_t n = getrandom(key + got, CLUSTER_KEY_LEN - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, -errno, "getrandom");
		got += (size_t)n;
	}
	return 0;
}

/* Compare a node number with a node. */
static int node_num_cmp(const void *key, const void *elem)
{
	int num = *(const int *)key;
	const struct cluster_node *n = elem;
	return (num > n->num) - (num < n->num);
}

/* Find a node by number in the sorted map. */
const struct cluster_node *cluster_find(const struct cluster *c, int num)
{
	if (!c->nnodes)
		return NULL;
	return bsearch(&num, c->nodes, c->nnodes, sizeof(*c->nodes), node_num_cmp);
}

/* Free the map and wipe the key. */
void cluster_free(struct cluster *c)
{
	free(c->nodes);
	c->nodes = NULL;
	c->nnodes = 0;
	explicit_bzero(c->key, sizeof(c->key));
}
