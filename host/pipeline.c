/* One case from image and mask to feature values: the IBSI processing chain
 * (calibration, interpolation, rounding, re-segmentation, discretisation)
 * followed by every enabled feature family. No I/O: the caller reads the
 * volumes and writes the results. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "families.h"
#include "rdx/features.h"
#include "rdx/preprocess.h"
#include "kernels.h"
#include "voxel_ops.h"

typedef struct {
    rdx_image image;     /* working image (owned copy, or a borrowed view) */
    rdx_mask morph;      /* morphological mask after interpolation */
    rdx_mask intensity;  /* intensity mask after re-segmentation (the morphological one without it) */
    int own_image, own_morph, own_intensity;
} work_set;

static void work_free(work_set *w)
{
    if (w->own_image) rdx_image_free(&w->image);
    if (w->own_morph) rdx_mask_free(&w->morph);
    if (w->own_intensity) rdx_mask_free(&w->intensity);
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

/* Makes w's image its own (a copy when it is borrowed) before a step changes it. */
static rdx_status own_image(work_set *w, rdx_error *err)
{
    if (w->own_image)
        return RDX_OK;
    rdx_image copy;
    rdx_status st = copy_image(&w->image, &copy, err);
    if (!st) {
        w->image = copy;
        w->own_image = 1;
    }
    return st;
}

/* Calibration and interpolation of w's image and mask; a borrowed input is
 * copied only when a step changes it. */
static rdx_status prepare_grid(const rdx_settings *s, rdx_device device, work_set *w, double *values,
                               rdx_error *err)
{
    rdx_status st;
    if (s->calibration.n_pieces > 0) {
        if ((st = own_image(w, err)))
            return st;
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
        rdx_mask resampled_mask;
        rdx_resample_grid(&w->image.grid, sp, &target);
        if ((st = rdx_resample_image_on(&w->image, &target, r->image_interp, device, &resampled, err)))
            return st;
        if (w->own_image)
            rdx_image_free(&w->image);
        w->image = resampled;
        w->own_image = 1;
        /* On failure resampled_mask is empty: work_free still frees the rest. */
        st = rdx_resample_mask_on(&w->morph, &target, r->mask_interp, r->mask_threshold, device, &resampled_mask,
                                  err);
        if (w->own_morph)
            rdx_mask_free(&w->morph);
        w->morph = resampled_mask;
        w->own_morph = 1;
        if (st)
            return st;
    }
    if (s->resampling.round_intensities) {
        if ((st = own_image(w, err)))
            return st;
        rdx_round_intensities(&w->image);
    }
    if (s->families & RDX_FAMILY_DIAG) {
        rdx_diag_image(&w->image, 1, values);
        rdx_diag_roi(&w->image, &w->morph, &w->morph, 1, values);
    }
    return RDX_OK;
}

/* ROI intensities in index order; *out owned by the caller. Slices are
 * counted, then copied, in parallel: each slice writes its own stretch. */
static rdx_status roi_values(const rdx_image *img, const rdx_mask *m, float **out, size_t *n,
                             rdx_error *err)
{
    const size_t nz = (size_t)img->grid.dim[2], plane = (size_t)img->grid.dim[0] * (size_t)img->grid.dim[1];
    size_t *start = malloc((nz + 1) * sizeof *start);
    *n = 0;
    *out = NULL;
    if (!start)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %zu slices", nz);
    start[0] = 0;
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < nz; z++) {
        size_t c = 0;
        for (size_t i = z * plane; i < (z + 1) * plane; i++)
            c += m->data[i] != 0;
        start[z + 1] = c;
    }
    for (size_t z = 0; z < nz; z++)
        start[z + 1] += start[z];
    *n = start[nz];
    *out = malloc((*n ? *n : 1) * sizeof **out);
    if (!*out) {
        free(start);
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %zu ROI voxels", *n);
    }
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < nz; z++) {
        size_t k = start[z];
        for (size_t i = z * plane; i < (z + 1) * plane; i++)
            if (m->data[i])
                (*out)[k++] = img->data[i];
    }
    free(start);
    return RDX_OK;
}

/* Range and integrality of the ROI intensities (decides the discretisation). */
static void roi_range(const float *x, size_t n, double *mn, double *mx, int *all_integer)
{
    *mn = INFINITY;
    *mx = -INFINITY;
    *all_integer = 1;
    for (size_t i = 0; i < n; i++) {
        *mn = fmin(*mn, x[i]);
        *mx = fmax(*mx, x[i]);
        *all_integer &= x[i] == floorf(x[i]);
    }
}

