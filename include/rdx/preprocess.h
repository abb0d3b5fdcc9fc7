/* IBSI image processing steps (IBSI reference manual, chapter 2), in pipeline order:
 * intensity calibration, resampling (image and mask interpolation, rounding),
 * re-segmentation (range, outliers), discretisation. Each step reads its inputs
 * and writes into caller-provided outputs; nothing here does I/O. */
#ifndef RDX_PREPROCESS_H
#define RDX_PREPROCESS_H

#include "rdx/settings.h"
#include "rdx/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Apply the piecewise calibration map in place (no-op when n_pieces == 0). */
void rdx_calibrate(rdx_image *img, const rdx_calibration *cal);

/* IBSI grid alignment ("align grid centres"): target dims
 * n' = ceil(n * s / s'), and the new grid is centred on the old one, so that
 * index i' maps to old index i = i' * s'/s + ((n - 1) - (n' - 1) * s'/s) / 2
 * along each axis. Axes whose spacing is <= 0 in new_spacing keep their
 * native sampling. Origin and direction follow. */
void rdx_resample_grid(const rdx_grid *in, const double new_spacing[3], rdx_grid *out);

/* Interpolate img onto target (a grid from rdx_resample_grid on img's grid).
 * Points outside the input grid take the nearest edge value. cubic_spline is
 * the cubic B-spline with prefiltering (as scipy.ndimage order 3, mirror
 * boundaries). out is allocated here; the caller frees it. */
rdx_status rdx_resample_image(const rdx_image *img, const rdx_grid *target, rdx_interp method,
                              rdx_image *out, rdx_error *err);

/* Interpolate a 0/1 mask onto target and keep voxels whose interpolated value
 * is >= threshold (nearest: the nearest voxel's value). out allocated here. */
rdx_status rdx_resample_mask(const rdx_mask *m, const rdx_grid *target, rdx_interp method,
                             double threshold, rdx_mask *out, rdx_error *err);

/* Round every voxel to the nearest integer (halves away from zero). */
void rdx_round_intensities(rdx_image *img);

/* Re-segmentation on the intensity mask, in place: range first, then the
 * outlier filter (mean +- sigma * population sd of the remaining voxels). */
void rdx_resegment(const rdx_image *img, rdx_mask *int_mask, const rdx_resegmentation *r);

/* Discretisation of ROI intensities into bins 1..n_bins.
 * lo/hi: the intensity range used (FBN: ROI min/max; FBS: lo = lower bound).
 * Voxels outside the mask get 0. bins has one entry per voxel of img. */
typedef struct {
    int n_bins;   /* highest bin index that can occur */
    double lo, hi;
    double width; /* FBS width, or (hi - lo) / n_bins for FBN */
} rdx_disc_info;

rdx_status rdx_discretise(const rdx_image *img, const rdx_mask *roi, const rdx_discretisation *d,
                          const rdx_resegmentation *reseg, int32_t *bins, rdx_disc_info *info,
                          rdx_error *err);

#ifdef __cplusplus
}
#endif
#endif
