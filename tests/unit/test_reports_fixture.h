/* Fixture databases for the report suites: store/schema.sql plus hand-made result rows. */
#ifndef TEST_REPORTS_FIXTURE_H
#define TEST_REPORTS_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "store/store_internal.h" /* STORE_SCHEMA_VERSION */

/* Marks a fixture database as an mtasts database of the current schema version. */
static inline int fx_exec_version(sqlite3 *db)
{
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id = 1297371988; PRAGMA user_version = %d",
             STORE_SCHEMA_VERSION);
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

#define FX_T0 1700000000LL /* scanned_at of every fixture row */
#define FX_DAY 86400LL
#define NOV (-999999999LL) /* "NULL" for integer fields */

/* One result row; NULL strings and NOV integers are stored as NULL. */
struct fx_row {
    const char *domain;
    long long rank;
    const char *status, *category, *warnings;
    int strict, lenient, wfd;
    const char *readiness;
    long long txt_records, txt_version_records;
    const char *txt_id, *txt_outcome, *mx_outcome, *mx_hosts;
    int null_mx;
    const char *tlsrpt_status, *rua, *host_cname;
    long long http_status, policy_size, policy_blob;
    const char *mode;
    long long max_age;
    const char *mx_patterns;
    long long cert_verify_code, cert_not_after;
    const char *detail;
    int policy_valid; /* 0/1; stored as NULL when the row has no mode */
};

static void fx_bind_int(sqlite3_stmt *st, int i, long long v)
{
    if (v == NOV)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static int fx_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture SQL failed: %s: %s\n", msg ? msg : "?", sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int fx_insert(sqlite3 *db, long long scan, const struct fx_row *r)
{
    static const char sql[] =
        "INSERT INTO results (scan_id, domain, rank, scanned_at, status, category, warnings, "
        "valid_strict, valid_lenient, would_fail_delivery, readiness, txt_records, "
        "txt_version_records, txt_id, txt_outcome, mx_outcome, mx_hosts, null_mx, "
        "tlsrpt_status, rua, host_cname, http_status, policy_size, policy_blob, policy_mode, "
        "policy_max_age, mx_patterns, cert_verify_code, cert_not_after, detail, policy_valid) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
        "?23,?24,?25,?26,?27,?28,?29,?30,?31)";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, scan);
    sqlite3_bind_text(st, 2, r->domain, -1, SQLITE_STATIC);
    fx_bind_int(st, 3, r->rank);
    sqlite3_bind_int64(st, 4, FX_T0);
    sqlite3_bind_text(st, 5, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->warnings ? r->warnings : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, r->strict);
    sqlite3_bind_int(st, 9, r->lenient);
    sqlite3_bind_int(st, 10, r->wfd);
    sqlite3_bind_text(st, 11, r->readiness, -1, SQLITE_STATIC);
    fx_bind_int(st, 12, r->txt_records);
    fx_bind_int(st, 13, r->txt_version_records);
    sqlite3_bind_text(st, 14, r->txt_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, r->txt_outcome, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, r->mx_outcome, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, r->mx_hosts, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 18, r->null_mx);
    sqlite3_bind_text(st, 19, r->tlsrpt_status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 20, r->rua, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 21, r->host_cname, -1, SQLITE_STATIC);
    fx_bind_int(st, 22, r->http_status);
    fx_bind_int(st, 23, r->policy_size);
    fx_bind_int(st, 24, r->policy_blob);
    sqlite3_bind_text(st, 25, r->mode, -1, SQLITE_STATIC);
    fx_bind_int(st, 26, r->max_age);
    sqlite3_bind_text(st, 27, r->mx_patterns, -1, SQLITE_STATIC);
    fx_bind_int(st, 28, r->cert_verify_code);
    fx_bind_int(st, 29, r->cert_not_after);
    sqlite3_bind_text(st, 30, r->detail, -1, SQLITE_STATIC);
    if (r->mode)
        sqlite3_bind_int(st, 31, r->policy_valid);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        fprintf(stderr, "fixture insert of %s failed: %s\n", r->domain, sqlite3_errmsg(db));
    return rc == SQLITE_DONE ? 0 : -1;
}

#define HOSTILE                                                                                    \
    "He said \"hi\", <script>alert(1)</script>\nline2 <b>markup</b> "                              \
    "[login](https://evil.example) "                                                               \
    "*bold*"

