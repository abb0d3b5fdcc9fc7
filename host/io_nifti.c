/* NIfTI-1 / NIfTI-2 reading and writing through the NIfTI C library (nifti2_io).
 * Geometry rules are documented at the top of io_volume.c. The library prints
 * diagnostics to stderr unless its debug level is 0, and reports failures only
 * as NULL / -1, so the messages here are our own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <nifti2_io.h>

#include "io_formats.h"

static int io_type_of(int datatype, rdx_io_type *t)
{
    switch (datatype) {
    case DT_INT8: *t = RDX_IO_INT8; return 1;
    case DT_UINT8: *t = RDX_IO_UINT8; return 1;
    case DT_INT16: *t = RDX_IO_INT16; return 1;
    case DT_UINT16: *t = RDX_IO_UINT16; return 1;
    case DT_INT32: *t = RDX_IO_INT32; return 1;
    case DT_UINT32: *t = RDX_IO_UINT32; return 1;
    case DT_INT64: *t = RDX_IO_INT64; return 1;
    case DT_UINT64: *t = RDX_IO_UINT64; return 1;
    case DT_FLOAT32: *t = RDX_IO_FLOAT32; return 1;
    case DT_FLOAT64: *t = RDX_IO_FLOAT64; return 1;
    }
    return 0;
}

/* Only 2D/3D scalar volumes: dimensions 4 to 7 (time, vector components) must be 1. */
static rdx_status check_shape(const nifti_image *nim, const char *path, rdx_error *err)
{
    if (nim->nt > 1 || nim->nu > 1 || nim->nv > 1 || nim->nw > 1)
        return rdx_error_set(err, RDX_E_UNSUPPORTED,
                             "%s: unsupported %lld-D image (dim[4..7] = %lld %lld %lld %lld); only 2D/3D "
                             "scalar images are supported",
                             path, (long long)nim->ndim, (long long)nim->nt, (long long)nim->nu,
                             (long long)nim->nv, (long long)nim->nw);
    if (nim->nx < 1 || nim->ny < 1 || nim->nz < 1)
        return rdx_error_set(err, RDX_E_FORMAT, "%s: not a valid NIfTI file: dimensions %lld x %lld x %lld",
                             path, (long long)nim->nx, (long long)nim->ny, (long long)nim->nz);
    return RDX_OK;
}

static double pixdim_or_one(double d)
{
    return isfinite(d) && d != 0.0 ? fabs(d) : 1.0;
}

/* Index-to-world columns and origin in LPS: sform, else qform, else pixdim. */
static void geometry_lps(const nifti_image *nim, double axis[3][3], double origin[3])
{
    const nifti_dmat44 *m = nim->sform_code > 0   ? &nim->sto_xyz
                            : nim->qform_code > 0 ? &nim->qto_xyz
                                                  : NULL;
    for (int r = 0; r < 3; r++) {
        double ras_to_lps = r < 2 ? -1.0 : 1.0;
        for (int c = 0; c < 3; c++)
            axis[c][r] = m ? ras_to_lps * m->m[r][c] : (r == c ? pixdim_or_one(nim->pixdim[c + 1]) : 0.0);
        origin[r] = m ? ras_to_lps * m->m[r][3] : 0.0;
    }
}

/* Read exactly n bytes at offset. The read of one byte past them makes zlib
 * reach the gzip trailer and check the CRC; znzread returns (size_t)-1 on a
 * corrupt stream, 0 or 1 otherwise. */
static int read_exact(znzFile fp, int64_t offset, void *buf, size_t n)
{
    char extra;
    return znzseek(fp, (znz_off_t)offset, SEEK_SET) >= 0 && znzread(buf, 1, n, fp) == n
           && znzread(&extra, 1, 1, fp) <= 1;
}

/* Whole-file decompression of a .nii.gz with libdeflate (several times faster
 * than zlib's streaming gzread). The gzip trailer gives the uncompressed size
 * (mod 2^32), so files whose data would pass 4 GiB take the streaming path.
 * The voxel block is moved to the front of the buffer, which becomes
 * nim->data. Returns 1 when it handled the file (st set), 0 to fall back. */
