/* Settings: defaults, the shipped IBSI configuration files (checked against
 * the IBSI-1 configuration table, ibsi1/reference/configurations.csv, written
 * out by hand below), the canonical-text round trip, and load errors. */
#include "rdx/settings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define ALL_FAMILIES                                                                                  \
    (RDX_FAMILY_DIAG | RDX_FAMILY_STAT | RDX_FAMILY_IH | RDX_FAMILY_IVH | RDX_FAMILY_LOC |             \
     RDX_FAMILY_MORPH | RDX_FAMILY_GLCM | RDX_FAMILY_GLRLM | RDX_FAMILY_GLSZM | RDX_FAMILY_GLDZM |     \
     RDX_FAMILY_NGTDM | RDX_FAMILY_NGLDM)

static char scratch_dir[512];

static const char *src_dir(void)
{
    const char *d = getenv("RDX_SOURCE_DIR");
    return d ? d : ".";
}

/* Writes text (len bytes) to a scratch file named name; returns its path in a static buffer. */
static const char *write_scratch(const char *name, const char *text, size_t len)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_scratch(name, text, strlen(text));
}

static void remove_scratch(void)
{
    static const char *const names[] = {"round_trip.yaml", "odd.yaml", "bad.yaml", "empty.yaml"};
    char path[1024];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", scratch_dir, names[i]);
        remove(path);
    }
    rmdir(scratch_dir);
}

/* Field by field, so struct padding does not matter. */
static int same_settings(const rdx_settings *a, const rdx_settings *b)
{
#define SAME(f) (memcmp(&a->f, &b->f, sizeof a->f) == 0)
    return SAME(label) && SAME(calibration.n_pieces) && SAME(calibration.upper) && SAME(calibration.c) &&
           SAME(resampling.enabled) && SAME(resampling.in_plane_only) && SAME(resampling.spacing) &&
           SAME(resampling.image_interp) && SAME(resampling.mask_interp) && SAME(resampling.mask_threshold) &&
           SAME(resampling.round_intensities) && SAME(resegmentation.range_enabled) &&
           SAME(resegmentation.range) && SAME(resegmentation.outlier_sigma) && SAME(discretisation.method) &&
           SAME(discretisation.bin_number) && SAME(discretisation.bin_width) &&
           SAME(discretisation.min_set) && SAME(discretisation.min_value) && SAME(ivh.method) &&
           SAME(ivh.bin_number) && SAME(ivh.bin_width) && SAME(ivh.min_set) && SAME(ivh.min_value) &&
           SAME(ivh_use_reseg_range) && SAME(families) && SAME(texture.aggregations) &&
           SAME(texture.glcm_distance) && SAME(texture.ngtdm_distance) && SAME(texture.ngldm_distance) &&
           SAME(texture.ngldm_alpha) && SAME(texture.zone_linkage) && SAME(morphology.autocorrelation) &&
           SAME(morphology.max_exact_voxels) && SAME(max_matrix_bytes);
#undef SAME
}

static void test_defaults(void)
{
    rdx_settings s;
    memset(&s, 0x5a, sizeof s);
    rdx_settings_default(&s);
    CHECK(s.label == -1, "label %d", s.label);
    CHECK(s.calibration.n_pieces == 0, "calibration %d", s.calibration.n_pieces);
    CHECK(s.resampling.enabled == 0 && s.resampling.in_plane_only == 0, "resampling on");
    CHECK(s.resampling.image_interp == RDX_INTERP_LINEAR && s.resampling.mask_interp == RDX_INTERP_LINEAR,
          "interp %d %d", s.resampling.image_interp, s.resampling.mask_interp);
    CHECK(s.resampling.mask_threshold == 0.5 && s.resampling.round_intensities == 0, "threshold/rounding");
    CHECK(s.resegmentation.range_enabled == 0, "range on");
    CHECK(s.resegmentation.range[0] == -INFINITY && s.resegmentation.range[1] == INFINITY, "range ends");
    CHECK(s.resegmentation.outlier_sigma == 0.0, "outliers on");
    CHECK(s.discretisation.method == RDX_DISC_NONE && s.discretisation.min_set == 0, "discretisation");
    CHECK(s.ivh.method == RDX_DISC_NONE && s.ivh.min_set == 0 && s.ivh_use_reseg_range == 1, "ivh");
    CHECK(s.families == 0xfffu, "families %#x", s.families); /* twelve flags, bits 0..11 */
    CHECK(s.texture.aggregations == 3u, "aggregations %#x", s.texture.aggregations); /* 2D | 3D */
    CHECK(s.texture.glcm_distance == 1 && s.texture.ngtdm_distance == 1 && s.texture.ngldm_distance == 1,
          "distances %d %d %d", s.texture.glcm_distance, s.texture.ngtdm_distance, s.texture.ngldm_distance);
    CHECK(s.texture.ngldm_alpha == 0 && s.texture.zone_linkage == 1, "alpha %d, linkage %d",
          s.texture.ngldm_alpha, s.texture.zone_linkage);
    CHECK(s.morphology.autocorrelation == RDX_AUTOCORR_AUTO && s.morphology.max_exact_voxels == 200000,
          "autocorrelation %d, limit %d", s.morphology.autocorrelation, s.morphology.max_exact_voxels);
    CHECK(s.max_matrix_bytes == (size_t)2147483648u, "max bytes %zu", s.max_matrix_bytes); /* 2 GiB */
}

