/* Metrics at a threshold and their intervals: normal / beta / t functions
 * against R, Wald / Wilson / Clopper-Pearson against hand calculations and R
 * (prop.test, binom.test), predictive values at a prevalence, BH q-values,
 * and the CSV reader's errors. */
#include "check.h"
#include "rdx/roc.h"
#include "table_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_REL(got, want, tol, what) CHECK_NEAR((got), (want), (tol) * fabs((double)(want)), (what))

static void test_distributions(void)
{
    /* R 4.2 qnorm(c(0.975, 1e-10, 0.3, 0.999999, 1e-300, 0.5 + 1e-12)). */
    CHECK_REL(rdx_normal_quantile(0.975), 1.9599639845400536, 1e-15, "qnorm .975");
    CHECK_REL(rdx_normal_quantile(1e-10), -6.3613409024040557, 1e-15, "qnorm 1e-10");
    CHECK_REL(rdx_normal_quantile(0.3), -0.52440051270804067, 1e-15, "qnorm .3");
    CHECK_REL(rdx_normal_quantile(0.999999), 4.7534243088170891, 1e-13, "qnorm .999999");
    CHECK_REL(rdx_normal_quantile(1e-300), -37.047096299361201, 1e-15, "qnorm 1e-300");
    CHECK_REL(rdx_normal_quantile(0.5 + 1e-12), 2.5065728237018611e-12, 1e-4, "qnorm near 1/2");
    CHECK(isnan(rdx_normal_quantile(1.5)) && isinf(rdx_normal_quantile(0)), "qnorm domain");
    CHECK_REL(rdx_normal_cdf(-7.5), 3.1908916729108963e-14, 1e-13, "pnorm -7.5");
    /* pbeta(0.3, 2.5, 4), qbeta(0.1, 0.5, 30), qbeta(0.975, 27, 15), pbeta(.999, 200, .5). */
    CHECK_REL(rdx_beta_inc(2.5, 4, 0.3), 0.35219758590676714, 1e-13, "pbeta");
    CHECK_REL(rdx_beta_inc_inv(0.5, 30, 0.1), 0.0002653465326266546, 1e-12, "qbeta small");
    CHECK_REL(rdx_beta_inc_inv(27, 15, 0.975), 0.77877213793893474, 1e-12, "qbeta");
    CHECK_REL(rdx_beta_inc(200, 0.5, 0.999), 0.52724410702523539, 1e-11, "pbeta large a");
    /* pt(-2.5, 7.5), qt(0.975, 30), qt(0.01, 3.3). */
    CHECK_REL(rdx_student_t_cdf(-2.5, 7.5), 0.019410129136812757, 1e-12, "pt");
    CHECK_REL(rdx_student_t_quantile(0.975, 30), 2.0422724563012378, 1e-12, "qt .975");
    CHECK_REL(rdx_student_t_quantile(0.01, 3.3), -4.226609156667668, 1e-12, "qt .01");
}

