/* NRRD reading and writing through teem (nrrdLoad / nrrdSave). Geometry rules
 * are documented at the top of io_volume.c. teem collects error text in its
 * process-wide biff store; each failure here takes it out with biffGetDone so
 * nothing accumulates (teem's biff is not thread-safe: read files from one
 * thread at a time). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <teem/nrrd.h>

#include "io_formats.h"

/* Record code with the innermost (last) line of teem's pending error text,
 * which names the cause; the outer lines only repeat "trouble reading". */
static rdx_status biff_error(rdx_status code, const char *path, const char *what, rdx_error *err)
{
    char *text = biffGetDone(NRRD);
    const char *cause = "unknown teem error";
    if (text) {
        size_t n = strlen(text);
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
            text[--n] = '\0';
        char *line = strrchr(text, '\n');
        cause = line ? line + 1 : text;
        if (strncmp(cause, "[nrrd] ", 7) == 0)
            cause += 7;
    }
    rdx_status st = rdx_error_set(err, code, "%s: %s: %s", path, what, cause);
    free(text);
    return st;
}

static int io_type_of(int type, rdx_io_type *t)
{
    switch (type) {
    case nrrdTypeChar: *t = RDX_IO_INT8; return 1;
    case nrrdTypeUChar: *t = RDX_IO_UINT8; return 1;
    case nrrdTypeShort: *t = RDX_IO_INT16; return 1;
    case nrrdTypeUShort: *t = RDX_IO_UINT16; return 1;
    case nrrdTypeInt: *t = RDX_IO_INT32; return 1;
    case nrrdTypeUInt: *t = RDX_IO_UINT32; return 1;
    case nrrdTypeLLong: *t = RDX_IO_INT64; return 1;
    case nrrdTypeULLong: *t = RDX_IO_UINT64; return 1;
    case nrrdTypeFloat: *t = RDX_IO_FLOAT32; return 1;
    case nrrdTypeDouble: *t = RDX_IO_FLOAT64; return 1;
    }
    return 0;
}

/* 2 or 3 axes of domain kind (trailing extra axes of size 1 allowed): a
 * vector/RGB/complex axis or a 4th dimension is unsupported. */
static rdx_status check_axes(const Nrrd *nrrd, const char *path, rdx_error *err)
{
    if (nrrd->dim < 2)
        return rdx_error_set(err, RDX_E_UNSUPPORTED, "%s: unsupported %u-D NRRD (need 2D or 3D)", path,
                             nrrd->dim);
    for (unsigned ax = 0; ax < nrrd->dim; ax++) {
        const NrrdAxisInfo *a = &nrrd->axis[ax];
        if (ax >= 3 && a->size > 1)
            return rdx_error_set(err, RDX_E_UNSUPPORTED,
                                 "%s: unsupported %u-D NRRD (axis %u has %zu samples); only 2D/3D scalar "
                                 "images are supported",
                                 path, nrrd->dim, ax, a->size);
        if (a->kind != nrrdKindUnknown && !nrrdKindIsDomain(a->kind) && a->size > 1)
            return rdx_error_set(err, RDX_E_UNSUPPORTED,
                                 "%s: unsupported axis %u of kind %s (complex, RGB and vector images are not "
                                 "supported)",
                                 path, ax, airEnumStr(nrrdKind, a->kind));
    }
    return RDX_OK;
}

/* Per-axis sign that turns the NRRD space into LPS; 0 when unsupported. */
static int lps_signs(int space, double sign[3])
{
    static const double lps[3] = {1, 1, 1}, ras[3] = {-1, -1, 1}, las[3] = {1, -1, 1};
    const double *s = space == nrrdSpaceLeftPosteriorSuperior    ? lps
                      : space == nrrdSpaceRightAnteriorSuperior ? ras
                      : space == nrrdSpaceLeftAnteriorSuperior  ? las
                                                                : NULL;
    if (s)
        memcpy(sign, s, sizeof lps);
    return s != NULL;
}

