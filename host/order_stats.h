/* Order statistics without a full sort: quickselect on a scratch copy, and
 * percentiles with linear interpolation between order statistics (the
 * "type 7" definition used by numpy and R's default quantile). */
#ifndef RDX_HOST_ORDER_STATS_H
#define RDX_HOST_ORDER_STATS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "rdx/device.h"
#include "rdx/hostdev.h"

/* The k-th smallest of x[0..n) (0-based), rearranging x. */
float rdx_select_kth(float *x, size_t n, size_t k);

/* Rearrange x so that x[r] holds the r-th smallest value for every rank r in
 * ranks[0..m) (sorted ascending, duplicates allowed). */
void rdx_select_ranks(float *x, size_t n, const size_t *ranks, size_t m);

/* Percentiles q[0..m) in [0,1] of x[0..n) (n >= 1, m <= RDX_MAX_PERCENTILES),
 * x untouched; out[i] is percentile q[i]. On the CPU, integer values over a
 * range of at most max(n, 65536) are counted (O(n + range)); others are
 * selected in a copy (quickselect); on the CUDA device by a radix select.
 * Identical results. RDX_E_NOMEM, or RDX_E_DEVICE for a kernel failure. */
#define RDX_MAX_PERCENTILES 16
rdx_status rdx_percentiles_on(const float *x, size_t n, const double *q, size_t m, rdx_device device, double *out,
                              rdx_error *err);

/* The same on the CPU; 0, or -1 when out of memory. */
int rdx_percentiles(const float *x, size_t n, const double *q, size_t m, double *out);

/* Percentile q of the discrete values 1..n_bins with counts hist[1..n_bins]
 * (hist[0] unused), total count n. */
double rdx_hist_percentile(const int64_t *hist, int n_bins, int64_t n, double q);

/* Fixed-order sums, independent of the thread count and identical on the CPU
 * and the CUDA device (kernels/intensity.cu): the data are split in blocks of
 * RDX_SUM_BLOCK values; within a block, value i goes to lane i % RDX_SUM_LANES
 * (each lane sums its values in index order), then the lanes combine as a
 * tree (lane l += lane l + s for s = RDX_SUM_LANES / 2, ..., 1); the block
 * sums are added in block order. The per-value terms are the inline
 * functions below, shared by both sides. */
#define RDX_SUM_BLOCK 65536
#define RDX_SUM_LANES 256

/* acc[0..3] += (x - c)^p for p = 1..4. */
static inline RDX_HOSTDEV void rdx_power_terms_add(double *acc, float x, double c)
{
    double d = (double)x - c, d2 = d * d;
    acc[0] += d;
    acc[1] += d2;
    acc[2] += d2 * d;
    acc[3] += d2 * d2;
}

/* acc[0] += |x - c|, acc[1] += 1, acc[2] += x for lo <= x <= hi. */
static inline RDX_HOSTDEV void rdx_abs_dev_terms_add(double *acc, float x, double c, double lo, double hi)
{
    if (x >= lo && x <= hi) {
        acc[0] += fabs((double)x - c);
        acc[1] += 1;
        acc[2] += x;
    }
}

/* The spread sums of the intensity statistics, in one pass: acc[0..3] the
 * power terms about mean, acc[4..6] the absolute deviation terms about mean,
 * acc[7..9] those about median, acc[10..12] those about 0 over lo..hi. Each
 * group adds up exactly as its own sum would (the additions of different
 * terms never mix). */
#define RDX_SPREAD_TERMS 13

static inline RDX_HOSTDEV void rdx_spread_terms_add(double *acc, float x, double mean, double median, double lo,
                                                    double hi)
{
    rdx_power_terms_add(acc, x, mean);
    rdx_abs_dev_terms_add(acc + 4, x, mean, -INFINITY, INFINITY);
    rdx_abs_dev_terms_add(acc + 7, x, median, -INFINITY, INFINITY);
    rdx_abs_dev_terms_add(acc + 10, x, 0.0, lo, hi);
}

/* Sum of (x - c)^p for p = 1..4 in s[0..3], on the CPU or the CUDA device
 * (identical results). Fails with RDX_E_NOMEM, or RDX_E_UNSUPPORTED when a
 * kernel fails. */
rdx_status rdx_central_power_sums(const float *x, size_t n, double c, rdx_device device, double s[4],
                                  rdx_error *err);

/* Fixed-order sum of |x - c| over the values with lo <= x <= hi, and their
 * count and plain sum (for the robust mean absolute deviation); device and
 * failures as rdx_central_power_sums. */
rdx_status rdx_abs_dev_sum(const float *x, size_t n, double c, double lo, double hi, rdx_device device,
                           double *abs_sum, double *count, double *sum, rdx_error *err);

/* The RDX_SPREAD_TERMS spread sums (rdx_spread_terms_add) in s, in one pass
 * (one kernel launch): bit for bit the sums rdx_central_power_sums and
 * rdx_abs_dev_sum give for the same centres and range. */
rdx_status rdx_spread_sums(const float *x, size_t n, double mean, double median, double lo, double hi,
                           rdx_device device, double s[RDX_SPREAD_TERMS], rdx_error *err);
#endif
