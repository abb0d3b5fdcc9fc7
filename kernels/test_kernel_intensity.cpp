/* The kernels of resample.cu and intensity.cu against the CPU reference, under
 * two SIMT schedules: resampling (nearest, linear, cubic spline; 2D and 3D;
 * down- and upsampling; images and masks) bit-identical to the CPU;
 * discretisation identical to rdx_disc_bin; the fixed-order moment sums and
 * the percentiles bit-identical; IVH counts identical; local intensity peaks
 * equal for integer images and to 1e-9 relative otherwise. Independent anchors: hand-computed values (written out
 * below), std::sort for order statistics and the IBSI-1 digital phantom
 * reference values.
 *
 * Built twice: against the emulator (test_kernel_intensity) and against the
 * GPU (test_kernel_intensity_cuda, which exits 77 = skipped without a device). */
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"
#include "rdx/io.h"
#include "voxel_ops.h"
extern "C" { /* host headers without C++ guards */
#include "families.h"
#include "order_stats.h"
}

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_intensity"
#endif

namespace {

double uniform(uint64_t *s) { return (double)(splitmix64(s) >> 11) * 0x1p-53; }

bool same_bits(const void *a, const void *b, size_t bytes) { return std::memcmp(a, b, bytes) == 0; }

/* ---- resampling ------------------------------------------------------------ */

/* An image and a mask on g, both zero (the caller frees both). */
void alloc_image_mask(const rdx_grid *g, rdx_image *img, rdx_mask *m)
{
    rdx_error err = {};
    *img = {};
    *m = {};
    rdx_image_alloc(img, g, &err);
    rdx_mask_alloc(m, g, &err);
}

void resample_case(const char *what, const int64_t dim[3], const double sp[3], const double new_sp[3],
                   uint64_t *seed)
{
    rdx_grid g;
    rdx_grid_init(&g, dim[0], dim[1], dim[2]);
    for (int a = 0; a < 3; a++)
        g.spacing[a] = sp[a];
    rdx_image img;
    rdx_mask m;
    alloc_image_mask(&g, &img, &m);
    rdx_error err = {};
    for (size_t i = 0; i < rdx_grid_count(&g); i++) {
        img.data[i] = (float)(uniform(seed) * 2000.0 - 1000.0);
        m.data[i] = uniform(seed) < 0.4;
    }
    rdx_grid target;
    rdx_resample_grid(&g, new_sp, &target);
    const size_t nt = rdx_grid_count(&target);
    const rdx_interp methods[3] = {RDX_INTERP_NEAREST, RDX_INTERP_LINEAR, RDX_INTERP_CUBIC_SPLINE};
    const char *names[3] = {"nearest", "linear", "cubic"};
    for (int k = 0; k < 3; k++) {
        rdx_image cpu = {}, gpu = {};
        rdx_mask mcpu = {}, mgpu = {};
        bool ok = rdx_resample_image_on(&img, &target, methods[k], RDX_DEVICE_CPU, &cpu, &err) == RDX_OK &&
                  rdx_resample_image_on(&img, &target, methods[k], RDX_DEVICE_CUDA, &gpu, &err) == RDX_OK &&
                  rdx_resample_mask_on(&m, &target, methods[k], 0.5, RDX_DEVICE_CPU, &mcpu, &err) == RDX_OK &&
                  rdx_resample_mask_on(&m, &target, methods[k], 0.5, RDX_DEVICE_CUDA, &mgpu, &err) == RDX_OK;
        CHECK(ok, "%s %s: %s", what, names[k], err.msg);
        if (ok) {
            size_t first = 0;
            while (first < nt && same_bits(&cpu.data[first], &gpu.data[first], sizeof(float)))
                first++;
            CHECK(first == nt, "%s %s: voxel %zu: CPU %.9g, kernel %.9g", what, names[k], first,
                  first < nt ? cpu.data[first] : 0.0f, first < nt ? gpu.data[first] : 0.0f);
            size_t kept = rdx_mask_count(&mcpu);
            CHECK(same_bits(mcpu.data, mgpu.data, nt), "%s %s: masks differ", what, names[k]);
            CHECK(kept > 0 && kept < nt, "%s %s: degenerate mask (%zu of %zu)", what, names[k], kept, nt);
        }
        rdx_image_free(&cpu);
        rdx_image_free(&gpu);
        rdx_mask_free(&mcpu);
        rdx_mask_free(&mgpu);
    }
    rdx_image_free(&img);
    rdx_mask_free(&m);
}

void test_resampling()
{
    uint64_t seed = 11;
    const int64_t d3[3] = {9, 8, 7}, d2[3] = {11, 9, 1}, dup[3] = {5, 6, 4};
    const double unit[3] = {1, 1, 1}, coarse[3] = {2, 2, 3};
    const double down[3] = {1.7, 1.3, 2.2}, up[3] = {0.9, 1.1, 1.4}, in_plane[3] = {0.7, 1.6, 0.0};
    resample_case("3D down", d3, unit, down, &seed);
    resample_case("3D up", dup, coarse, up, &seed);
    resample_case("2D in-plane", d2, unit, in_plane, &seed);

    /* Hand check: a line 0, 10, 20, 30 at 2 mm to 1 mm, linear: 8 voxels, the
     * first at source index ((4-1) - (8-1) * 0.5) / 2 = -0.25, then steps of
     * 0.5: -0.25 (clamped: 0), 0.25, 0.75, ..., 3.25 (clamped: 3) give
     * 0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30. */
    rdx_grid g;
    rdx_grid_init(&g, 4, 1, 1);
    g.spacing[0] = 2.0;
    rdx_image line = {}, out = {};
    rdx_error err = {};
    rdx_image_alloc(&line, &g, &err);
    for (int i = 0; i < 4; i++)
        line.data[i] = 10.0f * (float)i;
    const double sp[3] = {1.0, 0.0, 0.0};
    rdx_grid target;
    rdx_resample_grid(&g, sp, &target);
    const float want[8] = {0, 2.5f, 7.5f, 12.5f, 17.5f, 22.5f, 27.5f, 30};
    if (target.dim[0] == 8 &&
        rdx_resample_image_on(&line, &target, RDX_INTERP_LINEAR, RDX_DEVICE_CUDA, &out, &err) == RDX_OK) {
        for (int i = 0; i < 8; i++)
            CHECK_NEAR(out.data[i], want[i], 1e-6, "linear line");
    } else {
        CHECK(false, "linear line: %lld voxels, %s", (long long)target.dim[0], err.msg);
    }
    rdx_image_free(&line);
    rdx_image_free(&out);
}

/* ---- discretisation ---------------------------------------------------------- */

void test_discretisation()
{
    uint64_t seed = 21;
    std::vector<float> x(30011);
    std::vector<uint8_t> roi(x.size());
    for (size_t i = 0; i < x.size(); i++) {
        x[i] = (float)(uniform(&seed) * 900.0 - 500.0);
        roi[i] = uniform(&seed) < 0.7;
    }
    /* Hand check, fixed bin size 25 from -500: bin = floor((x + 500) / 25) + 1. */
    const float hand[4] = {-500.0f, -475.5f, -475.0f, 399.0f};
    const int32_t hand_bin[4] = {1, 1, 2, 36};
    for (int i = 0; i < 4; i++) {
        x[i] = hand[i];
        roi[i] = 1;
    }
    const rdx_disc_info infos[2] = {{RDX_DISC_FIXED_BIN_SIZE, 36, -500.0, 400.0, 25.0},
                                    {RDX_DISC_FIXED_BIN_NUMBER, 32, -500.0, 400.0, 900.0 / 32}};
    for (const rdx_disc_info &d : infos) {
        std::vector<int32_t> grey(x.size(), -1);
        int code = rdx_cuda_discretise(x.data(), roi.data(), x.size(), &d, grey.data());
        CHECK(code == 0, "discretise: %s", rdx_cuda_error_string(code));
        size_t bad = 0;
        for (size_t i = 0; i < x.size(); i++)
            bad += grey[i] != (roi[i] ? rdx_disc_bin(x[i], &d) : 0);
        CHECK(bad == 0, "discretise method %d: %zu voxels differ from rdx_disc_bin", (int)d.method, bad);
        for (int i = 0; i < 4 && d.method == RDX_DISC_FIXED_BIN_SIZE; i++)
            CHECK(grey[i] == hand_bin[i], "bin of %g: %d, by hand %d", hand[i], grey[i], hand_bin[i]);
    }
}

/* ---- moment sums and percentiles ------------------------------------------- */

/* CPU and kernel sums and percentiles of x must agree bit for bit. */
void sums_case(const char *what, const std::vector<float> &x)
{
    rdx_error err = {};
    double a[4], b[4];
    rdx_status sa = rdx_central_power_sums(x.data(), x.size(), 0.37, RDX_DEVICE_CPU, a, &err);
    rdx_status sb = rdx_central_power_sums(x.data(), x.size(), 0.37, RDX_DEVICE_CUDA, b, &err);
    CHECK(!sa && !sb && same_bits(a, b, sizeof a), "%s: power sums CPU %.17g %.17g, kernel %.17g %.17g (%s)", what,
          a[1], a[3], b[1], b[3], err.msg);
    double ca[3], cb[3];
    sa = rdx_abs_dev_sum(x.data(), x.size(), -1.5, -200.0, 2500.0, RDX_DEVICE_CPU, &ca[0], &ca[1], &ca[2], &err);
    sb = rdx_abs_dev_sum(x.data(), x.size(), -1.5, -200.0, 2500.0, RDX_DEVICE_CUDA, &cb[0], &cb[1], &cb[2], &err);
    CHECK(!sa && !sb && same_bits(ca, cb, sizeof ca), "%s: abs dev sums CPU %.17g, kernel %.17g (%s)", what, ca[0],
          cb[0], err.msg);

    /* The spread sums in one pass: CPU and kernel bit for bit, and each group
     * the sum computed on its own. */
    double spa[RDX_SPREAD_TERMS], spb[RDX_SPREAD_TERMS], alone[RDX_SPREAD_TERMS];
    sa = rdx_spread_sums(x.data(), x.size(), 0.37, -1.5, -200.0, 2500.0, RDX_DEVICE_CPU, spa, &err);
    sb = rdx_spread_sums(x.data(), x.size(), 0.37, -1.5, -200.0, 2500.0, RDX_DEVICE_CUDA, spb, &err);
    CHECK(!sa && !sb && same_bits(spa, spb, sizeof spa), "%s: spread sums CPU %.17g, kernel %.17g (%s)", what, spa[1],
          spb[1], err.msg);
    rdx_central_power_sums(x.data(), x.size(), 0.37, RDX_DEVICE_CPU, alone, &err);
    rdx_abs_dev_sum(x.data(), x.size(), 0.37, -INFINITY, INFINITY, RDX_DEVICE_CPU, &alone[4], &alone[5], &alone[6], &err);
    rdx_abs_dev_sum(x.data(), x.size(), -1.5, -INFINITY, INFINITY, RDX_DEVICE_CPU, &alone[7], &alone[8], &alone[9], &err);
    rdx_abs_dev_sum(x.data(), x.size(), 0.0, -200.0, 2500.0, RDX_DEVICE_CPU, &alone[10], &alone[11], &alone[12], &err);
    CHECK(same_bits(spa, alone, sizeof spa), "%s: spread sums differ from the separate sums", what);

    const double q[9] = {0.0, 0.01, 0.10, 0.25, 0.5, 0.75, 0.9, 0.999, 1.0};
    double pa[9], pb[9];
    std::vector<float> scratch = x;
    sa = rdx_percentiles_on(scratch.data(), x.size(), q, 9, RDX_DEVICE_CPU, pa, &err);
    scratch = x;
    sb = rdx_percentiles_on(scratch.data(), x.size(), q, 9, RDX_DEVICE_CUDA, pb, &err);
    CHECK(!sa && !sb && same_bits(pa, pb, sizeof pa), "%s: percentiles CPU %.9g %.9g, kernel %.9g %.9g (%s)", what,
          pa[2], pa[6], pb[2], pb[6], err.msg);
    CHECK(same_bits(scratch.data(), x.data(), x.size() * sizeof(float)), "%s: the kernel path changed x", what);

    /* Order statistics against std::sort. */
    std::vector<float> sorted = x;
    std::sort(sorted.begin(), sorted.end());
    const size_t n = x.size();
    const size_t ranks[6] = {n - 1, 0, n / 2, n / 3, n / 2, n > 1 ? n - 2 : 0};
    float vals[6];
    int code = rdx_cuda_select_ranks(x.data(), n, ranks, 6, vals);
    CHECK(code == 0, "%s: select: %s", what, rdx_cuda_error_string(code));
    for (int r = 0; r < 6 && code == 0; r++)
        CHECK(vals[r] == sorted[ranks[r]], "%s: rank %zu: kernel %.9g, sorted %.9g", what, ranks[r], vals[r],
              sorted[ranks[r]]);
}

void test_sums(const std::vector<float> &phantom)
{
    uint64_t seed = 5;
    /* 3 full blocks and a partial one; negatives, ties (values on a 0.25 grid), -0 and +0. */
    std::vector<float> x(3 * RDX_SUM_BLOCK + 1234);
    for (float &v : x)
        v = uniform(&seed) < 0.3 ? (float)std::floor(uniform(&seed) * 40.0 - 20.0) * 0.25f
                                 : (float)(uniform(&seed) * 4000.0 - 1000.0);
    x[17] = -0.0f;
    x[18] = 0.0f;
    sums_case("random", x);
    sums_case("phantom", phantom);
    sums_case("one value", std::vector<float>(1, -3.5f));

    /* Hand check: 150000 values (i mod 5) - 2: 30000 each of -2 .. 2. About 0:
     * sums of x, x^2, x^3, x^4 are 0, 30000 * 10, 0, 30000 * 34; |x| sums to
     * 30000 * 6. Sorted, -2 holds ranks 0..29999, -1 30000..59999, 0 60000..89999,
     * 1 90000..119999, 2 120000..149999: the type-7 positions q * 149999 give
     * p10 (14999.9) -2, p25 (37499.75) -1, p50 (74999.5) 0, p90 (134999.1) 2. */
    std::vector<float> h(150000);
    for (size_t i = 0; i < h.size(); i++)
        h[i] = (float)((int)(i % 5) - 2);
    double s[4], abs_sum, cnt, sum, p[4];
    rdx_error err = {};
    const double q[4] = {0.10, 0.25, 0.50, 0.90};
    bool ok = !rdx_central_power_sums(h.data(), h.size(), 0.0, RDX_DEVICE_CUDA, s, &err) &&
              !rdx_abs_dev_sum(h.data(), h.size(), 0.0, -INFINITY, INFINITY, RDX_DEVICE_CUDA, &abs_sum, &cnt, &sum,
                               &err) &&
              !rdx_percentiles_on(h.data(), h.size(), q, 4, RDX_DEVICE_CUDA, p, &err);
    CHECK(ok, "hand case: %s", err.msg);
    CHECK(s[0] == 0 && s[1] == 300000 && s[2] == 0 && s[3] == 1020000, "hand sums %g %g %g %g", s[0], s[1], s[2],
          s[3]);
    CHECK(abs_sum == 180000 && cnt == 150000 && sum == 0, "hand abs dev %g %g %g", abs_sum, cnt, sum);
    CHECK(p[0] == -2 && p[1] == -1 && p[2] == 0 && p[3] == 2, "hand percentiles %g %g %g %g", p[0], p[1], p[2], p[3]);

    size_t bad = 5;
    float v;
    CHECK(rdx_cuda_select_ranks(h.data(), 5, &bad, 1, &v) != 0, "rank 5 of 5 values accepted");
}

/* ---- IVH counts -------------------------------------------------------------- */

void ivh_case(const char *what, const std::vector<float> &x, const rdx_settings &s)
{
    double a[RDX_F_COUNT], b[RDX_F_COUNT];
    rdx_error err = {};
    bool ok = rdx_family_ivh(x.data(), x.size(), &s, RDX_DEVICE_CPU, a, &err) == RDX_OK &&
              rdx_family_ivh(x.data(), x.size(), &s, RDX_DEVICE_CUDA, b, &err) == RDX_OK;
    CHECK(ok, "%s: %s", what, err.msg);
    for (int f = RDX_F_IVH_V10; ok && f <= RDX_F_IVH_DIFF_I10_I90; f++)
        CHECK(same_bits(&a[f], &b[f], sizeof a[f]), "%s: %s: CPU %.17g, kernel %.17g", what,
              rdx_feature_table()[f].tag, a[f], b[f]);
}

void test_ivh()
{
    uint64_t seed = 9;
    std::vector<float> cont(20000), ints(20000);
    for (size_t i = 0; i < cont.size(); i++) {
        cont[i] = (float)(uniform(&seed) * 1400.0 - 1000.0);
        ints[i] = (float)std::floor(uniform(&seed) * 300.0);
    }
    rdx_settings s;
    rdx_settings_default(&s);
    s.resegmentation.range_enabled = 1;
    s.resegmentation.range[0] = -1000;
    s.resegmentation.range[1] = 400;
    s.ivh_use_reseg_range = 1;
    s.ivh.method = RDX_DISC_FIXED_BIN_SIZE;
    s.ivh.bin_width = 2.5;
    ivh_case("fixed bin size 2.5", cont, s);
    s.ivh.method = RDX_DISC_FIXED_BIN_NUMBER;
    s.ivh.bin_number = 1000;
    ivh_case("fixed bin number 1000", cont, s);
    s.ivh.method = RDX_DISC_NONE;
    s.ivh_use_reseg_range = 0;
    ivh_case("discrete", ints, s);
}

/* ---- local intensity ---------------------------------------------------------- */

void local_case(const char *what, const rdx_image &img, const rdx_mask &m, double rel_tol)
{
    double a[RDX_F_COUNT], b[RDX_F_COUNT];
    rdx_error err = {};
    bool ok = rdx_family_local_intensity(&img, &m, RDX_DEVICE_CPU, a, &err) == RDX_OK &&
              rdx_family_local_intensity(&img, &m, RDX_DEVICE_CUDA, b, &err) == RDX_OK;
    CHECK(ok, "%s: %s", what, err.msg);
    for (int f : {RDX_F_LOC_PEAK_LOC, RDX_F_LOC_PEAK_GLOB})
        CHECK(ok && std::fabs(a[f] - b[f]) <= rel_tol * std::fabs(a[f]), "%s: %s: CPU %.17g, kernel %.17g", what,
              rdx_feature_table()[f].tag, a[f], b[f]);
}

void test_local_random()
{
    uint64_t seed = 3;
    rdx_grid g;
    rdx_grid_init(&g, 14, 13, 7);
    g.spacing[0] = g.spacing[1] = 2.0;
    g.spacing[2] = 3.0; /* radii 3, 3, 2 voxels */
    rdx_image img;
    rdx_mask m;
    alloc_image_mask(&g, &img, &m);
    rdx_error err = {};
    for (size_t i = 0; i < rdx_grid_count(&g); i++) {
        img.data[i] = (float)std::floor(uniform(&seed) * 2000.0 - 1000.0);
        m.data[i] = uniform(&seed) < 0.3;
    }
    local_case("random integers", img, m, 0.0);
    for (size_t i = 0; i < rdx_grid_count(&g); i++)
        img.data[i] = (float)(uniform(&seed) * 2.0 + 100.0);
    local_case("random reals", img, m, 1e-9);

    /* Hand check: a constant image has every local mean equal to the constant. */
    for (size_t i = 0; i < rdx_grid_count(&g); i++)
        img.data[i] = 42.0f;
    double v[RDX_F_COUNT];
    CHECK(rdx_family_local_intensity(&img, &m, RDX_DEVICE_CUDA, v, &err) == RDX_OK &&
              v[RDX_F_LOC_PEAK_LOC] == 42.0 && v[RDX_F_LOC_PEAK_GLOB] == 42.0,
          "constant image: peaks %g %g", v[RDX_F_LOC_PEAK_LOC], v[RDX_F_LOC_PEAK_GLOB]);
    rdx_image_free(&img);
    rdx_mask_free(&m);
}

/* ---- the IBSI digital phantom ---------------------------------------------------- */

struct ibsi_value {
    int id;
    double want, tol; /* IBSI-1 reference value, half a unit of its last printed digit */
};

void test_phantom(const std::string &root, std::vector<float> *roi)
{
    rdx_image img = {};
    rdx_mask m = {};
    rdx_settings s;
    rdx_error err = {};
    std::string dir = root + "/datasets/ibsi_digital_phantom/";
    rdx_settings_default(&s);
    if (rdx_settings_load((root + "/datasets/settings/ibsi_digital_phantom.yaml").c_str(), &s, &err) != RDX_OK ||
        rdx_image_read((dir + "image.nii.gz").c_str(), &img, &err) != RDX_OK ||
        rdx_mask_read((dir + "mask.nii.gz").c_str(), s.label, &m, &err) != RDX_OK) {
        CHECK(false, "digital phantom: %s", err.msg);
        rdx_image_free(&img);
        return;
    }
    roi->clear();
    for (size_t i = 0; i < rdx_grid_count(&img.grid); i++)
        if (m.data[i])
            roi->push_back(img.data[i]);
    local_case("phantom", img, m, 0.0);
    ivh_case("phantom", *roi, s);

    /* The kernel path end to end against IBSI-1 (digital phantom reference values). */
    static double v[RDX_F_COUNT];
    std::vector<float> x = *roi;
    bool ok = rdx_family_intensity_stats_on(x.data(), x.size(), RDX_DEVICE_CUDA, v, &err) == RDX_OK &&
              rdx_family_ivh(x.data(), x.size(), &s, RDX_DEVICE_CUDA, v, &err) == RDX_OK &&
              rdx_family_local_intensity(&img, &m, RDX_DEVICE_CUDA, v, &err) == RDX_OK;
    CHECK(ok, "phantom on the kernels: %s", err.msg);
    const ibsi_value ref[] = {
        {RDX_F_STAT_MEAN, 2.15, 0.005},   {RDX_F_STAT_VAR, 3.05, 0.005},    {RDX_F_STAT_SKEW, 1.08, 0.005},
        {RDX_F_STAT_KURT, -0.355, 5e-4},  {RDX_F_STAT_MEDIAN, 1, 0},        {RDX_F_STAT_MIN, 1, 0},
        {RDX_F_STAT_P10, 1, 0},           {RDX_F_STAT_P90, 4, 0},           {RDX_F_STAT_MAX, 6, 0},
        {RDX_F_STAT_IQR, 3, 0},           {RDX_F_STAT_RANGE, 5, 0},         {RDX_F_STAT_MAD, 1.55, 0.005},
        {RDX_F_STAT_RMAD, 1.11, 0.005},   {RDX_F_STAT_MEDAD, 1.15, 0.005},  {RDX_F_STAT_COV, 0.812, 5e-4},
        {RDX_F_STAT_QCOD, 0.6, 0.05},     {RDX_F_STAT_ENERGY, 567, 0.5},    {RDX_F_STAT_RMS, 2.77, 0.005},
        {RDX_F_IVH_V10, 0.324, 5e-4},     {RDX_F_IVH_V90, 0.0946, 5e-5},    {RDX_F_IVH_I10, 5, 0},
        {RDX_F_IVH_I90, 2, 0},            {RDX_F_IVH_DIFF_V10_V90, 0.23, 0.005}, {RDX_F_IVH_DIFF_I10_I90, 3, 0},
        {RDX_F_LOC_PEAK_LOC, 2.6, 0.05},  {RDX_F_LOC_PEAK_GLOB, 3.1, 0.05}};
    for (const ibsi_value &r : ref)
        if (ok)
            CHECK_NEAR(v[r.id], r.want, r.tol + 1e-12, rdx_feature_table()[r.id].tag);

    /* All statistics: the CPU path gives the same bits. */
    static double c[RDX_F_COUNT];
    x = *roi;
    CHECK(rdx_family_intensity_stats_on(x.data(), x.size(), RDX_DEVICE_CPU, c, &err) == RDX_OK, "%s", err.msg);
    for (int f = RDX_F_STAT_MEAN; ok && f <= RDX_F_STAT_RMS; f++)
        CHECK(same_bits(&c[f], &v[f], sizeof c[f]), "phantom %s: CPU %.17g, kernel %.17g",
              rdx_feature_table()[f].tag, c[f], v[f]);
    rdx_image_free(&img);
    rdx_mask_free(&m);
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        for (const char *schedule : {"forward", "reverse"}) {
            set_schedule(schedule);
            std::vector<float> phantom;
            test_phantom(source_dir(), &phantom);
            test_resampling();
            test_discretisation();
            test_sums(phantom);
            test_ivh();
            test_local_random();
        }
    });
}
