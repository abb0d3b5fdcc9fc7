/* Zones of the GLSZM and GLDZM on the device (kernels.h): connected-component
 * labelling of equal grey levels and the Manhattan distance to the ROI edge.
 * CPU references: rdx_zones_label and rdx_zones_border_distance (host/zones.c).
 *
 * Labelling, one thread per voxel in grid-stride loops over the voxels of
 * every input of the call one after another (several cases' boxes, a case's
 * 2D and 3D zones: one labelling; only "propagate" needs a voxel's input, a
 * binary search on the inputs' first voxels): every ROI voxel starts
 * with its own index as label; each "propagate" launch lets a voxel take the
 * minimum label of its same-grey neighbours (Chebyshev distance <= linkage,
 * in-plane only for the 2D zones) and hooks its old label's voxel to that
 * minimum, then a "jump" launch replaces label l by label[l]. Labels only
 * decrease and always name a voxel of the same zone, so the host repeats the
 * two launches until a propagate launch changes nothing; then every voxel of a
 * zone holds the zone's smallest voxel index, its first voxel in raster order.
 * Zone numbers: the first voxels are ranked in index order (one block per tile
 * of 256 voxels: a count per tile, an exclusive scan of the tile counts on the
 * host, then ballots within the tile), which is the CPU's numbering. Zone
 * sizes come from integer atomicAdd and minimum distances from atomicMin, so
 * nothing depends on the order in which threads run.
 *
 * Distance map: one thread per line of voxels sweeps it forward and backward
 * (d = min(d, neighbour + 1), 0 beyond the ends), one launch per axis: the
 * CPU's exact separable algorithm, line by line. */
#include "common.h"
#include "kernels.h"

#include <stdint.h>
#include <stdlib.h>

#include <vector>

