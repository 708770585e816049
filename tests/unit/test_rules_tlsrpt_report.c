/* Unit tests: the TLS-RPT report parser (RFC 8460 4) and the promotion gate. */
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "rules/tlsrpt_gate.h"
#include "rules/tlsrpt_report.h"
#include "tests/unit/tap.h"

#define N_CASES 49

static int parse(const char *json, struct tlsrpt_report *r, char *err, size_t errlen)
{
    return tlsrpt_report_parse(json, strlen(json), r, err, errlen);
}

static bool has_warning(const struct tlsrpt_report *r, const char *code)
{
    for (size_t i = 0; i < r->n_warnings; i++)
        if (!strcmp(r->warnings[i].code, code))
            return true;
    return false;
}

static const char rfc[] =
    "{\"organization-name\":\"Company-X\",\"date-range\":{\"start-datetime\":\"2016-04-01T00:00:"
    "00Z\",\"end-datetime\":\"2016-04-01T23:59:59Z\"},\"contact-info\":\"sts-reporting@company-x."
    "example\",\"report-id\":\"5065427c\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
    "\"policy-string\":[\"version: STSv1\",\"mode: testing\"],\"policy-domain\":\"company-y."
    "example\",\"mx-host\":\"*.mail.company-y.example\"},\"summary\":{\"total-successful-session-"
    "count\":5326,\"total-failure-session-count\":303},\"failure-details\":[{\"result-type\":"
    "\"certificate-expired\",\"sending-mta-ip\":\"2001:db8:abcd:0012::1\",\"receiving-mx-"
    "hostname\":\"mx1.mail.company-y.example\",\"failed-session-count\":100},{\"result-type\":"
    "\"starttls-not-supported\",\"receiving-ip\":\"203.0.113.56\",\"failed-session-count\":200},"
    "{\"result-type\":\"validation-failure\",\"failed-session-count\":3,\"failure-error-code\":"
    "\"X509_V_ERR_PROOF_OF_POSSESSION\"}]}]}";

static void test_rfc_example(void)
{
    struct tlsrpt_report r;
    char err[256] = "";
    int rc = parse(rfc, &r, err, sizeof err);
    TAP_CHECK(rc == 0, "the RFC 8460 example parses", "%s", err);
    if (rc)
        return;
    TAP_STR_EQ(r.organization_name, "Company-X", "organization-name");
    TAP_STR_EQ(r.report_id, "5065427c", "report-id");
    TAP_CHECK(
        r.has_start && r.start_time == 1459468800 && r.has_end && r.end_time == 1459468800 + 86399,
        "date-range in Unix seconds", "%lld %lld", (long long)r.start_time, (long long)r.end_time);
    const struct tlsrpt_policy *p = &r.policies[0];
    TAP_CHECK(r.n_policies == 1 && p->n_failures == 3 && p->total_successful.present &&
                  p->total_successful.v == 5326 && p->total_failure.v == 303,
              "policy summary and three failure details", "n %zu", r.n_policies);
    TAP_CHECK(p->n_mx_hosts == 1 && !strcmp(p->mx_hosts[0], "*.mail.company-y.example"),
              "mx-host given as one string is a list of one", "%zu", p->n_mx_hosts);
    TAP_CHECK(p->n_policy_strings == 2, "policy-string list", "%zu", p->n_policy_strings);
    TAP_STR_EQ(p->failures[2].failure_reason_code, "X509_V_ERR_PROOF_OF_POSSESSION",
               "failure-error-code (the RFC example's spelling) read as the reason code");
    TAP_CHECK(has_warning(&r, "reason_code_alias") && !has_warning(&r, "summary_detail_mismatch"),
              "the alias is warned, the sums agree", "%zu warnings", r.n_warnings);
    TAP_CHECK(p->failures[1].receiving_mx_hostname == NULL,
              "an absent field stays absent (never invented)", "%s",
              p->failures[1].receiving_mx_hostname);
    tlsrpt_report_free(&r);
}

