/* Shared by glcm.cu and glrlm.cu: the packed items as kernel arguments, the
 * kernels' loop over the voxels of every item and its directions, and the
 * host side of a dense-count call (check the items, upload their boxes into
 * one buffer, zero the counters, one launch for all items, download). */
#ifndef RDX_KERNELS_TEX_COUNTS_H
#define RDX_KERNELS_TEX_COUNTS_H

#include "common.h"
#include "kernels.h"

#include <stdint.h>
#include <stdlib.h>

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

/* One rdx_cuda_tex_item on the device: first is the item's first thread in
 * the launch's numbering (items follow one another, one thread per voxel of
 * their slices), base its first counter, space the counters per matrix. */
struct Item {
    Box b;
    Jobs j;
    int64_t param;
    uint64_t first, base, space;
};

static inline __device__ bool contains(const Box &b, int64_t x, int64_t y, int64_t z)
{
    return x >= 0 && y >= 0 && z >= 0 && x < b.dim[0] && y < b.dim[1] && z < b.dim[2];
}

/* First counter of the matrix that direction k of item it fills for a pair
 * or run starting in slice z. */
static inline __device__ uint64_t matrix_base(const Item &it, int k, int64_t z)
{
    const Jobs &j = it.j;
    uint64_t m = j.per_slice ? (uint64_t)k * (uint64_t)(j.z1 - j.z0) + (uint64_t)(z - j.z0) : (uint64_t)k;
    return it.base + m * it.space;
}

/* The grid-stride loop of a count kernel over the total threads of n items
 * (one per voxel of each item's slices z0..z1-1; a binary search on first
 * finds a thread's item): calls visit(it, k, v, x, y, z, g) for each ROI
 * voxel v = (x, y, z) (grey level g > 0) and each direction k of its item. */
template <class Visit>
static inline __device__ void for_each_roi_voxel(const Item *items, int n, uint64_t total, Visit visit)
{
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const Item &it = items[rdx_packed_index(items, n, i)];
        const Box &b = it.b;
        const int64_t plane = b.dim[0] * b.dim[1];
        const int64_t v = it.j.z0 * plane + (int64_t)(i - it.first), x = v % b.dim[0], y = v / b.dim[0] % b.dim[1],
                      z = v / plane;
        const int32_t g = b.grey[v];
        if (!g)
            continue;
        for (int k = 0; k < it.j.n_dir; k++)
            visit(it, k, v, x, y, z, g);
    }
}

/* Matrices of an item's jobs. */
static inline uint64_t item_matrices(const rdx_cuda_tex_jobs &j)
{
    return j.per_slice ? (uint64_t)j.n_dir * (uint64_t)(j.z1 - j.z0) : (uint64_t)j.n_dir;
}

/* The checks of kernels.h on one item with space counters per matrix. */
static inline bool item_ok(const rdx_cuda_tex_item &it, uint64_t space)
{
    const rdx_cuda_tex_box *b = &it.box;
    const rdx_cuda_tex_jobs *j = &it.jobs;
    if (!b->grey || !b->index || !j->dir || b->n_grey < 1 || b->n_levels < 1 || j->n_dir < 1 ||
        j->n_dir > kMaxDirs || space < 1)
        return false;
    if (b->dim[0] < 1 || b->dim[1] < 1 || b->dim[2] < 1 || j->z0 < 0 || j->z0 >= j->z1 || j->z1 > b->dim[2])
        return false;
    /* 32-bit counters: a matrix counts at most one pair or run per voxel. */
    const uint64_t nv = (uint64_t)b->dim[0] * (uint64_t)b->dim[1] * (uint64_t)b->dim[2];
    if (b->dim[0] >= ((int64_t)1 << 32) || b->dim[1] >= ((int64_t)1 << 32) || nv >= ((uint64_t)1 << 32))
        return false;
    for (int g = 0; g <= b->n_grey; g++)
        if (b->index[g] < -1 || b->index[g] >= b->n_levels)
            return false;
    return true;
}

/* Copies item k's box to the device buffers grey and index (at the item's
 * offsets; not when NULL) and fills its Item. */
