/* HDF5 feature store: write through rdx_store_*, read back through the plain
 * HDF5 API (an independent path) and through the reader (rdx_store_open_read),
 * copy a store row by row as `rdx merge` does, and check every error case of
 * the opens.
 * Expected values are the literals written below; comparisons are bit-exact. */
#include "rdx/store.h"

#include "check.h"

#include <hdf5.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_TAGS 3
#define N_ROWS 4

static const char *const TAGS[N_TAGS] = {"Fmorph_vol", "Fstat_mean", "Fcm_joint_max"};
static const char *const SETTINGS = "discretisation:\n  bin_width: 25\n";
static const char *const VERSION = "0.1.0";
static const char *const FAIL_TEXT = "format: p003_img.nii.gz: truncated file";

/* Rows as they must appear in /features: p001, p002 (one undefined feature),
 * p003 failed (all NaN), p003 retried. Values chosen to stress the bits:
 * negative zero, the smallest subnormal, DBL_MAX, a non-terminating binary. */
static const double ROW_P001[N_TAGS] = {1234.5, -0.0, 0.1};
static const double ROW_P002[N_TAGS] = {4.9406564584124654e-324, DBL_MAX, NAN};
static const double ROW_P003[N_TAGS] = {-7.25, 3.141592653589793, 1e-300};
static const char *const IDS[N_ROWS] = {"p001", "p002", "p003", "p003"};
static const signed char STATUS[N_ROWS] = {0, 0, 1, 0};

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static rdx_status open_store(const char *path, const char *const *tags, size_t n, const char *settings,
                             rdx_store **st, rdx_error *err)
{
    rdx_error_clear(err);
    return rdx_store_open(path, tags, n, settings, VERSION, st, err);
}

/* First session: two ok cases and one failed case. */
static void write_first_session(const char *path)
{
    rdx_error err;
    rdx_store *st = NULL;
    const double garbage[N_TAGS] = {1, 2, 3}; /* must be ignored for a failed case */
    CHECK(open_store(path, TAGS, N_TAGS, SETTINGS, &st, &err) == RDX_OK, "create: %s", err.msg);
    if (!st)
        return;
    CHECK(rdx_store_case_count(st) == 0, "new store has %zu cases", rdx_store_case_count(st));
    CHECK(rdx_store_append(st, "p001", ROW_P001, NULL, &err) == RDX_OK, "append p001: %s", err.msg);
    CHECK(rdx_store_append(st, "p002", ROW_P002, NULL, &err) == RDX_OK, "append p002: %s", err.msg);
    CHECK(rdx_store_append(st, "p003", garbage, FAIL_TEXT, &err) == RDX_OK, "append p003: %s", err.msg);
    CHECK(rdx_store_case_count(st) == 3, "count %zu", rdx_store_case_count(st));
    CHECK(rdx_store_case_status(st, "p001") == 0, "p001 ok");
    CHECK(rdx_store_case_status(st, "p003") == 1, "p003 failed");
    CHECK(rdx_store_case_status(st, "p004") == -1, "p004 absent");
    CHECK(rdx_store_close(st, &err) == RDX_OK, "close: %s", err.msg);
}

/* Second session: statuses come back from the file; retry the failed case. */
static void write_second_session(const char *path)
{
    rdx_error err;
    rdx_store *st = NULL;
    CHECK(open_store(path, TAGS, N_TAGS, SETTINGS, &st, &err) == RDX_OK, "reopen: %s", err.msg);
    if (!st)
        return;
    CHECK(rdx_store_case_count(st) == 3, "reopened count %zu", rdx_store_case_count(st));
    CHECK(rdx_store_case_status(st, "p002") == 0, "p002 ok after reopen");
    CHECK(rdx_store_case_status(st, "p003") == 1, "p003 failed after reopen");
    CHECK(rdx_store_append(st, "p003", ROW_P003, NULL, &err) == RDX_OK, "retry p003: %s", err.msg);
    CHECK(rdx_store_case_count(st) == 4, "count %zu", rdx_store_case_count(st));
    CHECK(rdx_store_case_status(st, "p003") == 0, "latest p003 row wins");
    CHECK(rdx_store_close(st, &err) == RDX_OK, "close: %s", err.msg);

    /* The latest row also wins when the index is rebuilt from the file. */
    CHECK(open_store(path, TAGS, N_TAGS, SETTINGS, &st, &err) == RDX_OK, "reopen: %s", err.msg);
    CHECK(rdx_store_case_count(st) == 4, "count %zu", rdx_store_case_count(st));
    CHECK(rdx_store_case_status(st, "p003") == 0, "p003 ok from file");
    CHECK(rdx_store_case_status(st, "p001") == 0, "p001 ok from file");
    CHECK(rdx_store_case_status(st, "") == -1, "empty id absent");
    CHECK(rdx_store_close(st, &err) == RDX_OK, "close: %s", err.msg);
}

