/* Per-voxel arithmetic shared by the CPU reference (host/) and the CUDA
 * kernels (kernels/): keeping one definition is what makes both backends give
 * bit-identical results. Only IEEE-exact operations (+ - * /, floor,
 * comparisons) appear here. */
#ifndef RDX_HOST_VOXEL_OPS_H
#define RDX_HOST_VOXEL_OPS_H

#include <math.h>
#include <stdint.h>
#include "rdx/preprocess.h"
#include "rdx/settings.h"

#include "rdx/hostdev.h"

/* Piecewise calibration map: the first piece whose upper bound exceeds x. */
static inline RDX_HOSTDEV double rdx_calibrate_value(double x, const rdx_calibration *cal)
{
    int p = 0;
    while (p < cal->n_pieces - 1 && !(x < cal->upper[p]))
        p++;
    const double *c = cal->c[p];
    return c[0] + (c[1] + c[2] * x) * x;
}

/* IBSI discretisation of one intensity (IBSI 2.7):
 *   FBN: floor(Ng * (x - min) / (max - min)) + 1, with x == max in bin Ng;
 *   FBS: floor((x - lo) / w) + 1;  NONE: the intensity itself.
 * Results are clamped to [1, n_bins] so that rounding at the edges cannot
 * leave the histogram. */
static inline RDX_HOSTDEV int32_t rdx_disc_bin(double x, const rdx_disc_info *d)
{
    double b;
    if (d->method == RDX_DISC_FIXED_BIN_NUMBER)
        b = d->hi > d->lo ? floor((double)d->n_bins * (x - d->lo) / (d->hi - d->lo)) + 1.0 : 1.0;
    else if (d->method == RDX_DISC_FIXED_BIN_SIZE)
        b = floor((x - d->lo) / d->width) + 1.0;
    else
        b = x;
    if (b < 1.0)
        b = 1.0;
    if (b > (double)d->n_bins)
        b = (double)d->n_bins;
    return (int32_t)b;
}

#endif
