/* Reading images and masks from NIfTI-1/NIfTI-2 (.nii, .nii.gz; NIfTI C library)
 * and NRRD (.nrrd, .nhdr with raw or gzip data; teem). The format is chosen by
 * the file name's extension. */
#ifndef RDX_IO_H
#define RDX_IO_H

#include "rdx/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Any label: the mask is every non-zero voxel. */
#define RDX_LABEL_ANY (-1)

/* Read an image; integer and float voxel types are converted to float32 (fails
 * with RDX_E_UNSUPPORTED for complex/RGB/vector data, RDX_E_INVALID when a
 * voxel is NaN or Inf, naming the first such voxel). Scaling slopes
 * (scl_slope/scl_inter) are applied. On failure *out is left empty. */
rdx_status rdx_image_read(const char *path, rdx_image *out, rdx_error *err);

/* Read a label image and keep voxels equal to label (or any non-zero voxel for
 * RDX_LABEL_ANY). Float labels are compared after rounding to the nearest integer. */
rdx_status rdx_mask_read(const char *path, int label, rdx_mask *out, rdx_error *err);

/* Write a float image as NIfTI (.nii/.nii.gz) or NRRD; used by tests and tools. */
rdx_status rdx_image_write(const char *path, const rdx_image *img, rdx_error *err);
rdx_status rdx_mask_write(const char *path, const rdx_mask *m, rdx_error *err);

#ifdef __cplusplus
}
#endif
#endif
