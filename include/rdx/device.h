/* Where computations run: the CPU reference (OpenMP) or a CUDA device. Both
 * give the same results: integer matrices identical, floating-point features
 * to 1e-9 relative (see README, "CPU and GPU"). */
#ifndef RDX_DEVICE_H
#define RDX_DEVICE_H

#include <stddef.h>
#include "rdx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { RDX_DEVICE_CPU = 0, RDX_DEVICE_CUDA = 1, RDX_DEVICE_AUTO = 2 } rdx_device;

/* "cpu", "cuda" or "auto"; anything else is RDX_E_INVALID. */
rdx_status rdx_device_parse(const char *name, rdx_device *out, rdx_error *err);

/* Resolve a request: CPU stays CPU; CUDA needs a usable device (else
 * RDX_E_UNSUPPORTED saying why: built without CUDA, no device, driver error);
 * AUTO takes CUDA when usable, else the CPU. *chosen is the device used and
 * description (if not NULL) says which, e.g. "cuda (NVIDIA H100 80GB HBM3)"
 * or "cpu (no CUDA device: ...)". */
rdx_status rdx_device_select(rdx_device requested, rdx_device *chosen, char *description, size_t len,
                             rdx_error *err);

/* On a chosen CUDA device: caps the device memory rdx holds at once (all
 * threads together) at mib MiB. A computation that would need more fails
 * with RDX_E_DEVICE ("out of memory"), which `--device auto` runs again on
 * the CPU. Call once, after rdx_device_select and before any computation;
 * RDX_E_DEVICE when the driver refuses. Nothing to do on the CPU. */
rdx_status rdx_device_set_memory_budget(rdx_device chosen, size_t mib, rdx_error *err);

#ifdef __cplusplus
}
#endif
#endif