static void test_datetimes(void)
{
    int64_t t = 0;
    TAP_CHECK(tlsrpt_parse_datetime("2026-11-26T00:00:00+02:00", &t) == 0 && t == 1795644000,
              "datetime with +02:00 offset is converted to UTC", "%lld", (long long)t);
    TAP_CHECK(tlsrpt_parse_datetime("2026-11-26T00:00:00.123Z", &t) == 0 && t == 1795651200,
              "datetime with a fraction", "%lld", (long long)t);
    TAP_CHECK(tlsrpt_parse_datetime("2026-11-24t00:00:00z", &t) == 0 && t == 1795478400,
              "lower-case t and z (RFC 3339 5.6)", "%lld", (long long)t);
    TAP_CHECK(tlsrpt_parse_datetime("2026-02-29T00:00:00Z", &t) < 0, "Feb 29 of a common year",
              "accepted");
    TAP_CHECK(tlsrpt_parse_datetime("2026-13-01T00:00:00Z", &t) < 0, "month 13", "accepted");
    TAP_CHECK(tlsrpt_parse_datetime("2026-11-26", &t) < 0, "a date without a time", "accepted");
    TAP_CHECK(tlsrpt_parse_datetime("2026-11-26T00:00:00", &t) < 0, "no time zone", "accepted");
}

static void test_rejected(void)
{
    struct tlsrpt_report r;
    char err[256];
    TAP_CHECK(parse("not json", &r, err, sizeof err) < 0 && strstr(err, "not JSON"),
              "not JSON is refused with the reason", "%s", err);
    TAP_CHECK(parse("[1,2]", &r, err, sizeof err) < 0 && strstr(err, "not an object"),
              "a JSON array is not a report", "%s", err);
    TAP_CHECK(parse("{\"organization-name\":\"x\"}", &r, err, sizeof err) < 0 &&
                  strstr(err, "policies"),
              "an object without policies is not a report", "%s", err);
    TAP_CHECK(parse("{\"policies\":[],\"policies\":[]}", &r, err, sizeof err) < 0,
              "duplicate keys are refused (ambiguous)", "%s", err);
    struct sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"policies\":");
    for (int i = 0; i < TLSRPT_MAX_DEPTH; i++)
        sbuf_putc(&b, '[');
    for (int i = 0; i < TLSRPT_MAX_DEPTH; i++)
        sbuf_putc(&b, ']');
    sbuf_putc(&b, '}');
    TAP_CHECK(parse(sbuf_str(&b), &r, err, sizeof err) < 0 && strstr(err, "nested deeper"),
              "nesting one over the cap is refused before parsing", "%s", err);
    sbuf_reset(&b);
    sbuf_puts(&b, "{\"policies\":[{\"policy\":{\"mx-host\":[");
    for (int i = 0; i <= TLSRPT_MAX_LIST; i++)
        sbuf_printf(&b, "%s\"m\"", i ? "," : "");
    sbuf_puts(&b, "]}}]}");
    TAP_CHECK(parse(sbuf_str(&b), &r, err, sizeof err) < 0 && strstr(err, "entries"),
              "a list over the cap refuses the report (never stored cut)", "%s", err);
    sbuf_free(&b);
}

