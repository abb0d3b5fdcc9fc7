/* HDF5 feature store (include/rdx/store.h).
 *
 * One rdx_store owns the HDF5 file and dataset handles plus an in-memory index
 * case id -> latest status, so resuming a run needs no file reads per case.
 * HDF5's automatic error printing is switched off inside every public call and
 * its error stack is turned into one rdx_error line instead. The file keeps
 * HDF5's default (oldest possible) format so h5py, R hdf5r and h5dump read it.
 * A reader (rdx_store_reader) wraps an rdx_store opened read-only, without the
 * index, and reads one row at a time so stores of any size copy in little memory. */
#define _POSIX_C_SOURCE 200809L
#include "rdx/store.h"

#include <hdf5.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STORE_FORMAT_VERSION 1
#define DEFLATE_LEVEL 4
#define CASE_CHUNK_ROWS 1024
#define XFER_BUFFER_BYTES 65536
/* Values per /features chunk (64 KiB). The flush after each append deflates the
 * chunk being filled again, so append cost grows with chunk size: 10,000 cases
 * x 200 features took 55 s with 512 KiB chunks, 7 s with 64 KiB, for ~1% more
 * file size. */
#define FEATURE_CHUNK_VALUES 8192

typedef struct {
    char *id; /* owned; NULL marks an empty slot */
    signed char status;
} case_slot;

/* Open addressing, linear probing; cap is a power of two, at most half full. */
typedef struct {
    case_slot *slots;
    size_t cap, count;
} case_index;

struct rdx_store {
    char *path;
    hid_t file, str_type, features, case_ids, status, error;
    hid_t xfer; /* dataset transfer list with a small conversion buffer, see open_or_create */
    size_t n_tags;
    size_t n_cases; /* rows in the file, failed and repeated cases included */
    double *nan_row; /* n_tags NaNs, the /features row of a failed case */
    case_index index;
};

/* ---- in-memory case index ---- */

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

/* The slot holding id, or the empty slot where it belongs. */
static case_slot *index_slot(const case_index *ix, const char *id)
{
    size_t i = hash_str(id) & (ix->cap - 1);
    while (ix->slots[i].id && strcmp(ix->slots[i].id, id) != 0)
        i = (i + 1) & (ix->cap - 1);
    return &ix->slots[i];
}

static int index_grow(case_index *ix)
{
    case_index bigger = {calloc(ix->cap ? 2 * ix->cap : 64, sizeof(case_slot)),
                         ix->cap ? 2 * ix->cap : 64, ix->count};
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].id)
            *index_slot(&bigger, ix->slots[i].id) = ix->slots[i];
    free(ix->slots);
    *ix = bigger;
    return 0;
}

/* Record the latest status of id (a later row for the same id wins). */
static rdx_status index_put(rdx_store *st, const char *id, signed char status, rdx_error *err)
{
    case_index *ix = &st->index;
    if (2 * (ix->count + 1) > ix->cap && index_grow(ix) != 0)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot grow the case index", st->path);
    case_slot *s = index_slot(ix, id);
    if (!s->id) {
        size_t len = strlen(id) + 1;
        s->id = malloc(len);
        if (!s->id)
            return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot store case id '%s'", st->path, id);
        memcpy(s->id, id, len);
        ix->count++;
    }
    s->status = status;
    return RDX_OK;
}

/* ---- HDF5 error handling ---- */

