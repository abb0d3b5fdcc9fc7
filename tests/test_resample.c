/* Resampling (IBSI 2.4): grid alignment, nearest / linear / cubic B-spline image
 * interpolation, mask interpolation with a partial-volume threshold.
 * Expected values are worked out by hand in the comments, or come from
 * scipy.ndimage.map_coordinates where so marked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"
#include "rdx/preprocess.h"

/* IBSI reference mapping written out independently of the library: target
 * index j on an axis of n voxels, spacing s -> s2 (n2 voxels) sits at old index
 * j*s2/s + ((n-1) - (n2-1)*s2/s)/2, clamped to [0, n-1] for extrapolation. */
static double ibsi_index(int64_t j, int64_t n, double s, int64_t n2, double s2)
{
    double x = (double)j * s2 / s + ((double)(n - 1) - (double)(n2 - 1) * s2 / s) / 2.0;
    return x < 0.0 ? 0.0 : (x > (double)(n - 1) ? (double)(n - 1) : x);
}

static size_t vox(const rdx_grid *g, int64_t i, int64_t j, int64_t k)
{
    return (size_t)(i + g->dim[0] * (j + g->dim[1] * k));
}

static void make_image(rdx_image *img, int64_t nx, int64_t ny, int64_t nz, double sx, double sy, double sz)
{
    rdx_grid g;
    rdx_grid_init(&g, nx, ny, nz);
    g.spacing[0] = sx;
    g.spacing[1] = sy;
    g.spacing[2] = sz;
    rdx_error err;
    CHECK(rdx_image_alloc(img, &g, &err) == RDX_OK, "%s", err.msg);
}

static void test_grid(void)
{
    /* IBSI CT phantom: 204 x 201 x 60 voxels of 0.977 x 0.977 x 3.0 mm. */
    rdx_grid in, out;
    rdx_grid_init(&in, 204, 201, 60);
    in.spacing[0] = in.spacing[1] = 0.977;
    in.spacing[2] = 3.0;

    /* Config C, 2 mm isotropic: ceil(204*0.977/2) = ceil(99.654) = 100,
     * ceil(201*0.977/2) = ceil(98.189) = 99, 60*3/2 = 90.
     * Origin shift ((n-1)s - (n'-1)s')/2: x (203*0.977 - 99*2)/2 = (198.331 - 198)/2 = 0.1655,
     * y (200*0.977 - 98*2)/2 = (195.4 - 196)/2 = -0.3, z (59*3 - 89*2)/2 = -0.5 mm. */
    const double iso2[3] = {2.0, 2.0, 2.0};
    rdx_resample_grid(&in, iso2, &out);
    CHECK(out.dim[0] == 100 && out.dim[1] == 99 && out.dim[2] == 90, "dims %lld %lld %lld",
          (long long)out.dim[0], (long long)out.dim[1], (long long)out.dim[2]);
    for (int a = 0; a < 3; a++)
        CHECK_NEAR(out.spacing[a], 2.0, 0.0, "config C spacing");
    CHECK_NEAR(out.origin[0], 0.1655, 1e-9, "origin x");
    CHECK_NEAR(out.origin[1], -0.3, 1e-9, "origin y");
    CHECK_NEAR(out.origin[2], -0.5, 1e-9, "origin z");
    for (int i = 0; i < 9; i++)
        CHECK(out.direction[i] == in.direction[i], "direction unchanged [%d]", i);

    /* The shift follows the direction: x axis pointing to -x, origin (10, 20, 30)
     * -> new origin x = 10 - 0.1655 = 9.8345. */
    rdx_grid flipped = in;
    flipped.direction[0] = -1.0;
    flipped.origin[0] = 10.0;
    flipped.origin[1] = 20.0;
    flipped.origin[2] = 30.0;
    rdx_resample_grid(&flipped, iso2, &out);
    CHECK_NEAR(out.origin[0], 9.8345, 1e-9, "flipped origin x");
    CHECK_NEAR(out.origin[1], 19.7, 1e-9, "flipped origin y");
    CHECK_NEAR(out.origin[2], 29.5, 1e-9, "flipped origin z");

    /* Config B, in-plane only: z keeps 60 slices of 3 mm and its origin. */
    const double inplane[3] = {2.0, 2.0, 0.0};
    rdx_resample_grid(&in, inplane, &out);
    CHECK(out.dim[0] == 100 && out.dim[1] == 99 && out.dim[2] == 60, "in-plane dims %lld %lld %lld",
          (long long)out.dim[0], (long long)out.dim[1], (long long)out.dim[2]);
    CHECK_NEAR(out.spacing[2], 3.0, 0.0, "in-plane z spacing");
    CHECK_NEAR(out.origin[2], 0.0, 0.0, "in-plane z origin");

    /* Native spacing: identity. */
    const double native[3] = {0.977, 0.977, 3.0};
    rdx_resample_grid(&in, native, &out);
    CHECK(out.dim[0] == 204 && out.dim[1] == 201 && out.dim[2] == 60, "identity dims");
    for (int a = 0; a < 3; a++)
        CHECK_NEAR(out.origin[a], 0.0, 1e-12, "identity origin");

    /* Floating noise: 6 * 1.1 / 0.3 evaluates to 22.000000000000004 in double;
     * the grid must have 22 voxels, not 23. */
    rdx_grid small;
    rdx_grid_init(&small, 6, 1, 1);
    small.spacing[0] = 1.1;
    const double fine[3] = {0.3, 0.0, 0.0};
    rdx_resample_grid(&small, fine, &out);
    CHECK(out.dim[0] == 22, "ceil guard: %lld voxels", (long long)out.dim[0]);
}

