/* Grids, images and masks: allocation and geometry checks (include/rdx/volume.h). */
#include "rdx/volume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rdx_grid_init(rdx_grid *g, int64_t nx, int64_t ny, int64_t nz)
{
    memset(g, 0, sizeof *g);
    g->dim[0] = nx;
    g->dim[1] = ny;
    g->dim[2] = nz;
    for (int a = 0; a < 3; a++) {
        g->spacing[a] = 1.0;
        g->direction[a * 3 + a] = 1.0;
    }
}

static rdx_status alloc_bytes(void **p, const rdx_grid *g, size_t elem, int zero, rdx_error *err)
{
    size_t n = rdx_grid_count(g);
    if (g->dim[0] <= 0 || g->dim[1] <= 0 || g->dim[2] <= 0)
        return rdx_error_set(err, RDX_E_INVALID, "invalid grid dimensions %lld x %lld x %lld",
                             (long long)g->dim[0], (long long)g->dim[1], (long long)g->dim[2]);
    *p = zero ? calloc(n, elem) : malloc(n * elem);
    if (!*p)
        return rdx_error_set(err, RDX_E_NOMEM, "cannot allocate %zu bytes for a %lld x %lld x %lld volume",
                             n * elem, (long long)g->dim[0], (long long)g->dim[1], (long long)g->dim[2]);
    return RDX_OK;
}

rdx_status rdx_image_alloc(rdx_image *img, const rdx_grid *g, rdx_error *err)
{
    img->grid = *g;
    img->data = NULL;
    return alloc_bytes((void **)&img->data, g, sizeof(float), 0, err);
}

rdx_status rdx_mask_alloc(rdx_mask *m, const rdx_grid *g, rdx_error *err)
{
    m->grid = *g;
    m->data = NULL;
    return alloc_bytes((void **)&m->data, g, sizeof(uint8_t), 1, err);
}

void rdx_image_free(rdx_image *img)
{
    if (img) {
        free(img->data);
        img->data = NULL;
    }
}

void rdx_mask_free(rdx_mask *m)
{
    if (m) {
        free(m->data);
        m->data = NULL;
    }
}

static int differs(double a, double b, double tol)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) > tol * scale;
}

rdx_status rdx_grid_check_same(const rdx_grid *a, const char *path_a, const rdx_grid *b,
                               const char *path_b, rdx_error *err)
{
    static const char axis[3] = {'x', 'y', 'z'};
    for (int i = 0; i < 3; i++)
        if (a->dim[i] != b->dim[i])
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "%s and %s: grids differ: dimension %c %lld vs %lld", path_a, path_b,
                                 axis[i], (long long)a->dim[i], (long long)b->dim[i]);
    for (int i = 0; i < 3; i++)
        if (differs(a->spacing[i], b->spacing[i], 1e-3))
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "%s and %s: grids differ: spacing %c %.4f vs %.4f mm", path_a, path_b,
                                 axis[i], a->spacing[i], b->spacing[i]);
    for (int i = 0; i < 3; i++)
        if (differs(a->origin[i], b->origin[i], 1e-3))
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "%s and %s: grids differ: origin %c %.4f vs %.4f mm", path_a, path_b,
                                 axis[i], a->origin[i], b->origin[i]);
    for (int i = 0; i < 9; i++)
        if (fabs(a->direction[i] - b->direction[i]) > 1e-4)
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "%s and %s: grids differ: direction cosine [%d][%d] %.5f vs %.5f", path_a,
                                 path_b, i / 3, i % 3, a->direction[i], b->direction[i]);
    return RDX_OK;
}

size_t rdx_mask_count(const rdx_mask *m)
{
    size_t n = rdx_grid_count(&m->grid), c = 0;
#pragma omp parallel for reduction(+ : c) schedule(static) if (n > ((size_t)1 << 20))
    for (size_t i = 0; i < n; i++)
        c += m->data[i] != 0;
    return c;
}
