/* DeLong variance, covariance and tests (DeLong, DeLong & Clarke-Pearson 1988;
 * placements from the sorted groups as in Sun & Xu 2014): see rdx/roc.h.
 *
 * The structural components are placements over 2 n_other (V10 = p / 2 n_neg
 * for a positive, V01 = p / 2 n_pos for a negative) and both classes'
 * placements sum to U2, so the centred cross products are exact integers
 * over known denominators:
 *   sum_pos (V10_a - AUC_a)(V10_b - AUC_b) = (n_pos P10_ab - U2_a U2_b) / (n_pos (2 n_neg)^2),
 * P10_ab = sum_pos p_a p_b (P01 likewise over the negatives). The covariance
 * is computed from these integers, so it does not depend on any summation
 * order: on a CUDA device the placements (kernels/roc.cu) and the products
 * (kernels/roc_delong.cu, cuBLAS) give the CPU's result bit for bit. */
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

/* The placements of one column class by class, each in study order:
 * v[0 .. n_pos) the positives', then v[n_pos .. n_used) the negatives'. */
static void class_placements(const rdx_roc_column *c, const uint8_t *label, const uint64_t *place, uint64_t *v)
{
    size_t ip = 0, in = c->n_pos;
    for (size_t i = 0; i < c->n; i++) {
        if (label[i] == 1)
            v[ip++] = place[i];
        else if (label[i] == 0)
            v[in++] = place[i];
    }
}

/* U2 is the sum of the positives' placements: the exact integer of rdx_roc_u2. */
static uint64_t u2_from_placements(const rdx_roc_column *c, const uint64_t *place)
{
    uint64_t u2 = 0;
    for (size_t k = 0; k < c->n_used; k++)
        if (c->pos_sorted[k])
            u2 += place[c->order[k]];
    return u2;
}

typedef unsigned __int128 u128;

/* Sums of products of placements over the positives (p10) and over the
 * negatives (p01), p in [k][m] class by class: exact in 128 bits (a
 * placement is below 2^33, a class below 2^32 studies). */
static void place_products(const uint64_t *p, size_t k, size_t m, size_t n_pos, u128 *p10, u128 *p01)
{
    for (size_t a = 0; a < k; a++)
        for (size_t b = a; b < k; b++) {
            const uint64_t *pa = p + a * m, *pb = p + b * m;
            u128 s10 = 0, s01 = 0;
            for (size_t i = 0; i < n_pos; i++)
                s10 += (u128)pa[i] * pb[i];
            for (size_t i = n_pos; i < m; i++)
                s01 += (u128)pa[i] * pb[i];
            p10[a * k + b] = p10[b * k + a] = s10;
            p01[a * k + b] = p01[b * k + a] = s01;
        }
}

/* n prod - ua ub: an exact integer (both terms are at most 4 (n_pos n_neg)^2 < 2^127). */
static double centred(uint64_t n, u128 prod, uint64_t ua, uint64_t ub)
{
    return (double)((__int128)(n * prod) - (__int128)((u128)ua * ub));
}

/* The products on the device, widened; RDX_E_DEVICE on a CUDA error. */
static rdx_status device_products(const uint64_t *pl, size_t k, size_t m, size_t n_pos, u128 *p10, u128 *p01,
                                  rdx_error *err)
{
    uint64_t *d = malloc(2 * k * k * sizeof *d);
    if (!d)
        return rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate %zu x %zu sums", k, k);
    int code = rdx_cuda_roc_place_products(pl, k, m, n_pos, d, d + k * k);
    for (size_t e = 0; !code && e < k * k; e++) {
        p10[e] = d[e];
        p01[e] = d[k * k + e];
    }
    free(d);
    return code ? rdx_error_set(err, RDX_E_DEVICE, "delong: CUDA: %s", rdx_cuda_error_string(code)) : RDX_OK;
}

/* The k x k covariance from the placements pl ([k][m], class by class) and
 * the U2 of each column: cov(a, b) = S10_ab / (n_pos - 1) / n_pos + S01_ab /
 * (n_neg - 1) / n_neg, the centred sums S from the exact integers above. The
 * device forms the products when they fit its 64-bit sums (the CPU otherwise:
 * the same integers either way). */
static rdx_status covariance(const uint64_t *pl, const uint64_t *u2, size_t k, size_t m, rdx_device device,
                             rdx_delong *out, rdx_error *err)
{
    const uint64_t n_pos = out->n_pos, n_neg = out->n_neg;
    u128 *prod = malloc(2 * k * k * sizeof *prod);
    if (!prod)
        return rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate %zu x %zu sums", k, k);
    u128 *p10 = prod, *p01 = prod + k * k;
    rdx_status st = RDX_OK;
    if (device == RDX_DEVICE_CUDA && !(rdx_place_products_bound(pl, k, m, (size_t)n_pos) >> 64))
        st = device_products(pl, k, m, (size_t)n_pos, p10, p01, err);
    else
        place_products(pl, k, m, (size_t)n_pos, p10, p01);
    /* (2 n_other)^2 n_class (n_class - 1) n_class, in doubles: the same on every device. */
    const double d10 = 4.0 * (double)n_neg * (double)n_neg * (double)n_pos * (double)(n_pos - 1) * (double)n_pos;
    const double d01 = 4.0 * (double)n_pos * (double)n_pos * (double)n_neg * (double)(n_neg - 1) * (double)n_neg;
    for (size_t a = 0; !st && a < k; a++)
        for (size_t b = 0; b < k; b++) {
            size_t e = a * k + b;
            out->cov[e] = n_pos < 2 || n_neg < 2
                              ? NAN
                              : centred(n_pos, p10[e], u2[a], u2[b]) / d10 + centred(n_neg, p01[e], u2[a], u2[b]) / d01;
        }
    free(prod);
    return st;
}

rdx_status rdx_delong_from_placements(const rdx_roc_column *cols, size_t k, const uint64_t *place,
                                      rdx_device device, rdx_delong *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    if (k == 0)
        return rdx_error_set(err, RDX_E_INVALID, "delong: no score column");
    size_t n = cols[0].n, m = cols[0].n_used;
    uint8_t *label = malloc(n ? n : 1);
    uint64_t *pl = malloc((k * m + k) * sizeof *pl), *u2 = pl + k * m;
    out->auc = malloc(k * sizeof *out->auc);
    out->cov = malloc(k * k * sizeof *out->cov);
    rdx_status st = RDX_OK;
    if (!label || !pl || !out->auc || !out->cov)
        st = rdx_error_set(err, RDX_E_NOMEM, "delong: cannot allocate for %zu columns x %zu studies", k, n);
    if (st == RDX_OK)
        st = check_same_studies(cols, k, label, err);
    if (st == RDX_OK) {
        out->k = k;
        out->n_pos = cols[0].n_pos;
        out->n_neg = cols[0].n_neg;
        for (size_t c = 0; c < k; c++) {
            u2[c] = u2_from_placements(&cols[c], place + c * n);
            out->auc[c] = rdx_roc_auc_from_u2(u2[c], cols[c].n_neg, cols[c].n_pos);
            class_placements(&cols[c], label, place + c * n, pl + c * m);
        }
        st = covariance(pl, u2, k, m, device, out, err);
    }
    free(label);
    free(pl);
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
