/* IBSI resampling (reference manual 2.4): grid alignment by grid centres and
 * nearest / trilinear / cubic B-spline interpolation of images and masks
 * (include/rdx/preprocess.h). The per-point arithmetic lives in interp.h,
 * shared with the CUDA kernel (kernels/resample.cu); this file builds the
 * per-axis tap tables and the spline coefficients, and runs the OpenMP loop
 * or the kernel. */
#include "rdx/preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "families.h"
#include "interp.h"
#include "kernels.h"

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ---- grid alignment ---------------------------------------------------- */

/* n' = ceil(n s / s'); the 1e-6 absorbs floating noise such as 90.0000000001. */
static int64_t aligned_dim(int64_t n, double s, double s_new)
{
    double v = ceil((double)n * s / s_new - 1e-6);
    return (v >= 1.0 && v < 1e15) ? (int64_t)v : 0; /* 0 marks an unusable grid */
}

/* Old fractional index of new index 0 when both grids share their centre:
 * ((n-1) - (n'-1) s'/s) / 2. */
static double centred_offset(int64_t n, double s, int64_t n_new, double s_new)
{
    return ((double)(n - 1) - (double)(n_new - 1) * (s_new / s)) / 2.0;
}

void rdx_resample_grid(const rdx_grid *in, const double new_spacing[3], rdx_grid *out)
{
    rdx_grid g = *in; /* a copy, so that out may alias in */
    double shift_mm[3];
    for (int a = 0; a < 3; a++) {
        int keep = !(new_spacing[a] > 0.0);
        double s = in->spacing[a], s_new = keep ? s : new_spacing[a];
        g.dim[a] = keep ? in->dim[a] : aligned_dim(in->dim[a], s, s_new);
        g.spacing[a] = s_new;
        shift_mm[a] = centred_offset(in->dim[a], s, g.dim[a], s_new) * s;
    }
    for (int r = 0; r < 3; r++) {
        double o = in->origin[r];
        for (int c = 0; c < 3; c++)
            o += in->direction[r * 3 + c] * shift_mm[c];
        g.origin[r] = o;
    }
    *out = g;
}

/* ---- validation and coordinate mapping --------------------------------- */

static rdx_status check_grids(const rdx_grid *src, const rdx_grid *target, rdx_interp method,
                              rdx_error *err)
{
    if (method != RDX_INTERP_NEAREST && method != RDX_INTERP_LINEAR && method != RDX_INTERP_CUBIC_SPLINE)
        return rdx_error_set(err, RDX_E_INVALID, "resample: unknown interpolation method %d", (int)method);
    if (target->dim[0] <= 0 || target->dim[1] <= 0 || target->dim[2] <= 0)
        return rdx_error_set(err, RDX_E_INVALID, "resample: target grid has zero size (%lld x %lld x %lld)",
                             (long long)target->dim[0], (long long)target->dim[1],
                             (long long)target->dim[2]);
    if (src->dim[0] <= 0 || src->dim[1] <= 0 || src->dim[2] <= 0)
        return rdx_error_set(err, RDX_E_INVALID, "resample: input grid has zero size (%lld x %lld x %lld)",
                             (long long)src->dim[0], (long long)src->dim[1], (long long)src->dim[2]);
    for (int a = 0; a < 3; a++)
        if (!(src->spacing[a] > 0.0) || !(target->spacing[a] > 0.0))
            return rdx_error_set(err, RDX_E_INVALID,
                                 "resample: spacing along axis %d must be positive (input %g, target %g mm)", a,
                                 src->spacing[a], target->spacing[a]);
    for (int i = 0; i < 9; i++)
        if (fabs(src->direction[i] - target->direction[i]) > 1e-4)
            return rdx_error_set(err, RDX_E_INVALID,
                                 "resample: target direction cosine [%d][%d] %.5f differs from the input's %.5f "
                                 "(rotations are not supported)",
                                 i / 3, i % 3, target->direction[i], src->direction[i]);
    return RDX_OK;
}

/* Source fractional index of target index 0 along axis a. The target origin went
 * through world-coordinate arithmetic; when it agrees with the IBSI centred
 * offset we use that exact value, so that nearest-neighbour ties (x = k + 0.5)
 * fall on the side the formula gives rather than on rounding noise. */
static double source_offset(const rdx_grid *src, const rdx_grid *target, int a)
{
    double proj = 0.0;
    for (int r = 0; r < 3; r++)
        proj += src->direction[r * 3 + a] * (target->origin[r] - src->origin[r]);
    proj /= src->spacing[a];
    double centred = centred_offset(src->dim[a], src->spacing[a], target->dim[a], target->spacing[a]);
    return fabs(proj - centred) <= 1e-6 ? centred : proj;
}

/* Per-axis taps: for target index j, k source element offsets off[j*k + t]
 * (index times the axis stride) and weights w[j*k + t]. */
