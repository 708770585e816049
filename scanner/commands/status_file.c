/* `scan --status-file FILE`: the scan's progress as JSON, rewritten atomically, for
 * dashboards and scripts (as zmap's and zgrab2's status feeds). */
#include "scanner/commands/status_file.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "lib/atomic_file.h"

size_t status_file_format(char *buf, size_t len, const struct progress_view *v, bool final,
                          const char *updated)
{
    char total[32] = "null", pct[32] = "null", eta[32] = "null";
    if (v->total >= 0) {
        snprintf(total, sizeof total, "%lld", v->total);
        if (v->total > 0)
            snprintf(pct, sizeof pct, "%.2f", 100.0 * (double)v->done / (double)v->total);
        if (final)
            snprintf(eta, sizeof eta, "0");
        else if (v->rate > 0 && (long long)v->done <= v->total)
            snprintf(eta, sizeof eta, "%.0f", (double)(v->total - (long long)v->done) / v->rate);
    }
    int n = snprintf(
        buf, len,
        "{\"state\":\"%s\",\"updated\":\"%s\",\"elapsed_s\":%.1f,\"done\":%" PRIu64
        ",\"total\":%s,\"percent\":%s,\"domains_per_s\":%.1f,"
        "\"queries_per_s\":%.1f,\"dns_queries\":%" PRIu64 ",\"dns_retries\":%" PRIu64
        ",\"https_fetches\":%" PRIu64 ",\"in_flight\":{\"dns\":%" PRIu64 ",\"https\":%" PRIu64
        "},\"by_status\":{\"no_policy\":%" PRIu64 ",\"valid\":%" PRIu64 ",\"invalid\":%" PRIu64
        ",\"dns_error\":%" PRIu64 ",\"domain_nxdomain\":%" PRIu64 "},\"eta_s\":%s}\n",
        final ? "finished" : "running", updated, v->elapsed_s, v->done, total, pct,
        isfinite(v->rate) ? v->rate : 0.0, isfinite(v->qps) ? v->qps : 0.0, v->dns_queries,
        v->dns_retries, v->https_fetches, v->dns_inflight, v->https_inflight, v->by_status[0],
        v->by_status[1], v->by_status[2], v->by_status[3], v->by_status[4], eta);
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

int status_file_write(const char *path, const struct progress_view *v, bool final, char *err,
                      size_t errlen)
{
    char updated[32], buf[1024];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(updated, sizeof updated, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t n = status_file_format(buf, sizeof buf, v, final, updated);
    struct atomic_file af;
    if (atomic_file_open(&af, path, err, errlen) < 0)
        return -1;
    fwrite(buf, 1, n, af.f);
    return atomic_file_commit(&af, err, errlen);
}
