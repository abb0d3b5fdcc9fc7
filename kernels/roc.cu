/* ROC statistics on the device (kernels.h, "ROC statistics"): bootstrap
 * replicates and DeLong placements (the products of placements for the DeLong
 * covariance are in roc_delong.cu). Everything compared with the CPU is an
 * integer, so results are bit-identical.
 *
 * - boot_auc_kernel, boot_weights_kernel: one warp per replicate (warp-stride
 *   loop). The warp draws the replicate's resampling counts with
 *   rdx_boot_draw4 (rdx/philox.h; lane l takes draw quads l, l + 32, ...) into
 *   a per-warp array of study counts (shared memory, global scratch for large
 *   study sets) with integer atomics, as rdx_boot_counts does on the host. Then
 *   lane l takes a contiguous chunk of a column's distinct-score groups, sums
 *   its weighted negatives and positives, and an exclusive warp scan of the
 *   negatives gives each chunk its offset: U2 = sum_g gp(g) (2 below(g) + gn(g))
 *   adds up exactly in 64-bit integers. References: rdx_roc_u2 and
 *   rdx_roc_group_weights (host/roc_auc.c).
 * - placements_kernel: one warp per column, the same chunked scan without
 *   weights. Reference: rdx_roc_placements. */
#include "common.h"
#include "device_arena.h"
#include "kernels.h"
#include "rdx/philox.h"

#include <stdint.h>

#include <algorithm>
#include <vector>

