/* mosrun: run a program under the MOSIX discipline (supervised, checkpointable,
 * later migratable), recover one from a checkpoint, or print an image. */
#include "engine/compress.h"
#include "engine/decode.h"
#include "remote/migrate.h"
#include "job/creds.h"
#include "job/supervise.h"
#include "appliance/cluster.h"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/version.h"
#include "appliance/xmem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define EXIT_CHECKPOINTED 75 /* ended by chkexit: recover it with -R */
#define EXIT_LOST 76	     /* its node or the link failed while it ran there */
#define EXIT_USAGE 2

static const char usage[] =
    "usage: mosrun [options] program [args...]\n"
    "       mosrun -R FILE [-O fd=file[,append|,rewind][,fd=file...]] [options]\n"
    "       mosrun -I FILE [--json]\n"
    "Run a program supervised by MOSIX: it can be checkpointed and (with guestd) migrated.\n"
    "Options come before the program (the first word that is not an option, or after --);\n"
    "a value follows its letter attached (-A5, -Cfile) or as the next word (-A 5).\n"
    "  -C FILE        checkpoints go to FILE.1, FILE.2, ... (default ./ckpt.<mosrun pid>)\n"
    "  -A MINUTES     take a checkpoint every MINUTES (decimals allowed)\n"
    "  -R FILE        recover a process from checkpoint FILE and carry on\n"
    "  -O fd=file     with -R: open file on fd instead of the original (repeat or\n"
    "                 comma-separate). It starts at the program's offset (a new file\n"
    "                 is extended with zero bytes up to it) unless the word after the\n"
    "                 entry says: 1=out.txt,append (writes go to the end; the file's\n"
    "                 content is kept) or 1=out.txt,rewind (from offset 0, the file\n"
    "                 truncated)\n"
    "  -I FILE        print what checkpoint/image FILE holds (--json for scripts)\n"
    "  -r NODE, -NODE start the program on node NODE (a number, or its address in the\n"
    "                 cluster map: -r 10.0.0.2 or -10.0.0.2); it migrates there at once\n"
    "  -b             start it on the best node (the balancer's choice)\n"
    "  -F             run it even when the node asked for is unavailable (at home)\n"
    "  -h             start the program on its home node, even with -NODE (the default)\n"
    "  -L             lock it: automatic balancing leaves it where it is\n"
    "  -l             let automatic balancing move it (the default)\n"
    "  -e             fail unsupported calls instead of bringing the process home\n"
    "  -v             say what happens (recovery, checkpoints, moves)\n"
    "  -q             quiet: only errors on stderr\n"
    "  --compress=M   page compression for checkpoints: lzo (default), lz4, zstd, none\n"
    "  --help         this text\n"
    "  --version      mosrun's version\n"
    "Exit status: the program's own (or mosrun dies of the program's signal); 126 or 127\n"
    "when the program cannot be run or is not found; 75 when the program was checkpointed\n"
    "and stopped (mosmigrate PID chkexit); 76 when it was lost with the node it ran on;\n"
    "2 for usage errors; 1 when the program could not be started or recovered.\n";

struct opts {
	struct job_opts job;
	struct fd_redirect redir[64];
	const char *decode;
	int json;
	int home; /* -h */
	int help, version;
};

/* One option of the table: its name as typed ("-A", "--compress"), whether
 * it takes a value, and what sets it: 0, or -EINVAL with why filled in. */
struct mopt {
	const char *name;
	int has_value;
	int (*set)(struct opts *o, char *value, char *why, size_t len);
};

/* One -O word: an fd=file entry, or append/rewind modifying the one before. */
static int redirect_word(struct opts *o, char *t, char *why, size_t len)
{
	static const char *const modes[] = {[REDIR_APPEND] = "append", [REDIR_REWIND] = "rewind"};
	char *eq = strchr(t, '=');
	long fd;
	for (size_t m = REDIR_APPEND; !eq && m < ARRAY_SIZE(modes); m++) {
		if (strcmp(t, modes[m]))
			continue;
		if (!o->job.nredir) {
			snprintf(why, len, "'%s' must follow an fd=file entry", t);
			return -EINVAL;
		}
		o->redir[o->job.nredir - 1].mode = (enum redir_mode)m;
		return 0;
	}
	if (!eq || eq[1] == '\0') {
		snprintf(why, len, "'%.100s' is neither fd=file nor append or rewind", t);
		return -EINVAL;
	}
	*eq = '\0';
	if (util_parse_long(t, 0, 1023, &fd)) {
		snprintf(why, len, "the fd must be a number from 0 to 1023, not '%.20s'", t);
		return -EINVAL;
	}
	if (o->job.nredir >= ARRAY_SIZE(o->redir)) {
		snprintf(why, len, "at most %zu redirections", ARRAY_SIZE(o->redir));
		return -EINVAL;
	}
	o->redir[o->job.nredir++] = (struct fd_redirect){(int)fd, eq + 1, REDIR_KEEP};
	return 0;
}

