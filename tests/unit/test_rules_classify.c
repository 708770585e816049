/* Table-driven tests of sts_classify: every status, category, warning, readiness verdict. */
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>

#include "rules/sts_classify.h"
#include "tests/unit/tap.h"

#define NOW 1790000000LL
#define DAY 86400LL
#define GOOD_POLICY                                                                                \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.net\r\n"       \
    "max_age: 604800\r\n"
#define TESTING_POLICY                                                                             \
    "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: *.backup.example.net\r\n"       \
    "max_age: 604800\r\n"

/* An observation with room for its records; mutators change the good default. */
struct builder {
    struct sts_observation obs;
    struct sts_txt_record txt[4], tlsrpt[4], apex[4];
    struct sts_mx_host mx[4];
};

static void set_records(struct sts_txt_record *dst, const char *const *recs, size_t *n)
{
    *n = 0;
    for (; recs[*n]; (*n)++) {
        dst[*n].data = recs[*n];
        dst[*n].len = strlen(recs[*n]);
    }
}

static void txt(struct builder *b, const char *r1, const char *r2)
{
    const char *recs[] = {r1, r2, NULL};
    set_records(b->txt, recs, &b->obs.n_txt);
    b->obs.txt_outcome = STS_DNS_OK;
}

static void tlsrpt(struct builder *b, const char *r1, const char *r2)
{
    const char *recs[] = {r1, r2, NULL};
    set_records(b->tlsrpt, recs, &b->obs.n_tlsrpt);
    b->obs.tlsrpt_outcome = STS_DNS_OK;
}

static void mx(struct builder *b, const char *h1, const char *h2)
{
    b->obs.n_mx = 0;
    if (h1)
        b->mx[b->obs.n_mx++] = (struct sts_mx_host){h1, 10};
    if (h2)
        b->mx[b->obs.n_mx++] = (struct sts_mx_host){h2, 20};
    b->obs.mx_outcome = STS_DNS_OK;
}

static void body(struct builder *b, const char *s)
{
    b->obs.body = s;
    b->obs.body_len = s ? strlen(s) : 0;
}

static void build_good(struct builder *b)
{
    memset(b, 0, sizeof *b);
    b->obs.domain = "example.com";
    b->obs.now = NOW;
    b->obs.txt = b->txt;
    b->obs.tlsrpt = b->tlsrpt;
    b->obs.apex = b->apex;
    b->obs.mx = b->mx;
    txt(b, "v=STSv1; id=20240101T000000", "some other record");
    mx(b, "mx1.example.com", "a.backup.example.net.");
    tlsrpt(b, "v=TLSRPTv1; rua=mailto:tls@example.com", NULL);
    b->obs.a_outcome = STS_DNS_OK;
    b->obs.aaaa_outcome = STS_DNS_NODATA;
    b->obs.n_addrs = 1;
    b->obs.https = STS_HTTPS_OK;
    b->obs.cert = (struct sts_cert_facts){.present = true,
                                          .verify_code = X509_V_OK,
                                          .name_matches = true,
                                          .not_before = NOW - 30 * DAY,
                                          .not_after = NOW + 60 * DAY,
                                          .chain_len = 2};
    b->obs.http_status = 200;
    b->obs.content_type = "text/plain; charset=utf-8";
    body(b, GOOD_POLICY);
}