namespace {

constexpr int kThreads = 256; /* also the tile of the zone ranking: a multiple of 32 */
constexpr unsigned kMaxBlocks = 1024;
constexpr uint32_t kNone = 0xFFFFFFFFu; /* label of voxels outside the intensity mask */

/* Volume shape and neighbourhood reach per axis (0 along z for 2D zones). */
struct shape {
    int64_t dim[3];
    int64_t n;
    int reach[3];
};

unsigned grid_for(int64_t items)
{
    int64_t b = (items + kThreads - 1) / kThreads;
    return (unsigned)(b < 1 ? 1 : b > (int64_t)kMaxBlocks ? kMaxBlocks : b);
}

__global__ void __launch_bounds__(kThreads) init_labels(const int32_t *grey, int64_t n, uint32_t *label)
{
    for (int64_t v = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; v < n; v += (int64_t)gridDim.x * blockDim.x)
        label[v] = grey[v] > 0 ? (uint32_t)v : kNone;
}

/* An input of a packed labelling: its shape and its first voxel in the
 * concatenation of the inputs. */
struct item_shape {
    shape s;
    int64_t first;
};

/* label[v] = min(label[v], labels of same-grey neighbours in v's input); the
 * voxel named by the old label is lowered too (hooking), which merges long
 * chains quickly. v runs over the n voxels of all inputs; a binary search on
 * the inputs' first voxels finds v's input. */
__global__ void __launch_bounds__(kThreads)
    propagate(const int32_t *grey, const item_shape *items, int n_items, int64_t n, uint32_t *label, int *changed)
{
    for (int64_t v = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; v < n; v += (int64_t)gridDim.x * blockDim.x) {
        const int32_t g = grey[v];
        if (g <= 0)
            continue;
        const item_shape &it = items[rdx_packed_index(items, n_items, (uint64_t)v)];
        const shape &s = it.s;
        const int64_t base = it.first, local = v - base, nxy = s.dim[0] * s.dim[1];
        const int64_t c[3] = {local % s.dim[0], (local / s.dim[0]) % s.dim[1], local / nxy};
        const uint32_t own = label[v];
        uint32_t m = own;
        for (int64_t dz = -s.reach[2]; dz <= s.reach[2]; dz++)
            for (int64_t dy = -s.reach[1]; dy <= s.reach[1]; dy++)
                for (int64_t dx = -s.reach[0]; dx <= s.reach[0]; dx++) {
                    int64_t x = c[0] + dx, y = c[1] + dy, z = c[2] + dz;
                    if (x < 0 || y < 0 || z < 0 || x >= s.dim[0] || y >= s.dim[1] || z >= s.dim[2])
                        continue;
                    const int64_t w = base + x + s.dim[0] * y + nxy * z;
                    const uint32_t lw = label[w]; /* may be lowered meanwhile: still a voxel of w's zone */
                    if (grey[w] == g && lw < m)
                        m = lw;
                }
        if (m < own) {
            const uint32_t old = atomicMin(&label[v], m);
            if (m < old) {
                atomicMin(&label[old], m);
                *changed = 1;
            }
        }
    }
}

/* Pointer jumping: label[v] = label[label[v]]. */
__global__ void __launch_bounds__(kThreads) jump(int64_t n, uint32_t *label)
{
    for (int64_t v = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; v < n; v += (int64_t)gridDim.x * blockDim.x) {
        const uint32_t l = label[v];
        if (l == kNone)
            continue;
        const uint32_t ll = label[l];
        if (ll < l)
            atomicMin(&label[v], ll);
    }
}

/* tile_count[b] = number of zone roots (label[v] == v) in tile b. */
__global__ void __launch_bounds__(kThreads) count_roots(const uint32_t *label, int64_t n, uint32_t *tile_count)
{
    int64_t v = (int64_t)blockIdx.x * kThreads + threadIdx.x;
    int c = __syncthreads_count(v < n && label[v] == (uint32_t)v);
    if (threadIdx.x == 0)
        tile_count[blockIdx.x] = (uint32_t)c;
}

/* number[root] = 1 + rank of the root among all roots in index order, from
 * the tile's offset, the roots of earlier warps and earlier lanes. */
__global__ void __launch_bounds__(kThreads)
    number_roots(const uint32_t *label, int64_t n, const uint32_t *tile_offset, uint32_t *number)
{
    __shared__ unsigned warp_roots[kThreads / 32];
    const int64_t v = (int64_t)blockIdx.x * kThreads + threadIdx.x;
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int root = v < n && label[v] == (uint32_t)v;
    const unsigned ballot = __ballot_sync(0xFFFFFFFFu, root);
    if (lane == 0)
        warp_roots[warp] = (unsigned)__popc(ballot);
    __syncthreads();
    if (root) {
        unsigned r = tile_offset[blockIdx.x] + (unsigned)__popc(ballot & ((1u << lane) - 1u));
        for (unsigned w = 0; w < warp; w++)
            r += warp_roots[w];
        number[v] = r + 1;
    }
}

/* Zone numbers of all voxels (0 outside) and the zone table: size, minimum
 * distance, grey level and first voxel of zone k at index k - 1. Roots were
 * numbered by number_roots and are only read here. */
struct zone_table {
    uint32_t *size, *first;
    int32_t *min_dist, *grey;
};

__global__ void __launch_bounds__(kThreads)
    finish_zones(const int32_t *grey, const int32_t *dist, const uint32_t *label, int64_t n, uint32_t *number,
                 zone_table t)
{
    for (int64_t v = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; v < n; v += (int64_t)gridDim.x * blockDim.x) {
        const uint32_t l = label[v];
        if (l == kNone) {
            number[v] = 0;
            continue;
        }
        const uint32_t k = number[l] - 1;
        atomicAdd(&t.size[k], 1u);
        if (dist)
            atomicMin(&t.min_dist[k], dist[v]);
        if (l == (uint32_t)v) {
            t.grey[k] = grey[v];
            t.first[k] = l;
        } else {
            number[v] = k + 1;
        }
    }
}

__global__ void __launch_bounds__(kThreads) init_distance(const uint8_t *mask, int64_t n, int32_t *dist)
{
    for (int64_t v = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; v < n; v += (int64_t)gridDim.x * blockDim.x)
        dist[v] = mask[v] ? INT32_MAX / 2 : 0;
}

/* One line along axis a per thread, swept both ways as sweep_line in zones.c. */
__global__ void __launch_bounds__(kThreads) sweep_axis(shape s, int a, int32_t *dist)
{
    const int64_t stride[3] = {1, s.dim[0], s.dim[0] * s.dim[1]};
    const int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2; /* the other two axes */
    const int64_t lines = s.dim[b] * s.dim[c], len = s.dim[a];
    for (int64_t l = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; l < lines; l += (int64_t)gridDim.x * blockDim.x) {
        int32_t *d = dist + (l % s.dim[b]) * stride[b] + (l / s.dim[b]) * stride[c];
        int32_t prev = 0;
        for (int64_t i = 0; i < len; i++) {
            int32_t *p = d + i * stride[a];
            if (*p > prev + 1)
                *p = prev + 1;
            prev = *p;
        }
        prev = 0;
        for (int64_t i = len - 1; i >= 0; i--) {
            int32_t *p = d + i * stride[a];
            if (*p > prev + 1)
                *p = prev + 1;
            prev = *p;
        }
    }
}

shape make_shape(const int64_t dim[3], int linkage, int in_plane)
{
    shape s;
    s.n = 1;
    for (int a = 0; a < 3; a++) {
        s.dim[a] = dim[a];
        s.n *= dim[a];
        int64_t r = a == 2 && in_plane ? 0 : linkage;
        s.reach[a] = (int)(r < dim[a] - 1 ? r : dim[a] - 1);
    }
    return s;
}

/* Labels converged: every ROI voxel of the n voxels of the inputs holds its
 * zone's smallest voxel index. */
cudaError_t converge_labels(const int32_t *grey, const item_shape *items, int n_items, int64_t n, uint32_t *label,
                            int *changed)
{
    const unsigned blocks = grid_for(n);
    KLAUNCH(blocks, kThreads, 0, 0, init_labels)(grey, n, label);
    cudaError_t err = cudaGetLastError();
    for (int more = 1; err == cudaSuccess && more;) {
        err = cudaMemset(changed, 0, sizeof *changed);
        if (err == cudaSuccess) {
            KLAUNCH(blocks, kThreads, 0, 0, propagate)(grey, items, n_items, n, label, changed);
            KLAUNCH(blocks, kThreads, 0, 0, jump)(n, label);
            err = cudaGetLastError();
        }
        if (err == cudaSuccess)
            err = cudaMemcpy(&more, changed, sizeof more, cudaMemcpyDeviceToHost);
    }
    return err;
}

/* number[root] for every zone root, and the zone count. */
cudaError_t number_zones(const uint32_t *label, int64_t n, uint32_t *tile_buf, uint32_t *number, uint32_t *n_zones)
{
    const int64_t tiles = (n + kThreads - 1) / kThreads;
    std::vector<uint32_t> count((size_t)tiles);
    KLAUNCH((unsigned)tiles, kThreads, 0, 0, count_roots)(label, n, tile_buf);
    cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess)
        err = cudaMemcpy(count.data(), tile_buf, count.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost);
    uint32_t sum = 0; /* at most n < 2^32 roots */
    for (uint32_t &c : count) {
        uint32_t t = c;
        c = sum;
        sum += t;
    }
    *n_zones = sum;
    if (err == cudaSuccess)
        err = cudaMemcpy(tile_buf, count.data(), count.size() * sizeof(uint32_t), cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        KLAUNCH((unsigned)tiles, kThreads, 0, 0, number_roots)(label, n, tile_buf, number);
        err = cudaGetLastError();
    }
    return err;
}

