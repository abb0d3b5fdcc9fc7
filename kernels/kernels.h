/* Host entry points of rdx's CUDA kernels, callable from C.
 *
 * The same functions come from three libraries: rdx_kernels_cuda (nvcc, from the
 * .cu files, runs on the GPU), rdx_kernels_emu (the same .cu files through g++
 * and the SIMT emulator, runs on the CPU; used by the tests and rdx_emu) and
 * rdx_kernels_none (none.c, for builds without the CUDA toolkit: no device).
 * A program links one of them. Each function copies its inputs to the device, runs, copies the
 * results back and returns 0, or a CUDA error code (cudaError_t), which
 * rdx_cuda_error_string names. Inputs are the caller's; nothing is kept. */
#ifndef RDX_KERNELS_H
#define RDX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "rdx/preprocess.h"
#include "rdx/roc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a CUDA device can run kernels (always in the emulator), with its name
 * in name; else 0 with the reason in why ("no CUDA device", the driver's error). */
int rdx_cuda_device_query(char *name, size_t name_len, char *why, size_t why_len);

/* Caps the device memory the functions below hold at once, over all host
 * threads, at bytes (a memory pool of that maximum size becomes the device's
 * pool for them): an allocation beyond it fails with
 * cudaErrorMemoryAllocation, which `--device auto` turns into a CPU run of
 * that case, instead of exhausting a device other work shares. Call once,
 * after rdx_cuda_device_query and before any other call; 0 or a CUDA error. */
int rdx_cuda_set_memory_budget(size_t bytes);

/* Static text naming a code returned by the functions below. */
const char *rdx_cuda_error_string(int code);

/* hist[b - 1] = number of x[i] (i < n) whose grey level rdx_disc_bin(x[i], d)
 * is b, for b = 1 .. d->n_bins; hist has d->n_bins entries and is overwritten.
 * Integer counts: identical to the CPU whatever the execution order. Fails with
 * cudaErrorInvalidValue for null pointers, n_bins < 1 or n >= 2^40. */
int rdx_cuda_intensity_histogram(const float *x, size_t n, const rdx_disc_info *d, int64_t *hist);

/* ---- resampling, discretisation, intensity statistics, IVH, local intensity (kernels/intensity.cu, kernels/resample.cu) ---- */

/* Interpolation taps along one axis of a resampling (host/interp.h): target
 * index j reads k source elements at offsets off[j*k + t] (source index times
 * the axis stride) with weights w[j*k + t]. */
typedef struct {
    int64_t n;          /* target voxels along the axis */
    int k;              /* taps per target voxel, 1 .. 4 */
    const int64_t *off; /* n * k offsets */
    const double *w;    /* n * k weights */
} rdx_cuda_axis_taps;

/* Resampling: for every target voxel (x fastest), v = rdx_interp_point over
 * the taps of axes[0..2] on src (src_count floats: image values, mask as 0/1,
 * or B-spline coefficients); writes out_img = (float)v, or out_mask = v >=
 * threshold (exactly one of them non-null). Same arithmetic as the CPU loop of
 * host/preprocess_resample.c: identical output. */
int rdx_cuda_resample(const float *src, size_t src_count, const rdx_cuda_axis_taps axes[3], float *out_img,
                      uint8_t *out_mask, double threshold);

/* Discretisation: grey[i] = rdx_disc_bin(x[i], d) (host/voxel_ops.h) where
 * roi[i] is non-zero, else 0, for i < n: identical to the CPU. */
int rdx_cuda_discretise(const float *x, const uint8_t *roi, size_t n, const rdx_disc_info *d, int32_t *grey);

/* Block sums of host/order_stats.h, in its lane-and-tree order (identical to
 * the CPU): part[b*4 + p] = sum over block b (values b*RDX_SUM_BLOCK ..) of
 * (x - c)^(p+1); part has ceil(n / RDX_SUM_BLOCK) * 4 entries. */
int rdx_cuda_central_power_sums(const float *x, size_t n, double c, double *part);

/* As above with part[b*3 + 0..2] = the sums of |x - c|, 1 and x over the values
 * of block b with lo <= x <= hi. */
int rdx_cuda_abs_dev_sums(const float *x, size_t n, double c, double lo, double hi, double *part);

/* The same with part[b*13 + t] = the RDX_SPREAD_TERMS sums of
 * rdx_spread_terms_add (host/order_stats.h) over block b: the intensity
 * statistics' central moments and absolute deviations in one launch. */
int rdx_cuda_spread_sums(const float *x, size_t n, double mean, double median, double lo, double hi, double *part);

/* vals[i] = the ranks[i]-th smallest (0-based, < n) of x[0..n) for i < m <= 32,
 * by a radix select on the order-preserving integer keys of the float bit
 * patterns (exact). Fails with cudaErrorInvalidValue for bad arguments. */
int rdx_cuda_select_ranks(const float *x, size_t n, const size_t *ranks, size_t m, float *vals);

/* A chord of the local-intensity sphere: voxels x - rx .. x + rx of row
 * (y + dy, z + dz) around a centre (x, y, z). */
typedef struct {
    int dz, dy, rx;
} rdx_chord;

/* Local means: means[i] = the mean of the voxels of box (dim[0] x dim[1] x
 * dim[2], x fastest) on the chords around the voxel of linear index
 * centres[i], clipped to the box, summed in double in chord order then x
 * order. Exact for integer intensities. */
int rdx_cuda_local_means(const float *box, const int64_t dim[3], const rdx_chord *chords, int n_chords,
                         const int64_t *centres, size_t n, double *means);

/* ---- GLCM and GLRLM (kernels/glcm.cu, kernels/glrlm.cu) ---- */

/* A texture box as the GLCM/GLRLM kernels read it: grey[x + dim[0] * (y +
 * dim[1] * z)] in 0..n_grey (0 outside the ROI; the caller guarantees the
 * range, as rdx_tex_ctx_init checks it), and index[g] (n_grey + 1 entries)
 * the compact index 0..n_levels-1 of each grey level g present. */
typedef struct {
    const int32_t *grey;
    int64_t dim[3];
    const int32_t *index;
    int n_grey;
    int n_levels;
} rdx_cuda_tex_box;

/* The matrices one call counts: for each of the n_dir (1..13) directions
 * dir[k], over the pairs or runs that start in slices z0..z1-1, one matrix
 * (per_slice 0: matrix k) or one per slice (per_slice 1: matrix
 * k * (z1 - z0) + z - z0). */
typedef struct {
    const int (*dir)[3];
    int n_dir;
    int64_t z0, z1;
    int per_slice;
} rdx_cuda_tex_jobs;

/* One box of a count call with the matrices of its jobs and the family's
 * parameter: GLCM, the neighbour distance (>= 1); GLRLM, run_codes (longer
 * than the longest possible run). The items of one call can come from
 * different cases: their boxes share one kernel launch. */
typedef struct {
    rdx_cuda_tex_box box;
    rdx_cuda_tex_jobs jobs;
    int64_t param;
} rdx_cuda_tex_item;

/* Dense GLCM counts of n >= 1 items in one launch. counts receives the
 * matrices of item 0, then those of item 1, and so on, each of n_levels^2
 * counters: for item k and its matrix m, counter a * n_levels + b = number of
 * ROI voxel pairs (v, v + distance * dir) with compact grey indices {a, b},
 * a <= b (entries with a > b stay 0), the codes of rdx_glcm_codes
 * (host/glcm_glrlm.h). counts is overwritten. Fails with
 * cudaErrorInvalidValue for null pointers, an item with bad jobs (no
 * direction, slices empty or outside the box), distance < 1, an index
 * outside -1..n_levels-1 or a box of 2^32 voxels or more. */
int rdx_cuda_glcm_counts(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts);

/* Dense GLRLM counts of n items, laid out as for the GLCM with n_levels *
 * run_codes counters per matrix: counter k * run_codes + len = number of runs
 * with compact grey index k and length len, the codes of rdx_glrlm_codes.
 * Fails as rdx_cuda_glcm_counts, and for run_codes not longer than every box
 * dimension. */
int rdx_cuda_glrlm_counts(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts);

/* ---- GLSZM and GLDZM (kernels/zones.cu) ---- */

/* One zone of rdx_cuda_zones_label: its first voxel (smallest index, raster
 * order), grey level, voxel count and the minimum distance to the ROI edge
 * over its voxels (0 when no distance map was given). */
typedef struct {
    uint32_t first;
    int32_t grey;
    uint32_t size;
    int32_t min_dist;
} rdx_cuda_zone;

/* Zones of the volume grey (dim voxels, x fastest) as rdx_zones_label
 * (host/zones.h): voxels with grey > 0 linked to same-grey neighbours within
 * Chebyshev distance linkage (>= 1), within each axial slice when in_plane is
 * 1 (the 2D zones of every slice at once), in 3D when 0. Zones are numbered 1,
 * 2, ... in raster order of their first voxels (in_plane: slice by slice, so
 * slice z's zones follow those of the slices before it). label (NULL: not
 * wanted; else dim[0]*dim[1]*dim[2] entries) receives the zone numbers, 0
 * outside; *zones receives the *n_zones zones, zone k at index k - 1, in
 * memory allocated with malloc that the caller frees (also when *n_zones is
 * 0; *zones is NULL after a failure).
 * dist (NULL: none) is the distance map whose minimum each zone reports.
 * Fails with cudaErrorInvalidValue for null inputs, linkage < 1 or volumes
 * of 2^32 - 1 voxels or more. */
int rdx_cuda_zones_label(const int64_t dim[3], const int32_t *grey, int linkage, int in_plane, const int32_t *dist,
                         uint32_t *label, rdx_cuda_zone **zones, size_t *n_zones);

/* An input of rdx_cuda_zones_label_packed: a volume as above, its distance
 * map (NULL: none) and whether its zones are 2D (in_plane 1) or 3D. */
typedef struct {
    int64_t dim[3];
    const int32_t *grey;
    const int32_t *dist;
    int in_plane;
} rdx_cuda_zones_input;

/* rdx_cuda_zones_label of n >= 1 inputs in one labelling (shared kernel
 * launches): zones[k] and n_zones[k] receive input k's zones, numbered and
 * with first voxels as if it were alone (malloc'd, the caller frees each, also
 * after a failure, when they are NULL); label (NULL: not wanted) the inputs'
 * voxels one after another, each input's zones numbered from 1. The inputs
 * have a distance map all or none. Fails as rdx_cuda_zones_label, and for
 * inputs of 2^32 - 1 voxels or more together. */
int rdx_cuda_zones_label_packed(const rdx_cuda_zones_input *in, size_t n, int linkage, uint32_t *label,
                                rdx_cuda_zone **zones, size_t *n_zones);

/* rdx_zones_border_distance (host/zones.h) on the device: dist[v] = Manhattan
 * distance of voxel v to the nearest voxel outside mask (outside the volume
 * counts as outside), within axial slices when in_plane is 1; 0 outside mask.
 * Same limits as rdx_cuda_zones_label. */
int rdx_cuda_zones_border_distance(const int64_t dim[3], const uint8_t *mask, int in_plane, int32_t *dist);

/* ---- NGTDM and NGLDM (kernels/neighbourhood.cu) ---- */

/* A neighbourhood count (host/neighbours.h): the box, the compacted grey
 * levels and the neighbourhood. Matrices have n_rows rows of width cells. */
typedef struct rdx_cuda_nbh_input {
    const int32_t *grey; /* dim[0] * dim[1] * dim[2] grey levels, x fastest: 0 outside the ROI, else 1..n_grey */
    int64_t dim[3];      /* box dimensions, each >= 1 */
    const int32_t *row;  /* row[g], g = 0..n_grey: matrix row of grey level g (< n_rows), -1 when absent */
    int n_grey;
    int n_rows;
    int64_t width;       /* cells per row: at least the most neighbours a voxel can have in the box, + 1 */
    int distance;        /* Chebyshev distance of the neighbours, >= 1 */
    int alpha;           /* NGLDM dependence: |grey difference| <= alpha, >= 0 (NGTDM: unused) */
    int in_plane;        /* 1: 2D neighbourhoods, one matrix per slice; 0: 3D, one matrix */
} rdx_cuda_nbh_input;

/* NGTDM counts of rdx_ngtdm_count (host/neighbours.h) of n >= 1 inputs in
 * one launch (several cases, or a case's 2D and 3D counts) into m: the
 * matrices of in[0], then those of in[1], and so on; an input has dim[2]
 * matrices with in_plane (slice z at z * n_rows * width), else one; m is
 * overwritten. Per row, cell 0 counts the voxels with at least one ROI
 * neighbour and cell W sums |g * W - S| over those with W neighbours of grey
 * sum S. Integers, equal to the CPU's whatever the execution order.
 * cudaErrorInvalidValue for null pointers, bad sizes or a width too small
 * for the neighbourhood. */
int rdx_cuda_ngtdm_counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m);

