/* The survey figures beyond the main pass: TXT id formats, hosting behind policy hosts with
 * failure rates, and the history across snapshots, on a crafted three-snapshot database. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

static const char history_db[] =
    "INSERT INTO scans (id, started_at, finished_at, state, tool_version, inputs, options) "
    "VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'complete', 't', '[]', '{}'),"
    "(2, '2026-03-01T00:00:00Z', '2026-03-01T00:01:00Z', 'complete', 't', '[]', '{}'),"
    "(3, '2026-08-01T00:00:00Z', '2026-08-01T00:01:00Z', 'complete', 't', '[]', '{}'),"
    "(4, '2026-09-01T00:00:00Z', NULL, 'interrupted', 't', '[]', '{}');"
    /* (scan, domain, status, mode, txt_id, host_cname, cert_issuer) */
    "CREATE TEMP TABLE h (s, d, st, m, id, cn, iss);"
    "INSERT INTO h VALUES "
    "(1,'rm-none.test','valid','enforce','a1',NULL,NULL),"
    "(2,'rm-none.test','no_policy',NULL,NULL,NULL,NULL),"
    "(3,'rm-none.test','no_policy',NULL,NULL,NULL,NULL),"
    "(1,'rm-ok.test','valid','enforce','b1',NULL,NULL),"
    "(2,'rm-ok.test','valid','none','b2',NULL,NULL),"
    "(3,'rm-ok.test','no_policy',NULL,NULL,NULL,NULL),"
    "(1,'direct.test','no_policy',NULL,NULL,NULL,NULL),"
    "(2,'direct.test','valid','enforce','c1',NULL,NULL),"
    "(3,'direct.test','invalid',NULL,'other-id','mta-sts.mailhardener.com',NULL),"
    "(1,'careful.test','valid','testing','d1',NULL,NULL),"
    "(2,'careful.test','valid','enforce','d2',NULL,NULL),"
    "(3,'careful.test','valid','enforce','1785542400',NULL,'Cloudflare Inc ECC CA-3'),"
    "(1,'first.test','valid','enforce','e1',NULL,NULL),"
    "(3,'first.test','valid','enforce','20260801T0000',NULL,'R3'),"
    "(1,'longtest.test','valid','testing','f1',NULL,NULL),"
    "(2,'longtest.test','valid','testing','f1',NULL,NULL),"
    "(3,'longtest.test','valid','testing','20260801T000000Z','user.github.io.',NULL),"
    "(2,'newtest.test','no_policy',NULL,NULL,NULL,NULL),"
    "(3,'newtest.test','valid','testing','20260801T000000Z','d1.cloudfront.net',NULL),"
    "(4,'newtest.test','no_policy',NULL,NULL,NULL,NULL);"
    "INSERT INTO results (scan_id, domain, scanned_at, status, valid_strict, valid_lenient, "
    "would_fail_delivery, policy_mode, txt_id, host_cname, cert_issuer) SELECT s, d, 0, st, "
    "st = 'valid', st = 'valid', 0, m, id, cn, iss FROM h; DROP TABLE h;"
    /* The Server headers of scan 3: Cloudflare's proxy (issuer agrees), nginx behind a CNAME
     * to GitHub Pages (the CNAME decides), nginx alone (self-hosted by its header). */
    "UPDATE results SET policy_http_server = 'cloudflare' WHERE scan_id = 3 AND domain = "
    "'careful.test';"
    "UPDATE results SET policy_http_server = 'GitHub.com' WHERE scan_id = 3 AND domain = "
    "'longtest.test';"
    "UPDATE results SET policy_http_server = 'nginx/1.22.1' WHERE scan_id = 3 AND domain = "
    "'first.test';";

static int render_survey(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)db;
    o->data = arg;
    report_write_survey(o, arg);
    return 0;
}

static bool has(const char *t, const char *s)
{
    return t && strstr(t, s);
}

