/* NGTDM and NGLDM count matrices on the device (kernels.h).
 *
 * One thread per box voxel of every input of the call (a grid-stride loop
 * over the inputs' voxels one after another, so several cases' boxes, and a
 * case's 2D and 3D counts, share one launch; a binary search on the inputs'
 * first threads finds a thread's input). A ROI voxel scans its Chebyshev
 * neighbourhood with rdx_nbh_scan (host/neighbours.h, the code the CPU runs)
 * and adds to the row of its grey level with 64-bit integer atomics: the NGTDM
 * 1 to cell 0 and |g * W - S| to cell W (W neighbours of grey sum S), the
 * NGLDM 1 to the cell of its number of dependent neighbours. 2D neighbourhoods
 * stay in the voxel's slice and go to that slice's matrix, so one input
 * counts every slice (the host sums them for 2.5D). Only integer atomics: the
 * matrices do not depend on the order threads and blocks run in. References:
 * rdx_ngtdm_count (host/features_ngtdm.c), rdx_ngldm_count
 * (host/features_ngldm.c). */
#include "common.h"
#include "kernels.h"
#include "neighbours.h"

#include <stdint.h>
#include <stdlib.h>

namespace {

constexpr int kThreads = 256;
constexpr size_t kMaxBlocks = 1024;

enum class matrix { ngtdm, ngldm };

/* One input with device pointers: cells = n_rows * width, one matrix; its
 * threads start at first, its matrices at base in the output. */
struct nbh_item {
    const int32_t *grey, *row;
    int64_t dim[3], width;
    size_t cells, first, base;
    int n_grey, n_rows, distance, alpha, in_plane;
};

template <matrix M>
__global__ void __launch_bounds__(kThreads) count_kernel(const nbh_item *items, int n_items, size_t total,
                                                          unsigned long long *m)
{
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const nbh_item &a = items[rdx_packed_index(items, n_items, i)];
        const size_t k = i - a.first;
        int32_t g = a.grey[k];
        /* Outside the ROI; an invalid level (beyond n_grey, or without a row)
         * is skipped rather than written out of bounds. */
        if (g <= 0 || g > a.n_grey || (unsigned)a.row[g] >= (unsigned)a.n_rows)
            continue;
        const size_t plane = (size_t)a.dim[0] * (size_t)a.dim[1];
        const int64_t v[3] = {(int64_t)(k % (size_t)a.dim[0]), (int64_t)(k % plane / (size_t)a.dim[0]),
                              (int64_t)(k / plane)};
        const rdx_nbh_tally t = rdx_nbh_scan(a.grey, a.dim, a.distance, a.in_plane, a.alpha, v);
        unsigned long long *row =
            m + a.base + (a.in_plane ? (size_t)v[2] * a.cells : 0) + (size_t)a.row[g] * (size_t)a.width;
        if (M == matrix::ngldm) {
            atomicAdd(&row[t.dependent], 1ull);
        } else if (t.n > 0) {
            atomicAdd(&row[0], 1ull);
            atomicAdd(&row[t.n], (unsigned long long)rdx_ngtdm_difference(g, &t));
        }
    }
}

/* Checks `in` and gives the voxel count, the cells of one matrix and the
 * number of matrices; cudaErrorInvalidValue when anything is off. */
cudaError_t sizes(const rdx_cuda_nbh_input *in, size_t *voxels, size_t *cells, size_t *mats)
{
    if (!in->grey || !in->row || in->n_grey < 0 || in->n_rows < 0 || in->distance < 1 || in->alpha < 0 ||
        (in->in_plane != 0 && in->in_plane != 1))
        return cudaErrorInvalidValue;
    const int64_t limit = (int64_t)1 << 40; /* keeps every product below in 64 bits */
    int64_t n = 1, need = 1;
    for (int a = 0; a < 3; a++) {
        if (in->dim[a] < 1 || in->dim[a] > limit / n)
            return cudaErrorInvalidValue;
        n *= in->dim[a];
        int64_t w = 2 * (int64_t)in->distance + 1;
        if (a < 2 || !in->in_plane)
            need *= w < in->dim[a] ? w : in->dim[a];
    }
    /* need - 1 neighbours at most, so cells 0 .. need - 1 are written. */
    if (in->width < need || in->width > limit / ((int64_t)in->n_rows + 1))
        return cudaErrorInvalidValue;
    *voxels = (size_t)n;
    *cells = (size_t)in->n_rows * (size_t)in->width;
    *mats = in->in_plane ? (size_t)in->dim[2] : 1;
    if (*cells > 0 && *mats > (size_t)limit / *cells)
        return cudaErrorInvalidValue;
    return cudaSuccess;
}

/* Copies input in's box and row map to the device at grey and row (not
 * when NULL), and fills its item. */