/* NGLDM counts of rdx_ngldm_count into m, laid out as for the NGTDM: cell k of
 * row r counts the ROI voxels of that row's level with k dependent neighbours. */
int rdx_cuda_ngldm_counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m);

/* ---- morphology (kernels/morphology.cu) ---- */

/* Moran's I / Geary's C pair sums of n points in raster order (lattice
 * coordinates x[i], y[i], z[i]; d[i] = intensity - mean): sums[3 i + c] =
 * sum over j > i of w, w d_j, w d_j^2 (c = 0, 1, 2), w = 1 / distance in mm
 * with the given voxel spacing. Summed in the order of the CPU's subset sums
 * (host/features_morphology.c): equal to them bit for bit. sums has 3 n
 * entries. cudaErrorInvalidValue for null pointers or n < 0. */
int rdx_cuda_autocorr_pair_sums(const int32_t *x, const int32_t *y, const int32_t *z, const double *d, int64_t n,
                                const double spacing[3], double *sums);

/* Marching cubes of mask (dim[0] x dim[1] x dim[2] bytes, x fastest, non-zero
 * = inside) as host/mesh.c walks it: *n_tri triangles and their vertex keys
 * (host/marching_cubes.h), 3 per triangle, in the CPU's order (identical), in
 * *keys, malloc'd here and freed by the caller (NULL when there are none or
 * on failure). cudaErrorInvalidValue for null pointers or dimensions outside
 * 0 .. 2^19 - 1. */