/* What configurations.csv says for each configuration. */
typedef struct {
    const char *file;
    int resample, in_plane;
    double spacing[3];
    rdx_interp image_interp;
    int round;
    int range_enabled;
    double range[2], sigma;
    rdx_disc_method disc;
    int bin_number;
    double bin_width;
    rdx_disc_method ivh;
    int ivh_bins;
    double ivh_width;
    int ivh_min_set;
    double ivh_min;
    int ivh_reseg;
    unsigned aggregations; /* from aggregation_dims; every row has distances 1, linkage 1, alpha 0 */
} ibsi_config;

/* Fields not named are 0 (off / none / unset). */
// clang-format off
static const ibsi_config configs[] = {
    /* digital phantom: no interpolation, no re-segmentation, no discretisation, IVH as is (ROI range) */
    {.file = "ibsi_digital_phantom.yaml", .image_interp = RDX_INTERP_LINEAR, .range = {-INFINITY, INFINITY},
     .disc = RDX_DISC_NONE, .ivh = RDX_DISC_NONE, .ivh_reseg = 0, .aggregations = RDX_AGG_2D | RDX_AGG_3D},
    /* A: no interpolation, [-500, 400], FBS 25, IVH discrete over the re-segmentation range */
    {.file = "ibsi_config_A.yaml", .image_interp = RDX_INTERP_LINEAR, .range_enabled = 1,
     .range = {-500, 400}, .disc = RDX_DISC_FIXED_BIN_SIZE, .bin_width = 25, .ivh = RDX_DISC_NONE,
     .ivh_reseg = 1, .aggregations = RDX_AGG_2D},
    /* B: in-plane 2 x 2 bilinear + rounding, [-500, 400], FBN 32, IVH discrete over the range */
    {.file = "ibsi_config_B.yaml", .resample = 1, .in_plane = 1, .spacing = {2, 2, 0},
     .image_interp = RDX_INTERP_LINEAR, .round = 1, .range_enabled = 1, .range = {-500, 400},
     .disc = RDX_DISC_FIXED_BIN_NUMBER, .bin_number = 32, .ivh = RDX_DISC_NONE, .ivh_reseg = 1,
     .aggregations = RDX_AGG_2D},
    /* C: 2 x 2 x 2 trilinear + rounding, [-1000, 400], FBS 25, IVH FBS 2.5 from -1000 over the range */
    {.file = "ibsi_config_C.yaml", .resample = 1, .spacing = {2, 2, 2}, .image_interp = RDX_INTERP_LINEAR,
     .round = 1, .range_enabled = 1, .range = {-1000, 400}, .disc = RDX_DISC_FIXED_BIN_SIZE, .bin_width = 25,
     .ivh = RDX_DISC_FIXED_BIN_SIZE, .ivh_width = 2.5, .ivh_min_set = 1, .ivh_min = -1000, .ivh_reseg = 1,
     .aggregations = RDX_AGG_3D},
    /* D: 2 x 2 x 2 trilinear + rounding, no range, 3 sigma, FBN 32, IVH discrete over the ROI range */
    {.file = "ibsi_config_D.yaml", .resample = 1, .spacing = {2, 2, 2}, .image_interp = RDX_INTERP_LINEAR,
     .round = 1, .range = {-INFINITY, INFINITY}, .sigma = 3, .disc = RDX_DISC_FIXED_BIN_NUMBER,
     .bin_number = 32, .ivh = RDX_DISC_NONE, .ivh_reseg = 0, .aggregations = RDX_AGG_3D},
    /* E: 2 x 2 x 2 tricubic spline + rounding, [-1000, 400] and 3 sigma, FBN 32, IVH FBN 1000 (ROI range) */
    {.file = "ibsi_config_E.yaml", .resample = 1, .spacing = {2, 2, 2},
     .image_interp = RDX_INTERP_CUBIC_SPLINE, .round = 1, .range_enabled = 1, .range = {-1000, 400},
     .sigma = 3, .disc = RDX_DISC_FIXED_BIN_NUMBER, .bin_number = 32, .ivh = RDX_DISC_FIXED_BIN_NUMBER,
     .ivh_bins = 1000, .ivh_reseg = 0, .aggregations = RDX_AGG_3D},
};
// clang-format on

