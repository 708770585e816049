/* What a reader sees first, measured in headless Chromium at 1280x900: the survey's summary
 * (adoption with its interval, valid share, modes, would-fail, rollups beside the published
 * figures) above the fold and the scan options below it; no word broken across lines in any
 * table; the trend's dates on one line and distinct x labels for scans on one day and
 * months apart. A probe script, added to a copy of the page, writes the layout into the DOM
 * that --dump-dom prints. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tests/unit/tap.h"
#include "tests/unit/test_browser.h"
#include "tests/unit/test_reports_fixture.h"

#define NCASES 15

static int render_survey(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)db;
    o->data = arg;
    report_write_survey(o, arg);
    return 0;
}

static int render_trend(struct report_out *o, sqlite3 *db, void *arg)
{
    (void)arg;
    char err[256];
    return report_write_trend(o, db, err, sizeof err);
}

/* The layout probe: one "key value" line per fact, in <pre id="probe">. */
static const char probe_js[] =
    "<script>(function(){var L=[];function put(k,v){L.push(k+' '+v);}"
    "put('viewport',innerWidth+'x'+innerHeight);"
    "function bottom(el){return el?Math.round(el.getBoundingClientRect().bottom):-1;}"
    "function top(el){return el?Math.round(el.getBoundingClientRect().top):-1;}"
    "var h=document.getElementById('t-headline');put('headline_bottom',bottom(h));"
    "if(h){h.querySelectorAll('tr').forEach(function(tr){var c=tr.cells[0];"
    "if(c&&c.tagName=='TD')put('row_bottom:'+c.textContent,bottom(tr));});}"
    "put('scan_top',top(document.getElementById('scan')));"
    /* words split across lines in any table cell */
    "var split=0,ex='';document.querySelectorAll('th,td').forEach(function(cell){"
    "var w=document.createTreeWalker(cell,NodeFilter.SHOW_TEXT);var n;while((n=w.nextNode())){"
    "var re=/\\S+/g,m;while((m=re.exec(n.data))){var r=document.createRange();"
    "r.setStart(n,m.index);r.setEnd(n,m.index+m[0].length);"
    "var tops={};Array.prototype.forEach.call(r.getClientRects(),function(q){"
    "if(q.width>0)tops[Math.round(q.top)]=1;});"
    "if(Object.keys(tops).length>1){split++;if(ex.length<200)ex+=m[0]+' ';}}}});"
    "put('split_words',split);put('split_examples',ex);"
    /* trend: started cells on one line, x labels */
    "var multi=0;document.querySelectorAll('#t-trend tr,#t-trend_common tr').forEach("
    "function(tr){var c=tr.cells[1];if(c&&c.tagName=='TD'){var r=document.createRange();"
    "r.selectNodeContents(c);var tops={};Array.prototype.forEach.call(r.getClientRects(),"
    "function(q){if(q.width>0)tops[Math.round(q.top)]=1;});"
    "if(Object.keys(tops).length>1)multi++;}});put('started_multiline',multi);"
    "var f=document.querySelector('svg[aria-label^=\"Adoption\"]');var xs=[];"
    "if(f)f.querySelectorAll('text[transform]').forEach(function(t){xs.push(t.textContent);});"
    "put('xlabels',xs.join('|'));"
    "var p=document.createElement('pre');p.id='probe';p.textContent='\\n'+L.join('\\n')+'\\n';"
    "document.body.appendChild(p);})();</script>";

#define CHROMIUM_FLAGS                                                                             \
    "--headless --no-sandbox --disable-gpu --disable-background-networking "                       \
    "--disable-component-update --disable-sync --no-first-run --disable-extensions "               \
    "--disable-dev-shm-usage --hide-scrollbars --user-data-dir=%s"

/* Renders html at 1280x900: a screenshot (kept at keep_png when set) and the probe's lines
 * (malloc'ed) from a copy of the page without its CSP and with the probe appended. */
static char *probe(const char *chromium, const char *html, const char *keep_png)
{
    char dir[] = "/tmp/mtasts-reports-screen-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char page[256], probed[256], dom[256], flags[512], cmd[2048];
    snprintf(page, sizeof page, "%s/page.html", dir);
    snprintf(probed, sizeof probed, "%s/probed.html", dir);
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(flags, sizeof flags, CHROMIUM_FLAGS, dir);
    FILE *f = fopen(page, "w");
    if (f) {
        fputs(html, f);
        fclose(f);
    }
    /* The copy: the page's CSP removed (it forbids the probe, rightly), the probe last. */
    f = fopen(probed, "w");
    if (f) {
        const char *csp = strstr(html, "<meta http-equiv=\"Content-Security-Policy\"");
        const char *csp_end = csp ? strchr(csp, '>') : NULL;
        const char *body_end = strstr(html, "</body>");
        if (csp && csp_end && body_end) {
            fwrite(html, 1, (size_t)(csp - html), f);
            fwrite(csp_end + 1, 1, (size_t)(body_end - csp_end - 1), f);
            fputs(probe_js, f);
            fputs(body_end, f);
        }
        fclose(f);
    }
    if (keep_png) {
        snprintf(cmd, sizeof cmd,
                 "timeout 90 %s %s --screenshot=%s --window-size=1280,900 file://%s "
                 ">/dev/null 2>&1",
                 chromium, flags, keep_png, page);
        if (system(cmd) != 0)
            fprintf(stderr, "# screenshot failed\n");
    }
    snprintf(cmd, sizeof cmd,
             "timeout 90 %s %s --window-size=1280,900 --dump-dom file://%s > %s 2>/dev/null",
             chromium, flags, probed, dom);
    int rc = system(cmd);
    char *d = rc == 0 ? read_file(dom) : NULL;
    char *out = NULL;
    const char *p = d ? strstr(d, "<pre id=\"probe\">") : NULL;
    if (p) {
        const char *e = strstr(p, "</pre>");
        out = strndup(p, e ? (size_t)(e - p) : strlen(p));
    }
    free(d);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", dir);
    return out;
}

