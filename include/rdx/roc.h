/* ROC statistics: AUC and ROC curve, DeLong variance, covariance and tests,
 * bootstrap (Philox draws, see rdx/philox.h), operating thresholds, metrics
 * with confidence intervals, and univariate feature screening.
 *
 * Conventions
 * - A study is positive (has the finding) when labels[i] == 1, negative when 0.
 * - Direction is fixed by the caller and never flipped: RDX_ROC_HIGHER means a
 *   higher score indicates a positive study (pROC direction "<"); a study is
 *   test-positive at threshold t when score >= t. RDX_ROC_LOWER is the mirror
 *   (test-positive when score <= t). An AUC below 0.5 is reported as it is.
 * - AUC is the Mann-Whitney statistic with ties counted 1/2, computed as an
 *   exact 64-bit integer U2 = 2U divided once: AUC = U2 / (2 n_pos n_neg).
 * - Studies are counted in 64 bits; a column holds fewer than 2^32 studies.
 * - Compute functions do no I/O; the ones that allocate say who frees.
 * Thread-safe: no global state; bootstrap loops use OpenMP over replicates or
 * features, each writing its own slot, so results do not depend on thread count.
 * Device: the bootstrap (rdx_boot_design.device), DeLong (rdx_delong_compute_on)
 * and screening (rdx_screen_on) also run on a CUDA device (kernels/roc.cu) with
 * results identical to the CPU's: the device computes the integer counts,
 * placements and fixed-order sums, the host the rest with the same code. A
 * device failure is RDX_E_DEVICE naming the CUDA error. */
#ifndef RDX_ROC_H
#define RDX_ROC_H

#include <stddef.h>
#include <stdint.h>
#include "rdx/device.h"
#include "rdx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- columns */

typedef enum { RDX_ROC_HIGHER = 0, RDX_ROC_LOWER = 1 } rdx_roc_direction;

typedef enum {
    RDX_NAN_ERROR = 0, /* a NaN score is an error (RDX_E_INVALID naming the study index) */
    RDX_NAN_SKIP = 1   /* studies with a NaN score are left out of the column */
} rdx_nan_policy;

/* One score column sorted once. The "walk order" runs from the most
 * negative-looking score to the most positive-looking one (ascending for
 * RDX_ROC_HIGHER, descending for RDX_ROC_LOWER); tied scores form a group. */
typedef struct {
    size_t n;                  /* studies in the input (including skipped ones) */
    size_t n_used;             /* studies in the column */
    size_t n_groups;           /* distinct scores */
    uint64_t n_pos, n_neg;     /* positives and negatives in the column */
    rdx_roc_direction direction;
    uint32_t *order;           /* [n_used] study indices (0..n-1) in walk order */
    uint8_t *pos_sorted;       /* [n_used] 1 when order[k] is positive */
    uint32_t *group_start;     /* [n_groups + 1] first index in order[] of each group */
    double *values;            /* [n_groups] the distinct scores in walk order */
} rdx_roc_column;

/* Sort scores (n studies, labels 0/1) into a column. Fails with RDX_E_INVALID on
 * a label other than 0/1, a NaN under RDX_NAN_ERROR, or a class without studies.
 * Owned by the caller: release with rdx_roc_column_free. */
rdx_status rdx_roc_column_init(rdx_roc_column *c, const double *scores, const uint8_t *labels,
                               size_t n, rdx_roc_direction dir, rdx_nan_policy nan_policy,
                               rdx_error *err);
void rdx_roc_column_free(rdx_roc_column *c);

/* ---------------------------------------------------------------- AUC */

/* Weighted U2 in one O(n) walk: count[i] is the weight (bootstrap resampling
 * count) of study i, indexed by study (size c->n), or NULL for weight 1.
 * U2 = sum over groups g of pos_w(g) * (2 * neg_w(before g) + neg_w(g)).
 * *n_neg, *n_pos receive the weighted class totals. Integer arithmetic only. */
uint64_t rdx_roc_u2(const rdx_roc_column *c, const uint32_t *count, uint64_t *n_neg,
                    uint64_t *n_pos);

/* U2 / (2 n_neg n_pos); NaN when a class is empty. */
double rdx_roc_auc_from_u2(uint64_t u2, uint64_t n_neg, uint64_t n_pos);

