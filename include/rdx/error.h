/* Error reporting for the rdx C API.
 *
 * Every fallible function returns an rdx_status and, on failure, fills the
 * caller's rdx_error with one line of text that names the file and the problem.
 * The caller owns the rdx_error (usually on its stack); nothing is allocated. */
#ifndef RDX_ERROR_H
#define RDX_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RDX_OK = 0,
    RDX_E_IO = 1,          /* missing or unreadable file, write failure */
    RDX_E_FORMAT = 2,      /* corrupt or truncated file, unparsable content */
    RDX_E_UNSUPPORTED = 3, /* valid file with something rdx cannot handle (voxel type, ...) */
    RDX_E_MISMATCH = 4,    /* image and mask grids differ */
    RDX_E_EMPTY_ROI = 5,   /* no voxel in the ROI (also after re-segmentation) */
    RDX_E_INVALID = 6,     /* bad values: NaN/Inf voxels, bad settings values, bad arguments */
    RDX_E_NOMEM = 7,       /* allocation failed or would exceed the memory limit */
    RDX_E_SETTINGS = 8,    /* settings file missing, unparsable or with unknown keys */
    RDX_E_DEVICE = 9       /* the CUDA device failed: out of device memory, driver or kernel error */
} rdx_status;

#define RDX_ERROR_MSG_LEN 1024

typedef struct {
    rdx_status code;
    char msg[RDX_ERROR_MSG_LEN];
} rdx_error;

/* Record an error (printf-style message) and return its code. err may be NULL. */
rdx_status rdx_error_set(rdx_error *err, rdx_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Reset to RDX_OK with an empty message. */
void rdx_error_clear(rdx_error *err);

/* Short stable name of a status code ("io", "format", ...), for logs and the store. */
const char *rdx_status_name(rdx_status code);

#ifdef __cplusplus
}
#endif
#endif
