/* GLSZM / GLDZM zones (host/zones.c, IBSI 3.8 and 3.9): hand-computed 2D
 * examples, labelling, zone matrices and distance maps against brute force
 * written differently (label propagation to a fixed point, exhaustive
 * distance search), invariance under flips and transposes, slice merging,
 * thread-count independence and a large sparse case. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"
#include "zones.h"

/* ------------------------------------------------------------ test volumes */

typedef struct {
    int64_t dim[3];
    int32_t *grey;
    uint8_t *roi, *morph;
} vol;

static vol vol_new(int64_t nx, int64_t ny, int64_t nz)
{
    vol v = {{nx, ny, nz}, NULL, NULL, NULL};
    size_t n = (size_t)(nx * ny * nz);
    v.grey = calloc(n, sizeof *v.grey);
    v.roi = calloc(n, 1);
    v.morph = calloc(n, 1);
    return v;
}

static void vol_free(vol *v)
{
    free(v->grey);
    free(v->roi);
    free(v->morph);
}

static size_t vol_n(const vol *v)
{
    return (size_t)(v->dim[0] * v->dim[1] * v->dim[2]);
}

/* Rows of a 2D slice given as text, y = row, x = column; '0' = outside the
 * ROI. morph = roi unless set afterwards. */
static vol slice_from_rows(const char *const *rows, int ny)
{
    int nx = (int)strlen(rows[0]);
    vol v = vol_new(nx, ny, 1);
    for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++) {
            int g = rows[y][x] - '0';
            v.grey[x + nx * y] = g;
            v.roi[x + nx * y] = v.morph[x + nx * y] = g > 0;
        }
    return v;
}

static rdx_texture_input as_input(const vol *v)
{
    rdx_texture_input in = {{v->dim[0], v->dim[1], v->dim[2]}, {1, 1, 1}, v->grey, 9, v->roi, v->morph, NULL,
                            RDX_DEVICE_CPU};
    return in;
}

static const rdx_texture all_aggregations = {RDX_AGG_2D | RDX_AGG_3D, 1, 1, 1, 0, 1};

typedef rdx_status (*family_fn)(const rdx_texture_input *, const rdx_texture *, double *, rdx_error *);

static void run_family(family_fn fn, const vol *v, const rdx_texture *t, double *values)
{
    rdx_error err = {0};
    rdx_texture_input in = as_input(v);
    for (int f = 0; f < RDX_F_COUNT; f++)
        values[f] = NAN;
    rdx_status st = fn(&in, t, values, &err);
    CHECK(st == RDX_OK, "family failed: %s", err.msg);
}

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

/* Random grey levels 1..ng in a random intensity mask; the morphological
 * mask holds the intensity mask plus some voxels (as after re-segmentation). */
static vol random_vol(int64_t nx, int64_t ny, int64_t nz, int ng, uint64_t seed)
{
    vol v = vol_new(nx, ny, nz);
    rng_state = seed;
    for (size_t i = 0; i < vol_n(&v); i++) {
        v.morph[i] = rnd(10) < 8;
        v.roi[i] = v.morph[i] && rnd(10) < 8;
        v.grey[i] = v.roi[i] ? 1 + (int32_t)rnd((uint32_t)ng) : 0;
    }
    return v;
}

/* --------------------------------------------------- hand-computed examples */

