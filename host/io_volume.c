/* Reading and writing images and masks (include/rdx/io.h): format dispatch,
 * voxel conversion, NaN/Inf checks and label selection. The per-format code
 * lives in io_nifti.c (NIfTI C library) and io_nrrd.c (teem).
 *
 * Formats by file name (case-sensitive): .nii and .nii.gz are NIfTI-1/NIfTI-2,
 * .nrrd and .nhdr are NRRD; any other name fails with RDX_E_UNSUPPORTED.
 *
 * Geometry rules (result as in include/rdx/volume.h: LPS mm, origin = centre of
 * voxel (0,0,0), direction column c = unit world vector of index axis c):
 * - NIfTI: the 4x4 index-to-world affine is the sform when sform_code > 0, else
 *   the qform (quaternion, pixdim, qfac, qoffset) when qform_code > 0. NIfTI
 *   world space is RAS, so the first two rows of the affine (x and y, including
 *   the offset) are negated to get LPS. With neither code set, spacing is
 *   |pixdim[1..3]| (1.0 where zero or non-finite), direction identity, origin 0.
 * - NRRD: the "space directions" vectors are the affine columns and "space
 *   origin" the offset. Space left-posterior-superior is used as is;
 *   right-anterior-superior negates x and y, left-anterior-superior negates y;
 *   other spaces are unsupported. Without space information the spacing is the
 *   per-axis "spacings" value (1.0 where absent; a negative value flips that
 *   axis), direction identity and origin 0. A 2D NRRD with space directions gets
 *   z = x cross y with unit spacing.
 * - In both, spacing is the length of each affine column and the direction
 *   column is that column divided by its length.
 * - Writing: NIfTI-1 with sform and qform (code 1, scanner anatomical) both
 *   holding the RAS affine (first two rows negated back), pixdim = spacing,
 *   float32 images and uint8 masks. NRRD with space left-posterior-superior,
 *   space directions = direction column * spacing, gzip encoding. NIfTI-1
 *   stores the affine in float32, so a NIfTI round trip keeps geometry to float
 *   precision; NRRD keeps it to double precision.
 *
 * Voxel values: integer and float types convert to float32 (unscaled float32
 * data is used as read); masks of unscaled integers are compared with the
 * label as stored, others are rounded first. NIfTI scl_slope /
 * scl_inter are applied when the slope is non-zero and finite (skipped for the
 * identity (1, 0)). */
#include "rdx/io.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_formats.h"

typedef enum { FORMAT_UNKNOWN, FORMAT_NIFTI, FORMAT_NRRD } io_format;

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static io_format format_of(const char *path)
{
    if (ends_with(path, ".nii") || ends_with(path, ".nii.gz"))
        return FORMAT_NIFTI;
    if (ends_with(path, ".nrrd") || ends_with(path, ".nhdr"))
        return FORMAT_NRRD;
    return FORMAT_UNKNOWN;
}

static rdx_status unknown_format(const char *path, rdx_error *err)
{
    return rdx_error_set(err, RDX_E_UNSUPPORTED,
                         "%s: unsupported file type (expected .nii, .nii.gz, .nrrd or .nhdr)", path);
}

/* RDX_E_IO when path cannot be opened and read, so that a missing file is
 * reported as such whatever its name and the libraries' vaguer failures
 * below mean a bad file. */
static rdx_status check_readable(const char *path, rdx_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rdx_error_set(err, RDX_E_IO, "%s: cannot open: %s", path, strerror(errno));
    /* A directory opens fine on POSIX but fails on the first read. */
    (void)getc(f);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed)
        return rdx_error_set(err, RDX_E_IO, "%s: cannot read: %s", path, strerror(saved));
    return RDX_OK;
}

rdx_status rdx_io_set_geometry(rdx_grid *g, const double axis[3][3], const double origin[3],
                               const char *path, rdx_error *err)
{
    for (int c = 0; c < 3; c++) {
        double len = sqrt(axis[c][0] * axis[c][0] + axis[c][1] * axis[c][1] + axis[c][2] * axis[c][2]);
        if (!(len > 0.0) || !isfinite(len))
            return rdx_error_set(err, RDX_E_FORMAT,
                                 "%s: invalid geometry: index axis %d has zero or non-finite length", path,
                                 c);
        g->spacing[c] = len;
        for (int r = 0; r < 3; r++)
            g->direction[r * 3 + c] = axis[c][r] / len + 0.0; /* + 0.0 turns -0 into 0 */
    }
    for (int r = 0; r < 3; r++) {
        if (!isfinite(origin[r]))
            return rdx_error_set(err, RDX_E_FORMAT, "%s: invalid geometry: non-finite origin", path);
        g->origin[r] = origin[r] + 0.0;
    }
    return RDX_OK;
}