/* Counts of the discretised intensities, hist[1..n_bins] (hist[0] unused). */
static rdx_status intensity_histogram(const float *x, size_t n, const rdx_disc_info *info, rdx_device device,
                                      double *values, rdx_error *err)
{
    int64_t *hist = calloc((size_t)info->n_bins + 1, sizeof *hist);
    if (!hist)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %d histogram bins", info->n_bins);
    if (device == RDX_DEVICE_CUDA) {
        int code = rdx_cuda_intensity_histogram(x, n, info, hist + 1);
        if (code) {
            free(hist);
            return rdx_error_set(err, RDX_E_DEVICE, "CUDA intensity histogram: %s",
                                 rdx_cuda_error_string(code));
        }
    } else {
        for (size_t i = 0; i < n; i++)
            hist[rdx_disc_bin(x[i], info)]++;
    }
    rdx_family_intensity_histogram(hist, info->n_bins, values);
    free(hist);
    return RDX_OK;
}

/* Families on discretised grey levels, and those on the ROI box. */
#define GREY_LEVEL_FAMILIES                                                                               \
    (RDX_FAMILY_GLCM | RDX_FAMILY_GLRLM | RDX_FAMILY_GLSZM | RDX_FAMILY_GLDZM | RDX_FAMILY_NGTDM |       \
     RDX_FAMILY_NGLDM)
#define TEXTURE_FAMILIES (RDX_FAMILY_MORPH | GREY_LEVEL_FAMILIES)

/* The bounding box of the morphological mask with grey levels, masks and
 * intensities cut out; the arrays are owned by *box and freed by box_free. */
typedef struct {
    rdx_texture_input in;
    int32_t *grey;
    uint8_t *roi, *morph;
    float *intensity;
} texture_box;

static void box_free(texture_box *b)
{
    free(b->grey);
    free(b->roi);
    free(b->morph);
    free(b->intensity);
}

/* Cut the box out of the working volumes. info is NULL when no grey-level
 * family runs (morphology alone): grey levels are then all 0. */
static rdx_status box_build(const work_set *w, const rdx_disc_info *info, rdx_device device, texture_box *b,
                            rdx_error *err)
{
    const int64_t *d = w->image.grid.dim;
    /* The mask's bounding box, row by row (minima and maxima: the same whatever the threads). */
    int64_t lo0 = d[0], lo1 = d[1], lo2 = d[2], hi0 = -1, hi1 = -1, hi2 = -1;
#pragma omp parallel for schedule(static) reduction(min : lo0, lo1, lo2) reduction(max : hi0, hi1, hi2)
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++) {
            const uint8_t *row = w->morph.data + d[0] * (y + d[1] * z);
            int64_t first = 0, last = d[0] - 1;
            while (first < d[0] && !row[first])
                first++;
            if (first == d[0])
                continue;
            while (!row[last])
                last--;
            lo0 = first < lo0 ? first : lo0;
            hi0 = last > hi0 ? last : hi0;
            lo1 = y < lo1 ? y : lo1;
            hi1 = y > hi1 ? y : hi1;
            lo2 = z < lo2 ? z : lo2;
            hi2 = z > hi2 ? z : hi2;
        }
    const int64_t lo[3] = {lo0, lo1, lo2}, hi[3] = {hi0, hi1, hi2};
    memset(b, 0, sizeof *b);
    for (int a = 0; a < 3; a++) {
        b->in.dim[a] = hi[a] - lo[a] + 1;
        b->in.spacing[a] = w->image.grid.spacing[a];
    }
    size_t n = (size_t)b->in.dim[0] * (size_t)b->in.dim[1] * (size_t)b->in.dim[2];
    b->grey = malloc(n * sizeof *b->grey);
    b->roi = malloc(n);
    b->morph = malloc(n);
    b->intensity = malloc(n * sizeof *b->intensity);
    if (!b->grey || !b->roi || !b->morph || !b->intensity) {
        box_free(b);
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for a %zu-voxel ROI box", n);
    }
