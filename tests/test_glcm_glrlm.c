/* GLCM and GLRLM (IBSI 3.6, 3.7): the sparse matrix builders against dense
 * brute-force matrices built differently here (GLCM: every ROI voxel looks
 * both ways; GLRLM: whole lines walked from the box edge), the features
 * against textbook double loops over the full dense matrices, all six
 * aggregations against a dense re-implementation, hand-computed tiny cases,
 * flip invariance, thread-count independence and a sparse case with 50,000
 * grey levels. Random volumes use fixed seeds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"
#include "directions.h"
#include "glcm_glrlm.h"

#define MAXF 25

typedef struct {
    int64_t dim[3];
    int ng;
    int32_t *g; /* 0 outside the ROI */
    uint8_t *roi;
} vol;

static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static vol vol_new(int nx, int ny, int nz, int ng)
{
    vol v = {{nx, ny, nz}, ng, calloc((size_t)(nx * ny * nz), sizeof(int32_t)), calloc((size_t)(nx * ny * nz), 1)};
    return v;
}

static void vol_set_roi(vol *v)
{
    for (int64_t i = 0; i < v->dim[0] * v->dim[1] * v->dim[2]; i++)
        v->roi[i] = v->g[i] > 0;
}

static vol vol_random(int nx, int ny, int nz, int ng, uint64_t seed)
{
    vol v = vol_new(nx, ny, nz, ng);
    rng_state = seed;
    for (int i = 0; i < nx * ny * nz; i++)
        v.g[i] = rng() % 10 < 7 ? 1 + (int32_t)(rng() % (uint32_t)ng) : 0;
    vol_set_roi(&v);
    return v;
}

static void vol_free(vol *v)
{
    free(v->g);
    free(v->roi);
}

static int64_t at(const vol *v, int64_t x, int64_t y, int64_t z)
{
    return x + v->dim[0] * (y + v->dim[1] * z);
}

static int inside(const vol *v, int64_t x, int64_t y, int64_t z)
{
    return x >= 0 && y >= 0 && z >= 0 && x < v->dim[0] && y < v->dim[1] && z < v->dim[2];
}

static rdx_texture_input input_of(const vol *v)
{
    rdx_texture_input in = {{v->dim[0], v->dim[1], v->dim[2]}, {1, 1, 1}, v->g, v->ng, v->roi, v->roi, NULL,
                            RDX_DEVICE_CPU};
    return in;
}

/* ---- independent reference ---- */

/* The 13 directions, one of each opposite pair: first non-zero of (dz, dy, dx)
 * positive; in-plane ones only when plane. */
static int ref_dirs(int d[13][3], int plane)
{
    int n = 0;
    for (int dz = -1; dz <= 1; dz++)
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int canon = dz > 0 || (dz == 0 && (dy > 0 || (dy == 0 && dx > 0)));
                if (canon && (!plane || dz == 0)) {
                    d[n][0] = dx;
                    d[n][1] = dy;
                    d[n][2] = dz;
                    n++;
                }
            }
    return n;
}

/* Adds to the dense (ng+1)^2 matrix P the co-occurrences of voxels of slices
 * zlo..zhi-1 with their neighbours at +-dist*u (both orders come from the
 * two ends of each pair). */
static void ref_glcm_add(const vol *v, const int u[3], int dist, int64_t zlo, int64_t zhi, double *P)
{
    for (int64_t z = zlo; z < zhi; z++)
        for (int64_t y = 0; y < v->dim[1]; y++)
            for (int64_t x = 0; x < v->dim[0]; x++)
                for (int s = -1; s <= 1; s += 2) {
                    int64_t bx = x + s * dist * u[0], by = y + s * dist * u[1], bz = z + s * dist * u[2];
                    int32_t ga = v->g[at(v, x, y, z)];
                    if (ga && inside(v, bx, by, bz) && v->g[at(v, bx, by, bz)])
                        P[ga * (v->ng + 1) + v->g[at(v, bx, by, bz)]] += 1;
                }
}

/* Adds to the dense (ng+1) x (L+1) matrix R the runs of the lines along u
 * that start (at the box edge) in slices zlo..zhi-1. */
static void ref_glrlm_add(const vol *v, const int u[3], int64_t zlo, int64_t zhi, int L, double *R)
{
    for (int64_t z = zlo; z < zhi; z++)
        for (int64_t y = 0; y < v->dim[1]; y++)
            for (int64_t x = 0; x < v->dim[0]; x++) {
                if (inside(v, x - u[0], y - u[1], z - u[2]))
                    continue; /* not the start of a line */
                int32_t cur = 0;
                int len = 0;
                for (int64_t px = x, py = y, pz = z; inside(v, px, py, pz); px += u[0], py += u[1], pz += u[2]) {
                    int32_t g = v->g[at(v, px, py, pz)];
                    if (g && g == cur) {
                        len++;
                        continue;
                    }
                    if (cur)
                        R[cur * (L + 1) + len] += 1;
                    cur = g;
                    len = 1;
                }
                if (cur)
                    R[cur * (L + 1) + len] += 1;
            }
}

static double xlog2(double p)
{
    return p > 0 ? p * log2(p) : 0;
}

/* Textbook GLCM features over the full dense matrix (IBSI 3.6 order);
 * returns 0 for an empty matrix. Degenerate limits as documented in
 * features_glcm.c: corr 1 and info corr 1 = 0 for a single grey level. */
