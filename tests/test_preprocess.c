/* Processing steps against hand calculations: calibration map, rounding,
 * re-segmentation (range, 3-sigma outliers), discretisation bins (IBSI 2.7),
 * order statistics, and the intensity families on tiny inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "families.h"
#include "order_stats.h"
#include "rdx/rdx.h"
#include "voxel_ops.h"

static void test_calibration(void)
{
    /* CBCT -> MDCT cross-calibration: y = 0.819x - 164 below 500, y = 1.31x - 409.5 above. */
    rdx_calibration cal = {2, {500, 0}, {{-164, 0.819, 0}, {-409.5, 1.31, 0}}};
    CHECK_NEAR(rdx_calibrate_value(0, &cal), -164, 1e-12, "calibrate 0");
    CHECK_NEAR(rdx_calibrate_value(100, &cal), -82.1, 1e-12, "calibrate 100");
    CHECK_NEAR(rdx_calibrate_value(499.5, &cal), 0.819 * 499.5 - 164, 1e-12, "calibrate 499.5");
    CHECK_NEAR(rdx_calibrate_value(500, &cal), 245.5, 1e-12, "calibrate 500 (upper piece)");
    CHECK_NEAR(rdx_calibrate_value(1000, &cal), 900.5, 1e-12, "calibrate 1000");
    rdx_calibration quad = {1, {0}, {{1, 2, 3}}}; /* y = 1 + 2x + 3x^2 */
    CHECK_NEAR(rdx_calibrate_value(2, &quad), 17, 1e-12, "quadratic");
    rdx_image img;
    rdx_grid g;
    rdx_grid_init(&g, 3, 1, 1);
    rdx_image_alloc(&img, &g, NULL);
    img.data[0] = 0; img.data[1] = 600; img.data[2] = -10;
    rdx_calibrate(&img, &cal);
    CHECK_NEAR(img.data[1], 376.5, 1e-4, "calibrate image 600");
    CHECK_NEAR(img.data[2], -172.19, 1e-4, "calibrate image -10");
    img.data[0] = 2.5f; img.data[1] = -2.5f; img.data[2] = 2.49f;
    rdx_round_intensities(&img);
    CHECK(img.data[0] == 3 && img.data[1] == -3 && img.data[2] == 2, "rounding %g %g %g", img.data[0],
          img.data[1], img.data[2]);
    rdx_image_free(&img);
}

static void test_resegmentation(void)
{
    /* 10 voxels: 1..9 and 100. Mean 14.5; population sd = sqrt(mean(x^2) - 14.5^2)
     * = sqrt((285 + 10000)/10 - 210.25) = sqrt(818.25) = 28.605; 3 sigma keeps
     * 14.5 +- 85.8 -> [-71.3, 100.3]: all stay. With sigma 1: [-14.1, 43.1]: 100 goes. */
    rdx_grid g;
    rdx_grid_init(&g, 10, 1, 1);
    rdx_image img;
    rdx_mask m;
    rdx_image_alloc(&img, &g, NULL);
    rdx_mask_alloc(&m, &g, NULL);
    for (int i = 0; i < 10; i++) {
        img.data[i] = i < 9 ? i + 1 : 100;
        m.data[i] = 1;
    }
    rdx_resegmentation r = {0, {-INFINITY, INFINITY}, 3};
    rdx_resegment(&img, &m, &r);
    CHECK(rdx_mask_count(&m) == 10, "3 sigma keeps all, got %zu", rdx_mask_count(&m));
    r.outlier_sigma = 1;
    rdx_resegment(&img, &m, &r);
    CHECK(rdx_mask_count(&m) == 9 && m.data[9] == 0, "1 sigma drops 100");
    r = (rdx_resegmentation){1, {3, 7}, 0};
    rdx_resegment(&img, &m, &r);
    CHECK(rdx_mask_count(&m) == 5, "range [3,7] keeps 5, got %zu", rdx_mask_count(&m));
    rdx_image_free(&img);
    rdx_mask_free(&m);
}

