/* Feature identifiers, the feature table, and per-case extraction.
 *
 * Every feature rdx can compute has an enum RDX_F_<TAG> and a row in
 * rdx/feature_list.h (tag, IBSI code, family, PyRadiomics name). A case's
 * results are a double array indexed by that enum (NaN = not computed). */
#ifndef RDX_FEATURES_H
#define RDX_FEATURES_H

#include <stddef.h>
#include "rdx/device.h"
#include "rdx/error.h"
#include "rdx/settings.h"
#include "rdx/volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
#define RDX_FEATURE(id, tag, code, family, agg, pyname) RDX_F_##id,
#include "rdx/feature_list.h"
    RDX_F_COUNT
} rdx_feature_id;

typedef struct {
    const char *tag;
    const char *ibsi_code;
    rdx_family_flag family;
    const char *family_name;
    unsigned aggregation; /* rdx_aggregation_flag the value belongs to; 0 = not a texture aggregation */
    const char *pyradiomics;
} rdx_feature_def;

const rdx_feature_def *rdx_feature_table(void); /* RDX_F_COUNT rows */

/* Indices (rdx_feature_id) of the features the settings enable (family and
 * texture aggregation), in table order.
 * Writes at most cap ids and returns how many there are. */
size_t rdx_enabled_features(const rdx_settings *s, rdx_feature_id *ids, size_t cap);

/* Run the whole pipeline on one case: calibration, resampling, re-segmentation,
 * discretisation, then every enabled family. values[RDX_F_COUNT] receives the
 * results (NaN for features not enabled). image and mask must share a grid
 * (checked by the caller with rdx_grid_check_same). device is RDX_DEVICE_CPU
 * or RDX_DEVICE_CUDA (resolved with rdx_device_select): the kernels that exist
 * run there, with results identical to the CPU. image_path names the case in
 * error messages. The inputs are not modified. */
rdx_status rdx_extract_case(const rdx_image *image, const rdx_mask *mask, const rdx_settings *s,
                            rdx_device device, const char *image_path, double *values, rdx_error *err);

/* The same, taking image->data and mask->data over: the pipeline frees them
 * as soon as it no longer needs them (before the texture families, which
 * then have the memory), so peak memory is lower than with rdx_extract_case.
 * Both data pointers are NULL on return; the results are the same. */
rdx_status rdx_extract_case_take(rdx_image *image, rdx_mask *mask, const rdx_settings *s, rdx_device device,
                                 const char *image_path, double *values, rdx_error *err);

/* The two halves of rdx_extract_case, for computing several cases together.
 * rdx_case_prepare runs the processing chain and the families that need the
 * whole image, and keeps what the other families need (the ROI intensities
 * and the ROI's bounding box, cut out): image and mask can be freed or
 * reused as soon as it returns. values and s are kept: they must stay valid
 * until the finish, which writes values. On failure *out is NULL and the
 * error names image_path. */
typedef struct rdx_prepared_case rdx_prepared_case;

rdx_status rdx_case_prepare(const rdx_image *image, const rdx_mask *mask, const rdx_settings *s, rdx_device device,
                            const char *image_path, double *values, rdx_prepared_case **out, rdx_error *err);

/* The other families of n prepared cases; st[k] and err[k] receive case k's
 * outcome, and the cases are freed (cases[k] set to NULL). On a CUDA
 * device, cases that share their settings have their GLCM, GLRLM, NGTDM
 * and NGLDM matrices counted, and their GLSZM and GLDZM zones labelled, in
 * shared kernel launches (several small ROIs per launch instead of one
 * launch per case); the values and errors are the same as one case at a
 * time. A NULL case gets RDX_E_INVALID. */
void rdx_cases_finish(rdx_prepared_case **cases, size_t n, rdx_status *st, rdx_error *err);

/* Frees a prepared case without finishing it (NULL: nothing). */
void rdx_prepared_case_free(rdx_prepared_case *pc);

#ifdef __cplusplus
}
#endif
#endif