static int ref_glcm_features(const double *P, int ng, double *f)
{
    int n = ng + 1;
    double S = 0;
    for (int i = 0; i < n * n; i++)
        S += P[i];
    if (S == 0)
        return 0;
    double *px = calloc((size_t)n, sizeof *px), *py = calloc((size_t)n, sizeof *py);
    double *pd = calloc((size_t)n, sizeof *pd), *ps = calloc(2 * (size_t)n, sizeof *ps);
    double mux = 0, muy = 0, jmax = 0, mu = 0;
    for (int i = 1; i <= ng; i++)
        for (int j = 1; j <= ng; j++) {
            double p = P[i * n + j] / S;
            px[i] += p;
            py[j] += p;
            pd[abs(i - j)] += p;
            ps[i + j] += p;
            jmax = fmax(jmax, p);
            mu += i * p;
        }
    for (int i = 1; i <= ng; i++) {
        mux += i * px[i];
        muy += i * py[i];
    }
    double jvar = 0, hxy = 0, energy = 0, con = 0, dis = 0, idf = 0, idn = 0, idm = 0, idmn = 0, ivar = 0;
    double cov = 0, ac = 0, ct = 0, cs = 0, cp = 0, hxy1 = 0, hxy2 = 0, sx = 0, sy = 0, hx = 0;
    for (int i = 1; i <= ng; i++)
        for (int j = 1; j <= ng; j++) {
            double p = P[i * n + j] / S, k = abs(i - j), t = i + j - mux - muy;
            jvar += (i - mu) * (i - mu) * p;
            hxy -= xlog2(p);
            energy += p * p;
            con += k * k * p;
            dis += k * p;
            idf += p / (1 + k);
            idn += p / (1 + k / ng);
            idm += p / (1 + k * k);
            idmn += p / (1 + k * k / ((double)ng * ng));
            ivar += i != j ? p / (k * k) : 0;
            cov += (i - mux) * (j - muy) * p;
            ac += (double)i * j * p;
            ct += t * t * p;
            cs += t * t * t * p;
            cp += t * t * t * t * p;
            if (p > 0)
                hxy1 -= p * log2(px[i] * py[j]);
            hxy2 -= xlog2(px[i] * py[j]);
        }
    for (int i = 1; i <= ng; i++) {
        sx += (i - mux) * (i - mux) * px[i];
        sy += (i - muy) * (i - muy) * py[i];
        hx -= xlog2(px[i]);
    }
    double da = 0, dv = 0, de = 0, sa = 0, sv = 0, se = 0;
    for (int k = 0; k < n; k++)
        da += k * pd[k];
    for (int k = 0; k < n; k++) {
        dv += (k - da) * (k - da) * pd[k];
        de -= xlog2(pd[k]);
    }
    for (int k = 2; k <= 2 * ng; k++)
        sa += k * ps[k];
    for (int k = 2; k <= 2 * ng; k++) {
        sv += (k - sa) * (k - sa) * ps[k];
        se -= xlog2(ps[k]);
    }
    double out[MAXF] = {jmax, mu, jvar, hxy, da, dv, de, sa, sv, se, energy, con, dis, idf, idn, idm, idmn, ivar,
                        sx * sy > 0 ? cov / sqrt(sx * sy) : 1.0, ac, ct, cs, cp, hx > 0 ? (hxy - hxy1) / hx : 0.0,
                        sqrt(1 - exp(-2 * fmax(hxy2 - hxy, 0.0)))};
    memcpy(f, out, sizeof out);
    free(px);
    free(py);
    free(pd);
    free(ps);
    return 1;
}

/* Textbook GLRLM features (IBSI 3.7 order) with N_v voxels given. */
static int ref_glrlm_features(const double *R, int ng, int L, double nv, double *f)
{
    double ns = 0, e[8] = {0}, mi = 0, mj = 0, gv = 0, rv = 0, ent = 0, glnu = 0, rlnu = 0;
    for (int i = 1; i <= ng; i++)
        for (int j = 1; j <= L; j++)
            ns += R[i * (L + 1) + j];
    if (ns == 0)
        return 0;
    for (int i = 1; i <= ng; i++)
        for (int j = 1; j <= L; j++) {
            double r = R[i * (L + 1) + j], ii = (double)i * i, jj = (double)j * j;
            e[0] += r / jj;
            e[1] += r * jj;
            e[2] += r / ii;
            e[3] += r * ii;
            e[4] += r / (ii * jj);
            e[5] += r * ii / jj;
            e[6] += r * jj / ii;
            e[7] += r * ii * jj;
            mi += i * r / ns;
            mj += j * r / ns;
        }
    for (int i = 1; i <= ng; i++) {
        double row = 0;
        for (int j = 1; j <= L; j++)
            row += R[i * (L + 1) + j];
        glnu += row * row;
    }
    for (int j = 1; j <= L; j++) {
        double col = 0;
        for (int i = 1; i <= ng; i++)
            col += R[i * (L + 1) + j];
        rlnu += col * col;
    }
    for (int i = 1; i <= ng; i++)
        for (int j = 1; j <= L; j++) {
            double p = R[i * (L + 1) + j] / ns;
            gv += (i - mi) * (i - mi) * p;
            rv += (j - mj) * (j - mj) * p;
            ent -= xlog2(p);
        }
    for (int k = 0; k < 8; k++)
        f[k] = e[k] / ns;
    f[8] = glnu / ns;
    f[9] = glnu / (ns * ns);
    f[10] = rlnu / ns;
    f[11] = rlnu / (ns * ns);
    f[12] = ns / nv;
    f[13] = gv;
    f[14] = rv;
    f[15] = ent;
    return 1;
}

