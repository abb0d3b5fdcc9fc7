/* The GLCM and GLRLM kernels (rdx_cuda_glcm_counts, rdx_cuda_glrlm_counts)
 * against the CPU matrix builders (rdx_glcm_codes, rdx_glrlm_codes sorted by
 * rdx_counts_from_codes), under several SIMT schedules:
 * - a tiny box whose dense counts are worked out by hand;
 * - random 9x8x6-sized volumes with 5-12 grey levels (some absent), a
 *   uniform box (runs spanning the box), the IBSI digital phantom: every
 *   matrix rdx_tex_device_matrices returns (whole box per direction, slice
 *   and in-plane direction) equals the CPU's bit for bit, with the default
 *   budget and with budgets that force several kernel calls;
 * - several of these volumes at once, packed into shared kernel launches
 *   (one, or several with cases split across them): the same matrices, and
 *   the same features as each case alone;
 * - the families with device CUDA against the CPU: identical feature values;
 *   on the digital phantom also the IBSI-1 reference values (cm_, rlm_);
 * - argument errors.
 *
 * Built twice: against the emulator (test_kernel_glcm_glrlm) and against the
 * GPU (test_kernel_glcm_glrlm_cuda, which exits 77 = skipped without a device). */
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"
extern "C" {
#include "glcm_glrlm.h"
}

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_glcm_glrlm"
#endif

namespace {

struct Volume {
    std::string name;
    int64_t dim[3];
    int n_grey;
    std::vector<int32_t> grey; /* 0 outside the ROI */
    std::vector<uint8_t> roi;
};

rdx_texture_input input_of(const Volume &v, rdx_device device)
{
    rdx_texture_input in = {};
    for (int a = 0; a < 3; a++) {
        in.dim[a] = v.dim[a];
        in.spacing[a] = 1.0;
    }
    in.grey = v.grey.data();
    in.n_grey = v.n_grey;
    in.roi = v.roi.data();
    in.morph = v.roi.data();
    in.device = device;
    return in;
}

/* ROI voxels with probability roi_pct %; grey levels 1 + step * r (r < levels),
 * repeating the previous voxel's with probability repeat_pct % (longer runs). */
Volume random_volume(const char *name, int nx, int ny, int nz, int levels, int step, int roi_pct, int repeat_pct,
                     uint64_t seed)
{
    Volume v{name, {nx, ny, nz}, 1 + step * (levels - 1), {}, {}};
    size_t n = (size_t)nx * ny * nz;
    v.grey.assign(n, 0);
    int32_t prev = 1;
    for (size_t i = 0; i < n; i++) {
        int32_t g = (int)(splitmix64(&seed) % 100) < repeat_pct ? prev
                                                                : 1 + step * (int32_t)(splitmix64(&seed) % levels);
        prev = g;
        v.grey[i] = (int)(splitmix64(&seed) % 100) < roi_pct ? g : 0;
    }
    for (int32_t g : v.grey)
        v.roi.push_back(g > 0);
    return v;
}

/* Splits a CSV line, honouring double quotes. */
std::vector<std::string> csv_fields(const char *line)
{
    std::vector<std::string> f(1);
    bool quoted = false;
    for (const char *p = line; *p && *p != '\n' && *p != '\r'; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted)
            f.emplace_back();
        else
            f.back() += *p;
    }
    return f;
}

/* The IBSI digital phantom from datasets/ibsi_digital_phantom/voxels.csv
 * (z,y,x,value,mask; 5 x 4 x 4 voxels, grey levels 1..6 in the ROI, no discretisation). */
