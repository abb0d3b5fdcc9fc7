/* DeLong variance, covariance and tests (DeLong, DeLong & Clarke-Pearson 1988;
 * placements from the sorted groups as in Sun & Xu 2014): see rdx/roc.h. On a
 * CUDA device the placements and the cross products of the components come
 * from kernels/roc.cu (integers, and sums in the CPU's order); the rest is
 * shared, so both paths give identical results. */
#include "rdx/roc.h"

#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rdx_delong_free(rdx_delong *d)
{
    if (!d)
        return;
    free(d->auc);
    free(d->cov);
    memset(d, 0, sizeof *d);
}

/* Every column must hold the same studies with the same labels. label[i]:
 * 0/1, or 2 for a study the first column skipped. */
static rdx_status check_same_studies(const rdx_roc_column *cols, size_t k, uint8_t *label,
                                     rdx_error *err)
{
    memset(label, 2, cols[0].n);
    for (size_t j = 0; j < cols[0].n_used; j++)
        label[cols[0].order[j]] = cols[0].pos_sorted[j];
    for (size_t c = 1; c < k; c++) {
        if (cols[c].n != cols[0].n || cols[c].n_used != cols[0].n_used)
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "delong: column %zu has %zu studies, column 0 has %zu", c,
                                 cols[c].n_used, cols[0].n_used);
        for (size_t j = 0; j < cols[c].n_used; j++)
            if (label[cols[c].order[j]] != cols[c].pos_sorted[j])
                return rdx_error_set(err, RDX_E_MISMATCH,
                                     "delong: study %u differs between column 0 and column %zu",
                                     (unsigned)cols[c].order[j], c);
    }
    return RDX_OK;
}

/* Structural components V10 (positives) and V01 (negatives) of one column from
 * its placements, written class by class in study order: v[0 .. n_pos) then
 * v[n_pos .. n_used). */
static void components(const rdx_roc_column *c, const uint8_t *label, const uint64_t *place,
                       double *v)
{
    size_t ip = 0, in = c->n_pos;
    double two_neg = 2.0 * (double)c->n_neg, two_pos = 2.0 * (double)c->n_pos;
    for (size_t i = 0; i < c->n; i++) {
        if (label[i] == 1)
            v[ip++] = (double)place[i] / two_neg;
        else if (label[i] == 0)
            v[in++] = (double)place[i] / two_pos;
    }
}

/* U2 is the sum of the positives' placements: the exact integer of rdx_roc_u2. */
static double auc_from_placements(const rdx_roc_column *c, const uint64_t *place)
{
    uint64_t u2 = 0;
    for (size_t k = 0; k < c->n_used; k++)
        if (c->pos_sorted[k])
            u2 += place[c->order[k]];
    return rdx_roc_auc_from_u2(u2, c->n_neg, c->n_pos);
}

/* Centred cross products over the positives (s10) and the negatives (s01),
 * studies ascending: the order of the device's cross_kernel (kernels/roc.cu). */
static void centred_sums(const double *va, double auc_a, const double *vb, double auc_b,
                         size_t n_pos, size_t m, double *s10, double *s01)
{
    double a = 0, b = 0;
    for (size_t i = 0; i < n_pos; i++)
        a += (va[i] - auc_a) * (vb[i] - auc_b);
    for (size_t i = n_pos; i < m; i++)
        b += (va[i] - auc_a) * (vb[i] - auc_b);
    *s10 = a;
    *s01 = b;
}

/* cov(a, b) = S10_ab / n_pos + S01_ab / n_neg, S the centred sums over n - 1. */
static double cov_from_sums(double s10, double s01, uint64_t n_pos, uint64_t n_neg)
{
    if (n_pos < 2 || n_neg < 2)
        return NAN;
    s10 /= (double)(n_pos - 1);
    s01 /= (double)(n_neg - 1);
    return s10 / (double)n_pos + s01 / (double)n_neg;
}

/* The k x k covariance from the components v ([k][m]); on the device the
 * cross products come from rdx_cuda_roc_cross, in the same order. */
static rdx_status covariance(const double *v, size_t k, size_t m, rdx_device device,
                             rdx_delong *out, rdx_error *err)
{
    size_t n_pos = (size_t)out->n_pos;
    if (device != RDX_DEVICE_CUDA) {
        for (size_t a = 0; a < k; a++)
            for (size_t b = a; b < k; b++) {
                double s10, s01;
                centred_sums(v + a * m, out->auc[a], v + b * m, out->auc[b], n_pos, m, &s10, &s01);
                out->cov[a * k + b] = out->cov[b * k + a] =
                    cov_from_sums(s10, s01, out->n_pos, out->n_neg);
            }
        return RDX_OK;
    }
    double *s = malloc(2 * k * k * sizeof *s);
    if (!s)
        return rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate %zu x %zu sums", k, k);
    int code = rdx_cuda_roc_cross(v, out->auc, k, m, n_pos, s, s + k * k);
    for (size_t e = 0; !code && e < k * k; e++)
        out->cov[e] = cov_from_sums(s[e], s[k * k + e], out->n_pos, out->n_neg);
    free(s);
    return code ? rdx_error_set(err, RDX_E_DEVICE, "delong: CUDA: %s", rdx_cuda_error_string(code))
                : RDX_OK;
}

