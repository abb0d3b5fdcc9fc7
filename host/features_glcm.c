/* Grey level co-occurrence matrix features (IBSI reference manual 3.6), and
 * the machinery the GLCM and GLRLM families share (glcm_glrlm.h).
 *
 * Matrices are sparse integer counts over the grey levels present in the ROI
 * (compact indices). One code is made per voxel pair or run; with few grey
 * levels the codes are counted in dense counters, otherwise they are
 * radix-sorted, so memory stays proportional to the ROI whatever the number
 * of grey levels. Features are computed from the sorted entries in one fixed order,
 * so they depend only on the counts: any backend that produces the same
 * counts gets bit-identical features.
 *
 * Work split (rdx_tex_cases): one matrix per direction over the whole
 * box (3D averaged; the 4 in-plane ones are the 2.5D direction-merged
 * matrices, since in-plane pairs never cross slices), in parallel over
 * directions; one matrix per slice and in-plane direction plus their
 * per-slice sum (2D averaged, 2D slice-merged), in parallel over slices; the
 * merged matrices are sums of the direction matrices in direction order.
 * Each parallel task writes only its own matrix and feature row, and means
 * are taken in a fixed order afterwards: results do not depend on the
 * number of threads.
 *
 * CUDA backend (in->device == RDX_DEVICE_CUDA): the family's kernel counts
 * the same matrices densely (counters indexed by code) in a few calls, the
 * non-zero counters in code order are the sparse matrices, and the driver
 * above takes them instead of building its own: features come from the same
 * integers through the same code.
 *
 * The GLCM is symmetric: a pair of ROI voxels at distance d (the 13 or 4
 * direction vectors scaled by d) adds one to (i, j) and one to (j, i). It is
 * stored as its upper triangle: entry (a <= b) with count c stands for
 * c at (i, j) and c at (j, i), or 2c at (i, i). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "directions.h"
#include "glcm_glrlm.h"

/* ---- sparse count matrices ---- */

void rdx_counts_free(rdx_counts *m)
{
    free(m->code);
    free(m->count);
    m->code = NULL;
    m->count = NULL;
    m->n = 0;
}

static rdx_status counts_alloc(rdx_counts *m, size_t n)
{
    m->n = n;
    m->code = malloc((n ? n : 1) * sizeof *m->code);
    m->count = malloc((n ? n : 1) * sizeof *m->count);
    if (m->code && m->count)
        return RDX_OK;
    rdx_counts_free(m);
    return RDX_E_NOMEM;
}

/* LSD radix sort on bytes, as many passes as the largest code needs; the
 * sorted codes end in codes or scratch, which is returned. */
