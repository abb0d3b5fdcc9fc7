/* Extraction settings: defaults, YAML loading (libyaml document API) and the
 * canonical YAML text. See include/rdx/settings.h and
 * datasets/settings/example_all_options.yaml for the format.
 *
 * Scalars are resolved here, not by libyaml (which tags every scalar as a
 * string): numbers, integers, booleans and nulls must be plain (unquoted);
 * names may be plain or quoted. A null value ("key:", "~", "null") means the
 * key is absent, which lets the canonical text write every key. Type and
 * syntax errors are RDX_E_SETTINGS; well-typed values out of range are
 * RDX_E_INVALID (as rdx/error.h assigns them). */
#include "rdx/settings.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MIB 1048576.0
#define BIN_NUMBER_MAX 1000000
#define DEFAULT_MAX_MATRIX_BYTES ((size_t)2 << 30)
#define KEY_LEN 96
#define DEFAULT_MAX_EXACT_VOXELS 200000

static const char *const interp_names[] = {"nearest", "linear", "cubic_spline"}; /* by rdx_interp */
static const char *const disc_names[] = {"none", "fixed_bin_number",
                                         "fixed_bin_size"}; /* by rdx_disc_method */

/* Family i is the bit 1u << i of rdx_family_flag. */
static const char *const family_names[] = {
    "diagnostics", "intensity_statistics", "intensity_histogram", "intensity_volume_histogram",
    "local_intensity", "morphology", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm"};
#define N_FAMILIES (sizeof family_names / sizeof family_names[0])

static const char *const autocorr_names[] = {"exact", "auto", "off"}; /* by rdx_autocorrelation */

/* Aggregation i is the bit 1u << i of rdx_aggregation_flag. */
static const char *const aggregation_names[] = {"2D", "3D", "3D_directions"};
#define N_AGGREGATIONS (sizeof aggregation_names / sizeof aggregation_names[0])

void rdx_settings_default(rdx_settings *s)
{
    /* Zero is "off" for every optional step (no calibration, resampling,
     * range, outlier filter; discretisation and IVH method none, parameters
     * unset). memset also zeroes padding, so loaded settings compare with memcmp. */
    memset(s, 0, sizeof *s);
    s->label = -1; /* RDX_LABEL_ANY of rdx/io.h */
    s->resampling.image_interp = RDX_INTERP_LINEAR;
    s->resampling.mask_interp = RDX_INTERP_LINEAR;
    s->resampling.mask_threshold = 0.5;
    s->resegmentation.range[0] = -INFINITY;
    s->resegmentation.range[1] = INFINITY;
    s->ivh_use_reseg_range = 1;
    s->families = (1u << N_FAMILIES) - 1u;
    s->texture.aggregations = RDX_AGG_2D | RDX_AGG_3D;
    s->texture.glcm_distance = 1;
    s->texture.ngtdm_distance = 1;
    s->texture.ngldm_distance = 1;
    s->texture.ngldm_alpha = 0;
    s->texture.zone_linkage = 1;
    s->morphology.autocorrelation = RDX_AUTOCORR_AUTO;
    s->morphology.max_exact_voxels = DEFAULT_MAX_EXACT_VOXELS;
    s->max_matrix_bytes = DEFAULT_MAX_MATRIX_BYTES;
}

/* ------------------------------------------------------------------ loading */

typedef struct {
    const char *path;
    yaml_document_t *doc;
    rdx_error *err;
} yctx;

static unsigned long line_of(const yaml_node_t *n)
{
    return (unsigned long)n->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (!is_plain(n))
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(scalar(n), nulls[i]) == 0)
            return 1;
    return 0;
}

/* "got ..." part of error messages. */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    snprintf(buf, size, "'%.48s'", scalar(n));
    return buf;
}

static rdx_status bad_value(const yctx *c, rdx_status code, const yaml_node_t *n, const char *key,
                            const char *form)
{
    char got[64];
    return rdx_error_set(c->err, code, "%s:%lu: key '%s' expects %s, got %s", c->path, line_of(n), key, form,
                         describe(n, got, sizeof got));
}