typedef struct {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static h5_quiet quiet_begin(void)
{
    h5_quiet q = {NULL, NULL};
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

static void quiet_end(h5_quiet q)
{
    H5Eset_auto2(H5E_DEFAULT, q.func, q.data);
}

#define H5_WHY_LEN 240

/* Walking upward, entry 0 is the innermost error: the most specific text. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *why)
{
    if (n == 0 && e->desc)
        snprintf(why, H5_WHY_LEN, "%s", e->desc);
    return 0;
}

/* Report a failed HDF5 call. Must run before the next HDF5 API call, which
 * clears the error stack. */
static rdx_status h5_fail(rdx_error *err, rdx_status code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static rdx_status h5_fail(rdx_error *err, rdx_status code, const char *path, const char *fmt, ...)
{
    char what[256], why[H5_WHY_LEN] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, why);
    if (why[0])
        return rdx_error_set(err, code, "%s: cannot %s (HDF5: %s)", path, what, why);
    return rdx_error_set(err, code, "%s: cannot %s", path, what);
}

static rdx_status not_a_store(rdx_error *err, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static rdx_status not_a_store(rdx_error *err, const char *path, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return rdx_error_set(err, RDX_E_FORMAT, "%s: not an rdx feature store: %s", path, why);
}

/* ---- creating a store ---- */

static rdx_status write_attr(rdx_store *st, const char *name, hid_t file_type, hid_t mem_type,
                             const void *buf, rdx_error *err)
{
    rdx_status rc = RDX_OK;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = space < 0 ? H5I_INVALID_HID
                           : H5Acreate2(st->file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, mem_type, buf) < 0)
        rc = h5_fail(err, RDX_E_IO, st->path, "write attribute %s", name);
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static rdx_status write_tags(rdx_store *st, const char *const *tags, rdx_error *err)
{
    rdx_status rc = RDX_OK;
    hsize_t n = st->n_tags;
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dset = space < 0 ? H5I_INVALID_HID
                           : H5Dcreate2(st->file, "feature_tags", st->str_type, space, H5P_DEFAULT,
                                        H5P_DEFAULT, H5P_DEFAULT);
    if (dset < 0 || H5Dwrite(dset, st->str_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tags) < 0)
        rc = h5_fail(err, RDX_E_IO, st->path, "write /feature_tags");
    if (dset >= 0)
        H5Dclose(dset);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* An empty growable dataset: rank 1 [0] or rank 2 [0, n_tags], chunked by rows;
 * shuffle + deflate when compress; fill (of fill_type) when non-NULL. */
static rdx_status create_rows(rdx_store *st, const char *name, hid_t type, int rank,
                              hsize_t chunk_rows, int compress, hid_t fill_type, const void *fill,
                              hid_t *out, rdx_error *err)
{
    hsize_t dims[2] = {0, st->n_tags}, maxdims[2] = {H5S_UNLIMITED, st->n_tags};
    hsize_t chunk[2] = {chunk_rows, st->n_tags};
    hid_t space = H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    rdx_status rc = RDX_OK;
    *out = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 &&
        (!compress || (H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, DEFLATE_LEVEL) >= 0)) &&
        (!fill || H5Pset_fill_value(dcpl, fill_type, fill) >= 0))
        *out = H5Dcreate2(st->file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (*out < 0)
        rc = h5_fail(err, RDX_E_IO, st->path, "create /%s", name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static hsize_t feature_chunk_rows(size_t n_tags)
{
    size_t rows = FEATURE_CHUNK_VALUES / n_tags;
    return rows < 1 ? 1 : rows > 1024 ? 1024 : rows;
}

static rdx_status build_store(rdx_store *st, const char *const *tags, const char *settings,
                              const char *version, rdx_error *err)
{
    int format_version = STORE_FORMAT_VERSION;
    double nan = NAN;
    rdx_status rc = write_attr(st, "rdx_version", st->str_type, st->str_type, &version, err);
    if (rc == RDX_OK)
        rc = write_attr(st, "settings", st->str_type, st->str_type, &settings, err);
    if (rc == RDX_OK)
        rc = write_attr(st, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &format_version, err);
    if (rc == RDX_OK)
        rc = write_tags(st, tags, err);
    if (rc == RDX_OK)
        rc = create_rows(st, "features", H5T_IEEE_F64LE, 2, feature_chunk_rows(st->n_tags), 1,
                         H5T_NATIVE_DOUBLE, &nan, &st->features, err);
    if (rc == RDX_OK)
        rc = create_rows(st, "case_ids", st->str_type, 1, CASE_CHUNK_ROWS, 0, 0, NULL, &st->case_ids,
                         err);
    if (rc == RDX_OK)
        rc = create_rows(st, "status", H5T_STD_I8LE, 1, CASE_CHUNK_ROWS, 1, 0, NULL, &st->status, err);
    if (rc == RDX_OK)
        rc = create_rows(st, "error", st->str_type, 1, CASE_CHUNK_ROWS, 0, 0, NULL, &st->error, err);
    if (rc == RDX_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0)
        rc = h5_fail(err, RDX_E_IO, st->path, "flush the new store");
    return rc;
}

/* ---- opening an existing store ---- */

static rdx_status open_dataset(rdx_store *st, const char *name, hid_t *out, rdx_error *err)
{
    if (H5Lexists(st->file, name, H5P_DEFAULT) <= 0)
        return not_a_store(err, st->path, "no /%s dataset", name);
    *out = H5Dopen2(st->file, name, H5P_DEFAULT);
    if (*out < 0)
        return h5_fail(err, RDX_E_FORMAT, st->path, "open /%s", name);
    return RDX_OK;
}

static rdx_status dataset_dims(rdx_store *st, hid_t dset, const char *name, int rank, hsize_t *dims,
                               rdx_error *err)
{
    hid_t space = H5Dget_space(dset);
    int got = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (got == rank && H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        got = -1;
    if (space >= 0)
        H5Sclose(space);
    if (got != rank)
        return not_a_store(err, st->path, "/%s has rank %d, expected %d", name, got, rank);
    return RDX_OK;
}

/* Read a whole 1-D dataset of vlen strings. *out (n entries, each string HDF5
 * allocated) is released with free_strings. */
static rdx_status read_strings(rdx_store *st, hid_t dset, const char *name, char ***out, size_t *n,
                               rdx_error *err)
{
    hsize_t dims[1] = {0};
    rdx_status rc = dataset_dims(st, dset, name, 1, dims, err);
    *out = NULL;
    *n = 0;
    if (rc != RDX_OK)
        return rc;
    *n = (size_t)dims[0];
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate %zu strings for /%s", st->path,
                             *n, name);
    if (*n && H5Dread(dset, st->str_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        return h5_fail(err, RDX_E_FORMAT, st->path, "read /%s as variable-length strings", name);
    return RDX_OK;
}

static void free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        H5free_memory(s[i]);
    free(s);
}

static rdx_status read_str_attr(rdx_store *st, const char *name, char **out, rdx_error *err)
{
    rdx_status rc = RDX_OK;
    hid_t attr;
    *out = NULL;
    if (H5Aexists(st->file, name) <= 0)
        return not_a_store(err, st->path, "no %s attribute", name);
    attr = H5Aopen(st->file, name, H5P_DEFAULT);
    if (attr < 0 || H5Aread(attr, st->str_type, out) < 0)
        rc = h5_fail(err, RDX_E_FORMAT, st->path, "read attribute %s as a variable-length string",
                     name);
    if (attr >= 0)
        H5Aclose(attr);
    return rc;
}

static rdx_status check_format_version(rdx_store *st, rdx_error *err)
{
    rdx_status rc = RDX_OK;
    int version = -1;
    hid_t attr;
    if (H5Aexists(st->file, "format_version") <= 0)
        return not_a_store(err, st->path, "no format_version attribute");
    attr = H5Aopen(st->file, "format_version", H5P_DEFAULT);
    if (attr < 0 || H5Aread(attr, H5T_NATIVE_INT, &version) < 0)
        rc = h5_fail(err, RDX_E_FORMAT, st->path, "read attribute format_version");
    else if (version != STORE_FORMAT_VERSION)
        rc = rdx_error_set(err, RDX_E_UNSUPPORTED, "%s: store format_version %d, this rdx handles %d",
                           st->path, version, STORE_FORMAT_VERSION);
    if (attr >= 0)
        H5Aclose(attr);
    return rc;
}

/* The stored tags must equal tags, in order; `against` names where tags come
 * from in the message ("requested", "in a.h5"). */
static rdx_status compare_tags(const char *path, char **stored, size_t n_stored,
                               const char *const *tags, size_t n_tags, const char *against,
                               rdx_error *err)
{
    size_t n = n_stored < n_tags ? n_stored : n_tags;
    for (size_t i = 0; i < n; i++) {
        const char *have = stored[i] ? stored[i] : "";
        if (strcmp(have, tags[i]) != 0)
            return rdx_error_set(err, RDX_E_MISMATCH,
                                 "%s: feature tag %zu is '%s' in the store but '%s' %s", path, i,
                                 have, tags[i], against);
    }
    if (n_stored != n_tags)
        return rdx_error_set(err, RDX_E_MISMATCH,
                             "%s: store has %zu feature tags, %zu %s (first difference at %zu: '%s')",
                             path, n_stored, n_tags, against, n,
                             n_stored > n ? (stored[n] ? stored[n] : "") : tags[n]);
    return RDX_OK;
}

/* Settings texts must be equal; the message quotes the first line that differs. */
static rdx_status compare_settings(const char *path, const char *stored, const char *settings,
                                   const char *against, rdx_error *err)
{
    size_t i = 0, line = 1, start = 0;
    for (; stored[i] && stored[i] == settings[i]; i++)
        if (stored[i] == '\n') {
            line++;
            start = i + 1;
        }
    if (stored[i] == settings[i])
        return RDX_OK;
    /* Each side's line, up to its newline (at most 80 characters). */
    int have_len = (int)strcspn(stored + start, "\n"), want_len = (int)strcspn(settings + start, "\n");
    return rdx_error_set(err, RDX_E_MISMATCH,
                         "%s: store was written with different settings (line %zu: '%.*s' in the "
                         "store, '%.*s' %s)",
                         path, line, have_len < 80 ? have_len : 80, stored + start,
                         want_len < 80 ? want_len : 80, settings + start, against);
}

/* The stored feature tags (*out released with free_strings, also on failure);
 * /features must be [rows, n_tags]. */
static rdx_status read_tags(rdx_store *st, char ***out, size_t *n, rdx_error *err)
{
    hid_t dset = H5I_INVALID_HID;
    hsize_t dims[2];
    rdx_status rc = open_dataset(st, "feature_tags", &dset, err);
    *out = NULL;
    *n = 0;
    if (rc == RDX_OK)
        rc = read_strings(st, dset, "feature_tags", out, n, err);
    if (rc == RDX_OK)
        rc = dataset_dims(st, st->features, "features", 2, dims, err);
    if (rc == RDX_OK && dims[1] != *n)
        rc = not_a_store(err, st->path, "/features has %llu columns but there are %zu feature tags",
                         (unsigned long long)dims[1], *n);
    if (dset >= 0)
        H5Dclose(dset);
    return rc;
}

static rdx_status check_tags(rdx_store *st, const char *const *tags, rdx_error *err)
{
    char **stored;
    size_t n_stored;
    rdx_status rc = read_tags(st, &stored, &n_stored, err);
    if (rc == RDX_OK)
        rc = compare_tags(st->path, stored, n_stored, tags, st->n_tags, "requested", err);
    free_strings(stored, n_stored);
    return rc;
}

static rdx_status check_settings(rdx_store *st, const char *settings, rdx_error *err)
{
    char *stored;
    rdx_status rc = read_str_attr(st, "settings", &stored, err);
    if (rc == RDX_OK)
        rc = compare_settings(st->path, stored ? stored : "", settings, "requested", err);
    H5free_memory(stored);
    return rc;
}

static rdx_status read_status(rdx_store *st, signed char **out, size_t *n, rdx_error *err)
{
    hsize_t dims[1] = {0};
    rdx_status rc = dataset_dims(st, st->status, "status", 1, dims, err);
    *out = NULL;
    *n = 0;
    if (rc != RDX_OK)
        return rc;
    *n = (size_t)dims[0];
    *out = malloc(*n ? *n : 1);
    if (!*out)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate %zu statuses", st->path, *n);
    if (*n && H5Dread(st->status, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
        return h5_fail(err, RDX_E_FORMAT, st->path, "read /status");
    return RDX_OK;
}

/* Rows present in all four per-case datasets. A crash while appending can
 * leave them with different lengths: only complete rows count, and the next
 * append overwrites the unfinished one. */
static rdx_status complete_rows(rdx_store *st, size_t *rows, rdx_error *err)
{
    hsize_t ids[1] = {0}, status[1] = {0}, features[2] = {0, 0}, errors[1] = {0};
    rdx_status rc = dataset_dims(st, st->case_ids, "case_ids", 1, ids, err);
    if (rc == RDX_OK)
        rc = dataset_dims(st, st->status, "status", 1, status, err);
    if (rc == RDX_OK)
        rc = dataset_dims(st, st->features, "features", 2, features, err);
    if (rc == RDX_OK)
        rc = dataset_dims(st, st->error, "error", 1, errors, err);
    hsize_t n = ids[0] < status[0] ? ids[0] : status[0];
    if (features[0] < n)
        n = features[0];
    if (errors[0] < n)
        n = errors[0];
    *rows = (size_t)n;
    return rc;
}

/* Index the complete rows already in the file. */
static rdx_status load_cases(rdx_store *st, rdx_error *err)
{
    char **ids = NULL;
    signed char *status = NULL;
    size_t n_ids = 0, n_status = 0, rows = 0;
    rdx_status rc = complete_rows(st, &rows, err);
    if (rc == RDX_OK)
        rc = read_strings(st, st->case_ids, "case_ids", &ids, &n_ids, err);
    if (rc == RDX_OK)
        rc = read_status(st, &status, &n_status, err);
    for (size_t i = 0; rc == RDX_OK && i < rows; i++)
        rc = index_put(st, ids[i] ? ids[i] : "", status[i], err);
    if (rc == RDX_OK)
        st->n_cases = rows;
    free_strings(ids, n_ids);
    free(status);
    return rc;
}

/* Open the file (flags: H5F_ACC_RDWR or H5F_ACC_RDONLY) and its per-case
 * datasets, and check the format version. */
static rdx_status open_existing(rdx_store *st, unsigned flags, rdx_error *err)
{
    htri_t is_hdf5 = H5Fis_hdf5(st->path);
    rdx_status rc;
    if (is_hdf5 == 0)
        return not_a_store(err, st->path, "not an HDF5 file");
    if (is_hdf5 < 0)
        return h5_fail(err, RDX_E_IO, st->path, "read the file");
    st->file = H5Fopen(st->path, flags, H5P_DEFAULT);
    if (st->file < 0)
        return h5_fail(err, RDX_E_IO, st->path, "open the HDF5 file%s",
                       flags == H5F_ACC_RDWR ? " for writing" : "");
    rc = open_dataset(st, "features", &st->features, err);
    if (rc == RDX_OK)
        rc = open_dataset(st, "case_ids", &st->case_ids, err);
    if (rc == RDX_OK)
        rc = open_dataset(st, "status", &st->status, err);
    if (rc == RDX_OK)
        rc = open_dataset(st, "error", &st->error, err);
    if (rc == RDX_OK)
        rc = check_format_version(st, err);
    return rc;
}

static rdx_status open_store(rdx_store *st, const char *const *tags, const char *settings,
                             rdx_error *err)
{
    rdx_status rc = open_existing(st, H5F_ACC_RDWR, err);
    if (rc == RDX_OK)
        rc = check_tags(st, tags, err);
    if (rc == RDX_OK)
        rc = check_settings(st, settings, err);
    if (rc == RDX_OK)
        rc = load_cases(st, err);
    return rc;
}

/* ---- lifetime ---- */

/* Close every HDF5 handle (each close is attempted); the first failure is reported. */
static rdx_status close_handles(rdx_store *st, rdx_error *err)
{
    hid_t *dsets[] = {&st->features, &st->case_ids, &st->status, &st->error};
    rdx_status rc = RDX_OK;
    for (size_t i = 0; i < sizeof dsets / sizeof dsets[0]; i++) {
        if (*dsets[i] >= 0 && H5Dclose(*dsets[i]) < 0 && rc == RDX_OK)
            rc = h5_fail(err, RDX_E_IO, st->path, "close a dataset");
        *dsets[i] = H5I_INVALID_HID;
    }
    if (st->str_type >= 0)
        H5Tclose(st->str_type);
    if (st->xfer >= 0)
        H5Pclose(st->xfer);
    st->str_type = st->xfer = H5I_INVALID_HID;
    if (st->file >= 0 && H5Fclose(st->file) < 0 && rc == RDX_OK)
        rc = h5_fail(err, RDX_E_IO, st->path, "flush and close the file");
    st->file = H5I_INVALID_HID;
    return rc;
}

static void store_free(rdx_store *st)
{
    for (size_t i = 0; i < st->index.cap; i++)
        free(st->index.slots[i].id);
    free(st->index.slots);
    free(st->nan_row);
    free(st->path);
    free(st);
}

/* The store object with its memory but no file yet; NULL when out of memory.
 * n_tags is 0 for a reader, which learns it from the file and needs no NaN row. */
static rdx_store *store_new(const char *path, size_t n_tags)
{
    rdx_store *st = calloc(1, sizeof *st);
    size_t len = strlen(path) + 1;
    if (!st)
        return NULL;
    st->file = st->str_type = st->xfer = H5I_INVALID_HID;
    st->features = st->case_ids = st->status = st->error = H5I_INVALID_HID;
    st->n_tags = n_tags;
    st->path = malloc(len);
    st->nan_row = n_tags ? malloc(n_tags * sizeof *st->nan_row) : NULL;
    if (!st->path || (n_tags && !st->nan_row)) {
        store_free(st);
        return NULL;
    }
    memcpy(st->path, path, len);
    for (size_t i = 0; i < n_tags; i++)
        st->nan_row[i] = NAN;
    return st;
}

static hid_t utf8_vlen_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

/* The string type and transfer property list of every row read and write. */
static rdx_status make_types(rdx_store *st, rdx_error *err)
{
    st->str_type = utf8_vlen_string_type();
    if (st->str_type < 0)
        return h5_fail(err, RDX_E_NOMEM, st->path, "make the UTF-8 string type");
    /* HDF5 callocs its whole conversion buffer (1 MiB by default) for every
     * string read or write; one row needs far less (10,000 appends: 26 s -> 7 s). */
    st->xfer = H5Pcreate(H5P_DATASET_XFER);
    if (st->xfer < 0 || H5Pset_buffer(st->xfer, XFER_BUFFER_BYTES, NULL, NULL) < 0)
        return h5_fail(err, RDX_E_NOMEM, st->path, "make the transfer property list");
    return RDX_OK;
}

/* *exists: whether st->path is there; anything but a regular file is an error. */
static rdx_status file_exists(const rdx_store *st, int *exists, rdx_error *err)
{
    struct stat sb;
    *exists = stat(st->path, &sb) == 0;
    if (*exists && !S_ISREG(sb.st_mode))
        return rdx_error_set(err, RDX_E_IO, "%s: not a regular file", st->path);
    if (!*exists && errno != ENOENT)
        return rdx_error_set(err, RDX_E_IO, "%s: %s", st->path, strerror(errno));
    return RDX_OK;
}

/* Create the file, or open it when it exists; a store that fails half-built is removed. */
static rdx_status open_or_create(rdx_store *st, const char *const *tags, const char *settings,
                                 const char *version, rdx_error *err)
{
    int exists = 0;
    rdx_status rc = make_types(st, err);
    if (rc == RDX_OK)
        rc = file_exists(st, &exists, err);
    if (rc != RDX_OK)
        return rc;
    if (exists)
        return open_store(st, tags, settings, err);
    st->file = H5Fcreate(st->path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (st->file < 0)
        return h5_fail(err, RDX_E_IO, st->path, "create the HDF5 file");
    rc = build_store(st, tags, settings, version, err);
    if (rc != RDX_OK) {
        close_handles(st, NULL);
        remove(st->path);
    }
    return rc;
}

rdx_status rdx_store_open(const char *path, const char *const *tags, size_t n_tags,
                          const char *settings_yaml, const char *rdx_version, rdx_store **out,
                          rdx_error *err)
{
    rdx_store *st;
    rdx_status rc;
    h5_quiet q;
    if (out)
        *out = NULL;
    if (!out || !path || !tags || n_tags == 0)
        return rdx_error_set(err, RDX_E_INVALID, "%s: store needs a path, an output and >= 1 feature tag",
                             path ? path : "(null)");
    for (size_t i = 0; i < n_tags; i++)
        if (!tags[i])
            return rdx_error_set(err, RDX_E_INVALID, "%s: feature tag %zu is NULL", path, i);
    st = store_new(path, n_tags);
    if (!st)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate the store", path);
    q = quiet_begin();
    rc = open_or_create(st, tags, settings_yaml ? settings_yaml : "", rdx_version ? rdx_version : "",
                        err);
    if (rc != RDX_OK)
        close_handles(st, NULL);
    quiet_end(q);
    if (rc != RDX_OK) {
        store_free(st);
        return rc;
    }
    *out = st;
    return RDX_OK;
}

/* ---- one row of a per-case dataset ---- */

/* Select row `row` of dset (rank 1 [rows] or rank 2 [rows, n_tags]) in
 * *file_space and make *mem_space one row; -1 on failure. The caller closes
 * both with close_spaces. */
static herr_t select_row(const rdx_store *st, hid_t dset, int rank, hsize_t row, hid_t *file_space,
                         hid_t *mem_space)
{
    hsize_t start[2] = {row, 0}, count[2] = {1, st->n_tags};
    *file_space = H5Dget_space(dset);
    if (*file_space < 0 || H5Sselect_hyperslab(*file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
        return -1;
    *mem_space = H5Screate_simple(rank, count, NULL);
    return *mem_space < 0 ? -1 : 0;
}

static void close_spaces(hid_t file_space, hid_t mem_space)
{
    if (mem_space >= 0)
        H5Sclose(mem_space);
    if (file_space >= 0)
        H5Sclose(file_space);
}

/* Grow dset to st->n_cases + 1 rows and write buf into the new last row. */
static rdx_status append_row(rdx_store *st, hid_t dset, const char *name, int rank, hid_t mem_type,
                             const void *buf, rdx_error *err)
{
    hsize_t row = st->n_cases, dims[2] = {row + 1, st->n_tags};
    hid_t file_space = H5I_INVALID_HID, mem_space = H5I_INVALID_HID;
    rdx_status rc = RDX_OK;
    if (H5Dset_extent(dset, dims) < 0 || select_row(st, dset, rank, row, &file_space, &mem_space) < 0 ||
        H5Dwrite(dset, mem_type, mem_space, file_space, st->xfer, buf) < 0)
        rc = h5_fail(err, RDX_E_IO, st->path, "append row %llu to /%s", (unsigned long long)row, name);
    close_spaces(file_space, mem_space);
    return rc;
}

/* Read row `row` of dset into buf (vlen strings: HDF5 allocates them). */
static rdx_status read_row(rdx_store *st, hid_t dset, const char *name, int rank, hid_t mem_type,
                           hsize_t row, void *buf, rdx_error *err)
{
    hid_t file_space = H5I_INVALID_HID, mem_space = H5I_INVALID_HID;
    rdx_status rc = RDX_OK;
    if (select_row(st, dset, rank, row, &file_space, &mem_space) < 0 ||
        H5Dread(dset, mem_type, mem_space, file_space, st->xfer, buf) < 0)
        rc = h5_fail(err, RDX_E_FORMAT, st->path, "read row %llu of /%s", (unsigned long long)row, name);
    close_spaces(file_space, mem_space);
    return rc;
}

/* ---- appending ---- */

static rdx_status append_case(rdx_store *st, const char *case_id, const double *values,
                              const char *error_text, rdx_error *err)
{
    signed char status = error_text ? 1 : 0;
    const char *error_str = error_text ? error_text : "";
    rdx_status rc = append_row(st, st->features, "features", 2, H5T_NATIVE_DOUBLE,
                               error_text ? st->nan_row : values, err);
    if (rc == RDX_OK)
        rc = append_row(st, st->case_ids, "case_ids", 1, st->str_type, &case_id, err);
    if (rc == RDX_OK)
        rc = append_row(st, st->status, "status", 1, H5T_NATIVE_SCHAR, &status, err);
    if (rc == RDX_OK)
        rc = append_row(st, st->error, "error", 1, st->str_type, &error_str, err);
    /* Flush per case so a crash later loses at most the case in flight. */
    if (rc == RDX_OK && H5Fflush(st->file, H5F_SCOPE_GLOBAL) < 0)
        rc = h5_fail(err, RDX_E_IO, st->path, "flush case '%s'", case_id);
    if (rc != RDX_OK)
        return rc;
    st->n_cases++;
    return index_put(st, case_id, status, err);
}

rdx_status rdx_store_append(rdx_store *st, const char *case_id, const double *values,
                            const char *error_text, rdx_error *err)
{
    rdx_status rc;
    h5_quiet q;
    if (!st || !case_id || (!values && !error_text))
        return rdx_error_set(err, RDX_E_INVALID, "%s: append needs a store, a case id and values",
                             st ? st->path : "(null)");
    q = quiet_begin();
    rc = append_case(st, case_id, values, error_text, err);
    quiet_end(q);
    return rc;
}

int rdx_store_case_status(const rdx_store *st, const char *case_id)
{
    const case_slot *s;
    if (!st || !case_id || st->index.cap == 0)
        return -1;
    s = index_slot(&st->index, case_id);
    return s->id ? s->status : -1;
}

size_t rdx_store_case_count(const rdx_store *st)
{
    return st ? st->n_cases : 0;
}

rdx_status rdx_store_close(rdx_store *st, rdx_error *err)
{
    rdx_status rc;
    h5_quiet q;
    if (!st)
        return RDX_OK;
    q = quiet_begin();
    rc = close_handles(st, err);
    quiet_end(q);
    store_free(st);
    return rc;
}

/* ---- reading ---- */

/* The strings are allocated by HDF5 (released with H5free_memory). */
struct rdx_store_reader {
    rdx_store *st; /* file and datasets; n_tags and n_cases (complete rows) from the file */
    char **tags;   /* st->n_tags of them */
    char *settings, *version;
    double *values;             /* the row last read */
    char *case_id, *error_text; /* the row last read */
};

static void release_row_strings(rdx_store_reader *r)
{
    H5free_memory(r->case_id);
    H5free_memory(r->error_text);
    r->case_id = r->error_text = NULL;
}

static void reader_free(rdx_store_reader *r)
{
    release_row_strings(r);
    free_strings(r->tags, r->st->n_tags);
    H5free_memory(r->settings);
    H5free_memory(r->version);
    free(r->values);
    close_handles(r->st, NULL);
    store_free(r->st);
    free(r);
}

static rdx_status reader_load(rdx_store_reader *r, rdx_error *err)
{
    rdx_store *st = r->st;
    int exists = 0;
    rdx_status rc = file_exists(st, &exists, err);
    if (rc == RDX_OK && !exists)
        rc = rdx_error_set(err, RDX_E_IO, "%s: no such file", st->path);
    if (rc == RDX_OK)
        rc = make_types(st, err);
    if (rc == RDX_OK)
        rc = open_existing(st, H5F_ACC_RDONLY, err);
    if (rc == RDX_OK)
        rc = read_tags(st, &r->tags, &st->n_tags, err);
    if (rc == RDX_OK && st->n_tags == 0)
        rc = not_a_store(err, st->path, "no feature tags");
    for (size_t i = 0; rc == RDX_OK && i < st->n_tags; i++)
        if (!r->tags[i])
            rc = not_a_store(err, st->path, "feature tag %zu is not a string", i);
    if (rc == RDX_OK)
        rc = read_str_attr(st, "settings", &r->settings, err);
    if (rc == RDX_OK)
        rc = read_str_attr(st, "rdx_version", &r->version, err);
    if (rc == RDX_OK)
        rc = complete_rows(st, &st->n_cases, err);
    if (rc == RDX_OK && !(r->values = malloc(st->n_tags * sizeof *r->values)))
        rc = rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate a row of %zu values", st->path,
                           st->n_tags);
    return rc;
}

rdx_status rdx_store_open_read(const char *path, rdx_store_reader **out, rdx_error *err)
{
    rdx_store_reader *r;
    rdx_status rc;
    h5_quiet q;
    if (out)
        *out = NULL;
    if (!out || !path)
        return rdx_error_set(err, RDX_E_INVALID, "%s: reading a store needs a path and an output",
                             path ? path : "(null)");
    r = calloc(1, sizeof *r);
    if (r && !(r->st = store_new(path, 0))) {
        free(r);
        r = NULL;
    }
    if (!r)
        return rdx_error_set(err, RDX_E_NOMEM, "%s: cannot allocate the store reader", path);
    q = quiet_begin();
    rc = reader_load(r, err);
    if (rc != RDX_OK)
        reader_free(r);
    quiet_end(q);
    if (rc == RDX_OK)
        *out = r;
    return rc;
}

const char *const *rdx_store_reader_tags(const rdx_store_reader *r, size_t *n_tags)
{
    if (n_tags)
        *n_tags = r ? r->st->n_tags : 0;
    return r ? (const char *const *)r->tags : NULL;
}

const char *rdx_store_reader_settings(const rdx_store_reader *r)
{
    return r && r->settings ? r->settings : "";
}

const char *rdx_store_reader_version(const rdx_store_reader *r)
{
    return r && r->version ? r->version : "";
}

size_t rdx_store_reader_rows(const rdx_store_reader *r)
{
    return r ? r->st->n_cases : 0;
}

rdx_status rdx_store_reader_check(const rdx_store_reader *r, const char *const *tags, size_t n_tags,
                                  const char *settings_yaml, const char *against, rdx_error *err)
{
    rdx_status rc;
    if (!r || !tags)
        return rdx_error_set(err, RDX_E_INVALID, "store check needs a reader and feature tags");
    if (!against)
        against = "expected";
    rc = compare_tags(r->st->path, r->tags, r->st->n_tags, tags, n_tags, against, err);
    if (rc == RDX_OK)
        rc = compare_settings(r->st->path, rdx_store_reader_settings(r),
                              settings_yaml ? settings_yaml : "", against, err);
    return rc;
}

rdx_status rdx_store_read_row(rdx_store_reader *r, size_t i, rdx_store_row *row, rdx_error *err)
{
    rdx_store *st;
    signed char status = 0;
    rdx_status rc;
    h5_quiet q;
    if (!r || !row)
        return rdx_error_set(err, RDX_E_INVALID, "reading a row needs a reader and a row");
    st = r->st;
    if (i >= st->n_cases)
        return rdx_error_set(err, RDX_E_INVALID, "%s: row %zu requested, the store has %zu rows",
                             st->path, i, st->n_cases);
    q = quiet_begin();
    release_row_strings(r);
    rc = read_row(st, st->features, "features", 2, H5T_NATIVE_DOUBLE, i, r->values, err);
    if (rc == RDX_OK)
        rc = read_row(st, st->case_ids, "case_ids", 1, st->str_type, i, &r->case_id, err);
    if (rc == RDX_OK)
        rc = read_row(st, st->status, "status", 1, H5T_NATIVE_SCHAR, i, &status, err);
    if (rc == RDX_OK)
        rc = read_row(st, st->error, "error", 1, st->str_type, i, &r->error_text, err);
    quiet_end(q);
    if (rc != RDX_OK)
        return rc;
    row->case_id = r->case_id ? r->case_id : "";
    row->values = r->values;
    row->status = status;
    row->error_text = r->error_text ? r->error_text : "";
    return RDX_OK;
}

void rdx_store_reader_close(rdx_store_reader *r)
{
    h5_quiet q;
    if (!r)
        return;
    q = quiet_begin();
    reader_free(r);
    quiet_end(q);
}
