/* Survey report over the fixture database: exact figures, every format, escaping, stability. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

#define I64(x) ((long long)(x))
#define CHECK_EQ(got, want, name)                                                                  \
    TAP_CHECK(I64(got) == I64(want), name, "got %lld, want %lld", I64(got), I64(want))
#define CHECK_NEAR(got, want, name)                                                                \
    TAP_CHECK((got) - (want) < 1e-6 && (want) - (got) < 1e-6, name, "got %.6f, want %.6f",         \
              (double)(got), (double)(want))

static int render_survey(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)db;
    o->data = arg;
    report_write_survey(o, arg);
    return 0;
}

static void check_funnel(const struct report_data *d)
{
    const struct report_funnel *f = &d->funnel;
    CHECK_EQ(f->scanned, 15, "funnel scanned = every row");
    CHECK_EQ(f->resolving, 13, "funnel resolving excludes domain_nxdomain and dns_error");
    CHECK_EQ(f->with_mx, 12, "funnel with_mx excludes the null MX and failed lookups");
    CHECK_EQ(f->null_mx, 1, "funnel null_mx");
    CHECK_EQ(f->with_txt, 12, "funnel with_txt counts any _mta-sts TXT record");
    CHECK_EQ(f->valid_txt, 10, "funnel valid_txt: one v=STSv1 record with an id");
    CHECK_EQ(f->policy_fetched, 6, "funnel policy_fetched: HTTP 200 with a body");
    CHECK_EQ(f->policy_valid, 5, "funnel policy_valid from the policy_valid column");
    CHECK_EQ(f->fully_valid, 4, "funnel fully_valid = status valid");
    CHECK_EQ(d->status[STS_STATUS_INVALID], 7, "status invalid");
    CHECK_EQ(d->status[STS_STATUS_NO_POLICY], 2, "status no_policy");
    CHECK_EQ(d->mta_sts, 11, "MTA-STS domains = valid + invalid");
}

static void check_modes_maxage(const struct report_data *d)
{
    CHECK_EQ(d->modes.enforce, 1, "modes enforce among valid");
    CHECK_EQ(d->modes.testing, 2, "modes testing among valid");
    CHECK_EQ(d->modes.none, 1, "modes none among valid");
    const struct report_maxage *m = &d->maxage[REPORT_MAXAGE_ALL];
    CHECK_EQ(m->n, 6, "max_age population: every parsed max_age");
    CHECK_EQ(m->buckets[0], 1, "max_age bucket under 1 day");
    CHECK_EQ(m->buckets[1], 2, "max_age bucket exactly 1 day");
    CHECK_EQ(m->buckets[2], 0, "max_age bucket 1 to 7 days");
    CHECK_EQ(m->buckets[3], 1, "max_age bucket exactly 7 days");
    CHECK_EQ(m->buckets[4], 0, "max_age bucket 7 to 30 days");
    CHECK_EQ(m->buckets[5], 1, "max_age bucket 30 days to the RFC limit");
    CHECK_EQ(m->buckets[6], 1, "max_age bucket over the RFC limit");
    CHECK_EQ(d->maxage_over_limit, 1, "max_age over the RFC limit");
    CHECK_NEAR(m->median, 345600.0, "max_age median interpolates the middle pair");
    CHECK_NEAR(m->q1, 86400.0, "max_age first quartile");
    CHECK_NEAR(m->q3, 23819400.0, "max_age third quartile (type 7)");
    CHECK_EQ(m->ntop, 5, "max_age top lists each distinct value");
    CHECK_EQ(m->top[0].value, 86400, "max_age most common value");
    CHECK_EQ(m->top[0].count, 2, "max_age most common count");
    CHECK_EQ(m->top[1].value, 3600, "max_age top ties ordered by value");
    CHECK_EQ(m->top[4].value, 40000000, "max_age top last value");
    CHECK_EQ(d->maxage[REPORT_MAXAGE_ENFORCE].n, 3, "max_age by mode: enforce");
    CHECK_EQ(d->maxage[REPORT_MAXAGE_TESTING].n, 2, "max_age by mode: testing");
    CHECK_EQ(d->maxage[REPORT_MAXAGE_NONE].n, 1, "max_age by mode: none");
    CHECK_NEAR(d->maxage[REPORT_MAXAGE_ENFORCE].median, 31557600.0, "max_age enforce median");
}

static void check_categories(const struct report_data *d)
{
    CHECK_EQ(d->invalid, 7, "invalid deployments");
    CHECK_EQ(d->category[STS_CAT_POLICY_HOST_NO_ADDRESS], 1, "category no address");
    CHECK_EQ(d->category[STS_CAT_CERT_EXPIRED], 1, "category cert_expired");
    CHECK_EQ(d->category[STS_CAT_TXT_MULTIPLE], 1, "category txt_multiple");
    CHECK_EQ(d->category[STS_CAT_MX_NOT_COVERED], 1, "category mx_not_covered");
    CHECK_EQ(d->category[STS_CAT_POLICY_SYNTAX], 0, "category policy_syntax absent");
    CHECK_EQ(d->category[0], 0, "no unknown category");
    CHECK_EQ(d->rollup_no_address, 1, "rollup missing A/AAAA");
    CHECK_EQ(d->rollup_cert, 3, "rollup certificate = cert_* + tls_handshake_failed");
    CHECK_EQ(d->rollup_expired, 1, "rollup expired");
    CHECK_EQ(d->rollup_name_mismatch, 1, "rollup CN/SAN mismatch");
    CHECK_EQ(d->would_fail, 1, "would fail delivery");
    CHECK_EQ(d->valid_lenient, 4, "valid lenient");
    CHECK_EQ(d->valid_strict, 3, "valid strict");
    CHECK_EQ(d->lenient_only, 1, "valid only under tolerances");
    CHECK_EQ(d->readiness_enforcing, 1, "readiness enforcing");
    CHECK_EQ(d->readiness_ready, 1, "readiness ready to enforce");
    CHECK_EQ(d->readiness_not_ready, 9, "readiness not ready");
}

static void check_warnings_tlsrpt(const struct report_data *d)
{
    CHECK_EQ(d->warning_mta_sts[STS_WARN_TLSRPT_MISSING], 3, "warning tlsrpt_missing");
    CHECK_EQ(d->warning_mta_sts[STS_WARN_LF_LINE_ENDINGS], 1, "warning lf_line_endings");
    CHECK_EQ(d->warning_mta_sts[STS_WARN_MAX_AGE_SHORT], 1, "warning max_age_short");
    CHECK_EQ(d->warning_mta_sts[STS_WARN_MX_PATTERN_UNUSED], 1, "warning mx_pattern_unused");
    CHECK_EQ(d->warning[STS_WARN_POLICY_WITHOUT_TXT], 1, "warning policy_without_txt (all)");
    CHECK_EQ(d->warning_mta_sts[STS_WARN_POLICY_WITHOUT_TXT], 0,
             "policy_without_txt is not an MTA-STS domain");
    CHECK_EQ(d->warning_unknown, 0, "no unknown warning codes");
    CHECK_EQ(d->expiring_14, 1, "certificates expiring within 14 days");
    CHECK_EQ(d->expiring_30, 2, "certificates expiring within 30 days");
    TAP_CHECK(d->nexpiring == 2 && !strcmp(d->expiring[0].domain, "a.example") &&
                  !strcmp(d->expiring[1].domain, "b.example"),
              "expiring list by date: a.example then b.example", "n=%zu", d->nexpiring);
    CHECK_EQ(d->tlsrpt_valid, 4, "TLS-RPT valid among all");
    CHECK_EQ(d->tlsrpt_invalid, 1, "TLS-RPT invalid among all");
    CHECK_EQ(d->tlsrpt_none, 10, "TLS-RPT none among all");
    CHECK_EQ(d->tlsrpt_valid_mta_sts, 3, "TLS-RPT valid among MTA-STS");
    CHECK_EQ(d->rua_domains_mailto, 4, "rua domains with mailto");
    CHECK_EQ(d->rua_domains_https, 1, "rua domains with https");
    CHECK_EQ(d->rua_uris_mailto, 5, "rua mailto URIs");
}

static const struct report_group *find_group(const struct report_groups *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->items[i].name, name))
            return &g->items[i];
    return NULL;
}

static void check_ranks_groups(const struct report_data *d)
{
    TAP_CHECK(d->has_ranks, "ranks detected", "has_ranks false");
    CHECK_EQ(d->ranked, 6, "ranked rows");
    CHECK_EQ(d->rank[0].funnel.scanned, 3, "top 1k scanned");
    CHECK_EQ(d->rank[0].mta_sts, 2, "top 1k MTA-STS");
    CHECK_EQ(d->rank[0].modes.enforce, 1, "top 1k enforce");
    CHECK_EQ(d->rank[1].funnel.scanned, 4, "top 10k scanned (cumulative)");
    CHECK_EQ(d->rank[1].modes.none, 1, "top 10k none");
    CHECK_EQ(d->rank[2].mta_sts, 4, "top 100k MTA-STS");
    CHECK_EQ(d->rank[3].funnel.scanned, 6, "top 1M scanned");
    const struct report_group *g = find_group(&d->providers, "google.com");
    TAP_CHECK(g && g->domains == 3 && g->mta_sts == 2 && g->valid == 2 && g->enforce == 1 &&
                  g->testing == 1,
              "provider google.com: three domains, one per domain despite two MX",
              "got %lld domains", g ? I64(g->domains) : -1LL);
    TAP_CHECK(d->providers.n > 2 && !strcmp(d->providers.items[0].name, "(self-hosted)") &&
                  !strcmp(d->providers.items[1].name, "google.com"),
              "providers sorted by domains", "first %s",
              d->providers.n ? d->providers.items[0].name : "-");
    TAP_CHECK(find_group(&d->providers, "provider.co.uk") != NULL,
              "provider under a multi-label suffix keeps three labels", "missing");
    g = find_group(&d->policy_hosts, "mtasts-provider.net");
    TAP_CHECK(g && g->domains == 2 && g->invalid == 2, "policy hosts grouped by CNAME target",
              "got %lld", g ? I64(g->domains) : -1LL);
    g = find_group(&d->providers, "(self-hosted)");
    TAP_CHECK(g && g->domains == 8 && g->valid == 1 && g->invalid == 7,
              "MX hosts under the domain's own name group as (self-hosted)", "got %lld",
              g ? I64(g->domains) : -1LL);
    TAP_CHECK(find_group(&d->providers, "d.example") == NULL,
              "a self-hosted MX is not a provider of its own", "found d.example");
    g = find_group(&d->policy_hosts, "(self-hosted: no CNAME)");
    TAP_CHECK(g && g->domains == 8, "policy hosts without CNAME", "got %lld",
              g ? I64(g->domains) : -1LL);
}

static int run_cmd(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

static void check_formats(sqlite3 *db, struct report_data *d)
{
    static const char *const formats[] = {"text", "md", "csv", "json", "html"};
    for (size_t i = 0; i < 5; i++) {
        char *a = fx_render(formats[i], db, render_survey, d, NULL);
        char *b = fx_render(formats[i], db, render_survey, d, NULL);
        char name[96];
        snprintf(name, sizeof name, "%s renders", formats[i]);
        TAP_CHECK(a && strlen(a) > 500, name, "output %zu bytes", a ? strlen(a) : 0);
        snprintf(name, sizeof name, "%s is byte-identical when rendered twice", formats[i]);
        TAP_CHECK(a && b && !strcmp(a, b), name, "outputs differ");
        snprintf(name, sizeof name, "%s never shows the raw <script> of a remote value",
                 formats[i]);
        bool raw = a && strstr(a, "<script>") != NULL;
        /* text and csv are not markup; the others must escape it. */
        bool markup = !strcmp(formats[i], "md") || !strcmp(formats[i], "html");
        TAP_CHECK(!markup || !raw, name, "found raw markup");
        if (!strcmp(formats[i], "md"))
            TAP_CHECK(a && !strstr(a, "https://evil") && !strstr(a, "](https"),
                      "md: a remote URL is not autolinked", "found 'https://evil'");
        free(a);
        free(b);
    }
}