int main(void)
{
    printf("1..55\n");
    static const struct {
        const char *id, *want;
    } ids[] = {{"20260801T000000Z", "iso_basic_z"},
               {"20260801T0000Z", "iso_basic_z"},
               {"20260801T0000", "compact_t"},
               {"20260801T000000", "compact_t"},
               {"1785542400", "unix_epoch"},
               {"1785542400123", "unix_epoch"},
               {"v1", "other"},
               {"2026080101", "other"},
               {"T1", "other"}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char name[96];
        snprintf(name, sizeof name, "id format of %s is %s", ids[i].id, ids[i].want);
        TAP_STR_EQ(report_txt_id_format(ids[i].id), ids[i].want, name);
    }
    /* (CNAME, issuer, Server header as real platforms send it) -> hosting, deciding signal */
    static const struct {
        const char *cname, *issuer, *server, *want, *signal;
    } hosts[] = {
        {"example.github.io.", NULL, NULL, "github_pages", "cname"},
        {"site.netlify.app", NULL, NULL, "netlify", "cname"},
        {"cname.vercel-dns.com", NULL, NULL, "vercel", "cname"},
        {"d111.cloudfront.net", NULL, NULL, "s3_cloudfront", "cname"},
        {"mta-sts.mailhardener.com", NULL, NULL, "hosted_mta_sts", "cname"},
        {"notgithub.io", NULL, NULL, "other_cname", "cname"},
        {NULL, "Cloudflare Inc ECC CA-3", NULL, "cloudflare", "issuer"},
        {NULL, "Amazon RSA 2048 M02", NULL, "s3_cloudfront", "issuer"},
        {NULL, "R3", NULL, "self_hosted", "none"},
        /* the Server header alone */
        {NULL, "R3", "GitHub.com", "github_pages", "server"},
        {NULL, "Cloudflare Inc ECC CA-3", "cloudflare", "cloudflare", "server"},
        {NULL, "R3", "Netlify", "netlify", "server"},
        {NULL, "R3", "Vercel", "vercel", "server"},
        {NULL, "Amazon RSA 2048 M02", "AmazonS3", "s3_cloudfront", "server"},
        {NULL, "Amazon RSA 2048 M02", "CloudFront", "s3_cloudfront", "server"},
        {NULL, "R3", "nginx/1.22.1", "self_hosted", "server"},
        {NULL, "R3", "Apache/2.4.57 (Debian)", "self_hosted", "server"},
        {NULL, "R3", "Caddy", "self_hosted", "server"},
        {NULL, "R3", "gws", "self_hosted", "none"},
        /* precedence: a platform CNAME over the header (a hosted service behind Cloudflare) */
        {"mta-sts.mailhardener.com", NULL, "cloudflare", "hosted_mta_sts", "cname"},
        {"user.github.io", "R3", "GitHub.com", "github_pages", "cname"},
        /* Cloudflare's proxy in front of an unknown CNAME or another issuer: Cloudflare */
        {"web.example-isp.net", "R3", "cloudflare", "cloudflare", "server"},
        {NULL, "Let's Encrypt R11", "cloudflare", "cloudflare", "server"},
        /* the header over the issuer; generic server software does not outrank an issuer */
        {NULL, "Cloudflare Inc ECC CA-3", "Netlify", "netlify", "server"},
        {NULL, "Amazon RSA 2048 M02", "nginx", "s3_cloudfront", "issuer"},
        {"web.example-isp.net", "R3", "nginx", "other_cname", "cname"},
        /* product tokens, not substrings: case-insensitive, the version and comment ignored */
        {NULL, "R3", "CLOUDFLARE", "cloudflare", "server"},
        {NULL, "R3", "cloudflare-nginx-fake", "self_hosted", "none"},
        {NULL, "R3", "GitHub.com.evil", "self_hosted", "none"},
        {NULL, "R3", "", "self_hosted", "none"},
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char name[192];
        const char *signal = NULL;
        const char *got =
            report_hosting_of(hosts[i].cname, hosts[i].issuer, hosts[i].server, &signal);
        snprintf(name, sizeof name, "hosting of %s / %s / %s is %s by %s",
                 hosts[i].cname ? hosts[i].cname : "-", hosts[i].issuer ? hosts[i].issuer : "-",
                 hosts[i].server ? hosts[i].server : "-", hosts[i].want, hosts[i].signal);
        TAP_CHECK(got && signal && !strcmp(got, hosts[i].want) && !strcmp(signal, hosts[i].signal),
                  name, "got %s by %s", got ? got : "NULL", signal ? signal : "NULL");
    }
    TAP_STR_EQ(report_hosting_of(NULL, NULL, "Vercel", NULL), "vercel",
               "the signal is optional (NULL)");

    const char *path = fx_db_path("figures");
    unlink(path);
    sqlite3 *db = NULL;
    char *schema = fx_read_schema();
    bool built = sqlite3_open(path, &db) == SQLITE_OK && schema && fx_exec(db, schema) == 0 &&
                 fx_exec(db, "PRAGMA application_id = 1297371988; PRAGMA user_version = 1") == 0 &&
                 fx_exec(db, history_db) == 0;
    TAP_CHECK(built, "three-snapshot database builds", "failed");
    if (!built)
        TAP_DONE();
    struct report_data d;
    char err[256];
    TAP_CHECK(report_data_load(db, 3, &d, err, sizeof err) == 0, "scan 3 loads", "%s", err);
    const char *formats[] = {"csv", "json", "text", "md", "html"};
    char *out[5] = {NULL};
    for (int i = 0; i < 5; i++)
        out[i] = fx_render(formats[i], db, render_survey, &d, NULL);
    const char *csv = out[0];
    TAP_CHECK(has(csv, "\niso_basic_z,20260101T000000Z,2,2,5,40.0000,") &&
                  has(csv, "\ncompact_t,20260101T0000,1,1,5,20.0000,") &&
                  has(csv, "\nunix_epoch,1767225600,1,1,5,20.0000,") &&
                  has(csv, "2026010101)\",1,1,5,20.0000,"),
              "txt id formats: 2 iso, 1 compact, 1 epoch, 1 other of 5 ids", "got %s",
              csv ? strstr(csv, "txt_id_formats") : "");
    TAP_CHECK(has(csv, "\nhosted_mta_sts,1,1,5,20.0000,3.6224,62.4465,0,1,1,1,100.0000,") &&
                  has(csv, "\ngithub_pages,1,1,5,") && has(csv, "\ns3_cloudfront,1,1,5,") &&
                  has(csv, "\ncloudflare,1,1,5,") && has(csv, "\nself_hosted,1,1,5,"),
              "hosting: one domain each, the hosted service's failure rate 100%", "got %s",
              csv ? strstr(csv, "hosting") : "");
    TAP_CHECK(has(csv, "\npolicy removed,2,") &&
                  has(csv, "\nremoved without mode none first,1,1,2,50.0000,") &&
                  has(csv, "\nremoved after mode none,1,1,2,50.0000,"),
              "history: two removals, one without mode none first", "got %s",
              csv ? strstr(csv, "history") : "");
    TAP_CHECK(has(csv, "\nreached enforce after a first snapshot,2,") &&
                  has(csv, "\nenforce without a prior testing snapshot,1,1,2,50.0000,") &&
                  has(csv, "\nenforce at the first snapshot (history unknown),3,"),
              "history: enforce reached twice, once without testing; three at first sight",
              "got %s", csv ? strstr(csv, "history") : "");
    TAP_CHECK(has(csv, "\ntesting now,2,") &&
                  has(csv, "\ntesting for more than 6 months,1,1,2,50.0000,"),
              "history: two testing now, one for more than six months", "got %s",
              csv ? strstr(csv, "history") : "");
    TAP_CHECK(has(csv, "\nremoved without mode none first,rm-none.test,2026-03-01") &&
                  has(csv, "\nenforce without a prior testing snapshot,direct.test,") &&
                  has(csv, "\ntesting for more than 6 months,longtest.test,since 2026-01-01"),
              "history names the domains", "got %s", csv ? strstr(csv, "history_domains") : "");
    /* Every format carries the new tables. */
    TAP_CHECK(has(out[1], "\"txt_id_formats\"") && has(out[1], "\"hosting\"") &&
                  has(out[1], "\"history\"") && has(out[1], "\"history_domains\""),
              "json has the new tables", "missing");
    for (int i = 2; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s shows the new figures", formats[i]);
        TAP_CHECK(has(out[i], "iso") && has(out[i], "basic") && has(out[i], "hosted") &&
                      has(out[i], "removed without mode none first") && has(out[i], "longtest"),
                  name, "missing");
    }
    /* The interrupted scan 4 is not a snapshot of scan 3's history. */
    TAP_CHECK(has(out[2], "3 snapshots"), "history counts the complete scans up to this one",
              "wrong");
    for (int i = 0; i < 5; i++)
        free(out[i]);
    report_data_free(&d);

    /* The funnel chart at real adoption: 20,000 domains, 100 with MTA-STS (0.5%). On a linear
     * axis fully_valid would be 0.5% of the scanned bar (1.5 px); on the log axis 47%. */
    fx_exec(db, "INSERT INTO scans (id, started_at, state, tool_version, inputs, options) VALUES "
                "(9, '2026-09-01T00:00:00Z', 'complete', 't', '[]', '{}');"
                "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 19999) "
                "INSERT INTO results (scan_id, domain, scanned_at, status, valid_strict, "
                "valid_lenient, would_fail_delivery, mx_outcome, null_mx, txt_records, "
                "txt_version_records, txt_id, http_status, policy_size, policy_valid, "
                "policy_mode) SELECT 9, 'd' || i || '.test', 0, CASE WHEN i < 100 THEN 'valid' "
                "ELSE 'no_policy' END, i < 100, i < 100, 0, 'ok', 0, i < 100, i < 100, CASE WHEN "
                "i < 100 THEN 'x' || i END, CASE WHEN i < 100 THEN 200 END, CASE WHEN i < 100 "
                "THEN 60 END, CASE WHEN i < 100 THEN 1 END, CASE WHEN i < 100 THEN 'enforce' END "
                "FROM k;");
    struct report_data big;
    char *html = NULL;
    if (report_data_load(db, 9, &big, err, sizeof err) == 0) {
        html = fx_render("html", db, render_survey, &big, NULL);
        report_data_free(&big);
    }
    /* Bar widths in the order of the stages: scanned first, fully_valid last. */
    const char *svg = html ? strstr(html, "aria-label=\"Adoption funnel") : NULL;
    const char *svg_end = svg ? strstr(svg, "</svg>") : NULL;
    int widths[16], nw = 0;
    for (const char *p = svg; p && nw < 16 && (p = strstr(p, "<rect x=\"230\"")) && p < svg_end;
         p++) {
        const char *w = strstr(p, "width=\"");
        if (w)
            widths[nw++] = atoi(w + 7);
    }
    TAP_CHECK(nw == 8 && widths[7] * 5 > widths[0] * 2 && widths[7] > 100,
              "funnel at 0.5% adoption: the fully_valid bar is over 40% of the scanned bar (log "
              "axis; linear: 0.5%), null_mx not a bar",
              "%d bars, scanned %d px, fully_valid %d px", nw, nw ? widths[0] : 0,
              nw ? widths[nw - 1] : 0);
    TAP_CHECK(html && strstr(html, "100 \xc2\xb7 0.50% [0.41, 0.61]"),
              "the fully_valid bar is labelled with its share and interval", "missing");
    free(html);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
