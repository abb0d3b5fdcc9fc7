/* Image and mask reading/writing (include/rdx/io.h).
 *
 * References, all independent of rdx:
 * - IBSI digital phantom: voxels.csv lists every voxel (z,y,x,value,mask).
 * - IBSI CT phantom: IBSI-1 diagnostics for configuration A (dims, spacing,
 *   min/max/mean intensity, ROI voxel count, bounding box, ROI mean) and the
 *   same case's DICOM series, read with pydicom: first-slice ImagePositionPatient
 *   (-174.39450073242, -79.625503540039, -100.40000152587) with identity
 *   ImageOrientationPatient, and the HU of a few voxels (pixel_array[j, i] of
 *   the k-th slice by position, times RescaleSlope 1 plus RescaleIntercept -1000).
 * - PyRadiomics cases: NRRD header text and PyRadiomics' own baseline
 *   diagnostics (mask voxel count, bounding box, image min/max/mean).
 * - datasets/bad: hand-built files (scripts/make_bad_inputs.py) whose expected
 *   values are worked out in the comments below.
 * - Round trips: the written headers are checked byte by byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rdx/io.h"

#define PATH_LEN 1024

static void join(char *out, const char *dir, const char *name)
{
    if (snprintf(out, PATH_LEN, "%s/%s", dir, name) >= PATH_LEN) {
        fprintf(stderr, "test_io: path too long: %s/%s\n", dir, name);
        exit(2);
    }
}

static int readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static int contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* Compare a grid with expected dims, spacing, origin and row-major direction. */
static void check_grid(const rdx_grid *g, const int64_t dim[3], const double spacing[3], const double origin[3],
                       const double dir[9], double tol, const char *what)
{
    for (int a = 0; a < 3; a++) {
        CHECK(g->dim[a] == dim[a], "%s: dim[%d] %lld, want %lld", what, a, (long long)g->dim[a],
              (long long)dim[a]);
        CHECK_NEAR(g->spacing[a], spacing[a], tol, what);
        CHECK_NEAR(g->origin[a], origin[a], tol, what);
    }
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(g->direction[i], dir[i], tol, what);
}

/* A failed read must give want, name the file, contain needle and leave out empty. */
static void expect_image_error(const char *path, rdx_status want, const char *needle)
{
    rdx_image img;
    rdx_error err;
    rdx_error_clear(&err);
    rdx_status st = rdx_image_read(path, &img, &err);
    CHECK(st == want, "%s: status %s, want %s (%s)", path, rdx_status_name(st), rdx_status_name(want), err.msg);
    CHECK(err.code == want, "%s: err.code %d", path, (int)err.code);
    CHECK(contains(err.msg, path), "message does not name the file: %s", err.msg);
    CHECK(contains(err.msg, needle), "message lacks \"%s\": %s", needle, err.msg);
    CHECK(img.data == NULL, "%s: data left after failure", path);
    if (st == RDX_OK)
        rdx_image_free(&img);
}

static void expect_mask_error(const char *path, rdx_status want, const char *needle)
{
    rdx_mask m;
    rdx_error err;
    rdx_error_clear(&err);
    rdx_status st = rdx_mask_read(path, RDX_LABEL_ANY, &m, &err);
    CHECK(st == want, "%s (mask): status %s, want %s (%s)", path, rdx_status_name(st), rdx_status_name(want),
          err.msg);
    CHECK(contains(err.msg, path) && contains(err.msg, needle), "mask message: %s", err.msg);
    CHECK(m.data == NULL, "%s: mask data left after failure", path);
    if (st == RDX_OK)
        rdx_mask_free(&m);
}

static int read_image(const char *path, rdx_image *img)
{
    rdx_error err;
    rdx_status st = rdx_image_read(path, img, &err);
    CHECK(st == RDX_OK, "reading %s: %s", path, err.msg);
    return st == RDX_OK;
}

static int read_mask(const char *path, int label, rdx_mask *m)
{
    rdx_error err;
    rdx_status st = rdx_mask_read(path, label, m, &err);
    CHECK(st == RDX_OK, "reading mask %s (label %d): %s", path, label, err.msg);
    return st == RDX_OK;
}

static const double IDENTITY[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};

