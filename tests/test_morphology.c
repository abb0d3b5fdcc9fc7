/* Morphology family (IBSI 3.1): marching cubes mesh, convex hull and the
 * features, against closed-form values for boxes and single voxels, brute
 * force sums written independently here, scikit-image's marching cubes
 * (numbers quoted below) and invariants (closed, consistently oriented
 * meshes; hulls containing every point). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"
#include "convex_hull.h"
#include "families.h"
#include "marching_cubes.h"
#include "mesh.h"
#include "rdx/philox.h"
#include "rdx/settings.h"

static const double PI = 3.14159265358979323846;

static rdx_settings settings; /* rdx_settings_default, set in main */

static uint64_t rng_state = 88172645463325252u;
static uint32_t rnd(void) /* xorshift64, fixed seed */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* ---- helpers building a texture input ---------------------------------- */

typedef struct {
    rdx_texture_input in;
    uint8_t *morph, *roi;
    float *val;
    int32_t *grey;
} box_input;

static void box_alloc(box_input *b, int64_t nx, int64_t ny, int64_t nz, double sx, double sy, double sz)
{
    size_t n = (size_t)(nx * ny * nz);
    memset(b, 0, sizeof *b);
    b->morph = calloc(n, 1);
    b->roi = calloc(n, 1);
    b->val = calloc(n, sizeof *b->val);
    b->grey = calloc(n, sizeof *b->grey);
    b->in.dim[0] = nx, b->in.dim[1] = ny, b->in.dim[2] = nz;
    b->in.spacing[0] = sx, b->in.spacing[1] = sy, b->in.spacing[2] = sz;
    b->in.morph = b->morph, b->in.roi = b->roi, b->in.intensity = b->val, b->in.grey = b->grey;
    b->in.n_grey = 1;
}

static void box_free(box_input *b)
{
    free(b->morph);
    free(b->roi);
    free(b->val);
    free(b->grey);
}

/* ---- mesh invariants ----------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Every directed edge (u, v) occurs once and its reverse (v, u) once: the
 * surface is closed and consistently oriented. Returns the number of bad edges. */
static int64_t bad_edges(const int32_t *tri, int64_t n_tri)
{
    uint64_t *e = malloc((size_t)(3 * n_tri) * sizeof *e);
    for (int64_t t = 0; t < n_tri; t++)
        for (int k = 0; k < 3; k++)
            e[3 * t + k] = ((uint64_t)(uint32_t)tri[3 * t + k] << 32) | (uint32_t)tri[3 * t + (k + 1) % 3];
    qsort(e, (size_t)(3 * n_tri), sizeof *e, cmp_u64);
    int64_t bad = 0;
    for (int64_t i = 0; i < 3 * n_tri; i++) {
        if (i > 0 && e[i] == e[i - 1])
            bad++;
        uint64_t rev = (e[i] << 32) | (e[i] >> 32);
        if (!bsearch(&rev, e, (size_t)(3 * n_tri), sizeof *e, cmp_u64))
            bad++;
    }
    free(e);
    return bad;
}

/* Every vertex is an edge midpoint: exactly one odd lattice coordinate. */
static int midpoints_ok(const rdx_mesh *m)
{
    for (int32_t v = 0; v < m->n_vertices; v++) {
        int odd = 0;
        for (int a = 0; a < 3; a++)
            odd += (m->vertex[3 * v + a] & 1) != 0;
        if (odd != 1)
            return 0;
    }
    return 1;
}

/* ---- closed forms for a box of a x b x c voxels ------------------------- */

/* The marching cubes surface of a solid box is the box of voxel centres
 * grown by half a voxel in the L1 sense: flat faces on the voxel boundary,
 * chamfered edges (cubes with two inside corners give planar quads) and a
 * triangle at each corner (cubes with one inside corner). With L = n - 1
 * voxels between the end centres and r = 1/2, in voxel units:
 *   V = L1 L2 L3 + 2r (L1 L2 + L2 L3 + L1 L3) + 2r^2 (L1 + L2 + L3) + 4/3 r^3
 * (faces, 12 edge prisms of section r^2/2, 8 corner octants of an L1 ball),
 * scaled by sx sy sz. Check: 3x3x3 gives 8 + 12 + 3 + 1/6 = 23.1667, as
 * scikit-image's marching_cubes (level 0.5, padded mask) gives 23.166666. */
static double box_volume(const int n[3], const double s[3])
{
    double L[3] = {n[0] - 1.0, n[1] - 1.0, n[2] - 1.0}, r = 0.5;
    return (L[0] * L[1] * L[2] + 2 * r * (L[0] * L[1] + L[1] * L[2] + L[0] * L[2]) + 2 * r * r * (L[0] + L[1] + L[2]) +
            4.0 / 3.0 * r * r * r) *
           s[0] * s[1] * s[2];
}

/* Area in mm: 6 flat faces, 4 chamfer strips along each axis k (length
 * L_k s_k, width |(r s_i, r s_j)|), 8 corner triangles with vertices r s_a on
 * the axes. 3x3x3 isotropic: 24 + 12 sqrt(2) + sqrt(3) = 42.7026 (scikit-image:
 * 42.702614). */
