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
    /* Bounding box lo..hi of the morphological mask (hi[0] < 0: empty), which
     * holds the intensity mask too: scans of the masks stay inside it. */
    int64_t lo[3], hi[3];
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

/* Range and integrality of a stretch of ROI intensities (they decide the discretisation). */
typedef struct {
    double mn, mx;
    int all_integer;
} roi_range;

static roi_range range_of(const float *x, size_t n)
{
    roi_range r = {INFINITY, -INFINITY, 1};
    for (size_t i = 0; i < n; i++) {
        r.mn = fmin(r.mn, x[i]);
        r.mx = fmax(r.mx, x[i]);
        r.all_integer &= x[i] == floorf(x[i]);
    }
    return r;
}

/* Voxels of mask m within slice z's rows of w's bounding box. */
static size_t slice_count(const work_set *w, const rdx_mask *m, int64_t z)
{
    const int64_t *d = w->image.grid.dim;
    size_t c = 0;
    for (int64_t y = w->lo[1]; y <= w->hi[1]; y++) {
        const uint8_t *row = m->data + d[0] * (y + d[1] * z);
        for (int64_t x = w->lo[0]; x <= w->hi[0]; x++)
            c += row[x] != 0;
    }
    return c;
}

/* Voxels of mask m (one of w's, inside its bounding box). */
static size_t mask_count(const work_set *w, const rdx_mask *m)
{
    size_t c = 0;
#pragma omp parallel for schedule(static) reduction(+ : c)
    for (int64_t z = w->lo[2]; z <= w->hi[2]; z++)
        c += slice_count(w, m, z);
    return c;
}

/* ROI intensities of w (its intensity mask) in index order, *out owned by
 * the caller, and their range. The slices of the bounding box are counted,
 * then copied, in parallel: each slice writes its own stretch and takes its
 * range; minima, maxima and the integrality flag are the same whatever the
 * threads. */