static void test_counts_and_strings(void)
{
    struct tlsrpt_report r;
    char err[256] = "";
    const char *j = "{\"organization-name\":\"\",\"report-id\":\"a\\u0000b\",\"policies\":[{"
                    "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"x.example\"},"
                    "\"summary\":{\"total-successful-session-count\":9007199254740991,"
                    "\"total-failure-session-count\":9007199254740992},\"failure-details\":[{"
                    "\"result-type\":\"x\",\"failed-session-count\":-1},{\"result-type\":"
                    "\"starttls-not-supported\",\"failed-session-count\":1.5},{\"result-type\":"
                    "\"starttls-not-supported\",\"failed-session-count\":\"7\"}]}]}";
    int rc = parse(j, &r, err, sizeof err);
    TAP_CHECK(rc == 0, "a report with bad counts is kept", "%s", err);
    if (rc)
        return;
    const struct tlsrpt_policy *p = &r.policies[0];
    TAP_CHECK(p->total_successful.present && p->total_successful.v == 9007199254740991LL,
              "2^53-1 is kept", "%lld", (long long)p->total_successful.v);
    TAP_CHECK(!p->total_failure.present && has_warning(&r, "count_too_large"),
              "2^53 is refused with count_too_large", "present %d", p->total_failure.present);
    TAP_CHECK(!p->failures[0].failed_session_count.present && has_warning(&r, "count_negative"),
              "a negative count is refused", "%d", p->failures[0].failed_session_count.present);
    TAP_CHECK(!p->failures[1].failed_session_count.present && has_warning(&r, "count_not_integer"),
              "1.5 sessions is refused", "%d", p->failures[1].failed_session_count.present);
    TAP_CHECK(!p->failures[2].failed_session_count.present && has_warning(&r, "count_not_number"),
              "a count given as a string is refused", "%d",
              p->failures[2].failed_session_count.present);
    TAP_CHECK(has_warning(&r, "unknown_result_type"), "an unknown result type is warned", "%zu",
              r.n_warnings);
    TAP_CHECK(r.organization_name == NULL && has_warning(&r, "empty_strings") &&
                  has_warning(&r, "missing_field"),
              "an empty organization-name is absent, with warnings", "%s", r.organization_name);
    TAP_STR_EQ(r.report_id,
               "a\xef\xbf\xbd"
               "b",
               "a NUL byte in a string becomes U+FFFD");
    char *wj = tlsrpt_warnings_json(&r);
    TAP_CHECK(wj && wj[0] == '[' && strstr(wj, "\"code\":\"count_negative\""),
              "warnings as a JSON list", "%s", wj);
    free(wj);
    tlsrpt_report_free(&r);

    struct sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"policies\":[],\"contact-info\":\"");
    for (int i = 0; i <= TLSRPT_MAX_STRING; i++)
        sbuf_putc(&b, 'a');
    sbuf_puts(&b, "\",\"date-range\":{\"start-datetime\":\"2026-01-02T00:00:00Z\","
                  "\"end-datetime\":\"2026-01-01T00:00:00Z\"}}");
    rc = parse(sbuf_str(&b), &r, err, sizeof err);
    TAP_CHECK(rc == 0 && r.contact_info == NULL && has_warning(&r, "string_too_long"),
              "a string over the cap is dropped with a warning", "%s", err);
    TAP_CHECK(rc == 0 && has_warning(&r, "dates_out_of_order") && has_warning(&r, "no_policies"),
              "dates out of order and an empty policies list are warned", "%zu", r.n_warnings);
    if (rc == 0)
        tlsrpt_report_free(&r);
    sbuf_free(&b);
}

static void test_mismatch(void)
{
    struct tlsrpt_report r;
    char err[256] = "";
    const char *j = "{\"policies\":[{\"summary\":{\"total-failure-session-count\":10},"
                    "\"failure-details\":[{\"result-type\":\"certificate-expired\","
                    "\"failed-session-count\":4}]},{\"summary\":{\"total-failure-session-count\":"
                    "5}}]}";
    int rc = parse(j, &r, err, sizeof err);
    TAP_CHECK(rc == 0 && has_warning(&r, "summary_detail_mismatch") &&
                  has_warning(&r, "failures_without_details"),
              "summary/detail disagreement and failures without details are warned", "%s", err);
    TAP_CHECK(rc == 0 && r.policies[0].total_failure.v == 10 &&
                  r.policies[0].failures[0].failed_session_count.v == 4,
              "both figures are kept as reported", "%s", err);
    if (rc == 0)
        tlsrpt_report_free(&r);
}