static double box_area(const int n[3], const double s[3])
{
    double L[3] = {n[0] - 1.0, n[1] - 1.0, n[2] - 1.0}, r = 0.5, a = 0.0;
    for (int k = 0; k < 3; k++) {
        int i = (k + 1) % 3, j = (k + 2) % 3;
        a += 2.0 * (L[i] * s[i]) * (L[j] * s[j]);
        a += 4.0 * L[k] * s[k] * sqrt(r * s[i] * r * s[i] + r * s[j] * r * s[j]);
    }
    double cx = r * s[1] * r * s[2], cy = r * s[0] * r * s[2], cz = r * s[0] * r * s[1];
    return a + 8.0 * 0.5 * sqrt(cx * cx + cy * cy + cz * cz);
}

/* Largest distance between the corner triangles' vertices: from the vertex
 * pushed out along axis k at one corner to the one at the opposite corner. */
static double box_diameter(const int n[3], const double s[3])
{
    double best = 0.0;
    for (int k = 0; k < 3; k++) {
        double d2 = 0.0;
        for (int a = 0; a < 3; a++) {
            double len = (n[a] - 1.0 + (a == k ? 1.0 : 0.0)) * s[a];
            d2 += len * len;
        }
        best = d2 > best ? d2 : best;
    }
    return sqrt(best);
}

/* Variance (1/(N-1)) of the voxel centres along axis a of the box: the sum
 * of squares of 0..n-1 about the mean is n (n^2 - 1) / 12 per line. */
static double box_lambda(const int n[3], const double s[3], int a)
{
    double N = (double)n[0] * n[1] * n[2];
    return (N / n[a]) * (n[a] * ((double)n[a] * n[a] - 1.0) / 12.0) / (N - 1.0) * s[a] * s[a];
}

/* The manual's approximate ellipsoid area (IBSI 3.1, approximate enclosing
 * ellipsoid) for semi-axes a > b > c: 4 pi a b sum_{nu=0}^{20} (alpha beta)^nu
 * / (1 - 4 nu^2) P_nu(x), x = (alpha^2 + beta^2) / (2 alpha beta), alpha^2 =
 * 1 - b^2/a^2, beta^2 = 1 - c^2/a^2, with P_nu by the textbook recurrence in
 * x (the library avoids x). numpy's legval on the same coefficients gives
 * 53.91104876145437 for (3, 2, 1.2). The series is the manual's, not the
 * exact area (52.311 for (3, 2, 1.2) by quadrature); the reference values
 * were made with it. */
static double manual_ellipsoid_area(double a, double b, double c)
{
    double alpha = sqrt(1 - b * b / (a * a)), beta = sqrt(1 - c * c / (a * a)), ab = alpha * beta;
    double x = (alpha * alpha + beta * beta) / (2 * ab), p_prev = 1.0, p = x, sum = 1.0, pw = 1.0;
    for (int nu = 1; nu <= 20; nu++) {
        pw *= ab;
        sum += pw / (1.0 - 4.0 * nu * nu) * p;
        double p_next = ((2.0 * nu + 1.0) * x * p - nu * p_prev) / (nu + 1.0);
        p_prev = p;
        p = p_next;
    }
    return 4 * PI * a * b * sum;
}

/* ---- tests ------------------------------------------------------------------ */

/* One voxel: the octahedron |x|/sx + |y|/sy + |z|/sz <= 1/2 with 6 vertices
 * and 8 faces; volume (4/3)(sx/2)(sy/2)(sz/2) = sx sy sz / 6, each face the
 * triangle (sx/2,0,0), (0,sy/2,0), (0,0,sz/2). */
static void test_single_voxel(void)
{
    const uint8_t one = 1;
    const int64_t dim[3] = {1, 1, 1};
    const double s[3] = {1.0, 2.0, 3.0};
    rdx_mesh m;
    rdx_error err = {0};
    CHECK(rdx_mesh_from_mask(&one, dim, &m, &err) == RDX_OK, "%s", err.msg);
    CHECK(m.n_vertices == 6 && m.n_triangles == 8, "octahedron: %d vertices, %lld triangles", (int)m.n_vertices,
          (long long)m.n_triangles);
    CHECK(bad_edges(m.triangle, m.n_triangles) == 0, "octahedron not closed");
    CHECK_NEAR(rdx_mesh_volume(&m, s), 1.0 * 2.0 * 3.0 / 6.0, 1e-12, "single voxel volume");
    double cx = 1.0 * 1.5, cy = 0.5 * 1.5, cz = 0.5 * 1.0; /* (sy/2)(sz/2), (sx/2)(sz/2), (sx/2)(sy/2) */
    CHECK_NEAR(rdx_mesh_area(&m, s), 8.0 * 0.5 * sqrt(cx * cx + cy * cy + cz * cz), 1e-12, "single voxel area");
    rdx_mesh_free(&m);

    /* Through the family: one voxel has no PCA axes and no voxel pairs. */
    rdx_texture_input in = {.dim = {1, 1, 1}, .spacing = {1, 2, 3}};
    const uint8_t none = 0;
    const float val = 5.0f;
    const int32_t g = 1;
    in.morph = &one, in.roi = &one, in.intensity = &val, in.grey = &g;
    double v[RDX_F_COUNT];
    CHECK(rdx_family_morphology(&in, &settings, v, &err) == RDX_OK, "%s", err.msg);
    CHECK_NEAR(v[RDX_F_MORPH_VOLUME], 1.0, 1e-12, "single voxel: mesh volume");
    CHECK_NEAR(v[RDX_F_MORPH_VOL_APPROX], 6.0, 1e-12, "single voxel: voxel volume");
    CHECK_NEAR(v[RDX_F_MORPH_COM], 0.0, 1e-12, "single voxel: centre of mass shift");
    CHECK_NEAR(v[RDX_F_MORPH_DIAM], 3.0, 1e-12, "single voxel: diameter (octahedron tips along z)");
    CHECK(isnan(v[RDX_F_MORPH_PCA_MAJ_AXIS]) && isnan(v[RDX_F_MORPH_VOL_DENS_AEE]), "single voxel: PCA defined");
    CHECK(isnan(v[RDX_F_MORPH_MORAN_I]) && isnan(v[RDX_F_MORPH_GEARY_C]), "single voxel: Moran/Geary defined");
    in.morph = &none, in.roi = &none;
    CHECK(rdx_family_morphology(&in, &settings, v, &err) == RDX_E_EMPTY_ROI,
          "empty morphological mask accepted");
}