bool digital_phantom(const std::string &root, Volume *v)
{
    FILE *f = fopen((root + "/datasets/ibsi_digital_phantom/voxels.csv").c_str(), "r");
    if (!f)
        return false;
    struct Row {
        int z, y, x, value, mask;
    };
    std::vector<Row> rows;
    char line[256];
    int64_t dim[3] = {0, 0, 0};
    if (!fgets(line, sizeof line, f)) /* header */
        line[0] = 0;
    while (fgets(line, sizeof line, f)) {
        Row r;
        if (sscanf(line, "%d,%d,%d,%d,%d", &r.z, &r.y, &r.x, &r.value, &r.mask) != 5)
            continue;
        rows.push_back(r);
        dim[0] = std::max<int64_t>(dim[0], r.x + 1);
        dim[1] = std::max<int64_t>(dim[1], r.y + 1);
        dim[2] = std::max<int64_t>(dim[2], r.z + 1);
    }
    fclose(f);
    *v = Volume{"IBSI digital phantom", {dim[0], dim[1], dim[2]}, 0, {}, {}};
    v->grey.assign((size_t)(dim[0] * dim[1] * dim[2]), 0);
    v->roi.assign(v->grey.size(), 0);
    for (const Row &r : rows) {
        size_t i = (size_t)(r.x + dim[0] * (r.y + dim[1] * r.z));
        v->grey[i] = r.mask ? r.value : 0;
        v->roi[i] = r.mask != 0;
        v->n_grey = std::max(v->n_grey, r.mask ? r.value : 0); /* Ng: the ROI's highest level (a 9 lies outside) */
    }
    return rows.size() == 80 && dim[0] == 5 && dim[1] == 4 && dim[2] == 4;
}

bool same_matrix(const rdx_counts &a, const rdx_counts &b)
{
    return a.n == b.n && (a.n == 0 || (!memcmp(a.code, b.code, a.n * sizeof *a.code) &&
                                       !memcmp(a.count, b.count, a.n * sizeof *a.count)));
}

/* The CPU's matrix of direction d over the whole box (z < 0) or slice z. */
rdx_counts cpu_matrix(const rdx_tex_ctx *c, const rdx_tex_family *fam, int d, int64_t z)
{
    size_t n = (size_t)(c->in->dim[0] * c->in->dim[1] * c->in->dim[2]);
    std::vector<uint64_t> codes(n + 1), scratch(n + 1);
    size_t k = fam->codes(c, rdx_dir[d], z < 0 ? 0 : z, z < 0 ? c->in->dim[2] : z + 1, codes.data());
    rdx_counts m = {};
    rdx_counts_from_codes(codes.data(), scratch.data(), k, &m, nullptr);
    return m;
}

/* rdx_tex_device_matrices on the volumes vs together (their boxes packed
 * into shared launches) against the CPU for aggregations, budget
 * matrices_per_call dense matrices of the largest code space per launch (0:
 * the default budget); every slot not needed must be empty. Returns the
 * number of matrices compared. */
int check_matrices(const std::vector<const Volume *> &vs, const rdx_tex_family *fam, int distance,
                   unsigned aggregations, uint64_t matrices_per_call, const char *schedule)
{
    const size_t n = vs.size();
    std::vector<rdx_texture_input> in(n);
    std::vector<rdx_tex_ctx> c(n);
    std::vector<const rdx_tex_ctx *> cp(n);
    rdx_error err = {};
    uint64_t space = 0;
    for (size_t k = 0; k < n; k++) {
        in[k] = input_of(*vs[k], RDX_DEVICE_CUDA);
        if (rdx_tex_ctx_init(&in[k], distance, &c[k], &err)) {
            CHECK(false, "%s: %s", vs[k]->name.c_str(), err.msg);
            return 0;
        }
        cp[k] = &c[k];
        space = std::max(space, fam->code_space(&c[k]));
    }
    const uint64_t budget = matrices_per_call ? matrices_per_call * space : RDX_TEX_DEVICE_BUDGET;
    std::vector<rdx_counts *> pre(n, nullptr);
    rdx_status st = rdx_tex_device_matrices(cp.data(), n, fam, aggregations, budget, pre.data(), &err);
    CHECK(st == RDX_OK, "%s %s: %s", vs[0]->name.c_str(), fam->name, st ? err.msg : "");
    int compared = 0;
    const int ndir = aggregations & (RDX_AGG_3D | RDX_AGG_3D_DIR) ? RDX_N_DIR_3D : RDX_N_DIR_2D;
    const int want2d = (aggregations & RDX_AGG_2D) != 0;
    for (size_t k = 0; k < n; k++) {
        const Volume &v = *vs[k];
        CHECK(pre[k] != nullptr, "%s %s: no matrices", v.name.c_str(), fam->name);
        for (int64_t z = -1; pre[k] && z < v.dim[2]; z++)
            for (int d = 0; d < (z < 0 ? RDX_N_DIR_3D : RDX_N_DIR_2D); d++) {
                const bool needed = z < 0 ? d < ndir : want2d;
                rdx_counts want = needed ? cpu_matrix(&c[k], fam, d, z) : rdx_counts{};
                const rdx_counts &got = pre[k][rdx_tex_slot(d, z)];
                CHECK(same_matrix(got, want),
                      "%s (%zu of %zu) %s distance %d aggregations %u, %llu per call, %s: direction %d slice %lld: "
                      "%zu entries, CPU %zu",
                      v.name.c_str(), k + 1, n, fam->name, distance, aggregations,
                      (unsigned long long)matrices_per_call, schedule, d, (long long)z, got.n, want.n);
                compared += needed;
                rdx_counts_free(&want);
            }
        rdx_tex_matrices_free(pre[k], v.dim[2]);
        rdx_tex_ctx_free(&c[k]);
    }
    return compared;
}

