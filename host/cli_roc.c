/* `rdx roc`: ROC analysis of score columns of a CSV (AUC, DeLong and bootstrap
 * intervals, paired comparisons, operating thresholds with metrics and their
 * intervals), or univariate screening of every feature of an HDF5 store
 * against a binary outcome. A table goes to stdout, every number with its
 * method and settings to the JSON file. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_writer.h"
#include "rdx/device.h"
#include "rdx/rdx.h"
#include "rdx/roc.h"
#include "table_csv.h"

static const char *roc_usage =
    "Usage:\n"
    "  rdx roc --csv FILE --truth COL --positive VALUE [--negative VALUE] --score COL [--score COL ...]\n"
    "          [--direction higher|lower] [--conf-level C] [--threshold T]\n"
    "          [--min-sensitivity S] [--min-specificity S] [--prevalence P]\n"
    "          [--bootstrap N [--seed S] [--bootstrap-plain]] [--drop-nan] [--device D]\n"
    "          [--json OUT.json]\n"
    "  rdx roc --store FEATURES.h5 --outcomes FILE.csv [--id COL] --truth COL --positive VALUE\n"
    "          [--negative VALUE] [--direction higher|lower] [--conf-level C]\n"
    "          [--bootstrap N [--seed S] [--bootstrap-plain]] [--top K] [--device D]\n"
    "          [--json OUT.json]\n"
    "\n"
    "ROC analysis of one or more score columns measured on the same studies.\n"
    "\n"
    "Options:\n"
    "  --csv FILE            table with a header line; one row per study\n"
    "  --truth COL           column of the reference outcome\n"
    "  --positive VALUE      outcome value of studies with the finding\n"
    "  --negative VALUE      outcome value of studies without it (default: the column must\n"
    "                        hold exactly two values; the other one)\n"
    "  --score COL           score column (repeat for several: paired comparisons)\n"
    "  --direction D         higher (default): a higher score means the finding; a study\n"
    "                        tests positive when score >= threshold. lower: the mirror.\n"
    "                        Never flipped automatically: an AUC below 0.5 is reported.\n"
    "  --conf-level C        level of every interval (default 0.95)\n"
    "  --threshold T         also report the metrics at this fixed threshold\n"
    "  --min-sensitivity S   constraint on the chosen thresholds (default 0)\n"
    "  --min-specificity S   constraint on the chosen thresholds (default 0)\n"
    "  --prevalence P        also report PPV and NPV at this pre-test probability\n"
    "  --bootstrap N         N bootstrap replicates (stratified: positives and negatives\n"
    "                        resampled separately; Philox4x32-10 draws, see rdx/philox.h)\n"
    "  --seed S              bootstrap seed, 0..2^64-1 (default 1)\n"
    "  --bootstrap-plain     resample all studies together instead\n"
    "  --drop-nan            drop rows with a missing (empty, NA, NaN) score and count them\n"
    "                        (default: such a row is an error)\n"
    "  --store FILE          rdx HDF5 feature store: screen every feature\n"
    "  --outcomes FILE       CSV with the case id and outcome columns\n"
    "  --id COL              case id column of --outcomes (default case_id)\n"
    "  --top K               features printed on stdout (default 20; the JSON has all)\n"
    "  --json FILE           write all results as JSON\n"
    "  --threads N           OpenMP threads (results do not depend on it)\n"
    "  --device D            cpu, cuda or auto (default): where the bootstrap, DeLong and\n"
    "                        screening run; auto takes a CUDA device when there is one,\n"
    "                        and the CPU when the device fails (out of memory, driver).\n"
    "                        Results are identical on every device.\n"
    "  -h, --help            this text\n"
    "\n"
    "Thresholds reported: youden (max Se + Sp - 1), max_npv, max_ppv (each subject to the\n"
    "minimal Se and Sp; ties: higher Youden J, then higher sensitivity) and fixed.\n"
    "Metrics: sensitivity, specificity, accuracy, ppv, npv, fn_fraction (FN / all),\n"
    "fp_fraction (FP / all), each with Wald (clipped), Wilson and Clopper-Pearson\n"
    "intervals, plus bootstrap percentile and BCa intervals with --bootstrap.\n"
    "JSON: scores.<COL>.auc, scores.<COL>.delong.{variance,ci}, ...thresholds.<rule>,\n"
    "comparisons[] (paired DeLong and bootstrap tests), delong_covariance.\n"
    "Exit codes: 0 ok; 2 usage error; 3 input error; 4 cannot write the JSON.\n"
    "\n"
    "Example:\n"
    "  rdx roc --csv aSAH.csv --truth outcome --positive Poor --score s100b --score wfns \\\n"
    "          --bootstrap 2000 --seed 1 --json roc.json\n";

#define MAX_SCORES 64

typedef struct {
    const char *csv, *truth, *positive, *negative, *json, *store, *outcomes, *id, *device_name;
    const char *scores[MAX_SCORES];
    size_t n_scores;
    rdx_roc_direction direction;
    double conf, threshold, min_se, min_sp, prevalence;
    int has_threshold, has_prevalence, plain, drop_nan, threads;
    size_t n_boot, top;
    uint64_t seed;
    rdx_device device;      /* resolved from device_name */
    int device_auto;        /* --device auto: a device failure falls back on the CPU */
    char device_text[512];  /* which device ran, for stderr and the JSON */
} roc_args;

/* ---------------------------------------------------------------- arguments */

