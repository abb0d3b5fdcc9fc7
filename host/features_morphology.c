/* Morphological features (IBSI reference manual 3.1).
 *
 * Which voxels: the mesh (volume, area and everything derived from them, the
 * convex hull, the maximum diameter, the bounding box), the voxel-counting
 * volume, the principal component analysis (PCA) and the geometric centre use
 * the morphological mask; the intensity-weighted centre, the integrated
 * intensity and Moran's I / Geary's C use the intensity mask (after
 * re-segmentation) and its intensities. Positions are voxel centres in mm.
 *
 * How: marching cubes mesh (mesh.c) and its convex hull (convex_hull.c) on
 * exact lattice coordinates; PCA by Jacobi rotations of the (1/(N-1))
 * covariance matrix, as the IBSI reference implementation does; the
 * approximate enclosing ellipsoid area by the Legendre series of the manual,
 * cut at degree 20 as the reference implementation does.
 *
 * Moran's I and Geary's C cost O(N^2) in the intensity-mask voxel count N;
 * settings->morphology.autocorrelation chooses (rdx/settings.h):
 * - exact (and auto with N <= max_exact_voxels): all voxel pairs. The weight
 *   of a pair depends only on the voxel offset, so it is read from a table of
 *   1 / distance over the box, and the partner voxels are walked row by row
 *   (dense over each row's x span, 0 outside the mask), where the table is
 *   read sequentially.
 * - auto with N > max_exact_voxels: the same formulas on a subset of
 *   M = max_exact_voxels voxels (mean from the subset, weights 1 / distance
 *   between subset voxels), as the IBSI manual allows approximating both for
 *   large ROIs. The subset is fixed: voxel i (raster index in the box) gets
 *   the 64-bit hash h(i) = (v0 << 32) | v1 of Philox4x32-10 (rdx/philox.h)
 *   with key (SUBSET_KEY0, SUBSET_KEY1) and counter (i mod 2^32, i / 2^32, 0,
 *   0), and the M voxels smallest in (h(i), i) are kept. The subset's pairs
 *   are summed plane offset by plane offset: one table of 1 / distance for
 *   the offsets within a plane (the same weights, bit for bit, as the full
 *   table's) serves all pairs of subset voxels that far apart in z.
 * - off: both NaN.
 * With in->device == RDX_DEVICE_CUDA the mesh's triangles (identical) and
 * the per-voxel pair sums of the subset, or of all voxels when exact, come
 * from kernels/morphology.cu (the subset's equal to the CPU's bit for bit;
 * all pairs to rounding, about 1e-13 relative).
 * In both sums each voxel adds its pairs with the voxels after it in raster
 * order in four fixed lanes (OpenMP over rows or voxels), and the per-voxel
 * sums are added in raster order, so the values do not depend on the thread
 * count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "convex_hull.h"
#include "families.h"
#include "kernels.h"
#include "mesh.h"
#include "rdx/philox.h"

#define AEE_SERIES_DEGREE 20
#define SUBSET_KEY0 0x52445820u /* "RDX " */
#define SUBSET_KEY1 0x4d4f5250u /* "MORP" */
#define HASH_BIN_BITS 12        /* histogram of the top hash bits that brackets the subset's cut */

static const double PI = 3.14159265358979323846;

typedef struct {
    double volume, area;           /* mesh */
    double hull_volume, hull_area; /* convex hull of the mesh vertices */
    double diameter;               /* largest distance between hull vertices */
    double aabb[3];                /* extent of the mesh along x, y, z */
} mesh_measures;

static rdx_status measure_mesh(const rdx_texture_input *in, mesh_measures *m, rdx_error *err)
{
    rdx_mesh mesh;
    rdx_hull hull;
    rdx_status st = rdx_mesh_from_mask_on(in->morph, in->dim, in->device, &mesh, err);
    if (st)
        return st;
    m->volume = rdx_mesh_volume(&mesh, in->spacing);
    m->area = rdx_mesh_area(&mesh, in->spacing);
    int32_t lo[3], hi[3];
    for (int a = 0; a < 3; a++)
        lo[a] = hi[a] = mesh.vertex[a];
    for (int32_t v = 1; v < mesh.n_vertices; v++)
        for (int a = 0; a < 3; a++) {
            int32_t c = mesh.vertex[3 * v + a];
            lo[a] = c < lo[a] ? c : lo[a];
            hi[a] = c > hi[a] ? c : hi[a];
        }
    const double scale[3] = {0.5 * in->spacing[0], 0.5 * in->spacing[1], 0.5 * in->spacing[2]};
    for (int a = 0; a < 3; a++)
        m->aabb[a] = (double)(hi[a] - lo[a]) * scale[a];
    st = rdx_hull_build(mesh.vertex, mesh.n_vertices, &hull, err);
    if (!st) {
        rdx_hull_measure(&hull, mesh.vertex, scale, &m->hull_volume, &m->hull_area);
        st = rdx_hull_diameter(&hull, mesh.vertex, scale, in->device, &m->diameter, err);
        rdx_hull_free(&hull);
    }
    rdx_mesh_free(&mesh);
    return st;
}

