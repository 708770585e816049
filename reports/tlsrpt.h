/* TLS-RPT reports over the database: the report tables, and the gate of one domain. */
#ifndef REPORT_TLSRPT_H
#define REPORT_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/report.h"
#include "rules/tlsrpt_gate.h"

struct sqlite3;

/* The gate of one domain read from the database, with the strings it borrows. */
struct report_tlsrpt_gate {
    struct tlsrpt_gate_result g;
    struct tlsrpt_gate_report *reports;
    size_t n_reports;
    struct tlsrpt_gate_failure *failures;
    size_t n_failures;
    char *strings; /* owned storage the failures point into */
};

/* Loads the reports of `domain` (normalised: lower case, no trailing dot) and decides the
 * window of `window` days as of Unix day `today`. A database without the TLS-RPT tables
 * counts as no reports. Returns 0, or -1 with a message in err. Free with _free. */
int report_tlsrpt_gate_load(struct sqlite3 *db, const char *domain, int window, int64_t today,
                            struct report_tlsrpt_gate *out, char *err, size_t errlen);
void report_tlsrpt_gate_free(struct report_tlsrpt_gate *g);

/* True when the database holds at least one TLS-RPT report (false without the tables). */
bool report_tlsrpt_any(struct sqlite3 *db);

/* The worklist's readiness for a domain once its reports are counted (default window):
 * returns the joined code (tlsrpt_gate_readiness) and appends the reason to fix when the
 * window is not clean; without reports returns readiness unchanged. */
const char *report_tlsrpt_worklist_readiness(struct sqlite3 *db, const char *domain,
                                             const char *readiness, struct sbuf *fix);

/* `report trend` and `diff`: a section listing the domains in enforce at `scan` whose
 * reports show blocking failures since the first scan that saw them in enforce (nothing
 * when the database holds no reports). Returns the number of domains, or -1 (err). */
int64_t report_tlsrpt_enforce_failures(struct report_out *o, struct sqlite3 *db, int64_t scan,
                                       char *err, size_t errlen);

/* Options of `report tlsrpt`. */
struct report_tlsrpt_opts {
    const char *domain; /* NULL: every policy domain */
    const char *since;  /* YYYY-MM-DD: only reports of this day and later; NULL: all */
    int window;         /* gate window, days */
    int64_t today;      /* Unix day */
};

/* Writes every table of `report tlsrpt` (reports/README.md). Returns 0 or -1 (err). */
int report_write_tlsrpt(struct report_out *o, struct sqlite3 *db,
                        const struct report_tlsrpt_opts *opts, char *err, size_t errlen);

/* The current Unix day (UTC). */
int64_t report_tlsrpt_today(void);

#endif