static uint64_t *radix_sort(uint64_t *codes, uint64_t *scratch, size_t n)
{
    uint64_t bits = 0;
    for (size_t i = 0; i < n; i++)
        bits |= codes[i];
    uint64_t *src = codes, *dst = scratch;
    for (int shift = 0; shift < 64 && (bits >> shift); shift += 8) {
        size_t pos[256] = {0};
        for (size_t i = 0; i < n; i++)
            pos[(src[i] >> shift) & 255]++;
        if (pos[(src[0] >> shift) & 255] == n) /* one digit value: already in order */
            continue;
        size_t start = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = pos[b];
            pos[b] = start;
            start += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[pos[(src[i] >> shift) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

rdx_status rdx_counts_from_codes(uint64_t *codes, uint64_t *scratch, size_t n, rdx_counts *m, rdx_error *err)
{
    const uint64_t *s = n ? radix_sort(codes, scratch, n) : codes;
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        unique += i == 0 || s[i] != s[i - 1];
    if (counts_alloc(m, unique))
        return rdx_error_set(err, RDX_E_NOMEM, "texture matrix: out of memory for %zu entries", unique);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || s[i] != s[i - 1]) {
            m->code[k] = s[i];
            m->count[k++] = 0;
        }
        m->count[k - 1]++;
    }
    return RDX_OK;
}

rdx_status rdx_counts_add(const rdx_counts *a, const rdx_counts *b, rdx_counts *out, rdx_error *err)
{
    size_t n = 0;
    for (size_t i = 0, j = 0; i < a->n || j < b->n; n++) {
        if (j == b->n || (i < a->n && a->code[i] < b->code[j])) i++;
        else if (i == a->n || b->code[j] < a->code[i]) j++;
        else i++, j++;
    }
    if (counts_alloc(out, n))
        return rdx_error_set(err, RDX_E_NOMEM, "texture matrix: out of memory for %zu entries", n);
    for (size_t i = 0, j = 0, k = 0; k < n; k++) {
        if (j == b->n || (i < a->n && a->code[i] < b->code[j])) {
            out->code[k] = a->code[i];
            out->count[k] = a->count[i++];
        } else if (i == a->n || b->code[j] < a->code[i]) {
            out->code[k] = b->code[j];
            out->count[k] = b->count[j++];
        } else {
            out->code[k] = a->code[i];
            out->count[k] = a->count[i++] + b->count[j++];
        }
    }
    return RDX_OK;
}

/* The sparse matrix of the space dense counters: entries in code order, as
 * rdx_counts_from_codes makes them. */
static rdx_status dense_to_sparse(const uint32_t *counts, uint64_t space, rdx_counts *m)
{
    size_t n = 0;
    for (uint64_t i = 0; i < space; i++)
        n += counts[i] != 0;
    if (counts_alloc(m, n))
        return RDX_E_NOMEM;
    for (uint64_t i = 0, k = 0; i < space; i++)
        if (counts[i]) {
            m->code[k] = i;
            m->count[k++] = counts[i];
        }
    return RDX_OK;
}

static rdx_status counts_copy(const rdx_counts *a, rdx_counts *out)
{
    if (counts_alloc(out, a->n))
        return RDX_E_NOMEM;
    memcpy(out->code, a->code, a->n * sizeof *a->code);
    memcpy(out->count, a->count, a->n * sizeof *a->count);
    return RDX_OK;
}

/* *out = m[0] + ... + m[n-1], added in index order. */
static rdx_status counts_sum(const rdx_counts *m, int n, rdx_counts *out)
{
    rdx_counts acc = {0};
    for (int d = 0; d < n; d++) {
        rdx_counts next;
        rdx_status st = rdx_counts_add(&acc, &m[d], &next, NULL);
        rdx_counts_free(&acc);
        if (st)
            return st;
        acc = next;
    }
    *out = acc;
    return RDX_OK;
}

/* ---- texture context ---- */

rdx_status rdx_tex_ctx_init(const rdx_texture_input *in, int distance, rdx_tex_ctx *c, rdx_error *err)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->distance = distance;
    if (in->n_grey < 1 || distance < 1)
        return rdx_error_set(err, RDX_E_INVALID, "texture: bad number of grey levels (%d) or GLCM distance (%d)",
                             in->n_grey, distance);
    size_t nv = (size_t)in->dim[0] * (size_t)in->dim[1] * (size_t)in->dim[2];
    c->index = malloc(((size_t)in->n_grey + 1) * sizeof *c->index);
    if (!c->index)
        return rdx_error_set(err, RDX_E_NOMEM, "texture: out of memory for %d grey levels", in->n_grey);
    for (int g = 0; g <= in->n_grey; g++)
        c->index[g] = -1;
    for (size_t v = 0; v < nv; v++) {
        int32_t g = in->grey[v];
        if (g < 0 || g > in->n_grey) {
            rdx_tex_ctx_free(c);
            return rdx_error_set(err, RDX_E_INVALID, "texture: grey level %d outside 0..%d", (int)g, in->n_grey);
        }
        c->index[g] = g ? 0 : -1;
    }
    for (int g = 1; g <= in->n_grey; g++)
        c->n_levels += c->index[g] == 0;
    if (c->n_levels == 0) {
        rdx_tex_ctx_free(c);
        return rdx_error_set(err, RDX_E_EMPTY_ROI, "texture: no voxel in the ROI");
    }
    c->level = malloc((size_t)c->n_levels * sizeof *c->level);
    if (!c->level) {
        rdx_tex_ctx_free(c);
        return rdx_error_set(err, RDX_E_NOMEM, "texture: out of memory for %d grey levels", in->n_grey);
    }
    for (int g = 1, k = 0; g <= in->n_grey; g++)
        if (c->index[g] == 0) {
            c->level[k] = g;
            c->index[g] = k++;
        }
    int64_t longest = in->dim[0] > in->dim[1] ? in->dim[0] : in->dim[1];
    c->run_codes = (longest > in->dim[2] ? longest : in->dim[2]) + 1;
    return RDX_OK;
}

void rdx_tex_ctx_free(rdx_tex_ctx *c)
{
    free(c->index);
    free(c->level);
    c->index = NULL;
    c->level = NULL;
}

/* ---- aggregation driver ---- */

/* Features of m into the row f, valid = 0 (and f untouched) when m is empty. */
static rdx_status row_features(const rdx_tex_family *fam, const rdx_tex_ctx *c, const rdx_counts *m, double *f,
                               uint8_t *valid)
{
    *valid = m->n > 0;
    return *valid ? fam->features(m, c, f, NULL) : RDX_OK;
}

/* Counters indexed by code: used when they take less memory than sorting
 * every code of the matrix (few grey levels), and then much faster. */
static rdx_status dense_matrix(const rdx_tex_family *fam, const rdx_tex_ctx *c, int d, int64_t z0, int64_t z1,
                               uint64_t space, rdx_counts *m)
{
    uint32_t *dense = calloc(space, sizeof *dense);
    if (!dense)
        return RDX_E_NOMEM;
    fam->count(c, rdx_dir[d], z0, z1, dense);
    rdx_status st = dense_to_sparse(dense, space, m);
    free(dense);
    return st;
}

/* The matrix of direction d over the whole box (z < 0) or slice z (n_roi[z]:
 * ROI voxels of slice z, an upper bound of its codes): a copy of the one
 * counted on the device, else counted densely or from sorted codes. */
static rdx_status matrix_of(const rdx_tex_family *fam, const rdx_tex_ctx *c, int d, int64_t z, const size_t *n_roi,
                            rdx_counts *m)
{
    if (c->pre)
        return counts_copy(&c->pre[rdx_tex_slot(d, z)], m);
    const int64_t z0 = z < 0 ? 0 : z, z1 = z < 0 ? c->in->dim[2] : z + 1;
    size_t n = 0;
    for (int64_t k = z0; k < z1; k++)
        n += n_roi[k];
    const uint64_t space = fam->code_space(c);
    if (space <= 2 * (uint64_t)n && n < UINT32_MAX) /* counters fit in 32 bits */
        return dense_matrix(fam, c, d, z0, z1, space, m);
    uint64_t *buf = malloc(2 * (n ? n : 1) * sizeof *buf);
    if (!buf)
        return RDX_E_NOMEM;
    rdx_status st = rdx_counts_from_codes(buf, buf + n, fam->codes(c, rdx_dir[d], z0, z1, buf), m, NULL);
    free(buf);
    return st;
}

/* Directions counted at once hold a code buffer of 16 bytes per ROI voxel
 * each: on large ROIs fewer run in parallel, so that the buffers stay within
 * this budget (a 20-million-voxel ROI: one at a time). */
#define RDX_TEX_CODE_BUDGET ((size_t)256 << 20)

static int parallel_directions(size_t n_roi)
{
    size_t per = 2 * n_roi * sizeof(uint64_t);
    int threads = omp_get_max_threads();
    if (per == 0) /* no code buffers: matrices counted on the device */
        return threads;
    size_t k = RDX_TEX_CODE_BUDGET / per;
    return k < 1 ? 1 : (k < (size_t)threads ? (int)k : threads);
}

/* The whole-box matrix and feature row of each of the ndir directions
 * (n_roi: ROI voxels per slice, total in all). */
static rdx_status direction_matrices(const rdx_tex_family *fam, const rdx_tex_ctx *c, int ndir, const size_t *n_roi,
                                     size_t total, rdx_counts *dm, double *f, uint8_t *valid)
{
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(parallel_directions(c->pre ? 0 : total))
    for (int d = 0; d < ndir; d++) {
        rdx_status st = matrix_of(fam, c, d, -1, n_roi, &dm[d]);
        if (!st)
            st = row_features(fam, c, &dm[d], f + (size_t)d * fam->n_features, &valid[d]);
        if (st) {
#pragma omp atomic write
            failed = 1;
        }
    }
    return failed ? RDX_E_NOMEM : RDX_OK;
}

/* Slice z: feature rows of its RDX_N_DIR_2D in-plane matrices (f, valid) and
 * of their sum (fc, vc). */
static rdx_status one_slice(const rdx_tex_family *fam, const rdx_tex_ctx *c, int64_t z, const size_t *n_roi,
                            double *f, uint8_t *valid, double *fc, uint8_t *vc)
{
    rdx_counts m[RDX_N_DIR_2D] = {{0}}, sum = {0};
    rdx_status st = RDX_OK;
    for (int d = 0; d < RDX_N_DIR_2D && !st; d++) {
        st = matrix_of(fam, c, d, z, n_roi, &m[d]);
        if (!st)
            st = row_features(fam, c, &m[d], f + (size_t)d * fam->n_features, &valid[d]);
    }
    if (!st)
        st = counts_sum(m, RDX_N_DIR_2D, &sum);
    if (!st)
        st = row_features(fam, c, &sum, fc, vc);
    rdx_counts_free(&sum);
    for (int d = 0; d < RDX_N_DIR_2D; d++)
        rdx_counts_free(&m[d]);
    return st;
}

static rdx_status slice_matrices(const rdx_tex_family *fam, const rdx_tex_ctx *c, const size_t *n_roi, double *f,
                                 uint8_t *valid, double *fc, uint8_t *vc)
{
    int failed = 0;
    size_t nf = (size_t)fam->n_features;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t z = 0; z < c->in->dim[2]; z++) {
        if (n_roi[z] && one_slice(fam, c, z, n_roi, f + (size_t)z * RDX_N_DIR_2D * nf,
                                  valid + (size_t)z * RDX_N_DIR_2D, fc + (size_t)z * nf, vc + z)) {
#pragma omp atomic write
            failed = 1;
        }
    }
    return failed ? RDX_E_NOMEM : RDX_OK;
}

