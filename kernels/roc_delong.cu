/* Products of DeLong placements on the device (kernels.h,
 * rdx_cuda_roc_place_products): P10 = A10^T A10 and P01 = A01^T A01, where
 * A10 (n_pos x k) and A01 ((m - n_pos) x k) hold the placements of the k score
 * columns over the positives and the negatives. The DeLong covariance
 * (host/roc_delong.c) is an exact function of these integers, so the host and
 * the device agree bit for bit whatever order the sums are taken in.
 *
 * - With cuBLAS: one DGEMM per class on the placements as doubles, when the
 *   largest placement squared times the class size is below 2^53, so that
 *   every product and partial sum is an exactly represented integer. cuBLAS
 *   is opened with dlopen on first use: linking it would cost every rdx run
 *   (feature extraction included) about 65 ms of library loading.
 * - Otherwise, or when libcublas cannot be opened: products_kernel, one
 *   thread per entry (a, b) of both K x K matrices, summing 64-bit integer
 *   products over the class's studies.
 * The SIMT emulator has no cuBLAS: there the DGEMM is simt_emu's host
 * implementation of cublasDgemm (emu/cublas_emu.cpp), exact by the same bound.
 * CPU reference: place_products (host/roc_delong.c), through the DeLong
 * covariance; kernels/test_kernel_roc.cpp also checks against brute force. */
#include "common.h"
#include "device_arena.h"
#include "kernels.h"

#include <cublas_v2.h>
#include <stdint.h>
#include <stdio.h>

#include <vector>
#ifndef SIMT_EMU
#include <dlfcn.h>
#endif

namespace {

typedef unsigned long long u64;
constexpr int kThreads = 128;
constexpr u64 kMaxBlocks = 4096;

/* Entry e = a * k + b of p10 sums over studies 0 .. n_pos - 1 of column
 * pairs (a, b), of p01 over n_pos .. m - 1; p is column-major (p[a * m + i]). */
__global__ void __launch_bounds__(kThreads)
    products_kernel(const u64 *p, u64 k, u64 m, u64 n_pos, u64 *p10, u64 *p01)
{
    const u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 e = (u64)blockIdx.x * blockDim.x + threadIdx.x; e < k * k; e += stride) {
        const u64 *pa = p + (e / k) * m, *pb = p + (e % k) * m;
        u64 s = 0;
        for (u64 i = 0; i < n_pos; i++)
            s += pa[i] * pb[i];
        p10[e] = s;
        s = 0;
        for (u64 i = n_pos; i < m; i++)
            s += pa[i] * pb[i];
        p01[e] = s;
    }
}

/* The cuBLAS entry points rdx uses. */
struct blas_api {
    void *lib;
    cublasStatus_t (*create)(cublasHandle_t *);
    cublasStatus_t (*destroy)(cublasHandle_t);
    cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t);
    cublasStatus_t (*dgemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const double *,
                            const double *, int, const double *, int, const double *, double *, int);
};

/* Fills api; false when cuBLAS is not there. RTLD_NODELETE keeps the library
 * mapped after dlclose, so later calls do not load it again. */
bool blas_open(blas_api *api)
{
#ifdef SIMT_EMU
    *api = {nullptr, cublasCreate_v2, cublasDestroy_v2, cublasSetStream_v2, cublasDgemm_v2};
    return true;
#else
    char name[32];
    snprintf(name, sizeof name, "libcublas.so.%d", CUBLAS_VER_MAJOR);
    api->lib = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!api->lib)
        return false;
    api->create = reinterpret_cast<decltype(api->create)>(dlsym(api->lib, "cublasCreate_v2"));
    api->destroy = reinterpret_cast<decltype(api->destroy)>(dlsym(api->lib, "cublasDestroy_v2"));
    api->set_stream = reinterpret_cast<decltype(api->set_stream)>(dlsym(api->lib, "cublasSetStream_v2"));
    api->dgemm = reinterpret_cast<decltype(api->dgemm)>(dlsym(api->lib, "cublasDgemm_v2"));
    if (api->create && api->destroy && api->set_stream && api->dgemm)
        return true;
    dlclose(api->lib);
    return false;
#endif
}

void blas_close(blas_api *api)
{
#ifndef SIMT_EMU
    dlclose(api->lib);
#else
    (void)api;
#endif
}

/* c (k x k) = a^T a over `rows` rows of the column-major m x k matrix a
 * (zeros for an empty class). */
