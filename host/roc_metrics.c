/* Metrics at a threshold, binomial confidence intervals, predictive values at
 * a stated prevalence, and the distribution functions they need: see rdx/roc.h. */
#include "rdx/roc.h"

#include <float.h>
#include <math.h>

/* ---------------------------------------------------------------- distributions */

double rdx_normal_cdf(double x)
{
    return 0.5 * erfc(-x * 0.70710678118654752440); /* 1/sqrt(2) */
}

/* Wichura, Algorithm AS 241 (Applied Statistics 37, 1988), PPND16: rational
 * approximations in three regions, about 1e-16 relative accuracy. */
static double poly8(const double *c, double r)
{
    double v = c[7];
    for (int i = 6; i >= 0; i--)
        v = v * r + c[i];
    return v;
}

double rdx_normal_quantile(double p)
{
    static const double a[8] = {3.387132872796366608,   133.14166789178437745,
                                1971.5909503065514427,  13731.693765509461125,
                                45921.953931549871457,  67265.770927008700853,
                                33430.575583588128105,  2509.0809287301226727};
    static const double b[8] = {1.0,                    42.313330701600911252,
                                687.1870074920579083,   5394.1960214247511077,
                                21213.794301586595867,  39307.89580009271061,
                                28729.085735721942674,  5226.495278852545925};
    static const double c[8] = {1.42343711074968357734,  4.6303378461565452959,
                                5.7694972214606914055,   3.64784832476320460504,
                                1.27045825245236838258,  0.24178072517745061177,
                                0.0227238449892691845833, 7.7454501427834140764e-4};
    static const double d[8] = {1.0,                     2.05319162663775882187,
                                1.6763848301838038494,   0.68976733498510000455,
                                0.14810397642748007459,  0.0151986665636164571966,
                                5.475938084995344946e-4, 1.05075007164441684324e-9};
    static const double e[8] = {6.6579046435011037772,   5.4637849111641143699,
                                1.7848265399172913358,   0.29656057182850489123,
                                0.026532189526576123093, 0.0012426609473880784386,
                                2.71155556874348757815e-5, 2.01033439929228813265e-7};
    static const double f[8] = {1.0,                      0.59983220655588793769,
                                0.13692988092273580531,   0.0148753612908506148525,
                                7.868691311456132591e-4,  1.8463183175100546818e-5,
                                1.4215117583164458887e-7, 2.04426310338993978564e-15};
    if (isnan(p) || p < 0 || p > 1)
        return NAN;
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * poly8(a, r) / poly8(b, r);
    }
    double r = sqrt(-log(q < 0 ? p : 1 - p));
    double v = r <= 5 ? poly8(c, r - 1.6) / poly8(d, r - 1.6) : poly8(e, r - 5) / poly8(f, r - 5);
    return q < 0 ? -v : v;
}

/* Continued fraction of the incomplete beta (modified Lentz; Numerical Recipes
 * betacf), converging fast for x < (a+1)/(a+b+2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16)
            break;
    }
    return h;
}

double rdx_beta_inc(double a, double b, double x)
{
    if (isnan(x) || isnan(a) || isnan(b) || a <= 0 || b <= 0)
        return NAN;
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double log_front = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b));
    if (x < (a + 1) / (a + b + 2))
        return exp(log_front) * beta_cf(a, b, x) / a;
    return 1 - exp(log_front) * beta_cf(b, a, 1 - x) / b;
}

/* Bisection on [0, 1] down to adjacent doubles: I_x(a, b) is increasing in x,
 * so this always converges, whatever the shape parameters. */
double rdx_beta_inc_inv(double a, double b, double p)
{
    if (isnan(p) || p < 0 || p > 1 || !(a > 0) || !(b > 0))
        return NAN;
    if (p == 0)
        return 0;
    if (p == 1)
        return 1;
    double lo = 0, hi = 1;
    for (int it = 0; it < 2000; it++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi)
            break;
        if (rdx_beta_inc(a, b, mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return lo + (hi - lo) / 2;
}

double rdx_student_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(df))
        return rdx_normal_cdf(t);
    /* P(T < -|t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2 */
    double tail = 0.5 * rdx_beta_inc(df / 2, 0.5, df / (df + t * t));
    return t < 0 ? tail : 1 - tail;
}

double rdx_student_t_quantile(double p, double df)
{
    if (isnan(p) || p < 0 || p > 1 || !(df > 0))
        return NAN;
    if (isinf(df))
        return rdx_normal_quantile(p);
    if (p == 0.5)
        return 0;
    double tail = p < 0.5 ? p : 1 - p;
    double x = rdx_beta_inc_inv(df / 2, 0.5, 2 * tail);
    double t = sqrt(df * (1 - x) / x);
    return p < 0.5 ? -t : t;
}

/* ---------------------------------------------------------------- metrics */

const char *rdx_metric_name(rdx_metric m)
{
    switch (m) {
    case RDX_M_SENSITIVITY: return "sensitivity";
    case RDX_M_SPECIFICITY: return "specificity";
    case RDX_M_ACCURACY: return "accuracy";
    case RDX_M_PPV: return "ppv";
    case RDX_M_NPV: return "npv";
    case RDX_M_FN_FRACTION: return "fn_fraction";
    case RDX_M_FP_FRACTION: return "fp_fraction";
    case RDX_M_COUNT: break;
    }
    return "unknown";
}

