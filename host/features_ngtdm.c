/* Neighbourhood grey tone difference matrix features (IBSI reference manual
 * 3.10): coarseness, contrast, busyness, complexity and strength, for the 2D,
 * 2.5D and 3D aggregations. Also home of the code shared with the NGLDM
 * (features_ngldm.c): grey-level compaction and the aggregation driver (see
 * neighbours.h).
 *
 * Definition: for a ROI voxel of grey level i, A is the mean grey level of its
 * neighbours (Chebyshev distance <= delta, centre excluded) that lie in the
 * ROI, W of them. Voxels with W = 0 are left out (IBSI: only voxels with at
 * least one valid neighbour count). n_i counts the voxels kept, s_i sums
 * |i - A| over them, N_vc = sum n_i, p_i = n_i / N_vc, N_gp = #{i: p_i > 0}.
 * Since |i - S/W| = |i*W - S| / W with S the integer neighbour sum, the matrix
 * keeps for each level and each W the integer sum of |i*W - S|; s_i is formed
 * once, in a fixed order, when the features are computed. Every matrix is thus
 * integer-valued and independent of the order voxels are visited in.
 *
 * Counting on the CPU goes a centre row at a time: the ROI voxels and grey
 * sums of the window's columns (its rows at one x), once per row, then a
 * window sliding along the row over them, one column in and one out per
 * voxel; the box edges are zero columns rather than bounds tests.
 *
 * Work split: the driver hands slices to threads; each thread counts into its
 * own integer matrix, merged by integer addition (see rdx_nbh_run). On the
 * CUDA device (kernels/neighbourhood.cu) one launch counts every slice's
 * matrix, or the volume matrix; the features are computed here either way. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "neighbours.h"

/* ---- shared with features_ngldm.c ---- */

rdx_status rdx_nbh_levels_build(const rdx_texture_input *in, rdx_nbh_levels *lv, rdx_error *err)
{
    memset(lv, 0, sizeof *lv);
    if (in->n_grey < 0)
        return rdx_error_set(err, RDX_E_INVALID, "features_ngtdm.c: negative number of grey levels %d",
                             in->n_grey);
    lv->row = malloc(((size_t)in->n_grey + 1) * sizeof *lv->row);
    if (!lv->row)
        return rdx_error_set(err, RDX_E_NOMEM, "features_ngtdm.c: out of memory for %d grey levels",
                             in->n_grey);
    for (int g = 0; g <= in->n_grey; g++)
        lv->row[g] = -1;
    size_t n = (size_t)in->dim[0] * (size_t)in->dim[1] * (size_t)in->dim[2];
    for (size_t k = 0; k < n; k++) {
        int32_t g = in->grey[k];
        if (g < 0 || g > in->n_grey) {
            rdx_nbh_levels_free(lv);
            return rdx_error_set(err, RDX_E_INVALID, "features_ngtdm.c: grey level %d outside 0..%d", (int)g,
                                 in->n_grey);
        }
        lv->row[g] = 0; /* mark present */
    }
    lv->row[0] = -1; /* 0 marks voxels outside the ROI */
    for (int g = 1; g <= in->n_grey; g++)
        lv->n += lv->row[g] == 0;
    lv->level = malloc(((size_t)lv->n + 1) * sizeof *lv->level);
    if (!lv->level) {
        rdx_nbh_levels_free(lv);
        return rdx_error_set(err, RDX_E_NOMEM, "features_ngtdm.c: out of memory for %d grey levels",
                             in->n_grey);
    }
    int r = 0;
    for (int g = 1; g <= in->n_grey; g++)
        if (lv->row[g] == 0) {
            lv->level[r] = g;
            lv->row[g] = r++;
        }
    return RDX_OK;
}

void rdx_nbh_levels_free(rdx_nbh_levels *lv)
{
    free(lv->level);
    free(lv->row);
    memset(lv, 0, sizeof *lv);
}

int64_t rdx_nbh_max_neighbours(const rdx_nbh_ctx *c, int in_plane)
{
    int64_t n = 1;
    for (int a = 0; a < (in_plane ? 2 : 3); a++) {
        int64_t w = 2 * (int64_t)c->distance + 1;
        n *= w < c->in->dim[a] ? w : c->in->dim[a];
    }
    return n - 1;
}