rdx_status rdx_delong_from_placements(const rdx_roc_column *cols, size_t k, const uint64_t *place,
                                      rdx_device device, rdx_delong *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    if (k == 0)
        return rdx_error_set(err, RDX_E_INVALID, "delong: no score column");
    size_t n = cols[0].n, m = cols[0].n_used;
    uint8_t *label = malloc(n ? n : 1);
    double *v = malloc(k * m * sizeof *v);
    out->auc = malloc(k * sizeof *out->auc);
    out->cov = malloc(k * k * sizeof *out->cov);
    rdx_status st = RDX_OK;
    if (!label || !v || !out->auc || !out->cov)
        st = rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate for %zu columns x %zu studies", k, n);
    if (st == RDX_OK)
        st = check_same_studies(cols, k, label, err);
    if (st == RDX_OK) {
        out->k = k;
        out->n_pos = cols[0].n_pos;
        out->n_neg = cols[0].n_neg;
        for (size_t c = 0; c < k; c++) {
            out->auc[c] = auc_from_placements(&cols[c], place + c * n);
            components(&cols[c], label, place + c * n, v + c * m);
        }
        st = covariance(v, k, m, device, out, err);
    }
    free(label);
    free(v);
    if (st != RDX_OK)
        rdx_delong_free(out);
    return st;
}

rdx_status rdx_delong_compute_on(const rdx_roc_column *cols, size_t k, rdx_device device,
                                 rdx_delong *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    if (k == 0)
        return rdx_error_set(err, RDX_E_INVALID, "delong: no score column");
    size_t n = cols[0].n;
    for (size_t c = 1; c < k; c++)
        if (cols[c].n != n) /* placements are laid out column by column, n each */
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "delong: column %zu has %zu studies, column 0 has %zu", c,
                                 cols[c].n, n);
    size_t cells = k * n;
    uint64_t *place = malloc((cells ? cells : 1) * sizeof *place);
    if (!place)
        return rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate for %zu columns x %zu studies", k, n);
    int code = 0;
    if (device == RDX_DEVICE_CUDA)
        code = rdx_cuda_roc_placements(cols, k, place);
    else
        for (size_t c = 0; c < k; c++)
            rdx_roc_placements(&cols[c], place + c * n);
    rdx_status st = code ? rdx_error_set(err, RDX_E_DEVICE, "delong: CUDA: %s",
                                         rdx_cuda_error_string(code))
                         : rdx_delong_from_placements(cols, k, place, device, out, err);
    free(place);
    return st;
}

rdx_status rdx_delong_compute(const rdx_roc_column *cols, size_t k, rdx_delong *out, rdx_error *err)
{
    return rdx_delong_compute_on(cols, k, RDX_DEVICE_CPU, out, err);
}

void rdx_auc_ci_normal(double auc, double var, double conf, double ci[2])
{
    double half = rdx_normal_quantile(1 - (1 - conf) / 2) * sqrt(var);
    ci[0] = fmax(0.0, auc - half);
    ci[1] = fmin(1.0, auc + half);
    if (isnan(half))
        ci[0] = ci[1] = NAN;
}

void rdx_delong_paired(const rdx_delong *d, size_t a, size_t b, double conf, rdx_roc_test *out)
{
    size_t k = d->k;
    out->estimate = d->auc[a] - d->auc[b];
    double var = d->cov[a * k + a] + d->cov[b * k + b] - 2 * d->cov[a * k + b];
    out->se = sqrt(var);
    out->stat = out->estimate == 0 && out->se == 0 ? 0.0 : out->estimate / out->se;
    out->df = INFINITY;
    out->p = 2 * rdx_normal_cdf(-fabs(out->stat));
    double half = rdx_normal_quantile(1 - (1 - conf) / 2) * out->se;
    out->ci[0] = out->estimate - half;
    out->ci[1] = out->estimate + half;
}

rdx_status rdx_delong_unpaired(const rdx_roc_column *a, const rdx_roc_column *b, double conf,
                               rdx_roc_test *out, rdx_error *err)
{
    rdx_delong da, db;
    rdx_status st = rdx_delong_compute(a, 1, &da, err);
    if (st != RDX_OK)
        return st;
    st = rdx_delong_compute(b, 1, &db, err);
    if (st != RDX_OK) {
        rdx_delong_free(&da);
        return st;
    }
    double sa = da.cov[0], sb = db.cov[0];
    double na = (double)a->n_used, nb = (double)b->n_used;
    out->estimate = da.auc[0] - db.auc[0];
    out->se = sqrt(sa + sb);
    out->stat = out->estimate / out->se;
    out->df = (sa + sb) * (sa + sb) / (sa * sa / (na - 1) + sb * sb / (nb - 1));
    out->p = 2 * rdx_student_t_cdf(-fabs(out->stat), out->df);
    double half = rdx_student_t_quantile(1 - (1 - conf) / 2, out->df) * out->se;
    out->ci[0] = out->estimate - half;
    out->ci[1] = out->estimate + half;
    rdx_delong_free(&da);
    rdx_delong_free(&db);
    return RDX_OK;
}