/* A memory type for the store's UTF-8 strings: HDF5 1.10 converts an ASCII
 * one only when a UTF-8 conversion path for that file happens to be cached. */
static hid_t utf8_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static void check_strings(hid_t file, const char *name, const char *const *want, size_t n)
{
    char *got[N_ROWS] = {NULL};
    hid_t dset = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t type = dset < 0 ? -1 : H5Dget_type(dset);
    hid_t space = dset < 0 ? -1 : H5Dget_space(dset);
    hid_t mem = utf8_string_type();
    hsize_t dims[1] = {0};
    CHECK(type >= 0 && H5Tis_variable_str(type) > 0, "%s: variable-length strings", name);
    CHECK(type >= 0 && H5Tget_cset(type) == H5T_CSET_UTF8, "%s: UTF-8", name);
    CHECK(space >= 0 && H5Sget_simple_extent_dims(space, dims, NULL) == 1 && dims[0] == n,
          "%s: %llu entries, want %zu", name, (unsigned long long)dims[0], n);
    if (dims[0] == n && n <= N_ROWS) {
        CHECK(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0, "read %s", name);
        for (size_t i = 0; i < n; i++)
            CHECK(got[i] && strcmp(got[i], want[i]) == 0, "%s[%zu] = '%s', want '%s'", name, i,
                  got[i] ? got[i] : "(null)", want[i]);
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, got);
    }
    H5Tclose(mem);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (dset >= 0)
        H5Dclose(dset);
}

static void check_features(hid_t file)
{
    const double *const want[N_ROWS] = {ROW_P001, ROW_P002, NULL, ROW_P003};
    double got[N_ROWS][N_TAGS];
    hid_t dset = H5Dopen2(file, "features", H5P_DEFAULT);
    hid_t space = H5Dget_space(dset), dcpl = H5Dget_create_plist(dset);
    hsize_t dims[2] = {0, 0}, maxdims[2] = {0, 0};
    double fill = 0;
    int nfilters = H5Pget_nfilters(dcpl);
    H5Sget_simple_extent_dims(space, dims, maxdims);
    CHECK(dims[0] == N_ROWS && dims[1] == N_TAGS, "features %llux%llu", (unsigned long long)dims[0],
          (unsigned long long)dims[1]);
    CHECK(maxdims[0] == H5S_UNLIMITED && maxdims[1] == N_TAGS, "features rows unlimited");
    CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED, "features chunked");
    CHECK(nfilters == 2, "features: %d filters, want shuffle + deflate", nfilters);
    for (int i = 0; i < nfilters; i++) {
        unsigned flags, cd[4];
        size_t ncd = 4;
        H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        CHECK(f == (i == 0 ? H5Z_FILTER_SHUFFLE : H5Z_FILTER_DEFLATE), "filter %d is %d", i, (int)f);
        if (f == H5Z_FILTER_DEFLATE)
            CHECK(ncd >= 1 && cd[0] == 4, "deflate level %u", cd[0]);
    }
    CHECK(H5Pget_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill) >= 0 && isnan(fill), "fill value NaN");
    if (dims[0] == N_ROWS && dims[1] == N_TAGS &&
        H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0) {
        for (int r = 0; r < N_ROWS; r++)
            for (int c = 0; c < N_TAGS; c++) {
                if (want[r])
                    CHECK(same_bits(got[r][c], want[r][c]), "features[%d][%d] = %.17g, want %.17g", r,
                          c, got[r][c], want[r][c]);
                else
                    CHECK(isnan(got[r][c]), "failed case features[%d][%d] = %g, want NaN", r, c,
                          got[r][c]);
            }
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Dclose(dset);
}

