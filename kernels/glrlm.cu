/* Dense GLRLM counts on the device (rdx_cuda_glrlm_counts, kernels.h).
 *
 * One thread per voxel of the requested slices of every item of the call (a
 * grid-stride loop over the items one after another, so several cases' boxes
 * share one launch; a binary search on the items' first threads finds a
 * thread's item): for each direction u of its item, a ROI voxel that starts
 * a run (its predecessor along u is outside the box or has another grey
 * level; 0 outside the ROI) walks the run to its end and adds one, with an
 * integer atomic, to the counter of the code k * run_codes + length
 * (run_codes: the item's parameter; k: compact grey index) in the matrix of
 * that direction (and of the start voxel's slice when counting per slice).
 * Only integer atomics: the counts do not depend on the order of threads or
 * blocks. No shared memory and no barriers.
 *
 * Reference: rdx_glrlm_codes (host/features_glrlm.c), whose codes sorted and
 * counted (rdx_counts_from_codes) are the non-zero counters here. */
#include "tex_counts.h"

namespace {

using rdx_tex::Item;

__global__ void __launch_bounds__(rdx_tex::kThreads)
    glrlm_kernel(const Item *items, int n, uint64_t total, uint32_t *counts)
{
    rdx_tex::for_each_roi_voxel(items, n, total, [&](const Item &it, int k, int64_t v, int64_t x, int64_t y, int64_t z,
                                                     int32_t g) {
        const rdx_tex::Box &b = it.b;
        const int *u = it.j.dir[k];
        const int64_t off = u[0] + b.dim[0] * (u[1] + b.dim[1] * (int64_t)u[2]);
        if (rdx_tex::contains(b, x - u[0], y - u[1], z - u[2]) && b.grey[v - off] == g)
            return; /* not the first voxel of its run */
        int64_t len = 1;
        while (rdx_tex::contains(b, x + len * u[0], y + len * u[1], z + len * u[2]) && b.grey[v + len * off] == g)
            len++;
        const uint64_t code = (uint64_t)b.index[g] * (uint64_t)it.param + (uint64_t)len;
        atomicAdd(&counts[rdx_tex::matrix_base(it, k, z) + code], 1u);
    });
}

} // namespace

int rdx_cuda_glrlm_counts(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts)
{
    /* A run spans at most the longest box dimension: codes stay inside their grey level's row. */
    auto space = [](const rdx_cuda_tex_item &it) -> uint64_t {
        const rdx_cuda_tex_box &b = it.box;
        if (b.n_levels < 1 || it.param <= b.dim[0] || it.param <= b.dim[1] || it.param <= b.dim[2] ||
            (uint64_t)it.param > UINT64_MAX / (uint64_t)b.n_levels)
            return 0;
        return (uint64_t)b.n_levels * (uint64_t)it.param;
    };
    return rdx_tex::count_matrices(items, n, counts, space,
                                   [](const Item *di, int ni, uint64_t total, uint32_t *dc, unsigned blocks) {
                                       KLAUNCH(blocks, rdx_tex::kThreads, 0, 0, glrlm_kernel)(di, ni, total, dc);
                                   });
}
