/* The survey's summary figures as renderer events (the JSON schema's stable keys): the same
 * report_data and the same cells as the tables, so a figure cannot differ between formats. */
#include "reports/report.h"

static void fig_int(struct report_out *o, const char *key, int64_t n)
{
    report_out_figure(o, key, REPORT_INT, report_int(n));
}

static void fig_text(struct report_out *o, const char *key, const char *s)
{
    report_out_figure(o, key, REPORT_TEXT, report_text(s));
}

static void fig_real(struct report_out *o, const char *key, double x)
{
    report_out_figure(o, key, REPORT_REAL, report_real(x));
}

static void fig_pct(struct report_out *o, const char *key, int64_t n, int64_t den)
{
    report_out_figure(o, key, REPORT_PCT, report_pct(n, den));
}

static void funnel(struct report_out *o, const char *key, const struct report_funnel *f)
{
    report_out_group(o, key);
    fig_int(o, "scanned", f->scanned);
    fig_int(o, "resolving", f->resolving);
    fig_int(o, "with_mx", f->with_mx);
    fig_int(o, "null_mx", f->null_mx);
    fig_int(o, "with_txt", f->with_txt);
    fig_int(o, "valid_txt", f->valid_txt);
    fig_int(o, "policy_fetched", f->policy_fetched);
    fig_int(o, "policy_valid", f->policy_valid);
    fig_int(o, "fully_valid", f->fully_valid);
    report_out_group_end(o);
}

static void modes(struct report_out *o, const char *key, const struct report_modes *m)
{
    report_out_group(o, key);
    fig_int(o, "enforce", m->enforce);
    fig_int(o, "testing", m->testing);
    fig_int(o, "none", m->none);
    report_out_group_end(o);
}

static void maxage(struct report_out *o, const char *key, const struct report_maxage *m)
{
    report_out_group(o, key);
    fig_int(o, "count", (int64_t)m->n);
    report_out_group(o, "buckets");
    for (int i = 0; i < REPORT_MAXAGE_BUCKETS; i++)
        fig_int(o, report_maxage_bucket_names[i], m->buckets[i]);
    report_out_group_end(o);
    report_out_list(o, "top");
    for (size_t i = 0; i < m->ntop; i++) {
        report_out_group(o, NULL);
        fig_int(o, "value", m->top[i].value);
        fig_int(o, "count", m->top[i].count);
        report_out_group_end(o);
    }
    report_out_group_end(o);
    if (m->n == 0) {
        static const char *const keys[] = {"median", "q1", "q3", "min", "max"};
        for (size_t i = 0; i < 5; i++)
            report_out_figure(o, keys[i], i < 3 ? REPORT_REAL : REPORT_INT, report_null());
    } else {
        fig_real(o, "median", m->median);
        fig_real(o, "q1", m->q1);
        fig_real(o, "q3", m->q3);
        fig_int(o, "min", m->min);
        fig_int(o, "max", m->max);
    }
    report_out_group_end(o);
}

static void scan(struct report_out *o, const struct report_scan *s)
{
    report_out_group(o, "scan");
    fig_int(o, "id", s->id);
    fig_text(o, "state", s->state);
    fig_text(o, "started_at", s->started_at);
    fig_text(o, "finished_at", s->finished_at);
    fig_text(o, "tool_version", s->tool_version);
    fig_int(o, "results", s->rows);
    report_out_figure(o, "input_domains", REPORT_INT,
                      s->has_input_domains ? report_int(s->input_domains) : report_null());
    fig_int(o, "invalid_lines", s->invalid_lines);
    fig_int(o, "duplicates", s->duplicates);
    fig_int(o, "excluded", s->excluded);
    fig_int(o, "resumes", s->resumes);
    report_out_figure(o, "elapsed_s", REPORT_REAL,
                      s->has_elapsed ? report_real(s->elapsed_s) : report_null());
    /* inputs and options are JSON written by the store: passed on as strings, so a
     * malformed value can never break a document. */
    fig_text(o, "inputs", s->inputs);
    fig_text(o, "options", s->options);
    report_out_group_end(o);
}

/* The delivery side (reports/report_delivery.c; reports/README.md defines each figure): the
 * same struct report_delivery its sections show. */
static void delivery(struct report_out *o, const struct report_delivery *dl)
{
    report_out_group(o, "delivery");
    fig_int(o, "mta_sts_probed", dl->probed);
    fig_int(o, "mta_sts_verified", dl->verified);
    fig_pct(o, "mx_refused", dl->failing_domains, dl->probed);
    fig_pct(o, "starttls_missing", dl->starttls_missing, dl->probed);
    fig_int(o, "mx_hosts", dl->hosts);
    fig_int(o, "mx_hosts_judged", dl->hosts_judged);
    fig_pct(o, "mx_hosts_refused", dl->hosts_failing, dl->hosts_judged);
    fig_int(o, "would_fail_uncovered", dl->wf_uncovered);
    fig_int(o, "would_fail_mx", dl->wf_mx);
    fig_int(o, "dane_checked", dl->dane_checked);
    fig_int(o, "dane_both", dl->both);
    fig_int(o, "dane_mta_sts_only", dl->mta_sts_only);
    fig_int(o, "dane_only", dl->dane_only);
    fig_int(o, "dane_neither", dl->neither);
    fig_int(o, "dane_conflicts", dl->conflicts);
    report_out_group_end(o);
}