static const yaml_node_t *node_at(const yctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

/* YAML float: [+-] (.inf | digits[.digits][e[+-]digits] | .digits[...]); NaN is refused. */
static int parse_yaml_float(const char *s, double *out)
{
    const char *p = s + (*s == '+' || *s == '-');
    if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return 1;
    }
    size_t digits = strspn(p, "0123456789");
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        digits += frac;
        p += 1 + frac;
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '+' || p[1] == '-');
        size_t exp = strspn(p, "0123456789");
        if (exp == 0)
            return 0;
        p += exp;
    }
    if (*p != '\0')
        return 0;
    errno = 0;
    *out = strtod(s, NULL);
    return errno != ERANGE || fabs(*out) < 1.0; /* underflow is fine, overflow is not */
}

/* A number, possibly .inf/-.inf; callers check the range they need. */
static rdx_status get_real(const yctx *c, const yaml_node_t *n, const char *key, const char *form,
                           double *out)
{
    if (!is_plain(n) || !parse_yaml_float(scalar(n), out))
        return bad_value(c, RDX_E_SETTINGS, n, key, form);
    return RDX_OK;
}

static rdx_status get_finite(const yctx *c, const yaml_node_t *n, const char *key, const char *form,
                             double *out)
{
    rdx_status st = get_real(c, n, key, form, out);
    if (st == RDX_OK && !isfinite(*out))
        return bad_value(c, RDX_E_INVALID, n, key, form);
    return st;
}

static rdx_status get_int(const yctx *c, const yaml_node_t *n, const char *key, const char *form, long lo,
                          long hi, int *out)
{
    const char *s = is_plain(n) ? scalar(n) : "";
    const char *p = s + (*s == '+' || *s == '-');
    if (*p == '\0' || p[strspn(p, "0123456789")] != '\0')
        return bad_value(c, RDX_E_SETTINGS, n, key, form);
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi)
        return bad_value(c, RDX_E_INVALID, n, key, form);
    *out = (int)v;
    return RDX_OK;
}

static rdx_status get_bool(const yctx *c, const yaml_node_t *n, const char *key, int *out)
{
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False", "FALSE"};
    for (int i = 0; is_plain(n) && i < 3; i++) {
        if (strcmp(scalar(n), t[i]) == 0 || strcmp(scalar(n), f[i]) == 0) {
            *out = strcmp(scalar(n), t[i]) == 0;
            return RDX_OK;
        }
    }
    return bad_value(c, RDX_E_SETTINGS, n, key, "true or false");
}

static void join_names(const char *const *names, size_t count, const char *sep, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", i ? sep : "", names[i]);
    }
}

/* One of names[0..count-1]; *idx receives its index. */
static rdx_status get_name(const yctx *c, const yaml_node_t *n, const char *key, const char *const *names,
                           size_t count, int *idx)
{
    for (size_t i = 0; n->type == YAML_SCALAR_NODE && i < count; i++) {
        if (strcmp(scalar(n), names[i]) == 0) {
            *idx = (int)i;
            return RDX_OK;
        }
    }
    char form[256];
    join_names(names, count, " | ", form, sizeof form);
    return bad_value(c, RDX_E_SETTINGS, n, key, form);
}

/* A list of min_n..max_n numbers (infinities allowed; callers check). */
static rdx_status get_real_list(const yctx *c, const yaml_node_t *n, const char *key, const char *form,
                                int min_n, int max_n, double *out, int *n_out)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return bad_value(c, RDX_E_SETTINGS, n, key, form);
    int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count < min_n || count > max_n)
        return rdx_error_set(c->err, RDX_E_SETTINGS, "%s:%lu: key '%s' expects %s, got a list of %d", c->path,
                             line_of(n), key, form, count);
    for (int i = 0; i < count; i++) {
        const yaml_node_t *item = node_at(c, n->data.sequence.items.start[i]);
        rdx_status st = get_real(c, item, key, form, &out[i]);
        if (st != RDX_OK)
            return st;
    }
    *n_out = count;
    return RDX_OK;
}

/* n must be a mapping whose keys are scalars from keys[], each at most once.
 * section: the mapping's key, NULL for the top level. */
