/* Zone labelling, distance to the ROI edge, sparse zone matrices and the 16
 * zone features shared by the GLSZM (IBSI 3.8) and the GLDZM (IBSI 3.9).
 *
 * Work split: the 2D aggregations label every axial slice on its own, in
 * parallel over slices (each slice its own labels, distance map and matrix);
 * the slice features are averaged in slice order afterwards, and the slice
 * counts are added into one 2.5D table as slices finish (integer counts: the
 * sum does not depend on the order). The 3D zones come from one sequential
 * labelling of the box (two raster passes with union-find). Matrices hold
 * integer counts in a hash table while they are built and become an array
 * sorted by (grey, j), so feature sums have one fixed order whatever the
 * thread count. Memory is proportional to the box (labels, distances, one
 * row per zone) plus the distinct (grey, j) pairs, never Ng x max zone
 * size.
 *
 * With the CUDA device the kernels (kernels/zones.cu) compute the distance
 * maps and label the whole box, every slice at once for 2D, returning one row
 * per zone (grey, size, minimum distance); the same matrices are built from
 * those rows here. */
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "kernels.h"
#include "zones.h"

/* ------------------------------------------------ (grey, j) count hash table */

/* A count with its key = grey << 32 | j (grey >= 1, so key 0 marks an
 * empty hash slot). */
typedef struct {
    uint64_t key;
    int64_t count;
} key_count;

/* Open addressing with linear probing; key and count share a slot, so an
 * update costs one cache miss. */
typedef struct {
    key_count *slot;
    size_t cap, n;
    int bits; /* cap = 2^bits */
} count_hash;

static size_t hash_slot(uint64_t key, int bits)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static void hash_free(count_hash *h)
{
    free(h->slot);
    h->slot = NULL;
}

static void hash_put(count_hash *h, uint64_t key, int64_t c)
{
    size_t s = hash_slot(key, h->bits);
    while (h->slot[s].key && h->slot[s].key != key)
        s = (s + 1) & (h->cap - 1);
    if (!h->slot[s].key) {
        h->slot[s].key = key;
        h->n++;
    }
    h->slot[s].count += c;
}

static int hash_init(count_hash *h, int bits)
{
    h->bits = bits;
    h->cap = (size_t)1 << bits;
    h->n = 0;
    h->slot = calloc(h->cap, sizeof *h->slot);
    return h->slot ? 0 : -1;
}

/* Add c zones at (grey, j); grows the table to keep it at most half full. */
static int hash_add(count_hash *h, int32_t grey, int64_t j, int64_t c)
{
    if (2 * (h->n + 1) > h->cap) {
        count_hash g;
        if (hash_init(&g, h->bits + 1))
            return -1;
        for (size_t s = 0; s < h->cap; s++)
            if (h->slot[s].key)
                hash_put(&g, h->slot[s].key, h->slot[s].count);
        hash_free(h);
        *h = g;
    }
    hash_put(h, (uint64_t)grey << 32 | (uint64_t)j, c);
    return 0;
}

/* (key, count) pairs sorted by key: LSD radix sort with 11-bit digits,
 * skipping the digits that are equal in every key (a comparison sort of the
 * many small slice matrices costs more than the labelling). */
#define RADIX_BITS 11