/* Eigenvalues of the symmetric 3x3 matrix a (destroyed), in descending order,
 * by cyclic Jacobi rotations. */
static void sym3_eigenvalues(double a[3][3], double ev[3])
{
    for (int sweep = 0; sweep < 50; sweep++) {
        if (a[0][1] == 0.0 && a[0][2] == 0.0 && a[1][2] == 0.0)
            break;
        for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++) {
                if (a[p][q] == 0.0)
                    continue;
                double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 3; k++) { /* columns p, q: A J */
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; k++) { /* rows p, q: J^T (A J) */
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                a[p][q] = a[q][p] = 0.0;
            }
    }
    for (int k = 0; k < 3; k++)
        ev[k] = a[k][k];
    for (int i = 0; i < 2; i++) /* sort descending */
        for (int j = i + 1; j < 3; j++)
            if (ev[j] > ev[i]) {
                double t = ev[i];
                ev[i] = ev[j];
                ev[j] = t;
            }
}

/* Over the voxels of mask, in raster order: their number, and in s the sums
 * of w and of w times the x, y, z positions in mm, w the voxel's intensity
 * (1 when intensity is NULL). Positions come from the loop counters, not
 * from dividing the raster index. */
static int64_t weighted_sums(const rdx_texture_input *in, const uint8_t *mask, const float *intensity, double s[4])
{
    const int64_t *dim = in->dim;
    const double *sp = in->spacing;
    int64_t n = 0;
    double sum = 0.0, wx = 0.0, wy = 0.0, wz = 0.0; /* scalars stay in registers */
    for (int64_t z = 0, i = 0; z < dim[2]; z++) {
        const double pz = (double)z * sp[2];
        for (int64_t y = 0; y < dim[1]; y++) {
            const double py = (double)y * sp[1];
            for (int64_t x = 0; x < dim[0]; x++, i++)
                if (mask[i]) {
                    const double v = intensity ? intensity[i] : 1.0;
                    sum += v;
                    wx += v * ((double)x * sp[0]);
                    wy += v * py;
                    wz += v * pz;
                    n++;
                }
        }
    }
    s[0] = sum, s[1] = wx, s[2] = wy, s[3] = wz;
    return n;
}

/* Voxel count, centre and PCA eigenvalues (descending, mm^2) of the
 * morphological mask; two passes for an accurate covariance. With fewer than
 * two voxels the eigenvalues are 0. */
static int64_t morph_pca(const rdx_texture_input *in, double centre[3], double ev[3])
{
    const int64_t *dim = in->dim;
    const double *sp = in->spacing;
    double s[4];
    int64_t n = weighted_sums(in, in->morph, NULL, s);
    for (int a = 0; a < 3; a++) {
        centre[a] = s[a + 1] / (double)n;
        ev[a] = 0.0;
    }
    if (n < 2)
        return n;
    /* Scalar accumulators stay in registers; each is still summed in raster order. */
    double cxx = 0, cxy = 0, cxz = 0, cyy = 0, cyz = 0, czz = 0;
    for (int64_t z = 0, i = 0; z < dim[2]; z++) {
        const double dz = (double)z * sp[2] - centre[2];
        for (int64_t y = 0; y < dim[1]; y++) {
            const double dy = (double)y * sp[1] - centre[1];
            for (int64_t x = 0; x < dim[0]; x++, i++)
                if (in->morph[i]) {
                    const double dx = (double)x * sp[0] - centre[0];
                    cxx += dx * dx;
                    cxy += dx * dy;
                    cxz += dx * dz;
                    cyy += dy * dy;
                    cyz += dy * dz;
                    czz += dz * dz;
                }
        }
    }
    const double m = (double)(n - 1);
    double c[3][3] = {{cxx / m, cxy / m, cxz / m}, {cxy / m, cyy / m, cyz / m}, {cxz / m, cyz / m, czz / m}};
    sym3_eigenvalues(c, ev);
    for (int a = 0; a < 3; a++)
        ev[a] = ev[a] > 0.0 ? ev[a] : 0.0; /* rounding can leave -1e-17 for flat shapes */
    return n;
}

