/* The per-domain worklist: one row per domain with its verdict and the fix, streamed. */
#include "reports/report.h"
#include "reports/tlsrpt.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define SEVERITY_SQL                                                                               \
    "(CASE WHEN would_fail_delivery = 1 THEN 0 WHEN status = 'invalid' THEN 1 WHEN readiness = "   \
    "'not_ready' THEN 2 WHEN warnings <> '' AND status = 'valid' THEN 3 WHEN status = "            \
    "'dns_error' THEN 4 ELSE 5 END)"

/* Sort keys map to fixed SQL: user input never reaches the statement text. Every order
 * ends with the domain, the primary key, so output order is total and stable. */
static const struct {
    const char *name, *asc, *desc;
} sort_keys[] = {
    /* Most urgent first: would fail delivery, broken, not ready to enforce, cosmetic
     * warnings, not assessable (dns_error), then the rest. */
    {"severity", SEVERITY_SQL ", domain", SEVERITY_SQL " DESC, domain"},
    {"domain", "domain", "domain DESC"},
    {"would_fail_delivery", "would_fail_delivery DESC, domain", "would_fail_delivery, domain"},
    {"rank", "rank IS NULL, rank, domain", "rank IS NULL, rank DESC, domain"},
    {"status", "status, domain", "status DESC, domain"},
    {"category", "category IS NULL, category, domain", "category IS NULL, category DESC, domain"},
    {"readiness", "readiness IS NULL, readiness, domain",
     "readiness IS NULL, readiness DESC, domain"},
    {"max_age", "policy_max_age IS NULL, policy_max_age, domain",
     "policy_max_age IS NULL, policy_max_age DESC, domain"},
    {"mode", "policy_mode IS NULL, policy_mode, domain",
     "policy_mode IS NULL, policy_mode DESC, domain"},
};

static const char *order_by(const char *sort, bool desc)
{
    if (!sort)
        sort = "severity";
    for (size_t i = 0; i < sizeof sort_keys / sizeof sort_keys[0]; i++)
        if (!strcmp(sort, sort_keys[i].name))
            return desc ? sort_keys[i].desc : sort_keys[i].asc;
    return NULL;
}

/* What to do about a status without a category or warnings. The rules layer has fix texts
 * for categories and warnings only (sts_codes.h); these three belong with them if it grows
 * an sts_status_fix(). */
static const char *status_fix(const char *status)
{
    if (!status)
        return NULL;
    if (!strcmp(status, "no_policy"))
        return "No MTA-STS policy: publish the _mta-sts TXT record and the policy file "
               "(`mtasts generate` writes both), starting in mode testing.";
    if (!strcmp(status, "dns_error"))
        return "The DNS lookups failed, so the domain could not be assessed: check its name "
               "servers answer for _mta-sts.<domain>, then scan again.";
    if (!strcmp(status, "domain_nxdomain"))
        return "The domain does not exist (NXDOMAIN): remove it from the list or renew it.";
    return NULL;
}

/* Appends a fix text with every "<domain>" replaced by the row's domain: people act on
 * "mta-sts.example.com", not on a placeholder. */
static void put_fix(struct sbuf *b, const char *tmpl, const char *domain)
{
    for (const char *p = tmpl; p && *p;) {
        const char *mark = strstr(p, "<domain>");
        if (!mark || !domain) {
            sbuf_puts(b, p);
            return;
        }
        sbuf_append(b, p, (size_t)(mark - p));
        sbuf_puts(b, domain);
        p = mark + strlen("<domain>");
    }
}

/* The fix for a row: the category's, else each warning's joined by a space, else the
 * status's. */
static void row_fix(struct sbuf *b, const char *domain, const char *status, const char *category,
                    const char *warnings)
{
    int c = category ? sts_category_from_name(category) : -1;
    if (c > 0) {
        put_fix(b, sts_category_fix((enum sts_category)c), domain);
        return;
    }
    uint32_t set = 0;
    if (!warnings || !sts_warnings_parse(warnings, &set) || set == 0) {
        put_fix(b, status_fix(status), domain);
        return;
    }
    bool first = true;
    for (int w = 0; w < STS_WARN_COUNT; w++) {
        if (!(set & (1u << w)))
            continue;
        const char *fix = sts_warning_fix((enum sts_warning)w);
        if (!fix || !*fix)
            continue;
        if (!first)
            sbuf_putc(b, ' ');
        put_fix(b, fix, domain);
        first = false;
    }
}

/* Each comma-separated item of list passes ok(); else err names the first that does not. */
static bool list_ok(const char *opt, const char *list, bool (*ok)(const char *), const char *valid,
                    char *err, size_t errlen)
{
    if (!list)
        return true;
    char item[64];
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        snprintf(item, sizeof item, "%.*s", (int)(n < 63 ? n : 63), p);
        if (n == 0 || n > 63 || !ok(item)) {
            snprintf(err, errlen, "unknown %s '%s' (%s)", opt, item, valid);
            return false;
        }
        if (!p[n])
            return true;
        p += n + 1;
    }
}

static bool status_ok(const char *s)
{
    return sts_status_from_name(s) >= 0;
}

static bool category_ok(const char *s)
{
    return sts_category_from_name(s) > 0;
}

static bool readiness_ok(const char *s)
{
    return !strcmp(s, "ready_to_enforce") || !strcmp(s, "not_ready") || !strcmp(s, "enforcing");
}

