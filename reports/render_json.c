/* JSON renderer: the stable summary keys of reports/README.md, then every table by id. */
#include "reports/report.h"

#include <inttypes.h>
#include <stdlib.h>

#include "lib/escape.h"
#include "reports/stats.h"

#define REPORT_JSON_SCHEMA "mtasts-report/1"

struct json_state {
    bool any_table, any_row;
};

static void key(struct sbuf *b, const char *k)
{
    esc_json_str(b, k);
    sbuf_putc(b, ':');
}

static void kv_int(struct sbuf *b, const char *k, int64_t v, bool comma)
{
    key(b, k);
    sbuf_printf(b, "%" PRId64 "%s", v, comma ? "," : "");
}

static void kv_num(struct sbuf *b, const char *k, double v, bool comma)
{
    key(b, k);
    sbuf_printf(b, "%.4f%s", v, comma ? "," : "");
}

static void kv_str(struct sbuf *b, const char *k, const char *v, bool comma)
{
    key(b, k);
    esc_json_str(b, v);
    if (comma)
        sbuf_putc(b, ',');
}

/* {"count":n,"of":den,"pct":p,"ci95":[lo,hi]}; pct and ci95 null when den is 0. */
static void fraction(struct sbuf *b, int64_t n, int64_t den, bool ci)
{
    sbuf_printf(b, "{\"count\":%" PRId64 ",\"of\":%" PRId64 ",\"pct\":", n, den);
    if (den <= 0) {
        sbuf_puts(b, ci ? "null,\"ci95\":null}" : "null}");
        return;
    }
    sbuf_printf(b, "%.4f", 100.0 * (double)n / (double)den);
    if (ci) {
        double lo, hi;
        report_wilson(n, den, REPORT_Z95, &lo, &hi);
        sbuf_printf(b, ",\"ci95\":[%.4f,%.4f]", 100.0 * lo, 100.0 * hi);
    }
    sbuf_putc(b, '}');
}

static void kv_fraction(struct sbuf *b, const char *k, int64_t n, int64_t den, bool ci, bool comma)
{
    key(b, k);
    fraction(b, n, den, ci);
    if (comma)
        sbuf_putc(b, ',');
}

static void funnel_json(struct sbuf *b, const struct report_funnel *f)
{
    sbuf_putc(b, '{');
    kv_int(b, "scanned", f->scanned, true);
    kv_int(b, "resolving", f->resolving, true);
    kv_int(b, "with_mx", f->with_mx, true);
    kv_int(b, "null_mx", f->null_mx, true);
    kv_int(b, "with_txt", f->with_txt, true);
    kv_int(b, "valid_txt", f->valid_txt, true);
    kv_int(b, "policy_fetched", f->policy_fetched, true);
    kv_int(b, "policy_valid", f->policy_valid, true);
    kv_int(b, "fully_valid", f->fully_valid, false);
    sbuf_putc(b, '}');
}

static void modes_json(struct sbuf *b, const struct report_modes *m)
{
    sbuf_putc(b, '{');
    kv_int(b, "enforce", m->enforce, true);
    kv_int(b, "testing", m->testing, true);
    kv_int(b, "none", m->none, false);
    sbuf_putc(b, '}');
}

static void maxage_json(struct sbuf *b, const struct report_maxage *m)
{
    sbuf_putc(b, '{');
    kv_int(b, "count", (int64_t)m->n, true);
    key(b, "buckets");
    sbuf_putc(b, '{');
    for (int i = 0; i < REPORT_MAXAGE_BUCKETS; i++)
        kv_int(b, report_maxage_bucket_names[i], m->buckets[i], i + 1 < REPORT_MAXAGE_BUCKETS);
    sbuf_puts(b, "},");
    key(b, "top");
    sbuf_putc(b, '[');
    for (size_t i = 0; i < m->ntop; i++)
        sbuf_printf(b, "%s{\"value\":%" PRId64 ",\"count\":%" PRId64 "}", i ? "," : "",
                    m->top[i].value, m->top[i].count);
    sbuf_puts(b, "],");
    if (m->n == 0) {
        sbuf_puts(b, "\"median\":null,\"q1\":null,\"q3\":null,\"min\":null,\"max\":null}");
        return;
    }
    kv_num(b, "median", m->median, true);
    kv_num(b, "q1", m->q1, true);
    kv_num(b, "q3", m->q3, true);
    kv_int(b, "min", m->min, true);
    kv_int(b, "max", m->max, false);
    sbuf_putc(b, '}');
}