/* Boxes with anisotropic spacing: mesh, hull, bounding box, diameter, PCA
 * and the ellipsoid densities against the closed forms above. */
static void test_box(const int n[3], const double s[3])
{
    box_input b;
    box_alloc(&b, n[0] + 2, n[1] + 2, n[2] + 2, s[0], s[1], s[2]); /* an empty margin must not matter */
    for (int z = 1; z <= n[2]; z++)
        for (int y = 1; y <= n[1]; y++)
            for (int x = 1; x <= n[0]; x++) {
                size_t i = (size_t)(x + b.in.dim[0] * (y + b.in.dim[1] * z));
                b.morph[i] = b.roi[i] = 1;
                b.val[i] = 10.0f;
            }
    char what[64];
    snprintf(what, sizeof what, "box %dx%dx%d", n[0], n[1], n[2]);
    rdx_mesh m;
    rdx_error err = {0};
    CHECK(rdx_mesh_from_mask(b.morph, b.in.dim, &m, &err) == RDX_OK, "%s", err.msg);
    CHECK(bad_edges(m.triangle, m.n_triangles) == 0, "%s: mesh not closed", what);
    rdx_mesh_free(&m);

    double v[RDX_F_COUNT];
    CHECK(rdx_family_morphology(&b.in, &settings, v, &err) == RDX_OK, "%s", err.msg);
    double vol = box_volume(n, s), area = box_area(n, s);
    CHECK_NEAR(v[RDX_F_MORPH_VOLUME], vol, 1e-9 * vol, what);
    CHECK_NEAR(v[RDX_F_MORPH_AREA_MESH], area, 1e-9 * area, what);
    CHECK_NEAR(v[RDX_F_MORPH_VOL_APPROX], n[0] * n[1] * n[2] * s[0] * s[1] * s[2], 1e-9, what);
    CHECK_NEAR(v[RDX_F_MORPH_SPHERICITY], cbrt(36 * PI * vol * vol) / area, 1e-9, what);
    /* The box's mesh is convex: it is its own hull. */
    CHECK_NEAR(v[RDX_F_MORPH_VOL_DENS_CONV_HULL], 1.0, 1e-12, what);
    CHECK_NEAR(v[RDX_F_MORPH_AREA_DENS_CONV_HULL], 1.0, 1e-12, what);
    /* Mesh extent: n voxels along each axis (from -1/2 to n - 1/2). */
    double e[3] = {n[0] * s[0], n[1] * s[1], n[2] * s[2]};
    CHECK_NEAR(v[RDX_F_MORPH_VOL_DENS_AABB], vol / (e[0] * e[1] * e[2]), 1e-12, what);
    CHECK_NEAR(v[RDX_F_MORPH_AREA_DENS_AABB], area / (2 * (e[0] * e[1] + e[1] * e[2] + e[0] * e[2])), 1e-12, what);
    CHECK_NEAR(v[RDX_F_MORPH_DIAM], box_diameter(n, s), 1e-9, what);
    /* Uniform intensity: the weighted centre is the geometric one. */
    CHECK_NEAR(v[RDX_F_MORPH_COM], 0.0, 1e-9, what);
    CHECK_NEAR(v[RDX_F_MORPH_INTEG_INT], 10.0 * vol, 1e-9 * vol, what);
    CHECK(v[RDX_F_MORPH_MORAN_I] == 1.0 && v[RDX_F_MORPH_GEARY_C] == 1.0, "%s: constant intensity", what);

    double lam[3] = {box_lambda(n, s, 0), box_lambda(n, s, 1), box_lambda(n, s, 2)};
    for (int i = 0; i < 2; i++) /* descending */
        for (int j = i + 1; j < 3; j++)
            if (lam[j] > lam[i]) {
                double t = lam[i];
                lam[i] = lam[j];
                lam[j] = t;
            }
    CHECK_NEAR(v[RDX_F_MORPH_PCA_MAJ_AXIS], 4 * sqrt(lam[0]), 1e-9, what);
    CHECK_NEAR(v[RDX_F_MORPH_PCA_MIN_AXIS], 4 * sqrt(lam[1]), 1e-9, what);
    CHECK_NEAR(v[RDX_F_MORPH_PCA_LEAST_AXIS], 4 * sqrt(lam[2]), 1e-9, what);
    CHECK_NEAR(v[RDX_F_MORPH_PCA_ELONGATION], sqrt(lam[1] / lam[0]), 1e-9, what);
    CHECK_NEAR(v[RDX_F_MORPH_PCA_FLATNESS], sqrt(lam[2] / lam[0]), 1e-9, what);
    double a = 2 * sqrt(lam[0]), bb = 2 * sqrt(lam[1]), c = 2 * sqrt(lam[2]);
    CHECK_NEAR(v[RDX_F_MORPH_VOL_DENS_AEE], vol / (4.0 / 3.0 * PI * a * bb * c), 1e-9, what);
    double aee = area / (lam[0] == lam[2] ? 4 * PI * a * a : manual_ellipsoid_area(a, bb, c)); /* cube: sphere */
    CHECK_NEAR(v[RDX_F_MORPH_AREA_DENS_AEE], aee, 1e-9 * aee, what);
    box_free(&b);
}