typedef struct {
    int glrlm; /* 0: GLCM, 1: GLRLM */
    int dist, L, size, nf;
} ref_family;

static ref_family ref_family_of(const vol *v, int glrlm, int dist)
{
    ref_family r = {glrlm, dist, 0, 0, glrlm ? 16 : 25};
    r.L = (int)(v->dim[0] > v->dim[1] ? v->dim[0] : v->dim[1]);
    r.L = r.L > v->dim[2] ? r.L : (int)v->dim[2];
    r.size = (v->ng + 1) * (glrlm ? r.L + 1 : v->ng + 1);
    return r;
}

static void ref_add(const ref_family *r, const vol *v, const int u[3], int64_t zlo, int64_t zhi, double *M)
{
    if (r->glrlm)
        ref_glrlm_add(v, u, zlo, zhi, r->L, M);
    else
        ref_glcm_add(v, u, r->dist, zlo, zhi, M);
}

static int ref_features(const ref_family *r, const vol *v, const double *M, double nv, double *f)
{
    return r->glrlm ? ref_glrlm_features(M, v->ng, r->L, nv, f) : ref_glcm_features(M, v->ng, f);
}

/* Running means of one aggregation. */
typedef struct {
    double s[MAXF];
    int n;
} mean_acc;

static void acc_add(mean_acc *a, const ref_family *r, const vol *v, const double *M, double nv)
{
    double f[MAXF];
    if (ref_features(r, v, M, nv, f)) {
        for (int k = 0; k < r->nf; k++)
            a->s[k] += f[k];
        a->n++;
    }
}

static int64_t roi_count(const vol *v, int64_t zlo, int64_t zhi)
{
    int64_t n = 0;
    for (int64_t i = at(v, 0, 0, zlo); i < at(v, 0, 0, zhi); i++)
        n += v->g[i] > 0;
    return n;
}

/* The six aggregations (IBSI 3.6.x) from dense matrices: out[agg][feature]. */
static void ref_aggregate(const vol *v, const ref_family *r, double out[6][MAXF])
{
    int d3[13][3], d2[13][3];
    int n3 = ref_dirs(d3, 0), n2 = ref_dirs(d2, 1);
    size_t sz = (size_t)r->size;
    double *m = calloc(sz, sizeof *m), *slice = calloc(sz, sizeof *slice), *all2 = calloc(sz, sizeof *all2);
    double *all3 = calloc(sz, sizeof *all3), *dir2 = calloc(sz * (size_t)n2, sizeof *dir2);
    mean_acc acc[6];
    memset(acc, 0, sizeof acc);
    double nroi = (double)roi_count(v, 0, v->dim[2]);
    for (int64_t z = 0; z < v->dim[2]; z++) {
        double ns = (double)roi_count(v, z, z + 1);
        memset(slice, 0, sz * sizeof *slice);
        for (int d = 0; d < n2; d++) {
            memset(m, 0, sz * sizeof *m);
            ref_add(r, v, d2[d], z, z + 1, m);
            acc_add(&acc[RDX_TEX_2D_AVG], r, v, m, ns);
            for (size_t i = 0; i < sz; i++) {
                slice[i] += m[i];
                dir2[(size_t)d * sz + i] += m[i];
                all2[i] += m[i];
            }
        }
        acc_add(&acc[RDX_TEX_2D_COMB], r, v, slice, ns * n2);
    }
    for (int d = 0; d < n2; d++)
        acc_add(&acc[RDX_TEX_2_5D_AVG], r, v, dir2 + (size_t)d * sz, nroi);
    acc_add(&acc[RDX_TEX_2_5D_COMB], r, v, all2, nroi * n2);
    for (int d = 0; d < n3; d++) {
        memset(m, 0, sz * sizeof *m);
        ref_add(r, v, d3[d], 0, v->dim[2], m);
        acc_add(&acc[RDX_TEX_3D_AVG], r, v, m, nroi);
        for (size_t i = 0; i < sz; i++)
            all3[i] += m[i];
    }
    acc_add(&acc[RDX_TEX_3D_COMB], r, v, all3, nroi * n3);
    for (int a = 0; a < 6; a++)
        for (int k = 0; k < r->nf; k++)
            out[a][k] = acc[a].n ? acc[a].s[k] / acc[a].n : NAN;
    free(m);
    free(slice);
    free(all2);
    free(all3);
    free(dir2);
}