static rdx_status check_mapping(const yctx *c, const yaml_node_t *n, const char *section,
                                const char *const *keys, size_t nkeys)
{
    if (n->type != YAML_MAPPING_NODE)
        return bad_value(c, RDX_E_SETTINGS, n, section ? section : "(top level)", "a mapping");
    char where[KEY_LEN + 8] = "";
    if (section)
        snprintf(where, sizeof where, " in '%s'", section);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(c, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return rdx_error_set(c->err, RDX_E_SETTINGS, "%s:%lu: keys%s must be names, got %s", c->path,
                                 line_of(k), where, k->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
        size_t i = 0;
        while (i < nkeys && strcmp(scalar(k), keys[i]) != 0)
            i++;
        if (i == nkeys) {
            char valid[512];
            join_names(keys, nkeys, ", ", valid, sizeof valid);
            return rdx_error_set(c->err, RDX_E_SETTINGS, "%s:%lu: unknown key '%s'%s (valid keys: %s)",
                                 c->path, line_of(k), scalar(k), where, valid);
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
            if (strcmp(scalar(node_at(c, q->key)), scalar(k)) == 0)
                return rdx_error_set(c->err, RDX_E_SETTINGS, "%s:%lu: duplicate key '%s'%s", c->path,
                                     line_of(k), scalar(k), where);
    }
    return RDX_OK;
}

/* Checks the mapping n, then calls fn(c, key, full key "section.key", value, arg)
 * for each non-null value (a null value is an absent key). */
typedef rdx_status (*entry_fn)(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                               void *arg);

static rdx_status walk_mapping(const yctx *c, const yaml_node_t *n, const char *section,
                               const char *const *keys, size_t nkeys, entry_fn fn, void *arg)
{
    rdx_status st = check_mapping(c, n, section, keys, nkeys);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; st == RDX_OK && p < n->data.mapping.pairs.top;
         p++) {
        const char *key = scalar(node_at(c, p->key));
        const yaml_node_t *v = node_at(c, p->value);
        char full[2 * KEY_LEN + 2]; /* section "." key */
        snprintf(full, sizeof full, "%s%s%s", section ? section : "", section ? "." : "", key);
        if (!is_null(v))
            st = fn(c, key, full, v, arg);
    }
    return st;
}

#define WALK(c, n, section, keys, fn, arg)                                                                   \
    walk_mapping(c, n, section, keys, sizeof keys / sizeof keys[0], fn, arg)

static rdx_status mask_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                             void *arg)
{
    (void)key; /* "label" is the only key */
    int *label = arg;
    if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "any") == 0) {
        *label = -1;
        return RDX_OK;
    }
    return get_int(c, v, full, "a non-negative integer label or \"any\"", 0, INT32_MAX, label);
}

typedef struct {
    double *upper, *coef; /* this piece's bound and c[3] */
    int has_below, has_coef;
} piece_arg;

static rdx_status piece_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                              void *arg)
{
    static const char form[] = "a list of 1 to 3 finite numbers [c0, c1, c2]";
    piece_arg *a = arg;
    if (strcmp(key, "below") == 0) {
        a->has_below = 1;
        return get_finite(c, v, full, "a finite number", a->upper);
    }
    double coef[3] = {0.0, 0.0, 0.0};
    int n = 0;
    rdx_status st = get_real_list(c, v, full, form, 1, 3, coef, &n);
    for (int i = 0; st == RDX_OK && i < n; i++)
        if (!isfinite(coef[i]))
            st = bad_value(c, RDX_E_INVALID, v, full, form);
    if (st == RDX_OK) {
        memcpy(a->coef, coef, sizeof coef);
        a->has_coef = 1;
    }
    return st;
}