/* Two equal PCA axes (x = 1 in the series, where the library must not
 * divide by alpha beta = 0 when a = b): with alpha = beta = e, P_nu(1) = 1 and
 * the series is 4 pi a b sum e^(2 nu) / (1 - 4 nu^2). Also the anchor of the
 * test's series: numpy's legval value for (3, 2, 1.2). */
static void test_spheroid_aee(void)
{
    CHECK_NEAR(manual_ellipsoid_area(3, 2, 1.2), 53.91104876145437, 1e-11, "series vs numpy legval");
    const int n[3] = {5, 5, 9};
    const double s[3] = {1.0, 1.0, 1.0};
    box_input b;
    box_alloc(&b, n[0], n[1], n[2], s[0], s[1], s[2]);
    memset(b.morph, 1, (size_t)(n[0] * n[1] * n[2]));
    memset(b.roi, 1, (size_t)(n[0] * n[1] * n[2]));
    double v[RDX_F_COUNT];
    rdx_error err = {0};
    CHECK(rdx_family_morphology(&b.in, &settings, v, &err) == RDX_OK, "%s", err.msg);
    double c = 2 * sqrt(box_lambda(n, s, 0)), a = 2 * sqrt(box_lambda(n, s, 2)); /* major a along z */
    double e2 = 1 - c * c / (a * a), sum = 0.0, t = 1.0;
    for (int nu = 0; nu <= 20; nu++, t *= e2)
        sum += t / (1.0 - 4.0 * nu * nu);
    double want = box_area(n, s) / (4 * PI * a * c * sum);
    CHECK_NEAR(v[RDX_F_MORPH_AREA_DENS_AEE], want, 1e-12 * want, "prolate area density");
    box_free(&b);

    box_alloc(&b, 9, 9, 5, 1.0, 1.0, 1.0); /* oblate: the two major axes equal, alpha = 0 */
    memset(b.morph, 1, 9 * 9 * 5);
    memset(b.roi, 1, 9 * 9 * 5);
    CHECK(rdx_family_morphology(&b.in, &settings, v, &err) == RDX_OK, "%s", err.msg);
    CHECK(isfinite(v[RDX_F_MORPH_AREA_DENS_AEE]), "oblate area density %g", v[RDX_F_MORPH_AREA_DENS_AEE]);
    box_free(&b);
}

/* Random masks: closed, oriented meshes with midpoint vertices; the volume
 * is positive and below the hull's, the hull holds every mesh vertex. */
static void test_random_masks(void)
{
    for (int trial = 0; trial < 20; trial++) {
        int64_t dim[3] = {3 + rnd() % 8, 3 + rnd() % 8, 2 + rnd() % 6};
        size_t n = (size_t)(dim[0] * dim[1] * dim[2]);
        uint8_t *mask = malloc(n);
        unsigned density = 20 + rnd() % 60;
        for (size_t i = 0; i < n; i++)
            mask[i] = rnd() % 100 < density;
        mask[rnd() % n] = 1;
        rdx_mesh m;
        rdx_hull h;
        rdx_error err = {0};
        CHECK(rdx_mesh_from_mask(mask, dim, &m, &err) == RDX_OK, "%s", err.msg);
        CHECK(bad_edges(m.triangle, m.n_triangles) == 0, "random mask %d: mesh not closed", trial);
        CHECK(midpoints_ok(&m), "random mask %d: vertex off the edge midpoints", trial);
        const double s[3] = {0.7, 1.3, 2.1}, half[3] = {0.35, 0.65, 1.05};
        double vol = rdx_mesh_volume(&m, s), hv, ha;
        CHECK(rdx_hull_build(m.vertex, m.n_vertices, &h, &err) == RDX_OK, "%s", err.msg);
        rdx_hull_measure(&h, m.vertex, half, &hv, &ha);
        CHECK(vol > 0 && vol <= hv * (1 + 1e-12), "random mask %d: volume %g, hull %g", trial, vol, hv);
        int outside = 0;
        for (int32_t f = 0; f < h.n_faces; f++) {
            const int32_t *a = m.vertex + 3 * h.face[3 * f], *b = m.vertex + 3 * h.face[3 * f + 1],
                          *c = m.vertex + 3 * h.face[3 * f + 2];
            double u[3], w[3];
            for (int k = 0; k < 3; k++)
                u[k] = b[k] - a[k], w[k] = c[k] - a[k];
            double nx = u[1] * w[2] - u[2] * w[1], ny = u[2] * w[0] - u[0] * w[2], nz = u[0] * w[1] - u[1] * w[0];
            for (int32_t p = 0; p < m.n_vertices; p++) {
                const int32_t *q = m.vertex + 3 * p;
                outside += nx * (q[0] - a[0]) + ny * (q[1] - a[1]) + nz * (q[2] - a[2]) > 0;
            }
        }
        CHECK(outside == 0, "random mask %d: %d vertex-face pairs outside the hull", trial, outside);
        rdx_hull_free(&h);
        rdx_mesh_free(&m);
        free(mask);
    }
}

