/* ROC engine: Philox known answers, AUC and ROC curve (aSAH, scikit-learn tie
 * examples), DeLong variances / covariances / tests against pROC's printed
 * values (datasets/roc/README.md), thresholds, bootstrap determinism and
 * consistency, feature screening. */
#include "check.h"
#include "rdx/philox.h"
#include "rdx/roc.h"
#include "rdx/store.h"
#include "table_csv.h"

#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* |got - want| <= tol * |want| */
#define CHECK_REL(got, want, tol, what) CHECK_NEAR((got), (want), (tol) * fabs((double)(want)), (what))

/* ------------------------------------------------------------------ data */

typedef struct {
    size_t n;
    uint8_t label[200];
    double s100b[200], ndka[200], wfns[200];
    int female[200];
} asah;

static int load_asah(asah *a)
{
    const char *src = getenv("RDX_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/datasets/roc/aSAH.csv", src ? src : ".");
    rdx_csv t;
    rdx_error err;
    if (rdx_csv_read(path, &t, &err) != RDX_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    size_t c_out, c_sex, c_s, c_n, c_w;
    int ok = rdx_csv_column(&t, "outcome", &c_out, &err) == RDX_OK &&
             rdx_csv_column(&t, "gender", &c_sex, &err) == RDX_OK &&
             rdx_csv_column(&t, "s100b", &c_s, &err) == RDX_OK &&
             rdx_csv_column(&t, "ndka", &c_n, &err) == RDX_OK &&
             rdx_csv_column(&t, "wfns", &c_w, &err) == RDX_OK && t.n_rows <= 200;
    a->n = t.n_rows;
    for (size_t r = 0; ok && r < t.n_rows; r++) {
        a->label[r] = strcmp(rdx_csv_cell(&t, r, c_out), "Poor") == 0;
        a->female[r] = strcmp(rdx_csv_cell(&t, r, c_sex), "Female") == 0;
        ok = rdx_csv_number(&t, r, c_s, &a->s100b[r], &err) == RDX_OK &&
             rdx_csv_number(&t, r, c_n, &a->ndka[r], &err) == RDX_OK &&
             rdx_csv_number(&t, r, c_w, &a->wfns[r], &err) == RDX_OK;
    }
    rdx_csv_free(&t);
    return ok;
}

static void column(rdx_roc_column *c, const double *s, const uint8_t *l, size_t n, rdx_roc_direction d)
{
    rdx_error err;
    if (rdx_roc_column_init(c, s, l, n, d, RDX_NAN_ERROR, &err) != RDX_OK) {
        fprintf(stderr, "column: %s\n", err.msg);
        exit(2);
    }
}

/* ------------------------------------------------------------------ Philox */

static void test_philox(void)
{
    /* Random123 tests/kat_vectors, the three "philox4x32 10" lines. */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int v = 0; v < 3; v++) {
        rdx_philox_ctr c = {{kat[v][0], kat[v][1], kat[v][2], kat[v][3]}};
        rdx_philox_key k = {{kat[v][4], kat[v][5]}};
        rdx_philox_ctr o = rdx_philox4x32_10(c, k);
        for (int w = 0; w < 4; w++)
            CHECK(o.v[w] == kat[v][6 + w], "kat %d word %d: %08x", v, w, o.v[w]);
    }
    /* Draws: n_s = 2^31 + 1 rejects about half the words (2^32 mod n_s =
     * 2^31 - 1), so the retry path is exercised; accepted words must map to
     * (x n_s) >> 32 of the documented counter (r, s, i/4, 0). */
    uint64_t seed = 0x123456789abcdefULL;
    uint32_t n_s = 0x80000001u, thr = 0x7fffffffu;
    int rejected = 0, agree = 1;
    for (uint32_t q = 0; q < 16; q++) {
        uint32_t four[4];
        rdx_boot_draw4(seed, 7, 1, q, n_s, four);
        rdx_philox_ctr c = {{7, 1, q, 0}};
        rdx_philox_key k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
        rdx_philox_ctr w = rdx_philox4x32_10(c, k);
        for (uint32_t j = 0; j < 4; j++) {
            uint32_t d = rdx_boot_draw(seed, 7, 1, 4 * q + j, n_s);
            agree &= d == four[j] && d < n_s;
            uint64_t m = (uint64_t)w.v[j] * n_s;
            if ((uint32_t)m < thr)
                rejected++;
            else
                agree &= d == (uint32_t)(m >> 32);
        }
    }
    CHECK(agree, "rdx_boot_draw4 / rdx_boot_draw / multiply-shift disagree");
    CHECK(rejected > 0, "no rejection exercised");
    /* n_s = 1 always draws 0. */
    CHECK(rdx_boot_draw(1, 2, 0, 3, 1) == 0, "n_s = 1");
}