/* ---- IBSI digital phantom: every voxel against voxels.csv ---- */
static void test_digital_phantom(const char *src)
{
    char dir[PATH_LEN], ipath[PATH_LEN], mpath[PATH_LEN], csv[PATH_LEN];
    join(dir, src, "datasets/ibsi_digital_phantom");
    join(ipath, dir, "image.nii.gz");
    join(mpath, dir, "mask.nii.gz");
    join(csv, dir, "voxels.csv");
    rdx_image img;
    rdx_mask m, m1;
    if (!read_image(ipath, &img))
        return;
    if (!read_mask(mpath, RDX_LABEL_ANY, &m) || !read_mask(mpath, 1, &m1)) {
        rdx_image_free(&img);
        return;
    }
    /* 5x4x4 voxels of 2 mm; the sform diag(-2,-2,2) in RAS is the identity in LPS. */
    const int64_t dim[3] = {5, 4, 4};
    const double sp[3] = {2, 2, 2}, zero[3] = {0, 0, 0};
    check_grid(&img.grid, dim, sp, zero, IDENTITY, 1e-12, "digital phantom image");
    check_grid(&m.grid, dim, sp, zero, IDENTITY, 1e-12, "digital phantom mask");

    FILE *f = fopen(csv, "r");
    CHECK(f != NULL, "cannot open %s", csv);
    if (f) {
        char line[256];
        int rows = 0, masked = 0, z, y, x, mk;
        double value;
        CHECK(fgets(line, sizeof line, f) != NULL, "empty %s", csv); /* header z,y,x,value,mask */
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "%d,%d,%d,%lf,%d", &z, &y, &x, &value, &mk) != 5)
                continue;
            size_t v = (size_t)x + 5 * ((size_t)y + 4 * (size_t)z);
            CHECK(img.data[v] == (float)value, "voxel (x,y,z) = (%d,%d,%d): %g, want %g", x, y, z,
                  (double)img.data[v], value);
            CHECK(m.data[v] == mk, "mask (x,y,z) = (%d,%d,%d): %d, want %d", x, y, z, m.data[v], mk);
            rows++;
            masked += mk;
        }
        fclose(f);
        CHECK(rows == 80, "voxels.csv rows %d, want 80", rows);
        CHECK(rdx_mask_count(&m) == (size_t)masked && masked == 74, "mask count %zu, csv %d, want 74",
              rdx_mask_count(&m), masked);
    }
    CHECK(rdx_mask_count(&m1) == 74, "label 1 count %zu", rdx_mask_count(&m1));
    rdx_image_free(&img);
    rdx_mask_free(&m);
    rdx_mask_free(&m1);

    /* A label that is absent reads as an empty mask, not an error. */
    rdx_mask none;
    if (read_mask(mpath, 2, &none)) {
        CHECK(rdx_mask_count(&none) == 0, "label 2 count %zu", rdx_mask_count(&none));
        rdx_mask_free(&none);
    }
}

/* ---- IBSI CT phantom ---- */
static void ct_phantom_roi(const rdx_image *img, const rdx_mask *m)
{
    /* IBSI diagnostics (config A, init_roi): 125256 voxels, bounding box
     * 100 x 99 x 26, mean intensity -46.9. */
    int64_t lo[3] = {INT64_MAX, INT64_MAX, INT64_MAX}, hi[3] = {-1, -1, -1};
    double sum = 0;
    size_t count = 0, v = 0;
    for (int64_t k = 0; k < m->grid.dim[2]; k++)
        for (int64_t j = 0; j < m->grid.dim[1]; j++)
            for (int64_t i = 0; i < m->grid.dim[0]; i++, v++) {
                if (!m->data[v])
                    continue;
                const int64_t idx[3] = {i, j, k};
                for (int a = 0; a < 3; a++) {
                    lo[a] = idx[a] < lo[a] ? idx[a] : lo[a];
                    hi[a] = idx[a] > hi[a] ? idx[a] : hi[a];
                }
                sum += img->data[v];
                count++;
            }
    CHECK(count == 125256, "CT ROI voxels %zu, want 125256", count);
    CHECK(hi[0] - lo[0] + 1 == 100 && hi[1] - lo[1] + 1 == 99 && hi[2] - lo[2] + 1 == 26,
          "CT ROI bounding box %lld x %lld x %lld, want 100 x 99 x 26", (long long)(hi[0] - lo[0] + 1),
          (long long)(hi[1] - lo[1] + 1), (long long)(hi[2] - lo[2] + 1));
    CHECK_NEAR(sum / (double)count, -46.9, 0.05, "CT ROI mean");
}

