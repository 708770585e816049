/* The survey report's layout: which sections, tables and charts, in which order. */
#include "reports/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define GROUP_TOP 25 /* provider rows unless --top says otherwise */

static void scan_row(struct report_out *o, const char *field, const char *value)
{
    struct report_cell cells[2] = {report_text(field), report_text(value)};
    report_out_row(o, cells);
}

static void scan_row_int(struct report_out *o, const char *field, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    scan_row(o, field, buf);
}

static void section_scan(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"field", "field", REPORT_TEXT},
                                             {"value", "value", REPORT_TEXT}};
    const struct report_scan *s = &d->scan;
    char buf[64];
    report_out_section(o, "scan", "Appendix: the scan and its options");
    report_out_table_begin(o, "scan", NULL, cols, 2);
    scan_row_int(o, "scan id", s->id);
    scan_row(o, "state", s->state);
    scan_row(o, "started", s->started_at);
    scan_row(o, "finished", s->finished_at);
    scan_row(o, "tool version", s->tool_version);
    if (s->ninputs == 0)
        scan_row(o, "inputs", s->inputs);
    for (size_t i = 0; i < s->ninputs; i++) {
        char field[64];
        snprintf(field, sizeof field, "input %zu", i + 1);
        scan_row(o, field, s->input_names[i]);
        snprintf(field, sizeof field, "input %zu sha256", i + 1);
        scan_row(o, field, s->input_hashes[i]);
    }
    if (s->has_input_domains)
        scan_row_int(o, "input domains", s->input_domains);
    scan_row_int(o, "result rows", s->rows);
    scan_row_int(o, "invalid input lines", s->invalid_lines);
    scan_row_int(o, "duplicate lines", s->duplicates);
    scan_row_int(o, "excluded domains", s->excluded);
    scan_row_int(o, "resumes", s->resumes);
    if (s->has_elapsed) {
        snprintf(buf, sizeof buf, "%.1f", s->elapsed_s);
        scan_row(o, "duration (s)", buf);
        if (s->elapsed_s > 0) {
            snprintf(buf, sizeof buf, "%.1f", (double)s->rows / s->elapsed_s);
            scan_row(o, "domains/s", buf);
        }
    }
    if (s->shard_count > 0) {
        snprintf(buf, sizeof buf, "%" PRId64 "/%" PRId64, s->shard_index, s->shard_count);
        scan_row(o, "shard", buf);
    }
    if (s->merged_from)
        scan_row(o, "merged from", s->merged_from);
    if (s->noptions == 0)
        scan_row(o, "options (resolver, rate limits, timeouts)", s->options);
    for (size_t i = 0; i < s->noptions; i++) {
        char field[128];
        snprintf(field, sizeof field, "option %.100s", s->option_keys[i]);
        scan_row(o, field, s->option_values[i]);
    }
    report_out_table_end(o);
    if (s->input_errors_total > 0) {
        static const struct report_col ecols[] = {{"file", "file", REPORT_TEXT},
                                                  {"line", "line", REPORT_INT},
                                                  {"reason", "reason", REPORT_TEXT},
                                                  {"text", "text", REPORT_TEXT}};
        report_out_note(o, "%" PRId64 " input lines were not domains; the first %zu:",
                        s->input_errors_total, s->ninput_errors);
        report_out_table_begin(o, "input_errors", "Invalid input lines", ecols, 4);
        for (size_t i = 0; i < s->ninput_errors; i++) {
            const struct report_input_error *e = &s->input_errors[i];
            struct report_cell cells[4] = {report_text(e->file), report_int(e->line),
                                           report_text(e->reason), report_text(e->text)};
            report_out_row(o, cells);
        }
        report_out_table_end(o);
    }
    if (s->has_input_domains && s->input_domains != s->rows)
        report_out_note(
            o, "Warning: %" PRId64 " result rows for %" PRId64 " input domains (the scan is %s).",
            s->rows, s->input_domains, s->state ? s->state : "unknown");
}