static const int glcm_ids[RDX_GLCM_N_FEATURES][RDX_TEX_N_IDS] = {
    RDX_TEX_IDS(CM_JOINT_MAX),     RDX_TEX_IDS(CM_JOINT_AVG),      RDX_TEX_IDS(CM_JOINT_VAR),
    RDX_TEX_IDS(CM_JOINT_ENTR),    RDX_TEX_IDS(CM_DIFF_AVG),       RDX_TEX_IDS(CM_DIFF_VAR),
    RDX_TEX_IDS(CM_DIFF_ENTR),     RDX_TEX_IDS(CM_SUM_AVG),        RDX_TEX_IDS(CM_SUM_VAR),
    RDX_TEX_IDS(CM_SUM_ENTR),      RDX_TEX_IDS(CM_ENERGY),         RDX_TEX_IDS(CM_CONTRAST),
    RDX_TEX_IDS(CM_DISSIMILARITY), RDX_TEX_IDS(CM_INV_DIFF),       RDX_TEX_IDS(CM_INV_DIFF_NORM),
    RDX_TEX_IDS(CM_INV_DIFF_MOM),  RDX_TEX_IDS(CM_INV_DIFF_MOM_NORM), RDX_TEX_IDS(CM_INV_VAR),
    RDX_TEX_IDS(CM_CORR),          RDX_TEX_IDS(CM_AUTO_CORR),      RDX_TEX_IDS(CM_CLUST_TEND),
    RDX_TEX_IDS(CM_CLUST_SHADE),   RDX_TEX_IDS(CM_CLUST_PROM),     RDX_TEX_IDS(CM_INFO_CORR1),
    RDX_TEX_IDS(CM_INFO_CORR2)};
static const int glrlm_ids[RDX_GLRLM_N_FEATURES][RDX_TEX_N_IDS] = {
    RDX_TEX_IDS(RLM_SRE),    RDX_TEX_IDS(RLM_LRE),       RDX_TEX_IDS(RLM_LGRE),  RDX_TEX_IDS(RLM_HGRE),
    RDX_TEX_IDS(RLM_SRLGE),  RDX_TEX_IDS(RLM_SRHGE),     RDX_TEX_IDS(RLM_LRLGE), RDX_TEX_IDS(RLM_LRHGE),
    RDX_TEX_IDS(RLM_GLNU),   RDX_TEX_IDS(RLM_GLNU_NORM), RDX_TEX_IDS(RLM_RLNU),  RDX_TEX_IDS(RLM_RLNU_NORM),
    RDX_TEX_IDS(RLM_R_PERC), RDX_TEX_IDS(RLM_GL_VAR),    RDX_TEX_IDS(RLM_RL_VAR), RDX_TEX_IDS(RLM_RL_ENTR)};

static int near(double got, double want)
{
    return (isnan(got) && isnan(want)) || fabs(got - want) <= 1e-9 * (1 + fabs(want));
}

/* Runs the family on v and returns its values (RDX_F_COUNT, caller frees). */
static double *run_family(const vol *v, int glrlm, int dist, unsigned agg)
{
    rdx_texture_input in = input_of(v);
    rdx_texture t = {agg, dist, 1, 1, 0, 1};
    double *values = malloc(RDX_F_COUNT * sizeof *values);
    for (int f = 0; f < RDX_F_COUNT; f++)
        values[f] = -12345;
    rdx_error err = {0};
    rdx_status st = glrlm ? rdx_family_glrlm(&in, &t, values, &err) : rdx_family_glcm(&in, &t, values, &err);
    CHECK(st == RDX_OK, "%s", err.msg);
    return values;
}

/* ---- tests ---- */

static void test_directions(void)
{
    int seen[27] = {0};
    for (int d = 0; d < RDX_N_DIR_3D; d++) {
        const int *u = rdx_dir[d];
        int code = (u[0] + 1) + 3 * (u[1] + 1) + 9 * (u[2] + 1), opposite = 26 - code;
        CHECK(code != 13 && !seen[code] && !seen[opposite], "direction %d repeats or is zero", d);
        seen[code] = 1;
        CHECK((d < RDX_N_DIR_2D) == (u[2] == 0), "direction %d: in-plane ones must come first", d);
    }
}

static void test_counts(void)
{
    /* Codes with up to 40 bits (5 radix passes) against direct counting. */
    enum { N = 3000, K = 37 };
    uint64_t keys[K], codes[N], scratch[N];
    int64_t want[K] = {0};
    rng_state = 99;
    for (int k = 0; k < K; k++)
        keys[k] = ((uint64_t)rng() << 8 ^ rng()) & 0xFFFFFFFFFFULL;
    for (int i = 0; i < N; i++) {
        int k = (int)(rng() % K);
        codes[i] = keys[k];
        want[k]++;
    }
    rdx_counts m, sum;
    rdx_error err = {0};
    CHECK(rdx_counts_from_codes(codes, scratch, N, &m, &err) == RDX_OK, "%s", err.msg);
    int ok = 1;
    for (size_t e = 1; e < m.n; e++)
        ok &= m.code[e - 1] < m.code[e];
    CHECK(ok, "codes not sorted");
    for (int k = 0; k < K; k++) {
        int64_t got = 0;
        for (size_t e = 0; e < m.n; e++)
            got += m.code[e] == keys[k] ? m.count[e] : 0;
        CHECK(got == want[k], "key %d: count %lld, want %lld", k, (long long)got, (long long)want[k]);
    }
    CHECK(rdx_counts_add(&m, &m, &sum, &err) == RDX_OK, "%s", err.msg);
    ok = sum.n == m.n;
    for (size_t e = 0; ok && e < m.n; e++)
        ok = sum.code[e] == m.code[e] && sum.count[e] == 2 * m.count[e];
    CHECK(ok, "m + m != 2m");
    rdx_counts_free(&m);
    rdx_counts_free(&sum);
}

