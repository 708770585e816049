/* libFuzzer harness: the _smtp._tls TLS-RPT record evaluation (records split on LF). */
#include "rules/sts_tlsrpt.h"
#include "tests/fuzz/fuzz_common.h"

static int fuzz_tlsrpt_one(const uint8_t *data, size_t size)
{
    struct sts_txt_record recs[FUZZ_MAX_RECORDS];
    size_t n = fuzz_split_records(data, size, recs);
    static struct sts_tlsrpt_result r; /* 8 KiB of URIs: keep it off the stack */
    sts_tlsrpt_evaluate(recs, n, &r);
    enum sts_tlsrpt_state st = sts_tlsrpt_state_of(&r);
    FUZZ_ASSERT(r.n_rua <= STS_RUA_MAX);
    if (r.status == STS_RECORD_VALID) {
        FUZZ_ASSERT(st == STS_TLSRPT_VALID && r.n_rua >= 1 && r.errors.n == 0);
        for (size_t i = 0; i < r.n_rua; i++) {
            char why[96];
            size_t l = strnlen(r.rua[i], STS_RUA_LEN_MAX);
            FUZZ_ASSERT(l < STS_RUA_LEN_MAX);
            FUZZ_ASSERT(sts_tlsrpt_uri_check(r.rua[i], l, why, sizeof why) == NULL);
        }
    } else {
        FUZZ_ASSERT(r.n_rua == 0 || r.status == STS_RECORD_NONE);
        FUZZ_ASSERT(!r.strict_ok);
    }
    if (r.n_version_records == 0)
        FUZZ_ASSERT(st == STS_TLSRPT_NONE);
    if (r.n_version_records > 1)
        FUZZ_ASSERT(st == STS_TLSRPT_INVALID && r.status == STS_RECORD_NONE);
    for (size_t i = 0; i < r.errors.n; i++)
        FUZZ_ASSERT(sts_diag_code_lookup(r.errors.items[i].code) != NULL);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_tlsrpt_one(data, size);
}
#endif
