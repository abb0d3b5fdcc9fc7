/* Order statistics and fixed-order sums (host/order_stats.h). */
#include "order_stats.h"
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rdx/error.h"

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

/* The 2m ranks of percentiles q under the type-7 rule: k and k + 1 (capped at n - 1). */
static void percentile_ranks(size_t n, const double *q, size_t m, size_t *ranks)
{
    for (size_t i = 0; i < m; i++) {
        double frac;
        size_t k = percentile_rank(n, q[i], &frac);
        ranks[2 * i] = k;
        ranks[2 * i + 1] = k + 1 < n ? k + 1 : k;
    }
}

/* The ranks ascending (a handful: insertion sort). */
static void sort_ranks(const size_t *ranks, size_t nr, size_t *sorted)
{
    for (size_t i = 0; i < nr; i++)
        sorted[i] = ranks[i];
    for (size_t i = 1; i < nr; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            size_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
}

/* vals[i] = the ranks[i]-th smallest of x by counting, when the values are
 * integers over a range of at most max(n, 65536) (CT numbers, labels, dose in
 * cGy): 1; else 0 (x not suitable, or no memory), vals untouched. */
static int select_by_counts(const float *x, size_t n, const size_t *ranks, size_t nr, float *vals)
{
    const float limit = 1073741824.0f; /* 2^30: values convert to int32 exactly */
    float mn = x[0], mx = x[0];
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        ok &= x[i] >= -limit && x[i] <= limit; /* false for NaN too */
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    size_t span = ok ? (size_t)((int64_t)mx - (int64_t)mn) + 1 : 0;
    if (!ok || span > (n > 65536 ? n : 65536))
        return 0;
    for (size_t i = 0; i < n && ok; i++)
        ok = (float)(int32_t)x[i] == x[i];
    size_t *count = ok ? calloc(span, sizeof *count) : NULL;
    if (!count)
        return 0;
    const int32_t base = (int32_t)mn;
    for (size_t i = 0; i < n; i++)
        count[(int32_t)x[i] - base]++;
    size_t sorted[2 * RDX_MAX_PERCENTILES] = {0};
    sort_ranks(ranks, nr, sorted);
    size_t below = 0, v = 0; /* below: values smaller than base + v */
    for (size_t r = 0; r < nr; r++) {
        while (below + count[v] <= sorted[r])
            below += count[v++];
        for (size_t i = 0; i < nr; i++)
            if (ranks[i] == sorted[r])
                vals[i] = (float)(base + (int32_t)v);
    }
    free(count);
    return 1;
}

/* CPU selection: vals[i] = the ranks[i]-th smallest of x, x untouched. */
static rdx_status select_values(const float *x, size_t n, const size_t *ranks, size_t nr, float *vals,
                                rdx_error *err)
{
    if (select_by_counts(x, n, ranks, nr, vals))
        return RDX_OK;
    float *copy = malloc(n * sizeof *copy);
    if (!copy)
        return rdx_error_set(err, RDX_E_NOMEM, "percentiles: out of memory for %zu values", n);
    memcpy(copy, x, n * sizeof *copy);
    size_t sorted[2 * RDX_MAX_PERCENTILES] = {0};
    sort_ranks(ranks, nr, sorted);
    rdx_select_ranks(copy, n, sorted, nr);
    for (size_t i = 0; i < nr; i++)
        vals[i] = copy[ranks[i]];
    free(copy);
    return RDX_OK;
}

rdx_status rdx_percentiles_on(const float *x, size_t n, const double *q, size_t m, rdx_device device, double *out,
                              rdx_error *err)
{
    size_t ranks[2 * RDX_MAX_PERCENTILES] = {0};
    float vals[2 * RDX_MAX_PERCENTILES];
    percentile_ranks(n, q, m, ranks);
    if (device == RDX_DEVICE_CUDA) {
        int code = rdx_cuda_select_ranks(x, n, ranks, 2 * m, vals);
        if (code)
            return rdx_error_set(err, RDX_E_DEVICE, "percentiles: CUDA radix select: %s",
                                 rdx_cuda_error_string(code));
    } else {
        rdx_status st = select_values(x, n, ranks, 2 * m, vals, err);
        if (st)
            return st;
    }
    for (size_t i = 0; i < m; i++) {
        double frac, a = vals[2 * i];
        size_t k = percentile_rank(n, q[i], &frac);
        out[i] = frac == 0.0 || k + 1 >= n ? a : a + frac * ((double)vals[2 * i + 1] - a);
    }
    return RDX_OK;
}

int rdx_percentiles(const float *x, size_t n, const double *q, size_t m, double *out)
{
    rdx_error err;
    return rdx_percentiles_on(x, n, q, m, RDX_DEVICE_CPU, out, &err) ? -1 : 0;
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

/* The two fixed-order sums: their terms (order_stats.h) and parameters p[]. */
typedef enum { SUM_POWERS = 4, SUM_ABS_DEV = 3, SUM_SPREAD = RDX_SPREAD_TERMS } sum_kind; /* value: terms per value */

/* out[0..kind) = the sums of the terms over one block of values, in the
 * lane-and-tree order of order_stats.h (the order of kernels/intensity.cu). */
static void block_sum(const float *x, size_t len, sum_kind kind, const double *p, double *out)
{
    double lane[RDX_SUM_LANES][RDX_SPREAD_TERMS] = {{0}};
    for (size_t i = 0; i < len; i++)
        if (kind == SUM_POWERS)
            rdx_power_terms_add(lane[i % RDX_SUM_LANES], x[i], p[0]);
        else if (kind == SUM_ABS_DEV)
            rdx_abs_dev_terms_add(lane[i % RDX_SUM_LANES], x[i], p[0], p[1], p[2]);
        else
            rdx_spread_terms_add(lane[i % RDX_SUM_LANES], x[i], p[0], p[1], p[2], p[3]);
    for (int s = RDX_SUM_LANES / 2; s > 0; s /= 2)
        for (int l = 0; l < s; l++)
            for (int t = 0; t < (int)kind; t++)
                lane[l][t] += lane[l + s][t];
    for (int t = 0; t < (int)kind; t++)
        out[t] = lane[0][t];
}

/* out[0..kind) = fixed-order sums over x, on the CPU or the device. */
static rdx_status fixed_order_sums(const float *x, size_t n, sum_kind kind, const double *p, rdx_device device,
                                   double *out, rdx_error *err)
{
    const int nt = (int)kind;
    size_t nb = (n + RDX_SUM_BLOCK - 1) / RDX_SUM_BLOCK;
    double *part = calloc(nb * (size_t)nt + 1, sizeof *part);
    int code = 0;
    for (int t = 0; t < nt; t++)
        out[t] = NAN;
    if (!part)
        return rdx_error_set(err, RDX_E_NOMEM, "fixed-order sums: out of memory for %zu block sums", nb);
    if (device == RDX_DEVICE_CUDA) {
        code = kind == SUM_POWERS    ? rdx_cuda_central_power_sums(x, n, p[0], part)
               : kind == SUM_ABS_DEV ? rdx_cuda_abs_dev_sums(x, n, p[0], p[1], p[2], part)
                                     : rdx_cuda_spread_sums(x, n, p[0], p[1], p[2], p[3], part);
    } else {
#pragma omp parallel for schedule(static)
        for (size_t b = 0; b < nb; b++) {
            size_t begin = b * RDX_SUM_BLOCK, len = n - begin < RDX_SUM_BLOCK ? n - begin : RDX_SUM_BLOCK;
            block_sum(x + begin, len, kind, p, part + b * (size_t)nt);
        }
    }
    if (!code) {
        for (int t = 0; t < nt; t++)
            out[t] = 0;
        for (size_t b = 0; b < nb; b++)
            for (int t = 0; t < nt; t++)
                out[t] += part[b * (size_t)nt + t];
    }
    free(part);
    return code ? rdx_error_set(err, RDX_E_DEVICE, "fixed-order sums: CUDA kernel: %s",
                                rdx_cuda_error_string(code))
                : RDX_OK;
}

rdx_status rdx_central_power_sums(const float *x, size_t n, double c, rdx_device device, double s[4],
                                  rdx_error *err)
{
    return fixed_order_sums(x, n, SUM_POWERS, &c, device, s, err);
}

rdx_status rdx_abs_dev_sum(const float *x, size_t n, double c, double lo, double hi, rdx_device device,
                           double *abs_sum, double *count, double *sum, rdx_error *err)
{
    const double p[3] = {c, lo, hi};
    double out[3];
    rdx_status st = fixed_order_sums(x, n, SUM_ABS_DEV, p, device, out, err);
    *abs_sum = out[0];
    *count = out[1];
    *sum = out[2];
    return st;
}

rdx_status rdx_spread_sums(const float *x, size_t n, double mean, double median, double lo, double hi,
                           rdx_device device, double s[RDX_SPREAD_TERMS], rdx_error *err)
{
    const double p[4] = {mean, median, lo, hi};
    return fixed_order_sums(x, n, SUM_SPREAD, p, device, s, err);
}
