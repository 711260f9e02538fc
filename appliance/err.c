/* err.c: error objects with context. */
#include "appliance/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Format into e->msg, optionally adding strerror. */
__attribute__((format(printf, 4, 0))) static int err_vset(struct err *e, int code, int with_errno,
							  const char *fmt, va_list ap)
{
	if (code >= 0)
		code = -1;
	if (!e)
		return code;
	e->code = code;
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(e->msg) && -code < 4096)
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(-code));
	return code;
}

/* Record an error with strerror appended. */
int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = err_vset(e, code, 1, fmt, ap);
	va_end(ap);
	return r;
}

/* Record an error without strerror. */
int err_setx(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = err_vset(e, code, 0, fmt, ap);
	va_end(ap);
	return r;
}

/* Prepend context to an existing message. */
int err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char old[ERR_MSG_MAX];
	memcpy(old, e->msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg) - 1) {
		size_t room = sizeof(e->msg) - (size_t)n - 1;
		size_t len = strnlen(old, room);
		memcpy(e->msg + n, old, len);
		e->msg[(size_t)n + len] = '\0';
	}
	return e->code;
}

/* Clear an error. */
void err_clear(struct err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}
