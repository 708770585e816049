/* `report tlsrpt`: what senders reported, per policy domain and day, beside what the latest
 * scan saw and the promotion gate; every figure is SQL over the tlsrpt_* tables. */
#include "reports/tlsrpt.h"
#include "rules/tlsrpt_report.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Every query filters by ?1 (domain or NULL) and ?2 (first day or NULL) the same way.
 * Session sums use total() cast to an integer: it never fails on overflow (a hostile
 * report's huge counts saturate instead of breaking the report). */
#define FILTER "(?1 IS NULL OR p.domain = ?1) AND (?2 IS NULL OR r.day >= ?2)"
#define FROM_POLICIES " FROM tlsrpt_policies p JOIN tlsrpt_reports r ON p.report = r.id "
#define FROM_FAILURES                                                                              \
    " FROM tlsrpt_failures f JOIN tlsrpt_policies p ON f.policy = p.id JOIN tlsrpt_reports r "     \
    "ON p.report = r.id "

static int prepare(sqlite3 *db, const char *sql, const struct report_tlsrpt_opts *opts,
                   sqlite3_stmt **s, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the TLS-RPT reports: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (opts->domain)
        sqlite3_bind_text(*s, 1, opts->domain, -1, SQLITE_STATIC);
    if (opts->since)
        sqlite3_bind_text(*s, 2, opts->since, -1, SQLITE_STATIC);
    return 0;
}

/* One table straight from SQL: column i of the row is cell i (TEXT or INT; NULL stays
 * null). */
static int sql_table(struct report_out *o, sqlite3 *db, const struct report_tlsrpt_opts *opts,
                     const char *id, const char *title, const struct report_col *cols, size_t n,
                     const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (prepare(db, sql, opts, &s, err, errlen) < 0)
        return -1;
    report_out_table_begin(o, id, title, cols, n);
    struct report_cell cells[16];
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (size_t i = 0; i < n && i < 16; i++) {
            bool null = sqlite3_column_type(s, (int)i) == SQLITE_NULL;
            if (cols[i].kind == REPORT_TEXT)
                cells[i] = report_text((const char *)sqlite3_column_text(s, (int)i));
            else
                cells[i] = null ? report_null() : report_int(sqlite3_column_int64(s, (int)i));
        }
        report_out_row(o, cells);
        report_out_maybe_flush(o);
    }
    report_out_table_end(o);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the TLS-RPT reports: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

/* The latest scan's row for a domain, or all NULL. */
struct scan_state {
    char *status, *mode, *mx_patterns, *tlsrpt, *readiness;
};

static void scan_state_load(sqlite3 *db, int64_t scan, const char *domain, struct scan_state *ss)
{
    memset(ss, 0, sizeof *ss);
    if (scan <= 0 || !domain)
        return;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT status, policy_mode, mx_patterns, tlsrpt_status, readiness "
                           "FROM results WHERE scan_id = ?1 AND domain = ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(s, 1, scan);
    sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        ss->status = col_dup(s, 0);
        ss->mode = col_dup(s, 1);
        ss->mx_patterns = col_dup(s, 2);
        ss->tlsrpt = col_dup(s, 3);
        ss->readiness = col_dup(s, 4);
    }
    sqlite3_finalize(s);
}

static void scan_state_free(struct scan_state *ss)
{
    free(ss->status);
    free(ss->mode);
    free(ss->mx_patterns);
    free(ss->tlsrpt);
    free(ss->readiness);
}

static void format_day(int64_t day, char *buf, size_t len)
{
    report_format_date(day * 86400, buf, len);
}

