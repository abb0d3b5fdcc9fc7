/* A small streaming JSON emitter: objects and arrays nest up to
 * RDX_JSON_MAX_DEPTH levels; numbers are written with the fewest digits that
 * read back to the same double (up to 17), non-finite numbers as null; strings
 * are escaped. Pass key = NULL inside arrays and for the top-level value.
 * Containers opened with inline = 1 print on one line. The writer does not
 * own the FILE. */
#ifndef RDX_HOST_JSON_WRITER_H
#define RDX_HOST_JSON_WRITER_H

#include <stdint.h>
#include <stdio.h>

#define RDX_JSON_MAX_DEPTH 32

typedef struct {
    FILE *f;
    int depth;
    int count[RDX_JSON_MAX_DEPTH];  /* values written so far in each open container */
    int inline_[RDX_JSON_MAX_DEPTH]; /* container printed on one line */
    int overflow;                   /* nesting went past RDX_JSON_MAX_DEPTH */
} rdx_json;

void rdx_json_init(rdx_json *j, FILE *f);

void rdx_json_object_open(rdx_json *j, const char *key, int inline_);
void rdx_json_object_close(rdx_json *j);
void rdx_json_array_open(rdx_json *j, const char *key, int inline_);
void rdx_json_array_close(rdx_json *j);

void rdx_json_number(rdx_json *j, const char *key, double v);
void rdx_json_uint(rdx_json *j, const char *key, uint64_t v);
void rdx_json_string(rdx_json *j, const char *key, const char *s); /* NULL s writes null */
void rdx_json_bool(rdx_json *j, const char *key, int v);
void rdx_json_null(rdx_json *j, const char *key);

/* [v0, v1] on one line (intervals). */
void rdx_json_pair(rdx_json *j, const char *key, const double v[2]);

/* Write the final newline and flush; 0 when everything was written and every
 * container closed, -1 otherwise. */
int rdx_json_finish(rdx_json *j);

#endif