static void test_gate(void)
{
    struct tlsrpt_gate_result g;
    const int64_t today = 20000;
    struct tlsrpt_gate_report reps[20];
    for (int i = 0; i < 14; i++)
        reps[i].day = today - 1 - i;
    tlsrpt_gate_decide(NULL, 0, NULL, 0, 14, today, &g);
    TAP_CHECK(g.verdict == TLSRPT_GATE_NO_REPORTS, "no reports: no verdict", "%d", g.verdict);
    tlsrpt_gate_decide(reps, 14, NULL, 0, 14, today, &g);
    TAP_CHECK(g.verdict == TLSRPT_GATE_CLEAN && g.days_covered == 14, "14 clean days: clean",
              "%s %d", tlsrpt_gate_verdict_name(g.verdict), g.days_covered);
    tlsrpt_gate_decide(reps, 13, NULL, 0, 14, today, &g);
    TAP_CHECK(g.verdict == TLSRPT_GATE_INCOMPLETE && g.days_covered == 13,
              "13 days of 14: incomplete", "%s", tlsrpt_gate_verdict_name(g.verdict));
    struct tlsrpt_gate_report old[14];
    for (int i = 0; i < 14; i++)
        old[i].day = today - 10 - i;
    tlsrpt_gate_decide(old, 14, NULL, 0, 14, today, &g);
    TAP_CHECK(g.verdict == TLSRPT_GATE_STALE, "latest report 10 days old: stale", "%s",
              tlsrpt_gate_verdict_name(g.verdict));
    struct tlsrpt_gate_failure f[4] = {
        {today - 3, "tlsa-invalid", "R1", "mx1", 50},         /* not an MTA-STS blocker */
        {today - 30, "certificate-expired", "R1", "mx1", 99}, /* outside the window */
        {today - 2, "certificate-host-mismatch", "Google LLC", "mx2.example.com", 7},
        {today - 5, "sts-policy-fetch-error", "Microsoft Corporation", NULL, 3}};
    tlsrpt_gate_decide(reps, 14, f, 2, 14, today, &g);
    TAP_CHECK(g.verdict == TLSRPT_GATE_CLEAN, "non-blocking types and old failures do not block",
              "%s", tlsrpt_gate_verdict_name(g.verdict));
    tlsrpt_gate_decide(reps, 14, f, 4, 14, today, &g);
    TAP_CHECK(g.verdict == TLSRPT_GATE_FAILURES && g.worst == &f[2] && g.blocking_sessions == 10,
              "blocking failures name the worst type, reporter and MX", "%s %lld",
              tlsrpt_gate_verdict_name(g.verdict), (long long)g.blocking_sessions);
    char why[512];
    tlsrpt_gate_describe(&g, why, sizeof why);
    TAP_CHECK(strstr(why, "certificate-host-mismatch") && strstr(why, "Google LLC") &&
                  strstr(why, "mx2.example.com"),
              "the reason names result type, reporter and MX host", "%s", why);
    TAP_CHECK(tlsrpt_gate_blocking_type("STARTTLS-NOT-SUPPORTED") &&
                  tlsrpt_gate_blocking_type("sts-webpki-invalid") &&
                  !tlsrpt_gate_blocking_type("dane-required") && !tlsrpt_gate_blocking_type(NULL),
              "blocking result types", "x");
    TAP_STR_EQ(tlsrpt_gate_readiness("ready_to_enforce", TLSRPT_GATE_INCOMPLETE), "not_ready",
               "ready_to_enforce needs a clean window");
    TAP_STR_EQ(tlsrpt_gate_readiness("ready_to_enforce", TLSRPT_GATE_CLEAN), "ready_to_enforce",
               "a clean window keeps ready_to_enforce");
    TAP_STR_EQ(tlsrpt_gate_readiness("enforcing", TLSRPT_GATE_FAILURES), "enforcing_with_failures",
               "enforcing with blocking failures is flagged");
    TAP_STR_EQ(tlsrpt_gate_readiness("ready_to_enforce", TLSRPT_GATE_NO_REPORTS),
               "ready_to_enforce", "without reports the scan's readiness stands");
}

int main(void)
{
    printf("1..%d\n", N_CASES);
    test_rfc_example();
    test_datetimes();
    test_rejected();
    test_counts_and_strings();
    test_mismatch();
    test_gate();
    TAP_DONE();
}
