/* The ingest sink: each report found is parsed, stored once, and counted; failures logged. */
#include "tlsrpt/ingest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "rules/tlsrpt_report.h"
#include "store/store_tlsrpt.h"

void tlsrpt_ingest_log(struct tlsrpt_ingest *in, const char *name, const char *what,
                       const char *text)
{
    struct sbuf b = SBUF_INIT;
    sbuf_puts(&b, "mtasts tlsrpt ingest: ");
    esc_text(&b, name);
    sbuf_puts(&b, ": ");
    if (what) {
        sbuf_puts(&b, what);
        sbuf_puts(&b, ": ");
    }
    esc_text(&b, text);
    fprintf(in->log, "%s\n", sbuf_str(&b));
    sbuf_free(&b);
}

static void on_reject(void *arg, const char *name, const char *reason)
{
    struct tlsrpt_ingest *in = arg;
    in->rejected++;
    tlsrpt_ingest_log(in, name, "rejected", reason);
}

static void on_note(void *arg, const char *name, const char *text)
{
    struct tlsrpt_ingest *in = arg;
    in->notes++;
    tlsrpt_ingest_log(in, name, "note", text);
}

static void on_report(void *arg, const char *name, const char *json, size_t len)
{
    struct tlsrpt_ingest *in = arg;
    if (in->fatal)
        return;
    struct tlsrpt_report r;
    char err[512];
    if (tlsrpt_report_parse(json, len, &r, err, sizeof err) < 0) {
        on_reject(arg, name, err);
        return;
    }
    int64_t id = 0;
    enum store_tlsrpt_outcome o = store_tlsrpt_add(in->st, &r, json, len, name, &id);
    if (o == STORE_TLSRPT_ERROR) {
        in->fatal = true;
        tlsrpt_ingest_log(in, name, "cannot store", store_error(in->st));
    } else if (o == STORE_TLSRPT_DUPLICATE) {
        in->duplicates++;
        if (in->verbose) {
            char t[64];
            snprintf(t, sizeof t, "duplicate of report %" PRId64 ", skipped", id);
            tlsrpt_ingest_log(in, name, NULL, t);
        }
    } else {
        in->added++;
        in->policies += (int64_t)r.n_policies;
        for (size_t i = 0; i < r.n_policies; i++)
            in->details += (int64_t)r.policies[i].n_failures;
        if (r.n_warnings)
            in->with_warnings++;
        if (in->verbose) {
            char t[96];
            snprintf(t, sizeof t, "stored as report %" PRId64 " (%zu warnings)", id,
                     r.n_warnings + r.n_warnings_dropped);
            tlsrpt_ingest_log(in, name, NULL, t);
        }
    }
    tlsrpt_report_free(&r);
}

void tlsrpt_ingest_init(struct tlsrpt_ingest *in, struct store *st, FILE *log)
{
    memset(in, 0, sizeof *in);
    in->st = st;
    in->log = log;
    in->sink.report = on_report;
    in->sink.reject = on_reject;
    in->sink.note = on_note;
    in->sink.arg = in;
}

int tlsrpt_ingest_message(struct tlsrpt_ingest *in, const char *name, const char *data, size_t len)
{
    in->messages++;
    int found = tlsrpt_extract_message(&in->sink, name, data, len);
    if (found == 0) {
        in->messages_without++;
        if (in->verbose)
            tlsrpt_ingest_log(in, name, NULL, "no TLS-RPT report in this message, skipped");
    }
    return found;
}

void tlsrpt_ingest_summary(const struct tlsrpt_ingest *in)
{
    fprintf(in->log,
            "mtasts tlsrpt ingest: %" PRId64 " report(s) stored (%" PRId64 " policies, %" PRId64
            " failure details, %" PRId64 " with warnings), %" PRId64 " duplicate(s), %" PRId64
            " rejected, %" PRId64 " message(s) read, %" PRId64 " without a report, %" PRId64
            " source(s) unreadable\n",
            in->added, in->policies, in->details, in->with_warnings, in->duplicates, in->rejected,
            in->messages, in->messages_without, in->io_errors);
}

int tlsrpt_ingest_status(const struct tlsrpt_ingest *in)
{
    if (in->fatal || in->io_errors)
        return 2;
    return in->rejected ? 1 : 0;
}