static void check_status(hid_t file)
{
    signed char got[N_ROWS] = {-1, -1, -1, -1};
    hid_t dset = H5Dopen2(file, "status", H5P_DEFAULT);
    hid_t type = H5Dget_type(dset);
    CHECK(H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == 1, "status is int8");
    CHECK(H5Dread(dset, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, got) >= 0, "read status");
    CHECK(memcmp(got, STATUS, sizeof got) == 0, "status %d %d %d %d, want 0 0 1 0", got[0], got[1],
          got[2], got[3]);
    H5Tclose(type);
    H5Dclose(dset);
}

static void check_str_attr(hid_t file, const char *name, const char *want)
{
    char *got = NULL;
    hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
    hid_t mem = utf8_string_type();
    CHECK(attr >= 0 && H5Aread(attr, mem, &got) >= 0 && got && strcmp(got, want) == 0,
          "attribute %s = '%s', want '%s'", name, got ? got : "(null)", want);
    H5free_memory(got);
    H5Tclose(mem);
    if (attr >= 0)
        H5Aclose(attr);
}

/* Read the file with the plain HDF5 API, not through rdx_store. */
static void check_file_contents(const char *path)
{
    static const char *const errors[N_ROWS] = {"", "", FAIL_TEXT, ""};
    int format_version = 0;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t attr;
    CHECK(file >= 0, "H5Fopen %s", path);
    if (file < 0)
        return;
    check_features(file);
    check_strings(file, "feature_tags", TAGS, N_TAGS);
    check_strings(file, "case_ids", IDS, N_ROWS);
    check_strings(file, "error", errors, N_ROWS);
    check_status(file);
    check_str_attr(file, "settings", SETTINGS);
    check_str_attr(file, "rdx_version", VERSION);
    attr = H5Aopen(file, "format_version", H5P_DEFAULT);
    CHECK(attr >= 0 && H5Aread(attr, H5T_NATIVE_INT, &format_version) >= 0 && format_version == 1,
          "format_version %d", format_version);
    if (attr >= 0)
        H5Aclose(attr);
    H5Fclose(file);
}

/* The reader gives back every row as appended: ids, statuses, error texts,
 * bit-identical values (all NaN for the failed row), tags and attributes. */
static void check_reader(const char *path)
{
    static const char *const errors[N_ROWS] = {"", "", FAIL_TEXT, ""};
    const double *const want[N_ROWS] = {ROW_P001, ROW_P002, NULL, ROW_P003};
    rdx_error err;
    rdx_store_reader *r = NULL;
    rdx_store_row row;
    size_t n_tags = 0;
    const char *const *tags;
    rdx_error_clear(&err);
    CHECK(rdx_store_open_read(path, &r, &err) == RDX_OK, "open_read: %s", err.msg);
    if (!r)
        return;
    tags = rdx_store_reader_tags(r, &n_tags);
    CHECK(n_tags == N_TAGS, "reader: %zu tags", n_tags);
    for (size_t c = 0; c < n_tags && c < N_TAGS; c++)
        CHECK(strcmp(tags[c], TAGS[c]) == 0, "reader tag %zu '%s'", c, tags[c]);
    CHECK(strcmp(rdx_store_reader_settings(r), SETTINGS) == 0, "reader settings '%s'",
          rdx_store_reader_settings(r));
    CHECK(strcmp(rdx_store_reader_version(r), VERSION) == 0, "reader version '%s'",
          rdx_store_reader_version(r));
    CHECK(rdx_store_reader_rows(r) == N_ROWS, "reader: %zu rows", rdx_store_reader_rows(r));
    for (size_t i = 0; i < N_ROWS && i < rdx_store_reader_rows(r); i++) {
        CHECK(rdx_store_read_row(r, i, &row, &err) == RDX_OK, "read row %zu: %s", i, err.msg);
        CHECK(strcmp(row.case_id, IDS[i]) == 0, "row %zu id '%s', want '%s'", i, row.case_id, IDS[i]);
        CHECK(row.status == STATUS[i], "row %zu status %d", i, row.status);
        CHECK(strcmp(row.error_text, errors[i]) == 0, "row %zu error '%s'", i, row.error_text);
        for (int c = 0; c < N_TAGS; c++) {
            if (want[i])
                CHECK(same_bits(row.values[c], want[i][c]), "row %zu value %d = %.17g, want %.17g", i, c,
                      row.values[c], want[i][c]);
            else
                CHECK(isnan(row.values[c]), "failed row %zu value %d = %g, want NaN", i, c, row.values[c]);
        }
    }
    CHECK(rdx_store_read_row(r, N_ROWS, &row, &err) == RDX_E_INVALID && strstr(err.msg, "has 4 rows"),
          "row past the end: %s", err.msg);

    /* Comparing with tags and settings: equal, then the first difference named. */
    static const char *const other_tags[N_TAGS] = {"Fmorph_vol", "Fstat_median", "Fcm_joint_max"};
    CHECK(rdx_store_reader_check(r, TAGS, N_TAGS, SETTINGS, "in a.h5", &err) == RDX_OK, "check: %s", err.msg);
    CHECK(rdx_store_reader_check(r, other_tags, N_TAGS, SETTINGS, "in a.h5", &err) == RDX_E_MISMATCH &&
              strstr(err.msg, "'Fstat_mean' in the store but 'Fstat_median' in a.h5"),
          "check other tag: %s", err.msg);
    CHECK(rdx_store_reader_check(r, TAGS, 2, SETTINGS, "in a.h5", &err) == RDX_E_MISMATCH &&
              strstr(err.msg, "store has 3 feature tags, 2 in a.h5"),
          "check fewer tags: %s", err.msg);
    CHECK(rdx_store_reader_check(r, TAGS, N_TAGS, "discretisation:\n  bin_width: 10\n", "in a.h5", &err) ==
                  RDX_E_MISMATCH &&
              strstr(err.msg, "different settings (line 2: '  bin_width: 25' in the store, '  bin_width: 10' in a.h5)"),
          "check other settings: %s", err.msg);
    CHECK(rdx_store_reader_check(r, TAGS, N_TAGS, "discretisation:\n", "in a.h5", &err) == RDX_E_MISMATCH &&
              strstr(err.msg, "line 2: '  bin_width: 25' in the store, '' in a.h5"),
          "check shorter settings: %s", err.msg);
    rdx_store_reader_close(r);
    rdx_store_reader_close(NULL);
}