/* Device buffers of one labelling; all freed by release(). */
struct label_buffers {
    item_shape *items = nullptr;
    int32_t *grey = nullptr, *dist = nullptr;
    uint32_t *label = nullptr, *number = nullptr, *tiles = nullptr;
    int *changed = nullptr;
    zone_table t = {nullptr, nullptr, nullptr, nullptr};

    void release()
    {
        rdx_dev_free(items);
        rdx_dev_free(grey);
        rdx_dev_free(dist);
        rdx_dev_free(label);
        rdx_dev_free(number);
        rdx_dev_free(tiles);
        rdx_dev_free(changed);
        rdx_dev_free(t.size);
        rdx_dev_free(t.first);
        rdx_dev_free(t.min_dist);
        rdx_dev_free(t.grey);
    }
};

/* The device zone table t (n_zones entries, in raster order of the first
 * voxels over all inputs) as host rows: zones[k] (malloc'd), n_zones[k] the
 * zones of input k, first voxels counted within it; offset[k] receives the
 * zones before input k. */
cudaError_t copy_zones(const zone_table &t, uint32_t n_zones, int with_dist, const std::vector<item_shape> &items,
                       rdx_cuda_zone **zones, size_t *count, std::vector<uint32_t> &offset)
{
    const size_t k = n_zones;
    std::vector<uint32_t> size(k), first(k);
    std::vector<int32_t> grey(k), min_dist(k, 0);
    cudaError_t err = cudaMemcpy(size.data(), t.size, k * sizeof(uint32_t), cudaMemcpyDeviceToHost);
    if (err == cudaSuccess)
        err = cudaMemcpy(first.data(), t.first, k * sizeof(uint32_t), cudaMemcpyDeviceToHost);
    if (err == cudaSuccess)
        err = cudaMemcpy(grey.data(), t.grey, k * sizeof(int32_t), cudaMemcpyDeviceToHost);
    if (err == cudaSuccess && with_dist)
        err = cudaMemcpy(min_dist.data(), t.min_dist, k * sizeof(int32_t), cudaMemcpyDeviceToHost);
    for (size_t i = 0, z = 0; err == cudaSuccess && i < items.size(); i++) {
        const uint64_t lo = (uint64_t)items[i].first, hi = lo + (uint64_t)items[i].s.n;
        size_t e = z;
        while (e < k && first[e] < hi)
            e++;
        offset[i] = (uint32_t)z;
        zones[i] = (rdx_cuda_zone *)malloc((e - z ? e - z : 1) * sizeof **zones);
        if (!zones[i])
            return cudaErrorMemoryAllocation;
        for (size_t j = z; j < e; j++)
            zones[i][j - z] = rdx_cuda_zone{(uint32_t)(first[j] - lo), grey[j], size[j], min_dist[j]};
        count[i] = e - z;
        z = e;
    }
    return err;
}