static void test_ct_phantom(const char *src)
{
    char ipath[PATH_LEN], mpath[PATH_LEN];
    join(ipath, src, "datasets/ibsi_ct_phantom/image.nii.gz");
    join(mpath, src, "datasets/ibsi_ct_phantom/mask.nii.gz");
    rdx_image img;
    rdx_mask m;
    if (!read_image(ipath, &img))
        return;
    /* Spacing 0.977 is stored as float32 (0.97699999809...). Origin and
     * direction: the DICOM series of the same case (LPS by definition). */
    const int64_t dim[3] = {204, 201, 60};
    const double sp[3] = {0.977, 0.977, 3.0};
    const double origin[3] = {-174.39450073242, -79.625503540039, -100.40000152587};
    check_grid(&img.grid, dim, sp, origin, IDENTITY, 1e-5, "CT phantom image");

    size_t n = rdx_grid_count(&img.grid);
    double sum = 0, lo = img.data[0], hi = img.data[0];
    for (size_t v = 0; v < n; v++) {
        sum += img.data[v];
        lo = img.data[v] < lo ? img.data[v] : lo;
        hi = img.data[v] > hi ? img.data[v] : hi;
    }
    /* IBSI diagnostics: min -1000, max 3065, mean -266 (3 significant digits). */
    CHECK(lo == -1000.0 && hi == 3065.0, "CT min %g max %g, want -1000 and 3065", lo, hi);
    CHECK_NEAR(sum / (double)n, -266.0, 0.5, "CT mean");

    /* Voxels (i,j,k) and their HU in the DICOM series. */
    static const struct {
        int i, j, k;
        float hu;
    } dicom[] = {{0, 0, 0, -1000}, {100, 120, 30, 89}, {150, 60, 10, 126},
                 {203, 200, 59, -395}, {57, 143, 45, 384}};
    for (size_t s = 0; s < sizeof dicom / sizeof dicom[0]; s++) {
        size_t v = (size_t)dicom[s].i + 204 * ((size_t)dicom[s].j + 201 * (size_t)dicom[s].k);
        CHECK(img.data[v] == dicom[s].hu, "CT voxel (%d,%d,%d) = %g, DICOM says %g", dicom[s].i, dicom[s].j,
              dicom[s].k, (double)img.data[v], (double)dicom[s].hu);
    }

    if (read_mask(mpath, RDX_LABEL_ANY, &m)) {
        rdx_error err;
        CHECK(rdx_grid_check_same(&img.grid, ipath, &m.grid, mpath, &err) == RDX_OK, "CT grids: %s", err.msg);
        ct_phantom_roi(&img, &m);
        rdx_mask_free(&m);
    }
    rdx_image_free(&img);
}

