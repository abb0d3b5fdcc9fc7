/* Case lists for extraction runs (host/manifest.h). */
#include "manifest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table_csv.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* dir/rel for relative paths, a copy otherwise. */
static char *resolve(const char *dir, size_t dir_len, const char *p)
{
    if (p[0] == '/' || dir_len == 0)
        return dup_str(p);
    size_t n = strlen(p);
    char *out = malloc(dir_len + n + 2);
    if (out) {
        memcpy(out, dir, dir_len);
        out[dir_len] = '/';
        memcpy(out + dir_len + 1, p, n + 1);
    }
    return out;
}

void rdx_manifest_free(rdx_manifest *m)
{
    for (size_t i = 0; m->items && i < m->n; i++) {
        free(m->items[i].case_id);
        free(m->items[i].image);
        free(m->items[i].mask);
    }
    free(m->items);
    m->items = NULL;
    m->n = 0;
}

static rdx_status add_case(rdx_manifest *m, const char *id, char *image, char *mask, int label, rdx_error *err)
{
    rdx_case_spec *c = &m->items[m->n];
    c->case_id = dup_str(id);
    c->image = image;
    c->mask = mask;
    c->label = label;
    m->n++;
    if (!c->case_id || !image || !mask)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory reading the case list");
    return RDX_OK;
}

rdx_status rdx_manifest_single(const char *case_id, const char *image, const char *mask, int label,
                               rdx_manifest *out, rdx_error *err)
{
    out->n = 0;
    out->items = calloc(1, sizeof *out->items);
    if (!out->items)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory");
    const char *slash = strrchr(image, '/');
    rdx_status st = add_case(out, case_id ? case_id : (slash ? slash + 1 : image), dup_str(image),
                             dup_str(mask), label, err);
    if (st)
        rdx_manifest_free(out);
    return st;
}

static rdx_status read_label(const rdx_csv *t, size_t row, size_t col, int dflt, int *label, rdx_error *err)
{
    double v;
    rdx_status st = rdx_csv_number(t, row, col, &v, err);
    if (st)
        return st;
    if (isnan(v))
        *label = dflt;
    else if (v != floor(v) || v < 0 || v > 2147483647.0)
        return rdx_error_set(err, RDX_E_FORMAT, "%s line %zu: label must be a non-negative integer, got '%s'",
                             t->path, t->line[row], rdx_csv_cell(t, row, col));
    else
        *label = (int)v;
    return RDX_OK;
}

rdx_status rdx_manifest_read(const char *path, int default_label, rdx_manifest *out, rdx_error *err)
{
    rdx_csv t;
    out->n = 0;
    out->items = NULL;
    rdx_status st = rdx_csv_read(path, &t, err);
    if (st)
        return st;
    size_t c_id, c_img, c_mask, c_label = 0;
    int has_label = rdx_csv_column(&t, "label", &c_label, NULL) == RDX_OK;
    if ((st = rdx_csv_column(&t, "case_id", &c_id, err)) || (st = rdx_csv_column(&t, "image", &c_img, err)) ||
        (st = rdx_csv_column(&t, "mask", &c_mask, err))) {
        rdx_csv_free(&t);
        return st;
    }
    if (t.n_rows == 0) {
        rdx_csv_free(&t);
        return rdx_error_set(err, RDX_E_FORMAT, "%s: the manifest lists no case", path);
    }
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    out->items = calloc(t.n_rows, sizeof *out->items);
    if (!out->items)
        st = rdx_error_set(err, RDX_E_NOMEM, "out of memory reading %s", path);
    for (size_t r = 0; !st && r < t.n_rows; r++) {
        const char *id = rdx_csv_cell(&t, r, c_id);
        int label = default_label;
        if (!*id || !*rdx_csv_cell(&t, r, c_img) || !*rdx_csv_cell(&t, r, c_mask))
            st = rdx_error_set(err, RDX_E_FORMAT, "%s line %zu: case_id, image and mask must not be empty",
                               path, t.line[r]);
        for (size_t q = 0; !st && q < r; q++)
            if (!strcmp(out->items[q].case_id, id))
                st = rdx_error_set(err, RDX_E_FORMAT, "%s line %zu: case id '%s' appears twice", path,
                                   t.line[r], id);
        if (!st && has_label)
            st = read_label(&t, r, c_label, default_label, &label, err);
        if (!st)
            st = add_case(out, id, resolve(path, dir_len, rdx_csv_cell(&t, r, c_img)),
                          resolve(path, dir_len, rdx_csv_cell(&t, r, c_mask)), label, err);
    }
    rdx_csv_free(&t);
    if (st)
        rdx_manifest_free(out);
    return st;
}
