/* Intensity histogram features (IBSI reference manual 3.4) from the counts of
 * the discretised ROI intensities over bins 1..Ng. Everything is a function
 * of the integer histogram, so any backend that produces the same counts
 * gets bit-identical features. Mode ties go to the lowest bin; histogram
 * gradients use forward/backward differences at the ends and central
 * differences inside, and gradient ties go to the lowest bin. */
#include <math.h>

#include "families.h"
#include "order_stats.h"

/* Mean absolute deviation of the bins in [lo, hi] around their own mean
 * (around c when c is finite); 0 when no bin lies in [lo, hi]. */
static double hist_abs_dev(const int64_t *h, int ng, double lo, double hi, double c)
{
    double n = 0, s = 0, a = 0;
    for (int i = 1; i <= ng; i++)
        if (i >= lo && i <= hi) {
            n += (double)h[i];
            s += (double)h[i] * i;
        }
    if (n == 0)
        return 0.0;
    double centre = isfinite(c) ? c : s / n;
    for (int i = 1; i <= ng; i++)
        if (i >= lo && i <= hi)
            a += (double)h[i] * fabs(i - centre);
    return a / n;
}

static double hist_gradient(const int64_t *h, int ng, int i)
{
    if (ng == 1)
        return 0.0;
    if (i == 1)
        return (double)(h[2] - h[1]);
    if (i == ng)
        return (double)(h[ng] - h[ng - 1]);
    return (double)(h[i + 1] - h[i - 1]) / 2.0;
}

void rdx_family_intensity_histogram(const int64_t *h, int ng, double *v)
{
    int64_t ni = 0;
    for (int i = 1; i <= ng; i++)
        ni += h[i];
    double n = (double)ni, s1 = 0;
    for (int i = 1; i <= ng; i++)
        s1 += (double)h[i] * i;
    double mean = s1 / n, m2 = 0, m3 = 0, m4 = 0, entropy = 0, uniformity = 0;
    int mn = 0, mx = 0, mode = 1;
    for (int i = 1; i <= ng; i++) {
        if (!h[i])
            continue;
        double d = i - mean, p = (double)h[i] / n;
        m2 += p * d * d;
        m3 += p * d * d * d;
        m4 += p * d * d * d * d;
        entropy -= p * log2(p);
        uniformity += p * p;
        if (!mn) mn = i;
        mx = i;
        if (h[i] > h[mode]) mode = i;
    }
    double p10 = rdx_hist_percentile(h, ng, ni, 0.10), p25 = rdx_hist_percentile(h, ng, ni, 0.25);
    double med = rdx_hist_percentile(h, ng, ni, 0.50), p75 = rdx_hist_percentile(h, ng, ni, 0.75);
    double p90 = rdx_hist_percentile(h, ng, ni, 0.90);
    int gmax = 1, gmin = 1;
    for (int i = 2; i <= ng; i++) {
        if (hist_gradient(h, ng, i) > hist_gradient(h, ng, gmax)) gmax = i;
        if (hist_gradient(h, ng, i) < hist_gradient(h, ng, gmin)) gmin = i;
    }
    v[RDX_F_IH_MEAN] = mean;
    v[RDX_F_IH_VAR] = m2;
    v[RDX_F_IH_SKEW] = m2 > 0 ? m3 / (m2 * sqrt(m2)) : 0.0;
    v[RDX_F_IH_KURT] = m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0.0;
    v[RDX_F_IH_MEDIAN] = med;
    v[RDX_F_IH_MIN] = mn;
    v[RDX_F_IH_P10] = p10;
    v[RDX_F_IH_P90] = p90;
    v[RDX_F_IH_MAX] = mx;
    v[RDX_F_IH_MODE] = mode;
    v[RDX_F_IH_IQR] = p75 - p25;
    v[RDX_F_IH_RANGE] = mx - mn;
    v[RDX_F_IH_MAD] = hist_abs_dev(h, ng, -INFINITY, INFINITY, NAN);
    v[RDX_F_IH_RMAD] = hist_abs_dev(h, ng, p10, p90, NAN);
    v[RDX_F_IH_MEDAD] = hist_abs_dev(h, ng, -INFINITY, INFINITY, med);
    v[RDX_F_IH_COV] = sqrt(m2) / mean;
    v[RDX_F_IH_QCOD] = (p75 - p25) / (p75 + p25);
    v[RDX_F_IH_ENTROPY] = entropy;
    v[RDX_F_IH_UNIFORMITY] = uniformity;
    v[RDX_F_IH_MAX_GRAD] = hist_gradient(h, ng, gmax);
    v[RDX_F_IH_MAX_GRAD_G] = gmax;
    v[RDX_F_IH_MIN_GRAD] = hist_gradient(h, ng, gmin);
    v[RDX_F_IH_MIN_GRAD_G] = gmin;
}
