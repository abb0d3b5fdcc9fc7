/* 3D convex hull of points with integer coordinates (such as the half-voxel
 * lattice vertices of a marching cubes mesh, see mesh.h). Orientation tests
 * are exact in 64-bit integers, so coplanar and collinear points, which grid
 * data is full of, need no tolerance. Measures are taken in mm after scaling
 * each axis (an affine map, so the hull of the scaled points is the scaled
 * hull). */
#ifndef RDX_HOST_CONVEX_HULL_H
#define RDX_HOST_CONVEX_HULL_H

#include <stdint.h>
#include "rdx/error.h"
#include "rdx/hostdev.h"
#include "rdx/device.h"

typedef struct {
    int32_t n_vertices;
    int32_t *vertex; /* ascending indices into the input points of the hull's vertices */
    int32_t n_faces;
    int32_t *face;   /* 3 point indices per triangle, counter-clockwise seen from outside */
} rdx_hull;

/* Convex hull of the n points (3 coordinates each, x y z). The coordinate
 * range along each axis must not exceed 2^20. Fails with RDX_E_INVALID when
 * the points span no volume (all coplanar). On success the caller owns *hull
 * and frees it with rdx_hull_free; on failure *hull is empty. The hull is the
 * same for any thread count and is built in a fixed (seeded) point order. */
rdx_status rdx_hull_build(const int32_t *points, int32_t n, rdx_hull *hull, rdx_error *err);

void rdx_hull_free(rdx_hull *hull);

/* Volume and surface area of the hull with coordinates scaled by scale[3]. */
void rdx_hull_measure(const rdx_hull *hull, const int32_t *points, const double scale[3], double *volume,
                      double *area);

/* Squared distance in mm^2 between lattice points a and b scaled by scale[3]:
 * the arithmetic of the maximum diameter on the host and the device. */
static inline RDX_HOSTDEV double rdx_sq_distance(const int32_t *a, const int32_t *b, const double scale[3])
{
    double d2 = 0.0;
    for (int c = 0; c < 3; c++) {
        double d = (double)(a[c] - b[c]) * scale[c];
        d2 += d * d;
    }
    return d2;
}

/* Largest distance between two hull vertices (the maximum diameter of the
 * point set), with coordinates scaled by scale[3], into *diameter: on the CPU,
 * or with rdx_cuda_max_sq_distance when device is RDX_DEVICE_CUDA (the same
 * value: a maximum of identical squared distances). Fails only on the device
 * (RDX_E_DEVICE) or without memory for the vertices it sends there. */
rdx_status rdx_hull_diameter(const rdx_hull *hull, const int32_t *points, const double scale[3], rdx_device device,
                             double *diameter, rdx_error *err);

#endif