size_t rdx_nbh_cells(const rdx_nbh_ctx *c, int in_plane)
{
    return (size_t)c->lv->n * (size_t)(rdx_nbh_max_neighbours(c, in_plane) + 1);
}

int rdx_nbh_row_at(const rdx_nbh_ctx *c, int in_plane, int64_t y, int64_t z, rdx_nbh_row *r)
{
    const int64_t *d = c->in->dim;
    const int32_t *centre = rdx_nbh_row_grey(c, y, z);
    int64_t x0 = 0, x1 = d[0], dist = c->distance, rz = in_plane ? 0 : dist;
    while (x0 < x1 && centre[x0] <= 0)
        x0++;
    while (x1 > x0 && centre[x1 - 1] <= 0)
        x1--;
    if (x0 == x1)
        return 0;
    r->centre = centre;
    r->x0 = x0;
    r->x1 = x1;
    r->rx = dist < d[0] - 1 ? dist : d[0] - 1;
    r->y0 = y - dist < 0 ? 0 : y - dist;
    r->y1 = y + dist > d[1] - 1 ? d[1] - 1 : y + dist;
    r->z0 = z - rz < 0 ? 0 : z - rz;
    r->z1 = z + rz > d[2] - 1 ? d[2] - 1 : z + rz;
    return 1;
}

static void write_features(const rdx_nbh_family *f, int agg, const double *out, int ok, double *values)
{
    for (int k = 0; k < f->n_features; k++)
        values[f->ids[agg][k]] = ok == 1 ? out[k] : NAN;
}

/* n_mats zeroed integer matrices of `cells` cells per thread (cells may be 0:
 * empty ROI); NULL when too large. */
static int64_t *thread_matrices(size_t cells, int n_threads, size_t n_mats)
{
    size_t per = (size_t)n_threads * n_mats;
    if (per > 0 && cells > (SIZE_MAX / sizeof(int64_t) - 1) / per)
        return NULL;
    return calloc(cells * per + 1, sizeof(int64_t));
}

static void add_matrix(int64_t *dst, const int64_t *src, size_t cells)
{
    for (size_t k = 0; k < cells; k++)
        dst[k] += src[k];
}

static rdx_status out_of_memory(const rdx_nbh_ctx *c, size_t cells, rdx_error *err)
{
    return rdx_error_set(err, RDX_E_NOMEM,
                         "features_ngtdm.c: out of memory for %zu-cell neighbourhood matrices (%d grey levels, "
                         "distance %d)",
                         cells, c->lv->n, c->distance);
}

/* 3D on the CPU: thread t counts its slices' centres into m + t * cells;
 * -1 when a count ran out of memory. */
static int count_volume(const rdx_nbh_family *f, const rdx_nbh_ctx *c, int nt, size_t cells, int64_t *m)
{
    int failed = 0;
#pragma omp parallel num_threads(nt) reduction(| : failed)
    {
        int64_t *mine = m + (size_t)omp_get_thread_num() * cells;
#pragma omp for schedule(dynamic)
        for (int64_t z = 0; z < c->in->dim[2]; z++)
            failed |= f->count(c, 0, z, z + 1, mine) != 0;
    }
    return failed ? -1 : 0;
}

/* 3D: one matrix over the volume: pre when counted on the device, else
 * counted here. */
static rdx_status aggregate_3d(const rdx_nbh_family *f, const rdx_nbh_ctx *c, const int64_t *pre, double *values,
                               rdx_error *err)
{
    size_t cells = rdx_nbh_cells(c, 0);
    int64_t *m = NULL;
    if (!pre) {
        int nt = omp_get_max_threads();
        m = thread_matrices(cells, nt, 1);
        if (!m || count_volume(f, c, nt, cells, m)) {
            free(m);
            return out_of_memory(c, cells, err);
        }
        for (int t = 1; t < nt; t++)
            add_matrix(m, m + (size_t)t * cells, cells);
    }
    double out[RDX_NBH_MAX_FEATURES];
    int ok = f->features(c, 0, pre ? pre : m, out);
    free(m);
    if (ok < 0)
        return out_of_memory(c, cells, err);
    write_features(f, 2, out, ok, values);
    return RDX_OK;
}