/* GLSZM of one 4x4 slice (0 = outside the ROI), 8-connected zones:
 *     y=0: 1 1 2 2
 *     y=1: 1 3 3 2
 *     y=2: 2 3 1 1
 *     y=3: 2 2 3 0
 * grey 1: {(0,0),(1,0),(0,1)} size 3; {(2,2),(3,2)} size 2 ((1,0) and (2,2)
 *         are 2 apart). grey 2: {(2,0),(3,0),(3,1)} size 3; {(0,2),(0,3),(1,3)}
 *         size 3. grey 3: {(1,1),(2,1),(1,2),(2,3)} size 4 ((2,3) touches (1,2)
 *         diagonally).
 * s(1,2)=1 s(1,3)=1 s(2,3)=2 s(3,4)=1; Ns = 5, Nv = 15.
 * sze   = (1/4 + 1/9 + 2/9 + 1/16)/5              = 0.6458333/5 = 0.12916667
 * lze   = (4 + 9 + 18 + 16)/5                      = 9.4
 * lgze  = (1 + 1 + 2/4 + 1/9)/5                    = 0.52222222
 * hgze  = (1 + 1 + 8 + 9)/5                        = 3.8
 * szlge = (1/4 + 1/9 + 2/36 + 1/144)/5             = 0.08472222
 * szhge = (1/4 + 1/9 + 8/9 + 9/16)/5               = 0.3625
 * lzlge = (4 + 9 + 18/4 + 16/9)/5                  = 3.85555556
 * lzhge = (4 + 9 + 72 + 144)/5                     = 45.8
 * glnu  = (2^2 + 2^2 + 1^2)/5 = 1.8, normalised 9/25 = 0.36
 * zsnu  = (s.2=1, s.3=3, s.4=1) (1 + 9 + 1)/5 = 2.2, normalised 11/25 = 0.44
 * z_perc = 5/15; mean grey 9/5: gl_var = (2*0.64 + 2*0.04 + 1.44)/5 = 0.56
 * mean size 3: zs_var = (1 + 0 + 0 + 0 + 1)/5 = 0.4
 * zs_entr = -(3 * 0.2 log2 0.2 + 0.4 log2 0.4) = 1.92192809
 * One slice: 2D = 2.5D, and 3D 26-connectivity links the same voxels. */
static void test_glszm_hand(void)
{
    static const char *const rows[] = {"1122", "1332", "2311", "2230"};
    static const double want[RDX_ZF_COUNT] = {0.12916667, 9.4, 0.52222222, 3.8, 0.08472222, 0.3625,
                                              3.85555556, 45.8, 1.8, 0.36, 2.2, 0.44, 1.0 / 3.0, 0.56, 0.4,
                                              1.92192809};
    static const int first[RDX_ZF_COUNT] = {
        RDX_F_SZM_SZE_2D,   RDX_F_SZM_LZE_2D,       RDX_F_SZM_LGZE_2D,  RDX_F_SZM_HGZE_2D,
        RDX_F_SZM_SZLGE_2D, RDX_F_SZM_SZHGE_2D,     RDX_F_SZM_LZLGE_2D, RDX_F_SZM_LZHGE_2D,
        RDX_F_SZM_GLNU_2D,  RDX_F_SZM_GLNU_NORM_2D, RDX_F_SZM_ZSNU_2D,  RDX_F_SZM_ZSNU_NORM_2D,
        RDX_F_SZM_Z_PERC_2D, RDX_F_SZM_GL_VAR_2D,   RDX_F_SZM_ZS_VAR_2D, RDX_F_SZM_ZS_ENTR_2D};
    vol v = slice_from_rows(rows, 4);
    double *val = malloc(RDX_F_COUNT * sizeof *val);
    run_family(rdx_family_glszm, &v, &all_aggregations, val);
    for (int k = 0; k < RDX_ZF_COUNT; k++)
        for (int a = 0; a < 3; a++) /* _2D, _2_5D, _3D follow each other in the feature list */
            CHECK_NEAR(val[first[k] + a], want[k], 1e-7 * fmax(1, want[k]),
                       rdx_feature_table()[first[k] + a].tag);
    free(val);
    vol_free(&v);
}