double rdx_roc_auc(const rdx_roc_column *c);

/* Placement counts (DeLong's structural components times 2 n_other):
 * place[i] = 2 (#negatives earlier in the walk) + (#tied negatives) for a
 * positive study i, 2 (#positives later) + (#tied positives) for a negative
 * one, 0 for skipped studies; size c->n. Sum over positives = U2. */
void rdx_roc_placements(const rdx_roc_column *c, uint64_t *place);

/* Leave-one-study-out AUCs (jackknife, for BCa), in O(n): jack[i] for every
 * study i of the input (size c->n); NaN for skipped studies and when leaving
 * the study out empties its class. */
rdx_status rdx_roc_auc_jackknife(const rdx_roc_column *c, double *jack, rdx_error *err);

/* ---------------------------------------------------------------- ROC curve */

/* Point k (0..n_groups) classifies the groups k..n_groups-1 of the walk order as
 * test-positive. threshold[0] is -INFINITY (+INFINITY for RDX_ROC_LOWER), the
 * last one the opposite infinity, the others the midpoint between consecutive
 * distinct scores (pROC's rule: (a+b)/2, a/2+b/2 beyond 1e100, and the upper
 * score itself when the midpoint rounds onto the lower one). */
typedef struct {
    size_t n_points;
    uint64_t n_pos, n_neg;
    double *threshold; /* [n_points] */
    uint64_t *tp;      /* [n_points] test-positive positives */
    uint64_t *fp;      /* [n_points] test-positive negatives */
} rdx_roc_curve;

/* Owned by the caller: release with rdx_roc_curve_free. */
rdx_status rdx_roc_curve_compute(const rdx_roc_column *c, rdx_roc_curve *out, rdx_error *err);
void rdx_roc_curve_free(rdx_roc_curve *cv);

/* Threshold between two consecutive distinct scores lo_side (earlier in the
 * walk order) and hi_side, by the rule above. */
double rdx_roc_midpoint(double lo_side, double hi_side);

/* ---------------------------------------------------------------- DeLong */

/* AUCs and their DeLong covariance matrix for k columns built from the same
 * studies and labels (checked: RDX_E_MISMATCH otherwise). Structural
 * components (placements) with divisors (n_pos - 1) and (n_neg - 1); the
 * placements come from the sorted groups, so the whole is O(k n log n + k^2 n).
 * Variances are NaN when a class has fewer than two studies. */
typedef struct {
    size_t k;
    uint64_t n_pos, n_neg;
    double *auc; /* [k] */
    double *cov; /* [k * k] row-major, variances on the diagonal */
} rdx_delong;

/* Owned by the caller: release with rdx_delong_free. */
rdx_status rdx_delong_compute(const rdx_roc_column *cols, size_t k, rdx_delong *out, rdx_error *err);

/* The same on device (RDX_DEVICE_CUDA: placements and the cross products of
 * the components on the device; any other value: the CPU). Identical results. */
rdx_status rdx_delong_compute_on(const rdx_roc_column *cols, size_t k, rdx_device device,
                                 rdx_delong *out, rdx_error *err);

/* The same from the columns' placements, already computed (rdx_roc_placements
 * of column c at place + c * cols[0].n): the second half of rdx_delong_compute_on,
 * for callers that compute placements in bulk. */
rdx_status rdx_delong_from_placements(const rdx_roc_column *cols, size_t k, const uint64_t *place,
                                      rdx_device device, rdx_delong *out, rdx_error *err);
void rdx_delong_free(rdx_delong *d);


/* Normal interval auc -+ z(1 - (1-conf)/2) sqrt(var), clipped to [0, 1]. */
void rdx_auc_ci_normal(double auc, double var, double conf, double ci[2]);

/* A test of the difference of two AUCs (estimate = auc_a - auc_b). */
typedef struct {
    double estimate; /* difference a - b */
    double se;       /* standard error of the difference */
    double stat;     /* Z (normal) or D (Student t with df) */
    double df;       /* INFINITY for normal tests */
    double p;        /* two-sided */
    double ci[2];    /* interval of the difference (not clipped) */
} rdx_roc_test;

/* Paired DeLong test of columns a and b (pROC roc.test paired, method delong):
 * var = V_aa + V_bb - 2 V_ab, Z = diff / sqrt(var), normal p and interval.
 * Z is 0 when both the difference and its variance are 0. */
