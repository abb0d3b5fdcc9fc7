/* The cuBLAS subset rdx's kernels call (kernels/roc_delong.cu), for the SIMT
 * emulation build: a handle and DGEMM, computed on the host (device memory
 * is host memory in the emulator). Straightforward loops: rdx only multiplies
 * integer-valued doubles below 2^53 with it, where every summation order
 * gives the same exact result, as on the GPU. Also a handle, and its stream. */
#include <cublas_v2.h>

#include <new>

struct cublasContext {
    int unused;
};

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle)
{
    if (!handle)
        return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new (std::nothrow) cublasContext{0};
    return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
{
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

/* Launches in the emulator finish before they return: any stream will do. */
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t)
{
    return handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

/* C (m x n) = alpha op(A) op(B) + beta C, column-major, op = N or T; with beta
 * 0, C is not read (BLAS semantics). */
cublasStatus_t cublasDgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                              int n, int k, const double *alpha, const double *A, int lda, const double *B, int ldb,
                              const double *beta, double *C, int ldc)
{
    const bool ta = transa == CUBLAS_OP_T, tb = transb == CUBLAS_OP_T;
    if (!handle || !alpha || !beta || m < 0 || n < 0 || k < 0 || ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    if ((!ta && transa != CUBLAS_OP_N) || (!tb && transb != CUBLAS_OP_N))
        return CUBLAS_STATUS_NOT_SUPPORTED;
    if (lda < ((ta ? k : m) > 1 ? (ta ? k : m) : 1) || ldb < ((tb ? n : k) > 1 ? (tb ? n : k) : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double s = 0.0;
            for (int l = 0; l < k; l++) {
                const double a = ta ? A[l + (long)i * lda] : A[i + (long)l * lda];
                const double b = tb ? B[j + (long)l * ldb] : B[l + (long)j * ldb];
                s += a * b;
            }
            double *c = C + i + (long)j * ldc;
            *c = *beta == 0.0 ? *alpha * s : *alpha * s + *beta * *c;
        }
    return CUBLAS_STATUS_SUCCESS;
}
