/* libFuzzer harness: the TLSA answer parser (a DNS response message from the resolver). */
#include "rules/sts_tlsa.h"
#include "tests/fuzz/fuzz_common.h"

static int fuzz_tlsa_one(const uint8_t *data, size_t size)
{
    struct sts_tlsa_answer a;
    int rc = sts_tlsa_parse(data, size, &a);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    FUZZ_ASSERT(a.n_kept <= STS_TLSA_MAX && a.n_kept <= a.n_tlsa && a.n_usable <= a.n_tlsa);
    if (size >= 12)
        FUZZ_ASSERT(a.rcode >= 0 && a.rcode <= 15);
    size_t usable = 0;
    for (size_t i = 0; i < a.n_kept; i++) {
        const struct sts_tlsa_rr *r = &a.rr[i];
        FUZZ_ASSERT(r->data >= data && r->data + r->len <= data + size);
        usable += sts_tlsa_usable(r);
    }
    if (a.n_kept == a.n_tlsa)
        FUZZ_ASSERT(usable == a.n_usable);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_tlsa_one(data, size);
}
#endif
