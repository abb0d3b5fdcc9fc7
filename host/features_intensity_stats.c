/* Intensity-based statistical features (IBSI reference manual 3.3) computed
 * on the ROI intensities after re-segmentation. Moments use population
 * (1/N) normalisation; percentiles interpolate linearly between order
 * statistics; with zero variance skewness and kurtosis are 0 (IBSI). */
#include <math.h>

#include "families.h"
#include "order_stats.h"

rdx_status rdx_family_intensity_stats(float *x, size_t n, double *v, rdx_error *err)
{
    double raw[4], cen[4];
    if (n == 0)
        return rdx_error_set(err, RDX_E_EMPTY_ROI, "intensity statistics: empty ROI");
    double nd = (double)n;
    rdx_central_power_sums(x, n, 0.0, raw);
    double mean = raw[0] / nd;
    rdx_central_power_sums(x, n, mean, cen);
    double var = cen[1] / nd;
    double abs_sum, cnt, sum;
    rdx_abs_dev_sum(x, n, mean, -INFINITY, INFINITY, &abs_sum, &cnt, &sum);
    double mad = abs_sum / nd;

    /* Order statistics rearrange x: every sum over x is taken above. */
    static const double q[7] = {0.0, 0.10, 0.25, 0.50, 0.75, 0.90, 1.0};
    double p[7];
    rdx_percentiles(x, n, q, 7, p);
    double mn = p[0], p10 = p[1], p25 = p[2], median = p[3], p75 = p[4], p90 = p[5], mx = p[6];

    rdx_abs_dev_sum(x, n, median, -INFINITY, INFINITY, &abs_sum, &cnt, &sum);
    double medad = abs_sum / nd;
    rdx_abs_dev_sum(x, n, 0.0, p10, p90, &abs_sum, &cnt, &sum);
    double robust_mean = sum / cnt;
    rdx_abs_dev_sum(x, n, robust_mean, p10, p90, &abs_sum, &cnt, &sum);

    v[RDX_F_STAT_MEAN] = mean;
    v[RDX_F_STAT_VAR] = var;
    v[RDX_F_STAT_SKEW] = var > 0 ? (cen[2] / nd) / (var * sqrt(var)) : 0.0;
    v[RDX_F_STAT_KURT] = var > 0 ? (cen[3] / nd) / (var * var) - 3.0 : 0.0;
    v[RDX_F_STAT_MEDIAN] = median;
    v[RDX_F_STAT_MIN] = mn;
    v[RDX_F_STAT_P10] = p10;
    v[RDX_F_STAT_P90] = p90;
    v[RDX_F_STAT_MAX] = mx;
    v[RDX_F_STAT_IQR] = p75 - p25;
    v[RDX_F_STAT_RANGE] = mx - mn;
    v[RDX_F_STAT_MAD] = mad;
    v[RDX_F_STAT_RMAD] = abs_sum / cnt;
    v[RDX_F_STAT_MEDAD] = medad;
    v[RDX_F_STAT_COV] = sqrt(var) / mean;
    v[RDX_F_STAT_QCOD] = (p75 - p25) / (p75 + p25);
    v[RDX_F_STAT_ENERGY] = raw[1];
    v[RDX_F_STAT_RMS] = sqrt(raw[1] / nd);
    return RDX_OK;
}