/* Surface area of the ellipsoid with semi-axes a >= b >= c (IBSI 3.1.20):
 * 4 pi a b sum_nu (alpha beta)^nu / (1 - 4 nu^2) P_nu((alpha^2 + beta^2) /
 * (2 alpha beta)). The terms q_nu = (alpha beta)^nu P_nu(...) follow from the
 * Legendre recurrence without dividing by alpha beta (zero for spheroids).
 * This is the manual's series, not the exact area (it gives 39.0 instead of
 * 48.3 for semi-axes 3, 1.5, 1.5); the reference values were made with it. */
static double ellipsoid_area(double a, double b, double c)
{
    double alpha2 = 1.0 - (b * b) / (a * a), beta2 = 1.0 - (c * c) / (a * a);
    double s = 0.5 * (alpha2 + beta2), ab2 = alpha2 * beta2;
    double q_prev = 1.0, q = s, sum = 1.0;
    for (int nu = 1; nu <= AEE_SERIES_DEGREE; nu++) {
        sum += q / (1.0 - 4.0 * nu * nu);
        double q_next = ((2.0 * nu + 1.0) * s * q - nu * ab2 * q_prev) / (nu + 1.0);
        q_prev = q;
        q = q_next;
    }
    return 4.0 * PI * a * b * sum;
}

/* The rows (fixed y, z) of the intensity mask, each stored densely over its
 * x span [x0, x0 + len): m = 1 in the mask, d = intensity - mean and
 * d2 = d^2 (all 0 outside the mask). Spans are laid out in raster order. */
typedef struct {
    int64_t n_rows;
    int32_t *yz, *x0; /* 2 per row; 1 per row */
    int64_t *off;     /* start of each row's span; off[n_rows] = total length */
    double *m, *d, *d2;
} mask_rows;

static void rows_free(mask_rows *r)
{
    free(r->yz);
    free(r->x0);
    free(r->off);
    free(r->m);
    free(r->d);
    free(r->d2);
}

/* Counts the rows and the total span length; when r->m is allocated, also
 * fills r. */
static void rows_scan(const rdx_texture_input *in, double mean, mask_rows *r, int64_t *total)
{
    const int64_t *dim = in->dim;
    int64_t k = 0, t = 0;
    for (int64_t z = 0; z < dim[2]; z++)
        for (int64_t y = 0; y < dim[1]; y++) {
            const uint8_t *roi = in->roi + dim[0] * (y + dim[1] * z);
            const float *val = in->intensity + dim[0] * (y + dim[1] * z);
            int64_t lo = 0, hi = dim[0] - 1;
            while (lo <= hi && !roi[lo])
                lo++;
            while (hi >= lo && !roi[hi])
                hi--;
            if (lo > hi)
                continue;
            if (r->m) {
                r->yz[2 * k] = (int32_t)y, r->yz[2 * k + 1] = (int32_t)z;
                r->x0[k] = (int32_t)lo;
                r->off[k] = t;
                for (int64_t x = lo; x <= hi; x++) {
                    int64_t p = t + x - lo;
                    r->m[p] = roi[x] ? 1.0 : 0.0;
                    r->d[p] = roi[x] ? (double)val[x] - mean : 0.0;
                    r->d2[p] = r->d[p] * r->d[p];
                }
            }
            k++;
            t += hi - lo + 1;
        }
    r->n_rows = k;
    if (r->m)
        r->off[k] = t;
    *total = t;
}

static rdx_status rows_build(const rdx_texture_input *in, double mean, mask_rows *r, rdx_error *err)
{
    int64_t total;
    memset(r, 0, sizeof *r);
    rows_scan(in, mean, r, &total);
    size_t nr = (size_t)r->n_rows, nt = (size_t)total;
    r->yz = malloc((2 * nr + 1) * sizeof *r->yz);
    r->x0 = malloc((nr + 1) * sizeof *r->x0);
    r->off = malloc((nr + 1) * sizeof *r->off);
    r->m = malloc((nt + 1) * sizeof *r->m);
    r->d = malloc((nt + 1) * sizeof *r->d);
    r->d2 = malloc((nt + 1) * sizeof *r->d2);
    if (!r->yz || !r->x0 || !r->off || !r->m || !r->d || !r->d2) {
        rows_free(r);
        return rdx_error_set(err, RDX_E_NOMEM, "morphology: out of memory for %zu mask rows", nr);
    }
    rows_scan(in, mean, r, &total);
    return RDX_OK;
}

/* 1 / distance in mm of the voxel offsets (x, y, z) with 0 <= x < dim[0],
 * 0 <= y < dim[1] and the given z, at w[x + dim[0] y] (0 at offset 0). */