static void check_json(sqlite3 *db, struct report_data *d)
{
    char *j = fx_render("json", db, render_survey, d, NULL);
    char path[128];
    TAP_CHECK(j && fx_write_tmp(j, ".json", path, sizeof path) == 0, "json written", "no");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 -m json.tool %s > /dev/null", path);
    TAP_CHECK(run_cmd(cmd) == 0, "json parses with python3 -m json.tool", "invalid JSON");
    TAP_CHECK(j && strstr(j, "\"funnel\":{\"scanned\":15,\"resolving\":13,\"with_mx\":12,"
                             "\"null_mx\":1,\"with_txt\":12,\"valid_txt\":10,"
                             "\"policy_fetched\":6,\"policy_valid\":5,\"fully_valid\":4}"),
              "json funnel keys and values", "funnel object differs");
    TAP_CHECK(j && strstr(j, "\"modes\":{\"enforce\":1,\"testing\":2,\"none\":1}"), "json modes",
              "modes differ");
    TAP_CHECK(j && strstr(j, "\"median\":345600.0000"), "json max_age median", "differs");
    TAP_CHECK(j && strstr(j, "\"cert_expired\":1,"), "json categories by code", "differs");
    TAP_CHECK(j && strstr(j, "\"tlsrpt_missing\":3"), "json warnings by code", "differs");
    /* A structural check of the schema through python, not substrings. */
    snprintf(
        cmd, sizeof cmd,
        "python3 -c 'import json,sys; r=json.load(open(\"%s\"));"
        "assert r[\"schema\"]==\"mtasts-report/1\";"
        "assert set(r[\"funnel\"])>={\"scanned\",\"resolving\",\"with_mx\",\"with_txt\","
        "\"valid_txt\",\"policy_fetched\",\"policy_valid\",\"fully_valid\"};"
        "assert r[\"max_age\"][\"buckets\"][\"1d\"]==2;"
        "assert r[\"max_age\"][\"top\"][0]=={\"value\":86400,\"count\":2};"
        "assert r[\"rollups\"][\"https_certificate\"][\"count\"]==3;"
        "assert r[\"rollups\"][\"https_certificate\"][\"of\"]==7;"
        "assert r[\"would_fail_delivery\"][\"of\"]==11;"
        "t=r[\"tables\"][\"scan\"][\"rows\"];"
        "assert {\"field\":\"option resolver\",\"value\":\"<b>markup</b>\"} in t;"
        "assert {\"field\":\"input 1\",\"value\":\"list.txt\"} in t;"
        "d=[x for x in r[\"tables\"][\"policy_hosts\"][\"rows\"] if \"markup\" in x[\"group\"]];"
        "assert d[0][\"group\"]==\"mta-sts.<b>markup</b>\"'",
        path);
    TAP_CHECK(run_cmd(cmd) == 0, "json schema keys, values and remote strings round-trip",
              "python assertion failed");
    unlink(path);
    free(j);
}

