/* Marching cubes on a binary mask (see mesh.h). The cube walk visits every
 * cube of the mask padded by one empty voxel, in z, y, x order; each cube's
 * case (bit k set where corner k is outside the mask) selects triangles from
 * the standard table (marching_cubes.h); vertices are the crossed edges'
 * midpoints, numbered in ascending (z, y, x) lattice order.
 *
 * CPU: the table uses exactly the crossed edges of each case (every case's
 * triangles touch all of them and no other), so the vertices are the crossed
 * edges of the padded mask. The walk goes layer by layer (the cubes between
 * voxel planes z and z + 1) and keeps the padded inside flags of the two
 * planes and, per lattice edge of the layer, its vertex number: before a
 * layer's cubes, the crossed z edges between the planes and then the crossed
 * x and y edges of plane z + 1 are numbered in lattice order (the edges of
 * plane z were numbered by the layer below), so the triangles' corners are
 * looked up, not merged. Memory: a few planes besides the mesh.
 *
 * CUDA (rdx_mesh_from_mask_on): kernels/morphology.cu walks the cubes in the
 * same order with rdx_mc_row and writes 3 packed lattice keys per triangle;
 * they are merged into vertices by sorting them. Both give the same mesh
 * (tested in kernels/test_kernel_morphology.cpp). */
#include "mesh.h"

#include "grow.h"
#include "kernels.h"
#include "marching_cubes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rdx_mesh_free(rdx_mesh *mesh)
{
    free(mesh->vertex);
    free(mesh->triangle);
    memset(mesh, 0, sizeof *mesh);
}

/* ---- CPU: layer walk with numbered edges ---------------------------------- */

/* Vertex-number planes of a layer, indexed like the inside planes by the
 * edge's lower end voxel: x and y edges of plane z, of plane z + 1, z edges
 * between them. */
enum { IDS_X_LOW, IDS_Y_LOW, IDS_X_HIGH, IDS_Y_HIGH, IDS_Z, N_ID_PLANES };

typedef struct {
    int64_t d0, d1;
    int64_t stride;     /* padded row length d0 + 2: voxel (x, y) at (x + 1) + stride (y + 1) */
    uint8_t *inside[2]; /* padded planes z and z + 1, 1 inside the mask */
    int32_t *ids[N_ID_PLANES];
    int8_t id_plane[12];   /* per cube edge: which ids plane holds its vertex */
    int64_t id_offset[12]; /* and the offset of its lower end voxel from the cube's */
    uint8_t case_of[16][16]; /* cube case from the inside bits of its x and x + 1 corner columns */
    int64_t cap_vertices, cap_triangles;
} layer_walk;

/* Corner column bits: bit (dy + 2 dz) is corner (dx, dy, dz) inside. */
static void init_tables(layer_walk *w)
{
    for (int left = 0; left < 16; left++)
        for (int right = 0; right < 16; right++) {
            int c = 0;
            for (int k = 0; k < 8; k++) {
                int col = rdx_mc_corner(k, 0) ? right : left;
                if (!((col >> (rdx_mc_corner(k, 1) + 2 * rdx_mc_corner(k, 2))) & 1))
                    c |= 1 << k;
            }
            w->case_of[left][right] = (uint8_t)c;
        }
    for (int e = 0; e < 12; e++) {
        int a, b, axis = 0, low[3];
        rdx_mc_edge_corners(e, &a, &b);
        for (int d = 0; d < 3; d++) {
            low[d] = rdx_mc_corner(a, d) < rdx_mc_corner(b, d) ? rdx_mc_corner(a, d) : rdx_mc_corner(b, d);
            if (rdx_mc_corner(a, d) != rdx_mc_corner(b, d))
                axis = d;
        }
        w->id_plane[e] = (int8_t)(axis == 2 ? IDS_Z : low[2] ? IDS_X_HIGH + axis : IDS_X_LOW + axis);
        w->id_offset[e] = low[0] + w->stride * low[1];
    }
}

