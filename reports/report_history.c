/* Survey figures across snapshots: policies removed without publishing `mode: none` first,
 * enforce reached without a prior testing snapshot, domains in testing for months. */
#include "reports/report.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TESTING_LONG_DAYS 183 /* "more than six months" */
#define HISTORY_EXAMPLES 10

/* Every row of the complete scans started up to the reported one (and that one), in
 * domain then time order: one domain's history at a time. */
static const char history_sql[] =
    "SELECT r.domain, s.id, s.started_at, r.status, r.policy_mode FROM results r JOIN scans s "
    "ON s.id = r.scan_id WHERE (s.state = 'complete' OR s.id = ?1) AND (s.started_at < ?2 OR "
    "(s.started_at = ?2 AND s.id <= ?1)) ORDER BY r.domain, s.started_at, s.id";

static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return -1;
    return (int64_t)timegm(&tm);
}

enum {
    H_REMOVED,
    H_REMOVED_NO_NONE,
    H_REMOVED_AFTER_NONE,
    H_REACHED,
    H_NO_TESTING,
    H_AT_FIRST,
    H_TESTING_NOW,
    H_TESTING_LONG,
    H_COUNT
};

struct example {
    int measure;
    char domain[256], when[32];
};

struct history {
    int64_t n[H_COUNT];
    struct example ex[3 * HISTORY_EXAMPLES];
    size_t nex, per[H_COUNT];
};

static void example(struct history *h, int measure, const char *domain, const char *when)
{
    if (h->per[measure] >= HISTORY_EXAMPLES || h->nex >= sizeof h->ex / sizeof h->ex[0])
        return;
    h->per[measure]++;
    struct example *e = &h->ex[h->nex++];
    e->measure = measure;
    snprintf(e->domain, sizeof e->domain, "%s", domain);
    snprintf(e->when, sizeof e->when, "%s", when ? when : "");
}

/* One domain's state while its rows stream. */
struct dom {
    char name[256];
    int64_t appearances, testing_since, last_scan;
    bool prev_mta, seen_testing, enforce_seen, last_testing;
    char prev_mode[16], since_text[32];
};

static bool is_mta(const char *st)
{
    return st && (!strcmp(st, "valid") || !strcmp(st, "invalid"));
}

static bool is_absent(const char *st)
{
    return st && (!strcmp(st, "no_policy") || !strcmp(st, "domain_nxdomain"));
}

static void flush(struct history *h, const struct dom *x, int64_t scan, int64_t now)
{
    if (!x->name[0] || x->last_scan != scan || !x->last_testing)
        return;
    h->n[H_TESTING_NOW]++;
    if (x->testing_since >= 0 && now - x->testing_since > TESTING_LONG_DAYS * 86400LL) {
        h->n[H_TESTING_LONG]++;
        example(h, H_TESTING_LONG, x->name, x->since_text);
    }
}

