/* Intensity statistics and local intensity on the device (kernels.h).
 *
 * - Fixed-order sums (CPU reference: rdx_central_power_sums, rdx_abs_dev_sum
 *   and rdx_spread_sums, host/order_stats.c): one block of RDX_SUM_LANES threads
 *   per RDX_SUM_BLOCK values; thread l sums values l, l + LANES, ... of its
 *   block in index order, the lanes then combine as a tree in shared memory
 *   (l += l + s for s = LANES/2 .. 1) and thread 0 writes the block sum. The
 *   host adds the block sums in order. Same terms (shared inline functions),
 *   same order: identical to the CPU.
 * - Order statistics (CPU reference: quickselect, rdx_percentiles): radix
 *   select on the order-preserving 32-bit keys of the floats, 8 bits per pass
 *   from the top; each pass counts, for every requested rank, the next digit of
 *   the values that share the rank's known prefix in a shared-memory integer
 *   histogram (grid-stride loop, integer atomics); the host walks the counts to
 *   extend each prefix. Exact: the k-th smallest value itself.
 * - Local means (CPU reference: rdx_family_local_intensity, which uses row
 *   prefix sums): one thread per ROI voxel (grid-stride) sums the sphere's
 *   voxels chord by chord, x ascending, in double. Equal to the CPU for integer
 *   intensities (exact sums), to rounding otherwise.
 * - Discretisation (CPU reference: the box of host/pipeline.c): one thread per
 *   voxel (grid-stride), rdx_disc_bin of host/voxel_ops.h: identical. */
#include "common.h"
#include "kernels.h"
#include "order_stats.h"
#include "voxel_ops.h"

#include <stdint.h>

#include <cstring>
#include <vector>

namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 256;
constexpr int kMaxRanks = 32;
constexpr int kDigits = 256; /* 8-bit radix */
static_assert(RDX_SUM_LANES == kThreads, "one thread per summation lane");

/* Blocks of a grid-stride launch over n items. */
unsigned grid_blocks(size_t n)
{
    return (unsigned)((n + kThreads - 1) / kThreads < kMaxBlocks ? (n + kThreads - 1) / kThreads : kMaxBlocks);
}

/* Terms of the two fixed-order sums (host/order_stats.h). */
struct power_terms {
    double c;
    static constexpr int count = 4;
    __device__ void add(double *acc, float x) const { rdx_power_terms_add(acc, x, c); }
};

struct abs_dev_terms {
    double c, lo, hi;
    static constexpr int count = 3;
    __device__ void add(double *acc, float x) const { rdx_abs_dev_terms_add(acc, x, c, lo, hi); }
};

struct spread_terms {
    double mean, median, lo, hi;
    static constexpr int count = RDX_SPREAD_TERMS;
    __device__ void add(double *acc, float x) const { rdx_spread_terms_add(acc, x, mean, median, lo, hi); }
};

template <class Terms>
__global__ void __launch_bounds__(kThreads) block_sums_kernel(const float *x, size_t n, Terms terms, double *part)
{
    __shared__ double lane[Terms::count][kThreads];
    const int l = threadIdx.x;
    const size_t begin = (size_t)blockIdx.x * RDX_SUM_BLOCK;
    const size_t end = n - begin < RDX_SUM_BLOCK ? n : begin + RDX_SUM_BLOCK;
    double acc[Terms::count] = {};
    for (size_t i = begin + l; i < end; i += kThreads)
        terms.add(acc, x[i]);
    for (int t = 0; t < Terms::count; t++)
        lane[t][l] = acc[t];
    for (int s = kThreads / 2; s > 0; s /= 2) {
        __syncthreads();
        if (l < s)
            for (int t = 0; t < Terms::count; t++)
                lane[t][l] += lane[t][l + s];
    }
    if (l == 0) /* thread 0 wrote lane[.][0] last */
        for (int t = 0; t < Terms::count; t++)
            part[blockIdx.x * Terms::count + t] = lane[t][0];
}

template <class Terms> int block_sums(const float *x, size_t n, Terms terms, double *part)
{
    if (!part || (n > 0 && !x))
        return cudaErrorInvalidValue;
    const size_t nb = (n + RDX_SUM_BLOCK - 1) / RDX_SUM_BLOCK, np = nb * Terms::count;
    if (nb == 0)
        return cudaSuccess;
    if (nb > 0x7fffffffu)
        return cudaErrorInvalidValue;
    float *dx = nullptr;
    double *dp = nullptr;
    cudaError_t err = rdx_dev_malloc(&dx, n * sizeof *dx);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dp, np * sizeof *dp);
    if (err == cudaSuccess)
        err = cudaMemcpy(dx, x, n * sizeof *dx, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        KLAUNCH((unsigned)nb, kThreads, 0, 0, block_sums_kernel<Terms>)(dx, n, terms, dp);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(part, dp, np * sizeof *dp, cudaMemcpyDeviceToHost);
    rdx_dev_free(dx);
    rdx_dev_free(dp);
    return (int)err;
}