/* GLDZM of one 5x5 slice (0 = outside the ROI):
 *     y=0: 3 1 1 1 1
 *     y=1: 1 2 2 2 1
 *     y=2: 1 2 3 2 1
 *     y=3: 1 2 2 2 1
 *     y=4: 1 1 1 1 0
 * Zones: grey 1 the outer ring without (0,0) (14 voxels, on the box edge:
 * distance 1); grey 2 the inner ring (8 voxels; (1,1) is 2 steps from
 * (-1,1), nothing is nearer the edge: distance 2); grey 3 at (0,0) (distance
 * 1) and grey 3 at the centre (2,2) (3 steps to (-1,2), 4 to (4,4):
 * distance 3). d(1,1)=1 d(2,2)=1 d(3,1)=1 d(3,3)=1; Ns = 4, Nv = 24.
 * sde   = (1 + 1/4 + 1 + 1/9)/4           = 0.59027778
 * lde   = (1 + 4 + 1 + 9)/4               = 3.75
 * lgze  = (1 + 1/4 + 2/9)/4               = 0.36805556
 * hgze  = (1 + 4 + 18)/4                  = 5.75
 * sdlge = (1 + 1/16 + 1/9 + 1/81)/4       = 0.29648920
 * sdhge = (1 + 1 + 9 + 1)/4               = 3
 * ldlge = (1 + 1 + 1/9 + 1)/4             = 0.77777778
 * ldhge = (1 + 16 + 9 + 81)/4             = 26.75
 * glnu  = (1 + 1 + 4)/4 = 1.5, normalised 0.375
 * zdnu  = (d.1=2, d.2=1, d.3=1) (4 + 1 + 1)/4 = 1.5, normalised 0.375
 * z_perc = 4/24; gl_var: mean 2.25, (1.5625 + 0.0625 + 2*0.5625)/4 = 0.6875
 * zd_var: mean 1.75, (0.5625 + 0.0625 + 0.5625 + 1.5625)/4 = 0.6875
 * zd_entr = 4 * (1/4 * 2) = 2.
 * In 3D the slices above and below are outside: every distance is 1. */
static void test_gldzm_hand(void)
{
    static const char *const rows[] = {"31111", "12221", "12321", "12221", "11110"};
    static const double want[RDX_ZF_COUNT] = {0.59027778, 3.75, 0.36805556, 5.75, 0.29648920, 3, 0.77777778,
                                              26.75, 1.5, 0.375, 1.5, 0.375, 4.0 / 24.0, 0.6875, 0.6875, 2};
    static const int first[RDX_ZF_COUNT] = {
        RDX_F_DZM_SDE_2D,   RDX_F_DZM_LDE_2D,       RDX_F_DZM_LGZE_2D,  RDX_F_DZM_HGZE_2D,
        RDX_F_DZM_SDLGE_2D, RDX_F_DZM_SDHGE_2D,     RDX_F_DZM_LDLGE_2D, RDX_F_DZM_LDHGE_2D,
        RDX_F_DZM_GLNU_2D,  RDX_F_DZM_GLNU_NORM_2D, RDX_F_DZM_ZDNU_2D,  RDX_F_DZM_ZDNU_NORM_2D,
        RDX_F_DZM_Z_PERC_2D, RDX_F_DZM_GL_VAR_2D,   RDX_F_DZM_ZD_VAR_2D, RDX_F_DZM_ZD_ENTR_2D};
    vol v = slice_from_rows(rows, 5);
    double *val = malloc(RDX_F_COUNT * sizeof *val);
    run_family(rdx_family_gldzm, &v, &all_aggregations, val);
    for (int k = 0; k < RDX_ZF_COUNT; k++)
        for (int a = 0; a < 2; a++)
            CHECK_NEAR(val[first[k] + a], want[k], 1e-7 * fmax(1, want[k]),
                       rdx_feature_table()[first[k] + a].tag);
    CHECK_NEAR(val[RDX_F_DZM_SDE_3D], 1.0, 1e-15, "dzm_sde_3D of one slice");
    CHECK_NEAR(val[RDX_F_DZM_LDE_3D], 1.0, 1e-15, "dzm_lde_3D of one slice");
    CHECK_NEAR(val[RDX_F_DZM_ZDNU_NORM_3D], 1.0, 1e-15, "dzm_zdnu_norm_3D of one slice");

    /* The distance comes from the morphological mask: drop (1,2) (grey 2)
     * from the intensity mask only. The inner ring (now 7 voxels, still one
     * zone) keeps distance 2 and the centre 3, so lde stays 3.75; measured on
     * the intensity mask both would be 1 (lde 1). */
    v.grey[1 + 5 * 2] = 0;
    v.roi[1 + 5 * 2] = 0;
    run_family(rdx_family_gldzm, &v, &all_aggregations, val);
    CHECK_NEAR(val[RDX_F_DZM_LDE_2D], 3.75, 1e-12, "dzm_lde_2D with a re-segmented voxel");
    CHECK_NEAR(val[RDX_F_DZM_Z_PERC_2D], 4.0 / 23.0, 1e-12, "dzm_z_perc_2D with a re-segmented voxel");
    free(val);
    vol_free(&v);
}

