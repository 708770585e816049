/* Evaluating one `mtasts check` verdict layer by layer, and the exit status it gives. */
#include "scanner/commands/check_eval.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scanner/commands/check_mx.h"
#include "scanner/commands/check_text.h"

#define WARN_BIT(w) (1u << (w))

static const char *const layer_keys[CHECK_LAYER_COUNT] = {"dns",      "fetch",  "parse",    "mx",
                                                          "delivery", "tlsrpt", "readiness"};
static const char *const layer_titles[CHECK_LAYER_COUNT] = {
    "DNS record",   "Policy fetch", "Policy parse", "MX coverage",
    "MX transport", "TLS-RPT",      "Readiness"};
static const char *const state_names[] = {"pass", "warn", "fail", "skip"};

const char *check_layer_key(enum check_layer_id id)
{
    return (unsigned)id < CHECK_LAYER_COUNT ? layer_keys[id] : "unknown";
}

const char *check_layer_title(enum check_layer_id id)
{
    return (unsigned)id < CHECK_LAYER_COUNT ? layer_titles[id] : "unknown";
}

const char *check_state_name(enum check_state s)
{
    return (unsigned)s <= CHECK_SKIP ? state_names[s] : "unknown";
}

/* A suggested policy id: the scan time as YYYYMMDDhhmmss (what `mtasts generate` uses). */
static void suggest_id(char *out, size_t len, int64_t now)
{
    time_t tt = (time_t)now;
    struct tm tm;
    if (now <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, len, "%Y%m%d%H%M%S", &tm))
        snprintf(out, len, "20240101000000");
}

static bool has_record(const struct sts_verdict *v)
{
    return v->txt.n_version_records > 0;
}

const char *check_result_domain(const struct sts_result *r)
{
    if (r->domain)
        return r->domain;
    return r->obs && r->obs->domain ? r->obs->domain : "";
}

/* ---- The layers ------------------------------------------------------------------------ */

static void layer_dns(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = check_result_domain(r);
    char id[32];
    suggest_id(id, sizeof id, o->now);
    if (v->status == STS_STATUS_DOMAIN_NXDOMAIN) {
        l->state = CHECK_FAIL;
        check_text_add(l->observed,
                       "%s does not exist (NXDOMAIN for its MX and _mta-sts TXT lookups)", d);
        check_text_add(l->fix,
                       "Check the spelling of the domain; a name that does not exist receives no "
                       "mail.");
        return;
    }
    if (sts_dns_outcome_failed(o->txt_outcome) || o->txt_outcome == STS_DNS_NOT_ASKED) {
        l->state = CHECK_FAIL;
        check_text_add(l->observed, "TXT lookup of _mta-sts.%s: %s", d,
                       sts_dns_outcome_name(o->txt_outcome));
        check_text_add(
            l->fix,
            "Make the name servers of %s answer for _mta-sts.%s (the lookup ended in %s), then "
            "check again.",
            d, d, sts_dns_outcome_name(o->txt_outcome));
        return;
    }
    size_t n = o->txt_outcome == STS_DNS_OK ? o->n_txt : 0;
    if (!has_record(v)) {
        l->state = CHECK_FAIL;
        check_text_add(l->observed, "no TXT record at _mta-sts.%s begins with v=STSv1 (%s", d,
                       sts_dns_outcome_name(o->txt_outcome));
        check_text_add(l->observed, n ? ", %zu other record%s)" : ")", n, n == 1 ? "" : "s");
        check_text_add(
            l->fix,
            "Publish the TXT record _mta-sts.%s \"v=STSv1; id=%s;\" and serve the policy at "
            "https://mta-sts.%s/.well-known/mta-sts.txt (`mtasts generate` writes both).",
            d, id, d);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!o->txt[i].data || !sts_txt_is_version_record(o->txt[i].data, o->txt[i].len))
                continue;
            if (l->observed[0])
                check_text_add(l->observed, "\n");
            check_text_add(l->observed, "\"");
            check_text_remote(l->observed, o->txt[i].data, o->txt[i].len, 200);
            check_text_add(l->observed, "\"");
        }
        if (v->txt.category != STS_CAT_NONE) {
            l->state = CHECK_FAIL;
            check_text_diags(l->observed, &v->txt.errors, 3);
            check_text_fix(l->fix, sts_category_fix(v->txt.category), d);
            if (v->txt.category == STS_CAT_TXT_SYNTAX)
                check_text_add(l->fix, " For example: \"v=STSv1; id=%s;\".", id);
        } else if (!v->txt.strict_ok) {
            l->state = CHECK_WARN;
            check_text_add(l->observed,
                           "\nid %s; accepted, but not to the letter of RFC 8461:", v->txt.id);
            check_text_diags(l->observed, &v->txt.warnings, 3);
            check_text_add(l->fix, "Rewrite the record as \"v=STSv1; id=%s;\" exactly.", v->txt.id);
        } else {
            l->state = CHECK_PASS;
            check_text_add(l->observed, "\nid %s", v->txt.id);
        }
    }
    if (v->warnings & WARN_BIT(STS_WARN_TXT_AT_APEX)) {
        if (l->state == CHECK_PASS)
            l->state = CHECK_WARN;
        check_text_add(l->observed, "\na v=STSv1 record is also published at %s itself", d);
        check_text_fix(l->fix, sts_warning_fix(STS_WARN_TXT_AT_APEX), d);
    }
}

