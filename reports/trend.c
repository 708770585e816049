/* `report trend`: one row per completed scan in time order, with line charts in HTML. */
#include "reports/report.h"
#include "reports/tlsrpt.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"

/* What the trend keeps of each scan's figures. */
struct trend_point {
    int64_t id;
    char started[32];
    char label[40]; /* chart label: distinct per scan (see trend_labels) */
    struct report_funnel funnel;
    struct report_modes modes;
    int64_t mta_sts, invalid, no_address, cert, expired, mismatch, would_fail;
    /* The same figures over the domains present in every scan of the trend. */
    struct {
        int64_t scanned, mta_sts, valid, enforce, testing, none, invalid, would_fail;
    } common;
    struct report_delivery delivery;
};

/* Chart labels that tell scans apart: the date when every scan has its own day, else the
 * date and time (several scans a day), and the scan id when even that repeats. */
static void trend_labels(struct trend_point *p, size_t n)
{
    bool same_day = false, same_minute = false;
    for (size_t i = 1; i < n; i++) {
        same_day |= !strncmp(p[i].started, p[i - 1].started, 10);
        same_minute |= !strncmp(p[i].started, p[i - 1].started, 16);
    }
    for (size_t i = 0; i < n; i++) {
        if (!same_day)
            snprintf(p[i].label, sizeof p[i].label, "%.10s", p[i].started);
        else if (!same_minute)
            snprintf(p[i].label, sizeof p[i].label, "%.10s %.5s", p[i].started,
                     strlen(p[i].started) > 11 ? p[i].started + 11 : "");
        else
            snprintf(p[i].label, sizeof p[i].label, "%.10s %.5s #%" PRId64, p[i].started,
                     strlen(p[i].started) > 11 ? p[i].started + 11 : "", p[i].id);
    }
}

/* Fills p[].common: figures over the domains present in all n scans. Returns the number of
 * such domains, or -1 with a message. */
static int64_t trend_common(sqlite3 *db, struct trend_point *p, size_t n, char *err, size_t errlen)
{
    struct sbuf ids = SBUF_INIT, q = SBUF_INIT;
    for (size_t i = 0; i < n; i++)
        sbuf_printf(&ids, "%s%" PRId64, i ? "," : "", p[i].id);
    sbuf_printf(&q,
                "WITH common AS (SELECT domain FROM results WHERE scan_id IN (%s) GROUP BY "
                "domain HAVING count(*) = %zu) "
                "SELECT r.scan_id, count(*), sum(r.status IN ('valid','invalid')), "
                "sum(r.status = 'valid'), sum(r.status = 'valid' AND r.policy_mode = 'enforce'), "
                "sum(r.status = 'valid' AND r.policy_mode = 'testing'), "
                "sum(r.status = 'valid' AND r.policy_mode = 'none'), sum(r.status = 'invalid'), "
                "sum(r.would_fail_delivery = 1 AND r.status IN ('valid','invalid')) "
                "FROM results r WHERE r.scan_id IN (%s) AND r.domain IN common "
                "GROUP BY r.scan_id",
                sbuf_str(&ids), n, sbuf_str(&ids));
    sqlite3_stmt *st = NULL;
    int64_t common = 0;
    int rc = q.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(db, sbuf_str(&q), -1, &st, NULL);
    sbuf_free(&ids);
    sbuf_free(&q);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        for (size_t i = 0; i < n; i++) {
            if (p[i].id != id)
                continue;
            p[i].common.scanned = sqlite3_column_int64(st, 1);
            p[i].common.mta_sts = sqlite3_column_int64(st, 2);
            p[i].common.valid = sqlite3_column_int64(st, 3);
            p[i].common.enforce = sqlite3_column_int64(st, 4);
            p[i].common.testing = sqlite3_column_int64(st, 5);
            p[i].common.none = sqlite3_column_int64(st, 6);
            p[i].common.invalid = sqlite3_column_int64(st, 7);
            p[i].common.would_fail = sqlite3_column_int64(st, 8);
            common = p[i].common.scanned;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }
    return common;
}

static int trend_points(sqlite3 *db, struct trend_point **out, size_t *n, char *err, size_t errlen)
{
    /* Completed scans; when none is complete yet, every scan (so a first run shows). */
    static const char sql[] =
        "SELECT id, started_at FROM scans WHERE state = 'complete' OR NOT EXISTS (SELECT 1 "
        "FROM scans WHERE state = 'complete') ORDER BY started_at, id";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the scans table: %s", sqlite3_errmsg(db));
        return -1;
    }
    struct trend_point *pts = NULL;
    size_t cap = 0;
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct trend_point *p = realloc(pts, cap * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            pts = p;
        }
        struct trend_point *p = &pts[*n];
        memset(p, 0, sizeof *p);
        p->id = sqlite3_column_int64(st, 0);
        const char *started = (const char *)sqlite3_column_text(st, 1);
        snprintf(p->started, sizeof p->started, "%s", started ? started : "");
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the scans table: %s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < *n; i++) {
        struct report_data d;
        if (report_data_load(db, pts[i].id, &d, err, errlen) < 0) {
            free(pts);
            return -1;
        }
        struct trend_point *p = &pts[i];
        p->funnel = d.funnel;
        p->modes = d.modes;
        p->mta_sts = d.mta_sts;
        p->invalid = d.invalid;
        p->no_address = d.rollup_no_address;
        p->cert = d.rollup_cert;
        p->expired = d.rollup_expired;
        p->mismatch = d.rollup_name_mismatch;
        p->would_fail = d.would_fail;
        p->delivery = d.delivery;
        report_data_free(&d);
    }
    trend_labels(pts, *n);
    *out = pts;
    return 0;
