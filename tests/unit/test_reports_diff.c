/* diff's change kinds and severities: each new kind found exactly once on a crafted scan,
 * --only and --min-severity filters, the policy lines of a same-id change, the cron brief. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/diff.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

/* On top of fixture scan 2 (test_reports_fixture.h): one change of each new kind. */
static const char more_changes[] =
    /* rua pointed elsewhere (and the severity table says high) */
    "UPDATE results SET rua='[\"mailto:y@x.example\",\"mailto:tls@attacker.example\"]' "
    "WHERE scan_id=2 AND domain='x.example';"
    /* _smtp._tls removed */
    "UPDATE results SET tlsrpt_status='none', rua=NULL WHERE scan_id=2 AND domain='e.example';"
    /* MX host set changed; would_fail_delivery flips on */
    "UPDATE results SET mx_hosts='[\"mx.h.example\",\"mx2.other.example\"]', "
    "would_fail_delivery=1 WHERE scan_id=2 AND domain='h.example';"
    /* MX hosts reordered only: no change */
    "UPDATE results SET mx_hosts='[\"alt1.aspmx.l.google.com\",\"aspmx.l.google.com\"]' "
    "WHERE scan_id=2 AND domain='b.example';"
    /* certificate now within 14 days (was 100), and within 30 days (was 200) */
    "UPDATE results SET cert_not_after=scanned_at + 12*86400 WHERE scan_id=2 AND "
    "domain='c.co.uk';"
    "UPDATE results SET cert_not_after=scanned_at + 25*86400 WHERE scan_id=2 AND "
    "domain='x.example';"
    /* would_fail_delivery cleared */
    "UPDATE results SET would_fail_delivery=0 WHERE scan_id=2 AND domain='g.example';"
    /* readiness changed */
    "UPDATE results SET readiness='not_ready' WHERE scan_id=2 AND domain='x.example';"
    /* warnings: one added, one removed */
    "UPDATE results SET warnings='mx_pattern_unused,tlsrpt_missing' WHERE scan_id=2 AND "
    "domain='b.example';";

struct diff_arg {
    int64_t a, b, changes;
    struct diff_opts opts;
    struct diff_totals t;
};

static int render(struct report_out *o, sqlite3 *db, void *arg)
{
    struct diff_arg *d = arg;
    char err[256];
    d->changes = report_write_diff(o, db, d->a, d->b, &d->opts, &d->t, err, sizeof err);
    return d->changes < 0 ? -1 : 0;
}

static int render_trend(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)arg;
    char err[256];
    return report_write_trend(o, db, err, sizeof err);
}

