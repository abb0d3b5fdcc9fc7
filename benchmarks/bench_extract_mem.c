/* Feature extraction with the volumes already in memory: reads one case once
 * (timed: the decoding), then runs rdx_extract_case on it REPEAT times on the
 * chosen device and reports cases per second of the computation alone. This is
 * the figure the GPU target of issue #5 is stated in (cases/s for ROIs of about
 * 10^5 voxels with the volumes in memory); benchmarks/bench_device.sh runs it.
 * With PACK > 1 the REPEAT cases go through rdx_case_prepare and
 * rdx_cases_finish PACK at a time, as `rdx extract --pack` does on a CUDA
 * device (several cases' matrices in shared launches).
 * Usage: bench_extract_mem IMAGE MASK SETTINGS.yaml REPEAT [cpu|cuda|auto [PACK]]
 * Prints one line: read_s, compute_s (per case, mean), cases_per_s, roi_voxels,
 * pack, launches per case (the SIMT emulator's count, in bench_extract_mem_emu;
 * -1 elsewhere), device. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rdx/rdx.h"
#include "bench_util.h"

/* Kernel launches so far: the emulator's count (bench_extract_mem_emu only). */
unsigned long long simt_grids_run(void) __attribute__((weak));

/* REPEAT cases of img and mask, pack at a time (1: rdx_extract_case). */
static int run_cases(const rdx_image *img, const rdx_mask *mask, const rdx_settings *s, rdx_device device,
                     const char *path, long repeat, long pack, double *values, rdx_error *err)
{
    if (pack <= 1) {
        for (long r = 0; r < repeat; r++)
            if (rdx_extract_case(img, mask, s, device, path, values, err))
                return -1;
        return 0;
    }
    rdx_prepared_case **pc = calloc((size_t)pack, sizeof *pc);
    rdx_status *st = calloc((size_t)pack, sizeof *st);
    rdx_error *errs = calloc((size_t)pack, sizeof *errs);
    int failed = !pc || !st || !errs;
    for (long r = 0; r < repeat && !failed; r += pack) {
        size_t n = 0;
        for (; n < (size_t)pack && r + (long)n < repeat && !failed; n++) /* every case writes the same values */
            failed = rdx_case_prepare(img, mask, s, device, path, values, &pc[n], err) != RDX_OK;
        rdx_cases_finish(pc, n - (failed ? 1 : 0), st, errs);
        for (size_t k = 0; k < n && !failed; k++)
            if (st[k]) {
                *err = errs[k];
                failed = 1;
            }
    }
    free(pc);
    free(st);
    free(errs);
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: bench_extract_mem IMAGE MASK SETTINGS.yaml REPEAT [cpu|cuda|auto [PACK]]\n");
        return 2;
    }
    long repeat = strtol(argv[4], NULL, 10), pack = argc == 7 ? strtol(argv[6], NULL, 10) : 1;
    rdx_error err = {0};
    rdx_settings s;
    rdx_device device;
    char device_text[256];
    rdx_settings_default(&s);
    if (repeat < 1 || pack < 1 || rdx_settings_load(argv[3], &s, &err) ||
        rdx_device_parse(argc >= 6 ? argv[5] : "cpu", &device, &err) ||
        rdx_device_select(device, &device, device_text, sizeof device_text, &err))
        return repeat < 1 || pack < 1 ? 2 : bench_fail("bench_extract_mem", &err);

    rdx_image img;
    rdx_mask mask;
    double t0 = bench_now();
    if (rdx_image_read(argv[1], &img, &err) || rdx_mask_read(argv[2], s.label, &mask, &err))
        return bench_fail("bench_extract_mem", &err);
    double read_s = bench_now() - t0;

    double *values = malloc(RDX_F_COUNT * sizeof *values);
    /* One run first: it starts the CUDA context and warms the caches. */
    if (!values || rdx_extract_case(&img, &mask, &s, device, argv[1], values, &err))
        return bench_fail("bench_extract_mem", &err);
    unsigned long long l0 = simt_grids_run ? simt_grids_run() : 0;
    t0 = bench_now();
    if (run_cases(&img, &mask, &s, device, argv[1], repeat, pack, values, &err))
        return bench_fail("bench_extract_mem", &err);
    double compute_s = (bench_now() - t0) / (double)repeat;
    double launches = simt_grids_run ? (double)(simt_grids_run() - l0) / (double)repeat : -1.0;
    printf("read_s %.6f compute_s %.6f cases_per_s %.2f roi_voxels %zu pack %ld launches_per_case %.2f device %s\n",
           read_s, compute_s, 1.0 / compute_s, rdx_mask_count(&mask), pack, launches, device_text);
    free(values);
    rdx_image_free(&img);
    rdx_mask_free(&mask);
    return 0;
}