static void inverse_distance_plane(const rdx_texture_input *in, int64_t z, double *w)
{
    const int64_t *dim = in->dim;
    for (int64_t y = 0; y < dim[1]; y++)
        for (int64_t x = 0; x < dim[0]; x++) {
            double dx = (double)x * in->spacing[0], dy = (double)y * in->spacing[1],
                   dz = (double)z * in->spacing[2];
            w[x + dim[0] * y] = x + y + z ? 1.0 / sqrt(dx * dx + dy * dy + dz * dz) : 0.0;
        }
}

/* 1 / distance in mm of every voxel offset within the box. */
static double *inverse_distances(const rdx_texture_input *in)
{
    const int64_t *dim = in->dim, plane = dim[0] * dim[1];
    double *w = malloc((size_t)(plane * dim[2]) * sizeof *w);
    if (w)
        for (int64_t z = 0; z < dim[2]; z++)
            inverse_distance_plane(in, z, w + plane * z);
    return w;
}

/* Adds the len span positions k = 0.. of m, d, d2 with weights wp[step * k]
 * (step = +-1) to the lanes acc[quantity][k mod 4]: sums of w m, w d and
 * w d2. The lanes are copied to locals so that they stay in registers. */
static void add_span(const double *wp, int step, const double *m, const double *d, const double *d2, int64_t len,
                     double acc[3][4])
{
    double s0[4], s1[4], s2[4];
    for (int l = 0; l < 4; l++)
        s0[l] = acc[0][l], s1[l] = acc[1][l], s2[l] = acc[2][l];
    int64_t k = 0;
    if (step > 0) /* separate loops: constant strides vectorise */
        for (; k + 4 <= len; k += 4)
            for (int l = 0; l < 4; l++) {
                double w = wp[k + l];
                s0[l] += w * m[k + l];
                s1[l] += w * d[k + l];
                s2[l] += w * d2[k + l];
            }
    else
        for (; k + 4 <= len; k += 4)
            for (int l = 0; l < 4; l++) {
                double w = wp[-(k + l)];
                s0[l] += w * m[k + l];
                s1[l] += w * d[k + l];
                s2[l] += w * d2[k + l];
            }
    for (int l = 0; k < len; k++, l++) {
        double w = wp[step * k];
        s0[l] += w * m[k];
        s1[l] += w * d[k];
        s2[l] += w * d2[k];
    }
    for (int l = 0; l < 4; l++)
        acc[0][l] = s0[l], acc[1][l] = s1[l], acc[2][l] = s2[l];
}

/* For every voxel of row r, sums over its pairs with the voxels after it in
 * raster order: out[3 p] = (sum w, sum w d_j, sum w d_j^2) at span position
 * p, with w[dx + d0 (dy + d1 dz)] = 1 / distance. acc holds 12 lanes per
 * position of the row. Row q is paired with all of row r before the next row,
 * so that q's span and its row of the weight table stay in cache; q's span is
 * read backwards left of a voxel's x and forwards right of it. */
static void row_pair_sums(const mask_rows *rows, const double *w, int64_t d0, int64_t d1, int64_t r, double *acc,
                          double *out)
{
    const int64_t *off = rows->off, o = off[r], n = off[r + 1] - o;
    const int64_t x0 = rows->x0[r], y = rows->yz[2 * r], z = rows->yz[2 * r + 1];
    memset(acc, 0, (size_t)(12 * n) * sizeof *acc);
    for (int64_t k = 0; k < n; k++)
        if (rows->m[o + k] != 0.0)
            add_span(w + 1, 1, rows->m + o + k + 1, rows->d + o + k + 1, rows->d2 + o + k + 1, n - k - 1,
                     (double(*)[4])(acc + 12 * k));
    for (int64_t q = r + 1; q < rows->n_rows; q++) {
        int64_t dy = rows->yz[2 * q] - y, dz = rows->yz[2 * q + 1] - z;
        const double *wr = w + d0 * ((dy < 0 ? -dy : dy) + d1 * (dz < 0 ? -dz : dz));
        const int64_t s = off[q], len = off[q + 1] - s, xq = rows->x0[q];
        for (int64_t k = 0; k < n; k++) {
            if (rows->m[o + k] == 0.0)
                continue;
            double(*lanes)[4] = (double(*)[4])(acc + 12 * k);
            int64_t x = x0 + k, left = x - xq;
            left = left < 0 ? 0 : left > len ? len : left; /* positions with x' < x */
            if (left > 0)
                add_span(wr + (x - xq), -1, rows->m + s, rows->d + s, rows->d2 + s, left, lanes);
            if (len > left)
                add_span(wr + (xq + left - x), 1, rows->m + s + left, rows->d + s + left, rows->d2 + s + left,
                         len - left, lanes);
        }
    }
    for (int64_t k = 0; k < n; k++)
        for (int c = 0; c < 3; c++) {
            const double *l = acc + 12 * k + 4 * c;
            out[3 * (o + k) + c] = (l[0] + l[1]) + (l[2] + l[3]);
        }
}

