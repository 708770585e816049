/* Diff, trend, per-domain worklist and statistics over the fixture database. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/diff.h"
#include "reports/groups.h"
#include "reports/json_list.h"
#include "reports/stats.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

struct diff_arg {
    int64_t a, b, changes;
};

static int render_diff(struct report_out *o, sqlite3 *db, void *arg)
{
    struct diff_arg *d = arg;
    char err[256];
    struct diff_totals t;
    d->changes = report_write_diff(o, db, d->a, d->b, NULL, &t, err, sizeof err);
    if (d->changes >= 0)
        diff_totals_free(&t);
    return d->changes < 0 ? -1 : 0;
}

static int render_trend(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)arg;
    char err[256];
    return report_write_trend(o, db, err, sizeof err);
}

static int render_worklist(struct report_out *o, sqlite3 *db, void *arg)
{
    char err[256];
    return report_write_worklist(o, db, 1, arg, err, sizeof err);
}

/* Counts lines holding both needles. */
static int lines_with(const char *text, const char *a, const char *b)
{
    int n = 0;
    const char *p = text;
    while (p && *p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[4096];
        if (len < sizeof line) {
            memcpy(line, p, len);
            line[len] = '\0';
            if (strstr(line, a) && strstr(line, b))
                n++;
        }
        p = end ? end + 1 : NULL;
    }
    return n;
}

