/* The classifier: the one place observations become status, category, warnings, verdicts. */
#include "rules/sts_classify.h"

#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/sts_classify_mx.h"
#include "rules/sts_mx.h"

#define WARN(w) (1u << (w))

/* Warnings that block promotion from testing to enforce. */
#define READINESS_BLOCKERS                                                                         \
    (WARN(STS_WARN_TLSRPT_MISSING) | WARN(STS_WARN_TLSRPT_INVALID) |                               \
     WARN(STS_WARN_MAX_AGE_SHORT) | WARN(STS_WARN_CERT_EXPIRING_SOON) |                            \
     WARN(STS_WARN_TESTING_WITHOUT_TLSRPT) | WARN(STS_WARN_MODE_NONE) | MX_BLOCKERS)

/* Delivery-side warnings that block promotion: a reached MX host that is not smtp_ok, or
 * whose certificate expires within 14 days (docs/taxonomy.md). */
#define MX_BLOCKERS                                                                                \
    (WARN(STS_WARN_MX_TLS_INVALID) | WARN(STS_WARN_MX_TLS_OLD) |                                   \
     WARN(STS_WARN_MX_CERT_EXPIRING_SOON))

static bool dns_absent(enum sts_dns_outcome o)
{
    return o == STS_DNS_NXDOMAIN || o == STS_DNS_NODATA;
}

/* An answer we can draw conclusions from: records, or none (NODATA / NXDOMAIN). */
static bool dns_known(enum sts_dns_outcome o)
{
    return o == STS_DNS_OK || dns_absent(o);
}

static bool is_null_mx_host(const char *h)
{
    return !h || h[0] == '\0' || strcmp(h, ".") == 0;
}

/* The certificate category when the policy host's certificate failed verification. */
static enum sts_category cert_failure(const struct sts_observation *obs)
{
    enum sts_category cat = sts_cert_problem(&obs->cert, obs->now);
    return cat == STS_CAT_NONE ? STS_CAT_CERT_OTHER : cat;
}

