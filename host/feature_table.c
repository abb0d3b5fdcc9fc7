/* The feature table (rows in include/rdx/feature_list.h) and the selection of
 * features enabled by the settings. */
#include "rdx/features.h"

#define FAMILY_DIAG RDX_FAMILY_DIAG, "diagnostics"
#define FAMILY_STAT RDX_FAMILY_STAT, "intensity-based statistics"
#define FAMILY_IH RDX_FAMILY_IH, "intensity histogram"
#define FAMILY_IVH RDX_FAMILY_IVH, "intensity-volume histogram"
#define FAMILY_LOC RDX_FAMILY_LOC, "local intensity"
#define FAMILY_MORPH RDX_FAMILY_MORPH, "morphology"
#define FAMILY_GLCM RDX_FAMILY_GLCM, "grey level co-occurrence matrix"
#define FAMILY_GLRLM RDX_FAMILY_GLRLM, "grey level run length matrix"
#define FAMILY_GLSZM RDX_FAMILY_GLSZM, "grey level size zone matrix"
#define FAMILY_GLDZM RDX_FAMILY_GLDZM, "grey level distance zone matrix"
#define FAMILY_NGTDM RDX_FAMILY_NGTDM, "neighbourhood grey tone difference matrix"
#define FAMILY_NGLDM RDX_FAMILY_NGLDM, "neighbouring grey level dependence matrix"
#define AGG_NONE 0u
#define AGG_2D RDX_AGG_2D
#define AGG_2_5D RDX_AGG_2D
#define AGG_3D RDX_AGG_3D
#define AGG_3D_DIR RDX_AGG_3D_DIR

static const rdx_feature_def table[RDX_F_COUNT] = {
#define RDX_FEATURE(id, tag, code, family, agg, pyname) {tag, code, FAMILY_##family, AGG_##agg, pyname},
#include "rdx/feature_list.h"
};

const rdx_feature_def *rdx_feature_table(void)
{
    return table;
}

size_t rdx_enabled_features(const rdx_settings *s, rdx_feature_id *ids, size_t cap)
{
    size_t n = 0;
    for (int f = 0; f < RDX_F_COUNT; f++)
        if ((s->families & table[f].family) &&
            (!table[f].aggregation || (s->texture.aggregations & table[f].aggregation))) {
            if (n < cap)
                ids[n] = (rdx_feature_id)f;
            n++;
        }
    return n;
}