/* ---- hand-built valid edge cases in datasets/bad ---- */
static void test_edge_cases(const char *bad)
{
    char p[PATH_LEN];
    rdx_image img;
    rdx_mask m;

    /* int16 (0,1,2,101,-100,7) with slope 0.5, intercept -10: 0.5v - 10. */
    join(p, bad, "scaled.nii");
    if (read_image(p, &img)) {
        const float want[6] = {-10, -9.5f, -9, 40.5f, -60, -6.5f};
        for (int v = 0; v < 6; v++)
            CHECK(img.data[v] == want[v], "scaled voxel %d = %g, want %g", v, (double)img.data[v],
                  (double)want[v]);
        rdx_image_free(&img);
    }
    /* Labels round half away from zero: -9.5 -> -10, 40.5 -> 41, -6.5 -> -7. */
    static const struct {
        int label;
        size_t count;
    } labels[] = {{-10, 2}, {-9, 1}, {-7, 1}, {-6, 0}, {40, 0}, {41, 1}, {RDX_LABEL_ANY, 6}};
    for (size_t s = 0; s < sizeof labels / sizeof labels[0]; s++)
        if (read_mask(p, labels[s].label, &m)) {
            CHECK(rdx_mask_count(&m) == labels[s].count, "scaled.nii label %d: %zu voxels, want %zu",
                  labels[s].label, rdx_mask_count(&m), labels[s].count);
            rdx_mask_free(&m);
        }

    /* NIfTI-2 keeps doubles: sform diag(-0.1,-0.3,1.7), offset (-12.345678901234,
     * 0.000123456789, 98.7654321) RAS -> LPS spacing (0.1,0.3,1.7), identity, origin
     * (12.345678901234, -0.000123456789, 98.7654321). float64 voxels 0.5 .. 7.5. */
    join(p, bad, "nifti2.nii");
    if (read_image(p, &img)) {
        const int64_t dim[3] = {2, 2, 2};
        const double sp[3] = {0.1, 0.3, 1.7}, org[3] = {12.345678901234, -0.000123456789, 98.7654321};
        check_grid(&img.grid, dim, sp, org, IDENTITY, 1e-14, "nifti2.nii");
        for (int v = 0; v < 8; v++)
            CHECK(img.data[v] == (float)v + 0.5f, "nifti2 voxel %d = %g", v, (double)img.data[v]);
        rdx_image_free(&img);
    }

    join(p, bad, "big_endian.nii");
    if (read_image(p, &img)) {
        for (int v = 0; v < 6; v++)
            CHECK(img.data[v] == (float)(v + 1), "big-endian voxel %d = %g", v, (double)img.data[v]);
        rdx_image_free(&img);
    }

    /* qform: quaternion (0,0,sqrt(1/2)) is 90 degrees about z, R = [0 -1 0; 1 0 0; 0 0 1]
     * (RAS). Columns R * diag(1.5,2,3) = (0,1.5,0), (-2,0,0), (0,0,3); to LPS negate x,y:
     * (0,-1.5,0), (2,0,0), (0,0,3) -> direction columns (0,-1,0), (1,0,0), (0,0,1),
     * spacing (1.5,2,3); qoffset (10,20,30) -> origin (-10,-20,30). The srow (sform_code 0)
     * must be ignored. */
    const int64_t d322[3] = {3, 2, 2};
    join(p, bad, "qform_only.nii");
    if (read_image(p, &img)) {
        const double sp[3] = {1.5, 2, 3}, org[3] = {-10, -20, 30}, dir[9] = {0, 1, 0, -1, 0, 0, 0, 0, 1};
        check_grid(&img.grid, d322, sp, org, dir, 1e-6, "qform_only.nii");
        rdx_image_free(&img);
    }
    /* sform columns (RAS) (0,3,0), (0,0,2), (4,0,0), offset (5,-6,7); LPS: (0,-3,0), (0,0,2),
     * (-4,0,0), origin (-5,6,7). Direction rows: (0,0,-1), (-1,0,0), (0,1,0). */
    join(p, bad, "sform_and_qform.nii");
    if (read_image(p, &img)) {
        const double sp[3] = {3, 2, 4}, org[3] = {-5, 6, 7}, dir[9] = {0, 0, -1, -1, 0, 0, 0, 1, 0};
        check_grid(&img.grid, d322, sp, org, dir, 1e-12, "sform_and_qform.nii");
        rdx_image_free(&img);
    }
    join(p, bad, "pixdim_only.nii");
    if (read_image(p, &img)) {
        const double sp[3] = {0.5, 0.75, 1.25}, org[3] = {0, 0, 0};
        check_grid(&img.grid, d322, sp, org, IDENTITY, 1e-12, "pixdim_only.nii");
        rdx_image_free(&img);
    }
    /* RAS space directions (-1.5,0,0), (0,0,2), (0,-3,0), origin (10,20,30); LPS negates
     * x and y: (1.5,0,0), (0,0,2), (0,3,0), origin (-10,-20,30). Values 0..11. */
    join(p, bad, "ras.nrrd");
    if (read_image(p, &img)) {
        const double sp[3] = {1.5, 2, 3}, org[3] = {-10, -20, 30}, dir[9] = {1, 0, 0, 0, 0, 1, 0, 1, 0};
        check_grid(&img.grid, d322, sp, org, dir, 1e-12, "ras.nrrd");
        for (int v = 0; v < 12; v++)
            CHECK(img.data[v] == (float)v, "ras.nrrd voxel %d = %g", v, (double)img.data[v]);
        rdx_image_free(&img);
    }
    if (read_mask(p, 5, &m)) {
        CHECK(rdx_mask_count(&m) == 1 && m.data[5] == 1, "ras.nrrd label 5");
        rdx_mask_free(&m);
    }
    if (read_mask(p, RDX_LABEL_ANY, &m)) {
        CHECK(rdx_mask_count(&m) == 11 && m.data[0] == 0, "ras.nrrd any label: %zu", rdx_mask_count(&m));
        rdx_mask_free(&m);
    }
    /* LAS: negate y only: direction diag(1,-1,1), origin (4,-5,6). */
    join(p, bad, "las.nrrd");
    if (read_image(p, &img)) {
        const double sp[3] = {1, 2, 3}, org[3] = {4, -5, 6}, dir[9] = {1, 0, 0, 0, -1, 0, 0, 0, 1};
        check_grid(&img.grid, d322, sp, org, dir, 1e-12, "las.nrrd");
        rdx_image_free(&img);
    }
    /* 2D LPS: columns (0,0.5,0), (0.25,0,0); z = unit((0,1,0) x (1,0,0)) = (0,0,-1) with
     * spacing 1. Direction rows (0,1,0), (1,0,0), (0,0,-1). */
    join(p, bad, "plane2d_lps.nrrd");
    if (read_image(p, &img)) {
        const int64_t dim[3] = {3, 2, 1};
        const double sp[3] = {0.5, 0.25, 1}, org[3] = {1, 2, 3}, dir[9] = {0, 1, 0, 1, 0, 0, 0, 0, -1};
        check_grid(&img.grid, dim, sp, org, dir, 1e-12, "plane2d_lps.nrrd");
        rdx_image_free(&img);
    }
    /* 2D, no space: spacings 0.5 0.25, z gets 1. */
    join(p, bad, "plane2d.nrrd");
    if (read_image(p, &img)) {
        const int64_t dim[3] = {3, 2, 1};
        const double sp[3] = {0.5, 0.25, 1}, org[3] = {0, 0, 0};
        check_grid(&img.grid, dim, sp, org, IDENTITY, 1e-12, "plane2d.nrrd");
        CHECK(img.data[5] == 5.0f, "plane2d voxel 5 = %g", (double)img.data[5]);
        rdx_image_free(&img);
    }
}

