/* Grey level size zone matrix features (IBSI reference manual 3.8): zones of
 * linked voxels with equal grey level counted by grey level and zone size, in
 * the 2D (slice average), 2.5D (merged slices) and 3D aggregations. The
 * labelling, the sparse matrices, the features and the split of the work over
 * slices are shared with the GLDZM in zones.c; this file maps the features to
 * their ids. */
#include "zones.h"

#define SZM(name) {RDX_F_SZM_##name##_2D, RDX_F_SZM_##name##_2_5D, RDX_F_SZM_##name##_3D}

/* In the order of the RDX_ZF_* features. */
static const int szm_ids[RDX_ZF_COUNT][RDX_ZAGG_COUNT] = {
    SZM(SZE),   SZM(LZE),       SZM(LGZE), SZM(HGZE),      SZM(SZLGE),  SZM(SZHGE), SZM(LZLGE),  SZM(LZHGE),
    SZM(GLNU),  SZM(GLNU_NORM), SZM(ZSNU), SZM(ZSNU_NORM), SZM(Z_PERC), SZM(GL_VAR), SZM(ZS_VAR), SZM(ZS_ENTR)};

rdx_status rdx_family_glszm(const rdx_texture_input *in, const rdx_texture *t, double *values, rdx_error *err)
{
    return rdx_zone_family(in, t, 0, szm_ids, values, err);
}

void rdx_family_glszm_cases(const rdx_texture_input *const *in, size_t n, const rdx_texture *t, double *const *values,
                            rdx_status *st, rdx_error *err)
{
    rdx_zone_cases(in, n, t, 0, szm_ids, values, st, err);
}