static int load_shipped(const char *file, rdx_settings *s)
{
    char path[1024];
    rdx_error err;
    rdx_error_clear(&err);
    snprintf(path, sizeof path, "%s/datasets/settings/%s", src_dir(), file);
    rdx_status st = rdx_settings_load(path, s, &err);
    CHECK(st == RDX_OK, "%s: %s", file, err.msg);
    return st == RDX_OK;
}

static void check_config(const ibsi_config *e)
{
    rdx_settings s;
    if (!load_shipped(e->file, &s))
        return;
    const char *f = e->file;
    CHECK(s.label == -1 && s.calibration.n_pieces == 0, "%s: label %d, calibration %d", f, s.label,
          s.calibration.n_pieces);
    CHECK(s.resampling.enabled == e->resample && s.resampling.in_plane_only == e->in_plane, "%s: resampling",
          f);
    CHECK(memcmp(s.resampling.spacing, e->spacing, sizeof e->spacing) == 0, "%s: spacing %g %g %g", f,
          s.resampling.spacing[0], s.resampling.spacing[1], s.resampling.spacing[2]);
    CHECK(s.resampling.image_interp == e->image_interp, "%s: image interp %d", f, s.resampling.image_interp);
    CHECK(s.resampling.mask_interp == RDX_INTERP_LINEAR && s.resampling.mask_threshold == 0.5, "%s: mask", f);
    CHECK(s.resampling.round_intensities == e->round, "%s: rounding", f);
    CHECK(s.resegmentation.range_enabled == e->range_enabled && s.resegmentation.range[0] == e->range[0] &&
              s.resegmentation.range[1] == e->range[1],
          "%s: range %d [%g, %g]", f, s.resegmentation.range_enabled, s.resegmentation.range[0],
          s.resegmentation.range[1]);
    CHECK(s.resegmentation.outlier_sigma == e->sigma, "%s: sigma %g", f, s.resegmentation.outlier_sigma);
    CHECK(s.discretisation.method == e->disc && s.discretisation.bin_number == e->bin_number &&
              s.discretisation.bin_width == e->bin_width && s.discretisation.min_set == 0,
          "%s: discretisation %d %d %g", f, s.discretisation.method, s.discretisation.bin_number,
          s.discretisation.bin_width);
    CHECK(s.ivh.method == e->ivh && s.ivh.bin_number == e->ivh_bins && s.ivh.bin_width == e->ivh_width &&
              s.ivh.min_set == e->ivh_min_set && s.ivh.min_value == e->ivh_min,
          "%s: ivh %d %d %g %d %g", f, s.ivh.method, s.ivh.bin_number, s.ivh.bin_width, s.ivh.min_set,
          s.ivh.min_value);
    CHECK(s.ivh_use_reseg_range == e->ivh_reseg, "%s: ivh range %d", f, s.ivh_use_reseg_range);
    CHECK(s.families == ALL_FAMILIES && s.max_matrix_bytes == (size_t)2048 << 20, "%s: families %#x, memory",
          f, s.families);
    const rdx_texture *t = &s.texture;
    CHECK(t->aggregations == e->aggregations, "%s: aggregations %#x", f, t->aggregations);
    CHECK(t->glcm_distance == 1 && t->ngtdm_distance == 1 && t->ngldm_distance == 1 && t->zone_linkage == 1 &&
              t->ngldm_alpha == 0,
          "%s: texture %d %d %d %d %d", f, t->glcm_distance, t->ngtdm_distance, t->ngldm_distance,
          t->zone_linkage, t->ngldm_alpha);
    CHECK(s.morphology.autocorrelation == RDX_AUTOCORR_AUTO && s.morphology.max_exact_voxels == 200000,
          "%s: autocorrelation %d %d", f, s.morphology.autocorrelation, s.morphology.max_exact_voxels);
}

