/* Tests of the NGTDM and NGLDM families (host/features_ngtdm.c,
 * host/features_ngldm.c): hand-computed 2D examples, count matrices against a
 * brute-force recount written independently (all voxel pairs, Chebyshev
 * distance), invariance under flips and transposes, and independence of the
 * OpenMP thread count. */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "neighbours.h"

/* A box with its own arrays; grey 0 marks voxels outside the ROI. */
typedef struct {
    rdx_texture_input in;
    int32_t *grey;
    uint8_t *roi;
    float *intensity;
} box;

static box box_new(int64_t nx, int64_t ny, int64_t nz, int n_grey)
{
    box b;
    size_t n = (size_t)(nx * ny * nz);
    b.grey = calloc(n, sizeof *b.grey);
    b.roi = calloc(n, 1);
    b.intensity = calloc(n, sizeof *b.intensity);
    b.in = (rdx_texture_input){{nx, ny, nz}, {1.0, 1.0, 1.0}, b.grey, n_grey, b.roi, b.roi, b.intensity,
                               RDX_DEVICE_CPU};
    return b;
}

static void box_sync(box *b) /* roi and intensity from grey */
{
    size_t n = (size_t)(b->in.dim[0] * b->in.dim[1] * b->in.dim[2]);
    for (size_t k = 0; k < n; k++) {
        b->roi[k] = b->grey[k] > 0;
        b->intensity[k] = (float)b->grey[k];
    }
}

static void box_free(box *b)
{
    free(b->grey);
    free(b->roi);
    free(b->intensity);
}

static box box_from_rows(int64_t nx, int64_t ny, const int *rows, int n_grey)
{
    box b = box_new(nx, ny, 1, n_grey);
    for (int64_t k = 0; k < nx * ny; k++)
        b.grey[k] = rows[k];
    box_sync(&b);
    return b;
}

static uint64_t rng_state;
static int rnd(int n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((rng_state >> 33) % (uint64_t)n);
}

static box box_random(int64_t nx, int64_t ny, int64_t nz, int n_grey, int pct_in)
{
    box b = box_new(nx, ny, nz, n_grey);
    for (int64_t k = 0; k < nx * ny * nz; k++)
        b.grey[k] = rnd(100) < pct_in ? 1 + rnd(n_grey) : 0;
    box_sync(&b);
    return b;
}

static const int ngt_ids[3][5] = {
    {RDX_F_NGT_COARSENESS_2D, RDX_F_NGT_CONTRAST_2D, RDX_F_NGT_BUSYNESS_2D, RDX_F_NGT_COMPLEXITY_2D,
     RDX_F_NGT_STRENGTH_2D},
    {RDX_F_NGT_COARSENESS_2_5D, RDX_F_NGT_CONTRAST_2_5D, RDX_F_NGT_BUSYNESS_2_5D, RDX_F_NGT_COMPLEXITY_2_5D,
     RDX_F_NGT_STRENGTH_2_5D},
    {RDX_F_NGT_COARSENESS_3D, RDX_F_NGT_CONTRAST_3D, RDX_F_NGT_BUSYNESS_3D, RDX_F_NGT_COMPLEXITY_3D,
     RDX_F_NGT_STRENGTH_3D}};