int report_worklist_check(const struct report_worklist_opts *opts, char *err, size_t errlen)
{
    if (!order_by(opts->sort, opts->desc)) {
        snprintf(err, errlen,
                 "unknown --sort '%s' (severity, domain, rank, status, category, readiness, "
                 "max_age, mode, would_fail_delivery)",
                 opts->sort);
        return -1;
    }
    if (!list_ok("--status", opts->status, status_ok,
                 "valid, invalid, no_policy, dns_error, domain_nxdomain", err, errlen) ||
        !list_ok("--category", opts->category, category_ok, "see docs/taxonomy.md", err, errlen) ||
        !list_ok("--readiness", opts->readiness, readiness_ok,
                 "ready_to_enforce, not_ready, enforcing", err, errlen))
        return -1;
    return 0;
}

/* The MX column: the worst MX outcome, and whether every MX host was verified, so that a
 * ready_to_enforce is never read as "verified deliverable" when the hosts were not probed. */
static const char *mx_state(sqlite3_stmt *st, int col, char *buf, size_t len)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL || !sqlite3_column_int(st, col))
        return "not probed";
    const char *worst = (const char *)sqlite3_column_text(st, col + 2);
    snprintf(buf, len, "%s%s", worst ? worst : "no MX host",
             sqlite3_column_int(st, col + 1) ? "" : " (not all verified)");
    return buf;
}

static const struct report_col worklist_cols[] = {
    {"domain", "domain", REPORT_TEXT},
    {"rank", "rank", REPORT_INT},
    {"status", "status", REPORT_TEXT},
    {"would_fail_delivery", "would fail delivery", REPORT_INT},
    {"category", "category", REPORT_TEXT},
    {"warnings", "warnings", REPORT_LIST},
    {"readiness", "readiness", REPORT_TEXT},
    {"mode", "mode", REPORT_TEXT},
    {"max_age", "max_age", REPORT_INT},
    {"detail", "detail", REPORT_TEXT},
    {"fix", "fix", REPORT_TEXT},
    {"mx", "MX hosts", REPORT_TEXT}};
#define WORKLIST_NCOLS (sizeof worklist_cols / sizeof worklist_cols[0])

int report_write_worklist(struct report_out *o, sqlite3 *db, int64_t scan_id,
                          const struct report_worklist_opts *opts, char *err, size_t errlen)
{
    if (report_worklist_check(opts, err, errlen) < 0)
        return -1;
    const char *order = order_by(opts->sort, opts->desc);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT domain, rank, status, category, warnings, readiness, policy_mode, "
             "policy_max_age, detail, would_fail_delivery, smtp_checked, mx_verified, "
             "mx_smtp_outcome FROM results WHERE scan_id = ?1 AND "
             "(?2 IS NULL OR instr(',' || ?2 || ',', ',' || status || ',') > 0) AND "
             "(?3 IS NULL OR instr(',' || ?3 || ',', ',' || category || ',') > 0) AND "
             "(?4 IS NULL OR instr(',' || ?4 || ',', ',' || readiness || ',') > 0) AND "
             "(?5 = 0 OR would_fail_delivery = 1) ORDER BY %s",
             order);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, scan_id);
    if (opts->status)
        sqlite3_bind_text(st, 2, opts->status, -1, SQLITE_STATIC);
    if (opts->category)
        sqlite3_bind_text(st, 3, opts->category, -1, SQLITE_STATIC);
    if (opts->readiness)
        sqlite3_bind_text(st, 4, opts->readiness, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, opts->would_fail ? 1 : 0);

    report_out_begin(o);
    report_out_section(o, "domains", "Per-domain worklist");
    report_out_table_begin(o, "domains", NULL, worklist_cols, WORKLIST_NCOLS);
    struct sbuf fix = SBUF_INIT;
    bool reports = report_tlsrpt_any(db); /* TLS-RPT reports join readiness when present */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *category = (const char *)sqlite3_column_text(st, 3);
        const char *warnings = (const char *)sqlite3_column_text(st, 4);
        sbuf_reset(&fix);
        row_fix(&fix, (const char *)sqlite3_column_text(st, 0),
                (const char *)sqlite3_column_text(st, 2), category, warnings);
        const char *readiness = (const char *)sqlite3_column_text(st, 5);
        if (reports)
            readiness = report_tlsrpt_worklist_readiness(
                db, (const char *)sqlite3_column_text(st, 0), readiness, &fix);
        bool has_rank = sqlite3_column_type(st, 1) != SQLITE_NULL;
        bool has_age = sqlite3_column_type(st, 7) != SQLITE_NULL;
        char mx[96];
        struct report_cell cells[WORKLIST_NCOLS] = {
            report_text((const char *)sqlite3_column_text(st, 0)),
            has_rank ? report_int(sqlite3_column_int64(st, 1)) : report_null(),
            report_text((const char *)sqlite3_column_text(st, 2)),
            report_int(sqlite3_column_int64(st, 9)),
            report_text(category),
            report_text(warnings),
            report_text(readiness),
            report_text((const char *)sqlite3_column_text(st, 6)),
            has_age ? report_int(sqlite3_column_int64(st, 7)) : report_null(),
            report_text((const char *)sqlite3_column_text(st, 8)),
            report_text(sbuf_str(&fix)),
            report_text(mx_state(st, 10, mx, sizeof mx))};
        report_out_row(o, cells);
    }
    sbuf_free(&fix);
    report_out_table_end(o);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}
