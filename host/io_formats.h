/* Private interface between the format-neutral reader (io_volume.c) and the
 * per-format readers and writers (io_nifti.c, io_nrrd.c). */
#ifndef RDX_IO_FORMATS_H
#define RDX_IO_FORMATS_H

#include <stddef.h>

#include "rdx/volume.h"

/* Voxel types on disk that convert to float32. */
typedef enum {
    RDX_IO_INT8,
    RDX_IO_UINT8,
    RDX_IO_INT16,
    RDX_IO_UINT16,
    RDX_IO_INT32,
    RDX_IO_UINT32,
    RDX_IO_INT64,
    RDX_IO_UINT64,
    RDX_IO_FLOAT32,
    RDX_IO_FLOAT64
} rdx_io_type;

/* A volume as stored in its file: grid, voxels in native byte order, and the
 * intensity scaling value = stored * slope + inter ((1, 0) when the file has
 * none or an unusable one). */
typedef struct {
    rdx_grid grid;
    void *data; /* owned, from malloc: the caller frees it with free() */
    rdx_io_type type;
    double slope, inter;
} rdx_io_volume;

/* Read a scalar 2D/3D volume into out, values not yet checked for NaN/Inf.
 * The file is known to exist and be readable. On failure out->data is NULL
 * and err names path. */
rdx_status rdx_nifti_read(const char *path, rdx_io_volume *out, rdx_error *err);
rdx_status rdx_nrrd_read(const char *path, rdx_io_volume *out, rdx_error *err);

/* Write n = rdx_grid_count(g) voxels of type (RDX_IO_FLOAT32 or RDX_IO_UINT8)
 * on grid g. The data stays owned by the caller. */
rdx_status rdx_nifti_write(const char *path, const rdx_grid *g, const void *data, rdx_io_type type,
                           rdx_error *err);
rdx_status rdx_nrrd_write(const char *path, const rdx_grid *g, const void *data, rdx_io_type type,
                          rdx_error *err);

/* Set g's spacing, direction and origin from the LPS world vector of one index
 * step along each axis (axis[c] for index axis c) and the LPS position of voxel
 * (0,0,0). Fails with RDX_E_FORMAT naming path when an axis has zero or
 * non-finite length. g->dim is left as it is. */
rdx_status rdx_io_set_geometry(rdx_grid *g, const double axis[3][3], const double origin[3],
                               const char *path, rdx_error *err);

/* Convert n voxels (native byte order) to float32. Values are scaled as
 * v * slope + inter in double unless (slope, inter) is (1, 0). */
void rdx_io_to_float(const void *src, rdx_io_type type, size_t n, double slope, double inter,
                     float *dst);

#endif
