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
 * the file; earlier rows are never rewritten. */
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

#ifdef __cplusplus
}
#endif
#endif