/* One loop per C type; unscaled values cast directly so that large integers
 * round once. */
#define CONVERT_LOOP(T)                                                        \
    do {                                                                       \
        const T *s = (const T *)src;                                           \
        if (scaled)                                                            \
            for (size_t i = 0; i < n; i++)                                     \
                dst[i] = (float)((double)s[i] * slope + inter);                \
        else                                                                   \
            for (size_t i = 0; i < n; i++)                                     \
                dst[i] = (float)s[i];                                          \
    } while (0)

void rdx_io_to_float(const void *src, rdx_io_type type, size_t n, double slope, double inter,
                     float *dst)
{
    int scaled = !(slope == 1.0 && inter == 0.0);
    switch (type) {
    case RDX_IO_INT8: CONVERT_LOOP(int8_t); break;
    case RDX_IO_UINT8: CONVERT_LOOP(uint8_t); break;
    case RDX_IO_INT16: CONVERT_LOOP(int16_t); break;
    case RDX_IO_UINT16: CONVERT_LOOP(uint16_t); break;
    case RDX_IO_INT32: CONVERT_LOOP(int32_t); break;
    case RDX_IO_UINT32: CONVERT_LOOP(uint32_t); break;
    case RDX_IO_INT64: CONVERT_LOOP(int64_t); break;
    case RDX_IO_UINT64: CONVERT_LOOP(uint64_t); break;
    case RDX_IO_FLOAT32: CONVERT_LOOP(float); break;
    case RDX_IO_FLOAT64: CONVERT_LOOP(double); break;
    }
}

#undef CONVERT_LOOP

/* Read any supported file as stored; out->data is NULL on failure. */
static rdx_status read_stored(const char *path, rdx_io_volume *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    rdx_status st = check_readable(path, err);
    if (st != RDX_OK)
        return st;
    switch (format_of(path)) {
    case FORMAT_NIFTI: return rdx_nifti_read(path, out, err);
    case FORMAT_NRRD: return rdx_nrrd_read(path, out, err);
    case FORMAT_UNKNOWN: break;
    }
    return unknown_format(path, err);
}

static int unscaled(const rdx_io_volume *v)
{
    return v->slope == 1.0 && v->inter == 0.0;
}

/* Unscaled integers are finite in float32 (even 64-bit ones): no NaN/Inf check. */
static int always_finite(const rdx_io_volume *v)
{
    return v->type != RDX_IO_FLOAT32 && v->type != RDX_IO_FLOAT64 && unscaled(v);
}

/* The stored volume as float32 (v->data is taken over or freed). Unscaled
 * float32 data becomes the image as it is: no copy, and no second buffer
 * to fault in. */
static rdx_status to_image(rdx_io_volume *v, rdx_image *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    if (v->type == RDX_IO_FLOAT32 && unscaled(v)) {
        out->grid = v->grid;
        out->data = v->data;
        v->data = NULL;
        return RDX_OK;
    }
    rdx_status st = rdx_image_alloc(out, &v->grid, err);
    if (st == RDX_OK)
        rdx_io_to_float(v->data, v->type, rdx_grid_count(&v->grid), v->slope, v->inter, out->data);
    free(v->data);
    v->data = NULL;
    return st;
}

/* 1 when some of the n floats is NaN or Inf (exponent bits all set): a
 * branch-free reduction the compiler vectorises; the slow search for the
 * first bad voxel runs only when there is one. */
static int any_not_finite(const float *x, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return bad != 0;
}

/* Fail with RDX_E_INVALID at the first NaN or Inf voxel (x fastest). */
static rdx_status check_finite(const rdx_image *img, const char *path, rdx_error *err)
{
    size_t n = rdx_grid_count(&img->grid);
    if (!any_not_finite(img->data, n))
        return RDX_OK;
    for (size_t v = 0; v < n; v++) {
        float x = img->data[v];
        if (isfinite(x))
            continue;
        size_t nx = (size_t)img->grid.dim[0], ny = (size_t)img->grid.dim[1];
        return rdx_error_set(err, RDX_E_INVALID, "%s: voxel (i,j,k) = (%zu,%zu,%zu) is %s", path, v % nx,
                             (v / nx) % ny, v / (nx * ny), isnan(x) ? "NaN" : (x > 0 ? "+Inf" : "-Inf"));
    }
    return RDX_OK;
}

rdx_status rdx_image_read(const char *path, rdx_image *out, rdx_error *err)
{
    rdx_io_volume v;
    memset(out, 0, sizeof *out);
    rdx_status st = read_stored(path, &v, err);
    if (st != RDX_OK)
        return st;
    int finite = always_finite(&v);
    st = to_image(&v, out, err);
    if (st == RDX_OK && !finite && (st = check_finite(out, path, err)) != RDX_OK)
        rdx_image_free(out);
    return st;
}