static void test_discretisation(void)
{
    rdx_error err;
    rdx_disc_info d;
    rdx_resegmentation none = {0, {-INFINITY, INFINITY}, 0}, range = {1, {-500, 400}, 0};
    /* FBN 4 over [0, 8]: floor(4 (x - 0) / 8) + 1; x = 8 -> bin 4. */
    rdx_discretisation fbn = {RDX_DISC_FIXED_BIN_NUMBER, 4, 0, 0, 0};
    CHECK(rdx_disc_setup(&fbn, &none, 0, 8, 1, 1000, &d, &err) == RDX_OK, "fbn setup");
    CHECK(rdx_disc_bin(0, &d) == 1 && rdx_disc_bin(1.99, &d) == 1 && rdx_disc_bin(2, &d) == 2 &&
              rdx_disc_bin(7.9, &d) == 4 && rdx_disc_bin(8, &d) == 4,
          "fbn bins");
    /* FBS 25 from the re-segmentation bound -500: -500 -> 1, -476 -> 1, -475 -> 2, 377 -> 36. */
    rdx_discretisation fbs = {RDX_DISC_FIXED_BIN_SIZE, 0, 25, 0, 0};
    CHECK(rdx_disc_setup(&fbs, &range, -500, 377, 1, 1000, &d, &err) == RDX_OK, "fbs setup");
    CHECK(rdx_disc_bin(-500, &d) == 1 && rdx_disc_bin(-476, &d) == 1 && rdx_disc_bin(-475, &d) == 2 &&
              rdx_disc_bin(377, &d) == 36 && d.n_bins == 36,
          "fbs bins, n_bins %d", d.n_bins);
    /* Too many bins for the memory limit. */
    fbs.bin_width = 0.001;
    CHECK(rdx_disc_setup(&fbs, &range, -500, 377, 1, 1000, &d, &err) == RDX_E_NOMEM, "bin limit");
    rdx_discretisation raw = {RDX_DISC_NONE, 0, 0, 0, 0};
    CHECK(rdx_disc_setup(&raw, &none, 0.5, 6, 0, 1000, &d, &err) == RDX_E_INVALID, "none needs integers");
}

static void test_order_stats(void)
{
    /* numpy: np.percentile([5,1,4,2,3,9,7,8,6,10], [10,25,50,90]) = 1.9, 3.25, 5.5, 9.1 */
    float x[10] = {5, 1, 4, 2, 3, 9, 7, 8, 6, 10};
    const double q[5] = {0.10, 0.25, 0.50, 0.90, 1.0};
    double p[5];
    rdx_percentiles(x, 10, q, 5, p);
    CHECK_NEAR(p[0], 1.9, 1e-6, "p10");
    CHECK_NEAR(p[1], 3.25, 1e-6, "p25");
    CHECK_NEAR(p[2], 5.5, 1e-6, "p50");
    CHECK_NEAR(p[3], 9.1, 1e-6, "p90");
    CHECK_NEAR(p[4], 10, 1e-6, "max");
    /* Against a sort on random data with many ties. */
    enum { N = 5001 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        a[i] = (float)((s >> 16) % 97);
    }
    for (int k = 0; k < N; k += 250) {
        memcpy(b, a, N * sizeof *a);
        float kth = rdx_select_kth(b, N, (size_t)k);
        int below = 0, equal = 0;
        for (int i = 0; i < N; i++) {
            below += a[i] < kth;
            equal += a[i] == kth;
        }
        CHECK(below <= k && k < below + equal, "select k=%d gives %g", k, kth);
    }
    /* Multiselect: every requested rank holds its order statistic. */
    size_t ranks[6] = {0, 1, 1, 2500, 4000, N - 1};
    memcpy(b, a, N * sizeof *a);
    rdx_select_ranks(b, N, ranks, 6);
    for (int r = 0; r < 6; r++) {
        int below = 0, equal = 0;
        for (int i = 0; i < N; i++) {
            below += a[i] < b[ranks[r]];
            equal += a[i] == b[ranks[r]];
        }
        CHECK(below <= (int)ranks[r] && (int)ranks[r] < below + equal, "multiselect rank %zu", ranks[r]);
    }
    /* The two CPU paths of rdx_percentiles: the integers of a (counted) and the
     * same shifted by 0.5 (selected in a copy) give the same percentiles, a
     * range of 2^20 over 5001 values (too wide to count) too; a is untouched. */
    const double qq[7] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};
    double pi[7], ph[7], pw[7], pwh[7];
    memcpy(b, a, N * sizeof *a);
    CHECK(rdx_percentiles(a, N, qq, 7, pi) == 0, "percentiles of integers");
    CHECK(!memcmp(a, b, N * sizeof *a), "percentiles rearranged their input");
    for (int i = 0; i < N; i++)
        b[i] = a[i] + 0.5f;
    rdx_percentiles(b, N, qq, 7, ph);
    for (int k = 0; k < 7; k++)
        CHECK_NEAR(ph[k] - 0.5, pi[k], 1e-9, "counted vs selected percentile");
    for (int i = 0; i < N; i++)
        b[i] = a[i] * 10000.0f; /* integers up to 960000 */
    rdx_percentiles(b, N, qq, 7, pw);
    for (int i = 0; i < N; i++)
        b[i] += 0.5f;
    rdx_percentiles(b, N, qq, 7, pwh);
    for (int k = 0; k < 7; k++) {
        CHECK_NEAR(pw[k], pi[k] * 10000.0, 1e-6, "wide-range integer percentile");
        CHECK_NEAR(pwh[k] - 0.5, pw[k], 1e-6, "wide-range shifted percentile");
    }
    free(a);
    free(b);
    /* Histogram percentile: values 1,1,2,4 -> p50 = 1.5, p90 = 2 + 0.7*2 = 3.4 */
    int64_t h[5] = {0, 2, 1, 0, 1};
    CHECK_NEAR(rdx_hist_percentile(h, 4, 4, 0.5), 1.5, 1e-12, "hist p50");
    CHECK_NEAR(rdx_hist_percentile(h, 4, 4, 0.9), 3.4, 1e-12, "hist p90");
}

