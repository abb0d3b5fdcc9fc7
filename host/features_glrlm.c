/* Grey level run length matrix features (IBSI reference manual 3.7).
 *
 * A run is a maximal line of ROI voxels with the same grey level along one
 * of the 13 (3D) or 4 (2D, in-plane) directions; it ends at a grey level
 * change or where the intensity mask or the box ends. Each run gives one
 * code k * run_codes + length (k: compact grey index), and the sparse
 * matrix of those codes is the GLRLM. Matrices, aggregation and the work
 * split (parallel over directions and over slices) are shared with the GLCM
 * (features_glcm.c, rdx_tex_aggregate).
 *
 * N_v, the number of voxels of run percentage, is taken from the matrix
 * itself (sum of run lengths): for a merged matrix that is the ROI size
 * times the number of directions merged, as IBSI prescribes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "directions.h"
#include "glcm_glrlm.h"

/* Steps from coordinate p to the box edge (exclusive) along step u of an axis of length n. */
static inline int64_t steps_left(int64_t p, int u, int64_t n)
{
    return u > 0 ? n - p : u < 0 ? p + 1 : INT64_MAX;
}

/* 1 when coordinate p is where lines along step u enter an axis of length n. */
static inline int entry_face(int64_t p, int u, int64_t n)
{
    return u > 0 ? p == 0 : u < 0 ? p == n - 1 : 0;
}

/* Where the runs go: written to out[] or, with dense, counted in dense[code]. */
typedef struct {
    const int32_t *index;
    uint64_t run_codes;
    uint64_t *out;
    uint32_t *dense;
    size_t n;
} run_sink;

static inline void run_put(run_sink *k, int32_t g, int64_t len)
{
    const uint64_t code = (uint64_t)k->index[g] * k->run_codes + (uint64_t)len;
    if (k->dense)
        k->dense[code]++;
    else
        k->out[k->n++] = code;
}

/* Walks the line that enters the box at (x, y, z) along u (offset off) and
 * puts its runs whose first voxel lies in slices z0 .. z1-1. */
static inline void walk_line(const rdx_tex_ctx *c, const int u[3], int64_t off, int64_t x, int64_t y, int64_t z,
                             int64_t z0, int64_t z1, run_sink *k)
{
    const int64_t *dim = c->in->dim;
    int64_t len = steps_left(x, u[0], dim[0]), r = steps_left(y, u[1], dim[1]);
    len = r < len ? r : len;
    r = steps_left(z, u[2], dim[2]);
    len = r < len ? r : len;
    const int32_t *p = c->in->grey + x + dim[0] * (y + dim[1] * z);
    int32_t run_g = 0;
    int64_t run_len = 0, run_start = 0;
    for (int64_t i = 0; i < len; i++, p += off) {
        if (*p == run_g) {
            run_len++;
            continue;
        }
        if (run_g && z + run_start * u[2] >= z0 && z + run_start * u[2] < z1)
            run_put(k, run_g, run_len);
        run_g = *p;
        run_len = 1;
        run_start = i;
    }
    if (run_g && z + run_start * u[2] >= z0 && z + run_start * u[2] < z1)
        run_put(k, run_g, run_len);
}

/* The run codes of rdx_glrlm_codes, written to out[] or, with dense, counted
 * in dense[code]; inlined into both so that each gets its own loop. Each line
 * of the box along u is walked once from where it enters the box: lines
 * entering through a y or z face start at every x of their row, the others
 * at the x face. Along u[2] != 0 lines cross slices, so those entering in any
 * slice are walked and only runs starting in z0 .. z1-1 are kept. */
static inline size_t glrlm_scan(const rdx_tex_ctx *c, const int u[3], int64_t z0, int64_t z1, uint64_t *out,
                                uint32_t *dense)
{
    const int64_t *dim = c->in->dim;
    const int64_t off = rdx_dir_offset(dim, u, 1);
    run_sink k = {c->index, (uint64_t)c->run_codes, out, dense, 0};
    const int64_t zs0 = u[2] ? 0 : z0, zs1 = u[2] ? dim[2] : z1;
    for (int64_t z = zs0; z < zs1; z++)
        for (int64_t y = 0; y < dim[1]; y++) {
            if (entry_face(y, u[1], dim[1]) || entry_face(z, u[2], dim[2])) {
                for (int64_t x = 0; x < dim[0]; x++)
                    walk_line(c, u, off, x, y, z, z0, z1, &k);
            } else if (u[0]) {
                walk_line(c, u, off, u[0] > 0 ? 0 : dim[0] - 1, y, z, z0, z1, &k);
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
static const int glrlm_ids[RDX_GLRLM_N_FEATURES][6] = {
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

static int glrlm_device_counts(const rdx_cuda_tex_box *b, const rdx_tex_ctx *c, const rdx_cuda_tex_jobs *jobs,
                               uint32_t *counts)
{
    return rdx_cuda_glrlm_counts(b, c->run_codes, jobs, counts);
}

static uint64_t glrlm_code_space(const rdx_tex_ctx *c)
{
    return (uint64_t)c->n_levels * (uint64_t)c->run_codes;
}

const rdx_tex_family rdx_glrlm_family = {"GLRLM", RDX_GLRLM_N_FEATURES, glrlm_ids, rdx_glrlm_codes,
                                         glrlm_count, rdx_glrlm_features, glrlm_device_counts, glrlm_code_space};

rdx_status rdx_family_glrlm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    rdx_tex_ctx c;
    rdx_status st = rdx_tex_ctx_init(in, 1, &c, err); /* runs have no distance */
    if (st)
        return st;
    st = rdx_tex_aggregate(&c, &rdx_glrlm_family, t->aggregations, values, err);
    rdx_tex_ctx_free(&c);
    return st;
}