static void scan_json(struct sbuf *b, const struct report_scan *s)
{
    sbuf_putc(b, '{');
    kv_int(b, "id", s->id, true);
    kv_str(b, "state", s->state, true);
    kv_str(b, "started_at", s->started_at, true);
    kv_str(b, "finished_at", s->finished_at, true);
    kv_str(b, "tool_version", s->tool_version, true);
    kv_int(b, "results", s->rows, true);
    key(b, "input_domains");
    if (s->has_input_domains)
        sbuf_printf(b, "%" PRId64 ",", s->input_domains);
    else
        sbuf_puts(b, "null,");
    kv_int(b, "invalid_lines", s->invalid_lines, true);
    kv_int(b, "duplicates", s->duplicates, true);
    kv_int(b, "excluded", s->excluded, true);
    kv_int(b, "resumes", s->resumes, true);
    key(b, "elapsed_s");
    if (s->has_elapsed)
        sbuf_printf(b, "%.3f,", s->elapsed_s);
    else
        sbuf_puts(b, "null,");
    /* inputs and options are JSON written by the store: passed through as strings, so a
     * malformed value can never break this document. */
    kv_str(b, "inputs", s->inputs, true);
    kv_str(b, "options", s->options, false);
    sbuf_putc(b, '}');
}

/* The delivery side (reports/report_delivery.c; reports/README.md defines each figure). */
static void delivery_json(struct sbuf *b, const struct report_delivery *dl)
{
    key(b, "delivery");
    sbuf_putc(b, '{');
    kv_int(b, "mta_sts_probed", dl->probed, true);
    kv_int(b, "mta_sts_verified", dl->verified, true);
    kv_fraction(b, "mx_refused", dl->failing_domains, dl->probed, true, true);
    kv_fraction(b, "starttls_missing", dl->starttls_missing, dl->probed, true, true);
    kv_int(b, "mx_hosts", dl->hosts, true);
    kv_int(b, "mx_hosts_judged", dl->hosts_judged, true);
    kv_fraction(b, "mx_hosts_refused", dl->hosts_failing, dl->hosts_judged, true, true);
    kv_int(b, "would_fail_uncovered", dl->wf_uncovered, true);
    kv_int(b, "would_fail_mx", dl->wf_mx, true);
    kv_int(b, "dane_checked", dl->dane_checked, true);
    kv_int(b, "dane_both", dl->both, true);
    kv_int(b, "dane_mta_sts_only", dl->mta_sts_only, true);
    kv_int(b, "dane_only", dl->dane_only, true);
    kv_int(b, "dane_neither", dl->neither, true);
    kv_int(b, "dane_conflicts", dl->conflicts, false);
    sbuf_puts(b, "},");
}