/* ---- mutators, one per case ---- */
static void m_none(struct builder *b)
{
    (void)b;
}
static void m_no_txt(struct builder *b)
{
    b->obs.txt_outcome = STS_DNS_NODATA;
    b->obs.n_txt = 0;
    b->obs.https = STS_HTTPS_NOT_ATTEMPTED;
    body(b, NULL);
}
static void m_other_txt_only(struct builder *b)
{
    txt(b, "v=spf1 -all", "V=STSv1; id=1");
    b->obs.https = STS_HTTPS_NOT_ATTEMPTED;
    body(b, NULL);
}
static void m_nxdomain(struct builder *b)
{
    m_no_txt(b);
    b->obs.txt_outcome = STS_DNS_NXDOMAIN;
    b->obs.mx_outcome = STS_DNS_NXDOMAIN;
    b->obs.n_mx = 0;
}
static void m_txt_servfail(struct builder *b)
{
    b->obs.txt_outcome = STS_DNS_SERVFAIL;
}
static void m_txt_timeout(struct builder *b)
{
    b->obs.txt_outcome = STS_DNS_TIMEOUT;
}
static void m_addr_servfail(struct builder *b)
{
    b->obs.a_outcome = STS_DNS_SERVFAIL;
    b->obs.aaaa_outcome = STS_DNS_TIMEOUT;
    b->obs.n_addrs = 0;
    b->obs.https = STS_HTTPS_NOT_ATTEMPTED;
    body(b, NULL);
}
static void m_txt_syntax(struct builder *b)
{
    txt(b, "v=STSv1; id=bad-id!", NULL);
}
static void m_txt_multiple(struct builder *b)
{
    txt(b, "v=STSv1; id=1", "v=STSv1; id=2");
}
static void m_no_address(struct builder *b)
{
    b->obs.a_outcome = STS_DNS_NXDOMAIN;
    b->obs.aaaa_outcome = STS_DNS_NXDOMAIN;
    b->obs.n_addrs = 0;
    b->obs.https = STS_HTTPS_NOT_ATTEMPTED;
    body(b, NULL);
}
static void m_private(struct builder *b)
{
    b->obs.n_addrs = 2;
    b->obs.n_addrs_refused = 2;
    b->obs.https = STS_HTTPS_NOT_ATTEMPTED;
    body(b, NULL);
}
static void m_connect(struct builder *b)
{
    b->obs.https = STS_HTTPS_CONNECT_FAILED;
    b->obs.cert.present = false;
    body(b, NULL);
}
static void m_timeout(struct builder *b)
{
    b->obs.https = STS_HTTPS_TIMEOUT;
    body(b, NULL);
}
static void m_tls(struct builder *b)
{
    b->obs.https = STS_HTTPS_TLS_FAILED;
    b->obs.cert.present = false;
    body(b, NULL);
}
static void cert_fail(struct builder *b, int code)
{
    b->obs.https = STS_HTTPS_CERT_FAILED;
    b->obs.cert.verify_code = code;
    body(b, NULL);
}
static void m_cert_expired(struct builder *b)
{
    cert_fail(b, X509_V_ERR_CERT_HAS_EXPIRED);
    b->obs.cert.not_after = NOW - DAY;
}
static void m_cert_expired_self_signed(struct builder *b)
{
    /* OpenSSL reports self-signed first; the notAfter says expired, which wins. */
    cert_fail(b, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    b->obs.cert.self_signed = true;
    b->obs.cert.not_after = NOW - DAY;
}
static void m_cert_not_yet(struct builder *b)
{
    cert_fail(b, X509_V_ERR_CERT_NOT_YET_VALID);
    b->obs.cert.not_before = NOW + DAY;
}
static void m_cert_mismatch(struct builder *b)
{
    cert_fail(b, X509_V_ERR_HOSTNAME_MISMATCH);
    b->obs.cert.name_matches = false;
}
static void m_cert_mismatch_ok_code(struct builder *b)
{
    /* Chain verified, name check done separately: the facts carry the mismatch. */
    b->obs.cert.name_matches = false;
}
static void m_cert_self_signed(struct builder *b)
{
    cert_fail(b, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    b->obs.cert.self_signed = true;
}
static void m_too_large(struct builder *b);
static void m_cert_self_signed(struct builder *b);
static void m_cert_self_signed_wrong_name(struct builder *b)
{
    /* The chain fails: the name does not decide the category (it only counts on a chain
     * that verified). */
    m_cert_self_signed(b);
    b->obs.cert.name_matches = false;
}
static void m_cert_untrusted_wrong_name(struct builder *b)
{
    cert_fail(b, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    b->obs.cert.name_matches = false;
}
static void m_too_large_no_status(struct builder *b)
{
    m_too_large(b);
    b->obs.http_status = 0;
}
static void m_cert_self_signed_chain(struct builder *b)
{
    cert_fail(b, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
}
static void m_cert_untrusted(struct builder *b)
{
    cert_fail(b, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}
static void m_cert_untrusted_leaf(struct builder *b)
{
    cert_fail(b, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
}
static void m_cert_other(struct builder *b)
{
    cert_fail(b, X509_V_ERR_CERT_REVOKED);
}
static void m_redirect(struct builder *b)
{
    b->obs.http_status = 301;
    body(b, "moved");
}
static void m_status(struct builder *b)
{
    b->obs.http_status = 404;
    body(b, "not found");
}
static void m_protocol(struct builder *b)
{
    b->obs.https = STS_HTTPS_PROTOCOL_ERROR;
    b->obs.http_status = 0;
    body(b, NULL);
}
static void m_ctype(struct builder *b)
{
    b->obs.content_type = "text/html; charset=utf-8";
}
static void m_ctype_missing(struct builder *b)
{
    b->obs.content_type = NULL;
}
static void m_ctype_upper(struct builder *b)
{
    b->obs.content_type = "Text/Plain";
}
static void m_too_large(struct builder *b)
{
    b->obs.https = STS_HTTPS_BODY_TOO_LARGE;
    body(b, GOOD_POLICY);
}
static void m_policy_syntax(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: enforce\r\nmx mx1.example.com\r\nmax_age: 86400\r\n");
}
static void m_policy_version(struct builder *b)
{
    body(b, "version: STSv2\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n");
}
static void m_policy_mode(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: enforcing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n");
}
static void m_policy_max_age(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 31557601\r\n");
}
static void m_policy_no_mx(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n");
}
static void m_policy_several(struct builder *b)
{
    /* max_age error on line 2, syntax error on line 5: the table order decides. */
    body(b, "version: STSv1\r\nmax_age: x\r\nmode: enforce\r\nmx: mx1.example.com\r\nbad\r\n");
}
static void m_empty_body(struct builder *b)
{
    body(b, "");
}
static void m_not_covered_enforce(struct builder *b)
{
    mx(b, "mx1.example.com", "mx2.example.org");
}
static void m_not_covered_testing(struct builder *b)
{
    m_not_covered_enforce(b);
    body(b, TESTING_POLICY);
}
static void m_wildcard_two_labels(struct builder *b)
{
    mx(b, "mx1.example.com", "a.b.backup.example.net");
}
static void m_mx_servfail(struct builder *b)
{
    b->obs.mx_outcome = STS_DNS_SERVFAIL;
    b->obs.n_mx = 0;
}
static void m_no_mx(struct builder *b)
{
    b->obs.mx_outcome = STS_DNS_NODATA;
    b->obs.n_mx = 0;
}
static void m_null_mx(struct builder *b)
{
    b->obs.n_mx = 1;
    b->mx[0] = (struct sts_mx_host){".", 0};
}
static void m_lf(struct builder *b)
{
    body(b, "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.backup.example.net\n"
            "max_age: 604800\n");
}
static void m_tolerant(struct builder *b)
{
    body(b, "Version: STSv1\r\nmode: Enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.net"
            "\r\nmax_age: 604800\r\n");
}
static void m_txt_tolerant(struct builder *b)
{
    txt(b, "v=STSv1;; id=abc ", NULL);
}
static void m_short_max_age(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.net"
            "\r\nmax_age: 3600\r\n");
}
static void m_tlsrpt_missing(struct builder *b)
{
    b->obs.tlsrpt_outcome = STS_DNS_NXDOMAIN;
    b->obs.n_tlsrpt = 0;
}
static void m_tlsrpt_invalid(struct builder *b)
{
    tlsrpt(b, "v=TLSRPTv1; rua=ftp://example.com", NULL);
}
static void m_tlsrpt_multiple(struct builder *b)
{
    tlsrpt(b, "v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com");
}
static void m_tlsrpt_servfail(struct builder *b)
{
    b->obs.tlsrpt_outcome = STS_DNS_SERVFAIL;
    b->obs.n_tlsrpt = 0;
}
static void m_expiring(struct builder *b)
{
    b->obs.cert.not_after = NOW + 5 * DAY;
}
static void m_unused_pattern(struct builder *b)
{
    mx(b, "mx1.example.com", NULL);
}
static void m_policy_without_txt(struct builder *b)
{
    b->obs.txt_outcome = STS_DNS_NODATA;
    b->obs.n_txt = 0;
}
static void m_apex(struct builder *b)
{
    m_policy_without_txt(b);
    b->obs.https = STS_HTTPS_NOT_ATTEMPTED;
    body(b, NULL);
    b->apex[0] = (struct sts_txt_record){"v=STSv1; id=1", 13};
    b->obs.n_apex = 1;
    b->obs.apex_outcome = STS_DNS_OK;
}
static void m_mode_none(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n");
}
static void m_testing_ready(struct builder *b)
{
    body(b, TESTING_POLICY);
}
static void m_testing_no_tlsrpt(struct builder *b)
{
    body(b, TESTING_POLICY);
    m_tlsrpt_missing(b);
}
static void m_testing_short(struct builder *b)
{
    body(b, "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: *.backup.example.net"
            "\r\nmax_age: 3600\r\n");
}
static void m_testing_expiring(struct builder *b)
{
    m_testing_ready(b);
    m_expiring(b);
}
static void m_testing_mx_unknown(struct builder *b)
{
    m_testing_ready(b);
    m_mx_servfail(b);
}
static void m_enforce_nxdomain_mx(struct builder *b)
{
    /* _mta-sts exists but D answers NXDOMAIN for MX: not domain_nxdomain. */
    b->obs.mx_outcome = STS_DNS_NXDOMAIN;
    b->obs.n_mx = 0;
}
static void m_txt_not_asked(struct builder *b)
{
    b->obs.txt_outcome = STS_DNS_NOT_ASKED;
    b->obs.n_txt = 0;
}
static void m_redirect_cert_expired(struct builder *b)
{
    /* Several problems at once: the certificate comes first in pipeline order. */
    m_redirect(b);
    b->obs.cert.verify_code = X509_V_ERR_CERT_HAS_EXPIRED;
}

struct ccase {
    const char *name;
    void (*mutate)(struct builder *);
    enum sts_status status;
    enum sts_category category;
    const char *warnings; /* sorted, comma-separated */
    enum sts_readiness readiness;
    int mx_covered;
    bool strict;
    bool would_fail;
};

#define V STS_STATUS_VALID
#define I STS_STATUS_INVALID
#define R_ENF STS_READY_ENFORCING
#define R_NOT STS_READY_NOT_READY
#define R_NA STS_READY_NA
#define R_TO STS_READY_TO_ENFORCE

static const struct ccase cases[] = {
    {"valid enforce", m_none, V, STS_CAT_NONE, "", R_ENF, 1, true, false},
    {"no txt", m_no_txt, STS_STATUS_NO_POLICY, STS_CAT_NONE, "", R_NA, -1, false, false},
    {"only other txt records", m_other_txt_only, STS_STATUS_NO_POLICY, STS_CAT_NONE, "", R_NA, -1,
     false, false},
    {"domain nxdomain", m_nxdomain, STS_STATUS_DOMAIN_NXDOMAIN, STS_CAT_NONE, "", R_NA, -1, false,
     false},
    {"txt servfail", m_txt_servfail, STS_STATUS_DNS_ERROR, STS_CAT_NONE, "", R_NA, 1, false, false},
    {"txt timeout", m_txt_timeout, STS_STATUS_DNS_ERROR, STS_CAT_NONE, "", R_NA, 1, false, false},
    {"txt not asked", m_txt_not_asked, STS_STATUS_DNS_ERROR, STS_CAT_NONE, "", R_NA, 1, false,
     false},
    {"address lookups failed", m_addr_servfail, STS_STATUS_DNS_ERROR, STS_CAT_NONE, "", R_NOT, -1,
     false, false},
    {"txt syntax", m_txt_syntax, I, STS_CAT_TXT_SYNTAX, "", R_NOT, 1, false, false},
    {"txt multiple", m_txt_multiple, I, STS_CAT_TXT_MULTIPLE, "", R_NOT, 1, false, false},
    {"policy host no address", m_no_address, I, STS_CAT_POLICY_HOST_NO_ADDRESS, "", R_NOT, -1,
     false, false},
    {"policy host private", m_private, I, STS_CAT_POLICY_HOST_PRIVATE_ADDRESS, "", R_NOT, -1, false,
     false},
    {"connect failed", m_connect, I, STS_CAT_HTTPS_CONNECT_FAILED, "", R_NOT, -1, false, false},
    {"timeout", m_timeout, I, STS_CAT_HTTPS_TIMEOUT, "", R_NOT, -1, false, false},
    {"tls handshake", m_tls, I, STS_CAT_TLS_HANDSHAKE_FAILED, "", R_NOT, -1, false, false},
    {"cert expired", m_cert_expired, I, STS_CAT_CERT_EXPIRED, "", R_NOT, -1, false, false},
    {"cert expired and self-signed", m_cert_expired_self_signed, I, STS_CAT_CERT_EXPIRED, "", R_NOT,
     -1, false, false},
    {"cert not yet valid", m_cert_not_yet, I, STS_CAT_CERT_NOT_YET_VALID, "", R_NOT, -1, false,
     false},
    {"cert name mismatch", m_cert_mismatch, I, STS_CAT_CERT_NAME_MISMATCH, "", R_NOT, -1, false,
     false},
    {"cert name mismatch by facts", m_cert_mismatch_ok_code, I, STS_CAT_CERT_NAME_MISMATCH, "",
     R_NOT, -1, false, false},
    {"cert self-signed", m_cert_self_signed, I, STS_CAT_CERT_SELF_SIGNED, "", R_NOT, -1, false,
     false},
    {"cert self-signed with a wrong name", m_cert_self_signed_wrong_name, I,
     STS_CAT_CERT_SELF_SIGNED, "", R_NOT, -1, false, false},
    {"cert untrusted with a wrong name", m_cert_untrusted_wrong_name, I, STS_CAT_CERT_UNTRUSTED, "",
     R_NOT, -1, false, false},
    {"body too large, no status kept", m_too_large_no_status, I, STS_CAT_BODY_TOO_LARGE, "", R_NOT,
     -1, false, false},
    {"cert self-signed in chain", m_cert_self_signed_chain, I, STS_CAT_CERT_SELF_SIGNED, "", R_NOT,
     -1, false, false},
    {"cert untrusted", m_cert_untrusted, I, STS_CAT_CERT_UNTRUSTED, "", R_NOT, -1, false, false},
    {"cert untrusted leaf", m_cert_untrusted_leaf, I, STS_CAT_CERT_UNTRUSTED, "", R_NOT, -1, false,
     false},
    {"cert other (revoked)", m_cert_other, I, STS_CAT_CERT_OTHER, "", R_NOT, -1, false, false},
    {"http redirect", m_redirect, I, STS_CAT_HTTP_REDIRECT, "", R_NOT, -1, false, false},
    {"http redirect with expired cert", m_redirect_cert_expired, I, STS_CAT_CERT_EXPIRED, "", R_NOT,
     -1, false, false},
    {"http status", m_status, I, STS_CAT_HTTP_STATUS, "", R_NOT, -1, false, false},
    {"http protocol error", m_protocol, I, STS_CAT_HTTP_STATUS, "", R_NOT, -1, false, false},
    {"content type html", m_ctype, I, STS_CAT_CONTENT_TYPE, "", R_NOT, -1, false, false},
    {"content type missing", m_ctype_missing, I, STS_CAT_CONTENT_TYPE, "", R_NOT, -1, false, false},
    {"content type upper case", m_ctype_upper, V, STS_CAT_NONE, "", R_ENF, 1, true, false},
    {"body too large", m_too_large, I, STS_CAT_BODY_TOO_LARGE, "", R_NOT, -1, false, false},
    {"policy syntax", m_policy_syntax, I, STS_CAT_POLICY_SYNTAX, "", R_NOT, -1, false, false},
    {"policy version", m_policy_version, I, STS_CAT_POLICY_VERSION, "", R_NOT, -1, false, false},
    {"policy mode", m_policy_mode, I, STS_CAT_POLICY_MODE, "", R_NOT, -1, false, false},
    {"policy max_age", m_policy_max_age, I, STS_CAT_POLICY_MAX_AGE, "", R_NOT, -1, false, false},
    {"policy no mx", m_policy_no_mx, I, STS_CAT_POLICY_NO_MX, "", R_NOT, -1, false, false},
    {"policy errors: table order wins", m_policy_several, I, STS_CAT_POLICY_SYNTAX, "", R_NOT, -1,
     false, false},
    {"empty body", m_empty_body, I, STS_CAT_POLICY_VERSION, "", R_NOT, -1, false, false},
    {"mx not covered, enforce", m_not_covered_enforce, I, STS_CAT_MX_NOT_COVERED,
     "mx_pattern_unused", R_NOT, 0, false, true},
    {"mx not covered, testing", m_not_covered_testing, I, STS_CAT_MX_NOT_COVERED,
     "mx_pattern_unused", R_NOT, 0, false, false},
    {"wildcard covers one label only", m_wildcard_two_labels, I, STS_CAT_MX_NOT_COVERED,
     "mx_pattern_unused", R_NOT, 0, false, true},
    {"mx lookup failed: coverage unknown", m_mx_servfail, V, STS_CAT_NONE, "", R_ENF, -1, true,
     false},
    {"no mx", m_no_mx, V, STS_CAT_NONE, "no_mx", R_ENF, 1, true, false},
    {"null mx", m_null_mx, V, STS_CAT_NONE, "null_mx", R_ENF, 1, true, false},
    {"mx nxdomain with a record", m_enforce_nxdomain_mx, V, STS_CAT_NONE, "", R_ENF, 1, true,
     false},
    {"lf line endings stay strict", m_lf, V, STS_CAT_NONE, "lf_line_endings", R_ENF, 1, true,
     false},
    {"tolerated policy: lenient only", m_tolerant, V, STS_CAT_NONE, "", R_ENF, 1, false, false},
    {"tolerated txt: lenient only", m_txt_tolerant, V, STS_CAT_NONE, "", R_ENF, 1, false, false},
    {"max_age short", m_short_max_age, V, STS_CAT_NONE, "max_age_short", R_ENF, 1, true, false},
    {"tlsrpt missing", m_tlsrpt_missing, V, STS_CAT_NONE, "tlsrpt_missing", R_ENF, 1, true, false},
    {"tlsrpt invalid", m_tlsrpt_invalid, V, STS_CAT_NONE, "tlsrpt_invalid", R_ENF, 1, true, false},
    {"tlsrpt multiple", m_tlsrpt_multiple, V, STS_CAT_NONE, "tlsrpt_invalid", R_ENF, 1, true,
     false},
    {"tlsrpt lookup failed: no warning", m_tlsrpt_servfail, V, STS_CAT_NONE, "", R_ENF, 1, true,
     false},
    {"cert expiring soon", m_expiring, V, STS_CAT_NONE, "cert_expiring_soon", R_ENF, 1, true,
     false},
    {"mx pattern unused", m_unused_pattern, V, STS_CAT_NONE, "mx_pattern_unused", R_ENF, 1, true,
     false},
    {"policy without txt", m_policy_without_txt, STS_STATUS_NO_POLICY, STS_CAT_NONE,
     "policy_without_txt", R_NA, 1, false, false},
    {"txt at apex", m_apex, STS_STATUS_NO_POLICY, STS_CAT_NONE, "txt_at_apex", R_NA, -1, false,
     false},
    {"mode none", m_mode_none, V, STS_CAT_NONE, "mode_none", R_NOT, -1, true, false},
    {"testing ready to enforce", m_testing_ready, V, STS_CAT_NONE, "", R_TO, 1, true, false},
    {"testing without tlsrpt", m_testing_no_tlsrpt, V, STS_CAT_NONE,
     "testing_without_tlsrpt,tlsrpt_missing", R_NOT, 1, true, false},
    {"testing with short max_age", m_testing_short, V, STS_CAT_NONE, "max_age_short", R_NOT, 1,
     true, false},
    {"testing with expiring cert", m_testing_expiring, V, STS_CAT_NONE, "cert_expiring_soon", R_NOT,
     1, true, false},
    {"testing with unknown coverage", m_testing_mx_unknown, V, STS_CAT_NONE, "", R_NOT, -1, true,
     false},
};

static void run_case(const struct ccase *c)
{
    struct builder b;
    build_good(&b);
    c->mutate(&b);
    struct sts_verdict v;
    sts_classify(&b.obs, &v);
    char got_w[256], name[160];
    sts_warnings_format(v.warnings, got_w, sizeof got_w);
    snprintf(name, sizeof name, "classify: %s", c->name);
    const char *why = NULL;
    char buf[1024];
    if (v.status != c->status)
        why = "status";
    else if (v.category != c->category)
        why = "category";
    else if (strcmp(got_w, c->warnings) != 0)
        why = "warnings";
    else if (v.readiness != c->readiness)
        why = "readiness";
    else if (v.mx_covered != c->mx_covered)
        why = "mx_covered";
    else if (v.valid_strict != c->strict)
        why = "valid_strict";
    else if (v.valid_lenient != (c->status == V))
        why = "valid_lenient";
    else if (v.would_fail_delivery != c->would_fail)
        why = "would_fail_delivery";
    else if (v.detail[0] == '\0')
        why = "detail empty";
    snprintf(buf, sizeof buf,
             "%s differs: got status=%s category=%s warnings=%s readiness=%s mx_covered=%d "
             "strict=%d fail=%d detail='%s'",
             why ? why : "", sts_status_name(v.status), sts_category_name(v.category), got_w,
             sts_readiness_name(v.readiness), v.mx_covered, v.valid_strict, v.would_fail_delivery,
             v.detail);
    TAP_CHECK(why == NULL, name, "%s", buf);
    sts_verdict_free(&v);
}

/* Every status, category and warning is produced by at least one case above. */
static void check_coverage(void)
{
    bool st[STS_STATUS_COUNT] = {0}, cat[STS_CAT_COUNT] = {0}, warn[STS_WARN_COUNT] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        st[cases[i].status] = true;
        cat[cases[i].category] = true;
        uint32_t w;
        if (sts_warnings_parse(cases[i].warnings, &w))
            for (int k = 0; k < STS_WARN_COUNT; k++)
                if (w & (1u << k))
                    warn[k] = true;
    }
    for (int s = 0; s < STS_STATUS_COUNT; s++)
        TAP_CHECK(st[s], "classify coverage: status", "no case for status %s",
                  sts_status_name((enum sts_status)s));
    for (int c = 1; c < STS_CAT_COUNT; c++)
        TAP_CHECK(cat[c], "classify coverage: category", "no case for category %s",
                  sts_category_name((enum sts_category)c));
    /* The delivery-side warnings are covered by test_rules_delivery.c. */
    for (int w = 0; w < STS_WARN_MX_CERT_EXPIRING_SOON; w++)
        TAP_CHECK(warn[w], "classify coverage: warning", "no case for warning %s",
                  sts_warning_name((enum sts_warning)w));
}

static void check_cert_category(void)
{
    static const struct {
        int code;
        enum sts_category want;
    } t[] = {
        {X509_V_OK, STS_CAT_NONE},
        {X509_V_ERR_CERT_HAS_EXPIRED, STS_CAT_CERT_EXPIRED},
        {X509_V_ERR_CERT_NOT_YET_VALID, STS_CAT_CERT_NOT_YET_VALID},
        {X509_V_ERR_HOSTNAME_MISMATCH, STS_CAT_CERT_NAME_MISMATCH},
        {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, STS_CAT_CERT_SELF_SIGNED},
        {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, STS_CAT_CERT_SELF_SIGNED},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, STS_CAT_CERT_UNTRUSTED},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, STS_CAT_CERT_UNTRUSTED},
        {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, STS_CAT_CERT_UNTRUSTED},
        {X509_V_ERR_CERT_UNTRUSTED, STS_CAT_CERT_UNTRUSTED},
        {X509_V_ERR_CERT_REVOKED, STS_CAT_CERT_OTHER},
        {X509_V_ERR_CERT_SIGNATURE_FAILURE, STS_CAT_CERT_OTHER},
        {X509_V_ERR_INVALID_PURPOSE, STS_CAT_CERT_OTHER},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char name[80];
        snprintf(name, sizeof name, "sts_cert_category(%d)", t[i].code);
        TAP_STR_EQ(sts_category_name(sts_cert_category(t[i].code)), sts_category_name(t[i].want),
                   name);
    }
}

/* The per-MX pattern index and the verdict's own copies. */
static void check_mx_pattern_index(void)
{
    struct builder b;
    build_good(&b);
    mx(&b, "A.BACKUP.EXAMPLE.NET", "unknown.example.org");
    struct sts_verdict v;
    sts_classify(&b.obs, &v);
    TAP_CHECK(v.n_mx == 2 && v.mx_pattern && v.mx_pattern[0] == 1 && v.mx_pattern[1] == -1,
              "classify: mx_pattern per host", "n_mx=%zu [0]=%d [1]=%d", v.n_mx,
              v.mx_pattern ? v.mx_pattern[0] : -9, v.mx_pattern ? v.mx_pattern[1] : -9);
    TAP_STR_EQ(v.txt.id, "20240101T000000", "classify: txt id kept");
    TAP_CHECK(v.tlsrpt_state == STS_TLSRPT_VALID && v.tlsrpt.n_rua == 1, "classify: tlsrpt kept",
              "state=%d n_rua=%zu", v.tlsrpt_state, v.tlsrpt.n_rua);
    TAP_CHECK(strstr(v.detail, "unknown.example.org") != NULL, "classify: detail names the host",
              "detail '%s'", v.detail);
    sts_verdict_free(&v);
}

/* A zeroed observation must not crash and must say dns_error (nothing was asked). */
static void check_zero_observation(void)
{
    struct sts_observation o;
    memset(&o, 0, sizeof o);
    struct sts_verdict v;
    sts_classify(&o, &v);
    TAP_CHECK(v.status == STS_STATUS_DNS_ERROR, "classify: zeroed observation", "status %s",
              sts_status_name(v.status));
    sts_verdict_free(&v);
}

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    check_coverage();
    check_cert_category();
    check_mx_pattern_index();
    check_zero_observation();
    TAP_DONE();
}
