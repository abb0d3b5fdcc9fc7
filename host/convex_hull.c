/* Incremental 3D convex hull (see convex_hull.h).
 *
 * A hull vertex is an extreme point of the set, so it is also a vertex of the
 * 2D convex hull of the points in each of its three axis-parallel planes.
 * Three radix sorts and 2D hulls (monotone chain, strict turns, exact
 * integers, over the two ends of each row of a plane) first drop every other
 * point; on grid data few candidates are left (17k of the 553k mesh vertices
 * of a 20-million-voxel ellipsoid), which matters because each insertion
 * below tests every face. The candidates are inserted in a seeded
 * pseudo-random order (for the expected O(n log n) hull growth): every face
 * that sees the new point strictly (exact orientation > 0, from the face's
 * stored normal) is removed and each horizon edge is joined to the point by
 * a new triangle. Points on the current hull are skipped.
 * Coplanar neighbours stay separate triangles, which does not change the
 * volume, area or diameter. The visibility tests of large hulls and the
 * diameter use OpenMP; neither result depends on the order of the threads. */
#include "convex_hull.h"
#include "grow.h"
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANGE ((int64_t)1 << 20)

typedef struct {
    int32_t v[3];  /* point indices, counter-clockwise seen from outside */
    int32_t nb[3]; /* face across edge (v[i], v[(i + 1) % 3]) */
    int64_t n[3];  /* (v1 - v0) x (v2 - v0), so that orient(v0, v1, v2, q) = n . (q - v0) */
    int alive;
} hull_face;

typedef struct {
    const int32_t *p;
    hull_face *f;
    uint8_t *visible; /* per face slot, during one insertion */
    int32_t n_f;
    int64_t cap_f;
    int32_t *free_slot; /* slots of removed faces, reused first */
    int32_t n_free;
    int32_t *start;     /* per point: new face whose horizon edge starts there, or -1 */
    int32_t *hz;        /* horizon: 3 per edge (a, b, outside face) */
    int32_t n_hz;
    int64_t cap_hz;
} builder;

/* (b - a) x (c - a) . (d - a): > 0 when d is on the outer side of the
 * counter-clockwise triangle a b c. Exact: differences are at most 2^20, so
 * the result is below 3 * 2^61. */
static int64_t orient(const int32_t *p, int32_t a, int32_t b, int32_t c, int32_t d)
{
    int64_t u[3], w[3], r[3];
    for (int k = 0; k < 3; k++) {
        u[k] = (int64_t)p[3 * b + k] - p[3 * a + k];
        w[k] = (int64_t)p[3 * c + k] - p[3 * a + k];
        r[k] = (int64_t)p[3 * d + k] - p[3 * a + k];
    }
    return (u[1] * w[2] - u[2] * w[1]) * r[0] + (u[2] * w[0] - u[0] * w[2]) * r[1] +
           (u[0] * w[1] - u[1] * w[0]) * r[2];
}

static int same_point(const int32_t *p, int32_t a, int32_t b)
{
    return p[3 * a] == p[3 * b] && p[3 * a + 1] == p[3 * b + 1] && p[3 * a + 2] == p[3 * b + 2];
}

static int collinear(const int32_t *p, int32_t a, int32_t b, int32_t c)
{
    int64_t u[3], w[3];
    for (int k = 0; k < 3; k++) {
        u[k] = (int64_t)p[3 * b + k] - p[3 * a + k];
        w[k] = (int64_t)p[3 * c + k] - p[3 * a + k];
    }
    return u[1] * w[2] - u[2] * w[1] == 0 && u[2] * w[0] - u[0] * w[2] == 0 && u[0] * w[1] - u[1] * w[0] == 0;
}

typedef struct {
    uint64_t key;
    int32_t idx;
} keyed;

/* Where the points lie: the lowest coordinate and the bits of the coordinate
 * range along each axis. */
typedef struct {
    int32_t lo[3];
    int bits[3];
} point_box;

