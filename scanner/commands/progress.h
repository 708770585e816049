/* The scan's progress display: a status line rewritten on a terminal, or periodic log lines. */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanner/engine/scan_state.h"

enum progress_mode {
    PROGRESS_AUTO = 0, /* PROGRESS_TTY when `out` is a terminal, else PROGRESS_LOG */
    PROGRESS_TTY,      /* one line rewritten in place every second (`--progress`) */
    PROGRESS_LOG,      /* one plain line every interval_s seconds */
    PROGRESS_QUIET     /* nothing (`--quiet`) */
};

struct progress_options {
    enum progress_mode mode;
    FILE *out;               /* NULL: stderr */
    unsigned interval_s;     /* PROGRESS_LOG period; 0: 10 seconds */
    long long total;         /* domains expected, -1 when unknown (stdin): no ETA then */
    const char *limits;      /* rate limits in effect, shown as is, e.g. "qps 2000, inflight
                                5000, https 500, per-ip 4"; NULL: none shown */
    const char *status_file; /* JSON status rewritten atomically (status_file.c), or NULL;
                                written even with PROGRESS_QUIET */
    bool smtp;               /* the SMTP stage runs: its figures are shown */
};

/* What one status line shows; filled from struct scan_stats by the progress thread, or
 * by hand in tests. */
struct progress_view {
    uint64_t done;         /* finished domains */
    long long total;       /* -1: unknown */
    double elapsed_s;      /* since the start */
    double rate;           /* domains per second, recent (a sliding window) */
    uint64_t dns_inflight; /* DNS queries outstanding */
    uint64_t dns_window;   /* the adaptive DNS window (all workers); 0: not shown */
    uint64_t https_inflight;
    uint64_t by_status[5]; /* enum sts_status order: no_policy valid invalid dns_error nxdomain */
    uint64_t dns_retries;
    const char *limits; /* may be NULL */
    uint64_t dns_queries, https_fetches;
    double qps; /* DNS queries per second achieved, recent (the same window as rate) */
    /* The SMTP stage (shown when smtp_on): probes in flight, MX hosts probed, probes saved
     * by sharing, port 25 (enum scan_port25). */
    bool smtp_on;
    uint64_t smtp_inflight, mx_probes, mx_shared;
    int port25;
};

/* Formats one status line (no newline) into buf, always NUL-terminated, truncated to
 * buflen - 1. Example:
 *   "512340/1000000 51.2% 8123/s ETA 1m00s | dns 812 https 40 | valid 1203 invalid 410
 *    no_policy 498011 nxdomain 11250 dns_error 1466 | retries 3021 | qps 2000, ..."
 * Pure; returns the length written. */
size_t progress_format(char *buf, size_t buflen, const struct progress_view *v);

/* Formats a duration as "1h02m03s", "4m05s" or "7s" (negative or NaN: "?"). Pure. */
size_t progress_format_duration(char *buf, size_t buflen, double seconds);

struct progress;

/* Starts the progress thread, reading `stats` once a second (relaxed reads). PROGRESS_QUIET
 * starts no thread but still returns an object. NULL on error (thread creation). `stats`
 * and the options' strings must outlive progress_stop(). */
struct progress *progress_start(const struct progress_options *opt, const struct scan_stats *stats);

/* Sets the total once it becomes known (or changes); thread-safe. */
void progress_set_total(struct progress *p, long long total);

/* Stops the thread, prints a final line (TTY: the last status then a newline; LOG: one last
 * line), and frees p. NULL is ignored. */
void progress_stop(struct progress *p);

#endif
