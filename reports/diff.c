/* `mtasts diff`: what changed per domain between two scans of one database. */
#include "reports/diff.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "reports/json_list.h"
#include "reports/report.h"
#include "reports/tlsrpt.h"

int report_diff_pick(sqlite3 *db, int64_t *a, int64_t *b, char *err, size_t errlen)
{
    static const char sql[] = "SELECT id FROM scans WHERE state = 'complete' ORDER BY id DESC "
                              "LIMIT 2";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the scans table: %s", sqlite3_errmsg(db));
        return -1;
    }
    int64_t ids[2];
    int n = 0;
    while (n < 2 && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n == 0) {
        snprintf(err, errlen, "the database holds no complete scan: nothing to compare");
        return -1;
    }
    *a = ids[n - 1];
    *b = ids[0];
    return n;
}

static bool is_mta_sts(const char *status)
{
    return status && (!strcmp(status, "valid") || !strcmp(status, "invalid"));
}

static bool is_absent(const char *status)
{
    return status && (!strcmp(status, "no_policy") || !strcmp(status, "domain_nxdomain"));
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static bool both_differ(const char *a, const char *b)
{
    return a && b && strcmp(a, b) != 0;
}

/* The columns compared, read for scan a then scan b. */
static const char *const diff_cols[] = {"status",
                                        "category",
                                        "policy_mode",
                                        "policy_max_age",
                                        "mx_patterns",
                                        "txt_id",
                                        "policy_blob",
                                        "tlsrpt_status",
                                        "rua",
                                        "mx_outcome",
                                        "mx_hosts",
                                        "null_mx",
                                        "cert_verify_code",
                                        "cert_not_after",
                                        "scanned_at",
                                        "would_fail_delivery",
                                        "readiness",
                                        "warnings",
                                        "mx_failing",
                                        "mx_smtp_outcome"};
enum {
    C_STATUS,
    C_CATEGORY,
    C_MODE,
    C_MAX_AGE,
    C_MX,
    C_TXT_ID,
    C_BLOB,
    C_TLSRPT,
    C_RUA,
    C_MX_OUTCOME,
    C_MX_HOSTS,
    C_NULL_MX,
    C_CERT_CODE,
    C_NOT_AFTER,
    C_SCANNED_AT,
    C_WFD,
    C_READINESS,
    C_WARNINGS,
    C_MX_FAILING,
    C_MX_OUTCOME_SMTP,
    C_COUNT
};
_Static_assert(sizeof diff_cols / sizeof diff_cols[0] == C_COUNT, "columns");

static void build_join(struct sbuf *q)
{
    sbuf_puts(q, "SELECT a.domain");
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < C_COUNT; i++)
            sbuf_printf(q, ", %c.%s", side ? 'b' : 'a', diff_cols[i]);
    sbuf_puts(q, " FROM results a JOIN results b ON b.scan_id = ?2 AND b.domain = a.domain "
                 "WHERE a.scan_id = ?1 ORDER BY a.domain");
}

/* ---- sets of strings (MX hosts, rua URIs, warning codes) ---- */

#define SET_MAX 64
#define SET_ITEM 256
struct strset {
    char items[SET_MAX][SET_ITEM];
    size_t n;
};

static void set_add(const char *s, void *arg)
{
    struct strset *set = arg;
    if (set->n < SET_MAX)
        snprintf(set->items[set->n++], SET_ITEM, "%s", s);
}

static void set_from_commas(struct strset *set, const char *s)
{
    set->n = 0;
    while (s && *s) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        if (n > 0 && set->n < SET_MAX)
            snprintf(set->items[set->n++], SET_ITEM, "%.*s", (int)n, s);
        s = c ? c + 1 : NULL;
    }
}

static bool set_has(const struct strset *set, const char *s)
{
    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->items[i], s))
            return true;
    return false;
}

/* Members of x missing from y, joined by ", " into out. Returns how many. */
static size_t set_minus(const struct strset *x, const struct strset *y, struct sbuf *out)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++)
        if (!set_has(y, x->items[i])) {
            if (n++)
                sbuf_puts(out, ", ");
            sbuf_puts(out, x->items[i]);
        }
    return n;
}

