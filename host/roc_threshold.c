/* Operating thresholds (Youden, maximal NPV / PPV under constraints, fixed) on
 * weighted group counts, so the same code serves the sample, bootstrap
 * replicates and jackknife samples: see rdx/roc.h. */
#include "rdx/roc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Is a better than b under the rule? Exact integer comparisons: the ratios'
 * cross products stay below 2^64 because every total is below 2^32. Equal
 * criterion: the higher Youden J (tp N + tn P) wins; equal J: neither, so the
 * earlier point, which has the higher sensitivity, is kept. */
static inline int better(rdx_thr_rule rule, const rdx_confusion *a, const rdx_confusion *b,
                         uint64_t P, uint64_t N)
{
    uint64_t lhs = 0, rhs = 0;
    if (rule == RDX_THR_MAX_NPV) {
        lhs = a->tn * (b->tn + b->fn);
        rhs = b->tn * (a->tn + a->fn);
    } else if (rule == RDX_THR_MAX_PPV) {
        lhs = a->tp * (b->tp + b->fp);
        rhs = b->tp * (a->tp + a->fp);
    }
    if (lhs != rhs)
        return lhs > rhs;
    return a->tp * N + a->tn * P > b->tp * N + b->tn * P;
}

/* Smallest count x in 0..total with (double)x / total >= min (total + 1 if
 * none): the constraint Se >= min_se as an integer bound, exactly as the
 * double comparison decides it (x / total is monotonic in x). */
static uint64_t min_count(double min, uint64_t total)
{
    if (!(min > 0))
        return 0;
    double guess = ceil(min * (double)total);
    uint64_t x = guess > (double)total ? total + 1 : (uint64_t)guess;
    while (x > 0 && (double)(x - 1) / (double)total >= min)
        x--;
    while (x <= total && (double)x / (double)total < min)
        x++;
    return x;
}

#define NO_GROUP SIZE_MAX

/* The best point so far: its table and the present groups on either side of
 * its threshold (NO_GROUP at the infinite ends); the threshold itself is
 * computed once at the end. */
typedef struct {
    int found;
    rdx_confusion t;
    size_t before, after;
} best_point;

/* The search over the points of the present groups. Always inlined so that
 * each call with a constant rule becomes a loop without rule branches (the
 * bootstrap runs it for every replicate). */
static inline __attribute__((always_inline)) void
search(const rdx_roc_column *c, const uint64_t *gn, const uint64_t *gp, rdx_thr_rule rule,
       uint64_t P, uint64_t N, uint64_t min_tp, uint64_t min_tn, best_point *best)
{
    /* Point before each present group (that group and the later ones test
     * positive), then the point where nothing tests positive. */
    rdx_confusion t = {P, 0, N, 0};
    size_t prev = NO_GROUP; /* the last present group */
    for (size_t g = 0; g <= c->n_groups; g++) {
        if (g < c->n_groups && gn[g] + gp[g] == 0)
            continue; /* absent from this sample: no threshold next to it */
        size_t after = g < c->n_groups ? g : NO_GROUP;
        int defined = rule == RDX_THR_MAX_NPV   ? t.tn + t.fn > 0
                      : rule == RDX_THR_MAX_PPV ? t.tp + t.fp > 0
                                                : 1;
        if (defined && t.tp >= min_tp && t.tn >= min_tn &&
            (!best->found || better(rule, &t, &best->t, P, N)))
            *best = (best_point){1, t, prev, after};
        if (after == NO_GROUP)
            break;
        t.tp -= gp[g];
        t.fn += gp[g];
        t.fp -= gn[g];
        t.tn += gn[g];
        prev = g;
    }
}

static int test_positive(rdx_roc_direction dir, double value, double threshold)
{
    return dir == RDX_ROC_LOWER ? value <= threshold : value >= threshold;
}

