/* Neighbouring grey level dependence matrix features (IBSI reference manual
 * 3.11), the 17 features for the 2D, 2.5D and 3D aggregations.
 *
 * Definition: a neighbour of a ROI voxel (Chebyshev distance <= delta, centre
 * excluded, in the ROI) is dependent when its grey level differs from the
 * centre's by at most alpha. s_ij counts the ROI voxels of grey level i with
 * dependence count j = 1 + number of dependent neighbours (IBSI counts the
 * centre itself, so j >= 1 and every ROI voxel is counted once: N_s = N_v).
 * p_ij = s_ij / N_s. The grey level i in the emphasis features is the level
 * itself, not its row.
 *
 * Work split: the aggregation driver in features_ngtdm.c (rdx_nbh_run) hands
 * slices to threads, each counting into its own integer matrix (or counts on
 * the CUDA device, kernels/neighbourhood.cu); features come from the merged
 * integers with one sequential double routine.
 *
 * Counting on the CPU goes a centre row at a time: for each neighbour row of
 * the window and each x offset, one compare loop over the row's centres
 * (vectorised by the compiler), clipped at the box edges by its bounds. */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "neighbours.h"

/* dep[i] += whether h[i] is a dependent ROI neighbour of centre i: equal to
 * it when alpha is 0 (a ROI centre is > 0, so equal is in the ROI), else in
 * lo[i]..hi[i], the centre's levels within alpha clipped to 1..n_grey. */
static void dependent_equal(int32_t *restrict dep, const int32_t *restrict g, const int32_t *restrict h, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dep[i] += h[i] == g[i];
}

static void dependent_within(int32_t *restrict dep, const int32_t *restrict lo, const int32_t *restrict hi,
                             const int32_t *restrict h, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dep[i] += (h[i] >= lo[i]) & (h[i] <= hi[i]);
}

/* Scratch of a centre row, one entry per voxel: dependent neighbours and the
 * centre's range of dependent levels (alpha > 0). */
typedef struct {
    int32_t *dep, *lo, *hi;
} ngldm_scratch;

/* The NGLDM counts of one centre row: its voxels' dependent neighbours,
 * dep[x - x0], summed over the window's rows and x offsets, each offset over
 * the centres whose neighbour at that offset lies inside the box. */
static void ngldm_row(const rdx_nbh_ctx *c, const rdx_nbh_row *r, const ngldm_scratch *s, int64_t width, int64_t *m)
{
    int64_t nx = c->in->dim[0], x0 = r->x0, x1 = r->x1, alpha = c->alpha, top = c->in->n_grey;
    for (int64_t x = x0; x < x1; x++)
        s->dep[x - x0] = 0;
    if (alpha > 0)
        for (int64_t x = x0; x < x1; x++) {
            int64_t g = r->centre[x];
            s->lo[x - x0] = (int32_t)(g - alpha > 1 ? g - alpha : 1);
            s->hi[x - x0] = (int32_t)(g + alpha < top ? g + alpha : top);
        }
    for (int64_t z = r->z0; z <= r->z1; z++)
        for (int64_t y = r->y0; y <= r->y1; y++) {
            const int32_t *h = rdx_nbh_row_grey(c, y, z);
            for (int64_t dx = -r->rx; dx <= r->rx; dx++) {
                if (dx == 0 && h == r->centre)
                    continue;
                int64_t lo = x0 > -dx ? x0 : -dx, hi = x1 < nx - dx ? x1 : nx - dx, k = lo - x0;
                if (alpha == 0)
                    dependent_equal(s->dep + k, r->centre + lo, h + lo + dx, hi - lo);
                else
                    dependent_within(s->dep + k, s->lo + k, s->hi + k, h + lo + dx, hi - lo);
            }
        }
    const int32_t *level_row = c->lv->row;
    for (int64_t x = x0; x < x1; x++) {
        int32_t g = r->centre[x];
        if (g > 0)
            m[(size_t)level_row[g] * (size_t)width + (size_t)s->dep[x - x0]]++;
    }
}

int rdx_ngldm_count(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m)
{
    const int64_t *d = c->in->dim;
    int64_t width = rdx_nbh_max_neighbours(c, in_plane) + 1;
    int32_t *buf = malloc(3 * (size_t)d[0] * sizeof *buf);
    if (!buf)
        return -1;
    ngldm_scratch s = {buf, buf + d[0], buf + 2 * d[0]};
    for (int64_t z = z0; z < z1; z++)
        for (int64_t y = 0; y < d[1]; y++) {
            rdx_nbh_row r;
            if (rdx_nbh_row_at(c, in_plane, y, z, &r))
                ngldm_row(c, &r, &s, width, m);
        }
    free(buf);
    return 0;
}

