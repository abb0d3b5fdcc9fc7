/* The Moran's I / Geary's C pair-sum kernel (rdx_cuda_autocorr_pair_sums)
 * against a reference written here, the marching cubes kernel
 * (rdx_cuda_mesh_keys through rdx_mesh_from_mask_on) against the CPU mesh
 * (identical vertices and triangles), the maximum squared distance
 * (rdx_cuda_max_sq_distance) against a brute force written here, all under
 * several SIMT schedules, and
 * the morphology family on the device against the CPU: every feature equal,
 * Moran's I / Geary's C bit for bit on a subset and to 1e-12 relative exact.
 *
 * Built twice: against the emulator (test_kernel_morphology) and against the
 * GPU (test_kernel_morphology_cuda, which exits 77 = skipped without a device). */
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "test_support.h"
#include "rdx/settings.h"
extern "C" { /* C headers without extern "C" */
#include "families.h"
#include "mesh.h"
}

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_morphology"
#endif

namespace {

uint64_t rng = 0x2545F4914F6CDD1Dull;
uint32_t rnd() /* xorshift64, fixed seed */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

struct points {
    std::vector<int32_t> x, y, z;
    std::vector<double> d;
};

/* The documented order: for each i, partners j > i in index order into lanes
 * (j - i - 1) mod 4, lanes added as (l0 + l1) + (l2 + l3). */
std::vector<double> reference_sums(const points &p, const double s[3])
{
    const size_t n = p.d.size();
    std::vector<double> out(3 * n);
    for (size_t i = 0; i < n; i++) {
        double lane[3][4] = {};
        for (size_t j = i + 1; j < n; j++) {
            double dx = std::fabs((double)p.x[j] - p.x[i]) * s[0], dy = std::fabs((double)p.y[j] - p.y[i]) * s[1],
                   dz = std::fabs((double)p.z[j] - p.z[i]) * s[2];
            double w = 1.0 / std::sqrt(dx * dx + dy * dy + dz * dz);
            lane[0][(j - i - 1) % 4] += w;
            lane[1][(j - i - 1) % 4] += w * p.d[j];
            lane[2][(j - i - 1) % 4] += w * (p.d[j] * p.d[j]);
        }
        for (int c = 0; c < 3; c++)
            out[3 * i + c] = (lane[c][0] + lane[c][1]) + (lane[c][2] + lane[c][3]);
    }
    return out;
}

void test_pair_sums()
{
    const int dim[3] = {13, 9, 7};
    const double s[3] = {0.7, 1.3, 2.5};
    points p;
    for (int z = 0; z < dim[2]; z++) /* raster order, about a third of the box */
        for (int y = 0; y < dim[1]; y++)
            for (int x = 0; x < dim[0]; x++)
                if (rnd() % 3 == 0) {
                    p.x.push_back(x), p.y.push_back(y), p.z.push_back(z);
                    p.d.push_back(((double)(rnd() % 2001) - 1000.0) / 7.0);
                }
    const int64_t n = (int64_t)p.d.size();
    const std::vector<double> want = reference_sums(p, s);
    for (const char *sched : {"forward", "reverse", "random:11"}) {
        set_schedule(sched);
        std::vector<double> got(3 * (size_t)n, -1.0);
        int err = rdx_cuda_autocorr_pair_sums(p.x.data(), p.y.data(), p.z.data(), p.d.data(), n, s, got.data());
        CHECK(err == 0, "%s: %s", sched, rdx_cuda_error_string(err));
        size_t first = 0;
        while (first < got.size() && got[first] == want[first])
            first++;
        CHECK(first == got.size(), "%s: %lld points, sum %zu: kernel %.17g, reference %.17g", sched,
              (long long)n, first, first < got.size() ? got[first] : 0.0, first < got.size() ? want[first] : 0.0);
    }
    double s3[3] = {1, 1, 1};
    CHECK(rdx_cuda_autocorr_pair_sums(nullptr, nullptr, nullptr, nullptr, 5, s3, nullptr) != 0,
          "null inputs accepted");
}

/* Maximum squared distance over every pair, as rdx_sq_distance documents it
 * (component differences scaled, squared and added in x, y, z order): random
 * point sets of 0 .. 700 points, the farthest pair placed anywhere. */
void test_max_distance()
{
    const double s[3] = {0.35, 0.45, 1.25};
    for (int64_t n : {0, 1, 2, 3, 129, 700}) {
        std::vector<int32_t> p(3 * (size_t)n);
        for (auto &c : p)
            c = (int32_t)(rnd() % 2001) - 1000;
        double want = 0.0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < i; j++) {
                double dx = (double)(p[3 * i] - p[3 * j]) * s[0], dy = (double)(p[3 * i + 1] - p[3 * j + 1]) * s[1],
                       dz = (double)(p[3 * i + 2] - p[3 * j + 2]) * s[2];
                double d2 = dx * dx + dy * dy + dz * dz;
                want = d2 > want ? d2 : want;
            }
        for (const char *sched : kSchedules) {
            set_schedule(sched);
            double got = -1.0;
            int err = rdx_cuda_max_sq_distance(p.data(), n, s, &got);
            CHECK(err == 0 && got == want, "%s, %lld points: %s, kernel %.17g, reference %.17g", sched, (long long)n,
                  rdx_cuda_error_string(err), got, want);
        }
    }
    double d2;
    CHECK(rdx_cuda_max_sq_distance(nullptr, 5, s, &d2) != 0, "null points accepted");
}

