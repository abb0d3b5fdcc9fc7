/* NGTDM and NGLDM count matrices on the device (kernels.h).
 *
 * One thread per box voxel (grid-stride loop). A ROI voxel scans its Chebyshev
 * neighbourhood with rdx_nbh_scan (host/neighbours.h, the code the CPU runs)
 * and adds to the row of its grey level with 64-bit integer atomics: the NGTDM
 * 1 to cell 0 and |g * W - S| to cell W (W neighbours of grey sum S), the
 * NGLDM 1 to the cell of its number of dependent neighbours. 2D neighbourhoods
 * stay in the voxel's slice and go to that slice's matrix, so one launch
 * counts every slice (the host sums them for 2.5D). Only integer atomics: the
 * matrices do not depend on the order threads and blocks run in. References:
 * rdx_ngtdm_count (host/features_ngtdm.c), rdx_ngldm_count
 * (host/features_ngldm.c). */
#include "common.h"
#include "kernels.h"
#include "neighbours.h"

#include <stdint.h>

namespace {

constexpr int kThreads = 256;
constexpr size_t kMaxBlocks = 1024;

enum class matrix { ngtdm, ngldm };

/* The input with device pointers; cells = n_rows * width, one matrix. */
struct nbh_args {
    const int32_t *grey, *row;
    int64_t dim[3], width;
    size_t cells;
    int n_grey, n_rows, distance, alpha, in_plane;
    unsigned long long *m;
};

template <matrix M> __global__ void __launch_bounds__(kThreads) count_kernel(nbh_args a)
{
    const size_t n = (size_t)a.dim[0] * (size_t)a.dim[1] * (size_t)a.dim[2];
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        int32_t g = a.grey[i];
        /* Outside the ROI; an invalid level (beyond n_grey, or without a row)
         * is skipped rather than written out of bounds. */
        if (g <= 0 || g > a.n_grey || (unsigned)a.row[g] >= (unsigned)a.n_rows)
            continue;
        const size_t plane = (size_t)a.dim[0] * (size_t)a.dim[1];
        const int64_t v[3] = {(int64_t)(i % (size_t)a.dim[0]), (int64_t)(i % plane / (size_t)a.dim[0]),
                              (int64_t)(i / plane)};
        const rdx_nbh_tally t = rdx_nbh_scan(a.grey, a.dim, a.distance, a.in_plane, a.alpha, v);
        unsigned long long *row =
            a.m + (a.in_plane ? (size_t)v[2] * a.cells : 0) + (size_t)a.row[g] * (size_t)a.width;
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
cudaError_t sizes(const rdx_cuda_nbh_input *in, const int64_t *m, size_t *voxels, size_t *cells, size_t *mats)
{
    if (!in || !m || !in->grey || !in->row || in->n_grey < 0 || in->n_rows < 0 || in->distance < 1 ||
        in->alpha < 0 || (in->in_plane != 0 && in->in_plane != 1))
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

template <matrix M> int counts(const rdx_cuda_nbh_input *in, int64_t *m)
{
    static_assert(sizeof(int64_t) == sizeof(unsigned long long), "64-bit counts on both sides");
    size_t n = 0, cells = 0, mats = 0;
    cudaError_t err = sizes(in, m, &n, &cells, &mats);
    if (err != cudaSuccess || cells == 0) /* no grey level present: nothing to count */
        return (int)err;
    const size_t total = cells * mats, n_row = (size_t)in->n_grey + 1;
    nbh_args a = {nullptr, nullptr, {in->dim[0], in->dim[1], in->dim[2]}, in->width, cells, in->n_grey,
                  in->n_rows, in->distance, in->alpha, in->in_plane, nullptr};
    int32_t *dgrey = nullptr, *drow = nullptr;
    err = rdx_dev_malloc(&dgrey, n * sizeof *dgrey);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&drow, n_row * sizeof *drow);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&a.m, total * sizeof *a.m);
    if (err == cudaSuccess)
        err = cudaMemcpy(dgrey, in->grey, n * sizeof *dgrey, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(drow, in->row, n_row * sizeof *drow, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemset(a.m, 0, total * sizeof *a.m);
    if (err == cudaSuccess) {
        a.grey = dgrey;
        a.row = drow;
        size_t blocks = (n + kThreads - 1) / kThreads;
        KLAUNCH((unsigned)(blocks < kMaxBlocks ? blocks : kMaxBlocks), kThreads, 0, 0, count_kernel<M>)(a);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(m, a.m, total * sizeof *a.m, cudaMemcpyDeviceToHost);
    rdx_dev_free(dgrey);
    rdx_dev_free(drow);
    rdx_dev_free(a.m);
    return (int)err;
}

} // namespace

int rdx_cuda_ngtdm_counts(const rdx_cuda_nbh_input *in, int64_t *m)
{
    return counts<matrix::ngtdm>(in, m);
}

int rdx_cuda_ngldm_counts(const rdx_cuda_nbh_input *in, int64_t *m)
{
    return counts<matrix::ngldm>(in, m);
}