typedef struct {
    int k;
    int64_t *off;
    double *w;
} axis_table;

static void axis_table_free(axis_table t[3])
{
    for (int a = 0; a < 3; a++) {
        free(t[a].off);
        free(t[a].w);
    }
}

static rdx_status axis_tables_build(const rdx_grid *src, const rdx_grid *target, rdx_interp method,
                                    axis_table t[3], rdx_error *err)
{
    memset(t, 0, 3 * sizeof *t);
    int64_t stride = 1;
    for (int a = 0; a < 3; a++) {
        int64_t n = src->dim[a], n_new = target->dim[a];
        int k = rdx_interp_taps(method, n);
        size_t count = (size_t)n_new * (size_t)k;
        t[a].k = k;
        t[a].off = malloc(count * sizeof *t[a].off);
        t[a].w = malloc(count * sizeof *t[a].w);
        if (!t[a].off || !t[a].w) {
            axis_table_free(t);
            return rdx_error_set(err, RDX_E_NOMEM, "resample: cannot allocate %zu interpolation taps for axis %d",
                                 count, a);
        }
        double ratio = target->spacing[a] / src->spacing[a], offset = source_offset(src, target, a);
        for (int64_t j = 0; j < n_new; j++) {
            int64_t idx[RDX_INTERP_MAX_TAPS];
            rdx_interp_axis_taps(method, (double)j * ratio + offset, n, idx, t[a].w + j * k);
            for (int i = 0; i < k; i++)
                t[a].off[j * k + i] = idx[i] * stride;
        }
        stride *= n;
    }
    return RDX_OK;
}

/* ---- spline coefficients ----------------------------------------------- */

/* Prefilter every line along axis a of c in place; lines hold one double
 * buffer of dim[a] values per thread. */
static void prefilter_axis(float *c, const int64_t dim[3], int a, double *lines)
{
    int64_t n = dim[a];
    int64_t stride = a == 0 ? 1 : (a == 1 ? dim[0] : dim[0] * dim[1]);
    int64_t n_lines = dim[0] * dim[1] * dim[2] / n;
#pragma omp parallel
    {
        double *buf = lines + (size_t)thread_id() * (size_t)n;
#pragma omp for schedule(static)
        for (int64_t l = 0; l < n_lines; l++) {
            float *p = c + l % stride + l / stride * stride * n;
            for (int64_t i = 0; i < n; i++)
                buf[i] = p[i * stride];
            rdx_interp_bspline_prefilter(buf, n);
            for (int64_t i = 0; i < n; i++)
                p[i * stride] = (float)buf[i];
        }
    }
}

static rdx_status bspline_coefficients(float *c, const rdx_grid *g, rdx_error *err)
{
    int64_t longest = g->dim[0];
    for (int a = 1; a < 3; a++)
        longest = g->dim[a] > longest ? g->dim[a] : longest;
    size_t count = (size_t)max_threads() * (size_t)longest;
    double *lines = malloc(count * sizeof *lines);
    if (!lines)
        return rdx_error_set(err, RDX_E_NOMEM, "resample: cannot allocate %zu bytes of spline line buffers",
                             count * sizeof *lines);
    for (int a = 0; a < 3; a++)
        if (g->dim[a] > 1)
            prefilter_axis(c, g->dim, a, lines);
    free(lines);
    return RDX_OK;
}

/* ---- the resampling loop ----------------------------------------------- */

/* Source values as floats ready for interpolation: the image itself, or a copy
 * (mask converted to float, spline coefficients). *owned receives the copy, if
 * any, for the caller to free. */
static rdx_status source_values(const rdx_grid *g, const float *img, const uint8_t *mask, rdx_interp method,
                                const float **src, float **owned, rdx_error *err)
{
    *owned = NULL;
    *src = img;
    if (img && method != RDX_INTERP_CUBIC_SPLINE)
        return RDX_OK;
    size_t n = rdx_grid_count(g);
    float *copy = malloc(n * sizeof *copy);
    if (!copy)
        return rdx_error_set(err, RDX_E_NOMEM,
                             "resample: cannot allocate %zu bytes for a float copy of a %lld x %lld x %lld volume",
                             n * sizeof *copy, (long long)g->dim[0], (long long)g->dim[1], (long long)g->dim[2]);
    if (img)
        memcpy(copy, img, n * sizeof *copy);
    else
        for (size_t i = 0; i < n; i++)
            copy[i] = (float)mask[i];
    if (method == RDX_INTERP_CUBIC_SPLINE) {
        rdx_status st = bspline_coefficients(copy, g, err);
        if (st != RDX_OK) {
            free(copy);
            return st;
        }
    }
    *owned = copy;
    *src = copy;
    return RDX_OK;
}

