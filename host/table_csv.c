/* CSV reader: see table_csv.h. */
#define _POSIX_C_SOURCE 200809L /* strdup, strcasecmp */
#include "table_csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Growable array of size_t. */
typedef struct {
    size_t *v;
    size_t n, cap;
} size_vec;

static int size_vec_push(size_vec *a, size_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        size_t *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return 0;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 1;
}

static rdx_status read_file(const char *path, char **text, size_t *len, rdx_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rdx_error_set(err, RDX_E_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, 2 * cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: file too large to read", path);
    if (bad) {
        free(buf);
        return rdx_error_set(err, RDX_E_IO, "%s: read error", path);
    }
    *text = buf;
    *len = n;
    return RDX_OK;
}

/* Parser state: input s[len] at pos, output fields appended to out at w. */
typedef struct {
    const char *path;
    const char *s;
    size_t len, pos, line;
    char *out;
    size_t w;
    size_vec field_off;  /* offset in out of every field */
    size_vec rec_fields; /* fields per record */
    size_vec rec_line;   /* first line of every record */
} parser;

static int at_line_end(const parser *p)
{
    return p->pos >= p->len || p->s[p->pos] == '\n' ||
           (p->s[p->pos] == '\r' && (p->pos + 1 >= p->len || p->s[p->pos + 1] == '\n'));
}

static void skip_line_end(parser *p)
{
    if (p->pos < p->len && p->s[p->pos] == '\r')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '\n') {
        p->pos++;
        p->line++;
    }
}

static rdx_status quoted_field(parser *p, rdx_error *err)
{
    size_t start_line = p->line;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return rdx_error_set(err, RDX_E_FORMAT, "%s line %zu: unterminated quoted field",
                                 p->path, start_line);
        char c = p->s[p->pos];
        if (c == '"') {
            if (p->pos + 1 < p->len && p->s[p->pos + 1] == '"') {
                p->out[p->w++] = '"';
                p->pos += 2;
                continue;
            }
            p->pos++;
            break;
        }
        if (c == '\n')
            p->line++;
        p->out[p->w++] = c;
        p->pos++;
    }
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
    if (!at_line_end(p) && p->s[p->pos] != ',')
        return rdx_error_set(err, RDX_E_FORMAT, "%s line %zu: text after a closing quote", p->path,
                             p->line);
    return RDX_OK;
}

static void plain_field(parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
    size_t start = p->w;
    while (!at_line_end(p) && p->s[p->pos] != ',')
        p->out[p->w++] = p->s[p->pos++];
    while (p->w > start && (p->out[p->w - 1] == ' ' || p->out[p->w - 1] == '\t'))
        p->w--;
}

static rdx_status record(parser *p, rdx_error *err)
{
    size_t n_fields = 0;
    if (!size_vec_push(&p->rec_line, p->line))
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", p->path);
    for (;;) {
        if (!size_vec_push(&p->field_off, p->w))
            return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", p->path);
        size_t q = p->pos;
        while (q < p->len && (p->s[q] == ' ' || p->s[q] == '\t'))
            q++;
        if (q < p->len && p->s[q] == '"') {
            p->pos = q;
            rdx_status st = quoted_field(p, err);
            if (st != RDX_OK)
                return st;
        } else {
            plain_field(p);
        }
        p->out[p->w++] = '\0';
        n_fields++;
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        skip_line_end(p);
        break;
    }
    return size_vec_push(&p->rec_fields, n_fields)
               ? RDX_OK
               : rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", p->path);
}