/* Scan 1 of the fixture: every status, several categories and warnings; the expected
 * figures are worked out in test_reports_survey.c. Common defaults first. */
static const struct fx_row fx_scan1[] = {
    {.domain = "a.example",
     .policy_valid = 1,
     .rank = 5,
     .status = "valid",
     .warnings = "cert_expiring_soon",
     .strict = 1,
     .lenient = 1,
     .readiness = "enforcing",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "20240101",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx1.google.com\"]",
     .tlsrpt_status = "valid",
     .rua = "[\"mailto:r@a.example\"]",
     .http_status = 200,
     .policy_size = 100,
     .policy_blob = 101,
     .mode = "enforce",
     .max_age = 604800,
     .mx_patterns = "[\"mx1.google.com\"]",
     .cert_verify_code = 0,
     .cert_not_after = FX_T0 + 10 * FX_DAY,
     .detail = "valid"},
    {.domain = "b.example",
     .policy_valid = 1,
     .rank = 50,
     .status = "valid",
     .warnings = "testing_without_tlsrpt,tlsrpt_missing",
     .strict = 0,
     .lenient = 1,
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "b1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"aspmx.l.google.com\",\"alt1.aspmx.l.google.com\"]",
     .tlsrpt_status = "none",
     .http_status = 200,
     .policy_size = 120,
     .policy_blob = 102,
     .mode = "testing",
     .max_age = 86400,
     .mx_patterns = "[\"*.l.google.com\"]",
     .cert_verify_code = 0,
     .cert_not_after = FX_T0 + 20 * FX_DAY,
     .detail = "valid"},
    {.domain = "c.co.uk",
     .policy_valid = 1,
     .rank = 2000,
     .status = "valid",
     .warnings = "mode_none,tlsrpt_missing",
     .strict = 1,
     .lenient = 1,
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "c1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mail.provider.co.uk\"]",
     .tlsrpt_status = "none",
     .http_status = 200,
     .policy_size = 50,
     .policy_blob = 103,
     .mode = "none",
     .max_age = 86400,
     .cert_verify_code = 0,
     .cert_not_after = FX_T0 + 100 * FX_DAY,
     .detail = "valid"},
    {.domain = "d.example",
     .rank = 20000,
     .status = "invalid",
     .category = "policy_host_no_address",
     .warnings = "tlsrpt_missing",
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "d1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.d.example\"]",
     .tlsrpt_status = "none",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV,
     .detail = "mta-sts.d.example has no address"},
    {.domain = "e.example",
     .rank = 200000,
     .status = "invalid",
     .category = "cert_expired",
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "e1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.e.example\"]",
     .tlsrpt_status = "valid",
     .rua = "[\"https://r.e.example/x\",\"mailto:a@e.example\"]",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = 10,
     .cert_not_after = FX_T0 - 5 * FX_DAY,
     .detail = "expired"},
    {.domain = "f.example",
     .rank = NOV,
     .status = "invalid",
     .category = "cert_name_mismatch",
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "f1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.f.example\"]",
     .tlsrpt_status = "invalid",
     .host_cname = "mta-sts.hosted.mtasts-provider.net",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = 62,
     .cert_not_after = FX_T0 + 5 * FX_DAY,
     .detail = "mismatch"},
    {.domain = "g.example",
     .policy_valid = 1,
     .rank = NOV,
     .status = "invalid",
     .category = "mx_not_covered",
     .warnings = "mx_pattern_unused",
     .wfd = 1,
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "g1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.g.example\"]",
     .tlsrpt_status = "none",
     .host_cname = "mta-sts.hosted.mtasts-provider.net",
     .http_status = 200,
     .policy_size = 90,
     .policy_blob = 107,
     .mode = "enforce",
     .max_age = 31557600,
     .mx_patterns = "[\"mx.other.example\"]",
     .cert_verify_code = 0,
     .cert_not_after = FX_T0 + 300 * FX_DAY,
     .detail = "mx.g.example not covered"},
    {.domain = "h.example",
     .rank = NOV,
     .status = "invalid",
     .category = "policy_max_age",
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "h1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.h.example\"]",
     .tlsrpt_status = "none",
     .http_status = 200,
     .policy_size = 80,
     .policy_blob = 108,
     .mode = "enforce",
     .max_age = 40000000,
     .cert_verify_code = 0,
     .cert_not_after = FX_T0 + 300 * FX_DAY,
     .detail = "max_age too large"},
    {.domain = "i.example",
     .rank = NOV,
     .status = "invalid",
     .category = "tls_handshake_failed",
     .readiness = "not_ready",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "i1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.i.example\"]",
     .tlsrpt_status = "none",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV,
     .detail = "tls"},
    {.domain = "j.example",
     .rank = NOV,
     .status = "invalid",
     .category = "txt_multiple",
     .readiness = "not_ready",
     .txt_records = 2,
     .txt_version_records = 2,
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.j.example\"]",
     .tlsrpt_status = "none",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV,
     .detail = "two records"},
    {.domain = "k.example",
     .rank = 3,
     .status = "no_policy",
     .txt_records = 0,
     .txt_version_records = 0,
     .txt_outcome = "nxdomain",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx1.google.com\"]",
     .tlsrpt_status = "valid",
     .rua = "[\"mailto:x@k.example\"]",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV},
    {.domain = "l.example",
     .rank = NOV,
     .status = "no_policy",
     .warnings = "policy_without_txt,txt_at_apex",
     .txt_records = 1,
     .txt_version_records = 0,
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\".\"]",
     .null_mx = 1,
     .tlsrpt_status = "none",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV},
    {.domain = "m.example",
     .rank = NOV,
     .status = "domain_nxdomain",
     .txt_records = 0,
     .txt_version_records = 0,
     .txt_outcome = "nxdomain",
     .mx_outcome = "nxdomain",
     .tlsrpt_status = "none",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV},
    {.domain = "n.example",
     .rank = NOV,
     .status = "dns_error",
     .txt_records = NOV,
     .txt_version_records = NOV,
     .txt_outcome = "servfail",
     .mx_outcome = "timeout",
     .tlsrpt_status = "none",
     .http_status = NOV,
     .policy_size = NOV,
     .policy_blob = NOV,
     .max_age = NOV,
     .cert_verify_code = NOV,
     .cert_not_after = NOV},
    {.domain = "x.example",
     .policy_valid = 1,
     .rank = NOV,
     .status = "valid",
     .warnings = "lf_line_endings,max_age_short",
     .strict = 1,
     .lenient = 1,
     .readiness = "ready_to_enforce",
     .txt_records = 1,
     .txt_version_records = 1,
     .txt_id = "x1",
     .txt_outcome = "ok",
     .mx_outcome = "ok",
     .mx_hosts = "[\"mx.x.example\"]",
     .tlsrpt_status = "valid",
     .rua = "[\"mailto:y@x.example\",\"mailto:z@x.example\"]",
     .host_cname = "mta-sts.<b>markup</b>",
     .http_status = 200,
     .policy_size = 70,
     .policy_blob = 115,
     .mode = "testing",
     .max_age = 3600,
     .mx_patterns = "[\"mx.x.example\"]",
     .cert_verify_code = 0,
     .cert_not_after = FX_T0 + 200 * FX_DAY,
     .detail = HOSTILE},
};

