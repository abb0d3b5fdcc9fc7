/* Bootstrap: Philox resampling counts, replicate AUCs and operating points in
 * O(n) each from the presorted columns, percentile and BCa intervals, paired
 * test: see rdx/roc.h. Replicate r depends on (seed, r) only; OpenMP loops
 * write one slot per replicate, so the output does not depend on threads.
 * On a CUDA device (design->device) the kernels of kernels/roc.cu compute the
 * integer U2 and group weights; the host turns them into AUCs and operating
 * points with the same functions as the CPU path. */
#include "rdx/roc.h"

#include "kernels.h"
#include "rdx/philox.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void rdx_boot_design_free(rdx_boot_design *d)
{
    if (!d)
        return;
    free(d->members);
    memset(d, 0, sizeof *d);
}

rdx_status rdx_boot_design_init(rdx_boot_design *d, const uint8_t *labels, size_t n,
                                int stratified, uint64_t seed, rdx_error *err)
{
    memset(d, 0, sizeof *d);
    if (n == 0 || n >= UINT32_MAX)
        return rdx_error_set(err, RDX_E_INVALID, "bootstrap: %zu studies (1 to %u allowed)", n,
                             (unsigned)UINT32_MAX - 1);
    d->members = malloc(n * sizeof *d->members);
    if (!d->members)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate %zu studies", n);
    d->n = n;
    d->stratified = stratified != 0;
    d->seed = seed;
    d->device = RDX_DEVICE_CPU;
    d->n_strata = d->stratified ? 2 : 1;
    size_t m = 0;
    for (uint32_t s = 0; s < d->n_strata; s++) {
        size_t first = m;
        for (size_t i = 0; i < n; i++)
            if (!d->stratified || labels[i] == s)
                d->members[m++] = (uint32_t)i;
        d->size[s] = (uint32_t)(m - first);
    }
    if (m != n) {
        rdx_boot_design_free(d);
        return rdx_error_set(err, RDX_E_INVALID, "bootstrap: labels must be 0 or 1");
    }
    if (d->stratified && (d->size[0] == 0 || d->size[1] == 0)) {
        rdx_boot_design_free(d);
        return rdx_error_set(err, RDX_E_INVALID, "bootstrap: a stratum has no studies");
    }
    return RDX_OK;
}

void rdx_boot_counts(const rdx_boot_design *d, uint32_t r, uint32_t *count)
{
    memset(count, 0, d->n * sizeof *count);
    const uint32_t *members = d->members;
    for (uint32_t s = 0; s < d->n_strata; s++) {
        uint32_t n_s = d->size[s];
        for (uint32_t q = 0; 4 * (uint64_t)q < n_s; q++) {
            uint32_t idx[4];
            rdx_boot_draw4(d->seed, r, s, q, n_s, idx);
            for (uint32_t j = 0; j < 4 && 4 * (uint64_t)q + j < n_s; j++)
                count[members[idx[j]]]++;
        }
        members += n_s;
    }
}

/* Replicates per block: a block's counts (at most about 256 KiB) stay in cache
 * while every column walks them. */
static size_t block_size(size_t n)
{
    size_t b = (256u * 1024u) / (n * sizeof(uint32_t));
    return b < 1 ? 1 : b > 64 ? 64 : b;
}

static rdx_status check_boot_args(const rdx_boot_design *d, size_t n, size_t n_boot, rdx_error *err)
{
    if (d->n != n)
        return rdx_error_set(err, RDX_E_MISMATCH, "bootstrap: design has %zu studies, column %zu",
                             d->n, n);
    if (n_boot == 0 || n_boot > UINT32_MAX)
        return rdx_error_set(err, RDX_E_INVALID, "bootstrap: %zu replicates (1 to %u allowed)",
                             n_boot, (unsigned)UINT32_MAX);
    return RDX_OK;
}

/* Replicates per device call: the call's integer outputs (bytes_per_replicate
 * each) stay within 64 MiB. */
static size_t device_batch(size_t bytes_per_replicate, size_t n_boot)
{
    size_t b = ((size_t)64 << 20) / (bytes_per_replicate ? bytes_per_replicate : 1);
    return b < 1 ? 1 : b > n_boot ? n_boot : b;
}

static rdx_status device_error(rdx_error *err, int code)
{
    return rdx_error_set(err, RDX_E_DEVICE, "bootstrap: CUDA: %s", rdx_cuda_error_string(code));
}

static rdx_status boot_auc_device(const rdx_roc_column *cols, size_t k, const rdx_boot_design *d,
                                  size_t n_boot, double *auc, rdx_error *err)
{
    if (k == 0)
        return RDX_OK;
    size_t batch = device_batch(3 * k * sizeof(uint64_t), n_boot);
    uint64_t *u2 = malloc(3 * k * batch * sizeof *u2);
    if (!u2)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate %zu replicates", batch);
    uint64_t *nn = u2 + k * batch, *np = nn + k * batch;
    int code = 0;
    for (size_t r0 = 0; r0 < n_boot; r0 += batch) {
        size_t nr = n_boot - r0 < batch ? n_boot - r0 : batch;
        code = rdx_cuda_roc_boot_auc(cols, k, d, (uint32_t)r0, (uint32_t)nr, u2, nn, np);
        if (code)
            break;
#pragma omp parallel for schedule(static)
        for (long e = 0; e < (long)(k * nr); e++) {
            size_t j = (size_t)e / nr, r = (size_t)e % nr;
            auc[j * n_boot + r0 + r] = rdx_roc_auc_from_u2(u2[e], nn[e], np[e]);
        }
    }
    free(u2);
    return code ? device_error(err, code) : RDX_OK;
}