#define RADIX_BITS 11

/* Sorts the n items of a by key (bits 0..key_bits-1 only), keeping the order
 * of equal keys: least significant digit first, RADIX_BITS per pass,
 * through tmp (n items). The sorted items end in a. */
static void radix_sort(keyed *a, keyed *tmp, int32_t n, int key_bits)
{
    enum { NB = 1 << RADIX_BITS };
    int32_t count[NB];
    for (int shift = 0; shift < key_bits; shift += RADIX_BITS) {
        memset(count, 0, sizeof count);
        for (int32_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & (NB - 1)]++;
        for (int32_t d = 0, sum = 0; d < NB; d++) {
            int32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (int32_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> shift) & (NB - 1)]++] = a[i];
        keyed *t = a;
        a = tmp;
        tmp = t;
    }
    if (((key_bits + RADIX_BITS - 1) / RADIX_BITS) % 2) /* odd pass count: the result is in tmp's buffer */
        memcpy(tmp, a, (size_t)n * sizeof *a);
}

/* Bits of the values 0..r. */
static int bit_width(int64_t r)
{
    int b = 0;
    while (r >> b)
        b++;
    return b;
}

/* z component of (b - a) x (c - a) in the plane coordinates (u, v) of keys
 * of one plane: u is key >> bits_v (the plane's own bits above u cancel in
 * the differences), v the low bits_v bits. */
static int64_t turn(uint64_t a, uint64_t b, uint64_t c, int bits_v)
{
    const uint64_t mask_v = ((uint64_t)1 << bits_v) - 1;
    const int64_t bu = (int64_t)(b >> bits_v) - (int64_t)(a >> bits_v);
    const int64_t cu = (int64_t)(c >> bits_v) - (int64_t)(a >> bits_v);
    const int64_t bv = (int64_t)(b & mask_v) - (int64_t)(a & mask_v);
    const int64_t cv = (int64_t)(c & mask_v) - (int64_t)(a & mask_v);
    return bu * cv - bv * cu;
}

/* One monotone chain over the k points pts of one plane (sorted by u, then
 * v; no copies), walked in direction step (+1 lower, -1 upper): pops non-left
 * turns, so only strict vertices remain; clears their mark bit. chain: k
 * slots (positions in pts). */
static void keep_chain(const keyed *pts, int32_t k, int bits_v, int step, int32_t *chain, uint8_t bit,
                       uint8_t *interior)
{
    int32_t h = 0;
    for (int32_t t = 0; t < k; t++) {
        int32_t q = step > 0 ? t : k - 1 - t;
        while (h >= 2 && turn(pts[chain[h - 2]].key, pts[chain[h - 1]].key, pts[q].key, bits_v) <= 0)
            h--;
        chain[h++] = q;
    }
    for (int32_t t = 0; t < h; t++)
        interior[pts[chain[t]].idx] &= (uint8_t)~bit;
}

/* Sets bit 1 << axis of interior[i] for every point i that is no vertex of
 * the 2D hull of its plane perpendicular to axis (of copies of a point, all
 * but the lowest index). The points are sorted by (axis, u, v) coordinates,
 * then index; tmp and spare: n items each. */