/* Sparse matrices of each direction against the dense brute force. */
static void test_matrices(const vol *v, int dist)
{
    rdx_texture_input in = input_of(v);
    rdx_tex_ctx c;
    rdx_error err = {0};
    CHECK(rdx_tex_ctx_init(&in, dist, &c, &err) == RDX_OK, "%s", err.msg);
    int n = (int)(v->dim[0] * v->dim[1] * v->dim[2]);
    uint64_t *buf = malloc(2 * (size_t)n * sizeof *buf);
    for (int glrlm = 0; glrlm <= 1; glrlm++) {
        ref_family r = ref_family_of(v, glrlm, dist);
        double *ref = calloc((size_t)r.size, sizeof *ref), *got = calloc((size_t)r.size, sizeof *got);
        for (int d = 0; d < RDX_N_DIR_3D; d++) {
            memset(ref, 0, (size_t)r.size * sizeof *ref);
            memset(got, 0, (size_t)r.size * sizeof *got);
            ref_add(&r, v, rdx_dir[d], 0, v->dim[2], ref);
            size_t k = glrlm ? rdx_glrlm_codes(&c, rdx_dir[d], 0, v->dim[2], buf)
                             : rdx_glcm_codes(&c, rdx_dir[d], 0, v->dim[2], buf);
            rdx_counts m;
            CHECK(rdx_counts_from_codes(buf, buf + n, k, &m, &err) == RDX_OK, "%s", err.msg);
            int64_t voxels = 0;
            for (size_t e = 0; e < m.n; e++) {
                if (glrlm) {
                    int g = c.level[m.code[e] / (uint64_t)c.run_codes], len = (int)(m.code[e] % (uint64_t)c.run_codes);
                    got[g * (r.L + 1) + len] += (double)m.count[e];
                    voxels += len * m.count[e];
                } else {
                    int a = c.level[m.code[e] / (uint64_t)c.n_levels], b = c.level[m.code[e] % (uint64_t)c.n_levels];
                    got[a * (v->ng + 1) + b] += (double)m.count[e];
                    got[b * (v->ng + 1) + a] += (double)m.count[e];
                }
            }
            CHECK(!memcmp(ref, got, (size_t)r.size * sizeof *ref), "%s direction %d (distance %d) differs",
                  glrlm ? "GLRLM" : "GLCM", d, dist);
            if (glrlm)
                CHECK(voxels == roi_count(v, 0, v->dim[2]), "GLRLM direction %d: runs cover %lld voxels", d,
                      (long long)voxels);
            rdx_counts_free(&m);
        }
        free(ref);
        free(got);
    }
    free(buf);
    rdx_tex_ctx_free(&c);
}

/* Every aggregation of both families against the dense re-implementation. */
static void test_aggregations(const vol *v, int dist, const char *what)
{
    for (int glrlm = 0; glrlm <= 1; glrlm++) {
        ref_family r = ref_family_of(v, glrlm, dist);
        double ref[6][MAXF];
        ref_aggregate(v, &r, ref);
        double *got = run_family(v, glrlm, dist, RDX_AGG_2D | RDX_AGG_3D);
        const int(*ids)[RDX_TEX_N_IDS] = glrlm ? glrlm_ids : glcm_ids;
        int bad = 0;
        for (int k = 0; k < r.nf; k++)
            for (int a = 0; a < 6; a++)
                if (!near(got[ids[k][a]], ref[a][k]) && bad++ < 5)
                    CHECK(0, "%s %s feature %d aggregation %d: got %.12g, want %.12g", what,
                          glrlm ? "GLRLM" : "GLCM", k, a, got[ids[k][a]], ref[a][k]);
        CHECK(bad == 0, "%s %s: %d values differ", what, glrlm ? "GLRLM" : "GLCM", bad);
        free(got);
    }
}

/* Features of the matrix of direction u over the whole volume (NaN when it is empty). */
static void ref_direction(const vol *v, const ref_family *r, const int u[3], double *f)
{
    double *m = calloc((size_t)r->size, sizeof *m);
    ref_add(r, v, u, 0, v->dim[2], m);
    if (!ref_features(r, v, m, (double)roi_count(v, 0, v->dim[2]), f))
        for (int k = 0; k < r->nf; k++)
            f[k] = NAN;
    free(m);
}

/* The per-direction values (aggregation 3D_DIR): _3D_dirNN is the features of
 * the matrix of direction rdx_dir[NN - 1] (host/directions.h), from the dense
 * reference, and the 3D averaged value is their mean over the directions
 * that have pairs or runs. */
static void test_per_direction(const vol *v, const char *what)
{
    for (int glrlm = 0; glrlm <= 1; glrlm++) {
        ref_family r = ref_family_of(v, glrlm, 1);
        const int(*ids)[RDX_TEX_N_IDS] = glrlm ? glrlm_ids : glcm_ids;
        double *got = run_family(v, glrlm, 1, RDX_AGG_3D | RDX_AGG_3D_DIR);
        int bad = 0;
        for (int d = 0; d < RDX_N_DIR_3D; d++) {
            double want[MAXF];
            ref_direction(v, &r, rdx_dir[d], want);
            for (int k = 0; k < r.nf; k++)
                if (!near(got[ids[k][RDX_TEX_3D_DIR] + d], want[k]) && bad++ < 5)
                    CHECK(0, "%s %s feature %d direction %d: got %.12g, want %.12g", what, glrlm ? "GLRLM" : "GLCM",
                          k, d + 1, got[ids[k][RDX_TEX_3D_DIR] + d], want[k]);
        }
        for (int k = 0; k < r.nf; k++) {
            double s = 0;
            int n = 0;
            for (int d = 0; d < RDX_N_DIR_3D; d++)
                if (!isnan(got[ids[k][RDX_TEX_3D_DIR] + d])) {
                    s += got[ids[k][RDX_TEX_3D_DIR] + d];
                    n++;
                }
            bad += !near(got[ids[k][RDX_TEX_3D_AVG]], s / n);
        }
        CHECK(bad == 0, "%s %s: %d per-direction values differ", what, glrlm ? "GLRLM" : "GLCM", bad);
        free(got);
    }
}