void rdx_delong_paired(const rdx_delong *d, size_t a, size_t b, double conf, rdx_roc_test *out);

/* Unpaired DeLong test of two independent samples (pROC's unpaired roc.test):
 * D = diff / sqrt(S_a + S_b), Student t with Welch-Satterthwaite
 * df = (S_a + S_b)^2 / (S_a^2 / (n_a - 1) + S_b^2 / (n_b - 1)), n = all studies of a sample. */
rdx_status rdx_delong_unpaired(const rdx_roc_column *a, const rdx_roc_column *b, double conf,
                               rdx_roc_test *out, rdx_error *err);

/* ---------------------------------------------------------------- thresholds */

typedef struct {
    uint64_t tp, fn, fp, tn;
} rdx_confusion;

typedef enum {
    RDX_THR_YOUDEN = 0,  /* maximal Se + Sp - 1 */
    RDX_THR_MAX_NPV = 1, /* maximal NPV (points with no test negative are skipped) */
    RDX_THR_MAX_PPV = 2, /* maximal PPV (points with no test positive are skipped) */
    RDX_THR_FIXED = 3    /* the caller's threshold */
} rdx_thr_rule;

/* Candidates are the ROC points (rdx_roc_curve), restricted to Se >= min_se
 * and Sp >= min_sp (not applied to RDX_THR_FIXED). Ties on the criterion are
 * broken by the higher Youden J, then by the higher sensitivity (the lower
 * threshold for RDX_ROC_HIGHER); all comparisons are exact in integers. */
typedef struct {
    rdx_thr_rule rule;
    double min_se, min_sp;
    double fixed;
} rdx_thr_spec;

typedef struct {
    int found;        /* 0 when no point satisfies the constraints */
    double threshold;
    rdx_confusion table;
} rdx_operating_point;

/* Weighted class counts per group (count as in rdx_roc_u2, NULL = 1):
 * g_neg, g_pos have c->n_groups entries each (caller's buffers). */
void rdx_roc_group_weights(const rdx_roc_column *c, const uint32_t *count, uint64_t *g_neg,
                           uint64_t *g_pos);

/* The operating point from weighted group counts (rdx_roc_group_weights) in
 * O(n_groups). Groups of weight 0 are absent: thresholds fall between present
 * scores. */
void rdx_operating_point_groups(const rdx_roc_column *c, const uint64_t *g_neg,
                                const uint64_t *g_pos, const rdx_thr_spec *spec,
                                rdx_operating_point *out);

/* The same under weights count (NULL = 1), in O(n + n_groups); scratch holds
 * 2 * c->n_groups entries (caller's buffer). */
void rdx_operating_point_weighted(const rdx_roc_column *c, const uint32_t *count,
                                  const rdx_thr_spec *spec, uint64_t *scratch,
                                  rdx_operating_point *out);

/* Same on the whole sample; allocates its scratch (RDX_E_NOMEM). */
rdx_status rdx_operating_point_find(const rdx_roc_column *c, const rdx_thr_spec *spec,
                                    rdx_operating_point *out, rdx_error *err);

/* Leave-one-study-out operating points for BCa: out[i] for every input study
 * i (found = 0 for skipped studies). O(n (n + n_groups)). */
rdx_status rdx_operating_point_jackknife(const rdx_roc_column *c, const rdx_thr_spec *spec,
                                         rdx_operating_point *out, rdx_error *err);

/* ---------------------------------------------------------------- metrics */

typedef enum {
    RDX_M_SENSITIVITY = 0, /* TP / (TP + FN) */
    RDX_M_SPECIFICITY,     /* TN / (TN + FP) */
    RDX_M_ACCURACY,        /* (TP + TN) / all */
    RDX_M_PPV,             /* TP / (TP + FP) */
    RDX_M_NPV,             /* TN / (TN + FN) */
    RDX_M_FN_FRACTION,     /* FN / all: share of all studies that are false negatives */
    RDX_M_FP_FRACTION,     /* FP / all: share of all studies that are false positives */
    RDX_M_COUNT
} rdx_metric;

/* Stable lower-case name ("sensitivity", "ppv", "fn_fraction", ...). */
const char *rdx_metric_name(rdx_metric m);