/* f = 3x - 2y + 0.5z + 7 over voxel indices. */
static double ramp(double x, double y, double z)
{
    return 3.0 * x - 2.0 * y + 0.5 * z + 7.0;
}

static void test_linear_ramp(void)
{
    rdx_image img, out;
    rdx_error err;
    rdx_grid target;
    make_image(&img, 10, 9, 8, 1.0, 1.5, 2.0);
    for (int64_t k = 0; k < 8; k++)
        for (int64_t j = 0; j < 9; j++)
            for (int64_t i = 0; i < 10; i++)
                img.data[vox(&img.grid, i, j, k)] = (float)ramp((double)i, (double)j, (double)k);

    /* 0.7 x 1.1 x 2.6 mm: x n' = ceil(10/0.7) = 15, offset (9 - 14*0.7)/2 = -0.4;
     * y n' = ceil(13.5/1.1) = 13, offset (8 - 12*1.1/1.5)/2 = -0.4;
     * z n' = ceil(16/2.6) = 7, offset (7 - 6*1.3)/2 = -0.4. So index 0 lies
     * outside on every axis (nearest-edge extrapolation). */
    const double sp[3] = {0.7, 1.1, 2.6};
    rdx_resample_grid(&img.grid, sp, &target);
    CHECK(target.dim[0] == 15 && target.dim[1] == 13 && target.dim[2] == 7, "ramp target dims");
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_LINEAR, &out, &err) == RDX_OK, "%s", err.msg);

    /* Voxel (0,0,0): clamped to (0,0,0), f = 7. Voxel (1,1,1): x = 0.7 - 0.4 = 0.3,
     * y = 1.1/1.5 - 0.4 = 1/3, z = 1.3 - 0.4 = 0.9: f = 0.9 - 2/3 + 0.45 + 7 = 7.683333. */
    CHECK_NEAR(out.data[0], 7.0, 1e-6, "ramp corner");
    CHECK_NEAR(out.data[vox(&target, 1, 1, 1)], 7.6833333, 1e-5, "ramp (1,1,1)");
    /* Voxel (14,12,6): x = 9.8-0.4 = 9.4 > 9 -> 9, y = 8.8-0.4 = 8.4 > 8 -> 8,
     * z = 7.8-0.4 = 7.4 > 7 -> 7: f = 27 - 16 + 3.5 + 7 = 21.5. */
    CHECK_NEAR(out.data[vox(&target, 14, 12, 6)], 21.5, 1e-5, "ramp far corner");

    double worst = 0.0;
    for (int64_t k = 0; k < 7; k++)
        for (int64_t j = 0; j < 13; j++)
            for (int64_t i = 0; i < 15; i++) {
                double want = ramp(ibsi_index(i, 10, 1.0, 15, 0.7), ibsi_index(j, 9, 1.5, 13, 1.1),
                                   ibsi_index(k, 8, 2.0, 7, 2.6));
                worst = fmax(worst, fabs(out.data[vox(&target, i, j, k)] - want));
            }
    CHECK_NEAR(worst, 0.0, 1e-5, "linear ramp worst error");
    rdx_image_free(&out);

    /* Same answer with one thread as with several (each voxel computed alone). */