/* IBSI digital phantom (74 voxels, 2 mm): scikit-image's marching cubes on
 * the padded mask gives volume 556.3333 and area 388.0706 (IBSI: 556, 388). */
static void test_digital_phantom(void)
{
    const char *root = getenv("RDX_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/datasets/ibsi_digital_phantom/voxels.csv", root ? root : ".");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    uint8_t mask[5 * 4 * 4] = {0};
    const int64_t dim[3] = {5, 4, 4};
    const double s[3] = {2, 2, 2};
    char line[256];
    int z, y, x, value, in, count = 0;
    int header = fgets(line, sizeof line, f) != NULL; /* z,y,x,value,mask */
    while (header && fgets(line, sizeof line, f))
        if (sscanf(line, "%d,%d,%d,%d,%d", &z, &y, &x, &value, &in) == 5 && in)
            mask[x + 5 * (y + 4 * z)] = 1, count++;
    fclose(f);
    CHECK(count == 74, "digital phantom: %d mask voxels", count);
    rdx_mesh m;
    rdx_error err = {0};
    CHECK(rdx_mesh_from_mask(mask, dim, &m, &err) == RDX_OK, "%s", err.msg);
    CHECK_NEAR(rdx_mesh_volume(&m, s), 556.0 + 1.0 / 3.0, 1e-9, "digital phantom volume");
    CHECK_NEAR(rdx_mesh_area(&m, s), 388.0706, 1e-4, "digital phantom area");
    CHECK(bad_edges(m.triangle, m.n_triangles) == 0, "digital phantom mesh not closed");
    rdx_mesh_free(&m);
}

/* Hulls of random integer points, with many exact coplanarities (points
 * drawn from a coarse lattice): every point inside or on every face, the
 * surface closed, the diameter equal to the brute-force maximum distance. */
static void test_hull_random(void)
{
    for (int trial = 0; trial < 10; trial++) {
        int32_t n = 50 + (int32_t)(rnd() % 1500), span = trial % 2 ? 6 : 1000;
        int32_t *p = malloc((size_t)(3 * n) * sizeof *p);
        for (int32_t i = 0; i < 3 * n; i++)
            p[i] = (int32_t)(rnd() % (uint32_t)span) - span / 2;
        rdx_hull h;
        rdx_error err = {0};
        CHECK(rdx_hull_build(p, n, &h, &err) == RDX_OK, "%s", err.msg);
        int outside = 0;
        for (int32_t f = 0; f < h.n_faces; f++) {
            const int32_t *a = p + 3 * h.face[3 * f], *b = p + 3 * h.face[3 * f + 1], *c = p + 3 * h.face[3 * f + 2];
            int64_t u[3], w[3];
            for (int k = 0; k < 3; k++)
                u[k] = b[k] - a[k], w[k] = c[k] - a[k];
            int64_t nx = u[1] * w[2] - u[2] * w[1], ny = u[2] * w[0] - u[0] * w[2], nz = u[0] * w[1] - u[1] * w[0];
            for (int32_t i = 0; i < n; i++) {
                const int32_t *q = p + 3 * i;
                outside += nx * (q[0] - a[0]) + ny * (q[1] - a[1]) + nz * (q[2] - a[2]) > 0;
            }
        }
        CHECK(outside == 0, "hull %d: %d point-face pairs outside", trial, outside);
        CHECK(bad_edges(h.face, h.n_faces) == 0, "hull %d: surface not closed", trial);
        const double s[3] = {0.9, 1.1, 2.7};
        double best = 0.0;
        for (int32_t i = 0; i < n; i++)
            for (int32_t j = 0; j < i; j++) {
                double d2 = 0.0;
                for (int k = 0; k < 3; k++) {
                    double d = (p[3 * i + k] - p[3 * j + k]) * s[k];
                    d2 += d * d;
                }
                best = d2 > best ? d2 : best;
            }
        double diameter;
        rdx_error e = {0};
        CHECK(rdx_hull_diameter(&h, p, s, RDX_DEVICE_CPU, &diameter, &e) == RDX_OK, "hull diameter: %s", e.msg);
        CHECK_NEAR(diameter, sqrt(best), 1e-9, "hull diameter vs brute force");
        rdx_hull_free(&h);
        free(p);
    }
}

/* Every lattice point of a 5x4x3 grid: the hull is the box [0,4]x[0,3]x[0,2]
 * (volume 24, area 2 (12 + 8 + 6) = 52, 8 vertices); a plane of points has
 * no volume. */
