/* Intensity-volume histogram features (IBSI reference manual 3.5).
 *
 * ROI intensities are mapped onto a grid of discretised intensities
 * X_d(k), k = 0..K, according to the IVH settings:
 *   none (discrete intensities, w = 1): X_d(k) = lo + k, integers required;
 *   fixed bin size w (continuous case): X_d(k) = lo + (k + 1/2) w, bin centres;
 *   fixed bin number Ng (arbitrary units): X_d(k) = k + 1.
 * lo/hi come from the re-segmentation range when use_resegmentation_range is
 * set and the bound is finite, otherwise from the ROI minimum/maximum (FBN
 * always uses the ROI range). The intensity fraction of grid point k is
 * gamma_k = k / K, the volume fraction nu_k the fraction of ROI voxels with
 * k' >= k. Then
 *   V_x = nu at the smallest k with gamma_k >= x,
 *   I_x = X_d at the smallest k with nu_k <= x (X_d(K + 1) when none).
 * Method none on non-integer intensities (MR, PET, dose in Gy) leaves the IVH
 * features undefined (NaN) instead of failing the case: fixed_bin_size is
 * the method for continuous values. */
#include <math.h>
#include <stdlib.h>

#include "families.h"
#include "kernels.h"
#include "voxel_ops.h"

#define IVH_MAX_GRID 50000000

typedef struct {
    double lo, w;    /* X_d(k) = lo + (k + offset) * w */
    double offset;
    int64_t k_max;   /* K */
    rdx_disc_info fbn;
    int use_fbn;
    int undefined;   /* method none on non-integer intensities */
} ivh_grid;

/* The grid index of x is rdx_disc_bin(x, bins) - 1: FBN bins for the FBN
 * method, else fixed bins of width w from lo, which give
 * clamp(floor((x - lo) / w), 0, K). One rule for the CPU loop and the
 * histogram kernel. */
static rdx_disc_info grid_bins(const ivh_grid *g)
{
    if (g->use_fbn)
        return g->fbn;
    return (rdx_disc_info){RDX_DISC_FIXED_BIN_SIZE, (int)(g->k_max + 1), g->lo, g->lo + (double)(g->k_max + 1) * g->w,
                           g->w};
}

/* count[k] = number of x with grid index k, k = 0..K. */
static rdx_status grid_counts(const float *x, size_t n, const ivh_grid *g, rdx_device device, int64_t *count,
                              rdx_error *err)
{
    rdx_disc_info bins = grid_bins(g);
    if (device == RDX_DEVICE_CUDA) {
        int code = rdx_cuda_intensity_histogram(x, n, &bins, count);
        return code ? rdx_error_set(err, RDX_E_DEVICE, "intensity-volume histogram: CUDA counts: %s",
                                    rdx_cuda_error_string(code))
                    : RDX_OK;
    }
    for (size_t i = 0; i < n; i++)
        count[rdx_disc_bin(x[i], &bins) - 1]++;
    return RDX_OK;
}

static rdx_status setup_grid(const rdx_settings *s, double mn, double mx, int all_integer, ivh_grid *g,
                             rdx_error *err)
{
    const rdx_resegmentation *r = &s->resegmentation;
    int use_range = s->ivh_use_reseg_range && r->range_enabled;
    double lo = use_range && isfinite(r->range[0]) ? r->range[0] : mn;
    double hi = use_range && isfinite(r->range[1]) ? r->range[1] : mx;
    double kmax;
    g->use_fbn = 0;
    g->offset = 0.0;
    g->w = 1.0;
    switch (s->ivh.method) {
    case RDX_DISC_FIXED_BIN_NUMBER:
        g->use_fbn = 1;
        g->fbn = (rdx_disc_info){RDX_DISC_FIXED_BIN_NUMBER, s->ivh.bin_number, mn, mx,
                                 (mx - mn) / s->ivh.bin_number};
        g->lo = 1.0;
        kmax = s->ivh.bin_number - 1;
        break;
    case RDX_DISC_FIXED_BIN_SIZE:
        if (s->ivh.min_set)
            lo = s->ivh.min_value;
        if (mn < lo)
            return rdx_error_set(err, RDX_E_INVALID,
                                 "intensity-volume histogram: ROI minimum %g is below the lower bound %g", mn, lo);
        g->w = s->ivh.bin_width;
        g->offset = 0.5;
        /* A finite range upper bound closes the last bin; else the ROI maximum's bin. */
        kmax = use_range && isfinite(r->range[1]) ? fmax(ceil((hi - lo) / g->w) - 1, 0.0)
                                                  : floor((mx - lo) / g->w);
        g->lo = lo;
        break;
    default:
        if (!all_integer) {
            g->undefined = 1;
            return RDX_OK;
        }
        /* Integer intensities: the grid runs over the integers within the range. */
        g->lo = ceil(lo);
        kmax = floor(hi) - g->lo;
        break;
    }
    if (!(kmax >= 0 && kmax <= IVH_MAX_GRID))
        return rdx_error_set(err, RDX_E_INVALID,
                             "intensity-volume histogram: %.0f grid points (limit %d); use wider bins",
                             kmax + 1, IVH_MAX_GRID);
    g->k_max = (int64_t)kmax;
    return RDX_OK;
}

rdx_status rdx_family_ivh(const float *x, size_t n, const rdx_settings *s, rdx_device device, double *v,
                          rdx_error *err)
{
    double mn = INFINITY, mx = -INFINITY;
    int all_integer = 1;
    for (size_t i = 0; i < n; i++) {
        mn = fmin(mn, x[i]);
        mx = fmax(mx, x[i]);
        all_integer &= x[i] == floor(x[i]);
    }
    ivh_grid g = {0};
    rdx_status st = setup_grid(s, mn, mx, all_integer, &g, err);
    if (st || g.undefined)
        return st;
    int64_t K = g.k_max;
    int64_t *ge = calloc((size_t)K + 2, sizeof *ge);
    if (!ge)
        return rdx_error_set(err, RDX_E_NOMEM, "intensity-volume histogram: out of memory");
    if ((st = grid_counts(x, n, &g, device, ge, err))) {
        free(ge);
        return st;
    }
    for (int64_t k = K - 1; k >= 0; k--) /* counts -> voxels at or above k */
        ge[k] += ge[k + 1];

    double nd = (double)n, vol_at[2], int_at[2];
    const double frac[2] = {0.10, 0.90};
    for (int f = 0; f < 2; f++) {
        int64_t k = 0;
        while (k < K && (double)k / (double)K < frac[f])
            k++;
        vol_at[f] = (K == 0 && frac[f] > 0) ? 0.0 : (double)ge[k] / nd;
        k = 0;
        while (k <= K && (double)ge[k] / nd > frac[f])
            k++;
        int_at[f] = g.lo + ((double)k + g.offset) * g.w;
    }
    free(ge);
    v[RDX_F_IVH_V10] = vol_at[0];
    v[RDX_F_IVH_V90] = vol_at[1];
    v[RDX_F_IVH_I10] = int_at[0];
    v[RDX_F_IVH_I90] = int_at[1];
    v[RDX_F_IVH_DIFF_V10_V90] = vol_at[0] - vol_at[1];
    v[RDX_F_IVH_DIFF_I10_I90] = int_at[0] - int_at[1];
    return RDX_OK;
}