/* The metric as the proportion x / n. */
void rdx_metric_ratio(const rdx_confusion *t, rdx_metric m, uint64_t *x, uint64_t *n);

/* x / n, NaN when n == 0. */
double rdx_metric_value(const rdx_confusion *t, rdx_metric m);

typedef enum {
    RDX_CI_WALD = 0,           /* p -+ z sqrt(p(1-p)/n), clipped to [0, 1] */
    RDX_CI_WILSON = 1,         /* Wilson score interval */
    RDX_CI_CLOPPER_PEARSON = 2 /* exact: beta quantiles, 0 / 1 at x = 0 / x = n */
} rdx_ci_method;

const char *rdx_ci_method_name(rdx_ci_method m); /* "wald", "wilson", "clopper_pearson" */

/* Two-sided interval at level conf for the proportion x / n; NaN when n == 0. */
void rdx_ci_proportion(uint64_t x, uint64_t n, double conf, rdx_ci_method m, double ci[2]);

/* PPV and NPV for a stated prevalence (pre-test probability) by Bayes' rule. */
void rdx_predictive_values(double se, double sp, double prevalence, double *ppv, double *npv);

/* Logit intervals for those (Mercaldo, Lau & Zhou, Stat Med 2007, "standard
 * logit"): var(logit PPV) = (1-Se)/(Se n_pos) + Sp/((1-Sp) n_neg), var(logit
 * NPV) = Se/((1-Se) n_pos) + (1-Sp)/(Sp n_neg). NaN where undefined (Se or Sp
 * at 0 or 1 as the formula needs). */
void rdx_predictive_ci_logit(const rdx_confusion *t, double prevalence, double conf,
                             double ppv_ci[2], double npv_ci[2]);

/* ---------------------------------------------------------------- distributions */

double rdx_normal_cdf(double x);
double rdx_normal_quantile(double p); /* Wichura AS241 (PPND16), ~1e-16 relative */
double rdx_beta_inc(double a, double b, double x);     /* regularized I_x(a, b) */
double rdx_beta_inc_inv(double a, double b, double p); /* x with I_x(a, b) = p */
double rdx_student_t_cdf(double t, double df);
double rdx_student_t_quantile(double p, double df);

/* ---------------------------------------------------------------- bootstrap */

/* Which studies a replicate resamples: stratified = negatives (stratum 0) and
 * positives (stratum 1) separately, each with its own size; plain = one
 * stratum of all studies. Draw i of stratum s in replicate r picks member
 * rdx_boot_draw(seed, r, s, i, size[s]) of that stratum (rdx/philox.h). */
typedef struct {
    size_t n;
    int stratified;
    uint64_t seed;
    uint32_t n_strata;
    uint32_t size[2];
    uint32_t *members; /* [n] stratum 0 studies, then stratum 1, in study order */
    rdx_device device; /* where rdx_boot_auc and rdx_boot_operating_points run:
                          RDX_DEVICE_CPU (set by rdx_boot_design_init) or
                          RDX_DEVICE_CUDA (resolve AUTO with rdx_device_select
                          first); the replicates are identical */
} rdx_boot_design;

/* Owned by the caller: release with rdx_boot_design_free. */
rdx_status rdx_boot_design_init(rdx_boot_design *d, const uint8_t *labels, size_t n,
                                int stratified, uint64_t seed, rdx_error *err);
void rdx_boot_design_free(rdx_boot_design *d);

/* Resampling counts of replicate r: count[i] = times study i is drawn (size d->n). */
void rdx_boot_counts(const rdx_boot_design *d, uint32_t r, uint32_t *count);

/* Replicate AUCs of k columns on the same draws (paired):
 * auc[j * n_boot + r] for column j, replicate r; NaN when a class is empty. */
rdx_status rdx_boot_auc(const rdx_roc_column *cols, size_t k, const rdx_boot_design *d,
                        size_t n_boot, double *auc, rdx_error *err);

/* Replicate operating points for n_spec rules on the same draws (threshold
 * re-chosen in every replicate, or the fixed one): out[s * n_boot + r]. */
rdx_status rdx_boot_operating_points(const rdx_roc_column *c, const rdx_thr_spec *specs,
                                     size_t n_spec, const rdx_boot_design *d, size_t n_boot,
                                     rdx_operating_point *out, rdx_error *err);