void check_volume(const Volume &v, int distance)
{
    int compared = 0;
    for (const char *s : kSchedules) {
        set_schedule(s);
        for (const rdx_tex_family *fam : {&rdx_glcm_family, &rdx_glrlm_family})
            for (uint64_t per_call : {0, 3, 9})
                compared += check_matrices({&v}, fam, distance, RDX_AGG_2D | RDX_AGG_3D, per_call, s);
    }
    set_schedule("forward");
    for (const rdx_tex_family *fam : {&rdx_glcm_family, &rdx_glrlm_family})
        for (unsigned agg : {(unsigned)RDX_AGG_2D, (unsigned)RDX_AGG_3D, (unsigned)RDX_AGG_3D_DIR})
            compared += check_matrices({&v}, fam, distance, agg, 0, "forward");
    printf("%s, distance %d: %d matrices compared\n", v.name.c_str(), distance, compared);
}

/* Several cases at once: their matrices counted in shared launches (all in
 * one with the default budget, several cases per launch and cases split
 * across launches with small ones) equal the CPU's, and rdx_tex_cases gives
 * each case the features it gets alone on the CPU. */
void check_packed(const std::vector<const Volume *> &vs)
{
    int compared = 0;
    for (const char *s : kSchedules) {
        set_schedule(s);
        for (const rdx_tex_family *fam : {&rdx_glcm_family, &rdx_glrlm_family})
            for (uint64_t per_call : {0, 3, 40})
                compared += check_matrices(vs, fam, 1, RDX_AGG_2D | RDX_AGG_3D, per_call, s);
    }
    set_schedule("forward");
    rdx_texture t = {};
    t.aggregations = RDX_AGG_2D | RDX_AGG_3D | RDX_AGG_3D_DIR;
    t.glcm_distance = 1;
    const size_t n = vs.size();
    std::vector<rdx_texture_input> in(n);
    std::vector<const rdx_texture_input *> inp(n);
    std::vector<std::vector<double>> alone(n, std::vector<double>(RDX_F_COUNT, NAN)),
        packed(n, std::vector<double>(RDX_F_COUNT, NAN));
    std::vector<double *> out(n);
    std::vector<rdx_status> st(n);
    std::vector<rdx_error> err(n);
    for (size_t k = 0; k < n; k++) {
        rdx_texture_input cpu = input_of(*vs[k], RDX_DEVICE_CPU);
        rdx_error e = {};
        CHECK(!rdx_family_glcm(&cpu, &t, alone[k].data(), &e) && !rdx_family_glrlm(&cpu, &t, alone[k].data(), &e),
              "%s, CPU: %s", vs[k]->name.c_str(), e.msg);
        in[k] = input_of(*vs[k], RDX_DEVICE_CUDA);
        inp[k] = &in[k];
        out[k] = packed[k].data();
    }
    for (const rdx_tex_family *fam : {&rdx_glcm_family, &rdx_glrlm_family}) {
        rdx_tex_cases(inp.data(), n, fam, 1, t.aggregations, out.data(), st.data(), err.data());
        for (size_t k = 0; k < n; k++)
            CHECK(st[k] == RDX_OK, "%s packed %s: %s", vs[k]->name.c_str(), fam->name, err[k].msg);
    }
    for (size_t k = 0; k < n; k++) {
        int differ = 0, computed = 0;
        for (int f = 0; f < RDX_F_COUNT; f++) {
            computed += !std::isnan(alone[k][f]);
            differ += memcmp(&alone[k][f], &packed[k][f], sizeof(double)) &&
                      !(std::isnan(alone[k][f]) && std::isnan(packed[k][f]));
        }
        CHECK(differ == 0 && computed > 6 * (RDX_GLCM_N_FEATURES + RDX_GLRLM_N_FEATURES),
              "%s: %d of %d features differ when packed", vs[k]->name.c_str(), differ, computed);
    }
    printf("%zu cases packed: %d matrices compared\n", n, compared);
}

