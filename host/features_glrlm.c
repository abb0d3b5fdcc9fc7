/* Grey level run length matrix features (IBSI reference manual 3.7).
 *
 * A run is a maximal line of ROI voxels with the same grey level along one
 * of the 13 (3D) or 4 (2D, in-plane) directions; it ends at a grey level
 * change or where the intensity mask or the box ends. Each run gives one
 * code k * run_codes + length (k: compact grey index), and the sparse
 * matrix of those codes is the GLRLM. Matrices, aggregation and the work
 * split (parallel over directions and over slices) are shared with the GLCM
 * (features_glcm.c, rdx_tex_cases).
 *
 * N_v, the number of voxels of run percentage, is taken from the matrix
 * itself (sum of run lengths): for a merged matrix that is the ROI size
 * times the number of directions merged, as IBSI prescribes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "directions.h"
#include "glcm_glrlm.h"

/* Lines walked together by walk_lanes, and runs buffered before they go to
 * the sink: at most this many, so that they stay on the stack (and in L1)
 * whatever the box size. */
#define LANES 128

/* Where the runs go: written to out[] or, with dense, counted in dense[code]. */
typedef struct {
    const int32_t *index;
    uint64_t run_codes;
    uint64_t *out;
    uint32_t *dense;
    size_t n;
} run_sink;

/* Puts the n runs of grey levels grey[] and lengths len[]. */
static inline void sink_put(run_sink *k, const int32_t *grey, const int32_t *len, size_t n)
{
    const int32_t *index = k->index; /* locals: stores to out[] may alias k's fields */
    const uint64_t run_codes = k->run_codes;
    if (k->dense) {
        for (size_t j = 0; j < n; j++)
            k->dense[(uint64_t)index[grey[j]] * run_codes + (uint64_t)len[j]]++;
    } else {
        uint64_t *out = k->out + k->n;
        for (size_t j = 0; j < n; j++)
            out[j] = (uint64_t)index[grey[j]] * run_codes + (uint64_t)len[j];
        k->n += n;
    }
}

/* Lines along u = (+-1, 0, 0), i.e. rows of slices z0 .. z1-1: a run is a
 * stretch of equal grey levels in a row (the same in either direction), found
 * in storage order. A run ends where the voxel differs from the previous one;
 * runs are appended without a branch (mispredicted at every run end
 * otherwise; masks, as conditionals would be compiled into branches). */
static inline void row_runs(const rdx_tex_ctx *c, int64_t z0, int64_t z1, run_sink *k)
{
    const int64_t *dim = c->in->dim;
    int32_t rg[LANES], rl[LANES];
    for (int64_t r = z0 * dim[1]; r < z1 * dim[1]; r++) {
        const int32_t *row = c->in->grey + r * dim[0];
        int32_t g = 0, len = 0;
        for (int64_t b = 0; b < dim[0]; b += LANES) {
            const int64_t e = b + LANES < dim[0] ? b + LANES : dim[0];
            size_t n = 0;
            for (int64_t x = b; x < e; x++) {
                const int32_t v = row[x], same = -(v == g);
                rg[n] = g;
                rl[n] = len;
                n += !same & (g != 0);
                len = (len & same) + 1;
                g = v;
            }
            sink_put(k, rg, rl, n);
        }
        sink_put(k, &g, &len, g != 0); /* the last run of the row */
    }
}

/* Coordinates at step 0, [*lo, *hi), of the lines along step u (0 or +-1)
 * that are inside an axis of length n at one of the steps 0 .. steps-1:
 * those outside at step 0 enter the box later (through another face). */
static inline void line_range(int u, int64_t n, int64_t steps, int64_t *lo, int64_t *hi)
{
    *lo = u > 0 ? 1 - steps : 0;
    *hi = u < 0 ? n + steps - 1 : n;
}

/* Steps [*i0, *i1) at which coordinate p + i * u (u 0 or +-1) lies in 0 .. n-1. */
static inline void steps_inside(int64_t p, int u, int64_t n, int64_t *i0, int64_t *i1)
{
    *i0 = u > 0 ? -p : u < 0 ? p - n + 1 : INT64_MIN;
    *i1 = u > 0 ? n - p : u < 0 ? p + 1 : INT64_MAX;
}

/* Walks in lockstep the lines x = la .. lb-1 (x at step 0, possibly outside
 * the box) that share their rows: at step i the line of x is at voxel
 * row0 + i * rstep + x + i * u0 (row0: the index of x = 0 of the row at step
 * 0), and the lines inside the box at step i have contiguous x. So each step
 * reads one contiguous stretch of a row, where a single line walked along a
 * 3D direction touches a new cache line at every step. Steps i0 .. i1-1 are
 * read; runs starting at steps ia .. ib-1 are put.
 *
 * Runs are mostly short (about 1.4 voxels in CT): a branch per run end would
 * be mispredicted at random. So each step is two loops without branches: the
 * first updates the run state of every line and notes the run that ends
 * there, if any (all 32-bit, so that the compiler vectorises it; a run is at
 * most one box dimension long); the second gathers those runs for the sink. */