/* Over unordered pairs: W = sum w, M = sum w d_i d_j, G = sum w (d_i - d_j)^2;
 * and S = sum d_i^2 (d = intensity - mean). */
typedef struct {
    double w, m, g, s;
} pair_totals;

/* Adds voxel i with deviation d and t = (sum w, sum w d_j, sum w d_j^2) over
 * its pairs with the voxels j after it. */
static void totals_add(pair_totals *p, double d, const double t[3])
{
    const double d2 = d * d;
    p->w += t[0];
    p->m += d * t[1];
    p->g += d2 * t[0] - 2.0 * d * t[1] + t[2];
    p->s += d2;
}

/* Moran's I and Geary's C (IBSI 3.1.24, 3.1.25) of n voxels from their pair
 * totals; with a constant intensity they are 1, as in the IBSI reference
 * implementation. */
static void totals_finish(const pair_totals *p, int64_t n, double *moran, double *geary)
{
    if (p->s > 0.0) {
        /* The manual's sums run over ordered pairs: the factors 2 cancel. */
        *moran = (double)n * p->m / (p->w * p->s);
        *geary = (double)(n - 1) * p->g / (2.0 * p->w * p->s);
    } else {
        *moran = *geary = 1.0;
    }
}

/* Moran's I and Geary's C of the n >= 2 intensity-mask voxels, exact over
 * all voxel pairs with weights 1 / distance. */
static rdx_status exact_autocorrelation(const rdx_texture_input *in, int64_t n, double mean, double *moran,
                                        double *geary, rdx_error *err)
{
    mask_rows rows;
    rdx_status st = rows_build(in, mean, &rows, err);
    if (st)
        return st;
    const int64_t total = rows.off[rows.n_rows];
    double *sums = malloc((size_t)(3 * total) * sizeof *sums), *w = inverse_distances(in);
    if (!sums || !w) {
        free(sums);
        free(w);
        rows_free(&rows);
        return rdx_error_set(err, RDX_E_NOMEM, "morphology: out of memory for Moran's I of %lld voxels",
                             (long long)n);
    }
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        double *acc = malloc((size_t)(12 * in->dim[0]) * sizeof *acc); /* a row span is at most dim[0] */
        failed = acc == NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t r = 0; r < rows.n_rows; r++)
            if (acc)
                row_pair_sums(&rows, w, in->dim[0], in->dim[1], r, acc, sums);
        free(acc);
    }
    if (failed) {
        free(sums);
        free(w);
        rows_free(&rows);
        return rdx_error_set(err, RDX_E_NOMEM, "morphology: out of memory for Moran's I row sums");
    }
    pair_totals tot = {0.0, 0.0, 0.0, 0.0};
    for (int64_t p = 0; p < total; p++)
        if (rows.m[p] != 0.0)
            totals_add(&tot, rows.d[p], sums + 3 * p);
    free(sums);
    free(w);
    rows_free(&rows);
    totals_finish(&tot, n, moran, geary);
    return RDX_OK;
}

/* Subset hash of box voxel i (see the opening comment). */
static uint64_t voxel_hash(int64_t i)
{
    const rdx_philox_key k = {{SUBSET_KEY0, SUBSET_KEY1}};
    const rdx_philox_ctr c = {{(uint32_t)i, (uint32_t)((uint64_t)i >> 32), 0u, 0u}};
    const rdx_philox_ctr h = rdx_philox4x32_10(c, k);
    return (uint64_t)h.v[0] << 32 | h.v[1];
}

typedef struct {
    uint64_t hash;
    int64_t index;
} ranked_voxel;