static int parse_double(const char *o, const char *v, double lo, double hi, int open, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    int in = open ? d > lo && d < hi : d >= lo && d <= hi;
    if (end == v || *end || errno || !in) {
        fprintf(stderr, "rdx roc: %s %s: expected a number in %s%g, %g%s\n", o, v, open ? "(" : "[",
                lo, hi, open ? ")" : "]");
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_count(const char *o, const char *v, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || *end || errno || v[0] == '-' || n > max) {
        fprintf(stderr, "rdx roc: %s %s: expected an integer 0..%llu\n", o, v, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* Options taking a value. */
static int set_option(roc_args *a, const char *o, const char *v)
{
    unsigned long long n;
    const char **strs[] = {&a->csv, &a->truth, &a->positive, &a->negative, &a->json,
                           &a->store, &a->outcomes, &a->id, &a->device_name};
    const char *names[] = {"--csv", "--truth", "--positive", "--negative", "--json",
                           "--store", "--outcomes", "--id", "--device"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (!strcmp(o, names[k])) {
            *strs[k] = v;
            return 0;
        }
    if (!strcmp(o, "--score")) {
        if (a->n_scores == MAX_SCORES) {
            fprintf(stderr, "rdx roc: at most %d --score columns\n", MAX_SCORES);
            return -1;
        }
        for (size_t k = 0; k < a->n_scores; k++)
            if (!strcmp(a->scores[k], v)) {
                fprintf(stderr, "rdx roc: --score %s given twice\n", v);
                return -1;
            }
        a->scores[a->n_scores++] = v;
        return 0;
    }
    if (!strcmp(o, "--direction")) {
        if (strcmp(v, "higher") && strcmp(v, "lower")) {
            fprintf(stderr, "rdx roc: --direction %s: expected higher or lower\n", v);
            return -1;
        }
        a->direction = strcmp(v, "lower") ? RDX_ROC_HIGHER : RDX_ROC_LOWER;
        return 0;
    }
    if (!strcmp(o, "--conf-level"))
        return parse_double(o, v, 0, 1, 1, &a->conf);
    if (!strcmp(o, "--threshold")) {
        a->has_threshold = 1;
        return parse_double(o, v, -HUGE_VAL, HUGE_VAL, 1, &a->threshold);
    }
    if (!strcmp(o, "--min-sensitivity"))
        return parse_double(o, v, 0, 1, 0, &a->min_se);
    if (!strcmp(o, "--min-specificity"))
        return parse_double(o, v, 0, 1, 0, &a->min_sp);
    if (!strcmp(o, "--prevalence")) {
        a->has_prevalence = 1;
        return parse_double(o, v, 0, 1, 1, &a->prevalence);
    }
    if (!strcmp(o, "--bootstrap")) {
        int rc = parse_count(o, v, 100000000ULL, &n);
        a->n_boot = (size_t)n;
        return rc;
    }
    if (!strcmp(o, "--seed")) {
        int rc = parse_count(o, v, UINT64_MAX, &n);
        a->seed = (uint64_t)n;
        return rc;
    }
    if (!strcmp(o, "--top")) {
        int rc = parse_count(o, v, 1000000000ULL, &n);
        a->top = (size_t)n;
        return rc;
    }
    if (!strcmp(o, "--threads")) {
        int rc = parse_count(o, v, 4096, &n);
        a->threads = (int)n;
        return rc;
    }
    fprintf(stderr, "rdx roc: unknown option %s (try rdx roc --help)\n", o);
    return -1;
}

static int check_args(const roc_args *a)
{
    const char *need = NULL;
    if (a->store) {
        need = !a->outcomes ? "--outcomes" : !a->truth ? "--truth" : !a->positive ? "--positive" : NULL;
        if (!need && (a->csv || a->n_scores)) {
            fprintf(stderr, "rdx roc: --store does not combine with --csv / --score\n");
            return -1;
        }
    } else {
        need = !a->csv ? "--csv (or --store)" : !a->truth ? "--truth" : !a->positive ? "--positive"
             : !a->n_scores ? "--score" : NULL;
    }
    if (need) {
        fprintf(stderr, "rdx roc: %s is required (try rdx roc --help)\n", need);
        return -1;
    }
    if (a->negative && !strcmp(a->negative, a->positive)) {
        fprintf(stderr, "rdx roc: --positive and --negative are both '%s'\n", a->positive);
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, roc_args *a)
{
    memset(a, 0, sizeof *a);
    a->conf = 0.95;
    a->seed = 1;
    a->top = 20;
    a->id = "case_id";
    a->device_name = "auto";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(roc_usage, stdout);
            exit(RDX_EXIT_OK);
        }
        if (!strcmp(o, "--bootstrap-plain")) {
            a->plain = 1;
            continue;
        }
        if (!strcmp(o, "--drop-nan")) {
            a->drop_nan = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rdx roc: option %s needs a value (try rdx roc --help)\n", o);
            return -1;
        }
        if (set_option(a, o, argv[++i]) != 0)
            return -1;
    }
    return check_args(a);
}

/* ---------------------------------------------------------------- outcome labels */

/* Label every row from the truth column: positive 1, negative 0. Without
 * --negative the column must hold exactly two values. *neg_out receives the
 * negative value (a cell of t, or "(none)" when every row is positive). */
static rdx_status truth_labels(const rdx_csv *t, size_t col, const char *positive,
                               const char *negative, uint8_t *labels, const char **neg_out,
                               rdx_error *err)
{
    const char *neg = negative;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *v = rdx_csv_cell(t, r, col);
        if (!strcmp(v, positive)) {
            labels[r] = 1;
            continue;
        }
        if (!neg)
            neg = v; /* without --negative: the first other value */
        if (strcmp(v, neg))
            return negative
                       ? rdx_error_set(err, RDX_E_INVALID,
                                       "%s line %zu, column '%s': '%s' is neither '%s' nor '%s'",
                                       t->path, t->line[r], t->header[col], v, positive, negative)
                       : rdx_error_set(err, RDX_E_INVALID,
                                       "%s line %zu, column '%s': a third outcome value '%s' "
                                       "(positive '%s', negative '%s' seen first; name the "
                                       "negative one with --negative)",
                                       t->path, t->line[r], t->header[col], v, positive, neg);
        labels[r] = 0;
    }
    *neg_out = neg ? neg : "(none)";
    return RDX_OK;
}

static rdx_status check_classes(const uint8_t *labels, size_t n, const char *path,
                                const char *truth, const char *positive, rdx_error *err)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += labels[i];
    if (pos == 0)
        return rdx_error_set(err, RDX_E_INVALID, "%s: no studies with %s = '%s'", path, truth,
                             positive);
    if (pos == n)
        return rdx_error_set(err, RDX_E_INVALID, "%s: no negative studies (all %zu have %s = '%s')",
                             path, n, truth, positive);
    return RDX_OK;
}

/* ---------------------------------------------------------------- CSV data */

typedef struct {
    size_t n_rows, n, n_dropped;
    size_t k;
    char *negative;    /* owned copy of the negative outcome value */
    uint8_t *labels;   /* [n] */
    double *scores;    /* [k * n], column by column */
} roc_data;

static void roc_data_free(roc_data *d)
{
    free(d->negative);
    free(d->labels);
    free(d->scores);
}

/* Scores of the rows kept; NaN rows are an error or dropped (all columns at once). */
static rdx_status read_scores(const rdx_csv *t, const roc_args *a, const size_t *cols,
                              const uint8_t *all_labels, roc_data *d, rdx_error *err)
{
    d->n = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        int missing = 0;
        for (size_t j = 0; j < d->k; j++) {
            double v;
            rdx_status st = rdx_csv_number(t, r, cols[j], &v, err);
            if (st != RDX_OK)
                return st;
            if (isnan(v) && !a->drop_nan)
                return rdx_error_set(err, RDX_E_INVALID,
                                     "%s line %zu, column '%s': missing score (use --drop-nan to "
                                     "drop such rows)", t->path, t->line[r], t->header[cols[j]]);
            missing |= isnan(v);
            d->scores[j * t->n_rows + d->n] = v;
        }
        if (missing) {
            d->n_dropped++;
            continue;
        }
        d->labels[d->n++] = all_labels[r];
    }
    /* Close the gaps: column j's values start at j * n. */
    for (size_t j = 1; j < d->k; j++)
        memmove(d->scores + j * d->n, d->scores + j * t->n_rows, d->n * sizeof *d->scores);
    return RDX_OK;
}

static rdx_status load_csv(const roc_args *a, roc_data *d, rdx_error *err)
{
    memset(d, 0, sizeof *d);
    rdx_csv t;
    rdx_status st = rdx_csv_read(a->csv, &t, err);
    if (st != RDX_OK)
        return st;
    size_t truth_col, cols[MAX_SCORES];
    st = rdx_csv_column(&t, a->truth, &truth_col, err);
    for (size_t j = 0; st == RDX_OK && j < a->n_scores; j++)
        st = rdx_csv_column(&t, a->scores[j], &cols[j], err);
    d->k = a->n_scores;
    d->n_rows = t.n_rows;
    uint8_t *all = malloc(t.n_rows ? t.n_rows : 1);
    d->labels = malloc(t.n_rows ? t.n_rows : 1);
    d->scores = malloc((t.n_rows ? t.n_rows : 1) * d->k * sizeof *d->scores);
    if (st == RDX_OK && (!all || !d->labels || !d->scores))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", a->csv);
    const char *neg = NULL;
    if (st == RDX_OK)
        st = truth_labels(&t, truth_col, a->positive, a->negative, all, &neg, err);
    if (st == RDX_OK)
        st = read_scores(&t, a, cols, all, d, err);
    /* neg may point into the table: keep a copy that outlives it. */
    if (st == RDX_OK && !(d->negative = strdup(neg)))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", a->csv);
    if (st == RDX_OK)
        st = check_classes(d->labels, d->n, a->csv, a->truth, a->positive, err);
    free(all);
    rdx_csv_free(&t);
    if (st != RDX_OK)
        roc_data_free(d);
    return st;
}

/* ---------------------------------------------------------------- analysis */

enum { RULE_YOUDEN, RULE_MAX_NPV, RULE_MAX_PPV, RULE_FIXED, N_RULES };

/* The jackknife of an operating point (BCa of thresholds and metrics) costs
 * O(n^2); above this many studies those BCa intervals are left out (null). */
#define JACKKNIFE_MAX_STUDIES 20000
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
static const char *rule_key[N_RULES] = {"youden", "max_npv", "max_ppv", "fixed"};

/* What is read off an operating point: its threshold, a metric, or PPV / NPV
 * at the stated prevalence. */
enum { Q_THRESHOLD = RDX_M_COUNT, Q_PREV_PPV, Q_PREV_NPV };

typedef struct {
    int active;
    rdx_thr_spec spec;
    rdx_operating_point op;
    rdx_operating_point *boot; /* [n_boot] into score_result.boot_ops, or NULL */
    rdx_operating_point *jack; /* [n] or NULL */
} rule_result;

typedef struct {
    rdx_roc_column col;
    rdx_roc_curve curve;
    double auc;
    double *boot_auc;  /* into roc_result.boot_auc */
    double *jack_auc;  /* [n] or NULL */
    rdx_operating_point *boot_ops; /* [active rules * n_boot] or NULL */
    rule_result rules[N_RULES];
} score_result;

typedef struct {
    size_t k, n_boot;
    score_result *s;   /* [k] */
    rdx_delong delong;
    double *boot_auc;  /* [k * n_boot] or NULL */
    rdx_boot_design design;
} roc_result;

static void roc_result_free(roc_result *r)
{
    for (size_t j = 0; r->s && j < r->k; j++) {
        score_result *s = &r->s[j];
        rdx_roc_column_free(&s->col);
        rdx_roc_curve_free(&s->curve);
        free(s->jack_auc);
        free(s->boot_ops);
        for (int q = 0; q < N_RULES; q++)
            free(s->rules[q].jack);
    }
    free(r->s);
    free(r->boot_auc);
    rdx_delong_free(&r->delong);
    rdx_boot_design_free(&r->design);
}

static double quantity(const rdx_operating_point *op, int q, double prevalence)
{
    if (!op->found)
        return NAN;
    if (q == Q_THRESHOLD)
        return op->threshold;
    if (q < RDX_M_COUNT)
        return rdx_metric_value(&op->table, (rdx_metric)q);
    double ppv, npv;
    rdx_predictive_values(rdx_metric_value(&op->table, RDX_M_SENSITIVITY),
                          rdx_metric_value(&op->table, RDX_M_SPECIFICITY), prevalence, &ppv, &npv);
    return q == Q_PREV_PPV ? ppv : npv;
}

static rdx_status analyse_rule(const roc_args *a, roc_result *r, score_result *s, int q,
                               rdx_error *err)
{
    rule_result *rr = &s->rules[q];
    rr->active = 1;
    rr->spec = (rdx_thr_spec){(rdx_thr_rule)q, a->min_se, a->min_sp, a->threshold};
    rdx_status st = rdx_operating_point_find(&s->col, &rr->spec, &rr->op, err);
    if (st != RDX_OK || !r->n_boot || s->col.n > JACKKNIFE_MAX_STUDIES)
        return st;
    rr->jack = malloc(s->col.n * sizeof *rr->jack);
    if (!rr->jack)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: out of memory for the jackknife");
    return rdx_operating_point_jackknife(&s->col, &rr->spec, rr->jack, err);
}

/* Every active rule's replicate operating points from one set of draws. */
static rdx_status bootstrap_rules(roc_result *r, score_result *s, rdx_error *err)
{
    rdx_thr_spec specs[N_RULES];
    int which[N_RULES];
    size_t k = 0;
    for (int q = 0; q < N_RULES; q++)
        if (s->rules[q].active) {
            specs[k] = s->rules[q].spec;
            which[k++] = q;
        }
    s->boot_ops = malloc(k * r->n_boot * sizeof *s->boot_ops);
    if (!s->boot_ops)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: out of memory for bootstrap thresholds");
    for (size_t i = 0; i < k; i++)
        s->rules[which[i]].boot = s->boot_ops + i * r->n_boot;
    return rdx_boot_operating_points(&s->col, specs, k, &r->design, r->n_boot, s->boot_ops, err);
}

static rdx_status analyse_score(const roc_args *a, const roc_data *d, roc_result *r, size_t j,
                                rdx_error *err)
{
    score_result *s = &r->s[j];
    rdx_status st = rdx_roc_column_init(&s->col, d->scores + j * d->n, d->labels, d->n,
                                        a->direction, RDX_NAN_ERROR, err);
    if (st != RDX_OK)
        return st;
    s->auc = rdx_roc_auc(&s->col);
    st = rdx_roc_curve_compute(&s->col, &s->curve, err);
    for (int q = 0; st == RDX_OK && q < N_RULES; q++)
        if (q != RULE_FIXED || a->has_threshold)
            st = analyse_rule(a, r, s, q, err);
    if (st != RDX_OK || !r->n_boot)
        return st;
    st = bootstrap_rules(r, s, err);
    s->jack_auc = malloc(d->n * sizeof *s->jack_auc);
    if (st == RDX_OK && !s->jack_auc)
        st = rdx_error_set(err, RDX_E_NOMEM, "roc: out of memory for the jackknife");
    return st == RDX_OK ? rdx_roc_auc_jackknife(&s->col, s->jack_auc, err) : st;
}

static rdx_status analyse(const roc_args *a, const roc_data *d, roc_result *r, rdx_error *err)
{
    memset(r, 0, sizeof *r);
    r->k = d->k;
    r->n_boot = a->n_boot;
    r->s = calloc(d->k, sizeof *r->s);
    if (!r->s)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: out of memory");
    rdx_status st = RDX_OK;
    if (r->n_boot)
        st = rdx_boot_design_init(&r->design, d->labels, d->n, !a->plain, a->seed, err);
    r->design.device = a->device;
    for (size_t j = 0; st == RDX_OK && j < d->k; j++)
        st = analyse_score(a, d, r, j, err);
    rdx_roc_column cols[MAX_SCORES];
    for (size_t j = 0; st == RDX_OK && j < d->k; j++)
        cols[j] = r->s[j].col;
    if (st == RDX_OK)
        st = rdx_delong_compute_on(cols, d->k, a->device, &r->delong, err);
    if (st != RDX_OK || !r->n_boot)
        return st;
    r->boot_auc = malloc(d->k * r->n_boot * sizeof *r->boot_auc);
    if (!r->boot_auc)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: out of memory for %zu replicates", r->n_boot);
    st = rdx_boot_auc(cols, d->k, &r->design, r->n_boot, r->boot_auc, err);
    for (size_t j = 0; j < d->k; j++)
        r->s[j].boot_auc = r->boot_auc + j * r->n_boot;
    return st;
}

/* ---------------------------------------------------------------- JSON */

/* Percentile and BCa intervals of replicates reps against the estimate, and
 * the number of replicates where the quantity is defined (valid_key NULL: not written). */
static rdx_status write_boot_intervals(rdx_json *j, const double *reps, size_t n_boot, double est,
                                       const double *jack, size_t n_jack, double conf,
                                       const char *pct_key, const char *bca_key,
                                       const char *valid_key, rdx_error *err)
{
    rdx_boot_interval iv;
    rdx_status st = rdx_boot_ci(reps, n_boot, est, jack, n_jack, conf, &iv, err);
    if (st == RDX_OK) {
        if (valid_key)
            rdx_json_uint(j, valid_key, iv.n_valid);
        rdx_json_pair(j, pct_key, iv.percentile);
        rdx_json_pair(j, bca_key, iv.bca);
    }
    return st;
}

/* Bootstrap and jackknife values of quantity q of a rule, then its intervals. */
static rdx_status write_rule_boot(rdx_json *j, const roc_result *r, const rule_result *rr,
                                  size_t n, int q, double prevalence, double conf, rdx_error *err)
{
    double *reps = malloc(r->n_boot * sizeof *reps);
    double *jack = rr->jack ? malloc(n * sizeof *jack) : NULL;
    if (!reps || (rr->jack && !jack)) {
        free(reps);
        free(jack);
        return rdx_error_set(err, RDX_E_NOMEM, "roc: out of memory");
    }
    for (size_t b = 0; b < r->n_boot; b++)
        reps[b] = quantity(&rr->boot[b], q, prevalence);
    for (size_t i = 0; jack && i < n; i++)
        jack[i] = quantity(&rr->jack[i], q, prevalence);
    rdx_status st = write_boot_intervals(j, reps, r->n_boot, quantity(&rr->op, q, prevalence), jack,
                                         n, conf, "bootstrap_percentile", "bootstrap_bca", NULL, err);
    free(reps);
    free(jack);
    return st;
}

static rdx_status write_metrics(rdx_json *j, const roc_args *a, const roc_result *r,
                                const rule_result *rr, size_t n, rdx_error *err)
{
    rdx_status st = RDX_OK;
    rdx_json_object_open(j, "metrics", 0);
    for (int m = 0; st == RDX_OK && m < RDX_M_COUNT; m++) {
        uint64_t x, den;
        rdx_metric_ratio(&rr->op.table, (rdx_metric)m, &x, &den);
        rdx_json_object_open(j, rdx_metric_name((rdx_metric)m), 0);
        rdx_json_number(j, "value", rdx_metric_value(&rr->op.table, (rdx_metric)m));
        rdx_json_uint(j, "x", x);
        rdx_json_uint(j, "n", den);
        rdx_json_object_open(j, "ci", 0);
        for (int c = RDX_CI_WALD; c <= RDX_CI_CLOPPER_PEARSON; c++) {
            double ci[2];
            rdx_ci_proportion(x, den, a->conf, (rdx_ci_method)c, ci);
            rdx_json_pair(j, rdx_ci_method_name((rdx_ci_method)c), ci);
        }
        if (rr->boot)
            st = write_rule_boot(j, r, rr, n, m, 0, a->conf, err);
        rdx_json_object_close(j);
        rdx_json_object_close(j);
    }
    rdx_json_object_close(j);
    return st;
}

static rdx_status write_prevalence(rdx_json *j, const roc_args *a, const roc_result *r,
                                   const rule_result *rr, size_t n, rdx_error *err)
{
    double ppv_ci[2], npv_ci[2];
    rdx_predictive_ci_logit(&rr->op.table, a->prevalence, a->conf, ppv_ci, npv_ci);
    rdx_status st = RDX_OK;
    rdx_json_object_open(j, "at_prevalence", 0);
    rdx_json_number(j, "prevalence", a->prevalence);
    for (int q = Q_PREV_PPV; st == RDX_OK && q <= Q_PREV_NPV; q++) {
        rdx_json_object_open(j, q == Q_PREV_PPV ? "ppv" : "npv", 0);
        rdx_json_number(j, "value", quantity(&rr->op, q, a->prevalence));
        rdx_json_object_open(j, "ci", 0);
        rdx_json_pair(j, "logit", q == Q_PREV_PPV ? ppv_ci : npv_ci);
        if (rr->boot)
            st = write_rule_boot(j, r, rr, n, q, a->prevalence, a->conf, err);
        rdx_json_object_close(j);
        rdx_json_object_close(j);
    }
    rdx_json_object_close(j);
    return st;
}

static rdx_status write_rule(rdx_json *j, const roc_args *a, const roc_result *r,
                             const rule_result *rr, int q, size_t n, rdx_error *err)
{
    rdx_json_object_open(j, rule_key[q], 0);
    rdx_json_bool(j, "found", rr->op.found);
    rdx_json_number(j, "threshold", rr->op.threshold);
    rdx_status st = RDX_OK;
    if (rr->boot && q != RULE_FIXED) {
        rdx_json_object_open(j, "threshold_ci", 0);
        st = write_rule_boot(j, r, rr, n, Q_THRESHOLD, 0, a->conf, err);
        rdx_json_object_close(j);
    }
    rdx_json_object_open(j, "table", 1);
    rdx_json_uint(j, "tp", rr->op.table.tp);
    rdx_json_uint(j, "fn", rr->op.table.fn);
    rdx_json_uint(j, "fp", rr->op.table.fp);
    rdx_json_uint(j, "tn", rr->op.table.tn);
    rdx_json_object_close(j);
    if (st == RDX_OK)
        st = write_metrics(j, a, r, rr, n, err);
    if (st == RDX_OK && a->has_prevalence)
        st = write_prevalence(j, a, r, rr, n, err);
    rdx_json_object_close(j);
    return st;
}

static void write_curve(rdx_json *j, const rdx_roc_curve *cv)
{
    rdx_json_object_open(j, "roc", 0);
    rdx_json_array_open(j, "threshold", 1);
    for (size_t k = 0; k < cv->n_points; k++)
        rdx_json_number(j, NULL, cv->threshold[k]); /* the infinite ends print as null */
    rdx_json_array_close(j);
    rdx_json_array_open(j, "sensitivity", 1);
    for (size_t k = 0; k < cv->n_points; k++)
        rdx_json_number(j, NULL, (double)cv->tp[k] / (double)cv->n_pos);
    rdx_json_array_close(j);
    rdx_json_array_open(j, "specificity", 1);
    for (size_t k = 0; k < cv->n_points; k++)
        rdx_json_number(j, NULL, 1 - (double)cv->fp[k] / (double)cv->n_neg);
    rdx_json_array_close(j);
    rdx_json_object_close(j);
}

static rdx_status write_score(rdx_json *j, const roc_args *a, const roc_result *r, size_t idx,
                              rdx_error *err)
{
    const score_result *s = &r->s[idx];
    double var = r->delong.cov[idx * r->k + idx], ci[2];
    rdx_auc_ci_normal(s->auc, var, a->conf, ci);
    rdx_json_object_open(j, a->scores[idx], 0);
    rdx_json_uint(j, "n_positive", s->col.n_pos);
    rdx_json_uint(j, "n_negative", s->col.n_neg);
    rdx_json_number(j, "auc", s->auc);
    rdx_json_object_open(j, "delong", 0);
    rdx_json_number(j, "variance", var);
    rdx_json_number(j, "se", sqrt(var));
    rdx_json_pair(j, "ci", ci);
    rdx_json_object_close(j);
    rdx_status st = RDX_OK;
    if (r->n_boot) {
        rdx_json_object_open(j, "bootstrap", 0);
        st = write_boot_intervals(j, s->boot_auc, r->n_boot, s->auc, s->jack_auc, s->col.n, a->conf,
                                  "percentile", "bca", "valid_replicates", err);
        rdx_json_object_close(j);
    }
    write_curve(j, &s->curve);
    rdx_json_object_open(j, "thresholds", 0);
    for (int q = 0; st == RDX_OK && q < N_RULES; q++)
        if (s->rules[q].active)
            st = write_rule(j, a, r, &s->rules[q], q, s->col.n, err);
    rdx_json_object_close(j);
    rdx_json_object_close(j);
    return st;
}

static void write_test(rdx_json *j, const char *key, const rdx_roc_test *t)
{
    rdx_json_object_open(j, key, 0);
    rdx_json_number(j, "se", t->se);
    rdx_json_number(j, "z", t->stat);
    rdx_json_number(j, "p", t->p);
    rdx_json_pair(j, "ci", t->ci);
    rdx_json_object_close(j);
}

static rdx_status write_comparisons(rdx_json *j, const roc_args *a, const roc_result *r,
                                    rdx_error *err)
{
    rdx_status st = RDX_OK;
    rdx_json_array_open(j, "comparisons", 0);
    for (size_t x = 0; x < r->k; x++)
        for (size_t y = x + 1; st == RDX_OK && y < r->k; y++) {
            rdx_roc_test t;
            rdx_delong_paired(&r->delong, x, y, a->conf, &t);
            rdx_json_object_open(j, NULL, 0);
            rdx_json_string(j, "a", a->scores[x]);
            rdx_json_string(j, "b", a->scores[y]);
            rdx_json_number(j, "difference", t.estimate);
            rdx_json_number(j, "covariance", r->delong.cov[x * r->k + y]);
            write_test(j, "delong", &t);
            if (r->n_boot) {
                st = rdx_boot_paired_test(r->s[x].boot_auc, r->s[y].boot_auc, r->n_boot,
                                          t.estimate, a->conf, &t, err);
                write_test(j, "bootstrap", &t);
            }
            rdx_json_object_close(j);
        }
    rdx_json_array_close(j);
    rdx_json_object_open(j, "delong_covariance", 0);
    rdx_json_array_open(j, "columns", 1);
    for (size_t x = 0; x < r->k; x++)
        rdx_json_string(j, NULL, a->scores[x]);
    rdx_json_array_close(j);
    rdx_json_array_open(j, "matrix", 0);
    for (size_t x = 0; x < r->k; x++) {
        rdx_json_array_open(j, NULL, 1);
        for (size_t y = 0; y < r->k; y++)
            rdx_json_number(j, NULL, r->delong.cov[x * r->k + y]);
        rdx_json_array_close(j);
    }
    rdx_json_array_close(j);
    rdx_json_object_close(j);
    return st;
}

/* Settings and methods, shared by both modes. */
static void write_settings(rdx_json *j, const roc_args *a)
{
    rdx_json_object_open(j, "settings", 0);
    rdx_json_string(j, "direction", a->direction == RDX_ROC_HIGHER ? "higher" : "lower");
    rdx_json_string(j, "test_positive", a->direction == RDX_ROC_HIGHER ? "score >= threshold"
                                                                        : "score <= threshold");
    rdx_json_number(j, "conf_level", a->conf);
    rdx_json_string(j, "device", a->device_text);
    rdx_json_string(j, "auc", "Mann-Whitney U / (n_pos n_neg), ties count 1/2");
    rdx_json_string(j, "delong", "DeLong et al. 1988 structural components, divisors n-1; "
                                 "normal interval clipped to [0, 1]; paired test Z on the "
                                 "difference with the full covariance");
    rdx_json_string(j, "roc_thresholds", "midpoints between consecutive distinct scores; "
                                         "null = the infinite ends");
    if (!a->store) {
        rdx_json_object_open(j, "threshold_rules", 0);
        rdx_json_number(j, "min_sensitivity", a->min_se);
        rdx_json_number(j, "min_specificity", a->min_sp);
        if (a->has_threshold)
            rdx_json_number(j, "fixed", a->threshold);
        else
            rdx_json_null(j, "fixed");
        rdx_json_string(j, "ties", "higher Youden J, then higher sensitivity");
        rdx_json_object_close(j);
        rdx_json_array_open(j, "proportion_ci", 1);
        for (int c = RDX_CI_WALD; c <= RDX_CI_CLOPPER_PEARSON; c++)
            rdx_json_string(j, NULL, rdx_ci_method_name((rdx_ci_method)c));
        rdx_json_array_close(j);
        rdx_json_string(j, "wald", "normal approximation clipped to [0, 1]");
        rdx_json_string(j, "prevalence_ci", "logit (Mercaldo, Lau & Zhou 2007)");
        if (a->has_prevalence)
            rdx_json_number(j, "prevalence", a->prevalence);
        else
            rdx_json_null(j, "prevalence");
    } else {
        rdx_json_string(j, "screening", "DeLong Z test of AUC = 0.5, Benjamini-Hochberg q-values, "
                                        "sorted by p");
    }
    if (a->n_boot) {
        rdx_json_object_open(j, "bootstrap", 0);
        rdx_json_uint(j, "replicates", a->n_boot);
        rdx_json_uint(j, "seed", a->seed);
        rdx_json_bool(j, "stratified", !a->plain);
        rdx_json_string(j, "generator", "Philox4x32-10, key = seed, counter = (replicate, stratum, "
                                        "draw / 4, 0); Lemire multiply-shift with rejection");
        rdx_json_string(j, "percentile", "R quantile type 7");
        rdx_json_string(j, "bca", "Efron 1987, jackknife acceleration (thresholds and metrics: "
                                  "up to " STRINGIFY(JACKKNIFE_MAX_STUDIES) " studies, else null)");
        rdx_json_string(j, "thresholds", "re-chosen in every replicate by the same rule");
        rdx_json_object_close(j);
    } else {
        rdx_json_null(j, "bootstrap");
    }
    rdx_json_object_close(j);
}

/* Create the report and write what every report starts with: the root object, the
 * version, the command, and an open "input" object for the caller to fill. */
static int open_json(const char *path, const char *command, FILE **f, rdx_json *j)
{
    *f = fopen(path, "w");
    if (!*f) {
        fprintf(stderr, "rdx roc: %s: cannot write: %s\n", path, strerror(errno));
        return RDX_EXIT_OUTPUT;
    }
    rdx_json_init(j, *f);
    rdx_json_object_open(j, NULL, 0);
    rdx_json_string(j, "rdx_version", RDX_VERSION);
    rdx_json_string(j, "command", command);
    rdx_json_object_open(j, "input", 0);
    return RDX_EXIT_OK;
}

static int close_json(const char *path, rdx_json *j, FILE *f)
{
    int bad = rdx_json_finish(j) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "rdx roc: %s: write error\n", path);
        return RDX_EXIT_OUTPUT;
    }
    return RDX_EXIT_OK;
}