#pragma omp parallel for schedule(static)
    for (int64_t z = 0; z < b->in.dim[2]; z++)
        for (int64_t y = 0; y < b->in.dim[1]; y++)
            for (int64_t x = 0; x < b->in.dim[0]; x++) {
                size_t src = (size_t)(x + lo[0] + d[0] * (y + lo[1] + d[1] * (z + lo[2])));
                size_t dst = (size_t)(x + b->in.dim[0] * (y + b->in.dim[1] * z));
                b->intensity[dst] = w->image.data[src];
                b->morph[dst] = w->morph.data[src];
                b->roi[dst] = w->intensity.data[src];
                b->grey[dst] = b->roi[dst] && info && device != RDX_DEVICE_CUDA
                                   ? rdx_disc_bin(w->image.data[src], info) : 0;
            }
    int code = info && device == RDX_DEVICE_CUDA ? rdx_cuda_discretise(b->intensity, b->roi, n, info, b->grey) : 0;
    if (code) {
        box_free(b);
        return rdx_error_set(err, RDX_E_DEVICE, "CUDA discretisation: %s", rdx_cuda_error_string(code));
    }
    b->in.grey = b->grey;
    b->in.roi = b->roi;
    b->in.morph = b->morph;
    b->in.intensity = b->intensity;
    b->in.n_grey = info ? info->n_bins : 0;
    b->in.device = device;
    return RDX_OK;
}

typedef rdx_status (*texture_family)(const rdx_texture_input *, const rdx_texture *, double *, rdx_error *);

/* The families on the box, morphology first (it takes the longest). */
static const struct {
    unsigned flag;
    texture_family fn; /* NULL: morphology, which takes all the settings */
} box_family[] = {{RDX_FAMILY_MORPH, NULL},           {RDX_FAMILY_GLCM, rdx_family_glcm},
                  {RDX_FAMILY_GLRLM, rdx_family_glrlm}, {RDX_FAMILY_GLSZM, rdx_family_glszm},
                  {RDX_FAMILY_GLDZM, rdx_family_gldzm}, {RDX_FAMILY_NGTDM, rdx_family_ngtdm},
                  {RDX_FAMILY_NGLDM, rdx_family_ngldm}};
#define N_BOX_FAMILIES (sizeof box_family / sizeof *box_family)

static rdx_status run_box_family(size_t f, const rdx_texture_input *in, const rdx_settings *s, double *values,
                                 rdx_error *err)
{
    return box_family[f].fn ? box_family[f].fn(in, &s->texture, values, err)
                            : rdx_family_morphology(in, s, values, err);
}

/* Boxes up to this many voxels run their families side by side, one thread
 * each: they are too small to keep several threads busy one family at a
 * time. Larger boxes run the families one after another, each on every
 * thread, which also bounds the memory in use. Each family writes its own
 * values, so the results are the same either way. */
#define CONCURRENT_BOX_VOXELS ((size_t)4 << 20)

static rdx_status box_families(const rdx_texture_input *in, const rdx_settings *s, double *values, rdx_error *err)
{
    size_t n = (size_t)in->dim[0] * (size_t)in->dim[1] * (size_t)in->dim[2];
    /* With CUDA the device does the heavy work: its calls stay on one host thread. */
    if (n > CONCURRENT_BOX_VOXELS || omp_get_max_threads() < 2 || in->device == RDX_DEVICE_CUDA) {
        rdx_status st = RDX_OK;
        for (size_t f = 0; !st && f < N_BOX_FAMILIES; f++)
            if (s->families & box_family[f].flag)
                st = run_box_family(f, in, s, values, err);
        return st;
    }
    rdx_status st[N_BOX_FAMILIES] = {RDX_OK};
    rdx_error e[N_BOX_FAMILIES] = {{0}};
#pragma omp parallel
#pragma omp single
    for (size_t f = 0; f < N_BOX_FAMILIES; f++)
        if (s->families & box_family[f].flag) {
#pragma omp task firstprivate(f)
            st[f] = run_box_family(f, in, s, values, &e[f]);
        }
    for (size_t f = 0; f < N_BOX_FAMILIES; f++) /* the first failure in family order, as when sequential */
        if (st[f]) {
            *err = e[f];
            return st[f];
        }
    return RDX_OK;
}

static rdx_status texture_families(work_set *w, const rdx_settings *s, const rdx_disc_info *info,
                                   rdx_device device, double *values, rdx_error *err)
{
    texture_box box;
    rdx_status st = box_build(w, info, device, &box, err);
    if (st)
        return st;
    /* The box holds everything the texture families read: release the
     * full-size working volumes before their matrices (peak memory). */
    work_free(w);
    st = box_families(&box.in, s, values, err);
    box_free(&box);
    return st;
}