static void walk_free(layer_walk *w)
{
    free(w->inside[0]);
    free(w->inside[1]);
    for (int p = 0; p < N_ID_PLANES; p++)
        free(w->ids[p]);
}

static rdx_status walk_init(layer_walk *w, const int64_t dim[3], rdx_error *err)
{
    memset(w, 0, sizeof *w);
    w->d0 = dim[0];
    w->d1 = dim[1];
    w->stride = dim[0] + 2;
    const size_t plane = (size_t)(w->stride * (dim[1] + 2));
    int ok = 1;
    for (int p = 0; p < 2; p++)
        ok &= (w->inside[p] = calloc(plane, 1)) != NULL; /* the border stays 0: outside */
    for (int p = 0; p < N_ID_PLANES; p++)
        ok &= (w->ids[p] = malloc(plane * sizeof *w->ids[p])) != NULL;
    if (!ok) {
        walk_free(w);
        return rdx_error_set(err, RDX_E_NOMEM, "mesh: out of memory for planes of %lld x %lld voxels",
                             (long long)dim[0], (long long)dim[1]);
    }
    init_tables(w);
    return RDX_OK;
}

/* Appends vertex (x, y, z) (lattice) and returns its number, or -1 when out
 * of memory or of 32-bit numbers. */
static int32_t add_vertex(layer_walk *w, rdx_mesh *mesh, int64_t x, int64_t y, int64_t z)
{
    if (mesh->n_vertices == INT32_MAX ||
        !rdx_grow((void **)&mesh->vertex, &w->cap_vertices, mesh->n_vertices + 1, 3 * sizeof(int32_t)))
        return -1;
    int32_t *v = mesh->vertex + 3 * (size_t)mesh->n_vertices;
    v[0] = (int32_t)x, v[1] = (int32_t)y, v[2] = (int32_t)z;
    return mesh->n_vertices++;
}

static uint64_t load8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The first k >= from, k < n, with p[k] != q[k], else n; 8 bytes at a time
 * while they agree (most edges are not crossed). */
static int64_t next_crossed(const uint8_t *p, const uint8_t *q, int64_t from, int64_t n)
{
    int64_t k = from;
    while (k + 8 <= n && load8(p + k) == load8(q + k))
        k += 8;
    while (k < n && p[k] == q[k])
        k++;
    return k;
}

/* Numbers the crossed edges of the layer in lattice order: z edges between
 * the planes (lattice z 2z + 1), then the x and y edges of plane z + 1
 * (lattice z 2z + 2) row by row: y edges of lattice row 2y - 1, x edges of
 * row 2y, ... Returns 0 when out of memory. */
static int number_edges(layer_walk *w, rdx_mesh *mesh, int64_t z)
{
    const int64_t s = w->stride, d0 = w->d0;
    const uint8_t *lo = w->inside[0], *hi = w->inside[1];
    for (int64_t y = 0; y < w->d1; y++) { /* z edges from voxel (x, y): lo[r + x] vs hi[r + x] */
        const int64_t r = 1 + s * (y + 1);
        for (int64_t x = next_crossed(lo + r, hi + r, 0, d0); x < d0; x = next_crossed(lo + r, hi + r, x + 1, d0))
            if ((w->ids[IDS_Z][r + x] = add_vertex(w, mesh, 2 * x, 2 * y, 2 * z + 1)) < 0)
                return 0;
    }
    for (int64_t y = -1; y < w->d1; y++) {
        if (y >= 0) { /* x edges from voxel (k - 1, y): hi[r + k] vs hi[r + k + 1] */
            const int64_t r = s * (y + 1);
            for (int64_t k = next_crossed(hi + r, hi + r + 1, 0, d0 + 1); k <= d0;
                 k = next_crossed(hi + r, hi + r + 1, k + 1, d0 + 1))
                if ((w->ids[IDS_X_HIGH][r + k] = add_vertex(w, mesh, 2 * k - 1, 2 * y, 2 * z + 2)) < 0)
                    return 0;
        }
        const int64_t r = 1 + s * (y + 1); /* y edges from voxel (x, y): hi[r + x] vs hi[r + x + s] */
        for (int64_t x = next_crossed(hi + r, hi + r + s, 0, d0); x < d0;
             x = next_crossed(hi + r, hi + r + s, x + 1, d0))
            if ((w->ids[IDS_Y_HIGH][r + x] = add_vertex(w, mesh, 2 * x, 2 * y + 1, 2 * z + 2)) < 0)
                return 0;
    }
    return 1;
}