/* values[ids[k][agg]] = mean of feature k over the valid rows, in row order. */
static void write_mean(const rdx_tex_family *fam, const double *f, const uint8_t *valid, size_t rows, int agg,
                       double *values)
{
    for (int k = 0; k < fam->n_features; k++) {
        double s = 0;
        size_t n = 0;
        for (size_t r = 0; r < rows; r++)
            if (valid[r]) {
                s += f[r * (size_t)fam->n_features + (size_t)k];
                n++;
            }
        values[fam->ids[k][agg]] = n ? s / (double)n : NAN;
    }
}

/* Features of the sum of the first ndir direction matrices. */
static rdx_status merged_features(const rdx_tex_family *fam, const rdx_tex_ctx *c, const rdx_counts *dm, int ndir,
                                  int agg, double *values)
{
    rdx_counts sum = {0};
    uint8_t valid;
    double *f = malloc((size_t)fam->n_features * sizeof *f);
    rdx_status st = f ? counts_sum(dm, ndir, &sum) : RDX_E_NOMEM;
    if (!st)
        st = row_features(fam, c, &sum, f, &valid);
    if (!st)
        write_mean(fam, f, &valid, 1, agg, values);
    rdx_counts_free(&sum);
    free(f);
    return st;
}

static rdx_status aggregate(const rdx_tex_ctx *c, const rdx_tex_family *fam, unsigned aggregations,
                            double *values, rdx_error *err)
{
    int want2d = (aggregations & RDX_AGG_2D) != 0, want3d = (aggregations & RDX_AGG_3D) != 0;
    int want_dir = (aggregations & RDX_AGG_3D_DIR) != 0;
    const int64_t *dim = c->in->dim;
    size_t nz = (size_t)dim[2], plane = (size_t)dim[0] * (size_t)dim[1], nf = (size_t)fam->n_features, total = 0;
    int ndir = want3d || want_dir ? RDX_N_DIR_3D : RDX_N_DIR_2D;
    size_t *n_roi = calloc(nz, sizeof *n_roi);
    double *fd = malloc(RDX_N_DIR_3D * nf * sizeof *fd), *f2d = malloc(nz * RDX_N_DIR_2D * nf * sizeof *f2d);
    double *fc = malloc(nz * nf * sizeof *fc);
    uint8_t *vd = calloc(RDX_N_DIR_3D, 1), *v2d = calloc(nz * RDX_N_DIR_2D, 1), *vc = calloc(nz, 1);
    rdx_counts dm[RDX_N_DIR_3D] = {{0}};
    rdx_status st = n_roi && fd && f2d && fc && vd && v2d && vc ? RDX_OK : RDX_E_NOMEM;
    for (size_t z = 0; !st && z < nz; z++) {
        for (size_t v = 0; v < plane; v++)
            n_roi[z] += c->in->grey[z * plane + v] > 0;
        total += n_roi[z];
    }
    if (!st)
        st = direction_matrices(fam, c, ndir, n_roi, total, dm, fd, vd);
    if (!st && want2d)
        st = slice_matrices(fam, c, n_roi, f2d, v2d, fc, vc);
    if (!st && want2d) {
        write_mean(fam, f2d, v2d, nz * RDX_N_DIR_2D, RDX_TEX_2D_AVG, values);
        write_mean(fam, fc, vc, nz, RDX_TEX_2D_COMB, values);
        write_mean(fam, fd, vd, RDX_N_DIR_2D, RDX_TEX_2_5D_AVG, values);
        st = merged_features(fam, c, dm, RDX_N_DIR_2D, RDX_TEX_2_5D_COMB, values);
    }
    if (!st && want3d) {
        write_mean(fam, fd, vd, RDX_N_DIR_3D, RDX_TEX_3D_AVG, values);
        st = merged_features(fam, c, dm, RDX_N_DIR_3D, RDX_TEX_3D_COMB, values);
    }
    for (int d = 0; !st && want_dir && d < RDX_N_DIR_3D; d++) /* each direction's row: NaN without pairs or runs */
        for (size_t k = 0; k < nf; k++)
            values[fam->ids[k][RDX_TEX_3D_DIR] + d] = vd[d] ? fd[(size_t)d * nf + k] : NAN;
    for (int d = 0; d < RDX_N_DIR_3D; d++)
        rdx_counts_free(&dm[d]);
    free(n_roi);
    free(fd);
    free(f2d);
    free(fc);
    free(vd);
    free(v2d);
    free(vc);
    if (st)
        return rdx_error_set(err, st, "%s: out of memory for the matrices of a %zu-voxel ROI", fam->name, total);
    return RDX_OK;
}

