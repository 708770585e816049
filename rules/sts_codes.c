/* Names, RFC 8460 result types and fix texts of the taxonomy codes; the diagnostic table. */
#include "rules/sts_codes.h"

#include <string.h>

static const char *const status_names[STS_STATUS_COUNT] = {
    "no_policy", "valid", "invalid", "dns_error", "domain_nxdomain",
};

static const char *const category_names[STS_CAT_COUNT] = {
    "none",
    "txt_syntax",
    "txt_multiple",
    "policy_host_no_address",
    "policy_host_private_address",
    "https_connect_failed",
    "https_timeout",
    "tls_handshake_failed",
    "cert_expired",
    "cert_not_yet_valid",
    "cert_name_mismatch",
    "cert_self_signed",
    "cert_untrusted",
    "cert_other",
    "http_redirect",
    "http_status",
    "content_type",
    "body_too_large",
    "policy_syntax",
    "policy_version",
    "policy_mode",
    "policy_max_age",
    "policy_no_mx",
    "mx_not_covered",
};

static const char *const warning_names[STS_WARN_COUNT] = {
    "lf_line_endings",
    "max_age_short",
    "tlsrpt_missing",
    "tlsrpt_invalid",
    "cert_expiring_soon",
    "mx_pattern_unused",
    "policy_without_txt",
    "txt_at_apex",
    "mode_none",
    "testing_without_tlsrpt",
    "no_mx",
    "null_mx",
    "mx_cert_expiring_soon",
    "dane_and_sts_conflict",
    "tlsa_without_dnssec",
    "mx_tls_old",
    "mx_tls_invalid",
    "dane_failure",
};

static const char *const category_rfc8460[STS_CAT_COUNT] = {
    NULL,
    "sts-policy-invalid",     /* txt_syntax */
    "sts-policy-invalid",     /* txt_multiple */
    "sts-policy-fetch-error", /* policy_host_no_address */
    "sts-policy-fetch-error", /* policy_host_private_address */
    "sts-policy-fetch-error", /* https_connect_failed */
    "sts-policy-fetch-error", /* https_timeout */
    "sts-policy-fetch-error", /* tls_handshake_failed */
    "sts-webpki-invalid",     /* cert_expired */
    "sts-webpki-invalid",     /* cert_not_yet_valid */
    "sts-webpki-invalid",     /* cert_name_mismatch */
    "sts-webpki-invalid",     /* cert_self_signed */
    "sts-webpki-invalid",     /* cert_untrusted */
    "sts-webpki-invalid",     /* cert_other */
    "sts-policy-fetch-error", /* http_redirect */
    "sts-policy-fetch-error", /* http_status */
    "sts-policy-fetch-error", /* content_type */
    "sts-policy-fetch-error", /* body_too_large */
    "sts-policy-invalid",     /* policy_syntax */
    "sts-policy-invalid",     /* policy_version */
    "sts-policy-invalid",     /* policy_mode */
    "sts-policy-invalid",     /* policy_max_age */
    "sts-policy-invalid",     /* policy_no_mx */
    "validation-failure",     /* mx_not_covered */
};