/* 2D: features per slice, averaged in slice order; 2.5D: features of the
 * summed slice matrices. Per thread: a slice matrix and a running sum. When
 * the slice matrices were counted on the device (pre, slice z at z * cells)
 * the threads only compute features and sums. */
static rdx_status aggregate_2d(const rdx_nbh_family *f, const rdx_nbh_ctx *c, const int64_t *pre, double *values,
                               rdx_error *err)
{
    int nt = omp_get_max_threads();
    int64_t nz = c->in->dim[2];
    size_t cells = rdx_nbh_cells(c, 1);
    int nf = f->n_features;
    int64_t *m = thread_matrices(cells, nt, 2);
    double *feat = malloc((size_t)nz * (size_t)nf * sizeof *feat);
    signed char *ok = malloc((size_t)nz);
    if (!m || !feat || !ok) {
        free(m);
        free(feat);
        free(ok);
        return out_of_memory(c, cells, err);
    }
#pragma omp parallel num_threads(nt)
    {
        int64_t *slice = m + 2 * (size_t)omp_get_thread_num() * cells, *sum = slice + cells;
#pragma omp for schedule(dynamic)
        for (int64_t z = 0; z < nz; z++) {
            const int64_t *counts = pre ? pre + (size_t)z * cells : slice;
            int counted_ok = 1;
            if (!pre) {
                memset(slice, 0, cells * sizeof *slice);
                counted_ok = f->count(c, 1, z, z + 1, slice) == 0;
            }
            ok[z] = counted_ok ? (signed char)f->features(c, 1, counts, feat + z * nf) : -1;
            if (counted_ok)
                add_matrix(sum, counts, cells);
        }
    }
    double mean[RDX_NBH_MAX_FEATURES] = {0}, out[RDX_NBH_MAX_FEATURES];
    int n_ok = 0, failed = 0;
    for (int64_t z = 0; z < nz; z++) {
        failed |= ok[z] < 0;
        if (ok[z] == 1) {
            n_ok++;
            for (int k = 0; k < nf; k++)
                mean[k] += feat[z * nf + k];
        }
    }
    for (int k = 0; k < nf && n_ok > 0; k++)
        mean[k] /= n_ok;
    int64_t *total = m + cells; /* thread 0's running sum */
    for (int t = 1; t < nt; t++)
        add_matrix(total, m + (2 * (size_t)t + 1) * cells, cells);
    int ok25 = failed ? -1 : f->features(c, 1, total, out);
    free(m);
    free(feat);
    free(ok);
    if (ok25 < 0)
        return out_of_memory(c, cells, err);
    write_features(f, 0, mean, n_ok > 0, values);
    write_features(f, 1, out, ok25, values);
    return RDX_OK;
}

/* The matrices of the cases on the CUDA device: for case k, its slice
 * matrices pre2d[k] (2D) and volume matrix pre3d[k] (3D), allocated by the
 * caller, counted here in one launch for any number of cases. */
typedef struct {
    const rdx_nbh_family *f;
    const rdx_nbh_ctx *c;
    unsigned aggregations;
    int64_t **pre2d, **pre3d;
} nbh_device;