static rdx_status parse_piece(const yctx *c, const yaml_node_t *piece, int p, int count, rdx_calibration *cal)
{
    static const char *const keys[] = {"below", "coefficients"};
    piece_arg a = {&cal->upper[p], cal->c[p], 0, 0};
    char section[KEY_LEN];
    snprintf(section, sizeof section, "calibration[%d]", p);
    rdx_status st = WALK(c, piece, section, keys, piece_entry, &a);
    if (st != RDX_OK)
        return st;
    if (!a.has_coef)
        return rdx_error_set(c->err, RDX_E_SETTINGS, "%s:%lu: '%s.coefficients' is required", c->path,
                             line_of(piece), section);
    if (a.has_below != (p < count - 1))
        return rdx_error_set(
            c->err, RDX_E_SETTINGS, "%s:%lu: '%s.below' %s", c->path, line_of(piece), section,
            a.has_below ? "must be absent in the last piece" : "is required in every piece but the last");
    if (p > 0 && a.has_below && !(cal->upper[p] > cal->upper[p - 1]))
        return rdx_error_set(c->err, RDX_E_INVALID,
                             "%s:%lu: '%s.below' (%g) must be greater than the previous piece's (%g)",
                             c->path, line_of(piece), section, cal->upper[p], cal->upper[p - 1]);
    return RDX_OK;
}

static rdx_status parse_calibration(const yctx *c, const yaml_node_t *n, rdx_calibration *cal)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return bad_value(c, RDX_E_SETTINGS, n, "calibration", "a list of pieces");
    int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > RDX_CALIB_MAX_PIECES)
        return rdx_error_set(c->err, RDX_E_INVALID,
                             "%s:%lu: key 'calibration' has %d pieces, at most %d allowed", c->path,
                             line_of(n), count, RDX_CALIB_MAX_PIECES);
    for (int p = 0; p < count; p++) {
        rdx_status st = parse_piece(c, node_at(c, n->data.sequence.items.start[p]), p, count, cal);
        if (st != RDX_OK)
            return st;
    }
    if (count > 0)
        cal->upper[count - 1] = INFINITY; /* the last piece covers everything above */
    cal->n_pieces = count;
    return RDX_OK;
}

typedef struct {
    rdx_resampling *r;
    const yaml_node_t *spacing; /* NULL when absent */
    int n_spacing;
} resampling_arg;

static rdx_status resampling_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                                   void *arg)
{
    resampling_arg *a = arg;
    rdx_resampling *r = a->r;
    int idx = 0;
    rdx_status st = RDX_OK;
    if (strcmp(key, "spacing") == 0) {
        a->spacing = v;
        st = get_real_list(c, v, full, "a list of 2 or 3 spacings in mm", 2, 3, r->spacing, &a->n_spacing);
    } else if (strcmp(key, "in_plane_only") == 0) {
        st = get_bool(c, v, full, &r->in_plane_only);
    } else if (strcmp(key, "image_interpolation") == 0) {
        st = get_name(c, v, full, interp_names, 3, &idx);
        r->image_interp = (rdx_interp)idx;
    } else if (strcmp(key, "mask_interpolation") == 0) {
        st = get_name(c, v, full, interp_names, 2, &idx); /* no cubic spline for masks */
        r->mask_interp = (rdx_interp)idx;
    } else if (strcmp(key, "mask_threshold") == 0) {
        st = get_real(c, v, full, "a number in (0, 1]", &r->mask_threshold);
        if (st == RDX_OK && !(r->mask_threshold > 0.0 && r->mask_threshold <= 1.0))
            st = bad_value(c, RDX_E_INVALID, v, full, "a number in (0, 1]");
    } else {
        st = get_bool(c, v, full, &r->round_intensities);
    }
    return st;
}

static rdx_status parse_resampling(const yctx *c, const yaml_node_t *n, rdx_resampling *r)
{
    static const char *const keys[] = {
        "spacing",        "in_plane_only",    "image_interpolation", "mask_interpolation",
        "mask_threshold", "round_intensities"};
    resampling_arg a = {r, NULL, 0};
    rdx_status st = WALK(c, n, "resampling", keys, resampling_entry, &a);
    if (st != RDX_OK || !a.spacing)
        return st;
    const char *form =
        r->in_plane_only ? "2 or 3 spacings > 0 (mm)" : "3 spacings > 0 (mm; 2 need in_plane_only)";
    if (a.n_spacing == 2 && !r->in_plane_only)
        return bad_value(c, RDX_E_INVALID, a.spacing, "resampling.spacing", form);
    for (int i = 0; i < a.n_spacing; i++)
        if (!(r->spacing[i] > 0.0 && isfinite(r->spacing[i])))
            return bad_value(c, RDX_E_INVALID, a.spacing, "resampling.spacing", form);
    if (r->in_plane_only)
        r->spacing[2] = 0.0; /* z keeps its native sampling (rdx_resample_grid) */
    r->enabled = 1;
    return RDX_OK;
}