static const char *const category_fixes[STS_CAT_COUNT] = {
    NULL,
    "Publish one TXT record at _mta-sts.<domain> of the form \"v=STSv1; id=<1-32 letters or "
    "digits>;\". Change the id whenever the policy file changes.",
    "Delete all but one of the TXT records at _mta-sts.<domain> that begin with v=STSv1: with "
    "several, senders apply no policy at all.",
    "Publish an A or AAAA record for mta-sts.<domain> pointing at the web server that serves "
    "the policy.",
    "Point mta-sts.<domain> at a public address: senders cannot reach private, loopback or "
    "reserved addresses.",
    "Make the web server for mta-sts.<domain> accept HTTPS connections on port 443 from the "
    "internet (check the firewall and that the server listens on every published address).",
    "Make https://mta-sts.<domain>/.well-known/mta-sts.txt answer within a few seconds; senders "
    "give up on slow policy servers.",
    "Fix the TLS set-up of mta-sts.<domain>: serve TLS 1.2 or later with a common cipher suite "
    "on port 443.",
    "Renew the certificate of mta-sts.<domain> and automate renewal (for example with ACME).",
    "Install a certificate for mta-sts.<domain> whose validity has started; check the server "
    "clock and the certificate's notBefore date.",
    "Serve a certificate whose subjectAltName includes mta-sts.<domain> (a certificate for the "
    "domain or www alone does not cover it).",
    "Replace the self-signed certificate of mta-sts.<domain> with one from a public certificate "
    "authority; senders validate it against the web PKI.",
    "Serve the full certificate chain (leaf and intermediates) from a publicly trusted "
    "certificate authority for mta-sts.<domain>.",
    "Replace the certificate of mta-sts.<domain> with a valid, publicly trusted one for that "
    "name (it fails verification for another reason: revoked, bad signature or wrong purpose).",
    "Serve the policy directly at https://mta-sts.<domain>/.well-known/mta-sts.txt with status "
    "200: senders never follow redirects (RFC 8461 3.3).",
    "Make https://mta-sts.<domain>/.well-known/mta-sts.txt return HTTP 200 with the policy "
    "file.",
    "Serve the policy file with Content-Type: text/plain.",
    "Shorten the policy file: senders read at most 64 KiB of it.",
    "Fix the policy file's syntax: one \"key: value\" per line, ASCII only, valid mx host "
    "patterns, no NUL bytes.",
    "Begin the policy file with the line \"version: STSv1\".",
    "Set \"mode: testing\", \"mode: enforce\" or \"mode: none\" in the policy file.",
    "Set \"max_age: <seconds>\" in the policy file, at most 31557600 (one year); 604800 (a "
    "week) or more is typical.",
    "List every MX host of the domain in the policy file with \"mx: <host>\" lines (wildcards "
    "like *.example.net cover one label).",
    "Add an \"mx:\" line to the policy file for every MX host the domain publishes, or change "
    "the MX records: in enforce mode, senders refuse to deliver to an MX the policy does not "
    "list.",
};

static const char *const warning_fixes[STS_WARN_COUNT] = {
    "End the policy file's lines with CRLF: RFC 8461's prose asks for it and some validators "
    "reject bare LF.",
    "Raise max_age to at least 86400 (one day); a week (604800) or more protects against "
    "downgrades between policy fetches.",
    "Publish a TLS-RPT record at _smtp._tls.<domain>, for example \"v=TLSRPTv1; "
    "rua=mailto:tls-reports@<domain>\", to receive failure reports.",
    "Fix the TLS-RPT record at _smtp._tls.<domain>: exactly one record \"v=TLSRPTv1; "
    "rua=<mailto: or https: URI>[,<URI>...]\".",
    "Renew the certificate of mta-sts.<domain> now: it expires within 14 days.",
    "Remove mx patterns that match none of the domain's MX hosts, or check that the MX records "
    "are the intended ones.",
    "Publish the TXT record _mta-sts.<domain> \"v=STSv1; id=<id>\": the policy file is served "
    "but senders never fetch it without the record.",
    "Move the v=STSv1 TXT record from the domain itself to _mta-sts.<domain>, where senders "
    "look for it.",
    "Mode none retires the policy; once senders' cached copies have expired, remove the TXT "
    "record and the policy file.",
    "Publish a TLS-RPT record at _smtp._tls.<domain>: testing mode is only useful with failure "
    "reports to review before enforcing.",
    "The domain has no MX record: mail goes to its address record. Publish MX records if the "
    "domain receives mail.",
    "The domain publishes a null MX (it accepts no mail): an MTA-STS policy is not needed.",
    "Renew the certificate of the MX host named in the check now: it expires within 14 days, "
    "and senders enforcing MTA-STS will then refuse mail for <domain>.",
    "Make the TLSA records at _25._tcp.<mx host> match the certificate the MX host presents "
    "(or the reverse): DANE and MTA-STS senders now judge the same MX host differently.",
    "Sign the zone of the MX host with DNSSEC (or remove the TLSA records at "
    "_25._tcp.<mx host>): TLSA records without DNSSEC are ignored by senders.",
    "Enable TLS 1.2 or 1.3 on the MX host's SMTP server; TLS 1.0 and 1.1 are obsolete (RFC "
    "8996) and senders may refuse them.",
    "Make every MX host offer STARTTLS on port 25 with a certificate from a public CA valid "
    "for the MX host name, with its full chain: a sender enforcing MTA-STS refuses mail "
    "otherwise (RFC 8461 4.2).",
    "Fix DANE for the MX host: publish TLSA records matching its certificate (roll over "
    "TLSA before certificates) and repair the DNSSEC chain: DANE senders defer mail until "
    "then (RFC 7672).",
};

