/* libFuzzer harness: the policy file parser, the whole input as the body. */
#include "rules/sts_mx.h"
#include "rules/sts_policy.h"
#include "tests/fuzz/fuzz_common.h"

static int fuzz_policy_one(const uint8_t *data, size_t size)
{
    struct sts_policy p;
    bool valid = sts_policy_parse((const char *)data, size, &p);
    FUZZ_ASSERT(valid == p.valid);
    FUZZ_ASSERT(p.n_mx <= STS_POLICY_MAX_BYTES / 5);
    for (size_t i = 0; i < p.n_mx; i++) {
        FUZZ_ASSERT(sts_mx_pattern_valid(p.mx[i]));
        for (const char *c = p.mx[i]; *c; c++)
            FUZZ_ASSERT(!(*c >= 'A' && *c <= 'Z')); /* normalised to lower case */
        size_t l = strlen(p.mx[i]);
        FUZZ_ASSERT(l > 0 && p.mx[i][l - 1] != '.');
    }
    if (p.valid) {
        FUZZ_ASSERT(p.category == STS_CAT_NONE && p.errors.n == 0);
        FUZZ_ASSERT(p.mode != STS_MODE_UNKNOWN && p.has_max_age);
        FUZZ_ASSERT(p.max_age >= 0 && p.max_age <= STS_POLICY_MAX_AGE);
        FUZZ_ASSERT(p.mode == STS_MODE_NONE || p.n_mx > 0);
    } else {
        FUZZ_ASSERT(p.category >= STS_CAT_BODY_TOO_LARGE && p.category <= STS_CAT_POLICY_NO_MX);
        FUZZ_ASSERT(!p.strict_ok);
    }
    if (size > STS_POLICY_MAX_BYTES)
        FUZZ_ASSERT(!p.valid && p.category == STS_CAT_BODY_TOO_LARGE);
    for (size_t i = 0; i < p.errors.n; i++)
        FUZZ_ASSERT(sts_diag_code_category(p.errors.items[i].code) != STS_CAT_NONE);
    for (size_t i = 0; i < p.warnings.n; i++)
        FUZZ_ASSERT(sts_diag_code_lookup(p.warnings.items[i].code) != NULL);
    sts_policy_free(&p);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_policy_one(data, size);
}
#endif