/* Features of both families on the CPU and with device CUDA: identical. The
 * values of the CUDA run are returned. */
std::vector<double> check_features(const Volume &v, int distance)
{
    std::vector<double> cpu(RDX_F_COUNT, NAN), gpu(RDX_F_COUNT, NAN);
    rdx_texture t = {};
    t.aggregations = RDX_AGG_2D | RDX_AGG_3D | RDX_AGG_3D_DIR;
    t.glcm_distance = distance;
    rdx_texture_input in_cpu = input_of(v, RDX_DEVICE_CPU), in_gpu = input_of(v, RDX_DEVICE_CUDA);
    rdx_error err = {};
    CHECK(!rdx_family_glcm(&in_cpu, &t, cpu.data(), &err) && !rdx_family_glrlm(&in_cpu, &t, cpu.data(), &err),
          "%s, CPU: %s", v.name.c_str(), err.msg);
    CHECK(!rdx_family_glcm(&in_gpu, &t, gpu.data(), &err) && !rdx_family_glrlm(&in_gpu, &t, gpu.data(), &err),
          "%s, CUDA: %s", v.name.c_str(), err.msg);
    int computed = 0, per_direction = 0, differ = 0;
    for (int f = 0; f < RDX_F_COUNT; f++) {
        const bool dir = rdx_feature_table()[f].aggregation == RDX_AGG_3D_DIR;
        (dir ? per_direction : computed) += !std::isnan(cpu[f]);
        if (memcmp(&cpu[f], &gpu[f], sizeof cpu[f]) && !(std::isnan(cpu[f]) && std::isnan(gpu[f])) && differ++ < 5)
            printf("%s: %s: CPU %.17g, CUDA %.17g\n", v.name.c_str(), rdx_feature_table()[f].tag, cpu[f], gpu[f]);
    }
    CHECK(differ == 0, "%s: %d features differ", v.name.c_str(), differ);
    /* 25 GLCM + 16 GLRLM features, six aggregations each, and per direction (NaN where a direction has no pairs). */
    CHECK(computed == 6 * (RDX_GLCM_N_FEATURES + RDX_GLRLM_N_FEATURES), "%s: %d features computed", v.name.c_str(),
          computed);
    CHECK(per_direction >= RDX_GLCM_N_FEATURES + RDX_GLRLM_N_FEATURES &&
              per_direction <= RDX_N_DIR_3D * (RDX_GLCM_N_FEATURES + RDX_GLRLM_N_FEATURES),
          "%s: %d per-direction values computed", v.name.c_str(), per_direction);
    return gpu;
}

/* The CUDA features of the digital phantom against IBSI-1 (datasets/ibsi_reference/digital_phantom.csv):
 * tolerance as in the table, 0 meaning the printed 3 significant digits. */
void check_ibsi(const std::string &root, const std::vector<double> &values)
{
    FILE *f = fopen((root + "/datasets/ibsi_reference/digital_phantom.csv").c_str(), "r");
    CHECK(f != nullptr, "no IBSI reference table under %s", root.c_str());
    if (!f)
        return;
    char line[1024];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        std::vector<std::string> c = csv_fields(line);
        if (c.size() < 8 || (c[0].rfind("cm_", 0) && c[0].rfind("rlm_", 0)))
            continue;
        int id = -1;
        for (int k = 0; k < RDX_F_COUNT && id < 0; k++)
            id = c[0] == rdx_feature_table()[k].tag ? k : -1;
        CHECK(id >= 0, "IBSI tag %s unknown", c[0].c_str());
        if (id < 0)
            continue;
        double ref = atof(c[6].c_str()), tol = atof(c[7].c_str());
        if (tol == 0)
            tol = ref == 0 ? 1e-12 : 0.5 * std::pow(10.0, std::floor(std::log10(std::fabs(ref))) - 2);
        CHECK(std::fabs(values[id] - ref) <= tol, "IBSI %s: CUDA %.6g, reference %g +- %g", c[0].c_str(), values[id],
              ref, tol);
        rows++;
    }
    fclose(f);
    /* (25 GLCM + 16 GLRLM features) x 6 aggregations. */
    CHECK(rows == 246, "%d IBSI reference rows checked, expected 246", rows);
}

