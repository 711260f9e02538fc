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
#include "appliance/xmem.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
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
    "       mosrun -R FILE [-O fd=file[,fd=file]...] [options]\n"
    "       mosrun -I FILE [--json]\n"
    "Run a program supervised by MOSIX: it can be checkpointed and (with guestd) migrated.\n"
    "  -C FILE        checkpoints go to FILE.1, FILE.2, ... (default ./ckpt.<mosrun pid>)\n"
    "  -A MINUTES     take a checkpoint every MINUTES (decimals allowed)\n"
    "  -R FILE        recover a process from checkpoint FILE and carry on\n"
    "  -O fd=file     with -R: open file on fd instead of the original (repeat or comma-separate)\n"
    "  -I FILE        print what checkpoint/image FILE holds (--json for scripts)\n"
    "  -r NODE, -NODE start the program on node NODE (a number, or its address in the\n"
    "                 cluster map: -r 10.0.0.2 or -10.0.0.2); it migrates there at once\n"
    "  -h             start the program on its home node, even with -NODE (the default)\n"
    "  -L             lock it: automatic balancing leaves it where it is\n"
    "  -l             let automatic balancing move it (the default)\n"
    "  -e             fail unsupported calls instead of bringing the process home\n"
    "  -v             say what happens (recovery, checkpoints)\n"
    "  --compress=M   page compression for checkpoints: lzo (default), lz4, zstd, none\n"
    "  --help         this text\n"
    "Exit status: the program's own (or mosrun dies of the program's signal); 75 when the\n"
    "program was checkpointed and stopped (mosmigrate PID chkexit); 2 for usage errors,\n"
    "1 when the program could not be started or recovered.\n";

struct opts {
	struct job_opts job;
	struct fd_redirect redir[64];
	const char *decode;
	int json;
	int home; /* -h */
};

/* Parse "fd=file[,fd=file]..." into o->redir. */
static int parse_redirects(struct opts *o, char *arg)
{
	char *save = NULL;
	for (char *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		long fd;
		if (!eq || eq[1] == '\0' || o->job.nredir >= ARRAY_SIZE(o->redir))
			return -EINVAL;
		*eq = '\0';
		if (util_parse_long(t, 0, 1023, &fd))
			return -EINVAL;
		o->redir[o->job.nredir++] = (struct fd_redirect){(int)fd, eq + 1};
	}
	return 0;
}

/* Parse -A minutes (positive, decimals allowed). */
static int parse_minutes(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v > 0) || v > 525600)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A node: its number, or its IPv4 address in the cluster map. 0 or -EINVAL. */
static int parse_node(const char *s, int *node)
{
	long n;
	if (strchr(s, '.')) {
		struct err e = {0, ""};
		int r = cluster_node_by_addr(CLUSTER_DEFAULT_DIR, s, &e);
		if (r < 0) {
			fprintf(stderr, "mosrun: %s\n", e.msg);
			return -EINVAL;
		}
		*node = r;
		return 0;
	}
	if (util_parse_long(s, 1, CLUSTER_MAX_NODES, &n))
		return -EINVAL;
	*node = (int)n;
	return 0;
}

/* One option. 0, or -EINVAL with a message printed. */
static int parse_one(struct opts *o, int c, char *arg)
{
	int rc = 0;
	switch (c) {
	case 'C':
		o->job.ckpt_base = arg;
		break;
	case 'R':
		o->job.recover = arg;
		break;
	case 'I':
		o->decode = arg;
		break;
	case 'A':
		rc = parse_minutes(arg, &o->job.auto_minutes);
		break;
	case 'O':
		rc = parse_redirects(o, arg);
		break;
	case 'v':
		o->job.verbose = 1;
		log_set_level(LOG_LVL_INFO);
		break;
	case 'r':
		rc = parse_node(arg, &o->job.start_node);
		break;
	case 'e':
		o->job.mig_flags |= MIG_F_NO_HOME;
		break;
	case 'h':
		o->home = 1;
		break;
	case 'L':
		o->job.lock = 1;
		break;
	case 'l':
		o->job.lock = 0;
		break;
	case 'N': /* where a -NODE was */
		break;
	case 'j':
		o->json = 1;
		break;
	case 'z':
		rc = (o->job.comp = comp_parse(arg)) < 0 ? -EINVAL : 0;
		break;
	default:
		rc = -EINVAL;
		arg = NULL;
		break;
	}
	if (rc && arg)
		fprintf(stderr, "mosrun: invalid argument '%s' for -%c\n", arg, c);
	return rc;
}

/* MOSIX's -NODENUMBER (e.g. -2) and -IP (e.g. -10.0.0.2): turn them into a
 * start node before getopt sees them. 0, or -EINVAL (said why). */
static int pre_node_numbers(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!isdigit((unsigned char)argv[i][1]))
			continue;
		if (parse_node(argv[i] + 1, &o->job.start_node)) {
			fprintf(stderr, "mosrun: invalid node '%s'\n", argv[i]);
			return -EINVAL;
		}
		argv[i] = (char *)"-N"; /* a no-op option in its place */
	}
	return 0;
}

/* Parse the command line. 0, 1 for --help, or -EINVAL. */
static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {{"help", no_argument, NULL, 'H'},
					   {"json", no_argument, NULL, 'j'},
					   {"compress", required_argument, NULL, 'z'},
					   {NULL, 0, NULL, 0}};
	int c;
	o->job.comp = 1; /* COMP_LZO */
	if (pre_node_numbers(o, argc, argv))
		return -EINVAL;
	while ((c = getopt_long(argc, argv, "+C:A:R:O:I:r:hLlevN", lo, NULL)) != -1) {
		if (c == 'H')
			return 1;
		if (parse_one(o, c, optarg))
			return -EINVAL;
	}
	if (o->home) /* MOSIX's -h: it starts and stays at home, whatever node was named */
		o->job.start_node = 0;
	o->job.argv = optind < argc ? argv + optind : NULL;
	o->job.redir = o->redir;
	int modes = !!o->job.recover + !!o->decode + !!o->job.argv;
	if (modes != 1) {
		fprintf(stderr, "mosrun: give exactly one of: a program, -R FILE, -I FILE\n");
		return -EINVAL;
	}
	if (o->job.nredir && !o->job.recover) {
		fprintf(stderr, "mosrun: -O only applies with -R\n");
		return -EINVAL;
	}
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
	if (rc) {
		fputs(rc > 0 ? usage : "Try 'mosrun --help'.\n", rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : EXIT_USAGE;
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
