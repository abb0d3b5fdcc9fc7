/* kernels.h for builds without the CUDA toolkit: no device is ever usable, so
 * every computation stays on the CPU. */
#include <stdio.h>

#include "kernels.h"

enum { NOT_BUILT = 100 }; /* cudaErrorNoDevice */

int rdx_cuda_device_query(char *name, size_t name_len, char *why, size_t why_len)
{
    snprintf(name, name_len, "none");
    snprintf(why, why_len, "rdx was built without CUDA (nvcc was not found at build time)");
    return 0;
}

const char *rdx_cuda_error_string(int code)
{
    return code == NOT_BUILT ? "rdx was built without CUDA" : "unknown error";
}

int rdx_cuda_intensity_histogram(const float *x, size_t n, const rdx_disc_info *d, int64_t *hist)
{
    (void)x, (void)n, (void)d, (void)hist;
    return NOT_BUILT;
}

/* ---- resampling, discretisation, intensity statistics, IVH, local intensity (kernels/intensity.cu, kernels/resample.cu) ---- */

/* ---- GLCM and GLRLM (kernels/glcm.cu, kernels/glrlm.cu) ---- */

/* ---- GLSZM and GLDZM (kernels/zones.cu) ---- */

/* ---- NGTDM and NGLDM (kernels/neighbourhood.cu) ---- */

/* ---- morphology (kernels/morphology.cu) ---- */

/* ---- ROC statistics (kernels/roc.cu) ---- */