/* --------------------------------------------------------------- brute force */

/* Zone labels by propagation of the smallest voxel index among linked
 * voxels until nothing changes, then renumbered 1, 2, ... in order of the
 * smallest index: the raster order of each zone's first voxel. */
static uint32_t *brute_labels(const int64_t dim[3], const int32_t *grey, int r)
{
    size_t n = (size_t)(dim[0] * dim[1] * dim[2]);
    int64_t *rep = malloc(n * sizeof *rep);
    uint32_t *lab = calloc(n, sizeof *lab);
    for (size_t i = 0; i < n; i++)
        rep[i] = (int64_t)i;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int64_t z = 0; z < dim[2]; z++)
            for (int64_t y = 0; y < dim[1]; y++)
                for (int64_t x = 0; x < dim[0]; x++) {
                    int64_t i = x + dim[0] * (y + dim[1] * z);
                    if (grey[i] <= 0)
                        continue;
                    for (int64_t c = z - r; c <= z + r; c++)
                        for (int64_t b = y - r; b <= y + r; b++)
                            for (int64_t a = x - r; a <= x + r; a++) {
                                if (a < 0 || b < 0 || c < 0 || a >= dim[0] || b >= dim[1] || c >= dim[2])
                                    continue;
                                int64_t j = a + dim[0] * (b + dim[1] * c);
                                if (grey[j] == grey[i] && rep[j] < rep[i]) {
                                    rep[i] = rep[j];
                                    changed = 1;
                                }
                            }
                }
    }
    uint32_t next = 0;
    for (size_t i = 0; i < n; i++)
        if (grey[i] > 0)
            lab[i] = rep[i] == (int64_t)i ? ++next : lab[rep[i]];
    free(rep);
    return lab;
}

/* Manhattan distance to the nearest voxel outside the mask, searched over
 * every voxel of the volume padded by one layer (the padding is outside). */
static int32_t brute_distance(const int64_t dim[3], const uint8_t *mask, int in_plane, int64_t x, int64_t y,
                              int64_t z)
{
    int64_t best = INT64_MAX;
    int64_t z0 = in_plane ? z : -1, z1 = in_plane ? z : dim[2];
    for (int64_t c = z0; c <= z1; c++)
        for (int64_t b = -1; b <= dim[1]; b++)
            for (int64_t a = -1; a <= dim[0]; a++) {
                int inside = a >= 0 && b >= 0 && c >= 0 && a < dim[0] && b < dim[1] && c < dim[2];
                if (inside && mask[a + dim[0] * (b + dim[1] * c)])
                    continue;
                int64_t d = llabs(a - x) + llabs(b - y) + llabs(c - z);
                if (d < best)
                    best = d;
            }
    return (int32_t)best;
}

/* Zone matrix from brute-force labels: per zone its grey level and j (size,
 * or minimum distance), counted densely (small volumes only). */