/* Mask of unscaled integer labels, straight from the stored type. */
#define LABEL_LOOP(T)                                                          \
    do {                                                                       \
        const T *s = (const T *)v->data;                                       \
        if (label == RDX_LABEL_ANY)                                            \
            for (size_t i = 0; i < n; i++)                                     \
                out[i] = s[i] != 0;                                            \
        else                                                                   \
            for (size_t i = 0; i < n; i++)                                     \
                out[i] = (double)s[i] == (double)label;                        \
    } while (0)

static void integer_labels(const rdx_io_volume *v, int label, uint8_t *out)
{
    size_t n = rdx_grid_count(&v->grid);
    switch (v->type) {
    case RDX_IO_INT8: LABEL_LOOP(int8_t); break;
    case RDX_IO_UINT8: LABEL_LOOP(uint8_t); break;
    case RDX_IO_INT16: LABEL_LOOP(int16_t); break;
    case RDX_IO_UINT16: LABEL_LOOP(uint16_t); break;
    case RDX_IO_INT32: LABEL_LOOP(int32_t); break;
    case RDX_IO_UINT32: LABEL_LOOP(uint32_t); break;
    case RDX_IO_INT64: LABEL_LOOP(int64_t); break;
    case RDX_IO_UINT64: LABEL_LOOP(uint64_t); break;
    case RDX_IO_FLOAT32: case RDX_IO_FLOAT64: break; /* not integer labels: float_labels */
    }
}

#undef LABEL_LOOP

/* Mask of float or scaled labels: rounded to the nearest integer, NaN/Inf refused. */
static rdx_status float_labels(rdx_io_volume *v, const char *path, int label, rdx_mask *out, rdx_error *err)
{
    rdx_image raw;
    rdx_status st = to_image(v, &raw, err);
    if (st == RDX_OK)
        st = check_finite(&raw, path, err);
    if (st == RDX_OK)
        st = rdx_mask_alloc(out, &raw.grid, err);
    if (st == RDX_OK) {
        size_t n = rdx_grid_count(&raw.grid);
        for (size_t i = 0; i < n; i++)
            out->data[i] = label == RDX_LABEL_ANY ? raw.data[i] != 0.0f
                                                  : round((double)raw.data[i]) == (double)label;
    }
    rdx_image_free(&raw);
    return st;
}

rdx_status rdx_mask_read(const char *path, int label, rdx_mask *out, rdx_error *err)
{
    rdx_io_volume v;
    memset(out, 0, sizeof *out);
    rdx_status st = read_stored(path, &v, err);
    if (st != RDX_OK)
        return st;
    if (!always_finite(&v))
        return float_labels(&v, path, label, out, err);
    if (v.type == RDX_IO_UINT8 || v.type == RDX_IO_INT8) { /* same size: labels in place, buffer kept */
        integer_labels(&v, label, v.data);
        out->grid = v.grid;
        out->data = v.data;
        return RDX_OK;
    }
    st = rdx_mask_alloc(out, &v.grid, err);
    if (st == RDX_OK)
        integer_labels(&v, label, out->data);
    free(v.data);
    return st;
}

/* RDX_E_IO when path cannot be created: checked here because the NIfTI
 * library reports that on stderr and without the reason. */
static rdx_status check_writable(const char *path, rdx_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return rdx_error_set(err, RDX_E_IO, "%s: cannot write: %s", path, strerror(errno));
    fclose(f);
    return RDX_OK;
}

static rdx_status write_volume(const char *path, const rdx_grid *g, const void *data, rdx_io_type type,
                               rdx_error *err)
{
    if (!data || g->dim[0] <= 0 || g->dim[1] <= 0 || g->dim[2] <= 0)
        return rdx_error_set(err, RDX_E_INVALID, "%s: nothing to write (empty volume)", path);
    io_format format = format_of(path);
    if (format == FORMAT_UNKNOWN)
        return unknown_format(path, err);
    rdx_status st = check_writable(path, err);
    if (st != RDX_OK)
        return st;
    return format == FORMAT_NIFTI ? rdx_nifti_write(path, g, data, type, err)
                                  : rdx_nrrd_write(path, g, data, type, err);
}

rdx_status rdx_image_write(const char *path, const rdx_image *img, rdx_error *err)
{
    return write_volume(path, &img->grid, img->data, RDX_IO_FLOAT32, err);
}

rdx_status rdx_mask_write(const char *path, const rdx_mask *m, rdx_error *err)
{
    return write_volume(path, &m->grid, m->data, RDX_IO_UINT8, err);
}