/* Sorts a[0..n) using tmp[0..n); the result is in a. */
static void radix_sort(key_count *a, key_count *tmp, size_t n)
{
    uint64_t any = 0, all = ~0ull;
    for (size_t i = 0; i < n; i++) {
        any |= a[i].key;
        all &= a[i].key;
    }
    key_count *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += RADIX_BITS) {
        const uint64_t mask = (1u << RADIX_BITS) - 1;
        if (!(((any ^ all) >> shift) & mask))
            continue;
        size_t start[1u << RADIX_BITS] = {0};
        for (size_t i = 0; i < n; i++)
            start[(src[i].key >> shift) & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) {
            size_t c = start[d];
            start[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[start[(src[i].key >> shift) & mask]++] = src[i];
        key_count *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* The sorted matrix of the table's counts and its j-marginal; the table is
 * left as it is. On failure m owns nothing. */
static int hash_to_matrix(const count_hash *h, int64_t n_voxels, rdx_zone_matrix *m)
{
    size_t n = 0, cap = h->n ? h->n : 1;
    *m = (rdx_zone_matrix){.n_voxels = n_voxels};
    key_count *kc = malloc(2 * cap * sizeof *kc);
    m->e = malloc(cap * sizeof *m->e);
    m->jm = malloc(cap * sizeof *m->jm);
    if (!kc || !m->e || !m->jm) {
        free(kc);
        rdx_zone_matrix_free(m);
        return -1;
    }
    for (size_t s = 0; s < h->cap; s++)
        if (h->slot[s].key)
            kc[n++] = h->slot[s];
    radix_sort(kc, kc + cap, n);
    for (size_t k = 0; k < n; k++)
        m->e[k] = (rdx_zone_count){(int32_t)(kc[k].key >> 32), (int64_t)(kc[k].key & 0xFFFFFFFFu), kc[k].count};
    m->n = n;
    /* j-marginal: the same counts keyed by j alone, equal j summed */
    for (size_t k = 0; k < n; k++)
        kc[k].key &= 0xFFFFFFFFu;
    radix_sort(kc, kc + cap, n);
    for (size_t k = 0; k < n; k++) {
        if (m->n_j && (uint64_t)m->jm[m->n_j - 1].j == kc[k].key)
            m->jm[m->n_j - 1].count += kc[k].count;
        else
            m->jm[m->n_j++] = (rdx_zone_margin){(int64_t)kc[k].key, kc[k].count};
    }
    free(kc);
    return 0;
}

void rdx_zone_matrix_free(rdx_zone_matrix *m)
{
    free(m->e);
    free(m->jm);
    m->e = NULL;
    m->jm = NULL;
    m->n = m->n_j = 0;
}

/* ------------------------------------------------------------------ labelling */

/* Two raster passes with union-find, no queue. Pass 1 joins every ROI voxel
 * to its earlier neighbours (the half of the neighbourhood already visited)
 * of the same grey level; pass 2 numbers the sets. The forest lives in
 * label[] itself: label[v] = p + 1 with p the parent voxel of v, and a parent
 * always comes before its child in raster order, so a set's root is its first
 * voxel and pass 2 meets every parent already numbered: the zone numbers are
 * those of a search seeded in raster order. Extra memory is 8 bytes per zone
 * (at most one zone per ROI voxel). */

/* A neighbour that comes before the voxel in raster order. */
typedef struct {
    int64_t d[3];    /* offset per axis, x first */
    uint32_t back;   /* how many voxels earlier it lies */
    uint64_t covers; /* bit j: offset j (j < MASKED) neighbours this one (itself included) */
} prior_offset;

/* Offsets tried with skipping, one bit each in a uint64_t: all of them for
 * linkage 1 and 2 in 3D (13, 62). Later ones are always tried. */
#define MASKED 64

/* Whether offsets a and b are neighbours of each other. */
static int offsets_touch(const prior_offset *a, const prior_offset *b, const int64_t reach[3])
{
    for (int k = 0; k < 3; k++)
        if (llabs(a->d[k] - b->d[k]) > reach[k])
            return 0;
    return 1;
}

/* The covers mask of each of off[0..n). */
static void set_covers(prior_offset *off, size_t n, const int64_t reach[3])
{
    for (size_t i = 0; i < n; i++) {
        off[i].covers = 0;
        for (size_t j = 0; j < n && j < MASKED; j++)
            if (offsets_touch(&off[i], &off[j], reach))
                off[i].covers |= 1ull << j;
    }
}

static int bits_set(uint64_t m)
{
    int c = 0;
    for (; m; m &= m - 1)
        c++;
    return c;
}

/* Most neighbours first (covers holds them all: at most MASKED offsets),
 * then raster order (z, y, x). */
static int by_coverage(const void *pa, const void *pb)
{
    const prior_offset *a = pa, *b = pb;
    int ca = bits_set(a->covers), cb = bits_set(b->covers);
    if (ca != cb)
        return ca > cb ? -1 : 1;
    for (int k = 2; k >= 0; k--)
        if (a->d[k] != b->d[k])
            return a->d[k] < b->d[k] ? -1 : 1;
    return 0;
}

/* The earlier half of the neighbourhood within reach per axis (reach[a] <=
 * dim[a] - 1, so every offset fits in the box), the offsets that neighbour
 * most others first when all are masked: a match there skips the most. */
static prior_offset *prior_offsets(const int64_t dim[3], const int64_t reach[3], size_t *n)
{
    size_t cap = (size_t)(2 * reach[0] + 1) * (size_t)(2 * reach[1] + 1) * (size_t)(2 * reach[2] + 1) / 2;
    prior_offset *off = malloc((cap ? cap : 1) * sizeof *off);
    *n = 0;
    if (!off)
        return NULL;
    for (int64_t dz = -reach[2]; dz <= 0; dz++)
        for (int64_t dy = -reach[1]; dy <= (dz ? reach[1] : 0); dy++)
            for (int64_t dx = -reach[0]; dx <= (dz || dy ? reach[0] : -1); dx++)
                off[(*n)++] = (prior_offset){{dx, dy, dz}, (uint32_t)-(dx + dim[0] * (dy + dim[1] * dz)), 0};
    if (*n <= MASKED) {
        set_covers(off, *n, reach);
        qsort(off, *n, sizeof *off, by_coverage);
    }
    set_covers(off, *n, reach);
    return off;
}

/* Root of voxel v's set, halving the path on the way. */
static uint32_t find_root(uint32_t *label, uint32_t v)
{
    while (label[v] - 1 != v) {
        label[v] = label[label[v] - 1];
        v = label[v] - 1;
    }
    return v;
}

/* Joins the set of root r and the set of voxel w, the later root under the
 * earlier one so that a parent always comes first. Returns the root of the
 * union; *roots counts sets. */
static uint32_t join(uint32_t *label, uint32_t r, uint32_t w, uint32_t *roots)
{
    uint32_t rw = find_root(label, w);
    if (rw == r)
        return r;
    (*roots)--;
    if (rw < r) {
        label[r] = rw + 1;
        return rw;
    }
    label[rw] = r + 1;
    return r;
}

/* Offsets of off[0..n) (n <= MASKED) that stay in the box from (x, y, z), as
 * a mask; check_x 0: x is at least reach[0] from both ends of its row. */
static uint64_t fitting(const int64_t dim[3], const prior_offset *off, size_t n, int64_t x, int64_t y, int64_t z,
                        int check_x)
{
    uint64_t m = 0;
    for (size_t k = 0; k < n; k++) {
        const int64_t *d = off[k].d;
        if ((!check_x || (x + d[0] >= 0 && x + d[0] < dim[0])) && y + d[1] >= 0 && y + d[1] < dim[1] &&
            z + d[2] >= 0)
            m |= 1ull << k;
    }
    return m;
}

/* Pass 1 over the box: label[] becomes the forest (0 outside the ROI).
 * Any two earlier neighbours of v that neighbour each other and have the
 * same grey level are already in one set, so once v has joined one, those
 * that neighbour it are skipped (the masked offsets; the centre, the voxel
 * just before v along the slowest axis, neighbours all the others). The left
 * voxel is tried first, from registers: when it has v's grey level, v joins
 * the set of the previous voxel without a search. Returns the number of
 * sets. */
static uint32_t link_box(const int64_t dim[3], const int32_t *grey, const int64_t reach[3],
                         const prior_offset *off, size_t n, uint32_t *label)
{
    const int64_t nx = dim[0];
    const size_t n_masked = n < MASKED ? n : MASKED;
    uint64_t left_bit = 0, left_covers = 0; /* the left voxel's offset */
    for (size_t k = 0; k < n_masked; k++)
        if (off[k].d[0] == -1 && !off[k].d[1] && !off[k].d[2]) {
            left_bit = 1ull << k;
            left_covers = off[k].covers;
        }
    uint32_t roots = 0;
    for (int64_t z = 0; z < dim[2]; z++)
        for (int64_t y = 0; y < dim[1]; y++) {
            const uint64_t row_mask = fitting(dim, off, n_masked, 0, y, z, 0);
            const uint32_t start = (uint32_t)(nx * (y + dim[1] * z));
            int32_t left = 0; /* grey level of the left voxel when it is a neighbour in the ROI, else 0 */
            uint32_t r = 0;   /* root of the previous voxel's set */
            for (int64_t x = 0; x < nx; x++) {
                const uint32_t v = start + (uint32_t)x;
                const int32_t g = grey[v];
                if (g <= 0) {
                    label[v] = 0;
                    left = 0;
                    continue;
                }
                uint64_t rem = x < reach[0] || x >= nx - reach[0] ? fitting(dim, off, n_masked, x, y, z, 1)
                                                                  : row_mask;
                if (g == left) {
                    label[v] = r + 1;
                    rem &= ~left_covers;
                } else {
                    label[v] = v + 1;
                    r = v;
                    roots++;
                    rem &= ~left_bit;
                }
                while (rem) {
                    const int k = __builtin_ctzll(rem);
                    const uint32_t w = v - off[k].back;
                    rem &= rem - 1;
                    if (grey[w] == g) {
                        rem &= ~off[k].covers;
                        r = join(label, r, w, &roots);
                    }
                }
                for (size_t k = MASKED; k < n; k++) {
                    const int64_t *d = off[k].d;
                    const uint32_t w = v - off[k].back;
                    if (x + d[0] >= 0 && x + d[0] < nx && y + d[1] >= 0 && y + d[1] < dim[1] && z + d[2] >= 0 &&
                        grey[w] == g)
                        r = join(label, r, w, &roots);
                }
                left = reach[0] ? g : 0;
            }
        }
    return roots;
}

/* One zone while pass 2 counts it: grey level and size, or minimum distance. */
typedef struct {
    int32_t grey;
    union {
        uint32_t size;
        int32_t min_dist;
    } j;
} zone_row;

/* Pass 2: numbers the sets of the forest 1, 2, ... in the order of their
 * roots (first voxels), writes the numbers into label[] and fills zone[].
 * Returns the number of ROI voxels. */
static int64_t number_zones(int64_t n, const int32_t *grey, const int32_t *dist, uint32_t *label, zone_row *zone)
{
    uint32_t zones = 0;
    int64_t voxels = 0;
    for (uint32_t v = 0; v < (uint32_t)n; v++) {
        if (!label[v])
            continue;
        voxels++;
        const uint32_t p = label[v] - 1;
        if (p == v) {
            label[v] = ++zones;
            zone[zones - 1].grey = grey[v];
            if (dist)
                zone[zones - 1].j.min_dist = dist[v];
            else
                zone[zones - 1].j.size = 1;
            continue;
        }
        label[v] = label[p];
        zone_row *z = &zone[label[v] - 1];
        if (!dist)
            z->j.size++;
        else if (dist[v] < z->j.min_dist)
            z->j.min_dist = dist[v];
    }
    return voxels;
}

rdx_status rdx_zones_label(const int64_t dim[3], const int32_t *grey, int linkage, const int32_t *dist,
                           uint32_t *label, rdx_zone_matrix *m, rdx_error *err)
{
    const int64_t n = dim[0] * dim[1] * dim[2];
    *m = (rdx_zone_matrix){0};
    if (n >= (int64_t)UINT32_MAX)
        return rdx_error_set(err, RDX_E_UNSUPPORTED,
                             "zone labelling: %lld voxels in the ROI box, more than the 2^32 - 1 supported",
                             (long long)n);
    int64_t reach[3];
    for (int a = 0; a < 3; a++)
        reach[a] = linkage < dim[a] - 1 ? (linkage > 0 ? linkage : 0) : dim[a] - 1;
    size_t n_off;
    prior_offset *off = prior_offsets(dim, reach, &n_off);
    zone_row *zone = NULL;
    count_hash h = {0};
    int bad = !off;
    if (!bad) {
        uint32_t zones = link_box(dim, grey, reach, off, n_off, label);
        zone = malloc((zones ? zones : 1) * sizeof *zone);
        bad = !zone || hash_init(&h, 8);
        if (!bad) {
            int64_t nv = number_zones(n, grey, dist, label, zone);
            for (uint32_t k = 0; !bad && k < zones; k++)
                bad = hash_add(&h, zone[k].grey, dist ? zone[k].j.min_dist : (int64_t)zone[k].j.size, 1);
            if (!bad)
                bad = hash_to_matrix(&h, nv, m);
        }
    }
    hash_free(&h);
    free(zone);
    free(off);
    if (bad)
        return rdx_error_set(err, RDX_E_NOMEM, "zone labelling: out of memory for a %lld-voxel ROI box",
                             (long long)n);
    return RDX_OK;
}

/* --------------------------------------------------------- distance to edge */

/* Sweep one line of the distance map both ways: d = min(d, neighbour + 1),
 * with distance 0 just beyond both ends (outside the volume). */
static void sweep_line(int32_t *d, int64_t len, int64_t stride)
{
    int32_t prev = 0;
    for (int64_t i = 0; i < len; i++) {
        int32_t *p = d + i * stride;
        if (*p > prev + 1)
            *p = prev + 1;
        prev = *p;
    }
    prev = 0;
    for (int64_t i = len - 1; i >= 0; i--) {
        int32_t *p = d + i * stride;
        if (*p > prev + 1)
            *p = prev + 1;
        prev = *p;
    }
}

void rdx_zones_border_distance(const int64_t dim[3], const uint8_t *mask, int in_plane, int32_t *dist)
{
    const int64_t n = dim[0] * dim[1] * dim[2];
    const int64_t stride[3] = {1, dim[0], dim[0] * dim[1]};
    for (int64_t v = 0; v < n; v++)
        dist[v] = mask[v] ? INT32_MAX / 2 : 0;
    /* Min-plus convolution with |.| along x, then y, then z: the minimum over
     * outside voxels of the summed per-axis distances, i.e. Manhattan. */
    for (int a = 0; a < (in_plane ? 2 : 3); a++) {
        int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2; /* the other two axes */
        int64_t lines = dim[b] * dim[c];
#pragma omp parallel for schedule(static)
        for (int64_t l = 0; l < lines; l++) {
            int64_t start = (l % dim[b]) * stride[b] + (l / dim[b]) * stride[c];
            sweep_line(dist + start, dim[a], stride[a]);
        }
    }
}

/* ------------------------------------------------------------------ features */

void rdx_zone_features(const rdx_zone_matrix *m, double f[RDX_ZF_COUNT])
{
    double ns = 0, em[RDX_EMPHASIS_COUNT] = {0};
    double mu_i = 0, mu_j = 0, glnu = 0, grey_sum = 0;
    for (size_t k = 0; k < m->n; k++) {
        const rdx_zone_count *e = &m->e[k];
        double c = (double)e->count, i = e->grey, j = (double)e->j, i2 = i * i, j2 = j * j;
        ns += c;
        rdx_emphasis_add(em, c, i2, j2);
        mu_i += c * i;
        mu_j += c * j;
        /* s_i. accumulates over the run of entries with this grey level */
        grey_sum += c;
        if (k + 1 == m->n || m->e[k + 1].grey != e->grey) {
            glnu += grey_sum * grey_sum;
            grey_sum = 0;
        }
    }
    mu_i /= ns;
    mu_j /= ns;
    double var_i = 0, var_j = 0, entr = 0;
    for (size_t k = 0; k < m->n; k++) {
        const rdx_zone_count *e = &m->e[k];
        double p = (double)e->count / ns, di = e->grey - mu_i, dj = (double)e->j - mu_j;
        var_i += p * di * di;
        var_j += p * dj * dj;
        entr -= p * log2(p);
    }
    double jnu = 0;
    for (size_t k = 0; k < m->n_j; k++)
        jnu += (double)m->jm[k].count * (double)m->jm[k].count;
    for (int q = 0; q < RDX_EMPHASIS_COUNT; q++) /* RDX_ZF_SJE .. RDX_ZF_LJHGE, in the same order */
        f[RDX_ZF_SJE + q] = em[q] / ns;
    f[RDX_ZF_GLNU] = glnu / ns;
    f[RDX_ZF_GLNU_NORM] = glnu / (ns * ns);
    f[RDX_ZF_JNU] = jnu / ns;
    f[RDX_ZF_JNU_NORM] = jnu / (ns * ns);
    f[RDX_ZF_PERC] = ns / (double)m->n_voxels;
    f[RDX_ZF_GL_VAR] = var_i;
    f[RDX_ZF_J_VAR] = var_j;
    f[RDX_ZF_J_ENTR] = entr;
}

/* ------------------------------------------------------------------ families */

static const char *family_name(int use_distance)
{
    return use_distance ? "GLDZM" : "GLSZM";
}

static void write_features(const rdx_zone_matrix *m, const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], int agg,
                           double *values)
{
    double f[RDX_ZF_COUNT];
    rdx_zone_features(m, f);
    for (int k = 0; k < RDX_ZF_COUNT; k++)
        values[ids[k][agg]] = f[k];
}

/* 2D zones of slice z, with the in-plane distance map of the morphological
 * mask for the GLDZM. A slice without ROI voxels gives an empty matrix. */
static rdx_status slice_matrix(const rdx_texture_input *in, int64_t z, int linkage, int use_distance,
                               rdx_zone_matrix *m)
{
    const int64_t dim[3] = {in->dim[0], in->dim[1], 1}, n = dim[0] * dim[1];
    const int32_t *grey = in->grey + z * n;
    *m = (rdx_zone_matrix){0};
    int64_t v = 0;
    while (v < n && grey[v] <= 0)
        v++;
    if (v == n)
        return RDX_OK;
    uint32_t *label = malloc((size_t)n * sizeof *label);
    int32_t *dist = use_distance ? malloc((size_t)n * sizeof *dist) : NULL;
    rdx_status st = RDX_E_NOMEM;
    if (label && (dist || !use_distance)) {
        if (dist)
            rdx_zones_border_distance(dim, in->morph + z * n, 1, dist);
        st = rdx_zones_label(dim, grey, linkage, dist, label, m, NULL);
    }
    free(label);
    free(dist);
    return st;
}

/* Adds the counts of m to h (2.5D merging). */
static int hash_add_matrix(count_hash *h, const rdx_zone_matrix *m)
{
    for (size_t k = 0; k < m->n; k++)
        if (hash_add(h, m->e[k].grey, m->e[k].j, m->e[k].count))
            return -1;
    return 0;
}

/* A slice's matrix m into the 2D aggregations: its features into f (has = 1
 * when the slice has ROI voxels) and its counts added to the merged table.
 * Integer counts make the merged table independent of the order slices
 * arrive in. */
static rdx_status slice_result(const rdx_zone_matrix *m, double f[RDX_ZF_COUNT], uint8_t *has, count_hash *merged,
                               int64_t *merged_nv)
{
    rdx_status st = RDX_OK;
    if (m->n) {
        rdx_zone_features(m, f);
        *has = 1;
#pragma omp critical(rdx_zones_merge)
        {
            *merged_nv += m->n_voxels;
            if (hash_add_matrix(merged, m))
                st = RDX_E_NOMEM;
        }
    }
    return st;
}

/* Slice z of the 2D aggregations on the CPU (see slice_result). */
static rdx_status slice_features(const rdx_texture_input *in, int64_t z, int linkage, int use_distance,
                                 double f[RDX_ZF_COUNT], uint8_t *has, count_hash *merged, int64_t *merged_nv)
{
    rdx_zone_matrix m;
    rdx_status st = slice_matrix(in, z, linkage, use_distance, &m);
    if (!st)
        st = slice_result(&m, f, has, merged, merged_nv);
    rdx_zone_matrix_free(&m);
    return st;
}

/* ------------------------------------------------------- zones on the device */

/* The zone matrix of zones z[0..n) from the device (j = the zone size, or its
 * minimum distance when use_distance). On failure m owns nothing. */
static int zone_table_matrix(const rdx_cuda_zone *z, size_t n, int use_distance, rdx_zone_matrix *m)
{
    count_hash h;
    int64_t nv = 0;
    int bad = hash_init(&h, 8);
    for (size_t k = 0; !bad && k < n; k++) {
        bad = hash_add(&h, z[k].grey, use_distance ? z[k].min_dist : (int64_t)z[k].size, 1);
        nv += z[k].size;
    }
    if (!bad)
        bad = hash_to_matrix(&h, nv, m);
    else
        *m = (rdx_zone_matrix){0};
    hash_free(&h);
    return bad;
}

/* A case's zone tables from the kernels: index 1 the 2D zones of every
 * slice, index 0 the 3D zones (NULL when not labelled); owned here. */
typedef struct {
    rdx_cuda_zone *z[2];
    size_t n[2];
} zone_tables;

/* The zone tables of the cases on the device, for rdx_cases_together. */
typedef struct {
    const rdx_texture_input *const *in;
    int linkage, use_distance;
    unsigned aggregations;
    zone_tables *t; /* per case */
} zone_device;

/* Voxels up to which inputs share a labelling: 16 bytes each on the device
 * (grey, distance, label, number; about 64 MiB, with the zone table up to
 * twice that); an input above it is labelled alone, whatever its size. */
#define ZONE_PACK_VOXELS ((size_t)1 << 22)

/* The zone labellings the aggregations need (2D, then 3D) of the cases
 * which[0..m), packed into labellings of at most ZONE_PACK_VOXELS (so a
 * case's 2D and 3D zones share one when small, and large boxes, where
 * memory matters more than launches, are labelled one input at a time), with the
 * distance maps of the morphological masks (one kernel call per map) when
 * use_distance. The tables are stored only when every step succeeded. */
static rdx_status zone_device_tables(void *arg, const size_t *which, size_t m, rdx_error *err)
{
    const zone_device *d = arg;
    const char *fam = family_name(d->use_distance);
    rdx_cuda_zones_input *in = calloc(2 * m, sizeof *in);
    int32_t **dist = calloc(2 * m, sizeof *dist);
    rdx_cuda_zone **z = calloc(2 * m, sizeof *z);
    size_t *nz = calloc(2 * m, sizeof *nz), ni = 0;
    int code = 0;
    rdx_status st = in && dist && z && nz ? RDX_OK : rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory", fam);
    for (size_t i = 0; !st && !code && i < m; i++)
        for (int in_plane = 1; !st && !code && in_plane >= 0; in_plane--) {
            const rdx_texture_input *c = d->in[which[i]];
            if (!(d->aggregations & (in_plane ? RDX_AGG_2D : RDX_AGG_3D)))
                continue;
            const size_t nv = (size_t)c->dim[0] * (size_t)c->dim[1] * (size_t)c->dim[2];
            if (d->use_distance && !(dist[ni] = malloc(nv * sizeof **dist)))
                st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for the distance map of a %zu-voxel ROI box",
                                   fam, nv);
            else if (d->use_distance)
                code = rdx_cuda_zones_border_distance(c->dim, c->morph, in_plane, dist[ni]);
            in[ni] = (rdx_cuda_zones_input){{c->dim[0], c->dim[1], c->dim[2]}, c->grey, dist[ni], in_plane};
            ni++;
        }
    for (size_t i = 0, j; !st && !code && i < ni; i = j) { /* labellings of at most ZONE_PACK_VOXELS (one input at least) */
        size_t voxels = 0;
        for (j = i; j < ni; j++) {
            const size_t v = (size_t)in[j].dim[0] * (size_t)in[j].dim[1] * (size_t)in[j].dim[2];
            if (j > i && voxels + v > ZONE_PACK_VOXELS)
                break;
            voxels += v;
        }
        code = rdx_cuda_zones_label_packed(in + i, j - i, d->linkage, NULL, z + i, nz + i);
        /* A shared labelling that failed (out of device memory): its inputs
         * one after the other need less at once. */
        if (code && j - i > 1) {
            code = 0;
            for (size_t k = i; !code && k < j; k++)
                code = rdx_cuda_zones_label_packed(in + k, 1, d->linkage, NULL, z + k, nz + k);
        }
    }
    if (!st && code)
        st = rdx_error_set(err, RDX_E_DEVICE, "%s: CUDA zone labelling: %s", fam, rdx_cuda_error_string(code));
    for (size_t i = 0, j = 0; !st && i < m; i++)
        for (int in_plane = 1; in_plane >= 0; in_plane--)
            if (d->aggregations & (in_plane ? RDX_AGG_2D : RDX_AGG_3D)) {
                d->t[which[i]].z[in_plane] = z[j];
                d->t[which[i]].n[in_plane] = nz[j];
                z[j++] = NULL;
            }
    for (size_t j = 0; j < ni; j++) {
        free(dist[j]);
        free(z[j]); /* those not stored: all of them after a failure */
    }
    free(in);
    free(dist);
    free(z);
    free(nz);
    return st;
}

/* The 2D aggregations' slice results from the device's zones z[0..n): a
 * zone's slice is that of its first voxel, and zones come in slice order. */
static rdx_status device_slices(const rdx_texture_input *in, const rdx_cuda_zone *z, size_t n, int use_distance,
                                double (*f)[RDX_ZF_COUNT], uint8_t *has, count_hash *merged, int64_t *merged_nv,
                                rdx_error *err)
{
    const uint32_t nxy = (uint32_t)(in->dim[0] * in->dim[1]);
    rdx_status st = RDX_OK;
    size_t a = 0; /* first zone of the slice */
    while (!st && a < n) {
        const uint32_t slice = z[a].first / nxy;
        size_t b = a + 1;
        while (b < n && z[b].first / nxy == slice)
            b++;
        rdx_zone_matrix m;
        if (zone_table_matrix(z + a, b - a, use_distance, &m) ||
            slice_result(&m, f[slice], &has[slice], merged, merged_nv))
            st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for the zone matrix of slice %u",
                               family_name(use_distance), slice);
        rdx_zone_matrix_free(&m);
        a = b;
    }
    return st;
}