static int write_roc_json(const roc_args *a, const roc_data *d, const roc_result *r)
{
    FILE *f;
    rdx_json j;
    int rc = open_json(a->json, "roc", &f, &j);
    if (rc != RDX_EXIT_OK)
        return rc;
    rdx_json_string(&j, "csv", a->csv);
    rdx_json_string(&j, "truth", a->truth);
    rdx_json_string(&j, "positive", a->positive);
    rdx_json_string(&j, "negative", d->negative);
    rdx_json_uint(&j, "rows", d->n_rows);
    rdx_json_uint(&j, "used", d->n);
    rdx_json_uint(&j, "dropped_nan", d->n_dropped);
    rdx_json_object_close(&j);
    write_settings(&j, a);
    rdx_error err;
    rdx_status st = RDX_OK;
    rdx_json_object_open(&j, "scores", 0);
    for (size_t x = 0; st == RDX_OK && x < r->k; x++)
        st = write_score(&j, a, r, x, &err);
    rdx_json_object_close(&j);
    if (st == RDX_OK)
        st = write_comparisons(&j, a, r, &err);
    rdx_json_object_close(&j);
    rc = close_json(a->json, &j, f);
    if (st != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    return rc;
}

/* ---------------------------------------------------------------- table */

static void print_table(const roc_args *a, const roc_data *d, const roc_result *r)
{
    size_t pos = 0;
    for (size_t i = 0; i < d->n; i++)
        pos += d->labels[i];
    printf("rdx roc: %s, %s = %s (%zu) vs %s (%zu), %zu studies", a->csv, a->truth, a->positive, pos,
           d->negative, d->n - pos, d->n);
    if (d->n_dropped)
        printf(", %zu rows with a missing score dropped", d->n_dropped);
    printf(", direction %s\n", a->direction == RDX_ROC_HIGHER ? "higher" : "lower");
    int pct = (int)lround(100 * a->conf);
    printf("%-16s %7s  %-18s %10s %7s %7s %7s %7s\n", "score", "AUC", "DeLong CI", "Youden thr",
           "Se", "Sp", "PPV", "NPV");
    for (size_t x = 0; x < r->k; x++) {
        const score_result *s = &r->s[x];
        double ci[2];
        rdx_auc_ci_normal(s->auc, r->delong.cov[x * r->k + x], a->conf, ci);
        const rdx_confusion *t = &s->rules[RULE_YOUDEN].op.table;
        printf("%-16s %7.4f  [%6.4f, %6.4f]   %10.4g %7.4f %7.4f %7.4f %7.4f\n", a->scores[x], s->auc,
               ci[0], ci[1], s->rules[RULE_YOUDEN].op.threshold,
               rdx_metric_value(t, RDX_M_SENSITIVITY), rdx_metric_value(t, RDX_M_SPECIFICITY),
               rdx_metric_value(t, RDX_M_PPV), rdx_metric_value(t, RDX_M_NPV));
    }
    printf("(%d%% DeLong intervals; metrics at the Youden threshold; all intervals in the JSON)\n", pct);
    if (r->k < 2)
        return;
    printf("\n%-33s %8s  %-20s %8s %10s\n", "paired DeLong comparison", "diff", "CI", "Z", "p");
    for (size_t x = 0; x < r->k; x++)
        for (size_t y = x + 1; y < r->k; y++) {
            rdx_roc_test t;
            rdx_delong_paired(&r->delong, x, y, a->conf, &t);
            char name[64];
            snprintf(name, sizeof name, "%s - %s", a->scores[x], a->scores[y]);
            printf("%-33s %8.4f  [%7.4f, %7.4f]   %8.3f %10.3g\n", name, t.estimate, t.ci[0], t.ci[1],
                   t.stat, t.p);
        }
}

/* With --device auto, after a device failure (st): says so and fills *cpu
 * with a's arguments on the CPU; 1 when the computation is to run again there. */
static int cpu_instead(const roc_args *a, rdx_status st, const rdx_error *err, roc_args *cpu)
{
    if (st != RDX_E_DEVICE || !a->device_auto)
        return 0;
    fprintf(stderr, "rdx roc: %s; computing on the CPU (--device auto)\n", err->msg);
    *cpu = *a;
    cpu->device = RDX_DEVICE_CPU;
    snprintf(cpu->device_text, sizeof cpu->device_text, "cpu (after a CUDA device failure)");
    return 1;
}

static int run_csv(const roc_args *a)
{
    rdx_error err;
    roc_data d;
    if (load_csv(a, &d, &err) != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    roc_result r;
    roc_args cpu;
    rdx_status st = analyse(a, &d, &r, &err);
    if (cpu_instead(a, st, &err, &cpu)) {
        roc_result_free(&r);
        a = &cpu;
        st = analyse(a, &d, &r, &err);
    }
    int rc = RDX_EXIT_OK;
    if (st != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        rc = RDX_EXIT_INPUT;
    } else {
        print_table(a, &d, &r);
        if (a->json)
            rc = write_roc_json(a, &d, &r);
    }
    roc_result_free(&r);
    roc_data_free(&d);
    return rc;
}

/* ---------------------------------------------------------------- screening */

typedef struct {
    const char *id;
    uint8_t label;
} id_label;

static int id_label_cmp(const void *pa, const void *pb)
{
    return strcmp(((const id_label *)pa)->id, ((const id_label *)pb)->id);
}

/* Outcomes keyed by case id, sorted for lookup; ids point into t. */
static rdx_status read_outcomes(const roc_args *a, const rdx_csv *t, id_label **out,
                                const char **neg, rdx_error *err)
{
    size_t c_id, c_truth;
    rdx_status st = rdx_csv_column(t, a->id, &c_id, err);
    if (st == RDX_OK)
        st = rdx_csv_column(t, a->truth, &c_truth, err);
    uint8_t *labels = malloc(t->n_rows ? t->n_rows : 1);
    *out = malloc((t->n_rows ? t->n_rows : 1) * sizeof **out);
    if (st == RDX_OK && (!labels || !*out))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", t->path);
    if (st == RDX_OK)
        st = truth_labels(t, c_truth, a->positive, a->negative, labels, neg, err);
    for (size_t r = 0; st == RDX_OK && r < t->n_rows; r++)
        (*out)[r] = (id_label){rdx_csv_cell(t, r, c_id), labels[r]};
    if (st == RDX_OK)
        qsort(*out, t->n_rows, sizeof **out, id_label_cmp);
    for (size_t r = 1; st == RDX_OK && r < t->n_rows; r++)
        if (!strcmp((*out)[r].id, (*out)[r - 1].id))
            st = rdx_error_set(err, RDX_E_INVALID, "%s: case id '%s' appears twice", t->path,
                               (*out)[r].id);
    free(labels);
    return st;
}

typedef struct {
    rdx_feature_matrix ft;
    double *x;        /* rows of the matched cases */
    uint8_t *labels;
    size_t n, n_no_outcome;
    rdx_screen_row *rows;
} screen_data;

/* Keep the store's cases that have an outcome, in store order. */
static rdx_status match_cases(const id_label *ol, size_t n_ol, screen_data *s, rdx_error *err)
{
    size_t nf = s->ft.n_features;
    s->x = malloc((s->ft.n_cases && nf ? s->ft.n_cases * nf : 1) * sizeof *s->x);
    s->labels = malloc(s->ft.n_cases ? s->ft.n_cases : 1);
    if (!s->x || !s->labels)
        return rdx_error_set(err, RDX_E_NOMEM, "screen: out of memory");
    for (size_t i = 0; i < s->ft.n_cases; i++) {
        id_label key = {s->ft.case_ids[i], 0};
        const id_label *hit = bsearch(&key, ol, n_ol, sizeof *ol, id_label_cmp);
        if (!hit) {
            s->n_no_outcome++;
            continue;
        }
        memcpy(s->x + s->n * nf, s->ft.x + i * nf, nf * sizeof *s->x);
        s->labels[s->n++] = hit->label;
    }
    return RDX_OK;
}

static int write_screen_json(const roc_args *a, const screen_data *s, const char *neg)
{
    FILE *f;
    rdx_json j;
    int rc = open_json(a->json, "roc screening", &f, &j);
    if (rc != RDX_EXIT_OK)
        return rc;
    rdx_json_string(&j, "store", a->store);
    rdx_json_string(&j, "outcomes", a->outcomes);
    rdx_json_string(&j, "truth", a->truth);
    rdx_json_string(&j, "positive", a->positive);
    rdx_json_string(&j, "negative", neg);
    rdx_json_uint(&j, "cases", s->n);
    rdx_json_uint(&j, "cases_failed", s->ft.n_failed);
    rdx_json_uint(&j, "cases_without_outcome", s->n_no_outcome);
    rdx_json_object_close(&j);
    write_settings(&j, a);
    rdx_json_array_open(&j, "features", 0);
    for (size_t k = 0; k < s->ft.n_features; k++) {
        const rdx_screen_row *r = &s->rows[k];
        rdx_json_object_open(&j, NULL, 0);
        rdx_json_string(&j, "tag", s->ft.tags[r->feature]);
        rdx_json_uint(&j, "n_positive", r->n_pos);
        rdx_json_uint(&j, "n_negative", r->n_neg);
        rdx_json_number(&j, "auc", r->auc);
        rdx_json_object_open(&j, "delong", 1);
        rdx_json_number(&j, "variance", r->variance);
        rdx_json_pair(&j, "ci", r->ci);
        rdx_json_object_close(&j);
        rdx_json_number(&j, "z", r->z);
        rdx_json_number(&j, "p", r->p);
        rdx_json_number(&j, "q", r->q);
        if (a->n_boot)
            rdx_json_pair(&j, "bootstrap_percentile", r->boot_ci);
        rdx_json_object_close(&j);
    }
    rdx_json_array_close(&j);
    rdx_json_object_close(&j);
    return close_json(a->json, &j, f);
}

static void print_screen(const roc_args *a, const screen_data *s, const char *neg)
{
    size_t pos = 0;
    for (size_t i = 0; i < s->n; i++)
        pos += s->labels[i];
    printf("rdx roc screening: %s, %zu features, %zu cases: %s = %s (%zu) vs %s (%zu)", a->store,
           s->ft.n_features, s->n, a->truth, a->positive, pos, neg, s->n - pos);
    printf("; skipped: %zu failed, %zu without outcome\n", s->ft.n_failed, s->n_no_outcome);
    printf("%-40s %7s  %-18s %10s %10s\n", "feature", "AUC", "DeLong CI", "p", "q");
    for (size_t k = 0; k < s->ft.n_features && k < a->top; k++) {
        const rdx_screen_row *r = &s->rows[k];
        printf("%-40s %7.4f  [%6.4f, %6.4f]   %10.3g %10.3g\n", s->ft.tags[r->feature], r->auc,
               r->ci[0], r->ci[1], r->p, r->q);
    }
    if (s->ft.n_features > a->top)
        printf("(%zu more in the JSON)\n", s->ft.n_features - a->top);
}

static rdx_status screen_compute(const roc_args *a, screen_data *s, rdx_error *err)
{
    s->rows = malloc((s->ft.n_features ? s->ft.n_features : 1) * sizeof *s->rows);
    if (!s->rows)
        return rdx_error_set(err, RDX_E_NOMEM, "screen: out of memory");
    rdx_boot_design design = {0};
    rdx_status st = RDX_OK;
    if (a->n_boot)
        st = rdx_boot_design_init(&design, s->labels, s->n, !a->plain, a->seed, err);
    if (st == RDX_OK)
        st = rdx_screen_on(s->x, s->n, s->ft.n_features, s->labels, a->direction, a->conf,
                           a->n_boot ? &design : NULL, a->n_boot, a->device, s->rows, err);
    rdx_boot_design_free(&design);
    return st;
}

static int run_screen(const roc_args *a)
{
    rdx_error err;
    screen_data s;
    memset(&s, 0, sizeof s);
    rdx_csv t;
    id_label *ol = NULL;
    const char *neg = NULL; /* a cell of t, which outlives its uses */
    rdx_status st = rdx_csv_read(a->outcomes, &t, &err);
    if (st != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    st = read_outcomes(a, &t, &ol, &neg, &err);
    if (st == RDX_OK)
        st = rdx_feature_matrix_read(a->store, &s.ft, &err);
    if (st == RDX_OK)
        st = match_cases(ol, t.n_rows, &s, &err);
    if (st == RDX_OK)
        st = check_classes(s.labels, s.n, a->store, a->truth, a->positive, &err);
    roc_args cpu;
    if (st == RDX_OK)
        st = screen_compute(a, &s, &err);
    if (cpu_instead(a, st, &err, &cpu)) {
        free(s.rows);
        a = &cpu;
        st = screen_compute(a, &s, &err);
    }
    int rc = RDX_EXIT_OK;
    if (st != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        rc = RDX_EXIT_INPUT;
    } else {
        print_screen(a, &s, neg);
        if (a->json)
            rc = write_screen_json(a, &s, neg);
    }
    free(ol);
    rdx_csv_free(&t);
    rdx_feature_matrix_free(&s.ft);
    free(s.x);
    free(s.labels);
    free(s.rows);
    return rc;
}

/* Resolve --device and say on stderr which one runs. */
static int select_device(roc_args *a)
{
    rdx_error err;
    if (rdx_device_parse(a->device_name, &a->device, &err) != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        return RDX_EXIT_USAGE;
    }
    a->device_auto = a->device == RDX_DEVICE_AUTO;
    if (rdx_device_select(a->device, &a->device, a->device_text, sizeof a->device_text, &err) != RDX_OK) {
        fprintf(stderr, "rdx roc: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    fprintf(stderr, "rdx roc: device %s\n", a->device_text);
    return RDX_EXIT_OK;
}

int rdx_cli_roc(int argc, char **argv)
{
    roc_args a;
    if (parse_args(argc, argv, &a) != 0)
        return RDX_EXIT_USAGE;
    int rc = select_device(&a);
    if (rc != RDX_EXIT_OK)
        return rc;
    if (a.threads > 0)
        omp_set_num_threads(a.threads);
    return a.store ? run_screen(&a) : run_csv(&a);
}
