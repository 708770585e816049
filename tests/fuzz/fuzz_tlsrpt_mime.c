/* libFuzzer harness: report extraction from mail (GMime), mbox, gzip and zip, with every
 * report found handed to the parser. */
#include "rules/tlsrpt_report.h"
#include "tests/fuzz/fuzz_common.h"
#include "tlsrpt/extract.h"

struct tally {
    size_t reports, rejects;
};

static void on_report(void *arg, const char *name, const char *json, size_t len)
{
    struct tally *t = arg;
    FUZZ_ASSERT(name && len <= TLSRPT_MAX_INFLATED_BYTES + TLSRPT_MAX_INPUT_BYTES);
    struct tlsrpt_report r;
    char err[256];
    if (tlsrpt_report_parse(json, len, &r, err, sizeof err) == 0)
        tlsrpt_report_free(&r);
    t->reports++;
}

static void on_reject(void *arg, const char *name, const char *reason)
{
    struct tally *t = arg;
    FUZZ_ASSERT(name && reason && reason[0]);
    t->rejects++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally t = {0, 0};
    struct tlsrpt_sink sink = {on_report, on_reject, NULL, &t};
    const char *d = (const char *)data;
    /* The first byte picks the entry point, so one corpus covers all three. */
    if (size > 0 && data[0] == 'M') {
        size_t nm = 0, nw = 0;
        tlsrpt_extract_mbox(&sink, "fuzz", d + 1, size - 1, &nm, &nw);
        FUZZ_ASSERT(nw <= nm);
    } else if (size > 0 && data[0] == 'P') {
        tlsrpt_extract_payload(&sink, "fuzz", d + 1, size - 1);
        FUZZ_ASSERT(t.reports + t.rejects >= 1);
    } else {
        int found = tlsrpt_extract_message(&sink, "fuzz", d, size);
        FUZZ_ASSERT(found >= 0 && found <= TLSRPT_MAX_MIME_PARTS);
    }
    return 0;
}