/* The device matrices of the cases which[0..m): pre[k] for case k. */
typedef struct {
    const rdx_tex_ctx *c;
    const rdx_tex_family *fam;
    unsigned aggregations;
    rdx_counts **pre;
} tex_device;

static rdx_status tex_device_counts(void *arg, const size_t *which, size_t m, rdx_error *err)
{
    const tex_device *d = arg;
    const rdx_tex_ctx **c = calloc(m, sizeof *c);
    rdx_counts **pre = calloc(m, sizeof *pre);
    rdx_status st = c && pre ? RDX_OK : rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", d->fam->name);
    for (size_t i = 0; !st && i < m; i++)
        c[i] = &d->c[which[i]];
    if (!st)
        st = rdx_tex_device_matrices(c, m, d->fam, d->aggregations, RDX_TEX_DEVICE_BUDGET, pre, err);
    for (size_t i = 0; !st && i < m; i++)
        d->pre[which[i]] = pre[i];
    free(c);
    free(pre);
    return st;
}

void rdx_tex_cases(const rdx_texture_input *const *in, size_t n, const rdx_tex_family *fam, int distance,
                   unsigned aggregations, double *const *values, rdx_status *st, rdx_error *err)
{
    if (!(aggregations & (RDX_AGG_2D | RDX_AGG_3D | RDX_AGG_3D_DIR))) {
        for (size_t k = 0; k < n; k++)
            st[k] = RDX_OK;
        return;
    }
    const size_t nn = n ? n : 1;
    rdx_tex_ctx *c = calloc(nn, sizeof *c);
    rdx_counts **pre = calloc(nn, sizeof *pre);
    size_t *which = calloc(nn, sizeof *which), m = 0;
    for (size_t k = 0; k < n; k++) {
        st[k] = c && pre && which ? rdx_tex_ctx_init(in[k], distance, &c[k], &err[k])
                                  : rdx_error_set(&err[k], RDX_E_NOMEM, "%s: out of memory", fam->name);
        if (!st[k] && in[k]->device == RDX_DEVICE_CUDA)
            which[m++] = k;
    }
    tex_device d = {c, fam, aggregations, pre};
    rdx_cases_together(tex_device_counts, &d, which, m, st, err);
    for (size_t k = 0; k < n; k++) {
        if (!st[k]) {
            rdx_tex_ctx dc = c[k];
            dc.pre = pre[k];
            st[k] = aggregate(&dc, fam, aggregations, values[k], &err[k]);
        }
        if (c && pre) {
            rdx_tex_matrices_free(pre[k], in[k]->dim[2]);
            rdx_tex_ctx_free(&c[k]);
        }
    }
    free(c);
    free(pre);
    free(which);
}