static void mark_plane_interiors(const int32_t *p, int32_t n, const point_box *box, int axis, keyed *tmp,
                                 keyed *spare, int32_t *chain, uint8_t *interior)
{
    const int u = (axis + 1) % 3, v = (axis + 2) % 3;
    const int plane_shift = box->bits[u] + box->bits[v];
    const uint8_t bit = (uint8_t)(1u << axis);
    const int32_t *lo = box->lo;
    for (int32_t i = 0; i < n; i++) {
        tmp[i].key = ((uint64_t)(p[3 * i + axis] - lo[axis]) << plane_shift) |
                     ((uint64_t)(p[3 * i + u] - lo[u]) << box->bits[v]) | (uint64_t)(p[3 * i + v] - lo[v]);
        tmp[i].idx = i;
    }
    radix_sort(tmp, spare, n, plane_shift + box->bits[axis]); /* stable: equal keys stay in index order */
    /* Compacted in place: distinct points, and of each row (equal axis and u
     * coordinates) only the two ends, as a point between them lies on their
     * segment and so is no strict vertex. */
    const int bits_v = box->bits[v];
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        interior[tmp[i].idx] |= bit;
        if (m > 0 && tmp[i].key == tmp[m - 1].key)
            continue;
        const uint64_t row = tmp[i].key >> bits_v;
        if (m >= 2 && tmp[m - 1].key >> bits_v == row && tmp[m - 2].key >> bits_v == row)
            tmp[m - 1] = tmp[i];
        else
            tmp[m++] = tmp[i];
    }
    for (int32_t s = 0; s < m;) {
        int32_t e = s + 1;
        while (e < m && tmp[e].key >> plane_shift == tmp[s].key >> plane_shift)
            e++;
        keep_chain(tmp + s, e - s, bits_v, 1, chain, bit, interior);
        keep_chain(tmp + s, e - s, bits_v, -1, chain, bit, interior);
        s = e;
    }
}

/* Candidates (possible hull vertices) in a seeded pseudo-random order. */
static int32_t candidates(const int32_t *p, int32_t n, const point_box *box, int32_t *cand, keyed *tmp,
                          keyed *spare, uint8_t *interior)
{
    memset(interior, 0, (size_t)n);
    for (int axis = 0; axis < 3; axis++) /* cand serves as the chain stack */
        mark_plane_interiors(p, n, box, axis, tmp, spare, cand, interior);
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (!interior[i])
            cand[m++] = i;
    uint64_t s = 0x9E3779B97F4A7C15u; /* xorshift64 state: fixed seed, so the order is reproducible */
    for (int32_t i = m - 1; i > 0; i--) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int32_t j = (int32_t)(s % (uint64_t)(i + 1)), t = cand[i];
        cand[i] = cand[j];
        cand[j] = t;
    }
    return m;
}

/* A face slot (a removed face's, else a new one); -1 when out of memory. */
static int32_t new_face(builder *b, int32_t v0, int32_t v1, int32_t v2)
{
    int32_t s;
    if (b->n_free > 0) {
        s = b->free_slot[--b->n_free];
    } else {
        int64_t cap = b->cap_f;
        if (!rdx_grow((void **)&b->f, &b->cap_f, b->n_f + 1, sizeof *b->f))
            return -1;
        if (b->cap_f != cap) {
            uint8_t *vis = realloc(b->visible, (size_t)b->cap_f);
            int32_t *fs = realloc(b->free_slot, (size_t)b->cap_f * sizeof *fs);
            if (vis)
                b->visible = vis;
            if (fs)
                b->free_slot = fs;
            if (!vis || !fs)
                return -1;
        }
        s = b->n_f++;
    }
    hull_face *f = &b->f[s];
    f->v[0] = v0, f->v[1] = v1, f->v[2] = v2;
    int64_t u[3], w[3];
    for (int k = 0; k < 3; k++) {
        u[k] = (int64_t)b->p[3 * v1 + k] - b->p[3 * v0 + k];
        w[k] = (int64_t)b->p[3 * v2 + k] - b->p[3 * v0 + k];
    }
    f->n[0] = u[1] * w[2] - u[2] * w[1];
    f->n[1] = u[2] * w[0] - u[0] * w[2];
    f->n[2] = u[0] * w[1] - u[1] * w[0];
    f->nb[0] = f->nb[1] = f->nb[2] = -1;
    f->alive = 1;
    b->visible[s] = 0;
    return s;
}

/* Sets g's link across its edge (from, to) to nf. */
static void relink(builder *b, int32_t g, int32_t from, int32_t to, int32_t nf)
{
    hull_face *f = &b->f[g];
    for (int i = 0; i < 3; i++)
        if (f->v[i] == from && f->v[(i + 1) % 3] == to)
            f->nb[i] = nf;
}