static int load_voxels_gzip(nifti_image *nim, const char *path, size_t nbytes, rdx_status *st, rdx_error *err)
{
    size_t need = (size_t)nim->iname_offset + nbytes;
    if (need >= ((size_t)1 << 32))
        return 0;
    FILE *f = fopen(nim->iname, "rb");
    if (!f)
        return 0;
    unsigned char *in = NULL, *out = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    *st = RDX_OK;
    if (len < 18 || fseek(f, 0, SEEK_SET) != 0 || !(in = malloc((size_t)len)) ||
        fread(in, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(in);
        return 0;
    }
    fclose(f);
    size_t isize = (size_t)in[len - 4] | (size_t)in[len - 3] << 8 | (size_t)in[len - 2] << 16 |
                   (size_t)in[len - 1] << 24;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t got = 0;
    if (isize < need)
        *st = rdx_error_set(err, RDX_E_FORMAT,
                            "%s: not a valid NIfTI file: data truncated (%zu of %zu bytes of voxel data)", path,
                            isize > (size_t)nim->iname_offset ? isize - (size_t)nim->iname_offset : 0, nbytes);
    else if (!d || !(out = malloc(isize)))
        *st = rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate %zu bytes of voxel data", path, isize);
    else if (libdeflate_gzip_decompress(d, in, (size_t)len, out, isize, &got) != LIBDEFLATE_SUCCESS ||
             got != isize)
        *st = rdx_error_set(err, RDX_E_FORMAT,
                            "%s: not a valid NIfTI file: corrupt gzip data (decompression or checksum failed)",
                            path);
    libdeflate_free_decompressor(d);
    free(in);
    if (*st) {
        free(out);
        return 1;
    }
    memmove(out, out + nim->iname_offset, nbytes);
    unsigned char *shrunk = realloc(out, nbytes ? nbytes : 1);
    nim->data = shrunk ? shrunk : out;
    return 1;
}

/* Streaming read through the NIfTI library's file layer (plain files, and
 * gzip files that load_voxels_gzip does not take). */
static rdx_status load_voxels_stream(nifti_image *nim, const char *path, size_t nbytes, rdx_error *err)
{
    znzFile fp = nim->iname_offset >= 0 ? znzopen(nim->iname, "rb", nifti_is_gzfile(nim->iname)) : NULL;
    if (znz_isnull(fp))
        return rdx_error_set(err, RDX_E_FORMAT, "%s: not a valid NIfTI file: cannot open the voxel data",
                             path);
    rdx_status st = RDX_OK;
    if (!(nim->data = malloc(nbytes)))
        st = rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate %zu bytes of voxel data", path, nbytes);
    else if (!read_exact(fp, nim->iname_offset, nim->data, nbytes))
        st = rdx_error_set(err, RDX_E_FORMAT,
                           "%s: not a valid NIfTI file: cannot read %zu bytes of voxel data "
                           "(truncated or corrupt)",
                           path, nbytes);
    znzclose(fp);
    return st;
}

/* Read the voxel block into nim->data (freed by nifti_image_free). Not
 * nifti_image_load: it silently replaces NaN/Inf floats by 0, and rdx must
 * report them. The library still parses the header and gives the data offset. */
static rdx_status load_voxels(nifti_image *nim, const char *path, rdx_error *err)
{
    size_t nbytes = (size_t)nim->nvox * (size_t)nim->nbyper;
    rdx_status st = RDX_OK;
    if (!(nim->iname_offset >= 0 && nifti_is_gzfile(nim->iname) && load_voxels_gzip(nim, path, nbytes, &st, err)))
        st = load_voxels_stream(nim, path, nbytes, err);
    if (st == RDX_OK && nim->swapsize > 1 && nim->byteorder != nifti_short_order())
        nifti_swap_Nbytes(nim->nvox, nim->swapsize, nim->data);
    return st;
}

/* Load the voxels of the header-only nim into out. */
static rdx_status convert(nifti_image *nim, const char *path, rdx_io_volume *out, rdx_error *err)
{
    if (!io_type_of(nim->datatype, &out->type))
        return rdx_error_set(err, RDX_E_UNSUPPORTED,
                             "%s: unsupported voxel type %s (complex, RGB and vector images are not "
                             "supported)",
                             path, nifti_datatype_string(nim->datatype));
    rdx_status st = check_shape(nim, path, err);
    if (st != RDX_OK)
        return st;

    double axis[3][3], origin[3];
    rdx_grid_init(&out->grid, nim->nx, nim->ny, nim->nz);
    geometry_lps(nim, axis, origin);
    if ((st = rdx_io_set_geometry(&out->grid, axis, origin, path, err)) != RDX_OK)
        return st;
    if ((st = load_voxels(nim, path, err)) != RDX_OK)
        return st;
    out->data = nim->data; /* taken over: nifti_image_free leaves a NULL data alone */
    nim->data = NULL;
    out->slope = nim->scl_slope;
    out->inter = nim->scl_inter;
    if (!(isfinite(out->slope) && out->slope != 0.0 && isfinite(out->inter))) {
        out->slope = 1.0;
        out->inter = 0.0;
    }
    return RDX_OK;
}

rdx_status rdx_nifti_read(const char *path, rdx_io_volume *out, rdx_error *err)
{
    memset(out, 0, sizeof *out);
    nifti_set_debug_level(0);
    nifti_image *nim = nifti_image_read(path, 0);
    if (!nim)
        return rdx_error_set(err, RDX_E_FORMAT,
                             "%s: not a valid NIfTI file: bad header, or truncated or corrupt file", path);
    rdx_status st = convert(nim, path, out, err);
    nifti_image_free(nim);
    return st;
}

/* Store g as sform and qform (RAS, code 1) plus pixdim. */
static void set_geometry(nifti_image *nim, const rdx_grid *g)
{
    nifti_dmat44 m;
    memset(&m, 0, sizeof m);
    for (int r = 0; r < 3; r++) {
        double lps_to_ras = r < 2 ? -1.0 : 1.0;
        for (int c = 0; c < 3; c++)
            m.m[r][c] = lps_to_ras * g->direction[r * 3 + c] * g->spacing[c];
        m.m[r][3] = lps_to_ras * g->origin[r];
    }
    m.m[3][3] = 1.0;
    nim->sto_xyz = m;
    nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;

    double dx, dy, dz;
    nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
                            &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz, &nim->qfac);
    nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
    nim->dx = nim->pixdim[1] = g->spacing[0];
    nim->dy = nim->pixdim[2] = g->spacing[1];
    nim->dz = nim->pixdim[3] = g->spacing[2];
    nim->pixdim[0] = nim->qfac;
    nim->xyz_units = NIFTI_UNITS_MM;
}

