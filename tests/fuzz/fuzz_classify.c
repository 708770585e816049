/* libFuzzer harness: the classifier and the MX matcher, on observations built from bytes. */
#include <openssl/x509_vfy.h>
#include <strings.h>

#include "rules/sts_classify.h"
#include "rules/sts_mx.h"
#include "tests/fuzz/fuzz_common.h"

#define FUZZ_SELECTORS 16
#define FUZZ_SECTIONS 6 /* txt records, mx hosts, tlsrpt records, apex records, body, probes */
#define FUZZ_MAX_HOSTS 8

struct sections {
    const uint8_t *p[FUZZ_SECTIONS];
    size_t len[FUZZ_SECTIONS];
};

/* Sections are separated by 0xFF bytes; missing ones are empty. */
static void split_sections(const uint8_t *d, size_t n, struct sections *s)
{
    memset(s, 0, sizeof *s);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n && k < FUZZ_SECTIONS; i++) {
        if (i == n || (d[i] == 0xFF && k + 1 < FUZZ_SECTIONS)) {
            s->p[k] = d + start;
            s->len[k] = i - start;
            k++;
            start = i + 1;
        }
    }
}

/* MX host names must be C strings: copies, freed by the caller. */
static size_t make_hosts(const uint8_t *d, size_t n, struct sts_mx_host *hosts, char **owned)
{
    struct sts_txt_record recs[FUZZ_MAX_RECORDS];
    size_t nr = n ? fuzz_split_records(d, n, recs) : 0, nh = 0;
    for (size_t i = 0; i < nr && nh < FUZZ_MAX_HOSTS; i++) {
        char *h = malloc(recs[i].len + 1);
        if (!h)
            break;
        memcpy(h, recs[i].data, recs[i].len);
        h[recs[i].len] = '\0';
        owned[nh] = h;
        hosts[nh].host = h;
        hosts[nh].preference = (unsigned)i;
        nh++;
    }
    return nh;
}

/* The matcher never matches more than RFC 8461 4.1 allows. */
static void check_match(const char *pattern, const char *host)
{
    if (!sts_mx_pattern_matches(pattern, host))
        return;
    size_t pl = strlen(pattern), hl = strlen(host);
    if (pl && pattern[pl - 1] == '.')
        pl--;
    if (hl && host[hl - 1] == '.')
        hl--;
    FUZZ_ASSERT(pl > 0 && hl > 0);
    if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        FUZZ_ASSERT(hl > pl - 1);
        FUZZ_ASSERT(strncasecmp(host + hl - (pl - 1), pattern + 1, pl - 1) == 0);
        FUZZ_ASSERT(memchr(host, '.', hl - (pl - 1)) == NULL);
    } else {
        FUZZ_ASSERT(pl == hl && strncasecmp(pattern, host, pl) == 0);
    }
}

static const int verify_codes[] = {
    X509_V_OK,
    X509_V_ERR_CERT_HAS_EXPIRED,
    X509_V_ERR_CERT_NOT_YET_VALID,
    X509_V_ERR_HOSTNAME_MISMATCH,
    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    X509_V_ERR_CERT_REVOKED,
};
static const long http_statuses[] = {200, 301, 302, 404, 500, 0, 204, 200};
static const char *const content_types[] = {
    "text/plain", "text/html", NULL, "TEXT/PLAIN; charset=utf-8", " text/plain ;x", ""};

static void check_verdict(const struct sts_verdict *v)
{
    FUZZ_ASSERT(v->status < STS_STATUS_COUNT && v->category < STS_CAT_COUNT);
    FUZZ_ASSERT((v->status == STS_STATUS_INVALID) == (v->category != STS_CAT_NONE));
    FUZZ_ASSERT(v->valid_lenient == (v->status == STS_STATUS_VALID));
    FUZZ_ASSERT(!v->valid_strict || v->valid_lenient);
    FUZZ_ASSERT(!v->would_fail_delivery ||
                (v->policy.mode == STS_MODE_ENFORCE &&
                 (v->category == STS_CAT_MX_NOT_COVERED ||
                  (v->status == STS_STATUS_VALID && v->n_mx_failing > 0))));
    FUZZ_ASSERT(v->n_mx_failing <= v->n_mx_probed);
    FUZZ_ASSERT(!v->mx_verified || v->smtp_checked);
    FUZZ_ASSERT((v->n_mx_failing > 0) == sts_smtp_outcome_fails_delivery(v->mx_outcome));
    FUZZ_ASSERT(v->mx_outcome < STS_SMTP_COUNT && v->dane_outcome < STS_DANE_COUNT);
    FUZZ_ASSERT(v->dane_checked == (v->dane_summary != STS_DANE_SUM_NOT_CHECKED));
    if (v->readiness == STS_READY_TO_ENFORCE)
        FUZZ_ASSERT(!(v->warnings & ((1u << STS_WARN_MX_TLS_INVALID) | (1u << STS_WARN_MX_TLS_OLD) |
                                     (1u << STS_WARN_MX_CERT_EXPIRING_SOON))));
    FUZZ_ASSERT((v->readiness == STS_READY_NA) == (v->txt.n_version_records == 0));
    FUZZ_ASSERT((v->readiness_warnings & ~v->warnings) == 0);
    FUZZ_ASSERT(v->warnings < (1u << STS_WARN_COUNT));
    FUZZ_ASSERT(v->mx_covered >= -1 && v->mx_covered <= 1);
    FUZZ_ASSERT(memchr(v->detail, '\0', sizeof v->detail) != NULL && v->detail[0] != '\0');
    if (v->status == STS_STATUS_VALID)
        FUZZ_ASSERT(v->policy_parsed && v->policy.valid && v->mx_covered != 0);
    char buf[64];
    size_t n = sts_warnings_format(v->warnings, buf, sizeof buf);
    FUZZ_ASSERT(n < sizeof buf && strlen(buf) == n);
}

