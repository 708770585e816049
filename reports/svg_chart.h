/* Inline SVG charts for the HTML report: horizontal bars, columns, and line charts. */
#ifndef REPORT_SVG_CHART_H
#define REPORT_SVG_CHART_H

#include "lib/sbuf.h"
#include "reports/report.h"

/* Appends one self-contained <svg> element drawing c (style may be NULL). Labels and series
 * names are HTML-escaped (they may be remote strings); values below 0 are drawn as 0. */
void report_svg_chart(struct sbuf *b, const struct report_chart *c,
                      const struct report_chart_style *style);

#endif