static void fixed_point(const rdx_roc_column *c, const uint64_t *gn, const uint64_t *gp,
                        double threshold, rdx_operating_point *out)
{
    rdx_confusion t = {0, 0, 0, 0};
    for (size_t g = 0; g < c->n_groups; g++) {
        if (test_positive(c->direction, c->values[g], threshold)) {
            t.tp += gp[g];
            t.fp += gn[g];
        } else {
            t.fn += gp[g];
            t.tn += gn[g];
        }
    }
    out->found = 1;
    out->threshold = threshold;
    out->table = t;
}

void rdx_operating_point_groups(const rdx_roc_column *c, const uint64_t *gn, const uint64_t *gp,
                                const rdx_thr_spec *spec, rdx_operating_point *out)
{
    out->found = 0;
    out->threshold = NAN;
    out->table = (rdx_confusion){0, 0, 0, 0};
    if (spec->rule == RDX_THR_FIXED) {
        fixed_point(c, gn, gp, spec->fixed, out);
        return;
    }
    uint64_t P = 0, N = 0;
    for (size_t g = 0; g < c->n_groups; g++) {
        P += gp[g];
        N += gn[g];
    }
    if (P == 0 || N == 0)
        return;
    best_point best = {0, {0, 0, 0, 0}, NO_GROUP, NO_GROUP};
    uint64_t min_tp = min_count(spec->min_se, P), min_tn = min_count(spec->min_sp, N);
    if (spec->rule == RDX_THR_MAX_NPV)
        search(c, gn, gp, RDX_THR_MAX_NPV, P, N, min_tp, min_tn, &best);
    else if (spec->rule == RDX_THR_MAX_PPV)
        search(c, gn, gp, RDX_THR_MAX_PPV, P, N, min_tp, min_tn, &best);
    else
        search(c, gn, gp, RDX_THR_YOUDEN, P, N, min_tp, min_tn, &best);
    if (!best.found)
        return;
    double all_positive = c->direction == RDX_ROC_LOWER ? INFINITY : -INFINITY;
    out->found = 1;
    out->table = best.t;
    if (best.before == NO_GROUP)
        out->threshold = all_positive;
    else if (best.after == NO_GROUP)
        out->threshold = -all_positive;
    else
        out->threshold = rdx_roc_midpoint(c->values[best.before], c->values[best.after]);
}

void rdx_operating_point_weighted(const rdx_roc_column *c, const uint32_t *count,
                                  const rdx_thr_spec *spec, uint64_t *scratch,
                                  rdx_operating_point *out)
{
    uint64_t *gn = scratch, *gp = scratch + c->n_groups;
    rdx_roc_group_weights(c, count, gn, gp);
    rdx_operating_point_groups(c, gn, gp, spec, out);
}

rdx_status rdx_operating_point_find(const rdx_roc_column *c, const rdx_thr_spec *spec,
                                    rdx_operating_point *out, rdx_error *err)
{
    uint64_t *scratch = malloc(2 * (c->n_groups ? c->n_groups : 1) * sizeof *scratch);
    if (!scratch)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: cannot allocate threshold scratch");
    rdx_operating_point_weighted(c, NULL, spec, scratch, out);
    free(scratch);
    return RDX_OK;
}

rdx_status rdx_operating_point_jackknife(const rdx_roc_column *c, const rdx_thr_spec *spec,
                                         rdx_operating_point *out, rdx_error *err)
{
    uint64_t *scratch = malloc(2 * (c->n_groups ? c->n_groups : 1) * sizeof *scratch);
    uint32_t *count = malloc((c->n ? c->n : 1) * sizeof *count);
    if (!scratch || !count) {
        free(scratch);
        free(count);
        return rdx_error_set(err, RDX_E_NOMEM, "roc: cannot allocate jackknife scratch");
    }
    for (size_t i = 0; i < c->n; i++) {
        count[i] = 1;
        out[i].found = 0;
        out[i].threshold = NAN;
    }
    for (size_t k = 0; k < c->n_used; k++) {
        uint32_t i = c->order[k];
        count[i] = 0;
        rdx_operating_point_weighted(c, count, spec, scratch, &out[i]);
        count[i] = 1;
    }
    free(scratch);
    free(count);
    return RDX_OK;
}