static void check_diff(sqlite3 *db)
{
    int64_t a = 0, b = 0;
    char err[256] = "";
    TAP_CHECK(report_diff_pick(db, &a, &b, err, sizeof err) == 2 && a == 1 && b == 2,
              "diff defaults to the last two complete scans", "got %lld %lld (%s)", (long long)a,
              (long long)b, err);
    struct diff_arg arg = {1, 2, 0};
    char *t = fx_render("text", db, render_diff, &arg, NULL);
    TAP_CHECK(t != NULL, "diff renders as text", "failed");
    TAP_CHECK(arg.changes == 10, "diff finds the ten crafted changes", "got %lld",
              (long long)arg.changes);
    static const struct {
        const char *domain, *kind;
    } want[] = {{"k.example", "adopted"},
                {"a.example", "dropped"},
                {"b.example", "broke"},
                {"d.example", "fixed"},
                {"c.co.uk", "mode_changed"},
                {"c.co.uk", "policy_changed_same_id"},
                {"x.example", "max_age_changed"},
                {"g.example", "mx_patterns_changed"},
                {"g.example", "policy_changed_same_id"},
                {"i.example", "category_changed"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "diff: %s %s", want[i].domain, want[i].kind);
        TAP_CHECK(t && lines_with(t, want[i].domain, want[i].kind) == 1, name, "not found once");
    }
    TAP_CHECK(t && lines_with(t, "c.co.uk", "id c1, policy blob 103") == 1 &&
                  lines_with(t, "c.co.uk", "id c1, policy blob 203") == 1,
              "diff: same-id change shows the id and both policy blobs", "missing");
    TAP_CHECK(t && lines_with(t, "x.example", "policy_changed_same_id") == 0,
              "diff: a new policy under a new TXT id is not same-id", "reported");
    TAP_CHECK(t && lines_with(t, "b.example", "mode_changed") == 0,
              "diff: an unchanged mode is not reported", "reported");
    free(t);

    struct diff_arg again = {1, 2, 0};
    char *h = fx_render("html", db, render_diff, &again, NULL);
    TAP_CHECK(h && strstr(h, "&lt;script&gt;x&lt;/script&gt;") && !strstr(h, "<script>"),
              "diff html escapes a hostile mx pattern", "raw markup");
    free(h);
    h = fx_render("csv", db, render_diff, &again, "changes");
    /* Stored: ["mx.g.example","<script>x</script>\","]; CSV doubles each quote. */
    const char *want_csv = "g.example,mx_patterns_changed,medium,\"[\"\"mx.other.example\"\"]\","
                           "\"[\"\"mx.g.example\"\",\"\"<script>x</script>\\\"\",\"\"]\"\r\n";
    TAP_CHECK(h && strstr(h, want_csv), "diff csv quotes a pattern list with quotes and commas",
              "got %s", h ? h : "");
    free(h);
    h = fx_render("json", db, render_diff, &again, NULL);
    char jp[128], jc[512];
    TAP_CHECK(h && fx_write_tmp(h, "-diffh.json", jp, sizeof jp) == 0, "diff json written", "no");
    snprintf(jc, sizeof jc,
             "python3 -c 'import json; r=json.load(open(\"%s\")); "
             "x=[c for c in r[\"tables\"][\"changes\"][\"rows\"] if "
             "c[\"change\"]==\"mx_patterns_changed\"]; v=json.loads(x[0][\"after\"]); "
             "assert len(v)==2 and v[1]==\"<script>x</script>\" + chr(34) + \",\", v'",
             jp);
    TAP_CHECK(system(jc) == 0, "diff json round-trips the hostile pattern list", "failed");
    unlink(jp);
    free(h);

    struct diff_arg same = {1, 1, 0};
    t = fx_render("json", db, render_diff, &same, NULL);
    TAP_CHECK(same.changes == 0, "diff of a scan with itself is empty", "got %lld",
              (long long)same.changes);
    char path[128], cmd[1024];
    TAP_CHECK(t && fx_write_tmp(t, "-diff.json", path, sizeof path) == 0, "diff json", "no");
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json; r=json.load(open(\"%s\")); "
             "assert r[\"tables\"][\"changes\"][\"rows\"]==[]; "
             "assert all(x[\"count\"]==0 for x in r[\"tables\"][\"summary\"][\"rows\"])'",
             path);
    TAP_CHECK(system(cmd) == 0, "diff json parses, empty changes, zero counts", "failed");
    unlink(path);
    free(t);

    struct diff_arg bad = {1, 42, 0};
    t = fx_render("text", db, render_diff, &bad, NULL);
    TAP_CHECK(t == NULL && bad.changes == -1, "diff with an unknown scan fails", "rendered");
    free(t);
}

static void check_trend(sqlite3 *db)
{
    char *t = fx_render("csv", db, render_trend, NULL, "trend");
    /* Header, then scans 1 and 2 (complete) in time order; scan 3 is running. */
    int lines = 0;
    for (const char *p = t; p && *p; p++)
        lines += *p == '\n';
    TAP_CHECK(t && lines == 3, "trend has one row per complete scan", "%d lines: %s", lines,
              t ? t : "");
    TAP_CHECK(t && strstr(t, "\r\n1,2026-11-20T00:00:00Z,15,") &&
                  strstr(t, "\r\n2,2026-11-21T00:00:00Z,15,"),
              "trend rows in time order with scanned counts", "got %s", t ? t : "");
    free(t);
    t = fx_render("html", db, render_trend, NULL, NULL);
    int polylines = 0;
    for (const char *p = t; p && (p = strstr(p, "<polyline")); p++)
        polylines++;
    TAP_CHECK(polylines == 9, "trend html draws funnel, mode and rollup lines", "%d lines",
              polylines);
    free(t);
    t = fx_render("json", db, render_trend, NULL, NULL);
    char path[128], cmd[1024];
    TAP_CHECK(t && fx_write_tmp(t, "-trend.json", path, sizeof path) == 0, "trend json", "no");
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json; r=json.load(open(\"%s\")); rows=r[\"tables\"][\"trend\"]"
             "[\"rows\"]; assert [x[\"scan\"] for x in rows]==[1,2]; "
             "assert rows[0][\"fully_valid\"]==4 and rows[1][\"fully_valid\"]==4, rows'",
             path);
    TAP_CHECK(system(cmd) == 0, "trend json: fully valid 4 then 4 (one broke, one fixed)",
              "failed");
    unlink(path);
    free(t);
}

static void check_worklist(sqlite3 *db)
{
    struct report_worklist_opts all = {0};
    char *t = fx_render("csv", db, render_worklist, &all, NULL);
    int lines = 0;
    for (const char *p = t; p && *p; p++)
        lines += *p == '\n';
    /* 15 domains + marker + header, and one line more for the quoted newline of HOSTILE. */
    TAP_CHECK(lines == 18, "worklist: block marker, header and 15 domains", "%d lines", lines);
    TAP_CHECK(t && strstr(t, "\"He said \"\"hi\"\", <script>alert(1)</script>\nline2"),
              "worklist csv quotes a hostile detail with quotes, comma and newline", "no");
    TAP_CHECK(t && strstr(t, "\r\nd.example,20000,invalid,0,policy_host_no_address,"),
              "worklist row with rank, status and category", "missing");
    free(t);

    struct report_worklist_opts inv = {.status = "invalid", .sort = "category"};
    t = fx_render("text", db, render_worklist, &inv, NULL);
    const char *p1 = t ? strstr(t, "j.example") : NULL; /* txt_multiple */
    const char *p2 = t ? strstr(t, "d.example") : NULL; /* policy_host_no_address */
    const char *p3 = t ? strstr(t, "g.example") : NULL; /* mx_not_covered */
    TAP_CHECK(t && !strstr(t, "a.example") && p1 && p2 && p3,
              "worklist --status invalid keeps only invalid domains", "wrong rows");
    TAP_CHECK(p3 && p2 && p3 < p2, "worklist --sort category orders by the code",
              "mx_not_covered after policy_host_no_address");
    TAP_CHECK(t && strstr(t, "Publish an A or AAAA record for mta-sts.") != NULL,
              "worklist shows the category's fix", "no fix text: %s",
              t ? strstr(t, "d.example") : "");
    free(t);

    t = fx_render("md", db, render_worklist, &all, NULL);
    TAP_CHECK(t && strstr(t, "\\[login\\](https\\://evil.example) \\*bold\\*") &&
                  !strstr(t, " [login]") && strstr(t, "&lt;script&gt;"),
              "worklist md escapes a remote link, emphasis and markup", "got %s",
              t ? strstr(t, "x.example") : "");
    free(t);

    struct report_worklist_opts np = {.status = "no_policy"};
    t = fx_render("csv", db, render_worklist, &np, NULL);
    TAP_CHECK(t && strstr(t, "k.example") && strstr(t, "No MTA-STS policy: publish"),
              "worklist: a domain without a policy gets the publishing advice", "missing");
    free(t);

    struct report_worklist_opts cat = {.category = "cert_expired"};
    t = fx_render("json", db, render_worklist, &cat, NULL);
    TAP_CHECK(t && strstr(t, "\"domain\":\"e.example\"") && !strstr(t, "f.example"),
              "worklist --category cert_expired", "wrong rows");
    free(t);

    struct report_worklist_opts warn = {.status = "valid", .sort = "rank", .desc = true};
    t = fx_render("text", db, render_worklist, &warn, NULL);
    TAP_CHECK(t && strstr(t, "Renew the certificate"),
              "worklist: a valid domain gets its "
              "warnings' fixes",
              "missing");
    const char *c = t ? strstr(t, "c.co.uk") : NULL, *b = t ? strstr(t, "b.example") : NULL;
    TAP_CHECK(c && b && c < b, "worklist --sort rank --desc", "order wrong");
    TAP_CHECK(t && !strstr(t, "\x1b") && strstr(t, "alert(1)</script>?line2"),
              "text worklist shows the newline of a remote value as ?", "no");
    free(t);

    struct report_worklist_opts bad = {.sort = "domain; DROP TABLE results"};
    t = fx_render("text", db, render_worklist, &bad, NULL);
    TAP_CHECK(t == NULL, "worklist refuses an unknown --sort", "rendered");
    free(t);
    struct report_worklist_opts badstatus = {.status = "bogus"};
    t = fx_render("text", db, render_worklist, &badstatus, NULL);
    TAP_CHECK(t == NULL, "worklist refuses an unknown --status", "rendered");
    free(t);
}

static void check_stats(void)
{
    double lo, hi;
    /* Reference values: Wilson score interval, z = 1.959964 (e.g. R's binom.wilson). */
    report_wilson(10, 100, REPORT_Z95, &lo, &hi);
    TAP_CHECK(fabs(lo - 0.0552291) < 1e-6 && fabs(hi - 0.1743657) < 1e-6,
              "wilson 10/100 = [0.0552, 0.1744]", "got [%.7f, %.7f]", lo, hi);
    report_wilson(50, 100, REPORT_Z95, &lo, &hi);
    TAP_CHECK(fabs(lo - 0.4038315) < 1e-6 && fabs(hi - 0.5961685) < 1e-6,
              "wilson 50/100 = [0.4038, 0.5962]", "got [%.7f, %.7f]", lo, hi);
    report_wilson(0, 10, REPORT_Z95, &lo, &hi);
    TAP_CHECK(lo == 0.0 && fabs(hi - 0.2775328) < 1e-6, "wilson 0/10 = [0, 0.2775]",
              "got [%.7f, %.7f]", lo, hi);
    report_wilson(10, 10, REPORT_Z95, &lo, &hi);
    TAP_CHECK(hi == 1.0 && fabs(lo - 0.7224672) < 1e-6, "wilson 10/10 = [0.7225, 1]",
              "got [%.7f, %.7f]", lo, hi);
    report_wilson(1, 1000000, REPORT_Z95, &lo, &hi);
    TAP_CHECK(fabs(lo - 1.765246e-7) < 1e-12 && fabs(hi - 5.664912e-6) < 1e-11,
              "wilson 1/1000000 stays positive and narrow", "got [%g, %g]", lo, hi);
    report_wilson(0, 0, REPORT_Z95, &lo, &hi);
    TAP_CHECK(lo == 0.0 && hi == 1.0, "wilson without trials is [0, 1]", "got [%g, %g]", lo, hi);

    const int64_t v[] = {1, 2, 3, 4};
    TAP_CHECK(report_quantile(v, 4, 0.5) == 2.5, "median of an even sample interpolates", "got %g",
              report_quantile(v, 4, 0.5));
    TAP_CHECK(report_quantile(v, 4, 0.25) == 1.75, "first quartile (type 7)", "got %g",
              report_quantile(v, 4, 0.25));
    TAP_CHECK(report_quantile(v, 1, 0.5) == 1.0, "quantile of one value", "wrong");
    TAP_CHECK(report_quantile(v, 0, 0.5) == 0.0, "quantile of nothing is 0", "wrong");

    TAP_CHECK(report_maxage_bucket(86399) == 0 && report_maxage_bucket(86400) == 1 &&
                  report_maxage_bucket(604799) == 2 && report_maxage_bucket(604800) == 3 &&
                  report_maxage_bucket(2591999) == 4 && report_maxage_bucket(2592000) == 5 &&
                  report_maxage_bucket(31557600) == 5 && report_maxage_bucket(31557601) == 6,
              "max_age bucket edges", "wrong bucket");

    static const struct {
        const char *host, *want;
    } rd[] = {{"aspmx.l.google.com", "google.com"},
              {"mx1.mail.example.co.uk.", "example.co.uk"},
              {"MX.Example.COM", "example.com"},
              {"localhost", "localhost"},
              {"co.uk", "co.uk"},
              {"mail.protection.outlook.com", "outlook.com"},
              {"mx.example.com.au", "example.com.au"},
              /* beyond the old built-in list: the Public Suffix List */
              {"mx.example.kawasaki.jp", "mx.example.kawasaki.jp"},
              {"mail.example.org.pl", "example.org.pl"},
              {"mta-sts.user.github.io", "github.io"},
              {"d1.cloudfront.net", "cloudfront.net"},
              {"mx.example.test", "example.test"}};
    for (size_t i = 0; i < sizeof rd / sizeof rd[0]; i++) {
        char buf[256] = "";
        bool ok = report_registered_domain(rd[i].host, buf, sizeof buf);
        char name[128];
        snprintf(name, sizeof name, "registered domain of %s", rd[i].host);
        TAP_CHECK(ok && !strcmp(buf, rd[i].want), name, "got %s", buf);
    }
    char small[4];
    TAP_CHECK(!report_registered_domain("example.com", small, sizeof small),
              "registered domain refuses a buffer too small", "accepted");
    TAP_CHECK(!report_registered_domain(".", small, sizeof small),
              "registered domain of the null MX is refused", "accepted");
}

static void collect(const char *item, void *arg)
{
    struct sbuf *b = arg;
    sbuf_printf(b, "[%s]", item);
}

static void check_json_list(void)
{
    static const struct {
        const char *json, *want;
        int n;
    } cases[] = {
        {"[\"mx1.example\",\"mx2.example\"]", "[mx1.example][mx2.example]", 2},
        {" [ \"a\" , \"b\" ] ", "[a][b]", 2},
        {"[]", "", 0},
        {"[\"q\\\"uote\\\\ \\u0041\\u00e9\"]", "[q\"uote\\ A?]", 1},
        {"[\"a\",]", "[a]", -1},
        {"[\"a\"", "[a]", -1},
        {"[1]", "", -1},
        {"{\"a\":1}", "", -1},
        {"[\"a\"] x", "[a]", -1},
        {"[\"bad \\x escape\"]", "", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sbuf b = SBUF_INIT;
        int n = report_json_strings(cases[i].json, collect, &b);
        char name[160];
        snprintf(name, sizeof name, "json list %s", cases[i].json);
        TAP_CHECK(n == cases[i].n && !strcmp(sbuf_str(&b), cases[i].want), name, "got %d '%s'", n,
                  sbuf_str(&b));
        sbuf_free(&b);
    }
    TAP_CHECK(report_json_strings(NULL, collect, NULL) == -1, "json list NULL is -1", "no");
    char big[3000];
    memset(big, 'x', sizeof big);
    big[0] = '[';
    big[1] = '"';
    memcpy(big + sizeof big - 8, "\",\"ok\"]", 7);
    big[sizeof big - 1] = '\0';
    struct sbuf b = SBUF_INIT;
    int n = report_json_strings(big, collect, &b);
    TAP_CHECK(n == 2 && !strcmp(sbuf_str(&b), "[ok]"), "json list skips an over-long string",
              "got %d '%s'", n, sbuf_str(&b));
    sbuf_free(&b);
}

int main(void)
{
    TAP_PLAN(81);
    check_stats();
    check_json_list();
    const char *path = fx_db_path("trend");
    sqlite3 *db = fx_build(path);
    TAP_CHECK(db != NULL, "fixture database builds", "failed");
    if (!db)
        TAP_DONE();
    check_diff(db);
    check_trend(db);
    check_worklist(db);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
