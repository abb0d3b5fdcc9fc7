/* The zone kernels (rdx_cuda_zones_label, rdx_cuda_zones_border_distance)
 * against the CPU reference in host/zones.c under several SIMT schedules:
 * distance maps, zone labels (numbered in raster order of each zone's first
 * voxel) and the (grey, size) / (grey, min distance) matrices must be
 * identical, in 3D and slice by slice (2D), on random volumes and the IBSI
 * digital phantom. The GLSZM/GLDZM families run with device CUDA must give
 * the CPU's features bit for bit, and on the digital phantom the IBSI-1
 * reference values. Several volumes labelled in one packed call give each
 * the zones it gets alone.
 *
 * Built twice: against the emulator (test_kernel_zones) and against the GPU
 * (test_kernel_zones_cuda, which exits 77 = skipped without a device). */
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"
extern "C" {
#include "zones.h"
}

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_zones"
#endif

namespace {

struct vol {
    int64_t dim[3];
    std::vector<int32_t> grey;
    std::vector<uint8_t> roi, morph;

    size_t n() const { return (size_t)(dim[0] * dim[1] * dim[2]); }
};

/* Grey levels 1..ng in a random intensity mask inside a random morphological
 * mask (the morphological mask holds more voxels, as after re-segmentation). */
vol random_vol(int64_t nx, int64_t ny, int64_t nz, int ng, uint64_t seed)
{
    vol v = {{nx, ny, nz}, {}, {}, {}};
    v.grey.assign(v.n(), 0);
    v.roi.assign(v.n(), 0);
    v.morph.assign(v.n(), 0);
    for (size_t i = 0; i < v.n(); i++) {
        v.morph[i] = splitmix64(&seed) % 10 < 8;
        v.roi[i] = v.morph[i] && splitmix64(&seed) % 10 < 8;
        v.grey[i] = v.roi[i] ? 1 + (int32_t)(splitmix64(&seed) % (uint64_t)ng) : 0;
    }
    return v;
}

/* The IBSI digital phantom from its voxel list (z,y,x,value,mask): grey
 * levels are the values (no discretisation), both masks the ROI. */
bool digital_phantom(const std::string &root, vol *v)
{
    std::ifstream f(root + "/datasets/ibsi_digital_phantom/voxels.csv");
    std::string line;
    std::vector<std::vector<long>> rows;
    std::getline(f, line); /* header */
    *v = vol{{0, 0, 0}, {}, {}, {}};
    while (std::getline(f, line)) {
        std::vector<long> r(5);
        if (std::sscanf(line.c_str(), "%ld,%ld,%ld,%ld,%ld", &r[0], &r[1], &r[2], &r[3], &r[4]) != 5)
            return false;
        for (int a = 0; a < 3; a++)
            v->dim[a] = std::max(v->dim[a], (int64_t)r[2 - a] + 1);
        rows.push_back(r);
    }
    if (rows.empty() || (int64_t)rows.size() != (int64_t)v->n())
        return false;
    v->grey.assign(v->n(), 0);
    v->roi.assign(v->n(), 0);
    v->morph.assign(v->n(), 0);
    for (const auto &r : rows) {
        size_t i = (size_t)(r[2] + v->dim[0] * (r[1] + v->dim[1] * r[0]));
        v->roi[i] = v->morph[i] = r[4] != 0;
        v->grey[i] = r[4] ? (int32_t)r[3] : 0;
    }
    return true;
}

using matrix = std::map<std::pair<int32_t, int64_t>, int64_t>; /* (grey, j) -> zones */

/* Counts of zones z[a..b) by (grey, size or min distance), and their voxels. */
matrix count_zones(const rdx_cuda_zone *z, size_t a, size_t b, bool by_distance, int64_t *voxels)
{
    matrix m;
    *voxels = 0;
    for (size_t k = a; k < b; k++) {
        m[{z[k].grey, by_distance ? (int64_t)z[k].min_dist : (int64_t)z[k].size}]++;
        *voxels += z[k].size;
    }
    return m;
}

bool same_matrix(const matrix &got, int64_t got_voxels, const rdx_zone_matrix &want)
{
    if (got.size() != want.n || got_voxels != want.n_voxels)
        return false;
    size_t k = 0;
    for (const auto &e : got) {
        const rdx_zone_count &w = want.e[k++];
        if (e.first.first != w.grey || e.first.second != w.j || e.second != w.count)
            return false;
    }
    return true;
}

void check_distance(const vol &v, int in_plane, const char *what)
{
    std::vector<int32_t> want(v.n()), got(v.n(), -1);
    rdx_zones_border_distance(v.dim, v.morph.data(), in_plane, want.data());
    int err = rdx_cuda_zones_border_distance(v.dim, v.morph.data(), in_plane, got.data());
    CHECK(err == 0, "%s: %s", what, rdx_cuda_error_string(err));
    CHECK(got == want, "%s: %s distance map differs from the CPU", what, in_plane ? "in-plane" : "3D");
}

/* Kernel zones of v (3D, or every slice when in_plane) against rdx_zones_label
 * on the same volume or slice: labels, zone table and matrices. */
void check_zones(const vol &v, int linkage, int in_plane, bool with_dist, const char *what)
{
    const size_t n = v.n();
    const int64_t part_dim[3] = {v.dim[0], v.dim[1], in_plane ? 1 : v.dim[2]};
    const size_t part = (size_t)(part_dim[0] * part_dim[1] * part_dim[2]), parts = n / part;
    std::vector<int32_t> dist(n);
    rdx_zones_border_distance(v.dim, v.morph.data(), in_plane, dist.data());
    const int32_t *d = with_dist ? dist.data() : nullptr;

    std::vector<uint32_t> label(n, 0xDEADBEEFu), want(part);
    rdx_cuda_zone *z = nullptr;
    size_t nz = 0;
    int err = rdx_cuda_zones_label(v.dim, v.grey.data(), linkage, in_plane, d, label.data(), &z, &nz);
    CHECK(err == 0, "%s: %s", what, rdx_cuda_error_string(err));
    if (err)
        return;
    /* The zone table against the labels: zone k's first voxel is its smallest. */
    std::vector<int64_t> first(nz + 1, -1), size(nz + 1, 0);
    bool table_ok = true;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = label[i];
        table_ok &= l <= nz && (l == 0) == (v.grey[i] <= 0);
        if (l == 0 || l > nz)
            continue;
        if (first[l] < 0)
            first[l] = (int64_t)i;
        size[l]++;
        table_ok &= v.grey[i] == z[l - 1].grey;
    }
    for (size_t k = 1; k <= nz; k++)
        table_ok &= first[k] == (int64_t)z[k - 1].first && size[k] == (int64_t)z[k - 1].size &&
                    (k == 1 || first[k] > first[k - 1]);
    CHECK(table_ok, "%s: zone table disagrees with the labels", what);