fail:
    sqlite3_finalize(st);
    free(pts);
    return -1;
}

static double pct(int64_t n, int64_t den)
{
    return den > 0 ? 100.0 * (double)n / (double)den : 0.0;
}

static void trend_charts(struct report_out *o, const struct trend_point *p, size_t n,
                         bool on_common)
{
    const char **labels = calloc(n ? n : 1, sizeof *labels);
    double *v = calloc((n ? n : 1) * 4, sizeof *v);
    if (!labels || !v) {
        free(labels);
        free(v);
        o->buf.oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = p[i].label;

    static const char *const funnel_series[] = {"MTA-STS", "fully valid"};
    for (size_t i = 0; i < n; i++) {
        v[i] = on_common ? pct(p[i].common.mta_sts, p[i].common.scanned)
                         : pct(p[i].mta_sts, p[i].funnel.scanned);
        v[n + i] = on_common ? pct(p[i].common.valid, p[i].common.scanned)
                             : pct(p[i].funnel.fully_valid, p[i].funnel.scanned);
    }
    struct report_chart c1 = {REPORT_CHART_LINES,
                              "trend_funnel_chart",
                              on_common ? "Adoption (% of the domains in every scan)"
                                        : "Adoption (% of scanned)",
                              "%",
                              n,
                              labels,
                              v,
                              2,
                              funnel_series};
    report_out_chart(o, &c1);

    static const char *const mode_series[] = {"enforce", "testing", "none"};
    for (size_t i = 0; i < n; i++) {
        int64_t den = on_common ? p[i].common.valid : p[i].funnel.fully_valid;
        v[i] = pct(on_common ? p[i].common.enforce : p[i].modes.enforce, den);
        v[n + i] = pct(on_common ? p[i].common.testing : p[i].modes.testing, den);
        v[2 * n + i] = pct(on_common ? p[i].common.none : p[i].modes.none, den);
    }
    struct report_chart c2 = {REPORT_CHART_LINES,
                              "trend_modes_chart",
                              on_common ? "Mode split (% of valid policies, domains in every scan)"
                                        : "Mode split (% of valid policies)",
                              "%",
                              n,
                              labels,
                              v,
                              3,
                              mode_series};
    report_out_chart(o, &c2);

    static const char *const rollup_series[] = {"no A/AAAA", "certificate", "expired",
                                                "CN/SAN mismatch"};
    for (size_t i = 0; i < n; i++) {
        v[i] = pct(p[i].no_address, p[i].invalid);
        v[n + i] = pct(p[i].cert, p[i].invalid);
        v[2 * n + i] = pct(p[i].expired, p[i].invalid);
        v[3 * n + i] = pct(p[i].mismatch, p[i].invalid);
    }
    struct report_chart c3 = {REPORT_CHART_LINES,
                              "trend_rollups_chart",
                              "Failure rollups (% of invalid)",
                              "%",
                              n,
                              labels,
                              v,
                              4,
                              rollup_series};
    report_out_chart(o, &c3);
    free(labels);
    free(v);
}

static const struct report_col trend_cols[] = {
    {"scan", "scan", REPORT_INT},
    {"started_at", "started", REPORT_TEXT},
    {"scanned", "scanned", REPORT_INT},
    {"resolving", "resolving", REPORT_INT},
    {"with_mx", "with MX", REPORT_INT},
    {"with_txt", "with TXT", REPORT_INT},
    {"valid_txt", "valid TXT", REPORT_INT},
    {"policy_fetched", "policy fetched", REPORT_INT},
    {"policy_valid", "policy valid", REPORT_INT},
    {"fully_valid", "fully valid", REPORT_INT},
    {"mta_sts", "MTA-STS [95% CI]", REPORT_PCT},
    {"enforce", "enforce", REPORT_SHARE},
    {"testing", "testing", REPORT_SHARE},
    {"none", "none", REPORT_SHARE},
    {"invalid", "invalid", REPORT_INT},
    {"no_address", "no A/AAAA", REPORT_SHARE},
    {"https_certificate", "certificate", REPORT_SHARE},
    {"cert_expired", "expired", REPORT_SHARE},
    {"cert_name_mismatch", "CN/SAN mismatch", REPORT_SHARE},
    {"would_fail_delivery", "would fail delivery", REPORT_SHARE},
    {"would_fail_mx", "of which by an MX host", REPORT_INT},
    {"mx_probed", "MX probed (MTA-STS domains)", REPORT_INT},
    {"mx_refused", "MX refused (of probed)", REPORT_SHARE},
    {"mx_starttls_missing", "no STARTTLS (of probed)", REPORT_SHARE},
    {"mx_hosts", "MX hosts probed", REPORT_INT},
    {"mx_hosts_refused", "MX hosts refused (of judged)", REPORT_SHARE},
    {"dane_full", "DANE (of DANE-checked)", REPORT_SHARE}};
#define TREND_NCOLS (sizeof trend_cols / sizeof trend_cols[0])

int report_write_trend(struct report_out *o, sqlite3 *db, char *err, size_t errlen)
{
    struct trend_point *p = NULL;
    size_t n = 0;
    if (trend_points(db, &p, &n, err, errlen) < 0)
        return -1;
    int64_t common = n > 1 ? trend_common(db, p, n, err, errlen) : 0;
    if (common < 0) {
        free(p);
        return -1;
    }
    /* Populations differ when some scan has rows beyond the domains every scan has. */
    bool differ = false;
    for (size_t i = 0; n > 1 && i < n; i++)
        differ |= p[i].funnel.scanned != common;
    report_out_begin(o);
    report_out_section(o, "trend", "Trend across scans");
    report_out_note(o,
                    "%zu scans in time order. Mode shares are of fully valid policies, "
                    "rollups of invalid deployments, would-fail of MTA-STS domains; MX figures "
                    "of the MTA-STS domains and MX hosts probed (--checks +smtp, +dane).",
                    n);
    if (differ) {
        report_out_note(o,
                        "The scans cover different domain lists: %" PRId64
                        " domains are in every scan. Their figures (table trend_common, and "
                        "the adoption and mode charts) are comparable; each scan's whole "
                        "population (table trend) is not: a change there may be the list, "
                        "not adoption.",
                        common);
        static const struct report_col ccols[] = {
            {"scan", "scan", REPORT_INT},
            {"started_at", "started", REPORT_TEXT},
            {"common", "domains in every scan", REPORT_INT},
            {"scanned", "scanned (whole list)", REPORT_INT},
            {"mta_sts", "MTA-STS [95% CI]", REPORT_PCT},
            {"fully_valid", "fully valid [95% CI]", REPORT_PCT},
            {"enforce", "enforce", REPORT_SHARE},
            {"testing", "testing", REPORT_SHARE},
            {"none", "none", REPORT_SHARE},
            {"invalid", "invalid", REPORT_INT},
            {"would_fail_delivery", "would fail delivery", REPORT_SHARE}};
        report_out_table_begin(o, "trend_common", "On the domains in every scan", ccols, 11);
        for (size_t i = 0; i < n; i++) {
            const struct trend_point *t = &p[i];
            struct report_cell cells[11] = {report_int(t->id),
                                            report_text(t->started),
                                            report_int(t->common.scanned),
                                            report_int(t->funnel.scanned),
                                            report_pct(t->common.mta_sts, t->common.scanned),
                                            report_pct(t->common.valid, t->common.scanned),
                                            report_share(t->common.enforce, t->common.valid),
                                            report_share(t->common.testing, t->common.valid),
                                            report_share(t->common.none, t->common.valid),
                                            report_int(t->common.invalid),
                                            report_share(t->common.would_fail, t->common.mta_sts)};
            report_out_row(o, cells);
        }
        report_out_table_end(o);
    }
    report_out_table_begin(o, "trend", differ ? "Each scan's whole list" : NULL, trend_cols,
                           TREND_NCOLS);
    for (size_t i = 0; i < n; i++) {
        const struct trend_point *t = &p[i];
        const struct report_funnel *f = &t->funnel;
        const struct report_delivery *dl = &t->delivery;
        struct report_cell cells[TREND_NCOLS] = {
            report_int(t->id),
            report_text(t->started),
            report_int(f->scanned),
            report_int(f->resolving),
            report_int(f->with_mx),
            report_int(f->with_txt),
            report_int(f->valid_txt),
            report_int(f->policy_fetched),
            report_int(f->policy_valid),
            report_int(f->fully_valid),
            report_pct(t->mta_sts, f->scanned),
            report_share(t->modes.enforce, f->fully_valid),
            report_share(t->modes.testing, f->fully_valid),
            report_share(t->modes.none, f->fully_valid),
            report_int(t->invalid),
            report_share(t->no_address, t->invalid),
            report_share(t->cert, t->invalid),
            report_share(t->expired, t->invalid),
            report_share(t->mismatch, t->invalid),
            report_share(t->would_fail, t->mta_sts),
            report_int(dl->wf_mx),
            report_int(dl->probed),
            report_share(dl->failing_domains, dl->probed),
            report_share(dl->starttls_missing, dl->probed),
            report_int(dl->hosts),
            report_share(dl->hosts_failing, dl->hosts_judged),
            report_share(dl->both + dl->dane_only, dl->dane_checked)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
    if (n > 0)
        trend_charts(o, p, n, differ);
    int64_t latest = n > 0 ? p[n - 1].id : 0;
    free(p);
    if (latest > 0 && report_tlsrpt_enforce_failures(o, db, latest, err, errlen) < 0)
        return -1;
    return 0;
}