static void test_hull_degenerate(void)
{
    int32_t p[3 * 60], n = 0;
    for (int z = 0; z < 3; z++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++)
                p[3 * n] = x, p[3 * n + 1] = y, p[3 * n + 2] = z, n++;
    rdx_hull h;
    rdx_error err = {0};
    const double one[3] = {1, 1, 1};
    CHECK(rdx_hull_build(p, n, &h, &err) == RDX_OK, "%s", err.msg);
    double vol, area;
    rdx_hull_measure(&h, p, one, &vol, &area);
    CHECK_NEAR(vol, 24.0, 1e-12, "lattice box hull volume");
    CHECK_NEAR(area, 52.0, 1e-12, "lattice box hull area");
    CHECK(h.n_vertices == 8, "lattice box hull: %d vertices", (int)h.n_vertices);
    rdx_hull_free(&h);
    for (int i = 0; i < n; i++)
        p[3 * i + 2] = 7;
    CHECK(rdx_hull_build(p, n, &h, &err) == RDX_E_INVALID, "coplanar points accepted");
}

/* Two voxels along x, 2 mm, intensities 1 and 3: geometric centre x = 1 mm,
 * weighted (0 * 1 + 2 * 3) / 4 = 1.5 mm, shift 0.5 mm. Deviations -1, +1:
 * Moran's I = (2 / 2w) (2 w (-1)) / 2 = -1, Geary's C = (1 / 4w) (2 w 4) / 2 = 1.
 * The 2x1x1 box mesh volume is (1/2 + 1/6) 8 = 16/3 mm^3 (box_volume with
 * L = (1, 0, 0)), so the integrated intensity is 2 * 16/3. */
static void test_two_voxels(void)
{
    box_input b;
    box_alloc(&b, 2, 1, 1, 2, 2, 2);
    b.morph[0] = b.morph[1] = b.roi[0] = b.roi[1] = 1;
    b.val[0] = 1, b.val[1] = 3;
    double v[RDX_F_COUNT];
    rdx_error err = {0};
    CHECK(rdx_family_morphology(&b.in, &settings, v, &err) == RDX_OK, "%s", err.msg);
    CHECK_NEAR(v[RDX_F_MORPH_COM], 0.5, 1e-12, "two voxels: centre of mass shift");
    CHECK_NEAR(v[RDX_F_MORPH_MORAN_I], -1.0, 1e-12, "two voxels: Moran's I");
    CHECK_NEAR(v[RDX_F_MORPH_GEARY_C], 1.0, 1e-12, "two voxels: Geary's C");
    CHECK_NEAR(v[RDX_F_MORPH_VOLUME], 16.0 / 3.0, 1e-12, "two voxels: volume");
    CHECK_NEAR(v[RDX_F_MORPH_INTEG_INT], 32.0 / 3.0, 1e-12, "two voxels: integrated intensity");
    box_free(&b);
}

/* Moran's I and Geary's C (IBSI 3.1.24-25) of the voxels with sel[i] != 0,
 * by the definitions summed over ordered pairs with w = 1 / distance in mm. */
static void brute_autocorrelation(const box_input *b, const uint8_t *sel, double *moran, double *geary)
{
    const int64_t *dim = b->in.dim, n = dim[0] * dim[1] * dim[2];
    const double *sp = b->in.spacing;
    double mean = 0.0, cnt = 0.0;
    for (int64_t i = 0; i < n; i++)
        if (sel[i])
            mean += b->val[i], cnt++;
    mean /= cnt;
    double w_sum = 0.0, m_sum = 0.0, g_sum = 0.0, ss = 0.0;
    for (int64_t k = 0; k < n; k++) {
        if (!sel[k])
            continue;
        ss += (b->val[k] - mean) * (b->val[k] - mean);
        for (int64_t l = 0; l < n; l++) {
            if (!sel[l] || l == k)
                continue;
            double dx = (double)(k % dim[0] - l % dim[0]) * sp[0],
                   dy = (double)((k / dim[0]) % dim[1] - (l / dim[0]) % dim[1]) * sp[1],
                   dz = (double)(k / (dim[0] * dim[1]) - l / (dim[0] * dim[1])) * sp[2];
            double w = 1.0 / sqrt(dx * dx + dy * dy + dz * dz);
            double vk = b->val[k], vl = b->val[l]; /* differences in double, not float */
            w_sum += w;
            m_sum += w * (vk - mean) * (vl - mean);
            g_sum += w * (vk - vl) * (vk - vl);
        }
    }
    *moran = cnt / w_sum * m_sum / ss;
    *geary = (cnt - 1) / (2 * w_sum) * g_sum / ss;
}

/* Moran's I and Geary's C of a random ROI against the definitions summed
 * over ordered pairs here; the result must not depend on the thread count.
 * The intensity mask is a subset of the morphological one (re-segmentation). */
