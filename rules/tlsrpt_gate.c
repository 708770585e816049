/* The promotion gate from TLS-RPT reports: window coverage and blocking failures (pure). */
#include "rules/tlsrpt_gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

bool tlsrpt_gate_blocking_type(const char *t)
{
    static const char *const blocking[] = {"starttls-not-supported", "certificate-host-mismatch",
                                           "certificate-expired",    "certificate-not-trusted",
                                           "validation-failure",     "sts-policy-fetch-error",
                                           "sts-policy-invalid",     "sts-webpki-invalid"};
    if (!t)
        return false;
    for (size_t i = 0; i < sizeof blocking / sizeof blocking[0]; i++)
        if (!strcasecmp(t, blocking[i]))
            return true;
    return false;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* Orders failures: more sessions first, then earlier day, then type, reporter, host. */
static bool worse(const struct tlsrpt_gate_failure *a, const struct tlsrpt_gate_failure *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    if (a->day != b->day)
        return a->day < b->day;
    int c = cmp_str(a->result_type, b->result_type);
    if (c)
        return c < 0;
    c = cmp_str(a->organization, b->organization);
    if (c)
        return c < 0;
    return cmp_str(a->mx_host, b->mx_host) < 0;
}

void tlsrpt_gate_decide(const struct tlsrpt_gate_report *reports, size_t n_reports,
                        const struct tlsrpt_gate_failure *failures, size_t n_failures, int window,
                        int64_t today, struct tlsrpt_gate_result *out)
{
    memset(out, 0, sizeof *out);
    if (window < 1)
        window = 1;
    out->window = window;
    if (n_reports == 0) {
        out->verdict = TLSRPT_GATE_NO_REPORTS;
        return;
    }
    int64_t latest = reports[0].day;
    for (size_t i = 1; i < n_reports; i++)
        if (reports[i].day > latest)
            latest = reports[i].day;
    /* A report dated in the future does not extend the window past today. */
    if (latest > today)
        latest = today;
    out->latest_day = latest;
    out->window_last = latest;
    out->window_first = latest - window + 1;
    /* Distinct covered days: a bitmap over the window (window is small: capped by callers). */
    unsigned char *seen = calloc((size_t)window, 1);
    if (seen) {
        for (size_t i = 0; i < n_reports; i++) {
            int64_t d = reports[i].day;
            if (d >= out->window_first && d <= out->window_last && !seen[d - out->window_first]) {
                seen[d - out->window_first] = 1;
                out->days_covered++;
            }
        }
        free(seen);
    }
    for (size_t i = 0; i < n_failures; i++) {
        const struct tlsrpt_gate_failure *f = &failures[i];
        if (f->day < out->window_first || f->day > out->window_last ||
            !tlsrpt_gate_blocking_type(f->result_type) || f->count == 0)
            continue;
        out->blocking_sessions += f->count < 0 ? 1 : f->count;
        if (!out->worst || worse(f, out->worst))
            out->worst = f;
    }
    if (out->worst)
        out->verdict = TLSRPT_GATE_FAILURES;
    else if (today - latest > TLSRPT_STALE_DAYS)
        out->verdict = TLSRPT_GATE_STALE;
    else if (out->days_covered < window)
        out->verdict = TLSRPT_GATE_INCOMPLETE;
    else
        out->verdict = TLSRPT_GATE_CLEAN;
}

const char *tlsrpt_gate_verdict_name(enum tlsrpt_gate_verdict v)
{
    switch (v) {
    case TLSRPT_GATE_NO_REPORTS:
        return "no_reports";
    case TLSRPT_GATE_CLEAN:
        return "clean";
    case TLSRPT_GATE_STALE:
        return "stale";
    case TLSRPT_GATE_INCOMPLETE:
        return "incomplete";
    case TLSRPT_GATE_FAILURES:
        return "failures";
    }
    return "unknown";
}

static void day_str(int64_t day, char *buf, size_t len)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

void tlsrpt_gate_describe(const struct tlsrpt_gate_result *g, char *buf, size_t len)
{
    char a[16], b[16];
    day_str(g->window_first, a, sizeof a);
    day_str(g->window_last, b, sizeof b);
    switch (g->verdict) {
    case TLSRPT_GATE_NO_REPORTS:
        snprintf(buf, len, "no TLS-RPT reports ingested for this domain");
        break;
    case TLSRPT_GATE_CLEAN:
        snprintf(buf, len, "TLS-RPT reports %s..%s (%d days): no blocking failures", a, b,
                 g->window);
        break;
    case TLSRPT_GATE_STALE:
        snprintf(buf, len, "the latest TLS-RPT report is from %s: older than %d days", b,
                 TLSRPT_STALE_DAYS);
        break;
    case TLSRPT_GATE_INCOMPLETE:
        snprintf(buf, len, "TLS-RPT reports cover %d of the %d days %s..%s", g->days_covered,
                 g->window, a, b);
        break;
    case TLSRPT_GATE_FAILURES: {
        const struct tlsrpt_gate_failure *w = g->worst;
        char d[16];
        day_str(w->day, d, sizeof d);
        snprintf(buf, len,
                 "TLS-RPT %s reported by %s for MX %s on %s (%lld blocking sessions in "
                 "%s..%s)",
                 w->result_type ? w->result_type : "?",
                 w->organization ? w->organization : "(no organization)",
                 w->mx_host ? w->mx_host : "(no host given)", d, (long long)g->blocking_sessions, a,
                 b);
        break;
    }
    }
}

const char *tlsrpt_gate_readiness(const char *scan, enum tlsrpt_gate_verdict v)
{
    if (!scan || v == TLSRPT_GATE_NO_REPORTS)
        return scan;
    if (!strcmp(scan, "ready_to_enforce"))
        return v == TLSRPT_GATE_CLEAN ? "ready_to_enforce" : "not_ready";
    if (!strcmp(scan, "enforcing"))
        return v == TLSRPT_GATE_FAILURES ? "enforcing_with_failures" : "enforcing";
    if (!strcmp(scan, "not_ready"))
        return "not_ready";
    return scan;
}