/* 2D: features per slice averaged (in slice order) over the slices with ROI
 * voxels; 2.5D: features of the sum of the slice matrices. */
static rdx_status zones_2d(const rdx_texture_input *in, int linkage, int use_distance, const zone_tables *dev,
                           const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], double *values, rdx_error *err)
{
    const int64_t nz = in->dim[2];
    const char *fam = family_name(use_distance);
    double(*f)[RDX_ZF_COUNT] = malloc((size_t)nz * sizeof *f);
    uint8_t *has = calloc((size_t)nz, 1);
    rdx_status *sst = calloc((size_t)nz, sizeof *sst);
    count_hash merged;
    int64_t merged_nv = 0;
    rdx_status st = RDX_OK;
    if (hash_init(&merged, 8) || !f || !has || !sst)
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for %lld slices", fam, (long long)nz);
    else if (dev)
        st = device_slices(in, dev->z[1], dev->n[1], use_distance, f, has, &merged, &merged_nv, err);
    else {
#pragma omp parallel for schedule(dynamic)
        for (int64_t z = 0; z < nz; z++)
            sst[z] = slice_features(in, z, linkage, use_distance, f[z], &has[z], &merged, &merged_nv);
    }
    for (int64_t z = 0; !st && z < nz; z++)
        if (sst[z])
            st = rdx_error_set(err, sst[z], "%s: zones of slice %lld failed (%s)", fam, (long long)z,
                               rdx_status_name(sst[z]));
    if (!st) {
        double sum[RDX_ZF_COUNT] = {0};
        int64_t slices = 0;
        for (int64_t z = 0; z < nz; z++)
            if (has[z]) {
                for (int k = 0; k < RDX_ZF_COUNT; k++)
                    sum[k] += f[z][k];
                slices++;
            }
        rdx_zone_matrix all;
        if (!slices)
            st = rdx_error_set(err, RDX_E_EMPTY_ROI, "%s: no voxel in the intensity mask", fam);
        else if (hash_to_matrix(&merged, merged_nv, &all))
            st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for the merged 2.5D matrix", fam);
        else {
            for (int k = 0; k < RDX_ZF_COUNT; k++)
                values[ids[k][RDX_ZAGG_2D]] = sum[k] / (double)slices;
            write_features(&all, ids, RDX_ZAGG_2_5D, values);
            rdx_zone_matrix_free(&all);
        }
    }
    hash_free(&merged);
    free(f);
    free(has);
    free(sst);
    return st;
}