static rdx_status roi_values(const work_set *w, float **out, size_t *n, roi_range *range, rdx_error *err)
{
    const rdx_image *img = &w->image;
    const rdx_mask *m = &w->intensity;
    const int64_t *d = img->grid.dim, z0 = w->lo[2];
    const size_t nz = (size_t)(w->hi[2] - z0 + 1);
    size_t *start = malloc((nz + 1) * sizeof *start);
    *n = 0;
    *out = NULL;
    *range = (roi_range){INFINITY, -INFINITY, 1};
    if (!start)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %zu slices", nz);
    start[0] = 0;
#pragma omp parallel for schedule(static)
    for (size_t z = 0; z < nz; z++)
        start[z + 1] = slice_count(w, m, z0 + (int64_t)z);
    for (size_t z = 0; z < nz; z++)
        start[z + 1] += start[z];
    *n = start[nz];
    *out = malloc((*n ? *n : 1) * sizeof **out);
    if (!*out) {
        free(start);
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %zu ROI voxels", *n);
    }
    double mn = INFINITY, mx = -INFINITY;
    int all_integer = 1;
#pragma omp parallel for schedule(static) reduction(min : mn) reduction(max : mx) reduction(& : all_integer)
    for (size_t z = 0; z < nz; z++) {
        size_t k = start[z];
        for (int64_t y = w->lo[1]; y <= w->hi[1]; y++) {
            size_t row = (size_t)(d[0] * (y + d[1] * (z0 + (int64_t)z)));
            for (int64_t x = w->lo[0]; x <= w->hi[0]; x++)
                if (m->data[row + (size_t)x])
                    (*out)[k++] = img->data[row + (size_t)x];
        }
        roi_range r = range_of(*out + start[z], k - start[z]);
        mn = fmin(mn, r.mn);
        mx = fmax(mx, r.mx);
        all_integer &= r.all_integer;
    }
    free(start);
    *range = (roi_range){mn, mx, all_integer};
    return RDX_OK;
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

/* w->lo, w->hi = the bounding box of w's morphological mask, row by row
 * (minima and maxima: the same whatever the threads). */
static void box_bounds(work_set *w)
{
    const int64_t *d = w->image.grid.dim;
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
    w->lo[0] = lo0, w->lo[1] = lo1, w->lo[2] = lo2;
    w->hi[0] = hi0, w->hi[1] = hi1, w->hi[2] = hi2;
}

/* Cut w's bounding box out of its volumes. info is NULL when no grey-level
 * family runs (morphology alone): grey levels are then all 0. */
static rdx_status box_build(const work_set *w, const rdx_disc_info *info, rdx_device device, texture_box *b,
                            rdx_error *err)
{
    const int64_t *d = w->image.grid.dim, *lo = w->lo, *hi = w->hi;
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

/* The families on the ROI intensities x: IVH, histogram, statistics. */
typedef struct {
    float *x;
    size_t n;
    const rdx_disc_info *info;
} roi_intensities;

static rdx_status intensity_families(const roi_intensities *r, const rdx_settings *s, rdx_device device,
                                     double *values, rdx_error *err)
{
    rdx_status st = RDX_OK;
    if (s->families & RDX_FAMILY_IVH)
        st = rdx_family_ivh(r->x, r->n, s, device, values, err);
    if (!st && (s->families & RDX_FAMILY_IH))
        st = intensity_histogram(r->x, r->n, r->info, device, values, err);
    if (!st && (s->families & RDX_FAMILY_STAT))
        st = rdx_family_intensity_stats_on(r->x, r->n, device, values, err);
    return st;
}

/* The jobs of a case after its ROI box is cut: the intensity families, then
 * the families on the box, morphology first (it takes the longest). The
 * grey-level families take several cases at once (rdx_cases_finish packs
 * them on a CUDA device); a case alone is a batch of one. */
static const struct {
    unsigned flag;
    rdx_family_cases_fn fn; /* NULL: intensity families (job 0) or morphology (job 1), which take all the settings */
} job[] = {{RDX_FAMILY_IVH | RDX_FAMILY_IH | RDX_FAMILY_STAT, NULL},
           {RDX_FAMILY_MORPH, NULL},
           {RDX_FAMILY_GLCM, rdx_family_glcm_cases},
           {RDX_FAMILY_GLRLM, rdx_family_glrlm_cases},
           {RDX_FAMILY_GLSZM, rdx_family_glszm_cases},
           {RDX_FAMILY_GLDZM, rdx_family_gldzm_cases},
           {RDX_FAMILY_NGTDM, rdx_family_ngtdm_cases},
           {RDX_FAMILY_NGLDM, rdx_family_ngldm_cases}};
#define N_JOBS (sizeof job / sizeof *job)

/* What the jobs read: the ROI intensities (NULL: job 0 has run already),
 * the box (NULL: none), and the families computed already (packed with
 * other cases: rdx_cases_finish). */
typedef struct {
    const roi_intensities *roi;
    const rdx_texture_input *box;
    unsigned done;
} job_input;

static rdx_status run_job(size_t j, const job_input *in, const rdx_settings *s, rdx_device device, double *values,
                          rdx_error *err)
{
    if (j == 0)
        return intensity_families(in->roi, s, device, values, err);
    if (j == 1)
        return rdx_family_morphology(in->box, s, values, err);
    rdx_status st;
    job[j].fn(&in->box, 1, &s->texture, &values, &st, err);
    return st;
}

static int job_runs(size_t j, const job_input *in, const rdx_settings *s)
{
    return (s->families & job[j].flag & ~in->done) && (j == 0 ? in->roi != NULL : in->box != NULL);
}

/* Runs the jobs: side by side as OpenMP tasks, one thread each, when
 * together is set, else one after another (each then uses every thread).
 * Each job writes its own values, so the results are the same either way;
 * the error reported is that of the first failing job in job order, as when
 * sequential. */
static rdx_status run_jobs(const job_input *in, int together, const rdx_settings *s, rdx_device device,
                           double *values, rdx_error *err)
{
    if (!together) {
        rdx_status st = RDX_OK;
        for (size_t j = 0; !st && j < N_JOBS; j++)
            if (job_runs(j, in, s))
                st = run_job(j, in, s, device, values, err);
        return st;
    }
    rdx_status st[N_JOBS] = {RDX_OK};
    rdx_error e[N_JOBS] = {{0}};
#pragma omp parallel
#pragma omp single
    for (size_t j = 0; j < N_JOBS; j++)
        if (job_runs(j, in, s)) {
#pragma omp task firstprivate(j)
            st[j] = run_job(j, in, s, device, values, &e[j]);
        }
    for (size_t j = 0; j < N_JOBS; j++)
        if (st[j]) {
            *err = e[j];
            return st[j];
        }
    return RDX_OK;
}

/* Boxes up to this many voxels run all their jobs side by side: one family
 * at a time they are too small to keep several threads busy. Larger boxes
 * run them one after another, each on every thread, which also bounds the
 * memory in use (on the device too). With CUDA the side-by-side jobs launch
 * from their own host threads, each on its own default stream, so their
 * transfers and kernels overlap on the device while the host parts (feature
 * formulas, hull, zone statistics) run in parallel. */
#define CONCURRENT_BOX_VOXELS ((size_t)4 << 20)

/* A case between the two halves of the pipeline: its ROI intensities (x
 * NULL once the intensity families have run), discretisation and box (when
 * a box family runs). Owns x, the box and image_path; values is the
 * caller's. */
struct rdx_prepared_case {
    const rdx_settings *s;
    rdx_device device;
    char *image_path;
    double *values;
    roi_intensities r;
    rdx_disc_info info;
    texture_box box;
    int has_box, together;
    unsigned done; /* families computed with other cases already (rdx_cases_finish) */
};

/* The ROI box of w cut out for the box families (w freed then: that
 * releases the full-size working volumes before the texture matrices, for
 * peak memory); when the jobs will not run side by side, the intensity
 * families run first and x is freed before the box is cut. */
static rdx_status cut_box(work_set *w, rdx_prepared_case *pc, rdx_error *err)
{
    const rdx_settings *s = pc->s;
    if (!(s->families & TEXTURE_FAMILIES))
        return RDX_OK;
    const int64_t *lo = w->lo, *hi = w->hi;
    size_t box_voxels = (size_t)(hi[0] - lo[0] + 1) * (size_t)(hi[1] - lo[1] + 1) * (size_t)(hi[2] - lo[2] + 1);
    pc->together = box_voxels <= CONCURRENT_BOX_VOXELS && omp_get_max_threads() >= 2;
    rdx_status st = RDX_OK;
    if (!pc->together) { /* the intensities first: the box and x are never held together */
        job_input in = {&pc->r, NULL, 0};
        st = run_jobs(&in, 0, s, pc->device, pc->values, err);
        free(pc->r.x);
        pc->r.x = NULL;
    }
    if (!st)
        st = box_build(w, (s->families & GREY_LEVEL_FAMILIES) ? pc->r.info : NULL, pc->device, &pc->box, err);
    if (st)
        return st;
    pc->has_box = 1;
    work_free(w);
    return RDX_OK;
}

/* The ROI intensities, the discretisation, local intensity (on the whole
 * image) and the box of w into pc. */
static rdx_status prepare_families(work_set *w, rdx_prepared_case *pc, rdx_error *err)
{
    const rdx_settings *s = pc->s;
    roi_range range;
    rdx_status st = roi_values(w, &pc->r.x, &pc->r.n, &range, err);
    if (st)
        return st;
    if (s->families & (RDX_FAMILY_IH | GREY_LEVEL_FAMILIES)) {
        /* Texture matrices are n_bins x n_bins doubles: refuse bin counts that cannot fit. */
        double max_bins = floor(sqrt((double)s->max_matrix_bytes / sizeof(double)));
        st = rdx_disc_setup(&s->discretisation, &s->resegmentation, range.mn, range.mx, range.all_integer,
                            (int)fmin(max_bins, 1e9), &pc->info, err);
        pc->r.info = &pc->info;
    }
    if (!st && (s->families & RDX_FAMILY_LOC))
        st = rdx_family_local_intensity(&w->image, &w->intensity, pc->device, pc->values, err);
    if (!st)
        st = cut_box(w, pc, err);
    return st;
}

/* The jobs of a prepared case but its done families. */
static rdx_status finish_case(const rdx_prepared_case *pc, rdx_error *err)
{
    job_input in = {pc->r.x ? &pc->r : NULL, pc->has_box ? &pc->box.in : NULL, pc->done};
    return run_jobs(&in, pc->has_box && pc->together, pc->s, pc->device, pc->values, err);
}

void rdx_prepared_case_free(rdx_prepared_case *pc)
{
    if (!pc)
        return;
    free(pc->r.x);
    if (pc->has_box)
        box_free(&pc->box);
    free(pc->image_path);
    free(pc);
}

/* A failure of the case of image_path: its message names the file. */
static rdx_status named(rdx_status st, const char *image_path, rdx_error *err)
{
    if (st && image_path) {
        char msg[RDX_ERROR_MSG_LEN];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rdx_error_set(err, st, "%s: %s", image_path, msg);
    }
    return st;
}

/* The first half of the pipeline on the working set w (its volumes borrowed
 * or owned), which it frees. */
static rdx_status prepare(work_set *w, const rdx_settings *s, rdx_device device, const char *image_path,
                          double *values, rdx_prepared_case **out, rdx_error *err)
{
    for (int f = 0; f < RDX_F_COUNT; f++)
        values[f] = NAN;
    *out = NULL;
    rdx_prepared_case *pc = calloc(1, sizeof *pc);
    rdx_status st = pc ? RDX_OK : rdx_error_set(err, RDX_E_NOMEM, "out of memory");
    if (!st) {
        pc->s = s;
        pc->device = device;
        pc->values = values;
        pc->image_path = image_path ? strdup(image_path) : NULL;
        if (image_path && !pc->image_path)
            st = rdx_error_set(err, RDX_E_NOMEM, "out of memory");
    }
    if (!st)
        st = prepare_grid(s, device, w, values, err);
    w->intensity = w->morph;
    if (!st && (s->resegmentation.range_enabled || s->resegmentation.outlier_sigma > 0)) {
        w->intensity.data = NULL;
        w->own_intensity = 1;
        st = copy_mask(&w->morph, &w->intensity, err);
    }
    if (!st) {
        box_bounds(w);
        size_t before = mask_count(w, &w->intensity); /* 0 for an empty box */
        rdx_resegment(&w->image, &w->intensity, &s->resegmentation);
        if (s->families & RDX_FAMILY_DIAG)
            rdx_diag_roi(&w->image, &w->intensity, &w->morph, 2, values);
        if (before == 0)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI, "the ROI is empty%s",
                               s->resampling.enabled ? " after interpolation" : "");
        else if (mask_count(w, &w->intensity) == 0)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI,
                               "the ROI is empty after re-segmentation (%zu voxels before; range %g .. %g)",
                               before, s->resegmentation.range[0], s->resegmentation.range[1]);
    }
    if (!st)
        st = prepare_families(w, pc, err);
    work_free(w);
    if (st) {
        rdx_prepared_case_free(pc);
        return named(st, image_path, err);
    }
    *out = pc;
    return RDX_OK;
}

