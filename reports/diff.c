/* `mtasts diff`: what changed per domain between two scans of one database. */
#include "reports/report.h"
#include "reports/tlsrpt.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* The kinds of change, in output order; reports/README.md defines each. */
enum diff_kind {
    DIFF_ADOPTED = 0,
    DIFF_DROPPED,
    DIFF_BROKE,
    DIFF_FIXED,
    DIFF_MODE,
    DIFF_MAX_AGE,
    DIFF_MX_PATTERNS,
    DIFF_POLICY_SAME_ID,
    DIFF_CATEGORY,
    DIFF_MX_TLS_BROKE, /* high severity: an enforcing domain's mail is now refused */
    DIFF_MX_TLS_FIXED,
    DIFF_KINDS
};

static const char *const kind_names[DIFF_KINDS] = {"adopted",
                                                   "dropped",
                                                   "broke",
                                                   "fixed",
                                                   "mode_changed",
                                                   "max_age_changed",
                                                   "mx_patterns_changed",
                                                   "policy_changed_same_id",
                                                   "category_changed",
                                                   "mx_tls_broke",
                                                   "mx_tls_fixed"};

static const char *const kind_meanings[DIFF_KINDS] = {
    "no v=STSv1 record before (no_policy or domain_nxdomain), one now (valid or invalid)",
    "a v=STSv1 record before, none now",
    "valid before, invalid now",
    "invalid before, valid now",
    "the parsed policy mode changed",
    "the parsed max_age changed",
    "the policy's mx patterns changed",
    "the policy content changed but the TXT id did not: senders keep the old policy",
    "invalid in both, the primary category changed",
    "HIGH: an MX host is refused now (no STARTTLS or a bad certificate), none was",
    "an MX host was refused before (no STARTTLS or a bad certificate), none is now"};

int report_diff_pick(sqlite3 *db, int64_t *a, int64_t *b, char *err, size_t errlen)
{
    static const char sql[] = "SELECT id FROM scans WHERE state = 'complete' ORDER BY id DESC "
                              "LIMIT 2";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the scans table: %s", sqlite3_errmsg(db));
        return -1;
    }
    int64_t ids[2];
    int n = 0;
    while (n < 2 && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n < 2) {
        snprintf(err, errlen,
                 "diff needs two complete scans, the database has %d; name them: "
                 "mtasts diff SCAN_A SCAN_B",
                 n);
        return -1;
    }
    *a = ids[1];
    *b = ids[0];
    return 0;
}

static bool is_mta_sts(const char *status)
{
    return status && (!strcmp(status, "valid") || !strcmp(status, "invalid"));
}

