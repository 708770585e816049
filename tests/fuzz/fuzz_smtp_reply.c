/* libFuzzer harness: the SMTP reply parser (greeting, EHLO and STARTTLS replies). */
#include "rules/sts_smtp_reply.h"
#include "tests/fuzz/fuzz_common.h"

static int fuzz_smtp_reply_one(const uint8_t *data, size_t size)
{
    struct sts_smtp_reply r;
    enum sts_smtp_reply_status st = sts_smtp_reply_parse((const char *)data, size, &r);
    FUZZ_ASSERT(strlen(r.text) < STS_SMTP_TEXT_MAX);
    if (st == STS_SMTP_REPLY_DONE) {
        FUZZ_ASSERT(r.code >= 200 && r.code <= 599);
        FUZZ_ASSERT(r.consumed > 0 && r.consumed <= size && r.consumed <= STS_SMTP_REPLY_BYTES);
        FUZZ_ASSERT(data[r.consumed - 1] == '\n');
        FUZZ_ASSERT(r.n_lines >= 1 && r.n_lines <= STS_SMTP_REPLY_LINES);
        FUZZ_ASSERT(r.error == NULL);
        /* A prefix that ends before the reply's end is never complete. */
        struct sts_smtp_reply p;
        FUZZ_ASSERT(sts_smtp_reply_parse((const char *)data, r.consumed - 1, &p) !=
                    STS_SMTP_REPLY_DONE);
    } else if (st == STS_SMTP_REPLY_BAD) {
        FUZZ_ASSERT(r.error != NULL);
    } else {
        FUZZ_ASSERT(r.error == NULL && size <= STS_SMTP_REPLY_BYTES);
    }
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_smtp_reply_one(data, size);
}
#endif
