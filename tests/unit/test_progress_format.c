/* Unit tests of the progress line: formatting, unknown totals, truncation, the log thread. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/commands/progress.h"
#include "rules/sts_codes.h"
#include "tests/unit/tap.h"

static void str_eq(const char *got, const char *want, const char *name)
{
    TAP_STR_EQ(got, want, name);
}

static void test_duration(void)
{
    char b[32];
    progress_format_duration(b, sizeof b, 7);
    str_eq(b, "7s", "duration seconds");
    progress_format_duration(b, sizeof b, 245);
    str_eq(b, "4m05s", "duration minutes");
    progress_format_duration(b, sizeof b, 3723);
    str_eq(b, "1h02m03s", "duration hours");
    progress_format_duration(b, sizeof b, 100 * 3600.0);
    str_eq(b, "100h00m00s", "duration long");
    progress_format_duration(b, sizeof b, -1);
    str_eq(b, "?", "negative duration");
    progress_format_duration(b, sizeof b, 0.0 / 0.0);
    str_eq(b, "?", "NaN duration");
}

static struct progress_view sample_view(void)
{
    struct progress_view v = {0};
    v.done = 512340;
    v.total = 1000000;
    v.elapsed_s = 63;
    v.rate = 8123;
    v.dns_inflight = 812;
    v.https_inflight = 40;
    v.by_status[STS_STATUS_VALID] = 1203;
    v.by_status[STS_STATUS_INVALID] = 410;
    v.by_status[STS_STATUS_NO_POLICY] = 498011;
    v.by_status[STS_STATUS_DOMAIN_NXDOMAIN] = 11250;
    v.by_status[STS_STATUS_DNS_ERROR] = 1466;
    v.dns_retries = 3021;
    v.limits = "qps 2000, inflight 5000";
    return v;
}

static void test_format(void)
{
    struct progress_view v = sample_view();
    char b[512];
    progress_format(b, sizeof b, &v);
    str_eq(b,
           "512340/1000000 51.2% 8123/s ETA 1m00s elapsed 1m03s | in flight dns 812 https 40 | "
           "valid 1203 invalid 410 no_policy 498011 domain_nxdomain 11250 dns_error 1466 | dns "
           "retries 3021 | qps 2000, inflight 5000",
           "full status line");

    v.total = -1;
    v.dns_retries = 0;
    v.limits = NULL;
    progress_format(b, sizeof b, &v);
    str_eq(b,
           "512340 done 8123/s elapsed 1m03s | in flight dns 812 https 40 | valid 1203 invalid 410 "
           "no_policy 498011 domain_nxdomain 11250 dns_error 1466",
           "unknown total: no ETA, no percentage");

    v = sample_view();
    v.rate = 0;
    progress_format(b, sizeof b, &v);
    TAP_CHECK(!strstr(b, "ETA"), "no ETA at rate 0", "%s", b);
    v.done = 1000000;
    v.rate = 10;
    progress_format(b, sizeof b, &v);
    TAP_CHECK(strstr(b, "100.0%") && !strstr(b, "ETA"), "no ETA when done", "%s", b);
    v.total = 0;
    v.done = 0;
    progress_format(b, sizeof b, &v);
    TAP_CHECK(strstr(b, "0/0 100.0%"), "empty input is 100%", "%s", b);

    /* truncation: every buffer size keeps a NUL and never overruns */
    v = sample_view();
    char full[512];
    size_t n = progress_format(full, sizeof full, &v);
    bool ok = true;
    for (size_t len = 1; len < n + 4; len++) {
        char *small = malloc(len + 8);
        memset(small, 'Z', len + 8);
        size_t m = progress_format(small, len, &v);
        if (m >= len || small[m] != '\0' || strncmp(small, full, m) != 0 || small[len] != 'Z')
            ok = false;
        free(small);
    }
    TAP_CHECK(ok, "truncated at every buffer size, never overrun", "wrong");
    TAP_CHECK(progress_format(full, 0, &v) == 0, "zero-size buffer", "wrong");
}

static void test_thread_log(void)
{
    struct scan_stats stats;
    memset(&stats, 0, sizeof stats);
    FILE *out = tmpfile();
    struct progress_options o = {
        .mode = PROGRESS_LOG, .out = out, .interval_s = 1, .total = 10, .limits = "qps 5"};
    struct progress *p = progress_start(&o, &stats);
    TAP_CHECK(p != NULL, "progress thread starts", "NULL");
    stats.finished = 4;
    stats.by_status[STS_STATUS_VALID] = 4;
    usleep(1300000);
    progress_set_total(p, 20);
    stats.finished = 20;
    progress_stop(p);
    rewind(out);
    char line[1024];
    int lines = 0;
    bool final_ok = false, stamp_ok = true;
    while (fgets(line, sizeof line, out)) {
        lines++;
        if (strncmp(line, "20", 2) != 0 || !strstr(line, "Z progress: "))
            stamp_ok = false;
        if (strstr(line, "20/20 100.0%") && strstr(line, "| qps 5\n"))
            final_ok = true;
    }
    fclose(out);
    TAP_CHECK(lines == 2, "one periodic line and one final line", "%d lines", lines);
    TAP_CHECK(stamp_ok, "log lines carry a UTC timestamp", "wrong");
    TAP_CHECK(final_ok, "final line shows the new total", "wrong");

    out = tmpfile();
    o.mode = PROGRESS_QUIET;
    o.out = out;
    p = progress_start(&o, &stats);
    progress_stop(p);
    TAP_CHECK(ftell(out) == 0, "quiet prints nothing", "%ld bytes", ftell(out));
    fclose(out);

    out = tmpfile();
    o.mode = PROGRESS_TTY;
    o.out = out;
    p = progress_start(&o, &stats);
    progress_stop(p);
    rewind(out);
    size_t len = fread(line, 1, sizeof line - 1, out);
    line[len] = '\0';
    TAP_CHECK(len > 2 && line[0] == '\r' && line[len - 1] == '\n' && strstr(line, "\033[K"),
              "tty: carriage return, clear to end of line, final newline", "'%s'", line);
    fclose(out);
    progress_stop(NULL);
}

int main(void)
{
    TAP_PLAN(19);
    test_duration();
    test_format();
    test_thread_log();
    TAP_DONE();
}