/* Scan 2 is scan 1 with one change of each kind diff reports (test_reports_trend.c). */
static const char fx_scan2_changes[] =
    "CREATE TEMP TABLE fx_copy AS SELECT * FROM results WHERE scan_id = 1;"
    "UPDATE fx_copy SET scan_id = 2, scanned_at = scanned_at + 86400;"
    "INSERT INTO results SELECT * FROM fx_copy; DROP TABLE fx_copy;"
    /* adopted */
    "UPDATE results SET status='valid', txt_records=1, txt_version_records=1, txt_id='k1', "
    "policy_valid=1, policy_mode='testing', policy_max_age=86400, policy_blob=211, "
    "http_status=200, "
    "policy_size=60 WHERE scan_id=2 AND domain='k.example';"
    /* dropped */
    "UPDATE results SET status='no_policy', txt_records=0, txt_version_records=0, "
    "txt_id=NULL, policy_valid=NULL, policy_mode=NULL, policy_max_age=NULL, policy_blob=NULL, "
    "http_status=NULL "
    "WHERE scan_id=2 AND domain='a.example';"
    /* broke (same content: only coverage changed) */
    "UPDATE results SET status='invalid', category='mx_not_covered' WHERE scan_id=2 AND "
    "domain='b.example';"
    /* fixed */
    "UPDATE results SET status='valid', category=NULL, policy_mode='enforce', policy_valid=1, "
    "policy_max_age=86400, policy_blob=204, http_status=200, policy_size=60 WHERE scan_id=2 "
    "AND domain='d.example';"
    /* mode changed, same TXT id: also policy_changed_same_id */
    "UPDATE results SET policy_mode='enforce', policy_blob=203 WHERE scan_id=2 AND "
    "domain='c.co.uk';"
    /* max_age changed with a new TXT id: not same-id */
    "UPDATE results SET policy_max_age=86400, policy_blob=215, txt_id='x2' WHERE scan_id=2 "
    "AND domain='x.example';"
    /* mx patterns changed, same TXT id */
    "UPDATE results SET mx_patterns='[\"mx.g.example\",\"<script>x</script>\\\",\"]', "
    "policy_blob=207 WHERE scan_id=2 "
    "AND domain='g.example';"
    /* category changed */
    "UPDATE results SET category='https_timeout' WHERE scan_id=2 AND domain='i.example';";