/* 3 x 2 x 1 box, rows y = 0: 1 1 2, y = 1: 0 2 2 (0 outside the ROI); grey
 * levels 1 and 2 present, compact indices 0 and 1. */
void test_by_hand()
{
    const int32_t grey[6] = {1, 1, 2, 0, 2, 2}, index[3] = {-1, 0, 1};
    const rdx_cuda_tex_box box = {grey, {3, 2, 1}, index, 2, 2};
    const int dirs[2][3] = {{1, 0, 0}, {0, 1, 0}};
    /* GLCM, distance 1, codes a * 2 + b: along x the pairs (1,1), (1,2) and
     * (2,2) -> codes 0, 1, 3; along y the pairs (1,2), (2,2) (the column of
     * x = 0 has a voxel outside the ROI) -> codes 1, 3. */
    const uint32_t glcm_want[8] = {1, 1, 0, 1, 0, 1, 0, 1};
    /* GLRLM, run_codes 4 (longest run 3 + 1), codes k * 4 + length: along x
     * the runs 1 x2, 2 x1 (y = 0) and 2 x2 (y = 1) -> codes 2, 5, 6; along y
     * 1 (x = 0), 1 and 2 (x = 1), 2 x2 (x = 2) -> codes 1, 1, 5, 6. */
    const uint32_t glrlm_want[16] = {0, 0, 1, 0, 0, 1, 1, 0, 0, 2, 0, 0, 0, 1, 1, 0};
    for (const char *s : kSchedules) {
        set_schedule(s);
        for (int per_slice = 0; per_slice <= 1; per_slice++) { /* one slice: the same layout */
            const rdx_cuda_tex_jobs jobs = {dirs, 2, 0, 1, per_slice};
            uint32_t got[16];
            memset(got, 0xff, sizeof got);
            const rdx_cuda_tex_item glcm_item = {box, jobs, 1}, glrlm_item = {box, jobs, 4};
            int e = rdx_cuda_glcm_counts(&glcm_item, 1, got);
            CHECK(e == 0 && !memcmp(got, glcm_want, sizeof glcm_want), "hand GLCM, %s: %s", s,
                  rdx_cuda_error_string(e));
            memset(got, 0xff, sizeof got);
            e = rdx_cuda_glrlm_counts(&glrlm_item, 1, got);
            CHECK(e == 0 && !memcmp(got, glrlm_want, sizeof glrlm_want), "hand GLRLM, %s: %s", s,
                  rdx_cuda_error_string(e));
        }
    }
    /* Distance 2 along x: only the pair (x = 0, x = 2) of each row: (1,2) -> code 1. */
    const rdx_cuda_tex_jobs x_only = {dirs, 1, 0, 1, 0};
    uint32_t got[4];
    const uint32_t want_d2[4] = {0, 1, 0, 0};
    const rdx_cuda_tex_item d2 = {box, x_only, 2};
    CHECK(!rdx_cuda_glcm_counts(&d2, 1, got) && !memcmp(got, want_d2, sizeof got), "hand GLCM distance 2");

    /* Three items in one call (distance 1 on both directions, distance 2
     * along x, the GLCM of both directions again): each item's matrices
     * follow the previous item's. */
    const rdx_cuda_tex_item three[3] = {{box, {dirs, 2, 0, 1, 0}, 1}, d2, {box, {dirs, 2, 0, 1, 1}, 1}};
    uint32_t packed[20];
    memset(packed, 0xff, sizeof packed);
    CHECK(!rdx_cuda_glcm_counts(three, 3, packed) && !memcmp(packed, glcm_want, sizeof glcm_want) &&
              !memcmp(packed + 8, want_d2, sizeof want_d2) && !memcmp(packed + 12, glcm_want, sizeof glcm_want),
          "hand GLCM, three items in one call");

    /* Argument errors. */
    const rdx_cuda_tex_jobs no_dir = {dirs, 0, 0, 1, 0}, bad_z = {dirs, 2, 0, 2, 0}, empty_z = {dirs, 2, 1, 1, 0};
    uint32_t big[16];
    const rdx_cuda_tex_item d0 = {box, x_only, 0}, nd = {box, no_dir, 1}, bz = {box, bad_z, 1},
                            ez = {box, empty_z, 1}, x1 = {box, x_only, 1}, short_runs = {box, x_only, 3};
    CHECK(rdx_cuda_glcm_counts(&d0, 1, big) != 0, "distance 0 accepted");
    CHECK(rdx_cuda_glcm_counts(&nd, 1, big) != 0, "no direction accepted");
    CHECK(rdx_cuda_glcm_counts(&bz, 1, big) != 0, "slices beyond the box accepted");
    CHECK(rdx_cuda_glcm_counts(&ez, 1, big) != 0, "empty slice range accepted");
    CHECK(rdx_cuda_glcm_counts(&x1, 1, nullptr) != 0, "null counts accepted");
    CHECK(rdx_cuda_glcm_counts(&x1, 0, big) != 0, "no item accepted");
    const rdx_cuda_tex_item good_then_bad[2] = {x1, bz};
    CHECK(rdx_cuda_glcm_counts(good_then_bad, 2, big) != 0, "a bad second item accepted");
    CHECK(rdx_cuda_glrlm_counts(&short_runs, 1, big) != 0, "run_codes 3 accepted for runs up to 3");
    const int32_t bad_index[3] = {-1, 0, 2};
    const rdx_cuda_tex_item bad_box = {{grey, {3, 2, 1}, bad_index, 2, 2}, x_only, 4};
    CHECK(rdx_cuda_glrlm_counts(&bad_box, 1, big) != 0, "compact index 2 of 2 levels accepted");
}

