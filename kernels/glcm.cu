/* Dense GLCM counts on the device (rdx_cuda_glcm_counts, kernels.h).
 *
 * One thread per voxel of the requested slices of every item of the call (a
 * grid-stride loop over the items one after another, so several cases' boxes
 * share one launch; a binary search on the items' first threads finds a
 * thread's item): for each direction of its item, a ROI voxel whose neighbour
 * at distance * u (distance: the item's parameter) is in the box and in the
 * ROI adds one, with an integer atomic, to the counter of the pair's code
 * a * Np + b (compact grey indices, a <= b) in the matrix of that direction
 * (and of the voxel's slice when counting per slice). Only integer atomics:
 * the counts do not depend on the order of threads or blocks. No shared
 * memory and no barriers: a call fills many matrices, each too large to
 * privatise per block.
 *
 * Reference: rdx_glcm_codes (host/features_glcm.c), whose codes sorted and
 * counted (rdx_counts_from_codes) are the non-zero counters here. */
#include "tex_counts.h"

namespace {

using rdx_tex::Item;

__global__ void __launch_bounds__(rdx_tex::kThreads)
    glcm_kernel(const Item *items, int n, uint64_t total, uint32_t *counts)
{
    rdx_tex::for_each_roi_voxel(items, n, total, [&](const Item &it, int k, int64_t, int64_t x, int64_t y, int64_t z,
                                                     int32_t g) {
        const rdx_tex::Box &b = it.b;
        const int64_t nx = x + it.param * it.j.dir[k][0], ny = y + it.param * it.j.dir[k][1];
        const int64_t nz = z + it.param * it.j.dir[k][2];
        if (!rdx_tex::contains(b, nx, ny, nz))
            return;
        const int32_t h = b.grey[nx + b.dim[0] * (ny + b.dim[1] * nz)];
        if (!h)
            return;
        const uint64_t np = (uint64_t)b.n_levels, p = (uint64_t)b.index[g], q = (uint64_t)b.index[h];
        const uint64_t code = p <= q ? p * np + q : q * np + p;
        atomicAdd(&counts[rdx_tex::matrix_base(it, k, z) + code], 1u);
    });
}

} // namespace

int rdx_cuda_glcm_counts(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts)
{
    auto space = [](const rdx_cuda_tex_item &it) -> uint64_t {
        const uint64_t np = it.box.n_levels < 1 ? 0 : (uint64_t)it.box.n_levels;
        return it.param < 1 || it.param > INT32_MAX ? 0 : np * np;
    };
    return rdx_tex::count_matrices(items, n, counts, space,
                                   [](const Item *di, int ni, uint64_t total, uint32_t *dc, unsigned blocks) {
                                       KLAUNCH(blocks, rdx_tex::kThreads, 0, 0, glcm_kernel)(di, ni, total, dc);
                                   });
}