static void test_small_families(void)
{
    double v[RDX_F_COUNT];
    rdx_error err;
    /* x = 1,2,3,4,10: mean 4, var = (9+4+1+0+36)/5 = 10, energy 130, rms sqrt(26),
     * median 3, mad = (3+2+1+0+6)/5 = 2.4, medad = (2+1+0+1+7)/5 = 2.2,
     * p10 = 1.4, p90 = 7.6 -> robust set {2,3,4}: mean 3, rmad 2/3,
     * p25 2, p75 4: iqr 2, qcod 2/6; skew = (-27-8-1+0+216)/5 / 10^1.5 = 36/31.623. */
    float x[5] = {4, 10, 1, 3, 2};
    CHECK(rdx_family_intensity_stats(x, 5, v, &err) == RDX_OK, "stats");
    CHECK_NEAR(v[RDX_F_STAT_MEAN], 4, 1e-12, "mean");
    CHECK_NEAR(v[RDX_F_STAT_VAR], 10, 1e-12, "var");
    CHECK_NEAR(v[RDX_F_STAT_SKEW], 36 / pow(10, 1.5), 1e-12, "skew");
    CHECK_NEAR(v[RDX_F_STAT_ENERGY], 130, 1e-12, "energy");
    CHECK_NEAR(v[RDX_F_STAT_RMS], sqrt(26), 1e-12, "rms");
    CHECK_NEAR(v[RDX_F_STAT_MEDIAN], 3, 1e-12, "median");
    CHECK_NEAR(v[RDX_F_STAT_MAD], 2.4, 1e-12, "mad");
    CHECK_NEAR(v[RDX_F_STAT_MEDAD], 2.2, 1e-12, "medad");
    CHECK_NEAR(v[RDX_F_STAT_RMAD], 2.0 / 3.0, 1e-12, "rmad");
    CHECK_NEAR(v[RDX_F_STAT_QCOD], 2.0 / 6.0, 1e-12, "qcod");
    CHECK_NEAR(v[RDX_F_STAT_RANGE], 9, 1e-12, "range");
    /* Histogram 1:2, 2:1, 3:0, 4:1 (values 1,1,2,4): mean 2, var (1+1+0+4)/4 = 1.5,
     * entropy -(0.5 log2 0.5 + 2 * 0.25 log2 0.25) = 1.5, uniformity 0.375,
     * gradients: g1 = -1, g2 = (0-2)/2 = -1, g3 = (1-1)/2 = 0, g4 = 1 -> max 1 at 4, min -1 at 1. */
    int64_t h[5] = {0, 2, 1, 0, 1};
    rdx_family_intensity_histogram(h, 4, v);
    CHECK_NEAR(v[RDX_F_IH_MEAN], 2, 1e-12, "ih mean");
    CHECK_NEAR(v[RDX_F_IH_VAR], 1.5, 1e-12, "ih var");
    CHECK_NEAR(v[RDX_F_IH_ENTROPY], 1.5, 1e-12, "ih entropy");
    CHECK_NEAR(v[RDX_F_IH_UNIFORMITY], 0.375, 1e-12, "ih uniformity");
    CHECK(v[RDX_F_IH_MAX_GRAD] == 1 && v[RDX_F_IH_MAX_GRAD_G] == 4, "max grad");
    CHECK(v[RDX_F_IH_MIN_GRAD] == -1 && v[RDX_F_IH_MIN_GRAD_G] == 1, "min grad");
    CHECK(v[RDX_F_IH_MODE] == 1, "mode");
}