/* Tetrahedron a b c d with outward faces; orient(a, b, c, d) != 0. */
static int init_simplex(builder *b, int32_t a, int32_t bb, int32_t c, int32_t d)
{
    if (orient(b->p, a, bb, c, d) > 0) {
        int32_t t = bb;
        bb = c;
        c = t;
    }
    const int32_t tri[4][3] = {{a, bb, c}, {a, d, bb}, {bb, d, c}, {c, d, a}};
    for (int i = 0; i < 4; i++)
        if (new_face(b, tri[i][0], tri[i][1], tri[i][2]) < 0)
            return 0;
    for (int i = 0; i < 4; i++)
        for (int e = 0; e < 3; e++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 3; k++)
                    if (tri[j][k] == tri[i][(e + 1) % 3] && tri[j][(k + 1) % 3] == tri[i][e])
                        b->f[i].nb[e] = j;
    return 1;
}

/* Adds point q to the hull; returns 0 when out of memory. */
static int insert_point(builder *b, int32_t q)
{
    int any = 0; /* each face's test is independent: threads cannot change the result */
#pragma omp parallel for reduction(| : any) schedule(static) if (b->n_f > 8192)
    for (int32_t s = 0; s < b->n_f; s++) {
        const hull_face *f = &b->f[s];
        const int32_t *a = b->p + 3 * f->v[0], *r = b->p + 3 * q;
        b->visible[s] = f->alive && f->n[0] * ((int64_t)r[0] - a[0]) + f->n[1] * ((int64_t)r[1] - a[1]) +
                                            f->n[2] * ((int64_t)r[2] - a[2]) >
                                        0; /* orient(v0, v1, v2, q) > 0, exactly */
        any |= b->visible[s];
    }
    if (!any)
        return 1;
    b->n_hz = 0;
    for (int32_t s = 0; s < b->n_f; s++) {
        if (!b->visible[s])
            continue;
        hull_face *f = &b->f[s];
        for (int i = 0; i < 3; i++)
            if (!b->visible[f->nb[i]]) {
                if (!rdx_grow((void **)&b->hz, &b->cap_hz, 3 * (b->n_hz + 1), sizeof *b->hz))
                    return 0;
                int32_t *h = b->hz + 3 * b->n_hz++;
                h[0] = f->v[i], h[1] = f->v[(i + 1) % 3], h[2] = f->nb[i];
            }
    }
    /* Remove the visible faces only now: their marks define the horizon. */
    for (int32_t s = 0; s < b->n_f; s++)
        if (b->visible[s]) {
            b->f[s].alive = 0;
            b->visible[s] = 0;
            b->free_slot[b->n_free++] = s;
        }
    for (int32_t k = 0; k < b->n_hz; k++) {
        const int32_t *h = b->hz + 3 * k;
        int32_t nf = new_face(b, h[0], h[1], q);
        if (nf < 0)
            return 0;
        b->f[nf].nb[0] = h[2];
        relink(b, h[2], h[1], h[0], nf);
        b->start[h[0]] = nf;
    }
    /* The horizon is one cycle: the face after (a, b, q) starts at b. */
    for (int32_t k = 0; k < b->n_hz; k++) {
        const int32_t *h = b->hz + 3 * k;
        int32_t nf = b->start[h[0]], next = b->start[h[1]];
        b->f[nf].nb[1] = next;
        b->f[next].nb[2] = nf;
    }
    for (int32_t k = 0; k < b->n_hz; k++)
        b->start[b->hz[3 * k]] = -1;
    return 1;
}