static void add_fetch_facts(const struct sts_result *r, char *buf)
{
    const struct sts_observation *o = r->obs;
    if (r->n_addrs) {
        check_text_add(buf, "\nmta-sts.%s: ", check_result_domain(r));
        for (size_t i = 0; i < r->n_addrs && i < 8; i++) {
            check_text_add(buf, "%s", i ? ", " : "");
            check_text_remote_str(buf, r->addrs[i]);
        }
        if (o->n_addrs_refused)
            check_text_add(buf, " (%zu refused by the address policy)", o->n_addrs_refused);
    }
    if (r->host_cname) {
        check_text_add(buf, "\nCNAME ");
        check_text_remote_str(buf, r->host_cname);
    }
    if (o->https == STS_HTTPS_NOT_ATTEMPTED)
        return;
    if (r->https_addr) {
        check_text_add(buf, "\nconnected to ");
        check_text_remote_str(buf, r->https_addr);
        if (r->tls_version)
            check_text_add(buf, ", %s", r->tls_version);
    }
    if (o->cert.present) {
        check_text_add(buf, "\ncertificate: issuer ");
        check_text_remote_str(buf, o->cert.issuer);
        check_text_add(buf, ", valid until ");
        check_text_date(buf, o->cert.not_after);
        check_text_add(buf, ", %s mta-sts.%s", o->cert.name_matches ? "covers" : "does NOT cover",
                       check_result_domain(r));
        if (o->cert.verify_code) {
            check_text_add(buf, ", verify error %d", o->cert.verify_code);
            if (r->cert_verify_text) {
                check_text_add(buf, " (");
                check_text_remote_str(buf, r->cert_verify_text);
                check_text_add(buf, ")");
            }
        }
    }
    if (o->http_status) {
        check_text_add(buf, "\nHTTP %ld", o->http_status);
        check_text_add(buf, ", Content-Type ");
        if (o->content_type)
            check_text_remote_str(buf, o->content_type);
        else
            check_text_add(buf, "(none)");
        if (o->body)
            check_text_add(buf, ", %zu bytes", o->body_len);
    }
    if (r->policy_http_server) {
        check_text_add(buf, "\nServer: ");
        check_text_remote_str(buf, r->policy_http_server);
    }
    if (r->location) {
        check_text_add(buf, "\nLocation: ");
        check_text_remote_str(buf, r->location);
    }
    if (r->https_error && r->https_error[0]) {
        check_text_add(buf, "\nerror: ");
        check_text_remote_str(buf, r->https_error);
    }
}