namespace {

using rdx_dev::device_arena;
using rdx_dev::download;
typedef unsigned long long u64;

constexpr int kWarp = 32;
constexpr unsigned kFull = 0xffffffffu;
constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarpsPerBlock * kWarp;
constexpr u64 kMaxBlocks = 4096;
constexpr size_t kSharedBytes = 48 * 1024;      /* dynamic shared memory without opt-in */
constexpr size_t kScratchBytes = 256u << 20;    /* global count scratch, large study sets */

/* Columns flattened: column j's walk order is order[used_off[j] .. used_off[j + 1]),
 * its group starts gstart[group_off[j] .. group_off[j + 1]) (n_groups + 1 entries,
 * relative to the column's first study). */
struct dev_columns {
    u64 k;
    const u64 *used_off, *group_off;
    const uint32_t *order;
    const uint8_t *pos;
    const uint32_t *gstart;
};

struct column_view {
    const uint32_t *order;
    const uint8_t *pos;
    const uint32_t *gstart;
    u64 n_groups;
};

struct dev_design {
    u64 seed;
    uint32_t n, n_strata, size[2];
    const uint32_t *members;
};

__device__ column_view column(const dev_columns &c, u64 j)
{
    u64 u = c.used_off[j], g = c.group_off[j];
    return {c.order + u, c.pos + u, c.gstart + g, c.group_off[j + 1] - g - 1};
}

/* The contiguous chunk [*g0, *g1) of n_groups that lane takes. */
__device__ void lane_chunk(u64 n_groups, int lane, u64 *g0, u64 *g1)
{
    *g0 = n_groups * (u64)lane / kWarp;
    *g1 = n_groups * (u64)(lane + 1) / kWarp;
}

/* Weighted negatives and positives of group g (cnt NULL: weight 1). */
__device__ void group_sums(const column_view &c, u64 g, const unsigned *cnt, u64 *gn, u64 *gp)
{
    u64 n_w = 0, p_w = 0;
    for (uint32_t k = c.gstart[g]; k < c.gstart[g + 1]; k++) {
        u64 w = cnt ? cnt[c.order[k]] : 1;
        if (c.pos[k])
            p_w += w;
        else
            n_w += w;
    }
    *gn = n_w;
    *gp = p_w;
}

__device__ u64 warp_inclusive_scan(u64 x, int lane)
{
    for (int d = 1; d < kWarp; d <<= 1) {
        u64 t = __shfl_up_sync(kFull, x, d);
        if (lane >= d)
            x += t;
    }
    return x;
}

__device__ u64 warp_sum(u64 x)
{
    for (int d = kWarp / 2; d > 0; d >>= 1)
        x += __shfl_xor_sync(kFull, x, d);
    return x;
}

/* Resampling counts of replicate r in cnt[0 .. n), by the whole warp. */
__device__ void warp_counts(const dev_design &d, uint32_t r, unsigned *cnt, int lane)
{
    for (uint32_t i = lane; i < d.n; i += kWarp)
        cnt[i] = 0;
    __syncwarp();
    const uint32_t *members = d.members;
    for (uint32_t s = 0; s < d.n_strata; s++) {
        uint32_t n_s = s == 0 ? d.size[0] : d.size[1]; /* no dynamic index into a parameter */
        for (u64 q = lane; 4 * q < n_s; q += kWarp) {
            uint32_t idx[4];
            rdx_boot_draw4(d.seed, r, s, (uint32_t)q, n_s, idx);
            for (uint32_t j = 0; j < 4; j++) /* a fixed trip count: idx stays in registers */
                if (4 * q + j < n_s)
                    atomicAdd(&cnt[members[idx[j]]], 1u);
        }
        members += n_s;
    }
    __syncwarp();
}

/* Weighted U2 and class totals of a column, by the whole warp; every lane gets them. */
__device__ void warp_u2(const column_view &c, const unsigned *cnt, int lane, u64 *u2, u64 *n_neg, u64 *n_pos)
{
    u64 g0, g1;
    lane_chunk(c.n_groups, lane, &g0, &g1);
    u64 part = 0, below = 0, pos = 0;
    for (u64 g = g0; g < g1; g++) {
        u64 gn, gp;
        group_sums(c, g, cnt, &gn, &gp);
        part += gp * (2 * below + gn);
        below += gn;
        pos += gp;
    }
    u64 incl = warp_inclusive_scan(below, lane);
    part += 2 * (incl - below) * pos; /* the negatives of the earlier chunks */
    *u2 = warp_sum(part);
    *n_neg = __shfl_sync(kFull, incl, kWarp - 1);
    *n_pos = warp_sum(pos);
}

/* This warp's count array: in dynamic shared memory, or its slice of scratch. */
__device__ unsigned *warp_counts_buffer(unsigned *scratch, unsigned *smem, uint32_t n)
{
    u64 global_warp = (u64)blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp;
    return scratch ? scratch + global_warp * n : smem + (u64)(threadIdx.x / kWarp) * n;
}

__global__ void __launch_bounds__(kThreads)
    boot_auc_kernel(dev_design d, dev_columns c, uint32_t r0, u64 n_rep, unsigned *scratch, u64 *u2, u64 *nn, u64 *np)
{
    RDX_DYN_SHARED(unsigned, smem);
    unsigned *cnt = warp_counts_buffer(scratch, smem, d.n);
    const int lane = threadIdx.x % kWarp;
    const u64 n_warps = (u64)gridDim.x * (blockDim.x / kWarp);
    for (u64 r = (u64)blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp; r < n_rep; r += n_warps) {
        warp_counts(d, r0 + (uint32_t)r, cnt, lane);
        for (u64 j = 0; j < c.k; j++) {
            u64 a, b, p;
            warp_u2(column(c, j), cnt, lane, &a, &b, &p);
            if (lane == 0) {
                u2[j * n_rep + r] = a;
                nn[j * n_rep + r] = b;
                np[j * n_rep + r] = p;
            }
        }
        __syncwarp(); /* every lane has read the counts before they are redrawn */
    }
}

__global__ void __launch_bounds__(kThreads)
    boot_weights_kernel(dev_design d, dev_columns c, uint32_t r0, u64 n_rep, unsigned *scratch, u64 *g_neg, u64 *g_pos)
{
    RDX_DYN_SHARED(unsigned, smem);
    unsigned *cnt = warp_counts_buffer(scratch, smem, d.n);
    const int lane = threadIdx.x % kWarp;
    const u64 n_warps = (u64)gridDim.x * (blockDim.x / kWarp);
    const column_view col = column(c, 0);
    u64 g0, g1;
    lane_chunk(col.n_groups, lane, &g0, &g1);
    for (u64 r = (u64)blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp; r < n_rep; r += n_warps) {
        warp_counts(d, r0 + (uint32_t)r, cnt, lane);
        for (u64 g = g0; g < g1; g++)
            group_sums(col, g, cnt, &g_neg[r * col.n_groups + g], &g_pos[r * col.n_groups + g]);
        __syncwarp();
    }
}

__global__ void __launch_bounds__(kThreads) placements_kernel(dev_columns c, u64 n, u64 *place)
{
    const int lane = threadIdx.x % kWarp;
    const u64 n_warps = (u64)gridDim.x * (blockDim.x / kWarp);
    for (u64 j = (u64)blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp; j < c.k; j += n_warps) {
        const column_view col = column(c, j);
        u64 g0, g1, gn, gp, neg = 0, pos = 0;
        lane_chunk(col.n_groups, lane, &g0, &g1);
        for (u64 g = g0; g < g1; g++) {
            group_sums(col, g, nullptr, &gn, &gp);
            neg += gn;
            pos += gp;
        }
        u64 neg_incl = warp_inclusive_scan(neg, lane), pos_incl = warp_inclusive_scan(pos, lane);
        u64 n_pos = __shfl_sync(kFull, pos_incl, kWarp - 1);
        u64 neg_before = neg_incl - neg, pos_before = pos_incl - pos;
        u64 *out = place + j * n;
        for (u64 g = g0; g < g1; g++) {
            group_sums(col, g, nullptr, &gn, &gp);
            u64 pos_after = n_pos - pos_before - gp;
            for (uint32_t k = col.gstart[g]; k < col.gstart[g + 1]; k++)
                out[col.order[k]] = col.pos[k] ? 2 * neg_before + gn : 2 * pos_after + gp;
            neg_before += gn;
            pos_before += gp;
        }
    }
}

/* Every column must describe n input studies. */
bool columns_valid(const rdx_roc_column *cols, size_t k, size_t n)
{
    if (!cols)
        return false;
    for (size_t j = 0; j < k; j++)
        if (cols[j].n != n || !cols[j].order || !cols[j].pos_sorted || !cols[j].group_start)
            return false;
    return true;
}

cudaError_t upload_columns(device_arena &arena, const rdx_roc_column *cols, size_t k, dev_columns *dc)
{
    std::vector<u64> used_off(k + 1, 0), group_off(k + 1, 0);
    for (size_t j = 0; j < k; j++) {
        used_off[j + 1] = used_off[j] + cols[j].n_used;
        group_off[j + 1] = group_off[j] + cols[j].n_groups + 1;
    }
    std::vector<uint32_t> order(used_off[k]), gstart(group_off[k]);
    std::vector<uint8_t> pos(used_off[k]);
    for (size_t j = 0; j < k; j++) {
        std::copy(cols[j].order, cols[j].order + cols[j].n_used, order.begin() + (ptrdiff_t)used_off[j]);
        std::copy(cols[j].pos_sorted, cols[j].pos_sorted + cols[j].n_used, pos.begin() + (ptrdiff_t)used_off[j]);
        std::copy(cols[j].group_start, cols[j].group_start + cols[j].n_groups + 1,
                  gstart.begin() + (ptrdiff_t)group_off[j]);
    }
    dc->k = k;
    cudaError_t err = arena.upload(&dc->used_off, used_off.data(), k + 1);
    if (err == cudaSuccess)
        err = arena.upload(&dc->group_off, group_off.data(), k + 1);
    if (err == cudaSuccess)
        err = arena.upload(&dc->order, order.data(), order.size());
    if (err == cudaSuccess)
        err = arena.upload(&dc->pos, pos.data(), pos.size());
    if (err == cudaSuccess)
        err = arena.upload(&dc->gstart, gstart.data(), gstart.size());
    return err;
}

cudaError_t upload_design(device_arena &arena, const rdx_boot_design *d, dev_design *dd)
{
    dd->seed = d->seed;
    dd->n = (uint32_t)d->n;
    dd->n_strata = d->n_strata;
    dd->size[0] = d->size[0];
    dd->size[1] = d->size[1];
    return arena.upload(&dd->members, d->members, d->n);
}

bool design_valid(const rdx_boot_design *d)
{
    return d && d->members && d->n > 0 && d->n < UINT32_MAX && (d->n_strata == 1 || d->n_strata == 2);
}

/* Grid of a warp-per-replicate launch: shared counts when a block's fit, else
 * global scratch (bounded, the warps loop over replicates). */
struct warp_grid {
    unsigned blocks;
    size_t smem;
    bool in_shared;
};

warp_grid replicate_grid(u64 n_rep, uint32_t n)
{
    const size_t per_warp = (size_t)n * sizeof(unsigned);
    u64 blocks = (n_rep + kWarpsPerBlock - 1) / kWarpsPerBlock;
    blocks = blocks < kMaxBlocks ? blocks : kMaxBlocks;
    warp_grid g = {0, kWarpsPerBlock * per_warp, kWarpsPerBlock * per_warp <= kSharedBytes};
    if (!g.in_shared) {
        u64 cap = kScratchBytes / (kWarpsPerBlock * per_warp);
        blocks = blocks < cap ? blocks : (cap ? cap : 1);
        g.smem = 0;
    }
    g.blocks = (unsigned)blocks;
    return g;
}

/* Launch one of the replicate kernels with its counts buffer. */
template <class Kernel, class... Out>
cudaError_t launch_replicates(device_arena &arena, Kernel kernel, const dev_design &dd, const dev_columns &dc,
                              uint32_t r0, u64 n_rep, Out... out)
{
    warp_grid g = replicate_grid(n_rep, dd.n);
    unsigned *scratch = nullptr;
    cudaError_t err = g.in_shared ? cudaSuccess
                                  : arena.alloc(&scratch, (size_t)g.blocks * kWarpsPerBlock * dd.n);
    if (err != cudaSuccess)
        return err;
    KLAUNCH(g.blocks, kThreads, g.smem, 0, kernel)(dd, dc, r0, n_rep, scratch, out...);
    return cudaGetLastError();
}

unsigned grid_for(u64 items, u64 per_block)
{
    u64 b = (items + per_block - 1) / per_block;
    return (unsigned)(b < 1 ? 1 : b < kMaxBlocks ? b : kMaxBlocks);
}

} // namespace