/* ---- matrices counted on the device ---- */

void rdx_tex_matrices_free(rdx_counts *pre, int64_t nz)
{
    if (!pre)
        return;
    for (size_t k = 0; k < rdx_tex_slot(0, nz); k++)
        rdx_counts_free(&pre[k]);
    free(pre);
}

/* Part of a device count: the matrices of jobs for case k, whose first
 * direction is rdx_dir[d0]; counters: their number. */
typedef struct {
    size_t k;
    int d0;
    rdx_cuda_tex_jobs jobs;
    uint64_t counters;
} tex_piece;

typedef struct {
    tex_piece *p;
    size_t n, cap;
} piece_list;

static int piece_add(piece_list *l, tex_piece p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        tex_piece *q = realloc(l->p, cap * sizeof *q);
        if (!q)
            return -1;
        l->p = q;
        l->cap = cap;
    }
    l->p[l->n++] = p;
    return 0;
}

/* The pieces of case k's matrices of directions 0 .. ndir-1, over the whole
 * box or per slice, of at most per_call matrices each. */
static int case_pass(const rdx_tex_ctx *c, size_t k, int ndir, int per_slice, uint64_t per_call, uint64_t space,
                     piece_list *l)
{
    const int64_t nz = c->in->dim[2];
    const int nd = per_call < (uint64_t)ndir ? (int)per_call : ndir;
    int64_t nzr = nz; /* slices per piece */
    if (per_slice && per_call / (uint64_t)nd < (uint64_t)nz)
        nzr = (int64_t)(per_call / (uint64_t)nd);
    for (int64_t z0 = 0; z0 < nz; z0 += nzr)
        for (int d0 = 0; d0 < ndir; d0 += nd) {
            tex_piece p = {k, d0, {&rdx_dir[d0], ndir - d0 < nd ? ndir - d0 : nd, z0, z0 + nzr < nz ? z0 + nzr : nz,
                                   per_slice}, 0};
            p.counters = (uint64_t)p.jobs.n_dir * (uint64_t)(per_slice ? p.jobs.z1 - p.jobs.z0 : 1) * space;
            if (piece_add(l, p))
                return -1;
        }
    return 0;
}

/* The pieces of every matrix case k needs for aggregations (none when one
 * dense matrix exceeds budget). */
static int case_pieces(const rdx_tex_ctx *c, size_t k, const rdx_tex_family *fam, unsigned aggregations,
                       uint64_t budget, piece_list *l)
{
    const int64_t nz = c->in->dim[2];
    const uint64_t space = fam->code_space(c);
    const int want2d = (aggregations & RDX_AGG_2D) != 0;
    const int ndir = aggregations & (RDX_AGG_3D | RDX_AGG_3D_DIR) ? RDX_N_DIR_3D : RDX_N_DIR_2D;
    if (space > budget)
        return 0;
    /* Matrices per piece: as many as fit, but no more than the largest pass
     * needs (all whole-box directions, or the in-plane ones of every slice). */
    uint64_t per_call = budget / space, most = (uint64_t)ndir;
    if (want2d && (uint64_t)nz * RDX_N_DIR_2D > most)
        most = (uint64_t)nz * RDX_N_DIR_2D;
    per_call = per_call < most ? per_call : most;
    if (case_pass(c, k, ndir, 0, per_call, space, l))
        return -1;
    return want2d ? case_pass(c, k, RDX_N_DIR_2D, 1, per_call, space, l) : 0;
}

