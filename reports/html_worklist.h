/* The per-domain worklist in HTML: rows as JSON data and a small inline script that sorts,
 * filters and pages them in the browser, under the page's own CSP (a script hash). */
#ifndef REPORT_HTML_WORKLIST_H
#define REPORT_HTML_WORKLIST_H

#include "lib/sbuf.h"
#include "reports/report.h"

/* The CSP source for the inline script ("'sha256-...'"), computed once. */
const char *html_worklist_script_csp(void);

/* Renderer hooks for the table "domains" of a per_domain output: the controls and the data
 * block's opening, one row as a JSON array, and the data's end with the script. The state
 * (the fix-text dictionary) lives in the returned object; NULL when out of memory. */
struct html_worklist;
struct html_worklist *html_worklist_begin(struct sbuf *b, const struct report_col *cols,
                                          size_t ncols);
void html_worklist_row(struct html_worklist *w, struct sbuf *b, const struct report_col *cols,
                       size_t ncols, const struct report_cell *cells);
void html_worklist_end(struct html_worklist *w, struct sbuf *b);

#endif
