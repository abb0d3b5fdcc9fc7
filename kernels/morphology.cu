/* Morphology on the device (kernels.h): Moran's I / Geary's C pair sums, the
 * marching cubes triangles and the maximum diameter.
 *
 * Pair sums: for n points in raster order (lattice coordinates x, y, z; deviations d =
 * intensity - mean), sums[3 i + c] = sum over j > i of w, w d_j, w d_j^2 with
 * w = 1 / distance in mm. One thread per point i (grid-stride), walking j = i
 * + 1 .. n - 1 in order into four lanes (j - i - 1) mod 4 that are added as
 * (l0 + l1) + (l2 + l3): the order of the CPU's subset sums
 * (add_plane_pairs in host/features_morphology.c, its reference), with the
 * same weights bit for bit (IEEE sqrt and division, no FMA). The host adds
 * the per-point sums in index order.
 *
 * Marching cubes: one thread per cube row (y, z) of the padded mask runs
 * rdx_mc_row (host/marching_cubes.h) over the row's cubes in x order, first
 * counting the row's triangles, then, at the row's offset from a prefix sum
 * on the host, writing their vertex keys: the triangles come in the CPU's
 * cube order, so the mesh merged from the keys (host/mesh.c) equals the
 * CPU's. Rows, not single cubes, keep the offsets small (one per row) and the
 * CPU's order without sorting.
 *
 * Maximum diameter: one thread per hull vertex i (grid-stride) takes the
 * largest rdx_sq_distance to the vertices j > i (host/convex_hull.h, shared
 * with the CPU reference rdx_hull_diameter); a block reduces its threads'
 * maxima in shared memory and the host takes the maximum over the blocks. A
 * maximum does not depend on the order it is taken in: bit-identical.
 *
 * No atomics. */
#include "common.h"
#include "kernels.h"
#include "convex_hull.h"
#include "marching_cubes.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

namespace {

constexpr int kThreads = 128;
constexpr unsigned kMaxBlocks = 1024;

/* Adds the pair (i, j) to lane l of s: w, w d_j, w d_j^2. */
__device__ inline void add_pair(const int32_t *x, const int32_t *y, const int32_t *z, const double *d, long long i,
                                long long j, double sx, double sy, double sz, double s[3][4], int l)
{
    const double dx = (double)(x[j] - x[i]) * sx, dy = (double)(y[j] - y[i]) * sy, dz = (double)(z[j] - z[i]) * sz;
    const double w = 1.0 / sqrt(dx * dx + dy * dy + dz * dz), dj = d[j];
    s[0][l] += w;
    s[1][l] += w * dj;
    s[2][l] += w * (dj * dj);
}

__global__ void __launch_bounds__(kThreads)
    pair_sums_kernel(const int32_t *x, const int32_t *y, const int32_t *z, const double *d, long long n, double sx,
                     double sy, double sz, double *sums)
{
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        double s[3][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
        long long j = i + 1; /* lane (j - i - 1) mod 4: constant lanes in whole groups of four */
        for (; j + 4 <= n; j += 4)
            for (int l = 0; l < 4; l++)
                add_pair(x, y, z, d, i, j + l, sx, sy, sz, s, l);
        for (int l = 0; j < n; j++, l++)
            add_pair(x, y, z, d, i, j, sx, sy, sz, s, l);
        for (int c = 0; c < 3; c++)
            sums[3 * i + c] = (s[c][0] + s[c][1]) + (s[c][2] + s[c][3]);
    }
}

/* Triangles of cube row r = (y + 1) + (dim[1] + 1) (z + 1): counted into
 * count[r] when keys is null, else written at keys + 3 off[r]. */
__global__ void __launch_bounds__(kThreads)
    mesh_rows_kernel(const uint8_t *mask, long long nx, long long ny, long long nz, const int8_t (*table)[16],
                     long long *count, const long long *off, unsigned long long *keys)
{
    const int64_t dim[3] = {nx, ny, nz};
    const long long rows = (ny + 1) * (nz + 1), stride = (long long)gridDim.x * blockDim.x;
    for (long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += stride) {
        const int64_t y = r % (ny + 1) - 1, z = r / (ny + 1) - 1;
        if (keys)
            rdx_mc_row(mask, dim, y, z, table, (uint64_t *)keys + 3 * off[r]);
        else
            count[r] = rdx_mc_row(mask, dim, y, z, table, nullptr);
    }
}

__global__ void __launch_bounds__(kThreads)
    max_sq_distance_kernel(const int32_t *p, long long n, double sx, double sy, double sz, double *block_max)
{
    __shared__ double best[kThreads];
    const double scale[3] = {sx, sy, sz};
    const long long stride = (long long)gridDim.x * blockDim.x;
    double b = 0.0;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        for (long long j = i + 1; j < n; j++) {
            const double d2 = rdx_sq_distance(p + 3 * i, p + 3 * j, scale);
            b = d2 > b ? d2 : b;
        }
    best[threadIdx.x] = b;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half && best[threadIdx.x + half] > best[threadIdx.x])
            best[threadIdx.x] = best[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0)
        block_max[blockIdx.x] = best[0];
}