static int cmp_rank(const void *a, const void *b)
{
    const ranked_voxel *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int cmp_index(const void *a, const void *b)
{
    const ranked_voxel *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* All n intensity-mask voxels in raster order (owned by the caller; NULL
 * when out of memory). */
static ranked_voxel *all_voxels(const rdx_texture_input *in, int64_t n)
{
    const int64_t nvox = in->dim[0] * in->dim[1] * in->dim[2];
    ranked_voxel *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0, k = 0; v && i < nvox; i++)
        if (in->roi[i])
            v[k++] = (ranked_voxel){0, i};
    return v;
}

/* The m intensity-mask voxels smallest in (hash, index), m < n (the mask's
 * voxel count), in raster order into sel[0..m-1] (owned by the caller; NULL
 * when out of memory). A histogram of the top hash bits finds the bin holding
 * the m-th voxel; the voxels up to that bin are then ranked exactly. Every
 * step is integer and the ranking is total, so the thread count plays no part. */
static ranked_voxel *select_subset(const rdx_texture_input *in, int64_t m)
{
    const int64_t nvox = in->dim[0] * in->dim[1] * in->dim[2];
    enum { NB = 1 << HASH_BIN_BITS };
    int64_t hist[NB] = {0};
#pragma omp parallel for reduction(+ : hist[:NB]) schedule(static)
    for (int64_t i = 0; i < nvox; i++)
        if (in->roi[i])
            hist[voxel_hash(i) >> (64 - HASH_BIN_BITS)]++;
    int64_t cum = 0, bin = 0;
    while (cum + hist[bin] < m)
        cum += hist[bin++];
    const int64_t n_cand = cum + hist[bin];
    ranked_voxel *cand = malloc((size_t)n_cand * sizeof *cand);
    if (!cand)
        return NULL;
    int64_t filled = 0;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nvox; i++) {
        if (!in->roi[i])
            continue;
        uint64_t h = voxel_hash(i);
        if ((int64_t)(h >> (64 - HASH_BIN_BITS)) > bin)
            continue;
        int64_t at;
#pragma omp atomic capture
        at = filled++;
        cand[at] = (ranked_voxel){h, i};
    }
    qsort(cand, (size_t)n_cand, sizeof *cand, cmp_rank); /* arrival order no longer matters */
    qsort(cand, (size_t)m, sizeof *cand, cmp_index);
    return cand;
}

/* Voxels of the subset in raster order: coordinates, deviation d and d^2,
 * and where each z plane of the box starts (z_start[z], nz + 1 entries). */
typedef struct {
    int64_t n;
    int32_t *x, *y, *z;
    int64_t *z_start;
    double *d, *d2;
} point_set;

static void points_free(point_set *p)
{
    free(p->x);
    free(p->y);
    free(p->z);
    free(p->z_start);
    free(p->d);
    free(p->d2);
}

static int points_build(const rdx_texture_input *in, const ranked_voxel *sel, int64_t m, point_set *p)
{
    const int64_t *dim = in->dim;
    p->n = m;
    p->x = malloc((size_t)m * sizeof *p->x);
    p->y = malloc((size_t)m * sizeof *p->y);
    p->z = malloc((size_t)m * sizeof *p->z);
    p->z_start = malloc((size_t)(dim[2] + 1) * sizeof *p->z_start);
    p->d = malloc((size_t)m * sizeof *p->d);
    p->d2 = malloc((size_t)m * sizeof *p->d2);
    if (!p->x || !p->y || !p->z || !p->z_start || !p->d || !p->d2)
        return 0;
    double sum = 0.0;
    for (int64_t k = 0; k < m; k++) {
        int64_t i = sel[k].index;
        p->x[k] = (int32_t)(i % dim[0]);
        p->y[k] = (int32_t)((i / dim[0]) % dim[1]);
        p->z[k] = (int32_t)(i / (dim[0] * dim[1]));
        sum += in->intensity[i];
    }
    const double mean = sum / (double)m;
    for (int64_t k = 0; k < m; k++) {
        p->d[k] = (double)in->intensity[sel[k].index] - mean;
        p->d2[k] = p->d[k] * p->d[k];
    }
    for (int64_t z = 0, k = 0; z <= dim[2]; z++) {
        while (k < m && p->z[k] < z)
            k++;
        p->z_start[z] = k;
    }
    return 1;
}

/* Adds the pair (i, j) to acc[quantity][l]: w, w d_j, w d_j^2, with w read
 * from the plane table of 1 / distance (row length d0). */
static inline void add_pair(const point_set *p, const double *w, int64_t d0, int64_t i, int64_t j, double acc[3][4],
                            int l)
{
    int64_t dx = p->x[j] - p->x[i], dy = p->y[j] - p->y[i];
    double wj = w[(dx < 0 ? -dx : dx) + d0 * (dy < 0 ? -dy : dy)];
    acc[0][l] += wj;
    acc[1][l] += wj * p->d[j];
    acc[2][l] += wj * p->d2[j];
}

/* Adds point i's pairs with the points j > i of plane z[i] + dz to its lanes
 * acc[quantity][(j - i - 1) mod 4] (as add_span), w from the plane table for
 * this dz. Whole groups of four lanes are summed in local copies, which stay
 * in registers. */