#ifdef _OPENMP
    rdx_image one;
    int threads = omp_get_max_threads();
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &out, &err) == RDX_OK, "%s", err.msg);
    omp_set_num_threads(1);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &one, &err) == RDX_OK, "%s", err.msg);
    omp_set_num_threads(threads);
    CHECK(memcmp(out.data, one.data, rdx_grid_count(&target) * sizeof(float)) == 0, "thread count changes result");
    rdx_image_free(&one);
    rdx_image_free(&out);
#endif
    rdx_image_free(&img);
}

static void test_nearest_checkerboard(void)
{
    rdx_image img, out;
    rdx_error err;
    rdx_grid target;
    make_image(&img, 8, 8, 8, 1.0, 1.0, 1.0);
    for (int64_t k = 0; k < 8; k++)
        for (int64_t j = 0; j < 8; j++)
            for (int64_t i = 0; i < 8; i++)
                img.data[vox(&img.grid, i, j, k)] = (float)((i + j + k) % 2);

    /* Upsample x2: n' = 16, x(j) = j/2 - 0.25 = -0.25, 0.25, 0.75, 1.25, ...
     * -> rounded 0, 0, 1, 1, 2, ...: out(i,j,k) = in(i/2, j/2, k/2). */
    const double half[3] = {0.5, 0.5, 0.5};
    rdx_resample_grid(&img.grid, half, &target);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_NEAREST, &out, &err) == RDX_OK, "%s", err.msg);
    int bad = 0;
    for (int64_t k = 0; k < 16; k++)
        for (int64_t j = 0; j < 16; j++)
            for (int64_t i = 0; i < 16; i++)
                bad += out.data[vox(&target, i, j, k)] != (float)((i / 2 + j / 2 + k / 2) % 2);
    CHECK(bad == 0, "%d voxels differ from the doubled checkerboard", bad);
    rdx_image_free(&out);

    /* Downsample x2: n' = 4, x(j) = 2j + (7 - 3*2)/2 = 2j + 0.5, an exact tie that
     * rounds up to 2j + 1 on every axis: parity of 3 odd indices is odd -> all 1. */
    const double twice[3] = {2.0, 2.0, 2.0};
    rdx_resample_grid(&img.grid, twice, &target);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_NEAREST, &out, &err) == RDX_OK, "%s", err.msg);
    bad = 0;
    for (size_t v = 0; v < 64; v++)
        bad += out.data[v] != 1.0f;
    CHECK(bad == 0, "%d voxels did not round the 0.5 tie up", bad);
    rdx_image_free(&out);
    rdx_image_free(&img);
}

