/* Order statistics without a full sort: quickselect on a scratch copy, and
 * percentiles with linear interpolation between order statistics (the
 * "type 7" definition used by numpy and R's default quantile). */
#ifndef RDX_HOST_ORDER_STATS_H
#define RDX_HOST_ORDER_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The k-th smallest of x[0..n) (0-based), rearranging x. */
float rdx_select_kth(float *x, size_t n, size_t k);

/* Rearrange x so that x[r] holds the r-th smallest value for every rank r in
 * ranks[0..m) (sorted ascending, duplicates allowed). */
void rdx_select_ranks(float *x, size_t n, const size_t *ranks, size_t m);

/* Percentiles q[0..m) in [0,1] of x[0..n) (n >= 1, m <= RDX_MAX_PERCENTILES),
 * rearranging x; out[i] is percentile q[i]. */
#define RDX_MAX_PERCENTILES 16
void rdx_percentiles(float *x, size_t n, const double *q, size_t m, double *out);

/* Percentile q of the discrete values 1..n_bins with counts hist[1..n_bins]
 * (hist[0] unused), total count n. */
double rdx_hist_percentile(const int64_t *hist, int n_bins, int64_t n, double q);

/* Fixed-order sums, independent of the thread count: the data are split in
 * blocks of RDX_SUM_BLOCK values, blocks are summed in parallel and the
 * block sums added in order. Returns sum of (x - c)^p for p = 1..4 in s[0..3]. */
#define RDX_SUM_BLOCK 65536
void rdx_central_power_sums(const float *x, size_t n, double c, double s[4]);



/* Fixed-order sum of |x - c| over the values with lo <= x <= hi, and their
 * count and plain sum (for the robust mean absolute deviation). */
void rdx_abs_dev_sum(const float *x, size_t n, double c, double lo, double hi, double *abs_sum,
                     double *count, double *sum);
#endif