enum { LDE, HDE, LGCE, HGCE, LDLGE, LDHGE, HDLGE, HDHGE, GLNU, GLNU_NORM, DCNU, DCNU_NORM, DC_PERC, GL_VAR,
       DC_VAR, DC_ENTR, DC_ENERGY, N_NGLDM };

/* Sum of squared row sums (by = 0) or column sums (by = 1) of m. */
static double squared_margins(const int64_t *m, int rows, int64_t width, int by)
{
    int64_t outer = by ? width : rows, inner = by ? rows : width;
    double acc = 0.0;
    for (int64_t a = 0; a < outer; a++) {
        int64_t sum = 0;
        for (int64_t b = 0; b < inner; b++)
            sum += by ? m[b * width + a] : m[a * width + b];
        acc += (double)sum * (double)sum;
    }
    return acc;
}

int rdx_ngldm_features(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out)
{
    int rows = c->lv->n;
    int64_t width = rdx_nbh_max_neighbours(c, in_plane) + 1, total = 0;
    for (size_t k = 0; k < (size_t)rows * (size_t)width; k++)
        total += m[k];
    if (total == 0)
        return 0;
    double ns = (double)total, f[N_NGLDM] = {0}, mu_i = 0.0, mu_j = 0.0;
    for (int r = 0; r < rows; r++) {
        double i = c->lv->level[r], i2 = i * i;
        for (int64_t k = 0; k < width; k++) {
            if (m[r * width + k] == 0)
                continue;
            double s = (double)m[r * width + k], j = (double)(k + 1), j2 = j * j, p = s / ns;
            f[LDE] += s / j2;
            f[HDE] += s * j2;
            f[LGCE] += s / i2;
            f[HGCE] += s * i2;
            f[LDLGE] += s / (i2 * j2);
            f[LDHGE] += s * i2 / j2;
            f[HDLGE] += s * j2 / i2;
            f[HDHGE] += s * i2 * j2;
            f[DC_ENTR] -= p * log2(p);
            f[DC_ENERGY] += p * p;
            mu_i += i * p;
            mu_j += j * p;
        }
    }
    for (int r = 0; r < rows; r++)
        for (int64_t k = 0; k < width; k++) {
            double p = (double)m[r * width + k] / ns, di = c->lv->level[r] - mu_i, dj = (double)(k + 1) - mu_j;
            f[GL_VAR] += di * di * p;
            f[DC_VAR] += dj * dj * p;
        }
    for (int e = LDE; e <= HDHGE; e++)
        f[e] /= ns;
    f[GLNU] = squared_margins(m, rows, width, 0) / ns;
    f[GLNU_NORM] = f[GLNU] / ns;
    f[DCNU] = squared_margins(m, rows, width, 1) / ns;
    f[DCNU_NORM] = f[DCNU] / ns;
    f[DC_PERC] = 1.0; /* N_s / N_v: every ROI voxel has a dependence count */
    for (int e = 0; e < N_NGLDM; e++)
        out[e] = f[e];
    return 1;
}

#define NGL_IDS(agg)                                                                                         \
    {RDX_F_NGL_LDE_##agg,      RDX_F_NGL_HDE_##agg,   RDX_F_NGL_LGCE_##agg,    RDX_F_NGL_HGCE_##agg,           \
     RDX_F_NGL_LDLGE_##agg,    RDX_F_NGL_LDHGE_##agg, RDX_F_NGL_HDLGE_##agg,   RDX_F_NGL_HDHGE_##agg,          \
     RDX_F_NGL_GLNU_##agg,     RDX_F_NGL_GLNU_NORM_##agg, RDX_F_NGL_DCNU_##agg, RDX_F_NGL_DCNU_NORM_##agg,     \
     RDX_F_NGL_DC_PERC_##agg,  RDX_F_NGL_GL_VAR_##agg, RDX_F_NGL_DC_VAR_##agg, RDX_F_NGL_DC_ENTR_##agg,       \
     RDX_F_NGL_DC_ENERGY_##agg}

_Static_assert(N_NGLDM <= RDX_NBH_MAX_FEATURES, "feature buffer of the aggregation driver");

static const int ngldm_ids[3][N_NGLDM] = {NGL_IDS(2D), NGL_IDS(2_5D), NGL_IDS(3D)};

static const rdx_nbh_family ngldm_family = {N_NGLDM,
                                            "NGLDM",
                                            rdx_ngldm_count,
                                            rdx_cuda_ngldm_counts,
                                            rdx_ngldm_features,
                                            {ngldm_ids[0], ngldm_ids[1], ngldm_ids[2]}};

rdx_status rdx_family_ngldm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    return rdx_nbh_run(&ngldm_family, in, t->ngldm_distance, t->ngldm_alpha, t->aggregations, values, err);
}

void rdx_family_ngldm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err)
{
    rdx_nbh_cases(&ngldm_family, in, n, t->ngldm_distance, t->ngldm_alpha, t->aggregations, values, st, err);
}