static void layer_fetch(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = check_result_domain(r);
    bool orphan = v->warnings & WARN_BIT(STS_WARN_POLICY_WITHOUT_TXT);
    bool asked = o->a_outcome != STS_DNS_NOT_ASKED || o->aaaa_outcome != STS_DNS_NOT_ASKED;
    if ((!has_record(v) && !orphan) || (!asked && o->https == STS_HTTPS_NOT_ATTEMPTED)) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "not fetched: %s",
                       has_record(v) ? "no usable TXT record" : "no v=STSv1 TXT record");
        return;
    }
    check_text_add(l->observed, "https://mta-sts.%s/.well-known/mta-sts.txt", d);
    add_fetch_facts(r, l->observed);
    if (v->status == STS_STATUS_INVALID && sts_category_is_fetch_stage(v->category)) {
        l->state = CHECK_FAIL;
        check_text_add(l->observed, "\n%s: ", sts_category_name(v->category));
        check_text_remote_str(l->observed, v->detail);
        check_text_fix(l->fix, sts_category_fix(v->category), d);
        if (v->category == STS_CAT_CERT_NAME_MISMATCH)
            check_text_add(l->fix, " Name needed: mta-sts.%s.", d);
        else if (v->category == STS_CAT_CERT_EXPIRED) {
            check_text_add(l->fix, " It expired on ");
            check_text_date(l->fix, o->cert.not_after);
            check_text_add(l->fix, ".");
        }
        return;
    }
    if (v->status == STS_STATUS_DNS_ERROR && has_record(v) &&
        !sts_dns_outcome_failed(o->txt_outcome)) {
        l->state = CHECK_FAIL;
        check_text_add(l->observed, "\naddress lookup of mta-sts.%s: A %s, AAAA %s", d,
                       sts_dns_outcome_name(o->a_outcome), sts_dns_outcome_name(o->aaaa_outcome));
        check_text_add(l->fix, "Make the name servers of %s answer A/AAAA queries for mta-sts.%s.",
                       d, d);
        return;
    }
    if (v->status == STS_STATUS_INVALID && !sts_category_is_parse(v->category) &&
        v->category != STS_CAT_MX_NOT_COVERED) {
        l->state = CHECK_SKIP; /* the TXT record decided already */
        return;
    }
    l->state = CHECK_PASS;
    if (v->warnings & WARN_BIT(STS_WARN_CERT_EXPIRING_SOON)) {
        l->state = CHECK_WARN;
        check_text_fix(l->fix, sts_warning_fix(STS_WARN_CERT_EXPIRING_SOON), d);
        check_text_add(l->fix, " It expires on ");
        check_text_date(l->fix, o->cert.not_after);
        check_text_add(l->fix, ".");
    }
    if (orphan) {
        l->state = CHECK_WARN;
        check_text_fix(l->fix, sts_warning_fix(STS_WARN_POLICY_WITHOUT_TXT), d);
    }
}