/* -O fd=file[,append|,rewind][,fd=file...] into o->redir. */
static int opt_redirect(struct opts *o, char *v, char *why, size_t len)
{
	char *save = NULL;
	if (!*v) {
		snprintf(why, len, "needs fd=file");
		return -EINVAL;
	}
	for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (redirect_word(o, t, why, len))
			return -EINVAL;
	return 0;
}

/* -A minutes (positive, decimals allowed). */
static int opt_minutes(struct opts *o, char *v, char *why, size_t len)
{
	char *end;
	double m = strtod(v, &end);
	if (!*v || *end || !(m > 0) || m > 525600) {
		snprintf(why, len, "minutes must be a positive number (up to a year), not '%.40s'",
			 v);
		return -EINVAL;
	}
	o->job.auto_minutes = m;
	return 0;
}

/* A node: its number, or its IPv4 address in the cluster map. */
static int parse_node(const char *s, int *node, char *why, size_t len)
{
	long n;
	if (strchr(s, '.')) {
		struct err e = {0, ""};
		int r = cluster_node_by_addr(CLUSTER_DEFAULT_DIR, s, &e);
		if (r < 0) {
			snprintf(why, len, "%s", e.msg);
			return -EINVAL;
		}
		*node = r;
		return 0;
	}
	if (util_parse_long(s, 1, CLUSTER_MAX_NODES, &n)) {
		snprintf(why, len,
			 "a node is a number from 1 to %d or an address in the cluster map, not "
			 "'%.40s'",
			 CLUSTER_MAX_NODES, s);
		return -EINVAL;
	}
	*node = (int)n;
	return 0;
}

static int opt_node(struct opts *o, char *v, char *why, size_t len)
{
	return parse_node(v, &o->job.start_node, why, len);
}

static int opt_compress(struct opts *o, char *v, char *why, size_t len)
{
	if ((o->job.comp = comp_parse(v)) >= 0)
		return 0;
	snprintf(why, len, "unknown method '%.40s' (lzo, lz4, zstd, none)", v);
	return -EINVAL;
}

/* The options that only set or store something. */
#define SETTER(fn, stmt)                                                                           \
	static int fn(struct opts *o, char *v, char *why, size_t len)                              \
	{                                                                                          \
		(void)v, (void)why, (void)len;                                                     \
		stmt;                                                                              \
		return 0;                                                                          \
	}
SETTER(opt_ckpt, o->job.ckpt_base = v)
SETTER(opt_recover, o->job.recover = v)
SETTER(opt_decode, o->decode = v)
SETTER(opt_verbose, (o->job.verbose = 1, log_set_level(LOG_LVL_INFO)))
SETTER(opt_quiet, (o->job.verbose = 0, log_set_level(LOG_LVL_ERROR)))
SETTER(opt_no_home, o->job.mig_flags |= MIG_F_NO_HOME)
SETTER(opt_home, o->home = 1)
SETTER(opt_best, o->job.best = 1)
SETTER(opt_force, o->job.force = 1)
SETTER(opt_lock, o->job.lock = 1)
SETTER(opt_unlock, o->job.lock = 0)
SETTER(opt_json, o->json = 1)
SETTER(opt_help, o->help = 1)
SETTER(opt_version, o->version = 1)

static const struct mopt mopts[] = {
    {"-C", 1, opt_ckpt},     {"-A", 1, opt_minutes},
    {"-R", 1, opt_recover},  {"-O", 1, opt_redirect},
    {"-I", 1, opt_decode},   {"-r", 1, opt_node},
    {"-b", 0, opt_best},     {"-F", 0, opt_force},
    {"-h", 0, opt_home},     {"-L", 0, opt_lock},
    {"-l", 0, opt_unlock},   {"-e", 0, opt_no_home},
    {"-v", 0, opt_verbose},  {"-q", 0, opt_quiet},
    {"--json", 0, opt_json}, {"--compress", 1, opt_compress},
    {"--help", 0, opt_help}, {"--version", 0, opt_version},
};

/* The table entry named name (its first n characters). */
static const struct mopt *mopt_find(const char *name, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(mopts); i++)
		if (strlen(mopts[i].name) == n && !strncmp(mopts[i].name, name, n))
			return &mopts[i];
	return NULL;
}

/* Say what is wrong with the command line (the option as typed first). */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mosrun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -EINVAL;
}

/* Apply option m (typed as as) with its value: attached (may be NULL), or
 * the next word argv[*i + 1]. */
static int apply(struct opts *o, const struct mopt *m, const char *as, char *attached, int argc,
		 char **argv, int *i)
{
	char why[512] = "";
	char *v = attached;
	if (!m->has_value && attached)
		return usage_error("%s takes no value", as);
	if (m->has_value && !v) {
		if (*i + 1 >= argc)
			return usage_error("%s needs a value", as);
		v = argv[++*i];
	}
	if (m->set(o, v, why, sizeof(why)))
		return usage_error("%s: %s", as, why);
	return 0;
}

