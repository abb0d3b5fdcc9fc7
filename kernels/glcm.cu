/* Dense GLCM counts on the device (rdx_cuda_glcm_counts, kernels.h).
 *
 * One thread per voxel of the requested slices (grid-stride loop): for each
 * direction of the call, a ROI voxel whose neighbour at distance * u is in
 * the box and in the ROI adds one, with an integer atomic, to the counter of
 * the pair's code a * Np + b (compact grey indices, a <= b) in the matrix of
 * that direction (and of the voxel's slice when counting per slice). Only
 * integer atomics: the counts do not depend on the order of threads or
 * blocks. No shared memory and no barriers: a call fills many matrices, each
 * too large to privatise per block.
 *
 * Reference: rdx_glcm_codes (host/features_glcm.c), whose codes sorted and
 * counted (rdx_counts_from_codes) are the non-zero counters here. */
#include "tex_counts.h"

namespace {

using rdx_tex::Box;
using rdx_tex::Jobs;

__global__ void __launch_bounds__(rdx_tex::kThreads)
    glcm_kernel(Box b, Jobs j, int distance, uint32_t *counts)
{
    const uint64_t np = (uint64_t)b.n_levels, space = np * np;
    rdx_tex::for_each_roi_voxel(b, j, [&](int k, int64_t, int64_t x, int64_t y, int64_t z, int32_t g) {
        const int64_t nx = x + (int64_t)distance * j.dir[k][0], ny = y + (int64_t)distance * j.dir[k][1];
        const int64_t nz = z + (int64_t)distance * j.dir[k][2];
        if (!rdx_tex::contains(b, nx, ny, nz))
            return;
        const int32_t h = b.grey[nx + b.dim[0] * (ny + b.dim[1] * nz)];
        if (!h)
            return;
        const uint64_t p = (uint64_t)b.index[g], q = (uint64_t)b.index[h];
        const uint64_t code = p <= q ? p * np + q : q * np + p;
        atomicAdd(&counts[rdx_tex::matrix_base(j, k, z, space) + code], 1u);
    });
}

} // namespace

int rdx_cuda_glcm_counts(const rdx_cuda_tex_box *b, int distance, const rdx_cuda_tex_jobs *j, uint32_t *counts)
{
    if (!b || distance < 1 || b->n_levels < 1)
        return cudaErrorInvalidValue;
    const uint64_t np = (uint64_t)b->n_levels;
    return rdx_tex::count_matrices(b, j, np * np, counts,
                                   [distance](const Box &box, const Jobs &jobs, uint32_t *dc, unsigned blocks) {
                                       KLAUNCH(blocks, rdx_tex::kThreads, 0, 0, glcm_kernel)(box, jobs, distance,
                                                                                            dc);
                                   });
}