/* Families on the ROI intensities first, then (texture, morphology) on the
 * ROI box, which runs last because it releases the full-size volumes. */
static rdx_status run_families(work_set *w, const rdx_settings *s, rdx_device device, double *values,
                                rdx_error *err)
{
    float *x;
    size_t n;
    rdx_status st = roi_values(&w->image, &w->intensity, &x, &n, err);
    if (st)
        return st;
    double mn, mx;
    int all_integer;
    roi_range(x, n, &mn, &mx, &all_integer);
    rdx_disc_info info;
    int grey_levels = (s->families & (RDX_FAMILY_IH | GREY_LEVEL_FAMILIES)) != 0;
    if (grey_levels) {
        /* Texture matrices are n_bins x n_bins doubles: refuse bin counts that cannot fit. */
        double max_bins = floor(sqrt((double)s->max_matrix_bytes / sizeof(double)));
        st = rdx_disc_setup(&s->discretisation, &s->resegmentation, mn, mx, all_integer,
                            (int)fmin(max_bins, 1e9), &info, err);
    }
    if (!st && (s->families & RDX_FAMILY_LOC))
        st = rdx_family_local_intensity(&w->image, &w->intensity, device, values, err);
    if (!st && (s->families & RDX_FAMILY_IVH))
        st = rdx_family_ivh(x, n, s, device, values, err);
    if (!st && (s->families & RDX_FAMILY_IH))
        st = intensity_histogram(x, n, &info, device, values, err);
    if (!st && (s->families & RDX_FAMILY_STAT)) /* after the others reading x: it reorders x */
        st = rdx_family_intensity_stats_on(x, n, device, values, err);
    free(x);
    if (!st && (s->families & TEXTURE_FAMILIES))
        st = texture_families(w, s, grey_levels ? &info : NULL, device, values, err);
    return st;
}

/* The pipeline on the working set w (its volumes borrowed or owned), which it frees. */
static rdx_status extract(work_set *w, const rdx_settings *s, rdx_device device, const char *image_path,
                          double *values, rdx_error *err)
{
    for (int f = 0; f < RDX_F_COUNT; f++)
        values[f] = NAN;
    rdx_status st = prepare_grid(s, device, w, values, err);
    w->intensity = w->morph;
    if (!st && (s->resegmentation.range_enabled || s->resegmentation.outlier_sigma > 0)) {
        w->intensity.data = NULL;
        w->own_intensity = 1;
        st = copy_mask(&w->morph, &w->intensity, err);
    }
    if (!st) {
        size_t before = rdx_mask_count(&w->intensity);
        rdx_resegment(&w->image, &w->intensity, &s->resegmentation);
        if (s->families & RDX_FAMILY_DIAG)
            rdx_diag_roi(&w->image, &w->intensity, &w->morph, 2, values);
        if (before == 0)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI, "the ROI is empty%s",
                               s->resampling.enabled ? " after interpolation" : "");
        else if (rdx_mask_count(&w->intensity) == 0)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI,
                               "the ROI is empty after re-segmentation (%zu voxels before; range %g .. %g)",
                               before, s->resegmentation.range[0], s->resegmentation.range[1]);
    }
    if (!st)
        st = run_families(w, s, device, values, err);
    work_free(w);
    if (st && image_path) {
        char msg[RDX_ERROR_MSG_LEN];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rdx_error_set(err, st, "%s: %s", image_path, msg);
    }
    return st;
}

rdx_status rdx_extract_case(const rdx_image *image, const rdx_mask *mask, const rdx_settings *s,
                            rdx_device device, const char *image_path, double *values, rdx_error *err)
{
    work_set w;
    memset(&w, 0, sizeof w);
    w.image = *image;
    w.morph = *mask;
    return extract(&w, s, device, image_path, values, err);
}

rdx_status rdx_extract_case_take(rdx_image *image, rdx_mask *mask, const rdx_settings *s, rdx_device device,
                                 const char *image_path, double *values, rdx_error *err)
{
    work_set w;
    memset(&w, 0, sizeof w);
    w.image = *image;
    w.morph = *mask;
    w.own_image = w.own_morph = 1;
    image->data = NULL;
    mask->data = NULL;
    return extract(&w, s, device, image_path, values, err);
}
