/* Triangle mesh of a binary mask by marching cubes (IBSI 3.1: the surface at
 * iso-level 0.5 of the morphological mask padded by one empty voxel).
 *
 * With a binary mask every mesh vertex is the midpoint of a grid edge, so
 * vertices are kept on the half-voxel lattice: voxel index i along an axis is
 * lattice coordinate 2i, and a vertex between voxels i and i+1 is 2i+1. The
 * position in mm is lattice * spacing / 2 (voxel (0,0,0) at the origin).
 * Integer vertices let the volume and the convex hull be computed exactly. */
#ifndef RDX_HOST_MESH_H
#define RDX_HOST_MESH_H

#include <stdint.h>
#include "rdx/device.h"
#include "rdx/error.h"

typedef struct {
    int32_t n_vertices;
    int32_t *vertex;   /* 3 lattice coordinates (x, y, z) per vertex, sorted by (z, y, x) */
    int64_t n_triangles;
    int32_t *triangle; /* 3 vertex indices per triangle, counter-clockwise seen from outside */
} rdx_mesh;

/* Marching cubes of mask (dim[0] * dim[1] * dim[2] bytes, x fastest, non-zero
 * = inside). The mesh is closed and consistently oriented; an empty mask gives
 * an empty mesh. On success the caller owns *mesh and frees it with
 * rdx_mesh_free; on failure *mesh is empty. */
rdx_status rdx_mesh_from_mask(const uint8_t *mask, const int64_t dim[3], rdx_mesh *mesh, rdx_error *err);

/* The same with the cube walk on a device: RDX_DEVICE_CUDA runs
 * kernels/morphology.cu (an identical mesh; a kernel failure is
 * RDX_E_UNSUPPORTED), anything else the CPU. */
rdx_status rdx_mesh_from_mask_on(const uint8_t *mask, const int64_t dim[3], rdx_device device, rdx_mesh *mesh,
                                 rdx_error *err);

void rdx_mesh_free(rdx_mesh *mesh);

/* Enclosed volume in mm^3 (divergence theorem, summed exactly in integers). */
double rdx_mesh_volume(const rdx_mesh *mesh, const double spacing[3]);

/* Surface area in mm^2 (sum of the triangle areas in triangle order). */
double rdx_mesh_area(const rdx_mesh *mesh, const double spacing[3]);

#endif