#define NGL_IDS(a)                                                                                           \
    {RDX_F_NGL_LDE_##a,     RDX_F_NGL_HDE_##a,       RDX_F_NGL_LGCE_##a,   RDX_F_NGL_HGCE_##a,                 \
     RDX_F_NGL_LDLGE_##a,   RDX_F_NGL_LDHGE_##a,     RDX_F_NGL_HDLGE_##a,  RDX_F_NGL_HDHGE_##a,                \
     RDX_F_NGL_GLNU_##a,    RDX_F_NGL_GLNU_NORM_##a, RDX_F_NGL_DCNU_##a,   RDX_F_NGL_DCNU_NORM_##a,            \
     RDX_F_NGL_DC_PERC_##a, RDX_F_NGL_GL_VAR_##a,    RDX_F_NGL_DC_VAR_##a, RDX_F_NGL_DC_ENTR_##a,              \
     RDX_F_NGL_DC_ENERGY_##a}
static const int ngl_ids[3][17] = {NGL_IDS(2D), NGL_IDS(2_5D), NGL_IDS(3D)};

static double *run_both(const box *b, int distance, int alpha)
{
    double *v = malloc(RDX_F_COUNT * sizeof *v);
    for (int k = 0; k < RDX_F_COUNT; k++)
        v[k] = -12345.0; /* untouched marker */
    rdx_texture t = {RDX_AGG_2D | RDX_AGG_3D, 1, distance, distance, alpha, 1};
    rdx_error err = {0};
    CHECK(rdx_family_ngtdm(&b->in, &t, v, &err) == RDX_OK, "ngtdm: %s", err.msg);
    CHECK(rdx_family_ngldm(&b->in, &t, v, &err) == RDX_OK, "ngldm: %s", err.msg);
    return v;
}

static void check_features(const double *v, const int *ids, const double *want, int n, const char *what)
{
    for (int k = 0; k < n; k++) {
        char label[64];
        snprintf(label, sizeof label, "%s feature %d", what, k);
        CHECK_NEAR(v[ids[k]], want[k], 1e-12 * fmax(1.0, fabs(want[k])), label);
    }
}

/* Example A, one slice, every voxel in the ROI, distance 1 (8 neighbours):
 *     y=0: 1 2 1
 *     y=1: 2 2 3
 *     y=2: 1 3 3
 * NGTDM: neighbour sum S, count W, |i - S/W| per voxel:
 *   (0,0)=1: S=6  W=3 -> 1      (1,0)=2: S=9  W=5 -> 0.2    (2,0)=1: S=7 W=3 -> 4/3
 *   (0,1)=2: S=9  W=5 -> 0.2    (1,1)=2: S=16 W=8 -> 0      (2,1)=3: S=11 W=5 -> 0.8
 *   (0,2)=1: S=7  W=3 -> 4/3    (1,2)=3: S=11 W=5 -> 0.8    (2,2)=3: S=8 W=3 -> 1/3
 *   n = (3, 3, 3), p = 1/3 each, s = (11/3, 2/5, 29/15), sum s = 6, sum p s = 2.
 *   coarseness 1/2; contrast = [sum_ij p_i p_j (i-j)^2 = 12/9] / (3*2) * 6/9 = 4/27;
 *   busyness = 2 / [sum_ij |i p_i - j p_j| = 8/3] = 3/4;
 *   complexity = (1/9) * 2 * [1*(11/3+2/5)/2 + 2*(11/3+29/15)/2 + 1*(2/5+29/15)/2] = 88/45;
 *   strength = (2/3) * 12 / 6 = 4/3.
 * NGLDM alpha 0 (dependent neighbours k, j = k + 1):
 *   level 1: three voxels, k = 0 -> s(1,1) = 3
 *   level 2: three voxels, k = 2 -> s(2,3) = 3
 *   level 3: three voxels, k = 2 -> s(3,3) = 3        N_s = 9
 *   lde = (3 + 3/9 + 3/9)/9 = 11/27, hde = (3 + 27 + 27)/9 = 19/3,
 *   lgce = (3 + 3/4 + 3/9)/9 = 49/108, hgce = (3 + 12 + 27)/9 = 14/3,
 *   ldlge = (3 + 3/36 + 3/81)/9 = 337/972, ldhge = (3 + 12/9 + 27/9)/9 = 22/27,
 *   hdlge = (3 + 27/4 + 27/9)/9 = 17/12, hdhge = (3 + 108 + 243)/9 = 118/3,
 *   glnu = 27/9 = 3, glnu_norm = 1/3, dcnu = (3^2 + 6^2)/9 = 5, dcnu_norm = 5/9,
 *   dc_perc = 1, gl_var = (1 + 0 + 1)/3 = 2/3, dc mean 7/3, dc_var = (3*16/9 + 6*4/9)/9 = 8/9,
 *   dc_entr = log2 3, dc_energy = 1/3.
 * With one slice the 2D, 2.5D and 3D matrices coincide. */
static void test_example_a(void)
{
    static const int rows[9] = {1, 2, 1, 2, 2, 3, 1, 3, 3};
    box b = box_from_rows(3, 3, rows, 3);
    rdx_nbh_levels lv;
    rdx_error err = {0};
    CHECK(rdx_nbh_levels_build(&b.in, &lv, &err) == RDX_OK, "%s", err.msg);
    rdx_nbh_ctx c = {&b.in, &lv, 1, 0};
    CHECK(rdx_nbh_max_neighbours(&c, 1) == 8, "2D width %lld", (long long)rdx_nbh_max_neighbours(&c, 1));
    CHECK(rdx_nbh_max_neighbours(&c, 0) == 8, "3D width of a single slice");

    /* NGTDM rows: [n, sum |iW-S| for W = 1..8]; from the list above:
     * level 1: W=3: |3-6| + |3-7| + |3-7| = 11;                 n = 3
     * level 2: W=5: |10-9| + |10-9| = 2; W=8: |16-16| = 0;       n = 3
     * level 3: W=5: |15-11| + |15-11| = 8; W=3: |9-8| = 1;      n = 3 */
    int64_t want_t[3][9] = {{3, 0, 0, 11, 0, 0, 0, 0, 0}, {3, 0, 0, 0, 0, 2, 0, 0, 0},
                            {3, 0, 0, 1, 0, 8, 0, 0, 0}};
    int64_t *m = calloc(rdx_ngtdm_cells(&c, 1), sizeof *m);
    CHECK(rdx_ngtdm_count(&c, 1, 0, 1, m) == 0, "rdx_ngtdm_count: out of memory");
    CHECK(memcmp(m, want_t, sizeof want_t) == 0, "NGTDM matrix of example A");
    free(m);

    int64_t want_l[3][9] = {{3, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 3, 0, 0, 0, 0, 0, 0}, {0, 0, 3, 0, 0, 0, 0, 0, 0}};
    m = calloc(rdx_ngldm_cells(&c, 1), sizeof *m);
    CHECK(rdx_ngldm_count(&c, 1, 0, 1, m) == 0, "rdx_ngldm_count: out of memory");
    CHECK(memcmp(m, want_l, sizeof want_l) == 0, "NGLDM matrix of example A");
    free(m);
    rdx_nbh_levels_free(&lv);

    double *v = run_both(&b, 1, 0);
    const double ngt[5] = {0.5, 4.0 / 27.0, 0.75, 88.0 / 45.0, 4.0 / 3.0};
    const double ngl[17] = {11.0 / 27, 19.0 / 3, 49.0 / 108, 14.0 / 3, 337.0 / 972, 22.0 / 27, 17.0 / 12,
                            118.0 / 3, 3.0,       1.0 / 3,    5.0,       5.0 / 9,     1.0,         2.0 / 3,
                            8.0 / 9,   log2(3.0), 1.0 / 3};
    for (int a = 0; a < 3; a++) {
        check_features(v, ngt_ids[a], ngt, 5, "example A NGTDM");
        check_features(v, ngl_ids[a], ngl, 17, "example A NGLDM");
    }
    free(v);
    box_free(&b);
}

/* Example B, one slice, 0 = outside the ROI:
 *     y=0: 1 1 0 3
 *     y=1: 2 0 0 0
 * NGTDM: (0,0)=1: S=1+2 W=2 -> 1/2; (1,0)=1: S=1+2 W=2 -> 1/2; (0,1)=2: S=1+1 W=2 -> 1;
 *   (3,0)=3 has no ROI neighbour (W = 0) and is left out: n = (2, 1, 0), N_vc = 3,
 *   p = (2/3, 1/3), s = (1, 1), N_gp = 2, sum p s = 1, sum s = 2.
 *   coarseness 1; contrast = [2 * (2/3)(1/3)] / 2 * 2/3 = 4/27;
 *   busyness: |1*2/3 - 2*1/3| = 0 -> denominator 0 -> 0;
 *   complexity = (1/3) * 2 * 1 * (2/3 + 1/3)/1 = 2/3; strength = 2 * 1 * 1 / 2 = 1.
 * NGLDM alpha 1: (0,0), (1,0), (0,1) each have 2 dependent neighbours (j = 3),
 *   (3,0) none (j = 1): s(1,3) = 2, s(2,3) = 1, s(3,1) = 1, N_s = 4 = N_v.
 *   lde = (2/9 + 1/9 + 1)/4 = 1/3, hde = (18 + 9 + 1)/4 = 7, lgce = (2 + 1/4 + 1/9)/4 = 85/144,
 *   hgce = (2 + 4 + 9)/4 = 15/4, ldlge = (2/9 + 1/36 + 1/9)/4 = 13/144,
 *   ldhge = (2/9 + 4/9 + 9)/4 = 29/12, hdlge = (18 + 9/4 + 1/9)/4 = 733/144,
 *   hdhge = (18 + 36 + 9)/4 = 63/4, glnu = (4 + 1 + 1)/4 = 3/2, glnu_norm = 3/8,
 *   dcnu = (1 + 9)/4 = 5/2, dcnu_norm = 5/8, dc_perc = 1,
 *   gl_var: mean 7/4 -> (1/2)(9/16) + (1/4)(1/16) + (1/4)(25/16) = 11/16,
 *   dc_var: mean 5/2 -> (3/4)(1/4) + (1/4)(9/4) = 3/4,
 *   dc_entr = -(1/2 log2 1/2 + 2 * 1/4 log2 1/4) = 3/2, dc_energy = 1/4 + 2/16 = 3/8.
 * NGLDM alpha 0: (0,0) and (1,0) depend on each other (j = 2), (0,1) and (3,0) j = 1. */
static void test_example_b(void)
{
    static const int rows[8] = {1, 1, 0, 3, 2, 0, 0, 0};
    box b = box_from_rows(4, 2, rows, 3);
    double *v = run_both(&b, 1, 1);
    const double ngt[5] = {1.0, 4.0 / 27.0, 0.0, 2.0 / 3.0, 1.0};
    const double ngl[17] = {1.0 / 3,  7.0,     85.0 / 144, 15.0 / 4, 13.0 / 144, 29.0 / 12,
                            733.0 / 144, 63.0 / 4, 1.5,     3.0 / 8,  2.5,        5.0 / 8,
                            1.0,      11.0 / 16, 0.75,    1.5,      3.0 / 8};
    for (int a = 0; a < 3; a++) {
        check_features(v, ngt_ids[a], ngt, 5, "example B NGTDM");
        check_features(v, ngl_ids[a], ngl, 17, "example B NGLDM");
    }
    free(v);

    rdx_nbh_levels lv;
    rdx_error err = {0};
    CHECK(rdx_nbh_levels_build(&b.in, &lv, &err) == RDX_OK, "%s", err.msg);
    rdx_nbh_ctx c = {&b.in, &lv, 1, 0};
    int64_t *m = calloc(rdx_ngldm_cells(&c, 0), sizeof *m);
    CHECK(rdx_ngldm_count(&c, 0, 0, 1, m) == 0, "rdx_ngldm_count: out of memory");
    /* width: min(3,4) * min(3,2) * 1 - 1 = 5 neighbours -> 6 cells a row */
    int64_t want[3][6] = {{0, 2, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}};
    CHECK(rdx_ngldm_cells(&c, 0) == 18 && memcmp(m, want, sizeof want) == 0, "NGLDM alpha 0 of example B");
    free(m);
    rdx_nbh_levels_free(&lv);
    box_free(&b);
}

/* Brute force: for voxel v, the ROI voxels u != v with max |u - v| <= distance
 * (same slice when in_plane). */
typedef struct {
    int64_t sum, count, dependent;
} nbh_stats;

static nbh_stats brute_neighbours(const box *b, int64_t v, int distance, int alpha, int in_plane)
{
    const int64_t *d = b->in.dim;
    int64_t vx = v % d[0], vy = v / d[0] % d[1], vz = v / (d[0] * d[1]);
    nbh_stats st = {0, 0, 0};
    for (int64_t u = 0; u < d[0] * d[1] * d[2]; u++) {
        int64_t ux = u % d[0], uy = u / d[0] % d[1], uz = u / (d[0] * d[1]);
        int64_t cheb = llabs(ux - vx);
        cheb = llabs(uy - vy) > cheb ? llabs(uy - vy) : cheb;
        cheb = llabs(uz - vz) > cheb ? llabs(uz - vz) : cheb;
        if (u == v || b->grey[u] == 0 || cheb > distance || (in_plane && uz != vz))
            continue;
        st.sum += b->grey[u];
        st.count++;
        st.dependent += abs(b->grey[u] - b->grey[v]) <= alpha;
    }
    return st;
}

/* Matrices of slices z0..z1-1 against the brute force: NGLDM exact; NGTDM n
 * exact, s_i = sum |i - S/W| in doubles against sum_W cell / W. */
static void check_matrices(const box *b, int distance, int alpha, int in_plane, int64_t z0, int64_t z1)
{
    rdx_nbh_levels lv;
    rdx_error err = {0};
    CHECK(rdx_nbh_levels_build(&b->in, &lv, &err) == RDX_OK, "%s", err.msg);
    rdx_nbh_ctx c = {&b->in, &lv, distance, alpha};
    int64_t width = rdx_nbh_max_neighbours(&c, in_plane) + 1;
    size_t cells = rdx_ngldm_cells(&c, in_plane);
    int64_t *got_l = calloc(cells, sizeof *got_l), *got_t = calloc(cells, sizeof *got_t);
    int64_t *want_l = calloc(cells, sizeof *want_l), *want_n = calloc((size_t)lv.n, sizeof *want_n);
    double *want_s = calloc((size_t)lv.n, sizeof *want_s);
    CHECK(rdx_ngldm_count(&c, in_plane, z0, z1, got_l) == 0, "rdx_ngldm_count: out of memory");
    CHECK(rdx_ngtdm_count(&c, in_plane, z0, z1, got_t) == 0, "rdx_ngtdm_count: out of memory");
    int64_t plane = b->in.dim[0] * b->in.dim[1], n_roi = 0;
    for (int64_t v = z0 * plane; v < z1 * plane; v++) {
        int g = b->grey[v];
        if (g == 0)
            continue;
        n_roi++;
        int r = 0;
        while (lv.level[r] != g)
            r++;
        nbh_stats st = brute_neighbours(b, v, distance, alpha, in_plane);
        want_l[r * width + st.dependent]++;
        if (st.count > 0) {
            want_n[r]++;
            want_s[r] += fabs(g - (double)st.sum / (double)st.count);
        }
    }
    CHECK(memcmp(got_l, want_l, cells * sizeof *got_l) == 0, "NGLDM matrix (distance %d alpha %d in_plane %d)",
          distance, alpha, in_plane);
    int64_t total = 0;
    for (size_t k = 0; k < cells; k++)
        total += got_l[k];
    CHECK(total == n_roi, "NGLDM counts %lld voxels, ROI has %lld", (long long)total, (long long)n_roi);
    for (int r = 0; r < lv.n; r++) {
        double s = 0.0;
        for (int64_t w = 1; w < width; w++)
            s += (double)got_t[r * width + w] / (double)w;
        CHECK(got_t[r * width] == want_n[r], "NGTDM n of level %d", lv.level[r]);
        CHECK_NEAR(s, want_s[r], 1e-9 * fmax(1.0, want_s[r]), "NGTDM s_i");
    }
    free(got_l);
    free(got_t);
    free(want_l);
    free(want_n);
    free(want_s);
    rdx_nbh_levels_free(&lv);
}

static void test_random_matrices(void)
{
    rng_state = 12345;
    for (int trial = 0; trial < 6; trial++) {
        box b = box_random(7, 6, 5, 5, 40 + 10 * trial);
        int distance = 1 + trial % 2, alpha = trial / 3;
        check_matrices(&b, distance, alpha, 0, 0, 5);
        for (int64_t z = 0; z < 5; z++)
            check_matrices(&b, distance, alpha, 1, z, z + 1);
        box_free(&b);
    }
}

/* The volume with axes permuted (perm[a] = source axis of new axis a) and
 * flipped (flip[a]). */
static box box_transform(const box *src, const int perm[3], const int flip[3])
{
    const int64_t *sd = src->in.dim;
    box b = box_new(sd[perm[0]], sd[perm[1]], sd[perm[2]], src->in.n_grey);
    const int64_t *d = b.in.dim;
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++) {
                int64_t p[3] = {x, y, z}, s[3];
                for (int a = 0; a < 3; a++)
                    s[perm[a]] = flip[a] ? d[a] - 1 - p[a] : p[a];
                b.grey[x + d[0] * (y + d[1] * z)] = src->grey[s[0] + sd[0] * (s[1] + sd[1] * s[2])];
            }
    box_sync(&b);
    return b;
}