/* Copy every row of src into a new store dst through the reader, as `rdx
 * merge` does, then read dst back: the same rows. */
static void check_copy(const char *src, const char *dst)
{
    rdx_error err;
    rdx_store_reader *r = NULL;
    rdx_store *st = NULL;
    rdx_store_row row;
    size_t n_tags = 0;
    remove(dst);
    rdx_error_clear(&err);
    CHECK(rdx_store_open_read(src, &r, &err) == RDX_OK, "open_read: %s", err.msg);
    if (!r)
        return;
    const char *const *tags = rdx_store_reader_tags(r, &n_tags);
    CHECK(rdx_store_open(dst, tags, n_tags, rdx_store_reader_settings(r), rdx_store_reader_version(r), &st,
                         &err) == RDX_OK,
          "create copy: %s", err.msg);
    for (size_t i = 0; st && i < rdx_store_reader_rows(r); i++) {
        CHECK(rdx_store_read_row(r, i, &row, &err) == RDX_OK, "read row %zu: %s", i, err.msg);
        CHECK(rdx_store_append(st, row.case_id, row.values, row.status ? row.error_text : NULL, &err) == RDX_OK,
              "append row %zu: %s", i, err.msg);
    }
    rdx_store_reader_close(r);
    CHECK(rdx_store_close(st, &err) == RDX_OK, "close copy: %s", err.msg);
    check_file_contents(dst);
    check_reader(dst);
}

/* A crash mid-append leaves /case_ids a row longer than the others: the
 * reader counts complete rows only. */
static void check_unfinished_row(const char *path)
{
    rdx_error err;
    rdx_store_reader *r = NULL;
    hsize_t dims[1] = {N_ROWS + 1};
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t dset = file < 0 ? -1 : H5Dopen2(file, "case_ids", H5P_DEFAULT);
    CHECK(dset >= 0 && H5Dset_extent(dset, dims) >= 0, "extend /case_ids");
    if (dset >= 0)
        H5Dclose(dset);
    if (file >= 0)
        H5Fclose(file);
    rdx_error_clear(&err);
    CHECK(rdx_store_open_read(path, &r, &err) == RDX_OK, "open_read: %s", err.msg);
    CHECK(rdx_store_reader_rows(r) == N_ROWS, "unfinished row counted: %zu rows", rdx_store_reader_rows(r));
    rdx_store_reader_close(r);
}