static void test_example_file(void)
{
    rdx_settings s;
    if (!load_shipped("example_all_options.yaml", &s))
        return;
    const rdx_calibration *c = &s.calibration;
    CHECK(s.label == 1, "label %d", s.label);
    CHECK(c->n_pieces == 2 && c->upper[0] == 0.0 && c->upper[1] == INFINITY, "pieces %d", c->n_pieces);
    CHECK(c->c[0][0] == -164 && c->c[0][1] == 0.819 && c->c[0][2] == 0, "piece 0");
    CHECK(c->c[1][0] == -164 && c->c[1][1] == 1.31 && c->c[1][2] == 0, "piece 1");
    CHECK(s.discretisation.min_set == 1 && s.discretisation.min_value == -1000, "min");
    CHECK(s.ivh.method == RDX_DISC_FIXED_BIN_SIZE && s.ivh.bin_width == 2.5 && s.ivh.bin_number == 1000,
          "ivh");
    CHECK(s.families == ALL_FAMILIES, "families %#x", s.families);
    const rdx_texture *t = &s.texture;
    CHECK(t->aggregations == RDX_AGG_3D && t->glcm_distance == 1 && t->ngtdm_distance == 1 &&
              t->ngldm_distance == 2 && t->ngldm_alpha == 1 && t->zone_linkage == 1,
          "texture %#x %d %d %d %d %d", t->aggregations, t->glcm_distance, t->ngtdm_distance,
          t->ngldm_distance, t->ngldm_alpha, t->zone_linkage);
    CHECK(s.morphology.autocorrelation == RDX_AUTOCORR_AUTO && s.morphology.max_exact_voxels == 100000,
          "morphology %d %d", s.morphology.autocorrelation, s.morphology.max_exact_voxels);
}

/* to_yaml -> file -> load gives the same fields, and the same text again. */
static void check_round_trip(const char *what, const rdx_settings *s)
{
    char *text = rdx_settings_to_yaml(s);
    CHECK(text != NULL, "%s: to_yaml failed", what);
    if (!text)
        return;
    rdx_settings back;
    rdx_error err;
    rdx_error_clear(&err);
    rdx_status st = rdx_settings_load(write_text("round_trip.yaml", text), &back, &err);
    CHECK(st == RDX_OK, "%s: reload: %s\n%s", what, err.msg, text);
    if (st == RDX_OK) {
        CHECK(same_settings(s, &back), "%s: fields differ after round trip\n%s", what, text);
        char *again = rdx_settings_to_yaml(&back);
        CHECK(again && strcmp(text, again) == 0, "%s: text differs", what);
        free(again);
    }
    free(text);
}