/* True when the media type is text/plain (parameters allowed, case-insensitive). */
static bool content_type_ok(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

static void set_detail(struct sts_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_detail(struct sts_verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
}

/* Parses the body when one was received with status 200; records it in the verdict. */
static void parse_body(const struct sts_observation *obs, struct sts_verdict *v)
{
    if (!obs->body || obs->https != STS_HTTPS_OK || obs->http_status != 200)
        return;
    sts_policy_parse(obs->body, obs->body_len, &v->policy);
    v->policy_parsed = true;
}

/* MX coverage: per host pattern index, and whether every (non-null) host is covered. */
static void compute_coverage(const struct sts_observation *obs, struct sts_verdict *v)
{
    v->mx_covered = -1;
    if (obs->mx_outcome == STS_DNS_OK && obs->n_mx > 0) {
        v->mx_pattern = calloc(obs->n_mx, sizeof *v->mx_pattern);
        if (v->mx_pattern)
            v->n_mx = obs->n_mx;
        for (size_t i = 0; i < obs->n_mx; i++)
            if (is_null_mx_host(obs->mx[i].host))
                v->null_mx = true;
    }
    if (!v->policy_parsed)
        return;
    const char *const *pats = (const char *const *)v->policy.mx;
    bool all = true;
    for (size_t i = 0; i < v->n_mx; i++) {
        const char *h = obs->mx[i].host;
        v->mx_pattern[i] = is_null_mx_host(h) ? -1 : sts_mx_find_pattern(pats, v->policy.n_mx, h);
        if (!is_null_mx_host(h) && v->mx_pattern[i] < 0)
            all = false;
    }
    /* Coverage is a fact about a policy senders would apply: valid, enforce or testing. */
    if (!v->policy.valid ||
        (v->policy.mode != STS_MODE_ENFORCE && v->policy.mode != STS_MODE_TESTING))
        return;
    if (obs->mx_outcome == STS_DNS_OK && obs->n_mx > 0 && !v->mx_pattern)
        return; /* out of memory: unknown */
    if (obs->mx_outcome == STS_DNS_OK || dns_absent(obs->mx_outcome))
        v->mx_covered = all ? 1 : 0;
}

/* The first category that applies after the TXT checks, in pipeline order. Returns
 * STS_CAT_NONE when the deployment is valid; sets *undecided when the observations stop
 * before a verdict (addresses unresolved, fetch not attempted). */
static enum sts_category fetch_category(const struct sts_observation *obs, struct sts_verdict *v,
                                        bool *undecided)
{
    *undecided = false;
    bool asked = obs->a_outcome != STS_DNS_NOT_ASKED || obs->aaaa_outcome != STS_DNS_NOT_ASKED;
    if (asked && obs->n_addrs == 0) {
        if (dns_absent(obs->a_outcome) && dns_absent(obs->aaaa_outcome))
            return STS_CAT_POLICY_HOST_NO_ADDRESS;
        *undecided = true;
        return STS_CAT_NONE;
    }
    if (obs->n_addrs > 0 && obs->n_addrs_refused >= obs->n_addrs)
        return STS_CAT_POLICY_HOST_PRIVATE_ADDRESS;
    switch (obs->https) {
    case STS_HTTPS_NOT_ATTEMPTED:
        *undecided = true;
        return STS_CAT_NONE;
    case STS_HTTPS_CONNECT_FAILED:
        return STS_CAT_HTTPS_CONNECT_FAILED;
    case STS_HTTPS_TIMEOUT:
        return STS_CAT_HTTPS_TIMEOUT;
    case STS_HTTPS_TLS_FAILED:
        return STS_CAT_TLS_HANDSHAKE_FAILED;
    case STS_HTTPS_CERT_FAILED:
        return cert_failure(obs);
    case STS_HTTPS_PROTOCOL_ERROR:
        return STS_CAT_HTTP_STATUS;
    case STS_HTTPS_OK:
    case STS_HTTPS_BODY_TOO_LARGE:
        break;
    }
    if (obs->cert.present && (obs->cert.verify_code != X509_V_OK || !obs->cert.name_matches))
        return cert_failure(obs);
    if (obs->https == STS_HTTPS_BODY_TOO_LARGE && obs->http_status == 0)
        return STS_CAT_BODY_TOO_LARGE; /* the transfer was cut before a status was kept */
    if (obs->http_status >= 300 && obs->http_status <= 399)
        return STS_CAT_HTTP_REDIRECT;
    if (obs->http_status != 200)
        return STS_CAT_HTTP_STATUS;
    if (!content_type_ok(obs->content_type))
        return STS_CAT_CONTENT_TYPE;
    if (obs->https == STS_HTTPS_BODY_TOO_LARGE || obs->body_len > STS_POLICY_MAX_BYTES)
        return STS_CAT_BODY_TOO_LARGE;
    if (!v->policy_parsed) {
        sts_policy_parse("", 0, &v->policy); /* no body: an empty policy */
        v->policy_parsed = true;
    }
    if (!v->policy.valid)
        return v->policy.category;
    if (v->mx_covered == 0)
        return STS_CAT_MX_NOT_COVERED;
    return STS_CAT_NONE;
}

static bool cert_verified(const struct sts_observation *obs)
{
    return (obs->https == STS_HTTPS_OK || obs->https == STS_HTTPS_BODY_TOO_LARGE) &&
           obs->cert.present && obs->cert.verify_code == X509_V_OK && obs->cert.name_matches;
}

/* Warnings about a deployment (a domain with a v=STSv1 record). */
static uint32_t deployment_warnings(const struct sts_observation *obs, struct sts_verdict *v)
{
    uint32_t w = 0;
    const struct sts_policy *p = &v->policy;
    if (v->policy_parsed) {
        if (p->lf_line_endings)
            w |= WARN(STS_WARN_LF_LINE_ENDINGS);
        if (p->has_max_age && p->max_age < 86400)
            w |= WARN(STS_WARN_MAX_AGE_SHORT);
        if (p->mode == STS_MODE_NONE)
            w |= WARN(STS_WARN_MODE_NONE);
    }
    if (dns_known(obs->tlsrpt_outcome)) {
        if (v->tlsrpt_state == STS_TLSRPT_NONE)
            w |= WARN(STS_WARN_TLSRPT_MISSING);
        else if (v->tlsrpt_state == STS_TLSRPT_INVALID)
            w |= WARN(STS_WARN_TLSRPT_INVALID);
        if (v->policy_parsed && p->mode == STS_MODE_TESTING && v->tlsrpt_state != STS_TLSRPT_VALID)
            w |= WARN(STS_WARN_TESTING_WITHOUT_TLSRPT);
    }
    if (cert_verified(obs) && obs->cert.not_after > 0 &&
        obs->cert.not_after - obs->now <= STS_CERT_EXPIRING_SOON_SECONDS)
        w |= WARN(STS_WARN_CERT_EXPIRING_SOON);
    if (obs->mx_outcome == STS_DNS_NODATA)
        w |= WARN(STS_WARN_NO_MX);
    if (v->null_mx)
        w |= WARN(STS_WARN_NULL_MX);
    bool real_hosts = false;
    for (size_t i = 0; i < v->n_mx; i++)
        if (!is_null_mx_host(obs->mx[i].host))
            real_hosts = true;
    if (v->policy_parsed && real_hosts && !v->null_mx) {
        for (size_t j = 0; j < p->n_mx; j++) {
            bool used = false;
            for (size_t i = 0; i < v->n_mx && !used; i++)
                used = v->mx_pattern[i] == (int)j;
            if (!used)
                w |= WARN(STS_WARN_MX_PATTERN_UNUSED);
        }
    }
    return w;
}

static bool apex_has_sts(const struct sts_observation *obs)
{
    if (obs->apex_outcome != STS_DNS_OK)
        return false;
    for (size_t i = 0; i < obs->n_apex; i++)
        if (obs->apex[i].data && sts_txt_is_version_record(obs->apex[i].data, obs->apex[i].len))
            return true;
    return false;
}

static void decide_readiness(struct sts_verdict *v, bool has_record)
{
    v->readiness_warnings = 0;
    if (!has_record) {
        v->readiness = STS_READY_NA;
        return;
    }
    if (v->status == STS_STATUS_VALID && v->policy.mode == STS_MODE_ENFORCE) {
        v->readiness = STS_READY_ENFORCING;
        return;
    }
    v->readiness_warnings = v->warnings & READINESS_BLOCKERS;
    if (v->status == STS_STATUS_VALID && v->policy.mode == STS_MODE_TESTING && v->mx_covered == 1 &&
        v->tlsrpt_state == STS_TLSRPT_VALID && v->policy.has_max_age &&
        v->policy.max_age >= 86400 && !(v->warnings & WARN(STS_WARN_CERT_EXPIRING_SOON)) &&
        !(v->warnings & MX_BLOCKERS)) {
        v->readiness = STS_READY_TO_ENFORCE;
        return;
    }
    v->readiness = STS_READY_NOT_READY;
}

static const char *first_message(const struct sts_diags *d)
{
    return d->n > 0 ? d->items[0].message : "";
}

/* The policy error that decided the category: its line and message. */
static const struct sts_diag *policy_error_for(const struct sts_policy *p)
{
    for (size_t i = 0; i < p->errors.n; i++)
        if (sts_diag_code_category(p->errors.items[i].code) == p->category)
            return &p->errors.items[i];
    return p->errors.n > 0 ? &p->errors.items[0] : NULL;
}

static void describe_invalid(const struct sts_observation *obs, struct sts_verdict *v)
{
    const char *d = obs->domain ? obs->domain : "";
    const struct sts_diag *e;
    switch (v->category) {
    case STS_CAT_TXT_SYNTAX:
    case STS_CAT_TXT_MULTIPLE:
        set_detail(v, "_mta-sts.%s: %s", d, first_message(&v->txt.errors));
        return;
    case STS_CAT_POLICY_HOST_NO_ADDRESS:
        set_detail(v, "mta-sts.%s has no A or AAAA record", d);
        return;
    case STS_CAT_POLICY_HOST_PRIVATE_ADDRESS:
        set_detail(v, "every address of mta-sts.%s (%zu) is private or reserved", d, obs->n_addrs);
        return;
    case STS_CAT_HTTPS_CONNECT_FAILED:
        set_detail(v, "no address of mta-sts.%s accepted a connection on port 443", d);
        return;
    case STS_CAT_HTTPS_TIMEOUT:
        set_detail(v, "fetching the policy from mta-sts.%s timed out", d);
        return;
    case STS_CAT_TLS_HANDSHAKE_FAILED:
        set_detail(v, "TLS handshake with mta-sts.%s failed", d);
        return;
    case STS_CAT_HTTP_REDIRECT:
    case STS_CAT_HTTP_STATUS:
        set_detail(v, "policy fetch answered HTTP %ld (200 required, redirects not followed)",
                   obs->http_status);
        return;
    case STS_CAT_CONTENT_TYPE:
        set_detail(v, "policy served as '%.120s', not text/plain",
                   obs->content_type ? obs->content_type : "(no Content-Type)");
        return;
    case STS_CAT_BODY_TOO_LARGE:
        set_detail(v, "policy body over %d bytes", STS_POLICY_MAX_BYTES);
        return;
    case STS_CAT_MX_NOT_COVERED:
        for (size_t i = 0; i < v->n_mx; i++) {
            if (v->mx_pattern[i] < 0 && !is_null_mx_host(obs->mx[i].host)) {
                set_detail(v, "MX host %.200s matches no mx pattern of the policy",
                           obs->mx[i].host);
                return;
            }
        }
        set_detail(v, "an MX host matches no mx pattern of the policy");
        return;
    default:
        break;
    }
    if (sts_category_is_cert(v->category)) {
        set_detail(v, "certificate of mta-sts.%s: %s (OpenSSL verify code %d)", d,
                   sts_category_name(v->category), obs->cert.verify_code);
        return;
    }
    e = policy_error_for(&v->policy);
    if (e && e->line)
        set_detail(v, "policy line %u: %s", e->line, e->message);
    else
        set_detail(v, "policy: %s", e ? e->message : sts_category_name(v->category));
}

static void describe(const struct sts_observation *obs, struct sts_verdict *v)
{
    const char *d = obs->domain ? obs->domain : "";
    switch (v->status) {
    case STS_STATUS_DOMAIN_NXDOMAIN:
        set_detail(v, "%s does not exist (NXDOMAIN)", d);
        return;
    case STS_STATUS_DNS_ERROR:
        if (sts_dns_outcome_failed(obs->txt_outcome) || obs->txt_outcome == STS_DNS_NOT_ASKED)
            set_detail(v, "TXT lookup of _mta-sts.%s: %s", d,
                       sts_dns_outcome_name(obs->txt_outcome));
        else if (obs->https == STS_HTTPS_NOT_ATTEMPTED && obs->n_addrs > 0)
            set_detail(v, "the policy of %s was not fetched", d);
        else
            set_detail(v, "address lookup of mta-sts.%s: A %s, AAAA %s", d,
                       sts_dns_outcome_name(obs->a_outcome),
                       sts_dns_outcome_name(obs->aaaa_outcome));
        return;
    case STS_STATUS_NO_POLICY:
        set_detail(v, "no v=STSv1 TXT record at _mta-sts.%s", d);
        return;
    case STS_STATUS_VALID:
        set_detail(v, "mode %s, max_age %lld, %zu mx pattern%s%s",
                   sts_mode_name(v->policy.mode) ? sts_mode_name(v->policy.mode) : "?",
                   v->policy.max_age, v->policy.n_mx, v->policy.n_mx == 1 ? "" : "s",
                   v->mx_covered == 1    ? ", every MX covered"
                   : v->mx_covered == -1 ? ", MX coverage unknown"
                                         : "");
        return;
    case STS_STATUS_INVALID:
        describe_invalid(obs, v);
        return;
    case STS_STATUS_COUNT:
        break;
    }
}

/* Without a v=STSv1 record: status no_policy, nxdomain or dns_error; probes still noted. */
static void classify_without_record(const struct sts_observation *obs, struct sts_verdict *v)
{
    if (obs->mx_outcome == STS_DNS_NXDOMAIN && dns_absent(obs->txt_outcome))
        v->status = STS_STATUS_DOMAIN_NXDOMAIN;
    else if (sts_dns_outcome_failed(obs->txt_outcome) || obs->txt_outcome == STS_DNS_NOT_ASKED)
        v->status = STS_STATUS_DNS_ERROR;
    else
        v->status = STS_STATUS_NO_POLICY;
    if (apex_has_sts(obs))
        v->warnings |= WARN(STS_WARN_TXT_AT_APEX);
    if (v->status == STS_STATUS_NO_POLICY && v->policy_parsed && v->policy.valid)
        v->warnings |= WARN(STS_WARN_POLICY_WITHOUT_TXT);
}

void sts_classify(const struct sts_observation *obs, struct sts_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->mx_covered = -1;
    if (obs->txt_outcome == STS_DNS_OK)
        sts_txt_evaluate(obs->txt, obs->n_txt, &out->txt);
    else
        sts_txt_evaluate(NULL, 0, &out->txt);
    sts_tlsrpt_evaluate(obs->tlsrpt_outcome == STS_DNS_OK ? obs->tlsrpt : NULL,
                        obs->tlsrpt_outcome == STS_DNS_OK ? obs->n_tlsrpt : 0, &out->tlsrpt);
    out->tlsrpt_state = sts_tlsrpt_state_of(&out->tlsrpt);
    parse_body(obs, out);
    compute_coverage(obs, out);

    bool has_record = out->txt.n_version_records > 0;
    if (!has_record) {
        classify_without_record(obs, out);
        sts_classify_delivery(obs, out, false);
        decide_readiness(out, false);
        describe(obs, out);
        return;
    }
    bool undecided = false;
    if (sts_dns_outcome_failed(obs->txt_outcome)) {
        out->status = STS_STATUS_DNS_ERROR;
    } else if (out->txt.category != STS_CAT_NONE) {
        out->status = STS_STATUS_INVALID;
        out->category = out->txt.category;
    } else {
        enum sts_category cat = fetch_category(obs, out, &undecided);
        if (undecided)
            out->status = STS_STATUS_DNS_ERROR;
        else if (cat != STS_CAT_NONE)
            out->status = STS_STATUS_INVALID;
        else
            out->status = STS_STATUS_VALID;
        out->category = undecided ? STS_CAT_NONE : cat;
    }
    /* The address lookups failing outright is a DNS error whatever the TXT record said. */
    if (obs->n_addrs == 0 && sts_dns_outcome_failed(obs->a_outcome) &&
        sts_dns_outcome_failed(obs->aaaa_outcome)) {
        out->status = STS_STATUS_DNS_ERROR;
        out->category = STS_CAT_NONE;
    }
    /* A body that failed a fetch-stage check (wrong content type, ...) is not a policy in
     * force: senders discard it, so coverage is not a fact about this deployment. */
    if (sts_category_is_fetch_stage(out->category))
        out->mx_covered = -1;
    out->warnings = deployment_warnings(obs, out);
    if (apex_has_sts(obs))
        out->warnings |= WARN(STS_WARN_TXT_AT_APEX);
    out->valid_lenient = out->status == STS_STATUS_VALID;
    out->valid_strict = out->valid_lenient && out->txt.strict_ok && out->policy.strict_ok;
    sts_classify_delivery(obs, out, true);
    out->would_fail_delivery = sts_classify_would_fail(out);
    decide_readiness(out, true);
    describe(obs, out);
}

void sts_verdict_free(struct sts_verdict *v)
{
    if (!v)
        return;
    sts_policy_free(&v->policy);
    free(v->mx_pattern);
    v->mx_pattern = NULL;
    v->n_mx = 0;
}
