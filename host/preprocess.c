/* IBSI processing steps other than resampling: intensity calibration,
 * rounding, re-segmentation and discretisation (include/rdx/preprocess.h). */
#include "rdx/preprocess.h"

#include <math.h>
#include <stdlib.h>

#include "voxel_ops.h"

void rdx_calibrate(rdx_image *img, const rdx_calibration *cal)
{
    if (cal->n_pieces == 0)
        return;
    size_t n = rdx_grid_count(&img->grid);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        img->data[i] = (float)rdx_calibrate_value(img->data[i], cal);
}

void rdx_round_intensities(rdx_image *img)
{
    size_t n = rdx_grid_count(&img->grid);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        img->data[i] = roundf(img->data[i]);
}

/* Mean and population standard deviation of the masked voxels, summed in a
 * fixed order (per-slice partials combined serially) so that the result does
 * not depend on the thread count. */
static void masked_mean_sd(const rdx_image *img, const rdx_mask *m, double *mean, double *sd)
{
    int64_t nz = img->grid.dim[2];
    size_t plane = (size_t)img->grid.dim[0] * (size_t)img->grid.dim[1];
    double *part = calloc((size_t)nz * 3, sizeof *part);
    if (!part) {
        *mean = NAN;
        *sd = NAN;
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t z = 0; z < nz; z++) {
        double n = 0, s = 0;
        for (size_t i = (size_t)z * plane; i < (size_t)(z + 1) * plane; i++)
            if (m->data[i]) {
                n += 1;
                s += img->data[i];
            }
        part[z * 3] = n;
        part[z * 3 + 1] = s;
    }
    double n = 0, s = 0;
    for (int64_t z = 0; z < nz; z++) {
        n += part[z * 3];
        s += part[z * 3 + 1];
    }
    double mu = s / n;
#pragma omp parallel for schedule(static)
    for (int64_t z = 0; z < nz; z++) {
        double ss = 0;
        for (size_t i = (size_t)z * plane; i < (size_t)(z + 1) * plane; i++)
            if (m->data[i]) {
                double d = img->data[i] - mu;
                ss += d * d;
            }
        part[z * 3 + 2] = ss;
    }
    double ss = 0;
    for (int64_t z = 0; z < nz; z++)
        ss += part[z * 3 + 2];
    free(part);
    *mean = mu;
    *sd = sqrt(ss / n);
}

static void keep_in_range(const rdx_image *img, rdx_mask *m, double lo, double hi)
{
    size_t n = rdx_grid_count(&img->grid);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        if (m->data[i] && !(img->data[i] >= lo && img->data[i] <= hi))
            m->data[i] = 0;
}

void rdx_resegment(const rdx_image *img, rdx_mask *int_mask, const rdx_resegmentation *r)
{
    if (r->range_enabled)
        keep_in_range(img, int_mask, r->range[0], r->range[1]);
    if (r->outlier_sigma > 0 && rdx_mask_count(int_mask) > 0) {
        double mean, sd;
        masked_mean_sd(img, int_mask, &mean, &sd);
        keep_in_range(img, int_mask, mean - r->outlier_sigma * sd, mean + r->outlier_sigma * sd);
    }
}

rdx_status rdx_disc_setup(const rdx_discretisation *d, const rdx_resegmentation *reseg, double roi_min,
                          double roi_max, int roi_all_integer, int max_bins, rdx_disc_info *info,
                          rdx_error *err)
{
    double nb;
    info->method = d->method;
    info->lo = roi_min;
    info->hi = roi_max;
    info->width = 1.0;
    switch (d->method) {
    case RDX_DISC_FIXED_BIN_NUMBER:
        nb = d->bin_number;
        info->width = (roi_max - roi_min) / d->bin_number;
        break;
    case RDX_DISC_FIXED_BIN_SIZE:
        if (d->min_set)
            info->lo = d->min_value;
        else if (reseg->range_enabled && isfinite(reseg->range[0]))
            info->lo = reseg->range[0];
        if (reseg->range_enabled && isfinite(reseg->range[1]))
            info->hi = reseg->range[1];
        info->width = d->bin_width;
        if (roi_min < info->lo)
            return rdx_error_set(err, RDX_E_INVALID,
                                 "fixed bin size discretisation: ROI minimum %g is below the lower bound %g",
                                 roi_min, info->lo);
        nb = floor((roi_max - info->lo) / info->width) + 1.0; /* highest bin present */
        break;
    default:
        if (!roi_all_integer || roi_min < 1)
            return rdx_error_set(err, RDX_E_INVALID,
                                 "discretisation 'none' needs integer intensities >= 1 in the ROI "
                                 "(found range %g .. %g%s)",
                                 roi_min, roi_max, roi_all_integer ? "" : ", non-integer values");
        nb = roi_max;
        break;
    }
    if (!(nb <= (double)max_bins))
        return rdx_error_set(err, RDX_E_NOMEM,
                             "discretisation gives %.0f grey levels, more than the limit of %d "
                             "(raise max_matrix_memory_mb or use wider bins)",
                             nb, max_bins);
    info->n_bins = (int)nb;
    return RDX_OK;
}