static rdx_status reseg_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                              void *arg)
{
    rdx_resegmentation *r = arg;
    if (strcmp(key, "range") == 0) {
        static const char form[] = "[low, high] with low <= high (.inf / -.inf for open ends)";
        int n = 0;
        rdx_status st = get_real_list(c, v, full, form, 2, 2, r->range, &n);
        if (st == RDX_OK && !(r->range[0] <= r->range[1]))
            st = bad_value(c, RDX_E_INVALID, v, full, form);
        r->range_enabled = 1;
        return st;
    }
    rdx_status st =
        get_finite(c, v, full, "a number of standard deviations >= 0 (0 = off)", &r->outlier_sigma);
    if (st == RDX_OK && r->outlier_sigma < 0.0)
        st = bad_value(c, RDX_E_INVALID, v, full, "a number of standard deviations >= 0 (0 = off)");
    return st;
}

typedef struct {
    rdx_discretisation *d;
    int *use_reseg_range;      /* ivh only */
    const yaml_node_t *method; /* NULL when absent */
} disc_arg;

static rdx_status disc_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                             void *arg)
{
    disc_arg *a = arg;
    rdx_discretisation *d = a->d;
    rdx_status st = RDX_OK;
    if (strcmp(key, "method") == 0) {
        int idx = 0;
        a->method = v;
        st = get_name(c, v, full, disc_names, 3, &idx);
        d->method = (rdx_disc_method)idx;
    } else if (strcmp(key, "bin_width") == 0) {
        st = get_finite(c, v, full, "a bin width > 0", &d->bin_width);
        if (st == RDX_OK && !(d->bin_width > 0.0))
            st = bad_value(c, RDX_E_INVALID, v, full, "a bin width > 0");
    } else if (strcmp(key, "bin_number") == 0) {
        st = get_int(c, v, full, "an integer number of bins from 1 to 1000000", 1, BIN_NUMBER_MAX,
                     &d->bin_number);
    } else if (strcmp(key, "min") == 0) {
        st = get_finite(c, v, full, "a finite number", &d->min_value);
        d->min_set = 1;
    } else {
        st = get_bool(c, v, full, a->use_reseg_range);
    }
    return st;
}

/* "discretisation" and "ivh" share their keys; ivh adds use_resegmentation_range. */
static rdx_status parse_disc(const yctx *c, const yaml_node_t *n, const char *section, rdx_discretisation *d,
                             int *use_reseg_range)
{
    static const char *const keys[] = {"method", "bin_width", "bin_number", "min",
                                       "use_resegmentation_range"};
    disc_arg a = {d, use_reseg_range, NULL};
    rdx_status st = walk_mapping(c, n, section, keys, use_reseg_range ? 5 : 4, disc_entry, &a);
    if (st != RDX_OK || !a.method)
        return st;
    const char *need = d->method == RDX_DISC_FIXED_BIN_SIZE && d->bin_width == 0.0    ? "bin_width"
                       : d->method == RDX_DISC_FIXED_BIN_NUMBER && d->bin_number == 0 ? "bin_number"
                                                                                      : NULL;
    if (need)
        return rdx_error_set(c->err, RDX_E_SETTINGS, "%s:%lu: '%s.method' %s needs '%s.%s'", c->path,
                             line_of(a.method), section, disc_names[d->method], section, need);
    return RDX_OK;
}

/* A list of names[0..count-1] (repeats allowed); name i sets the bit 1u << i. */
static rdx_status parse_name_set(const yctx *c, const yaml_node_t *n, const char *key, const char *form,
                                 const char *const *names, size_t count, unsigned *bits)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return bad_value(c, RDX_E_SETTINGS, n, key, form);
    *bits = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        int idx = 0;
        rdx_status st = get_name(c, node_at(c, *it), key, names, count, &idx);
        if (st != RDX_OK)
            return st;
        *bits |= 1u << idx;
    }
    return RDX_OK;
}