static void check_csv(sqlite3 *db, struct report_data *d)
{
    char *c = fx_render("csv", db, render_survey, d, NULL);
    char path[128];
    TAP_CHECK(c && fx_write_tmp(c, ".csv", path, sizeof path) == 0, "csv written", "no");
    char cmd[2048];
    /* Every block: a "# id" line, a header, rows with the header's column count. */
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import csv,io,sys\n"
             "blocks=open(\"%s\",newline=\"\").read().split(\"\\r\\n\\n\")\n"
             "n=0\n"
             "for b in blocks:\n"
             "  b=b.strip(\"\\n\")\n"
             "  if not b: continue\n"
             "  head,_,body=b.partition(\"\\n\")\n"
             "  assert head.startswith(\"# \"), head\n"
             "  rows=list(csv.reader(io.StringIO(body)))\n"
             "  assert all(len(r)==len(rows[0]) for r in rows), head\n"
             "  n+=1\n"
             "assert n>=15, n'",
             path);
    TAP_CHECK(run_cmd(cmd) == 0, "csv: every table parses with a constant column count",
              "python check failed");
    unlink(path);
    free(c);

    c = fx_render("csv", db, render_survey, d, "funnel");
    const char *want = "stage,meaning,count,share_count,share_of,share_pct,share_ci95_low,"
                       "share_ci95_high\r\n";
    TAP_CHECK(c && !strncmp(c, want, strlen(want)),
              "csv --section funnel is one plain table with expanded percentage columns",
              "got %.90s", c ? c : "(null)");
    TAP_CHECK(c && strstr(c, "\r\nfully_valid,"), "csv funnel has the fully_valid row", "no");
    TAP_CHECK(c && !strstr(c, "# "), "csv --section has no block marker", "found one");
    free(c);
    c = fx_render("csv", db, render_survey, d, "categories");
    TAP_CHECK(c &&
                  strstr(c, "\r\ncert_expired,sts-webpki-invalid,1,1,7,14.2857,2.5680,51.3128\r\n"),
              "csv categories row with count, denominator, percentage and interval", "got %s",
              c ? c : "(null)");
    free(c);
    /* txt_at_apex is raised on domains without a _mta-sts record (the record sits at the
     * apex instead): like policy_without_txt it counts over every scanned domain. */
    c = fx_render("csv", db, render_survey, d, "warnings");
    TAP_CHECK(c && strstr(c, "\r\ntxt_at_apex,1,1,15,") &&
                  strstr(c, "\r\npolicy_without_txt,1,1,15,"),
              "csv warnings: txt_at_apex and policy_without_txt count no-record domains, of "
              "scanned",
              "got %s", c ? c : "(null)");
    free(c);
}