/* ---- one pass over the joined rows ---- */

struct pass {
    struct report_out *o; /* NULL: the counting pass */
    const struct diff_opts *opts;
    struct diff_totals *t;
    bool domain_counted;
    struct sbuf before, after;
    struct strset sa, sb;
};

static bool shown(const struct pass *p, int k)
{
    if (p->opts->only && !(p->opts->only & ((uint64_t)1 << k)))
        return false;
    return diff_kinds[k].severity >= p->opts->min_severity;
}

static void emit(struct pass *p, int k, const char *domain, const char *before, const char *after)
{
    if (!shown(p, k))
        return;
    if (!p->o) {
        struct diff_totals *t = p->t;
        if (t->count[k] < DIFF_EXAMPLES)
            t->examples[k][t->count[k]] = strdup(domain);
        t->count[k]++;
        t->by_severity[diff_kinds[k].severity]++;
        t->changes++;
        if (!p->domain_counted)
            t->domains++;
        p->domain_counted = true;
        return;
    }
    struct report_cell cells[5] = {report_text(domain), report_text(diff_kinds[k].name),
                                   report_text(diff_severity_name(diff_kinds[k].severity)),
                                   report_text(before), report_text(after)};
    report_out_row(p->o, cells);
}

/* Lines of x (a policy body) that y lacks, each prefixed, joined by "; " into out. */
static void lines_minus(const char *x, const char *y, char prefix, struct sbuf *out)
{
    const char *l = x;
    int shown_lines = 0;
    while (l && *l && shown_lines < 40) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        size_t m = n;
        if (m && l[m - 1] == '\r')
            m--;
        bool found = false;
        for (const char *k = y; k && *k && !found;) {
            const char *ke = strchr(k, '\n');
            size_t kn = ke ? (size_t)(ke - k) : strlen(k);
            if (kn && k[kn - 1] == '\r')
                kn--;
            found = kn == m && !memcmp(k, l, m);
            k = ke ? ke + 1 : NULL;
        }
        if (!found && m > 0) {
            if (out->len)
                sbuf_puts(out, "; ");
            sbuf_putc(out, prefix);
            sbuf_append(out, l, m);
            shown_lines++;
        }
        l = e ? e + 1 : NULL;
    }
}

static bool cert_within(const char **v, int64_t days)
{
    if (!v[C_CERT_CODE] || strcmp(v[C_CERT_CODE], "0") || !v[C_NOT_AFTER] || !v[C_SCANNED_AT])
        return false;
    int64_t left = strtoll(v[C_NOT_AFTER], NULL, 10) - strtoll(v[C_SCANNED_AT], NULL, 10);
    return left >= 0 && left <= days * 86400;
}

static void cert_text(const char **v, struct sbuf *out)
{
    if (!v[C_NOT_AFTER] || !v[C_CERT_CODE] || strcmp(v[C_CERT_CODE], "0")) {
        sbuf_puts(out, "no verified certificate");
        return;
    }
    int64_t na = strtoll(v[C_NOT_AFTER], NULL, 10);
    int64_t at = v[C_SCANNED_AT] ? strtoll(v[C_SCANNED_AT], NULL, 10) : na;
    char date[32];
    report_format_date(na, date, sizeof date);
    sbuf_printf(out, "expires %s (%.1f days left)", date, (double)(na - at) / 86400.0);
}

