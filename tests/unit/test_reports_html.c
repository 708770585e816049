/* The HTML report in headless Chromium: it renders, charts are present, markup stays text. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tests/unit/tap.h"
#include "tests/unit/test_browser.h"
#include "tests/unit/test_reports_fixture.h"

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

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Common flags: no network of any kind, a throw-away profile, bounded by `timeout`. */
#define CHROMIUM_FLAGS                                                                             \
    "--headless --no-sandbox --disable-gpu --disable-background-networking "                       \
    "--disable-component-update --disable-sync --no-first-run --disable-extensions "               \
    "--disable-dev-shm-usage --user-data-dir=%s"

static void check_page(const char *chromium, const char *html, const char *tag, int min_svgs)
{
    char dir[] = "/tmp/mtasts-reports-chromium-XXXXXX";
    if (!mkdtemp(dir)) {
        TAP_CHECK(0, "temporary profile folder", "mkdtemp failed");
        return;
    }
    char page[256], png[256], dom[256], flags[512], cmd[2048], name[128];
    snprintf(page, sizeof page, "%s/%s.html", dir, tag);
    snprintf(png, sizeof png, "%s/%s.png", dir, tag);
    snprintf(dom, sizeof dom, "%s/%s.dom", dir, tag);
    snprintf(flags, sizeof flags, CHROMIUM_FLAGS, dir);
    FILE *f = fopen(page, "w");
    if (f) {
        fputs(html, f);
        fclose(f);
    }
    snprintf(cmd, sizeof cmd,
             "timeout 90 %s %s --screenshot=%s --window-size=1200,3000 file://%s "
             ">/dev/null 2>&1",
             chromium, flags, png, page);
    int rc = system(cmd);
    struct stat st;
    snprintf(name, sizeof name, "%s: chromium renders a screenshot", tag);
    TAP_CHECK(rc == 0 && stat(png, &st) == 0, name, "rc %d, no %s", rc, png);
    snprintf(name, sizeof name, "%s: the screenshot is a non-trivial PNG", tag);
    char *img = read_file(png);
    bool png_ok =
        img && stat(png, &st) == 0 && st.st_size > 20000 && !memcmp(img, "\x89PNG\r\n\x1a\n", 8);
    TAP_CHECK(png_ok, name, "%lld bytes", (long long)(stat(png, &st) == 0 ? st.st_size : 0));
    free(img);

    snprintf(cmd, sizeof cmd, "timeout 90 %s %s --dump-dom file://%s > %s 2>/dev/null", chromium,
             flags, page, dom);
    rc = system(cmd);
    char *d = read_file(dom);
    snprintf(name, sizeof name, "%s: chromium dumps the DOM", tag);
    TAP_CHECK(rc == 0 && d && strlen(d) > 1000, name, "rc %d", rc);
    snprintf(name, sizeof name, "%s: the DOM holds the inline SVG charts", tag);
    TAP_CHECK(d && count(d, "<svg") >= min_svgs, name, "%d svg elements", d ? count(d, "<svg") : 0);
    snprintf(name, sizeof name, "%s: injected <b>markup</b> is text, not an element", tag);
    TAP_CHECK(!d || (!strstr(d, "<b>markup</b>") && !strstr(d, "<script>alert")), name,
              "markup became an element");
    free(d);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    const char *chromium = find_chromium();
    if (!chromium) {
        TAP_PLAN(1);
        TAP_SKIP("html report in headless chromium",
                 "missing chromium (scripts/install-report-deps.sh installs it)");
        TAP_DONE();
    }
    TAP_PLAN(12);
    const char *path = fx_db_path("html");
    sqlite3 *db = fx_build(path);
    TAP_CHECK(db != NULL, "fixture database builds", "failed");
    if (!db)
        TAP_DONE();
    struct report_data d;
    char err[256];
    if (report_data_load(db, 1, &d, err, sizeof err) == 0) {
        char *html = fx_render("html", db, render_survey, &d, NULL);
        TAP_CHECK(html && strstr(html, "&lt;b&gt;markup&lt;/b&gt;"),
                  "survey html carries the injected value, escaped", "missing");
        /* The markup must show as text: the DOM dump escapes text nodes again. */
        if (html)
            check_page(chromium, html, "survey", 4);
        free(html);
        report_data_free(&d);
    } else {
        TAP_CHECK(0, "fixture scan loads", "%s", err);
    }
    char *trend = fx_render("html", db, render_trend, NULL, NULL);
    if (trend)
        check_page(chromium, trend, "trend", 3);
    free(trend);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