/* The CPU loop: v at every target voxel, stored as float or compared with the threshold. */
static void interpolate_cpu(const float *src, const rdx_grid *target, const axis_table t[3], float *out_img,
                            uint8_t *out_mask, double threshold)
{
    const int64_t nx = target->dim[0], ny = target->dim[1], nz = target->dim[2];
    const int kx = t[0].k, ky = t[1].k, kz = t[2].k;
#pragma omp parallel for schedule(static)
    for (int64_t z = 0; z < nz; z++)
        for (int64_t y = 0; y < ny; y++) {
            size_t row = (size_t)nx * (size_t)(y + ny * z);
            for (int64_t x = 0; x < nx; x++) {
                double v = rdx_interp_point(src, t[0].off + x * kx, t[0].w + x * kx, kx, t[1].off + y * ky,
                                            t[1].w + y * ky, ky, t[2].off + z * kz, t[2].w + z * kz, kz);
                if (out_img)
                    out_img[row + (size_t)x] = (float)v;
                else
                    out_mask[row + (size_t)x] = v >= threshold;
            }
        }
}

/* The same on the CUDA device (kernels/resample.cu); returns its error code. */
static int interpolate_cuda(const float *src, const rdx_grid *g, const rdx_grid *target, const axis_table t[3],
                            float *out_img, uint8_t *out_mask, double threshold)
{
    rdx_cuda_axis_taps taps[3];
    for (int a = 0; a < 3; a++)
        taps[a] = (rdx_cuda_axis_taps){target->dim[a], t[a].k, t[a].off, t[a].w};
    return rdx_cuda_resample(src, rdx_grid_count(g), taps, out_img, out_mask, threshold);
}

/* Interpolate src (on grid g) at every target voxel, on the CPU or the CUDA
 * device (identical results); store into out_img as float, or into out_mask
 * as value >= threshold (exactly one of them non-NULL). The spline prefilter
 * runs on the host either way. */
static rdx_status resample_values(const rdx_grid *g, const float *img, const uint8_t *mask,
                                  const rdx_grid *target, rdx_interp method, rdx_device device, float *out_img,
                                  uint8_t *out_mask, double threshold, rdx_error *err)
{
    const float *src;
    float *owned;
    axis_table t[3];
    rdx_status st = source_values(g, img, mask, method, &src, &owned, err);
    if (st != RDX_OK)
        return st;
    st = axis_tables_build(g, target, method, t, err);
    if (st != RDX_OK) {
        free(owned);
        return st;
    }
    if (device == RDX_DEVICE_CUDA) {
        int code = interpolate_cuda(src, g, target, t, out_img, out_mask, threshold);
        if (code)
            st = rdx_error_set(err, RDX_E_DEVICE, "resample: CUDA interpolation: %s",
                               rdx_cuda_error_string(code));
    } else {
        interpolate_cpu(src, target, t, out_img, out_mask, threshold);
    }
    axis_table_free(t);
    free(owned);
    return st;
}

rdx_status rdx_resample_image_on(const rdx_image *img, const rdx_grid *target, rdx_interp method,
                                 rdx_device device, rdx_image *out, rdx_error *err)
{
    out->data = NULL;
    rdx_status st = check_grids(&img->grid, target, method, err);
    if (st == RDX_OK)
        st = rdx_image_alloc(out, target, err);
    if (st == RDX_OK)
        st = resample_values(&img->grid, img->data, NULL, target, method, device, out->data, NULL, 0.0, err);
    if (st != RDX_OK)
        rdx_image_free(out);
    return st;
}

rdx_status rdx_resample_mask_on(const rdx_mask *m, const rdx_grid *target, rdx_interp method, double threshold,
                                rdx_device device, rdx_mask *out, rdx_error *err)
{
    out->data = NULL;
    rdx_status st = check_grids(&m->grid, target, method, err);
    if (st == RDX_OK)
        st = rdx_mask_alloc(out, target, err);
    /* Nearest neighbour keeps the nearest voxel's 0/1 value whatever the threshold. */
    if (st == RDX_OK)
        st = resample_values(&m->grid, NULL, m->data, target, method, device, NULL, out->data,
                             method == RDX_INTERP_NEAREST ? 0.5 : threshold, err);
    if (st != RDX_OK)
        rdx_mask_free(out);
    return st;
}

rdx_status rdx_resample_image(const rdx_image *img, const rdx_grid *target, rdx_interp method,
                              rdx_image *out, rdx_error *err)
{
    return rdx_resample_image_on(img, target, method, RDX_DEVICE_CPU, out, err);
}

rdx_status rdx_resample_mask(const rdx_mask *m, const rdx_grid *target, rdx_interp method,
                             double threshold, rdx_mask *out, rdx_error *err)
{
    return rdx_resample_mask_on(m, target, method, threshold, RDX_DEVICE_CPU, out, err);
}