static void test_2d(void)
{
    rdx_image img, out;
    rdx_error err;
    rdx_grid target;
    make_image(&img, 6, 5, 1, 1.0, 1.0, 3.0);
    for (int64_t j = 0; j < 5; j++)
        for (int64_t i = 0; i < 6; i++)
            img.data[vox(&img.grid, i, j, 0)] = (float)ramp((double)i, (double)j, 0.0);
    /* 0.5 mm in-plane, native z: 12 x 10 x 1. */
    const double sp[3] = {0.5, 0.5, 0.0};
    rdx_resample_grid(&img.grid, sp, &target);
    CHECK(target.dim[0] == 12 && target.dim[1] == 10 && target.dim[2] == 1, "2D target dims");
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_LINEAR, &out, &err) == RDX_OK, "%s", err.msg);
    /* Voxel (3,4): x = 1.5 - 0.25 = 1.25, y = 2 - 0.25 = 1.75: f = 3.75 - 3.5 + 7 = 7.25. */
    CHECK_NEAR(out.data[vox(&target, 3, 4, 0)], 7.25, 1e-6, "2D linear value");
    double worst = 0.0;
    for (int64_t j = 0; j < 10; j++)
        for (int64_t i = 0; i < 12; i++)
            worst = fmax(worst, fabs(out.data[vox(&target, i, j, 0)] -
                                     ramp(ibsi_index(i, 6, 1.0, 12, 0.5), ibsi_index(j, 5, 1.0, 10, 0.5), 0.0)));
    CHECK_NEAR(worst, 0.0, 1e-5, "2D ramp worst error");
    rdx_image_free(&out);

    /* A 2 mm z spacing on one 3 mm slice: ceil(1.5) = 2 slices, both copies of it. */
    const double sp3[3] = {0.5, 0.5, 2.0};
    rdx_resample_grid(&img.grid, sp3, &target);
    CHECK(target.dim[2] == 2, "2D z dims %lld", (long long)target.dim[2]);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &out, &err) == RDX_OK, "%s", err.msg);
    CHECK(out.data[vox(&target, 5, 6, 0)] == out.data[vox(&target, 5, 6, 1)], "2D slices equal");
    rdx_image_free(&out);
    rdx_image_free(&img);
}