/* One kernel launch for pieces p[0..n) (their counters in counts, piece
 * after piece), then each matrix into its case's slot. */
static rdx_status device_launch(const rdx_tex_ctx *const *c, const rdx_tex_family *fam, const tex_piece *p, size_t n,
                                uint32_t *counts, rdx_counts **pre, rdx_error *err)
{
    rdx_cuda_tex_item *items = malloc(n * sizeof *items);
    uint64_t *at = malloc(n * sizeof *at);
    if (!items || !at) {
        free(items);
        free(at);
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for %zu device items", fam->name, n);
    }
    for (size_t i = 0, sum = 0; i < n; i++) {
        const rdx_tex_ctx *ci = c[p[i].k];
        items[i] = (rdx_cuda_tex_item){{ci->in->grey, {ci->in->dim[0], ci->in->dim[1], ci->in->dim[2]}, ci->index,
                                        ci->in->n_grey, ci->n_levels},
                                       p[i].jobs, fam->device_param(ci)};
        at[i] = sum;
        sum += p[i].counters;
    }
    int code = fam->device_counts(items, n, counts);
    free(items);
    int failed = 0;
    if (!code) {
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
        for (size_t i = 0; i < n; i++) {
            const rdx_tex_ctx *ci = c[p[i].k];
            const uint64_t space = fam->code_space(ci);
            const rdx_cuda_tex_jobs *j = &p[i].jobs;
            const int64_t nzr = j->per_slice ? j->z1 - j->z0 : 1;
            for (int k = 0; k < j->n_dir; k++)
                for (int64_t s = 0; s < nzr; s++) {
                    const uint32_t *dense = counts + at[i] + ((uint64_t)k * (uint64_t)nzr + (uint64_t)s) * space;
                    rdx_counts *m = &pre[p[i].k][rdx_tex_slot(p[i].d0 + k, j->per_slice ? j->z0 + s : -1)];
                    failed |= dense_to_sparse(dense, space, m) != RDX_OK;
                }
        }
    }
    free(at);
    if (code)
        return rdx_error_set(err, RDX_E_DEVICE, "%s: CUDA kernel: %s", fam->name, rdx_cuda_error_string(code));
    if (failed)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for a matrix counted on the device", fam->name);
    return RDX_OK;
}

/* The end of the launch that starts at piece i: the consecutive pieces whose
 * counters fit in budget and whose boxes (once per case) in
 * RDX_TEX_DEVICE_BOX_VOXELS, one piece at least; *counters receives their
 * counters. */
static size_t launch_end(const rdx_tex_ctx *const *c, const piece_list *l, size_t i, uint64_t budget,
                         uint64_t *counters)
{
    size_t j = i;
    uint64_t sum = 0, voxels = 0;
    for (; j < l->n; j++) {
        const tex_piece *p = &l->p[j];
        const int64_t *d = c[p->k]->in->dim;
        const uint64_t v = j > i && p->k == l->p[j - 1].k ? 0 : (uint64_t)d[0] * (uint64_t)d[1] * (uint64_t)d[2];
        if (j > i && (sum + p->counters > budget || voxels + v > RDX_TEX_DEVICE_BOX_VOXELS))
            break;
        sum += p->counters;
        voxels += v;
    }
    *counters = sum;
    return j;
}

/* The launches for the pieces (launch_end), one after another. */
static rdx_status device_launches(const rdx_tex_ctx *const *c, const rdx_tex_family *fam, const piece_list *l,
                                  uint64_t budget, rdx_counts **pre, rdx_error *err)
{
    uint64_t size = 0, sum; /* counters of the largest launch */
    for (size_t i = 0, j; i < l->n; i = j) {
        j = launch_end(c, l, i, budget, &sum);
        size = sum > size ? sum : size;
    }
    uint32_t *counts = malloc((size ? size : 1) * sizeof *counts);
    if (!counts)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for %llu device counters", fam->name,
                             (unsigned long long)size);
    rdx_status st = RDX_OK;
    for (size_t i = 0, j; i < l->n && !st; i = j) {
        j = launch_end(c, l, i, budget, &sum);
        st = device_launch(c, fam, l->p + i, j - i, counts, pre, err);
    }
    free(counts);
    return st;
}

rdx_status rdx_tex_device_matrices(const rdx_tex_ctx *const *c, size_t n, const rdx_tex_family *fam,
                                   unsigned aggregations, uint64_t budget, rdx_counts **pre, rdx_error *err)
{
    piece_list l = {NULL, 0, 0};
    rdx_status st = RDX_OK;
    for (size_t k = 0; k < n; k++)
        pre[k] = NULL;
    for (size_t k = 0; k < n && !st; k++) {
        if (fam->code_space(c[k]) > budget)
            continue;
        pre[k] = calloc(rdx_tex_slot(0, c[k]->in->dim[2]), sizeof **pre);
        if (!pre[k] || case_pieces(c[k], k, fam, aggregations, budget, &l))
            st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for the device matrices", fam->name);
    }
    if (!st)
        st = device_launches(c, fam, &l, budget, pre, err);
    free(l.p);
    if (st)
        for (size_t k = 0; k < n; k++) {
            rdx_tex_matrices_free(pre[k], c[k]->in->dim[2]);
            pre[k] = NULL;
        }
    return st;
}