/* Whether the 8 columns of 4 rows from a, b, c, d are all inside or all
 * outside. */
static int uniform8(const uint8_t *a, const uint8_t *b, const uint8_t *c, const uint8_t *d)
{
    const uint64_t v = load8(a);
    return (v == 0 || v == 0x0101010101010101u) && load8(b) == v && load8(c) == v && load8(d) == v;
}

/* Emits the triangles of the layer's cubes in y, x order (table order within
 * a cube). Returns 0 when out of memory. */
static int emit_triangles(layer_walk *w, rdx_mesh *mesh)
{
    const int64_t s = w->stride;
    for (int64_t y = -1; y < w->d1; y++) {
        const uint8_t *a = w->inside[0] + s * (y + 1), *b = a + s, *c = w->inside[1] + s * (y + 1), *d = c + s;
        const int32_t *edge_ids[12]; /* cube x's edge e vertex at edge_ids[e][x + 1] */
        for (int e = 0; e < 12; e++)
            edge_ids[e] = w->ids[w->id_plane[e]] + s * (y + 1) + w->id_offset[e];
        for (int64_t i = 0; i <= w->d0; i++) { /* cube x = i - 1, corner columns i and i + 1 */
            if (i + 8 <= w->d0 + 2 && uniform8(a + i, b + i, c + i, d + i)) {
                i += 6; /* cubes i .. i + 6 are all inside or all outside */
                continue;
            }
            const int cs = w->case_of[a[i] | b[i] << 1 | c[i] << 2 | d[i] << 3]
                                     [a[i + 1] | b[i + 1] << 1 | c[i + 1] << 2 | d[i + 1] << 3];
            if (cs == 0 || cs == 255)
                continue;
            if (!rdx_grow((void **)&mesh->triangle, &w->cap_triangles, 3 * (mesh->n_triangles + 5), sizeof(int32_t)))
                return 0;
            const int8_t *tri = RDX_MC_TRI_TABLE[cs];
            int32_t *out = mesh->triangle + 3 * mesh->n_triangles;
            int t = 0;
            for (; t < 16 && tri[t] >= 0; t++)
                out[t] = edge_ids[tri[t]][i];
            mesh->n_triangles += t / 3;
        }
    }
    return 1;
}

/* Fills the upper inside plane with voxel plane z of the mask (all outside
 * when z is past the box). */
static void load_plane(layer_walk *w, const uint8_t *mask, const int64_t dim[3], int64_t z)
{
    uint8_t *hi = w->inside[1];
    for (int64_t y = 0; y < w->d1; y++) {
        const uint8_t *row = z < dim[2] ? mask + w->d0 * (y + w->d1 * z) : NULL;
        for (int64_t x = 0; x < w->d0; x++)
            hi[(x + 1) + w->stride * (y + 1)] = row && row[x] != 0;
    }
}

/* The upper plane becomes the lower one. */
static void next_layer(layer_walk *w)
{
    uint8_t *in = w->inside[0];
    w->inside[0] = w->inside[1], w->inside[1] = in;
    int32_t *x = w->ids[IDS_X_LOW], *y = w->ids[IDS_Y_LOW];
    w->ids[IDS_X_LOW] = w->ids[IDS_X_HIGH], w->ids[IDS_X_HIGH] = x;
    w->ids[IDS_Y_LOW] = w->ids[IDS_Y_HIGH], w->ids[IDS_Y_HIGH] = y;
}