static int lines_with(const char *text, const char *a, const char *b)
{
    int n = 0;
    for (const char *p = text; p && *p;) {
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

/* Policy bodies by blob id for the same-id change of c.co.uk (103 -> 203). */
static char *policy_text(void *ctx, int64_t id)
{
    (void)ctx;
    if (id == 103)
        return strdup("version: STSv1\r\nmode: none\r\nmx: mail.provider.co.uk\r\nmax_age: "
                      "86400\r\n");
    if (id == 203)
        return strdup("version: STSv1\r\nmode: enforce\r\nmx: mail.provider.co.uk\r\nmx: "
                      "*.backup.co.uk\r\nmax_age: 86400\r\n");
    return NULL;
}

int main(void)
{
    printf("1..35\n");
    const char *path = fx_db_path("diff");
    sqlite3 *db = fx_build(path);
    TAP_CHECK(db && fx_exec(db, more_changes) == 0, "fixture with the new change kinds", "no");
    if (!db)
        TAP_DONE();

    TAP_CHECK(diff_kind_find("rua_changed") >= 0 && diff_kind_find("nope") < 0 &&
                  diff_kinds[diff_kind_find("rua_changed")].severity == DIFF_HIGH &&
                  diff_kinds[diff_kind_find("broke")].severity == DIFF_HIGH &&
                  diff_kinds[diff_kind_find("would_fail_delivery")].severity == DIFF_HIGH &&
                  diff_kinds[diff_kind_find("warning_added")].severity == DIFF_LOW,
              "severity table: broke, would_fail_delivery, rua_changed high; warnings low",
              "wrong");

    struct diff_arg d = {.a = 1, .b = 2, .opts = {.policy_text = policy_text}};
    char *t = fx_render("text", db, render, &d, NULL);
    TAP_CHECK(t && d.changes == 20, "diff finds the 10 old and 10 new changes", "got %lld",
              (long long)d.changes);
    static const struct {
        const char *domain, *kind, *text;
    } want[] = {
        {"x.example", "rua_changed", "mailto:tls@attacker.example"},
        {"e.example", "tlsrpt_removed", "valid"},
        {"h.example", "mx_hosts_changed", "mx2.other.example"},
        {"c.co.uk", "cert_expiring_14d", "12.0 days left"},
        {"x.example", "cert_expiring_30d", "25.0 days left"},
        {"h.example", "would_fail_delivery ", "high"},
        {"g.example", "would_fail_delivery_cleared", "info"},
        {"x.example", "readiness_changed", "ready_to_enforce"},
        {"b.example", "warning_added", "mx_pattern_unused"},
        {"b.example", "warning_removed", "testing_without_tlsrpt"},
        {"c.co.uk", "policy_changed_same_id", "-mode: none"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char name[160];
        snprintf(name, sizeof name, "diff: %s %s (%s)", want[i].domain, want[i].kind, want[i].text);
        /* The row: domain, kind and the detail on one line. */
        char key[128];
        snprintf(key, sizeof key, "%s", want[i].kind);
        int n = 0;
        for (const char *p = t; p && *p;) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char line[4096];
            if (len < sizeof line) {
                memcpy(line, p, len);
                line[len] = '\0';
                n +=
                    strstr(line, want[i].domain) && strstr(line, key) && strstr(line, want[i].text);
            }
            p = e ? e + 1 : NULL;
        }
        TAP_CHECK(n == 1, name, "found %d times", n);
    }
    TAP_CHECK(t && lines_with(t, "c.co.uk", "+mx: *.backup.co.uk") == 1 &&
                  lines_with(t, "c.co.uk", "+mode: enforce") == 1 && !strstr(t, "policy blob 103"),
              "same-id change shows the differing policy lines, not blob ids", "got %s",
              t ? t : "");
    TAP_CHECK(t && lines_with(t, "b.example", "mx_hosts_changed") == 0,
              "reordered MX hosts are no change", "reported");
    TAP_CHECK(t && strstr(t, "20 changes on 10 domains: 7 high, 7 medium, 2 low, 4 info"),
              "summary note counts by severity", "got %s", t ? t : "");
    const char *hi = t ? strstr(t, "rua_changed") : NULL;
    const char *lo = t ? strstr(t, "warning_added") : NULL;
    TAP_CHECK(hi && lo && hi < lo, "summary table lists high before low", "order");

    /* The brief for cron: headline, kinds by severity with example domains. */
    char *brief = NULL;
    size_t blen = 0;
    FILE *bf = open_memstream(&brief, &blen);
    report_diff_brief(bf, &d.t);
    fclose(bf);
    TAP_CHECK(brief && strstr(brief, "20 changes on 10 domains (7 high, 7 medium, 2 low, 4 info)"),
              "brief headline", "got %s", brief ? brief : "");
    TAP_CHECK(brief && lines_with(brief, "high", "rua_changed") == 1 &&
                  lines_with(brief, "rua_changed", "x.example") == 1,
              "brief line: severity, kind, domain", "got %s", brief ? brief : "");
    const char *bh = brief ? strstr(brief, "  high") : NULL;
    const char *bm = brief ? strstr(brief, "  medium") : NULL;
    const char *bl = brief ? strstr(brief, "  low") : NULL;
    const char *bi = brief ? strstr(brief, "  info") : NULL;
    TAP_CHECK(bh && bm && bl && bi && bh < bm && bm < bl && bl < bi,
              "brief ranks high, medium, low, info", "got %s", brief ? brief : "");
    free(brief);
    diff_totals_free(&d.t);
    free(t);

    /* --min-severity high */
    struct diff_arg h = {.a = 1, .b = 2, .opts = {.min_severity = DIFF_HIGH}};
    t = fx_render("csv", db, render, &h, "changes");
    TAP_CHECK(t && h.changes == 7 && !strstr(t, ",medium,") && !strstr(t, ",low,") &&
                  !strstr(t, ",info,"),
              "--min-severity high keeps the 7 high changes", "got %lld: %s", (long long)h.changes,
              t ? t : "");
    diff_totals_free(&h.t);
    free(t);

    /* --only rua_changed,tlsrpt_removed */
    char err[1024] = "";
    struct diff_arg only = {.a = 1, .b = 2};
    TAP_CHECK(diff_only_parse("rua_changed,tlsrpt_removed", &only.opts.only, err, sizeof err) == 0,
              "--only parses two kinds", "%s", err);
    t = fx_render("csv", db, render, &only, "changes");
    TAP_CHECK(t && only.changes == 2 && strstr(t, "x.example,rua_changed,high") &&
                  strstr(t, "e.example,tlsrpt_removed,medium"),
              "--only keeps exactly those kinds", "got %s", t ? t : "");
    diff_totals_free(&only.t);
    free(t);
    uint64_t mask = 0;
    TAP_CHECK(diff_only_parse("rua_changed,bogus", &mask, err, sizeof err) < 0 &&
                  strstr(err, "unknown change kind 'bogus'") && strstr(err, "mx_hosts_changed"),
              "--only refuses an unknown kind and lists the names", "got %s", err);
    TAP_CHECK(diff_severity_parse("medium") == DIFF_MEDIUM && diff_severity_parse("urgent") < 0,
              "severity names parse", "wrong");

    /* JSON: state, counts by severity, the severity column. */
    struct diff_arg j = {.a = 1, .b = 2};
    t = fx_render("json", db, render, &j, NULL);
    char jp[128], cmd[1024];
    TAP_CHECK(t && fx_write_tmp(t, "-diff2.json", jp, sizeof jp) == 0, "diff json written", "no");
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json; r=json.load(open(\"%s\")); "
             "assert r[\"state\"]==\"compared\" and r[\"changes\"]==20, r; "
             "assert r[\"by_severity\"]=={\"high\":7,\"medium\":7,\"low\":2,\"info\":4}, r; "
             "rows=r[\"tables\"][\"changes\"][\"rows\"]; "
             "assert all(x[\"severity\"] in (\"high\",\"medium\",\"low\",\"info\") for x in rows)'",
             jp);
    TAP_CHECK(system(cmd) == 0, "diff json: state, by_severity, severity per row", "failed");
    unlink(jp);
    diff_totals_free(&j.t);
    free(t);

    /* Baseline: one complete scan. */
    fx_exec(db, "UPDATE scans SET state='interrupted' WHERE id=1");
    int64_t a = 0, b = 0;
    TAP_CHECK(report_diff_pick(db, &a, &b, err, sizeof err) == 1 && a == 2 && b == 2,
              "one complete scan: the pick says baseline", "got a=%lld b=%lld", (long long)a,
              (long long)b);
    struct diff_arg base = {.a = 2, .b = 2, .opts = {.baseline = true}};
    t = fx_render("json", db, render, &base, NULL);
    TAP_CHECK(t && base.changes == 0 && base.t.baseline && strstr(t, "\"state\":\"baseline\""),
              "baseline renders state baseline, no changes", "got %s", t ? t : "");
    free(t);
    bf = open_memstream(&brief, &blen);
    report_diff_brief(bf, &base.t);
    fclose(bf);
    TAP_CHECK(brief && strstr(brief, "baseline: scan 2") && strstr(brief, "first complete scan"),
              "baseline brief says so", "got %s", brief ? brief : "");
    free(brief);
    diff_totals_free(&base.t);
    fx_exec(db, "UPDATE scans SET state='running' WHERE id IN (1, 2)");
    TAP_CHECK(report_diff_pick(db, &a, &b, err, sizeof err) < 0 && strstr(err, "no complete scan"),
              "no complete scan is trouble", "got %s", err);

    /* Populations differ: scan 2 without three domains. */
    fx_exec(db, "UPDATE scans SET state='complete' WHERE id IN (1, 2);"
                "DELETE FROM results WHERE scan_id=2 AND domain IN ('m.example','n.example',"
                "'l.example')");
    struct diff_arg pop = {.a = 1, .b = 2};
    t = fx_render("text", db, render, &pop, NULL);
    bf = open_memstream(&brief, &blen);
    report_diff_brief(bf, &pop.t);
    fclose(bf);
    TAP_CHECK(
        pop.t.common == 12 && pop.t.only_a == 3 && brief &&
            strstr(brief, "populations differ: 12 domains in both compared; 3 only in scan 1"),
        "brief says when populations differ", "got %s", brief ? brief : "");
    free(brief);
    free(t);
    diff_totals_free(&pop.t);

    /* The trend of the same two scans says so, and compares the 12 common domains. */
    t = fx_render("csv", db, render_trend, NULL, "trend_common");
    TAP_CHECK(t && strstr(t, "\r\n1,2026-11-20T00:00:00Z,12,15,") &&
                  strstr(t, "\r\n2,2026-11-21T00:00:00Z,12,12,"),
              "trend_common: both scans on the 12 common domains", "got %s", t ? t : "");
    free(t);
    t = fx_render("text", db, render_trend, NULL, NULL);
    TAP_CHECK(t && strstr(t, "cover different domain lists: 12 domains are in every scan"),
              "trend says the populations differ", "got %s", t ? t : "");
    free(t);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
