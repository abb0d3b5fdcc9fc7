/* Feature families computed on the CPU (one source file each). Each writes
 * its features into values[], indexed by rdx_feature_id; none allocates
 * memory it keeps or does I/O. */
#ifndef RDX_HOST_FAMILIES_H
#define RDX_HOST_FAMILIES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rdx/device.h"
#include "rdx/features.h"
#include "rdx/preprocess.h"

/* Resampling of rdx/preprocess.h (rdx_resample_image, rdx_resample_mask, which
 * run on the CPU) with the interpolation on a chosen device: RDX_DEVICE_CUDA
 * runs kernels/resample.cu (identical output; a kernel failure is
 * RDX_E_UNSUPPORTED), anything else the CPU. out allocated here as there. */
rdx_status rdx_resample_image_on(const rdx_image *img, const rdx_grid *target, rdx_interp method,
                                 rdx_device device, rdx_image *out, rdx_error *err);
rdx_status rdx_resample_mask_on(const rdx_mask *m, const rdx_grid *target, rdx_interp method, double threshold,
                                rdx_device device, rdx_mask *out, rdx_error *err);

/* Intensity-based statistics (IBSI 3.3) of the n ROI intensities x, which
 * are left as they are (the CPU selects order statistics in a copy). With
 * RDX_DEVICE_CUDA the sums and order statistics run on the device: the sums
 * add up in the same order, so results are identical. rdx_family_intensity_stats
 * is the CPU call. */
rdx_status rdx_family_intensity_stats_on(const float *x, size_t n, rdx_device device, double *values, rdx_error *err);
rdx_status rdx_family_intensity_stats(float *x, size_t n, double *values, rdx_error *err);

/* Intensity histogram (IBSI 3.4) from the counts hist[1..n_bins] of the
 * discretised ROI intensities (hist[0] unused). */
void rdx_family_intensity_histogram(const int64_t *hist, int n_bins, double *values);

/* Intensity-volume histogram (IBSI 3.5) of the n ROI intensities x, with the
 * IVH discretisation of the settings and the re-segmentation range; the grid
 * counts on the CPU or the CUDA device (identical integers). */
rdx_status rdx_family_ivh(const float *x, size_t n, const rdx_settings *s, rdx_device device, double *values,
                          rdx_error *err);

/* Local intensity features (IBSI 3.2): means over 1 cm^3 spheres of the image
 * centred on ROI voxels (roi is the intensity mask on img's grid), on the CPU
 * or the CUDA device (equal for integer intensities, to rounding otherwise). */
rdx_status rdx_family_local_intensity(const rdx_image *img, const rdx_mask *roi, rdx_device device,
                                      double *values, rdx_error *err);

/* The eight emphasis sums shared by GLRLM, GLSZM and GLDZM (IBSI: short/long
 * run, zone or distance j; low/high grey level i), added for an entry of
 * count c, in this order: c/j^2, c*j^2, c/i^2, c*i^2, c/(i^2 j^2),
 * c*i^2/j^2, c*j^2/i^2, c*i^2*j^2. */
enum { RDX_EMPHASIS_COUNT = 8 };

static inline void rdx_emphasis_add(double e[RDX_EMPHASIS_COUNT], double c, double i2, double j2)
{
    e[0] += c / j2;
    e[1] += c * j2;
    e[2] += c / i2;
    e[3] += c * i2;
    e[4] += c / (i2 * j2);
    e[5] += c * i2 / j2;
    e[6] += c * j2 / i2;
    e[7] += c * i2 * j2;
}

/* Input of the morphology and texture families: the bounding box of the
 * morphological mask, cut out of the processed (interpolated, re-segmented,
 * discretised) case. Index order as rdx_grid: x fastest. */
typedef struct {
    int64_t dim[3];          /* box dimensions */
    double spacing[3];       /* voxel spacing in mm */
    const int32_t *grey;     /* discretised grey level (1..n_grey) in the intensity mask, 0 elsewhere */
    int n_grey;              /* Ng: highest grey level that can occur */
    const uint8_t *roi;      /* intensity mask (1 where grey > 0) */
    const uint8_t *morph;    /* morphological mask (the ROI before re-segmentation) */
    const float *intensity;  /* processed intensities of every box voxel */
    rdx_device device;       /* where matrices are counted: CPU, or CUDA where a kernel exists */
} rdx_texture_input;

/* Morphology (IBSI 3.1); s->morphology bounds the cost of Moran's I and
 * Geary's C. Texture families (IBSI 3.6-3.11): each computes the aggregations
 * enabled in t->aggregations (features of the other aggregations are left
 * untouched). All write values[RDX_F_...]. */
rdx_status rdx_family_morphology(const rdx_texture_input *in, const rdx_settings *s, double *values,
                                 rdx_error *err);
rdx_status rdx_family_glcm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err);
rdx_status rdx_family_glrlm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err);
/* A family of n cases: in[k] into values[k] with texture settings t, st[k]
 * and err[k] case k's outcome. The cases on a CUDA device have their
 * matrices counted (GLCM, GLRLM, NGTDM, NGLDM), or their zones labelled
 * (GLSZM, GLDZM), in shared kernel launches, several cases' boxes in each:
 * the same values as one case at a time. */
typedef void (*rdx_family_cases_fn)(const rdx_texture_input *const *in, size_t n, const rdx_texture *t,
                                    double *const *values, rdx_status *st, rdx_error *err);
void rdx_family_glcm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                           rdx_status *st, rdx_error *err);
void rdx_family_glrlm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err);
void rdx_family_glszm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err);
void rdx_family_gldzm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err);
void rdx_family_ngtdm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err);
void rdx_family_ngldm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err);

/* A device step on the cases which[0..m) of a batch: RDX_OK or its failure. */
typedef rdx_status (*rdx_cases_step)(void *arg, const size_t *which, size_t m, rdx_error *err);

/* Runs step on the m cases together; when that fails and m > 1, on each case
 * alone, so that a failure is reported by the case it is due to:
 * st[which[i]] and err[which[i]] receive the failures. */
static inline void rdx_cases_together(rdx_cases_step step, void *arg, const size_t *which, size_t m, rdx_status *st,
                                      rdx_error *err)
{
    rdx_error e;
    memset(&e, 0, sizeof e);
    if (m == 0 || (m > 1 && !step(arg, which, m, &e)))
        return;
    for (size_t i = 0; i < m; i++)
        st[which[i]] = step(arg, &which[i], 1, &err[which[i]]);
}

rdx_status rdx_family_glszm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err);
rdx_status rdx_family_gldzm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err);
rdx_status rdx_family_ngtdm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err);
rdx_status rdx_family_ngldm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err);

/* Diagnostics (IBSI reference data sets): image geometry and intensities at
 * a processing stage: 0 = initial, 1 = after interpolation. */
void rdx_diag_image(const rdx_image *img, int stage, double *values);

/* ROI diagnostics at stage 0 = initial, 1 = after interpolation, 2 = after
 * re-segmentation: grid dims, bounding boxes, voxel counts, intensities. */
void rdx_diag_roi(const rdx_image *img, const rdx_mask *int_mask, const rdx_mask *morph_mask, int stage,
                  double *values);

#endif