static void test_edge_cases(void)
{
    double v[RDX_F_COUNT];
    rdx_error err;
    /* Two distinct values: p10 = 1.1, p90 = 1.9, nothing in between: robust MAD 0 (not 0/0). */
    float two[2] = {1, 2};
    CHECK(rdx_family_intensity_stats(two, 2, v, &err) == RDX_OK, "stats of 2 voxels");
    CHECK(v[RDX_F_STAT_RMAD] == 0, "rmad of 2 voxels: %g", v[RDX_F_STAT_RMAD]);
    int64_t h2[3] = {0, 1, 1};
    rdx_family_intensity_histogram(h2, 2, v);
    CHECK(v[RDX_F_IH_RMAD] == 0, "ih rmad of 2 voxels: %g", v[RDX_F_IH_RMAD]);

    rdx_settings s;
    rdx_settings_default(&s);
    /* IVH none on non-integer intensities: undefined (NaN), the case goes on. */
    float dose[3] = {0.5f, 1.25f, 2.0f};
    for (int f = 0; f < RDX_F_COUNT; f++) v[f] = -1;
    CHECK(rdx_family_ivh(dose, 3, &s, RDX_DEVICE_CPU, v, &err) == RDX_OK, "ivh none on doses");
    CHECK(v[RDX_F_IVH_V10] == -1, "ivh none on doses leaves the values undefined");
    /* Fixed bin size from a lower bound above the ROI minimum: an error, as for discretisation. */
    s.ivh = (rdx_discretisation){RDX_DISC_FIXED_BIN_SIZE, 0, 2.5, 1, 10};
    float low[3] = {1, 5, 20};
    CHECK(rdx_family_ivh(low, 3, &s, RDX_DEVICE_CPU, v, &err) == RDX_E_INVALID, "ivh lower bound above ROI");
    /* Range [6, 6] with fixed bin size 2.5: a single grid point (K = 0) holding every voxel, so
     * nu_0 = 1 > 0.1 and I10 is the next grid point, X_d(1) = 6 + (1 + 1/2) * 2.5. */
    s.resegmentation = (rdx_resegmentation){1, {6, 6}, 0};
    s.ivh = (rdx_discretisation){RDX_DISC_FIXED_BIN_SIZE, 0, 2.5, 0, 0};
    float six[2] = {6, 6};
    CHECK(rdx_family_ivh(six, 2, &s, RDX_DEVICE_CPU, v, &err) == RDX_OK, "ivh on a one-value range: %s", err.msg);
    CHECK(v[RDX_F_IVH_I10] == 6 + 1.5 * 2.5, "ivh i10 on a one-value range: %g", v[RDX_F_IVH_I10]);
    /* Method none with a non-integer range bound: the grid runs over the integers within it.
     * Values 1..10 with range [0.5, 10]: grid 1..10, K = 9; I10 = smallest value with at most 10 %
     * of voxels at or above it = 10; I90 = 2. */
    s.resegmentation = (rdx_resegmentation){1, {0.5, 10}, 0};
    s.ivh = (rdx_discretisation){RDX_DISC_NONE, 0, 0, 0, 0};
    float ten[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(rdx_family_ivh(ten, 10, &s, RDX_DEVICE_CPU, v, &err) == RDX_OK, "ivh none, range [0.5, 10]");
    CHECK(v[RDX_F_IVH_I10] == 10 && v[RDX_F_IVH_I90] == 2, "ivh none integer grid: i10 %g i90 %g",
          v[RDX_F_IVH_I10], v[RDX_F_IVH_I90]);
}

int main(void)
{
    test_edge_cases();
    test_calibration();
    test_resegmentation();
    test_discretisation();
    test_order_stats();
    test_small_families();
    return check_summary("test_preprocess");
}
