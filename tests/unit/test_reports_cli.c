/* `mtasts report` and `mtasts diff` as commands: options, exit statuses, output files. */
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanner/commands/commands.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_reports_fixture.h"

#define DB "/tmp/mtasts-reports-cli.db"
#define OUT "/tmp/mtasts-reports-cli.out"

/* Runs a command with stdout and stderr sent to files; returns its exit status. */
static int run(int (*cmd)(int, char **), ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, cmd);
    const char *a;
    while (argc < 31 && (a = va_arg(ap, const char *)) != NULL)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    FILE *o = fopen(OUT ".stdout", "w"), *e = fopen(OUT ".stderr", "w");
    if (saved_out < 0 || saved_err < 0 || !o || !e)
        return -100;
    dup2(fileno(o), 1);
    dup2(fileno(e), 2);
    int rc = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    fclose(o);
    fclose(e);
    return rc;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int main(void)
{
    TAP_PLAN(36);
    sqlite3 *db = fx_build(DB);
    TAP_CHECK(db != NULL, "fixture database builds", "failed");
    if (!db)
        TAP_DONE();
    sqlite3_close(db);

#define CHECK TAP_CHECK

    unlink(OUT);
    int rc = run(cmd_report, "report", "--db", DB, "--format", "json", "-o", OUT, NULL);
    char *s = slurp(OUT);
    CHECK(rc == 0 && s && strstr(s, "\"schema\":\"mtasts-report/1\""),
          "report -o writes the JSON report", "rc %d", rc);
    glob_t g;
    int found = glob(OUT ".tmp*", 0, NULL, &g);
    CHECK(found == GLOB_NOMATCH, "report -o leaves no temporary file", "found %s",
          found == 0 ? g.gl_pathv[0] : "?");
    if (found == 0)
        globfree(&g);
    CHECK(s && strstr(s, "\"id\":2,") && !strstr(s, "\"generated\""),
          "default scan is the latest complete; no timestamp by default", "wrong");
    free(s);

    /* Another run writing the same file (cron overlap) has its own temporary file. */
    mkdir(OUT ".tmp", 0755);
    rc = run(cmd_report, "report", "--db", DB, "--format", "json", "-o", OUT, NULL);
    CHECK(rc == 0 && exists(OUT ".tmp"), "report -o does not use another run's OUT.tmp", "rc %d",
          rc);
    rmdir(OUT ".tmp");

    rc = run(cmd_report, "report", "--db", DB, "--scan", "1", "--timestamp", "-o", OUT, NULL);
    s = slurp(OUT);
    CHECK(rc == 0 && s && strstr(s, "\ngenerated 20"), "--timestamp prints the generation time",
          "rc %d", rc);
    CHECK(s && strstr(s, "scan 1 (complete)"), "--scan 1 reports scan 1", "wrong title");
    free(s);

    rc = run(cmd_report, "report", "--db", DB, "--scan", "3", NULL);
    s = slurp(OUT ".stdout");
    CHECK(rc == 0 && s && strstr(s, "scan 3 (running)") && strstr(s, "0 scanned domains"),
          "a running scan without rows reports zeros", "rc %d", rc);
    free(s);

    static const struct {
        const char *args[8];
        int want;
        const char *message;
    } errors[] = {
        {{"report", "--db", "/tmp/mtasts-no-such.db"}, 1, "/tmp/mtasts-no-such.db"},
        {{"report", "--db", DB, "--format", "xml"}, 2, "unknown --format 'xml'"},
        {{"report", "--db", DB, "--scan", "abc"}, 2, "--scan wants a scan id"},
        {{"report", "--db", DB, "--scan", "99"}, 1, "no scan with id 99"},
        {{"report", "--db", DB, "--section", "nope"}, 2, "no table or section named 'nope'"},
        {{"report", "--db", DB, "--section", "bogus"}, 2, "'bogus' (headline, funnel, modes"},
        {{"report", "--db", DB, "--status", "valid"}, 2, "need --per-domain"},
        {{"report", "--db", DB, "--per-domain", "--sort", "x"}, 2, "unknown --sort 'x'"},
        {{"report", "--db", DB, "--per-domain", "--category", "nope"}, 2, "unknown --category"},
        {{"report", "--db", DB, "--per-domain", "--status", "ok"}, 2, "unknown --status 'ok'"},
        {{"report", "--db", DB, "--top", "0"}, 2, "--top wants"},
        {{"report", "--db", DB, "bogus"}, 2, "unexpected argument 'bogus'"},
        {{"report", "--db", DB, "-o", "/tmp/mtasts-no-such-dir/x"}, 1, "cannot write"},
        {{"diff", "--db", DB, "1"}, 2, "give two scan ids or none"},
        {{"diff", "--db", DB, "1", "77"}, 2, "no scan with id 77"},
        {{"diff", "--db", "/tmp/mtasts-no-such.db"}, 2, "/tmp/mtasts-no-such.db"},
        {{"diff", "--db", DB, "--only", "broke,nope"}, 2, "unknown change kind 'nope'"},
        {{"diff", "--db", DB, "--min-severity", "urgent"}, 2, "--min-severity wants"},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        const char *const *a = errors[i].args;
        int (*cmd)(int, char **) = !strcmp(a[0], "diff") ? cmd_diff : cmd_report;
        rc = run(cmd, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
        char *err = slurp(OUT ".stderr");
        char *out = slurp(OUT ".stdout");
        char name[200] = "";
        for (size_t k = 0; k < 8 && a[k]; k++) {
            if (k == 1 || k == 2) /* --db DB */
                continue;
            strncat(name, a[k], sizeof name - strlen(name) - 40);
            strcat(name, " ");
        }
        snprintf(name + strlen(name), sizeof name - strlen(name), "exits %d and names the problem",
                 errors[i].want);
        CHECK(rc == errors[i].want && err && strstr(err, errors[i].message) && out &&
                  out[0] == '\0',
              name, "rc %d, stderr '%s', stdout %zu bytes", rc, err ? err : "",
              out ? strlen(out) : 0);
        free(err);
        free(out);
    }

    rc = run(cmd_diff, "diff", "--db", DB, "--exit-code", NULL);
    s = slurp(OUT ".stdout");
    CHECK(rc == 1 && s && strstr(s, "scan 1 -> scan 2"),
          "diff --exit-code exits 1 when scans differ (default: last two complete)", "rc %d", rc);
    free(s);
    unlink(OUT);
    rc = run(cmd_diff, "diff", "--db", DB, "--exit-code", "-o", OUT, NULL);
    s = slurp(OUT);
    CHECK(rc == 1 && s && strstr(s, "scan 1 -> scan 2"),
          "diff --exit-code -o FILE exits 1 and still writes FILE when scans differ", "rc %d, %s",
          rc, s ? "written" : "no file");
    free(s);
    rc = run(cmd_diff, "diff", "--db", DB, "2", "2", "--exit-code", "--format", "json", NULL);
    CHECK(rc == 0, "diff --exit-code exits 0 without changes", "rc %d", rc);
    rc = run(cmd_report, "report", "--db", DB, "--per-domain", "--format", "csv", "--status",
             "valid", "--status", "invalid", "--would-fail-delivery", NULL);
    s = slurp(OUT ".stdout");
    CHECK(rc == 0 && s && !strncmp(s, "domain,rank,status,would_fail_delivery,", 39) &&
              strstr(s, "\r\ng.example,") && !strstr(s, "b.example") && !strstr(s, "# "),
          "report --per-domain csv: a plain CSV (header first), repeated --status, "
          "--would-fail-delivery",
          "rc %d, %.200s", rc, s ? s : "");
    free(s);
    rc =
        run(cmd_diff, "diff", "--db", DB, "--brief", "--min-severity", "high", "--exit-code", NULL);
    s = slurp(OUT ".stdout");
    CHECK(rc == 1 && s && strstr(s, "mtasts diff: scan 1") && strstr(s, "  high   broke") &&
              !strstr(s, "medium "),
          "diff --brief --min-severity high --exit-code: the high kinds, exit 1", "rc %d, %s", rc,
          s ? s : "");
    free(s);
    rc = run(cmd_diff, "diff", "--db", DB, "--only", "adopted", "--min-severity", "high",
             "--exit-code", NULL);
    CHECK(rc == 0, "diff --exit-code exits 0 when the filters leave no change", "rc %d", rc);
    {
        /* One complete scan: the baseline, not a change and not trouble. */
        sqlite3 *b = NULL;
        sqlite3_open(DB, &b);
        fx_exec(b, "UPDATE scans SET state = 'interrupted' WHERE id = 1");
        sqlite3_close(b);
        rc = run(cmd_diff, "diff", "--db", DB, "--exit-code", "--brief", NULL);
        s = slurp(OUT ".stdout");
        CHECK(rc == 0 && s && strstr(s, "baseline: scan 2"),
              "diff with one complete scan: baseline, exit 0", "rc %d, %s", rc, s ? s : "");
        free(s);
        sqlite3_open(DB, &b);
        fx_exec(b, "UPDATE scans SET state = 'running' WHERE id = 2");
        sqlite3_close(b);
        rc = run(cmd_diff, "diff", "--db", DB, "--exit-code", NULL);
        s = slurp(OUT ".stderr");
        CHECK(rc == 2 && s && strstr(s, "no complete scan"),
              "diff without a complete scan is trouble: exit 2", "rc %d, %s", rc, s ? s : "");
        free(s);
        sqlite3_open(DB, &b);
        fx_exec(b, "UPDATE scans SET state = 'complete' WHERE id IN (1, 2)");
        sqlite3_close(b);
    }
    rc = run(cmd_report, "report", "trend", "--db", DB, "--format", "md", NULL);
    s = slurp(OUT ".stdout");
    CHECK(rc == 0 && s && strstr(s, "# mtasts trend") && strstr(s, "| 2 | 2026-11-21"),
          "report trend --format md", "rc %d", rc);
    free(s);
    rc = run(cmd_report, "report", "--help", NULL);
    s = slurp(OUT ".stdout");
    CHECK(rc == 0 && s && strstr(s, "usage: mtasts report"), "report --help", "rc %d", rc);
    free(s);

    unlink(DB);
    unlink(OUT);
    unlink(OUT ".stdout");
    unlink(OUT ".stderr");
    TAP_DONE();
}
