/* Error records: see include/rdx/error.h. */
#include "rdx/error.h"

#include <stdarg.h>
#include <stdio.h>

rdx_status rdx_error_set(rdx_error *err, rdx_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void rdx_error_clear(rdx_error *err)
{
    if (err) {
        err->code = RDX_OK;
        err->msg[0] = '\0';
    }
}

const char *rdx_status_name(rdx_status code)
{
    switch (code) {
    case RDX_OK: return "ok";
    case RDX_E_IO: return "io";
    case RDX_E_FORMAT: return "format";
    case RDX_E_UNSUPPORTED: return "unsupported";
    case RDX_E_MISMATCH: return "mismatch";
    case RDX_E_EMPTY_ROI: return "empty-roi";
    case RDX_E_INVALID: return "invalid";
    case RDX_E_NOMEM: return "memory";
    case RDX_E_SETTINGS: return "settings";
    case RDX_E_DEVICE: return "device";
    }
    return "unknown";
}