void report_section_history(struct report_out *o, const struct report_data *d)
{
    struct history h;
    memset(&h, 0, sizeof h);
    int64_t now = parse_time(d->scan.started_at), snapshots = 0;
    bool failed = true;
    sqlite3_stmt *st = NULL;
    if (d->db && d->scan.started_at &&
        sqlite3_prepare_v2(d->db,
                           "SELECT count(*) FROM scans WHERE (state = 'complete' OR id = ?1) AND "
                           "(started_at < ?2 OR (started_at = ?2 AND id <= ?1))",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, d->scan.id);
        sqlite3_bind_text(st, 2, d->scan.started_at, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snapshots = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (snapshots > 1 && sqlite3_prepare_v2(d->db, history_sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, d->scan.id);
        sqlite3_bind_text(st, 2, d->scan.started_at, -1, SQLITE_STATIC);
        struct dom x;
        memset(&x, 0, sizeof x);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *domain = (const char *)sqlite3_column_text(st, 0);
            int64_t scan = sqlite3_column_int64(st, 1);
            const char *when = (const char *)sqlite3_column_text(st, 2);
            const char *status = (const char *)sqlite3_column_text(st, 3);
            const char *mode = (const char *)sqlite3_column_text(st, 4);
            if (!domain)
                continue;
            if (strcmp(domain, x.name)) {
                flush(&h, &x, d->scan.id, now);
                memset(&x, 0, sizeof x);
                snprintf(x.name, sizeof x.name, "%s", domain);
                x.testing_since = -1;
            }
            if (x.prev_mta && is_absent(status)) {
                h.n[H_REMOVED]++;
                if (!strcmp(x.prev_mode, "enforce") || !strcmp(x.prev_mode, "testing")) {
                    h.n[H_REMOVED_NO_NONE]++;
                    example(&h, H_REMOVED_NO_NONE, domain, when);
                } else if (!strcmp(x.prev_mode, "none")) {
                    h.n[H_REMOVED_AFTER_NONE]++;
                }
            }
            bool enforce = mode && !strcmp(mode, "enforce");
            bool testing = mode && !strcmp(mode, "testing");
            if (enforce && !x.enforce_seen) {
                x.enforce_seen = true;
                if (x.appearances == 0) {
                    h.n[H_AT_FIRST]++;
                } else {
                    h.n[H_REACHED]++;
                    if (!x.seen_testing) {
                        h.n[H_NO_TESTING]++;
                        example(&h, H_NO_TESTING, domain, when);
                    }
                }
            }
            if (testing && x.testing_since < 0) {
                x.testing_since = parse_time(when);
                snprintf(x.since_text, sizeof x.since_text, "since %.10s", when ? when : "?");
            } else if (!testing) {
                x.testing_since = -1;
            }
            x.seen_testing |= testing;
            x.last_testing = testing;
            x.prev_mta = is_mta(status);
            snprintf(x.prev_mode, sizeof x.prev_mode, "%s", mode && x.prev_mta ? mode : "");
            x.last_scan = scan;
            x.appearances++;
        }
        flush(&h, &x, d->scan.id, now);
        failed = rc != SQLITE_DONE;
    } else {
        failed = snapshots > 1;
    }
    sqlite3_finalize(st);

    report_out_section(o, "history", "Across snapshots");
    if (failed) {
        report_out_note(o, "Not available: the earlier scans could not be read.");
        return;
    }
    report_out_note(o,
                    "%" PRId64 " snapshots: the complete scans started up to this one. "
                    "Removed: a v=STSv1 record in one snapshot of the domain, none in its next. "
                    "Without mode none first: the last policy seen was enforce or testing, so "
                    "senders keep applying the cached policy until max_age runs out (the "
                    "classic outage). Testing long: in mode testing in every snapshot for more "
                    "than %d days up to this one.",
                    snapshots, TESTING_LONG_DAYS);
    static const struct report_col cols[] = {{"measure", "measure", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"share", "share [95% CI]", REPORT_PCT},
                                             {"of", "of", REPORT_TEXT}};
    const struct {
        const char *name;
        int64_t n, den;
        const char *of;
    } rows[] = {
        {"policy removed", h.n[H_REMOVED], 0, NULL},
        {"removed without mode none first", h.n[H_REMOVED_NO_NONE], h.n[H_REMOVED],
         "policies removed"},
        {"removed after mode none", h.n[H_REMOVED_AFTER_NONE], h.n[H_REMOVED], "policies removed"},
        {"reached enforce after a first snapshot", h.n[H_REACHED], 0, NULL},
        {"enforce without a prior testing snapshot", h.n[H_NO_TESTING], h.n[H_REACHED],
         "reached enforce"},
        {"enforce at the first snapshot (history unknown)", h.n[H_AT_FIRST], 0, NULL},
        {"testing now", h.n[H_TESTING_NOW], 0, NULL},
        {"testing for more than 6 months", h.n[H_TESTING_LONG], h.n[H_TESTING_NOW], "testing now"},
    };
    report_out_table_begin(o, "history", NULL, cols, 4);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct report_cell c[4] = {report_text(rows[i].name), report_int(rows[i].n),
                                   rows[i].of ? report_pct(rows[i].n, rows[i].den) : report_null(),
                                   report_text(rows[i].of)};
        report_out_row(o, c);
    }
    report_out_table_end(o);
    static const struct report_col ecols[] = {{"measure", "measure", REPORT_TEXT},
                                              {"domain", "domain", REPORT_TEXT},
                                              {"when", "when", REPORT_TEXT}};
    static const char *const names[H_COUNT] = {
        [H_REMOVED_NO_NONE] = "removed without mode none first",
        [H_NO_TESTING] = "enforce without a prior testing snapshot",
        [H_TESTING_LONG] = "testing for more than 6 months"};
    report_out_table_begin(o, "history_domains", "Domains (first 10 of each, by name)", ecols, 3);
    for (size_t i = 0; i < h.nex; i++) {
        struct report_cell c[3] = {report_text(names[h.ex[i].measure]), report_text(h.ex[i].domain),
                                   report_text(h.ex[i].when)};
        report_out_row(o, c);
    }
    report_out_table_end(o);
}
