/* Backend selection (include/rdx/device.h). */
#include "rdx/device.h"

#include <stdio.h>
#include <string.h>

#include "kernels.h"

rdx_status rdx_device_parse(const char *name, rdx_device *out, rdx_error *err)
{
    static const char *const names[] = {"cpu", "cuda", "auto"};
    for (int d = 0; d < 3; d++)
        if (!strcmp(name, names[d])) {
            *out = (rdx_device)d;
            return RDX_OK;
        }
    return rdx_error_set(err, RDX_E_INVALID, "unknown device '%s' (expected cpu, cuda or auto)", name);
}

rdx_status rdx_device_select(rdx_device requested, rdx_device *chosen, char *description, size_t len,
                             rdx_error *err)
{
    char why[256] = "", name[256] = "";
    int usable = requested != RDX_DEVICE_CPU && rdx_cuda_device_query(name, sizeof name, why, sizeof why);
    *chosen = usable ? RDX_DEVICE_CUDA : RDX_DEVICE_CPU;
    if (requested == RDX_DEVICE_CUDA && !usable)
        return rdx_error_set(err, RDX_E_UNSUPPORTED, "--device cuda: %s", why);
    if (description) {
        if (usable)
            snprintf(description, len, "cuda (%s)", name);
        else if (requested == RDX_DEVICE_AUTO)
            snprintf(description, len, "cpu (%s)", why);
        else
            snprintf(description, len, "cpu");
    }
    return RDX_OK;
}

rdx_status rdx_device_set_memory_budget(rdx_device chosen, size_t mib, rdx_error *err)
{
    if (chosen != RDX_DEVICE_CUDA)
        return RDX_OK;
    int code = rdx_cuda_set_memory_budget(mib << 20);
    return code ? rdx_error_set(err, RDX_E_DEVICE, "device memory budget of %zu MiB: %s", mib,
                                rdx_cuda_error_string(code))
                : RDX_OK;
}