static inline cudaError_t upload_item(const rdx_cuda_tex_item &in, int32_t *grey, int32_t *index, Item *out)
{
    const rdx_cuda_tex_box &b = in.box;
    const size_t nv = (size_t)b.dim[0] * (size_t)b.dim[1] * (size_t)b.dim[2], ni = (size_t)b.n_grey + 1;
    cudaError_t err = cudaSuccess;
    if (grey) /* NULL: the box was uploaded for an earlier item */
        err = cudaMemcpyAsync(grey, b.grey, nv * sizeof *grey, cudaMemcpyHostToDevice, cudaStreamPerThread);
    if (err == cudaSuccess && index)
        err = cudaMemcpyAsync(index, b.index, ni * sizeof *index, cudaMemcpyHostToDevice, cudaStreamPerThread);
    out->b = Box{grey, index, {b.dim[0], b.dim[1], b.dim[2]}, b.n_levels};
    out->j = Jobs{};
    for (int k = 0; k < in.jobs.n_dir; k++)
        for (int a = 0; a < 3; a++)
            out->j.dir[k][a] = in.jobs.dir[k][a];
    out->j.n_dir = in.jobs.n_dir;
    out->j.z0 = in.jobs.z0;
    out->j.z1 = in.jobs.z1;
    out->j.per_slice = in.jobs.per_slice != 0;
    out->param = in.param;
    return err;
}

/* The host side of rdx_cuda_glcm_counts / rdx_cuda_glrlm_counts: space(item)
 * gives an item's counters per matrix (0: invalid parameter); launch(items,
 * n, total threads, device counters, blocks) launches the family's kernel
 * once for all items; counts receives every item's matrices in item order. */
template <class Space, class Launch>
int count_matrices(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts, Space space, Launch launch)
{
    if (!items || !counts || n < 1 || n > INT32_MAX)
        return cudaErrorInvalidValue;
    Item *host = (Item *)calloc(n, sizeof *host);
    if (!host)
        return cudaErrorMemoryAllocation;
    /* Items on the same box (a case's whole-box and per-slice passes) share one upload. */
    size_t *same = rdx_shared_boxes(items, n, [](const rdx_cuda_tex_item &a, const rdx_cuda_tex_item &b) {
        return a.box.grey == b.box.grey && a.box.index == b.box.index && a.box.n_grey == b.box.n_grey &&
               a.box.dim[0] == b.box.dim[0] && a.box.dim[1] == b.box.dim[1] && a.box.dim[2] == b.box.dim[2];
    });
    if (!same) {
        free(host);
        return cudaErrorMemoryAllocation;
    }
    uint64_t n_counts = 0, n_grey = 0, n_index = 0, total = 0;
    for (size_t k = 0; k < n; k++) {
        const rdx_cuda_tex_item &it = items[k];
        const uint64_t sp = space(it);
        if (!item_ok(it, sp) || item_matrices(it.jobs) > (SIZE_MAX / sizeof *counts - n_counts) / sp) {
            free(host);
            free(same);
            return cudaErrorInvalidValue;
        }
        const uint64_t plane = (uint64_t)it.box.dim[0] * (uint64_t)it.box.dim[1];
        host[k].first = total;
        host[k].base = n_counts;
        host[k].space = sp;
        total += plane * (uint64_t)(it.jobs.z1 - it.jobs.z0);
        n_counts += item_matrices(it.jobs) * sp;
        if (same[k] == k) {
            n_grey += plane * (uint64_t)it.box.dim[2];
            n_index += (uint64_t)it.box.n_grey + 1;
        }
    }
    int32_t *grey = nullptr, *index = nullptr;
    uint32_t *dc = nullptr;
    Item *di = nullptr;
    cudaError_t err = rdx_dev_malloc(&grey, n_grey * sizeof *grey);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&index, n_index * sizeof *index);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dc, n_counts * sizeof *dc);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&di, n * sizeof *di);
    for (size_t k = 0, g = 0, x = 0; k < n && err == cudaSuccess; k++) {
        const rdx_cuda_tex_box &b = items[k].box;
        if (same[k] != k) { /* the box is there: the item takes its pointers */
            const Box shared = host[same[k]].b;
            err = upload_item(items[k], nullptr, nullptr, &host[k]);
            host[k].b.grey = shared.grey;
            host[k].b.index = shared.index;
            continue;
        }
        err = upload_item(items[k], grey + g, index + x, &host[k]);
        g += (size_t)b.dim[0] * (size_t)b.dim[1] * (size_t)b.dim[2];
        x += (size_t)b.n_grey + 1;
    }
    free(same);
    if (err == cudaSuccess)
        err = cudaMemcpyAsync(di, host, n * sizeof *di, cudaMemcpyHostToDevice, cudaStreamPerThread);
    if (err == cudaSuccess)
        err = cudaMemsetAsync(dc, 0, n_counts * sizeof *dc, cudaStreamPerThread);
    if (err == cudaSuccess) {
        const uint64_t blocks = (total + kThreads - 1) / kThreads;
        launch(di, (int)n, total, dc, (unsigned)(blocks < kMaxBlocks ? blocks : kMaxBlocks));
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(counts, dc, n_counts * sizeof *dc, cudaMemcpyDeviceToHost);
    rdx_dev_free(grey);
    rdx_dev_free(index);
    rdx_dev_free(dc);
    rdx_dev_free(di);
    free(host);
    return (int)err;
}

} // namespace rdx_tex

#endif
