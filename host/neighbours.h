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
#include "rdx/hostdev.h"

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

/* What the neighbourhood of the ROI voxel v holds: its ROI neighbours (n),
 * the sum of their grey levels (sum) and how many of them differ from the
 * centre's grey level by at most alpha (dependent). grey is the box of
 * dimensions dim (x fastest, 0 outside the ROI); neighbours are the voxels
 * within Chebyshev distance `distance` of v, centre excluded, inside the box,
 * and in the slice of v when in_plane. The CUDA kernels
 * (kernels/neighbourhood.cu) count with it voxel by voxel; the CPU counts
 * compute the same tallies a row at a time. */
typedef struct {
    int64_t n, sum, dependent;
} rdx_nbh_tally;

static inline RDX_HOSTDEV rdx_nbh_tally rdx_nbh_scan(const int32_t *grey, const int64_t dim[3], int distance,
                                                     int in_plane, int alpha, const int64_t v[3])
{
    int64_t lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        int64_t r = (a == 2 && in_plane) ? 0 : distance;
        lo[a] = v[a] - r < 0 ? 0 : v[a] - r;
        hi[a] = v[a] + r > dim[a] - 1 ? dim[a] - 1 : v[a] + r;
    }
    int64_t centre = v[0] + dim[0] * (v[1] + dim[1] * v[2]), g = grey[centre];
    rdx_nbh_tally t = {0, 0, 0};
    for (int64_t z = lo[2]; z <= hi[2]; z++)
        for (int64_t y = lo[1]; y <= hi[1]; y++)
            for (int64_t x = lo[0]; x <= hi[0]; x++) {
                int64_t k = x + dim[0] * (y + dim[1] * z), h = grey[k];
                if (h > 0 && k != centre) {
                    t.n++;
                    t.sum += h;
                    t.dependent += h - g <= alpha && g - h <= alpha;
                }
            }
    return t;
}

/* |g * n - sum| of a tally with n > 0: n times |g - mean neighbour grey level|,
 * what the NGTDM adds to cell n of grey level g's row. */
static inline RDX_HOSTDEV int64_t rdx_ngtdm_difference(int64_t g, const rdx_nbh_tally *t)
{
    return g * t->n > t->sum ? g * t->n - t->sum : t->sum - g * t->n;
}

/* Both families count into matrices of lv->n rows (grey level lv->level[r])
 * of rdx_nbh_max_neighbours + 1 cells: the number of cells. */
size_t rdx_nbh_cells(const rdx_nbh_ctx *c, int in_plane);

/* The counts go row by row (x fastest): a centre row with its ROI extent and
 * the rows of its neighbourhood window. The voxels of a row share the window's
 * y and z bounds, so only x remains to clip, once per row rather than per
 * neighbour. */
typedef struct {
    const int32_t *centre; /* grey levels of the row, x = 0 .. dim[0] - 1 */
    int64_t x0, x1;        /* the row's ROI voxels lie in x0 .. x1 - 1 */
    int64_t rx;            /* window radius along x, at most dim[0] - 1 */
    int64_t y0, y1, z0, z1; /* neighbour rows: y0..y1 of slices z0..z1, inclusive, inside the box */
} rdx_nbh_row;

/* The centre row (y, z) as above; 0 when it holds no ROI voxel. */
int rdx_nbh_row_at(const rdx_nbh_ctx *c, int in_plane, int64_t y, int64_t z, rdx_nbh_row *r);

/* Neighbour row (y, z) of the box. */
static inline const int32_t *rdx_nbh_row_grey(const rdx_nbh_ctx *c, int64_t y, int64_t z)
{
    const int64_t *d = c->in->dim;
    return c->in->grey + (size_t)d[0] * (size_t)(y + d[1] * z);
}

/* NGTDM counts. Row r (grey level lv->level[r]) holds nw + 1 cells, nw =
 * rdx_nbh_max_neighbours: cell 0 = n_r, the voxels of that level with at least
 * one ROI neighbour; cell W (1..nw) = sum over those voxels with exactly W ROI
 * neighbours of |level * W - S|, S the sum of their neighbours' grey levels.
 * Hence s_r = sum_W cell[W] / W, kept in integers so that the matrix does not
 * depend on the summation order. Its size (rdx_nbh_cells, named per family for
 * tests/test_neighbours.c): */
static inline size_t rdx_ngtdm_cells(const rdx_nbh_ctx *c, int in_plane)
{
    return rdx_nbh_cells(c, in_plane);
}
/* Add the counts of the centre voxels in slices z0..z1-1 to m; 0, or -1
 * when its row scratch (a few rows of the box) cannot be allocated. */
int rdx_ngtdm_count(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m);
/* Coarseness, contrast, busyness, complexity, strength of m into out[0..4];
 * returns 1, 0 (out untouched) when m counts no voxel, -1 when out of memory. */
int rdx_ngtdm_features(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out);

/* NGLDM counts. Row r holds nw + 1 cells: cell k = voxels of grey level
 * lv->level[r] with k dependent ROI neighbours (|grey difference| <= alpha),
 * i.e. dependence count j = k + 1 (IBSI counts the centre itself). */
static inline size_t rdx_ngldm_cells(const rdx_nbh_ctx *c, int in_plane)
{
    return rdx_nbh_cells(c, in_plane);
}
int rdx_ngldm_count(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m); /* as NGTDM's */
/* The 17 NGLDM features in IBSI order (lde, hde, lgce, hgce, ldlge, ldhge,
 * hdlge, hdhge, glnu, glnu_norm, dcnu, dcnu_norm, dc_perc, gl_var, dc_var,
 * dc_entr, dc_energy) into out[]; returns 1, or 0 when m is empty. */
int rdx_ngldm_features(const rdx_nbh_ctx *c, int in_plane, const int64_t *m, double *out);

/* A family for the aggregation driver. ids[a][k]: feature id of feature k for
 * aggregation a (0 = 2D, 1 = 2.5D, 2 = 3D). */
struct rdx_cuda_nbh_input; /* kernels/kernels.h */

typedef struct {
    int n_features;
    const char *name; /* "NGTDM", "NGLDM": for messages */
    int (*count)(const rdx_nbh_ctx *c, int in_plane, int64_t z0, int64_t z1, int64_t *m); /* 0 or -1 (memory) */
    /* The same counts on the CUDA device (in->device == RDX_DEVICE_CUDA), for
     * every slice at once, of n inputs in one launch: the kernels.h entry
     * point; 0 or a CUDA error code. */
    int (*device_count)(const struct rdx_cuda_nbh_input *d, size_t n, int64_t *m);
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
 * thread count. With in->device == RDX_DEVICE_CUDA the matrices are counted
 * by f->device_count instead (identical integers; the features stay on the
 * host); a kernel failure is RDX_E_DEVICE naming the CUDA error. */
rdx_status rdx_nbh_run(const rdx_nbh_family *f, const rdx_texture_input *in, int distance, int alpha,
                       unsigned aggregations, double *values, rdx_error *err);

/* The same for n cases: in[k] into values[k], st[k] and err[k] its outcome.
 * The matrices of the cases on a CUDA device, 2D and 3D, are counted in one
 * launch for all of them. */
void rdx_nbh_cases(const rdx_nbh_family *f, const rdx_texture_input *const *in, size_t n, int distance, int alpha,
                   unsigned aggregations, double *const *values, rdx_status *st, rdx_error *err);

#endif