rdx_status rdx_nifti_write(const char *path, const rdx_grid *g, const void *data, rdx_io_type type,
                           rdx_error *err)
{
    const int64_t dims[8] = {3, g->dim[0], g->dim[1], g->dim[2], 1, 1, 1, 1};
    nifti_set_debug_level(0);
    nifti_image *nim = nifti_make_new_nim(dims, type == RDX_IO_FLOAT32 ? DT_FLOAT32 : DT_UINT8, 0);
    if (!nim)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot create NIfTI header", path);
    set_geometry(nim, g);

    rdx_status st = RDX_OK;
    if (nifti_set_filenames(nim, path, 0, 1) != 0) {
        st = rdx_error_set(err, RDX_E_IO, "%s: cannot write: not a valid NIfTI file name", path);
    } else {
        /* Borrowed: the library only reads it, and it is detached before nifti_image_free. */
        nim->data = (void *)data;
        /* Mode 3 = write data and leave the file open, so that a failed open
         * (NULL) and a failed final flush (close) both show. */
        znzFile fp = nifti_image_write_hdr_img(nim, 3, "wb");
        if (znz_isnull(fp))
            st = rdx_error_set(err, RDX_E_IO, "%s: cannot write: cannot open the file", path);
        else if (znzclose(fp) != 0)
            st = rdx_error_set(err, RDX_E_IO, "%s: cannot write: error while closing the file", path);
        nim->data = NULL;
    }
    nifti_image_free(nim);
    return st;
}