static void compare_agg(const double *a, const double *b, int agg, double tol, const char *what)
{
    for (int k = 0; k < 5; k++)
        CHECK_NEAR(b[ngt_ids[agg][k]], a[ngt_ids[agg][k]], tol * fmax(1.0, fabs(a[ngt_ids[agg][k]])), what);
    for (int k = 0; k < 17; k++)
        CHECK_NEAR(b[ngl_ids[agg][k]], a[ngl_ids[agg][k]], tol * fmax(1.0, fabs(a[ngl_ids[agg][k]])), what);
}

/* 3D features do not change under any flip or transpose (integer matrices
 * identical, so bit-identical); 2D and 2.5D under in-plane ones; a z flip
 * only reorders the slices. */
static void test_invariance(void)
{
    rng_state = 777;
    box b = box_random(9, 7, 6, 6, 75);
    double *ref = run_both(&b, 1, 1);
    const struct {
        int perm[3], flip[3], in_plane, z_order;
        const char *what;
    } tr[] = {{{0, 1, 2}, {1, 0, 0}, 1, 0, "x flip"},     {{0, 1, 2}, {0, 1, 0}, 1, 0, "y flip"},
              {{1, 0, 2}, {0, 0, 0}, 1, 0, "x-y transpose"}, {{0, 1, 2}, {0, 0, 1}, 0, 1, "z flip"},
              {{2, 1, 0}, {0, 0, 0}, 0, 0, "x-z transpose"}, {{1, 2, 0}, {1, 0, 1}, 0, 0, "rotation + flips"}};
    for (size_t k = 0; k < sizeof tr / sizeof *tr; k++) {
        box t = box_transform(&b, tr[k].perm, tr[k].flip);
        double *v = run_both(&t, 1, 1);
        compare_agg(ref, v, 2, 0.0, tr[k].what);
        if (tr[k].in_plane) {
            compare_agg(ref, v, 0, 0.0, tr[k].what);
            compare_agg(ref, v, 1, 0.0, tr[k].what);
        }
        if (tr[k].z_order) {
            compare_agg(ref, v, 0, 1e-13, tr[k].what);
            compare_agg(ref, v, 1, 0.0, tr[k].what);
        }
        free(v);
        box_free(&t);
    }
    free(ref);
    box_free(&b);
}

