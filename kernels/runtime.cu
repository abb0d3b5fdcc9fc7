/* Device queries and error names for kernels.h. */
#include "common.h"
#include "kernels.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int rdx_cuda_device_query(char *name, size_t name_len, char *why, size_t why_len)
{
#ifdef SIMT_EMU
    snprintf(name, name_len, "SIMT emulator on the CPU");
    (void)why, (void)why_len;
    return 1;
#else
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        snprintf(why, why_len, "no CUDA device (no NVIDIA GPU, or its driver is missing or older than this CUDA runtime)");
        return 0;
    }
    if (e != cudaSuccess) {
        snprintf(why, why_len, "no usable CUDA device (%s)", cudaGetErrorString(e));
        return 0;
    }
    cudaDeviceProp p;
    e = cudaGetDeviceProperties(&p, 0);
    if (e != cudaSuccess) {
        snprintf(why, why_len, "CUDA driver error: %s", cudaGetErrorString(e));
        return 0;
    }
    int pools = 0; /* rdx_dev_malloc needs stream-ordered allocation */
    if (cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, 0) != cudaSuccess || !pools) {
        snprintf(why, why_len, "CUDA device %s does not support memory pools (cudaMallocAsync): driver too old?",
                 p.name);
        return 0;
    }
    snprintf(name, name_len, "%s, %.1f GiB", p.name, (double)p.totalGlobalMem / (1u << 30));
    /* The pool of rdx_dev_malloc keeps up to 1 GiB of freed memory for the
     * next calls instead of returning it at every synchronisation. */
    cudaMemPool_t pool;
    uint64_t keep = (uint64_t)1 << 30;
    if (cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess)
        cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    return 1;
#endif
}

int rdx_cuda_set_memory_budget(size_t bytes)
{
#ifdef SIMT_EMU
    simt::set_device_memory_cap(bytes);
    return cudaSuccess;
#else
    cudaMemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = 0;
    props.maxSize = bytes;
    cudaMemPool_t pool;
    cudaError_t err = cudaMemPoolCreate(&pool, &props);
    uint64_t keep = bytes; /* the pool may keep all it is allowed to hold */
    if (err == cudaSuccess)
        err = cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    if (err == cudaSuccess)
        err = cudaDeviceSetMemPool(0, pool);
    return (int)err;
#endif
}

const char *rdx_cuda_error_string(int code) { return cudaGetErrorString(static_cast<cudaError_t>(code)); }