static rdx_status nbh_device_counts(void *arg, const size_t *which, size_t m, rdx_error *err)
{
    const nbh_device *d = arg;
    rdx_cuda_nbh_input *in = malloc(2 * m * sizeof *in);
    int64_t **dst = malloc(2 * m * sizeof *dst);
    size_t *cells = malloc(2 * m * sizeof *cells), ni = 0, total = 0;
    int64_t *buf = NULL;
    rdx_status st = in && dst && cells ? RDX_OK : rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", d->f->name);
    for (size_t i = 0; !st && i < m; i++)
        for (int in_plane = 0; in_plane <= 1; in_plane++) {
            const rdx_nbh_ctx *c = &d->c[which[i]];
            if (!(d->aggregations & (in_plane ? RDX_AGG_2D : RDX_AGG_3D)))
                continue;
            in[ni] = (rdx_cuda_nbh_input){c->in->grey,  {c->in->dim[0], c->in->dim[1], c->in->dim[2]},
                                          c->lv->row,   c->in->n_grey,
                                          c->lv->n,     rdx_nbh_max_neighbours(c, in_plane) + 1,
                                          c->distance,  c->alpha,
                                          in_plane};
            dst[ni] = in_plane ? d->pre2d[which[i]] : d->pre3d[which[i]];
            cells[ni] = rdx_nbh_cells(c, in_plane) * (in_plane ? (size_t)c->in->dim[2] : 1);
            total += cells[ni++];
        }
    if (!st && ni == 0) {
        free(in);
        free(dst);
        free(cells);
        return RDX_OK;
    }
    if (!st && !(buf = malloc((total ? total : 1) * sizeof *buf)))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for %zu device counts", d->f->name, total);
    int code = st ? 0 : d->f->device_count(in, ni, buf);
    if (code)
        st = rdx_error_set(err, RDX_E_DEVICE, "features_ngtdm.c: CUDA %s counts: %s", d->f->name,
                           rdx_cuda_error_string(code));
    for (size_t i = 0, at = 0; !st && i < ni; at += cells[i++])
        memcpy(dst[i], buf + at, cells[i] * sizeof *buf);
    free(buf);
    free(in);
    free(dst);
    free(cells);
    return st;
}

/* Case k's device matrices, zeroed (cells may be 0: empty ROI). */
static int device_buffers(const rdx_nbh_ctx *c, unsigned aggregations, int64_t **pre2d, int64_t **pre3d)
{
    if (aggregations & RDX_AGG_2D)
        *pre2d = thread_matrices(rdx_nbh_cells(c, 1), 1, (size_t)c->in->dim[2]);
    if (aggregations & RDX_AGG_3D)
        *pre3d = thread_matrices(rdx_nbh_cells(c, 0), 1, 1);
    return (!(aggregations & RDX_AGG_2D) || *pre2d) && (!(aggregations & RDX_AGG_3D) || *pre3d) ? 0 : -1;
}

void rdx_nbh_cases(const rdx_nbh_family *f, const rdx_texture_input *const *in, size_t n, int distance, int alpha,
                   unsigned aggregations, double *const *values, rdx_status *st, rdx_error *err)
{
    const size_t nn = n ? n : 1;
    rdx_nbh_levels *lv = calloc(nn, sizeof *lv);
    rdx_nbh_ctx *c = calloc(nn, sizeof *c);
    int64_t **pre2d = calloc(nn, sizeof *pre2d), **pre3d = calloc(nn, sizeof *pre3d);
    size_t *which = calloc(nn, sizeof *which), m = 0;
    const int ready = lv && c && pre2d && pre3d && which;
    for (size_t k = 0; k < n; k++) {
        if (!ready)
            st[k] = rdx_error_set(&err[k], RDX_E_NOMEM, "%s: out of memory", f->name);
        else if (distance < 1 || alpha < 0)
            st[k] = rdx_error_set(&err[k], RDX_E_INVALID,
                                  "features_ngtdm.c: neighbourhood distance %d (must be >= 1) or alpha %d (must be "
                                  ">= 0)",
                                  distance, alpha);
        else
            st[k] = rdx_nbh_levels_build(in[k], &lv[k], &err[k]);
        if (st[k])
            continue;
        c[k] = (rdx_nbh_ctx){in[k], &lv[k], distance, alpha};
        if (in[k]->device != RDX_DEVICE_CUDA)
            continue;
        if (device_buffers(&c[k], aggregations, &pre2d[k], &pre3d[k]))
            st[k] = out_of_memory(&c[k], rdx_nbh_cells(&c[k], 1), &err[k]);
        else
            which[m++] = k;
    }
    nbh_device d = {f, c, aggregations, pre2d, pre3d};
    rdx_cases_together(nbh_device_counts, &d, which, m, st, err);
    for (size_t k = 0; k < n; k++) {
        if (!st[k] && (aggregations & RDX_AGG_2D))
            st[k] = aggregate_2d(f, &c[k], pre2d[k], values[k], &err[k]);
        if (!st[k] && (aggregations & RDX_AGG_3D))
            st[k] = aggregate_3d(f, &c[k], pre3d[k], values[k], &err[k]);
        if (ready) {
            free(pre2d[k]);
            free(pre3d[k]);
            rdx_nbh_levels_free(&lv[k]);
        }
    }
    free(lv);
    free(c);
    free(pre2d);
    free(pre3d);
    free(which);
}

