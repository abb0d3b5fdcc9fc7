/* One case from image and mask to feature values: the IBSI processing chain
 * (calibration, interpolation, rounding, re-segmentation, discretisation)
 * followed by every enabled feature family. No I/O: the caller reads the
 * volumes and writes the results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"
#include "rdx/features.h"
#include "rdx/preprocess.h"
#include "voxel_ops.h"

typedef struct {
    rdx_image image;     /* working image (owned copy, or a borrowed view) */
    rdx_mask morph;      /* morphological mask after interpolation */
    rdx_mask intensity;  /* intensity mask after re-segmentation */
    int own_image, own_morph;
} work_set;

static void work_free(work_set *w)
{
    if (w->own_image) rdx_image_free(&w->image);
    if (w->own_morph) rdx_mask_free(&w->morph);
    rdx_mask_free(&w->intensity);
}

static rdx_status copy_image(const rdx_image *in, rdx_image *out, rdx_error *err)
{
    rdx_status st = rdx_image_alloc(out, &in->grid, err);
    if (!st)
        memcpy(out->data, in->data, rdx_grid_count(&in->grid) * sizeof *in->data);
    return st;
}

static rdx_status copy_mask(const rdx_mask *in, rdx_mask *out, rdx_error *err)
{
    rdx_status st = rdx_mask_alloc(out, &in->grid, err);
    if (!st)
        memcpy(out->data, in->data, rdx_grid_count(&in->grid));
    return st;
}

/* Calibration and interpolation; the inputs are copied only when a step changes them. */
static rdx_status prepare_grid(const rdx_image *image, const rdx_mask *mask, const rdx_settings *s, work_set *w,
                               double *values, rdx_error *err)
{
    rdx_status st;
    w->image = *image;
    w->morph = *mask;
    if (s->calibration.n_pieces > 0) {
        if ((st = copy_image(image, &w->image, err)))
            return st;
        w->own_image = 1;
        rdx_calibrate(&w->image, &s->calibration);
    }
    if (s->families & RDX_FAMILY_DIAG) {
        rdx_diag_image(&w->image, 0, values);
        rdx_diag_roi(&w->image, &w->morph, &w->morph, 0, values);
    }
    if (s->resampling.enabled) {
        const rdx_resampling *r = &s->resampling;
        double sp[3] = {r->spacing[0], r->spacing[1], r->in_plane_only ? 0.0 : r->spacing[2]};
        rdx_grid target;
        rdx_image resampled;
        rdx_resample_grid(&image->grid, sp, &target);
        if ((st = rdx_resample_image(&w->image, &target, r->image_interp, &resampled, err)))
            return st;
        if (w->own_image)
            rdx_image_free(&w->image);
        w->image = resampled;
        w->own_image = 1;
        if ((st = rdx_resample_mask(mask, &target, r->mask_interp, r->mask_threshold, &w->morph, err)))
            return st;
        w->own_morph = 1;
    }
    if (s->resampling.round_intensities) {
        if (!w->own_image) {
            if ((st = copy_image(image, &w->image, err)))
                return st;
            w->own_image = 1;
        }
        rdx_round_intensities(&w->image);
    }
    if (s->families & RDX_FAMILY_DIAG) {
        rdx_diag_image(&w->image, 1, values);
        rdx_diag_roi(&w->image, &w->morph, &w->morph, 1, values);
    }
    return RDX_OK;
}

/* ROI intensities in index order; *out owned by the caller. */
static rdx_status roi_values(const rdx_image *img, const rdx_mask *m, float **out, size_t *n,
                             rdx_error *err)
{
    size_t total = rdx_grid_count(&img->grid), k = 0;
    *n = rdx_mask_count(m);
    *out = malloc((*n ? *n : 1) * sizeof **out);
    if (!*out)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %zu ROI voxels", *n);
    for (size_t i = 0; i < total; i++)
        if (m->data[i])
            (*out)[k++] = img->data[i];
    return RDX_OK;
}

static rdx_status intensity_histogram(const float *x, size_t n, const rdx_settings *s, double *values,
                                      rdx_error *err)
{
    double mn = INFINITY, mx = -INFINITY;
    int all_integer = 1;
    for (size_t i = 0; i < n; i++) {
        mn = fmin(mn, x[i]);
        mx = fmax(mx, x[i]);
        all_integer &= x[i] == floorf(x[i]);
    }
    /* Texture matrices are n_bins x n_bins doubles: refuse bin counts that cannot fit. */
    double max_bins = floor(sqrt((double)s->max_matrix_bytes / sizeof(double)));
    rdx_disc_info info;
    rdx_status st = rdx_disc_setup(&s->discretisation, &s->resegmentation, mn, mx, all_integer,
                                   (int)fmin(max_bins, 1e9), &info, err);
    if (st)
        return st;
    int64_t *hist = calloc((size_t)info.n_bins + 1, sizeof *hist);
    if (!hist)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %d histogram bins", info.n_bins);
    for (size_t i = 0; i < n; i++)
        hist[rdx_disc_bin(x[i], &info)]++;
    rdx_family_intensity_histogram(hist, info.n_bins, values);
    free(hist);
    return RDX_OK;
}

static rdx_status run_families(const work_set *w, const rdx_settings *s, double *values, rdx_error *err)
{
    float *x;
    size_t n;
    rdx_status st = roi_values(&w->image, &w->intensity, &x, &n, err);
    if (st)
        return st;
    if (!st && (s->families & RDX_FAMILY_LOC))
        st = rdx_family_local_intensity(&w->image, &w->intensity, values, err);
    if (!st && (s->families & RDX_FAMILY_IVH))
        st = rdx_family_ivh(x, n, s, values, err);
    if (!st && (s->families & RDX_FAMILY_IH))
        st = intensity_histogram(x, n, s, values, err);
    if (!st && (s->families & RDX_FAMILY_STAT)) /* last: it reorders x */
        st = rdx_family_intensity_stats(x, n, values, err);
    free(x);
    return st;
}

rdx_status rdx_extract_case(const rdx_image *image, const rdx_mask *mask, const rdx_settings *s,
                            const char *image_path, double *values, rdx_error *err)
{
    for (int f = 0; f < RDX_F_COUNT; f++)
        values[f] = NAN;
    work_set w;
    memset(&w, 0, sizeof w);
    rdx_status st = prepare_grid(image, mask, s, &w, values, err);
    if (!st)
        st = copy_mask(&w.morph, &w.intensity, err);
    if (!st) {
        size_t before = rdx_mask_count(&w.intensity);
        rdx_resegment(&w.image, &w.intensity, &s->resegmentation);
        if (s->families & RDX_FAMILY_DIAG)
            rdx_diag_roi(&w.image, &w.intensity, &w.morph, 2, values);
        if (before == 0)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI, "the ROI is empty%s",
                               s->resampling.enabled ? " after interpolation" : "");
        else if (rdx_mask_count(&w.intensity) == 0)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI,
                               "the ROI is empty after re-segmentation (%zu voxels before; range %g .. %g)",
                               before, s->resegmentation.range[0], s->resegmentation.range[1]);
    }
    if (!st)
        st = run_families(&w, s, values, err);
    work_free(&w);
    if (st && image_path) {
        char msg[RDX_ERROR_MSG_LEN];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rdx_error_set(err, st, "%s: %s", image_path, msg);
    }
    return st;
}