static void test_cubic(void)
{
    rdx_image img, out;
    rdx_error err;
    rdx_grid target;

    /* Identity mapping interpolates the samples. */
    make_image(&img, 7, 6, 5, 1.0, 1.0, 1.0);
    for (size_t v = 0; v < 210; v++)
        img.data[v] = (float)((v * 37) % 11) - 5.0f;
    const double same[3] = {1.0, 1.0, 1.0};
    rdx_resample_grid(&img.grid, same, &target);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &out, &err) == RDX_OK, "%s", err.msg);
    double worst = 0.0;
    for (size_t v = 0; v < 210; v++)
        worst = fmax(worst, fabs(out.data[v] - img.data[v]));
    CHECK_NEAR(worst, 0.0, 1e-4, "cubic identity");
    rdx_image_free(&out);
    rdx_image_free(&img);

    /* f = x^2 + 0.5 y^2 - z on 24^3, 0.5 mm: cubic splines reproduce quadratics;
     * the mirror boundary's error decays like |sqrt(3)-2|^d = 0.268^d, so points
     * at least 8 voxels from every edge are exact to ~1e-4 (float coefficients). */
    make_image(&img, 24, 24, 24, 1.0, 1.0, 1.0);
    for (int64_t k = 0; k < 24; k++)
        for (int64_t j = 0; j < 24; j++)
            for (int64_t i = 0; i < 24; i++)
                img.data[vox(&img.grid, i, j, k)] = (float)(i * i + 0.5 * j * j - k);
    rdx_resample_grid(&img.grid, (const double[3]){0.5, 0.5, 0.5}, &target);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &out, &err) == RDX_OK, "%s", err.msg);
    worst = 0.0;
    int n_checked = 0;
    for (int64_t k = 0; k < 48; k++)
        for (int64_t j = 0; j < 48; j++)
            for (int64_t i = 0; i < 48; i++) {
                double x = i * 0.5 - 0.25, y = j * 0.5 - 0.25, z = k * 0.5 - 0.25; /* offset (23 - 47/2)/2 */
                if (x < 8 || x > 15 || y < 8 || y > 15 || z < 8 || z > 15)
                    continue;
                worst = fmax(worst, fabs(out.data[vox(&target, i, j, k)] - (x * x + 0.5 * y * y - z)));
                n_checked++;
            }
    CHECK(n_checked == 14 * 14 * 14, "quadratic points checked %d", n_checked);
    CHECK_NEAR(worst, 0.0, 1e-3, "cubic quadratic worst error");
    rdx_image_free(&out);
    rdx_image_free(&img);

    /* Impulse at x = 20 on 41 voxels, sampled half a voxel off (target origin +0.5 mm).
     * Interpolation coefficients of an impulse: c_k = sqrt(3) z^|k|, z = sqrt(3) - 2
     * (check: (c_-1 + 4 c_0 + c_1)/6 = sqrt(3)(4 + 2z)/6 = 1). B-spline values
     * beta(0.5) = 23/48, beta(1.5) = 1/48. At 20.5:
     *   23/48 (c0 + c1) + 1/48 (c_-1 + c2) = sqrt(3)/48 (23(1+z) + z(1+z))
     *   = sqrt(3)/48 (20 sqrt(3) - 18) = (10 - 3 sqrt(3))/8 = 0.6004809.
     * At 21.5: 23/48 (c1 + c2) + 1/48 (c0 + c3) = sqrt(3)/48 (23(5 - 3 sqrt(3)) + 1 + 15 sqrt(3) - 26)
     *   = (15 sqrt(3) - 27)/8 = -0.1274047. Mirror effects ~ z^20 = 4e-12. */
    make_image(&img, 41, 1, 1, 1.0, 1.0, 1.0);
    memset(img.data, 0, 41 * sizeof(float));
    img.data[20] = 1.0f;
    target = img.grid;
    target.origin[0] = 0.5;
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &out, &err) == RDX_OK, "%s", err.msg);
    CHECK_NEAR(out.data[20], (10.0 - 3.0 * sqrt(3.0)) / 8.0, 1e-6, "cardinal spline at 0.5");
    CHECK_NEAR(out.data[19], (10.0 - 3.0 * sqrt(3.0)) / 8.0, 1e-6, "cardinal spline at -0.5");
    CHECK_NEAR(out.data[21], (15.0 * sqrt(3.0) - 27.0) / 8.0, 1e-6, "cardinal spline at 1.5");
    CHECK_NEAR(out.data[40], 0.0, 1e-6, "last voxel clamps to sample 40");
    rdx_image_free(&out);
    rdx_image_free(&img);

    /* Small volume with boundaries everywhere, against scipy 1.17:
     * f[k,j,i] = (7i + 3j + 11k) % 10 on 5 x 4 x 3, 1 mm -> 0.6 mm (9 x 7 x 5, offset -0.4),
     * ndimage.map_coordinates(f, clipped coords, order=3, mode='mirror'). */
    make_image(&img, 5, 4, 3, 1.0, 1.0, 1.0);
    for (int64_t k = 0; k < 3; k++)
        for (int64_t j = 0; j < 4; j++)
            for (int64_t i = 0; i < 5; i++)
                img.data[vox(&img.grid, i, j, k)] = (float)((7 * i + 3 * j + 11 * k) % 10);
    rdx_resample_grid(&img.grid, (const double[3]){0.6, 0.6, 0.6}, &target);
    CHECK(rdx_resample_image(&img, &target, RDX_INTERP_CUBIC_SPLINE, &out, &err) == RDX_OK, "%s", err.msg);
    CHECK_NEAR(out.data[vox(&target, 0, 0, 0)], 0.0, 1e-5, "scipy (0,0,0)");
    CHECK_NEAR(out.data[vox(&target, 3, 2, 1)], 3.2018078582857132, 1e-5, "scipy (3,2,1)");
    CHECK_NEAR(out.data[vox(&target, 4, 3, 2)], 4.5, 1e-5, "scipy (4,3,2)");
    CHECK_NEAR(out.data[vox(&target, 8, 6, 4)], 9.0, 1e-5, "scipy (8,6,4)");
    CHECK_NEAR(out.data[vox(&target, 1, 5, 3)], 1.9531722148571433, 1e-5, "scipy (1,5,3)");
    CHECK_NEAR(out.data[vox(&target, 5, 1, 2)], 2.6275228571428584, 1e-5, "scipy (5,1,2)");
    rdx_image_free(&out);
    rdx_image_free(&img);
}