static void tlsrpt(struct report_out *o, const struct report_data *d)
{
    report_out_group(o, "tlsrpt");
    fig_int(o, "valid", d->tlsrpt_valid);
    fig_int(o, "invalid", d->tlsrpt_invalid);
    fig_int(o, "none", d->tlsrpt_none);
    fig_int(o, "valid_among_mta_sts", d->tlsrpt_valid_mta_sts);
    fig_int(o, "invalid_among_mta_sts", d->tlsrpt_invalid_mta_sts);
    report_out_group(o, "rua_domains");
    fig_int(o, "mailto", d->rua_domains_mailto);
    fig_int(o, "https", d->rua_domains_https);
    fig_int(o, "other", d->rua_domains_other);
    report_out_group_end(o);
    report_out_group(o, "rua_uris");
    fig_int(o, "mailto", d->rua_uris_mailto);
    fig_int(o, "https", d->rua_uris_https);
    fig_int(o, "other", d->rua_uris_other);
    report_out_group_end(o);
    report_out_group_end(o);
}

static void ranks(struct report_out *o, const struct report_data *d)
{
    if (!d->has_ranks) {
        report_out_figure(o, "ranks", REPORT_INT, report_null());
        return;
    }
    report_out_list(o, "ranks");
    for (int i = 0; i < REPORT_RANK_BUCKETS; i++) {
        report_out_group(o, NULL);
        fig_int(o, "top", report_rank_limits[i]);
        funnel(o, "funnel", &d->rank[i].funnel);
        fig_int(o, "mta_sts", d->rank[i].mta_sts);
        modes(o, "modes", &d->rank[i].modes);
        report_out_group_end(o);
    }
    report_out_group_end(o);
}

void report_write_summary(struct report_out *o, const struct report_data *d)
{
    scan(o, &d->scan);
    funnel(o, "funnel", &d->funnel);
    report_out_group(o, "statuses");
    for (int s = 0; s < STS_STATUS_COUNT; s++)
        fig_int(o, sts_status_name((enum sts_status)s), d->status[s]);
    fig_int(o, "other", d->status_other);
    report_out_group_end(o);
    fig_int(o, "mta_sts", d->mta_sts);
    modes(o, "modes", &d->modes);

    maxage(o, "max_age", &d->maxage[REPORT_MAXAGE_ALL]);
    report_out_group(o, "max_age_by_mode");
    maxage(o, "enforce", &d->maxage[REPORT_MAXAGE_ENFORCE]);
    maxage(o, "testing", &d->maxage[REPORT_MAXAGE_TESTING]);
    maxage(o, "none", &d->maxage[REPORT_MAXAGE_NONE]);
    report_out_group_end(o);

    fig_int(o, "invalid", d->invalid);
    report_out_group(o, "categories");
    for (int c = 1; c < STS_CAT_COUNT; c++)
        fig_int(o, sts_category_name((enum sts_category)c), d->category[c]);
    fig_int(o, "unknown", d->category[0]);
    report_out_group_end(o);
    report_out_group(o, "rollups");
    fig_pct(o, "policy_host_no_address", d->rollup_no_address, d->invalid);
    fig_pct(o, "https_certificate", d->rollup_cert, d->invalid);
    fig_pct(o, "cert_expired", d->rollup_expired, d->invalid);
    fig_pct(o, "cert_name_mismatch", d->rollup_name_mismatch, d->invalid);
    report_out_group_end(o);

    fig_pct(o, "would_fail_delivery", d->would_fail, d->mta_sts);
    delivery(o, &d->delivery);
    report_out_group(o, "strictness");
    fig_int(o, "valid_lenient", d->valid_lenient);
    fig_int(o, "valid_strict", d->valid_strict);
    fig_int(o, "lenient_only", d->lenient_only);
    report_out_group_end(o);
    report_out_group(o, "readiness");
    fig_int(o, "enforcing", d->readiness_enforcing);
    fig_int(o, "ready_to_enforce", d->readiness_ready);
    fig_int(o, "not_ready", d->readiness_not_ready);
    report_out_group_end(o);

    report_out_group(o, "warnings");
    for (int w = 0; w < STS_WARN_COUNT; w++)
        fig_int(o, sts_warning_name((enum sts_warning)w), d->warning[w]);
    fig_int(o, "unknown", d->warning_unknown);
    report_out_group_end(o);
    report_out_group(o, "cert_expiring");
    fig_int(o, "within_14d", d->expiring_14);
    fig_int(o, "within_30d", d->expiring_30);
    report_out_list(o, "domains");
    for (size_t i = 0; i < d->nexpiring; i++) {
        const struct report_expiring *e = &d->expiring[i];
        char date[32];
        report_format_time(e->not_after, date, sizeof date);
        report_out_group(o, NULL);
        fig_text(o, "domain", e->domain);
        fig_text(o, "not_after", date);
        fig_real(o, "days_left", e->days_left);
        report_out_group_end(o);
    }
    report_out_group_end(o);
    report_out_group_end(o);

    tlsrpt(o, d);
    ranks(o, d);
}