static void summary_json(struct sbuf *b, const struct report_data *d)
{
    key(b, "scan");
    scan_json(b, &d->scan);
    sbuf_putc(b, ',');
    key(b, "funnel");
    funnel_json(b, &d->funnel);
    sbuf_putc(b, ',');
    key(b, "statuses");
    sbuf_putc(b, '{');
    for (int s = 0; s < STS_STATUS_COUNT; s++)
        kv_int(b, sts_status_name((enum sts_status)s), d->status[s], true);
    kv_int(b, "other", d->status_other, false);
    sbuf_puts(b, "},");
    kv_int(b, "mta_sts", d->mta_sts, true);
    key(b, "modes");
    modes_json(b, &d->modes);
    sbuf_putc(b, ',');

    key(b, "max_age");
    maxage_json(b, &d->maxage[REPORT_MAXAGE_ALL]);
    sbuf_putc(b, ',');
    key(b, "max_age_by_mode");
    sbuf_putc(b, '{');
    static const char *const mode_names[] = {"enforce", "testing", "none"};
    for (int i = 0; i < 3; i++) {
        key(b, mode_names[i]);
        maxage_json(b, &d->maxage[REPORT_MAXAGE_ENFORCE + i]);
        if (i < 2)
            sbuf_putc(b, ',');
    }
    sbuf_puts(b, "},");

    kv_int(b, "invalid", d->invalid, true);
    key(b, "categories");
    sbuf_putc(b, '{');
    for (int c = 1; c < STS_CAT_COUNT; c++)
        kv_int(b, sts_category_name((enum sts_category)c), d->category[c], true);
    kv_int(b, "unknown", d->category[0], false);
    sbuf_puts(b, "},");
    key(b, "rollups");
    sbuf_putc(b, '{');
    kv_fraction(b, "policy_host_no_address", d->rollup_no_address, d->invalid, true, true);
    kv_fraction(b, "https_certificate", d->rollup_cert, d->invalid, true, true);
    kv_fraction(b, "cert_expired", d->rollup_expired, d->invalid, true, true);
    kv_fraction(b, "cert_name_mismatch", d->rollup_name_mismatch, d->invalid, true, false);
    sbuf_puts(b, "},");

    kv_fraction(b, "would_fail_delivery", d->would_fail, d->mta_sts, true, true);
    delivery_json(b, &d->delivery);
    key(b, "strictness");
    sbuf_putc(b, '{');
    kv_int(b, "valid_lenient", d->valid_lenient, true);
    kv_int(b, "valid_strict", d->valid_strict, true);
    kv_int(b, "lenient_only", d->lenient_only, false);
    sbuf_puts(b, "},");
    key(b, "readiness");
    sbuf_putc(b, '{');
    kv_int(b, "enforcing", d->readiness_enforcing, true);
    kv_int(b, "ready_to_enforce", d->readiness_ready, true);
    kv_int(b, "not_ready", d->readiness_not_ready, false);
    sbuf_puts(b, "},");

    key(b, "warnings");
    sbuf_putc(b, '{');
    for (int w = 0; w < STS_WARN_COUNT; w++)
        kv_int(b, sts_warning_name((enum sts_warning)w), d->warning[w], true);
    kv_int(b, "unknown", d->warning_unknown, false);
    sbuf_puts(b, "},");
    key(b, "cert_expiring");
    sbuf_putc(b, '{');
    kv_int(b, "within_14d", d->expiring_14, true);
    kv_int(b, "within_30d", d->expiring_30, true);
    key(b, "domains");
    sbuf_putc(b, '[');
    for (size_t i = 0; i < d->nexpiring; i++) {
        char date[32];
        report_format_time(d->expiring[i].not_after, date, sizeof date);
        sbuf_puts(b, i ? ",{" : "{");
        kv_str(b, "domain", d->expiring[i].domain, true);
        kv_str(b, "not_after", date, true);
        kv_num(b, "days_left",
               (double)(d->expiring[i].not_after - d->expiring[i].scanned_at) / 86400.0, false);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "]},");

    key(b, "tlsrpt");
    sbuf_putc(b, '{');
    kv_int(b, "valid", d->tlsrpt_valid, true);
    kv_int(b, "invalid", d->tlsrpt_invalid, true);
    kv_int(b, "none", d->tlsrpt_none, true);
    kv_int(b, "valid_among_mta_sts", d->tlsrpt_valid_mta_sts, true);
    kv_int(b, "invalid_among_mta_sts", d->tlsrpt_invalid_mta_sts, true);
    key(b, "rua_domains");
    sbuf_printf(b, "{\"mailto\":%" PRId64 ",\"https\":%" PRId64 ",\"other\":%" PRId64 "},",
                d->rua_domains_mailto, d->rua_domains_https, d->rua_domains_other);
    key(b, "rua_uris");
    sbuf_printf(b, "{\"mailto\":%" PRId64 ",\"https\":%" PRId64 ",\"other\":%" PRId64 "}}",
                d->rua_uris_mailto, d->rua_uris_https, d->rua_uris_other);
    sbuf_putc(b, ',');

    key(b, "ranks");
    if (!d->has_ranks) {
        sbuf_puts(b, "null,");
        return;
    }
    sbuf_putc(b, '[');
    for (int i = 0; i < REPORT_RANK_BUCKETS; i++) {
        sbuf_puts(b, i ? ",{" : "{");
        kv_int(b, "top", report_rank_limits[i], true);
        key(b, "funnel");
        funnel_json(b, &d->rank[i].funnel);
        sbuf_putc(b, ',');
        kv_int(b, "mta_sts", d->rank[i].mta_sts, true);
        key(b, "modes");
        modes_json(b, &d->rank[i].modes);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "],");
}