static bool is_absent(const char *status)
{
    return status && (!strcmp(status, "no_policy") || !strcmp(status, "domain_nxdomain"));
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static bool both_differ(const char *a, const char *b)
{
    return a && b && strcmp(a, b) != 0;
}

/* Columns a/b of one joined row: values as text (NULL when NULL). */
enum {
    C_DOMAIN,
    C_STATUS,
    C_CATEGORY,
    C_MODE,
    C_MAX_AGE,
    C_MX,
    C_TXT_ID,
    C_BLOB,
    C_MX_FAILING,
    C_MX_OUTCOME,
    C_COUNT
};

static const char join_sql[] =
    "SELECT a.domain, a.status, a.category, a.policy_mode, a.policy_max_age, a.mx_patterns, "
    "a.txt_id, a.policy_blob, a.mx_failing, a.mx_smtp_outcome, b.status, b.category, "
    "b.policy_mode, b.policy_max_age, b.mx_patterns, b.txt_id, b.policy_blob, b.mx_failing, "
    "b.mx_smtp_outcome "
    "FROM results a JOIN results b ON b.scan_id = ?2 AND b.domain = a.domain "
    "WHERE a.scan_id = ?1 ORDER BY a.domain";

static const struct report_col change_cols[] = {{"domain", "domain", REPORT_TEXT},
                                                {"change", "change", REPORT_TEXT},
                                                {"before", "before", REPORT_TEXT},
                                                {"after", "after", REPORT_TEXT}};

static void emit(struct report_out *o, int64_t *counts, enum diff_kind k, const char *domain,
                 const char *before, const char *after)
{
    counts[k]++;
    struct report_cell cells[4] = {report_text(domain), report_text(kind_names[k]),
                                   report_text(before), report_text(after)};
    report_out_row(o, cells);
}

/* Classifies one domain present in both scans; emits a row per kind of change. */
static void diff_row(struct report_out *o, int64_t *counts, const char *v[2][C_COUNT])
{
    const char *dom = v[0][C_DOMAIN];
    const char **a = v[0], **b = v[1];
    if (is_absent(a[C_STATUS]) && is_mta_sts(b[C_STATUS]))
        emit(o, counts, DIFF_ADOPTED, dom, a[C_STATUS], b[C_STATUS]);
    if (is_mta_sts(a[C_STATUS]) && is_absent(b[C_STATUS]))
        emit(o, counts, DIFF_DROPPED, dom, a[C_STATUS], b[C_STATUS]);
    if (str_eq(a[C_STATUS], "valid") && str_eq(b[C_STATUS], "invalid"))
        emit(o, counts, DIFF_BROKE, dom, "valid", b[C_CATEGORY]);
    if (str_eq(a[C_STATUS], "invalid") && str_eq(b[C_STATUS], "valid"))
        emit(o, counts, DIFF_FIXED, dom, a[C_CATEGORY], "valid");
    if (str_eq(a[C_STATUS], "invalid") && str_eq(b[C_STATUS], "invalid") &&
        both_differ(a[C_CATEGORY], b[C_CATEGORY]))
        emit(o, counts, DIFF_CATEGORY, dom, a[C_CATEGORY], b[C_CATEGORY]);
    if (both_differ(a[C_MODE], b[C_MODE]))
        emit(o, counts, DIFF_MODE, dom, a[C_MODE], b[C_MODE]);
    if (both_differ(a[C_MAX_AGE], b[C_MAX_AGE]))
        emit(o, counts, DIFF_MAX_AGE, dom, a[C_MAX_AGE], b[C_MAX_AGE]);
    if (both_differ(a[C_MX], b[C_MX]))
        emit(o, counts, DIFF_MX_PATTERNS, dom, a[C_MX], b[C_MX]);
    /* The MX hosts were judged in both scans (mx_failing set) and one side refuses mail. */
    if (a[C_MX_FAILING] && b[C_MX_FAILING] && is_mta_sts(b[C_STATUS])) {
        bool was = strcmp(a[C_MX_FAILING], "0") != 0, is = strcmp(b[C_MX_FAILING], "0") != 0;
        if (!was && is)
            emit(o, counts, DIFF_MX_TLS_BROKE, dom, a[C_MX_OUTCOME], b[C_MX_OUTCOME]);
        if (was && !is)
            emit(o, counts, DIFF_MX_TLS_FIXED, dom, a[C_MX_OUTCOME], b[C_MX_OUTCOME]);
    }
    /* Blobs are stored once per distinct content, so another blob id is other content. */
    if (str_eq(a[C_TXT_ID], b[C_TXT_ID]) && both_differ(a[C_BLOB], b[C_BLOB])) {
        char before[128], after[128];
        snprintf(before, sizeof before, "id %.40s, policy blob %s", a[C_TXT_ID], a[C_BLOB]);
        snprintf(after, sizeof after, "id %.40s, policy blob %s", b[C_TXT_ID], b[C_BLOB]);
        emit(o, counts, DIFF_POLICY_SAME_ID, dom, before, after);
    }
}

static int64_t count_only(sqlite3 *db, int64_t in, int64_t notin)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM results a WHERE a.scan_id = ?1 AND NOT "
                           "EXISTS (SELECT 1 FROM results b WHERE b.scan_id = ?2 AND "
                           "b.domain = a.domain)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, in);
        sqlite3_bind_int64(st, 2, notin);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

int64_t report_write_diff(struct report_out *o, sqlite3 *db, int64_t a, int64_t b, char *err,
                          size_t errlen)
{
    for (int i = 0; i < 2; i++) {
        char e[256];
        if (report_pick_scan(db, i ? b : a, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s", e);
            return -1;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, join_sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int64_t counts[DIFF_KINDS] = {0};
    int64_t common = 0;
    report_out_begin(o);
    report_out_section(o, "changes", "Changes by domain");
    report_out_table_begin(o, "changes", NULL, change_cols, 4);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v[2][C_COUNT];
        v[0][C_DOMAIN] = v[1][C_DOMAIN] = (const char *)sqlite3_column_text(st, 0);
        for (int k = 1; k < C_COUNT; k++) {
            v[0][k] = (const char *)sqlite3_column_text(st, k);
            v[1][k] = (const char *)sqlite3_column_text(st, k + C_COUNT - 1);
        }
        common++;
        diff_row(o, counts, v);
    }
    report_out_table_end(o);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }

    int64_t enforce_failing = report_tlsrpt_enforce_failures(o, db, b, err, errlen);
    if (enforce_failing < 0)
        return -1;

    report_out_section(o, "summary", "Summary");
    report_out_note(o,
                    "Scan %" PRId64 " -> scan %" PRId64 ": %" PRId64 " domains in both, %" PRId64
                    " only in the first, %" PRId64 " only in the second (not compared).",
                    a, b, common, count_only(db, a, b), count_only(db, b, a));
    static const struct report_col cols[] = {{"change", "change", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"meaning", "meaning", REPORT_TEXT}};
    report_out_table_begin(o, "summary", NULL, cols, 3);
    int64_t total = 0;
    for (int k = 0; k < DIFF_KINDS; k++) {
        struct report_cell cells[3] = {report_text(kind_names[k]), report_int(counts[k]),
                                       report_text(kind_meanings[k])};
        report_out_row(o, cells);
        total += counts[k];
    }
    if (enforce_failing > 0) { /* a change in what senders see: counted like the others */
        struct report_cell cells[3] = {
            report_text("enforce_tlsrpt_failures"), report_int(enforce_failing),
            report_text("in enforce, and TLS-RPT reports show blocking failures since")};
        report_out_row(o, cells);
        total += enforce_failing;
    }
    report_out_table_end(o);
    return total;
}
