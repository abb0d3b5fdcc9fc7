/* Order statistics and fixed-order sums (host/order_stats.h). */
#include "order_stats.h"

#include <math.h>
#include <stdlib.h>

static void swapf(float *a, float *b)
{
    float t = *a;
    *a = *b;
    *b = t;
}

/* Hoare-style quickselect with median-of-three pivots on x[lo..hi]:
 * afterwards x[k] is in its sorted place, smaller-or-equal values before it
 * and greater-or-equal after it. O(hi - lo) expected. */
static void select_range(float *x, size_t lo, size_t hi, size_t k)
{
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < x[lo]) swapf(&x[mid], &x[lo]);
        if (x[hi] < x[lo]) swapf(&x[hi], &x[lo]);
        if (x[hi] < x[mid]) swapf(&x[hi], &x[mid]);
        float pivot = x[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot) i++;
            while (x[j] > pivot) j--;
            if (i <= j) {
                swapf(&x[i], &x[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

float rdx_select_kth(float *x, size_t n, size_t k)
{
    select_range(x, 0, n - 1, k);
    return x[k];
}

/* Multiselect: place the middle rank, then recurse into each side with the
 * ranks that fall there: O(n log m) for m ranks instead of m full passes. */
static void select_ranks_range(float *x, size_t lo, size_t hi, const size_t *ranks, size_t m)
{
    if (m == 0 || hi < lo)
        return;
    size_t mid = m / 2, k = ranks[mid];
    select_range(x, lo, hi, k);
    size_t left = mid;
    while (left > 0 && ranks[left - 1] == k)
        left--;
    size_t right = mid + 1;
    while (right < m && ranks[right] == k)
        right++;
    if (k > lo)
        select_ranks_range(x, lo, k - 1, ranks, left);
    select_ranks_range(x, k + 1, hi, ranks + right, m - right);
}

void rdx_select_ranks(float *x, size_t n, const size_t *ranks, size_t m)
{
    if (n > 0)
        select_ranks_range(x, 0, n - 1, ranks, m);
}

/* Rank and interpolation weight of percentile q under the type-7 rule. */
static size_t percentile_rank(size_t n, double q, double *frac)
{
    double pos = q * (double)(n - 1);
    size_t k = (size_t)floor(pos);
    *frac = pos - (double)k;
    return k;
}

void rdx_percentiles(float *x, size_t n, const double *q, size_t m, double *out)
{
    size_t ranks[2 * RDX_MAX_PERCENTILES];
    size_t nr = 0;
    for (size_t i = 0; i < m; i++) {
        double frac;
        size_t k = percentile_rank(n, q[i], &frac);
        ranks[nr++] = k;
        ranks[nr++] = k + 1 < n ? k + 1 : k;
    }
    /* Insertion sort: a handful of ranks. */
    for (size_t i = 1; i < nr; i++)
        for (size_t j = i; j > 0 && ranks[j - 1] > ranks[j]; j--) {
            size_t t = ranks[j];
            ranks[j] = ranks[j - 1];
            ranks[j - 1] = t;
        }
    rdx_select_ranks(x, n, ranks, nr);
    for (size_t i = 0; i < m; i++) {
        double frac;
        size_t k = percentile_rank(n, q[i], &frac);
        double a = x[k];
        out[i] = frac == 0.0 || k + 1 >= n ? a : a + frac * ((double)x[k + 1] - a);
    }
}

/* Value (1-based bin) of the k-th smallest (0-based) of a histogram. */
static int hist_kth(const int64_t *hist, int n_bins, int64_t k)
{
    int64_t seen = 0;
    for (int b = 1; b <= n_bins; b++) {
        seen += hist[b];
        if (seen > k)
            return b;
    }
    return n_bins;
}

double rdx_hist_percentile(const int64_t *hist, int n_bins, int64_t n, double q)
{
    double frac;
    int64_t k = (int64_t)percentile_rank((size_t)n, q, &frac);
    double a = hist_kth(hist, n_bins, k);
    if (frac == 0.0 || k + 1 >= n)
        return a;
    return a + frac * ((double)hist_kth(hist, n_bins, k + 1) - a);
}

void rdx_central_power_sums(const float *x, size_t n, double c, double s[4])
{
    size_t nb = (n + RDX_SUM_BLOCK - 1) / RDX_SUM_BLOCK;
    double *part = calloc(nb * 4 + 4, sizeof *part);
    s[0] = s[1] = s[2] = s[3] = NAN;
    if (!part)
        return;
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nb; b++) {
        double a1 = 0, a2 = 0, a3 = 0, a4 = 0;
        size_t end = (b + 1) * RDX_SUM_BLOCK < n ? (b + 1) * RDX_SUM_BLOCK : n;
        for (size_t i = b * RDX_SUM_BLOCK; i < end; i++) {
            double d = (double)x[i] - c, d2 = d * d;
            a1 += d;
            a2 += d2;
            a3 += d2 * d;
            a4 += d2 * d2;
        }
        part[b * 4] = a1;
        part[b * 4 + 1] = a2;
        part[b * 4 + 2] = a3;
        part[b * 4 + 3] = a4;
    }
    s[0] = s[1] = s[2] = s[3] = 0;
    for (size_t b = 0; b < nb; b++)
        for (int p = 0; p < 4; p++)
            s[p] += part[b * 4 + p];
    free(part);
}

void rdx_abs_dev_sum(const float *x, size_t n, double c, double lo, double hi, double *abs_sum,
                     double *count, double *sum)
{
    size_t nb = (n + RDX_SUM_BLOCK - 1) / RDX_SUM_BLOCK;
    double *part = calloc(nb * 3 + 3, sizeof *part);
    *abs_sum = *count = *sum = NAN;
    if (!part)
        return;
#pragma omp parallel for schedule(static)
    for (size_t b = 0; b < nb; b++) {
        double a = 0, k = 0, s = 0;
        size_t end = (b + 1) * RDX_SUM_BLOCK < n ? (b + 1) * RDX_SUM_BLOCK : n;
        for (size_t i = b * RDX_SUM_BLOCK; i < end; i++)
            if (x[i] >= lo && x[i] <= hi) {
                a += fabs((double)x[i] - c);
                k += 1;
                s += x[i];
            }
        part[b * 3] = a;
        part[b * 3 + 1] = k;
        part[b * 3 + 2] = s;
    }
    *abs_sum = *count = *sum = 0;
    for (size_t b = 0; b < nb; b++) {
        *abs_sum += part[b * 3];
        *count += part[b * 3 + 1];
        *sum += part[b * 3 + 2];
    }
    free(part);
}