static void test_mask(void)
{
    rdx_mask m, out;
    rdx_error err;
    rdx_grid g, target;
    rdx_grid_init(&g, 8, 8, 8);
    CHECK(rdx_mask_alloc(&m, &g, &err) == RDX_OK, "%s", err.msg);
    for (int64_t k = 2; k < 6; k++)
        for (int64_t j = 2; j < 6; j++)
            for (int64_t i = 2; i < 6; i++)
                m.data[vox(&g, i, j, k)] = 1;

    /* Upsample x2 linear: x(j) = j/2 - 0.25. The 1D profile of the indicator of
     * 2..5 is 0.25 at x = 1.25 and 5.75, 0.75 at 1.75 and 5.25, 1 at 2.25..4.75
     * (6 points), 0 elsewhere; the cube is separable so the 3D value is the
     * product. >= 0.5: all three 1 (6^3 = 216), one 0.75 (3*2*6*6 = 216), two 0.75
     * (0.5625: 3*4*6 = 72); three 0.75 (0.42) or any 0.25 fail: 504 voxels.
     * >= 1.0: only the 216. */
    rdx_resample_grid(&g, (const double[3]){0.5, 0.5, 0.5}, &target);
    CHECK(rdx_resample_mask(&m, &target, RDX_INTERP_LINEAR, 0.5, &out, &err) == RDX_OK, "%s", err.msg);
    CHECK(rdx_mask_count(&out) == 504, "linear 0.5: %zu voxels", rdx_mask_count(&out));
    rdx_mask_free(&out);
    CHECK(rdx_resample_mask(&m, &target, RDX_INTERP_LINEAR, 1.0, &out, &err) == RDX_OK, "%s", err.msg);
    CHECK(rdx_mask_count(&out) == 216, "linear 1.0: %zu voxels", rdx_mask_count(&out));
    CHECK(out.data[vox(&target, 5, 5, 5)] == 1 && out.data[vox(&target, 4, 5, 5)] == 0, "linear 1.0 edge");
    rdx_mask_free(&out);
    /* Nearest duplicates every voxel: 64 * 8 = 512. */
    CHECK(rdx_resample_mask(&m, &target, RDX_INTERP_NEAREST, 0.5, &out, &err) == RDX_OK, "%s", err.msg);
    CHECK(rdx_mask_count(&out) == 512, "nearest: %zu voxels", rdx_mask_count(&out));
    rdx_mask_free(&out);

    /* Zero-size target. */
    target.dim[1] = 0;
    CHECK(rdx_resample_mask(&m, &target, RDX_INTERP_LINEAR, 0.5, &out, &err) == RDX_E_INVALID, "zero target");
    CHECK(out.data == NULL, "no data on failure");
    rdx_mask_free(&m);
}

static void test_timing(void)
{
    rdx_image img, out;
    rdx_error err;
    rdx_grid target;
    make_image(&img, 256, 256, 100, 1.0, 1.0, 2.0);
    size_t n = rdx_grid_count(&img.grid);
    for (size_t v = 0; v < n; v++)
        img.data[v] = (float)(v % 1000);
    rdx_resample_grid(&img.grid, (const double[3]){0.5, 0.5, 1.0}, &target);
    const rdx_interp methods[3] = {RDX_INTERP_NEAREST, RDX_INTERP_LINEAR, RDX_INTERP_CUBIC_SPLINE};
    const char *names[3] = {"nearest", "linear", "cubic_spline"};
    for (int m = 0; m < 3; m++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(rdx_resample_image(&img, &target, methods[m], &out, &err) == RDX_OK, "%s", err.msg);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("timing: 256x256x100 -> %lldx%lldx%lld %s: %.3f s\n", (long long)target.dim[0],
               (long long)target.dim[1], (long long)target.dim[2], names[m],
               (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
        rdx_image_free(&out);
    }
    rdx_image_free(&img);
}

int main(void)
{
    test_grid();
    test_linear_ramp();
    test_nearest_checkerboard();
    test_2d();
    test_cubic();
    test_mask();
    test_timing();
    return check_summary("test_resample");
}
