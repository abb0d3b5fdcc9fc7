/* RDX_HOSTDEV marks functions compiled for both the host and the CUDA device
 * (nvcc); host compilers, and the SIMT emulator build, see nothing. */
#ifndef RDX_HOSTDEV_H
#define RDX_HOSTDEV_H

#if defined(__CUDACC__)
#define RDX_HOSTDEV __host__ __device__
#else
#define RDX_HOSTDEV
#endif

#endif