/* The integer after "\nKEY " in the probe output, or -99999. */
static long fact(const char *probe_out, const char *key)
{
    char k[256];
    snprintf(k, sizeof k, "\n%s ", key);
    const char *p = probe_out ? strstr(probe_out, k) : NULL;
    return p ? strtol(p + strlen(k), NULL, 10) : -99999;
}

static const char *fact_str(const char *probe_out, const char *key, char *buf, size_t len)
{
    char k[256];
    snprintf(k, sizeof k, "\n%s ", key);
    const char *p = probe_out ? strstr(probe_out, k) : NULL;
    buf[0] = '\0';
    if (p) {
        p += strlen(k);
        size_t n = strcspn(p, "\n");
        snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
    }
    return buf;
}

int main(void)
{
    const char *chromium = find_chromium();
    if (!chromium) {
        TAP_PLAN(1);
        TAP_SKIP("first screen in headless chromium",
                 "missing chromium (scripts/install-report-deps.sh installs it)");
        TAP_DONE();
    }
    printf("1..%d\n", NCASES);
    const char *keep = getenv("MTASTS_SCREENSHOT_DIR"); /* to look at the PNGs */
    char png[512];
    const char *path = fx_db_path("screen");
    sqlite3 *db = fx_build(path);
    TAP_CHECK(db != NULL, "fixture database builds", "failed");
    if (!db)
        TAP_DONE();
    struct report_data d;
    char err[256], buf[512];
    char *out = NULL;
    if (report_data_load(db, 1, &d, err, sizeof err) == 0) {
        char *html = fx_render("html", db, render_survey, &d, NULL);
        snprintf(png, sizeof png, "%s/survey-first-screen.png", keep ? keep : "");
        out = html ? probe(chromium, html, keep ? png : NULL) : NULL;
        free(html);
        report_data_free(&d);
    }
    /* --dump-dom's viewport is the window less its frame (1280x757 for a 1280x900 window with
     * Chromium 156): the fold is that height, stricter than the 900 of the screenshot. */
    fact_str(out, "viewport", buf, sizeof buf);
    long fold = strchr(buf, 'x') ? strtol(strchr(buf, 'x') + 1, NULL, 10) : 0;
    TAP_CHECK(out && !strncmp(buf, "1280x", 5) && fold >= 700 && fold <= 900,
              "survey: the probe ran 1280 wide, at most 900 high", "got '%s' (%s)", buf,
              out ? "" : "no probe");
    long hb = fact(out, "headline_bottom");
    TAP_CHECK(hb > 0 && hb <= fold, "survey: the summary table ends above the fold", "bottom %ld",
              hb);
    static const char *const rows[] = {"domains scanned",
                                       "publish MTA-STS (a v=STSv1 record)",
                                       "valid",
                                       "mode enforce",
                                       "would fail delivery",
                                       "failure: no A/AAAA on the policy host",
                                       "failure: HTTPS certificate problems"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char key[128], name[200];
        snprintf(key, sizeof key, "row_bottom:%s", rows[i]);
        long b = fact(out, key);
        snprintf(name, sizeof name, "survey: '%s' is on the first screen", rows[i]);
        TAP_CHECK(b > 0 && b <= fold, name, "bottom %ld", b);
    }
    long st = fact(out, "scan_top");
    TAP_CHECK(st > fold, "survey: the scan options (appendix) are below the first screen",
              "top %ld", st);
    long sw = fact(out, "split_words");
    TAP_CHECK(sw == 0, "survey: no word broken across lines in any table", "%ld split: %s", sw,
              fact_str(out, "split_examples", buf, sizeof buf));
    free(out);

    /* Trend: two scans of the fixture a day apart, two more months later on one day. */
    fx_exec(db, "INSERT INTO scans (id, started_at, finished_at, state, tool_version, inputs, "
                "options) VALUES (4, '2027-03-01T08:00:00Z', '2027-03-01T08:01:00Z', "
                "'complete', 'test', '[]', '{}'), (5, '2027-03-01T20:00:00Z', "
                "'2027-03-01T20:01:00Z', 'complete', 'test', '[]', '{}');"
                "CREATE TEMP TABLE c AS SELECT * FROM results WHERE scan_id = 2;"
                "UPDATE c SET scan_id = 4; INSERT INTO results SELECT * FROM c;"
                "UPDATE c SET scan_id = 5; INSERT INTO results SELECT * FROM c; DROP TABLE c;");
    char *trend = fx_render("html", db, render_trend, NULL, NULL);
    snprintf(png, sizeof png, "%s/trend-first-screen.png", keep ? keep : "");
    out = trend ? probe(chromium, trend, keep ? png : NULL) : NULL;
    free(trend);
    TAP_CHECK(out && fact(out, "started_multiline") == 0,
              "trend: every started date stays on one line", "%ld cells wrap",
              fact(out, "started_multiline"));
    sw = fact(out, "split_words");
    TAP_CHECK(sw == 0, "trend: no header or cell broken inside a word", "%ld split: %s", sw,
              fact_str(out, "split_examples", buf, sizeof buf));
    fact_str(out, "xlabels", buf, sizeof buf);
    TAP_CHECK(!strcmp(buf, "2026-11-20 00:00|2026-11-21 00:00|2027-03-01 08:00|2027-03-01 20:00"),
              "trend: four distinct x labels (same day: date and time)", "got '%s'", buf);
    free(out);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
