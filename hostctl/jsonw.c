/* jsonw.c: streaming JSON writer (one line, valid output by construction). */
#include "jsonw.h"

#include <string.h>

/* Start the writer on a stream. */
void jsonw_init(struct jsonw *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = 1;
}

/* Write s as a JSON string literal. */
static void jsonw_quote(struct jsonw *j, const char *s)
{
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

/* Emit the separator and the key of the next member. */
static void jsonw_key(struct jsonw *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (key) {
		jsonw_quote(j, key);
		fputc(':', j->f);
	}
}

/* Open a container. */
static void jsonw_open(struct jsonw *j, const char *key, char c)
{
	jsonw_key(j, key);
	fputc(c, j->f);
	if (j->depth < 15)
		j->depth++;
	j->first[j->depth] = 1;
}

/* Close a container; a newline after the outermost one. */
static void jsonw_close(struct jsonw *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void jsonw_obj_open(struct jsonw *j, const char *key)
{
	jsonw_open(j, key, '{');
}
void jsonw_obj_close(struct jsonw *j)
{
	jsonw_close(j, '}');
}
void jsonw_arr_open(struct jsonw *j, const char *key)
{
	jsonw_open(j, key, '[');
}
void jsonw_arr_close(struct jsonw *j)
{
	jsonw_close(j, ']');
}

/* A string member. */
void jsonw_str(struct jsonw *j, const char *key, const char *val)
{
	jsonw_key(j, key);
	if (val)
		jsonw_quote(j, val);
	else
		fputs("null", j->f);
}

/* An integer member. */
void jsonw_int(struct jsonw *j, const char *key, long long val)
{
	jsonw_key(j, key);
	fprintf(j->f, "%lld", val);
}

/* A boolean member. */
void jsonw_bool(struct jsonw *j, const char *key, int val)
{
	jsonw_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

/* A number member. */
void jsonw_double(struct jsonw *j, const char *key, double val)
{
	jsonw_key(j, key);
	fprintf(j->f, "%.3f", val);
}
