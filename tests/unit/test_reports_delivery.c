/* Unit tests of the delivery report sections (MX transport, would-fail causes, MTA-STS x DANE),
 * diff's mx_tls_broke / mx_tls_fixed and the trend's MX columns, over a fixture database with
 * exact expected figures in every format. */
#include "reports/diff.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

#define PLAN 19

/* The delivery side added to the shared fixture (tests/unit/test_reports_fixture.h). Scan 1:
 *   a  valid enforce   mx1.google.com smtp_ok                      DANE full (dane_valid)
 *   b  valid testing   aspmx starttls_not_offered, alt1 smtp_ok    DANE none
 *   c  valid none      mail.provider.co.uk mx_cert_expired         DANE none, tlsa_without_dnssec
 *   g  invalid mx_not_covered, would fail; mx.g.example mx_cert_name_mismatch, DANE full:
 *      dane_and_sts_conflict
 *   x  valid testing   mx.x.example smtp_connect_failed (not verified)  DANE none
 *   k  no_policy       mx1.google.com (shared with a)             DANE full
 * Scan 2: x's host now mx_cert_expired (mx_tls_broke), b's aspmx fixed (mx_tls_fixed). */
static const char delivery_sql[] =
    "UPDATE results SET smtp_checked=1, mx_verified=1, mx_smtp_outcome='smtp_ok', mx_probed=1, "
    "mx_failing=0, dane_summary='full', dane_outcome='dane_valid' WHERE domain IN "
    "('a.example', 'k.example');"
    "UPDATE results SET smtp_checked=1, mx_verified=1, mx_smtp_outcome='starttls_not_offered', "
    "mx_probed=2, mx_failing=1, dane_summary='none', warnings='mx_tls_invalid,' || warnings "
    "WHERE domain='b.example' AND scan_id=1;"
    "UPDATE results SET smtp_checked=1, mx_verified=1, mx_smtp_outcome='smtp_ok', mx_probed=2, "
    "mx_failing=0, dane_summary='none' WHERE domain='b.example' AND scan_id=2;"
    "UPDATE results SET smtp_checked=1, mx_verified=1, mx_smtp_outcome='mx_cert_expired', "
    "mx_probed=1, mx_failing=1, dane_summary='none', dane_outcome='tlsa_unsigned', "
    "warnings='tlsa_without_dnssec,' || warnings WHERE domain='c.co.uk';"
    "UPDATE results SET smtp_checked=1, mx_verified=1, mx_smtp_outcome='mx_cert_name_mismatch', "
    "mx_probed=1, mx_failing=1, dane_summary='full', dane_outcome='dane_valid', "
    "warnings='dane_and_sts_conflict,' || warnings WHERE domain='g.example';"
    "UPDATE results SET smtp_checked=1, mx_verified=0, mx_smtp_outcome='smtp_connect_failed', "
    "mx_probed=1, mx_failing=0, dane_summary='none' WHERE domain='x.example' AND scan_id=1;"
    "UPDATE results SET smtp_checked=1, mx_verified=1, mx_smtp_outcome='mx_cert_expired', "
    "mx_probed=1, mx_failing=1, dane_summary='none' WHERE domain='x.example' AND scan_id=2;"
    "INSERT INTO mx_probes (scan_id, host, smtp_checked, smtp_outcome, rfc8460_result, "
    "dane_checked, addrs_probed, addrs_dropped, starttls_offered, addrs) VALUES "
    "(1, 'mx1.google.com', 1, 'smtp_ok', NULL, 1, 1, 0, 1, '[]'),"
    "(1, 'aspmx.l.google.com', 1, 'starttls_not_offered', 'starttls-not-supported', 1, 1, 0, 0, "
    "'[]'),"
    "(1, 'alt1.aspmx.l.google.com', 1, 'smtp_ok', NULL, 1, 1, 0, 1, '[]'),"
    "(1, 'mail.provider.co.uk', 1, 'mx_cert_expired', 'certificate-expired', 1, 1, 0, 1, '[]'),"
    "(1, 'mx.g.example', 1, 'mx_cert_name_mismatch', 'certificate-host-mismatch', 1, 1, 0, 1, "
    "'[]'),"
    "(1, 'mx.x.example', 1, 'smtp_connect_failed', NULL, 1, 1, 0, NULL, '[]'),"
    "(2, 'mx1.google.com', 1, 'smtp_ok', NULL, 1, 1, 0, 1, '[]'),"
    "(2, 'mx.x.example', 1, 'mx_cert_expired', 'certificate-expired', 1, 1, 0, 1, '[]');";

static int render_survey(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)db;
    o->data = arg;
    report_write_survey(o, arg);
    return 0;
}

static int render_diff(struct report_out *o, sqlite3 *db, void *arg)
{
    char err[256];
    (void)arg;
    struct diff_totals t;
    int64_t n = report_write_diff(o, db, 1, 2, NULL, &t, err, sizeof err);
    if (n >= 0)
        diff_totals_free(&t);
    return n < 0 ? -1 : 0;
}