/* Order-preserving key: negative floats reversed below the positive ones. */
__host__ __device__ inline uint32_t float_key(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b & 0x80000000u ? ~b : b | 0x80000000u;
}

__host__ __device__ inline float key_float(uint32_t k)
{
    uint32_t b = k & 0x80000000u ? k & 0x7fffffffu : ~k;
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* hist[r*256 + d] += number of x whose key has prefix[r] above bit shift + 8
 * (all x when shift == 24) and digit d at bits shift .. shift + 7. */
__global__ void __launch_bounds__(kThreads)
    radix_pass_kernel(const float *x, size_t n, int shift, const uint32_t *prefix, int m, unsigned long long *hist)
{
    RDX_DYN_SHARED(unsigned, local);
    for (int b = threadIdx.x; b < m * kDigits; b += blockDim.x)
        local[b] = 0;
    __syncthreads();
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const uint64_t key = float_key(x[i]); /* 64-bit: the shift by 32 of the first pass is defined */
        const unsigned digit = (unsigned)(key >> shift) & (kDigits - 1);
        for (int r = 0; r < m; r++)
            if ((key >> (shift + 8)) == prefix[r])
                atomicAdd(&local[r * kDigits + digit], 1u);
    }
    __syncthreads();
    for (int b = threadIdx.x; b < m * kDigits; b += blockDim.x)
        if (local[b])
            atomicAdd(&hist[b], (unsigned long long)local[b]);
}

/* Four passes; prefix[r] grows by one digit per pass, rank[r] becomes the
 * rank among the values sharing the prefix. */
cudaError_t radix_select(const float *dx, size_t n, uint64_t *rank, int m, uint32_t *prefix, uint32_t *dprefix,
                         unsigned long long *dhist)
{
    std::vector<unsigned long long> hist((size_t)m * kDigits);
    const size_t bytes = hist.size() * sizeof hist[0];
    cudaError_t err = cudaSuccess;
    for (int shift = 24; shift >= 0 && err == cudaSuccess; shift -= 8) {
        err = cudaMemcpy(dprefix, prefix, (size_t)m * sizeof *prefix, cudaMemcpyHostToDevice);
        if (err == cudaSuccess)
            err = cudaMemset(dhist, 0, bytes);
        if (err == cudaSuccess) {
            KLAUNCH(grid_blocks(n), kThreads, (size_t)m * kDigits * sizeof(unsigned), 0, radix_pass_kernel)(
                dx, n, shift, dprefix, m, dhist);
            err = cudaGetLastError();
        }
        if (err == cudaSuccess)
            err = cudaMemcpy(hist.data(), dhist, bytes, cudaMemcpyDeviceToHost);
        for (int r = 0; r < m && err == cudaSuccess; r++) {
            const unsigned long long *h = hist.data() + (size_t)r * kDigits;
            int d = 0;
            while (d < kDigits - 1 && rank[r] >= h[d])
                rank[r] -= h[d++];
            prefix[r] = prefix[r] << 8 | (uint32_t)d;
        }
    }
    return err;
}

__global__ void __launch_bounds__(kThreads)
    local_means_kernel(const float *box, int64_t nx, int64_t ny, int64_t nz, const rdx_chord *chords, int n_chords,
                       const int64_t *centres, size_t n, double *means)
{
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t c = centres[i], x = c % nx, y = c / nx % ny, z = c / nx / ny;
        double sum = 0.0;
        int64_t count = 0;
        for (int k = 0; k < n_chords; k++) {
            const int64_t zz = z + chords[k].dz, yy = y + chords[k].dy;
            if (zz < 0 || zz >= nz || yy < 0 || yy >= ny)
                continue;
            const int64_t a = x - chords[k].rx < 0 ? 0 : x - chords[k].rx;
            const int64_t b = x + chords[k].rx > nx - 1 ? nx - 1 : x + chords[k].rx;
            const float *row = box + nx * (yy + ny * zz);
            for (int64_t xx = a; xx <= b; xx++)
                sum += row[xx];
            count += b - a + 1;
        }
        means[i] = sum / (double)count;
    }
}

__global__ void __launch_bounds__(kThreads)
    discretise_kernel(const float *x, const uint8_t *roi, size_t n, rdx_disc_info d, int32_t *grey)
{
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        grey[i] = roi[i] ? rdx_disc_bin(x[i], &d) : 0;
}

} // namespace