static void cross(const double a[3], const double b[3], double out[3])
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* Geometry from space directions / space origin, or from per-axis spacings. */
static rdx_status geometry(const Nrrd *nrrd, const char *path, rdx_grid *g, rdx_error *err)
{
    double axis[3][3] = {{0}}, origin[3] = {0, 0, 0}, sign[3];
    unsigned naxes = nrrd->dim < 3 ? nrrd->dim : 3;
    if (nrrd->spaceDim == 0) {
        for (unsigned c = 0; c < 3; c++) {
            double s = c < naxes ? nrrd->axis[c].spacing : NAN;
            axis[c][c] = isfinite(s) && s != 0.0 ? s : 1.0;
        }
        return rdx_io_set_geometry(g, axis, origin, path, err);
    }
    if (nrrd->spaceDim != 3 || !lps_signs(nrrd->space, sign))
        return rdx_error_set(err, RDX_E_UNSUPPORTED, "%s: unsupported NRRD space \"%s\" (%u-D)", path,
                             nrrd->space ? airEnumStr(nrrdSpace, nrrd->space) : "unknown", nrrd->spaceDim);
    for (unsigned c = 0; c < naxes; c++)
        for (int r = 0; r < 3; r++)
            axis[c][r] = sign[r] * nrrd->axis[c].spaceDirection[r];
    for (int r = 0; r < 3; r++)
        origin[r] = isfinite(nrrd->spaceOrigin[r]) ? sign[r] * nrrd->spaceOrigin[r] : 0.0;
    if (naxes == 2) {
        /* A 2D image has no third axis: use the unit in-plane normal (a zero
         * normal gives NaN, which rdx_io_set_geometry rejects). */
        cross(axis[0], axis[1], axis[2]);
        double len = sqrt(axis[2][0] * axis[2][0] + axis[2][1] * axis[2][1] + axis[2][2] * axis[2][2]);
        for (int r = 0; r < 3; r++)
            axis[2][r] /= len;
    }
    return rdx_io_set_geometry(g, axis, origin, path, err);
}

/* Take the voxels of the loaded nrrd into out. */
static rdx_status convert(Nrrd *nrrd, const char *path, rdx_io_volume *out, rdx_error *err)
{
    if (!io_type_of(nrrd->type, &out->type))
        return rdx_error_set(err, RDX_E_UNSUPPORTED, "%s: unsupported voxel type %s", path,
                             airEnumStr(nrrdType, nrrd->type));
    rdx_status st = check_axes(nrrd, path, err);
    if (st != RDX_OK)
        return st;
    rdx_grid_init(&out->grid, (int64_t)nrrd->axis[0].size, (int64_t)nrrd->axis[1].size,
                  nrrd->dim >= 3 ? (int64_t)nrrd->axis[2].size : 1);
    if ((st = geometry(nrrd, path, &out->grid, err)) != RDX_OK)
        return st;
    out->data = nrrd->data; /* taken over (teem allocates it with malloc); nrrdNuke skips NULL */
    nrrd->data = NULL;
    out->slope = 1.0;
    out->inter = 0.0;
    return RDX_OK;
}

rdx_status rdx_nrrd_read(const char *path, rdx_io_volume *out, rdx_error *err)
{
    rdx_status st;
    memset(out, 0, sizeof *out);
    Nrrd *nrrd = nrrdNew();
    if (!nrrd)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate a NRRD", path);
    if (nrrdLoad(nrrd, path, NULL))
        st = biff_error(RDX_E_FORMAT, path, "not a valid NRRD file", err);
    else
        st = convert(nrrd, path, out, err);
    nrrdNuke(nrrd);
    return st;
}

rdx_status rdx_nrrd_write(const char *path, const rdx_grid *g, const void *data, rdx_io_type type,
                          rdx_error *err)
{
    Nrrd *nrrd = nrrdNew();
    NrrdIoState *nio = nrrdIoStateNew();
    rdx_status st = RDX_OK;
    size_t size[3] = {(size_t)g->dim[0], (size_t)g->dim[1], (size_t)g->dim[2]};
    double origin[NRRD_SPACE_DIM_MAX] = {g->origin[0], g->origin[1], g->origin[2]};
    if (!nrrd || !nio) {
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate a NRRD", path);
    } else if (nrrdWrap_nva(nrrd, (void *)data, type == RDX_IO_FLOAT32 ? nrrdTypeFloat : nrrdTypeUChar, 3,
                            size) /* borrowed: nrrdNix below leaves it alone */
               || nrrdSpaceSet(nrrd, nrrdSpaceLeftPosteriorSuperior) || nrrdSpaceOriginSet(nrrd, origin)
               || nrrdIoStateEncodingSet(nio, nrrdEncodingGzip)) {
        st = biff_error(RDX_E_IO, path, "cannot write", err);
    } else {
        for (int c = 0; c < 3; c++) {
            nrrd->axis[c].kind = nrrdKindDomain;
            for (int r = 0; r < 3; r++)
                nrrd->axis[c].spaceDirection[r] = g->direction[r * 3 + c] * g->spacing[c];
        }
        if (nrrdSave(path, nrrd, nio))
            st = biff_error(RDX_E_IO, path, "cannot write", err);
    }
    nrrdNix(nrrd);
    nrrdIoStateNix(nio);
    return st;
}
