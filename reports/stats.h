/* Statistics for reports: Wilson score intervals and quantiles of sorted samples. */
#ifndef REPORT_STATS_H
#define REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* z for a two-sided 95% interval. */
#define REPORT_Z95 1.959963984540054

/* The Wilson score interval of x successes in n trials at the given z, as proportions
 * (0..1) in *lo and *hi. n == 0 gives [0, 1]. x is clamped to 0..n. */
void report_wilson(int64_t x, int64_t n, double z, double *lo, double *hi);

/* The q-quantile (0..1) of n sorted values, by linear interpolation between closest ranks
 * (Hyndman & Fan type 7, the default of R and numpy). 0 when n == 0. */
double report_quantile(const int64_t *sorted, size_t n, double q);

#endif
