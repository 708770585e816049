/* The delivery side of a scan: MX transport security, would-fail causes, MTA-STS x DANE. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "reports/report.h"
#include "rules/sts_delivery.h"

const char *const report_rfc8460_types[REPORT_RFC8460_TYPES] = {
    "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure"};

/* The index of an outcome's RFC 8460 result type, or -1 (smtp_ok, not the host's TLS). */
static int type_of(const char *outcome)
{
    int o = sts_smtp_outcome_from_name(outcome);
    const char *t = o >= 0 ? sts_smtp_outcome_rfc8460_result((enum sts_smtp_outcome)o) : NULL;
    for (int i = 0; t && i < REPORT_RFC8460_TYPES; i++)
        if (!strcmp(t, report_rfc8460_types[i]))
            return i;
    return -1;
}

/* Runs a grouped query over one scan (?1) and hands each row to fn. Returns 0 or -1. */
static int each_row(sqlite3 *db, const char *sql, int64_t scan, struct report_delivery *dl,
                    void (*fn)(sqlite3_stmt *, struct report_delivery *), char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the delivery side of scan %lld: %s", (long long)scan,
                 sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, scan);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(st, dl);
    if (rc != SQLITE_DONE)
        snprintf(err, errlen, "cannot read the delivery side of scan %lld: %s", (long long)scan,
                 sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* MTA-STS domains: smtp_checked, mx_verified, worst outcome, mx_failing > 0, count. */
static const char domains_sql[] =
    "SELECT coalesce(smtp_checked, 0), coalesce(mx_verified, 0), mx_smtp_outcome, "
    "coalesce(mx_failing, 0) > 0, count(*) FROM results WHERE scan_id = ?1 AND status IN "
    "('valid', 'invalid') GROUP BY 1, 2, 3, 4";

static void domains_row(sqlite3_stmt *st, struct report_delivery *dl)
{
    int64_t n = sqlite3_column_int64(st, 4);
    const char *worst = (const char *)sqlite3_column_text(st, 2);
    dl->mta_sts += n;
    if (!sqlite3_column_int(st, 0))
        return;
    dl->probed += n;
    dl->verified += sqlite3_column_int(st, 1) ? n : 0;
    dl->failing_domains += sqlite3_column_int(st, 3) ? n : 0;
    /* starttls_not_offered is the worst outcome of all: it is the worst one exactly when some
     * MX host of the domain lacks STARTTLS */
    dl->starttls_missing += worst && !strcmp(worst, "starttls_not_offered") ? n : 0;
    int t = worst ? type_of(worst) : -1;
    if (t >= 0)
        dl->domains_by_type[t] += n;
}

/* Probed MX hosts: outcome, STARTTLS offered, count. */
static const char hosts_sql[] = "SELECT smtp_outcome, coalesce(starttls_offered, 0), count(*) "
                                "FROM mx_probes WHERE scan_id = ?1 AND smtp_checked = 1 GROUP BY "
                                "1, 2";

static void hosts_row(sqlite3_stmt *st, struct report_delivery *dl)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    int o = sts_smtp_outcome_from_name(name);
    int64_t n = sqlite3_column_int64(st, 2);
    dl->hosts += n;
    if (o < 0 || !sts_smtp_outcome_judged((enum sts_smtp_outcome)o))
        return;
    dl->hosts_judged += n;
    dl->hosts_starttls += sqlite3_column_int(st, 1) ? n : 0;
    dl->hosts_cert_ok += o == STS_SMTP_OK || o == STS_SMTP_TLS_OLD ? n : 0;
    dl->hosts_failing += sts_smtp_outcome_fails_delivery((enum sts_smtp_outcome)o) ? n : 0;
    int t = type_of(name);
    if (t >= 0)
        dl->hosts_by_type[t] += n;
}

/* would_fail_delivery = 1: an uncovered MX, MX hosts refused, the worst outcome, count. */
static const char would_fail_sql[] =
    "SELECT category = 'mx_not_covered', coalesce(mx_failing, 0) > 0, mx_smtp_outcome, count(*) "
    "FROM results WHERE scan_id = ?1 AND would_fail_delivery = 1 GROUP BY 1, 2, 3";

static void would_fail_row(sqlite3_stmt *st, struct report_delivery *dl)
{
    int64_t n = sqlite3_column_int64(st, 3);
    dl->would_fail += n;
    dl->wf_uncovered += sqlite3_column_int(st, 0) ? n : 0;
    if (!sqlite3_column_int(st, 1))
        return;
    dl->wf_mx += n;
    int o = sts_smtp_outcome_from_name((const char *)sqlite3_column_text(st, 2));
    if (o >= 0)
        dl->wf_by_outcome[o] += n;
}