/* ------------------------------------------------------------------ AUC */

static void test_sklearn_examples(void)
{
    rdx_roc_column c;
    /* roc_auc_score docstring: y = [0,0,1,1], s = [0.1,0.4,0.35,0.8] -> 0.75 */
    const uint8_t y1[4] = {0, 0, 1, 1};
    const double s1[4] = {0.1, 0.4, 0.35, 0.8};
    column(&c, s1, y1, 4, RDX_ROC_HIGHER);
    CHECK_NEAR(rdx_roc_auc(&c), 0.75, 1e-15, "sklearn docstring AUC");
    /* roc_curve docstring (pos_label 2): fpr [0,0,.5,.5,1], tpr [0,.5,.5,1,1]
     * at thresholds inf, .8, .4, .35, .1 -- our curve is the same points in the
     * opposite order, thresholds at midpoints. */
    rdx_roc_curve cv;
    rdx_error err;
    CHECK(rdx_roc_curve_compute(&c, &cv, &err) == RDX_OK, "curve");
    const uint64_t tp[5] = {2, 2, 1, 1, 0}, fp[5] = {2, 1, 1, 0, 0};
    CHECK(cv.n_points == 5, "points %zu", cv.n_points);
    for (size_t k = 0; k < 5 && k < cv.n_points; k++)
        CHECK(cv.tp[k] == tp[k] && cv.fp[k] == fp[k], "point %zu: tp %llu fp %llu", k,
              (unsigned long long)cv.tp[k], (unsigned long long)cv.fp[k]);
    CHECK(isinf(cv.threshold[0]) && cv.threshold[0] < 0, "first threshold -inf");
    CHECK_NEAR(cv.threshold[2], (0.35 + 0.4) / 2, 0, "midpoint threshold");
    rdx_roc_curve_free(&cv);
    rdx_roc_column_free(&c);

    /* All tied: AUC 1/2 (sklearn roc_auc_score([0,1,0,1], [.5,.5,.5,.5]) = 0.5). */
    const uint8_t y2[4] = {0, 1, 0, 1};
    const double s2[4] = {0.5, 0.5, 0.5, 0.5};
    column(&c, s2, y2, 4, RDX_ROC_HIGHER);
    CHECK_NEAR(rdx_roc_auc(&c), 0.5, 0, "all ties");
    CHECK(c.n_groups == 1, "one group");
    rdx_roc_column_free(&c);

    /* Mixed ties (sklearn 1.9.1 roc_auc_score = 0.6111111111111112). By hand:
     * positives .5, .9, .1 against negatives .1, .5, .5:
     * .5 -> 1 + 1/2 + 1/2 = 2; .9 -> 3; .1 -> 1/2; U = 5.5, AUC = 5.5/9. */
    const uint8_t y3[6] = {0, 0, 1, 1, 0, 1};
    const double s3[6] = {0.1, 0.5, 0.5, 0.9, 0.5, 0.1};
    column(&c, s3, y3, 6, RDX_ROC_HIGHER);
    CHECK_NEAR(rdx_roc_auc(&c), 5.5 / 9, 1e-16, "mixed ties");
    rdx_roc_column_free(&c);
    /* The same with direction "lower": 1 - 5.5/9, never flipped back. */
    column(&c, s3, y3, 6, RDX_ROC_LOWER);
    CHECK_NEAR(rdx_roc_auc(&c), 3.5 / 9, 1e-16, "direction lower");
    rdx_roc_column_free(&c);
}

static void test_large_counts(void)
{
    /* 10^5 negatives scored 0..N-1 and 10^5 positives scored i + 0.5: positive
     * i beats i + 1 negatives, U = N(N+1)/2 = 5000050000 > 2^32,
     * AUC = (N+1)/(2N) = 0.500005 exactly representable to 1 ulp. */
    size_t N = 100000, n = 2 * N;
    double *s = malloc(n * sizeof *s);
    uint8_t *l = malloc(n);
    for (size_t i = 0; i < N; i++) {
        s[i] = (double)i;
        l[i] = 0;
        s[N + i] = (double)i + 0.5;
        l[N + i] = 1;
    }
    rdx_roc_column c;
    column(&c, s, l, n, RDX_ROC_HIGHER);
    uint64_t nn, np;
    CHECK(rdx_roc_u2(&c, NULL, &nn, &np) == 2 * 5000050000ULL, "U2 in 64 bits");
    CHECK_NEAR(rdx_roc_auc(&c), 0.500005, 1e-15, "large AUC");
    /* Weights of 1000 per study: U2 scales by 10^6, beyond 2^53. */
    uint32_t *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = 1000;
    CHECK(rdx_roc_u2(&c, w, &nn, &np) == 2 * 5000050000ULL * 1000000ULL, "weighted U2");
    CHECK(nn == 100000000ULL && np == 100000000ULL, "weighted totals");
    rdx_roc_column_free(&c);
    free(s);
    free(l);
    free(w);
}