static inline void walk_lanes(const rdx_tex_ctx *c, int u0, int64_t row0, int64_t rstep, int64_t i0, int64_t i1,
                              int64_t ia, int64_t ib, int64_t la, int64_t lb, run_sink *k)
{
    const int64_t nx = c->in->dim[0];
    /* per line: grey level, length and counted (-1) or not (0) of its current
     * run; grey level (0: none) and length of the run that ended at this step */
    int32_t g[LANES], len[LANES], cnt[LANES], eg[LANES], el[LANES], rg[LANES], rl[LANES];
    for (int64_t j = 0; j < lb - la; j++) {
        g[j] = 0; /* a line entering the box later starts a run at its first voxel */
        len[j] = 0;
        cnt[j] = 0;
    }
    for (int64_t i = i0; i < i1; i++) {
        const int64_t lo = la > -i * u0 ? la : -i * u0, hi = lb < nx - i * u0 ? lb : nx - i * u0;
        if (lo >= hi)
            continue;
        const int32_t *p = c->in->grey + row0 + i * rstep + i * u0 + lo;
        const int32_t counted = i >= ia && i < ib ? -1 : 0;
        const int64_t j0 = lo - la, j1 = hi - la;
        for (int64_t j = j0; j < j1; j++) {
            const int32_t v = p[j - j0], same = v == g[j];
            eg[j] = same ? 0 : g[j] & cnt[j];
            el[j] = len[j];
            len[j] = same ? len[j] + 1 : 1;
            cnt[j] = same ? cnt[j] : counted;
            g[j] = v;
        }
        size_t n = 0;
        for (int64_t j = j0; j < j1; j++) {
            rg[n] = eg[j];
            rl[n] = el[j];
            n += eg[j] != 0;
        }
        sink_put(k, rg, rl, n);
    }
    size_t n = 0; /* the last run of each line */
    for (int64_t j = 0; j < lb - la; j++) {
        rg[n] = g[j];
        rl[n] = len[j];
        n += (g[j] & cnt[j]) != 0;
    }
    sink_put(k, rg, rl, n);
}

/* walk_lanes over the lines x = xlo .. xhi-1, LANES at a time. */
static inline void walk_rows(const rdx_tex_ctx *c, int u0, int64_t row0, int64_t rstep, int64_t i0, int64_t i1,
                             int64_t ia, int64_t ib, int64_t xlo, int64_t xhi, run_sink *k)
{
    for (int64_t la = xlo; la < xhi; la += LANES)
        walk_lanes(c, u0, row0, rstep, i0, i1, ia, ib, la, la + LANES < xhi ? la + LANES : xhi, k);
}

/* The run codes of rdx_glrlm_codes, written to out[] or, with dense, counted
 * in dense[code]; inlined into both so that each gets its own loops. Lines
 * are grouped by the row they cross at step 0 (the entry face of u[2] or,
 * in-plane, of u[1], extended beyond the box so that every line crosses it)
 * and the lines of a group are walked in lockstep (walk_lanes). Along
 * u[2] != 0 lines cross slices: the steps from the slice before z0 (whose
 * runs continue into z0 without being counted) to the box end are walked,
 * and only runs starting in z0 .. z1-1 are put. */
static inline size_t glrlm_scan(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out,
                                uint32_t *dense)
{
    const int64_t *dim = c->in->dim;
    run_sink k = {c->index, (uint64_t)c->run_codes, out, dense, 0};
    int64_t xlo, xhi, ylo, yhi;
    if (!u[1] && !u[2]) {
        row_runs(c, z0, z1, &k);
    } else if (!u[2]) { /* in-plane: steps along y, one group of lines per slice */
        line_range(u[0], dim[0], dim[1], &xlo, &xhi);
        for (int64_t z = z0; z < z1; z++)
            walk_rows(c, u[0], dim[0] * ((u[1] > 0 ? 0 : dim[1] - 1) + dim[1] * z), dim[0] * u[1], 0, dim[1], 0,
                      dim[1], xlo, xhi, &k);
    } else { /* steps along z, one group of lines per y at step 0 */
        const int64_t ze = u[2] > 0 ? 0 : dim[2] - 1;
        const int64_t ia = u[2] > 0 ? z0 : dim[2] - z1, ib = u[2] > 0 ? z1 : dim[2] - z0;
        line_range(u[0], dim[0], dim[2], &xlo, &xhi);
        line_range(u[1], dim[1], dim[2], &ylo, &yhi);
        for (int64_t y = ylo; y < yhi; y++) {
            int64_t i0, i1;
            steps_inside(y, u[1], dim[1], &i0, &i1);
            i0 = i0 > ia - 1 ? i0 : ia - 1;
            i0 = i0 > 0 ? i0 : 0;
            i1 = i1 < dim[2] ? i1 : dim[2];
            walk_rows(c, u[0], dim[0] * (y + dim[1] * ze), dim[0] * (u[1] + dim[1] * u[2]), i0, i1, ia, ib, xlo,
                      xhi, &k);
        }
    }
    return k.n;
}