static rdx_status parse(parser *p, rdx_error *err)
{
    if (p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
        p->pos = 3;
    while (p->pos < p->len) {
        if (at_line_end(p)) { /* blank line */
            skip_line_end(p);
            continue;
        }
        rdx_status st = record(p, err);
        if (st != RDX_OK)
            return st;
    }
    return RDX_OK;
}

/* Turn the parsed records into the table, checking every row's width. */
static rdx_status build(parser *p, rdx_csv *t, rdx_error *err)
{
    if (p->rec_fields.n == 0)
        return rdx_error_set(err, RDX_E_FORMAT, "%s: empty file (no header line)", p->path);
    t->n_cols = p->rec_fields.v[0];
    t->n_rows = p->rec_fields.n - 1;
    t->header_line = p->rec_line.v[0];
    for (size_t r = 1; r < p->rec_fields.n; r++)
        if (p->rec_fields.v[r] != t->n_cols)
            return rdx_error_set(err, RDX_E_FORMAT, "%s line %zu: %zu fields, the header has %zu",
                                 p->path, p->rec_line.v[r], p->rec_fields.v[r], t->n_cols);
    t->header = malloc(t->n_cols * sizeof *t->header);
    t->cells = malloc((t->n_rows * t->n_cols + 1) * sizeof *t->cells);
    t->line = malloc((t->n_rows + 1) * sizeof *t->line);
    if (!t->header || !t->cells || !t->line)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", p->path);
    for (size_t c = 0; c < t->n_cols; c++)
        t->header[c] = p->out + p->field_off.v[c];
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        t->cells[i] = p->out + p->field_off.v[t->n_cols + i];
    for (size_t r = 0; r < t->n_rows; r++)
        t->line[r] = p->rec_line.v[r + 1];
    return RDX_OK;
}

void rdx_csv_free(rdx_csv *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->header);
    free(t->cells);
    free(t->line);
    free(t->text);
    memset(t, 0, sizeof *t);
}

rdx_status rdx_csv_read(const char *path, rdx_csv *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    char *src = NULL;
    size_t len = 0;
    rdx_status st = read_file(path, &src, &len, err);
    if (st != RDX_OK)
        return st;
    parser p = {.path = path, .s = src, .len = len, .line = 1};
    /* Fields never grow when unescaped; one terminator per field at most
     * doubles the size of a file of empty fields. */
    p.out = malloc(2 * len + 2);
    out->path = strdup(path);
    if (!p.out || !out->path)
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", path);
    if (st == RDX_OK)
        st = parse(&p, err);
    if (st == RDX_OK)
        st = build(&p, out, err);
    out->text = p.out;
    free(src);
    free(p.field_off.v);
    free(p.rec_fields.v);
    free(p.rec_line.v);
    if (st != RDX_OK)
        rdx_csv_free(out);
    return st;
}

rdx_status rdx_csv_column(const rdx_csv *t, const char *name, size_t *col, rdx_error *err)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->header[c], name) == 0) {
            *col = c;
            return RDX_OK;
        }
    char list[512] = "";
    size_t used = 0;
    for (size_t c = 0; c < t->n_cols && used < sizeof list; c++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", c ? ", " : "", t->header[c]);
    return rdx_error_set(err, RDX_E_FORMAT, "%s: no column '%s' (columns: %s)", t->path, name, list);
}

rdx_status rdx_csv_number(const rdx_csv *t, size_t row, size_t col, double *out, rdx_error *err)
{
    const char *s = rdx_csv_cell(t, row, col);
    if (s[0] == '\0' || strcasecmp(s, "NA") == 0 || strcasecmp(s, "NaN") == 0) {
        *out = NAN;
        return RDX_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* strtod also accepts hexadecimal and "inf"; only plain decimals are data. */
    int decimal = isdigit((unsigned char)s[0]) || s[0] == '.' ||
                  ((s[0] == '-' || s[0] == '+') && (isdigit((unsigned char)s[1]) || s[1] == '.'));
    if (end == s || *end != '\0' || !decimal || strpbrk(s, "xX") || (errno == ERANGE && isinf(v)))
        return rdx_error_set(err, RDX_E_FORMAT, "%s line %zu, column '%s': '%s' is not a number",
                             t->path, t->line[row], t->header[col], s);
    *out = v;
    return RDX_OK;
}
