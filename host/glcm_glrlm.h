/* Private interface of the GLCM and GLRLM families (features_glcm.c,
 * features_glrlm.c): the sparse integer count matrices both families build,
 * the driver that turns per-slice and per-direction matrices into the six
 * IBSI aggregations, and the matrix builders and feature routines (exposed
 * for the tests). */
#ifndef RDX_HOST_GLCM_GLRLM_H
#define RDX_HOST_GLCM_GLRLM_H

#include <stddef.h>
#include <stdint.h>
#include "directions.h"
#include "families.h"
#include "kernels.h"

/* A sparse count matrix: entries sorted by code, codes unique, counts > 0.
 * The owner frees it with rdx_counts_free. */
typedef struct {
    uint64_t *code;
    int64_t *count;
    size_t n;
} rdx_counts;

void rdx_counts_free(rdx_counts *m);

/* The matrix of the n codes in codes[] (each occurrence counts 1). codes and
 * scratch (n elements each) are overwritten; *m receives a new matrix. */
rdx_status rdx_counts_from_codes(uint64_t *codes, uint64_t *scratch, size_t n, rdx_counts *m, rdx_error *err);

/* *out = a + b (a new matrix). */
rdx_status rdx_counts_add(const rdx_counts *a, const rdx_counts *b, rdx_counts *out, rdx_error *err);

/* What the families need to know about a texture box: the grey levels
 * present in the ROI, compacted so that matrices are sized by them. */
typedef struct {
    const rdx_texture_input *in;
    int n_levels;      /* Np: grey levels present in the ROI */
    int32_t *level;    /* level[k]: the k-th present grey level, ascending (Np entries) */
    int32_t *index;    /* index[g]: k of grey level g, -1 if absent (n_grey + 1 entries) */
    int distance;      /* GLCM: neighbour distance */
    int64_t run_codes; /* GLRLM: run codes are k * run_codes + length; longest run + 1 */
    const rdx_counts *pre; /* matrices counted on the device (rdx_tex_device_matrices) or NULL */
} rdx_tex_ctx;

/* Fills *c for in (distance: the GLCM neighbour distance). Grey levels
 * outside 0..n_grey are an error. Free with rdx_tex_ctx_free. */
rdx_status rdx_tex_ctx_init(const rdx_texture_input *in, int distance, rdx_tex_ctx *c, rdx_error *err);
void rdx_tex_ctx_free(rdx_tex_ctx *c);

/* Writes to out[] the codes of the matrix entries that direction u
 * contributes from the voxels of slices z0 .. z1-1, and returns their number
 * (at most the number of ROI voxels in those slices). */
typedef size_t (*rdx_tex_codes_fn)(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out);

/* The same codes counted: adds one to dense[code] for each code the family's
 * rdx_tex_codes_fn would write. */
typedef void (*rdx_tex_count_fn)(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint32_t *dense);

/* Features of a non-empty matrix into f[]; RDX_OK or RDX_E_NOMEM. */
typedef rdx_status (*rdx_tex_features_fn)(const rdx_counts *m, const rdx_tex_ctx *c, double *f, rdx_error *err);

/* Aggregation index: the order of the feature ids of each feature. The
 * last, RDX_TEX_3D_DIR, is the id of direction rdx_dir[0]; direction d has
 * that id + d (rdx/feature_list.h lists the 13 one after another). */
enum {
    RDX_TEX_2D_AVG,
    RDX_TEX_2D_COMB,
    RDX_TEX_2_5D_AVG,
    RDX_TEX_2_5D_COMB,
    RDX_TEX_3D_AVG,
    RDX_TEX_3D_COMB,
    RDX_TEX_3D_DIR,
    RDX_TEX_N_IDS
};