cudaError_t upload(const rdx_cuda_nbh_input &in, size_t voxels, int32_t *grey, int32_t *row, nbh_item *it)
{
    cudaError_t err = cudaSuccess;
    if (grey)
        err = cudaMemcpyAsync(grey, in.grey, voxels * sizeof *grey, cudaMemcpyHostToDevice, cudaStreamPerThread);
    if (err == cudaSuccess && row)
        err = cudaMemcpyAsync(row, in.row, ((size_t)in.n_grey + 1) * sizeof *row, cudaMemcpyHostToDevice,
                              cudaStreamPerThread);
    it->grey = grey;
    it->row = row;
    for (int a = 0; a < 3; a++)
        it->dim[a] = in.dim[a];
    it->width = in.width;
    it->n_grey = in.n_grey;
    it->n_rows = in.n_rows;
    it->distance = in.distance;
    it->alpha = in.alpha;
    it->in_plane = in.in_plane;
    return err;
}

template <matrix M> int counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m)
{
    static_assert(sizeof(int64_t) == sizeof(unsigned long long), "64-bit counts on both sides");
    if (!in || !m || n < 1 || n > INT32_MAX)
        return cudaErrorInvalidValue;
    nbh_item *host = (nbh_item *)calloc(n, sizeof *host);
    if (!host)
        return cudaErrorMemoryAllocation;
    /* Inputs on the same box (a case's 2D and 3D counts) share one upload. */
    size_t *same = rdx_shared_boxes(in, n, [](const rdx_cuda_nbh_input &a, const rdx_cuda_nbh_input &b) {
        return a.grey == b.grey && a.row == b.row && a.n_grey == b.n_grey && a.dim[0] == b.dim[0] &&
               a.dim[1] == b.dim[1] && a.dim[2] == b.dim[2];
    });
    if (!same) {
        free(host);
        return cudaErrorMemoryAllocation;
    }
    size_t total = 0, cells_all = 0, grey_all = 0, rows_all = 0;
    cudaError_t err = cudaSuccess;
    for (size_t k = 0; k < n && err == cudaSuccess; k++) {
        size_t voxels = 0, cells = 0, mats = 0;
        err = sizes(&in[k], &voxels, &cells, &mats);
        host[k].cells = cells;
        host[k].first = total;
        host[k].base = cells_all;
        total += cells ? voxels : 0; /* no grey level present: no thread (the search skips it) */
        cells_all += cells * mats;
        if (same[k] == k) {
            grey_all += voxels;
            rows_all += (size_t)in[k].n_grey + 1;
        }
    }
    if (err != cudaSuccess || total == 0) {
        free(host);
        free(same);
        if (err == cudaSuccess)
            memset(m, 0, cells_all * sizeof *m);
        return (int)err;
    }
    int32_t *dgrey = nullptr, *drow = nullptr;
    nbh_item *ditems = nullptr;
    unsigned long long *dm = nullptr;
    err = rdx_dev_malloc(&dgrey, grey_all * sizeof *dgrey);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&drow, rows_all * sizeof *drow);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dm, cells_all * sizeof *dm);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&ditems, n * sizeof *ditems);
    for (size_t k = 0, g = 0, r = 0; k < n && err == cudaSuccess; k++) {
        const size_t voxels = (size_t)in[k].dim[0] * (size_t)in[k].dim[1] * (size_t)in[k].dim[2];
        const int own = same[k] == k; /* else the box is there: the input takes its pointers */
        err = upload(in[k], voxels, own ? dgrey + g : nullptr, own ? drow + r : nullptr, &host[k]);
        if (!own) {
            host[k].grey = host[same[k]].grey;
            host[k].row = host[same[k]].row;
            continue;
        }
        g += voxels;
        r += (size_t)in[k].n_grey + 1;
    }
    free(same);
    if (err == cudaSuccess)
        err = cudaMemcpyAsync(ditems, host, n * sizeof *ditems, cudaMemcpyHostToDevice, cudaStreamPerThread);
    if (err == cudaSuccess)
        err = cudaMemsetAsync(dm, 0, cells_all * sizeof *dm, cudaStreamPerThread);
    if (err == cudaSuccess) {
        size_t blocks = (total + kThreads - 1) / kThreads;
        KLAUNCH((unsigned)(blocks < kMaxBlocks ? blocks : kMaxBlocks), kThreads, 0, 0, count_kernel<M>)(
            ditems, (int)n, total, dm);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(m, dm, cells_all * sizeof *dm, cudaMemcpyDeviceToHost);
    rdx_dev_free(dgrey);
    rdx_dev_free(drow);
    rdx_dev_free(dm);
    rdx_dev_free(ditems);
    free(host);
    return (int)err;
}

} // namespace

int rdx_cuda_ngtdm_counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m)
{
    return counts<matrix::ngtdm>(in, n, m);
}

int rdx_cuda_ngldm_counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m)
{
    return counts<matrix::ngldm>(in, n, m);
}