/* ---- broken files ---- */
static void test_bad_files(const char *bad)
{
    static const struct {
        const char *name;
        rdx_status status;
        const char *needle;
    } cases[] = {
        {"truncated.nii.gz", RDX_E_FORMAT, "not a valid NIfTI file"},
        {"corrupt.nii.gz", RDX_E_FORMAT, "not a valid NIfTI file"},
        {"bad_crc.nii.gz", RDX_E_FORMAT, "not a valid NIfTI file"},
        {"not_nifti.nii", RDX_E_FORMAT, "not a valid NIfTI file"},
        {"complex.nii", RDX_E_UNSUPPORTED, "COMPLEX64"},
        {"rgb.nii", RDX_E_UNSUPPORTED, "RGB24"},
        {"vector.nii", RDX_E_UNSUPPORTED, "unsupported"},
        {"vector.nrrd", RDX_E_UNSUPPORTED, "3-vector"},
        {"nan.nii.gz", RDX_E_INVALID, "(3,2,1) is NaN"},
        {"inf.nrrd", RDX_E_INVALID, "(1,3,2) is +Inf"},
        {"truncated.nrrd", RDX_E_FORMAT, "not a valid NRRD file"},
        {"scanner_xyz.nrrd", RDX_E_UNSUPPORTED, "scanner-xyz"},
        {"nonexistent", RDX_E_IO, "cannot open: No such file or directory"},
        {"nonexistent.nii.gz", RDX_E_IO, "cannot open: No such file or directory"},
        {"nonexistent.nrrd", RDX_E_IO, "cannot open: No such file or directory"},
        {"README.md", RDX_E_UNSUPPORTED, "unsupported file type"},
    };
    char p[PATH_LEN];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        join(p, bad, cases[c].name);
        expect_image_error(p, cases[c].status, cases[c].needle);
    }
    join(p, bad, "nan.nii.gz");
    expect_mask_error(p, RDX_E_INVALID, "NaN");
    join(p, bad, "truncated.nrrd");
    expect_mask_error(p, RDX_E_FORMAT, "fread");
    join(p, bad, "nonexistent.nii");
    expect_mask_error(p, RDX_E_IO, "No such file");
    expect_image_error(bad, RDX_E_IO, "Is a directory");

    /* An all-zero mask reads fine; the pipeline reports the empty ROI. */
    rdx_mask m;
    join(p, bad, "empty_mask.nii.gz");
    if (read_mask(p, RDX_LABEL_ANY, &m)) {
        CHECK(rdx_mask_count(&m) == 0 && m.grid.dim[0] == 5, "empty mask: %zu voxels", rdx_mask_count(&m));
        rdx_mask_free(&m);
    }
}