static const struct report_col domain_cols[] = {
    {"domain", "policy domain", REPORT_TEXT},
    {"reports", "reports", REPORT_INT},
    {"days", "days", REPORT_INT},
    {"successful", "successful sessions", REPORT_INT},
    {"failed", "failed sessions", REPORT_INT},
    {"first_day", "first day", REPORT_TEXT},
    {"last_day", "last day", REPORT_TEXT},
    {"scan_status", "scan: status", REPORT_TEXT},
    {"scan_mode", "scan: mode", REPORT_TEXT},
    {"scan_mx_patterns", "scan: mx patterns", REPORT_TEXT},
    {"scan_tlsrpt", "scan: TLS-RPT record", REPORT_TEXT},
    {"scan_readiness", "scan: readiness", REPORT_TEXT},
    {"window_first", "window from", REPORT_TEXT},
    {"window_last", "window to", REPORT_TEXT},
    {"window_days", "days with reports in window", REPORT_INT},
    {"gate", "report window", REPORT_TEXT},
    {"blocking_sessions", "blocking failures", REPORT_INT},
    {"readiness", "readiness with reports", REPORT_TEXT},
    {"gate_detail", "why", REPORT_TEXT},
};
#define DOMAIN_NCOLS (sizeof domain_cols / sizeof domain_cols[0])

/* Per domain: totals, the latest scan's state, and the gate (over --window days). */
static int domains_table(struct report_out *o, sqlite3 *db, const struct report_tlsrpt_opts *opts,
                         char *err, size_t errlen)
{
    char serr[256];
    int64_t scan = -1;
    sqlite3_stmt *chk = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM scans LIMIT 1", -1, &chk, NULL) == SQLITE_OK &&
        sqlite3_step(chk) == SQLITE_ROW)
        scan = report_pick_scan(db, 0, serr, sizeof serr);
    sqlite3_finalize(chk);
    sqlite3_stmt *s = NULL;
    if (prepare(db,
                "SELECT p.domain, count(DISTINCT r.id), count(DISTINCT r.day), "
                "CAST(total(p.successful) AS INTEGER), CAST(total(p.failed) AS INTEGER), "
                "min(r.day), max(r.day)" FROM_POLICIES "WHERE " FILTER
                " GROUP BY p.domain ORDER BY p.domain IS NULL, p.domain",
                opts, &s, err, errlen) < 0)
        return -1;
    report_out_table_begin(o, "tlsrpt_domains", "Policy domains: reports beside the latest scan",
                           domain_cols, DOMAIN_NCOLS);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *domain = (const char *)sqlite3_column_text(s, 0);
        struct scan_state ss;
        scan_state_load(db, scan, domain, &ss);
        struct report_tlsrpt_gate g;
        char detail[512] = "";
        bool has_gate = false;
        if (domain &&
            report_tlsrpt_gate_load(db, domain, opts->window, opts->today, &g, err, errlen) == 0) {
            has_gate = true;
            tlsrpt_gate_describe(&g.g, detail, sizeof detail);
        }
        char wf[16] = "", wl[16] = "";
        if (has_gate && g.g.verdict != TLSRPT_GATE_NO_REPORTS) {
            format_day(g.g.window_first, wf, sizeof wf);
            format_day(g.g.window_last, wl, sizeof wl);
        }
        struct report_cell c[DOMAIN_NCOLS] = {
            report_text(domain),
            report_int(sqlite3_column_int64(s, 1)),
            report_int(sqlite3_column_int64(s, 2)),
            report_int(sqlite3_column_int64(s, 3)),
            report_int(sqlite3_column_int64(s, 4)),
            report_text((const char *)sqlite3_column_text(s, 5)),
            report_text((const char *)sqlite3_column_text(s, 6)),
            report_text(ss.status),
            report_text(ss.mode),
            report_text(ss.mx_patterns),
            report_text(ss.tlsrpt),
            report_text(ss.readiness),
            report_text(wf[0] ? wf : NULL),
            report_text(wl[0] ? wl : NULL),
            has_gate && g.g.verdict != TLSRPT_GATE_NO_REPORTS ? report_int(g.g.days_covered)
                                                              : report_null(),
            report_text(has_gate ? tlsrpt_gate_verdict_name(g.g.verdict) : NULL),
            has_gate ? report_int(g.g.blocking_sessions) : report_null(),
            report_text(has_gate ? tlsrpt_gate_readiness(ss.readiness, g.g.verdict) : NULL),
            report_text(has_gate ? detail : NULL)};
        report_out_row(o, c);
        if (has_gate)
            report_tlsrpt_gate_free(&g);
        scan_state_free(&ss);
    }
    report_out_table_end(o);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the TLS-RPT reports: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Unix day of a YYYY-MM-DD text, or -1. */