/* First four affinely independent candidates, moved to the front; 0 if none. */
static int pick_simplex(const int32_t *p, int32_t *cand, int32_t m)
{
    int32_t found = 1;
    for (int32_t i = 1; i < m && found < 4; i++) {
        int32_t c = cand[i];
        int ok = found == 1   ? !same_point(p, cand[0], c)
                 : found == 2 ? !collinear(p, cand[0], cand[1], c)
                              : orient(p, cand[0], cand[1], cand[2], c) != 0;
        if (ok) {
            cand[i] = cand[found];
            cand[found++] = c;
        }
    }
    return found == 4;
}

void rdx_hull_free(rdx_hull *hull)
{
    free(hull->vertex);
    free(hull->face);
    memset(hull, 0, sizeof *hull);
}

/* Copies the alive faces and their vertices into *hull. */
static rdx_status export_hull(const builder *b, int32_t n, rdx_hull *hull, rdx_error *err)
{
    int32_t nf = 0;
    for (int32_t s = 0; s < b->n_f; s++)
        nf += b->f[s].alive;
    uint8_t *used = calloc((size_t)n, 1);
    hull->face = malloc((size_t)nf * 3 * sizeof *hull->face);
    if (!used || !hull->face) {
        free(used);
        rdx_hull_free(hull);
        return rdx_error_set(err, RDX_E_NOMEM, "convex hull: out of memory for %d faces", (int)nf);
    }
    for (int32_t s = 0; s < b->n_f; s++)
        if (b->f[s].alive) {
            for (int k = 0; k < 3; k++) {
                hull->face[3 * hull->n_faces + k] = b->f[s].v[k];
                used[b->f[s].v[k]] = 1;
            }
            hull->n_faces++;
        }
    int32_t nv = 0;
    for (int32_t i = 0; i < n; i++)
        nv += used[i];
    hull->vertex = malloc((size_t)nv * sizeof *hull->vertex);
    if (!hull->vertex) {
        free(used);
        rdx_hull_free(hull);
        return rdx_error_set(err, RDX_E_NOMEM, "convex hull: out of memory for %d vertices", (int)nv);
    }
    for (int32_t i = 0; i < n; i++)
        if (used[i])
            hull->vertex[hull->n_vertices++] = i;
    free(used);
    return RDX_OK;
}

static void builder_free(builder *b)
{
    free(b->f);
    free(b->visible);
    free(b->free_slot);
    free(b->start);
    free(b->hz);
}

static rdx_status check_range(const int32_t *p, int32_t n, point_box *box, rdx_error *err)
{
    int32_t *lo = box->lo, hi[3];
    for (int k = 0; k < 3; k++)
        lo[k] = hi[k] = p[k];
    for (int32_t i = 1; i < n; i++)
        for (int k = 0; k < 3; k++) {
            lo[k] = p[3 * i + k] < lo[k] ? p[3 * i + k] : lo[k];
            hi[k] = p[3 * i + k] > hi[k] ? p[3 * i + k] : hi[k];
        }
    for (int k = 0; k < 3; k++)
        if ((int64_t)hi[k] - lo[k] > MAX_RANGE)
            return rdx_error_set(err, RDX_E_INVALID, "convex hull: coordinate range %lld exceeds 2^20",
                                 (long long)hi[k] - lo[k]);
    for (int k = 0; k < 3; k++)
        box->bits[k] = bit_width((int64_t)hi[k] - lo[k]);
    return RDX_OK;
}