/* Box voxels that the cases finished together hold on the device at most
 * (about 16 bytes each); cases with larger boxes are finished alone. */
#define PACK_VOXELS ((size_t)1 << 24)

static size_t box_voxels(const rdx_prepared_case *pc)
{
    const int64_t *d = pc->box.in.dim;
    return (size_t)d[0] * (size_t)d[1] * (size_t)d[2];
}

static int packable(const rdx_prepared_case *pc, const rdx_prepared_case *first)
{
    return pc && pc->device == RDX_DEVICE_CUDA && pc->has_box && (pc->s->families & GREY_LEVEL_FAMILIES) &&
           box_voxels(pc) <= PACK_VOXELS && (!first || pc->s == first->s);
}

/* The packed families of the cases which[0..m) (packable, with the same
 * settings), their matrices counted in shared kernel launches, one family
 * after another: each notes them in its done families, and st[k], err[k]
 * receive its first failure. */
static void finish_group(rdx_prepared_case **pc, const size_t *which, size_t m, rdx_status *st, rdx_error *err)
{
    const rdx_settings *s = pc[which[0]]->s;
    const rdx_texture_input **in = malloc(m * sizeof *in);
    double **values = malloc(m * sizeof *values);
    size_t *live = malloc(m * sizeof *live);
    rdx_status *pst = malloc(m * sizeof *pst);
    rdx_error *perr = malloc(m * sizeof *perr);
    if (in && values && live && pst && perr) { /* else each case computes them alone */
        for (size_t j = 0; j < N_JOBS; j++) {
            if (!job[j].fn || !(s->families & job[j].flag))
                continue;
            size_t n = 0; /* the cases without a failure so far */
            for (size_t i = 0; i < m; i++)
                if (!st[which[i]]) {
                    in[n] = &pc[which[i]]->box.in;
                    values[n] = pc[which[i]]->values;
                    live[n++] = which[i];
                }
            if (n)
                job[j].fn(in, n, &s->texture, values, pst, perr);
            for (size_t i = 0; i < n; i++)
                if (pst[i]) {
                    st[live[i]] = pst[i];
                    err[live[i]] = perr[i];
                }
        }
        for (size_t i = 0; i < m; i++)
            pc[which[i]]->done = s->families & GREY_LEVEL_FAMILIES;
    }
    free(in);
    free(values);
    free(live);
    free(pst);
    free(perr);
}