static void test_round_trips(void)
{
    rdx_settings s;
    rdx_settings_default(&s);
    check_round_trip("defaults", &s);
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        if (load_shipped(configs[i].file, &s))
            check_round_trip(configs[i].file, &s);
    if (load_shipped("example_all_options.yaml", &s))
        check_round_trip("example_all_options.yaml", &s);

    /* values without a short decimal form, open range ends, partial families */
    const char *odd =
        "mask: {label: 0}\n"
        "calibration:\n  - below: -0.1\n    coefficients: [0.3]\n"
        "  - below: 1e-7\n    coefficients: [1, 2, 3.3333333333333335]\n"
        "  - coefficients: [-1e300, 0, 5e-324]\n"
        "resampling: {spacing: [0.7, 0.1, 9], in_plane_only: true, image_interpolation: nearest,\n"
        "             mask_interpolation: nearest, mask_threshold: 0.3, round_intensities: false}\n"
        "resegmentation: {range: [-.inf, 0.1], outlier_sigma: 2.5}\n"
        "discretisation: {method: none, bin_width: 0.1, bin_number: 7, min: -0.0}\n"
        "ivh: {method: fixed_bin_number, bin_number: 1000000, use_resegmentation_range: false}\n"
        "families: [ngldm, local_intensity, diagnostics, glcm, glcm]\n"
        "texture:\n  aggregation: [3D, 2D]\n  glcm_distance: 3\n  ngtdm_distance: 2\n  ngldm_distance: 4\n"
        "  ngldm_alpha: 5\n  zone_linkage: 2147483647\n"
        "morphology: {autocorrelation: off, max_exact_voxels: 2}\n"
        "max_matrix_memory_mb: 0.5\n";
    rdx_error err;
    rdx_error_clear(&err);
    CHECK(rdx_settings_load(write_text("odd.yaml", odd), &s, &err) == RDX_OK, "odd: %s", err.msg);
    CHECK(s.label == 0 && s.calibration.n_pieces == 3 && s.calibration.c[1][2] == 10.0 / 3.0, "odd values");
    CHECK(s.resampling.spacing[2] == 0.0, "in-plane z spacing %g (z keeps native sampling)",
          s.resampling.spacing[2]);
    CHECK(s.families == (RDX_FAMILY_NGLDM | RDX_FAMILY_LOC | RDX_FAMILY_DIAG | RDX_FAMILY_GLCM),
          "families %#x", s.families);
    CHECK(s.texture.aggregations == (RDX_AGG_2D | RDX_AGG_3D) && s.texture.glcm_distance == 3 &&
              s.texture.ngtdm_distance == 2 && s.texture.ngldm_distance == 4 && s.texture.ngldm_alpha == 5 &&
              s.texture.zone_linkage == 2147483647,
          "odd texture");
    CHECK(s.morphology.autocorrelation == RDX_AUTOCORR_OFF && s.morphology.max_exact_voxels == 2,
          "odd morphology %d %d", s.morphology.autocorrelation, s.morphology.max_exact_voxels);
    CHECK(s.max_matrix_bytes == 524288, "half a MiB: %zu", s.max_matrix_bytes);
    check_round_trip("odd", &s);
    CHECK(rdx_settings_load(write_text("odd.yaml", "morphology:\n  autocorrelation: exact\n"), &s, &err) ==
                  RDX_OK &&
              s.morphology.autocorrelation == RDX_AUTOCORR_EXACT && s.morphology.max_exact_voxels == 200000,
          "exact: %s", err.msg);
    check_round_trip("exact", &s);
}

/* A file with text must fail with code and a message holding each needle (NULL = none). */
static void expect_error(const char *what, const char *text, size_t len, rdx_status code, const char *needle1,
                         const char *needle2)
{
    rdx_settings s;
    rdx_settings_default(&s);
    s.label = 42; /* must survive a failed load */
    rdx_error err;
    rdx_error_clear(&err);
    const char *path = write_scratch("bad.yaml", text, len);
    rdx_status st = rdx_settings_load(path, &s, &err);
    CHECK(st == code && err.code == code, "%s: status %d, want %d (%s)", what, st, code, err.msg);
    CHECK(strstr(err.msg, path) != NULL, "%s: message lacks the path: %s", what, err.msg);
    CHECK(!needle1 || strstr(err.msg, needle1), "%s: message lacks '%s': %s", what, needle1, err.msg);
    CHECK(!needle2 || strstr(err.msg, needle2), "%s: message lacks '%s': %s", what, needle2, err.msg);
    CHECK(s.label == 42, "%s: settings changed by a failed load", what);
}

#define EXPECT_ERROR(what, text, code, n1, n2) expect_error(what, text, strlen(text), code, n1, n2)

