/* The survey's first section: the headline figures, each beside its published counterpart. */
#include "reports/report.h"

#include <inttypes.h>
#include <stdio.h>

#define HEADLINE_TOP_CATEGORIES 3

void report_section_headline(struct report_out *o, const struct report_data *d)
{
    static const struct report_col cols[] = {{"figure", "figure", REPORT_TEXT},
                                             {"count", "domains", REPORT_INT},
                                             {"share", "share [95% CI]", REPORT_PCT},
                                             {"of", "of", REPORT_TEXT},
                                             {"published", "published", REPORT_TEXT}};
    int64_t valid = d->status[STS_STATUS_VALID];
    report_out_section(o, "headline", "Summary");
    report_out_note(
        o,
        "Scan %" PRId64 " (%s, %s): %" PRId64 " domains scanned, %" PRId64
        " publish MTA-STS, %" PRId64 " of them valid. Intervals are 95%% Wilson; "
        "published figures: T = " PUB_TOP1M ", I = " PUB_IMC "; the scan's options are in "
        "the appendix.",
        d->scan.id, d->scan.state ? d->scan.state : "?",
        d->scan.started_at ? d->scan.started_at : "?", d->funnel.scanned, d->mta_sts, valid);
    const struct {
        const char *name;
        int64_t n, den;
        const char *of, *pub;
    } rows[] = {
        {"publish MTA-STS (a v=STSv1 record)", d->mta_sts, d->funnel.scanned, "scanned",
         "0.3% 2024, 0.5% 2025, 0.7% 2026 (T)"},
        {"fully valid", valid, d->funnel.scanned, "scanned", NULL},
        {"valid", valid, d->mta_sts, "MTA-STS domains", "70.4% (I: 29.6% misconfigured)"},
        {"mode enforce", d->modes.enforce, valid, "valid policies", "54% (T)"},
        {"mode testing", d->modes.testing, valid, "valid policies", "45% (T)"},
        {"mode none", d->modes.none, valid, "valid policies", NULL},
        {"would fail delivery", d->would_fail, d->mta_sts, "MTA-STS domains", "3.2% (I)"},
        {"failure: no A/AAAA on the policy host", d->rollup_no_address, d->invalid, "invalid",
         "34% (T)"},
        {"failure: HTTPS certificate problems", d->rollup_cert, d->invalid, "invalid", "25% (T)"},
        {"failure: expired certificate", d->rollup_expired, d->invalid, "invalid", "6% (T)"},
        {"failure: CN/SAN mismatch", d->rollup_name_mismatch, d->invalid, "invalid", "5% (T)"},
    };
    report_out_table_begin(o, "headline", NULL, cols, 5);
    struct report_cell first[5] = {report_text("domains scanned"), report_int(d->funnel.scanned),
                                   report_null(), report_text(NULL), report_text(NULL)};
    report_out_row(o, first);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct report_cell cells[5] = {report_text(rows[i].name), report_int(rows[i].n),
                                       report_pct(rows[i].n, rows[i].den), report_text(rows[i].of),
                                       report_text(rows[i].pub)};
        report_out_row(o, cells);
    }
    /* The most frequent primary categories, ties in code order. */
    bool used[STS_CAT_COUNT] = {false};
    for (int k = 0; k < HEADLINE_TOP_CATEGORIES; k++) {
        int best = 0;
        for (int c = 1; c < STS_CAT_COUNT; c++)
            if (!used[c] && d->category[c] > 0 && (!best || d->category[c] > d->category[best]))
                best = c;
        if (!best)
            break;
        used[best] = true;
        char name[96];
        snprintf(name, sizeof name, "top category %d: %s", k + 1,
                 sts_category_name((enum sts_category)best));
        struct report_cell cells[5] = {report_text(name), report_int(d->category[best]),
                                       report_pct(d->category[best], d->invalid),
                                       report_text("invalid"), report_text(NULL)};
        report_out_row(o, cells);
    }
    report_out_table_end(o);
}