static rdx_status cpu_mesh(const uint8_t *mask, const int64_t dim[3], rdx_mesh *mesh, rdx_error *err)
{
    layer_walk w;
    rdx_status st = walk_init(&w, dim, err);
    if (st)
        return st;
    int ok = 1;
    for (int64_t z = -1; ok && z < dim[2]; z++) { /* layer between planes z and z + 1 */
        load_plane(&w, mask, dim, z + 1);
        ok = number_edges(&w, mesh, z) && emit_triangles(&w, mesh);
        next_layer(&w);
    }
    walk_free(&w);
    if (!ok) {
        const int too_many = mesh->n_vertices == INT32_MAX;
        rdx_mesh_free(mesh);
        if (too_many)
            return rdx_error_set(err, RDX_E_NOMEM, "mesh: the vertices exceed the 32-bit index range");
        return rdx_error_set(err, RDX_E_NOMEM, "mesh: out of memory for the mesh of %lld x %lld x %lld voxels",
                             (long long)dim[0], (long long)dim[1], (long long)dim[2]);
    }
    return RDX_OK;
}

/* ---- CUDA: merging the kernel's vertex keys --------------------------------- */

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Index of key in the sorted unique keys u[0..n). */
static int32_t find_key(const uint64_t *u, int64_t n, uint64_t key)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (u[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int32_t)lo;
}

/* Merges the triangle corner keys into unique vertices and fills *mesh. */
static rdx_status build_indexed(const uint64_t *keys, int64_t n_tri, rdx_mesh *mesh, rdx_error *err)
{
    size_t nk = (size_t)(3 * n_tri);
    uint64_t *u = malloc(nk * sizeof *u);
    mesh->triangle = malloc(nk * sizeof *mesh->triangle);
    if (!u || !mesh->triangle) {
        free(u);
        rdx_mesh_free(mesh);
        return rdx_error_set(err, RDX_E_NOMEM, "mesh: out of memory for %lld triangles", (long long)n_tri);
    }
    memcpy(u, keys, nk * sizeof *u);
    qsort(u, nk, sizeof *u, cmp_key);
    size_t nu = 0;
    for (size_t i = 0; i < nk; i++)
        if (nu == 0 || u[i] != u[nu - 1])
            u[nu++] = u[i];
    if (nu > INT32_MAX) {
        free(u);
        rdx_mesh_free(mesh);
        return rdx_error_set(err, RDX_E_NOMEM, "mesh: %zu vertices exceed the 32-bit index range", nu);
    }
    mesh->vertex = malloc(3 * nu * sizeof *mesh->vertex);
    if (!mesh->vertex) {
        free(u);
        rdx_mesh_free(mesh);
        return rdx_error_set(err, RDX_E_NOMEM, "mesh: out of memory for %zu vertices", nu);
    }
    const uint64_t field = ((uint64_t)1 << RDX_MC_KEY_BITS) - 1;
    for (size_t v = 0; v < nu; v++)
        for (int a = 0; a < 3; a++)
            mesh->vertex[3 * v + (size_t)a] = (int32_t)((u[v] >> (a * RDX_MC_KEY_BITS)) & field) - 1;
    for (size_t i = 0; i < nk; i++)
        mesh->triangle[i] = find_key(u, (int64_t)nu, keys[i]);
    mesh->n_vertices = (int32_t)nu;
    mesh->n_triangles = n_tri;
    free(u);
    return RDX_OK;
}