static void check_html(sqlite3 *db, struct report_data *d)
{
    char *h = fx_render("html", db, render_survey, d, NULL);
    TAP_CHECK(h && strstr(h, "&lt;b&gt;markup&lt;/b&gt;") && !strstr(h, "<b>markup</b>"),
              "html escapes remote markup", "raw markup found");
    int svgs = 0;
    for (const char *p = h; p && (p = strstr(p, "<svg")); p++)
        svgs++;
    TAP_CHECK(svgs >= 4, "html has the funnel, mode, max_age and category charts", "%d svgs", svgs);
    TAP_CHECK(h && !strstr(h, "http://") == !strstr(h, "xmlns=\"http://www.w3.org/2000/svg\""),
              "html has no external resource (only the SVG namespace URI)", "found http://");
    int hrefs = 0, anchors = 0;
    for (const char *p = h; p && (p = strstr(p, "href=\"")); p++) {
        hrefs++;
        anchors += p[6] == '#';
    }
    TAP_CHECK(h && !strstr(h, "src=") && hrefs == anchors && anchors >= 10,
              "html loads nothing; its only links are the in-page contents", "%d links, %d anchors",
              hrefs, anchors);
    free(h);
}

static void check_text(sqlite3 *db, struct report_data *d)
{
    char *t = fx_render("text", db, render_survey, d, NULL);
    TAP_CHECK(t && strstr(t, "Adoption funnel\n---------------\n"), "text has section headings",
              "missing");
    const char *l3 = t ? strstr(t, "label starts with a hyphen") : NULL;
    const char *l7 = t ? strstr(t, "not a domain name") : NULL;
    TAP_CHECK(l3 && l7 && l3 < l7 && strstr(t, "2 input lines were not domains"),
              "text lists invalid input lines by file and line", "missing or unordered");
    TAP_CHECK(t && strstr(t, "Denominator: 7 invalid deployments"),
              "text prints the denominator of the categories", "missing");
    TAP_CHECK(t && strstr(t, "26.67% [10.90, 51.95]"),
              "text prints fully valid 4/15 with its Wilson interval", "missing");
    TAP_CHECK(t && strstr(t, "42.86% [15.82, 74.95]"),
              "text prints certificate problems 3/7 with its interval", "missing");
    TAP_CHECK(t && strstr(t, "34%") && strstr(t, "3.2% (IMC 2025"),
              "text prints the published comparison figures", "missing");
    free(t);
    t = fx_render("text", db, render_survey, d, "rollups");
    TAP_CHECK(t && !strstr(t, "Adoption funnel") && strstr(t, "CN/SAN mismatch"),
              "--section keeps only the named table", "got %s", t ? t : "(null)");
    free(t);
}