/* ---- GLCM ---- */

/* The pair codes of rdx_glcm_codes, written to out[] or, with dense, counted
 * in dense[code]; inlined into both so that each gets its own loop. */
static inline size_t glcm_scan(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out,
                               uint32_t *dense)
{
    const int64_t *dim = c->in->dim;
    const int64_t s[3] = {(int64_t)u[0] * c->distance, (int64_t)u[1] * c->distance, (int64_t)u[2] * c->distance};
    const int64_t off = rdx_dir_offset(dim, u, c->distance);
    const int64_t xlo = s[0] < 0 ? -s[0] : 0, xhi = s[0] > 0 ? dim[0] - s[0] : dim[0];
    const uint64_t np = (uint64_t)c->n_levels;
    const int32_t *index = c->index; /* a local: stores to out[] may alias c's fields */
    size_t n = 0;
    for (int64_t z = z0; z < z1; z++)
        for (int64_t y = 0; y < dim[1]; y++) {
            if (!rdx_box_contains(dim, 0, y + s[1], z + s[2]))
                continue;
            const int32_t *row = c->in->grey + dim[0] * (y + dim[1] * z);
            for (int64_t x = xlo; x < xhi; x++) {
                int32_t g = row[x], h = row[x + off];
                if (!g || !h)
                    continue;
                /* min and max, not a branch: the order of a and b is random in noisy images */
                uint64_t a = (uint64_t)index[g], b = (uint64_t)index[h];
                uint64_t lo = a < b ? a : b, hi = a ^ b ^ lo, code = lo * np + hi;
                if (dense)
                    dense[code]++;
                else
                    out[n++] = code;
            }
        }
    return n;
}

size_t rdx_glcm_codes(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out)
{
    return glcm_scan(c, u, z0, z1, out, NULL);
}

static void glcm_count(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint32_t *dense)
{
    glcm_scan(c, u, z0, z1, NULL, dense);
}

/* Feature order of rdx_glcm_features. */
static const int glcm_ids[RDX_GLCM_N_FEATURES][RDX_TEX_N_IDS] = {
    RDX_TEX_IDS(CM_JOINT_MAX),     RDX_TEX_IDS(CM_JOINT_AVG),      RDX_TEX_IDS(CM_JOINT_VAR),
    RDX_TEX_IDS(CM_JOINT_ENTR),    RDX_TEX_IDS(CM_DIFF_AVG),       RDX_TEX_IDS(CM_DIFF_VAR),
    RDX_TEX_IDS(CM_DIFF_ENTR),     RDX_TEX_IDS(CM_SUM_AVG),        RDX_TEX_IDS(CM_SUM_VAR),
    RDX_TEX_IDS(CM_SUM_ENTR),      RDX_TEX_IDS(CM_ENERGY),         RDX_TEX_IDS(CM_CONTRAST),
    RDX_TEX_IDS(CM_DISSIMILARITY), RDX_TEX_IDS(CM_INV_DIFF),       RDX_TEX_IDS(CM_INV_DIFF_NORM),
    RDX_TEX_IDS(CM_INV_DIFF_MOM),  RDX_TEX_IDS(CM_INV_DIFF_MOM_NORM), RDX_TEX_IDS(CM_INV_VAR),
    RDX_TEX_IDS(CM_CORR),          RDX_TEX_IDS(CM_AUTO_CORR),      RDX_TEX_IDS(CM_CLUST_TEND),
    RDX_TEX_IDS(CM_CLUST_SHADE),   RDX_TEX_IDS(CM_CLUST_PROM),     RDX_TEX_IDS(CM_INFO_CORR1),
    RDX_TEX_IDS(CM_INFO_CORR2)};

/* Mean, variance and entropy of the distribution p[lo..hi] over k. */
static void distribution_moments(const double *p, int lo, int hi, double *mean, double *var, double *entropy)
{
    double m = 0, v = 0, e = 0;
    for (int k = lo; k <= hi; k++)
        m += k * p[k];
    for (int k = lo; k <= hi; k++)
        if (p[k] > 0) {
            v += (k - m) * (k - m) * p[k];
            e -= p[k] * log2(p[k]);
        }
    *mean = m;
    *var = v;
    *entropy = e;
}

/* Entropy of the marginal distribution. */
static double marginal_entropy(const double *p, int n)
{
    double e = 0;
    for (int k = 0; k < n; k++)
        if (p[k] > 0)
            e -= p[k] * log2(p[k]);
    return e;
}

