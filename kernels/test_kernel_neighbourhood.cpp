/* The NGTDM and NGLDM count kernels (rdx_cuda_ngtdm_counts,
 * rdx_cuda_ngldm_counts) against the CPU builders rdx_ngtdm_count and
 * rdx_ngldm_count (themselves checked against a brute-force recount in
 * tests/test_neighbours.c), under several SIMT schedules: every cell must be
 * identical, for 2D (one matrix per slice) and 3D, on random boxes (several
 * seeds, distances 1 and 2, alpha 0 and 1) and on the IBSI digital phantom;
 * boxes of several shapes (one empty) and both kinds packed into one launch.
 * Through the families (device = CUDA) the features must equal the CPU's bit
 * for bit, and on the phantom match IBSI-1 reference values.
 *
 * Built twice: against the emulator (test_kernel_neighbourhood) and against
 * the GPU (test_kernel_neighbourhood_cuda, which exits 77 = skipped without a
 * device). */
#include "kernels.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"
extern "C" {
#include "neighbours.h"
}

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_neighbourhood"
#endif

namespace {

/* A box of grey levels (0 outside the ROI) with the arrays rdx_texture_input points to. */
struct box {
    int64_t dim[3];
    int n_grey;
    std::vector<int32_t> grey;
    std::vector<uint8_t> roi;
    std::vector<float> intensity;