static rdx_status cuda_mesh(const uint8_t *mask, const int64_t dim[3], rdx_mesh *mesh, rdx_error *err)
{
    uint64_t *keys = NULL;
    int64_t n_tri = 0;
    rdx_status st = RDX_OK;
    int code = rdx_cuda_mesh_keys(mask, dim, &keys, &n_tri);
    if (code)
        st = rdx_error_set(err, RDX_E_DEVICE, "mesh: CUDA marching cubes: %s", rdx_cuda_error_string(code));
    else if (n_tri > 0)
        st = build_indexed(keys, n_tri, mesh, err);
    free(keys);
    return st;
}

rdx_status rdx_mesh_from_mask_on(const uint8_t *mask, const int64_t dim[3], rdx_device device, rdx_mesh *mesh,
                                 rdx_error *err)
{
    memset(mesh, 0, sizeof *mesh);
    for (int a = 0; a < 3; a++)
        if (dim[a] < 0 || dim[a] > RDX_MC_MAX_DIM)
            return rdx_error_set(err, RDX_E_INVALID, "mesh: box dimension %lld outside 0..%lld",
                                 (long long)dim[a], (long long)RDX_MC_MAX_DIM);
    return device == RDX_DEVICE_CUDA ? cuda_mesh(mask, dim, mesh, err) : cpu_mesh(mask, dim, mesh, err);
}

rdx_status rdx_mesh_from_mask(const uint8_t *mask, const int64_t dim[3], rdx_mesh *mesh, rdx_error *err)
{
    return rdx_mesh_from_mask_on(mask, dim, RDX_DEVICE_CPU, mesh, err);
}

/* Lattice coordinates of the three corners a, b, c of triangle t, relative to o. */
static void corners(const rdx_mesh *mesh, int64_t t, const int64_t o[3], int64_t a[3], int64_t b[3], int64_t c[3])
{
    int64_t *p[3] = {a, b, c};
    for (int k = 0; k < 3; k++) {
        const int32_t *v = mesh->vertex + 3 * mesh->triangle[3 * t + k];
        for (int x = 0; x < 3; x++)
            p[k][x] = v[x] - o[x];
    }
}

double rdx_mesh_volume(const rdx_mesh *mesh, const double spacing[3])
{
    /* Each triangle's determinant relative to the first vertex is an exact
     * integer (see RDX_MC_MAX_DIM); their sum in triangle order is exact while it
     * stays below 2^53. */
    int64_t o[3] = {0, 0, 0};
    if (mesh->n_vertices > 0)
        for (int a = 0; a < 3; a++)
            o[a] = mesh->vertex[a];
    double six_v = 0.0;
    for (int64_t t = 0; t < mesh->n_triangles; t++) {
        int64_t a[3], b[3], c[3];
        corners(mesh, t, o, a, b, c);
        six_v += (double)(a[0] * (b[1] * c[2] - b[2] * c[1]) + a[1] * (b[2] * c[0] - b[0] * c[2]) +
                          a[2] * (b[0] * c[1] - b[1] * c[0]));
    }
    /* A lattice unit is half a voxel along each axis. */
    return six_v / 6.0 * (0.5 * spacing[0]) * (0.5 * spacing[1]) * (0.5 * spacing[2]);
}

double rdx_mesh_area(const rdx_mesh *mesh, const double spacing[3])
{
    const int64_t o[3] = {0, 0, 0};
    double area = 0.0;
    for (int64_t t = 0; t < mesh->n_triangles; t++) {
        int64_t a[3], b[3], c[3];
        corners(mesh, t, o, a, b, c);
        double u[3], v[3];
        for (int k = 0; k < 3; k++) {
            u[k] = (double)(b[k] - a[k]) * (0.5 * spacing[k]);
            v[k] = (double)(c[k] - a[k]) * (0.5 * spacing[k]);
        }
        double n0 = u[1] * v[2] - u[2] * v[1], n1 = u[2] * v[0] - u[0] * v[2], n2 = u[0] * v[1] - u[1] * v[0];
        area += 0.5 * sqrt(n0 * n0 + n1 * n1 + n2 * n2);
    }
    return area;
}
