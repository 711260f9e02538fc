/* log.c: levelled logging to stderr or syslog. */
#include "appliance/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static enum log_level threshold = LOG_LVL_WARN;
static int to_syslog;
static int env_read;

/* Pick up MOSIX_LOG=debug|info|warn|error once. */
static void log_read_env(void)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	env_read = 1;
	const char *v = getenv("MOSIX_LOG");
	for (int i = 0; v && i < 4; i++)
		if (!strcmp(v, names[i]))
			threshold = (enum log_level)i;
}

/* Set the threshold. */
void log_set_level(enum log_level lvl)
{
	env_read = 1;
	threshold = lvl;
}

/* Return the threshold. */
enum log_level log_get_level(void)
{
	if (!env_read)
		log_read_env();
	return threshold;
}

/* Switch between syslog and stderr. */
void log_use_syslog(int on, const char *ident)
{
	to_syslog = on;
	if (on)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

/* Emit one message at a level. */
void log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
{
	static const char *tags[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	if (lvl > log_get_level())
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (to_syslog)
		syslog(prio[lvl], "%s: %s", prefix, buf);
	else
		fprintf(stderr, "%s: %s: %s\n", prefix, tags[lvl], buf);
}
