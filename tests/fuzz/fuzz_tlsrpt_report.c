/* libFuzzer harness: the TLS-RPT aggregate report parser (RFC 8460 4, jansson). */
#include "rules/tlsrpt_report.h"
#include "tests/fuzz/fuzz_common.h"

static void check_count(struct tlsrpt_count c)
{
    if (c.present)
        FUZZ_ASSERT(c.v >= 0 && c.v <= TLSRPT_COUNT_MAX);
}

static void check_string(const char *s)
{
    if (s)
        FUZZ_ASSERT(s[0] != '\0' && strlen(s) <= 3 * TLSRPT_MAX_STRING);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlsrpt_report r;
    char err[256];
    if (tlsrpt_report_parse((const char *)data, size, &r, err, sizeof err) < 0) {
        FUZZ_ASSERT(err[0] != '\0');
        return 0;
    }
    FUZZ_ASSERT(r.n_policies <= TLSRPT_MAX_POLICIES);
    FUZZ_ASSERT(r.n_warnings <= TLSRPT_MAX_WARNINGS);
    check_string(r.organization_name);
    check_string(r.report_id);
    check_string(r.contact_info);
    size_t details = 0;
    for (size_t i = 0; i < r.n_policies; i++) {
        const struct tlsrpt_policy *p = &r.policies[i];
        check_count(p->total_successful);
        check_count(p->total_failure);
        check_string(p->policy_domain);
        FUZZ_ASSERT(p->n_mx_hosts <= TLSRPT_MAX_LIST && p->n_policy_strings <= TLSRPT_MAX_LIST);
        for (size_t j = 0; j < p->n_mx_hosts; j++)
            FUZZ_ASSERT(p->mx_hosts[j] != NULL);
        details += p->n_failures;
        for (size_t j = 0; j < p->n_failures; j++) {
            check_count(p->failures[j].failed_session_count);
            check_string(p->failures[j].result_type);
            check_string(p->failures[j].receiving_mx_hostname);
        }
    }
    FUZZ_ASSERT(details <= TLSRPT_MAX_DETAILS);
    for (size_t i = 0; i < r.n_warnings; i++)
        FUZZ_ASSERT(r.warnings[i].code != NULL);
    char *w = tlsrpt_warnings_json(&r);
    FUZZ_ASSERT(w && w[0] == '[');
    free(w);
    tlsrpt_report_free(&r);
    return 0;
}