/* A dense matrix larger than the budget: rdx_tex_device_matrices leaves the
 * counting to the CPU (no matrices), and the family still agrees. */
void test_over_budget(const Volume &v)
{
    rdx_texture_input in = input_of(v, RDX_DEVICE_CUDA);
    rdx_tex_ctx c;
    rdx_error err = {};
    if (rdx_tex_ctx_init(&in, 1, &c, &err)) {
        CHECK(false, "%s", err.msg);
        return;
    }
    rdx_counts dummy = {}, *pre = &dummy; /* must become NULL */
    const rdx_tex_ctx *cp = &c;
    rdx_status st = rdx_tex_device_matrices(&cp, 1, &rdx_glrlm_family, RDX_AGG_3D,
                                            rdx_glrlm_family.code_space(&c) - 1, &pre, &err);
    CHECK(st == RDX_OK && pre == nullptr, "over budget: status %d, matrices %p", (int)st, (void *)pre);
    rdx_tex_ctx_free(&c);
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        const std::string root = source_dir();
        test_by_hand();

        std::vector<Volume> vols = {
            random_volume("random 9x8x6, 5 levels, runs", 9, 8, 6, 5, 1, 85, 60, 1),
            random_volume("random 9x8x6, 12 of 23 levels", 9, 8, 6, 12, 2, 70, 0, 2),
            random_volume("random 5x12x4, 7 levels", 5, 12, 4, 7, 1, 90, 40, 3),
            random_volume("uniform 7x5x3", 7, 5, 3, 1, 1, 100, 0, 4),
        };
        Volume phantom;
        CHECK(digital_phantom(root, &phantom), "IBSI digital phantom not read from %s", root.c_str());
        for (const Volume &v : vols) {
            check_volume(v, 1);
            check_features(v, 1);
        }
        check_volume(vols[0], 2);
        check_features(vols[0], 2);
        if (!phantom.grey.empty()) {
            check_volume(phantom, 1);
            check_ibsi(root, check_features(phantom, 1));
        }
        std::vector<const Volume *> all;
        for (const Volume &v : vols)
            all.push_back(&v);
        if (!phantom.grey.empty())
            all.push_back(&phantom);
        check_packed(all);
        test_over_budget(vols[0]);
    });
}