static void layer_parse(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_verdict *v = r->verdict;
    const struct sts_policy *p = &v->policy;
    const char *d = check_result_domain(r);
    if (!v->policy_parsed ||
        (sts_category_is_fetch_stage(v->category) && v->category != STS_CAT_NONE)) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "no policy body to parse");
        return;
    }
    if (sts_category_is_parse(p->category) || sts_category_is_parse(v->category) || !p->valid) {
        l->state = CHECK_FAIL;
        check_text_add(l->observed, "%s", sts_category_name(p->category));
        check_text_diags(l->observed, &p->errors, 4);
        check_text_fix(l->fix, sts_category_fix(p->category), d);
        return;
    }
    check_text_add(l->observed, "mode %s, max_age %lld",
                   sts_mode_name(p->mode) ? sts_mode_name(p->mode) : "?", p->max_age);
    if (p->max_age >= 86400)
        check_text_add(l->observed, " (%lld day%s)", p->max_age / 86400,
                       p->max_age < 2 * 86400 ? "" : "s");
    check_text_add(l->observed, ", mx:");
    for (size_t i = 0; i < p->n_mx; i++) {
        check_text_add(l->observed, " ");
        check_text_remote_str(l->observed, p->mx[i]);
    }
    if (p->n_mx == 0)
        check_text_add(l->observed, " (none)");
    l->state = CHECK_PASS;
    static const enum sts_warning parse_warnings[] = {STS_WARN_MODE_NONE, STS_WARN_MAX_AGE_SHORT,
                                                      STS_WARN_LF_LINE_ENDINGS};
    for (size_t i = 0; i < sizeof parse_warnings / sizeof parse_warnings[0]; i++) {
        if (!(v->warnings & WARN_BIT(parse_warnings[i])))
            continue;
        l->state = CHECK_WARN;
        check_text_add(l->observed, "\nwarning %s", sts_warning_name(parse_warnings[i]));
        check_text_fix(l->fix, sts_warning_fix(parse_warnings[i]), d);
    }
    if (!p->strict_ok) {
        l->state = CHECK_WARN;
        check_text_add(l->observed,
                       "\naccepted by common senders, but not to the letter of RFC 8461:");
        check_text_diags(l->observed, &p->warnings, 4);
        if (!l->fix[0])
            check_text_add(l->fix,
                           "Rewrite the policy file as `mtasts generate` writes it: lower-case "
                           "\"key: value\" lines, each key once, CRLF line endings.");
    }
}

#define MX_SHOWN 16

/* Indices of the first MX_SHOWN MX hosts ordered by preference (then answer order). */
static size_t mx_order(const struct sts_observation *o, size_t idx[MX_SHOWN])
{
    size_t n = o->n_mx < MX_SHOWN ? o->n_mx : MX_SHOWN;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && o->mx[idx[j - 1]].preference > o->mx[i].preference; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    return n;
}

/* Lists the MX hosts, with the pattern covering each when there is a policy to apply. */
static void add_mx_hosts(const struct sts_result *r, char *buf, bool coverage)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    size_t idx[MX_SHOWN];
    size_t n = mx_order(o, idx);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        check_text_add(buf, "\n");
        check_text_remote_str(buf, o->mx[i].host ? o->mx[i].host : "");
        check_text_add(buf, " (preference %u)", o->mx[i].preference);
        if (!coverage)
            continue;
        check_text_add(buf, ": ");
        int pat = i < v->n_mx && v->mx_pattern ? v->mx_pattern[i] : -1;
        if (pat >= 0 && (size_t)pat < v->policy.n_mx) {
            check_text_add(buf, "covered by ");
            check_text_remote_str(buf, v->policy.mx[pat]);
        } else {
            check_text_add(buf, "NOT covered");
        }
    }
    if (o->n_mx > n)
        check_text_add(buf, "\n(%zu more)", o->n_mx - n);
}