static int render_trend(struct report_out *o, sqlite3 *db, void *arg)
{
    char err[256];
    (void)arg;
    return report_write_trend(o, db, err, sizeof err);
}

static void check_figures(const struct report_delivery *dl)
{
    TAP_CHECK(dl->mta_sts == 11 && dl->probed == 5 && dl->verified == 4 &&
                  dl->starttls_missing == 1 && dl->failing_domains == 3,
              "domains: 11 MTA-STS, 5 probed, 4 verified, 1 without STARTTLS, 3 refused",
              "%lld %lld %lld %lld %lld", (long long)dl->mta_sts, (long long)dl->probed,
              (long long)dl->verified, (long long)dl->starttls_missing,
              (long long)dl->failing_domains);
    TAP_CHECK(dl->domains_by_type[0] == 1 && dl->domains_by_type[1] == 1 &&
                  dl->domains_by_type[2] == 1 && dl->domains_by_type[3] == 0 &&
                  dl->domains_by_type[4] == 0,
              "domains by RFC 8460 type of the worst host: 1 starttls, 1 mismatch, 1 expired",
              "%lld %lld %lld", (long long)dl->domains_by_type[0],
              (long long)dl->domains_by_type[1], (long long)dl->domains_by_type[2]);
    TAP_CHECK(dl->hosts == 6 && dl->hosts_judged == 5 && dl->hosts_starttls == 4 &&
                  dl->hosts_cert_ok == 2 && dl->hosts_failing == 3 && dl->hosts_by_type[0] == 1 &&
                  dl->hosts_by_type[1] == 1 && dl->hosts_by_type[2] == 1,
              "hosts: 6 probed, 5 judged, 4 STARTTLS, 2 valid certificates, 3 refused",
              "%lld %lld %lld %lld %lld", (long long)dl->hosts, (long long)dl->hosts_judged,
              (long long)dl->hosts_starttls, (long long)dl->hosts_cert_ok,
              (long long)dl->hosts_failing);
    TAP_CHECK(dl->would_fail == 1 && dl->wf_uncovered == 1 && dl->wf_mx == 1 &&
                  dl->wf_by_outcome[STS_SMTP_CERT_NAME_MISMATCH] == 1,
              "would fail: g, by an uncovered MX and by mx_cert_name_mismatch", "%lld %lld %lld",
              (long long)dl->would_fail, (long long)dl->wf_uncovered, (long long)dl->wf_mx);
    TAP_CHECK(dl->dane_checked == 6 && dl->both == 1 && dl->mta_sts_only == 3 &&
                  dl->dane_only == 2 && dl->neither == 0 && dl->conflicts == 1 &&
                  dl->tlsa_unsigned == 1 && dl->dane_failures == 0 && dl->dane_partial == 0,
              "DANE: 6 checked = 1 both + 3 MTA-STS only + 2 DANE only; 1 conflict, 1 unsigned",
              "%lld %lld %lld %lld %lld", (long long)dl->dane_checked, (long long)dl->both,
              (long long)dl->mta_sts_only, (long long)dl->dane_only, (long long)dl->conflicts);
}