rdx_status rdx_nbh_run(const rdx_nbh_family *f, const rdx_texture_input *in, int distance, int alpha,
                       unsigned aggregations, double *values, rdx_error *err)
{
    rdx_status st;
    rdx_nbh_cases(f, &in, 1, distance, alpha, aggregations, &values, &st, err);
    return st;
}

/* ---- NGTDM ---- */

/* Voxels without ROI neighbours are left out (IBSI). */
static void ngtdm_add(int64_t *row, int64_t g, const rdx_nbh_tally *t)
{
    if (t->n == 0)
        return;
    row[0]++;
    row[t->n] += rdx_ngtdm_difference(g, t);
}

/* The NGTDM counts of one centre row. cn[x], cs[x]: ROI voxels and grey sum
 * of column x of the window (its rows at that x), valid for x in -rx-1 ..
 * dim[0] + rx - 1 and 0 outside the box; the tally of voxel x is then the
 * sum of columns x - rx .. x + rx less the centre, slid along the row. */
static void ngtdm_row(const rdx_nbh_ctx *c, const rdx_nbh_row *r, int32_t *restrict cn, int64_t *restrict cs,
                      int64_t width, int64_t *m)
{
    int64_t rx = r->rx, x0 = r->x0, x1 = r->x1;
    int64_t xs = x0 - rx - 1 < 0 ? 0 : x0 - rx - 1, xe = x1 + rx > c->in->dim[0] ? c->in->dim[0] : x1 + rx;
    for (int64_t x = xs; x < xe; x++) {
        cn[x] = 0;
        cs[x] = 0;
    }
    for (int64_t z = r->z0; z <= r->z1; z++)
        for (int64_t y = r->y0; y <= r->y1; y++) {
            const int32_t *restrict h = rdx_nbh_row_grey(c, y, z);
            for (int64_t x = xs; x < xe; x++) {
                cn[x] += h[x] > 0;
                cs[x] += h[x];
            }
        }
    int64_t n = 0, sum = 0; /* window of x0 - 1 */
    for (int64_t x = x0 - rx - 1; x < x0 + rx; x++) {
        n += cn[x];
        sum += cs[x];
    }
    const int32_t *level_row = c->lv->row;
    for (int64_t x = x0; x < x1; x++) {
        n += cn[x + rx] - cn[x - rx - 1];
        sum += cs[x + rx] - cs[x - rx - 1];
        int64_t g = r->centre[x];
        if (g > 0) {
            rdx_nbh_tally t = {n - 1, sum - g, 0};
            ngtdm_add(m + (size_t)level_row[g] * (size_t)width, g, &t);
        }
    }
}

int rdx_ngtdm_count(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m)
{
    const int64_t *d = c->in->dim;
    int64_t rx = c->distance < d[0] - 1 ? c->distance : d[0] - 1, width = rdx_nbh_max_neighbours(c, in_plane) + 1;
    size_t len = (size_t)(d[0] + 2 * rx + 1);
    int32_t *cn = calloc(len, sizeof *cn);
    int64_t *cs = calloc(len, sizeof *cs);
    int ok = cn && cs;
    for (int64_t z = z0; ok && z < z1; z++)
        for (int64_t y = 0; y < d[1]; y++) {
            rdx_nbh_row r;
            if (rdx_nbh_row_at(c, in_plane, y, z, &r))
                ngtdm_row(c, &r, cn + rx + 1, cs + rx + 1, width, m);
        }
    free(cn);
    free(cs);
    return ok ? 0 : -1;
}

