/* Univariate feature screening (AUC, DeLong interval and test against 1/2,
 * Benjamini-Hochberg q-values, optional paired bootstrap) and the reader of
 * the HDF5 feature store it screens: see rdx/roc.h. On a CUDA device the
 * placements of a batch of features and the bootstrap run on the device. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "rdx/roc.h"

#include "kernels.h"

#include <hdf5.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- BH */

typedef struct {
    double p;
    size_t idx;
} p_item;

/* Ascending p, NaN last, ties by index: a deterministic order. */
static int p_item_cmp(const void *pa, const void *pb)
{
    const p_item *a = pa, *b = pb;
    int na = isnan(a->p), nb = isnan(b->p);
    if (na != nb)
        return na - nb;
    if (!na && a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

rdx_status rdx_bh_qvalues(const double *p, size_t n, double *q, rdx_error *err)
{
    p_item *items = malloc((n ? n : 1) * sizeof *items);
    if (!items)
        return rdx_error_set(err, RDX_E_NOMEM, "screen: cannot allocate %zu p-values", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].p = p[i];
        items[i].idx = i;
        m += isnan(p[i]) ? 0 : 1;
        q[i] = NAN;
    }
    qsort(items, n, sizeof *items, p_item_cmp);
    double running = 1.0;
    for (size_t r = m; r-- > 0;) {
        double v = (double)m * items[r].p / (double)(r + 1);
        running = fmin(running, v);
        q[items[r].idx] = running;
    }
    free(items);
    return RDX_OK;
}

/* ---------------------------------------------------------------- screening */

/* One feature's column (NaN cases skipped) and its row's defaults; *valid = 0
 * when a class has no case with a value. */
static rdx_status screen_column(const double *x, size_t n_cases, size_t n_features, size_t f,
                                const uint8_t *labels, rdx_roc_direction dir, double *buf,
                                rdx_roc_column *col, int *valid, rdx_screen_row *row,
                                rdx_error *err)
{
    for (size_t i = 0; i < n_cases; i++)
        buf[i] = x[i * n_features + f];
    *row = (rdx_screen_row){f, 0, 0, NAN, NAN, {NAN, NAN}, NAN, NAN, NAN, {NAN, NAN}};
    *valid = 0;
    rdx_error local;
    rdx_status st = rdx_roc_column_init(col, buf, labels, n_cases, dir, RDX_NAN_SKIP, &local);
    if (st == RDX_E_INVALID)
        return RDX_OK; /* labels were checked: a class without values */
    if (st != RDX_OK && err)
        *err = local;
    *valid = st == RDX_OK;
    return st;
}

/* Keep the first error of a parallel loop. */
static void keep_first(rdx_status st, const rdx_error *e, rdx_status *first, rdx_error *first_err)
{
    if (st == RDX_OK)
        return;
#pragma omp critical(rdx_screen_error)
    if (*first == RDX_OK) {
        *first = st;
        *first_err = *e;
    }
}

/* Columns of every feature, in parallel. */
static rdx_status screen_columns(const double *x, size_t n_cases, size_t n_features,
                                 const uint8_t *labels, rdx_roc_direction dir, rdx_roc_column *cols,
                                 int *valid, rdx_screen_row *rows, rdx_error *err)
{
    rdx_status first = RDX_OK;
    rdx_error first_err;
    rdx_error_clear(&first_err);
#pragma omp parallel
    {
        double *buf = malloc((n_cases ? n_cases : 1) * sizeof *buf);
#pragma omp for schedule(dynamic, 16)
        for (long f = 0; f < (long)n_features; f++) {
            rdx_error e;
            rdx_status st = buf ? screen_column(x, n_cases, n_features, (size_t)f, labels, dir, buf,
                                                &cols[f], &valid[f], &rows[f], &e)
                                : rdx_error_set(&e, RDX_E_NOMEM, "screen: out of memory");
            keep_first(st, &e, &first, &first_err);
        }
        free(buf);
    }
    if (first != RDX_OK && err)
        *err = first_err;
    return first;
}

/* The next at most cap valid features from *f on: shallow copies of their
 * columns (the batch does not own them) and their indices. */
static size_t next_batch(rdx_roc_column *cols, const int *valid, size_t n_features, size_t *f,
                         size_t cap, rdx_roc_column *batch, size_t *which)
{
    size_t k = 0;
    for (; *f < n_features && k < cap; (*f)++)
        if (valid[*f]) {
            batch[k] = cols[*f];
            which[k++] = *f;
        }
    return k;
}

/* AUC, DeLong variance, interval and test of one feature from its placements. */
static rdx_status screen_row(const rdx_roc_column *col, const uint64_t *place, double conf,
                             rdx_screen_row *row, rdx_error *err)
{
    rdx_delong d;
    rdx_status st = rdx_delong_from_placements(col, 1, place, RDX_DEVICE_CPU, &d, err);
    if (st != RDX_OK)
        return st;
    row->n_pos = col->n_pos;
    row->n_neg = col->n_neg;
    row->auc = d.auc[0];
    row->variance = d.cov[0];
    rdx_auc_ci_normal(row->auc, row->variance, conf, row->ci);
    double diff = row->auc - 0.5, se = sqrt(row->variance);
    row->z = diff == 0 ? 0.0 : diff / se;
    row->p = 2 * rdx_normal_cdf(-fabs(row->z));
    rdx_delong_free(&d);
    return RDX_OK;
}

/* Placements of a batch of k columns of n studies: on the device all at once. */
static rdx_status batch_placements(const rdx_roc_column *batch, size_t k, size_t n,
                                   rdx_device device, uint64_t *place, rdx_error *err)
{
    if (device == RDX_DEVICE_CUDA) {
        int code = rdx_cuda_roc_placements(batch, k, place);
        return code ? rdx_error_set(err, RDX_E_DEVICE, "screen: CUDA: %s",
                                    rdx_cuda_error_string(code))
                    : RDX_OK;
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (long j = 0; j < (long)k; j++)
        rdx_roc_placements(&batch[j], place + (size_t)j * n);
    return RDX_OK;
}

/* DeLong results of every valid feature, in batches whose placements stay
 * within 64 MiB. */
static rdx_status screen_rows(rdx_roc_column *cols, const int *valid, size_t n_cases,
                              size_t n_features, double conf, rdx_device device,
                              rdx_screen_row *rows, rdx_error *err)
{
    size_t n = n_cases ? n_cases : 1, cap = ((size_t)8 << 20) / n;
    cap = cap < 1 ? 1 : cap > n_features ? (n_features ? n_features : 1) : cap;
    rdx_roc_column *batch = malloc(cap * sizeof *batch);
    size_t *which = malloc(cap * sizeof *which);
    uint64_t *place = malloc(cap * n * sizeof *place);
    rdx_status first = RDX_OK;
    rdx_error first_err;
    rdx_error_clear(&first_err);
    if (!batch || !which || !place)
        first = rdx_error_set(&first_err, RDX_E_NOMEM, "screen: cannot allocate %zu placements", cap * n);
    size_t f = 0, k;
    while (first == RDX_OK && (k = next_batch(cols, valid, n_features, &f, cap, batch, which)) > 0) {
        first = batch_placements(batch, k, n_cases, device, place, &first_err);
        if (first != RDX_OK)
            break;
#pragma omp parallel for schedule(dynamic, 16)
        for (long j = 0; j < (long)k; j++) {
            rdx_error e;
            rdx_status st = screen_row(&batch[j], place + (size_t)j * n_cases, conf, &rows[which[j]], &e);
            keep_first(st, &e, &first, &first_err);
        }
    }
    free(batch);
    free(which);
    free(place);
    if (first != RDX_OK && err)
        *err = first_err;
    return first;
}

/* Percentile intervals from bootstrap replicates, features in batches so
 * that the replicate matrix stays bounded. */
static rdx_status screen_bootstrap(rdx_roc_column *cols, const int *valid, size_t n_features,
                                   const rdx_boot_design *boot, size_t n_boot, double conf,
                                   rdx_screen_row *rows, rdx_error *err)
{
    enum { BATCH = 256 };
    rdx_roc_column *batch = malloc(BATCH * sizeof *batch);
    size_t *which = malloc(BATCH * sizeof *which);
    double *reps = malloc(BATCH * n_boot * sizeof *reps);
    rdx_status st = RDX_OK;
    if (!batch || !which || !reps)
        st = rdx_error_set(err, RDX_E_NOMEM, "screen: cannot allocate %zu bootstrap replicates", n_boot);
    size_t f = 0, k;
    while (st == RDX_OK && (k = next_batch(cols, valid, n_features, &f, BATCH, batch, which)) > 0) {
        st = rdx_boot_auc(batch, k, boot, n_boot, reps, err);
        for (size_t j = 0; st == RDX_OK && j < k; j++) {
            rdx_boot_interval iv;
            st = rdx_boot_ci(reps + j * n_boot, n_boot, rows[which[j]].auc, NULL, 0, conf, &iv, err);
            rows[which[j]].boot_ci[0] = iv.percentile[0];
            rows[which[j]].boot_ci[1] = iv.percentile[1];
        }
    }
    free(batch);
    free(which);
    free(reps);
    return st;
}

static int row_cmp(const void *pa, const void *pb)
{
    const rdx_screen_row *a = pa, *b = pb;
    p_item x = {a->p, a->feature}, y = {b->p, b->feature};
    return p_item_cmp(&x, &y);
}

rdx_status rdx_screen(const double *x, size_t n_cases, size_t n_features, const uint8_t *labels,
                      rdx_roc_direction dir, double conf, const rdx_boot_design *boot,
                      size_t n_boot, rdx_screen_row *rows, rdx_error *err)
{
    return rdx_screen_on(x, n_cases, n_features, labels, dir, conf, boot, n_boot, RDX_DEVICE_CPU,
                         rows, err);
}

rdx_status rdx_screen_on(const double *x, size_t n_cases, size_t n_features, const uint8_t *labels,
                         rdx_roc_direction dir, double conf, const rdx_boot_design *boot,
                         size_t n_boot, rdx_device device, rdx_screen_row *rows, rdx_error *err)
{
    for (size_t i = 0; i < n_cases; i++)
        if (labels[i] > 1)
            return rdx_error_set(err, RDX_E_INVALID, "screen: case %zu has label %u (must be 0 or 1)",
                                 i, (unsigned)labels[i]);
    rdx_roc_column *cols = calloc(n_features ? n_features : 1, sizeof *cols);
    int *valid = calloc(n_features ? n_features : 1, sizeof *valid);
    double *p = calloc(n_features ? n_features : 1, sizeof *p);
    double *q = malloc((n_features ? n_features : 1) * sizeof *q);
    rdx_status st = RDX_OK;
    if (!cols || !valid || !p || !q)
        st = rdx_error_set(err, RDX_E_NOMEM, "screen: cannot allocate %zu features", n_features);
    if (st == RDX_OK)
        st = screen_columns(x, n_cases, n_features, labels, dir, cols, valid, rows, err);
    if (st == RDX_OK)
        st = screen_rows(cols, valid, n_cases, n_features, conf, device, rows, err);
    if (st == RDX_OK && boot) {
        rdx_boot_design on = *boot; /* shallow: the device of this call */
        on.device = device;
        st = screen_bootstrap(cols, valid, n_features, &on, n_boot, conf, rows, err);
    }
    if (st == RDX_OK) {
        for (size_t f = 0; f < n_features; f++)
            p[f] = rows[f].p;
        st = rdx_bh_qvalues(p, n_features, q, err);
    }
    if (st == RDX_OK) {
        for (size_t f = 0; f < n_features; f++)
            rows[f].q = q[f];
        qsort(rows, n_features, sizeof *rows, row_cmp);
    }
    for (size_t f = 0; cols && f < n_features; f++)
        rdx_roc_column_free(&cols[f]);
    free(cols);
    free(valid);
    free(p);
    free(q);
    return st;
}

/* ---------------------------------------------------------------- store reader */

void rdx_feature_matrix_free(rdx_feature_matrix *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->case_ids && i < t->n_cases; i++)
        free(t->case_ids[i]);
    for (size_t i = 0; t->tags && i < t->n_features; i++)
        free(t->tags[i]);
    free(t->case_ids);
    free(t->tags);
    free(t->x);
    memset(t, 0, sizeof *t);
}

/* The raw datasets of the store, as HDF5 gives them. */
typedef struct {
    hid_t file;
    size_t rows, cols;
    char **ids, **tags; /* HDF5-allocated strings */
    double *x;
    signed char *status;
} raw_store;

static rdx_status dims_of(hid_t file, const char *path, const char *name, int rank, hsize_t *dims,
                          hid_t *dset, rdx_error *err)
{
    *dset = H5Lexists(file, name, H5P_DEFAULT) > 0 ? H5Dopen2(file, name, H5P_DEFAULT) : -1;
    if (*dset < 0)
        return rdx_error_set(err, RDX_E_FORMAT, "%s: not an rdx feature store: no %s", path, name);
    hid_t space = H5Dget_space(*dset);
    int r = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (r == rank)
        H5Sget_simple_extent_dims(space, dims, NULL);
    if (space >= 0)
        H5Sclose(space);
    if (r != rank)
        return rdx_error_set(err, RDX_E_FORMAT, "%s: %s has rank %d, expected %d", path, name, r, rank);
    return RDX_OK;
}

/* Read a 1-D dataset of n variable-length strings into *out (HDF5-allocated). */
static rdx_status read_vlen_strings(hid_t file, const char *path, const char *name, size_t n,
                                    char ***out, rdx_error *err)
{
    hsize_t dims[1];
    hid_t dset;
    rdx_status st = dims_of(file, path, name, 1, dims, &dset, err);
    if (st == RDX_OK && dims[0] != n)
        st = rdx_error_set(err, RDX_E_FORMAT, "%s: %s has %llu entries, expected %zu", path, name,
                           (unsigned long long)dims[0], n);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    *out = calloc(n ? n : 1, sizeof **out);
    if (st == RDX_OK && !*out)
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate %zu strings", path, n);
    if (st == RDX_OK && n && H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        st = rdx_error_set(err, RDX_E_FORMAT, "%s: cannot read %s as strings", path, name);
    H5Tclose(type);
    if (dset >= 0)
        H5Dclose(dset);
    return st;
}

static rdx_status read_numeric(hid_t file, const char *path, const char *name, hid_t mem_type,
                               void *buf, rdx_error *err)
{
    hid_t dset = H5Dopen2(file, name, H5P_DEFAULT);
    herr_t rc = dset >= 0 ? H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
    if (dset >= 0)
        H5Dclose(dset);
    return rc < 0 ? rdx_error_set(err, RDX_E_FORMAT, "%s: cannot read %s", path, name) : RDX_OK;
}

static rdx_status read_raw(const char *path, raw_store *r, rdx_error *err)
{
    hsize_t fd[2] = {0, 0}, sd[1] = {0};
    hid_t dset;
    rdx_status st = dims_of(r->file, path, "/features", 2, fd, &dset, err);
    if (dset >= 0)
        H5Dclose(dset);
    if (st == RDX_OK)
        st = dims_of(r->file, path, "/status", 1, sd, &dset, err);
    if (dset >= 0)
        H5Dclose(dset);
    if (st != RDX_OK)
        return st;
    r->rows = (size_t)fd[0];
    r->cols = (size_t)fd[1];
    if (sd[0] != fd[0])
        return rdx_error_set(err, RDX_E_FORMAT, "%s: /status has %llu rows, /features %llu", path,
                             (unsigned long long)sd[0], (unsigned long long)fd[0]);
    r->x = malloc((r->rows && r->cols ? r->rows * r->cols : 1) * sizeof *r->x);
    r->status = malloc(r->rows ? r->rows : 1);
    if (!r->x || !r->status)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate %zu x %zu features", path,
                             r->rows, r->cols);
    if (r->rows && r->cols)
        st = read_numeric(r->file, path, "/features", H5T_NATIVE_DOUBLE, r->x, err);
    if (st == RDX_OK && r->rows)
        st = read_numeric(r->file, path, "/status", H5T_NATIVE_SCHAR, r->status, err);
    if (st == RDX_OK)
        st = read_vlen_strings(r->file, path, "/feature_tags", r->cols, &r->tags, err);
    if (st == RDX_OK)
        st = read_vlen_strings(r->file, path, "/case_ids", r->rows, &r->ids, err);
    return st;
}

static void raw_free(raw_store *r)
{
    for (size_t i = 0; r->ids && i < r->rows; i++)
        H5free_memory(r->ids[i]);
    for (size_t i = 0; r->tags && i < r->cols; i++)
        H5free_memory(r->tags[i]);
    free(r->ids);
    free(r->tags);
    free(r->x);
    free(r->status);
}

typedef struct {
    const char *id;
    size_t row;
} id_row;

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* By id, then latest row first. */
static int id_row_cmp(const void *pa, const void *pb)
{
    const id_row *a = pa, *b = pb;
    int c = strcmp(str_or_empty(a->id), str_or_empty(b->id));
    return c ? c : (a->row < b->row) - (a->row > b->row);
}

static int size_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

/* Rows to keep: the latest row of each case when it succeeded, in file order. */
static rdx_status latest_rows(const raw_store *r, size_t **keep, size_t *n_keep, size_t *n_failed,
                              const char *path, rdx_error *err)
{
    id_row *ir = malloc((r->rows ? r->rows : 1) * sizeof *ir);
    *keep = malloc((r->rows ? r->rows : 1) * sizeof **keep);
    if (!ir || !*keep) {
        free(ir);
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot index %zu cases", path, r->rows);
    }
    for (size_t i = 0; i < r->rows; i++)
        ir[i] = (id_row){r->ids[i], i};
    qsort(ir, r->rows, sizeof *ir, id_row_cmp);
    *n_keep = *n_failed = 0;
    for (size_t i = 0; i < r->rows; i++) {
        if (i > 0 && strcmp(str_or_empty(ir[i].id), str_or_empty(ir[i - 1].id)) == 0)
            continue; /* an earlier row of the same case */
        if (r->status[ir[i].row] == 0)
            (*keep)[(*n_keep)++] = ir[i].row;
        else
            (*n_failed)++;
    }
    qsort(*keep, *n_keep, sizeof **keep, size_cmp);
    free(ir);
    return RDX_OK;
}

static rdx_status copy_table(const raw_store *r, const size_t *keep, size_t n_keep,
                             rdx_feature_matrix *t, const char *path, rdx_error *err)
{
    t->n_cases = n_keep;
    t->n_features = r->cols;
    t->case_ids = calloc(n_keep ? n_keep : 1, sizeof *t->case_ids);
    t->tags = calloc(r->cols ? r->cols : 1, sizeof *t->tags);
    t->x = malloc((n_keep && r->cols ? n_keep * r->cols : 1) * sizeof *t->x);
    int ok = t->case_ids && t->tags && t->x;
    for (size_t i = 0; ok && i < n_keep; i++) {
        ok = (t->case_ids[i] = strdup(str_or_empty(r->ids[keep[i]]))) != NULL;
        memcpy(t->x + i * r->cols, r->x + keep[i] * r->cols, r->cols * sizeof *t->x);
    }
    for (size_t j = 0; ok && j < r->cols; j++)
        ok = (t->tags[j] = strdup(str_or_empty(r->tags[j]))) != NULL;
    return ok ? RDX_OK : rdx_error_set(err, RDX_E_NOMEM, "%s: cannot copy the feature table", path);
}

rdx_status rdx_feature_matrix_read(const char *path, rdx_feature_matrix *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    /* HDF5 prints its error stack by default; errors are reported here instead. */
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    raw_store r = {.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)};
    rdx_status st = r.file < 0 ? rdx_error_set(err, RDX_E_IO, "%s: cannot open as HDF5", path)
                               : read_raw(path, &r, err);
    size_t *keep = NULL, n_keep = 0;
    if (st == RDX_OK)
        st = latest_rows(&r, &keep, &n_keep, &out->n_failed, path, err);
    if (st == RDX_OK)
        st = copy_table(&r, keep, n_keep, out, path, err);
    free(keep);
    raw_free(&r);
    if (r.file >= 0)
        H5Fclose(r.file);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    if (st != RDX_OK) {
        size_t failed = out->n_failed;
        rdx_feature_matrix_free(out);
        out->n_failed = failed;
    }
    return st;
}
