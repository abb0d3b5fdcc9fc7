/* Grey level distance zone matrix features (IBSI reference manual 3.9): zones
 * of linked voxels with equal grey level (intensity mask) counted by grey
 * level and the zone's distance to the ROI edge, the smallest Manhattan
 * distance of its voxels to a voxel outside the morphological mask (1 on the
 * edge; in-plane for 2D), in the 2D (slice average), 2.5D (merged slices) and
 * 3D aggregations. The labelling, distance maps, sparse matrices, features and
 * the split of the work over slices are shared with the GLSZM in zones.c; this
 * file maps the features to their ids. */
#include "zones.h"

#define DZM(name) {RDX_F_DZM_##name##_2D, RDX_F_DZM_##name##_2_5D, RDX_F_DZM_##name##_3D}

/* In the order of the RDX_ZF_* features. */
static const int dzm_ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT] = {
    DZM(SDE),   DZM(LDE),       DZM(LGZE), DZM(HGZE),      DZM(SDLGE),  DZM(SDHGE), DZM(LDLGE),  DZM(LDHGE),
    DZM(GLNU),  DZM(GLNU_NORM), DZM(ZDNU), DZM(ZDNU_NORM), DZM(Z_PERC), DZM(GL_VAR), DZM(ZD_VAR), DZM(ZD_ENTR)};

rdx_status rdx_family_gldzm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    return rdx_zone_family(in, t, 1, dzm_ids, values, err);
}

void rdx_family_gldzm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err)
{
    rdx_zone_cases(in, n, t, 1, dzm_ids, values, st, err);
}