static rdx_status texture_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                                void *arg)
{
    rdx_texture *t = arg;
    if (strcmp(key, "aggregation") == 0) {
        rdx_status st = parse_name_set(c, v, full, "a list of 2D, 3D and/or 3D_directions", aggregation_names,
                                       N_AGGREGATIONS, &t->aggregations);
        if (st == RDX_OK && t->aggregations == 0) /* texture families would compute nothing */
            st = rdx_error_set(c->err, RDX_E_INVALID, "%s:%lu: key '%s' needs at least one of 2D, 3D, 3D_directions",
                               c->path, line_of(v), full);
        return st;
    }
    if (strcmp(key, "ngldm_alpha") == 0)
        return get_int(c, v, full, "an integer >= 0", 0, INT32_MAX, &t->ngldm_alpha);
    int *field = strcmp(key, "glcm_distance") == 0    ? &t->glcm_distance
                 : strcmp(key, "ngtdm_distance") == 0 ? &t->ngtdm_distance
                 : strcmp(key, "ngldm_distance") == 0 ? &t->ngldm_distance
                                                      : &t->zone_linkage;
    return get_int(c, v, full, "an integer >= 1", 1, INT32_MAX, field);
}

static rdx_status morphology_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                                   void *arg)
{
    rdx_morphology_settings *m = arg;
    if (strcmp(key, "autocorrelation") == 0) {
        int idx = 0;
        rdx_status st = get_name(c, v, full, autocorr_names, 3, &idx);
        m->autocorrelation = (rdx_autocorrelation)idx;
        return st;
    }
    return get_int(c, v, full, "an integer number of voxels >= 2", 2, INT32_MAX, &m->max_exact_voxels);
}

static rdx_status parse_memory(const yctx *c, const yaml_node_t *v, const char *key, size_t *bytes)
{
    static const char form[] = "a positive number of MiB";
    double mb = 0.0;
    rdx_status st = get_finite(c, v, key, form, &mb);
    if (st == RDX_OK && !(mb * MIB >= 1.0 && mb * MIB < (double)SIZE_MAX))
        st = bad_value(c, RDX_E_INVALID, v, key, form);
    if (st == RDX_OK)
        *bytes = (size_t)(mb * MIB);
    return st;
}

static rdx_status root_entry(const yctx *c, const char *key, const char *full, const yaml_node_t *v,
                             void *arg)
{
    static const char *const mask_keys[] = {"label"};
    static const char *const reseg_keys[] = {"range", "outlier_sigma"};
    static const char *const texture_keys[] = {"aggregation",    "glcm_distance", "ngtdm_distance",
                                               "ngldm_distance", "ngldm_alpha",   "zone_linkage"};
    static const char *const morphology_keys[] = {"autocorrelation", "max_exact_voxels"};
    rdx_settings *s = arg;
    if (strcmp(key, "mask") == 0)
        return WALK(c, v, "mask", mask_keys, mask_entry, &s->label);
    if (strcmp(key, "calibration") == 0)
        return parse_calibration(c, v, &s->calibration);
    if (strcmp(key, "resampling") == 0)
        return parse_resampling(c, v, &s->resampling);
    if (strcmp(key, "resegmentation") == 0)
        return WALK(c, v, "resegmentation", reseg_keys, reseg_entry, &s->resegmentation);
    if (strcmp(key, "discretisation") == 0)
        return parse_disc(c, v, "discretisation", &s->discretisation, NULL);
    if (strcmp(key, "ivh") == 0)
        return parse_disc(c, v, "ivh", &s->ivh, &s->ivh_use_reseg_range);
    if (strcmp(key, "families") == 0)
        return parse_name_set(c, v, full, "a list of family names", family_names, N_FAMILIES, &s->families);
    if (strcmp(key, "texture") == 0)
        return WALK(c, v, "texture", texture_keys, texture_entry, &s->texture);
    if (strcmp(key, "morphology") == 0)
        return WALK(c, v, "morphology", morphology_keys, morphology_entry, &s->morphology);
    return parse_memory(c, v, full, &s->max_matrix_bytes);
}

