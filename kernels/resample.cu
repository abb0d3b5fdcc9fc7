/* Resampling (interpolation) of images and masks on the device (kernels.h).
 *
 * One thread per target voxel (grid-stride loop, x fastest): the value is
 * rdx_interp_point of host/interp.h over the per-axis taps the host built
 * (nearest 1, linear 2, cubic B-spline 4 per axis), accumulated in double in
 * the same fixed order as the CPU loop of host/preprocess_resample.c (its
 * reference), then stored as float or compared with the mask threshold. The
 * B-spline prefilter (a recursive filter per line) stays on the host, which
 * passes the coefficients as src. Same arithmetic: identical output. */
#include "common.h"
#include "kernels.h"
#include "interp.h"

#include <stdint.h>

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 1024;

/* The taps of one axis in device memory. */
struct axis {
    int64_t n;
    int k;
    const int64_t *off;
    const double *w;
};

__global__ void __launch_bounds__(kThreads)
    resample_kernel(const float *src, axis ax, axis ay, axis az, float *out_img, uint8_t *out_mask, double threshold)
{
    const size_t total = (size_t)ax.n * (size_t)ay.n * (size_t)az.n;
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int64_t x = (int64_t)(i % (size_t)ax.n), y = (int64_t)(i / (size_t)ax.n % (size_t)ay.n);
        const int64_t z = (int64_t)(i / (size_t)ax.n / (size_t)ay.n);
        const double v = rdx_interp_point(src, ax.off + x * ax.k, ax.w + x * ax.k, ax.k, ay.off + y * ay.k,
                                          ay.w + y * ay.k, ay.k, az.off + z * az.k, az.w + z * az.k, az.k);
        if (out_img)
            out_img[i] = (float)v;
        else
            out_mask[i] = v >= threshold;
    }
}

/* Copies the taps of one axis to the device. */
cudaError_t upload_axis(const rdx_cuda_axis_taps &t, axis *a)
{
    const size_t count = (size_t)t.n * (size_t)t.k;
    int64_t *off = nullptr;
    double *w = nullptr;
    cudaError_t err = rdx_dev_malloc(&off, count * sizeof *off);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&w, count * sizeof *w);
    if (err == cudaSuccess)
        err = cudaMemcpy(off, t.off, count * sizeof *off, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(w, t.w, count * sizeof *w, cudaMemcpyHostToDevice);
    *a = axis{t.n, t.k, off, w}; /* freed by the caller, also on failure */
    return err;
}

/* Every tap offset inside src: out-of-range reads would be undefined. */
bool taps_valid(const rdx_cuda_axis_taps axes[3], size_t src_count)
{
    int64_t reach = 0; /* the largest offset sum */
    for (int a = 0; a < 3; a++) {
        const rdx_cuda_axis_taps &t = axes[a];
        if (t.n < 1 || t.k < 1 || t.k > RDX_INTERP_MAX_TAPS || !t.off || !t.w)
            return false;
        int64_t hi = 0;
        for (size_t j = 0; j < (size_t)t.n * (size_t)t.k; j++) {
            if (t.off[j] < 0)
                return false;
            hi = t.off[j] > hi ? t.off[j] : hi;
        }
        reach += hi;
    }
    return (size_t)reach < src_count;
}

} // namespace

int rdx_cuda_resample(const float *src, size_t src_count, const rdx_cuda_axis_taps axes[3], float *out_img,
                      uint8_t *out_mask, double threshold)
{
    if (!src || !axes || (!out_img == !out_mask) || !taps_valid(axes, src_count))
        return cudaErrorInvalidValue;
    const size_t total = (size_t)axes[0].n * (size_t)axes[1].n * (size_t)axes[2].n;
    const size_t out_bytes = total * (out_img ? sizeof *out_img : sizeof *out_mask);
    axis ax[3] = {};
    float *dsrc = nullptr;
    void *dout = nullptr;
    cudaError_t err = cudaSuccess;
    for (int a = 0; a < 3 && err == cudaSuccess; a++)
        err = upload_axis(axes[a], &ax[a]);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dsrc, src_count * sizeof *dsrc);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dout, out_bytes);
    if (err == cudaSuccess)
        err = cudaMemcpy(dsrc, src, src_count * sizeof *dsrc, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        const unsigned blocks = (unsigned)((total + kThreads - 1) / kThreads < kMaxBlocks
                                               ? (total + kThreads - 1) / kThreads
                                               : kMaxBlocks);
        KLAUNCH(blocks, kThreads, 0, 0, resample_kernel)(dsrc, ax[0], ax[1], ax[2],
                                                         out_img ? static_cast<float *>(dout) : nullptr,
                                                         out_mask ? static_cast<uint8_t *>(dout) : nullptr,
                                                         threshold);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(out_img ? static_cast<void *>(out_img) : static_cast<void *>(out_mask), dout, out_bytes,
                         cudaMemcpyDeviceToHost);
    for (int a = 0; a < 3; a++) {
        rdx_dev_free(const_cast<int64_t *>(ax[a].off));
        rdx_dev_free(const_cast<double *>(ax[a].w));
    }
    rdx_dev_free(dsrc);
    rdx_dev_free(dout);
    return (int)err;
}
