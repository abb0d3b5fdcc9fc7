/* Device queries and error names for kernels.h. */
#include "common.h"
#include "kernels.h"

int rdx_cuda_device_available(void)
{
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

const char *rdx_cuda_error_string(int code) { return cudaGetErrorString(static_cast<cudaError_t>(code)); }