    rdx_texture_input input(rdx_device device)
    {
        roi.resize(grey.size());
        intensity.resize(grey.size());
        for (size_t k = 0; k < grey.size(); k++) {
            roi[k] = grey[k] > 0;
            intensity[k] = (float)grey[k];
        }
        rdx_texture_input in;
        std::memset(&in, 0, sizeof in);
        for (int a = 0; a < 3; a++) {
            in.dim[a] = dim[a];
            in.spacing[a] = 1.0;
        }
        in.grey = grey.data();
        in.n_grey = n_grey;
        in.roi = roi.data();
        in.morph = roi.data();
        in.intensity = intensity.data();
        in.device = device;
        return in;
    }
};

typedef int (*cpu_count_fn)(const rdx_nbh_ctx *, int, int64_t, int64_t, int64_t *);
typedef int (*kernel_fn)(const rdx_cuda_nbh_input *, size_t, int64_t *);

struct family {
    const char *name;
    cpu_count_fn cpu;
    kernel_fn kernel;
};
const family kFamilies[2] = {{"NGTDM", rdx_ngtdm_count, rdx_cuda_ngtdm_counts},
                             {"NGLDM", rdx_ngldm_count, rdx_cuda_ngldm_counts}};

/* The CPU matrices laid out as the kernel's: one per slice (in_plane) or one. */
std::vector<int64_t> cpu_counts(const family &f, const rdx_nbh_ctx *c, int in_plane, size_t cells)
{
    int64_t nz = c->in->dim[2];
    std::vector<int64_t> m(cells * (in_plane ? (size_t)nz : 1), 0);
    if (in_plane)
        for (int64_t z = 0; z < nz; z++)
            f.cpu(c, 1, z, z + 1, m.data() + (size_t)z * cells);
    else
        f.cpu(c, 0, 0, nz, m.data());
    return m;
}

/* Kernel cells against the CPU's for one family, neighbourhood and both
 * aggregation kinds, under three schedules. */
void compare_cells(const char *what, box &b, int distance, int alpha)
{
    rdx_texture_input in = b.input(RDX_DEVICE_CUDA);
    rdx_nbh_levels lv;
    rdx_error err = {};
    if (rdx_nbh_levels_build(&in, &lv, &err) != RDX_OK) {
        CHECK(false, "%s: %s", what, err.msg);
        return;
    }
    rdx_nbh_ctx c = {&in, &lv, distance, alpha};
    for (const family &f : kFamilies)
        for (int in_plane = 0; in_plane <= 1; in_plane++) {
            int64_t width = rdx_nbh_max_neighbours(&c, in_plane) + 1;
            size_t cells = (size_t)lv.n * (size_t)width;
            std::vector<int64_t> want = cpu_counts(f, &c, in_plane, cells);
            int64_t counted = 0;
            for (int64_t v : want)
                counted += v;
            CHECK(counted > 0, "%s %s: the CPU counts nothing, the comparison would be empty", what, f.name);
            rdx_cuda_nbh_input d = {b.grey.data(), {b.dim[0], b.dim[1], b.dim[2]}, lv.row, b.n_grey, lv.n, width,
                                    distance, alpha, in_plane};
            for (const char *s : {"forward", "reverse", "random:11"}) {
                set_schedule(s);
                std::vector<int64_t> got(want.size(), -1);
                int code = f.kernel(&d, 1, got.data());
                CHECK(code == 0, "%s %s %s: %s", what, f.name, s, rdx_cuda_error_string(code));
                size_t k = 0;
                while (k < got.size() && got[k] == want[k])
                    k++;
                CHECK(k == got.size(), "%s %s %s d=%d alpha=%d: cell %zu: kernel %lld, CPU %lld", what, f.name,
                      in_plane ? "2D" : "3D", distance, alpha, k, k < got.size() ? (long long)got[k] : 0LL,
                      k < got.size() ? (long long)want[k] : 0LL);
            }
        }
    rdx_nbh_levels_free(&lv);
}

/* The 3D and 2D counts of several boxes in one call (their matrices one
 * after another): the CPU's matrices of each, under three schedules. */
void compare_packed(std::vector<box> &boxes, int distance, int alpha)
{
    const size_t n = boxes.size();
    std::vector<rdx_texture_input> in(n);
    std::vector<rdx_nbh_levels> lv(n);
    std::vector<rdx_cuda_nbh_input> d;
    rdx_error err = {};
    for (size_t k = 0; k < n; k++) {
        in[k] = boxes[k].input(RDX_DEVICE_CUDA);
        CHECK(rdx_nbh_levels_build(&in[k], &lv[k], &err) == RDX_OK, "packed box %zu: %s", k, err.msg);
    }
    for (const family &f : kFamilies) {
        std::vector<int64_t> want;
        d.clear();
        for (size_t k = 0; k < n; k++) {
            rdx_nbh_ctx c = {&in[k], &lv[k], distance, alpha};
            for (int in_plane = 0; in_plane <= 1; in_plane++) {
                int64_t width = rdx_nbh_max_neighbours(&c, in_plane) + 1;
                std::vector<int64_t> w = cpu_counts(f, &c, in_plane, (size_t)lv[k].n * (size_t)width);
                want.insert(want.end(), w.begin(), w.end());
                d.push_back({boxes[k].grey.data(), {boxes[k].dim[0], boxes[k].dim[1], boxes[k].dim[2]}, lv[k].row,
                             boxes[k].n_grey, lv[k].n, width, distance, alpha, in_plane});
            }
        }
        for (const char *s : {"forward", "reverse", "random:5"}) {
            set_schedule(s);
            std::vector<int64_t> got(want.size(), -1);
            int code = f.kernel(d.data(), d.size(), got.data());
            size_t k = 0;
            while (k < got.size() && got[k] == want[k])
                k++;
            CHECK(code == 0 && k == got.size(), "%zu inputs packed, %s %s: %s, cell %zu of %zu differs", d.size(),
                  f.name, s, rdx_cuda_error_string(code), k, got.size());
        }
    }
    for (rdx_nbh_levels &l : lv)
        rdx_nbh_levels_free(&l);
    printf("%zu boxes packed (distance %d, alpha %d): 3D and 2D counts of both families in one launch each\n", n,
           distance, alpha);
}

/* Features of both families on the CPU and through the kernels: bitwise equal
 * (NaN where undefined on both sides). Returns the CUDA values. */
std::vector<double> compare_features(const char *what, box &b, const rdx_texture &t)
{
    std::vector<double> cpu(RDX_F_COUNT, 0.0), gpu(RDX_F_COUNT, 0.0);
    rdx_error err = {};
    for (rdx_device dev : {RDX_DEVICE_CPU, RDX_DEVICE_CUDA}) {
        rdx_texture_input in = b.input(dev);
        double *v = dev == RDX_DEVICE_CPU ? cpu.data() : gpu.data();
        CHECK(rdx_family_ngtdm(&in, &t, v, &err) == RDX_OK, "%s NGTDM: %s", what, err.msg);
        CHECK(rdx_family_ngldm(&in, &t, v, &err) == RDX_OK, "%s NGLDM: %s", what, err.msg);
    }
    CHECK(std::memcmp(cpu.data(), gpu.data(), RDX_F_COUNT * sizeof(double)) == 0,
          "%s: features through the kernels differ from the CPU's", what);
    return gpu;
}

/* ~70 % ROI; levels 1..n_grey except 3, so that compaction drops a row. */
box random_box(uint64_t seed, int64_t nx, int64_t ny, int64_t nz, int n_grey)
{
    box b = {{nx, ny, nz}, n_grey, std::vector<int32_t>((size_t)(nx * ny * nz)), {}, {}};
    for (int32_t &g : b.grey) {
        g = splitmix64(&seed) % 10 < 7 ? (int32_t)(1 + splitmix64(&seed) % (uint64_t)n_grey) : 0;
        g = g == 3 ? 4 : g;
    }
    return b;
}

void test_random_boxes()
{
    const int64_t shapes[4][3] = {{7, 6, 5}, {9, 5, 3}, {3, 8, 6}, {23, 19, 7}};
    for (uint64_t seed = 1; seed <= 4; seed++) {
        const int64_t *s = shapes[seed - 1];
        box b = random_box(seed, s[0], s[1], s[2], 8);
        for (int distance = 1; distance <= 2; distance++)
            for (int alpha = 0; alpha <= 1; alpha++) {
                char what[64];
                snprintf(what, sizeof what, "random seed %d %lldx%lldx%lld", (int)seed, (long long)s[0],
                         (long long)s[1], (long long)s[2]);
                compare_cells(what, b, distance, alpha);
                rdx_texture t = {RDX_AGG_2D | RDX_AGG_3D, 1, distance, distance, alpha, 1};
                compare_features(what, b, t);
            }
    }
    /* A box thinner than the window: the width is clipped on x and z. */
    box thin = random_box(99, 2, 9, 2, 5);
    compare_cells("thin box", thin, 2, 1);
    /* Boxes of different shapes in one launch, with an empty one (no grey
     * level: no thread, no cell) in the middle. */
    std::vector<box> boxes = {random_box(5, 7, 6, 5, 8), thin, box{{4, 3, 2}, 4, std::vector<int32_t>(24, 0), {}, {}},
                              random_box(6, 23, 19, 7, 8), random_box(7, 3, 8, 6, 5)};
    compare_packed(boxes, 1, 0);
    compare_packed(boxes, 2, 1);
}

/* IBSI-1 digital phantom from voxels.csv (z,y,x,value,mask; 5x4x4). */
bool read_phantom(const std::string &root, box *b)
{
    std::ifstream f(root + "/datasets/ibsi_digital_phantom/voxels.csv");
    std::string line;
    if (!f || !std::getline(f, line))
        return false;
    *b = {{5, 4, 4}, 0, std::vector<int32_t>(80, -1), {}, {}};
    int z, y, x, value, mask, n = 0;
    while (std::getline(f, line) && sscanf(line.c_str(), "%d,%d,%d,%d,%d", &z, &y, &x, &value, &mask) == 5) {
        if (x < 0 || x > 4 || y < 0 || y > 3 || z < 0 || z > 3)
            return false;
        b->grey[(size_t)(x + 5 * (y + 4 * z))] = mask ? value : 0;
        b->n_grey = mask && value > b->n_grey ? value : b->n_grey;
        n++;
    }
    return n == 80;
}

void test_digital_phantom(const std::string &root)
{
    box b;
    if (!read_phantom(root, &b)) {
        CHECK(false, "cannot read %s/datasets/ibsi_digital_phantom/voxels.csv", root.c_str());
        return;
    }
    compare_cells("digital phantom", b, 1, 0);
    compare_cells("digital phantom", b, 2, 1);
    /* IBSI-1 settings for the phantom: distance 1, alpha 0, every aggregation. */
    rdx_texture t = {RDX_AGG_2D | RDX_AGG_3D, 1, 1, 1, 0, 1};
    std::vector<double> v = compare_features("digital phantom", b, t);
    /* IBSI-1 reference values (datasets/ibsi_reference/digital_phantom.csv,
     * tolerance 0 = the printed 3 significant digits). */
    const struct {
        int id;
        double ref;
    } refs[] = {
        {RDX_F_NGT_COARSENESS_2D, 0.121},  {RDX_F_NGT_CONTRAST_2_5D, 0.601}, {RDX_F_NGT_BUSYNESS_3D, 6.54},
        {RDX_F_NGT_COMPLEXITY_3D, 13.5},   {RDX_F_NGT_STRENGTH_2D, 2.88},    {RDX_F_NGT_COARSENESS_3D, 0.0296},
        {RDX_F_NGL_LDE_2D, 0.158},         {RDX_F_NGL_HDE_3D, 109},          {RDX_F_NGL_GLNU_2_5D, 37.9},
        {RDX_F_NGL_DCNU_3D, 4.86},         {RDX_F_NGL_DC_ENTR_2D, 2.71},     {RDX_F_NGL_DC_VAR_3D, 22.1},
    };
    for (const auto &r : refs) {
        double half_ulp = 0.5 * std::pow(10.0, std::floor(std::log10(std::fabs(r.ref))) - 2);
        CHECK_NEAR(v[(size_t)r.id], r.ref, half_ulp * 1.0000001, rdx_feature_table()[r.id].tag);
    }
}

void test_bad_inputs()
{
    int32_t grey[8] = {1, 2, 1, 2, 1, 2, 1, 2}, row[3] = {-1, 0, 1};
    int64_t m[64];
    rdx_cuda_nbh_input ok = {grey, {2, 2, 2}, row, 2, 2, 8, 1, 0, 0};
    CHECK(rdx_cuda_ngtdm_counts(&ok, 1, m) == 0, "2x2x2 box accepted");
    /* 2x2x2 box, distance 1: 7 neighbours at most, so 8 cells per row. */
    /* By hand: every voxel has 7 neighbours, 3 of its own level (same x) and 4
     * of the other. Level 1: S = 3 * 1 + 4 * 2 = 11, |1 * 7 - 11| = 4; level
     * 2: S = 3 * 2 + 4 * 1 = 10, |2 * 7 - 10| = 4; 4 voxels each. */
    CHECK(m[0] == 4 && m[7] == 16 && m[8] == 4 && m[15] == 16, "2x2x2 NGTDM: n %lld, %lld; cell 7 %lld, %lld",
          (long long)m[0], (long long)m[8], (long long)m[7], (long long)m[15]);
    /* NGLDM, alpha 0: 3 dependent neighbours each, so cell 3 of both rows holds 4. */
    CHECK(rdx_cuda_ngldm_counts(&ok, 1, m) == 0 && m[3] == 4 && m[11] == 4, "2x2x2 NGLDM: cell 3 %lld, %lld",
          (long long)m[3], (long long)m[11]);
    rdx_cuda_nbh_input narrow = ok;
    narrow.width = 7;
    CHECK(rdx_cuda_ngldm_counts(&narrow, 1, m) != 0, "width 7 for 7 neighbours accepted");
    CHECK(rdx_cuda_ngldm_counts(&ok, 1, nullptr) != 0, "null output accepted");
    CHECK(rdx_cuda_ngldm_counts(nullptr, 1, m) != 0, "null input accepted");
    CHECK(rdx_cuda_ngldm_counts(&ok, 0, m) != 0, "no input accepted");
    const rdx_cuda_nbh_input good_then_narrow[2] = {ok, narrow};
    CHECK(rdx_cuda_ngldm_counts(good_then_narrow, 2, m) != 0, "a bad second input accepted");
    rdx_cuda_nbh_input far = ok;
    far.distance = 0;
    CHECK(rdx_cuda_ngtdm_counts(&far, 1, m) != 0, "distance 0 accepted");
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        test_bad_inputs();
        test_digital_phantom(source_dir());
        test_random_boxes();
    });
}