/* The packable cases of pc[0..n) with the settings of the first of them, in
 * groups of consecutive ones whose boxes total at most PACK_VOXELS; a group
 * of one is left to compute its families alone. */
static void finish_packed(rdx_prepared_case **pc, size_t n, rdx_status *st, rdx_error *err)
{
    size_t *which = malloc((n ? n : 1) * sizeof *which), m = 0, voxels = 0;
    const rdx_prepared_case *first = NULL;
    for (size_t k = 0; which && k < n; k++) {
        if (!packable(pc[k], first))
            continue;
        first = first ? first : pc[k];
        if (m && voxels + box_voxels(pc[k]) > PACK_VOXELS) { /* the group is full */
            if (m > 1)
                finish_group(pc, which, m, st, err);
            m = voxels = 0;
        }
        which[m++] = k;
        voxels += box_voxels(pc[k]);
    }
    if (m > 1)
        finish_group(pc, which, m, st, err);
    free(which);
}

void rdx_cases_finish(rdx_prepared_case **pc, size_t n, rdx_status *st, rdx_error *err)
{
    for (size_t k = 0; k < n; k++)
        st[k] = pc[k] ? RDX_OK : rdx_error_set(&err[k], RDX_E_INVALID, "no prepared case");
    finish_packed(pc, n, st, err);
    for (size_t k = 0; k < n; k++) {
        if (!pc[k])
            continue;
        /* The other jobs come before the packed families in job order: their
         * failure is the one a case finished alone would report. */
        rdx_error e;
        rdx_status own = finish_case(pc[k], &e);
        if (own) {
            st[k] = own;
            err[k] = e;
        }
        named(st[k], pc[k]->image_path, &err[k]);
        rdx_prepared_case_free(pc[k]);
        pc[k] = NULL;
    }
}

rdx_status rdx_case_prepare(const rdx_image *image, const rdx_mask *mask, const rdx_settings *s, rdx_device device,
                            const char *image_path, double *values, rdx_prepared_case **out, rdx_error *err)
{
    work_set w;
    memset(&w, 0, sizeof w);
    w.image = *image;
    w.morph = *mask;
    return prepare(&w, s, device, image_path, values, out, err);
}

/* Both halves on one case. */
static rdx_status extract(work_set *w, const rdx_settings *s, rdx_device device, const char *image_path,
                          double *values, rdx_error *err)
{
    rdx_prepared_case *pc;
    rdx_status st = prepare(w, s, device, image_path, values, &pc, err);
    if (!st)
        rdx_cases_finish(&pc, 1, &st, err);
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
