/* jsonw.h: a small streaming JSON writer for --json output. */
#ifndef HOSTCTL_JSONW_H
#define HOSTCTL_JSONW_H

#include <stdio.h>

struct jsonw {
	FILE *f;
	int depth;
	int first[16]; /* per depth: no member written yet */
};

void jsonw_init(struct jsonw *j, FILE *f);
/* Open an object/array, as a member named key (NULL inside arrays or at top). */
void jsonw_obj_open(struct jsonw *j, const char *key);
void jsonw_obj_close(struct jsonw *j);
void jsonw_arr_open(struct jsonw *j, const char *key);
void jsonw_arr_close(struct jsonw *j);
void jsonw_str(struct jsonw *j, const char *key, const char *val);
void jsonw_int(struct jsonw *j, const char *key, long long val);
void jsonw_bool(struct jsonw *j, const char *key, int val);
void jsonw_double(struct jsonw *j, const char *key, double val);

#endif
