/* Marching cubes on a binary mask (see mesh.h). The cube walk visits every
 * cube of the mask padded by one empty voxel, in z, y, x order; each cube's
 * case (bit k set where corner k is outside the mask) selects triangles from
 * the standard table; vertices are the crossed edges' midpoints. A counting
 * pass sizes the output, an emitting pass fills it, and vertices shared by
 * neighbouring cubes are merged by sorting their packed lattice keys. The
 * cube cases (marching_cubes.h) are shared with the CUDA kernel, which
 * produces the same keys in the same order (rdx_mesh_from_mask_on). */
#include "mesh.h"

#include "kernels.h"
#include "marching_cubes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Walks every cube row of the padded mask in z, y order; with keys == NULL
 * only counts the triangles, otherwise writes 3 vertex keys per triangle. */
static int64_t walk_cubes(const uint8_t *mask, const int64_t dim[3], uint64_t *keys)
{
    int64_t n = 0;
    for (int64_t z = -1; z < dim[2]; z++)
        for (int64_t y = -1; y < dim[1]; y++)
            n += rdx_mc_row(mask, dim, y, z, RDX_MC_TRI_TABLE, keys ? keys + 3 * n : NULL);
    return n;
}

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

void rdx_mesh_free(rdx_mesh *mesh)
{
    free(mesh->vertex);
    free(mesh->triangle);
    memset(mesh, 0, sizeof *mesh);
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

/* Triangle vertex keys of the cube walk on the CPU; *keys malloc'd (NULL
 * when there are no triangles). */
static rdx_status cpu_keys(const uint8_t *mask, const int64_t dim[3], uint64_t **keys, int64_t *n_tri,
                           rdx_error *err)
{
    *n_tri = walk_cubes(mask, dim, NULL);
    *keys = NULL;
    if (*n_tri == 0)
        return RDX_OK;
    *keys = malloc((size_t)(3 * *n_tri) * sizeof **keys);
    if (!*keys)
        return rdx_error_set(err, RDX_E_NOMEM, "mesh: out of memory for %lld triangles", (long long)*n_tri);
    walk_cubes(mask, dim, *keys);
    return RDX_OK;
}

rdx_status rdx_mesh_from_mask_on(const uint8_t *mask, const int64_t dim[3], rdx_device device, rdx_mesh *mesh,
                                 rdx_error *err)
{
    memset(mesh, 0, sizeof *mesh);
    for (int a = 0; a < 3; a++)
        if (dim[a] < 0 || dim[a] > RDX_MC_MAX_DIM)
            return rdx_error_set(err, RDX_E_INVALID, "mesh: box dimension %lld outside 0..%lld",
                                 (long long)dim[a], (long long)RDX_MC_MAX_DIM);
    uint64_t *keys = NULL;
    int64_t n_tri = 0;
    rdx_status st = RDX_OK;
    if (device == RDX_DEVICE_CUDA) {
        int code = rdx_cuda_mesh_keys(mask, dim, &keys, &n_tri);
        if (code)
            st = rdx_error_set(err, RDX_E_UNSUPPORTED, "mesh: CUDA marching cubes: %s", rdx_cuda_error_string(code));
    } else {
        st = cpu_keys(mask, dim, &keys, &n_tri, err);
    }
    if (!st && n_tri > 0)
        st = build_indexed(keys, n_tri, mesh, err);
    free(keys);
    return st;
}

rdx_status rdx_mesh_from_mask(const uint8_t *mask, const int64_t dim[3], rdx_mesh *mesh, rdx_error *err)
{
    return rdx_mesh_from_mask_on(mask, dim, RDX_DEVICE_CPU, mesh, err);
}

/* Lattice coordinates of triangle corner k of triangle t, relative to o. */
static void corner(const rdx_mesh *mesh, int64_t t, int k, const int64_t o[3], int64_t p[3])
{
    const int32_t *v = mesh->vertex + 3 * mesh->triangle[3 * t + k];
    for (int a = 0; a < 3; a++)
        p[a] = v[a] - o[a];
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
        corner(mesh, t, 0, o, a);
        corner(mesh, t, 1, o, b);
        corner(mesh, t, 2, o, c);
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
        corner(mesh, t, 0, o, a);
        corner(mesh, t, 1, o, b);
        corner(mesh, t, 2, o, c);
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