template <class T> cudaError_t device_copy(T **dst, const T *src, int64_t n)
{
    cudaError_t err = rdx_dev_malloc(dst, (size_t)n * sizeof(T));
    if (err == cudaSuccess)
        err = cudaMemcpy(*dst, src, (size_t)n * sizeof(T), cudaMemcpyHostToDevice);
    return err;
}

int valid_dim(const int64_t dim[3])
{
    return dim && dim[0] > 0 && dim[1] > 0 && dim[2] > 0 && dim[0] * dim[1] < (int64_t)UINT32_MAX &&
           dim[0] * dim[1] * dim[2] < (int64_t)UINT32_MAX;
}

} // namespace

int rdx_cuda_zones_label_packed(const rdx_cuda_zones_input *in, size_t n, int linkage, uint32_t *label,
                                rdx_cuda_zone **zones, size_t *n_zones)
{
    if (!zones || !n_zones || n > INT32_MAX)
        return cudaErrorInvalidValue;
    for (size_t k = 0; k < n; k++) {
        zones[k] = nullptr;
        n_zones[k] = 0;
    }
    if (!in || n < 1 || linkage < 1)
        return cudaErrorInvalidValue;
    std::vector<item_shape> items(n);
    int64_t total = 0;
    for (size_t k = 0; k < n; k++) {
        if (!valid_dim(in[k].dim) || !in[k].grey || (in[k].dist == nullptr) != (in[0].dist == nullptr))
            return cudaErrorInvalidValue;
        items[k] = item_shape{make_shape(in[k].dim, linkage, in[k].in_plane), total};
        total += items[k].s.n;
        if (total >= (int64_t)UINT32_MAX) /* labels are 32-bit voxel indices; kNone is reserved */
            return cudaErrorInvalidValue;
    }
    const int with_dist = in[0].dist != nullptr;
    const int64_t tiles = (total + kThreads - 1) / kThreads;
    label_buffers b;
    uint32_t nz = 0;
    cudaError_t err = rdx_dev_malloc(&b.grey, (size_t)total * sizeof(int32_t));
    if (err == cudaSuccess && with_dist)
        err = rdx_dev_malloc(&b.dist, (size_t)total * sizeof(int32_t));
    for (size_t k = 0; k < n && err == cudaSuccess; k++) {
        const size_t at = (size_t)items[k].first, nv = (size_t)items[k].s.n;
        err = cudaMemcpyAsync(b.grey + at, in[k].grey, nv * sizeof(int32_t), cudaMemcpyHostToDevice,
                              cudaStreamPerThread);
        if (err == cudaSuccess && with_dist)
            err = cudaMemcpyAsync(b.dist + at, in[k].dist, nv * sizeof(int32_t), cudaMemcpyHostToDevice,
                                  cudaStreamPerThread);
    }
    if (err == cudaSuccess)
        err = device_copy(&b.items, items.data(), (int64_t)n);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.label, (size_t)total * sizeof(uint32_t));
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.number, (size_t)total * sizeof(uint32_t));
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.tiles, (size_t)tiles * sizeof(uint32_t));
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.changed, sizeof(int));
    if (err == cudaSuccess)
        err = converge_labels(b.grey, b.items, (int)n, total, b.label, b.changed);
    if (err == cudaSuccess)
        err = number_zones(b.label, total, b.tiles, b.number, &nz);
    const size_t zk = nz ? nz : 1;
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.t.size, zk * sizeof(uint32_t));
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.t.first, zk * sizeof(uint32_t));
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.t.grey, zk * sizeof(int32_t));
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&b.t.min_dist, zk * sizeof(int32_t));
    if (err == cudaSuccess)
        err = cudaMemset(b.t.size, 0, zk * sizeof(uint32_t));
    if (err == cudaSuccess)
        err = cudaMemset(b.t.min_dist, 0x7F, zk * sizeof(int32_t)); /* 0x7F7F7F7F: above every distance */
    if (err == cudaSuccess) {
        KLAUNCH(grid_for(total), kThreads, 0, 0, finish_zones)(b.grey, b.dist, b.label, total, b.number, b.t);
        err = cudaGetLastError();
    }
    std::vector<uint32_t> offset(n, 0);
    if (err == cudaSuccess)
        err = copy_zones(b.t, nz, with_dist, items, zones, n_zones, offset);
    if (err == cudaSuccess && label)
        err = cudaMemcpy(label, b.number, (size_t)total * sizeof(uint32_t), cudaMemcpyDeviceToHost);
    for (size_t k = 0; err == cudaSuccess && label && k < n; k++) /* numbers within each input, from 1 */
        for (int64_t v = items[k].first; v < items[k].first + items[k].s.n; v++)
            label[v] -= label[v] ? offset[k] : 0;
    if (err != cudaSuccess)
        for (size_t k = 0; k < n; k++) {
            free(zones[k]);
            zones[k] = nullptr;
            n_zones[k] = 0;
        }
    b.release();
    return (int)err;
}