unsigned blocks_for(long long n)
{
    long long want = (n + kThreads - 1) / kThreads;
    return want < (long long)kMaxBlocks ? (unsigned)want : kMaxBlocks;
}

/* Counts the triangles of every row (count, rows entries, copied to the host
 * into row_off), turns them into offsets (exclusive prefix sum, row order)
 * and emits the keys into a malloc'd array. */
cudaError_t mesh_keys(const uint8_t *dm, const int64_t dim[3], const int8_t (*dt)[16], long long *dc, long long rows,
                      long long *row_off, uint64_t **keys, int64_t *n_tri)
{
    KLAUNCH(blocks_for(rows), kThreads, 0, 0, mesh_rows_kernel)(dm, dim[0], dim[1], dim[2], dt, dc, nullptr,
                                                                nullptr);
    cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess)
        err = cudaMemcpy(row_off, dc, (size_t)rows * sizeof *row_off, cudaMemcpyDeviceToHost);
    if (err != cudaSuccess)
        return err;
    long long total = 0;
    for (long long r = 0; r < rows; r++) {
        long long c = row_off[r];
        row_off[r] = total;
        total += c;
    }
    *n_tri = total;
    if (total == 0)
        return cudaSuccess;
    unsigned long long *dk = nullptr;
    *keys = (uint64_t *)malloc((size_t)(3 * total) * sizeof **keys);
    if (!*keys)
        return cudaErrorMemoryAllocation;
    err = rdx_dev_malloc(&dk, (size_t)(3 * total) * sizeof *dk);
    if (err == cudaSuccess)
        err = cudaMemcpy(dc, row_off, (size_t)rows * sizeof *row_off, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        KLAUNCH(blocks_for(rows), kThreads, 0, 0, mesh_rows_kernel)(dm, dim[0], dim[1], dim[2], dt, nullptr, dc,
                                                                    dk);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(*keys, dk, (size_t)(3 * total) * sizeof *dk, cudaMemcpyDeviceToHost);
    rdx_dev_free(dk);
    return err;
}

} // namespace

