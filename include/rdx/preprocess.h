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

/* Discretisation (IBSI 2.7) into bins 1..n_bins. The per-voxel rule is
 * rdx_disc_bin in host/voxel_ops.h, shared with the CUDA kernels. */
typedef struct {
    rdx_disc_method method;
    int n_bins;   /* highest bin index that can occur */
    double lo;    /* FBN: ROI minimum; FBS: lower bound of bin 1; NONE: unused */
    double hi;    /* FBN: ROI maximum; FBS: upper end of the range (ROI max if open) */
    double width; /* FBS bin width; FBN (hi - lo) / n_bins; NONE 1 */
} rdx_disc_info;

/* Set up the bins for ROI intensities whose range is [roi_min, roi_max]:
 * FBN uses the ROI range; FBS starts at d->min_value when given, else at the
 * re-segmentation lower bound when finite, else at roi_min. NONE requires
 * integer intensities >= 1 (bins are the intensities). Fails with
 * RDX_E_INVALID for NONE with non-integer or < 1 values, or RDX_E_NOMEM when
 * n_bins exceeds max_bins. */
rdx_status rdx_disc_setup(const rdx_discretisation *d, const rdx_resegmentation *reseg, double roi_min,
                          double roi_max, int roi_all_integer, int max_bins, rdx_disc_info *info,
                          rdx_error *err);

#ifdef __cplusplus
}
#endif
#endif