/* ------------------------------------------------------------------ aSAH / pROC */

static void test_asah(const asah *a)
{
    rdx_roc_column cols[3];
    column(&cols[0], a->s100b, a->label, a->n, RDX_ROC_HIGHER);
    column(&cols[1], a->ndka, a->label, a->n, RDX_ROC_HIGHER);
    column(&cols[2], a->wfns, a->label, a->n, RDX_ROC_HIGHER);
    CHECK(cols[0].n_pos == 41 && cols[0].n_neg == 72, "41 Poor, 72 Good");
    rdx_delong d;
    rdx_error err;
    CHECK(rdx_delong_compute(cols, 3, &d, &err) == RDX_OK, "delong: %s", err.msg);
    /* README: AUC s100b / ndka / wfns and DeLong variances (pROC 1.19). */
    CHECK_REL(d.auc[0], 0.7313685636856369, 1e-9, "AUC s100b");
    CHECK_REL(d.auc[1], 0.61195799457994582, 1e-9, "AUC ndka");
    CHECK_REL(d.auc[2], 0.82367886178861793, 1e-9, "AUC wfns");
    CHECK_REL(d.cov[0], 0.00266868245717244, 1e-9, "var s100b");
    CHECK_REL(d.cov[4], 0.0031908105493913, 1e-9, "var ndka");
    CHECK_REL(d.cov[8], 0.00146991470882363, 1e-9, "var wfns");
    /* Covariances (wfns,ndka) / (ndka,s100b) / (s100b,wfns). */
    CHECK_REL(d.cov[2 * 3 + 1], -0.000532967856762438, 1e-9, "cov wfns,ndka");
    CHECK_REL(d.cov[1 * 3 + 0], -0.000756164938056579, 1e-9, "cov ndka,s100b");
    CHECK_REL(d.cov[0 * 3 + 2], 0.00119615567376754, 1e-9, "cov s100b,wfns");
    CHECK(d.cov[1] == d.cov[3], "symmetric");
    double ci[2];
    rdx_auc_ci_normal(d.auc[1], d.cov[4], 0.95, ci);
    CHECK_REL(ci[0], 0.501244999271703, 1e-9, "CI ndka lower");
    CHECK_REL(ci[1], 0.722670989888189, 1e-9, "CI ndka upper");
    /* s100b: README prints 0.6301 - 0.8326; pROC 1.18 prints
     * 0.63011821176161997 - 0.83261891560964996. */
    rdx_auc_ci_normal(d.auc[0], d.cov[0], 0.95, ci);
    CHECK_REL(ci[0], 0.63011821176161997, 1e-9, "CI s100b lower");
    CHECK_REL(ci[1], 0.83261891560964996, 1e-9, "CI s100b upper");
    CHECK(fabs(ci[0] - 0.6301) < 5e-5 && fabs(ci[1] - 0.8326) < 5e-5, "CI s100b 4 digits");

    /* Paired DeLong tests. */
    rdx_roc_test t;
    rdx_delong_paired(&d, 2, 0, 0.95, &t);
    CHECK_REL(t.stat, 2.20898359144091, 1e-9, "Z wfns vs s100b");
    CHECK_REL(t.p, 0.0271757822291882, 1e-6, "p wfns vs s100b");
    CHECK_REL(t.ci[0], 0.0104061769564846, 1e-9, "CI diff lower");
    CHECK_REL(t.ci[1], 0.174214419249478, 1e-9, "CI diff upper");
    rdx_delong_paired(&d, 2, 1, 0.95, &t);
    CHECK_REL(t.stat, 2.79777591868904, 1e-9, "Z wfns vs ndka");
    CHECK_REL(t.p, 0.00514557970691098, 1e-6, "p wfns vs ndka");
    rdx_delong_paired(&d, 1, 0, 0.95, &t);
    CHECK_REL(t.stat, -1.39077002573558, 1e-9, "Z ndka vs s100b");
    CHECK_REL(t.p, 0.164295175223054, 1e-6, "p ndka vs s100b");

    /* Unpaired tests (D, p; df 206.6610637877825 printed by pROC 1.18). */
    CHECK(rdx_delong_unpaired(&cols[2], &cols[0], 0.95, &t, &err) == RDX_OK, "unpaired");
    CHECK_REL(t.stat, 1.43490640926908, 1e-9, "D wfns/s100b");
    CHECK_REL(t.df, 206.6610637877825, 1e-9, "df wfns/s100b");
    CHECK_REL(t.p, 0.152825378808796, 1e-6, "p wfns/s100b");
    rdx_delong_unpaired(&cols[2], &cols[1], 0.95, &t, &err);
    CHECK_REL(t.stat, 3.10125096778969, 1e-9, "D wfns/ndka");
    CHECK_REL(t.p, 0.00220950791756457, 1e-6, "p wfns/ndka");
    rdx_delong_unpaired(&cols[1], &cols[0], 0.95, &t, &err);
    CHECK_REL(t.stat, -1.55995743389685, 1e-9, "D ndka/s100b");
    CHECK_REL(t.p, 0.120192832430845, 1e-6, "p ndka/s100b");
    rdx_delong_free(&d);

    /* Youden cut for s100b: threshold 0.205, Sp 58/72, Se 26/41,
     * accuracy 0.7433628, PPV 0.65, NPV 0.7945205. */
    rdx_thr_spec spec = {RDX_THR_YOUDEN, 0, 0, 0};
    rdx_operating_point op;
    CHECK(rdx_operating_point_find(&cols[0], &spec, &op, &err) == RDX_OK && op.found, "youden");
    CHECK_REL(op.threshold, 0.205, 1e-12, "Youden threshold");
    CHECK(op.table.tp == 26 && op.table.fn == 15 && op.table.fp == 14 && op.table.tn == 58,
          "Youden table %llu %llu %llu %llu", (unsigned long long)op.table.tp,
          (unsigned long long)op.table.fn, (unsigned long long)op.table.fp,
          (unsigned long long)op.table.tn);
    CHECK_REL(rdx_metric_value(&op.table, RDX_M_ACCURACY), 0.7433628, 1e-7, "accuracy");
    CHECK_REL(rdx_metric_value(&op.table, RDX_M_PPV), 0.65, 1e-12, "PPV");
    CHECK_REL(rdx_metric_value(&op.table, RDX_M_NPV), 0.7945205, 1e-7, "NPV");
    /* pROC coords(best) for wfns: 3.5, tp 26 fn 15 fp 12 tn 60; ndka: 11.08, 29/12/35/37. */
    rdx_operating_point_find(&cols[2], &spec, &op, &err);
    CHECK(op.threshold == 3.5 && op.table.tp == 26 && op.table.fp == 12, "Youden wfns");
    rdx_operating_point_find(&cols[1], &spec, &op, &err);
    CHECK_REL(op.threshold, 11.08, 1e-12, "Youden ndka");
    CHECK(op.table.tp == 29 && op.table.fp == 35, "Youden ndka table");
    /* pROC coords(all) for s100b: first thresholds -Inf, 0.035, 0.045 with
     * (tp, fp) = (41, 72), (40, 72), (40, 67). */
    rdx_roc_curve cv;
    rdx_roc_curve_compute(&cols[0], &cv, &err);
    CHECK(cv.tp[1] == 40 && cv.fp[1] == 72 && cv.tp[2] == 40 && cv.fp[2] == 67, "s100b curve");
    CHECK_REL(cv.threshold[1], 0.035, 1e-12, "s100b threshold 1");
    rdx_roc_curve_free(&cv);
    for (int k = 0; k < 3; k++)
        rdx_roc_column_free(&cols[k]);

    /* ndka, women only: 0.5261398281, 0.6671428571, 0.8081458862. */
    double s[200];
    uint8_t l[200];
    size_t m = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->female[i]) {
            s[m] = a->ndka[i];
            l[m++] = a->label[i];
        }
    rdx_roc_column c;
    column(&c, s, l, m, RDX_ROC_HIGHER);
    rdx_delong_compute(&c, 1, &d, &err);
    rdx_auc_ci_normal(d.auc[0], d.cov[0], 0.95, ci);
    CHECK_REL(ci[0], 0.5261398281, 1e-9, "female CI lower");
    CHECK_REL(d.auc[0], 0.6671428571, 1e-9, "female AUC");
    CHECK_REL(ci[1], 0.8081458862, 1e-9, "female CI upper");
    rdx_delong_free(&d);
    rdx_roc_column_free(&c);
}