/* A case needing the thread split: many grey levels, larger box. */
static void test_thread_independence(void)
{
    rng_state = 4242;
    box b = box_random(40, 33, 14, 200, 85);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double *one = run_both(&b, 2, 3);
    omp_set_num_threads(2);
    double *two = run_both(&b, 2, 3);
    omp_set_num_threads(saved);
    int same = 1, written = 1;
    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < 5; k++) {
            same &= memcmp(&one[ngt_ids[a][k]], &two[ngt_ids[a][k]], sizeof(double)) == 0;
            written &= isfinite(one[ngt_ids[a][k]]) && one[ngt_ids[a][k]] != -12345.0;
        }
        for (int k = 0; k < 17; k++) {
            same &= memcmp(&one[ngl_ids[a][k]], &two[ngl_ids[a][k]], sizeof(double)) == 0;
            written &= isfinite(one[ngl_ids[a][k]]) && one[ngl_ids[a][k]] != -12345.0;
        }
    }
    CHECK(same, "features differ between 1 and 2 threads");
    CHECK(written, "every feature of every aggregation written and finite");
    free(one);
    free(two);
    box_free(&b);
}

/* Only enabled aggregations are written; empty ROI gives NaN; bad settings fail. */
static void test_edges(void)
{
    static const int rows[8] = {1, 1, 0, 3, 2, 0, 0, 0};
    box b = box_from_rows(4, 2, rows, 3);
    double v[RDX_F_COUNT];
    for (int k = 0; k < RDX_F_COUNT; k++)
        v[k] = -1.0;
    rdx_texture t = {RDX_AGG_3D, 1, 1, 1, 0, 1};
    rdx_error err = {0};
    CHECK(rdx_family_ngtdm(&b.in, &t, v, &err) == RDX_OK, "%s", err.msg);
    CHECK(v[RDX_F_NGT_COARSENESS_2D] == -1.0 && v[RDX_F_NGT_COARSENESS_3D] == 1.0, "only 3D written");
    t.ngldm_distance = 0;
    CHECK(rdx_family_ngldm(&b.in, &t, v, &err) == RDX_E_INVALID, "distance 0 refused");
    t.ngldm_distance = 1;
    b.grey[0] = 4; /* above n_grey */
    CHECK(rdx_family_ngldm(&b.in, &t, v, &err) == RDX_E_INVALID, "grey level above n_grey refused");
    memset(b.grey, 0, 8 * sizeof *b.grey);
    t.aggregations = RDX_AGG_2D | RDX_AGG_3D;
    CHECK(rdx_family_ngldm(&b.in, &t, v, &err) == RDX_OK, "%s", err.msg);
    CHECK(isnan(v[RDX_F_NGL_LDE_2D]) && isnan(v[RDX_F_NGL_LDE_2_5D]) && isnan(v[RDX_F_NGL_LDE_3D]),
          "empty ROI gives NaN");
    box_free(&b);
}

int main(void)
{
    test_example_a();
    test_example_b();
    test_random_matrices();
    test_invariance();
    test_thread_independence();
    test_edges();
    return check_summary("test_neighbours");
}
