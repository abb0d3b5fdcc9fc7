/* JSON emitter: see json_writer.h. */
#include "json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

void rdx_json_init(rdx_json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->count[0] = 0;
    j->inline_[0] = 0;
    j->overflow = 0;
}

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Separator, indentation and key before a value in the current container. */
static void begin_value(rdx_json *j, const char *key)
{
    int d = j->depth;
    if (d > 0) {
        if (j->count[d]++)
            fputc(',', j->f);
        if (j->inline_[d]) {
            if (j->count[d] > 1)
                fputc(' ', j->f);
        } else {
            fprintf(j->f, "\n%*s", 2 * d, "");
        }
    }
    if (key) {
        write_string(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_container(rdx_json *j, const char *key, int inline_, char c)
{
    begin_value(j, key);
    fputc(c, j->f);
    /* An inline container keeps its children inline too. */
    int parent_inline = j->depth > 0 && j->inline_[j->depth];
    if (j->depth + 1 >= RDX_JSON_MAX_DEPTH) {
        j->overflow = 1;
        return;
    }
    j->depth++;
    j->count[j->depth] = 0;
    j->inline_[j->depth] = inline_ || parent_inline;
}

static void close_container(rdx_json *j, char c)
{
    if (j->depth == 0) {
        j->overflow = 1;
        return;
    }
    int d = j->depth;
    if (!j->inline_[d] && j->count[d] > 0)
        fprintf(j->f, "\n%*s", 2 * (d - 1), "");
    fputc(c, j->f);
    j->depth--;
}

void rdx_json_object_open(rdx_json *j, const char *key, int inline_)
{
    open_container(j, key, inline_, '{');
}

void rdx_json_object_close(rdx_json *j)
{
    close_container(j, '}');
}

void rdx_json_array_open(rdx_json *j, const char *key, int inline_)
{
    open_container(j, key, inline_, '[');
}

void rdx_json_array_close(rdx_json *j)
{
    close_container(j, ']');
}

void rdx_json_number(rdx_json *j, const char *key, double v)
{
    begin_value(j, key);
    if (!isfinite(v)) {
        fputs("null", j->f);
        return;
    }
    /* Shortest of %.15g, %.16g, %.17g that reads back exactly. */
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, j->f);
}

void rdx_json_uint(rdx_json *j, const char *key, uint64_t v)
{
    begin_value(j, key);
    fprintf(j->f, "%" PRIu64, v);
}

void rdx_json_string(rdx_json *j, const char *key, const char *s)
{
    begin_value(j, key);
    if (s)
        write_string(j->f, s);
    else
        fputs("null", j->f);
}

void rdx_json_bool(rdx_json *j, const char *key, int v)
{
    begin_value(j, key);
    fputs(v ? "true" : "false", j->f);
}

void rdx_json_null(rdx_json *j, const char *key)
{
    begin_value(j, key);
    fputs("null", j->f);
}

void rdx_json_pair(rdx_json *j, const char *key, const double v[2])
{
    rdx_json_array_open(j, key, 1);
    rdx_json_number(j, NULL, v[0]);
    rdx_json_number(j, NULL, v[1]);
    rdx_json_array_close(j);
}

int rdx_json_finish(rdx_json *j)
{
    fputc('\n', j->f);
    int bad = fflush(j->f) != 0 || ferror(j->f) || j->depth != 0 || j->overflow;
    return bad ? -1 : 0;
}