rdx_status rdx_boot_auc(const rdx_roc_column *cols, size_t k, const rdx_boot_design *d,
                        size_t n_boot, double *auc, rdx_error *err)
{
    size_t n = d->n;
    for (size_t j = 0; j < k; j++) {
        rdx_status st = check_boot_args(d, cols[j].n, n_boot, err);
        if (st != RDX_OK)
            return st;
    }
    if (d->device == RDX_DEVICE_CUDA)
        return boot_auc_device(cols, k, d, n_boot, auc, err);
    size_t block = block_size(n), n_blocks = (n_boot + block - 1) / block;
    int failed = 0;
    /* One parallel region, blocks handed out dynamically: no barrier per block,
     * and a thread slowed by other load does not hold the others up. */
#pragma omp parallel
    {
        uint32_t *counts = malloc(block * n * sizeof *counts);
        if (!counts) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (long b = 0; b < (long)n_blocks; b++) {
            size_t r0 = (size_t)b * block, nr = n_boot - r0 < block ? n_boot - r0 : block;
            if (!counts)
                continue;
            for (size_t r = 0; r < nr; r++)
                rdx_boot_counts(d, (uint32_t)(r0 + r), counts + r * n);
            for (size_t j = 0; j < k; j++)
                for (size_t r = 0; r < nr; r++) {
                    uint64_t nn, np;
                    uint64_t u2 = rdx_roc_u2(&cols[j], counts + r * n, &nn, &np);
                    auc[j * n_boot + r0 + r] = rdx_roc_auc_from_u2(u2, nn, np);
                }
        }
        free(counts);
    }
    if (failed)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate resampling counts");
    return RDX_OK;
}

/* Every rule of replicate r from its group weights. */
static void replicate_rules(const rdx_roc_column *c, const uint64_t *g_neg, const uint64_t *g_pos,
                            const rdx_thr_spec *specs, size_t n_spec, size_t n_boot, size_t r,
                            rdx_operating_point *out)
{
    for (size_t s = 0; s < n_spec; s++)
        rdx_operating_point_groups(c, g_neg, g_pos, &specs[s], &out[s * n_boot + r]);
}

static rdx_status boot_ops_device(const rdx_roc_column *c, const rdx_thr_spec *specs,
                                  size_t n_spec, const rdx_boot_design *d, size_t n_boot,
                                  rdx_operating_point *out, rdx_error *err)
{
    size_t ng = c->n_groups, batch = device_batch(2 * ng * sizeof(uint64_t), n_boot);
    uint64_t *g_neg = malloc(2 * ng * batch * sizeof *g_neg);
    if (!g_neg)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate %zu replicates", batch);
    uint64_t *g_pos = g_neg + ng * batch;
    int code = 0;
    for (size_t r0 = 0; r0 < n_boot; r0 += batch) {
        size_t nr = n_boot - r0 < batch ? n_boot - r0 : batch;
        code = rdx_cuda_roc_boot_group_weights(c, d, (uint32_t)r0, (uint32_t)nr, g_neg, g_pos);
        if (code)
            break;
#pragma omp parallel for schedule(static)
        for (long r = 0; r < (long)nr; r++)
            replicate_rules(c, g_neg + (size_t)r * ng, g_pos + (size_t)r * ng, specs, n_spec, n_boot,
                            r0 + (size_t)r, out);
    }
    free(g_neg);
    return code ? device_error(err, code) : RDX_OK;
}

rdx_status rdx_boot_operating_points(const rdx_roc_column *c, const rdx_thr_spec *specs,
                                     size_t n_spec, const rdx_boot_design *d, size_t n_boot,
                                     rdx_operating_point *out, rdx_error *err)
{
    rdx_status st = check_boot_args(d, c->n, n_boot, err);
    if (st != RDX_OK)
        return st;
    if (d->device == RDX_DEVICE_CUDA)
        return boot_ops_device(c, specs, n_spec, d, n_boot, out, err);
    size_t ng = c->n_groups ? c->n_groups : 1;
    int failed = 0;
#pragma omp parallel
    {
        /* One draw and one pass over the groups per replicate serve every rule. */
        uint32_t *count = malloc(c->n * sizeof *count);
        uint64_t *gw = malloc(2 * ng * sizeof *gw);
        if (!count || !gw) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 64)
        for (long r = 0; r < (long)n_boot; r++) {
            if (!count || !gw)
                continue;
            rdx_boot_counts(d, (uint32_t)r, count);
            rdx_roc_group_weights(c, count, gw, gw + ng);
            replicate_rules(c, gw, gw + ng, specs, n_spec, n_boot, (size_t)r, out);
        }
        free(count);
        free(gw);
    }
    if (failed)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate replicate scratch");
    return RDX_OK;
}