    size_t a = 0; /* first zone of the current part (volume or slice) */
    uint32_t offset = 0;
    for (size_t p = 0; p < parts; p++) {
        size_t b = a;
        while (b < nz && z[b].first / part == p)
            b++;
        rdx_zone_matrix m;
        rdx_error e = {};
        rdx_status st = rdx_zones_label(part_dim, v.grey.data() + p * part, linkage, d ? d + p * part : nullptr,
                                        want.data(), &m, &e);
        CHECK(st == RDX_OK, "%s: CPU labelling: %s", what, e.msg);
        bool labels_ok = true;
        for (size_t i = 0; i < part; i++)
            labels_ok &= want[i] == (label[p * part + i] ? label[p * part + i] - offset : 0);
        CHECK(labels_ok, "%s, part %zu: labels differ from the CPU", what, p);
        int64_t voxels;
        matrix got = count_zones(z, a, b, with_dist, &voxels);
        CHECK(same_matrix(got, voxels, m), "%s, part %zu: %s matrix differs from the CPU (%zu vs %zu elements)", what,
              p, with_dist ? "distance" : "size", got.size(), m.n);
        rdx_zone_matrix_free(&m);
        offset += (uint32_t)(b - a);
        a = b;
    }
    CHECK(a == nz, "%s: %zu zones, %zu in the parts", what, nz, a);
    free(z);
}

/* Every check of one volume, under each schedule. */
void check_volume(const vol &v, int linkage, const char *name)
{
    for (const char *s : kSchedules) {
        set_schedule(s);
        char what[160];
        for (int in_plane = 0; in_plane < 2; in_plane++) {
            std::snprintf(what, sizeof what, "%s, %s, %s, linkage %d", name, s, in_plane ? "2D" : "3D", linkage);
            check_distance(v, in_plane, what);
            check_zones(v, linkage, in_plane, false, what);
            check_zones(v, linkage, in_plane, true, what);
        }
    }
}

/* Several volumes labelled in one packed call (3D and 2D inputs mixed, with
 * distance maps for all or for none): each input's zones and labels equal
 * those of its own call, which check_zones compares with the CPU. */
