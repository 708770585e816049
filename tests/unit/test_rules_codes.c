/* Tests of the taxonomy code tables: names, round trips, fix texts, warning lists. */
#include <string.h>

#include "rules/sts_codes.h"
#include "tests/unit/tap.h"

static void check_names(void)
{
    for (int s = 0; s < STS_STATUS_COUNT; s++)
        TAP_CHECK(sts_status_from_name(sts_status_name((enum sts_status)s)) == s,
                  "status name round trip", "status %d", s);
    for (int c = 0; c < STS_CAT_COUNT; c++) {
        const char *n = sts_category_name((enum sts_category)c);
        TAP_CHECK(sts_category_from_name(n) == c, "category name round trip", "%s", n);
        if (c == STS_CAT_NONE)
            continue;
        const char *fix = sts_category_fix((enum sts_category)c);
        TAP_CHECK(fix && strlen(fix) > 30 && fix[strlen(fix) - 1] == '.', "category fix text",
                  "%s: '%s'", n, fix ? fix : "(null)");
        TAP_CHECK(sts_category_rfc8460_result((enum sts_category)c) != NULL,
                  "category RFC 8460 result", "%s has none", n);
    }
    for (int w = 0; w < STS_WARN_COUNT; w++) {
        const char *n = sts_warning_name((enum sts_warning)w);
        TAP_CHECK(sts_warning_from_name(n) == w, "warning name round trip", "%s", n);
        const char *fix = sts_warning_fix((enum sts_warning)w);
        TAP_CHECK(fix && strlen(fix) > 30, "warning fix text", "%s", n);
    }
    TAP_STR_EQ(sts_status_name(STS_STATUS_COUNT), "unknown", "out-of-range status name");
    TAP_STR_EQ(sts_category_name((enum sts_category) - 1), "unknown", "negative category name");
    TAP_CHECK(sts_category_from_name("nope") == -1 && sts_category_from_name(NULL) == -1,
              "unknown category name", "not -1");
    TAP_CHECK(sts_mode_name(STS_MODE_UNKNOWN) == NULL, "mode unknown has no name", "not NULL");
    TAP_STR_EQ(sts_mode_name(STS_MODE_TESTING), "testing", "mode name");
    TAP_STR_EQ(sts_readiness_name(STS_READY_TO_ENFORCE), "ready_to_enforce", "readiness name");
    TAP_STR_EQ(sts_dns_outcome_name(STS_DNS_NXDOMAIN), "nxdomain", "dns outcome name");
    TAP_STR_EQ(sts_tlsrpt_state_name(STS_TLSRPT_INVALID), "invalid", "tlsrpt state name");
    TAP_STR_EQ(sts_category_rfc8460_result(STS_CAT_CERT_EXPIRED), "sts-webpki-invalid",
               "rfc8460 cert_expired");
    TAP_STR_EQ(sts_category_rfc8460_result(STS_CAT_MX_NOT_COVERED), "validation-failure",
               "rfc8460 mx_not_covered");
    TAP_CHECK(sts_category_rfc8460_result(STS_CAT_NONE) == NULL, "rfc8460 none", "not NULL");
}

static void check_warning_lists(void)
{
    char buf[512];
    uint32_t all = (1u << STS_WARN_COUNT) - 1, back;
    sts_warnings_format(all, buf, sizeof buf);
    TAP_CHECK(strncmp(buf, "cert_expiring_soon,dane_and_sts_conflict,dane_failure,", 54) == 0,
              "warnings sorted", "got '%s'", buf);
    TAP_CHECK(sts_warnings_parse(buf, &back) && back == all, "warnings round trip", "got %x", back);
    size_t n = sts_warnings_format(all, buf, 30);
    TAP_CHECK(n == strlen(buf) && n < 30 && strcmp(buf, "cert_expiring_soon") == 0,
              "warnings truncated at a code boundary", "got '%s'", buf);
    sts_warnings_format(0, buf, sizeof buf);
    TAP_CHECK(buf[0] == '\0', "no warnings format empty", "got '%s'", buf);
    TAP_CHECK(sts_warnings_parse("", &back) && back == 0, "empty list parses", "%x", back);
    TAP_CHECK(!sts_warnings_parse("no_mx,bogus", &back), "unknown warning rejected", "accepted");
    TAP_CHECK(!sts_warnings_parse("no_mx,", &back), "trailing comma rejected", "accepted");
    TAP_CHECK(sts_warnings_parse("null_mx,no_mx", &back) &&
                  back == ((1u << STS_WARN_NULL_MX) | (1u << STS_WARN_NO_MX)),
              "two warnings parse", "%x", back);
}

static void check_diag_table(void)
{
    size_t n = sts_diag_code_count();
    for (size_t i = 0; i < n; i++) {
        const struct sts_diag_code_info *d = sts_diag_code_at(i);
        bool policy_or_txt = strncmp(d->code, "tlsrpt_", 7) != 0;
        TAP_CHECK(!d->is_error || !policy_or_txt || d->category != STS_CAT_NONE,
                  "diag error code has a category", "%s", d->code);
        TAP_CHECK(!(d->is_error && d->tolerance), "diag code is error or warning", "%s", d->code);
        size_t dups = 0;
        for (size_t j = i + 1; j < n; j++)
            dups += strcmp(d->code, sts_diag_code_at(j)->code) == 0;
        TAP_CHECK(dups == 0, "diag code unique", "%s listed %zu more times", d->code, dups);
        TAP_CHECK(sts_diag_code_lookup(d->code) == d, "diag code lookup", "%s", d->code);
    }
    TAP_CHECK(sts_diag_code_lookup("nope") == NULL && sts_diag_code_at(n) == NULL,
              "diag unknown code", "found");
    TAP_CHECK(sts_diag_code_category("policy_max_age_invalid") == STS_CAT_POLICY_MAX_AGE,
              "diag category mapping", "wrong");
}

int main(void)
{
    size_t n_diag = sts_diag_code_count();
    /* check_names: per status, category (fix and RFC 8460 result but for none), warning; 11
     * fixed; check_warning_lists: 8; check_diag_table: 4 per diag code, 2 fixed. */
    TAP_PLAN(STS_STATUS_COUNT + STS_CAT_COUNT + 2 * (STS_CAT_COUNT - 1) + 2 * STS_WARN_COUNT + 11 +
             8 + 4 * (int)n_diag + 2);
    check_names();
    check_warning_lists();
    check_diag_table();
    TAP_DONE();
}
