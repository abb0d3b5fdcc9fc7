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

/* Hoare-style quickselect with median-of-three pivots: O(n) expected. */
float rdx_select_kth(float *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
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
            return x[k];
    }
    return x[k];
}

double rdx_percentile(float *x, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t k = (size_t)floor(pos);
    double frac = pos - (double)k;
    double a = rdx_select_kth(x, n, k);
    if (frac == 0.0 || k + 1 >= n)
        return a;
    /* After selection every element above k is >= x[k]: the next order
     * statistic is the minimum of that part. */
    float b = x[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (x[i] < b) b = x[i];
    return a + frac * ((double)b - a);
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
    double pos = q * (double)(n - 1);
    int64_t k = (int64_t)floor(pos);
    double frac = pos - (double)k;
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