static void test_spatial_random(void)
{
    box_input b;
    box_alloc(&b, 9, 7, 5, 0.8, 1.1, 2.5);
    int64_t n = b.in.dim[0] * b.in.dim[1] * b.in.dim[2];
    for (int64_t i = 0; i < n; i++) {
        b.morph[i] = rnd() % 100 < 70;
        b.roi[i] = b.morph[i] && rnd() % 100 < 80;
        b.val[i] = (float)(rnd() % 200) - 50.0f;
    }
    double moran, geary;
    brute_autocorrelation(&b, b.roi, &moran, &geary);
    double v1[RDX_F_COUNT], v3[RDX_F_COUNT];
    rdx_error err = {0};
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK(rdx_family_morphology(&b.in, &settings, v1, &err) == RDX_OK, "%s", err.msg);
#ifdef _OPENMP
    omp_set_num_threads(3);
#endif
    CHECK(rdx_family_morphology(&b.in, &settings, v3, &err) == RDX_OK, "%s", err.msg);
    CHECK_NEAR(v1[RDX_F_MORPH_MORAN_I], moran, 1e-12 * fabs(moran) + 1e-14, "Moran's I vs pair sum");
    CHECK_NEAR(v1[RDX_F_MORPH_GEARY_C], geary, 1e-12 * geary, "Geary's C vs pair sum");
    CHECK(v1[RDX_F_MORPH_MORAN_I] == v3[RDX_F_MORPH_MORAN_I] && v1[RDX_F_MORPH_GEARY_C] == v3[RDX_F_MORPH_GEARY_C],
          "Moran/Geary depend on the thread count");
    CHECK(v1[RDX_F_MORPH_DIAM] == v3[RDX_F_MORPH_DIAM], "diameter depends on the thread count");
    box_free(&b);
}

/* The subset of the documented rule (features_morphology.c): ROI voxel i
 * ranked by (Philox4x32-10 with key ("RDX ", "MORP") on counter (i, 0, 0, 0),
 * words v0:v1 as one 64-bit number; then i), the m first kept. Written here
 * by selection sort, independently of the library's histogram and qsort. */
static void reference_subset(const box_input *b, int64_t m, uint8_t *sel)
{
    const int64_t n = b->in.dim[0] * b->in.dim[1] * b->in.dim[2];
    uint64_t *h = malloc((size_t)n * sizeof *h);
    const rdx_philox_key key = {{0x52445820u, 0x4d4f5250u}};
    for (int64_t i = 0; i < n; i++) {
        rdx_philox_ctr c = {{(uint32_t)i, 0, 0, 0}};
        rdx_philox_ctr r = rdx_philox4x32_10(c, key);
        h[i] = ((uint64_t)r.v[0] << 32) + r.v[1];
        sel[i] = 0;
    }
    for (int64_t k = 0; k < m; k++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++)
            if (b->roi[i] && !sel[i] && (best < 0 || h[i] < h[best]))
                best = i; /* ties keep the lower index */
        if (best >= 0)
            sel[best] = 1;
    }
    free(h);
}

/* morphology.autocorrelation: exact and auto below the limit agree; off
 * gives NaN and leaves the other features alone; auto above the limit is
 * the subset rule's value (50 of 400 voxels), the same for every run and
 * thread count, and near the exact value on a smooth field. */
static void test_autocorrelation_modes(void)
{
    box_input b;
    box_alloc(&b, 10, 8, 6, 1.0, 1.2, 2.0);
    int64_t n = b.in.dim[0] * b.in.dim[1] * b.in.dim[2], n_roi = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t x = i % 10, y = (i / 10) % 8, z = i / 80;
        b.morph[i] = 1;
        b.roi[i] = z < 5; /* 400 voxels */
        b.val[i] = (float)(10.0 * sin(0.3 * (double)x) + 0.5 * (double)(y * y) + 3.0 * (double)z);
        n_roi += b.roi[i];
    }
    CHECK(n_roi == 400, "ROI of %lld voxels", (long long)n_roi);
    rdx_settings s = settings;
    double exact[RDX_F_COUNT], dflt[RDX_F_COUNT], off[RDX_F_COUNT], a1[RDX_F_COUNT], a2[RDX_F_COUNT],
        a3[RDX_F_COUNT];
    rdx_error err = {0};
    s.morphology.autocorrelation = RDX_AUTOCORR_EXACT;
    CHECK(rdx_family_morphology(&b.in, &s, exact, &err) == RDX_OK, "%s", err.msg);
    CHECK(rdx_family_morphology(&b.in, &settings, dflt, &err) == RDX_OK, "%s", err.msg);
    CHECK(exact[RDX_F_MORPH_MORAN_I] == dflt[RDX_F_MORPH_MORAN_I] &&
              exact[RDX_F_MORPH_GEARY_C] == dflt[RDX_F_MORPH_GEARY_C],
          "auto below the limit is not exact");
    s.morphology.autocorrelation = RDX_AUTOCORR_AUTO;
    s.morphology.max_exact_voxels = 400; /* the limit itself is still exact */
    CHECK(rdx_family_morphology(&b.in, &s, a1, &err) == RDX_OK, "%s", err.msg);
    CHECK(a1[RDX_F_MORPH_MORAN_I] == exact[RDX_F_MORPH_MORAN_I], "auto at the limit is not exact");
    double moran, geary;
    brute_autocorrelation(&b, b.roi, &moran, &geary);
    CHECK_NEAR(exact[RDX_F_MORPH_MORAN_I], moran, 1e-12 * fabs(moran), "exact Moran's I");
    CHECK_NEAR(exact[RDX_F_MORPH_GEARY_C], geary, 1e-12 * geary, "exact Geary's C");

    s.morphology.autocorrelation = RDX_AUTOCORR_OFF;
    CHECK(rdx_family_morphology(&b.in, &s, off, &err) == RDX_OK, "%s", err.msg);
    CHECK(isnan(off[RDX_F_MORPH_MORAN_I]) && isnan(off[RDX_F_MORPH_GEARY_C]), "off: Moran/Geary computed");
    CHECK(off[RDX_F_MORPH_VOLUME] == exact[RDX_F_MORPH_VOLUME] &&
              off[RDX_F_MORPH_INTEG_INT] == exact[RDX_F_MORPH_INTEG_INT],
          "off changes other features");

    s.morphology.autocorrelation = RDX_AUTOCORR_AUTO;
    s.morphology.max_exact_voxels = 50;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK(rdx_family_morphology(&b.in, &s, a1, &err) == RDX_OK, "%s", err.msg);
