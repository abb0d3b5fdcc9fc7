/* kernels.h for builds without the CUDA toolkit: no device is ever usable, so
 * every computation stays on the CPU. */
#include <stdio.h>

#include "kernels.h"

enum { NOT_BUILT = 100 }; /* cudaErrorNoDevice */

int rdx_cuda_device_query(char *name, size_t name_len, char *why, size_t why_len)
{
    snprintf(name, name_len, "none");
    snprintf(why, why_len, "rdx was built without CUDA (nvcc was not found at build time)");
    return 0;
}

const char *rdx_cuda_error_string(int code)
{
    return code == NOT_BUILT ? "rdx was built without CUDA" : "unknown error";
}

int rdx_cuda_intensity_histogram(const float *x, size_t n, const rdx_disc_info *d, int64_t *hist)
{
    (void)x, (void)n, (void)d, (void)hist;
    return NOT_BUILT;
}

/* ---- resampling, discretisation, intensity statistics, IVH, local intensity (kernels/intensity.cu, kernels/resample.cu) ---- */

int rdx_cuda_resample(const float *src, size_t src_count, const rdx_cuda_axis_taps axes[3], float *out_img,
                      uint8_t *out_mask, double threshold)
{
    (void)src, (void)src_count, (void)axes, (void)out_img, (void)out_mask, (void)threshold;
    return NOT_BUILT;
}

int rdx_cuda_discretise(const float *x, const uint8_t *roi, size_t n, const rdx_disc_info *d, int32_t *grey)
{
    (void)x, (void)roi, (void)n, (void)d, (void)grey;
    return NOT_BUILT;
}

int rdx_cuda_central_power_sums(const float *x, size_t n, double c, double *part)
{
    (void)x, (void)n, (void)c, (void)part;
    return NOT_BUILT;
}

int rdx_cuda_abs_dev_sums(const float *x, size_t n, double c, double lo, double hi, double *part)
{
    (void)x, (void)n, (void)c, (void)lo, (void)hi, (void)part;
    return NOT_BUILT;
}

int rdx_cuda_spread_sums(const float *x, size_t n, double mean, double median, double lo, double hi, double *part)
{
    (void)x, (void)n, (void)mean, (void)median, (void)lo, (void)hi, (void)part;
    return NOT_BUILT;
}

int rdx_cuda_select_ranks(const float *x, size_t n, const size_t *ranks, size_t m, float *vals)
{
    (void)x, (void)n, (void)ranks, (void)m, (void)vals;
    return NOT_BUILT;
}

int rdx_cuda_local_means(const float *box, const int64_t dim[3], const rdx_chord *chords, int n_chords,
                         const int64_t *centres, size_t n, double *means)
{
    (void)box, (void)dim, (void)chords, (void)n_chords, (void)centres, (void)n, (void)means;
    return NOT_BUILT;
}

/* ---- GLCM and GLRLM (kernels/glcm.cu, kernels/glrlm.cu) ---- */

int rdx_cuda_glcm_counts(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts)
{
    (void)items, (void)n, (void)counts;
    return NOT_BUILT;
}

int rdx_cuda_glrlm_counts(const rdx_cuda_tex_item *items, size_t n, uint32_t *counts)
{
    (void)items, (void)n, (void)counts;
    return NOT_BUILT;
}

/* ---- GLSZM and GLDZM (kernels/zones.cu) ---- */

int rdx_cuda_zones_label_packed(const rdx_cuda_zones_input *in, size_t n, int linkage, uint32_t *label,
                                rdx_cuda_zone **zones, size_t *n_zones)
{
    (void)in, (void)linkage, (void)label;
    for (size_t k = 0; zones && n_zones && k < n; k++) {
        zones[k] = NULL;
        n_zones[k] = 0;
    }
    return NOT_BUILT;
}

int rdx_cuda_zones_label(const int64_t dim[3], const int32_t *grey, int linkage, int in_plane, const int32_t *dist,
                         uint32_t *label, rdx_cuda_zone **zones, size_t *n_zones)
{
    (void)dim, (void)grey, (void)linkage, (void)in_plane, (void)dist, (void)label;
    if (zones)
        *zones = NULL;
    if (n_zones)
        *n_zones = 0;
    return NOT_BUILT;
}

int rdx_cuda_zones_border_distance(const int64_t dim[3], const uint8_t *mask, int in_plane, int32_t *dist)
{
    (void)dim, (void)mask, (void)in_plane, (void)dist;
    return NOT_BUILT;
}

/* ---- NGTDM and NGLDM (kernels/neighbourhood.cu) ---- */

int rdx_cuda_ngtdm_counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m)
{
    (void)in, (void)n, (void)m;
    return NOT_BUILT;
}

int rdx_cuda_ngldm_counts(const rdx_cuda_nbh_input *in, size_t n, int64_t *m)
{
    (void)in, (void)n, (void)m;
    return NOT_BUILT;
}

/* ---- morphology (kernels/morphology.cu) ---- */

int rdx_cuda_autocorr_pair_sums(const int32_t *x, const int32_t *y, const int32_t *z, const double *d, int64_t n,
                                const double spacing[3], double *sums)
{
    (void)x, (void)y, (void)z, (void)d, (void)n, (void)spacing, (void)sums;
    return NOT_BUILT;
}

int rdx_cuda_mesh_keys(const uint8_t *mask, const int64_t dim[3], uint64_t **keys, int64_t *n_tri)
{
    (void)mask, (void)dim, (void)keys, (void)n_tri;
    return NOT_BUILT;
}

int rdx_cuda_set_memory_budget(size_t bytes)
{
    (void)bytes;
    return NOT_BUILT;
}

int rdx_cuda_max_sq_distance(const int32_t *xyz, int64_t n, const double scale[3], double *d2)
{
    (void)xyz, (void)n, (void)scale, (void)d2;
    return NOT_BUILT;
}

/* ---- ROC statistics (kernels/roc.cu) ---- */

int rdx_cuda_roc_boot_auc(const rdx_roc_column *cols, size_t k, const rdx_boot_design *d, uint32_t r0,
                          uint32_t n_rep, uint64_t *u2, uint64_t *n_neg, uint64_t *n_pos)
{
    (void)cols, (void)k, (void)d, (void)r0, (void)n_rep, (void)u2, (void)n_neg, (void)n_pos;
    return NOT_BUILT;
}

int rdx_cuda_roc_boot_group_weights(const rdx_roc_column *c, const rdx_boot_design *d, uint32_t r0,
                                    uint32_t n_rep, uint64_t *g_neg, uint64_t *g_pos)
{
    (void)c, (void)d, (void)r0, (void)n_rep, (void)g_neg, (void)g_pos;
    return NOT_BUILT;
}

int rdx_cuda_roc_placements(const rdx_roc_column *cols, size_t k, uint64_t *place)
{
    (void)cols, (void)k, (void)place;
    return NOT_BUILT;
}

int rdx_cuda_roc_place_products(const uint64_t *p, size_t k, size_t m, size_t n_pos, uint64_t *p10, uint64_t *p01)
{
    (void)p, (void)k, (void)m, (void)n_pos, (void)p10, (void)p01;
    return NOT_BUILT;
}

