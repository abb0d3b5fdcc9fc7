/* Host entry points of rdx's CUDA kernels, callable from C.
 *
 * The same functions come from two libraries built from the .cu files in
 * kernels/: rdx_kernels_cuda (nvcc, runs on the GPU) and rdx_kernels_emu (g++
 * with the SIMT emulator, runs on the CPU; used by the tests). A program links
 * one of the two. Each function copies its inputs to the device, runs, copies the
 * results back and returns 0, or a CUDA error code (cudaError_t), which
 * rdx_cuda_error_string names. Inputs are the caller's; nothing is kept. */
#ifndef RDX_KERNELS_H
#define RDX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "rdx/preprocess.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a CUDA device can run kernels (always 1 in the emulator), else 0. */
int rdx_cuda_device_available(void);

/* Static text naming a code returned by the functions below. */
const char *rdx_cuda_error_string(int code);

/* hist[b - 1] = number of x[i] (i < n) whose grey level rdx_disc_bin(x[i], d)
 * is b, for b = 1 .. d->n_bins; hist has d->n_bins entries and is overwritten.
 * Integer counts: identical to the CPU whatever the execution order. Fails with
 * cudaErrorInvalidValue for null pointers, n_bins < 1 or n >= 2^40. */
int rdx_cuda_intensity_histogram(const float *x, size_t n, const rdx_disc_info *d, int64_t *hist);

#ifdef __cplusplus
}
#endif
#endif
