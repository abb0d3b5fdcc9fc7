/* What the kernel test programs (test_kernel_*.cpp, C++) share: main()'s
 * frame, the emulator's schedules, the random source and the data root.
 * Each program is built twice (kernels/CMakeLists.txt): against the SIMT
 * emulator, and as <name>_cuda against the GPU build, which exits 77
 * (skipped) on a machine without a device. */
#ifndef RDX_KERNELS_TEST_SUPPORT_H
#define RDX_KERNELS_TEST_SUPPORT_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "check.h"
#include "kernels.h"

/* The block and thread orders most checks run under (see set_schedule). */
static const char *const kSchedules[] = {"forward", "reverse", "random:11"};

/* The order in which the emulator runs blocks and threads from the next
 * launch on; a GPU ignores it. A kernel whose result depends on it races. */
static inline void set_schedule(const char *schedule) { setenv("SIMT_SCHEDULE", schedule, 1); }

/* splitmix64: reproducible random inputs from a seed. */
static inline uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The repository root (the test data): RDX_SOURCE_DIR, else ".". */
static inline const char *source_dir()
{
    const char *root = getenv("RDX_SOURCE_DIR");
    return root ? root : ".";
}

/* The whole of main(): returns 77 (skipped) without a device; otherwise runs
 * checks(), prints the time it took and returns check_summary(name). */
template <class Checks>
static inline int run_kernel_test(const char *name, Checks checks)
{
    char device[256], why[256];
    if (!rdx_cuda_device_query(device, sizeof device, why, sizeof why)) {
        printf("%s: %s, skipped\n", name, why);
        return 77;
    }
    const auto t0 = std::chrono::steady_clock::now();
    checks();
    printf("%s: %.2f s\n", name, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return check_summary(name);
}

#endif