/* The 3D zone matrix of the box on the CPU: distances in 3D for the GLDZM. */
static rdx_status host_matrix_3d(const rdx_texture_input *in, int linkage, int use_distance, rdx_zone_matrix *m,
                                 rdx_error *err)
{
    const size_t n = (size_t)in->dim[0] * (size_t)in->dim[1] * (size_t)in->dim[2];
    uint32_t *label = malloc(n * sizeof *label);
    int32_t *dist = use_distance ? malloc(n * sizeof *dist) : NULL;
    rdx_status st = RDX_OK;
    if (!label || (use_distance && !dist))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for the zone labels of a %zu-voxel ROI box",
                           family_name(use_distance), n);
    if (!st && dist)
        rdx_zones_border_distance(in->dim, in->morph, 0, dist);
    if (!st)
        st = rdx_zones_label(in->dim, in->grey, linkage, dist, label, m, err);
    free(label);
    free(dist);
    return st;
}

/* 3D: one labelling of the box (dev: the kernels' zones, else the CPU's). */
static rdx_status zones_3d(const rdx_texture_input *in, int linkage, int use_distance, const zone_tables *dev,
                           const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], double *values, rdx_error *err)
{
    rdx_zone_matrix m = {0};
    rdx_status st = RDX_OK;
    if (!dev)
        st = host_matrix_3d(in, linkage, use_distance, &m, err);
    else if (zone_table_matrix(dev->z[0], dev->n[0], use_distance, &m))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: out of memory for the zone matrix of %zu zones",
                           family_name(use_distance), dev->n[0]);
    if (!st && !m.n)
        st = rdx_error_set(err, RDX_E_EMPTY_ROI, "%s: no voxel in the intensity mask",
                           family_name(use_distance));
    if (!st)
        write_features(&m, ids, RDX_ZAGG_3D, values);
    rdx_zone_matrix_free(&m);
    return st;
}