/* Only the enabled aggregations are written. */
static void test_aggregation_flags(const vol *v)
{
    double *only3 = run_family(v, 0, 1, RDX_AGG_3D), *only2 = run_family(v, 1, 1, RDX_AGG_2D);
    CHECK(only3[RDX_F_CM_JOINT_MAX_2D_AVG] == -12345 && only3[RDX_F_CM_INFO_CORR2_2_5D_COMB] == -12345 &&
              only3[RDX_F_CM_JOINT_MAX_3D_COMB] != -12345,
          "3D-only GLCM wrote 2D values or missed 3D");
    CHECK(only2[RDX_F_RLM_SRE_3D_AVG] == -12345 && only2[RDX_F_RLM_RL_ENTR_3D_COMB] == -12345 &&
              only2[RDX_F_RLM_SRE_2_5D_COMB] != -12345,
          "2D-only GLRLM wrote 3D values or missed 2D");
    CHECK(only3[RDX_F_CM_JOINT_MAX_3D_DIR01] == -12345 && only2[RDX_F_RLM_SRE_3D_DIR13] == -12345,
          "per-direction values written without 3D_DIR");
    double *dir = run_family(v, 0, 1, RDX_AGG_3D_DIR);
    CHECK(dir[RDX_F_CM_JOINT_MAX_3D_AVG] == -12345 && dir[RDX_F_CM_JOINT_MAX_2D_AVG] == -12345 &&
              dir[RDX_F_CM_JOINT_MAX_3D_DIR01] != -12345 && dir[RDX_F_CM_INFO_CORR2_3D_DIR13] != -12345,
          "3D_DIR alone wrote another aggregation or missed a direction");
    free(only3);
    free(only2);
    free(dir);
}

/* Mirroring x maps the direction sets onto themselves: every aggregation is unchanged. */
static void test_flip(const vol *v)
{
    vol f = vol_new((int)v->dim[0], (int)v->dim[1], (int)v->dim[2], v->ng);
    for (int64_t z = 0; z < v->dim[2]; z++)
        for (int64_t y = 0; y < v->dim[1]; y++)
            for (int64_t x = 0; x < v->dim[0]; x++)
                f.g[at(v, v->dim[0] - 1 - x, y, z)] = v->g[at(v, x, y, z)];
    vol_set_roi(&f);
    for (int glrlm = 0; glrlm <= 1; glrlm++) {
        double *a = run_family(v, glrlm, 1, RDX_AGG_2D | RDX_AGG_3D);
        double *b = run_family(&f, glrlm, 1, RDX_AGG_2D | RDX_AGG_3D);
        int bad = 0;
        for (int i = 0; i < RDX_F_COUNT; i++)
            bad += !near(a[i], b[i]);
        CHECK(bad == 0, "%s: %d values change under an x flip", glrlm ? "GLRLM" : "GLCM", bad);
        free(a);
        free(b);
        /* Per direction: the flip takes direction u to (-ux, uy, uz), or its opposite. */
        const int(*ids)[RDX_TEX_N_IDS] = glrlm ? glrlm_ids : glcm_ids;
        a = run_family(v, glrlm, 1, RDX_AGG_3D_DIR);
        b = run_family(&f, glrlm, 1, RDX_AGG_3D_DIR);
        bad = 0;
        for (int d = 0; d < RDX_N_DIR_3D; d++) {
            int m = -1;
            for (int e = 0; e < RDX_N_DIR_3D; e++) {
                int same = -rdx_dir[d][0] == rdx_dir[e][0] && rdx_dir[d][1] == rdx_dir[e][1] &&
                           rdx_dir[d][2] == rdx_dir[e][2];
                int opposite = rdx_dir[d][0] == rdx_dir[e][0] && -rdx_dir[d][1] == rdx_dir[e][1] &&
                               -rdx_dir[d][2] == rdx_dir[e][2];
                if (same || opposite)
                    m = e;
            }
            for (int k = 0; m >= 0 && k < (glrlm ? RDX_GLRLM_N_FEATURES : RDX_GLCM_N_FEATURES); k++)
                bad += !near(b[ids[k][RDX_TEX_3D_DIR] + m], a[ids[k][RDX_TEX_3D_DIR] + d]);
            bad += m < 0;
        }
        CHECK(bad == 0, "%s: %d per-direction values do not follow the x flip", glrlm ? "GLRLM" : "GLCM", bad);
        free(a);
        free(b);
    }
    vol_free(&f);
}

static void test_threads(const vol *v)
{
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    for (int glrlm = 0; glrlm <= 1; glrlm++) {
        omp_set_num_threads(1);
        double *a = run_family(v, glrlm, 1, RDX_AGG_2D | RDX_AGG_3D);
        omp_set_num_threads(5);
        double *b = run_family(v, glrlm, 1, RDX_AGG_2D | RDX_AGG_3D);
        CHECK(!memcmp(a, b, RDX_F_COUNT * sizeof *a), "%s: results depend on the thread count",
              glrlm ? "GLRLM" : "GLCM");
        free(a);
        free(b);
    }
    omp_set_num_threads(saved);
#else
    (void)v;
#endif
}