/* DANE-checked domains: valid MTA-STS, the DANE summary, the DANE warnings, count. */
static const char dane_sql[] =
    "SELECT status = 'valid', dane_summary, "
    "instr(',' || warnings || ',', ',dane_and_sts_conflict,') > 0, "
    "instr(',' || warnings || ',', ',dane_failure,') > 0, "
    "instr(',' || warnings || ',', ',tlsa_without_dnssec,') > 0, count(*) "
    "FROM results WHERE scan_id = ?1 AND dane_summary IS NOT NULL GROUP BY 1, 2, 3, 4, 5";

static void dane_row(sqlite3_stmt *st, struct report_delivery *dl)
{
    int64_t n = sqlite3_column_int64(st, 5);
    bool sts = sqlite3_column_int(st, 0);
    const char *sum = (const char *)sqlite3_column_text(st, 1);
    bool full = sum && !strcmp(sum, "full");
    dl->dane_checked += n;
    if (sts && full)
        dl->both += n;
    else if (sts)
        dl->mta_sts_only += n;
    else if (full)
        dl->dane_only += n;
    else
        dl->neither += n;
    dl->dane_partial += sum && !strcmp(sum, "partial") ? n : 0;
    dl->conflicts += sqlite3_column_int(st, 2) ? n : 0;
    dl->dane_failures += sqlite3_column_int(st, 3) ? n : 0;
    dl->tlsa_unsigned += sqlite3_column_int(st, 4) ? n : 0;
}

int report_delivery_load(sqlite3 *db, int64_t scan_id, struct report_delivery *dl, char *err,
                         size_t errlen)
{
    memset(dl, 0, sizeof *dl);
    if (each_row(db, domains_sql, scan_id, dl, domains_row, err, errlen) < 0 ||
        each_row(db, hosts_sql, scan_id, dl, hosts_row, err, errlen) < 0 ||
        each_row(db, would_fail_sql, scan_id, dl, would_fail_row, err, errlen) < 0 ||
        each_row(db, dane_sql, scan_id, dl, dane_row, err, errlen) < 0)
        return -1;
    return 0;
}