int rdx_cuda_roc_boot_auc(const rdx_roc_column *cols, size_t k, const rdx_boot_design *d, uint32_t r0,
                          uint32_t n_rep, uint64_t *u2, uint64_t *n_neg, uint64_t *n_pos)
{
    static_assert(sizeof(uint64_t) == sizeof(u64), "64-bit integers on both sides");
    if (!design_valid(d) || !columns_valid(cols, k, d->n) || !u2 || !n_neg || !n_pos)
        return cudaErrorInvalidValue;
    if (k == 0 || n_rep == 0)
        return cudaSuccess;
    device_arena arena;
    dev_design dd;
    dev_columns dc;
    u64 *du2 = nullptr, *dnn = nullptr, *dnp = nullptr;
    const size_t out = k * (size_t)n_rep;
    cudaError_t err = upload_design(arena, d, &dd);
    if (err == cudaSuccess)
        err = upload_columns(arena, cols, k, &dc);
    if (err == cudaSuccess)
        err = arena.alloc(&du2, out);
    if (err == cudaSuccess)
        err = arena.alloc(&dnn, out);
    if (err == cudaSuccess)
        err = arena.alloc(&dnp, out);
    if (err == cudaSuccess)
        err = launch_replicates(arena, boot_auc_kernel, dd, dc, r0, n_rep, du2, dnn, dnp);
    if (err == cudaSuccess)
        err = download(reinterpret_cast<u64 *>(u2), du2, out);
    if (err == cudaSuccess)
        err = download(reinterpret_cast<u64 *>(n_neg), dnn, out);
    if (err == cudaSuccess)
        err = download(reinterpret_cast<u64 *>(n_pos), dnp, out);
    return (int)err;
}