static void layer_mx(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = check_result_domain(r);
    if (o->mx_outcome == STS_DNS_NOT_ASKED) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "MX not looked up");
        return;
    }
    if (sts_dns_outcome_failed(o->mx_outcome)) {
        l->state = CHECK_WARN;
        check_text_add(l->observed, "MX lookup of %s: %s; coverage unknown", d,
                       sts_dns_outcome_name(o->mx_outcome));
        check_text_add(l->fix, "Make the name servers of %s answer MX queries.", d);
        return;
    }
    if (v->null_mx || (v->warnings & WARN_BIT(STS_WARN_NULL_MX))) {
        l->state = CHECK_WARN;
        check_text_add(l->observed, "null MX (0 .): %s accepts no mail", d);
        check_text_fix(l->fix, sts_warning_fix(STS_WARN_NULL_MX), d);
        return;
    }
    if (o->mx_outcome == STS_DNS_NODATA || o->mx_outcome == STS_DNS_NXDOMAIN) {
        l->state = has_record(v) ? CHECK_WARN : CHECK_SKIP;
        check_text_add(l->observed, "no MX record (%s)", sts_dns_outcome_name(o->mx_outcome));
        if (has_record(v))
            check_text_fix(l->fix, sts_warning_fix(STS_WARN_NO_MX), d);
        return;
    }
    check_text_add(l->observed, "%zu MX host%s", o->n_mx, o->n_mx == 1 ? "" : "s");
    bool applies = v->policy_parsed && v->policy.valid && v->policy.mode != STS_MODE_NONE;
    add_mx_hosts(r, l->observed, applies);
    if (!v->policy_parsed || !v->policy.valid) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "\nno valid policy to check them against");
        return;
    }
    if (v->policy.mode == STS_MODE_NONE) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "\nmode none: senders apply no policy");
        return;
    }
    if (v->mx_covered == 0) {
        l->state = CHECK_FAIL;
        check_text_add(l->fix, "Add to the policy file:");
        for (size_t i = 0; i < o->n_mx && i < v->n_mx; i++)
            if (v->mx_pattern[i] < 0 && o->mx[i].host && o->mx[i].host[0] &&
                strcmp(o->mx[i].host, ".") != 0) {
                check_text_add(l->fix, " \"mx: ");
                check_text_remote_str(l->fix, o->mx[i].host);
                check_text_add(l->fix, "\"");
            }
        check_text_add(l->fix, " (then publish a new id in _mta-sts.%s), or change the MX records.",
                       d);
        if (v->policy.mode == STS_MODE_ENFORCE)
            check_text_add(
                l->fix, " In enforce mode, senders refuse to deliver to an MX the policy does not "
                        "list.");
        return;
    }
    l->state = CHECK_PASS;
    if (v->warnings & WARN_BIT(STS_WARN_MX_PATTERN_UNUSED)) {
        l->state = CHECK_WARN;
        check_text_add(l->observed, "\nunused patterns:");
        for (size_t j = 0; j < v->policy.n_mx; j++) {
            bool used = false;
            for (size_t i = 0; i < v->n_mx && !used; i++)
                used = v->mx_pattern[i] == (int)j;
            if (!used) {
                check_text_add(l->observed, " ");
                check_text_remote_str(l->observed, v->policy.mx[j]);
            }
        }
        check_text_fix(l->fix, sts_warning_fix(STS_WARN_MX_PATTERN_UNUSED), d);
    }
}

static void layer_tlsrpt(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = check_result_domain(r);
    if (o->tlsrpt_outcome == STS_DNS_NOT_ASKED) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "_smtp._tls not looked up");
        return;
    }
    /* A domain that does not exist gets no advice to publish records under it. */
    if (v->status == STS_STATUS_DOMAIN_NXDOMAIN) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "not applicable: %s does not exist", d);
        return;
    }
    if (sts_dns_outcome_failed(o->tlsrpt_outcome)) {
        l->state = CHECK_WARN;
        check_text_add(l->observed, "TXT lookup of _smtp._tls.%s: %s", d,
                       sts_dns_outcome_name(o->tlsrpt_outcome));
        check_text_add(l->fix, "Make the name servers of %s answer for _smtp._tls.%s.", d, d);
        return;
    }
    switch (v->tlsrpt_state) {
    case STS_TLSRPT_VALID:
        l->state = CHECK_PASS;
        check_text_add(l->observed, "v=TLSRPTv1, rua:");
        for (size_t i = 0; i < v->tlsrpt.n_rua; i++) {
            check_text_add(l->observed, " ");
            check_text_remote_str(l->observed, v->tlsrpt.rua[i]);
        }
        return;
    case STS_TLSRPT_INVALID:
        l->state = CHECK_WARN;
        check_text_add(l->observed, "%zu v=TLSRPTv1 record%s, invalid", v->tlsrpt.n_version_records,
                       v->tlsrpt.n_version_records == 1 ? "" : "s");
        check_text_diags(l->observed, &v->tlsrpt.errors, 3);
        check_text_fix(l->fix, sts_warning_fix(STS_WARN_TLSRPT_INVALID), d);
        return;
    case STS_TLSRPT_NONE:
        break;
    }
    l->state = CHECK_WARN;
    check_text_add(l->observed, "no v=TLSRPTv1 record at _smtp._tls.%s (%s)", d,
                   sts_dns_outcome_name(o->tlsrpt_outcome));
    check_text_fix(l->fix, sts_warning_fix(STS_WARN_TLSRPT_MISSING), d);
}

