/* Zones for the GLSZM (IBSI 3.8) and GLDZM (IBSI 3.9): connected sets of
 * voxels with the same discretised grey level, counted in a sparse matrix by
 * (grey level, j), where j is the zone size (GLSZM) or the zone's distance to
 * the ROI edge (GLDZM). Private to the host library; also used by
 * tests/test_zones.c. */
#ifndef RDX_HOST_ZONES_H
#define RDX_HOST_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include "families.h"

/* One nonzero element of a zone matrix: count zones of grey level grey and
 * size/distance j. */
typedef struct {
    int32_t grey;
    int64_t j;
    int64_t count;
} rdx_zone_count;

/* Count of zones with size/distance j whatever their grey level. */
typedef struct {
    int64_t j;
    int64_t count;
} rdx_zone_margin;

/* Sparse zone matrix: the nonzero elements sorted by (grey, j) and the
 * j-marginal sorted by j, so every sum over it has one fixed order. e and jm
 * are owned (free with rdx_zone_matrix_free). */
typedef struct {
    rdx_zone_count *e;
    size_t n;
    rdx_zone_margin *jm;
    size_t n_j;
    int64_t n_voxels; /* N_v: voxels of the zones counted */
} rdx_zone_matrix;

void rdx_zone_matrix_free(rdx_zone_matrix *m);

/* Label the zones of a volume of dim voxels (x fastest): voxels with
 * grey > 0 are linked to neighbours of the same grey level within Chebyshev
 * distance linkage (1: 26 neighbours; a volume of one slice gives the 2D
 * zones with 8 neighbours). label (dim[0]*dim[1]*dim[2] entries, caller's
 * memory) receives the zone number of every voxel, 1, 2, ... in raster order
 * of each zone's first voxel, and 0 outside. m receives the zone matrix, with
 * j = the zone size when dist is NULL, else j = the minimum of dist over the
 * zone's voxels. Two raster passes with union-find kept in label[] (no
 * recursion; extra memory 8 bytes per zone).
 * Fails (RDX_E_UNSUPPORTED) for volumes of 2^32 voxels or more, RDX_E_NOMEM
 * when out of memory. On success the caller frees m. */
rdx_status rdx_zones_label(const int64_t dim[3], const int32_t *grey, int linkage, const int32_t *dist,
                           uint32_t *label, rdx_zone_matrix *m, rdx_error *err);

/* IBSI distance to the ROI edge of every voxel of mask: the Manhattan
 * distance to the nearest voxel outside the mask (voxels outside the volume
 * are outside the mask), so voxels on the edge have 1 and voxels outside 0.
 * in_plane = 1 measures within each axial slice (4-connected, the 2D
 * approach), 0 in 3D (6-connected). Exact: one forward and one backward sweep
 * per axis (the Manhattan distance is separable). */
void rdx_zones_border_distance(const int64_t dim[3], const uint8_t *mask, int in_plane, int32_t *dist);

/* The 16 zone features (IBSI GLSZM/GLDZM, same definitions with j the size
 * or the distance), in this order. */
enum {
    RDX_ZF_SJE,      /* small zone / distance emphasis */
    RDX_ZF_LJE,      /* large zone / distance emphasis */
    RDX_ZF_LGZE,     /* low grey level zone emphasis */
    RDX_ZF_HGZE,     /* high grey level zone emphasis */
    RDX_ZF_SJLGE,    /* small zone/distance low grey level emphasis */
    RDX_ZF_SJHGE,    /* small zone/distance high grey level emphasis */
    RDX_ZF_LJLGE,    /* large zone/distance low grey level emphasis */
    RDX_ZF_LJHGE,    /* large zone/distance high grey level emphasis */
    RDX_ZF_GLNU,     /* grey level non-uniformity */
    RDX_ZF_GLNU_NORM,
    RDX_ZF_JNU,      /* zone size / distance non-uniformity */
    RDX_ZF_JNU_NORM,
    RDX_ZF_PERC,     /* zone percentage N_s / N_v */
    RDX_ZF_GL_VAR,   /* grey level variance */
    RDX_ZF_J_VAR,    /* zone size / distance variance */
    RDX_ZF_J_ENTR,   /* zone size / distance entropy */
    RDX_ZF_COUNT
};

/* Features of a nonempty zone matrix, summed in the matrix order. */
void rdx_zone_features(const rdx_zone_matrix *m, double f[RDX_ZF_COUNT]);

/* Aggregations of the zone families: 2D (per slice, averaged over the slices
 * with ROI voxels), 2.5D (slice matrices merged), 3D. */
enum { RDX_ZAGG_2D, RDX_ZAGG_2_5D, RDX_ZAGG_3D, RDX_ZAGG_COUNT };

/* Shared driver of rdx_family_glszm (use_distance 0: j = zone size) and
 * rdx_family_gldzm (use_distance 1: j = distance to the edge of the
 * morphological mask, IBSI 3.9). Zones come from the intensity mask (grey > 0)
 * with linkage t->zone_linkage (values below 1 mean the IBSI default 1).
 * Writes values[ids[k][a]] for feature k and every aggregation a enabled in
 * t->aggregations. Slices are processed in parallel, each into its own matrix;
 * results are combined in slice order, so they do not depend on the thread
 * count. With in->device RDX_DEVICE_CUDA the distance maps and the zones (of
 * every slice at once for 2D) come from the kernels of kernels.h and give the
 * same matrices; a kernel failure returns RDX_E_DEVICE naming it. */
rdx_status rdx_zone_family(const rdx_texture_input *in, const rdx_texture *t, int use_distance,
                           const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], double *values, rdx_error *err);

/* The same for n cases: in[k] into values[k], st[k] and err[k] its outcome.
 * The zones of the cases on a CUDA device, 2D and 3D, are labelled in one
 * packed labelling for all of them. */
void rdx_zone_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, int use_distance,
                    const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], double *const *values, rdx_status *st,
                    rdx_error *err);

#endif
