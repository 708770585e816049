/* libFuzzer harness: the _mta-sts TXT record evaluation (records split on LF). */
#include "tests/fuzz/fuzz_common.h"

static int fuzz_txt_one(const uint8_t *data, size_t size)
{
    struct sts_txt_record recs[FUZZ_MAX_RECORDS];
    size_t n = fuzz_split_records(data, size, recs);
    struct sts_txt_result r;
    sts_txt_evaluate(recs, n, &r);
    FUZZ_ASSERT(r.n_version_records <= n);
    if (r.status == STS_RECORD_VALID) {
        size_t idl = strlen(r.id);
        FUZZ_ASSERT(idl >= 1 && idl <= 32);
        for (size_t i = 0; i < idl; i++)
            FUZZ_ASSERT((r.id[i] >= 'a' && r.id[i] <= 'z') || (r.id[i] >= 'A' && r.id[i] <= 'Z') ||
                        (r.id[i] >= '0' && r.id[i] <= '9'));
        FUZZ_ASSERT(r.n_version_records == 1 && r.errors.n == 0);
        FUZZ_ASSERT(r.category == STS_CAT_NONE);
    } else {
        FUZZ_ASSERT(r.id[0] == '\0' && !r.strict_ok);
    }
    if (r.n_version_records > 1)
        FUZZ_ASSERT(r.status == STS_RECORD_NONE && r.category == STS_CAT_TXT_MULTIPLE);
    if (r.n_version_records == 0)
        FUZZ_ASSERT(r.status == STS_RECORD_NONE && r.category == STS_CAT_NONE);
    for (size_t i = 0; i < r.errors.n; i++)
        FUZZ_ASSERT(sts_diag_code_lookup(r.errors.items[i].code) != NULL);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_txt_one(data, size);
}
#endif