static void layer_readiness(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_verdict *v = r->verdict;
    const char *d = check_result_domain(r);
    switch (v->readiness) {
    case STS_READY_NA:
        l->state = CHECK_SKIP;
        check_text_add(l->observed, "no policy");
        return;
    case STS_READY_ENFORCING:
        l->state = CHECK_PASS;
        check_text_add(l->observed, "enforcing: senders refuse unauthenticated delivery");
        return;
    case STS_READY_TO_ENFORCE:
        l->state = CHECK_PASS;
        check_text_add(l->observed,
                       "ready to enforce: valid, testing, every MX covered, TLS-RPT valid");
        check_text_add(
            l->fix,
            "When the TLS-RPT reports show no failures, change \"mode: testing\" to \"mode: "
            "enforce\" and publish a new id in _mta-sts.%s.",
            d);
        check_text_add(l->observed, "%s", check_mx_readiness_note(r));
        return;
    case STS_READY_NOT_READY:
        break;
    }
    l->state = v->status == STS_STATUS_VALID ? CHECK_WARN : CHECK_FAIL;
    check_text_add(l->observed, "not ready to enforce:");
    if (v->status != STS_STATUS_VALID)
        check_text_add(l->observed, " %s",
                       v->category != STS_CAT_NONE ? sts_category_name(v->category)
                                                   : sts_status_name(v->status));
    for (int w = 0; w < STS_WARN_COUNT; w++)
        if (v->readiness_warnings & WARN_BIT(w))
            check_text_add(l->observed, " %s", sts_warning_name((enum sts_warning)w));
    if (v->status == STS_STATUS_VALID && v->mx_covered != 1 && v->policy.mode == STS_MODE_TESTING)
        check_text_add(l->observed, " mx_coverage_unknown");
    if (v->status != STS_STATUS_VALID) {
        check_text_add(l->fix, "Fix the failing layers above first.");
        return;
    }
    for (int w = 0; w < STS_WARN_COUNT; w++)
        if (v->readiness_warnings & WARN_BIT(w)) {
            check_text_fix(l->fix, sts_warning_fix((enum sts_warning)w), d);
            return;
        }
}

void check_layers(const struct sts_result *r, struct check_layer out[CHECK_LAYER_COUNT])
{
    static void (*const fns[CHECK_LAYER_COUNT])(const struct sts_result *, struct check_layer *) = {
        layer_dns,      layer_fetch,  layer_parse,    layer_mx,
        check_mx_layer, layer_tlsrpt, layer_readiness};
    for (int i = 0; i < CHECK_LAYER_COUNT; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].id = (enum check_layer_id)i;
        fns[i](r, &out[i]);
    }
}

/* ---- Exit status ----------------------------------------------------------------------- */

int check_exit_of_layers(const struct sts_result *r,
                         const struct check_layer layers[CHECK_LAYER_COUNT])
{
    enum sts_status s = r->verdict->status;
    if (s == STS_STATUS_DNS_ERROR || s == STS_STATUS_DOMAIN_NXDOMAIN)
        return 3;
    if (s != STS_STATUS_VALID)
        return 2;
    int worst = r->verdict->warnings ? 1 : 0;
    for (int i = 0; i < CHECK_LAYER_COUNT; i++) {
        if (layers[i].state == CHECK_FAIL)
            return 2;
        if (layers[i].state == CHECK_WARN)
            worst = 1;
    }
    return worst;
}

int check_exit_status(const struct sts_result *r)
{
    struct check_layer layers[CHECK_LAYER_COUNT];
    check_layers(r, layers);
    return check_exit_of_layers(r, layers);
}

int check_exit_combine(int a, int b)
{
    return a > b ? a : b;
}
