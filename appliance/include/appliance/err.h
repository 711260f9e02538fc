/* err.h: one error object passed up the call chain. */
#ifndef APPLIANCE_ERR_H
#define APPLIANCE_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

/* An error: a negative errno-style code and a human message with context. */
struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Record an error (code < 0) with a message; appends strerror(-code). Returns code. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record an error without appending strerror. Returns code. */
int err_setx(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepend context ("restore pid 4: ") to an error already set. Returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clear an error. */
void err_clear(struct err *e);

#endif