void rdx_zone_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, int use_distance,
                    const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], double *const *values, rdx_status *st,
                    rdx_error *err)
{
    const int linkage = t->zone_linkage < 1 ? 1 : t->zone_linkage;
    zone_tables *tab = calloc(n ? n : 1, sizeof *tab);
    size_t *which = calloc(n ? n : 1, sizeof *which), m = 0;
    for (size_t k = 0; k < n; k++) {
        st[k] = tab && which ? RDX_OK
                             : rdx_error_set(&err[k], RDX_E_NOMEM, "%s: out of memory", family_name(use_distance));
        if (!st[k] && in[k]->device == RDX_DEVICE_CUDA)
            which[m++] = k;
    }
    zone_device d = {in, linkage, use_distance, t->aggregations, tab};
    rdx_cases_together(zone_device_tables, &d, which, m, st, err);
    for (size_t k = 0; k < n; k++) {
        const zone_tables *dev = tab && in[k]->device == RDX_DEVICE_CUDA ? &tab[k] : NULL;
        if (!st[k] && (t->aggregations & RDX_AGG_2D))
            st[k] = zones_2d(in[k], linkage, use_distance, dev, ids, values[k], &err[k]);
        if (!st[k] && (t->aggregations & RDX_AGG_3D))
            st[k] = zones_3d(in[k], linkage, use_distance, dev, ids, values[k], &err[k]);
        if (tab) {
            free(tab[k].z[0]);
            free(tab[k].z[1]);
        }
    }
    free(tab);
    free(which);
}

rdx_status rdx_zone_family(const rdx_texture_input *in, const rdx_texture *t, int use_distance,
                           const int ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT], double *values, rdx_error *err)
{
    rdx_status st;
    rdx_zone_cases(&in, 1, t, use_distance, ids, &values, &st, err);
    return st;
}