size_t rdx_glrlm_codes(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out)
{
    return glrlm_scan(c, u, z0, z1, out, NULL);
}

static void glrlm_count(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint32_t *dense)
{
    glrlm_scan(c, u, z0, z1, NULL, dense);
}

/* Feature order of rdx_glrlm_features. */
static const int glrlm_ids[RDX_GLRLM_N_FEATURES][RDX_TEX_N_IDS] = {
    RDX_TEX_IDS(RLM_SRE),       RDX_TEX_IDS(RLM_LRE),       RDX_TEX_IDS(RLM_LGRE),  RDX_TEX_IDS(RLM_HGRE),
    RDX_TEX_IDS(RLM_SRLGE),     RDX_TEX_IDS(RLM_SRHGE),     RDX_TEX_IDS(RLM_LRLGE), RDX_TEX_IDS(RLM_LRHGE),
    RDX_TEX_IDS(RLM_GLNU),      RDX_TEX_IDS(RLM_GLNU_NORM), RDX_TEX_IDS(RLM_RLNU),  RDX_TEX_IDS(RLM_RLNU_NORM),
    RDX_TEX_IDS(RLM_R_PERC),    RDX_TEX_IDS(RLM_GL_VAR),    RDX_TEX_IDS(RLM_RL_VAR), RDX_TEX_IDS(RLM_RL_ENTR)};

/* Sum of squares of the n marginal counts. */
static double sum_squares(const int64_t *r, int64_t n)
{
    double s = 0;
    for (int64_t k = 0; k < n; k++)
        s += (double)r[k] * (double)r[k];
    return s;
}

rdx_status rdx_glrlm_features(const rdx_counts *m, const rdx_tex_ctx *c, double *f, rdx_error *err)
{
    const uint64_t stride = (uint64_t)c->run_codes;
    int64_t *rg = calloc((size_t)c->n_levels, sizeof *rg), *rl = calloc(stride, sizeof *rl);
    if (!rg || !rl) {
        free(rg);
        free(rl);
        return rdx_error_set(err, RDX_E_NOMEM, "GLRLM: out of memory for the marginal counts");
    }
    int64_t ns = 0, nv = 0;
    for (size_t e = 0; e < m->n; e++) {
        ns += m->count[e];
        nv += m->count[e] * (int64_t)(m->code[e] % stride);
    }
    double em[RDX_EMPHASIS_COUNT] = {0}, mi = 0, mj = 0;
    for (size_t e = 0; e < m->n; e++) {
        uint64_t k = m->code[e] / stride, len = m->code[e] % stride;
        double r = (double)m->count[e], i2 = (double)c->level[k] * c->level[k], j2 = (double)len * len;
        rdx_emphasis_add(em, r, i2, j2);
        rg[k] += m->count[e];
        rl[len] += m->count[e];
        mi += r / (double)ns * c->level[k];
        mj += r / (double)ns * (double)len;
    }
    double gvar = 0, rvar = 0, entr = 0;
    for (size_t e = 0; e < m->n; e++) {
        uint64_t k = m->code[e] / stride, len = m->code[e] % stride;
        double p = (double)m->count[e] / (double)ns, di = c->level[k] - mi, dj = (double)len - mj;
        gvar += p * di * di;
        rvar += p * dj * dj;
        entr -= p * log2(p);
    }
    double n = (double)ns, glnu = sum_squares(rg, c->n_levels), rlnu = sum_squares(rl, (int64_t)stride);
    for (int q = 0; q < RDX_EMPHASIS_COUNT; q++) /* sre, lre, lgre, hgre, srlge, srhge, lrlge, lrhge */
        f[q] = em[q] / n;
    f[8] = glnu / n;
    f[9] = glnu / (n * n);
    f[10] = rlnu / n;
    f[11] = rlnu / (n * n);
    f[12] = n / (double)nv;
    f[13] = gvar;
    f[14] = rvar;
    f[15] = entr;
    free(rg);
    free(rl);
    return RDX_OK;
}

static int64_t glrlm_device_param(const rdx_tex_ctx *c)
{
    return c->run_codes;
}

static uint64_t glrlm_code_space(const rdx_tex_ctx *c)
{
    return (uint64_t)c->n_levels * (uint64_t)c->run_codes;
}

const rdx_tex_family rdx_glrlm_family = {"GLRLM", RDX_GLRLM_N_FEATURES, glrlm_ids, rdx_glrlm_codes,
                                         glrlm_count, rdx_glrlm_features, rdx_cuda_glrlm_counts, glrlm_device_param,
                                         glrlm_code_space};

void rdx_family_glrlm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err)
{
    rdx_tex_cases(in, n, &rdx_glrlm_family, 1, t->aggregations, values, st, err); /* runs have no distance */
}

rdx_status rdx_family_glrlm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    rdx_status st;
    rdx_family_glrlm_cases(&in, 1, t, &values, &st, err);
    return st;
}
