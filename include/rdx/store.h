/* The HDF5 feature store: one file for a cohort, many cases.
 *
 * Layout (readable with h5py/pandas, R hdf5r, h5dump):
 *   /features      float64 [n_cases, n_features], chunked, deflate; NaN where a
 *                  value is missing (failed case, feature undefined)
 *   /feature_tags  variable-length UTF-8 strings [n_features] (IBSI tags)
 *   /case_ids      variable-length UTF-8 strings [n_cases]
 *   /status        int8 [n_cases]: 0 = ok, 1 = failed
 *   /error         variable-length UTF-8 strings [n_cases]: "" or the error text
 *   root attributes: rdx_version, settings (YAML text), format_version (1)
 * Appending a case extends the four per-case datasets by one row and flushes
 * the file; earlier rows are never rewritten. A store is also opened read-only
 * (rdx_store_reader) to copy its rows one at a time, e.g. to merge the stores of
 * a cohort run split into shards. */
#ifndef RDX_STORE_H
#define RDX_STORE_H

#include <stddef.h>
#include "rdx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rdx_store rdx_store;

/* Open path for appending, creating it when missing. An existing store must
 * have exactly these feature tags and the same settings text, else
 * RDX_E_MISMATCH naming the first difference. *out is owned by the caller and
 * released with rdx_store_close. */
rdx_status rdx_store_open(const char *path, const char *const *tags, size_t n_tags,
                          const char *settings_yaml, const char *rdx_version, rdx_store **out,
                          rdx_error *err);

/* Append one case. values has n_tags entries (ignored and written as NaN when
 * error_text is non-NULL: the case failed). */
rdx_status rdx_store_append(rdx_store *st, const char *case_id, const double *values,
                            const char *error_text, rdx_error *err);

/* Status of the latest row for case_id: -1 absent, 0 ok, 1 failed (to resume runs). */
int rdx_store_case_status(const rdx_store *st, const char *case_id);

size_t rdx_store_case_count(const rdx_store *st);

/* Flush and close; NULL is allowed. */
rdx_status rdx_store_close(rdx_store *st, rdx_error *err);

/* ---- reading ---- */

typedef struct rdx_store_reader rdx_store_reader;

/* One row as stored. The pointers belong to the reader and stay valid until
 * the next rdx_store_read_row or rdx_store_reader_close. */
typedef struct {
    const char *case_id;
    const double *values;   /* one per feature tag; NaN where missing (all NaN when failed) */
    int status;             /* 0 ok, 1 failed */
    const char *error_text; /* "" for an ok row */
} rdx_store_row;

/* Open an existing store read-only (RDX_E_IO when it cannot be read,
 * RDX_E_FORMAT when it is not a store, RDX_E_UNSUPPORTED for another
 * format_version). Only rows present in all per-case datasets count (a run
 * that crashed mid-append leaves one unfinished row). *out is released with
 * rdx_store_reader_close. */
rdx_status rdx_store_open_read(const char *path, rdx_store_reader **out, rdx_error *err);

/* The feature tags (columns); *n_tags receives their count. */
const char *const *rdx_store_reader_tags(const rdx_store_reader *r, size_t *n_tags);

/* The settings YAML and the rdx version the store was written with. */
const char *rdx_store_reader_settings(const rdx_store_reader *r);
const char *rdx_store_reader_version(const rdx_store_reader *r);

/* Number of rows, failed and repeated cases included. */
size_t rdx_store_reader_rows(const rdx_store_reader *r);

/* RDX_E_MISMATCH naming the first difference when the store's feature tags
 * or settings text are not exactly these; `against` says in the message where
 * these come from (e.g. "requested", "in part_0.h5"). */
rdx_status rdx_store_reader_check(const rdx_store_reader *r, const char *const *tags, size_t n_tags,
                                  const char *settings_yaml, const char *against, rdx_error *err);

/* Read row i (0 <= i < rdx_store_reader_rows) into *row. */
rdx_status rdx_store_read_row(rdx_store_reader *r, size_t i, rdx_store_row *row, rdx_error *err);

/* Close; NULL is allowed. */
void rdx_store_reader_close(rdx_store_reader *r);

#ifdef __cplusplus
}
#endif
#endif