/* The five features from the levels present (level i, p_i, s_i; n of them). */
static void ngtdm_from_levels(int n, const double *level, const double *p, const double *s, double n_vc,
                              double *out)
{
    double sum_ps = 0.0, sum_s = 0.0;
    for (int a = 0; a < n; a++) {
        sum_ps += p[a] * s[a];
        sum_s += s[a];
    }
    /* Pairs a < b; every double sum over i, j is symmetric, so twice this. */
    double con = 0.0, bus = 0.0, cpx = 0.0, str = 0.0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            double dl = level[b] - level[a], d2 = dl * dl;
            con += p[a] * p[b] * d2;
            bus += fabs(level[a] * p[a] - level[b] * p[b]);
            cpx += dl * (p[a] * s[a] + p[b] * s[b]) / (p[a] + p[b]);
            str += (p[a] + p[b]) * d2;
        }
    /* IBSI conventions for the degenerate cases: coarseness of a region
     * without differences 1e6; contrast, busyness, strength 0. */
    out[0] = sum_ps > 0.0 ? 1.0 / sum_ps : 1e6;
    out[1] = n > 1 ? 2.0 * con / ((double)n * (double)(n - 1)) * (sum_s / n_vc) : 0.0;
    out[2] = bus > 0.0 ? sum_ps / (2.0 * bus) : 0.0;
    out[3] = 2.0 * cpx / n_vc;
    out[4] = sum_s > 0.0 ? 2.0 * str / sum_s : 0.0;
}

int rdx_ngtdm_features(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out)
{
    int64_t width = rdx_nbh_max_neighbours(c, in_plane) + 1, n_vc = 0;
    for (int r = 0; r < c->lv->n; r++)
        n_vc += m[(size_t)r * (size_t)width];
    if (n_vc == 0)
        return 0;
    double *buf = malloc(3 * ((size_t)c->lv->n + 1) * sizeof *buf);
    if (!buf)
        return -1;
    double *level = buf, *p = level + c->lv->n + 1, *s = p + c->lv->n + 1;
    int n = 0;
    for (int r = 0; r < c->lv->n; r++) {
        const int64_t *row = m + (size_t)r * (size_t)width;
        if (row[0] == 0)
            continue;
        level[n] = c->lv->level[r];
        p[n] = (double)row[0] / (double)n_vc;
        s[n] = 0.0;
        for (int64_t w = 1; w < width; w++)
            s[n] += (double)row[w] / (double)w;
        n++;
    }
    ngtdm_from_levels(n, level, p, s, (double)n_vc, out);
    free(buf);
    return 1;
}

static const int ngtdm_ids[3][5] = {
    {RDX_F_NGT_COARSENESS_2D, RDX_F_NGT_CONTRAST_2D, RDX_F_NGT_BUSYNESS_2D, RDX_F_NGT_COMPLEXITY_2D,
     RDX_F_NGT_STRENGTH_2D},
    {RDX_F_NGT_COARSENESS_2_5D, RDX_F_NGT_CONTRAST_2_5D, RDX_F_NGT_BUSYNESS_2_5D, RDX_F_NGT_COMPLEXITY_2_5D,
     RDX_F_NGT_STRENGTH_2_5D},
    {RDX_F_NGT_COARSENESS_3D, RDX_F_NGT_CONTRAST_3D, RDX_F_NGT_BUSYNESS_3D, RDX_F_NGT_COMPLEXITY_3D,
     RDX_F_NGT_STRENGTH_3D}};

static const rdx_nbh_family ngtdm_family = {5,
                                            "NGTDM",
                                            rdx_ngtdm_count,
                                            rdx_cuda_ngtdm_counts,
                                            rdx_ngtdm_features,
                                            {ngtdm_ids[0], ngtdm_ids[1], ngtdm_ids[2]}};

rdx_status rdx_family_ngtdm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    return rdx_nbh_run(&ngtdm_family, in, t->ngtdm_distance, 0, t->aggregations, values, err);
}

void rdx_family_ngtdm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err)
{
    rdx_nbh_cases(&ngtdm_family, in, n, t->ngtdm_distance, 0, t->aggregations, values, st, err);
}