static void brute_matrix_check(const int64_t dim[3], const int32_t *grey, const uint32_t *lab,
                               const int32_t *dist, const rdx_zone_matrix *m, const char *what)
{
    size_t n = (size_t)(dim[0] * dim[1] * dim[2]);
    uint32_t nz = 0;
    for (size_t i = 0; i < n; i++)
        nz = lab[i] > nz ? lab[i] : nz;
    int64_t *size = calloc(nz + 1, sizeof *size), *mind = malloc((nz + 1) * sizeof *mind);
    int32_t *g = calloc(nz + 1, sizeof *g), gmax = 0;
    for (uint32_t k = 0; k <= nz; k++)
        mind[k] = INT64_MAX;
    int64_t nv = 0;
    for (size_t i = 0; i < n; i++)
        if (lab[i]) {
            size[lab[i]]++;
            g[lab[i]] = grey[i];
            gmax = grey[i] > gmax ? grey[i] : gmax;
            if (dist && dist[i] < mind[lab[i]])
                mind[lab[i]] = dist[i];
            nv++;
        }
    /* dense counts[grey][j], j <= n */
    int64_t *cnt = calloc((size_t)(gmax + 1) * (n + 1), sizeof *cnt);
    for (uint32_t k = 1; k <= nz; k++)
        cnt[(size_t)g[k] * (n + 1) + (size_t)(dist ? mind[k] : size[k])]++;
    int64_t nonzero = 0;
    for (size_t i = 0; i < (size_t)(gmax + 1) * (n + 1); i++)
        nonzero += cnt[i] != 0;
    CHECK(m->n_voxels == nv, "%s: N_v %lld, want %lld", what, (long long)m->n_voxels, (long long)nv);
    CHECK((int64_t)m->n == nonzero, "%s: %zu matrix elements, want %lld", what, m->n, (long long)nonzero);
    int ok = 1;
    for (size_t k = 0; k < m->n; k++) {
        const rdx_zone_count *e = &m->e[k];
        ok &= e->grey <= gmax && e->j >= 0 && e->j <= (int64_t)n &&
              cnt[(size_t)e->grey * (n + 1) + (size_t)e->j] == e->count;
        ok &= k == 0 || e->grey > m->e[k - 1].grey || (e->grey == m->e[k - 1].grey && e->j > m->e[k - 1].j);
    }
    CHECK(ok, "%s: matrix elements differ from brute-force counts or are not sorted", what);
    free(size);
    free(mind);
    free(g);
    free(cnt);
}

/* Labels, matrices (size and distance) and distance maps of random volumes,
 * in 3D and slice by slice, linkage 1 and 2. */
