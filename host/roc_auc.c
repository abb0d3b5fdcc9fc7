/* Score columns, Mann-Whitney AUC, placements and the ROC curve: see rdx/roc.h. */
#include "rdx/roc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double key; /* score, negated for RDX_ROC_LOWER so the walk is ascending */
    uint32_t idx;
} sort_item;

static int sort_item_cmp(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    /* Index as second key: a deterministic order whatever qsort does with ties. */
    return (a->idx > b->idx) - (a->idx < b->idx);
}

void rdx_roc_column_free(rdx_roc_column *c)
{
    if (!c)
        return;
    free(c->order);
    free(c->pos_sorted);
    free(c->group_start);
    free(c->values);
    memset(c, 0, sizeof *c);
}

/* Keep the studies the NaN policy admits, with their sort keys. */
static rdx_status collect_items(const double *scores, const uint8_t *labels, size_t n,
                                rdx_roc_direction dir, rdx_nan_policy nan_policy,
                                sort_item *items, size_t *n_used, rdx_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] > 1)
            return rdx_error_set(err, RDX_E_INVALID, "roc: study %zu has label %u (must be 0 or 1)",
                                 i, (unsigned)labels[i]);
        if (isnan(scores[i])) {
            if (nan_policy == RDX_NAN_ERROR)
                return rdx_error_set(err, RDX_E_INVALID, "roc: score of study %zu is NaN", i);
            continue;
        }
        items[m].key = dir == RDX_ROC_LOWER ? -scores[i] : scores[i];
        items[m].idx = (uint32_t)i;
        m++;
    }
    *n_used = m;
    return RDX_OK;
}

/* Fill order, labels and groups from the sorted items. */
static void fill_groups(rdx_roc_column *c, const sort_item *items, const double *scores,
                        const uint8_t *labels)
{
    size_t g = 0;
    for (size_t k = 0; k < c->n_used; k++) {
        uint32_t i = items[k].idx;
        c->order[k] = i;
        c->pos_sorted[k] = labels[i];
        if (labels[i])
            c->n_pos++;
        else
            c->n_neg++;
        if (k == 0 || items[k].key != items[k - 1].key) {
            c->group_start[g] = (uint32_t)k;
            c->values[g] = scores[i];
            g++;
        }
    }
    c->n_groups = g;
    c->group_start[g] = (uint32_t)c->n_used;
}

rdx_status rdx_roc_column_init(rdx_roc_column *c, const double *scores, const uint8_t *labels,
                               size_t n, rdx_roc_direction dir, rdx_nan_policy nan_policy,
                               rdx_error *err)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->direction = dir;
    if (n >= UINT32_MAX)
        return rdx_error_set(err, RDX_E_INVALID, "roc: %zu studies (at most %u)", n,
                             (unsigned)UINT32_MAX - 1);
    sort_item *items = malloc((n ? n : 1) * sizeof *items);
    if (!items)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: cannot allocate a column of %zu studies", n);
    rdx_status st = collect_items(scores, labels, n, dir, nan_policy, items, &c->n_used, err);
    if (st != RDX_OK) {
        free(items);
        return st;
    }
    size_t m = c->n_used ? c->n_used : 1;
    c->order = malloc(m * sizeof *c->order);
    c->pos_sorted = malloc(m);
    c->group_start = malloc((m + 1) * sizeof *c->group_start);
    c->values = malloc(m * sizeof *c->values);
    if (!c->order || !c->pos_sorted || !c->group_start || !c->values) {
        free(items);
        rdx_roc_column_free(c);
        return rdx_error_set(err, RDX_E_NOMEM, "roc: cannot allocate a column of %zu studies", n);
    }
    qsort(items, c->n_used, sizeof *items, sort_item_cmp);
    fill_groups(c, items, scores, labels);
    free(items);
    if (c->n_pos == 0 || c->n_neg == 0) {
        int no_pos = c->n_pos == 0;
        rdx_roc_column_free(c);
        return rdx_error_set(err, RDX_E_INVALID, "roc: no %s studies", no_pos ? "positive" : "negative");
    }
    return RDX_OK;
}

/* Weighted negatives and positives of group g (count NULL: weight 1). */
static inline void group_sums(const rdx_roc_column *c, const uint32_t *count, size_t g,
                              uint64_t *gn, uint64_t *gp)
{
    uint64_t n_w = 0, p_w = 0;
    for (uint32_t k = c->group_start[g]; k < c->group_start[g + 1]; k++) {
        uint64_t w = count ? count[c->order[k]] : 1;
        uint64_t is_pos = c->pos_sorted[k];
        p_w += w * is_pos;
        n_w += w * (1 - is_pos);
    }
    *gn = n_w;
    *gp = p_w;
}

void rdx_roc_group_weights(const rdx_roc_column *c, const uint32_t *count, uint64_t *g_neg,
                           uint64_t *g_pos)
{
    for (size_t g = 0; g < c->n_groups; g++)
        group_sums(c, count, g, &g_neg[g], &g_pos[g]);
}

