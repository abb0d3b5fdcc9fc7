/* Shared by every .cu file in kernels/, for both builds: nvcc (the device) and g++
 * with the SIMT emulator (-DSIMT_EMU -include emu/simt_emu.h). Kernel code
 * tests SIMT_EMU, never __CUDA_ARCH__. */
#ifndef RDX_KERNELS_COMMON_H
#define RDX_KERNELS_COMMON_H

#include <cuda_runtime.h>
#include <stdint.h>
#include <stdlib.h>

#include "rdx/hostdev.h"

/* KLAUNCH(grid, block, smem, stream, kernel)(args...) is
 * kernel<<<grid, block, smem, stream>>>(args...); launch errors are read with
 * cudaGetLastError() in both builds. Parenthesise arguments that hold commas. */
#ifdef SIMT_EMU
#define KLAUNCH(grid, block, smem, stream, kernel) ::simt::launch(grid, block, smem, stream, kernel)
#else
#define KLAUNCH(grid, block, smem, stream, kernel) kernel<<<grid, block, smem, stream>>>
#endif

/* Declares `type *name` pointing at the launch's dynamic shared memory (the
 * smem bytes of KLAUNCH, 16-byte aligned); once per kernel. */
#ifdef SIMT_EMU
#define RDX_DYN_SHARED(type, name) type *name = static_cast<type *>(::simt::dynamic_shared())
#else
#define RDX_DYN_SHARED(type, name)                                  \
    extern __shared__ __align__(16) unsigned char rdx_dyn_shared_[]; \
    type *name = reinterpret_cast<type *>(rdx_dyn_shared_)
#endif

/* Device memory of a kernels.h call, stream-ordered on the calling host
 * thread's default stream (the CUDA build compiles with --default-stream
 * per-thread): families computed side by side on several host threads then
 * overlap on the device, which cudaFree, synchronising the whole device,
 * would prevent; and the memory pool keeps freed blocks for the next call
 * (rdx_cuda_device_query sets how much). */
template <class T> static inline cudaError_t rdx_dev_malloc(T **p, size_t bytes)
{
    cudaError_t err = cudaMallocAsync(reinterpret_cast<void **>(p), bytes, cudaStreamPerThread);
    /* The failure is returned here: clear it from the thread's last error, or
     * the next call's cudaGetLastError() after its launch would report it
     * (a case failing for the one before it on the same thread). */
    if (err != cudaSuccess)
        (void)cudaGetLastError();
    return err;
}

static inline cudaError_t rdx_dev_free(void *p)
{
    return p ? cudaFreeAsync(p, cudaStreamPerThread) : cudaSuccess;
}

/* The packed item of thread (or voxel) i: the last of items[0..n) whose
 * first <= i, items in increasing order of first (an item without threads
 * shares its first with the next one, which the search then takes). */
template <class T> static inline __device__ int rdx_packed_index(const T *items, int n, uint64_t i)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if ((uint64_t)items[mid].first <= i)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* For the inputs of a packed call: same[k] = the first j <= k whose box is
 * input k's (same_box(in[j], in[k])), so that a box shared by several inputs
 * (a case's 2D and 3D passes) is uploaded once. malloc'd; NULL when out of
 * memory. */
template <class In, class Eq> static inline size_t *rdx_shared_boxes(const In *in, size_t n, Eq same_box)
{
    size_t *same = static_cast<size_t *>(malloc(n * sizeof *same));
    for (size_t k = 0; same && k < n; k++) {
        same[k] = k;
        for (size_t q = 0; q < k && same[k] == k; q++)
            if (same_box(in[q], in[k]))
                same[k] = q;
    }
    return same;
}

#endif