int rdx_cuda_central_power_sums(const float *x, size_t n, double c, double *part)
{
    return block_sums(x, n, power_terms{c}, part);
}

int rdx_cuda_spread_sums(const float *x, size_t n, double mean, double median, double lo, double hi, double *part)
{
    return block_sums(x, n, spread_terms{mean, median, lo, hi}, part);
}

int rdx_cuda_abs_dev_sums(const float *x, size_t n, double c, double lo, double hi, double *part)
{
    return block_sums(x, n, abs_dev_terms{c, lo, hi}, part);
}

int rdx_cuda_select_ranks(const float *x, size_t n, const size_t *ranks, size_t m, float *vals)
{
    if (!x || !ranks || !vals || m > (size_t)kMaxRanks || n >= ((size_t)1 << 40))
        return cudaErrorInvalidValue;
    uint64_t rank[kMaxRanks];
    uint32_t prefix[kMaxRanks] = {};
    for (size_t r = 0; r < m; r++) {
        if (ranks[r] >= n)
            return cudaErrorInvalidValue;
        rank[r] = ranks[r];
    }
    if (m == 0)
        return cudaSuccess;
    float *dx = nullptr;
    uint32_t *dprefix = nullptr;
    unsigned long long *dhist = nullptr;
    cudaError_t err = rdx_dev_malloc(&dx, n * sizeof *dx);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dprefix, m * sizeof *dprefix);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dhist, m * kDigits * sizeof *dhist);
    if (err == cudaSuccess)
        err = cudaMemcpy(dx, x, n * sizeof *dx, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = radix_select(dx, n, rank, (int)m, prefix, dprefix, dhist);
    if (err == cudaSuccess)
        for (size_t r = 0; r < m; r++)
            vals[r] = key_float(prefix[r]);
    rdx_dev_free(dx);
    rdx_dev_free(dprefix);
    rdx_dev_free(dhist);
    return (int)err;
}

int rdx_cuda_local_means(const float *box, const int64_t dim[3], const rdx_chord *chords, int n_chords,
                         const int64_t *centres, size_t n, double *means)
{
    if (!box || !dim || !chords || n_chords < 1 || !centres || !means || dim[0] < 1 || dim[1] < 1 || dim[2] < 1)
        return cudaErrorInvalidValue;
    const size_t nv = (size_t)dim[0] * (size_t)dim[1] * (size_t)dim[2];
    for (size_t i = 0; i < n; i++)
        if (centres[i] < 0 || (size_t)centres[i] >= nv)
            return cudaErrorInvalidValue;
    if (n == 0)
        return cudaSuccess;
    float *dbox = nullptr;
    rdx_chord *dch = nullptr;
    int64_t *dc = nullptr;
    double *dm = nullptr;
    cudaError_t err = rdx_dev_malloc(&dbox, nv * sizeof *dbox);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dch, (size_t)n_chords * sizeof *dch);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dc, n * sizeof *dc);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dm, n * sizeof *dm);
    if (err == cudaSuccess)
        err = cudaMemcpy(dbox, box, nv * sizeof *dbox, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(dch, chords, (size_t)n_chords * sizeof *dch, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(dc, centres, n * sizeof *dc, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        KLAUNCH(grid_blocks(n), kThreads, 0, 0, local_means_kernel)(dbox, dim[0], dim[1], dim[2], dch, n_chords, dc,
                                                                    n, dm);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(means, dm, n * sizeof *dm, cudaMemcpyDeviceToHost);
    rdx_dev_free(dbox);
    rdx_dev_free(dch);
    rdx_dev_free(dc);
    rdx_dev_free(dm);
    return (int)err;
}

int rdx_cuda_discretise(const float *x, const uint8_t *roi, size_t n, const rdx_disc_info *d, int32_t *grey)
{
    if (!d || d->n_bins < 1 || (n > 0 && (!x || !roi || !grey)))
        return cudaErrorInvalidValue;
    if (n == 0)
        return cudaSuccess;
    float *dx = nullptr;
    uint8_t *droi = nullptr;
    int32_t *dgrey = nullptr;
    cudaError_t err = rdx_dev_malloc(&dx, n * sizeof *dx);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&droi, n * sizeof *droi);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dgrey, n * sizeof *dgrey);
    if (err == cudaSuccess)
        err = cudaMemcpy(dx, x, n * sizeof *dx, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(droi, roi, n * sizeof *droi, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        KLAUNCH(grid_blocks(n), kThreads, 0, 0, discretise_kernel)(dx, droi, n, *d, dgrey);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(grey, dgrey, n * sizeof *dgrey, cudaMemcpyDeviceToHost);
    rdx_dev_free(dx);
    rdx_dev_free(droi);
    rdx_dev_free(dgrey);
    return (int)err;
}