static void json_begin(struct report_out *o)
{
    o->rstate = calloc(1, sizeof(struct json_state));
    if (!o->rstate)
        o->buf.oom = true;
    struct sbuf *b = &o->buf;
    sbuf_putc(b, '{');
    kv_str(b, "schema", REPORT_JSON_SCHEMA, true);
    kv_str(b, "kind", o->kind, true);
    if (o->timestamp)
        kv_str(b, "generated", o->timestamp, true);
    if (o->data && !o->only)
        summary_json(b, o->data);
    key(b, "tables");
    sbuf_putc(b, '{');
}

static void json_section(struct report_out *o, const char *id, const char *title)
{
    (void)o;
    (void)id;
    (void)title;
}

static void json_note(struct report_out *o, const char *text)
{
    (void)o;
    (void)text;
}

static void json_table_begin(struct report_out *o, const char *id, const char *title,
                             const struct report_col *cols, size_t ncols)
{
    struct json_state *j = o->rstate;
    struct sbuf *b = &o->buf;
    if (j && j->any_table)
        sbuf_putc(b, ',');
    if (j) {
        j->any_table = true;
        j->any_row = false;
    }
    key(b, id);
    sbuf_putc(b, '{');
    kv_str(b, "section", o->section_id, true);
    kv_str(b, "title", title ? title : o->section_title, true);
    key(b, "columns");
    sbuf_putc(b, '[');
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            sbuf_putc(b, ',');
        esc_json_str(b, cols[i].name);
    }
    sbuf_puts(b, "],");
    key(b, "rows");
    sbuf_putc(b, '[');
}

static void json_table_row(struct report_out *o, const struct report_cell *cells)
{
    struct json_state *j = o->rstate;
    struct sbuf *b = &o->buf;
    if (j && j->any_row)
        sbuf_putc(b, ',');
    if (j)
        j->any_row = true;
    sbuf_putc(b, '{');
    for (size_t i = 0; i < o->ncols; i++) {
        const struct report_cell *c = &cells[i];
        if (i)
            sbuf_putc(b, ',');
        key(b, o->cols[i].name);
        switch (o->cols[i].kind) {
        case REPORT_TEXT:
            esc_json_str(b, c->s);
            break;
        case REPORT_INT:
            if (c->null)
                sbuf_puts(b, "null");
            else
                sbuf_printf(b, "%" PRId64, c->n);
            break;
        case REPORT_REAL:
            if (c->null)
                sbuf_puts(b, "null");
            else
                sbuf_printf(b, "%.4f", c->x);
            break;
        case REPORT_PCT:
            fraction(b, c->n, c->den, true);
            break;
        case REPORT_SHARE:
            fraction(b, c->n, c->den, false);
            break;
        }
    }
    sbuf_putc(b, '}');
}

static void json_table_end(struct report_out *o)
{
    sbuf_puts(&o->buf, "]}");
}

static void json_chart(struct report_out *o, const struct report_chart *c)
{
    (void)o;
    (void)c;
}

static void json_end(struct report_out *o)
{
    sbuf_puts(&o->buf, "}}\n");
    free(o->rstate);
    o->rstate = NULL;
}

const struct report_renderer report_render_json = {
    .name = "json",
    .begin = json_begin,
    .section = json_section,
    .note = json_note,
    .table_begin = json_table_begin,
    .table_row = json_table_row,
    .table_end = json_table_end,
    .chart = json_chart,
    .end = json_end,
};
