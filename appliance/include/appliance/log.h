/* log.h: levelled logging with a per-file prefix. */
#ifndef APPLIANCE_LOG_H
#define APPLIANCE_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set the threshold; messages above it are dropped. */
void log_set_level(enum log_level lvl);
/* Current threshold. */
enum log_level log_get_level(void);
/* Send messages to syslog (1) or stderr (0), with program name ident. */
void log_use_syslog(int on, const char *ident);
/* Emit one message. Use the log_* macros instead. */
void log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifndef LOG_PREFIX
#define LOG_PREFIX "mosix"
#endif
#define log_error(...) log_msg(LOG_LVL_ERROR, LOG_PREFIX, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, LOG_PREFIX, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, LOG_PREFIX, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, LOG_PREFIX, __VA_ARGS__)

#endif
