/* The list of cases of an extraction run: from a manifest CSV
 * (case_id,image,mask[,label]) or from one image/mask pair. */
#ifndef RDX_HOST_MANIFEST_H
#define RDX_HOST_MANIFEST_H

#include <stddef.h>
#include "rdx/error.h"

typedef struct {
    char *case_id, *image, *mask; /* owned by the manifest */
    int label;                    /* RDX_LABEL_ANY or a label value */
} rdx_case_spec;

typedef struct {
    rdx_case_spec *items;
    size_t n;
} rdx_manifest;

/* Read a manifest. Relative image/mask paths are resolved against the
 * manifest's folder; an empty or absent label cell means default_label.
 * Duplicate case ids are an error. Release with rdx_manifest_free. */
rdx_status rdx_manifest_read(const char *path, int default_label, rdx_manifest *out, rdx_error *err);

/* One case; case_id NULL means the image file name without folder. */
rdx_status rdx_manifest_single(const char *case_id, const char *image, const char *mask, int label,
                               rdx_manifest *out, rdx_error *err);

void rdx_manifest_free(rdx_manifest *m);

#endif