void check_packed(const std::vector<const vol *> &vs, int linkage)
{
    const size_t n = vs.size();
    std::vector<std::vector<int32_t>> dist(n);
    for (int with_dist = 0; with_dist < 2; with_dist++)
        for (const char *s : kSchedules) {
            set_schedule(s);
            std::vector<rdx_cuda_zones_input> in(n);
            size_t total = 0;
            for (size_t k = 0; k < n; k++) {
                const vol &v = *vs[k];
                const int in_plane = (int)(k % 2);
                dist[k].assign(v.n(), 0);
                rdx_zones_border_distance(v.dim, v.morph.data(), in_plane, dist[k].data());
                in[k] = {{v.dim[0], v.dim[1], v.dim[2]}, v.grey.data(), with_dist ? dist[k].data() : nullptr,
                         in_plane};
                total += v.n();
            }
            std::vector<rdx_cuda_zone *> z(n, nullptr);
            std::vector<size_t> nz(n, 0);
            std::vector<uint32_t> label(total, 0xDEADBEEFu);
            int err = rdx_cuda_zones_label_packed(in.data(), n, linkage, label.data(), z.data(), nz.data());
            CHECK(err == 0, "packed labelling, %s: %s", s, rdx_cuda_error_string(err));
            for (size_t k = 0, at = 0; !err && k < n; at += vs[k++]->n()) {
                rdx_cuda_zone *z1 = nullptr;
                size_t n1 = 0;
                std::vector<uint32_t> l1(vs[k]->n());
                int e1 = rdx_cuda_zones_label(in[k].dim, in[k].grey, linkage, in[k].in_plane, in[k].dist, l1.data(),
                                              &z1, &n1);
                CHECK(e1 == 0 && n1 == nz[k] && (n1 == 0 || !std::memcmp(z1, z[k], n1 * sizeof *z1)) &&
                          !std::memcmp(l1.data(), label.data() + at, l1.size() * sizeof(uint32_t)),
                      "packed input %zu of %zu (%s, %s distances, %s): %zu zones, alone %zu", k + 1, n,
                      in[k].in_plane ? "2D" : "3D", with_dist ? "with" : "without", s, nz[k], n1);
                free(z1);
            }
            for (rdx_cuda_zone *p : z)
                free(p);
        }
    printf("%zu volumes labelled in one packed call: the zones of each alone\n", n);
}

rdx_texture_input as_input(const vol &v, rdx_device device)
{
    return rdx_texture_input{{v.dim[0], v.dim[1], v.dim[2]}, {1, 1, 1}, v.grey.data(), 9, v.roi.data(),
                             v.morph.data(), nullptr, device};
}

/* GLSZM and GLDZM features of v on the CPU and through the kernels, all
 * aggregations; the CUDA values are returned in gpu. */
void check_families(const vol &v, const char *name, std::vector<double> *gpu)
{
    const rdx_texture t = {RDX_AGG_2D | RDX_AGG_3D, 1, 1, 1, 0, 1};
    typedef rdx_status (*family_fn)(const rdx_texture_input *, const rdx_texture *, double *, rdx_error *);
    const family_fn fams[2] = {rdx_family_glszm, rdx_family_gldzm};
    std::vector<double> cpu(RDX_F_COUNT, NAN);
    gpu->assign(RDX_F_COUNT, NAN);
    for (int f = 0; f < 2; f++) {
        rdx_error e = {};
        rdx_texture_input in = as_input(v, RDX_DEVICE_CPU);
        CHECK(fams[f](&in, &t, cpu.data(), &e) == RDX_OK, "%s: CPU family: %s", name, e.msg);
        in = as_input(v, RDX_DEVICE_CUDA);
        CHECK(fams[f](&in, &t, gpu->data(), &e) == RDX_OK, "%s: CUDA family: %s", name, e.msg);
    }
    const rdx_feature_def *tab = rdx_feature_table();
    int compared = 0, same = 0;
    for (int k = 0; k < RDX_F_COUNT; k++)
        if (tab[k].family == RDX_FAMILY_GLSZM || tab[k].family == RDX_FAMILY_GLDZM) {
            compared++;
            same += (*gpu)[k] == cpu[k] && std::isfinite(cpu[k]);
        }
    CHECK(compared == 96 && same == compared, "%s: %d of %d zone features bit-identical on CPU and CUDA", name,
          same, compared);
}

/* |got - ref| within half a unit of the reference's third significant digit
 * (IBSI tolerance 0 means agreement to the printed digits). */
void check_ibsi(const std::vector<double> &val, int id, double ref)
{
    double unit = std::pow(10.0, std::floor(std::log10(std::fabs(ref))) - 2);
    CHECK_NEAR(val[id], ref, 0.5 * unit, rdx_feature_table()[id].tag);
}