/* One 3x2 slice, direction (1,0,0) only (a 2D averaged value over the 4
 * in-plane directions would mix in the others, so the matrix features are
 * called directly):
 *     y=0: 1 2 2
 *     y=1: 3 3 1
 * GLCM pairs (1,2) (2,2) (3,3) (3,1), symmetric over 8 counts:
 * p12 = p21 = p13 = p31 = 1/8, p22 = p33 = 2/8.
 *   joint max 2/8; joint avg 1*2/8 + 2*3/8 + 3*3/8 = 17/8;
 *   joint entropy 4 * (1/8)*3 + 2 * (1/4)*2 = 2.5; energy 4/64 + 2*4/64 = 0.1875;
 *   contrast 1*2/8 + 4*2/8 = 1.25; dissimilarity 2/8 + 2*2/8 = 0.75;
 *   inverse variance 2/8 / 1 + 2/8 / 4 = 0.3125; autocorrelation 2*2/8 + 4*2/8 + 9*2/8 + 3*2/8 = 4.5;
 *   inverse difference (Ng = 3) norm: 4/8 + 2/8 / (1 + 1/3) + 2/8 / (1 + 2/3) = 0.5 + 0.1875 + 0.15.
 * GLRLM runs along x: (1, len 1) twice, (2, len 2), (3, len 2): Ns = 4, Nv = 6.
 *   SRE (2 + 1/4 + 1/4)/4 = 0.625; LRE (2 + 4 + 4)/4 = 2.5; GLNU (4 + 1 + 1)/4 = 1.5;
 *   RLNU (2^2 + 2^2)/4 = 2; run percentage 4/6; LGRE (2 + 1/4 + 1/9)/4. */
static void test_hand(void)
{
    vol v = vol_new(3, 2, 1, 3);
    int32_t g[6] = {1, 2, 2, 3, 3, 1};
    memcpy(v.g, g, sizeof g);
    vol_set_roi(&v);
    rdx_texture_input in = input_of(&v);
    rdx_tex_ctx c;
    rdx_error err = {0};
    CHECK(rdx_tex_ctx_init(&in, 1, &c, &err) == RDX_OK, "%s", err.msg);
    uint64_t buf[12];
    rdx_counts m;
    double f[MAXF];
    size_t n = rdx_glcm_codes(&c, rdx_dir[0], 0, 1, buf);
    CHECK(n == 4, "4 pairs along x, got %zu", n);
    rdx_counts_from_codes(buf, buf + 6, n, &m, &err);
    rdx_glcm_features(&m, &c, f, &err);
    rdx_counts_free(&m);
    CHECK_NEAR(f[0], 0.25, 1e-15, "joint max");
    CHECK_NEAR(f[1], 17.0 / 8, 1e-15, "joint average");
    CHECK_NEAR(f[3], 2.5, 1e-14, "joint entropy");
    CHECK_NEAR(f[10], 0.1875, 1e-15, "energy");
    CHECK_NEAR(f[11], 1.25, 1e-15, "contrast");
    CHECK_NEAR(f[12], 0.75, 1e-15, "dissimilarity");
    CHECK_NEAR(f[14], 0.8375, 1e-15, "inverse difference normalised");
    CHECK_NEAR(f[17], 0.3125, 1e-15, "inverse variance");
    CHECK_NEAR(f[19], 4.5, 1e-14, "autocorrelation");
    n = rdx_glrlm_codes(&c, rdx_dir[0], 0, 1, buf);
    CHECK(n == 4, "4 runs along x, got %zu", n);
    rdx_counts_from_codes(buf, buf + 6, n, &m, &err);
    rdx_glrlm_features(&m, &c, f, &err);
    rdx_counts_free(&m);
    CHECK_NEAR(f[0], 0.625, 1e-15, "SRE");
    CHECK_NEAR(f[1], 2.5, 1e-15, "LRE");
    CHECK_NEAR(f[2], (2 + 0.25 + 1.0 / 9) / 4, 1e-15, "LGRE");
    CHECK_NEAR(f[8], 1.5, 1e-15, "GLNU");
    CHECK_NEAR(f[10], 2.0, 1e-15, "RLNU");
    CHECK_NEAR(f[12], 4.0 / 6, 1e-15, "run percentage");
    rdx_tex_ctx_free(&c);
    vol_free(&v);
}

/* 50,000 grey levels, three present, in a 4x1x1 box: 1 50000 50000 1.
 * GLCM: only direction x has pairs, (1,50000) (50000,50000) (50000,1):
 * p(1,50000) = p(50000,1) = 2/6, p(50000,50000) = 2/6; every aggregation is
 * this one matrix (the other directions are empty and left out):
 *   joint average (2*1 + 4*50000)/6; contrast 49999^2 * 4/6;
 *   inverse difference normalised 2/6 + (4/6) / (1 + 49999/50000).
 * GLRLM: along x runs (1,1) twice and (50000,2): Ns 3, Nv 4; along the 12
 * other directions 4 runs of length 1. Run percentage: 3D averaged
 * (3/4 + 12)/13; 3D merged (3 + 12*4)/(13*4) = 51/52 (N_v times the 13
 * directions merged); 2.5D merged (3 + 3*4)/(4*4) = 15/16. */
