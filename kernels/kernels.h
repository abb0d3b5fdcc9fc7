/* Host entry points of rdx's CUDA kernels, callable from C.
 *
 * The same functions come from three libraries: rdx_kernels_cuda (nvcc, from the
 * .cu files, runs on the GPU), rdx_kernels_emu (the same .cu files through g++
 * and the SIMT emulator, runs on the CPU; used by the tests and rdx_emu) and
 * rdx_kernels_none (none.c, for builds without the CUDA toolkit: no device).
 * A program links one of them. Each function copies its inputs to the device, runs, copies the
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

/* 1 when a CUDA device can run kernels (always in the emulator), with its name
 * in name; else 0 with the reason in why ("no CUDA device", the driver's error). */
int rdx_cuda_device_query(char *name, size_t name_len, char *why, size_t why_len);

/* Static text naming a code returned by the functions below. */
const char *rdx_cuda_error_string(int code);

/* hist[b - 1] = number of x[i] (i < n) whose grey level rdx_disc_bin(x[i], d)
 * is b, for b = 1 .. d->n_bins; hist has d->n_bins entries and is overwritten.
 * Integer counts: identical to the CPU whatever the execution order. Fails with
 * cudaErrorInvalidValue for null pointers, n_bins < 1 or n >= 2^40. */
int rdx_cuda_intensity_histogram(const float *x, size_t n, const rdx_disc_info *d, int64_t *hist);

/* ---- resampling, discretisation, intensity statistics, IVH, local intensity (kernels/intensity.cu, kernels/resample.cu) ---- */

/* ---- GLCM and GLRLM (kernels/glcm.cu, kernels/glrlm.cu) ---- */

/* ---- GLSZM and GLDZM (kernels/zones.cu) ---- */

/* ---- NGTDM and NGLDM (kernels/neighbourhood.cu) ---- */

/* ---- morphology (kernels/morphology.cu) ---- */

/* ---- ROC statistics (kernels/roc.cu) ---- */

#ifdef __cplusplus
}
#endif
#endif