static void section_transport(struct report_out *o, const struct report_delivery *dl)
{
    static const struct report_col cols[] = {
        {"measure", "measure", REPORT_TEXT},
        {"domains", "MTA-STS domains", REPORT_INT},
        {"domains_share", "share of probed MTA-STS domains [95% CI]", REPORT_PCT},
        {"hosts", "MX hosts", REPORT_INT},
        {"hosts_share", "share of judged MX hosts [95% CI]", REPORT_PCT}};
    report_out_section(o, "mx_transport", "MX transport security (SMTP on port 25)");
    report_out_note(o,
                    "MTA-STS domains: %" PRId64 ", of which %" PRId64
                    " had their MX hosts probed (smtp_checked) and %" PRId64
                    " every MX host judged (mx_verified). MX hosts of the scan probed: %" PRId64
                    ", of which %" PRId64
                    " judged (reached, STARTTLS asked). A domain counts under the RFC 8460 "
                    "result type of its worst MX host; a host under its own.",
                    dl->mta_sts, dl->probed, dl->verified, dl->hosts, dl->hosts_judged);
    struct {
        const char *name;
        int64_t dn, hn;
    } rows[3 + REPORT_RFC8460_TYPES] = {
        {"STARTTLS offered (domains: no MX host without it)", dl->probed - dl->starttls_missing,
         dl->hosts_starttls},
        {"certificate valid for the name (domains: no MX host refused)",
         dl->probed - dl->failing_domains, dl->hosts_cert_ok},
        {"refused by an enforcing sender", dl->failing_domains, dl->hosts_failing},
    };
    for (int t = 0; t < REPORT_RFC8460_TYPES; t++) {
        rows[3 + t].name = report_rfc8460_types[t];
        rows[3 + t].dn = dl->domains_by_type[t];
        rows[3 + t].hn = dl->hosts_by_type[t];
    }
    report_out_table_begin(o, "mx_transport", NULL, cols, 5);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct report_cell cells[5] = {report_text(rows[i].name), report_int(rows[i].dn),
                                       report_pct(rows[i].dn, dl->probed), report_int(rows[i].hn),
                                       report_pct(rows[i].hn, dl->hosts_judged)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}

static void section_would_fail(struct report_out *o, const struct report_delivery *dl)
{
    static const struct report_col cols[] = {{"cause", "cause", REPORT_TEXT},
                                             {"rfc8460_result", "RFC 8460 result", REPORT_TEXT},
                                             {"domains", "domains", REPORT_INT},
                                             {"share", "share of would-fail [95% CI]", REPORT_PCT}};
    report_out_section(o, "would_fail_causes", "Would fail delivery, by cause");
    report_out_note(o,
                    "Domains with would_fail_delivery: %" PRId64
                    " (mode enforce, and an MX host not covered or an MX host a sender "
                    "refuses: docs/taxonomy.md). A domain with both causes counts under both; "
                    "an MX cause is the domain's worst MX outcome.",
                    dl->would_fail);
    report_out_table_begin(o, "would_fail_causes", NULL, cols, 4);
    struct report_cell first[4] = {report_text("mx_not_covered"), report_text("validation-failure"),
                                   report_int(dl->wf_uncovered),
                                   report_pct(dl->wf_uncovered, dl->would_fail)};
    report_out_row(o, first);
    struct report_cell any[4] = {report_text("MX host refused (any outcome below)"),
                                 report_text(NULL), report_int(dl->wf_mx),
                                 report_pct(dl->wf_mx, dl->would_fail)};
    report_out_row(o, any);
    const char *labels[STS_SMTP_COUNT + 1] = {"mx_not_covered"};
    double values[STS_SMTP_COUNT + 1] = {(double)dl->wf_uncovered};
    size_t n = 1;
    for (int s = 0; s < STS_SMTP_COUNT; s++) {
        if (!sts_smtp_outcome_fails_delivery((enum sts_smtp_outcome)s))
            continue;
        struct report_cell cells[4] = {
            report_text(sts_smtp_outcome_name((enum sts_smtp_outcome)s)),
            report_text(sts_smtp_outcome_rfc8460_result((enum sts_smtp_outcome)s)),
            report_int(dl->wf_by_outcome[s]), report_pct(dl->wf_by_outcome[s], dl->would_fail)};
        report_out_row(o, cells);
        labels[n] = sts_smtp_outcome_name((enum sts_smtp_outcome)s);
        values[n++] = (double)dl->wf_by_outcome[s];
    }
    report_out_table_end(o);
    struct report_chart c = {REPORT_CHART_BARS,
                             "would_fail_causes_chart",
                             "Would fail delivery, by cause (domains)",
                             NULL,
                             n,
                             labels,
                             values,
                             1,
                             NULL};
    report_out_chart(o, &c);
}

static void section_dane(struct report_out *o, const struct report_delivery *dl)
{
    static const struct report_col cols[] = {
        {"group", "group", REPORT_TEXT},
        {"domains", "domains", REPORT_INT},
        {"share", "share of DANE-checked [95% CI]", REPORT_PCT}};
    report_out_section(o, "dane_overlap", "MTA-STS x DANE");
    report_out_note(o,
                    "Domains whose TLSA records were asked (dane_summary set): %" PRId64
                    ". MTA-STS = status valid; DANE = every MX host publishes DNSSEC-validated, "
                    "usable TLSA (dane_summary full). The four groups add up to the total.",
                    dl->dane_checked);
    const struct {
        const char *name;
        int64_t n;
    } rows[] = {
        {"both", dl->both},
        {"MTA-STS only", dl->mta_sts_only},
        {"DANE only", dl->dane_only},
        {"neither", dl->neither},
        {"DANE on some MX hosts only (partial)", dl->dane_partial},
        {"conflicts (dane_and_sts_conflict)", dl->conflicts},
        {"DANE failures (dane_failure)", dl->dane_failures},
        {"TLSA without DNSSEC (tlsa_without_dnssec)", dl->tlsa_unsigned},
    };
    report_out_table_begin(o, "dane_overlap", NULL, cols, 3);
    const char *labels[4];
    double values[4];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct report_cell cells[3] = {report_text(rows[i].name), report_int(rows[i].n),
                                       report_pct(rows[i].n, dl->dane_checked)};
        report_out_row(o, cells);
        if (i < 4) {
            labels[i] = rows[i].name;
            values[i] = (double)rows[i].n;
        }
    }
    report_out_table_end(o);
    struct report_chart c = {REPORT_CHART_BARS,
                             "dane_overlap_chart",
                             "MTA-STS x DANE (domains)",
                             NULL,
                             4,
                             labels,
                             values,
                             1,
                             NULL};
    report_out_chart(o, &c);
}

void report_write_delivery(struct report_out *o, const struct report_delivery *dl)
{
    section_transport(o, dl);
    section_would_fail(o, dl);
    section_dane(o, dl);
}