static void check_formats(sqlite3 *db, struct report_data *d)
{
    char *csv = fx_render("csv", db, render_survey, d, "mx_transport");
    TAP_CHECK(
        csv &&
            strstr(csv,
                   "measure,domains,domains_share_count,domains_share_of,domains_share_pct,") &&
            strstr(csv, "STARTTLS offered (domains: no MX host without "
                        "it),4,4,5,80.0000,37.5535,96.3776,4,4,5,"
                        "80.0000,") &&
            strstr(csv,
                   "refused by an enforcing sender,3,3,5,60.0000,23.0724,88.2379,3,3,5,60.0000,") &&
            strstr(csv, "certificate-expired,1,1,5,20.0000,") &&
            strstr(
                csv,
                "validation-failure,0,0,5,0.0000,0.0000,43.4482,0,0,5,0.0000,0.0000,43.4482\r\n"),
        "csv: mx_transport rows with shares of probed domains and judged hosts", "%s",
        csv ? csv : "(null)");
    free(csv);
    char *text = fx_render("text", db, render_survey, d, "would_fail_causes");
    TAP_CHECK(text && strstr(text, "Domains with would_fail_delivery: 1") &&
                  strstr(text, "mx_cert_name_mismatch") &&
                  strstr(text, "certificate-host-mismatch") && strstr(text, "100.00%"),
              "text: would-fail causes with the denominator", "%s", text ? text : "(null)");
    free(text);
    char *md = fx_render("md", db, render_survey, d, "dane_overlap");
    TAP_CHECK(md && strstr(md, "| MTA-STS only | 3 | 50.00% ") &&
                  strstr(md, "| both | 1 | 16.67% ") && strstr(md, "| DANE only | 2 | 33.33% ") &&
                  strstr(md, "| conflicts (dane\\_and\\_sts\\_conflict) | 1 |"),
              "md: the MTA-STS x DANE table", "%s", md ? md : "(null)");
    free(md);
    char *full = fx_render("json", db, render_survey, d, NULL);
    TAP_CHECK(full && strstr(full, "\"delivery\":{\"mta_sts_probed\":5,\"mta_sts_verified\":4,") &&
                  strstr(full, "\"would_fail_uncovered\":1,\"would_fail_mx\":1,\"dane_checked\":6,"
                               "\"dane_both\":1,\"dane_mta_sts_only\":3,\"dane_only\":2,"
                               "\"dane_neither\":0,\"dane_conflicts\":1}"),
              "json: the summary's delivery keys", "%.3000s", full ? full : "(null)");
    free(full);
    char *json = fx_render("json", db, render_survey, d, "dane_overlap");
    TAP_CHECK(json && strstr(json, "\"dane_overlap\"") && strstr(json, "\"neither\"") &&
                  strstr(json, "\"domains\":2"),
              "json: the DANE table by id", "%s", json ? json : "(null)");
    free(json);
    char *html = fx_render("html", db, render_survey, d, NULL);
    TAP_CHECK(html && strstr(html, "MX transport security") &&
                  strstr(html, "Would fail delivery, by cause") && strstr(html, "MTA-STS x DANE") &&
                  strstr(html, "aria-label=\"MTA-STS x DANE (domains)\"") &&
                  strstr(html, "aria-label=\"Would fail delivery, by cause (domains)\""),
              "html: the three sections and their charts", "%.200s", html ? html : "(null)");
    free(html);
}

static void check_diff_trend(sqlite3 *db)
{
    char *csv = fx_render("csv", db, render_diff, NULL, "changes");
    TAP_CHECK(
        csv && strstr(csv, "x.example,mx_tls_broke,high,smtp_connect_failed,mx_cert_expired\r\n"),
        "diff: an MX certificate that broke is mx_tls_broke", "%s", csv ? csv : "(null)");
    TAP_CHECK(csv && strstr(csv, "b.example,mx_tls_fixed,info,starttls_not_offered,smtp_ok\r\n"),
              "diff: STARTTLS back is mx_tls_fixed", "%s", csv ? csv : "(null)");
    TAP_CHECK(csv && !strstr(csv, "a.example,mx_tls") && !strstr(csv, "g.example,mx_tls"),
              "diff: unchanged MX hosts are no change", "%s", csv ? csv : "(null)");
    free(csv);
    char *sum = fx_render("csv", db, render_diff, NULL, "summary");
    TAP_CHECK(sum && strstr(sum, "mx_tls_broke,high,1,") && strstr(sum, "mx_tls_fixed,info,1,"),
              "diff summary counts the MX kinds", "%s", sum ? sum : "(null)");
    free(sum);
    char *trend = fx_render("csv", db, render_trend, NULL, NULL);
    /* scan 1: would-fail 1 (1 by MX), 5 probed, 3 refused, 1 without STARTTLS, 6 hosts, 3 of 5
     * judged refused, DANE 3 of 6; scan 2: a/k/b/c/g/x probed (k no_policy: 5 MTA-STS). */
    TAP_CHECK(trend &&
                  strstr(trend,
                         ",would_fail_mx,mx_probed,mx_refused_count,mx_refused_of,mx_refused_pct,"
                         "mx_starttls_missing_count") &&
                  strstr(trend, ",1,5,3,5,60.0000,1,5,20.0000,6,3,5,60.0000,3,6,50.0000\r\n"),
              "trend: the MX columns of scan 1", "%s", trend ? trend : "(null)");
    TAP_CHECK(trend && strstr(trend, ",1,5,3,5,60.0000,0,5,0.0000,2,1,2,50.0000,3,6,50.0000\r\n"),
              "trend: the MX columns of scan 2", "%s", trend ? trend : "(null)");
    free(trend);
}

int main(void)
{
    printf("1..%d\n", PLAN);
    char path[128];
    snprintf(path, sizeof path, "/tmp/mtasts-reports-delivery-%d.db", (int)getpid());
    sqlite3 *db = fx_build(path);
    int rc = db ? fx_exec(db, delivery_sql) : -1;
    TAP_CHECK(db && rc == 0, "fixture with the delivery side", "build failed");
    if (!db || rc != 0)
        return 0;
    struct report_data d;
    char err[256];
    rc = report_data_load(db, 1, &d, err, sizeof err);
    TAP_CHECK(rc == 0, "report_data_load", "%s", err);
    if (rc == 0) {
        check_figures(&d.delivery);
        check_formats(db, &d);
        report_data_free(&d);
    }
    check_diff_trend(db);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