int main(void)
{
    TAP_PLAN(137);
    const char *path = fx_db_path("survey");
    sqlite3 *db = fx_build(path);
    TAP_CHECK(db != NULL, "fixture database builds from store/schema.sql", "failed");
    if (!db)
        TAP_DONE();
    char err[256] = "";
    int64_t scan = report_pick_scan(db, 0, err, sizeof err);
    CHECK_EQ(scan, 2, "default scan: the latest complete, not the running one");
    CHECK_EQ(report_pick_scan(db, 9, err, sizeof err), -1, "unknown scan id is an error");
    TAP_CHECK(strstr(err, "no scan with id 9") != NULL, "unknown scan message names the id",
              "got %s", err);
    struct report_data d;
    int rc = report_data_load(db, 1, &d, err, sizeof err);
    TAP_CHECK(rc == 0, "scan 1 loads", "%s", err);
    if (rc == 0) {
        check_funnel(&d);
        check_modes_maxage(&d);
        check_categories(&d);
        check_warnings_tlsrpt(&d);
        check_ranks_groups(&d);
        check_formats(db, &d);
        check_json(db, &d);
        check_csv(db, &d);
        check_html(db, &d);
        check_text(db, &d);
        report_data_free(&d);
    }
    struct report_data empty;
    rc = report_data_load(db, 3, &empty, err, sizeof err);
    TAP_CHECK(rc == 0 && empty.funnel.scanned == 0, "a scan without rows loads", "%s", err);
    if (rc == 0) {
        char *j = fx_render("json", db, render_survey, &empty, NULL);
        char p[128];
        char cmd[256];
        TAP_CHECK(j && fx_write_tmp(j, "-empty.json", p, sizeof p) == 0, "empty json", "no");
        snprintf(cmd, sizeof cmd, "python3 -m json.tool %s > /dev/null", p);
        TAP_CHECK(run_cmd(cmd) == 0, "an empty scan gives valid JSON (null percentages)",
                  "invalid");
        unlink(p);
        free(j);
        report_data_free(&empty);
    }
    sqlite3_close(db);
    if (!getenv("MTASTS_KEEP_FIXTURE")) /* keep it to look at: mtasts report --db PATH */
        unlink(path);
    TAP_DONE();
}