static void test_proportion_intervals(void)
{
    double ci[2];
    /* 26/41 at 95 %, z = 1.9599639845400536:
     * Wald: p = 26/41 = 0.634146..., p(1-p)/n = 390/68921 = 0.0056586527,
     * p -+ z sqrt(.) = [0.4867099783262163, 0.781582704600613]. */
    rdx_ci_proportion(26, 41, 0.95, RDX_CI_WALD, ci);
    CHECK_REL(ci[0], 0.4867099783262163, 1e-12, "Wald 26/41 lower");
    CHECK_REL(ci[1], 0.781582704600613, 1e-12, "Wald 26/41 upper");
    /* Wilson = R prop.test(26, 41, correct = FALSE): [0.48120701087912016, 0.76410168980310544]. */
    rdx_ci_proportion(26, 41, 0.95, RDX_CI_WILSON, ci);
    CHECK_REL(ci[0], 0.48120701087912016, 1e-12, "Wilson 26/41 lower");
    CHECK_REL(ci[1], 0.76410168980310544, 1e-12, "Wilson 26/41 upper");
    /* Clopper-Pearson = R binom.test(26, 41): [0.46936254803283345, 0.77877213793893474]. */
    rdx_ci_proportion(26, 41, 0.95, RDX_CI_CLOPPER_PEARSON, ci);
    CHECK_REL(ci[0], 0.46936254803283345, 1e-10, "CP 26/41 lower");
    CHECK_REL(ci[1], 0.77877213793893474, 1e-10, "CP 26/41 upper");
    /* 58/72: Wald by hand [0.7141384722207741, 0.8969726388903371];
     * binom.test [0.69533106670131661, 0.88941621332151044]. */
    rdx_ci_proportion(58, 72, 0.95, RDX_CI_WALD, ci);
    CHECK_REL(ci[0], 0.7141384722207741, 1e-12, "Wald 58/72 lower");
    CHECK_REL(ci[1], 0.8969726388903371, 1e-12, "Wald 58/72 upper");
    rdx_ci_proportion(58, 72, 0.95, RDX_CI_CLOPPER_PEARSON, ci);
    CHECK_REL(ci[0], 0.69533106670131661, 1e-10, "CP 58/72 lower");
    CHECK_REL(ci[1], 0.88941621332151044, 1e-10, "CP 58/72 upper");
    /* 0/10. CP closed form: upper = 1 - 0.025^(1/10) = 0.30849710781876083.
     * Wilson: upper = z^2 / (n + z^2) = 3.8414588206941236 / 13.841458820694124
     * = 0.27753279986288915 (= prop.test). Wald collapses to [0, 0]. */
    rdx_ci_proportion(0, 10, 0.95, RDX_CI_CLOPPER_PEARSON, ci);
    CHECK(ci[0] == 0, "CP 0/10 lower");
    CHECK_REL(ci[1], 1 - pow(0.025, 0.1), 1e-12, "CP 0/10 upper");
    rdx_ci_proportion(0, 10, 0.95, RDX_CI_WILSON, ci);
    CHECK(ci[0] == 0, "Wilson 0/10 lower");
    CHECK_REL(ci[1], 0.27753279986288915, 1e-12, "Wilson 0/10 upper");
    rdx_ci_proportion(0, 10, 0.95, RDX_CI_WALD, ci);
    CHECK(ci[0] == 0 && ci[1] == 0, "Wald 0/10");
    /* 10/10: CP lower = 0.025^(1/10) = 0.69150289218123917; Wald clipped at 1. */
    rdx_ci_proportion(10, 10, 0.95, RDX_CI_CLOPPER_PEARSON, ci);
    CHECK_REL(ci[0], pow(0.025, 0.1), 1e-12, "CP 10/10 lower");
    CHECK(ci[1] == 1, "CP 10/10 upper");
    /* Wald clipping: 1/2 with z = 1.96: 0.5 -+ 0.693 -> [0, 1]. */
    rdx_ci_proportion(1, 2, 0.95, RDX_CI_WALD, ci);
    CHECK(ci[0] == 0 && ci[1] == 1, "Wald clipped");
    rdx_ci_proportion(0, 0, 0.95, RDX_CI_WILSON, ci);
    CHECK(isnan(ci[0]) && isnan(ci[1]), "n = 0 gives NaN");
}

static void test_metrics(void)
{
    /* The s100b Youden table: TP 26, FN 15, FP 14, TN 58 (113 studies). */
    rdx_confusion t = {26, 15, 14, 58};
    uint64_t x, n;
    rdx_metric_ratio(&t, RDX_M_SENSITIVITY, &x, &n);
    CHECK(x == 26 && n == 41, "Se ratio");
    rdx_metric_ratio(&t, RDX_M_SPECIFICITY, &x, &n);
    CHECK(x == 58 && n == 72, "Sp ratio");
    rdx_metric_ratio(&t, RDX_M_PPV, &x, &n);
    CHECK(x == 26 && n == 40, "PPV ratio");
    rdx_metric_ratio(&t, RDX_M_NPV, &x, &n);
    CHECK(x == 58 && n == 73, "NPV ratio");
    rdx_metric_ratio(&t, RDX_M_ACCURACY, &x, &n);
    CHECK(x == 84 && n == 113, "accuracy ratio");
    rdx_metric_ratio(&t, RDX_M_FN_FRACTION, &x, &n);
    CHECK(x == 15 && n == 113, "FN fraction");
    rdx_metric_ratio(&t, RDX_M_FP_FRACTION, &x, &n);
    CHECK(x == 14 && n == 113, "FP fraction");
    CHECK(!strcmp(rdx_metric_name(RDX_M_NPV), "npv"), "metric name");
    rdx_confusion none = {0, 5, 0, 5};
    CHECK(isnan(rdx_metric_value(&none, RDX_M_PPV)), "PPV without test positives is NaN");

    /* Prevalence 0.1 with Se 0.9, Sp 0.8: PPV = .09 / (.09 + .18) = 1/3,
     * NPV = .72 / (.72 + .01) = 72/73. */
    double ppv, npv;
    rdx_predictive_values(0.9, 0.8, 0.1, &ppv, &npv);
    CHECK_REL(ppv, 1.0 / 3, 1e-15, "PPV at 10 %");
    CHECK_REL(npv, 72.0 / 73, 1e-15, "NPV at 10 %");
    /* Logit intervals (Mercaldo 2007) for Se 26/41, Sp 58/72, prevalence 0.1,
     * by hand: logit PPV = ln(.1 Se / (.9 (1 - Sp))), var = (1-Se)/(41 Se) +
     * Sp/(72 (1-Sp)) -> PPV 0.2659846547314578, [0.17659602811579828,
     * 0.37975211606424225]; NPV 0.9519615692554043, [0.9287640350320133,
     * 0.9678663355760815]. */
    double pci[2], nci[2];
    rdx_predictive_ci_logit(&t, 0.1, 0.95, pci, nci);
    rdx_predictive_values(26.0 / 41, 58.0 / 72, 0.1, &ppv, &npv);
    CHECK_REL(ppv, 0.2659846547314578, 1e-14, "PPV s100b at 10 %");
    CHECK_REL(pci[0], 0.17659602811579828, 1e-12, "PPV logit lower");
    CHECK_REL(pci[1], 0.37975211606424225, 1e-12, "PPV logit upper");
    CHECK_REL(npv, 0.9519615692554043, 1e-14, "NPV s100b at 10 %");
    CHECK_REL(nci[0], 0.9287640350320133, 1e-12, "NPV logit lower");
    CHECK_REL(nci[1], 0.9678663355760815, 1e-12, "NPV logit upper");
    rdx_confusion perfect_sp = {10, 5, 0, 20};
    rdx_predictive_ci_logit(&perfect_sp, 0.1, 0.95, pci, nci);
    CHECK(isnan(pci[0]) && !isnan(nci[0]), "PPV logit undefined at Sp = 1");
}

