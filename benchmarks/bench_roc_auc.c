/* The computation pROC's ci.auc(method = "bootstrap") does, with rdx's library:
 * stratified bootstrap replicates of the AUC and their percentile interval.
 * Prints the AUC, the interval and the seconds spent (data loading excluded,
 * as system.time() around ci.auc in bench_roc_proc.R).
 * Usage: bench_roc_auc DATA.csv BOOT_N [cpu|cuda|auto]   (columns truth 0/1 and
 * score; default device cpu). Also built by CMake (build/bench_roc_auc) with the
 * CUDA kernels, for benchmarks/bench_device.sh. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>

#include "rdx/roc.h"
#include "bench_util.h"
#include "table_csv.h"

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: bench_roc_auc DATA.csv BOOT_N [cpu|cuda|auto]\n");
        return 2;
    }
    size_t n_boot = (size_t)strtoul(argv[2], NULL, 10);
    rdx_error err;
    rdx_device device;
    char device_text[256];
    if (rdx_device_parse(argc == 4 ? argv[3] : "cpu", &device, &err) ||
        rdx_device_select(device, &device, device_text, sizeof device_text, &err))
        return bench_fail("bench_roc_auc", &err);
    rdx_csv t;
    size_t c_truth, c_score;
    if (rdx_csv_read(argv[1], &t, &err) || rdx_csv_column(&t, "truth", &c_truth, &err) ||
        rdx_csv_column(&t, "score", &c_score, &err))
        return bench_fail("bench_roc_auc", &err);
    double *score = malloc(t.n_rows * sizeof *score), *reps = malloc(n_boot * sizeof *reps);
    uint8_t *label = malloc(t.n_rows);
    double truth;
    for (size_t r = 0; r < t.n_rows; r++)
        if (rdx_csv_number(&t, r, c_truth, &truth, &err) || rdx_csv_number(&t, r, c_score, &score[r], &err))
            return bench_fail("bench_roc_auc", &err);
        else
            label[r] = truth == 1;

    rdx_roc_column c;
    rdx_boot_design d;
    rdx_boot_interval iv;
    if (rdx_roc_column_init(&c, score, label, t.n_rows, RDX_ROC_HIGHER, RDX_NAN_ERROR, &err) ||
        rdx_boot_design_init(&d, label, t.n_rows, 1, 1, &err))
        return bench_fail("bench_roc_auc", &err);
    d.device = device;
    /* The first CUDA call starts the device context (a one-off cost of a process, not of the bootstrap). */
    if (device == RDX_DEVICE_CUDA && rdx_boot_auc(&c, 1, &d, n_boot < 1000 ? n_boot : 1000, reps, &err))
        return bench_fail("bench_roc_auc", &err);
    double t0 = bench_now();
    if (rdx_boot_auc(&c, 1, &d, n_boot, reps, &err) ||
        rdx_boot_ci(reps, n_boot, rdx_roc_auc(&c), NULL, 0, 0.95, &iv, &err))
        return bench_fail("bench_roc_auc", &err);
    double seconds = bench_now() - t0;

    printf("rdx auc %.10f ci %.6f %.6f seconds %.6f device %s\n", rdx_roc_auc(&c), iv.percentile[0],
           iv.percentile[1], seconds, device_text);
    rdx_roc_column_free(&c);
    rdx_boot_design_free(&d);
    rdx_csv_free(&t);
    free(score);
    free(reps);
    free(label);
    return 0;
}
