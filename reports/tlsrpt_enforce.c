/* Domains in enforce whose TLS-RPT reports show blocking failures since they moved to
 * enforce (mail is being refused now): a table for `report trend` and `diff`. */
#include "reports/tlsrpt.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Per domain in enforce at `scan`: the first scan (up to `scan`) that saw it in enforce,
 * and every failure detail of its reports dated on or after that scan's day. */
static const char enforce_sql[] =
    "WITH enf AS (SELECT r.domain, substr(min(s.started_at), 1, 10) AS since FROM results r "
    "JOIN scans s ON s.id = r.scan_id WHERE r.policy_mode = 'enforce' AND r.scan_id <= ?1 AND "
    "r.domain IN (SELECT domain FROM results WHERE scan_id = ?1 AND policy_mode = 'enforce') "
    "GROUP BY r.domain) "
    "SELECT e.domain, e.since, rep.day, f.result_type, rep.organization, "
    "coalesce(f.receiving_mx_hostname, f.receiving_ip), coalesce(f.failed_sessions, -1) FROM enf "
    "e JOIN tlsrpt_policies p ON p.domain = e.domain JOIN tlsrpt_reports rep ON p.report = "
    "rep.id JOIN tlsrpt_failures f ON f.policy = p.id WHERE rep.day >= e.since ORDER BY "
    "e.domain, rep.day, f.result_type, rep.organization";

static const struct report_col enforce_cols[] = {
    {"domain", "domain", REPORT_TEXT},
    {"enforce_since", "enforce since (scan)", REPORT_TEXT},
    {"first_failure_day", "first failure", REPORT_TEXT},
    {"blocking_sessions", "blocking failures", REPORT_INT},
    {"result_type", "worst result type", REPORT_TEXT},
    {"reporter", "reporter", REPORT_TEXT},
    {"mx_host", "MX host", REPORT_TEXT}};
#define ENFORCE_NCOLS (sizeof enforce_cols / sizeof enforce_cols[0])

/* One domain's accumulated row. */
struct enforce_row {
    char *domain, *since, *first_day, *type, *org, *mx;
    int64_t sessions, worst;
};

static char *dup_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

static void row_clear(struct enforce_row *r)
{
    free(r->domain);
    free(r->since);
    free(r->first_day);
    free(r->type);
    free(r->org);
    free(r->mx);
    memset(r, 0, sizeof *r);
}

static void row_emit(struct report_out *o, struct enforce_row *r, int64_t *n)
{
    if (!r->domain || r->sessions == 0)
        return;
    struct report_cell c[ENFORCE_NCOLS] = {report_text(r->domain),    report_text(r->since),
                                           report_text(r->first_day), report_int(r->sessions),
                                           report_text(r->type),      report_text(r->org),
                                           report_text(r->mx)};
    report_out_row(o, c);
    (*n)++;
}

int64_t report_tlsrpt_enforce_failures(struct report_out *o, sqlite3 *db, int64_t scan, char *err,
                                       size_t errlen)
{
    if (!report_tlsrpt_any(db))
        return 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, enforce_sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the TLS-RPT reports: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(s, 1, scan);
    report_out_section(o, "tlsrpt_enforce",
                       "Enforcing, and TLS-RPT reports show blocking failures since");
    report_out_note(o, "Mail is being refused now: reports dated on or after the first scan that "
                       "saw the domain in mode enforce.");
    report_out_table_begin(o, "tlsrpt_enforce_failures", NULL, enforce_cols, ENFORCE_NCOLS);
    struct enforce_row cur;
    memset(&cur, 0, sizeof cur);
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *domain = (const char *)sqlite3_column_text(s, 0);
        const char *type = (const char *)sqlite3_column_text(s, 3);
        if (!domain)
            continue;
        if (!cur.domain || strcmp(cur.domain, domain)) {
            row_emit(o, &cur, &n);
            row_clear(&cur);
            cur.domain = strdup(domain);
            cur.since = dup_col(s, 1);
        }
        int64_t count = sqlite3_column_int64(s, 6);
        if (!tlsrpt_gate_blocking_type(type) || count == 0)
            continue;
        int64_t c = count < 0 ? 1 : count;
        cur.sessions += c;
        if (!cur.first_day)
            cur.first_day = dup_col(s, 2);
        if (c > cur.worst) {
            cur.worst = c;
            free(cur.type);
            free(cur.org);
            free(cur.mx);
            cur.type = dup_col(s, 3);
            cur.org = dup_col(s, 4);
            cur.mx = dup_col(s, 5);
        }
    }
    row_emit(o, &cur, &n);
    row_clear(&cur);
    report_out_table_end(o);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the TLS-RPT reports: %s", sqlite3_errmsg(db));
        return -1;
    }
    return n;
}