static void test_random_against_brute_force(void)
{
    for (int trial = 0; trial < 12; trial++) {
        int r = 1 + trial % 2;
        vol v = random_vol(7, 6, 5, 2 + trial % 4, 1000 + (uint64_t)trial);
        size_t n = vol_n(&v);
        char what[96];
        uint32_t *lab = malloc(n * sizeof *lab);
        int32_t *dist = malloc(n * sizeof *dist);
        rdx_zone_matrix m;
        rdx_error err = {0};

        /* 3D */
        uint32_t *want = brute_labels(v.dim, v.grey, r);
        CHECK(rdx_zones_label(v.dim, v.grey, r, NULL, lab, &m, &err) == RDX_OK, "%s", err.msg);
        CHECK(!memcmp(lab, want, n * sizeof *lab), "trial %d: 3D labels differ from brute force", trial);
        int64_t roi = 0, sum = 0;
        for (size_t i = 0; i < n; i++)
            roi += v.roi[i];
        for (size_t k = 0; k < m.n; k++)
            sum += m.e[k].j * m.e[k].count;
        CHECK(sum == roi, "trial %d: zone sizes sum to %lld, ROI has %lld voxels", trial, (long long)sum,
              (long long)roi);
        snprintf(what, sizeof what, "trial %d 3D sizes", trial);
        brute_matrix_check(v.dim, v.grey, want, NULL, &m, what);
        rdx_zone_matrix_free(&m);

        rdx_zones_border_distance(v.dim, v.morph, 0, dist);
        int dist_ok = 1;
        for (int64_t z = 0; z < v.dim[2]; z++)
            for (int64_t y = 0; y < v.dim[1]; y++)
                for (int64_t x = 0; x < v.dim[0]; x++) {
                    int64_t i = x + v.dim[0] * (y + v.dim[1] * z);
                    dist_ok &= dist[i] == (v.morph[i] ? brute_distance(v.dim, v.morph, 0, x, y, z) : 0);
                }
        CHECK(dist_ok, "trial %d: 3D distance map differs from exhaustive search", trial);
        CHECK(rdx_zones_label(v.dim, v.grey, r, dist, lab, &m, &err) == RDX_OK, "%s", err.msg);
        snprintf(what, sizeof what, "trial %d 3D distances", trial);
        brute_matrix_check(v.dim, v.grey, want, dist, &m, what);
        rdx_zone_matrix_free(&m);
        free(want);

        /* 2D: each slice a volume of its own */
        const int64_t sd[3] = {v.dim[0], v.dim[1], 1}, ns = sd[0] * sd[1];
        rdx_zones_border_distance(v.dim, v.morph, 1, dist);
        for (int64_t z = 0; z < v.dim[2]; z++) {
            const int32_t *g = v.grey + z * ns;
            want = brute_labels(sd, g, r);
            dist_ok = 1;
            for (int64_t y = 0; y < sd[1]; y++)
                for (int64_t x = 0; x < sd[0]; x++) {
                    int64_t i = x + sd[0] * (y + sd[1] * z);
                    dist_ok &= dist[i] == (v.morph[i] ? brute_distance(v.dim, v.morph, 1, x, y, z) : 0);
                }
            CHECK(dist_ok, "trial %d slice %lld: in-plane distance map differs", trial, (long long)z);
            CHECK(rdx_zones_label(sd, g, r, dist + z * ns, lab, &m, &err) == RDX_OK, "%s", err.msg);
            CHECK(!memcmp(lab, want, (size_t)ns * sizeof *lab), "trial %d slice %lld: labels differ", trial,
                  (long long)z);
            snprintf(what, sizeof what, "trial %d slice %lld distances", trial, (long long)z);
            brute_matrix_check(sd, g, want, dist + z * ns, &m, what);
            rdx_zone_matrix_free(&m);
            free(want);
        }
        free(lab);
        free(dist);
        vol_free(&v);
    }
}

/* ---------------------------------------------------------------- invariance */

/* v with its axes permuted (new axis a = old axis perm[a]) and flipped. */
static vol reorient(const vol *v, const int perm[3], const int flip[3])
{
    vol w = vol_new(v->dim[perm[0]], v->dim[perm[1]], v->dim[perm[2]]);
    for (int64_t z = 0; z < w.dim[2]; z++)
        for (int64_t y = 0; y < w.dim[1]; y++)
            for (int64_t x = 0; x < w.dim[0]; x++) {
                int64_t c[3] = {x, y, z}, o[3];
                for (int a = 0; a < 3; a++)
                    o[perm[a]] = flip[a] ? w.dim[a] - 1 - c[a] : c[a];
                size_t src = (size_t)(o[0] + v->dim[0] * (o[1] + v->dim[1] * o[2]));
                size_t dst = (size_t)(x + w.dim[0] * (y + w.dim[1] * z));
                w.grey[dst] = v->grey[src];
                w.roi[dst] = v->roi[src];
                w.morph[dst] = v->morph[src];
            }
    return w;
}

/* 3D features are invariant under every flip and transpose (zones and
 * distances are), to the last bit since the sorted matrix is identical; 2D
 * and 2.5D ones under in-plane flips and the x-y transpose. */
