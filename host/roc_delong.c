/* DeLong variance, covariance and tests (DeLong, DeLong & Clarke-Pearson 1988;
 * placements from the sorted groups as in Sun & Xu 2014): see rdx/roc.h. */
#include "rdx/roc.h"

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

/* Structural components V10 (positives) and V01 (negatives) of one column,
 * written class by class in study order: v[0 .. n_pos) then v[n_pos .. n_used). */
static void components(const rdx_roc_column *c, const uint8_t *label, uint64_t *place, double *v)
{
    rdx_roc_placements(c, place);
    size_t ip = 0, in = c->n_pos;
    double two_neg = 2.0 * (double)c->n_neg, two_pos = 2.0 * (double)c->n_pos;
    for (size_t i = 0; i < c->n; i++) {
        if (label[i] == 1)
            v[ip++] = (double)place[i] / two_neg;
        else if (label[i] == 0)
            v[in++] = (double)place[i] / two_pos;
    }
}

/* cov(a, b) = S10_ab / n_pos + S01_ab / n_neg with centred cross products. */
static double component_cov(const double *va, double auc_a, const double *vb, double auc_b,
                            size_t n_pos, size_t n_neg)
{
    if (n_pos < 2 || n_neg < 2)
        return NAN;
    double s10 = 0, s01 = 0;
    for (size_t i = 0; i < n_pos; i++)
        s10 += (va[i] - auc_a) * (vb[i] - auc_b);
    for (size_t i = n_pos; i < n_pos + n_neg; i++)
        s01 += (va[i] - auc_a) * (vb[i] - auc_b);
    s10 /= (double)(n_pos - 1);
    s01 /= (double)(n_neg - 1);
    return s10 / (double)n_pos + s01 / (double)n_neg;
}

rdx_status rdx_delong_compute(const rdx_roc_column *cols, size_t k, rdx_delong *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    if (k == 0)
        return rdx_error_set(err, RDX_E_INVALID, "delong: no score column");
    size_t n = cols[0].n, m = cols[0].n_used;
    uint8_t *label = malloc(n ? n : 1);
    uint64_t *place = malloc((n ? n : 1) * sizeof *place);
    double *v = malloc(k * m * sizeof *v);
    out->auc = malloc(k * sizeof *out->auc);
    out->cov = malloc(k * k * sizeof *out->cov);
    rdx_status st = RDX_OK;
    if (!label || !place || !v || !out->auc || !out->cov)
        st = rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate for %zu columns x %zu studies", k, n);
    if (st == RDX_OK)
        st = check_same_studies(cols, k, label, err);
    if (st == RDX_OK) {
        out->k = k;
        out->n_pos = cols[0].n_pos;
        out->n_neg = cols[0].n_neg;
        for (size_t c = 0; c < k; c++) {
            out->auc[c] = rdx_roc_auc(&cols[c]);
            components(&cols[c], label, place, v + c * m);
        }
        for (size_t a = 0; a < k; a++)
            for (size_t b = a; b < k; b++)
                out->cov[a * k + b] = out->cov[b * k + a] =
                    component_cov(v + a * m, out->auc[a], v + b * m, out->auc[b],
                                  (size_t)out->n_pos, (size_t)out->n_neg);
    }
    free(label);
    free(place);
    free(v);
    if (st != RDX_OK)
        rdx_delong_free(out);
    return st;
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