static void test_errors(void)
{
    EXPECT_ERROR("unknown key", "mask:\n  label: 1\nresampling:\n  spacin: [2, 2, 2]\n", RDX_E_SETTINGS,
                 "'spacin'", ":4:");
    EXPECT_ERROR("unknown section", "# comment\nfeatures: [glcm]\n", RDX_E_SETTINGS, "'features'", ":2:");
    EXPECT_ERROR("bad type", "discretisation:\n  method: fixed_bin_size\n  bin_width: wide\n", RDX_E_SETTINGS,
                 "discretisation.bin_width", ":3:");
    EXPECT_ERROR("quoted number", "resegmentation:\n  outlier_sigma: \"3\"\n", RDX_E_SETTINGS,
                 "resegmentation.outlier_sigma", ":2:");
    EXPECT_ERROR("bool type", "resampling:\n  round_intensities: 1\n", RDX_E_SETTINGS, "true or false",
                 ":2:");
    EXPECT_ERROR("bad interpolation", "resampling:\n  spacing: [1, 1, 1]\n  image_interpolation: bicubic\n",
                 RDX_E_SETTINGS, "nearest | linear | cubic_spline", ":3:");
    EXPECT_ERROR("cubic mask", "resampling:\n  mask_interpolation: cubic_spline\n", RDX_E_SETTINGS,
                 "nearest | linear,", "resampling.mask_interpolation");
    EXPECT_ERROR("decreasing calibration",
                 "calibration:\n  - below: 10\n    coefficients: [1]\n  - below: 5\n    coefficients: [2]\n"
                 "  - coefficients: [3]\n",
                 RDX_E_INVALID, "calibration[1].below", ":4:");
    EXPECT_ERROR("below in last piece", "calibration:\n  - below: 10\n    coefficients: [1]\n",
                 RDX_E_SETTINGS, "last piece", ":2:");
    EXPECT_ERROR("four coefficients", "calibration:\n  - coefficients: [1, 2, 3, 4]\n", RDX_E_SETTINGS,
                 "calibration[0].coefficients", "1 to 3");
    EXPECT_ERROR("invalid YAML (indentation)", "resampling:\n  spacing: [2, 2, 2]\n    mask_threshold: 0.5\n",
                 RDX_E_SETTINGS, "invalid YAML", ":3:");
    EXPECT_ERROR("invalid YAML (flow)", "families: [diagnostics\n", RDX_E_SETTINGS, "invalid YAML", NULL);
    static const char binary[] = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n', '\0', '\xff', '\xfe'};
    expect_error("binary", binary, sizeof binary, RDX_E_SETTINGS, "not a YAML text", NULL);
    EXPECT_ERROR("duplicate key", "ivh:\n  method: none\n  method: fixed_bin_size\n", RDX_E_SETTINGS,
                 "duplicate key 'method'", ":3:");
    EXPECT_ERROR("duplicate section", "mask: {label: 1}\nmask: {label: 2}\n", RDX_E_SETTINGS, "duplicate",
                 ":2:");
    EXPECT_ERROR("method without parameter", "discretisation:\n  method: fixed_bin_number\n", RDX_E_SETTINGS,
                 "discretisation.bin_number", ":2:");
    EXPECT_ERROR("unknown family", "families: [diagnostics, shape]\n", RDX_E_SETTINGS, "'shape'",
                 "diagnostics | intensity_statistics | intensity_histogram | intensity_volume_histogram | "
                 "local_intensity | morphology | glcm | glrlm | glszm | gldzm | ngtdm | ngldm");
    EXPECT_ERROR("4D aggregation", "texture:\n  aggregation: [2D, 4D]\n", RDX_E_SETTINGS, "2D | 3D",
                 "texture.aggregation");
    EXPECT_ERROR("lower-case aggregation", "texture:\n  aggregation: [3d]\n", RDX_E_SETTINGS, "'3d'", ":2:");
    EXPECT_ERROR("aggregation not a list", "texture:\n  aggregation: 3D\n", RDX_E_SETTINGS,
                 "texture.aggregation", ":2:");
    EXPECT_ERROR("no aggregation", "texture:\n  aggregation: []\n", RDX_E_INVALID, "texture.aggregation",
                 ":2:");
    EXPECT_ERROR("glcm distance 0", "texture:\n  glcm_distance: 0\n", RDX_E_INVALID, "texture.glcm_distance",
                 ":2:");
    EXPECT_ERROR("linkage 0", "texture: {zone_linkage: 0}\n", RDX_E_INVALID, "texture.zone_linkage", ">= 1");
    EXPECT_ERROR("negative alpha", "texture:\n  ngtdm_distance: 2\n  ngldm_alpha: -1\n", RDX_E_INVALID,
                 "texture.ngldm_alpha", ":3:");
    EXPECT_ERROR("fractional distance", "texture:\n  ngldm_distance: 1.5\n", RDX_E_SETTINGS,
                 "texture.ngldm_distance", ":2:");
    EXPECT_ERROR("unknown texture key", "texture:\n  glcm_distance: 1\n  glrlm_distance: 1\n", RDX_E_SETTINGS,
                 "unknown key 'glrlm_distance' in 'texture'", ":3:");
    EXPECT_ERROR("texture not a mapping", "texture: [2D]\n", RDX_E_SETTINGS, "'texture' expects a mapping",
                 ":1:");
    EXPECT_ERROR("bad autocorrelation", "morphology:\n  autocorrelation: approximate\n", RDX_E_SETTINGS,
                 "morphology.autocorrelation", "exact | auto | off");
    EXPECT_ERROR("one voxel", "morphology:\n  autocorrelation: auto\n  max_exact_voxels: 1\n", RDX_E_INVALID,
                 "morphology.max_exact_voxels", ":3:");
    EXPECT_ERROR("fractional voxels", "morphology: {max_exact_voxels: 1e5}\n", RDX_E_SETTINGS,
                 "morphology.max_exact_voxels", ":1:");
    EXPECT_ERROR("unknown morphology key", "morphology:\n  max_voxels: 10\n", RDX_E_SETTINGS,
                 "unknown key 'max_voxels' in 'morphology'", ":2:");
    EXPECT_ERROR("two spacings in 3D", "resampling:\n  spacing: [2, 2]\n", RDX_E_INVALID, "in_plane_only",
                 ":2:");
    EXPECT_ERROR("zero spacing", "resampling:\n  spacing: [2, 0, 2]\n", RDX_E_INVALID, "resampling.spacing",
                 NULL);
    EXPECT_ERROR("reversed range", "resegmentation:\n  range: [400, -500]\n", RDX_E_INVALID, "low <= high",
                 ":2:");
    EXPECT_ERROR("zero bin width", "ivh:\n  bin_width: 0\n", RDX_E_INVALID, "ivh.bin_width", NULL);
    EXPECT_ERROR("too many bins", "ivh:\n  bin_number: 1000001\n", RDX_E_INVALID, "ivh.bin_number", NULL);
    EXPECT_ERROR("threshold 0", "resampling:\n  mask_threshold: 0\n", RDX_E_INVALID, "(0, 1]", NULL);
    EXPECT_ERROR("nan", "resegmentation:\n  outlier_sigma: .nan\n", RDX_E_SETTINGS, "outlier_sigma", NULL);
    EXPECT_ERROR("reseg range on discretisation", "discretisation:\n  use_resegmentation_range: true\n",
                 RDX_E_SETTINGS, "'use_resegmentation_range'", NULL);
    EXPECT_ERROR("root not a mapping", "- mask\n", RDX_E_SETTINGS, "a mapping", ":1:");
    EXPECT_ERROR("two documents", "mask: {label: 1}\n---\nmask: {label: 2}\n", RDX_E_SETTINGS, "second",
                 NULL);
    EXPECT_ERROR("negative label", "mask:\n  label: -3\n", RDX_E_INVALID, "\"any\"", NULL);

    rdx_settings s;
    rdx_error err;
    rdx_error_clear(&err);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no_such_settings.yaml", scratch_dir);
    CHECK(rdx_settings_load(missing, &s, &err) == RDX_E_IO, "missing file: %s", err.msg);
    CHECK(strstr(err.msg, missing) != NULL, "missing file message: %s", err.msg);
}

static void test_empty_files(void)
{
    rdx_settings def, s;
    rdx_settings_default(&def);
    const char *texts[] = {"", "# only a comment\n", "---\n", "resampling:\nivh: ~\n", "---\n...\n---\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        rdx_error err;
        rdx_error_clear(&err);
        memset(&s, 0, sizeof s);
        CHECK(rdx_settings_load(write_text("empty.yaml", texts[i]), &s, &err) == RDX_OK, "empty %zu: %s", i,
              err.msg);
        CHECK(same_settings(&s, &def), "empty %zu: not the defaults", i);
    }
}

int main(void)
{
    const char *bin = getenv("RDX_BINARY_DIR");
    snprintf(scratch_dir, sizeof scratch_dir, "%s/test_settings_%ld", bin ? bin : "/tmp", (long)getpid());
    if (mkdir(scratch_dir, 0755) != 0) {
        perror(scratch_dir);
        return 2;
    }
    test_defaults();
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        check_config(&configs[i]);
    test_example_file();
    test_round_trips();
    test_errors();
    test_empty_files();
    remove_scratch();
    return check_summary("test_settings");
}