void rdx_metric_ratio(const rdx_confusion *t, rdx_metric m, uint64_t *x, uint64_t *n)
{
    uint64_t all = t->tp + t->fn + t->fp + t->tn;
    switch (m) {
    case RDX_M_SENSITIVITY: *x = t->tp; *n = t->tp + t->fn; return;
    case RDX_M_SPECIFICITY: *x = t->tn; *n = t->tn + t->fp; return;
    case RDX_M_ACCURACY: *x = t->tp + t->tn; *n = all; return;
    case RDX_M_PPV: *x = t->tp; *n = t->tp + t->fp; return;
    case RDX_M_NPV: *x = t->tn; *n = t->tn + t->fn; return;
    case RDX_M_FN_FRACTION: *x = t->fn; *n = all; return;
    case RDX_M_FP_FRACTION: *x = t->fp; *n = all; return;
    case RDX_M_COUNT: break;
    }
    *x = *n = 0;
}

double rdx_metric_value(const rdx_confusion *t, rdx_metric m)
{
    uint64_t x, n;
    rdx_metric_ratio(t, m, &x, &n);
    return n ? (double)x / (double)n : NAN;
}

const char *rdx_ci_method_name(rdx_ci_method m)
{
    switch (m) {
    case RDX_CI_WALD: return "wald";
    case RDX_CI_WILSON: return "wilson";
    case RDX_CI_CLOPPER_PEARSON: return "clopper_pearson";
    }
    return "unknown";
}

void rdx_ci_proportion(uint64_t x, uint64_t n, double conf, rdx_ci_method m, double ci[2])
{
    ci[0] = ci[1] = NAN;
    if (n == 0 || x > n || !(conf > 0 && conf < 1))
        return;
    double alpha = 1 - conf, z = rdx_normal_quantile(1 - alpha / 2);
    double nd = (double)n, p = (double)x / nd;
    switch (m) {
    case RDX_CI_WALD: {
        double half = z * sqrt(p * (1 - p) / nd);
        ci[0] = fmax(0.0, p - half);
        ci[1] = fmin(1.0, p + half);
        return;
    }
    case RDX_CI_WILSON: {
        double z2 = z * z;
        double centre = p + z2 / (2 * nd);
        double half = z * sqrt(p * (1 - p) / nd + z2 / (4 * nd * nd));
        /* The bounds are exactly 0 at x = 0 and 1 at x = n; avoid rounding residue. */
        ci[0] = x == 0 ? 0.0 : fmax(0.0, (centre - half) / (1 + z2 / nd));
        ci[1] = x == n ? 1.0 : fmin(1.0, (centre + half) / (1 + z2 / nd));
        return;
    }
    case RDX_CI_CLOPPER_PEARSON: {
        double xd = (double)x;
        ci[0] = x == 0 ? 0.0 : rdx_beta_inc_inv(xd, nd - xd + 1, alpha / 2);
        ci[1] = x == n ? 1.0 : rdx_beta_inc_inv(xd + 1, nd - xd, 1 - alpha / 2);
        return;
    }
    }
}

void rdx_predictive_values(double se, double sp, double prevalence, double *ppv, double *npv)
{
    double tp = se * prevalence, fp = (1 - sp) * (1 - prevalence);
    double tn = sp * (1 - prevalence), fn = (1 - se) * prevalence;
    *ppv = tp + fp > 0 ? tp / (tp + fp) : NAN;
    *npv = tn + fn > 0 ? tn / (tn + fn) : NAN;
}

/* expit(l -+ z sqrt(v)); NaN when l or v is not finite. */
static void logit_interval(double l, double v, double z, double ci[2])
{
    if (!isfinite(l) || !isfinite(v)) {
        ci[0] = ci[1] = NAN;
        return;
    }
    double half = z * sqrt(v);
    ci[0] = 1 / (1 + exp(-(l - half)));
    ci[1] = 1 / (1 + exp(-(l + half)));
}

void rdx_predictive_ci_logit(const rdx_confusion *t, double prevalence, double conf,
                             double ppv_ci[2], double npv_ci[2])
{
    double se = rdx_metric_value(t, RDX_M_SENSITIVITY), sp = rdx_metric_value(t, RDX_M_SPECIFICITY);
    double np = (double)(t->tp + t->fn), nn = (double)(t->tn + t->fp);
    double z = rdx_normal_quantile(1 - (1 - conf) / 2), p = prevalence;
    int ok_prev = p > 0 && p < 1;
    /* PPV needs Se > 0 and Sp < 1, NPV needs Se < 1 and Sp > 0. */
    if (ok_prev && se > 0 && sp < 1)
        logit_interval(log(p * se / ((1 - p) * (1 - sp))),
                       (1 - se) / (se * np) + sp / ((1 - sp) * nn), z, ppv_ci);
    else
        ppv_ci[0] = ppv_ci[1] = NAN;
    if (ok_prev && se < 1 && sp > 0)
        logit_interval(log((1 - p) * sp / (p * (1 - se))),
                       se / ((1 - se) * np) + (1 - sp) / (sp * nn), z, npv_ci);
    else
        npv_ci[0] = npv_ci[1] = NAN;
}