#ifdef _OPENMP
    omp_set_num_threads(3);
#endif
    CHECK(rdx_family_morphology(&b.in, &s, a2, &err) == RDX_OK, "%s", err.msg);
    CHECK(rdx_family_morphology(&b.in, &s, a3, &err) == RDX_OK, "%s", err.msg);
    CHECK(a1[RDX_F_MORPH_MORAN_I] == a2[RDX_F_MORPH_MORAN_I] && a2[RDX_F_MORPH_MORAN_I] == a3[RDX_F_MORPH_MORAN_I] &&
              a1[RDX_F_MORPH_GEARY_C] == a2[RDX_F_MORPH_GEARY_C] && a2[RDX_F_MORPH_GEARY_C] == a3[RDX_F_MORPH_GEARY_C],
          "subset estimate depends on the run or thread count");
    uint8_t *sel = malloc((size_t)n);
    reference_subset(&b, 50, sel);
    brute_autocorrelation(&b, sel, &moran, &geary);
    CHECK_NEAR(a1[RDX_F_MORPH_MORAN_I], moran, 1e-12 * fabs(moran), "subset Moran's I vs its pair sum");
    CHECK_NEAR(a1[RDX_F_MORPH_GEARY_C], geary, 1e-12 * geary, "subset Geary's C vs its pair sum");
    CHECK(a1[RDX_F_MORPH_MORAN_I] != exact[RDX_F_MORPH_MORAN_I], "auto above the limit was exact");
    /* exact 0.1990 and 0.7428; this subset gives 0.2176 and 0.7569 */
    CHECK_NEAR(a1[RDX_F_MORPH_MORAN_I], exact[RDX_F_MORPH_MORAN_I], 0.3 * exact[RDX_F_MORPH_MORAN_I],
               "subset Moran's I far from exact");
    CHECK_NEAR(a1[RDX_F_MORPH_GEARY_C], exact[RDX_F_MORPH_GEARY_C], 0.3 * exact[RDX_F_MORPH_GEARY_C],
               "subset Geary's C far from exact");
    free(sel);
    box_free(&b);
}

/* The CPU mesh (mesh.c) numbers vertices by crossed lattice edges, which
 * holds only if every case's triangles use exactly the cube edges whose two
 * corners differ (one inside, one outside): checked for all 256 cases. The
 * edge numbering is checked too: 12 distinct edges, each joining corners
 * one step apart. */
static void test_mc_table_edges(void)
{
    int pairs = 0;
    for (int e = 0; e < 12; e++) {
        int a, b, dist = 0;
        rdx_mc_edge_corners(e, &a, &b);
        for (int axis = 0; axis < 3; axis++)
            dist += abs(rdx_mc_corner(a, axis) - rdx_mc_corner(b, axis));
        pairs |= dist == 1 ? 0 : 1;
        for (int f = 0; f < e; f++) {
            int c, d;
            rdx_mc_edge_corners(f, &c, &d);
            pairs |= (a == c && b == d) || (a == d && b == c) ? 2 : 0;
        }
    }
    CHECK(pairs == 0, "marching cubes edges join distinct neighbouring corners");
    int bad_cases = 0;
    for (int c = 0; c < 256; c++) {
        unsigned used = 0, crossed = 0;
        for (int t = 0; t < 16 && RDX_MC_TRI_TABLE[c][t] >= 0; t++)
            used |= 1u << RDX_MC_TRI_TABLE[c][t];
        for (int e = 0; e < 12; e++) {
            int a, b;
            rdx_mc_edge_corners(e, &a, &b);
            if (((c >> a) & 1) != ((c >> b) & 1))
                crossed |= 1u << e;
        }
        bad_cases += used != crossed;
    }
    CHECK(bad_cases == 0, "every marching cubes case uses exactly its crossed edges (%d cases differ)", bad_cases);
}

int main(void)
{
    test_mc_table_edges();
    rdx_settings_default(&settings);
    test_single_voxel();
    const int boxes[3][3] = {{3, 3, 3}, {4, 6, 9}, {7, 2, 3}};
    const double spacing[3][3] = {{1, 1, 1}, {0.8, 1.1, 2.5}, {2.0, 0.5, 1.5}};
    for (int i = 0; i < 3; i++)
        test_box(boxes[i], spacing[i]);
    test_spheroid_aee();
    test_random_masks();
    test_digital_phantom();
    test_hull_random();
    test_hull_degenerate();
    test_two_voxels();
    test_spatial_random();
    test_autocorrelation_modes();
    return check_summary("test_morphology");
}