/* Reads store/schema.sql (tests run from the repository root). */
static char *fx_read_schema(void)
{
    FILE *f = fopen("store/schema.sql", "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Builds the fixture at path: scans 1 and 2 complete, scan 3 running and empty. Returns
 * an open handle, or NULL. */
__attribute__((unused)) static sqlite3 *fx_build(const char *path)
{
    unlink(path);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return NULL;
    char *schema = fx_read_schema();
    /* The store's marks (store/store.c), so `mtasts report --db` accepts the fixture. */
    if (!schema || fx_exec(db, schema) < 0 || fx_exec_version(db) < 0 || fx_exec(db, "BEGIN") < 0)
        goto fail;
    if (fx_exec(db, "INSERT INTO scans (id, started_at, finished_at, state, tool_version, "
                    "inputs, options, input_domains, invalid_lines, duplicates, elapsed_s) "
                    "VALUES (1, '2026-11-20T00:00:00Z', '2026-11-20T00:01:00Z', 'complete', "
                    "'test', '[{\"name\":\"list.txt\",\"sha256\":\"00\"}]', "
                    "'{\"resolver\":\"<b>markup</b>\"}', 15, 2, 1, 5.0),"
                    "(2, '2026-11-21T00:00:00Z', '2026-11-21T00:01:00Z', 'complete', 'test', "
                    "'[]', '{}', 15, 0, 0, 4.0),"
                    "(3, '2026-11-22T00:00:00Z', NULL, 'running', 'test', '[]', '{}', NULL, "
                    "0, 0, NULL)") < 0)
        goto fail;
    if (fx_exec(db, "INSERT INTO input_errors (scan_id, file, line, text, reason) VALUES "
                    "(1, 'list.txt', 7, 'bad_domain<b>markup</b>,x', 'not a domain name'), "
                    "(1, 'list.txt', 3, '-leading.example', 'label starts with a hyphen')") < 0)
        goto fail;
    for (size_t i = 0; i < sizeof fx_scan1 / sizeof fx_scan1[0]; i++)
        if (fx_insert(db, 1, &fx_scan1[i]) < 0)
            goto fail;
    if (fx_exec(db, fx_scan2_changes) < 0 || fx_exec(db, "COMMIT") < 0)
        goto fail;
    return db;
fail:
    sqlite3_close(db);
    return NULL;
}

/* Renders through a renderer into a malloc'd string (caller frees). */
typedef int (*fx_render_fn)(struct report_out *o, sqlite3 *db, void *arg);

__attribute__((unused)) static char *fx_render(const char *format, sqlite3 *db, fx_render_fn fn,
                                               void *arg, const char *only)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    struct report_out o;
    report_out_init(&o, report_renderer_find(format), f, "report", "fixture report");
    o.only = only;
    int rc = fn(&o, db, arg);
    if (rc == 0)
        rc = report_out_finish(&o);
    fclose(f);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The path of a suite's fixture database, one per process (/tmp/mtasts-reports-NAME-PID.db:
 * two runs of a suite at once must not share it). Returns a static buffer. */
__attribute__((unused)) static const char *fx_db_path(const char *name)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "/tmp/mtasts-reports-%s-%d.db", name, (int)getpid());
    return buf;
}

/* Writes s to a temporary file; returns its path in buf. */
__attribute__((unused)) static int fx_write_tmp(const char *s, const char *suffix, char *buf,
                                                size_t len)
{
    snprintf(buf, len, "/tmp/mtasts-reports-test-%d%s", (int)getpid(), suffix);
    FILE *f = fopen(buf, "w");
    if (!f)
        return -1;
    fputs(s, f);
    return fclose(f);
}

#endif