/* Bootstrap intervals at level conf over the non-NaN replicates:
 * percentile: R quantile type 7 at (1-conf)/2 and (1+conf)/2;
 * bca (Efron 1987): z0 = Phi^-1((#{rep < est} + #{rep == est}/2) / n_valid),
 * acceleration a = sum(d^3) / (6 (sum d^2)^1.5) with d = mean(jack) - jack[i]
 * over the n_jack jackknife values (NaN entries skipped; a = 0 when they are all
 * equal), quantiles at Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q))). The BCa
 * interval is NaN without jackknife values (jack NULL) or when z0 or a is not
 * finite. Order statistics by selection, O(n_boot) per interval. */
typedef struct {
    size_t n_valid;
    double percentile[2];
    double bca[2];
} rdx_boot_interval;

rdx_status rdx_boot_ci(const double *reps, size_t n, double estimate, const double *jack,
                       size_t n_jack, double conf, rdx_boot_interval *out, rdx_error *err);

/* Paired bootstrap test of two AUCs from rdx_boot_auc replicates (pROC's
 * method "bootstrap"): D = estimate / sd(a_r - b_r) (sd with n-1), normal p;
 * ci = percentile interval of the replicate differences. Pairs with a NaN are
 * skipped. */
rdx_status rdx_boot_paired_test(const double *a, const double *b, size_t n, double estimate,
                                double conf, rdx_roc_test *out, rdx_error *err);

/* ---------------------------------------------------------------- screening */

typedef struct {
    size_t feature;        /* column index in the input matrix */
    uint64_t n_pos, n_neg; /* cases with a finite value */
    double auc, variance;  /* Mann-Whitney AUC, DeLong variance */
    double ci[2];          /* DeLong normal interval, clipped */
    double z, p;           /* DeLong test of AUC = 0.5, two-sided */
    double q;              /* Benjamini-Hochberg q-value over the features with a p */
    double boot_ci[2];     /* percentile bootstrap interval; NaN without bootstrap */
} rdx_screen_row;

/* Univariate AUC of every feature (column of x, row-major [n_cases][n_features])
 * against labels; cases with a NaN value are left out for that feature only.
 * boot may be NULL (no bootstrap); otherwise n_boot replicates share their draws
 * across features. rows[n_features] is filled and sorted by p ascending (NaN
 * last, ties by feature index). A feature with an empty class gets NaN values. */
rdx_status rdx_screen(const double *x, size_t n_cases, size_t n_features, const uint8_t *labels,
                      rdx_roc_direction dir, double conf, const rdx_boot_design *boot,
                      size_t n_boot, rdx_screen_row *rows, rdx_error *err);

/* rdx_screen runs on the CPU; this on device (RDX_DEVICE_CUDA: placements of
 * a batch of features at once and the bootstrap on the device, whatever
 * boot->device says; identical rows). */
rdx_status rdx_screen_on(const double *x, size_t n_cases, size_t n_features, const uint8_t *labels,
                         rdx_roc_direction dir, double conf, const rdx_boot_design *boot,
                         size_t n_boot, rdx_device device, rdx_screen_row *rows, rdx_error *err);

/* Benjamini-Hochberg step-up q-values: q_(i) = min_{j >= i} (m p_(j) / j),
 * capped at 1, m = number of non-NaN p; NaN p gives NaN q. */
rdx_status rdx_bh_qvalues(const double *p, size_t n, double *q, rdx_error *err);

/* A feature store (rdx/store.h layout) read for screening: the latest row of
 * each case with status 0. Owned by the caller: release with rdx_feature_matrix_free.
 * Reads the file; switches HDF5's error printing off while it runs (HDF5's
 * process-wide setting, restored on return), so not for concurrent HDF5 use. */
typedef struct {
    size_t n_cases, n_features;
    char **case_ids; /* [n_cases] */
    char **tags;     /* [n_features] */
    double *x;       /* [n_cases * n_features] row-major */
    size_t n_failed; /* cases skipped because their latest row failed */
} rdx_feature_matrix;

rdx_status rdx_feature_matrix_read(const char *path, rdx_feature_matrix *out, rdx_error *err);
void rdx_feature_matrix_free(rdx_feature_matrix *t);

#ifdef __cplusplus
}
#endif
#endif