int rdx_cuda_mesh_keys(const uint8_t *mask, const int64_t dim[3], uint64_t **keys, int64_t *n_tri);

/* Maximum diameter: *d2 = the largest rdx_sq_distance (host/convex_hull.h)
 * between two of the n points xyz[3 i .. 3 i + 2] (lattice coordinates) with
 * the given scale, 0 when n < 2. A maximum of the CPU's own values: equal to
 * rdx_hull_diameter's square bit for bit. cudaErrorInvalidValue for null
 * pointers or n < 0. */
int rdx_cuda_max_sq_distance(const int32_t *xyz, int64_t n, const double scale[3], double *d2);

/* ---- ROC statistics (kernels/roc.cu) ---- */

/* Bootstrap replicates r0 .. r0 + n_rep - 1 of design d (rdx_boot_counts: the
 * same Philox draws) for k columns of d->n studies: u2, n_neg and n_pos
 * [j * n_rep + r] receive rdx_roc_u2 of column j under the counts of replicate
 * r0 + r. Integers, equal to the CPU's. cudaErrorInvalidValue for null
 * pointers or a column of another size than the design. */
int rdx_cuda_roc_boot_auc(const rdx_roc_column *cols, size_t k, const rdx_boot_design *d, uint32_t r0,
                          uint32_t n_rep, uint64_t *u2, uint64_t *n_neg, uint64_t *n_pos);