static void test_bh(void)
{
    /* R p.adjust(c(.01, .04, .03, .005), "BH") = 0.02 0.04 0.04 0.02; NaN stays NaN. */
    const double p[5] = {0.01, 0.04, 0.03, 0.005, NAN};
    double q[5];
    rdx_error err;
    CHECK(rdx_bh_qvalues(p, 5, q, &err) == RDX_OK, "bh");
    CHECK_REL(q[0], 0.02, 1e-15, "q0");
    CHECK_REL(q[1], 0.04, 1e-15, "q1");
    CHECK_REL(q[2], 0.04, 1e-15, "q2");
    CHECK_REL(q[3], 0.02, 1e-15, "q3");
    CHECK(isnan(q[4]), "q NaN");
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[1024];
    const char *dir = getenv("RDX_BINARY_DIR");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "/tmp", name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static void test_csv(void)
{
    rdx_csv t;
    rdx_error err;
    /* BOM, CRLF, quoted comma, doubled quote, a quoted newline, a blank line, NA. */
    const char *p = write_tmp("test_roc_ok.csv", "\xEF\xBB\xBFid,\"a,b\",score\r\n"
                                                 "1,\"x \"\"q\"\"\",0.5\r\n"
                                                 "\r\n"
                                                 "2,\"two\nlines\", NA \n"
                                                 "3,plain,-1e-3");
    CHECK(rdx_csv_read(p, &t, &err) == RDX_OK, "read: %s", err.msg);
    if (t.n_rows == 3) {
        size_t c;
        CHECK(rdx_csv_column(&t, "a,b", &c, &err) == RDX_OK && c == 1, "quoted header");
        CHECK(!strcmp(rdx_csv_cell(&t, 0, 1), "x \"q\""), "doubled quote: %s", rdx_csv_cell(&t, 0, 1));
        CHECK(!strcmp(rdx_csv_cell(&t, 1, 1), "two\nlines"), "quoted newline");
        CHECK(t.line[1] == 4 && t.line[2] == 6, "line numbers %zu %zu", t.line[1], t.line[2]);
        double v;
        CHECK(rdx_csv_number(&t, 1, 2, &v, &err) == RDX_OK && isnan(v), "NA is NaN");
        CHECK(rdx_csv_number(&t, 2, 2, &v, &err) == RDX_OK && v == -1e-3, "number");
        CHECK(rdx_csv_number(&t, 2, 1, &v, &err) == RDX_E_FORMAT, "non-numeric");
        CHECK(strstr(err.msg, "line 6") && strstr(err.msg, "column 'a,b'") && strstr(err.msg, "'plain'"),
              "message: %s", err.msg);
        CHECK(rdx_csv_column(&t, "nope", &c, &err) == RDX_E_FORMAT && strstr(err.msg, "no column 'nope'"),
              "missing column: %s", err.msg);
    } else {
        CHECK(0, "3 rows expected, got %zu", t.n_rows);
    }
    rdx_csv_free(&t);
    p = write_tmp("test_roc_bad.csv", "a,b\n1,2\n3\n");
    CHECK(rdx_csv_read(p, &t, &err) == RDX_E_FORMAT && strstr(err.msg, "line 3"), "width: %s", err.msg);
    p = write_tmp("test_roc_bad2.csv", "a,b\n1,\"open\n");
    CHECK(rdx_csv_read(p, &t, &err) == RDX_E_FORMAT && strstr(err.msg, "unterminated"), "quote: %s",
          err.msg);
    CHECK(rdx_csv_read("/nonexistent.csv", &t, &err) == RDX_E_IO, "missing file");
    /* Hex and inf are not data numbers. */
    p = write_tmp("test_roc_hex.csv", "a\n0x10\ninf\n");
    if (rdx_csv_read(p, &t, &err) == RDX_OK) {
        double v;
        CHECK(rdx_csv_number(&t, 0, 0, &v, &err) == RDX_E_FORMAT, "hex rejected");
        CHECK(rdx_csv_number(&t, 1, 0, &v, &err) == RDX_E_FORMAT, "inf rejected");
        rdx_csv_free(&t);
    }
}

int main(void)
{
    test_distributions();
    test_proportion_intervals();
    test_metrics();
    test_bh();
    test_csv();
    return check_summary("test_roc_metrics");
}