/* ---------------------------------------------------------------- intervals */

/* Rearrange x[0..m) so that x[k] is the k-th smallest, with nothing larger
 * before it and nothing smaller after it (quickselect, Hoare partition, which
 * keeps many equal values balanced). */
static void select_kth(double *x, ptrdiff_t m, ptrdiff_t k)
{
    ptrdiff_t lo = 0, hi = m - 1;
    while (lo < hi) {
        double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi];
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i++] = x[j];
                x[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return; /* j < k < i: x[k] equals the pivot */
    }
}

/* R's quantile type 7 of the m values in x (reordered): (1-h) x_(lo) + h x_(lo+1),
 * lo = floor((m-1) p), h its fractional part. */
static double quantile7(double *x, size_t m, double p)
{
    if (m == 0 || isnan(p))
        return NAN;
    double index = (double)(m - 1) * p;
    size_t lo = (size_t)floor(index);
    if (lo >= m - 1)
        lo = m - 1;
    select_kth(x, (ptrdiff_t)m, (ptrdiff_t)lo);
    double a = x[lo], h = index - (double)lo;
    if (h <= 0 || lo == m - 1)
        return a;
    double b = x[lo + 1]; /* the next order statistic: the smallest value after lo */
    for (size_t i = lo + 2; i < m; i++)
        b = x[i] < b ? x[i] : b;
    return a == b ? a : (1 - h) * a + h * b;
}

/* Jackknife acceleration; 0 when every jackknife value is the same. */
static double acceleration(const double *jack, size_t n)
{
    double sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(jack[i])) {
            sum += jack[i];
            m++;
        }
    if (m == 0)
        return NAN;
    double mean = sum / (double)m, s2 = 0, s3 = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(jack[i])) {
            double dv = mean - jack[i];
            s2 += dv * dv;
            s3 += dv * dv * dv;
        }
    return s2 == 0 ? 0.0 : s3 / (6 * pow(s2, 1.5));
}

static void bca_interval(double *x, size_t m, double estimate, const double *jack, size_t n_jack,
                         double conf, double ci[2])
{
    ci[0] = ci[1] = NAN;
    if (!jack || m == 0)
        return;
    size_t less = 0, equal = 0;
    for (size_t i = 0; i < m; i++) {
        less += x[i] < estimate;
        equal += x[i] == estimate;
    }
    double z0 = rdx_normal_quantile(((double)less + 0.5 * (double)equal) / (double)m);
    double a = acceleration(jack, n_jack);
    if (!isfinite(z0) || !isfinite(a))
        return;
    double alpha = 1 - conf;
    double zl = z0 + rdx_normal_quantile(alpha / 2), zu = z0 + rdx_normal_quantile(1 - alpha / 2);
    ci[0] = quantile7(x, m, rdx_normal_cdf(z0 + zl / (1 - a * zl)));
    ci[1] = quantile7(x, m, rdx_normal_cdf(z0 + zu / (1 - a * zu)));
}

rdx_status rdx_boot_ci(const double *reps, size_t n, double estimate, const double *jack,
                       size_t n_jack, double conf, rdx_boot_interval *out, rdx_error *err)
{
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate %zu replicates", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(reps[i]))
            x[m++] = reps[i];
    double alpha = 1 - conf;
    out->n_valid = m;
    out->percentile[0] = quantile7(x, m, alpha / 2);
    out->percentile[1] = quantile7(x, m, 1 - alpha / 2);
    bca_interval(x, m, estimate, jack, n_jack, conf, out->bca);
    free(x);
    return RDX_OK;
}

rdx_status rdx_boot_paired_test(const double *a, const double *b, size_t n, double estimate,
                                double conf, rdx_roc_test *out, rdx_error *err)
{
    double *diff = malloc((n ? n : 1) * sizeof *diff);
    if (!diff)
        return rdx_error_set(err, RDX_E_NOMEM, "bootstrap: cannot allocate %zu differences", n);
    double sum = 0;
    size_t m = 0;
    for (size_t r = 0; r < n; r++) {
        diff[r] = a[r] - b[r]; /* NaN when either is NaN */
        if (!isnan(diff[r])) {
            sum += diff[r];
            m++;
        }
    }
    double mean = sum / (double)m, ss = 0;
    for (size_t r = 0; r < n; r++)
        if (!isnan(diff[r]))
            ss += (diff[r] - mean) * (diff[r] - mean);
    out->estimate = estimate;
    out->se = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
    out->stat = estimate == 0 && out->se == 0 ? 0.0 : estimate / out->se;
    out->df = INFINITY;
    out->p = 2 * rdx_normal_cdf(-fabs(out->stat));
    rdx_boot_interval iv = {0, {NAN, NAN}, {NAN, NAN}};
    rdx_status st = rdx_boot_ci(diff, n, estimate, NULL, 0, conf, &iv, err);
    out->ci[0] = iv.percentile[0];
    out->ci[1] = iv.percentile[1];
    free(diff);
    return st;
}