/* One word of short options: -NODE or -IP, or letters, the last of which
 * may take the rest of the word (-A5) or the next word as its value. */
static int parse_short(struct opts *o, int argc, char **argv, int *i)
{
	char *w = argv[*i], why[512] = "";
	if (isdigit((unsigned char)w[1])) {
		if (parse_node(w + 1, &o->job.start_node, why, sizeof(why)))
			return usage_error("%s: %s", w, why);
		return 0;
	}
	for (char *c = w + 1; *c; c++) {
		const struct mopt *m = mopt_find((char[]){'-', *c, '\0'}, 2);
		char as[3] = {'-', *c, '\0'};
		if (!m)
			return usage_error("unknown option '%s'", as);
		if (m->has_value)
			return apply(o, m, as, c[1] ? c + 1 : NULL, argc, argv, i);
		if (apply(o, m, as, NULL, argc, argv, i))
			return -EINVAL;
	}
	return 0;
}

/* One --long[=value] option. */
static int parse_long_opt(struct opts *o, int argc, char **argv, int *i)
{
	char *w = argv[*i], *eq = strchr(w, '=');
	size_t n = eq ? (size_t)(eq - w) : strlen(w);
	const struct mopt *m = mopt_find(w, n);
	if (!m)
		return usage_error("unknown option '%.*s'", (int)(n > 60 ? 60 : n), w);
	char as[64];
	snprintf(as, sizeof(as), "%.*s", (int)n, w);
	return apply(o, m, as, eq ? eq + 1 : NULL, argc, argv, i);
}

/* Parse the options up to the program (or --); returns the index of the
 * program's word, or -EINVAL (said why). */
static int parse_options(struct opts *o, int argc, char **argv)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (!strcmp(w, "--"))
			return i + 1;
		if (w[0] != '-' || !w[1])
			break;
		if ((w[1] == '-' ? parse_long_opt(o, argc, argv, &i)
				 : parse_short(o, argc, argv, &i)))
			return -EINVAL;
		if (o->help || o->version)
			return i;
	}
	return i;
}

/* Parse the command line. 0, 1 for --help or --version, or -EINVAL. */
static int parse(struct opts *o, int argc, char **argv)
{
	o->job.comp = 1;  /* COMP_LZO */
	o->job.lock = -1; /* neither -L nor -l */
	int first = parse_options(o, argc, argv);
	if (first < 0)
		return -EINVAL;
	if (o->help || o->version)
		return 1;
	/* a node named (-NODE, -r, -h) locks it there unless -l says otherwise,
	 * as in MOSIX: the user's choice is not undone by the balancer */
	if (o->home) /* MOSIX's -h: it starts and stays at home, whatever was named */
		o->job.start_node = o->job.best = 0;
	if (o->job.lock < 0)
		o->job.lock = !o->job.best && (o->job.start_node > 0 || o->home);
	o->job.argv = first < argc ? argv + first : NULL;
	o->job.redir = o->redir;
	int modes = !!o->job.recover + !!o->decode + !!o->job.argv;
	if (modes != 1)
		return usage_error(modes ? "give only one of: a program, -R FILE, -I FILE"
					 : "give a program to run, -R FILE or -I FILE");
	if (o->job.nredir && !o->job.recover)
		return usage_error("-O only applies with -R");
	return 0;
}

/* Print an image. */
static int run_decode(const struct opts *o)
{
	struct err e = {0, ""};
	int fd = open(o->decode, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mosrun: %s: %s\n", o->decode, strerror(errno));
		return 1;
	}
	int rc = decode_image(fd, stdout, o->json, &e);
	close(fd);
	if (rc)
		fprintf(stderr, "mosrun: %s: %s\n", o->decode, e.msg);
	return rc ? 1 : 0;
}

/* End the way the program ended: same exit code, or death by the same signal. */
static int finish(enum job_end end, int status)
{
	if (end == JOB_CHECKPOINTED)
		return EXIT_CHECKPOINTED;
	if (end == JOB_LOST)
		return EXIT_LOST;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	int sig = WTERMSIG(status);
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core);
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 128 + sig;
}

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer's hook: a setgid mosrun cannot be traced, not even by
 * LeakSanitizer's own helper, so its leak check is off there (make ASAN=1). */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return getegid() != getgid();
}
#endif

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	creds_init();
	int rc = parse(&o, argc, argv);
	if (rc < 0) {
		fputs("Try 'mosrun --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (rc > 0) {
		if (o.version)
			printf(MOSIX_VERSION_FMT, "mosrun");
		else
			fputs(usage, stdout);
		return 0;
	}
	if (o.decode)
		return run_decode(&o);
	struct err e = {0, ""};
	enum job_end end;
	int status = 0;
	if (job_run(&o.job, &end, &status, &e)) {
		fprintf(stderr, "mosrun: %s\n", e.msg);
		return 1;
	}
	return finish(end, status);
}