/* The ids of feature X (e.g. CM_JOINT_MAX) in aggregation order. */
#define RDX_TEX_IDS(X)                                                                                     \
    { RDX_F_##X##_2D_AVG, RDX_F_##X##_2D_COMB,   RDX_F_##X##_2_5D_AVG, RDX_F_##X##_2_5D_COMB,             \
      RDX_F_##X##_3D_AVG, RDX_F_##X##_3D_COMB, RDX_F_##X##_3D_DIR01 }

/* CUDA: the dense counts of the matrices of n items (the family's kernel of
 * kernels.h, code space entries per matrix); 0 or a CUDA error code. */
typedef int (*rdx_tex_device_fn)(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts);

typedef struct {
    const char *name;    /* for error messages */
    int n_features;
    const int (*ids)[RDX_TEX_N_IDS]; /* ids[f][aggregation]: rdx_feature_id of feature f */
    rdx_tex_codes_fn codes;
    rdx_tex_count_fn count;
    rdx_tex_features_fn features;
    rdx_tex_device_fn device_counts;
    int64_t (*device_param)(const rdx_tex_ctx *c); /* the kernel's item parameter */
    uint64_t (*code_space)(const rdx_tex_ctx *c); /* codes are 0 .. code_space - 1 */
} rdx_tex_family;

extern const rdx_tex_family rdx_glcm_family, rdx_glrlm_family;

/* Family fam of n cases: computes the aggregations of aggregations (IBSI
 * 3.6.x) on in[k] (its context made with distance, the GLCM neighbour
 * distance) and writes them to values[k]; st[k] and err[k] receive case k's
 * outcome. Empty matrices (a slice or direction without pairs or runs) are
 * left out of the averages; a feature without any matrix is NaN. The
 * matrices of the cases with in[k]->device == RDX_DEVICE_CUDA are counted by
 * the family's kernel, all cases' boxes packed into shared launches
 * (rdx_tex_device_matrices, RDX_TEX_DEVICE_BUDGET), then the same host code
 * computes the features. */
void rdx_tex_cases(const rdx_texture_input *const *in, size_t n, const rdx_tex_family *fam, int distance,
                   unsigned aggregations, double *const *values, rdx_status *st, rdx_error *err);

/* Counters (32-bit) of one kernel call at most: 256 MiB. */
#define RDX_TEX_DEVICE_BUDGET ((uint64_t)1 << 26)

/* Box voxels (32-bit grey levels) one kernel call uploads at most when it
 * packs several cases: 64 MiB (a single case's box can be larger). */
#define RDX_TEX_DEVICE_BOX_VOXELS ((uint64_t)1 << 24)

/* Slot of a matrix in the array of rdx_tex_device_matrices: direction d over
 * the whole box (z < 0), or in-plane direction d in slice z. */
static inline size_t rdx_tex_slot(int d, int64_t z)
{
    return z < 0 ? (size_t)d : RDX_N_DIR_3D + (size_t)z * RDX_N_DIR_2D + (size_t)d;
}

/* Counts with fam->device_counts, for each of the n cases c[k], every
 * matrix that rdx_tex_cases needs for aggregations: the whole-box matrices
 * of the 13 (3D) or 4 (2D only) directions and, for 2D, those of each slice
 * and in-plane direction. The cases' matrices are cut into pieces of at most
 * budget counters and consecutive pieces, of one case or of several, share a
 * kernel launch of at most budget counters and RDX_TEX_DEVICE_BOX_VOXELS box
 * voxels (each box uploaded once). pre[k] receives RDX_N_DIR_3D +
 * RDX_N_DIR_2D * dim[2] matrices at rdx_tex_slot (those not needed empty);
 * free each with rdx_tex_matrices_free. pre[k] is NULL when one dense matrix
 * of case k alone exceeds budget: the CPU counts then (its sparse builder
 * does not grow with the grey levels). A kernel error is RDX_E_DEVICE naming
 * it, and leaves every pre[k] NULL. */
rdx_status rdx_tex_device_matrices(const rdx_tex_ctx *const *c, size_t n, const rdx_tex_family *fam,
                                   unsigned aggregations, uint64_t budget, rdx_counts **pre, rdx_error *err);
void rdx_tex_matrices_free(rdx_counts *pre, int64_t nz);

/* GLCM: codes a * Np + b (a <= b, compact grey indices) of the pairs at
 * distance c->distance along u; features in the IBSI order of features_glcm.c. */
size_t rdx_glcm_codes(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out);
rdx_status rdx_glcm_features(const rdx_counts *m, const rdx_tex_ctx *c, double *f, rdx_error *err);
#define RDX_GLCM_N_FEATURES 25

/* GLRLM: codes k * c->run_codes + length of the runs along u that start in the
 * slices; features in the IBSI order of features_glrlm.c. */
size_t rdx_glrlm_codes(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out);
rdx_status rdx_glrlm_features(const rdx_counts *m, const rdx_tex_ctx *c, double *f, rdx_error *err);
#define RDX_GLRLM_N_FEATURES 16

#endif
