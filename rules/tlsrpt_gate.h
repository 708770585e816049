/* The promotion gate from TLS-RPT reports: is a domain's report window clean (pure). */
#ifndef TLSRPT_GATE_H
#define TLSRPT_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSRPT_WINDOW_DEFAULT 14 /* days (Google Workspace's two weeks) */
#define TLSRPT_STALE_DAYS 3      /* the latest report may be this many days old (mail lags) */

/* What the reports of one policy domain say, day by day (days are Unix days: t / 86400). */
struct tlsrpt_gate_report {
    int64_t day; /* UTC day the report's date range starts */
};

struct tlsrpt_gate_failure {
    int64_t day;
    const char *result_type;  /* as reported */
    const char *organization; /* reporter; may be NULL */
    const char *mx_host;      /* receiving-mx-hostname, else receiving-ip; may be NULL */
    int64_t count;            /* failed-session-count; -1 when the report gave none */
};

enum tlsrpt_gate_verdict {
    TLSRPT_GATE_NO_REPORTS = 0, /* nothing to say: readiness stays what the scan says */
    TLSRPT_GATE_CLEAN,
    TLSRPT_GATE_STALE,      /* the latest report is older than TLSRPT_STALE_DAYS */
    TLSRPT_GATE_INCOMPLETE, /* fewer than `window` days of the window have reports */
    TLSRPT_GATE_FAILURES    /* blocking failures in the window */
};

struct tlsrpt_gate_result {
    enum tlsrpt_gate_verdict verdict;
    int64_t window_first, window_last; /* days; set unless NO_REPORTS */
    int window, days_covered;
    int64_t latest_day;
    int64_t blocking_sessions; /* sum over blocking failures in the window (-1 counts as 1) */
    /* The first blocking failure (the one with most sessions; ties by day, type, reporter,
     * host), borrowed from the input: set when verdict is FAILURES. */
    const struct tlsrpt_gate_failure *worst;
};

/* True for the result types that block promotion to enforce: every type that makes an
 * enforcing MTA-STS sender refuse mail or shows the policy cannot be read
 * (docs/taxonomy.md): starttls-not-supported, certificate-host-mismatch, certificate-expired,
 * certificate-not-trusted, validation-failure, sts-policy-fetch-error, sts-policy-invalid,
 * sts-webpki-invalid. Case-insensitive. */
bool tlsrpt_gate_blocking_type(const char *result_type);

/* Decides the window of one domain. `today` is the current Unix day. The window is the
 * `window` days ending at the latest report day; it is clean when that day is at most
 * TLSRPT_STALE_DAYS before today, every day of the window has a report, and no blocking
 * failure falls in it. Never fails. */
void tlsrpt_gate_decide(const struct tlsrpt_gate_report *reports, size_t n_reports,
                        const struct tlsrpt_gate_failure *failures, size_t n_failures, int window,
                        int64_t today, struct tlsrpt_gate_result *out);

/* The stable code of a verdict: no_reports, clean, stale, incomplete, failures. */
const char *tlsrpt_gate_verdict_name(enum tlsrpt_gate_verdict v);

/* One human line on the verdict into buf (remote strings quoted as given: escape on output). */
void tlsrpt_gate_describe(const struct tlsrpt_gate_result *g, char *buf, size_t len);

/* Readiness once reports are known: the scan's readiness code (enforcing, ready_to_enforce,
 * not_ready, or NULL) joined with the gate. ready_to_enforce needs a clean window (else
 * not_ready); enforcing with blocking failures is enforcing_with_failures (mail is being
 * refused now); without reports the scan's code stands. Returns a static code or NULL. */
const char *tlsrpt_gate_readiness(const char *scan_readiness, enum tlsrpt_gate_verdict v);

#endif
