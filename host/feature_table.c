/* The feature table (rows in include/rdx/feature_list.h) and the selection of
 * features enabled by the settings. */
#include "rdx/features.h"

#define FAMILY_DIAG RDX_FAMILY_DIAG, "diagnostics"
#define FAMILY_STAT RDX_FAMILY_STAT, "intensity-based statistics"
#define FAMILY_IH RDX_FAMILY_IH, "intensity histogram"
#define FAMILY_IVH RDX_FAMILY_IVH, "intensity-volume histogram"
#define FAMILY_LOC RDX_FAMILY_LOC, "local intensity"

static const rdx_feature_def table[RDX_F_COUNT] = {
#define RDX_FEATURE(id, tag, code, family, pyname) {tag, code, FAMILY_##family, pyname},
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
        if (s->families & table[f].family) {
            if (n < cap)
                ids[n] = (rdx_feature_id)f;
            n++;
        }
    return n;
}