void test_digital_phantom(const std::string &root)
{
    vol v;
    if (!digital_phantom(root, &v)) {
        CHECK(false, "cannot read the IBSI digital phantom under %s", root.c_str());
        return;
    }
    check_volume(v, 1, "digital phantom");
    std::vector<double> val;
    check_families(v, "digital phantom", &val);
    /* IBSI-1 reference values, digital phantom (datasets/ibsi_reference). */
    check_ibsi(val, RDX_F_SZM_SZE_3D, 0.255);
    check_ibsi(val, RDX_F_SZM_LZE_3D, 550);
    check_ibsi(val, RDX_F_SZM_Z_PERC_3D, 0.0676);
    check_ibsi(val, RDX_F_SZM_LZE_2D, 43.9);
    check_ibsi(val, RDX_F_SZM_ZS_ENTR_2_5D, 3.08);
    check_ibsi(val, RDX_F_DZM_LDE_2D, 1.21);
    check_ibsi(val, RDX_F_DZM_ZDNU_2D, 3.79);
    check_ibsi(val, RDX_F_DZM_SDE_2_5D, 0.917);
    check_ibsi(val, RDX_F_DZM_ZD_ENTR_3D, 1.92);
}

void test_random_volumes()
{
    for (int trial = 0; trial < 6; trial++) {
        /* few grey levels make large, winding zones (many propagation steps) */
        vol v = random_vol(9 + trial % 3, 8, 5 + trial % 2, 2 + trial % 3, 100 + (uint64_t)trial);
        char name[64];
        std::snprintf(name, sizeof name, "random %d", trial);
        check_volume(v, 1, name);
        std::vector<double> val;
        check_families(v, name, &val);
    }
    /* linkage 2 and a one-slice volume */
    check_volume(random_vol(10, 9, 4, 3, 7), 2, "random linkage 2");
    check_volume(random_vol(13, 11, 1, 2, 8), 1, "random one slice");
    /* one grey level everywhere: a single zone crossing the whole box */
    vol full = random_vol(24, 20, 6, 1, 9);
    full.grey.assign(full.n(), 1);
    full.roi.assign(full.n(), 1);
    check_volume(full, 1, "one zone");
    vol a = random_vol(9, 8, 5, 2, 100), b = random_vol(13, 11, 1, 2, 8), c = random_vol(10, 9, 4, 3, 7);
    check_packed({&a, &b, &full, &c, &a}, 1);
    check_packed({&c, &a}, 2);
}

void test_errors()
{
    const int64_t dim[3] = {2, 2, 1}, bad[3] = {2, 0, 1};
    const int32_t grey[4] = {1, 1, 2, 0};
    rdx_cuda_zone *z = nullptr;
    size_t n = 0;
    CHECK(rdx_cuda_zones_label(bad, grey, 1, 0, nullptr, nullptr, &z, &n) != 0, "empty volume accepted");
    CHECK(rdx_cuda_zones_label(dim, grey, 0, 0, nullptr, nullptr, &z, &n) != 0, "linkage 0 accepted");
    CHECK(rdx_cuda_zones_label(dim, nullptr, 1, 0, nullptr, nullptr, &z, &n) != 0, "null grey accepted");
    int err = rdx_cuda_zones_label(dim, grey, 1, 0, nullptr, nullptr, &z, &n);
    /* 2x2: grey 1 at (0,0),(1,0) one zone; grey 2 at (0,1) */
    CHECK(err == 0 && n == 2 && z[0].size == 2 && z[1].grey == 2 && z[1].first == 2, "2x2 slice: %zu zones", n);
    free(z);

    /* Packed calls: every output is NULL / 0 after a failure (mixed distance
     * maps, a bad second input, no input, linkage 0). */
    const int32_t d4[4] = {1, 1, 1, 0};
    const rdx_cuda_zones_input ok = {{2, 2, 1}, grey, nullptr, 0}, with_dist = {{2, 2, 1}, grey, d4, 0},
                               empty = {{2, 0, 1}, grey, nullptr, 0};
    const rdx_cuda_zones_input mixed[2] = {ok, with_dist}, bad_second[2] = {ok, empty};
    rdx_cuda_zone *zz[2] = {(rdx_cuda_zone *)1, (rdx_cuda_zone *)1};
    size_t nn[2] = {7, 7};
    CHECK(rdx_cuda_zones_label_packed(mixed, 2, 1, nullptr, zz, nn) != 0 && !zz[0] && !zz[1] && !nn[0] && !nn[1],
          "packed: distance maps for some inputs only accepted");
    zz[0] = zz[1] = (rdx_cuda_zone *)1;
    CHECK(rdx_cuda_zones_label_packed(bad_second, 2, 1, nullptr, zz, nn) != 0 && !zz[0] && !zz[1],
          "packed: an empty second input accepted");
    CHECK(rdx_cuda_zones_label_packed(mixed, 0, 1, nullptr, zz, nn) != 0, "packed: no input accepted");
    zz[0] = zz[1] = (rdx_cuda_zone *)1;
    CHECK(rdx_cuda_zones_label_packed(mixed, 1, 0, nullptr, zz, nn) != 0 && !zz[0], "packed: linkage 0 accepted");
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        test_digital_phantom(source_dir());
        test_random_volumes();
        test_errors();
    });
}
