/* Per-point interpolation arithmetic for resampling (IBSI 2.4), shared by
 * host/preprocess_resample.c and kernels/resample.cu. Written as inline functions on plain arrays and
 * scalars, with no allocation or library calls beyond <math.h>, so that a CUDA
 * kernel can include this header and produce the same numbers as the host.
 *
 * Model: along each axis an output voxel reads K taps (1 nearest, 2 linear,
 * 4 cubic B-spline) of the source at precomputed offsets with precomputed
 * weights; the 3D value is the tensor product, accumulated in a fixed order
 * (x innermost, then y, then z) in double. */
#ifndef RDX_INTERP_H
#define RDX_INTERP_H

#include <math.h>
#include <stdint.h>

#include "rdx/settings.h"

#ifdef __CUDACC__
#define RDX_INTERP_FN static inline __host__ __device__
#else
#define RDX_INTERP_FN static inline
#endif

#define RDX_INTERP_MAX_TAPS 4

/* Taps per axis for a method; an axis with a single voxel needs one tap. */
RDX_INTERP_FN int rdx_interp_taps(rdx_interp method, int64_t n)
{
    if (n == 1 || method == RDX_INTERP_NEAREST)
        return 1;
    return method == RDX_INTERP_LINEAR ? 2 : 4;
}

/* Mirror-symmetric extension without edge repetition (d c b | a b c d | c b a),
 * the boundary the B-spline prefilter assumes. Requires n > 1. */
RDX_INTERP_FN int64_t rdx_interp_mirror(int64_t i, int64_t n)
{
    int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i > n - 1 ? period - i : i;
}

/* Taps of fractional source index x on an axis of n voxels: indices idx[] and
 * weights w[], rdx_interp_taps(method, n) of each. x is first clamped to
 * [0, n-1] so points outside take the nearest edge value. */
RDX_INTERP_FN void rdx_interp_axis_taps(rdx_interp method, double x, int64_t n, int64_t idx[],
                                        double w[])
{
    double hi = (double)(n - 1);
    x = x < 0.0 ? 0.0 : (x > hi ? hi : x);
    if (n == 1) {
        idx[0] = 0;
        w[0] = 1.0;
    } else if (method == RDX_INTERP_NEAREST) {
        idx[0] = (int64_t)floor(x + 0.5); /* round half up; x <= n-1 keeps it in range */
        w[0] = 1.0;
    } else if (method == RDX_INTERP_LINEAR) {
        int64_t i = (int64_t)floor(x);
        if (i > n - 2) /* x == n-1: use the last cell with weight 1 on its right end */
            i = n - 2;
        double f = x - (double)i;
        idx[0] = i;
        idx[1] = i + 1;
        w[0] = 1.0 - f;
        w[1] = f;
    } else {
        int64_t i = (int64_t)floor(x);
        double t = x - (double)i, u = 1.0 - t;
        double t2 = t * t, t3 = t2 * t;
        /* Cubic B-spline weights for taps i-1, i, i+1, i+2. */
        w[0] = u * u * u / 6.0;
        w[1] = (4.0 - 6.0 * t2 + 3.0 * t3) / 6.0;
        w[2] = (1.0 + 3.0 * t + 3.0 * t2 - 3.0 * t3) / 6.0;
        w[3] = t3 / 6.0;
        for (int k = 0; k < 4; k++)
            idx[k] = rdx_interp_mirror(i - 1 + k, n);
    }
}

/* One output voxel: sum over z, y, x taps of w_z * w_y * w_x * src[oz + oy + ox]
 * where the o* are element offsets (index times the axis stride). */
RDX_INTERP_FN double rdx_interp_point(const float *src, const int64_t *ox, const double *wx, int kx,
                                      const int64_t *oy, const double *wy, int ky,
                                      const int64_t *oz, const double *wz, int kz)
{
    double acc = 0.0;
    for (int c = 0; c < kz; c++) {
        double acc_y = 0.0;
        for (int b = 0; b < ky; b++) {
            const float *row = src + oz[c] + oy[b];
            double acc_x = 0.0;
            for (int a = 0; a < kx; a++)
                acc_x += wx[a] * (double)row[ox[a]];
            acc_y += wy[b] * acc_x;
        }
        acc += wz[c] * acc_y;
    }
    return acc;
}

/* Cubic B-spline prefilter of one line in place (interpolation coefficients
 * from samples), mirror-symmetric boundaries: recursive causal/anticausal
 * filter with pole z = sqrt(3) - 2 and exact mirror initialisation (Unser 1999;
 * the same recursion as scipy's spline_filter1d). Lines of one sample are left
 * as they are. */
RDX_INTERP_FN void rdx_interp_bspline_prefilter(double *c, int64_t n)
{
    if (n < 2)
        return;
    const double z = sqrt(3.0) - 2.0;
    const double gain = (1.0 - z) * (1.0 - 1.0 / z);
    for (int64_t i = 0; i < n; i++)
        c[i] *= gain;

    /* Causal init: c+[0] = sum over the mirrored signal of z^|k| c[k]. */
    double z_n1 = pow(z, (double)(n - 1)), z_i = z;
    double c0 = c[0] + z_n1 * c[n - 1];
    for (int64_t i = 1; i < n - 1; i++) {
        c0 += z_i * (c[i] + z_n1 * c[n - 1 - i]);
        z_i *= z;
    }
    c[0] = c0 / (1.0 - z_n1 * z_n1);
    for (int64_t i = 1; i < n; i++)
        c[i] += z * c[i - 1];

    /* Anticausal init for the mirrored causal output, then the backward pass. */
    c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0);
    for (int64_t i = n - 2; i >= 0; i--)
        c[i] = z * (c[i + 1] - c[i]);
}

#endif