/* mismatch_mask has the phantom's dims but 2.5 mm slices. */
static void test_grid_mismatch(const char *src, const char *bad)
{
    char ipath[PATH_LEN], mpath[PATH_LEN];
    join(ipath, src, "datasets/ibsi_digital_phantom/image.nii.gz");
    join(mpath, bad, "mismatch_mask.nii.gz");
    rdx_image img;
    rdx_mask m;
    if (!read_image(ipath, &img))
        return;
    if (read_mask(mpath, RDX_LABEL_ANY, &m)) {
        rdx_error err;
        CHECK_NEAR(m.grid.spacing[2], 2.5, 1e-12, "mismatch_mask z spacing");
        rdx_status st = rdx_grid_check_same(&img.grid, ipath, &m.grid, mpath, &err);
        CHECK(st == RDX_E_MISMATCH, "grid check status %s", rdx_status_name(st));
        CHECK(contains(err.msg, "spacing") && contains(err.msg, ipath) && contains(err.msg, mpath),
              "mismatch message: %s", err.msg);
        rdx_mask_free(&m);
    }
    rdx_image_free(&img);
}

/* ---- write / read round trips ---- */

/* Read n header bytes of an uncompressed file. */
static int read_bytes(const char *path, unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(buf, 1, n, f) : 0;
    if (f)
        fclose(f);
    return got == n;
}

static int16_t le16(const unsigned char *b)
{
    return (int16_t)(b[0] | b[1] << 8);
}

/* NIfTI-1 header fields (little-endian host): datatype at byte 70, qform_code
 * 252, sform_code 254, magic "n+1" at 344. Then the qform alone (sform_code
 * patched to 0 in a copy) must give the same geometry. */
