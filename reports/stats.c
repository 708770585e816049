/* Statistics for reports: Wilson score intervals and quantiles of sorted samples. */
#include "reports/stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "reports/report.h"

void report_wilson(int64_t x, int64_t n, double z, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    if (x < 0)
        x = 0;
    if (x > n)
        x = n;
    double nn = (double)n;
    double p = (double)x / nn;
    double z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double centre = (p + z2 / (2.0 * nn)) / denom;
    double half = z / denom * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
    *lo = centre - half;
    *hi = centre + half;
    /* Rounding can leave -1e-17 or 1+1e-16 at the extremes; the interval is within [0,1]. */
    if (*lo < 0.0 || x == 0)
        *lo = 0.0;
    if (*hi > 1.0 || x == n)
        *hi = 1.0;
}

double report_quantile(const int64_t *sorted, size_t n, double q)
{
    if (n == 0)
        return 0.0;
    if (q <= 0.0)
        return (double)sorted[0];
    if (q >= 1.0)
        return (double)sorted[n - 1];
    double h = (double)(n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return (double)sorted[n - 1];
    return (double)sorted[i] + (h - (double)i) * (double)(sorted[i + 1] - sorted[i]);
}

void report_chart_share_label(char *buf, size_t len, int64_t n, int64_t den)
{
    if (den <= 0) {
        snprintf(buf, len, "%" PRId64, n);
        return;
    }
    double lo, hi;
    report_wilson(n, den, REPORT_Z95, &lo, &hi);
    snprintf(buf, len, "%" PRId64 " \xc2\xb7 %.2f%% [%.2f, %.2f]", n,
             100.0 * (double)n / (double)den, 100.0 * lo, 100.0 * hi);
}