bool same_mesh(const rdx_mesh &a, const rdx_mesh &b)
{
    return a.n_vertices == b.n_vertices && a.n_triangles == b.n_triangles &&
           std::equal(a.vertex, a.vertex + 3 * (size_t)a.n_vertices, b.vertex) &&
           std::equal(a.triangle, a.triangle + 3 * (size_t)a.n_triangles, b.triangle);
}

/* Random masks (every cube case occurs: 256 cases, about 2000 cubes each
 * mask), a single voxel, an empty mask and a full box. */
void test_mesh()
{
    const int64_t dims[4][3] = {{9, 7, 6}, {1, 1, 1}, {4, 3, 2}, {5, 4, 3}};
    for (int m = 0; m < 4; m++) {
        const int64_t *dim = dims[m], n = dim[0] * dim[1] * dim[2];
        std::vector<uint8_t> mask((size_t)n);
        for (auto &v : mask)
            v = m == 0 ? rnd() % 2 : m == 1 ? 1 : m == 2 ? 0 : 7;
        rdx_mesh cpu, gpu;
        rdx_error err = {};
        CHECK(rdx_mesh_from_mask_on(mask.data(), dim, RDX_DEVICE_CPU, &cpu, &err) == RDX_OK, "%s", err.msg);
        CHECK(m == 2 || cpu.n_triangles > 0, "mask %d: no triangles", m);
        for (const char *sched : {"forward", "reverse", "random:5"}) {
            set_schedule(sched);
            CHECK(rdx_mesh_from_mask_on(mask.data(), dim, RDX_DEVICE_CUDA, &gpu, &err) == RDX_OK, "%s", err.msg);
            CHECK(same_mesh(cpu, gpu), "mask %d, %s: %d/%d vertices, %lld/%lld triangles", m, sched,
                  (int)cpu.n_vertices, (int)gpu.n_vertices, (long long)cpu.n_triangles, (long long)gpu.n_triangles);
            rdx_mesh_free(&gpu);
        }
        rdx_mesh_free(&cpu);
    }
    const int64_t too_big[3] = {1, 1, (int64_t)1 << 19};
    uint64_t *keys = nullptr;
    int64_t n_tri = 0;
    CHECK(rdx_cuda_mesh_keys(nullptr, too_big, &keys, &n_tri) != 0 && !keys, "oversized box accepted");
}

/* A 10 x 8 x 6 box, intensity mask 400 voxels of a smooth field plus noise. */
void test_family()
{
    const int64_t nx = 10, ny = 8, nz = 6, n = nx * ny * nz;
    std::vector<uint8_t> morph((size_t)n, 1), roi((size_t)n);
    std::vector<float> val((size_t)n);
    std::vector<int32_t> grey((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        int64_t x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
        roi[(size_t)i] = z < 5;
        grey[(size_t)i] = roi[(size_t)i];
        val[(size_t)i] = (float)(3.0 * (double)x - 0.25 * (double)(y * y) + (double)z + (double)(rnd() % 5));
    }
    rdx_texture_input in = {};
    in.dim[0] = nx, in.dim[1] = ny, in.dim[2] = nz;
    in.spacing[0] = 0.9, in.spacing[1] = 1.1, in.spacing[2] = 2.0;
    in.grey = grey.data(), in.n_grey = 1, in.roi = roi.data(), in.morph = morph.data(), in.intensity = val.data();
    rdx_settings s;
    rdx_settings_default(&s);
    for (int limit : {50, 200000}) { /* subset of 50, then exact */
        s.morphology.max_exact_voxels = limit;
        double cpu[RDX_F_COUNT], gpu[RDX_F_COUNT];
        rdx_error err = {};
        in.device = RDX_DEVICE_CPU;
        CHECK(rdx_family_morphology(&in, &s, cpu, &err) == RDX_OK, "cpu: %s", err.msg);
        in.device = RDX_DEVICE_CUDA;
        CHECK(rdx_family_morphology(&in, &s, gpu, &err) == RDX_OK, "cuda: %s", err.msg);
        for (int f = RDX_F_MORPH_VOLUME; f <= RDX_F_MORPH_GEARY_C; f++) {
            const bool exact_pairs = limit != 50 && (f == RDX_F_MORPH_MORAN_I || f == RDX_F_MORPH_GEARY_C);
            const double tol = exact_pairs ? 1e-12 * std::fabs(cpu[f]) : 0.0;
            CHECK(std::fabs(cpu[f] - gpu[f]) <= tol || (std::isnan(cpu[f]) && std::isnan(gpu[f])),
                  "limit %d, feature %d: cpu %.17g cuda %.17g", limit, f, cpu[f], gpu[f]);
        }
        CHECK(std::isfinite(cpu[RDX_F_MORPH_MORAN_I]) && std::isfinite(cpu[RDX_F_MORPH_GEARY_C]), "limit %d: NaN",
              limit);
    }
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        test_pair_sums();
        test_max_distance();
        test_mesh();
        test_family();
    });
}