/* The weighted group counts of rdx_roc_group_weights of column c for the same
 * replicates: g_neg, g_pos [r * c->n_groups + g]. */
int rdx_cuda_roc_boot_group_weights(const rdx_roc_column *c, const rdx_boot_design *d, uint32_t r0,
                                    uint32_t n_rep, uint64_t *g_neg, uint64_t *g_pos);

/* rdx_roc_placements of k columns with the same number n of input studies:
 * place[j * n + i] (0 for studies column j skipped). */
int rdx_cuda_roc_placements(const rdx_roc_column *cols, size_t k, uint64_t *place);

/* Products of placements for the DeLong covariance (kernels/roc_delong.cu):
 * for k columns of m placements p[a * m + i] (i < n_pos: the positives, then
 * the negatives), p10[a * k + b] = sum over i < n_pos of p[a * m + i] * p[b *
 * m + i], and p01 the same over n_pos <= i < m. Exact integers, so equal to
 * the CPU's sums (place_products in host/roc_delong.c) whatever their order.
 * Runs as a cuBLAS DGEMM on the placements as doubles when every product and
 * partial sum stays below 2^53 (exact), else, or without cuBLAS, as an
 * integer kernel. cudaErrorInvalidValue for null pointers, n_pos > m, or a
 * class whose sums can reach 2^64 (its largest placement squared times its
 * size; the host computes those on the CPU). */
int rdx_cuda_roc_place_products(const uint64_t *p, size_t k, size_t m, size_t n_pos, uint64_t *p10, uint64_t *p01);

/* What bounds those sums: the larger over the two classes of the class's
 * largest placement squared times its size (every sum is at most this). */
static inline unsigned __int128 rdx_place_products_bound(const uint64_t *p, size_t k, size_t m, size_t n_pos)
{
    uint64_t max_pos = 0, max_neg = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t i = 0; i < m; i++) {
            uint64_t v = p[a * m + i], *mx = i < n_pos ? &max_pos : &max_neg;
            *mx = v > *mx ? v : *mx;
        }
    unsigned __int128 b10 = (unsigned __int128)max_pos * max_pos * n_pos,
                      b01 = (unsigned __int128)max_neg * max_neg * (m - n_pos);
    return b10 > b01 ? b10 : b01;
}

#ifdef __cplusplus
}
#endif
#endif