static void test_invariance(void)
{
    static const struct {
        int perm[3], flip[3], in_plane;
    } ops[] = {{{0, 1, 2}, {1, 0, 0}, 1}, {{0, 1, 2}, {0, 1, 0}, 1}, {{0, 1, 2}, {0, 0, 1}, 0},
               {{1, 0, 2}, {0, 0, 0}, 1}, {{2, 1, 0}, {0, 0, 0}, 0}, {{0, 2, 1}, {1, 0, 1}, 0},
               {{2, 0, 1}, {1, 1, 1}, 0}};
    static const family_fn fam[2] = {rdx_family_glszm, rdx_family_gldzm};
    double *a = malloc(RDX_F_COUNT * sizeof *a), *b = malloc(RDX_F_COUNT * sizeof *b);
    const rdx_feature_def *tab = rdx_feature_table();
    for (int trial = 0; trial < 3; trial++) {
        vol v = random_vol(8, 7, 6, 3, 77 + (uint64_t)trial);
        for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
            vol w = reorient(&v, ops[o].perm, ops[o].flip);
            for (int f = 0; f < 2; f++) {
                run_family(fam[f], &v, &all_aggregations, a);
                run_family(fam[f], &w, &all_aggregations, b);
                int same = 1, n = 0;
                for (int k = 0; k < RDX_F_COUNT; k++) {
                    int zone_fam = tab[k].family == RDX_FAMILY_GLSZM || tab[k].family == RDX_FAMILY_GLDZM;
                    if (!zone_fam || !isfinite(a[k]))
                        continue;
                    if (tab[k].aggregation == RDX_AGG_3D || ops[o].in_plane) {
                        same &= a[k] == b[k];
                        n++;
                    }
                }
                CHECK(same && n == (ops[o].in_plane ? 48 : 16),
                      "trial %d op %zu family %d: features change under the reorientation (%d compared)", trial, o,
                      f, n);
            }
            vol_free(&w);
        }
        vol_free(&v);
    }
    free(a);
    free(b);
}

/* k identical slices: the 2.5D matrix is k times the slice matrix, so the
 * count-normalised features equal the 2D ones and glnu/zsnu (1/Ns sums of
 * squared counts) are k times larger. */
static void test_merged_slices(void)
{
    const int k = 3;
    vol s = random_vol(9, 8, 1, 4, 4242);
    vol v = vol_new(9, 8, k);
    size_t ns = vol_n(&s);
    for (int z = 0; z < k; z++) {
        memcpy(v.grey + z * ns, s.grey, ns * sizeof *s.grey);
        memcpy(v.roi + z * ns, s.roi, ns);
        memcpy(v.morph + z * ns, s.morph, ns);
    }
    double *val = malloc(RDX_F_COUNT * sizeof *val);
    run_family(rdx_family_glszm, &v, &all_aggregations, val);
    CHECK_NEAR(val[RDX_F_SZM_SZE_2_5D], val[RDX_F_SZM_SZE_2D], 1e-12, "szm_sze 2.5D vs 2D");
    CHECK_NEAR(val[RDX_F_SZM_Z_PERC_2_5D], val[RDX_F_SZM_Z_PERC_2D], 1e-12, "szm_z_perc 2.5D vs 2D");
    CHECK_NEAR(val[RDX_F_SZM_ZS_ENTR_2_5D], val[RDX_F_SZM_ZS_ENTR_2D], 1e-12, "szm_zs_entr 2.5D vs 2D");
    CHECK_NEAR(val[RDX_F_SZM_GLNU_2_5D], k * val[RDX_F_SZM_GLNU_2D], 1e-9, "szm_glnu 2.5D = k * 2D");
    CHECK_NEAR(val[RDX_F_SZM_ZSNU_2_5D], k * val[RDX_F_SZM_ZSNU_2D], 1e-9, "szm_zsnu 2.5D = k * 2D");
    run_family(rdx_family_gldzm, &v, &all_aggregations, val);
    CHECK_NEAR(val[RDX_F_DZM_LDE_2_5D], val[RDX_F_DZM_LDE_2D], 1e-12, "dzm_lde 2.5D vs 2D");
    CHECK_NEAR(val[RDX_F_DZM_ZDNU_2_5D], k * val[RDX_F_DZM_ZDNU_2D], 1e-9, "dzm_zdnu 2.5D = k * 2D");
    free(val);
    vol_free(&s);
    vol_free(&v);
}