static void section_funnel(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"stage", "stage", REPORT_TEXT},
                                             {"meaning", "meaning", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"share", "share of scanned [95% CI]", REPORT_PCT}};
    const struct report_funnel *f = &d->funnel;
    const struct {
        const char *stage, *meaning;
        int64_t n;
    } rows[] = {
        {"scanned", "result rows of the scan", f->scanned},
        {"resolving", "status neither domain_nxdomain nor dns_error", f->resolving},
        {"with_mx", "MX answered with hosts (null MX excluded)", f->with_mx},
        {"null_mx", "null MX `0 .` (accepts no mail)", f->null_mx},
        {"with_txt", "any TXT record at _mta-sts", f->with_txt},
        {"valid_txt", "with_txt, and exactly one well-formed v=STSv1 record", f->valid_txt},
        {"policy_fetched", "valid_txt, and HTTP 200 with a body", f->policy_fetched},
        {"policy_valid", "fetched, type/size/syntax pass (senders accept it)", f->policy_valid},
        {"fully_valid", "status valid: TXT, policy, every MX covered", f->fully_valid},
    };
    const size_t n = sizeof rows / sizeof rows[0];
    report_out_section(o, "funnel", "Adoption funnel");
    report_out_note(o, "Denominator: %" PRId64 " scanned domains; intervals are 95%% Wilson.",
                    f->scanned);
    report_out_table_begin(o, "funnel", NULL, cols, 4);
    const char *labels[16], *texts[16];
    char text[16][64];
    double values[16];
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        struct report_cell cells[4] = {report_text(rows[i].stage), report_text(rows[i].meaning),
                                       report_int(rows[i].n), report_pct(rows[i].n, f->scanned)};
        report_out_row(o, cells);
        if (!strcmp(rows[i].stage, "null_mx"))
            continue; /* beside the funnel, not a stage of it */
        labels[nc] = rows[i].stage;
        values[nc] = (double)rows[i].n;
        report_chart_share_label(text[nc], sizeof text[nc], rows[i].n, f->scanned);
        texts[nc] = text[nc];
        nc++;
    }
    report_out_table_end(o);
    /* A log axis: at real adoption (0.3-0.7% of scanned) every MTA-STS stage would be a
     * sliver on a linear one. Each bar is labelled with its count and share [95% CI]. */
    struct report_chart c = {REPORT_CHART_BARS,
                             "funnel_chart",
                             "Adoption funnel (domains, log scale; share of scanned [95% CI])",
                             NULL,
                             nc,
                             labels,
                             values,
                             1,
                             NULL};
    struct report_chart_style style = {true, texts};
    report_out_chart_styled(o, &c, &style);
}

static void mode_rows(struct report_out *o, const struct report_modes *m, int64_t den)
{
    const char *names[] = {"enforce", "testing", "none"};
    int64_t v[] = {m->enforce, m->testing, m->none};
    for (int i = 0; i < 3; i++) {
        struct report_cell cells[3] = {report_text(names[i]), report_int(v[i]),
                                       report_pct(v[i], den)};
        report_out_row(o, cells);
    }
}

static void section_modes(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"mode", "mode", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"share", "share of valid [95% CI]", REPORT_PCT}};
    const struct report_modes *m = &d->modes;
    int64_t den = d->status[STS_STATUS_VALID];
    report_out_section(o, "modes", "Mode split");
    report_out_note(o, "Denominator: %" PRId64 " valid policies (status valid).", den);
    report_out_table_begin(o, "modes", NULL, cols, 3);
    mode_rows(o, m, den);
    report_out_table_end(o);
    const char *labels[] = {"enforce", "testing", "none"};
    double values[] = {(double)m->enforce, (double)m->testing, (double)m->none};
    char text[3][64];
    const char *texts[3];
    for (int i = 0; i < 3; i++) {
        report_chart_share_label(text[i], sizeof text[i], (int64_t)values[i], den);
        texts[i] = text[i];
    }
    struct report_chart c = {REPORT_CHART_COLUMNS,
                             "modes_chart",
                             "Mode split (valid policies; share [95% CI])",
                             NULL,
                             3,
                             labels,
                             values,
                             1,
                             NULL};
    struct report_chart_style style = {false, texts};
    report_out_chart_styled(o, &c, &style);
}