int rdx_cuda_zones_label(const int64_t dim[3], const int32_t *grey, int linkage, int in_plane, const int32_t *dist,
                         uint32_t *label, rdx_cuda_zone **zones, size_t *n_zones)
{
    if (!dim)
        return cudaErrorInvalidValue;
    const rdx_cuda_zones_input in = {{dim[0], dim[1], dim[2]}, grey, dist, in_plane};
    return rdx_cuda_zones_label_packed(&in, 1, linkage, label, zones, n_zones);
}

int rdx_cuda_zones_border_distance(const int64_t dim[3], const uint8_t *mask, int in_plane, int32_t *dist)
{
    if (!valid_dim(dim) || !mask || !dist)
        return cudaErrorInvalidValue;
    const shape s = make_shape(dim, 0, in_plane);
    uint8_t *dm = nullptr;
    int32_t *dd = nullptr;
    cudaError_t err = device_copy(&dm, mask, s.n);
    if (err == cudaSuccess)
        err = rdx_dev_malloc(&dd, (size_t)s.n * sizeof(int32_t));
    if (err == cudaSuccess) {
        KLAUNCH(grid_for(s.n), kThreads, 0, 0, init_distance)(dm, s.n, dd);
        /* Min-plus convolution with |.| along x, then y, then z: Manhattan. */
        for (int a = 0; a < (in_plane ? 2 : 3); a++)
            KLAUNCH(grid_for(s.n / s.dim[a]), kThreads, 0, 0, sweep_axis)(s, a, dd);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = cudaMemcpy(dist, dd, (size_t)s.n * sizeof(int32_t), cudaMemcpyDeviceToHost);
    rdx_dev_free(dm);
    rdx_dev_free(dd);
    return (int)err;
}