uint64_t rdx_roc_u2(const rdx_roc_column *c, const uint32_t *count, uint64_t *n_neg,
                    uint64_t *n_pos)
{
    uint64_t u2 = 0, below = 0, pos_total = 0;
    for (size_t g = 0; g < c->n_groups; g++) {
        uint64_t gn, gp;
        group_sums(c, count, g, &gn, &gp);
        u2 += gp * (2 * below + gn);
        below += gn;
        pos_total += gp;
    }
    *n_neg = below;
    *n_pos = pos_total;
    return u2;
}

double rdx_roc_auc_from_u2(uint64_t u2, uint64_t n_neg, uint64_t n_pos)
{
    if (n_neg == 0 || n_pos == 0)
        return NAN;
    return (double)u2 / (2.0 * (double)n_neg * (double)n_pos);
}

double rdx_roc_auc(const rdx_roc_column *c)
{
    uint64_t nn, np;
    uint64_t u2 = rdx_roc_u2(c, NULL, &nn, &np);
    return rdx_roc_auc_from_u2(u2, nn, np);
}

void rdx_roc_placements(const rdx_roc_column *c, uint64_t *place)
{
    memset(place, 0, c->n * sizeof *place);
    uint64_t neg_before = 0, pos_before = 0;
    for (size_t g = 0; g < c->n_groups; g++) {
        uint64_t gn, gp;
        group_sums(c, NULL, g, &gn, &gp);
        uint64_t pos_after = c->n_pos - pos_before - gp;
        for (uint32_t k = c->group_start[g]; k < c->group_start[g + 1]; k++)
            place[c->order[k]] = c->pos_sorted[k] ? 2 * neg_before + gn : 2 * pos_after + gp;
        neg_before += gn;
        pos_before += gp;
    }
}

rdx_status rdx_roc_auc_jackknife(const rdx_roc_column *c, double *jack, rdx_error *err)
{
    uint64_t *place = malloc((c->n ? c->n : 1) * sizeof *place);
    if (!place)
        return rdx_error_set(err, RDX_E_NOMEM, "roc: cannot allocate jackknife placements");
    rdx_roc_placements(c, place);
    uint64_t nn, np;
    uint64_t u2 = rdx_roc_u2(c, NULL, &nn, &np);
    for (size_t i = 0; i < c->n; i++)
        jack[i] = NAN;
    for (size_t k = 0; k < c->n_used; k++) {
        uint32_t i = c->order[k];
        /* Leaving study i out removes its placement from U2 and one study from its class. */
        jack[i] = c->pos_sorted[k] ? rdx_roc_auc_from_u2(u2 - place[i], nn, np - 1)
                                   : rdx_roc_auc_from_u2(u2 - place[i], nn - 1, np);
    }
    free(place);
    return RDX_OK;
}

double rdx_roc_midpoint(double lo_side, double hi_side)
{
    double mid = (lo_side + hi_side) / 2;
    if (fabs(mid) > 1e100)
        mid = lo_side / 2 + hi_side / 2;
    /* Adjacent doubles: the midpoint rounds onto one of them; it must not equal
     * the earlier score, which is test-negative at this point. */
    if (mid == lo_side)
        mid = hi_side;
    return mid;
}

void rdx_roc_curve_free(rdx_roc_curve *cv)
{
    if (!cv)
        return;
    free(cv->threshold);
    free(cv->tp);
    free(cv->fp);
    memset(cv, 0, sizeof *cv);
}

rdx_status rdx_roc_curve_compute(const rdx_roc_column *c, rdx_roc_curve *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    size_t np = c->n_groups + 1;
    out->threshold = malloc(np * sizeof *out->threshold);
    out->tp = malloc(np * sizeof *out->tp);
    out->fp = malloc(np * sizeof *out->fp);
    if (!out->threshold || !out->tp || !out->fp) {
        rdx_roc_curve_free(out);
        return rdx_error_set(err, RDX_E_NOMEM, "roc: cannot allocate a curve of %zu points", np);
    }
    out->n_points = np;
    out->n_pos = c->n_pos;
    out->n_neg = c->n_neg;
    /* Group counts, then in place the sums from each point to the end. */
    rdx_roc_group_weights(c, NULL, out->fp, out->tp);
    out->tp[c->n_groups] = 0;
    out->fp[c->n_groups] = 0;
    double inf = c->direction == RDX_ROC_LOWER ? INFINITY : -INFINITY;
    for (size_t k = c->n_groups; k-- > 0;) {
        out->tp[k] += out->tp[k + 1];
        out->fp[k] += out->fp[k + 1];
        out->threshold[k] = k == 0 ? inf : rdx_roc_midpoint(c->values[k - 1], c->values[k]);
    }
    out->threshold[c->n_groups] = -inf;
    return RDX_OK;
}
