/* Dense GLRLM counts on the device (rdx_cuda_glrlm_counts, kernels.h).
 *
 * One thread per voxel of the requested slices (grid-stride loop): for each
 * direction u of the call, a ROI voxel that starts a run (its predecessor
 * along u is outside the box or has another grey level; 0 outside the ROI)
 * walks the run to its end and adds one, with an integer atomic, to the
 * counter of the code k * run_codes + length (k: compact grey index) in the
 * matrix of that direction (and of the start voxel's slice when counting per
 * slice). Only integer atomics: the counts do not depend on the order of
 * threads or blocks. No shared memory and no barriers.
 *
 * Reference: rdx_glrlm_codes (host/features_glrlm.c), whose codes sorted and
 * counted (rdx_counts_from_codes) are the non-zero counters here. */
#include "tex_counts.h"

namespace {

using rdx_tex::Box;
using rdx_tex::Jobs;

__global__ void __launch_bounds__(rdx_tex::kThreads)
    glrlm_kernel(Box b, Jobs j, int64_t run_codes, uint32_t *counts)
{
    const uint64_t space = (uint64_t)b.n_levels * (uint64_t)run_codes;
    rdx_tex::for_each_roi_voxel(b, j, [&](int k, int64_t v, int64_t x, int64_t y, int64_t z, int32_t g) {
        const int *u = j.dir[k];
        const int64_t off = u[0] + b.dim[0] * (u[1] + b.dim[1] * (int64_t)u[2]);
        if (rdx_tex::contains(b, x - u[0], y - u[1], z - u[2]) && b.grey[v - off] == g)
            return; /* not the first voxel of its run */
        int64_t len = 1;
        while (rdx_tex::contains(b, x + len * u[0], y + len * u[1], z + len * u[2]) && b.grey[v + len * off] == g)
            len++;
        const uint64_t code = (uint64_t)b.index[g] * (uint64_t)run_codes + (uint64_t)len;
        atomicAdd(&counts[rdx_tex::matrix_base(j, k, z, space) + code], 1u);
    });
}

} // namespace

int rdx_cuda_glrlm_counts(const rdx_cuda_tex_box *b, int64_t run_codes, const rdx_cuda_tex_jobs *j,
                          uint32_t *counts)
{
    /* A run spans at most the longest box dimension: codes stay inside their grey level's row. */
    if (!b || b->n_levels < 1 || run_codes <= b->dim[0] || run_codes <= b->dim[1] || run_codes <= b->dim[2] ||
        (uint64_t)run_codes > UINT64_MAX / (uint64_t)b->n_levels)
        return cudaErrorInvalidValue;
    return rdx_tex::count_matrices(b, j, (uint64_t)b->n_levels * (uint64_t)run_codes, counts,
                                   [run_codes](const Box &box, const Jobs &jobs, uint32_t *dc, unsigned blocks) {
                                       KLAUNCH(blocks, rdx_tex::kThreads, 0, 0, glrlm_kernel)(box, jobs, run_codes,
                                                                                             dc);
                                   });
}
