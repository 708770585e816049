/* Reads one domain's TLS-RPT reports from the database and runs the promotion gate on them. */
#include "reports/tlsrpt.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/sbuf.h"

int64_t report_tlsrpt_today(void)
{
    return (int64_t)time(NULL) / 86400;
}

bool report_tlsrpt_any(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    bool any = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM tlsrpt_reports LIMIT 1", -1, &s, NULL) == SQLITE_OK)
        any = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return any;
}

void report_tlsrpt_gate_free(struct report_tlsrpt_gate *g)
{
    free(g->reports);
    free(g->failures);
    free(g->strings);
    memset(g, 0, sizeof *g);
}

/* Days are counted from the report's start time (UTC): start_time / 86400. */
int report_tlsrpt_gate_load(sqlite3 *db, const char *domain, int window, int64_t today,
                            struct report_tlsrpt_gate *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!report_tlsrpt_any(db)) {
        tlsrpt_gate_decide(NULL, 0, NULL, 0, window, today, &out->g);
        return 0;
    }
    sqlite3_stmt *s = NULL;
    size_t cap = 0;
    /* Reports with a policy for the domain and a known start. */
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT r.id, r.start_time / 86400 FROM tlsrpt_reports r JOIN "
                           "tlsrpt_policies p ON p.report = r.id WHERE p.domain = ?1 AND "
                           "r.start_time IS NOT NULL ORDER BY 2, 1",
                           -1, &s, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n_reports == cap) {
            cap = cap ? cap * 2 : 64;
            void *p = realloc(out->reports, cap * sizeof *out->reports);
            if (!p)
                goto oom;
            out->reports = p;
        }
        out->reports[out->n_reports++].day = sqlite3_column_int64(s, 1);
    }
    if (rc != SQLITE_DONE)
        goto sqlfail;
    sqlite3_finalize(s);
    s = NULL;
    if (out->n_reports == 0) { /* the common case in a worklist: no second query */
        tlsrpt_gate_decide(NULL, 0, NULL, 0, window, today, &out->g);
        return 0;
    }
    /* Failures: strings are packed into one buffer, offsets fixed up afterwards. */
    if (sqlite3_prepare_v2(
            db,
            "SELECT r.start_time / 86400, f.result_type, r.organization, "
            "coalesce(f.receiving_mx_hostname, f.receiving_ip), coalesce(f.failed_sessions, -1) "
            "FROM tlsrpt_failures f JOIN tlsrpt_policies p ON f.policy = p.id JOIN "
            "tlsrpt_reports r ON p.report = r.id WHERE p.domain = ?1 AND r.start_time IS NOT "
            "NULL ORDER BY 1, 2, 3, 4",
            -1, &s, NULL) != SQLITE_OK)
        goto sqlfail;
    sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
    struct sbuf strs = SBUF_INIT;
    size_t fcap = 0;
    struct {
        size_t type, org, host;
        bool has_type, has_org, has_host;
    } *offs = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n_failures == fcap) {
            fcap = fcap ? fcap * 2 : 64;
            void *p = realloc(out->failures, fcap * sizeof *out->failures);
            void *q = realloc(offs, fcap * sizeof *offs);
            if (p)
                out->failures = p;
            if (q)
                offs = q;
            if (!p || !q) {
                free(offs);
                sbuf_free(&strs);
                goto oom;
            }
        }
        size_t i = out->n_failures++;
        memset(&out->failures[i], 0, sizeof out->failures[i]);
        out->failures[i].day = sqlite3_column_int64(s, 0);
        out->failures[i].count = sqlite3_column_int64(s, 4);
        for (int c = 1; c <= 3; c++) {
            const char *t = (const char *)sqlite3_column_text(s, c);
            size_t off = strs.len;
            if (t) {
                sbuf_puts(&strs, t);
                sbuf_putc(&strs, '\0');
            }
            if (c == 1) {
                offs[i].type = off;
                offs[i].has_type = t != NULL;
            } else if (c == 2) {
                offs[i].org = off;
                offs[i].has_org = t != NULL;
            } else {
                offs[i].host = off;
                offs[i].has_host = t != NULL;
            }
        }
    }
    if (rc != SQLITE_DONE || strs.oom) {
        free(offs);
        sbuf_free(&strs);
        goto sqlfail;
    }
    out->strings = strs.data;
    for (size_t i = 0; i < out->n_failures; i++) {
        out->failures[i].result_type = offs[i].has_type ? out->strings + offs[i].type : NULL;
        out->failures[i].organization = offs[i].has_org ? out->strings + offs[i].org : NULL;
        out->failures[i].mx_host = offs[i].has_host ? out->strings + offs[i].host : NULL;
    }
    free(offs);
    sqlite3_finalize(s);
    tlsrpt_gate_decide(out->reports, out->n_reports, out->failures, out->n_failures, window, today,
                       &out->g);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    sqlite3_finalize(s);
    report_tlsrpt_gate_free(out);
    return -1;
sqlfail:
    snprintf(err, errlen, "cannot read the TLS-RPT reports: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    report_tlsrpt_gate_free(out);
    return -1;
}

const char *report_tlsrpt_worklist_readiness(sqlite3 *db, const char *domain, const char *readiness,
                                             struct sbuf *fix)
{
    struct report_tlsrpt_gate g;
    char err[256];
    if (!domain || report_tlsrpt_gate_load(db, domain, TLSRPT_WINDOW_DEFAULT, report_tlsrpt_today(),
                                           &g, err, sizeof err) < 0)
        return readiness;
    const char *out = tlsrpt_gate_readiness(readiness, g.g.verdict);
    if (g.g.verdict != TLSRPT_GATE_NO_REPORTS && g.g.verdict != TLSRPT_GATE_CLEAN) {
        char why[512];
        tlsrpt_gate_describe(&g.g, why, sizeof why);
        if (fix->len)
            sbuf_putc(fix, ' ');
        sbuf_puts(fix, why);
        sbuf_putc(fix, '.');
    }
    report_tlsrpt_gate_free(&g);
    return out;
}