static void add_plane_pairs(const point_set *p, const double *w, int64_t d0, int64_t dz, int64_t i,
                            double acc[3][4])
{
    const int64_t z2 = p->z[i] + dz, end = p->z_start[z2 + 1];
    int64_t j = p->z_start[z2] > i + 1 ? p->z_start[z2] : i + 1;
    for (; j < end && ((j - i - 1) & 3) != 0; j++)
        add_pair(p, w, d0, i, j, acc, (int)((j - i - 1) & 3));
    double s[3][4];
    memcpy(s, acc, sizeof s);
    for (; j + 4 <= end; j += 4)
        for (int l = 0; l < 4; l++)
            add_pair(p, w, d0, i, j + l, s, l);
    memcpy(acc, s, sizeof s);
    for (int l = 0; j < end; j++, l++)
        add_pair(p, w, d0, i, j, acc, l);
}

/* sums[3 i + c] = (sum w, sum w d_j, sum w d_j^2) over the points j > i, w =
 * 1 / distance. Plane offsets dz run outermost, so that one table of 1 /
 * distance for the offsets in a plane (dim[0] dim[1] doubles) serves all the
 * pairs dz apart; each point still meets its partners in raster order, and
 * its lanes are its own, so threads never share one. acc: 12 lanes per point. */
static void subset_pair_sums(const rdx_texture_input *in, const point_set *p, double *w, double *acc,
                             double *sums)
{
    const int64_t *dim = in->dim, m = p->n;
    memset(acc, 0, (size_t)(12 * m) * sizeof *acc);
    for (int64_t dz = 0; dz < dim[2]; dz++) {
        inverse_distance_plane(in, dz, w);
        const int64_t last = p->z_start[dim[2] - dz]; /* points with a plane dz above */
#pragma omp parallel for schedule(dynamic, 256)
        for (int64_t i = 0; i < last; i++)
            add_plane_pairs(p, w, dim[0], dz, i, (double(*)[4])(acc + 12 * i));
    }
    for (int64_t i = 0; i < m; i++)
        for (int c = 0; c < 3; c++) {
            const double *l = acc + 12 * i + 4 * c;
            sums[3 * i + c] = (l[0] + l[1]) + (l[2] + l[3]);
        }
}

/* Moran's I and Geary's C of m of the n intensity-mask voxels: the fixed
 * subset when m < n, else all, with the pair sums on the CPU (plane tables)
 * or the CUDA device. */
static rdx_status point_autocorrelation(const rdx_texture_input *in, int64_t n, int64_t m, double *moran,
                                        double *geary, rdx_error *err)
{
    ranked_voxel *sel = m < n ? select_subset(in, m) : all_voxels(in, n);
    point_set pts = {0};
    double *sums = malloc((size_t)(3 * m) * sizeof *sums);
    int ok = sel && sums && points_build(in, sel, m, &pts), code = 0;
    free(sel);
    if (ok && in->device == RDX_DEVICE_CUDA) {
        code = rdx_cuda_autocorr_pair_sums(pts.x, pts.y, pts.z, pts.d, m, in->spacing, sums);
    } else if (ok) {
        double *acc = malloc((size_t)(12 * m) * sizeof *acc);
        double *w = malloc((size_t)(in->dim[0] * in->dim[1]) * sizeof *w);
        ok = acc && w;
        if (ok)
            subset_pair_sums(in, &pts, w, acc, sums);
        free(acc);
        free(w);
    }
    pair_totals tot = {0.0, 0.0, 0.0, 0.0};
    for (int64_t i = 0; ok && !code && i < m; i++)
        totals_add(&tot, pts.d[i], sums + 3 * i);
    free(sums);
    points_free(&pts);
    if (!ok)
        return rdx_error_set(err, RDX_E_NOMEM, "morphology: out of memory for Moran's I of %lld voxels",
                             (long long)m);
    if (code)
        return rdx_error_set(err, RDX_E_DEVICE, "morphology: CUDA Moran's I pair sums: %s",
                             rdx_cuda_error_string(code));
    totals_finish(&tot, m, moran, geary);
    return RDX_OK;
}

/* Moran's I and Geary's C of the n intensity-mask voxels as the settings say
 * (see the opening comment). With fewer than two voxels, or off, both are
 * NaN. */
static rdx_status spatial_autocorrelation(const rdx_texture_input *in, const rdx_morphology_settings *ms,
                                          int64_t n, double mean, double *moran, double *geary, rdx_error *err)
{
    *moran = *geary = NAN;
    if (n < 2 || ms->autocorrelation == RDX_AUTOCORR_OFF)
        return RDX_OK;
    const int sampled = ms->autocorrelation == RDX_AUTOCORR_AUTO && n > ms->max_exact_voxels;
    if (sampled || in->device == RDX_DEVICE_CUDA)
        return point_autocorrelation(in, n, sampled ? ms->max_exact_voxels : n, moran, geary, err);
    return exact_autocorrelation(in, n, mean, moran, geary, err);
}

