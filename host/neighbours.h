/* Private interface of the neighbourhood texture families NGTDM (IBSI 3.10,
 * features_ngtdm.c) and NGLDM (IBSI 3.11, features_ngldm.c): compaction of the
 * grey levels present in the ROI, the integer count matrices, the feature
 * routines and the 2D / 2.5D / 3D aggregation driver shared by both families
 * (implemented in features_ngtdm.c). Exposed for tests/test_neighbours.c. */
#ifndef RDX_HOST_NEIGHBOURS_H
#define RDX_HOST_NEIGHBOURS_H

#include <stddef.h>
#include <stdint.h>
#include "families.h"

/* Grey levels present in the ROI. Owned by the struct; free with rdx_nbh_levels_free. */
typedef struct {
    int n;          /* number of levels present (matrix rows) */
    int32_t *level; /* level[r]: grey level of row r, ascending */
    int32_t *row;   /* row[g]: row of grey level g (0..n_grey), -1 when absent */
} rdx_nbh_levels;

rdx_status rdx_nbh_levels_build(const rdx_texture_input *in, rdx_nbh_levels *lv, rdx_error *err);
void rdx_nbh_levels_free(rdx_nbh_levels *lv);

/* What a count matrix is built from. in_plane = 1 selects the 2D (in-slice)
 * neighbourhood, 0 the 3D one; neighbours are the voxels within Chebyshev
 * distance `distance` of the centre, centre excluded, inside the box. */
typedef struct {
    const rdx_texture_input *in;
    const rdx_nbh_levels *lv;
    int distance;
    int alpha; /* NGLDM coarseness parameter (unused by NGTDM) */
} rdx_nbh_ctx;

/* Most neighbours a voxel can have in the box (the window clipped to the box
 * size, centre excluded): the width of the matrices. */
int64_t rdx_nbh_max_neighbours(const rdx_nbh_ctx *c, int in_plane);

/* Window [lo, hi] (inclusive, per axis) of the neighbourhood of voxel v. */
static inline void rdx_nbh_window(const rdx_nbh_ctx *c, int in_plane, const int64_t v[3], int64_t lo[3],
                                  int64_t hi[3])
{
    for (int a = 0; a < 3; a++) {
        int64_t r = (a == 2 && in_plane) ? 0 : c->distance;
        lo[a] = v[a] - r < 0 ? 0 : v[a] - r;
        hi[a] = v[a] + r > c->in->dim[a] - 1 ? c->in->dim[a] - 1 : v[a] + r;
    }
}

/* NGTDM counts. Row r (grey level lv->level[r]) holds nw + 1 cells, nw =
 * rdx_nbh_max_neighbours: cell 0 = n_r, the voxels of that level with at least
 * one ROI neighbour; cell W (1..nw) = sum over those voxels with exactly W ROI
 * neighbours of |level * W - S|, S the sum of their neighbours' grey levels.
 * Hence s_r = sum_W cell[W] / W, kept in integers so that the matrix does not
 * depend on the summation order. */
size_t rdx_ngtdm_cells(const rdx_nbh_ctx *c, int in_plane);
/* Add the counts of the centre voxels in slices z0..z1-1 to m. */
void rdx_ngtdm_count(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m);
/* Coarseness, contrast, busyness, complexity, strength of m into out[0..4];
 * returns 1, 0 (out untouched) when m counts no voxel, -1 when out of memory. */
int rdx_ngtdm_features(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out);

/* NGLDM counts. Row r holds nw + 1 cells: cell k = voxels of grey level
 * lv->level[r] with k dependent ROI neighbours (|grey difference| <= alpha),
 * i.e. dependence count j = k + 1 (IBSI counts the centre itself). */
size_t rdx_ngldm_cells(const rdx_nbh_ctx *c, int in_plane);
void rdx_ngldm_count(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m);
/* The 17 NGLDM features in IBSI order (lde, hde, lgce, hgce, ldlge, ldhge,
 * hdlge, hdhge, glnu, glnu_norm, dcnu, dcnu_norm, dc_perc, gl_var, dc_var,
 * dc_entr, dc_energy) into out[]; returns 1, or 0 when m is empty. */
int rdx_ngldm_features(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out);

/* A family for the aggregation driver. ids[a][k]: feature id of feature k for
 * aggregation a (0 = 2D, 1 = 2.5D, 2 = 3D). */
typedef struct {
    int n_features;
    size_t (*cells)(const rdx_nbh_ctx *c, int in_plane);
    void (*count)(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m);
    int (*features)(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out);
    const int *ids[3];
} rdx_nbh_family;

#define RDX_NBH_MAX_FEATURES 17

/* Features of family f for the texture input `in` (neighbourhood distance,
 * NGLDM alpha) and the aggregations in `aggregations` (rdx_aggregation_flag bits):
 * 2D = per-slice features averaged over the slices with counted voxels, 2.5D =
 * features of the sum of the slice matrices, 3D = features of the volume
 * matrix. Undefined aggregations (nothing counted) get NaN. Slices run in
 * parallel on private integer matrices merged by integer addition, and the
 * slice averages are summed in slice order: results do not depend on the
 * thread count. */
rdx_status rdx_nbh_run(const rdx_nbh_family *f, const rdx_texture_input *in, int distance, int alpha,
                       unsigned aggregations, double *values, rdx_error *err);

#endif