static void test_sparse_levels(void)
{
    vol v = vol_new(4, 1, 1, 50000);
    int32_t g[4] = {1, 50000, 50000, 1};
    memcpy(v.g, g, sizeof g);
    vol_set_roi(&v);
    double *cm = run_family(&v, 0, 1, RDX_AGG_2D | RDX_AGG_3D), *rl = run_family(&v, 1, 1, RDX_AGG_2D | RDX_AGG_3D);
    for (int a = 0; a < 6; a++) {
        CHECK_NEAR(cm[glcm_ids[1][a]], (2 + 4 * 50000.0) / 6, 1e-9, "joint average");
        CHECK_NEAR(cm[glcm_ids[11][a]], 49999.0 * 49999.0 * 4 / 6, 1e-4, "contrast");
        CHECK_NEAR(cm[glcm_ids[14][a]], 2.0 / 6 + (4.0 / 6) / (1 + 49999.0 / 50000), 1e-15, "inv diff norm");
    }
    CHECK_NEAR(rl[RDX_F_RLM_R_PERC_3D_AVG], (0.75 + 12) / 13, 1e-15, "run percentage 3D averaged");
    CHECK_NEAR(rl[RDX_F_RLM_R_PERC_3D_COMB], 51.0 / 52, 1e-15, "run percentage 3D merged");
    CHECK_NEAR(rl[RDX_F_RLM_R_PERC_2_5D_COMB], 15.0 / 16, 1e-15, "run percentage 2.5D merged");
    free(cm);
    free(rl);
    /* Per direction: GLCM only along x (dir01), the others have no pairs;
     * GLRLM run percentage 3/4 along x, 4/4 along the 12 others. */
    cm = run_family(&v, 0, 1, RDX_AGG_3D_DIR);
    rl = run_family(&v, 1, 1, RDX_AGG_3D_DIR);
    CHECK_NEAR(cm[RDX_F_CM_JOINT_AVG_3D_DIR01], (2 + 4 * 50000.0) / 6, 1e-9, "joint average, direction 1");
    CHECK_NEAR(rl[RDX_F_RLM_R_PERC_3D_DIR01], 0.75, 1e-15, "run percentage, direction 1");
    for (int d = 1; d < RDX_N_DIR_3D; d++) {
        CHECK(isnan(cm[RDX_F_CM_JOINT_AVG_3D_DIR01 + d]), "direction %d has no pairs: NaN", d + 1);
        CHECK(fabs(rl[RDX_F_RLM_R_PERC_3D_DIR01 + d] - 1.0) <= 1e-15, "run percentage, direction %d: %g", d + 1,
              rl[RDX_F_RLM_R_PERC_3D_DIR01 + d]);
    }
    free(cm);
    free(rl);
    vol_free(&v);
}

/* One grey level: the correlations are 0/0; rdx takes PyRadiomics' limits
 * (correlation 1, information correlations 0). Joint variance is 0 and the
 * 3x3 slice has 12 pairs along x and y and 8 diagonal ones: energy 1. */
static void test_flat(void)
{
    vol v = vol_new(3, 3, 1, 4);
    for (int i = 0; i < 9; i++)
        v.g[i] = 2;
    vol_set_roi(&v);
    double *cm = run_family(&v, 0, 1, RDX_AGG_2D | RDX_AGG_3D);
    for (int a = 0; a < 6; a++) {
        CHECK(cm[glcm_ids[18][a]] == 1.0, "flat correlation %g", cm[glcm_ids[18][a]]);
        CHECK(cm[glcm_ids[23][a]] == 0.0 && cm[glcm_ids[24][a]] == 0.0, "flat information correlation");
        CHECK(cm[glcm_ids[2][a]] == 0.0 && cm[glcm_ids[10][a]] == 1.0, "flat joint variance / energy");
    }
    free(cm);
    vol_free(&v);
}

static void test_errors(void)
{
    vol v = vol_new(2, 2, 1, 3);
    v.g[0] = 4; /* above n_grey */
    vol_set_roi(&v);
    rdx_texture_input in = input_of(&v);
    rdx_texture t = {RDX_AGG_3D, 1, 1, 1, 0, 1};
    double values[RDX_F_COUNT];
    rdx_error err = {0};
    CHECK(rdx_family_glcm(&in, &t, values, &err) == RDX_E_INVALID, "grey level above n_grey accepted");
    v.g[0] = 0;
    CHECK(rdx_family_glrlm(&in, &t, values, &err) == RDX_E_EMPTY_ROI, "empty ROI accepted");
    t.glcm_distance = 0;
    v.g[0] = 1;
    CHECK(rdx_family_glcm(&in, &t, values, &err) == RDX_E_INVALID, "distance 0 accepted");
    vol_free(&v);
}

int main(void)
{
    test_directions();
    test_counts();
    test_hand();
    test_sparse_levels();
    test_flat();
    test_errors();
    for (uint64_t seed = 1; seed <= 6; seed++) {
        vol v = vol_random(7, 6, 5, seed < 4 ? 5 : 12, seed);
        char what[32];
        snprintf(what, sizeof what, "random %llu", (unsigned long long)seed);
        test_matrices(&v, 1);
        test_matrices(&v, 2);
        test_aggregations(&v, 1, what);
        test_aggregations(&v, 2, what);
        test_flip(&v);
        test_per_direction(&v, what);
        if (seed == 1) {
            test_threads(&v);
            test_aggregation_flags(&v);
        }
        vol_free(&v);
    }
    return check_summary("test_glcm_glrlm");
}