static int64_t unix_day(const char *day)
{
    char buf[32];
    int64_t t;
    if (!day || strlen(day) != 10)
        return -1;
    snprintf(buf, sizeof buf, "%sT00:00:00Z", day);
    return tlsrpt_parse_datetime(buf, &t) == 0 ? t / 86400 : -1;
}

/* The HTML chart: failed sessions per day, one line per result type, over every day from
 * the first to the last report day (days without failures are 0, not skipped), at most the
 * last CHART_DAYS of them. */
static int failures_chart(struct report_out *o, sqlite3 *db, const struct report_tlsrpt_opts *opts,
                          char *err, size_t errlen)
{
    enum { CHART_DAYS = 120, MAX_TYPES = 16 };
    sqlite3_stmt *s = NULL;
    if (prepare(db,
                "SELECT min(r.day), max(r.day)" FROM_POLICIES "WHERE r.day IS NOT NULL AND " FILTER,
                opts, &s, err, errlen) < 0)
        return -1;
    int64_t first = -1, last = -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        first = unix_day((const char *)sqlite3_column_text(s, 0));
        last = unix_day((const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    if (first < 0 || last < first)
        return 0;
    if (last - first + 1 > CHART_DAYS) {
        first = last - CHART_DAYS + 1;
        report_out_note(o, "The chart shows the last %d days with reports; the tables show all.",
                        CHART_DAYS);
    }
    size_t nd = (size_t)(last - first + 1);
    static char days[CHART_DAYS][16], types[MAX_TYPES][48];
    static const char *labels[CHART_DAYS], *series[MAX_TYPES];
    static double v[MAX_TYPES * CHART_DAYS];
    memset(v, 0, sizeof v);
    for (size_t d = 0; d < nd; d++) {
        format_day(first + (int64_t)d, days[d], sizeof days[d]);
        labels[d] = days[d];
    }
    /* Types by sessions over the whole range, most first, so the 16 drawn are the largest. */
    if (prepare(db,
                "SELECT r.day, coalesce(f.result_type, '(none)') AS t, "
                "CAST(total(f.failed_sessions) AS INTEGER), sum(total(f.failed_sessions)) OVER "
                "(PARTITION BY coalesce(f.result_type, '(none)')) AS w" FROM_FAILURES
                "WHERE r.day IS NOT NULL AND " FILTER " GROUP BY 1, 2 ORDER BY w DESC, t, 1",
                opts, &s, err, errlen) < 0)
        return -1;
    size_t nt = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t day = unix_day((const char *)sqlite3_column_text(s, 0));
        const char *type = (const char *)sqlite3_column_text(s, 1);
        if (day < first || day > last || !type)
            continue;
        size_t t = 0;
        while (t < nt && strcmp(types[t], type))
            t++;
        if (t == nt) {
            if (nt == MAX_TYPES)
                continue; /* the tables list every type; the chart draws the 16 largest */
            snprintf(types[nt], sizeof types[nt], "%s", type);
            series[nt] = types[nt];
            nt++;
        }
        v[t * nd + (size_t)(day - first)] = (double)sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    if (nt == 0)
        return 0;
    struct report_chart c = {REPORT_CHART_LINES,
                             "tlsrpt_failures_chart",
                             "Failed sessions per day, by result type",
                             "",
                             nd,
                             labels,
                             v,
                             nt,
                             series};
    report_out_chart(o, &c);
    return 0;
}

int report_write_tlsrpt(struct report_out *o, sqlite3 *db, const struct report_tlsrpt_opts *opts,
                        char *err, size_t errlen)
{
    static const struct report_col day_cols[] = {{"domain", "policy domain", REPORT_TEXT},
                                                 {"day", "day (UTC)", REPORT_TEXT},
                                                 {"reports", "reports", REPORT_INT},
                                                 {"successful", "successful", REPORT_INT},
                                                 {"failed", "failed", REPORT_INT}};
    static const struct report_col type_cols[] = {{"domain", "policy domain", REPORT_TEXT},
                                                  {"result_type", "result type", REPORT_TEXT},
                                                  {"details", "detail entries", REPORT_INT},
                                                  {"sessions", "failed sessions", REPORT_INT}};
    static const struct report_col org_cols[] = {{"domain", "policy domain", REPORT_TEXT},
                                                 {"organization", "reporter", REPORT_TEXT},
                                                 {"reports", "reports", REPORT_INT},
                                                 {"successful", "successful", REPORT_INT},
                                                 {"failed", "failed", REPORT_INT}};
    static const struct report_col orgtype_cols[] = {{"domain", "policy domain", REPORT_TEXT},
                                                     {"organization", "reporter", REPORT_TEXT},
                                                     {"result_type", "result type", REPORT_TEXT},
                                                     {"sessions", "failed sessions", REPORT_INT}};
    static const struct report_col mx_cols[] = {
        {"domain", "policy domain", REPORT_TEXT},
        {"receiving_mx_hostname", "receiving MX", REPORT_TEXT},
        {"receiving_ip", "receiving IP", REPORT_TEXT},
        {"result_type", "result type", REPORT_TEXT},
        {"reason_code", "reason code", REPORT_TEXT},
        {"details", "detail entries", REPORT_INT},
        {"sessions", "failed sessions", REPORT_INT}};
    static const struct report_col warn_cols[] = {{"code", "warning", REPORT_TEXT},
                                                  {"reports", "reports", REPORT_INT}};
    static const struct report_col rep_cols[] = {{"id", "id", REPORT_INT},
                                                 {"organization", "reporter", REPORT_TEXT},
                                                 {"report_id", "report id", REPORT_TEXT},
                                                 {"day", "day", REPORT_TEXT},
                                                 {"start_datetime", "start", REPORT_TEXT},
                                                 {"end_datetime", "end", REPORT_TEXT},
                                                 {"policies", "policies", REPORT_INT},
                                                 {"warnings", "warnings", REPORT_TEXT},
                                                 {"source", "read from", REPORT_TEXT}};
#define N(a) (sizeof a / sizeof a[0])
    report_out_begin(o);
    report_out_section(o, "tlsrpt_summary", "TLS-RPT: per policy domain");
    if (opts->domain)
        report_out_note(o, "Policy domain: %s", opts->domain);
    if (opts->since)
        report_out_note(o, "Reports from %s on (UTC days).", opts->since);
    char today[16];
    format_day(opts->today, today, sizeof today);
    report_out_note(o,
                    "Readiness with reports: the %d days ending at each domain's latest report "
                    "(as of %s) must all have reports and no blocking failure "
                    "(docs/taxonomy.md).",
                    opts->window, today);
    if (domains_table(o, db, opts, err, errlen) < 0)
        return -1;

    report_out_section(o, "tlsrpt_daily", "Sessions per policy domain and day");
    if (failures_chart(o, db, opts, err, errlen) < 0 ||
        sql_table(o, db, opts, "tlsrpt_days", NULL, day_cols, N(day_cols),
                  "SELECT p.domain, r.day, count(DISTINCT r.id), CAST(total(p.successful) AS "
                  "INTEGER), CAST(total(p.failed) AS INTEGER)" FROM_POLICIES "WHERE " FILTER
                  " GROUP BY 1, 2 ORDER BY p.domain IS NULL, 1, r.day IS NULL, 2",
                  err, errlen) < 0)
        return -1;

    static const struct report_col daytype_cols[] = {{"domain", "policy domain", REPORT_TEXT},
                                                     {"day", "day (UTC)", REPORT_TEXT},
                                                     {"result_type", "result type", REPORT_TEXT},
                                                     {"sessions", "failed sessions", REPORT_INT}};
    if (sql_table(o, db, opts, "tlsrpt_day_types", "Failed sessions per day by result type",
                  daytype_cols, N(daytype_cols),
                  "SELECT p.domain, r.day, f.result_type, CAST(total(f.failed_sessions) AS "
                  "INTEGER)" FROM_FAILURES "WHERE " FILTER " GROUP BY 1, 2, 3 ORDER BY p.domain "
                  "IS NULL, 1, r.day IS NULL, 2, 4 DESC, 3",
                  err, errlen) < 0)
        return -1;

    report_out_section(o, "tlsrpt_failures", "Failures");
    if (sql_table(o, db, opts, "tlsrpt_result_types", "Failures by result type", type_cols,
                  N(type_cols),
                  "SELECT p.domain, f.result_type, count(*), CAST(total(f.failed_sessions) AS "
                  "INTEGER)" FROM_FAILURES "WHERE " FILTER
                  " GROUP BY 1, 2 ORDER BY p.domain IS NULL, 1, 4 DESC, 2",
                  err, errlen) < 0 ||
        sql_table(
            o, db, opts, "tlsrpt_reporters", "Sessions by sending organization", org_cols,
            N(org_cols),
            "SELECT p.domain, r.organization, count(DISTINCT r.id), "
            "CAST(total(p.successful) AS INTEGER), CAST(total(p.failed) AS INTEGER)" FROM_POLICIES
            "WHERE " FILTER " GROUP BY 1, 2 ORDER BY p.domain IS NULL, 1, 2",
            err, errlen) < 0 ||
        sql_table(o, db, opts, "tlsrpt_reporter_failures",
                  "Failures by sending organization and result type", orgtype_cols, N(orgtype_cols),
                  "SELECT p.domain, r.organization, f.result_type, CAST(total(f.failed_sessions) "
                  "AS INTEGER)" FROM_FAILURES "WHERE " FILTER
                  " GROUP BY 1, 2, 3 ORDER BY p.domain IS NULL, 1, 4 DESC, 2, 3",
                  err, errlen) < 0 ||
        sql_table(o, db, opts, "tlsrpt_mx",
                  "Failures by receiving MX host and IP, with reason codes", mx_cols, N(mx_cols),
                  "SELECT p.domain, f.receiving_mx_hostname, f.receiving_ip, f.result_type, "
                  "f.reason_code, count(*), CAST(total(f.failed_sessions) AS INTEGER)" FROM_FAILURES
                  "WHERE " FILTER " GROUP BY 1, 2, 3, 4, 5 ORDER BY p.domain IS NULL, 1, 7 DESC, "
                  "2, 3, 4, 5",
                  err, errlen) < 0)
        return -1;

    report_out_section(o, "tlsrpt_reports", "Reports read");
    if (sql_table(o, db, opts, "tlsrpt_warnings", "Warnings on stored reports", warn_cols,
                  N(warn_cols),
                  "SELECT j.value ->> 'code', count(DISTINCT r.id) FROM tlsrpt_reports r, "
                  "json_each(r.warnings) j WHERE EXISTS (SELECT 1 FROM tlsrpt_policies p WHERE "
                  "p.report = r.id AND " FILTER ") OR (?1 IS NULL AND ?2 IS NULL AND NOT EXISTS "
                  "(SELECT 1 FROM tlsrpt_policies p WHERE p.report = r.id)) GROUP BY 1 ORDER BY 1",
                  err, errlen) < 0 ||
        sql_table(o, db, opts, "tlsrpt_report_list", "Every report", rep_cols, N(rep_cols),
                  "SELECT r.id, r.organization, r.report_id, r.day, r.start_datetime, "
                  "r.end_datetime, (SELECT count(*) FROM tlsrpt_policies q WHERE q.report = "
                  "r.id), (SELECT group_concat(c, ',') FROM (SELECT DISTINCT j.value ->> 'code' "
                  "AS c FROM json_each(r.warnings) j ORDER BY 1)), r.source FROM tlsrpt_reports r "
                  "WHERE EXISTS (SELECT 1 FROM tlsrpt_policies p WHERE p.report = r.id AND " FILTER
                  ") OR (?1 IS NULL AND ?2 IS NULL AND NOT EXISTS (SELECT 1 FROM tlsrpt_policies "
                  "p WHERE p.report = r.id)) ORDER BY r.day IS NULL, r.day, r.organization, r.id",
                  err, errlen) < 0)
        return -1;
#undef N
    return 0;
}