/* Centre of mass shift, integrated intensity, Moran's I and Geary's C. */
static rdx_status intensity_features(const rdx_texture_input *in, const rdx_morphology_settings *ms,
                                     const double centre[3], double volume, double *values, rdx_error *err)
{
    double ws[4];
    int64_t n = weighted_sums(in, in->roi, in->intensity, ws);
    const double sum = ws[0];
    double shift2 = 0.0;
    for (int a = 0; a < 3; a++) {
        double e = centre[a] - ws[a + 1] / sum;
        shift2 += e * e;
    }
    double mean = n ? sum / (double)n : NAN;
    values[RDX_F_MORPH_COM] = n && sum != 0.0 ? sqrt(shift2) : NAN; /* no weighted centre without weight */
    values[RDX_F_MORPH_INTEG_INT] = volume * mean;
    return spatial_autocorrelation(in, ms, n, mean, &values[RDX_F_MORPH_MORAN_I], &values[RDX_F_MORPH_GEARY_C],
                                   err);
}

static void shape_features(const mesh_measures *m, double *values)
{
    const double v = m->volume, a = m->area;
    const double sph = cbrt(36.0 * PI * v * v); /* area of the sphere of volume v */
    values[RDX_F_MORPH_VOLUME] = v;
    values[RDX_F_MORPH_AREA_MESH] = a;
    values[RDX_F_MORPH_AV] = a / v;
    values[RDX_F_MORPH_COMP_1] = v / (sqrt(PI) * a * sqrt(a));
    values[RDX_F_MORPH_COMP_2] = 36.0 * PI * v * v / (a * a * a);
    values[RDX_F_MORPH_SPH_DISPR] = a / sph;
    values[RDX_F_MORPH_SPHERICITY] = sph / a;
    values[RDX_F_MORPH_ASPHERICITY] = a / sph - 1.0;
    values[RDX_F_MORPH_DIAM] = m->diameter;
    const double *e = m->aabb;
    values[RDX_F_MORPH_VOL_DENS_AABB] = v / (e[0] * e[1] * e[2]);
    values[RDX_F_MORPH_AREA_DENS_AABB] = a / (2.0 * (e[0] * e[1] + e[0] * e[2] + e[1] * e[2]));
    values[RDX_F_MORPH_VOL_DENS_CONV_HULL] = v / m->hull_volume;
    values[RDX_F_MORPH_AREA_DENS_CONV_HULL] = a / m->hull_area;
}

/* PCA axis lengths and the approximate enclosing ellipsoid densities; NaN
 * where an axis has zero length (fewer than two voxels, flat shapes). */
static void pca_features(const double ev[3], int64_t n, const mesh_measures *m, double *values)
{
    double maj = 4.0 * sqrt(ev[0]), min = 4.0 * sqrt(ev[1]), least = 4.0 * sqrt(ev[2]);
    if (n < 2)
        maj = min = least = NAN;
    values[RDX_F_MORPH_PCA_MAJ_AXIS] = maj;
    values[RDX_F_MORPH_PCA_MIN_AXIS] = min;
    values[RDX_F_MORPH_PCA_LEAST_AXIS] = least;
    values[RDX_F_MORPH_PCA_ELONGATION] = ev[0] > 0 ? sqrt(ev[1] / ev[0]) : NAN;
    values[RDX_F_MORPH_PCA_FLATNESS] = ev[0] > 0 ? sqrt(ev[2] / ev[0]) : NAN;
    int defined = n >= 2 && ev[2] > 0;
    double a = 0.5 * maj, b = 0.5 * min, c = 0.5 * least; /* semi-axes 2 sqrt(lambda) */
    values[RDX_F_MORPH_VOL_DENS_AEE] = defined ? m->volume / (4.0 * PI * a * b * c / 3.0) : NAN;
    values[RDX_F_MORPH_AREA_DENS_AEE] = defined ? m->area / ellipsoid_area(a, b, c) : NAN;
}

rdx_status rdx_family_morphology(const rdx_texture_input *in, const rdx_settings *s, double *values,
                                 rdx_error *err)
{
    double centre[3], ev[3];
    int64_t n = morph_pca(in, centre, ev);
    if (n == 0)
        return rdx_error_set(err, RDX_E_EMPTY_ROI, "morphology: empty morphological mask");
    mesh_measures m;
    rdx_status st = measure_mesh(in, &m, err);
    if (st)
        return st;
    shape_features(&m, values);
    pca_features(ev, n, &m, values);
    values[RDX_F_MORPH_VOL_APPROX] = (double)n * in->spacing[0] * in->spacing[1] * in->spacing[2];
    return intensity_features(in, &s->morphology, centre, m.volume, values, err);
}
