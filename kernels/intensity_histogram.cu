/* Intensity histogram of ROI voxels on the device (kernels.h).
 *
 * Each block counts its grid-stride share of the voxels in a shared-memory
 * histogram of 32-bit counters, then adds the non-zero bins to the global
 * 64-bit histogram. Only integer atomics: the counts do not depend on the
 * order in which threads and blocks run. When the bins do not fit in shared
 * memory, threads add to the global histogram directly. */
#include "common.h"
#include "kernels.h"
#include "voxel_ops.h"

#include <stdint.h>

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 256;
constexpr size_t kSharedBytes = 48 * 1024; /* dynamic shared memory without opt-in */

__global__ void __launch_bounds__(kThreads)
    histogram_kernel(const float *x, size_t n, rdx_disc_info d, unsigned long long *hist, int in_shared)
{
    RDX_DYN_SHARED(unsigned, local);
    if (in_shared)
        for (int b = threadIdx.x; b < d.n_bins; b += blockDim.x)
            local[b] = 0;
    __syncthreads();
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        int b = rdx_disc_bin(x[i], &d) - 1; /* bins are 1 .. n_bins */
        if (in_shared)
            atomicAdd(&local[b], 1u);
        else
            atomicAdd(&hist[b], 1ull);
    }
    __syncthreads();
    if (in_shared)
        for (int b = threadIdx.x; b < d.n_bins; b += blockDim.x)
            if (local[b])
                atomicAdd(&hist[b], (unsigned long long)local[b]);
}

cudaError_t launch(const float *x, size_t n, const rdx_disc_info &d, unsigned long long *hist)
{
    unsigned blocks = (unsigned)((n + kThreads - 1) / kThreads < kMaxBlocks ? (n + kThreads - 1) / kThreads
                                                                            : kMaxBlocks);
    size_t smem = (size_t)d.n_bins * sizeof(unsigned);
    int in_shared = smem <= kSharedBytes;
    KLAUNCH(blocks, kThreads, in_shared ? smem : 0, 0, histogram_kernel)(x, n, d, hist, in_shared);
    return cudaGetLastError();
}

} // namespace

int rdx_cuda_intensity_histogram(const float *x, size_t n, const rdx_disc_info *d, int64_t *hist)
{
    static_assert(sizeof(int64_t) == sizeof(unsigned long long), "64-bit counts on both sides");
    /* A block counts at most n / kMaxBlocks + kThreads voxels: 2^40 keeps that below 2^32. */
    if (!d || !hist || d->n_bins < 1 || (n > 0 && !x) || n >= ((size_t)1 << 40))
        return cudaErrorInvalidValue;
    const size_t nb = (size_t)d->n_bins;
    float *dx = nullptr;
    unsigned long long *dh = nullptr;
    cudaError_t err = rdx_dev_malloc(&dx, n * sizeof *dx);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dh, nb * sizeof *dh);
    if (err == cudaSuccess)
        err = cudaMemcpy(dx, x, n * sizeof *dx, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemset(dh, 0, nb * sizeof *dh);
    if (err == cudaSuccess && n > 0)
        err = launch(dx, n, *d, dh);
    if (err == cudaSuccess)
        err = cudaMemcpy(hist, dh, nb * sizeof *dh, cudaMemcpyDeviceToHost);
    rdx_dev_free(dx);
    rdx_dev_free(dh);
    return (int)err;
}