static const char *const mode_names[] = {NULL, "enforce", "testing", "none"};
static const char *const readiness_names[] = {"n/a", "enforcing", "ready_to_enforce", "not_ready"};
static const char *const dns_outcome_names[] = {
    "not_asked", "ok", "nodata", "nxdomain", "servfail", "refused", "timeout", "error",
};
static const char *const tlsrpt_state_names[] = {"none", "valid", "invalid"};
static const char *const https_outcome_names[] = {
    "not_attempted", "ok",          "connect_failed", "timeout",
    "tls_failed",    "cert_failed", "body_too_large", "protocol_error"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *sts_status_name(enum sts_status s)
{
    return (unsigned)s < STS_STATUS_COUNT ? status_names[s] : "unknown";
}

const char *sts_category_name(enum sts_category c)
{
    return (unsigned)c < STS_CAT_COUNT ? category_names[c] : "unknown";
}

const char *sts_warning_name(enum sts_warning w)
{
    return (unsigned)w < STS_WARN_COUNT ? warning_names[w] : "unknown";
}

const char *sts_mode_name(enum sts_mode m)
{
    return (unsigned)m < COUNT_OF(mode_names) ? mode_names[m] : "unknown";
}

const char *sts_readiness_name(enum sts_readiness r)
{
    return (unsigned)r < COUNT_OF(readiness_names) ? readiness_names[r] : "unknown";
}

const char *sts_dns_outcome_name(enum sts_dns_outcome o)
{
    return (unsigned)o < COUNT_OF(dns_outcome_names) ? dns_outcome_names[o] : "unknown";
}

const char *sts_tlsrpt_state_name(enum sts_tlsrpt_state t)
{
    return (unsigned)t < COUNT_OF(tlsrpt_state_names) ? tlsrpt_state_names[t] : "unknown";
}

const char *sts_https_outcome_name(enum sts_https_outcome o)
{
    return (unsigned)o < COUNT_OF(https_outcome_names) ? https_outcome_names[o] : "unknown";
}

static int index_of(const char *const *names, size_t n, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

int sts_status_from_name(const char *name)
{
    return index_of(status_names, STS_STATUS_COUNT, name);
}

int sts_category_from_name(const char *name)
{
    return index_of(category_names, STS_CAT_COUNT, name);
}

int sts_warning_from_name(const char *name)
{
    return index_of(warning_names, STS_WARN_COUNT, name);
}

enum sts_mode sts_mode_from_name(const char *name)
{
    for (size_t m = 1; name && m < COUNT_OF(mode_names); m++)
        if (strcmp(mode_names[m], name) == 0)
            return (enum sts_mode)m;
    return STS_MODE_UNKNOWN;
}

const char *sts_category_rfc8460_result(enum sts_category c)
{
    return (unsigned)c < STS_CAT_COUNT ? category_rfc8460[c] : NULL;
}

const char *sts_category_fix(enum sts_category c)
{
    return (unsigned)c < STS_CAT_COUNT ? category_fixes[c] : NULL;
}

const char *sts_warning_fix(enum sts_warning w)
{
    return (unsigned)w < STS_WARN_COUNT ? warning_fixes[w] : NULL;
}

size_t sts_warnings_format(uint32_t warnings, char *buf, size_t buflen)
{
    if (!buf || buflen == 0)
        return 0;
    buf[0] = '\0';
    /* Selection by name order: at most STS_WARN_COUNT passes over a dozen names. */
    const char *prev = NULL;
    size_t len = 0;
    for (;;) {
        const char *next = NULL;
        for (int w = 0; w < STS_WARN_COUNT; w++) {
            if (!(warnings & (1u << w)))
                continue;
            const char *n = warning_names[w];
            if (prev && strcmp(n, prev) <= 0)
                continue;
            if (!next || strcmp(n, next) < 0)
                next = n;
        }
        if (!next)
            break;
        size_t nl = strlen(next);
        size_t need = nl + (len > 0 ? 1 : 0);
        if (len + need + 1 > buflen)
            break;
        if (len > 0)
            buf[len++] = ',';
        memcpy(buf + len, next, nl);
        len += nl;
        buf[len] = '\0';
        prev = next;
    }
    return len;
}

/* Walks a comma-separated list of warning codes: the set of known codes, the number of entries
 * that are not codes and the number of empty entries. */
static void warnings_scan(const char *list, uint32_t *set, size_t *unknown, size_t *empty)
{
    *set = 0;
    *unknown = *empty = 0;
    if (!list || !*list)
        return;
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int found = -1;
        for (int w = 0; n > 0 && w < STS_WARN_COUNT; w++) {
            if (strlen(warning_names[w]) == n && memcmp(warning_names[w], p, n) == 0) {
                found = w;
                break;
            }
        }
        if (n == 0)
            (*empty)++;
        else if (found < 0)
            (*unknown)++;
        else
            *set |= 1u << found;
        if (!comma)
            break;
        p = comma + 1;
    }
}

bool sts_warnings_parse(const char *list, uint32_t *out)
{
    uint32_t set;
    size_t unknown, empty;
    warnings_scan(list, &set, &unknown, &empty);
    *out = unknown || empty ? 0 : set;
    return !unknown && !empty;
}

size_t sts_warnings_parse_known(const char *list, uint32_t *known)
{
    size_t unknown, empty;
    warnings_scan(list, known, &unknown, &empty);
    return unknown;
}

/* The diagnostic codes. Errors carry the category that makes a domain invalid; TLS-RPT errors
 * carry none (a bad TLS-RPT record is the warning tlsrpt_invalid, never a failure). */
#define E(code, cat, summary)                                                                      \
    {                                                                                              \
        code, cat, true, false, summary                                                            \
    }
#define TOL(code, summary)                                                                         \
    {                                                                                              \
        code, STS_CAT_NONE, false, true, summary                                                   \
    }
#define INFO(code, summary)                                                                        \
    {                                                                                              \
        code, STS_CAT_NONE, false, false, summary                                                  \
    }

static const struct sts_diag_code_info diag_codes[] = {
    /* _mta-sts TXT record */
    E("txt_multiple", STS_CAT_TXT_MULTIPLE, "more than one record begins with v=STSv1"),
    E("txt_delimiter_missing", STS_CAT_TXT_SYNTAX, "fields not separated by ';'"),
    E("txt_id_missing", STS_CAT_TXT_SYNTAX, "no id field"),
    E("txt_id_empty", STS_CAT_TXT_SYNTAX, "id field with an empty value"),
    E("txt_id_too_long", STS_CAT_TXT_SYNTAX, "id longer than 32 characters"),
    E("txt_id_invalid", STS_CAT_TXT_SYNTAX, "id holds a character other than A-Z a-z 0-9"),
    E("txt_id_duplicate", STS_CAT_TXT_SYNTAX, "more than one id field"),
    E("txt_field_no_equals", STS_CAT_TXT_SYNTAX, "a field without '='"),
    E("txt_ext_name_invalid", STS_CAT_TXT_SYNTAX, "extension name not per RFC 8461 3.1"),
    E("txt_ext_value_invalid", STS_CAT_TXT_SYNTAX, "extension value empty or with bad bytes"),
    TOL("txt_empty_field", "an empty field between two ';'"),
    TOL("txt_trailing_whitespace", "whitespace at the end of the record without ';'"),
    /* _smtp._tls TXT record */
    E("tlsrpt_multiple", STS_CAT_NONE, "more than one record begins with v=TLSRPTv1"),
    E("tlsrpt_delimiter_missing", STS_CAT_NONE, "fields not separated by ';'"),
    E("tlsrpt_rua_missing", STS_CAT_NONE, "no rua field"),
    E("tlsrpt_rua_duplicate", STS_CAT_NONE, "more than one rua field"),
    E("tlsrpt_rua_empty", STS_CAT_NONE, "rua list or one of its URIs is empty"),
    E("tlsrpt_rua_scheme", STS_CAT_NONE, "rua URI scheme is not mailto: or https:"),
    E("tlsrpt_rua_invalid", STS_CAT_NONE, "rua URI malformed"),
    E("tlsrpt_rua_too_many", STS_CAT_NONE, "more rua URIs than the scanner keeps"),
    E("tlsrpt_rua_too_long", STS_CAT_NONE, "rua URI longer than the scanner keeps"),
    E("tlsrpt_field_no_equals", STS_CAT_NONE, "a field without '='"),
    E("tlsrpt_ext_name_invalid", STS_CAT_NONE, "extension name not per RFC 8460 3"),
    E("tlsrpt_ext_value_invalid", STS_CAT_NONE, "extension value empty or with bad bytes"),
    TOL("tlsrpt_empty_field", "an empty field between two ';'"),
    TOL("tlsrpt_trailing_whitespace", "whitespace at the end of the record without ';'"),
    INFO("tlsrpt_rua_uri_duplicate", "the same URI listed twice"),
    /* policy file */
    E("body_too_large", STS_CAT_BODY_TOO_LARGE, "policy body over 65536 bytes"),
    E("policy_nul", STS_CAT_POLICY_SYNTAX, "NUL byte in the policy"),
    E("policy_control_char", STS_CAT_POLICY_SYNTAX, "control character (or bare CR) in a line"),
    E("policy_non_ascii", STS_CAT_POLICY_SYNTAX, "non-ASCII byte in a known field"),
    E("policy_line_no_colon", STS_CAT_POLICY_SYNTAX, "a line that is not key: value"),
    E("policy_key_invalid", STS_CAT_POLICY_SYNTAX, "key not per RFC 8461 3.2"),
    E("policy_mx_invalid", STS_CAT_POLICY_SYNTAX, "mx value not a host name or *.host"),
    E("policy_mx_too_many", STS_CAT_POLICY_SYNTAX, "more mx lines than the parser keeps"),
    E("policy_version_missing", STS_CAT_POLICY_VERSION, "no version field"),
    E("policy_version_invalid", STS_CAT_POLICY_VERSION, "version other than STSv1"),
    E("policy_mode_missing", STS_CAT_POLICY_MODE, "no mode field"),
    E("policy_mode_invalid", STS_CAT_POLICY_MODE, "mode other than enforce, testing, none"),
    E("policy_max_age_missing", STS_CAT_POLICY_MAX_AGE, "no max_age field"),
    E("policy_max_age_invalid", STS_CAT_POLICY_MAX_AGE, "max_age not 1 to 10 digits"),
    E("policy_max_age_too_large", STS_CAT_POLICY_MAX_AGE, "max_age above 31557600"),
    E("policy_mx_missing", STS_CAT_POLICY_NO_MX, "mode enforce or testing without mx"),
    TOL("policy_bom", "UTF-8 byte-order mark before the first line"),
    TOL("policy_key_case", "key not in lower case"),
    TOL("policy_value_case", "version or mode value not in the RFC's case"),
    TOL("policy_duplicate_key", "version, mode or max_age repeated; the last wins"),
    TOL("policy_whitespace_before_colon", "whitespace between key and ':'"),
    TOL("policy_leading_whitespace", "whitespace at the start of a line"),
    TOL("policy_blank_line", "an empty line"),
    TOL("policy_version_not_first", "version is not the first field"),
    TOL("policy_non_ascii_extension", "invalid UTF-8 in an unknown key's value"),
    TOL("policy_extension_empty", "an unknown key with an empty value"),
    TOL("policy_mx_trailing_dot", "mx pattern ends with a dot (dropped)"),
    INFO("lf_line_endings", "lines ended by a bare LF (allowed by the ABNF)"),
    INFO("policy_no_final_newline", "the last line has no line ending (allowed)"),
    INFO("policy_mx_duplicate", "the same mx pattern listed twice"),
    INFO("policy_unknown_key", "a key RFC 8461 does not define (ignored)"),
    INFO("max_age_short", "max_age below 86400"),
    /* MX coverage (lint --mx and the classifier) */
    E("mx_not_covered", STS_CAT_MX_NOT_COVERED, "an MX host matches no mx pattern"),
    INFO("mx_pattern_unused", "an mx pattern matches none of the MX hosts"),
};

const struct sts_diag_code_info *sts_diag_code_lookup(const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < COUNT_OF(diag_codes); i++)
        if (strcmp(diag_codes[i].code, code) == 0)
            return &diag_codes[i];
    return NULL;
}

enum sts_category sts_diag_code_category(const char *code)
{
    const struct sts_diag_code_info *info = sts_diag_code_lookup(code);
    return info ? info->category : STS_CAT_NONE;
}

size_t sts_diag_code_count(void)
{
    return COUNT_OF(diag_codes);
}

const struct sts_diag_code_info *sts_diag_code_at(size_t i)
{
    return i < COUNT_OF(diag_codes) ? &diag_codes[i] : NULL;
}

bool sts_category_is_fetch_stage(enum sts_category c)
{
    return c >= STS_CAT_POLICY_HOST_NO_ADDRESS && c <= STS_CAT_BODY_TOO_LARGE;
}

bool sts_category_is_parse(enum sts_category c)
{
    return c >= STS_CAT_POLICY_SYNTAX && c <= STS_CAT_POLICY_NO_MX;
}

bool sts_category_is_cert(enum sts_category c)
{
    return c >= STS_CAT_CERT_EXPIRED && c <= STS_CAT_CERT_OTHER;
}

bool sts_dns_outcome_failed(enum sts_dns_outcome o)
{
    return o == STS_DNS_SERVFAIL || o == STS_DNS_REFUSED || o == STS_DNS_TIMEOUT ||
           o == STS_DNS_ERROR;
}