/* Sums over the matrix are taken over the stored upper triangle: entry e
 * with probability p = count / sum(counts) stands for p/2 in each of the
 * cells (i, j) and (j, i), or for p in (i, i), so a symmetric function of
 * (i, j) sums as p * f(i, j). */
rdx_status rdx_glcm_features(const rdx_counts *m, const rdx_tex_ctx *c, double *f, rdx_error *err)
{
    const int np = c->n_levels, top = c->level[np - 1];
    const double ng = c->in->n_grey;
    double *marg = calloc((size_t)np, sizeof *marg), *pdiff = calloc((size_t)top + 1, sizeof *pdiff);
    double *psum = calloc(2 * (size_t)top + 1, sizeof *psum);
    if (!marg || !pdiff || !psum) {
        free(marg);
        free(pdiff);
        free(psum);
        return rdx_error_set(err, RDX_E_NOMEM, "GLCM: out of memory for %d grey levels", top);
    }
    int64_t total = 0;
    for (size_t e = 0; e < m->n; e++)
        total += m->count[e];
    double jmax = 0, mu = 0, hxy = 0, energy = 0, contrast = 0, dissim = 0, idf = 0, idn = 0, idm = 0, idmn = 0;
    double ivar = 0, acorr = 0;
    for (size_t e = 0; e < m->n; e++) {
        int a = (int)(m->code[e] / (uint64_t)np), b = (int)(m->code[e] % (uint64_t)np);
        double i = c->level[a], j = c->level[b], k = j - i, p = (double)m->count[e] / (double)total;
        double cell = a == b ? p : p / 2;
        jmax = cell > jmax ? cell : jmax;
        hxy -= p * log2(cell);
        energy += p * cell;
        marg[a] += p / 2;
        marg[b] += p / 2;
        pdiff[(int)k] += p;
        psum[(int)(i + j)] += p;
        mu += p * (i + j) / 2;
        contrast += p * k * k;
        dissim += p * k;
        idf += p / (1 + k);
        idn += p / (1 + k / ng);
        idm += p / (1 + k * k);
        idmn += p / (1 + k * k / (ng * ng));
        ivar += k > 0 ? p / (k * k) : 0;
        acorr += p * i * j;
    }
    double var = 0, cov = 0, tend = 0, shade = 0, prom = 0, hxy1 = 0;
    for (size_t e = 0; e < m->n; e++) {
        int a = (int)(m->code[e] / (uint64_t)np), b = (int)(m->code[e] % (uint64_t)np);
        double di = c->level[a] - mu, dj = c->level[b] - mu, p = (double)m->count[e] / (double)total;
        double t = di + dj;
        var += p * (di * di + dj * dj) / 2;
        cov += p * di * dj;
        tend += p * t * t;
        shade += p * t * t * t;
        prom += p * t * t * t * t;
        hxy1 -= p * log2(marg[a] * marg[b]);
    }
    /* HXY2 = -sum_ij p_i p_j log2(p_i p_j) factorises into HX + HY = 2 HX. */
    double hx = marginal_entropy(marg, np), hxy2 = 2 * hx;
    f[0] = jmax;
    f[1] = mu;
    f[2] = var;
    f[3] = hxy;
    distribution_moments(pdiff, 0, top, &f[4], &f[5], &f[6]);
    distribution_moments(psum, 2, 2 * top, &f[7], &f[8], &f[9]);
    f[10] = energy;
    f[11] = contrast;
    f[12] = dissim;
    f[13] = idf;
    f[14] = idn;
    f[15] = idm;
    f[16] = idmn;
    f[17] = ivar;
    /* One grey level only: 0/0; take the limits PyRadiomics uses (corr 1, info corr 0). */
    f[18] = var > 0 ? cov / var : 1.0;
    f[19] = acorr;
    f[20] = tend;
    f[21] = shade;
    f[22] = prom;
    f[23] = hx > 0 ? (hxy - hxy1) / hx : 0.0;
    f[24] = sqrt(1 - exp(-2 * fmax(hxy2 - hxy, 0.0))); /* HXY <= HX + HY: clamp rounding */
    free(marg);
    free(pdiff);
    free(psum);
    return RDX_OK;
}

static int64_t glcm_device_param(const rdx_tex_ctx *c)
{
    return c->distance;
}

static uint64_t glcm_code_space(const rdx_tex_ctx *c)
{
    return (uint64_t)c->n_levels * (uint64_t)c->n_levels;
}

const rdx_tex_family rdx_glcm_family = {"GLCM", RDX_GLCM_N_FEATURES, glcm_ids, rdx_glcm_codes, glcm_count, rdx_glcm_features,
                                        rdx_cuda_glcm_counts, glcm_device_param, glcm_code_space};

void rdx_family_glcm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                           rdx_status *st, rdx_error *err)
{
    rdx_tex_cases(in, n, &rdx_glcm_family, t->glcm_distance, t->aggregations, values, st, err);
}

rdx_status rdx_family_glcm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    rdx_status st;
    rdx_family_glcm_cases(&in, 1, t, &values, &st, err);
    return st;
}