/* The aggregation bits select what is written. */
static void test_aggregation_selection(void)
{
    vol v = random_vol(6, 6, 4, 3, 9);
    double *val = malloc(RDX_F_COUNT * sizeof *val);
    rdx_texture only3d = all_aggregations;
    only3d.aggregations = RDX_AGG_3D;
    run_family(rdx_family_glszm, &v, &only3d, val);
    CHECK(isnan(val[RDX_F_SZM_SZE_2D]) && isnan(val[RDX_F_SZM_SZE_2_5D]) && isfinite(val[RDX_F_SZM_SZE_3D]),
          "3D only: 2D features must stay untouched");
    rdx_texture only2d = all_aggregations;
    only2d.aggregations = RDX_AGG_2D;
    run_family(rdx_family_gldzm, &v, &only2d, val);
    CHECK(isfinite(val[RDX_F_DZM_SDE_2D]) && isfinite(val[RDX_F_DZM_SDE_2_5D]) && isnan(val[RDX_F_DZM_SDE_3D]),
          "2D only: 3D features must stay untouched");
    free(val);
    vol_free(&v);
}

/* Results do not depend on the number of threads (bitwise). */
static void test_thread_independence(void)
{
#ifdef _OPENMP
    vol v = random_vol(40, 35, 12, 6, 31337);
    double *a = malloc(RDX_F_COUNT * sizeof *a), *b = malloc(RDX_F_COUNT * sizeof *b);
    int saved = omp_get_max_threads();
    for (int f = 0; f < 2; f++) {
        family_fn fn = f ? rdx_family_gldzm : rdx_family_glszm;
        omp_set_num_threads(1);
        run_family(fn, &v, &all_aggregations, a);
        omp_set_num_threads(4);
        run_family(fn, &v, &all_aggregations, b);
        int same = 1;
        for (int k = 0; k < RDX_F_COUNT; k++)
            same &= (isnan(a[k]) && isnan(b[k])) || a[k] == b[k];
        CHECK(same, "family %d: 1 and 4 threads give different values", f);
    }
    omp_set_num_threads(saved);
    free(a);
    free(b);
    vol_free(&v);
#endif
}

/* Many grey levels on a large ROI: the sparse matrix holds only the distinct
 * (grey, size) pairs; sizes still sum to the ROI voxel count. */
static void test_large_sparse(void)
{
    vol v = vol_new(160, 160, 40);
    size_t n = vol_n(&v);
    rng_state = 5;
    for (size_t i = 0; i < n; i++) {
        v.roi[i] = v.morph[i] = 1;
        v.grey[i] = 1 + (int32_t)rnd(10000);
    }
    uint32_t *lab = malloc(n * sizeof *lab);
    rdx_zone_matrix m;
    rdx_error err = {0};
    CHECK(rdx_zones_label(v.dim, v.grey, 1, NULL, lab, &m, &err) == RDX_OK, "%s", err.msg);
    int64_t sum = 0, zones = 0;
    for (size_t k = 0; k < m.n; k++) {
        sum += m.e[k].j * m.e[k].count;
        zones += m.e[k].count;
    }
    CHECK(sum == (int64_t)n, "large: zone sizes sum to %lld, want %zu", (long long)sum, n);
    uint32_t max_label = 0;
    for (size_t i = 0; i < n; i++)
        max_label = lab[i] > max_label ? lab[i] : max_label;
    CHECK(zones == (int64_t)max_label, "large: %lld zones counted, %u labelled", (long long)zones, max_label);
    CHECK(m.n < 200000, "large: %zu matrix elements for at most 10000 grey levels x few sizes", m.n);
    rdx_zone_matrix_free(&m);
    free(lab);
    vol_free(&v);
}

int main(void)
{
    test_glszm_hand();
    test_gldzm_hand();
    test_random_against_brute_force();
    test_invariance();
    test_merged_slices();
    test_aggregation_selection();
    test_thread_independence();
    test_large_sparse();
    return check_summary("test_zones");
}
