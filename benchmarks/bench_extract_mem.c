/* Feature extraction with the volumes already in memory: reads one case once
 * (timed: the decoding), then runs rdx_extract_case on it REPEAT times on the
 * chosen device and reports cases per second of the computation alone. This is
 * the figure the GPU target of issue #5 is stated in (cases/s for ROIs of about
 * 10^5 voxels with the volumes in memory); benchmarks/bench_device.sh runs it.
 * Usage: bench_extract_mem IMAGE MASK SETTINGS.yaml REPEAT [cpu|cuda|auto]
 * Prints one line: read_s, compute_s (per case, mean), cases_per_s, roi_voxels,
 * device. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rdx/rdx.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: bench_extract_mem IMAGE MASK SETTINGS.yaml REPEAT [cpu|cuda|auto]\n");
        return 2;
    }
    long repeat = strtol(argv[4], NULL, 10);
    rdx_error err = {0};
    rdx_settings s;
    rdx_device device;
    char device_text[256];
    rdx_settings_default(&s);
    if (repeat < 1 || rdx_settings_load(argv[3], &s, &err) ||
        rdx_device_parse(argc == 6 ? argv[5] : "cpu", &device, &err) ||
        rdx_device_select(device, &device, device_text, sizeof device_text, &err))
        return repeat < 1 ? 2 : bench_fail("bench_extract_mem", &err);

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
    t0 = bench_now();
    for (long r = 0; r < repeat; r++)
        if (rdx_extract_case(&img, &mask, &s, device, argv[1], values, &err))
            return bench_fail("bench_extract_mem", &err);
    double compute_s = (bench_now() - t0) / (double)repeat;
    printf("read_s %.6f compute_s %.6f cases_per_s %.2f roi_voxels %zu device %s\n", read_s, compute_s,
           1.0 / compute_s, rdx_mask_count(&mask), device_text);
    free(values);
    rdx_image_free(&img);
    rdx_mask_free(&mask);
    return 0;
}