/* Classifies one domain present in both scans; emits a row per kind of change. */
static void diff_row(struct pass *p, const char *dom, const char **a, const char **b)
{
    p->domain_counted = false;
    if (is_absent(a[C_STATUS]) && is_mta_sts(b[C_STATUS]))
        emit(p, K_ADOPTED, dom, a[C_STATUS], b[C_STATUS]);
    if (is_mta_sts(a[C_STATUS]) && is_absent(b[C_STATUS]))
        emit(p, K_DROPPED, dom, a[C_STATUS], b[C_STATUS]);
    if (str_eq(a[C_STATUS], "valid") && str_eq(b[C_STATUS], "invalid"))
        emit(p, K_BROKE, dom, "valid", b[C_CATEGORY]);
    if (str_eq(a[C_STATUS], "invalid") && str_eq(b[C_STATUS], "valid"))
        emit(p, K_FIXED, dom, a[C_CATEGORY], "valid");
    if (str_eq(a[C_STATUS], "invalid") && str_eq(b[C_STATUS], "invalid") &&
        both_differ(a[C_CATEGORY], b[C_CATEGORY]))
        emit(p, K_CATEGORY, dom, a[C_CATEGORY], b[C_CATEGORY]);
    if (both_differ(a[C_MODE], b[C_MODE]))
        emit(p, K_MODE, dom, a[C_MODE], b[C_MODE]);
    if (both_differ(a[C_MAX_AGE], b[C_MAX_AGE]))
        emit(p, K_MAX_AGE, dom, a[C_MAX_AGE], b[C_MAX_AGE]);
    if (both_differ(a[C_MX], b[C_MX]))
        emit(p, K_MX_PATTERNS, dom, a[C_MX], b[C_MX]);
    /* Blobs are stored once per distinct content, so another blob id is other content. */
    if (str_eq(a[C_TXT_ID], b[C_TXT_ID]) && both_differ(a[C_BLOB], b[C_BLOB]) &&
        shown(p, K_POLICY_SAME_ID)) {
        sbuf_reset(&p->before);
        sbuf_reset(&p->after);
        char *ta = NULL, *tb = NULL;
        if (p->o && p->opts->policy_text) {
            ta = p->opts->policy_text(p->opts->ctx, strtoll(a[C_BLOB], NULL, 10));
            tb = ta ? p->opts->policy_text(p->opts->ctx, strtoll(b[C_BLOB], NULL, 10)) : NULL;
        }
        if (ta && tb) {
            /* The differing lines: what senders still hold, what is published now. */
            lines_minus(ta, tb, '-', &p->before);
            lines_minus(tb, ta, '+', &p->after);
            if (!p->before.len && !p->after.len)
                sbuf_puts(&p->before, "(same lines, other bytes: line endings or order)");
        } else {
            sbuf_printf(&p->before, "id %.40s, policy blob %s", a[C_TXT_ID], a[C_BLOB]);
            sbuf_printf(&p->after, "id %.40s, policy blob %s", b[C_TXT_ID], b[C_BLOB]);
        }
        free(ta);
        free(tb);
        emit(p, K_POLICY_SAME_ID, dom, sbuf_str(&p->before), sbuf_str(&p->after));
    }
    bool tls_a = str_eq(a[C_TLSRPT], "valid") || str_eq(a[C_TLSRPT], "invalid");
    if (tls_a && str_eq(b[C_TLSRPT], "none"))
        emit(p, K_TLSRPT_REMOVED, dom, a[C_TLSRPT], "none");
    if (str_eq(a[C_TLSRPT], "valid") && str_eq(b[C_TLSRPT], "valid") && a[C_RUA] && b[C_RUA] &&
        strcmp(a[C_RUA], b[C_RUA]) && shown(p, K_RUA)) {
        p->sa.n = p->sb.n = 0;
        report_json_strings(a[C_RUA], set_add, &p->sa);
        report_json_strings(b[C_RUA], set_add, &p->sb);
        sbuf_reset(&p->before);
        sbuf_reset(&p->after);
        size_t gone = set_minus(&p->sa, &p->sb, &p->before);
        size_t added = set_minus(&p->sb, &p->sa, &p->after);
        if (gone || added)
            emit(p, K_RUA, dom, sbuf_str(&p->before), sbuf_str(&p->after));
    }
    if (str_eq(a[C_MX_OUTCOME], "ok") && str_eq(b[C_MX_OUTCOME], "ok") && a[C_MX_HOSTS] &&
        b[C_MX_HOSTS] && strcmp(a[C_MX_HOSTS], b[C_MX_HOSTS]) && shown(p, K_MX_HOSTS)) {
        p->sa.n = p->sb.n = 0;
        report_json_strings(a[C_MX_HOSTS], set_add, &p->sa);
        report_json_strings(b[C_MX_HOSTS], set_add, &p->sb);
        sbuf_reset(&p->before);
        sbuf_reset(&p->after);
        size_t gone = set_minus(&p->sa, &p->sb, &p->before);
        size_t added = set_minus(&p->sb, &p->sa, &p->after);
        if (gone || added) /* a reordering alone is no change */
            emit(p, K_MX_HOSTS, dom, sbuf_str(&p->before), sbuf_str(&p->after));
    }
    int cert_kind = -1;
    if (cert_within(b, 14) && !cert_within(a, 14))
        cert_kind = K_CERT_14;
    else if (cert_within(b, 30) && !cert_within(a, 30))
        cert_kind = K_CERT_30;
    if (cert_kind >= 0 && shown(p, cert_kind)) {
        sbuf_reset(&p->before);
        sbuf_reset(&p->after);
        cert_text(a, &p->before);
        cert_text(b, &p->after);
        emit(p, cert_kind, dom, sbuf_str(&p->before), sbuf_str(&p->after));
    }
    /* The MX hosts were judged in both scans (mx_failing set) and one side refuses mail. */
    if (a[C_MX_FAILING] && b[C_MX_FAILING] && is_mta_sts(b[C_STATUS])) {
        bool was = strcmp(a[C_MX_FAILING], "0") != 0, is = strcmp(b[C_MX_FAILING], "0") != 0;
        if (!was && is)
            emit(p, K_MX_TLS_BROKE, dom, a[C_MX_OUTCOME_SMTP], b[C_MX_OUTCOME_SMTP]);
        if (was && !is)
            emit(p, K_MX_TLS_FIXED, dom, a[C_MX_OUTCOME_SMTP], b[C_MX_OUTCOME_SMTP]);
    }
    if (str_eq(a[C_WFD], "0") && str_eq(b[C_WFD], "1"))
        emit(p, K_WFD, dom, "0", "1");
    if (str_eq(a[C_WFD], "1") && str_eq(b[C_WFD], "0"))
        emit(p, K_WFD_CLEARED, dom, "1", "0");
    if (both_differ(a[C_READINESS], b[C_READINESS]))
        emit(p, K_READINESS, dom, a[C_READINESS], b[C_READINESS]);
    if (a[C_WARNINGS] && b[C_WARNINGS] && strcmp(a[C_WARNINGS], b[C_WARNINGS]) &&
        (shown(p, K_WARN_ADDED) || shown(p, K_WARN_REMOVED))) {
        set_from_commas(&p->sa, a[C_WARNINGS]);
        set_from_commas(&p->sb, b[C_WARNINGS]);
        sbuf_reset(&p->before);
        if (set_minus(&p->sb, &p->sa, &p->before))
            emit(p, K_WARN_ADDED, dom, "", sbuf_str(&p->before));
        sbuf_reset(&p->before);
        if (set_minus(&p->sa, &p->sb, &p->before))
            emit(p, K_WARN_REMOVED, dom, sbuf_str(&p->before), "");
    }
}