static void expect_read_error(const char *what, const char *path, rdx_status want, const char *msg_part)
{
    rdx_error err;
    rdx_store_reader *r = (rdx_store_reader *)&err; /* must be reset to NULL on failure */
    rdx_status got;
    rdx_error_clear(&err);
    got = rdx_store_open_read(path, &r, &err);
    CHECK(got == want, "%s: status %s, want %s (%s)", what, rdx_status_name(got), rdx_status_name(want),
          err.msg);
    CHECK(r == NULL, "%s: no reader returned", what);
    CHECK(strstr(err.msg, msg_part) != NULL, "%s: message '%s' lacks '%s'", what, err.msg, msg_part);
    if (got == RDX_OK)
        rdx_store_reader_close(r);
}

static void expect_open_error(const char *what, const char *path, const char *const *tags, size_t n,
                              const char *settings, rdx_status want, const char *msg_part)
{
    rdx_error err;
    rdx_store *st = (rdx_store *)&err; /* must be reset to NULL on failure */
    rdx_status got = open_store(path, tags, n, settings, &st, &err);
    CHECK(got == want, "%s: status %s, want %s (%s)", what, rdx_status_name(got), rdx_status_name(want),
          err.msg);
    CHECK(st == NULL, "%s: no store returned", what);
    CHECK(strstr(err.msg, msg_part) != NULL, "%s: message '%s' lacks '%s'", what, err.msg, msg_part);
    if (got == RDX_OK)
        rdx_store_close(st, NULL);
}

static void check_open_errors(const char *dir, const char *path)
{
    static const char *const other_tags[N_TAGS] = {"Fmorph_vol", "Fstat_median", "Fcm_joint_max"};
    char text[1024], plain[1024], missing[1024];
    FILE *f;
    hid_t h;
    expect_open_error("other tag", path, other_tags, N_TAGS, SETTINGS, RDX_E_MISMATCH, "Fstat_median");
    expect_open_error("fewer tags", path, TAGS, 2, SETTINGS, RDX_E_MISMATCH, "Fcm_joint_max");
    expect_open_error("other settings", path, TAGS, N_TAGS, "discretisation:\n  bin_width: 10\n",
                      RDX_E_MISMATCH, "line 2: '  bin_width: 25' in the store, '  bin_width: 10' requested");
    expect_open_error("no tags", path, TAGS, 0, SETTINGS, RDX_E_INVALID, path);

    snprintf(text, sizeof text, "%s/test_store_text.h5", dir);
    f = fopen(text, "w");
    if (f) {
        fputs("case,value\np001,1\n", f);
        fclose(f);
    }
    expect_open_error("text file", text, TAGS, N_TAGS, SETTINGS, RDX_E_FORMAT, "not an rdx feature store");
    expect_read_error("read text file", text, RDX_E_FORMAT, "not an rdx feature store");
    remove(text);

    snprintf(plain, sizeof plain, "%s/test_store_plain.h5", dir);
    h = H5Fcreate(plain, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(h);
    expect_open_error("HDF5 without datasets", plain, TAGS, N_TAGS, SETTINGS, RDX_E_FORMAT, "/features");
    expect_read_error("read HDF5 without datasets", plain, RDX_E_FORMAT, "/features");
    remove(plain);

    snprintf(missing, sizeof missing, "%s/test_store_no_such_dir/cohort.h5", dir);
    expect_open_error("missing directory", missing, TAGS, N_TAGS, SETTINGS, RDX_E_IO, missing);
    expect_read_error("read missing file", missing, RDX_E_IO, missing);
    CHECK(rdx_store_close(NULL, NULL) == RDX_OK, "close(NULL)");
}

int main(void)
{
    const char *dir = getenv("RDX_BINARY_DIR") ? getenv("RDX_BINARY_DIR") : "/tmp";
    char path[1024], copy[1024];
    rdx_error err;
    rdx_store *st = NULL;
    snprintf(path, sizeof path, "%s/test_store.h5", dir);
    snprintf(copy, sizeof copy, "%s/test_store_copy.h5", dir);
    remove(path);

    write_first_session(path);
    write_second_session(path);
    check_file_contents(path);
    check_reader(path);
    check_copy(path, copy);
    check_unfinished_row(copy);
    remove(copy);
    check_open_errors(dir, path);

    /* The failed opens above left the store intact. */
    CHECK(open_store(path, TAGS, N_TAGS, SETTINGS, &st, &err) == RDX_OK, "final reopen: %s", err.msg);
    CHECK(rdx_store_case_count(st) == N_ROWS, "final count %zu", rdx_store_case_count(st));
    rdx_store_close(st, NULL);
    check_file_contents(path);
    remove(path);
    return check_summary("test_store");
}