static rdx_status syntax_error(const char *path, const yaml_parser_t *p, rdx_error *err)
{
    if (p->error == YAML_MEMORY_ERROR)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory while parsing settings", path);
    if (p->error == YAML_READER_ERROR)
        return rdx_error_set(err, RDX_E_SETTINGS, "%s: not a YAML text: %s (byte %zu)", path,
                             p->problem ? p->problem : "unreadable", p->problem_offset);
    return rdx_error_set(err, RDX_E_SETTINGS, "%s:%lu: invalid YAML: %s%s%s", path,
                         (unsigned long)p->problem_mark.line + 1, p->problem ? p->problem : "syntax error",
                         p->context ? ", " : "", p->context ? p->context : "");
}

/* Parses the first document into s; a second document is an error. */
static rdx_status parse_stream(const char *path, yaml_parser_t *parser, rdx_settings *s, rdx_error *err)
{
    yaml_document_t doc;
    if (!yaml_parser_load(parser, &doc))
        return syntax_error(path, parser, err);
    static const char *const keys[] = {"mask", "calibration", "resampling", "resegmentation",
                                       "discretisation", "ivh", "families", "texture",
                                       "morphology", "max_matrix_memory_mb"};
    yctx c = {path, &doc, err};
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    rdx_status st = RDX_OK;
    if (root && !is_null(root)) /* empty file: defaults */
        st = walk_mapping(&c, root, NULL, keys, sizeof keys / sizeof keys[0], root_entry, s);
    yaml_document_delete(&doc);
    if (st != RDX_OK)
        return st;
    if (!yaml_parser_load(parser, &doc))
        return syntax_error(path, parser, err);
    root = yaml_document_get_root_node(&doc);
    if (root && !is_null(root)) /* a trailing "---" is harmless */
        st = rdx_error_set(err, RDX_E_SETTINGS, "%s:%lu: a second YAML document; settings are one document",
                           path, line_of(root));
    yaml_document_delete(&doc);
    return st;
}

rdx_status rdx_settings_load(const char *path, rdx_settings *s, rdx_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rdx_error_set(err, RDX_E_IO, "%s: cannot open settings file: %s", path, strerror(errno));
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory while parsing settings", path);
    }
    yaml_parser_set_input_file(&parser, f);
    rdx_settings tmp; /* *s changes only on success */
    rdx_settings_default(&tmp);
    rdx_status st = parse_stream(path, &parser, &tmp, err);
    yaml_parser_delete(&parser);
    fclose(f);
    if (st == RDX_OK)
        memcpy(s, &tmp, sizeof tmp);
    return st;
}

/* ------------------------------------------------------------ canonical text */

typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < b->cap - b->len) {
        b->len += (size_t)n;
        return;
    }
    size_t cap = 2 * b->cap + (size_t)(n > 0 ? n : 0);
    char *p = realloc(b->p, cap);
    if (n < 0 || !p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Shortest %.Ng (N = 15..17) that reads back to v; YAML spellings for infinities. */
static const char *fmt_real(double v, char buf[32])
{
    if (isnan(v))
        return ".nan";
    if (isinf(v))
        return v < 0 ? "-.inf" : ".inf";
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

static void sb_real_list(strbuf *b, const double *v, int n)
{
    char buf[32];
    for (int i = 0; i < n; i++)
        sb_printf(b, "%s%s", i ? ", " : "[", fmt_real(v[i], buf));
    sb_printf(b, "]\n");
}

static void write_calibration(strbuf *b, const rdx_calibration *cal)
{
    char buf[32];
    sb_printf(b, "calibration:%s\n", cal->n_pieces ? "" : " []");
    for (int p = 0; p < cal->n_pieces; p++) {
        if (p < cal->n_pieces - 1)
            sb_printf(b, "  - below: %s\n    coefficients: ", fmt_real(cal->upper[p], buf));
        else
            sb_printf(b, "  - coefficients: ");
        sb_real_list(b, cal->c[p], 3);
    }
}

static void write_resampling(strbuf *b, const rdx_resampling *r)
{
    char buf[32];
    sb_printf(b, "resampling:\n  spacing: ");
    if (r->enabled)
        sb_real_list(b, r->spacing, r->in_plane_only ? 2 : 3);
    else
        sb_printf(b, "~\n");
    sb_printf(b, "  in_plane_only: %s\n", r->in_plane_only ? "true" : "false");
    sb_printf(b, "  image_interpolation: %s\n", interp_names[r->image_interp]);
    sb_printf(b, "  mask_interpolation: %s\n", interp_names[r->mask_interp]);
    sb_printf(b, "  mask_threshold: %s\n", fmt_real(r->mask_threshold, buf));
    sb_printf(b, "  round_intensities: %s\n", r->round_intensities ? "true" : "false");
}

static void write_resegmentation(strbuf *b, const rdx_resegmentation *r)
{
    char buf[32];
    sb_printf(b, "resegmentation:\n  range: ");
    if (r->range_enabled)
        sb_real_list(b, r->range, 2);
    else
        sb_printf(b, "~\n");
    sb_printf(b, "  outlier_sigma: %s\n", fmt_real(r->outlier_sigma, buf));
}

/* Unset parameters (0 / min_set 0) are written as nulls, which read back as absent. */
static void write_disc(strbuf *b, const char *section, const rdx_discretisation *d)
{
    char buf[32];
    sb_printf(b, "%s:\n  method: %s\n", section, disc_names[d->method]);
    sb_printf(b, "  bin_width: %s\n", d->bin_width > 0.0 ? fmt_real(d->bin_width, buf) : "~");
    if (d->bin_number > 0)
        sb_printf(b, "  bin_number: %d\n", d->bin_number);
    else
        sb_printf(b, "  bin_number: ~\n");
    sb_printf(b, "  min: %s\n", d->min_set ? fmt_real(d->min_value, buf) : "~");
}

/* Flow list of the names whose bits are set, then a newline. */
static void write_name_set(strbuf *b, const char *const *names, size_t count, unsigned bits)
{
    const char *sep = "";
    sb_printf(b, "[");
    for (size_t i = 0; i < count; i++) {
        if (bits & (1u << i)) {
            sb_printf(b, "%s%s", sep, names[i]);
            sep = ", ";
        }
    }
    sb_printf(b, "]\n");
}

static void write_texture(strbuf *b, const rdx_texture *t)
{
    sb_printf(b, "texture:\n  aggregation: ");
    write_name_set(b, aggregation_names, N_AGGREGATIONS, t->aggregations);
    sb_printf(b, "  glcm_distance: %d\n  ngtdm_distance: %d\n  ngldm_distance: %d\n", t->glcm_distance,
              t->ngtdm_distance, t->ngldm_distance);
    sb_printf(b, "  ngldm_alpha: %d\n  zone_linkage: %d\n", t->ngldm_alpha, t->zone_linkage);
}

char *rdx_settings_to_yaml(const rdx_settings *s)
{
    strbuf b = {malloc(1024), 0, 1024, 0};
    if (!b.p)
        return NULL;
    char buf[32];
    if (s->label < 0)
        sb_printf(&b, "mask:\n  label: any\n");
    else
        sb_printf(&b, "mask:\n  label: %d\n", s->label);
    write_calibration(&b, &s->calibration);
    write_resampling(&b, &s->resampling);
    write_resegmentation(&b, &s->resegmentation);
    write_disc(&b, "discretisation", &s->discretisation);
    write_disc(&b, "ivh", &s->ivh);
    sb_printf(&b, "  use_resegmentation_range: %s\n", s->ivh_use_reseg_range ? "true" : "false");
    sb_printf(&b, "families: ");
    write_name_set(&b, family_names, N_FAMILIES, s->families);
    write_texture(&b, &s->texture);
    sb_printf(&b, "morphology:\n  autocorrelation: %s\n  max_exact_voxels: %d\n",
              autocorr_names[s->morphology.autocorrelation], s->morphology.max_exact_voxels);
    sb_printf(&b, "max_matrix_memory_mb: %s\n", fmt_real((double)s->max_matrix_bytes / MIB, buf));
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