static int run_pass(sqlite3 *db, int64_t a, int64_t b, struct pass *p, char *err, size_t errlen)
{
    struct sbuf q = {0};
    build_join(&q);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sbuf_str(&q), -1, &st, NULL);
    sbuf_free(&q);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *va[C_COUNT], *vb[C_COUNT];
        for (int k = 0; k < C_COUNT; k++) {
            va[k] = (const char *)sqlite3_column_text(st, 1 + k);
            vb[k] = (const char *)sqlite3_column_text(st, 1 + C_COUNT + k);
        }
        if (!p->o)
            p->t->common++;
        diff_row(p, (const char *)sqlite3_column_text(st, 0), va, vb);
        if (p->o)
            report_out_maybe_flush(p->o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the results: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int64_t count_only(sqlite3 *db, int64_t in, int64_t notin)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM results a WHERE a.scan_id = ?1 AND NOT "
                           "EXISTS (SELECT 1 FROM results b WHERE b.scan_id = ?2 AND "
                           "b.domain = a.domain)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, in);
        sqlite3_bind_int64(st, 2, notin);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

static void started_at(sqlite3 *db, int64_t id, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT started_at FROM scans WHERE id = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

/* The kinds shown, highest severity first, then in table order. */
static size_t kinds_by_severity(const struct diff_opts *opts, int *order)
{
    size_t n = 0;
    for (int s = DIFF_SEVERITIES - 1; s >= (int)opts->min_severity; s--)
        for (size_t k = 0; k < diff_nkinds; k++)
            if ((int)diff_kinds[k].severity == s &&
                (!opts->only || (opts->only & ((uint64_t)1 << k))))
                order[n++] = (int)k;
    return n;
}

static void write_figures(struct report_out *o, const struct diff_totals *t)
{
    report_out_figure(o, "state", REPORT_TEXT, report_text(t->baseline ? "baseline" : "compared"));
    report_out_figure(o, "scan_a", REPORT_INT, report_int(t->a));
    report_out_figure(o, "scan_b", REPORT_INT, report_int(t->b));
    report_out_figure(o, "domains_in_both", REPORT_INT, report_int(t->common));
    report_out_figure(o, "only_in_a", REPORT_INT, report_int(t->only_a));
    report_out_figure(o, "only_in_b", REPORT_INT, report_int(t->only_b));
    report_out_figure(o, "changes", REPORT_INT, report_int(t->changes));
    report_out_figure(o, "domains_changed", REPORT_INT, report_int(t->domains));
    report_out_group(o, "by_severity");
    for (int s = DIFF_SEVERITIES - 1; s >= 0; s--)
        report_out_figure(o, diff_severity_name((enum diff_severity)s), REPORT_INT,
                          report_int(t->by_severity[s]));
    report_out_group_end(o);
}

/* The number of rows report_tlsrpt_enforce_failures writes for scan b, its output dropped. */
static int64_t count_enforce_failures(sqlite3 *db, int64_t b, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct report_out scratch;
    report_out_init(&scratch, &report_render_text, f, "diff", NULL);
    report_out_begin(&scratch);
    int64_t n = report_tlsrpt_enforce_failures(&scratch, db, b, err, errlen);
    report_out_discard(&scratch);
    fclose(f);
    free(text);
    return n;
}

int64_t report_write_diff(struct report_out *o, sqlite3 *db, int64_t a, int64_t b,
                          const struct diff_opts *opts, struct diff_totals *t, char *err,
                          size_t errlen)
{
    static const struct diff_opts none = {0};
    if (!opts)
        opts = &none;
    memset(t, 0, sizeof *t);
    t->a = a;
    t->b = b;
    for (int i = 0; i < 2; i++) {
        char e[256];
        if (report_pick_scan(db, i ? b : a, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s", e);
            return -1;
        }
    }
    started_at(db, a, t->a_started, sizeof t->a_started);
    started_at(db, b, t->b_started, sizeof t->b_started);
    struct pass p = {.opts = opts, .t = t};
    t->baseline = a == b && opts->baseline;
    if (!t->baseline) {
        if (run_pass(db, a, b, &p, err, errlen) < 0)
            goto fail;
        t->only_a = count_only(db, a, b);
        t->only_b = count_only(db, b, a);
    }

    /* Domains in enforce whose TLS-RPT reports show blocking failures (reports/tlsrpt.h):
     * a change in what senders see, counted like the others. Counted first through a
     * discarded output, so the summary can precede the tables. */
    bool enforce_shown = !t->baseline && shown(&p, K_ENFORCE_TLSRPT);
    if (enforce_shown) {
        int64_t nf = count_enforce_failures(db, b, err, errlen);
        if (nf < 0)
            goto fail;
        t->count[K_ENFORCE_TLSRPT] = nf;
        t->by_severity[diff_kinds[K_ENFORCE_TLSRPT].severity] += nf;
        t->changes += nf;
    }

    report_out_begin(o);
    write_figures(o, t);
    report_out_section(o, "summary", "Summary");
    if (t->baseline)
        report_out_note(o,
                        "Baseline: scan %" PRId64 " (started %s) is the only complete scan; "
                        "nothing to compare yet. The next complete scan is compared with it.",
                        a, t->a_started);
    else
        report_out_note(
            o,
            "Scan %" PRId64 " (%s) -> scan %" PRId64 " (%s): %" PRId64 " domains in both, %" PRId64
            " only in the first, %" PRId64 " only in the second (not compared). %" PRId64
            " changes on %" PRId64 " domains: %" PRId64 " high, %" PRId64 " medium, %" PRId64
            " low, %" PRId64 " info.",
            a, t->a_started, b, t->b_started, t->common, t->only_a, t->only_b, t->changes,
            t->domains, t->by_severity[DIFF_HIGH], t->by_severity[DIFF_MEDIUM],
            t->by_severity[DIFF_LOW], t->by_severity[DIFF_INFO]);
    static const struct report_col cols[] = {{"change", "change", REPORT_TEXT},
                                             {"severity", "severity", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"meaning", "meaning", REPORT_TEXT}};
    report_out_table_begin(o, "summary", NULL, cols, 4);
    int order[DIFF_KINDS_MAX];
    size_t n = kinds_by_severity(opts, order);
    for (size_t i = 0; i < n; i++) {
        int k = order[i];
        struct report_cell cells[4] = {report_text(diff_kinds[k].name),
                                       report_text(diff_severity_name(diff_kinds[k].severity)),
                                       report_int(t->count[k]), report_text(diff_kinds[k].meaning)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);

    static const struct report_col change_cols[] = {{"domain", "domain", REPORT_TEXT},
                                                    {"change", "change", REPORT_TEXT},
                                                    {"severity", "severity", REPORT_TEXT},
                                                    {"before", "before", REPORT_TEXT},
                                                    {"after", "after", REPORT_TEXT}};
    report_out_section(o, "changes", "Changes by domain");
    report_out_table_begin(o, "changes", NULL, change_cols, 5);
    p.o = o;
    int rc = t->baseline ? 0 : run_pass(db, a, b, &p, err, errlen);
    report_out_table_end(o);
    if (rc == 0 && enforce_shown && report_tlsrpt_enforce_failures(o, db, b, err, errlen) < 0)
        rc = -1;
    sbuf_free(&p.before);
    sbuf_free(&p.after);
    return rc < 0 ? -1 : t->changes;
fail:
    sbuf_free(&p.before);
    sbuf_free(&p.after);
    return -1;
}

void report_diff_brief(FILE *f, const struct diff_totals *t)
{
    if (t->baseline) {
        fprintf(f,
                "mtasts: baseline: scan %" PRId64 " (started %s) is the first complete scan; "
                "changes are reported from the next one.\n",
                t->a, t->a_started);
        return;
    }
    fprintf(f,
            "mtasts diff: scan %" PRId64 " (%s) -> scan %" PRId64 " (%s): %" PRId64
            " changes on %" PRId64 " domains (%" PRId64 " high, %" PRId64 " medium, %" PRId64
            " low, %" PRId64 " info)\n",
            t->a, t->a_started, t->b, t->b_started, t->changes, t->domains,
            t->by_severity[DIFF_HIGH], t->by_severity[DIFF_MEDIUM], t->by_severity[DIFF_LOW],
            t->by_severity[DIFF_INFO]);
    if (t->only_a || t->only_b)
        fprintf(f,
                "  populations differ: %" PRId64 " domains in both compared; %" PRId64
                " only in scan %" PRId64 ", %" PRId64 " only in scan %" PRId64 "\n",
                t->common, t->only_a, t->a, t->only_b, t->b);
    for (int s = DIFF_SEVERITIES - 1; s >= 0; s--)
        for (size_t k = 0; k < diff_nkinds; k++) {
            if ((int)diff_kinds[k].severity != s || !t->count[k])
                continue;
            fprintf(f, "  %-6s %-28s %6" PRId64 "  ", diff_severity_name(diff_kinds[k].severity),
                    diff_kinds[k].name, t->count[k]);
            for (int e = 0; e < DIFF_EXAMPLES && e < t->count[k] && t->examples[k][e]; e++) {
                /* Domain names are normalised A-labels: printable, no escaping needed. */
                fprintf(f, "%s%s", e ? " " : "", t->examples[k][e]);
            }
            if (t->count[k] > DIFF_EXAMPLES)
                fprintf(f, " ...");
            fputc('\n', f);
        }
}

void diff_totals_free(struct diff_totals *t)
{
    for (size_t k = 0; k < DIFF_KINDS_MAX; k++)
        for (int e = 0; e < DIFF_EXAMPLES; e++) {
            free(t->examples[k][e]);
            t->examples[k][e] = NULL;
        }
}
