/* The intensity histogram kernel (rdx_cuda_intensity_histogram) against the
 * CPU reference, a plain loop over rdx_disc_bin, under several SIMT schedules:
 * the counts must be identical. On the IBSI CT phantom (configuration A:
 * re-segmentation [-500, 400] HU, fixed bin size 25 HU from -500) the
 * histogram is also checked against IBSI-1 reference values.
 *
 * Built twice: against the emulator (test_kernel_histogram) and against the
 * GPU (test_kernel_histogram_cuda, which exits 77 = skipped without a device). */
#include "kernels.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_support.h"
#include "rdx/io.h"
#include "voxel_ops.h"

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_histogram"
#endif

namespace {

std::vector<int64_t> cpu_histogram(const std::vector<float> &x, const rdx_disc_info &d)
{
    std::vector<int64_t> h((size_t)d.n_bins, 0);
    for (float v : x)
        h[(size_t)rdx_disc_bin(v, &d) - 1]++;
    return h;
}

/* The kernel's histogram under each schedule; empty when a call fails. */
std::vector<int64_t> check_against_cpu(const char *what, const std::vector<float> &x, const rdx_disc_info &d)
{
    const std::vector<int64_t> want = cpu_histogram(x, d);
    std::vector<int64_t> got;
    for (const char *s : {"forward", "reverse", "random:7"}) {
        set_schedule(s);
        got.assign((size_t)d.n_bins, -1);
        int err = rdx_cuda_intensity_histogram(x.data(), x.size(), &d, got.data());
        CHECK(err == 0, "%s, %s: %s", what, s, rdx_cuda_error_string(err));
        size_t first = 0;
        while (first < got.size() && got[first] == want[first])
            first++;
        CHECK(first == got.size(), "%s, %s: bin %zu: kernel %lld, CPU %lld", what, s, first + 1,
              first < got.size() ? (long long)got[first] : 0LL, first < got.size() ? (long long)want[first] : 0LL);
        if (err)
            return {};
    }
    return got;
}

/* Grey level of 0-based rank k among the counted values. */
int level_at_rank(const std::vector<int64_t> &h, int64_t k)
{
    int64_t seen = 0;
    for (size_t b = 0; b < h.size(); b++)
        if ((seen += h[b]) > k)
            return (int)b + 1;
    return -1;
}

void test_ct_phantom(const std::string &root)
{
    rdx_image img = {};
    rdx_mask mask = {};
    rdx_error err = {};
    std::string dir = root + "/datasets/ibsi_ct_phantom/";
    if (rdx_image_read((dir + "image.nii.gz").c_str(), &img, &err) != RDX_OK ||
        rdx_mask_read((dir + "mask.nii.gz").c_str(), RDX_LABEL_ANY, &mask, &err) != RDX_OK) {
        CHECK(false, "CT phantom: %s", err.msg);
        rdx_image_free(&img);
        return;
    }
    std::vector<float> roi;
    float hi = -INFINITY;
    for (size_t i = 0; i < rdx_grid_count(&img.grid); i++)
        if (mask.data[i] && img.data[i] >= -500.0f && img.data[i] <= 400.0f) {
            roi.push_back(img.data[i]);
            hi = std::fmax(hi, img.data[i]);
        }
    rdx_image_free(&img);
    rdx_mask_free(&mask);
    /* IBSI 2.7, fixed bin size: bin of x is floor((x + 500) / 25) + 1; the highest is that of the ROI maximum. */
    rdx_disc_info d = {RDX_DISC_FIXED_BIN_SIZE, 0, -500.0, 400.0, 25.0};
    d.n_bins = (int)std::floor((hi + 500.0) / 25.0) + 1;
    std::vector<int64_t> h = check_against_cpu("CT phantom FBS 25", roi, d);
    if (h.empty())
        return;
    int64_t n = 0;
    size_t mode = 0;
    for (size_t b = 0; b < h.size(); b++) {
        n += h[b];
        mode = h[b] > h[mode] ? b : mode;
    }
    /* IBSI-1 configuration A reference values (datasets/ibsi_reference): ROI
     * voxels after re-segmentation 114596 +- 1000; ih_min 1, ih_max 36,
     * ih_mode 23, ih_median 22 (all with tolerance 0). */
    CHECK(n == (int64_t)roi.size(), "counts sum to %lld, ROI has %zu voxels", (long long)n, roi.size());
    CHECK(std::llabs(n - 114596) <= 1000, "ROI voxels %lld, IBSI 114596 +- 1000", (long long)n);
    CHECK(level_at_rank(h, 0) == 1 && level_at_rank(h, n - 1) == 36, "grey levels %d .. %d, IBSI 1 .. 36",
          level_at_rank(h, 0), level_at_rank(h, n - 1));
    CHECK(mode + 1 == 23, "mode %zu, IBSI 23", mode + 1);
    double median = 0.5 * (level_at_rank(h, (n - 1) / 2) + level_at_rank(h, n / 2));
    CHECK(median == 22.0, "median %g, IBSI 22", median);
}

void test_random_inputs()
{
    uint64_t seed = 2024;
    /* Fixed bin number 32 over the data range; 100003 voxels fill the grid
     * unevenly, and the maximum itself must land in bin 32. */
    std::vector<float> x(100003);
    float lo = INFINITY, hi = -INFINITY;
    for (float &v : x) {
        v = (float)((double)(splitmix64(&seed) >> 11) * 0x1p-53 * 4000.0 - 1000.0);
        lo = std::fmin(lo, v);
        hi = std::fmax(hi, v);
    }
    rdx_disc_info fbn = {RDX_DISC_FIXED_BIN_NUMBER, 32, lo, hi, (hi - lo) / 32.0};
    check_against_cpu("random FBN 32", x, fbn);

    /* 20000 grey levels do not fit in shared memory: the global-atomics path. */
    std::vector<float> levels(50000);
    for (float &v : levels)
        v = (float)(1 + splitmix64(&seed) % 20000);
    rdx_disc_info none = {RDX_DISC_NONE, 20000, 1.0, 20000.0, 1.0};
    check_against_cpu("random, 20000 levels", levels, none);

    std::vector<float> one(1, 7.5f);
    check_against_cpu("one voxel", one, fbn);
    std::vector<int64_t> h(32, -1);
    CHECK(rdx_cuda_intensity_histogram(nullptr, 0, &fbn, h.data()) == 0 && h[0] == 0 && h[31] == 0,
          "empty input: zero counts");
    CHECK(rdx_cuda_intensity_histogram(x.data(), x.size(), &fbn, nullptr) != 0, "null output accepted");
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        test_ct_phantom(source_dir());
        test_random_inputs();
    });
}
