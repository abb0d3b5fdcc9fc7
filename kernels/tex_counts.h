/* Shared by glcm.cu and glrlm.cu: the texture box and the jobs as kernel
 * arguments, the kernels' loop over voxels and directions, and the host side of a dense-count call (check the arguments,
 * upload the box, zero the counters, launch, download). */
#ifndef RDX_KERNELS_TEX_COUNTS_H
#define RDX_KERNELS_TEX_COUNTS_H

#include "common.h"
#include "kernels.h"

#include <stdint.h>

namespace rdx_tex {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 1024;
constexpr int kMaxDirs = 13;

/* rdx_cuda_tex_box with device pointers. */
struct Box {
    const int32_t *grey;
    const int32_t *index;
    int64_t dim[3];
    int n_levels;
};

/* rdx_cuda_tex_jobs by value (the directions copied in). */
struct Jobs {
    int dir[kMaxDirs][3];
    int n_dir;
    int64_t z0, z1;
    int per_slice;
};

static inline __device__ bool contains(const Box &b, int64_t x, int64_t y, int64_t z)
{
    return x >= 0 && y >= 0 && z >= 0 && x < b.dim[0] && y < b.dim[1] && z < b.dim[2];
}

/* First counter of the matrix that job k fills for a pair or run starting in slice z. */
static inline __device__ uint64_t matrix_base(const Jobs &j, int k, int64_t z, uint64_t space)
{
    uint64_t m = j.per_slice ? (uint64_t)k * (uint64_t)(j.z1 - j.z0) + (uint64_t)(z - j.z0) : (uint64_t)k;
    return m * space;
}

/* The grid-stride loop of a count kernel, one thread per voxel of slices
 * z0..z1-1: calls visit(k, v, x, y, z, g) for each ROI voxel v = (x, y, z)
 * (grey level g > 0) and each direction k of the jobs. */
template <class Visit>
static inline __device__ void for_each_roi_voxel(const Box &b, const Jobs &j, Visit visit)
{
    const int64_t plane = b.dim[0] * b.dim[1], n = (j.z1 - j.z0) * plane;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t v = j.z0 * plane + i, x = v % b.dim[0], y = v / b.dim[0] % b.dim[1], z = v / plane;
        const int32_t g = b.grey[v];
        if (!g)
            continue;
        for (int k = 0; k < j.n_dir; k++)
            visit(k, v, x, y, z, g);
    }
}

/* Runs launch(box, jobs, device counters, blocks), which launches a kernel
 * giving one thread per voxel of slices z0..z1-1 (grid-stride), and copies
 * the space counters of each matrix of j to counts. */
template <class Launch>
int count_matrices(const rdx_cuda_tex_box *b, const rdx_cuda_tex_jobs *j, uint64_t space, uint32_t *counts,
                   Launch launch)
{
    if (!b || !j || !counts || !b->grey || !b->index || !j->dir || b->n_grey < 1 || b->n_levels < 1 ||
        j->n_dir < 1 || j->n_dir > kMaxDirs || space < 1)
        return cudaErrorInvalidValue;
    if (b->dim[0] < 1 || b->dim[1] < 1 || b->dim[2] < 1 || j->z0 < 0 || j->z0 >= j->z1 || j->z1 > b->dim[2])
        return cudaErrorInvalidValue;
    const uint64_t plane = (uint64_t)b->dim[0] * (uint64_t)b->dim[1], nv = plane * (uint64_t)b->dim[2];
    /* 32-bit counters: a matrix counts at most one pair or run per voxel. */
    if (b->dim[0] >= ((int64_t)1 << 32) || b->dim[1] >= ((int64_t)1 << 32) || nv >= ((uint64_t)1 << 32))
        return cudaErrorInvalidValue;
    const uint64_t n_mat = j->per_slice ? (uint64_t)j->n_dir * (uint64_t)(j->z1 - j->z0) : (uint64_t)j->n_dir;
    if (n_mat > SIZE_MAX / sizeof *counts / space)
        return cudaErrorInvalidValue;
    const size_t n_counts = (size_t)(n_mat * space);
    for (int g = 0; g <= b->n_grey; g++)
        if (b->index[g] < -1 || b->index[g] >= b->n_levels)
            return cudaErrorInvalidValue;

    Jobs jobs = {};
    for (int k = 0; k < j->n_dir; k++)
        for (int a = 0; a < 3; a++)
            jobs.dir[k][a] = j->dir[k][a];
    jobs.n_dir = j->n_dir;
    jobs.z0 = j->z0;
    jobs.z1 = j->z1;
    jobs.per_slice = j->per_slice != 0;
    int32_t *grey = nullptr, *index = nullptr;
    uint32_t *dc = nullptr;
    cudaError_t err = rdx_dev_malloc(&grey, nv * sizeof *grey);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&index, ((size_t)b->n_grey + 1) * sizeof *index);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dc, n_counts * sizeof *dc);
    if (err == cudaSuccess)
        err = cudaMemcpy(grey, b->grey, nv * sizeof *grey, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(index, b->index, ((size_t)b->n_grey + 1) * sizeof *index, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemset(dc, 0, n_counts * sizeof *dc);
    const uint64_t n_threads = plane * (uint64_t)(j->z1 - j->z0);
    if (err == cudaSuccess) {
        const Box box = {grey, index, {b->dim[0], b->dim[1], b->dim[2]}, b->n_levels};
        uint64_t blocks = (n_threads + kThreads - 1) / kThreads;
        launch(box, jobs, dc, (unsigned)(blocks < kMaxBlocks ? blocks : kMaxBlocks));
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(counts, dc, n_counts * sizeof *dc, cudaMemcpyDeviceToHost);
    rdx_dev_free(grey);
    rdx_dev_free(index);
    rdx_dev_free(dc);
    return (int)err;
}

} // namespace rdx_tex

#endif