/* ------------------------------------------------------------------ thresholds */

static void test_threshold_rules(void)
{
    /* Scores 1..8, labels 0 0 1 0 1 0 1 1. Points k = 0..8 (groups k.. positive):
     *  k  thr   tp fp fn tn   Se    Sp    PPV    NPV
     *  0  -inf  4  4  0  0    1     0     4/8    -
     *  1  1.5   4  3  0  1    1     1/4   4/7    1
     *  2  2.5   4  2  0  2    1     2/4   4/6    1
     *  3  3.5   3  2  1  2    3/4   2/4   3/5    2/3
     *  4  4.5   3  1  1  3    3/4   3/4   3/4    3/4
     *  5  5.5   2  1  2  3    2/4   3/4   2/3    3/5
     *  6  6.5   2  0  2  4    2/4   1     1      4/6
     *  7  7.5   1  0  3  4    1/4   1     1      4/7
     *  8  +inf  0  0  4  4    0     1     -      4/8
     * Youden J: k=2 .5, k=4 .5, k=6 .5 -> ties, same J, keep the highest Se: k=2 (2.5).
     * Max NPV: 1 at k=1,2; higher J at k=2 -> 2.5.
     * Max PPV: 1 at k=6,7; higher J at k=6 -> 6.5; with min Se 0.7: PPV 3/4 at
     * k=4 beats 4/6, 3/5 -> 4.5. Max NPV with min Sp 0.7: k=4 (3/4) -> 4.5. */
    const double s[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const uint8_t l[8] = {0, 0, 1, 0, 1, 0, 1, 1};
    rdx_roc_column c;
    column(&c, s, l, 8, RDX_ROC_HIGHER);
    rdx_error err;
    rdx_operating_point op;
    struct {
        rdx_thr_spec spec;
        double want;
    } cases[] = {{{RDX_THR_YOUDEN, 0, 0, 0}, 2.5},   {{RDX_THR_MAX_NPV, 0, 0, 0}, 2.5},
                 {{RDX_THR_MAX_PPV, 0, 0, 0}, 6.5},  {{RDX_THR_MAX_PPV, 0.7, 0, 0}, 4.5},
                 {{RDX_THR_MAX_NPV, 0, 0.7, 0}, 4.5}, {{RDX_THR_YOUDEN, 0, 0.9, 0}, 6.5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rdx_operating_point_find(&c, &cases[i].spec, &op, &err);
        CHECK(op.found && op.threshold == cases[i].want, "rule case %zu: %g, want %g", i,
              op.threshold, cases[i].want);
    }
    /* Fixed threshold 4: scores >= 4 test positive: tp 3 (5,7,8), fp 2 (4,6). */
    rdx_thr_spec fixed = {RDX_THR_FIXED, 0, 0, 4.0};
    rdx_operating_point_find(&c, &fixed, &op, &err);
    CHECK(op.table.tp == 3 && op.table.fp == 2 && op.table.fn == 1 && op.table.tn == 2, "fixed");
    /* Impossible constraints: nothing found. */
    rdx_thr_spec none = {RDX_THR_YOUDEN, 0.9, 0.9, 0};
    rdx_operating_point_find(&c, &none, &op, &err);
    CHECK(!op.found, "no point meets Se >= .9 and Sp >= .9");
    /* Weights: dropping study 1 (score 2) removes group 2: the point between
     * scores 1 and 3 has threshold 2 (midpoint of present scores). Youden:
     * k at 3 -> tp 4, tn 1 of 3 -> J = 1/3; at 4.5: 3/4 + 2/3 - 1 = 5/12;
     * at 6.5: 1/2 + 1 - 1 = 1/2 -> 6.5. Max NPV: 1 only at threshold 2. */
    uint32_t w[8] = {1, 0, 1, 1, 1, 1, 1, 1};
    uint64_t scratch[16];
    rdx_thr_spec npv = {RDX_THR_MAX_NPV, 0, 0, 0};
    rdx_operating_point_weighted(&c, w, &npv, scratch, &op);
    CHECK(op.found && op.threshold == 2.0 && op.table.tn == 1, "weighted NPV: %g", op.threshold);
    rdx_roc_column_free(&c);
}

/* ------------------------------------------------------------------ bootstrap */

/* AUC of the resampled data set built explicitly (each study repeated count
 * times): independent of the O(n) count walk. */
static double expanded_auc(const double *s, const uint8_t *l, size_t n, const uint32_t *count)
{
    double u = 0, npos = 0, nneg = 0;
    for (size_t i = 0; i < n; i++) {
        if (l[i])
            npos += count[i];
        else
            nneg += count[i];
        if (!l[i])
            continue;
        for (size_t j = 0; j < n; j++)
            if (!l[j])
                u += (double)count[i] * count[j] * (s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0);
    }
    return u / (npos * nneg);
}

static void test_bootstrap(const asah *a)
{
    rdx_error err;
    rdx_boot_design d;
    CHECK(rdx_boot_design_init(&d, a->label, a->n, 1, 42, &err) == RDX_OK, "design");
    CHECK(d.size[0] == 72 && d.size[1] == 41, "strata sizes");
    uint32_t count[200];
    int strata_ok = 1;
    for (uint32_t r = 0; r < 50; r++) {
        rdx_boot_counts(&d, r, count);
        uint32_t sp = 0, sn = 0;
        for (size_t i = 0; i < a->n; i++)
            *(a->label[i] ? &sp : &sn) += count[i];
        strata_ok &= sp == 41 && sn == 72;
    }
    CHECK(strata_ok, "stratified counts keep 41 / 72");

    rdx_roc_column cols[2];
    column(&cols[0], a->s100b, a->label, a->n, RDX_ROC_HIGHER);
    column(&cols[1], a->wfns, a->label, a->n, RDX_ROC_HIGHER);
    size_t B = 2000;
    double *r1 = malloc(2 * B * sizeof *r1), *r2 = malloc(2 * B * sizeof *r2);
    omp_set_num_threads(1);
    rdx_boot_auc(cols, 2, &d, B, r1, &err);
    omp_set_num_threads(2);
    rdx_boot_auc(cols, 2, &d, B, r2, &err);
    CHECK(memcmp(r1, r2, 2 * B * sizeof *r1) == 0, "same replicates with 1 and 2 threads");
    /* Replicate 17 against the explicitly expanded data set. */
    rdx_boot_counts(&d, 17, count);
    CHECK_NEAR(r1[17], expanded_auc(a->s100b, a->label, a->n, count), 1e-14, "replicate 17");
    CHECK_NEAR(r1[B + 17], expanded_auc(a->wfns, a->label, a->n, count), 1e-14, "replicate 17 wfns");
    /* Bootstrap SE close to the DeLong SE (sqrt 0.00266868 = 0.05166). */
    double m = 0, ss = 0;
    for (size_t r = 0; r < B; r++)
        m += r1[r];
    m /= (double)B;
    for (size_t r = 0; r < B; r++)
        ss += (r1[r] - m) * (r1[r] - m);
    double se = sqrt(ss / (double)(B - 1));
    CHECK(fabs(se - 0.05166) < 0.006, "bootstrap SE %g vs DeLong 0.0517", se);
    rdx_boot_interval iv;
    rdx_boot_ci(r1, B, rdx_roc_auc(&cols[0]), NULL, 0, 0.95, &iv, &err);
    CHECK(iv.n_valid == B && iv.percentile[0] > 0.60 && iv.percentile[0] < 0.66 &&
              iv.percentile[1] > 0.80 && iv.percentile[1] < 0.86,
          "percentile CI s100b [%g, %g]", iv.percentile[0], iv.percentile[1]);
    CHECK(isnan(iv.bca[0]), "no BCa without jackknife");
    /* Paired bootstrap test wfns vs s100b: near the DeLong Z 2.21. */
    rdx_roc_test t;
    rdx_boot_paired_test(r1 + B, r1, B, rdx_roc_auc(&cols[1]) - rdx_roc_auc(&cols[0]), 0.95, &t, &err);
    CHECK(t.stat > 1.9 && t.stat < 2.6, "bootstrap Z %g", t.stat);
    /* A column against itself: difference 0, se 0 -> Z 0, p 1. */
    rdx_boot_paired_test(r1, r1, B, 0.0, 0.95, &t, &err);
    CHECK(t.stat == 0 && t.p == 1, "self test");

    /* Another seed gives other replicates; the same seed the same. */
    rdx_boot_design d2;
    rdx_boot_design_init(&d2, a->label, a->n, 1, 43, &err);
    rdx_boot_auc(cols, 1, &d2, 10, r2, &err);
    CHECK(memcmp(r1, r2, 10 * sizeof *r1) != 0, "seed changes replicates");
    rdx_boot_design_free(&d2);

    /* Operating points per replicate: replicate 5 equals the weighted search on its counts. */
    rdx_thr_spec spec = {RDX_THR_YOUDEN, 0, 0, 0};
    rdx_thr_spec specs[2] = {{RDX_THR_MAX_PPV, 0.5, 0, 0}, {RDX_THR_YOUDEN, 0, 0, 0}};
    rdx_operating_point *ops = malloc(2 * B * sizeof *ops);
    rdx_boot_operating_points(&cols[0], specs, 2, &d, B, ops, &err);
    ops += B; /* the Youden rule */
    rdx_boot_counts(&d, 5, count);
    uint64_t scratch[400];
    rdx_operating_point op;
    rdx_operating_point_weighted(&cols[0], count, &spec, scratch, &op);
    CHECK(op.threshold == ops[5].threshold && op.table.tp == ops[5].table.tp, "replicate 5 op");
    CHECK(ops[5].table.tp + ops[5].table.fn == 41, "replicate table sums to 41 positives");

    /* Plain bootstrap: total 113 per replicate, class sizes vary. */
    rdx_boot_design p;
    rdx_boot_design_init(&p, a->label, a->n, 0, 42, &err);
    int varied = 0;
    for (uint32_t r = 0; r < 20; r++) {
        rdx_boot_counts(&p, r, count);
        uint32_t sp = 0, tot = 0;
        for (size_t i = 0; i < a->n; i++) {
            tot += count[i];
            sp += a->label[i] ? count[i] : 0;
        }
        varied |= sp != 41;
        CHECK(tot == 113, "plain total");
    }
    CHECK(varied, "plain bootstrap varies class sizes");
    rdx_boot_design_free(&p);

    /* Jackknife AUC: leaving out study 0 (negative) equals the AUC computed without it. */
    double jack[200];
    rdx_roc_auc_jackknife(&cols[0], jack, &err);
    rdx_roc_column c0;
    column(&c0, a->s100b + 1, a->label + 1, a->n - 1, RDX_ROC_HIGHER);
    CHECK_NEAR(jack[0], rdx_roc_auc(&c0), 1e-15, "jackknife study 0");
    rdx_roc_column_free(&c0);
    rdx_boot_ci(r1, B, rdx_roc_auc(&cols[0]), jack, a->n, 0.95, &iv, &err);
    CHECK(iv.bca[0] > 0.6 && iv.bca[1] < 0.87 && iv.bca[0] < iv.bca[1], "BCa s100b [%g, %g]",
          iv.bca[0], iv.bca[1]);

    free(ops - B);
    free(r1);
    free(r2);
    rdx_roc_column_free(&cols[0]);
    rdx_roc_column_free(&cols[1]);
    rdx_boot_design_free(&d);
}

static void test_intervals(void)
{
    /* Replicates 0.05, 0.10, .., 0.95 (19 values, given shuffled). Type 7
     * quantile at 0.025: h = 18 * 0.025 = 0.45 -> 0.05 + 0.45 * 0.05 = 0.0725;
     * at 0.975: h = 17.55 -> 0.9 + 0.55 * 0.05 = 0.9275. */
    double reps[19];
    for (int i = 0; i < 19; i++)
        reps[i] = ((i * 7) % 19 + 1) / 20.0;
    rdx_boot_interval iv;
    rdx_error err;
    /* BCa with estimate 0.4 and jackknife {0.1, 0.2, 0.4, 0.7}: 7 below, 1 equal,
     * z0 = Phi^-1(7.5/19) = -0.2669941254049526, a = -0.04156531242590332,
     * interval [0.05292778583372453, 0.8651214581833984] (computed with
     * Python's statistics.NormalDist and a separate type-7 quantile). */
    const double jack[4] = {0.1, 0.2, 0.4, 0.7};
    rdx_boot_ci(reps, 19, 0.4, jack, 4, 0.95, &iv, &err);
    CHECK_NEAR(iv.percentile[0], 0.0725, 1e-15, "percentile lower");
    CHECK_NEAR(iv.percentile[1], 0.9275, 1e-15, "percentile upper");
    CHECK_NEAR(iv.bca[0], 0.05292778583372453, 1e-12, "BCa lower");
    CHECK_NEAR(iv.bca[1], 0.8651214581833984, 1e-12, "BCa upper");
    /* NaN replicates are skipped. */
    double with_nan[20];
    memcpy(with_nan, reps, sizeof reps);
    with_nan[19] = NAN;
    rdx_boot_ci(with_nan, 20, 0.4, NULL, 0, 0.95, &iv, &err);
    CHECK(iv.n_valid == 19, "NaN skipped");
    CHECK_NEAR(iv.percentile[0], 0.0725, 1e-15, "percentile lower without the NaN");
    /* Many ties (a discrete metric): 1000 values, 300 x 0.2, 500 x 0.5, 200 x 0.9
     * in a scrambled order. Sorted positions: 0.2 at 0..299, 0.5 at 300..799.
     * 2.5 %: index 24.975 -> 0.2; 97.5 %: index 974.025 -> 0.9. */
    double *many = malloc(1000 * sizeof *many);
    for (int i = 0; i < 1000; i++) {
        int j = (i * 383) % 1000;
        many[i] = j < 300 ? 0.2 : j < 800 ? 0.5 : 0.9;
    }
    rdx_boot_ci(many, 1000, 0.5, NULL, 0, 0.95, &iv, &err);
    CHECK(iv.percentile[0] == 0.2 && iv.percentile[1] == 0.9, "ties [%g, %g]", iv.percentile[0],
          iv.percentile[1]);
    /* 0.5 (= 1 - 0.5) level: quantiles 0.25 -> index 249.75 -> 0.2; 0.75 ->
     * index 749.25 -> 0.5. 0.4 level: 0.3 -> index 299.7 -> 0.3 * 0.2 + 0.7 * 0.5 = 0.41
     * (h = 999 * 0.3 - 299 carries rounding of order 1e-14). */
    rdx_boot_ci(many, 1000, 0.5, NULL, 0, 0.5, &iv, &err);
    CHECK(iv.percentile[0] == 0.2 && iv.percentile[1] == 0.5, "ties 50 %%");
    rdx_boot_ci(many, 1000, 0.5, NULL, 0, 0.4, &iv, &err);
    CHECK_NEAR(iv.percentile[0], 0.41, 1e-12, "straddling quantile");
    free(many);
}

/* ------------------------------------------------------------------ screening */

static void test_screen(const asah *a)
{
    /* Three features: s100b, ndka, wfns; one NaN in ndka for case 0. */
    size_t n = a->n, nf = 3;
    double *x = malloc(n * nf * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        x[i * nf + 0] = a->s100b[i];
        x[i * nf + 1] = i == 0 ? NAN : a->ndka[i];
        x[i * nf + 2] = a->wfns[i];
    }
    rdx_screen_row rows[3];
    rdx_error err;
    rdx_boot_design d;
    rdx_boot_design_init(&d, a->label, n, 1, 7, &err);
    CHECK(rdx_screen(x, n, nf, a->label, RDX_ROC_HIGHER, 0.95, &d, 500, rows, &err) == RDX_OK,
          "screen: %s", err.msg);
    /* Sorted by p: wfns (Z = 0.3237/0.03834 = 8.44), s100b, ndka. */
    CHECK(rows[0].feature == 2 && rows[1].feature == 0 && rows[2].feature == 1, "order %zu %zu %zu",
          rows[0].feature, rows[1].feature, rows[2].feature);
    CHECK_REL(rows[0].auc, 0.82367886178861793, 1e-9, "screen AUC wfns");
    CHECK_REL(rows[0].variance, 0.00146991470882363, 1e-9, "screen var wfns");
    CHECK(rows[2].n_neg == 71 && rows[2].n_pos == 41, "NaN case left out for ndka only");
    /* Benjamini-Hochberg with m = 3: q_(3) = p_(3), q_(2) = min(3/2 p_(2), q_(3)), ... */
    double q3 = rows[2].p, q2 = fmin(1.5 * rows[1].p, q3), q1 = fmin(3 * rows[0].p, q2);
    CHECK_REL(rows[2].q, q3, 1e-15, "q3");
    CHECK_REL(rows[1].q, q2, 1e-15, "q2");
    CHECK_REL(rows[0].q, q1, 1e-15, "q1");
    CHECK(rows[0].boot_ci[0] < rows[0].auc && rows[0].boot_ci[1] > rows[0].auc, "boot CI");
    rdx_boot_design_free(&d);
    free(x);
}

static void test_store_read(void)
{
    /* A store written with the store API: case b fails first and succeeds on
     * a second run (its latest row counts), case c fails for good. */
    const char *dir = getenv("RDX_BINARY_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/test_roc_store.h5", dir ? dir : "/tmp");
    remove(path);
    const char *tags[2] = {"stat_mean", "stat_var"};
    rdx_store *st;
    rdx_error err;
    if (rdx_store_open(path, tags, 2, "settings: test\n", "0.1.0", &st, &err) != RDX_OK) {
        CHECK(0, "store open: %s", err.msg);
        return;
    }
    const double va[2] = {1, 2}, vb[2] = {3, 4}, vd[2] = {NAN, 6};
    rdx_store_append(st, "a", va, NULL, &err);
    rdx_store_append(st, "b", va, "boom", &err);
    rdx_store_append(st, "c", va, "boom", &err);
    rdx_store_append(st, "b", vb, NULL, &err);
    rdx_store_append(st, "d", vd, NULL, &err);
    CHECK(rdx_store_close(st, &err) == RDX_OK, "store close: %s", err.msg);
    rdx_feature_matrix t;
    CHECK(rdx_feature_matrix_read(path, &t, &err) == RDX_OK, "read store: %s", err.msg);
    CHECK(t.n_cases == 3 && t.n_features == 2 && t.n_failed == 1, "cases %zu failed %zu", t.n_cases,
          t.n_failed);
    if (t.n_cases == 3) {
        CHECK(!strcmp(t.case_ids[0], "a") && !strcmp(t.case_ids[1], "b") && !strcmp(t.case_ids[2], "d"),
              "case order");
        CHECK(t.x[2] == 3 && t.x[3] == 4 && isnan(t.x[4]) && t.x[5] == 6, "latest values");
        CHECK(!strcmp(t.tags[1], "stat_var"), "tags");
    }
    rdx_feature_matrix_free(&t);
    CHECK(rdx_feature_matrix_read("/nonexistent/x.h5", &t, &err) == RDX_E_IO, "missing store");
    remove(path);
}

int main(void)
{
    test_philox();
    test_sklearn_examples();
    test_large_counts();
    test_threshold_rules();
    test_intervals();
    test_store_read();
    asah a;
    int loaded = load_asah(&a);
    CHECK(loaded, "load aSAH");
    if (loaded) {
        test_asah(&a);
        test_bootstrap(&a);
        test_screen(&a);
    }
    return check_summary("test_roc");
}
