/* The per-domain worklist for a security team: severity order by default, several values
 * per filter, --readiness and --would-fail-delivery, the would_fail_delivery column, JSON
 * warnings as an array, fix texts with the real name. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

static int render_worklist(struct report_out *o, sqlite3 *db, void *arg)
{
    char err[256];
    return report_write_worklist(o, db, 1, arg, err, sizeof err);
}

/* The domains of a plain CSV worklist (first field of each record after the header),
 * space-joined. Records may hold quoted newlines (the fixture's hostile detail). */
static void domains_of(const char *csv, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *p = csv ? strchr(csv, '\n') : NULL;
    while (p && p[1]) {
        p++;
        size_t n = strcspn(p, ",\r\n");
        size_t used = strlen(buf);
        if (n > 0)
            snprintf(buf + used, len - used, "%s%.*s", used ? " " : "", (int)n, p);
        bool quoted = false;
        for (; *p && (quoted || *p != '\n'); p++)
            if (*p == '"')
                quoted = !quoted;
        if (!*p)
            break;
    }
}

int main(void)
{
    printf("1..14\n");
    const char *path = fx_db_path("worklist");
    sqlite3 *db = fx_build(path);
    TAP_CHECK(db != NULL, "fixture database builds", "failed");
    if (!db)
        TAP_DONE();
    char gotbuf[1024];
    const char *got = gotbuf;

    struct report_worklist_opts all = {0};
    char *t = fx_render("csv", db, render_worklist, &all, "domains");
    domains_of(t, gotbuf, sizeof gotbuf);
    /* g: would fail delivery; d e f h i j: invalid (by domain); b c: not ready; a x: valid
     * with warnings; n: dns_error; k l m: the rest. */
    TAP_STR_EQ(got,
               "g.example d.example e.example f.example h.example i.example j.example "
               "b.example c.co.uk a.example x.example n.example k.example l.example m.example",
               "default order: would fail delivery, invalid, not ready, warnings, dns_error, rest");
    TAP_CHECK(t && !strncmp(t, "domain,rank,status,would_fail_delivery,category,warnings,", 57),
              "csv header with the would_fail_delivery column", "got %.80s", t ? t : "");
    TAP_CHECK(t && !strstr(t, "<domain>") && strstr(t, "mta-sts.d.example") &&
                  strstr(t, "_mta-sts.n.example"),
              "fix texts name the domain, no <domain> placeholder", "got %s",
              t ? strstr(t, "d.example") : "");
    free(t);

    struct report_worklist_opts two = {.status = "valid,dns_error", .sort = "domain"};
    t = fx_render("csv", db, render_worklist, &two, "domains");
    domains_of(t, gotbuf, sizeof gotbuf);
    TAP_STR_EQ(got, "a.example b.example c.co.uk n.example x.example",
               "--status valid,dns_error keeps both statuses");
    free(t);

    struct report_worklist_opts cats = {.category = "cert_expired,policy_host_no_address"};
    t = fx_render("csv", db, render_worklist, &cats, "domains");
    domains_of(t, gotbuf, sizeof gotbuf);
    TAP_STR_EQ(got, "d.example e.example", "--category with two codes");
    free(t);

    struct report_worklist_opts ready = {.readiness = "ready_to_enforce,enforcing"};
    t = fx_render("csv", db, render_worklist, &ready, "domains");
    domains_of(t, gotbuf, sizeof gotbuf);
    TAP_STR_EQ(got, "a.example x.example", "--readiness ready_to_enforce,enforcing");
    free(t);

    struct report_worklist_opts wfd = {.would_fail = true};
    t = fx_render("csv", db, render_worklist, &wfd, "domains");
    domains_of(t, gotbuf, sizeof gotbuf);
    TAP_STR_EQ(got, "g.example", "--would-fail-delivery keeps g.example only");
    TAP_CHECK(t && strstr(t, "\ng.example,") && strstr(t, ",invalid,1,mx_not_covered,"),
              "the row shows would_fail_delivery 1", "got %s", t ? t : "");
    free(t);

    struct report_worklist_opts js = {.status = "valid", .sort = "domain"};
    t = fx_render("json", db, render_worklist, &js, NULL);
    char jp[128], cmd[1024];
    TAP_CHECK(t && fx_write_tmp(t, "-wl.json", jp, sizeof jp) == 0, "json worklist written", "no");
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json; r=json.load(open(\"%s\")); rows={x[\"domain\"]: x for x "
             "in r[\"tables\"][\"domains\"][\"rows\"]}; "
             "assert rows[\"b.example\"][\"warnings\"]==[\"testing_without_tlsrpt\","
             "\"tlsrpt_missing\"], rows[\"b.example\"]; "
             "assert all(isinstance(x[\"warnings\"], list) for x in rows.values()); "
             "assert rows[\"b.example\"][\"would_fail_delivery\"]==0'",
             jp);
    TAP_CHECK(system(cmd) == 0, "json warnings are arrays of codes", "failed");
    unlink(jp);
    free(t);

    t = fx_render("md", db, render_worklist, &all, NULL);
    TAP_CHECK(t && strstr(t, "He said \"hi\"") && !strstr(t, "&quot;") &&
                  strstr(t, "&lt;script&gt;"),
              "markdown keeps quotes as quotes (no &quot;), markup still escaped", "got %s",
              t ? strstr(t, "He said") : "");
    free(t);

    char err[256];
    struct report_worklist_opts bad1 = {.status = "valid,bogus"};
    TAP_CHECK(report_worklist_check(&bad1, err, sizeof err) < 0 &&
                  strstr(err, "unknown --status 'bogus'"),
              "an unknown value inside a list is refused by name", "got %s", err);
    struct report_worklist_opts bad2 = {.readiness = "ready"};
    TAP_CHECK(report_worklist_check(&bad2, err, sizeof err) < 0 &&
                  strstr(err, "unknown --readiness 'ready'"),
              "an unknown readiness is refused", "got %s", err);
    sqlite3_close(db);
    unlink(path);
    TAP_DONE();
}
