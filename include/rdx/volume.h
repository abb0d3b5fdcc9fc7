/* Voxel grids, images and masks held in memory.
 *
 * Conventions (documented in the README):
 * - Index order: x fastest, then y, then z (C order over (z, y, x)); voxel (i,j,k)
 *   is data[i + dim[0]*(j + dim[1]*k)].
 * - World coordinates are LPS millimetres (DICOM/ITK convention). NIfTI files
 *   store RAS: readers convert (negate the first two world axes).
 * - origin is the world position of the centre of voxel (0,0,0); direction is a
 *   3x3 row-major matrix whose column c is the unit world vector of index axis c.
 *   World position of index (i,j,k): origin + direction * (spacing .* (i,j,k)).
 * - Image intensities are float32 (CT HU, MR units, dose Gy); accumulations in
 *   feature code are double. Masks are 0/1 bytes after label selection. */
#ifndef RDX_VOLUME_H
#define RDX_VOLUME_H

#include <stddef.h>
#include <stdint.h>
#include "rdx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t dim[3];
    double spacing[3];
    double origin[3];
    double direction[9];
} rdx_grid;

typedef struct {
    rdx_grid grid;
    float *data; /* owned; free with rdx_image_free */
} rdx_image;

typedef struct {
    rdx_grid grid;
    uint8_t *data; /* owned, values 0 or 1; free with rdx_mask_free */
} rdx_mask;

static inline size_t rdx_grid_count(const rdx_grid *g)
{
    return (size_t)g->dim[0] * (size_t)g->dim[1] * (size_t)g->dim[2];
}

/* Identity direction, zero origin, unit spacing, the given dims. */
void rdx_grid_init(rdx_grid *g, int64_t nx, int64_t ny, int64_t nz);

/* Allocate data for g (uninitialised for images, zeroed for masks). */
rdx_status rdx_image_alloc(rdx_image *img, const rdx_grid *g, rdx_error *err);
rdx_status rdx_mask_alloc(rdx_mask *m, const rdx_grid *g, rdx_error *err);
void rdx_image_free(rdx_image *img);
void rdx_mask_free(rdx_mask *m);

/* Fail with RDX_E_MISMATCH when two grids differ: dims exactly; spacing and
 * origin to 1e-3 mm relative-or-absolute; direction cosines to 1e-4. The
 * message names both files and says what differs (e.g. "spacing z 3.000 vs 2.500"). */
rdx_status rdx_grid_check_same(const rdx_grid *a, const char *path_a, const rdx_grid *b,
                               const char *path_b, rdx_error *err);

/* Number of mask voxels set. */
size_t rdx_mask_count(const rdx_mask *m);

#ifdef __cplusplus
}
#endif
#endif