int rdx_cuda_roc_boot_group_weights(const rdx_roc_column *c, const rdx_boot_design *d, uint32_t r0,
                                    uint32_t n_rep, uint64_t *g_neg, uint64_t *g_pos)
{
    if (!design_valid(d) || !columns_valid(c, 1, d->n) || !g_neg || !g_pos)
        return cudaErrorInvalidValue;
    if (n_rep == 0)
        return cudaSuccess;
    device_arena arena;
    dev_design dd;
    dev_columns dc;
    u64 *dn = nullptr, *dp = nullptr;
    const size_t out = c->n_groups * (size_t)n_rep;
    cudaError_t err = upload_design(arena, d, &dd);
    if (err == cudaSuccess)
        err = upload_columns(arena, c, 1, &dc);
    if (err == cudaSuccess)
        err = arena.alloc(&dn, out);
    if (err == cudaSuccess)
        err = arena.alloc(&dp, out);
    if (err == cudaSuccess)
        err = launch_replicates(arena, boot_weights_kernel, dd, dc, r0, n_rep, dn, dp);
    if (err == cudaSuccess)
        err = download(reinterpret_cast<u64 *>(g_neg), dn, out);
    if (err == cudaSuccess)
        err = download(reinterpret_cast<u64 *>(g_pos), dp, out);
    return (int)err;
}

int rdx_cuda_roc_placements(const rdx_roc_column *cols, size_t k, uint64_t *place)
{
    if (!cols || !place || (k > 0 && !columns_valid(cols, k, cols[0].n)))
        return cudaErrorInvalidValue;
    if (k == 0)
        return cudaSuccess;
    const size_t n = cols[0].n, out = k * n;
    device_arena arena;
    dev_columns dc;
    u64 *dplace = nullptr;
    cudaError_t err = upload_columns(arena, cols, k, &dc);
    if (err == cudaSuccess)
        err = arena.alloc(&dplace, out);
    if (err == cudaSuccess)
        err = cudaMemset(dplace, 0, out * sizeof *dplace); /* skipped studies */
    if (err == cudaSuccess) {
        KLAUNCH(grid_for(k, kWarpsPerBlock), kThreads, 0, 0, placements_kernel)(dc, n, dplace);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess)
        err = download(reinterpret_cast<u64 *>(place), dplace, out);
    return (int)err;
}