static void human_seconds(int64_t v, char *buf, size_t len)
{
    if (v > 0 && v % 86400 == 0)
        snprintf(buf, len, "%" PRId64 "d", v / 86400);
    else if (v > 0 && v % 3600 == 0)
        snprintf(buf, len, "%" PRId64 "h", v / 3600);
    else
        snprintf(buf, len, "%" PRId64 "s", v);
}

static void section_maxage(struct report_out *o, const struct report_data *d)
{
    static const struct report_col bucket_cols[] = {
        {"bucket", "bucket", REPORT_TEXT},  {"range", "range", REPORT_TEXT},
        {"all", "all", REPORT_INT},         {"share", "share of all", REPORT_SHARE},
        {"enforce", "enforce", REPORT_INT}, {"testing", "testing", REPORT_INT},
        {"none", "none", REPORT_INT}};
    static const char *const ranges[REPORT_MAXAGE_BUCKETS] = {"below 86400 s",
                                                              "exactly 86400 s",
                                                              "86401 to 604799 s",
                                                              "exactly 604800 s",
                                                              "604801 to 2591999 s",
                                                              "2592000 to 31557600 s",
                                                              "above 31557600 s (RFC limit)"};
    const struct report_maxage *all = &d->maxage[REPORT_MAXAGE_ALL];
    report_out_section(o, "max_age", "max_age distribution");
    report_out_note(o,
                    "Population: %zu policies senders accept (funnel policy_valid); %" PRId64
                    " above the RFC limit (a policy over it is invalid, counted under the "
                    "category policy_max_age, and its value is not stored).",
                    all->n, d->maxage_over_limit);
    report_out_table_begin(o, "max_age_buckets", "Buckets", bucket_cols, 7);
    const char *labels[REPORT_MAXAGE_BUCKETS];
    double values[REPORT_MAXAGE_BUCKETS];
    for (int i = 0; i < REPORT_MAXAGE_BUCKETS; i++) {
        struct report_cell cells[7] = {report_text(report_maxage_bucket_names[i]),
                                       report_text(ranges[i]),
                                       report_int(all->buckets[i]),
                                       report_share(all->buckets[i], (int64_t)all->n),
                                       report_int(d->maxage[REPORT_MAXAGE_ENFORCE].buckets[i]),
                                       report_int(d->maxage[REPORT_MAXAGE_TESTING].buckets[i]),
                                       report_int(d->maxage[REPORT_MAXAGE_NONE].buckets[i])};
        report_out_row(o, cells);
        labels[i] = report_maxage_bucket_names[i];
        values[i] = (double)all->buckets[i];
    }
    report_out_table_end(o);
    struct report_chart c = {REPORT_CHART_COLUMNS,
                             "max_age_chart",
                             "max_age histogram",
                             NULL,
                             REPORT_MAXAGE_BUCKETS,
                             labels,
                             values,
                             1,
                             NULL};
    report_out_chart(o, &c);

    static const struct report_col top_cols[] = {{"value", "max_age (s)", REPORT_INT},
                                                 {"human", "as time", REPORT_TEXT},
                                                 {"count", "policies", REPORT_INT},
                                                 {"share", "share of all", REPORT_SHARE}};
    report_out_table_begin(o, "max_age_top", "Ten most common values", top_cols, 4);
    for (size_t i = 0; i < all->ntop; i++) {
        char human[32];
        human_seconds(all->top[i].value, human, sizeof human);
        struct report_cell cells[4] = {report_int(all->top[i].value), report_text(human),
                                       report_int(all->top[i].count),
                                       report_share(all->top[i].count, (int64_t)all->n)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);

    static const struct report_col stat_cols[] = {
        {"set", "policies", REPORT_TEXT},  {"count", "count", REPORT_INT},
        {"min", "min", REPORT_INT},        {"q1", "q1", REPORT_REAL},
        {"median", "median", REPORT_REAL}, {"q3", "q3", REPORT_REAL},
        {"max", "max", REPORT_INT}};
    static const char *const set_names[REPORT_MAXAGE_SETS] = {"all", "enforce", "testing", "none"};
    report_out_table_begin(o, "max_age_stats", "Median and quartiles (seconds)", stat_cols, 7);
    for (int i = 0; i < REPORT_MAXAGE_SETS; i++) {
        const struct report_maxage *m = &d->maxage[i];
        bool none = m->n == 0;
        struct report_cell cells[7] = {report_text(set_names[i]),
                                       report_int((int64_t)m->n),
                                       none ? report_null() : report_int(m->min),
                                       none ? report_null() : report_real(m->q1),
                                       none ? report_null() : report_real(m->median),
                                       none ? report_null() : report_real(m->q3),
                                       none ? report_null() : report_int(m->max)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void section_categories(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"category", "category", REPORT_TEXT},
                                             {"rfc8460", "RFC 8460 result", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"share", "share of invalid [95% CI]", REPORT_PCT}};
    report_out_section(o, "categories", "Failure categories");
    report_out_note(o,
                    "Denominator: %" PRId64 " invalid deployments (a v=STSv1 record with a "
                    "failure), of %" PRId64 " MTA-STS domains.",
                    d->invalid, d->mta_sts);
    report_out_table_begin(o, "categories", NULL, cols, 4);
    const char *labels[STS_CAT_COUNT], *texts[STS_CAT_COUNT];
    char text[STS_CAT_COUNT][64];
    double values[STS_CAT_COUNT];
    size_t n = 0;
    int order[STS_CAT_COUNT];
    size_t no = 0;
    for (int c = 1; c < STS_CAT_COUNT; c++)
        order[no++] = c;
    /* By count, most frequent first; ties (and the zero rows) in code order. Insertion sort:
     * a few dozen categories. */
    for (size_t i = 1; i < no; i++)
        for (size_t k = i; k > 0 && d->category[order[k]] > d->category[order[k - 1]]; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (size_t i = 0; i < no; i++) {
        int c = order[i];
        struct report_cell cells[4] = {
            report_text(sts_category_name((enum sts_category)c)),
            report_text(sts_category_rfc8460_result((enum sts_category)c)),
            report_int(d->category[c]), report_pct(d->category[c], d->invalid)};
        report_out_row(o, cells);
        if (d->category[c] > 0) {
            labels[n] = sts_category_name((enum sts_category)c);
            values[n] = (double)d->category[c];
            report_chart_share_label(text[n], sizeof text[n], d->category[c], d->invalid);
            texts[n] = text[n];
            n++;
        }
    }
    if (d->category[0] > 0) {
        struct report_cell cells[4] = {report_text("unknown"), report_text(NULL),
                                       report_int(d->category[0]),
                                       report_pct(d->category[0], d->invalid)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
    struct report_chart c = {REPORT_CHART_BARS,
                             "categories_chart",
                             "Failure categories (invalid deployments; share [95% CI])",
                             NULL,
                             n,
                             labels,
                             values,
                             1,
                             NULL};
    struct report_chart_style style = {false, texts};
    if (n > 0)
        report_out_chart_styled(o, &c, &style);

    static const struct report_col rcols[] = {
        {"rollup", "rollup", REPORT_TEXT},
        {"categories", "categories", REPORT_TEXT},
        {"count", "domains", REPORT_INT},
        {"share", "share of invalid [95% CI]", REPORT_PCT},
        {"published", "published (" PUB_TOP1M ")", REPORT_TEXT}};
    const struct {
        const char *name, *cats;
        int64_t n;
        const char *pub;
    } rows[] = {
        {"missing A/AAAA on the policy host", "policy_host_no_address", d->rollup_no_address,
         "34%"},
        {"HTTPS certificate problems", "cert_* and tls_handshake_failed", d->rollup_cert, "25%"},
        {"expired certificate", "cert_expired", d->rollup_expired, "6%"},
        {"CN/SAN mismatch", "cert_name_mismatch", d->rollup_name_mismatch, "5%"},
    };
    report_out_table_begin(o, "rollups", "Published-survey rollups", rcols, 5);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct report_cell cells[5] = {report_text(rows[i].name), report_text(rows[i].cats),
                                       report_int(rows[i].n), report_pct(rows[i].n, d->invalid),
                                       report_text(rows[i].pub)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void section_delivery(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"measure", "measure", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"share", "share [95% CI]", REPORT_PCT},
                                             {"of", "of", REPORT_TEXT},
                                             {"published", "published", REPORT_TEXT}};
    report_out_section(o, "delivery", "Would fail delivery, strict vs lenient");
    report_out_note(o,
                    "MTA-STS domains: %" PRId64 " (status valid or invalid). Would fail "
                    "delivery: mode enforce, and an MX not covered or (with --checks +smtp) an "
                    "MX host a sender refuses (docs/taxonomy.md; causes: would_fail_causes).",
                    d->mta_sts);
    const struct {
        const char *name;
        int64_t n, den;
        const char *of, *pub;
    } rows[] = {
        {"would fail delivery", d->would_fail, d->mta_sts, "MTA-STS domains", "3.2% (" PUB_IMC ")"},
        {"misconfigured (invalid)", d->invalid, d->mta_sts, "MTA-STS domains",
         "29.6% (" PUB_IMC ")"},
        {"publish MTA-STS", d->mta_sts, d->funnel.scanned, "scanned",
         "0.3% 2024, 0.5% 2025, 0.7% 2026 (" PUB_TOP1M ")"},
        {"enforce", d->modes.enforce, d->status[STS_STATUS_VALID], "valid policies",
         "54% (" PUB_TOP1M ")"},
        {"testing", d->modes.testing, d->status[STS_STATUS_VALID], "valid policies",
         "45% (" PUB_TOP1M ")"},
        {"valid (lenient)", d->valid_lenient, d->mta_sts, "MTA-STS domains", NULL},
        {"valid (strict RFC grammar)", d->valid_strict, d->mta_sts, "MTA-STS domains", NULL},
        {"valid only under sender tolerances", d->lenient_only, d->valid_lenient, "lenient-valid",
         NULL},
        {"readiness: enforcing", d->readiness_enforcing, d->mta_sts, "MTA-STS domains", NULL},
        {"readiness: ready to enforce", d->readiness_ready, d->mta_sts, "MTA-STS domains", NULL},
        {"readiness: not ready", d->readiness_not_ready, d->mta_sts, "MTA-STS domains", NULL},
    };
    report_out_table_begin(o, "delivery", NULL, cols, 5);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct report_cell cells[5] = {report_text(rows[i].name), report_int(rows[i].n),
                                       report_pct(rows[i].n, rows[i].den), report_text(rows[i].of),
                                       report_text(rows[i].pub)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

/* Warnings raised on domains without a _mta-sts record (docs/taxonomy.md): counted over every
 * scanned domain, not only MTA-STS ones, or the domains they exist for would be left out. */
static bool warning_of_scanned(int w)
{
    return w == STS_WARN_POLICY_WITHOUT_TXT || w == STS_WARN_TXT_AT_APEX;
}

static void section_warnings(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {
        {"warning", "warning", REPORT_TEXT},
        {"count", "domains", REPORT_INT},
        {"share", "share of MTA-STS domains [95% CI]", REPORT_PCT},
        {"fix", "fix", REPORT_TEXT}};
    report_out_section(o, "warnings", "Warnings");
    report_out_note(o,
                    "Denominator: %" PRId64 " MTA-STS domains; policy_without_txt and "
                    "txt_at_apex count every scanned domain (%" PRId64 "), since they are "
                    "raised on domains without a _mta-sts record.",
                    d->mta_sts, d->funnel.scanned);
    report_out_table_begin(o, "warnings", NULL, cols, 4);
    for (int w = 0; w < STS_WARN_COUNT; w++) {
        int64_t n = warning_of_scanned(w) ? d->warning[w] : d->warning_mta_sts[w];
        int64_t den = warning_of_scanned(w) ? d->funnel.scanned : d->mta_sts;
        struct report_cell cells[4] = {report_text(sts_warning_name((enum sts_warning)w)),
                                       report_int(n), report_pct(n, den),
                                       report_text(sts_warning_fix((enum sts_warning)w))};
        report_out_row(o, cells);
    }
    report_out_table_end(o);

    static const struct report_col ecols[] = {{"domain", "domain", REPORT_TEXT},
                                              {"not_after", "certificate expires", REPORT_TEXT},
                                              {"days_left", "days left", REPORT_REAL},
                                              {"within_14d", "within 14 days", REPORT_TEXT}};
    report_out_note(o,
                    "Policy-host certificates that verified and expire within 30 days of the "
                    "scan: %" PRId64 " (%" PRId64 " within 14 days).",
                    d->expiring_30, d->expiring_14);
    report_out_table_begin(o, "cert_expiring", "Certificates expiring within 30 days", ecols, 4);
    for (size_t i = 0; i < d->nexpiring; i++) {
        const struct report_expiring *e = &d->expiring[i];
        char date[32];
        report_format_time(e->not_after, date, sizeof date);
        struct report_cell cells[4] = {report_text(e->domain), report_text(date),
                                       report_real(e->days_left),
                                       report_text(e->soon ? "yes" : "no")};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void section_tlsrpt(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"population", "population", REPORT_TEXT},
                                             {"domains", "domains", REPORT_INT},
                                             {"valid", "TLS-RPT valid [95% CI]", REPORT_PCT},
                                             {"invalid", "invalid", REPORT_SHARE},
                                             {"missing", "missing", REPORT_SHARE}};
    report_out_section(o, "tlsrpt", "TLS-RPT");
    int64_t all = d->funnel.scanned;
    int64_t sts_missing = d->mta_sts - d->tlsrpt_valid_mta_sts - d->tlsrpt_invalid_mta_sts;
    report_out_table_begin(o, "tlsrpt", NULL, cols, 5);
    struct report_cell r1[5] = {
        report_text("all scanned domains"), report_int(all), report_pct(d->tlsrpt_valid, all),
        report_share(d->tlsrpt_invalid, all), report_share(d->tlsrpt_none, all)};
    report_out_row(o, r1);
    struct report_cell r2[5] = {report_text("MTA-STS domains"), report_int(d->mta_sts),
                                report_pct(d->tlsrpt_valid_mta_sts, d->mta_sts),
                                report_share(d->tlsrpt_invalid_mta_sts, d->mta_sts),
                                report_share(sts_missing, d->mta_sts)};
    report_out_row(o, r2);
    report_out_table_end(o);
    report_out_note(o, "Published: Tranco top 10,000, 97.1%% without TLS-RPT.");

    static const struct report_col rcols[] = {
        {"scheme", "rua scheme", REPORT_TEXT},
        {"domains", "domains [share of valid TLS-RPT]", REPORT_SHARE},
        {"uris", "URIs", REPORT_INT}};
    report_out_table_begin(o, "rua", "rua schemes", rcols, 3);
    const struct {
        const char *name;
        int64_t domains, uris;
    } rows[] = {{"mailto", d->rua_domains_mailto, d->rua_uris_mailto},
                {"https", d->rua_domains_https, d->rua_uris_https},
                {"other", d->rua_domains_other, d->rua_uris_other}};
    for (size_t i = 0; i < 3; i++) {
        struct report_cell cells[3] = {report_text(rows[i].name),
                                       report_share(rows[i].domains, d->tlsrpt_valid),
                                       report_int(rows[i].uris)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void section_ranks(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"top", "top", REPORT_TEXT},
                                             {"scanned", "scanned", REPORT_INT},
                                             {"mta_sts", "MTA-STS [95% CI]", REPORT_PCT},
                                             {"fully_valid", "fully valid [95% CI]", REPORT_PCT},
                                             {"enforce", "enforce", REPORT_SHARE},
                                             {"testing", "testing", REPORT_SHARE},
                                             {"none", "none", REPORT_SHARE}};
    report_out_section(o, "ranks", "By rank");
    if (!d->has_ranks) {
        report_out_note(o, "The input had no ranks.");
        return;
    }
    report_out_note(o,
                    "%" PRId64 " ranked domains; buckets are cumulative (top 10k includes the "
                    "top 1k); mode shares are of fully valid policies.",
                    d->ranked);
    report_out_table_begin(o, "ranks", NULL, cols, 7);
    static const char *const names[REPORT_RANK_BUCKETS] = {"1k", "10k", "100k", "1M"};
    for (int i = 0; i < REPORT_RANK_BUCKETS; i++) {
        const struct report_funnel *f = &d->rank[i].funnel;
        const struct report_modes *m = &d->rank[i].modes;
        struct report_cell cells[7] = {report_text(names[i]),
                                       report_int(f->scanned),
                                       report_pct(d->rank[i].mta_sts, f->scanned),
                                       report_pct(f->fully_valid, f->scanned),
                                       report_share(m->enforce, f->fully_valid),
                                       report_share(m->testing, f->fully_valid),
                                       report_share(m->none, f->fully_valid)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);

    static const struct report_col fcols[] = {{"top", "top", REPORT_TEXT},
                                              {"scanned", "scanned", REPORT_INT},
                                              {"resolving", "resolving", REPORT_INT},
                                              {"with_mx", "with MX", REPORT_INT},
                                              {"with_txt", "with TXT", REPORT_INT},
                                              {"valid_txt", "valid TXT", REPORT_INT},
                                              {"policy_fetched", "policy fetched", REPORT_INT},
                                              {"policy_valid", "policy valid", REPORT_INT},
                                              {"fully_valid", "fully valid", REPORT_INT}};
    report_out_table_begin(o, "ranks_funnel", "Funnel by rank", fcols, 9);
    for (int i = 0; i < REPORT_RANK_BUCKETS; i++) {
        const struct report_funnel *f = &d->rank[i].funnel;
        struct report_cell cells[9] = {
            report_text(names[i]),         report_int(f->scanned),      report_int(f->resolving),
            report_int(f->with_mx),        report_int(f->with_txt),     report_int(f->valid_txt),
            report_int(f->policy_fetched), report_int(f->policy_valid), report_int(f->fully_valid)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void group_table(struct report_out *o, const char *id, const char *title, const char *first,
                        const struct report_groups *g)
{
    const struct report_col cols[] = {
        {"group", first, REPORT_TEXT},        {"domains", "domains", REPORT_INT},
        {"mta_sts", "MTA-STS", REPORT_SHARE}, {"valid", "valid", REPORT_INT},
        {"invalid", "invalid", REPORT_INT},   {"enforce", "enforce", REPORT_INT},
        {"testing", "testing", REPORT_INT},   {"none", "none", REPORT_INT}};
    size_t top = o->top ? o->top : GROUP_TOP;
    report_out_table_begin(o, id, title, cols, 8);
    for (size_t i = 0; i < g->n && i < top; i++) {
        const struct report_group *x = &g->items[i];
        struct report_cell cells[8] = {
            report_text(x->name),   report_int(x->domains), report_share(x->mta_sts, x->domains),
            report_int(x->valid),   report_int(x->invalid), report_int(x->enforce),
            report_int(x->testing), report_int(x->none)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void section_providers(struct report_out *o, const struct report_data *d)
{
    report_out_section(o, "providers", "By mail provider");
    report_out_note(o,
                    "MX hosts grouped by registered domain (last two labels, three under a "
                    "known multi-label suffix such as co.uk); MX hosts under the domain's own "
                    "registered domain count as " REPORT_SELF_HOSTED "; a domain counts once "
                    "per provider. Top %zu of %zu providers.",
                    o->top ? o->top : GROUP_TOP, d->providers.n);
    group_table(o, "providers", "Mail providers (MX)", "provider", &d->providers);
    report_out_note(o,
                    "Policy hosts of MTA-STS domains grouped by the registered domain of the "
                    "CNAME target of mta-sts.D. Top %zu of %zu.",
                    o->top ? o->top : GROUP_TOP, d->policy_hosts.n);
    group_table(o, "policy_hosts", "Policy hosts (CNAME target)", "policy host", &d->policy_hosts);
}

void report_write_survey(struct report_out *o, const struct report_data *d)
{
    report_out_begin(o);
    report_write_summary(o, d);
    report_section_headline(o, d); /* the first screen: reports/report_headline.c */
    section_funnel(o, d);
    section_modes(o, d);
    section_maxage(o, d);
    section_categories(o, d);
    section_delivery(o, d);
    report_write_delivery(o, &d->delivery);
    section_warnings(o, d);
    section_tlsrpt(o, d);
    section_ranks(o, d);
    section_providers(o, d);
    report_section_ids_hosting(o, d); /* reports/report_ids_hosting.c */
    report_section_history(o, d);     /* reports/report_history.c */
    section_scan(o, d);               /* the appendix: how the figures were obtained */
}