int rdx_cuda_mesh_keys(const uint8_t *mask, const int64_t dim[3], uint64_t **keys, int64_t *n_tri)
{
    static_assert(sizeof(uint64_t) == sizeof(unsigned long long), "64-bit keys on both sides");
    if (!dim || !keys || !n_tri)
        return cudaErrorInvalidValue;
    *keys = nullptr;
    *n_tri = 0;
    for (int a = 0; a < 3; a++)
        if (dim[a] < 0 || dim[a] > RDX_MC_MAX_DIM)
            return cudaErrorInvalidValue;
    const size_t nvox = (size_t)(dim[0] * dim[1] * dim[2]);
    if (nvox > 0 && !mask)
        return cudaErrorInvalidValue;
    const long long rows = (long long)(dim[1] + 1) * (dim[2] + 1);
    long long *row_off = (long long *)malloc((size_t)rows * sizeof *row_off);
    uint8_t *dm = nullptr;
    int8_t(*dt)[16] = nullptr;
    long long *dc = nullptr;
    cudaError_t err = row_off ? rdx_dev_malloc(&dm, nvox ? nvox : 1) : cudaErrorMemoryAllocation;
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dt, sizeof RDX_MC_TRI_TABLE);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dc, (size_t)rows * sizeof *dc);
    if (err == cudaSuccess && nvox)
        err = cudaMemcpy(dm, mask, nvox, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(dt, RDX_MC_TRI_TABLE, sizeof RDX_MC_TRI_TABLE, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = mesh_keys(dm, dim, dt, dc, rows, row_off, keys, n_tri);
    if (err != cudaSuccess) {
        free(*keys);
        *keys = nullptr;
        *n_tri = 0;
    }
    free(row_off);
    rdx_dev_free(dm);
    rdx_dev_free(dt);
    rdx_dev_free(dc);
    return (int)err;
}

int rdx_cuda_autocorr_pair_sums(const int32_t *x, const int32_t *y, const int32_t *z, const double *d, int64_t n,
                                const double spacing[3], double *sums)
{
    if (n < 0 || (n > 0 && (!x || !y || !z || !d || !sums)) || !spacing)
        return cudaErrorInvalidValue;
    if (n == 0)
        return cudaSuccess;
    const size_t ni = (size_t)n * sizeof(int32_t), nd = (size_t)n * sizeof(double);
    int32_t *dx = nullptr, *dy = nullptr, *dz = nullptr;
    double *dd = nullptr, *ds = nullptr;
    cudaError_t err = rdx_dev_malloc(&dx, ni);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dy, ni);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dz, ni);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dd, nd);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&ds, 3 * nd);
    if (err == cudaSuccess)
        err = cudaMemcpy(dx, x, ni, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(dy, y, ni, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(dz, z, ni, cudaMemcpyHostToDevice);
    if (err == cudaSuccess)
        err = cudaMemcpy(dd, d, nd, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        long long want = ((long long)n + kThreads - 1) / kThreads;
        unsigned blocks = want < (long long)kMaxBlocks ? (unsigned)want : kMaxBlocks;
        KLAUNCH(blocks, kThreads, 0, 0, pair_sums_kernel)(dx, dy, dz, dd, (long long)n, spacing[0], spacing[1],
                                                         spacing[2], ds);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(sums, ds, 3 * nd, cudaMemcpyDeviceToHost);
    rdx_dev_free(dx);
    rdx_dev_free(dy);
    rdx_dev_free(dz);
    rdx_dev_free(dd);
    rdx_dev_free(ds);
    return (int)err;
}

int rdx_cuda_max_sq_distance(const int32_t *xyz, int64_t n, const double scale[3], double *d2)
{
    if (n < 0 || (n > 0 && !xyz) || !scale || !d2)
        return cudaErrorInvalidValue;
    *d2 = 0.0;
    if (n < 2)
        return cudaSuccess;
    const unsigned blocks = blocks_for(n);
    int32_t *dp = nullptr;
    double *dmax = nullptr;
    double *host_max = (double *)malloc(blocks * sizeof *host_max);
    cudaError_t err = host_max ? rdx_dev_malloc(&dp, (size_t)n * 3 * sizeof *dp) : cudaErrorMemoryAllocation;
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dmax, blocks * sizeof *dmax);
    if (err == cudaSuccess)
        err = cudaMemcpy(dp, xyz, (size_t)n * 3 * sizeof *dp, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        KLAUNCH(blocks, kThreads, 0, 0, max_sq_distance_kernel)(dp, (long long)n, scale[0], scale[1], scale[2],
                                                                dmax);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(host_max, dmax, blocks * sizeof *dmax, cudaMemcpyDeviceToHost);
    for (unsigned b = 0; err == cudaSuccess && b < blocks; b++)
        *d2 = host_max[b] > *d2 ? host_max[b] : *d2;
    free(host_max);
    rdx_dev_free(dp);
    rdx_dev_free(dmax);
    return (int)err;
}
