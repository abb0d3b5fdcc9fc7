/* Intensity-based statistical features (IBSI reference manual 3.3) computed
 * on the ROI intensities after re-segmentation. Moments use population
 * (1/N) normalisation; percentiles interpolate linearly between order
 * statistics; with zero variance skewness and kurtosis are 0 (IBSI). */
#include <math.h>

#include "families.h"
#include "order_stats.h"

/* The spreads about the mean (central power sums cen, mean absolute
 * deviation mad) and about the percentiles p of rdx_family_intensity_stats_on
 * (median absolute deviation medad; robust mean absolute deviation rmad of
 * the values between p10 and p90, about their mean). All but rmad come from
 * one pass (rdx_spread_sums); rmad needs the robust mean first. */
static rdx_status spreads(const float *x, size_t n, rdx_device device, double mean, const double p[7], double cen[4],
                          double *mad, double *medad, double *rmad, rdx_error *err)
{
    double s[RDX_SPREAD_TERMS], cnt, sum;
    rdx_status st = rdx_spread_sums(x, n, mean, p[3], p[1], p[5], device, s, err);
    if (st)
        return st;
    for (int k = 0; k < 4; k++)
        cen[k] = s[k];
    *mad = s[4] / (double)n;
    *medad = s[7] / (double)n;
    cnt = s[11];
    sum = s[12];
    /* No value within [p10, p90] (two distinct values): no spread in the robust set. */
    *rmad = 0.0;
    if (cnt > 0) {
        st = rdx_abs_dev_sum(x, n, sum / cnt, p[1], p[5], device, rmad, &cnt, &sum, err);
        *rmad /= cnt;
    }
    return st;
}

rdx_status rdx_family_intensity_stats_on(const float *x, size_t n, rdx_device device, double *v, rdx_error *err)
{
    static const double q[7] = {0.0, 0.10, 0.25, 0.50, 0.75, 0.90, 1.0};
    double raw[4], cen[4], p[7], mad, medad, rmad;
    if (n == 0)
        return rdx_error_set(err, RDX_E_EMPTY_ROI, "intensity statistics: empty ROI");
    rdx_status st = rdx_central_power_sums(x, n, 0.0, device, raw, err);
    if (!st)
        st = rdx_percentiles_on(x, n, q, 7, device, p, err); /* x untouched: the sums below add up as on the device */
    if (!st)
        st = spreads(x, n, device, raw[0] / (double)n, p, cen, &mad, &medad, &rmad, err);
    if (st)
        return st;
    double nd = (double)n, mean = raw[0] / nd, var = cen[1] / nd;
    double mn = p[0], p10 = p[1], p25 = p[2], median = p[3], p75 = p[4], p90 = p[5], mx = p[6];

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
    v[RDX_F_STAT_RMAD] = rmad;
    v[RDX_F_STAT_MEDAD] = medad;
    v[RDX_F_STAT_COV] = sqrt(var) / mean;
    v[RDX_F_STAT_QCOD] = (p75 - p25) / (p75 + p25);
    v[RDX_F_STAT_ENERGY] = raw[1];
    v[RDX_F_STAT_RMS] = sqrt(raw[1] / nd);
    return RDX_OK;
}

rdx_status rdx_family_intensity_stats(float *x, size_t n, double *v, rdx_error *err)
{
    return rdx_family_intensity_stats_on(x, n, RDX_DEVICE_CPU, v, err);
}