rdx_status rdx_hull_build(const int32_t *points, int32_t n, rdx_hull *hull, rdx_error *err)
{
    memset(hull, 0, sizeof *hull);
    point_box box;
    if (n < 4)
        return rdx_error_set(err, RDX_E_INVALID, "convex hull: %d points span no volume", (int)n);
    rdx_status st = check_range(points, n, &box, err);
    if (st)
        return st;
    builder b = {.p = points};
    int32_t *cand = malloc((size_t)n * sizeof *cand);
    keyed *tmp = malloc((size_t)n * sizeof *tmp), *spare = malloc((size_t)n * sizeof *spare);
    uint8_t *interior = malloc((size_t)n);
    b.start = malloc((size_t)n * sizeof *b.start);
    if (!cand || !tmp || !spare || !interior || !b.start) {
        st = rdx_error_set(err, RDX_E_NOMEM, "convex hull: out of memory for %d points", (int)n);
        goto done;
    }
    for (int32_t i = 0; i < n; i++)
        b.start[i] = -1;
    int32_t m = candidates(points, n, &box, cand, tmp, spare, interior);
    if (!pick_simplex(points, cand, m)) {
        st = rdx_error_set(err, RDX_E_INVALID, "convex hull: the %d points are coplanar", (int)n);
        goto done;
    }
    int ok = init_simplex(&b, cand[0], cand[1], cand[2], cand[3]);
    for (int32_t i = 4; ok && i < m; i++)
        ok = insert_point(&b, cand[i]);
    st = ok ? export_hull(&b, n, hull, err)
            : rdx_error_set(err, RDX_E_NOMEM, "convex hull: out of memory for %d faces", (int)b.n_f);
done:
    free(cand);
    free(tmp);
    free(spare);
    free(interior);
    builder_free(&b);
    return st;
}

void rdx_hull_measure(const rdx_hull *hull, const int32_t *points, const double scale[3], double *volume,
                      double *area)
{
    /* Tetrahedra from the first hull vertex: exact integer determinants. */
    const int32_t *o = hull->n_vertices ? points + 3 * hull->vertex[0] : points;
    double six_v = 0.0, a2 = 0.0;
    for (int32_t t = 0; t < hull->n_faces; t++) {
        int64_t r[3][3];
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 3; c++)
                r[k][c] = (int64_t)points[3 * hull->face[3 * t + k] + c] - o[c];
        six_v += (double)(r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) +
                          r[0][1] * (r[1][2] * r[2][0] - r[1][0] * r[2][2]) +
                          r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]));
        double u[3], w[3];
        for (int c = 0; c < 3; c++) {
            u[c] = (double)(r[1][c] - r[0][c]) * scale[c];
            w[c] = (double)(r[2][c] - r[0][c]) * scale[c];
        }
        double n0 = u[1] * w[2] - u[2] * w[1], n1 = u[2] * w[0] - u[0] * w[2], n2 = u[0] * w[1] - u[1] * w[0];
        a2 += sqrt(n0 * n0 + n1 * n1 + n2 * n2);
    }
    *volume = six_v / 6.0 * scale[0] * scale[1] * scale[2];
    *area = 0.5 * a2;
}

rdx_status rdx_hull_diameter(const rdx_hull *hull, const int32_t *points, const double scale[3], rdx_device device,
                             double *diameter, rdx_error *err)
{
    const int32_t nv = hull->n_vertices;
    double best = 0.0;
    *diameter = NAN;
    if (device == RDX_DEVICE_CUDA) {
        /* The device gets the vertices themselves, in the hull's order. */
        int32_t *v = malloc((size_t)(nv ? nv : 1) * 3 * sizeof *v);
        if (!v)
            return rdx_error_set(err, RDX_E_NOMEM, "maximum diameter: out of memory for %d hull vertices", nv);
        for (int32_t i = 0; i < nv; i++)
            memcpy(v + 3 * i, points + 3 * hull->vertex[i], 3 * sizeof *v);
        int code = rdx_cuda_max_sq_distance(v, nv, scale, &best);
        free(v);
        if (code)
            return rdx_error_set(err, RDX_E_DEVICE, "maximum diameter: CUDA: %s", rdx_cuda_error_string(code));
    } else {
#pragma omp parallel for schedule(dynamic, 64) reduction(max : best)
        for (int32_t i = 0; i < nv; i++)
            for (int32_t j = i + 1; j < nv; j++) {
                double d2 = rdx_sq_distance(points + 3 * hull->vertex[i], points + 3 * hull->vertex[j], scale);
                best = d2 > best ? d2 : best;
            }
    }
    *diameter = sqrt(best);
    return RDX_OK;
}