cublasStatus_t gram(const blas_api &api, cublasHandle_t h, const double *a, int rows, int k, int m, double *c)
{
    const double one = 1.0, zero = 0.0;
    if (rows == 0)
        return cudaMemsetAsync(c, 0, (size_t)k * (size_t)k * sizeof *c, cudaStreamPerThread) == cudaSuccess
                   ? CUBLAS_STATUS_SUCCESS
                   : CUBLAS_STATUS_EXECUTION_FAILED;
    return api.dgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, k, k, rows, &one, a, m, a, m, &zero, c, k);
}

/* The products with cuBLAS: 1 when they were computed, 0 when cuBLAS is not
 * available or refused (the caller then runs the integer kernel), or a CUDA
 * error. Sizes are checked by the caller to fit an int. */
int blas_products(const uint64_t *p, size_t k, size_t m, size_t n_pos, uint64_t *p10, uint64_t *p01,
                  cudaError_t *err)
{
    blas_api api;
    if (!blas_open(&api))
        return 0;
    std::vector<double> pd(k * m), c(2 * k * k);
    for (size_t e = 0; e < k * m; e++)
        pd[e] = (double)p[e]; /* exact: below 2^53 */
    rdx_dev::device_arena arena;
    const double *da = nullptr;
    double *dc = nullptr;
    cublasHandle_t h = nullptr;
    int done = 0;
    *err = arena.upload(&da, pd.data(), pd.size());
    if (*err == cudaSuccess)
        *err = arena.alloc(&dc, 2 * k * k);
    if (*err == cudaSuccess && api.create(&h) == CUBLAS_STATUS_SUCCESS) {
        const int ik = (int)k, im = (int)m, ip = (int)n_pos;
        done = api.set_stream(h, cudaStreamPerThread) == CUBLAS_STATUS_SUCCESS &&
               gram(api, h, da, ip, ik, im, dc) == CUBLAS_STATUS_SUCCESS &&
               gram(api, h, da + n_pos, im - ip, ik, im, dc + k * k) == CUBLAS_STATUS_SUCCESS;
        api.destroy(h);
        if (done)
            *err = rdx_dev::download(c.data(), dc, 2 * k * k);
    }
    blas_close(&api);
    for (size_t e = 0; done && *err == cudaSuccess && e < k * k; e++) {
        p10[e] = (uint64_t)c[e];
        p01[e] = (uint64_t)c[k * k + e];
    }
    return done;
}

int kernel_products(const uint64_t *p, size_t k, size_t m, size_t n_pos, uint64_t *p10, uint64_t *p01)
{
    rdx_dev::device_arena arena;
    const u64 *dp = nullptr;
    u64 *d10 = nullptr, *d01 = nullptr;
    cudaError_t err = arena.upload(&dp, reinterpret_cast<const u64 *>(p), k * m);
    if (err == cudaSuccess)
        err = arena.alloc(&d10, k * k);
    if (err == cudaSuccess)
        err = arena.alloc(&d01, k * k);
    if (err == cudaSuccess) {
        u64 want = (k * k + kThreads - 1) / kThreads;
        KLAUNCH((unsigned)(want < kMaxBlocks ? want : kMaxBlocks), kThreads, 0, 0, products_kernel)(dp, k, m, n_pos,
                                                                                                   d10, d01);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = rdx_dev::download(reinterpret_cast<u64 *>(p10), d10, k * k);
    if (err == cudaSuccess)
        err = rdx_dev::download(reinterpret_cast<u64 *>(p01), d01, k * k);
    return (int)err;
}

} // namespace

int rdx_cuda_roc_place_products(const uint64_t *p, size_t k, size_t m, size_t n_pos, uint64_t *p10, uint64_t *p01)
{
    if (!p10 || !p01 || n_pos > m || (k * m > 0 && !p))
        return cudaErrorInvalidValue;
    if (k == 0)
        return cudaSuccess;
    const unsigned __int128 bound = rdx_place_products_bound(p, k, m, n_pos);
    if (bound >> 64)
        return cudaErrorInvalidValue;
    if (bound < ((unsigned __int128)1 << 53) && m <= INT32_MAX && k <= INT32_MAX) {
        cudaError_t err = cudaSuccess;
        if (blas_products(p, k, m, n_pos, p10, p01, &err) || err != cudaSuccess)
            return (int)err;
    }
    return kernel_products(p, k, m, n_pos, p10, p01);
}