static int fuzz_classify_one(const uint8_t *data, size_t size)
{
    if (size < FUZZ_SELECTORS)
        return 0;
    const uint8_t *b = data;
    struct sections s;
    split_sections(data + FUZZ_SELECTORS, size - FUZZ_SELECTORS, &s);

    struct sts_txt_record txt[FUZZ_MAX_RECORDS], rpt[FUZZ_MAX_RECORDS], apex[FUZZ_MAX_RECORDS];
    struct sts_mx_host hosts[FUZZ_MAX_HOSTS];
    char *owned[FUZZ_MAX_HOSTS] = {0};
    struct sts_observation o;
    memset(&o, 0, sizeof o);
    o.domain = "example.com";
    o.now = 1790000000;
    o.txt_outcome = (enum sts_dns_outcome)(b[0] % 8);
    o.mx_outcome = (enum sts_dns_outcome)(b[1] % 8);
    o.tlsrpt_outcome = (enum sts_dns_outcome)(b[2] % 8);
    o.apex_outcome = (enum sts_dns_outcome)(b[3] % 8);
    o.a_outcome = (enum sts_dns_outcome)(b[4] % 8);
    o.aaaa_outcome = (enum sts_dns_outcome)(b[5] % 8);
    o.n_addrs = b[6] % 4;
    o.n_addrs_refused = b[7] % 4;
    o.https = (enum sts_https_outcome)(b[8] % 8);
    o.cert.verify_code = verify_codes[b[9] % (sizeof verify_codes / sizeof verify_codes[0])];
    o.cert.present = b[10] & 1;
    o.cert.name_matches = b[10] & 2;
    o.cert.self_signed = b[10] & 4;
    o.http_status = http_statuses[b[11] % (sizeof http_statuses / sizeof http_statuses[0])];
    o.content_type = content_types[b[12] % (sizeof content_types / sizeof content_types[0])];
    o.cert.not_after = (b[13] & 1) ? 0 : o.now + (int64_t)(int8_t)b[13] * 86400;
    o.cert.not_before = (b[14] & 1) ? 0 : o.now + (int64_t)(int8_t)b[14] * 86400;
    o.txt = txt;
    o.n_txt = s.len[0] ? fuzz_split_records(s.p[0], s.len[0], txt) : 0;
    o.mx = hosts;
    o.n_mx = make_hosts(s.p[1], s.len[1], hosts, owned);
    o.tlsrpt = rpt;
    o.n_tlsrpt = s.len[2] ? fuzz_split_records(s.p[2], s.len[2], rpt) : 0;
    o.apex = apex;
    o.n_apex = s.len[3] ? fuzz_split_records(s.p[3], s.len[3], apex) : 0;
    if (!(b[15] & 1)) {
        o.body = (const char *)s.p[4];
        o.body_len = s.len[4];
    }

    /* The delivery side: a flag byte, then 4 bytes per MX host (two address outcomes, the
     * DANE facts, the certificate's expiry). Probes borrow the MX names, in answer order. */
    struct sts_mx_probe probes[FUZZ_MAX_HOSTS];
    const struct sts_mx_probe *probe_ptrs[FUZZ_MAX_HOSTS];
    const uint8_t *pb = s.p[5];
    size_t pn = s.len[5];
    if (pn > 0) {
        o.smtp_checked = pb[0] & 1;
        o.dane_checked = pb[0] & 2;
        o.port25_blocked = pb[0] & 4;
        pb++;
        pn--;
    }
    for (size_t i = 0; i < o.n_mx && pn >= 4; i++, pb += 4, pn -= 4) {
        struct sts_mx_probe *p = &probes[o.n_mx_probes];
        memset(p, 0, sizeof *p);
        p->host = hosts[(pb[3] >> 4) % o.n_mx].host; /* sometimes a repeat or another host */
        p->smtp_checked = o.smtp_checked;
        p->dane_checked = o.dane_checked;
        p->n_addrs = pb[2] & 3;
        for (size_t a = 0; a < p->n_addrs; a++) {
            struct sts_smtp_addr_probe *ap = &p->addrs[a];
            ap->outcome = (enum sts_smtp_outcome)(pb[a & 1] % STS_SMTP_COUNT);
            ap->dane = (enum sts_dane_outcome)((pb[a & 1] >> 4) % STS_DANE_COUNT);
            ap->cert.present = pb[3] & 1;
            ap->cert.not_after = o.now + (int64_t)(int8_t)(pb[3] & 0xFE) * 86400;
        }
        p->tlsa_ad = pb[2] & 4;
        p->tlsa_rcode = (pb[2] & 8) ? 2 : 0;
        p->n_tlsa = (pb[2] >> 4) & 3;
        p->n_tlsa_usable = (pb[2] >> 6) <= p->n_tlsa ? (pb[2] >> 6) : p->n_tlsa;
        p->smtp = sts_smtp_host_outcome(p);
        p->dane = sts_dane_host_outcome(p);
        probe_ptrs[o.n_mx_probes++] = p;
    }
    o.mx_probes = probe_ptrs;

    struct sts_verdict *v = malloc(sizeof *v);
    if (v) {
        sts_classify(&o, v);
        check_verdict(v);
        for (size_t i = 0; i < o.n_mx; i++)
            for (size_t j = 0; j < o.n_mx; j++)
                check_match(hosts[i].host, hosts[j].host);
        sts_verdict_free(v);
        free(v);
    }
    for (size_t i = 0; i < FUZZ_MAX_HOSTS; i++)
        free(owned[i]);
    return 0;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_classify_one(data, size);
}
#endif