static void check_nifti_header(const char *path, const char *scratch, const rdx_grid *want, int16_t datatype)
{
    unsigned char h[352];
    if (!read_bytes(path, h, sizeof h)) {
        CHECK(0, "cannot read the header of %s", path);
        return;
    }
    CHECK(le16(h + 70) == datatype, "%s: datatype %d, want %d", path, le16(h + 70), datatype);
    CHECK(le16(h + 252) == 1 && le16(h + 254) == 1, "%s: qform_code %d sform_code %d", path, le16(h + 252),
          le16(h + 254));
    CHECK(memcmp(h + 344, "n+1", 4) == 0, "%s: magic", path);

    char copy[PATH_LEN];
    join(copy, scratch, "test_io_qform.nii");
    FILE *in = fopen(path, "rb"), *out = fopen(copy, "wb");
    int c;
    long pos = 0;
    while (in && out && (c = getc(in)) != EOF) {
        putc(pos == 254 || pos == 255 ? 0 : c, out);
        pos++;
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    rdx_image img;
    if (read_image(copy, &img)) {
        check_grid(&img.grid, want->dim, want->spacing, want->origin, want->direction, 2e-5, "qform only");
        rdx_image_free(&img);
    }
}

static int file_contains(const char *path, const char *text)
{
    char buf[2048] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* Write img and a mask with voxels v % 3 == 0 as name, read both back. */
static void round_trip(const rdx_image *img, const char *scratch, const char *name, double tol)
{
    char p[PATH_LEN], mp[PATH_LEN];
    rdx_error err;
    rdx_mask m;
    size_t n = rdx_grid_count(&img->grid);
    join(p, scratch, name);
    snprintf(mp, sizeof mp, "%s/mask_%s", scratch, name);
    CHECK(rdx_image_write(p, img, &err) == RDX_OK, "writing %s: %s", p, err.msg);
    if (rdx_mask_alloc(&m, &img->grid, &err) != RDX_OK)
        return;
    for (size_t v = 0; v < n; v++)
        m.data[v] = v % 3 == 0;
    CHECK(rdx_mask_write(mp, &m, &err) == RDX_OK, "writing %s: %s", mp, err.msg);

    const rdx_grid *g = &img->grid;
    rdx_image back;
    if (read_image(p, &back)) {
        check_grid(&back.grid, g->dim, g->spacing, g->origin, g->direction, tol, p);
        for (size_t v = 0; v < n; v++)
            CHECK(back.data[v] == img->data[v], "%s voxel %zu: %g, want %g", p, v, (double)back.data[v],
                  (double)img->data[v]);
        rdx_image_free(&back);
    }
    rdx_mask mb;
    if (read_mask(mp, RDX_LABEL_ANY, &mb)) {
        check_grid(&mb.grid, g->dim, g->spacing, g->origin, g->direction, tol, mp);
        CHECK(memcmp(mb.data, m.data, n) == 0, "%s: mask voxels differ", mp);
        rdx_mask_free(&mb);
    }
    if (strstr(name, ".nii") && !strstr(name, ".gz")) {
        check_nifti_header(p, scratch, g, 16);
        check_nifti_header(mp, scratch, g, 2);
    }
    if (strstr(name, ".nrrd")) {
        CHECK(file_contains(p, "space: left-posterior-superior") && file_contains(p, "encoding: gzip") &&
                  file_contains(p, "type: float"),
              "%s: NRRD header", p);
        CHECK(file_contains(mp, "type: unsigned char"), "%s: mask type", mp);
    }
    rdx_mask_free(&m);
}

static void test_round_trips(const char *scratch)
{
    /* Orthonormal, right-handed: columns (0.36,-0.8,0.48), (0.48,0.6,0.64), (-0.8,0,0.6);
     * c0 x c1 = c2. Also its left-handed twin (third column negated: qfac = -1). */
    static const double rot[9] = {0.36, 0.48, -0.8, -0.8, 0.6, 0, 0.48, 0.64, 0.6};
    for (int handed = 0; handed < 2; handed++) {
        rdx_grid g;
        rdx_image img;
        rdx_error err;
        rdx_grid_init(&g, 4, 3, 2);
        const double sp[3] = {0.7, 1.3, 2.9}, org[3] = {-12.3, 45.6, 7.89};
        for (int a = 0; a < 3; a++) {
            g.spacing[a] = sp[a];
            g.origin[a] = org[a];
        }
        for (int i = 0; i < 9; i++)
            g.direction[i] = handed && i % 3 == 2 ? -rot[i] : rot[i];
        if (rdx_image_alloc(&img, &g, &err) != RDX_OK)
            return;
        for (size_t v = 0; v < 24; v++)
            img.data[v] = (float)v * 0.25f - 3.0f;
        img.data[7] = -1e30f;
        img.data[8] = 1e-30f;
        /* NIfTI-1 keeps the affine in float32: geometry to ~1e-6; NRRD in double. */
        round_trip(&img, scratch, "test_io_rt.nii", 2e-5);
        round_trip(&img, scratch, "test_io_rt.nii.gz", 2e-5);
        round_trip(&img, scratch, "test_io_rt.nrrd", 1e-12);
        round_trip(&img, scratch, "test_io_rt.nhdr", 1e-12);
        rdx_image_free(&img);
    }

    /* 2D (nz = 1). */
    rdx_grid g;
    rdx_image img;
    rdx_error err;
    rdx_grid_init(&g, 3, 2, 1);
    g.spacing[0] = 0.5;
    g.origin[2] = -4;
    if (rdx_image_alloc(&img, &g, &err) == RDX_OK) {
        for (size_t v = 0; v < 6; v++)
            img.data[v] = (float)v;
        round_trip(&img, scratch, "test_io_2d.nii.gz", 1e-6);
        round_trip(&img, scratch, "test_io_2d.nrrd", 1e-12);

        char p[PATH_LEN];
        join(p, scratch, "no-such-dir/x.nii");
        CHECK(rdx_image_write(p, &img, &err) == RDX_E_IO && contains(err.msg, p), "write to missing dir: %s",
              err.msg);
        join(p, scratch, "x.mha");
        CHECK(rdx_image_write(p, &img, &err) == RDX_E_UNSUPPORTED && contains(err.msg, p), "write .mha: %s",
              err.msg);
        rdx_image_free(&img);
    }
}

/* ---- PyRadiomics NRRD cases (shared data, skipped when absent) ---- */
static void test_pyradiomics(const char *shared)
{
    /* Header text (sizes, space directions, space origin) and PyRadiomics
     * baseline diagnostics: VoxelNum, BoundingBox (x,y,z,sx,sy,sz), image
     * Minimum/Maximum/Mean. The prostate case has no baseline column. */
    static const struct {
        const char *image, *label;
        int64_t dim[3];
        double spacing[3], origin[3], dir[9];
        long voxels;
        int bbox[6];
        double min, max, mean;
    } cases[] = {
        {"brain1_image.nrrd", "brain1_label.nrrd", {256, 256, 25},
         {0.78124999999999989, 0.78124999999999989, 6.4999999999999982},
         {-99.609374999999986, 99.609374999999986, -77.999999999999957}, {1, 0, 0, 0, -1, 0, 0, 0, 1},
         4137, {162, 84, 11, 47, 70, 7}, 0, 3057, 385.6564080810547},
        {"brain2_image.nrrd", "brain2_label.nrrd", {256, 256, 23},
         {0.78124999999999989, 0.78124999999999989, 6.4999999999999982},
         {-109.99999999999999, 103.41874694824213, -62.700000762939432}, {1, 0, 0, 0, -1, 0, 0, 0, 1},
         453, {205, 155, 8, 20, 15, 3}, 0, 1523, 236.20217696480128},
        {"breast1_image.nrrd", "breast1_label.nrrd", {45, 120, 21},
         {0.66406200000000004, 0.66406200000000004, 2.1000000000000001},
         {-116.54304, -48.14465400000001, 9.4500000000000295}, {1, 0, 0, 0, 1, 0, 0, 0, 1},
         143, {21, 64, 8, 9, 12, 3}, 6, 248, 63.380440917107585},
        {"prostate_phantom_subvolume.nrrd", "prostate_phantom_subvolume-label.nrrd", {82, 67, 13},
         {0.5, 0.5, 3},
         {15.683382511138916, 76.535760879516602, -52.776130676269538}, {-1, 0, 0, 0, -1, 0, 0, 0, 1},
         -1, {0}, 0, 0, 0},
    };
    char dir[PATH_LEN], p[PATH_LEN];
    join(dir, shared, "pyradiomics");
    join(p, dir, cases[0].image);
    if (!readable(p)) {
        printf("test_io: PyRadiomics cases skipped (%s not found; set RDX_SHARED_DATA)\n", dir);
        return;
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rdx_image img;
        rdx_mask m;
        join(p, dir, cases[c].image);
        if (!read_image(p, &img))
            continue;
        check_grid(&img.grid, cases[c].dim, cases[c].spacing, cases[c].origin, cases[c].dir, 1e-12, p);
        if (cases[c].voxels >= 0) {
            size_t n = rdx_grid_count(&img.grid);
            double sum = 0, lo = img.data[0], hi = img.data[0];
            for (size_t v = 0; v < n; v++) {
                sum += img.data[v];
                lo = img.data[v] < lo ? img.data[v] : lo;
                hi = img.data[v] > hi ? img.data[v] : hi;
            }
            CHECK(lo == cases[c].min && hi == cases[c].max, "%s: min %g max %g", p, lo, hi);
            CHECK_NEAR(sum / (double)n, cases[c].mean, 1e-9, p);
        }
        join(p, dir, cases[c].label);
        if (read_mask(p, 1, &m)) {
            check_grid(&m.grid, cases[c].dim, cases[c].spacing, cases[c].origin, cases[c].dir, 1e-12, p);
            CHECK(rdx_mask_count(&m) > 0, "%s: empty label 1", p);
            if (cases[c].voxels >= 0) {
                CHECK(rdx_mask_count(&m) == (size_t)cases[c].voxels, "%s: %zu voxels, want %ld", p,
                      rdx_mask_count(&m), cases[c].voxels);
                int64_t lo[3] = {INT64_MAX, INT64_MAX, INT64_MAX}, hi[3] = {-1, -1, -1};
                size_t v = 0;
                for (int64_t k = 0; k < m.grid.dim[2]; k++)
                    for (int64_t j = 0; j < m.grid.dim[1]; j++)
                        for (int64_t i = 0; i < m.grid.dim[0]; i++, v++)
                            if (m.data[v]) {
                                const int64_t idx[3] = {i, j, k};
                                for (int a = 0; a < 3; a++) {
                                    lo[a] = idx[a] < lo[a] ? idx[a] : lo[a];
                                    hi[a] = idx[a] > hi[a] ? idx[a] : hi[a];
                                }
                            }
                for (int a = 0; a < 3; a++)
                    CHECK(lo[a] == cases[c].bbox[a] && hi[a] - lo[a] + 1 == cases[c].bbox[3 + a],
                          "%s: bounding box axis %d starts %lld size %lld", p, a, (long long)lo[a],
                          (long long)(hi[a] - lo[a] + 1));
            }
            rdx_mask_free(&m);
        }
        rdx_image_free(&img);
    }
}

int main(void)
{
    const char *src = getenv("RDX_SOURCE_DIR");
    const char *scratch = getenv("RDX_BINARY_DIR");
    const char *shared_env = getenv("RDX_SHARED_DATA");
    char bad[PATH_LEN], shared[PATH_LEN];
    src = src && *src ? src : ".";
    scratch = scratch && *scratch ? scratch : "/tmp";
    join(bad, src, "datasets/bad");
    if (shared_env && *shared_env)
        snprintf(shared, sizeof shared, "%s", shared_env);
    else
        join(shared, src, "../shared/datasets");

    test_digital_phantom(src);
    test_ct_phantom(src);
    test_edge_cases(bad);
    test_bad_files(bad);
    test_grid_mismatch(src, bad);
    test_round_trips(scratch);
    test_pyradiomics(shared);
    return check_summary("test_io");
}
