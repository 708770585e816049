/* Table-driven tests of the delivery side of sts_classify: every SMTP and DANE outcome against
 * would_fail_delivery, readiness, the delivery warnings and the per-domain roll-ups. */
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>

#include "rules/sts_classify.h"
#include "tests/unit/tap.h"

#define NOW 1790000000LL
#define DAY 86400LL
#define POLICY(mode)                                                                               \
    "version: STSv1\r\nmode: " mode "\r\nmx: mx1.example.com\r\nmx: *.backup.example.net\r\n"      \
    "max_age: 604800\r\n"

/* DANE state of a host, as the observations that produce it. */
enum dane_spec { D_OFF = 0, D_NONE, D_VALID, D_MISMATCH, D_UNSIGNED, D_INVALID, D_BOGUS, D_NOHS };

/* One MX host: the outcome of its first address (and of a second one when not NOT_PROBED),
 * STS_SMTP_NO_ADDRESS for a host without addresses. */
struct host_spec {
    enum sts_smtp_outcome a1, a2;
    enum dane_spec dane;
    bool expiring; /* the first address's certificate expires in 5 days */
};

struct dcase {
    const char *name;
    char mode;          /* 'E' enforce, 'T' testing */
    bool smtp, blocked; /* obs->smtp_checked, obs->port25_blocked */
    bool uncovered;     /* the second MX host matches no pattern */
    struct host_spec h1, h2;
    /* expected */
    bool would_fail;
    enum sts_readiness readiness;
    const char *warnings;
    bool mx_verified;
    enum sts_smtp_outcome mx_outcome;
    enum sts_dane_summary dane;
    size_t failing;
};

#define OK STS_SMTP_OK
#define NP STS_SMTP_NOT_PROBED
#define ENF STS_READY_ENFORCING
#define RDY STS_READY_TO_ENFORCE
#define NOT STS_READY_NOT_READY
#define DNC STS_DANE_SUM_NOT_CHECKED

/* Hosts: H(outcome) one address; H2(a, b) two addresses; HD(outcome, dane); HX(outcome)
 * with a certificate expiring in 5 days. */
#define H(o)                                                                                       \
    {                                                                                              \
        o, NP, D_OFF, false                                                                        \
    }
#define H2(a, b)                                                                                   \
    {                                                                                              \
        a, b, D_OFF, false                                                                         \
    }
#define HD(o, d)                                                                                   \
    {                                                                                              \
        o, NP, d, false                                                                            \
    }
#define HX(o)                                                                                      \
    {                                                                                              \
        o, NP, D_OFF, true                                                                         \
    }

// clang-format off
static const struct dcase cases[] = {
    /* name, mode, smtp, blocked, uncovered, h1, h2,
     * would_fail, readiness, warnings, mx_verified, mx_outcome, dane, failing */
    {"enforce, both hosts smtp_ok", 'E', true, false, false, H(OK), H(OK),
     false, ENF, "", true, OK, DNC, 0},
    {"testing, both smtp_ok: ready, verified", 'T', true, false, false, H(OK), H(OK),
     false, RDY, "", true, OK, DNC, 0},
    {"testing, SMTP stage off: ready, not verified", 'T', false, false, false, H(NP), H(NP),
     false, RDY, "", false, NP, DNC, 0},
    {"enforce, SMTP stage off: would fail only by coverage", 'E', false, false, true, H(NP), H(NP),
     true, NOT, "mx_pattern_unused", false, NP, DNC, 0},
    {"enforce, port 25 blocked: probes ignored", 'E', true, true, false,
     H(STS_SMTP_UNREACHABLE), H(STS_SMTP_UNREACHABLE),
     false, ENF, "", false, NP, DNC, 0},
    {"enforce, starttls_not_offered", 'E', true, false, false, H(STS_SMTP_STARTTLS_NOT_OFFERED), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_STARTTLS_NOT_OFFERED, DNC, 1},
    {"enforce, starttls_failed", 'E', true, false, false, H(STS_SMTP_STARTTLS_FAILED), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_STARTTLS_FAILED, DNC, 1},
    {"enforce, mx_cert_expired", 'E', true, false, false, H(OK), H(STS_SMTP_CERT_EXPIRED),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_EXPIRED, DNC, 1},
    {"enforce, mx_cert_not_yet_valid", 'E', true, false, false, H(STS_SMTP_CERT_NOT_YET_VALID), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_NOT_YET_VALID, DNC, 1},
    {"enforce, mx_cert_name_mismatch", 'E', true, false, false, H(STS_SMTP_CERT_NAME_MISMATCH), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_NAME_MISMATCH, DNC, 1},
    {"enforce, mx_cert_self_signed", 'E', true, false, false, H(STS_SMTP_CERT_SELF_SIGNED), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_SELF_SIGNED, DNC, 1},
    {"enforce, mx_cert_untrusted", 'E', true, false, false, H(STS_SMTP_CERT_UNTRUSTED), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_UNTRUSTED, DNC, 1},
    {"enforce, both hosts fail", 'E', true, false, false,
     H(STS_SMTP_CERT_UNTRUSTED), H(STS_SMTP_STARTTLS_NOT_OFFERED),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_STARTTLS_NOT_OFFERED, DNC, 2},
    {"enforce, mx_tls_old: delivers, warned", 'E', true, false, false, H(STS_SMTP_TLS_OLD), H(OK),
     false, ENF, "mx_tls_old", true, STS_SMTP_TLS_OLD, DNC, 0},
    {"enforce, smtp_connect_failed never counts", 'E', true, false, false, H(STS_SMTP_CONNECT_FAILED), H(OK),
     false, ENF, "", false, STS_SMTP_CONNECT_FAILED, DNC, 0},
    {"enforce, smtp_timeout never counts", 'E', true, false, false, H(STS_SMTP_TIMEOUT), H(OK),
     false, ENF, "", false, STS_SMTP_TIMEOUT, DNC, 0},
    {"enforce, smtp_refused (5xx) never counts", 'E', true, false, false, H(STS_SMTP_REFUSED), H(OK),
     false, ENF, "", false, STS_SMTP_REFUSED, DNC, 0},
    {"enforce, smtp_unreachable never counts", 'E', true, false, false, H(STS_SMTP_UNREACHABLE), H(OK),
     false, ENF, "", false, STS_SMTP_UNREACHABLE, DNC, 0},
    {"enforce, smtp_no_address never counts", 'E', true, false, false, H(STS_SMTP_NO_ADDRESS), H(OK),
     false, ENF, "", false, STS_SMTP_NO_ADDRESS, DNC, 0},
    {"enforce, smtp_address_refused never counts", 'E', true, false, false, H(STS_SMTP_ADDRESS_REFUSED), H(OK),
     false, ENF, "", false, STS_SMTP_ADDRESS_REFUSED, DNC, 0},
    {"enforce, smtp_per_ip_wait (not checked) never counts", 'E', true, false, false, H(STS_SMTP_PER_IP_WAIT), H(OK),
     false, ENF, "", false, STS_SMTP_PER_IP_WAIT, DNC, 0},
    {"enforce, one address ok, the other not checked: host not judged", 'E', true, false, false,
     H2(OK, STS_SMTP_PER_IP_WAIT), H(OK),
     false, ENF, "", false, STS_SMTP_PER_IP_WAIT, DNC, 0},
    {"enforce, one address mx_tls_old, the other not checked: not judged", 'E', true, false, false,
     H2(STS_SMTP_TLS_OLD, STS_SMTP_PER_IP_WAIT), H(OK),
     false, ENF, "", false, STS_SMTP_PER_IP_WAIT, DNC, 0},
    {"enforce, one address not checked, the other expired: fails on the probe made", 'E', true, false, false,
     H2(STS_SMTP_PER_IP_WAIT, STS_SMTP_CERT_EXPIRED), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_EXPIRED, DNC, 1},
    {"testing, a host not checked: ready on the policy side only", 'T', true, false, false,
     H(STS_SMTP_PER_IP_WAIT), H(OK),
     false, RDY, "", false, STS_SMTP_PER_IP_WAIT, DNC, 0},
    {"enforce, one address down, the other expired: fails", 'E', true, false, false,
     H2(STS_SMTP_CONNECT_FAILED, STS_SMTP_CERT_EXPIRED), H(OK),
     true, ENF, "mx_tls_invalid", true, STS_SMTP_CERT_EXPIRED, DNC, 1},
    {"enforce, one address down, the other ok", 'E', true, false, false,
     H2(STS_SMTP_CONNECT_FAILED, OK), H(OK),
     false, ENF, "", true, OK, DNC, 0},
    {"enforce, uncovered MX and a bad certificate", 'E', true, false, true, H(STS_SMTP_CERT_EXPIRED), H(OK),
     true, NOT, "mx_pattern_unused,mx_tls_invalid", true, STS_SMTP_CERT_EXPIRED, DNC, 1},
    {"testing, mx_cert_name_mismatch: not ready, never fails", 'T', true, false, false,
     H(STS_SMTP_CERT_NAME_MISMATCH), H(OK),
     false, NOT, "mx_tls_invalid", true, STS_SMTP_CERT_NAME_MISMATCH, DNC, 1},
    {"testing, starttls_not_offered: not ready", 'T', true, false, false,
     H(STS_SMTP_STARTTLS_NOT_OFFERED), H(OK),
     false, NOT, "mx_tls_invalid", true, STS_SMTP_STARTTLS_NOT_OFFERED, DNC, 1},
    {"testing, mx_tls_old: not ready", 'T', true, false, false, H(STS_SMTP_TLS_OLD), H(OK),
     false, NOT, "mx_tls_old", true, STS_SMTP_TLS_OLD, DNC, 0},
    {"testing, MX certificate expiring in 5 days: not ready", 'T', true, false, false, HX(OK), H(OK),
     false, NOT, "mx_cert_expiring_soon", true, OK, DNC, 0},
    {"enforce, MX certificate expiring in 5 days: warned", 'E', true, false, false, HX(OK), H(OK),
     false, ENF, "mx_cert_expiring_soon", true, OK, DNC, 0},
    {"testing, one host unreachable: ready, not verified", 'T', true, false, false,
     H(STS_SMTP_CONNECT_FAILED), H(OK),
     false, RDY, "", false, STS_SMTP_CONNECT_FAILED, DNC, 0},
    {"testing, 5xx greeting: ready, not verified", 'T', true, false, false, H(STS_SMTP_REFUSED), H(OK),
     false, RDY, "", false, STS_SMTP_REFUSED, DNC, 0},
    /* DANE */
    {"dane: no TLSA anywhere", 'E', true, false, false, HD(OK, D_NONE), HD(OK, D_NONE),
     false, ENF, "", true, OK, STS_DANE_SUM_NONE, 0},
    {"dane: both hosts valid", 'E', true, false, false, HD(OK, D_VALID), HD(OK, D_VALID),
     false, ENF, "", true, OK, STS_DANE_SUM_FULL, 0},
    {"dane: one host valid", 'E', true, false, false, HD(OK, D_VALID), HD(OK, D_NONE),
     false, ENF, "", true, OK, STS_DANE_SUM_PARTIAL, 0},
    {"dane: mismatch while MTA-STS accepts: conflict", 'E', true, false, false,
     HD(OK, D_MISMATCH), HD(OK, D_NONE),
     false, ENF, "dane_and_sts_conflict,dane_failure", true, OK, STS_DANE_SUM_PARTIAL, 0},
    {"dane: valid while MTA-STS rejects (self-signed): conflict", 'E', true, false, false,
     HD(STS_SMTP_CERT_SELF_SIGNED, D_VALID), HD(OK, D_NONE),
     true, ENF, "dane_and_sts_conflict,mx_tls_invalid", true, STS_SMTP_CERT_SELF_SIGNED,
     STS_DANE_SUM_PARTIAL, 1},
    {"dane: mismatch and MTA-STS rejects too: no conflict", 'E', true, false, false,
     HD(STS_SMTP_CERT_UNTRUSTED, D_MISMATCH), HD(OK, D_NONE),
     true, ENF, "dane_failure,mx_tls_invalid", true, STS_SMTP_CERT_UNTRUSTED, STS_DANE_SUM_PARTIAL, 1},
    {"dane: TLSA without DNSSEC", 'E', true, false, false, HD(OK, D_UNSIGNED), HD(OK, D_NONE),
     false, ENF, "tlsa_without_dnssec", true, OK, STS_DANE_SUM_NONE, 0},
    {"dane: unusable TLSA", 'E', true, false, false, HD(OK, D_INVALID), HD(OK, D_NONE),
     false, ENF, "", true, OK, STS_DANE_SUM_NONE, 0},
    {"dane: bogus DNSSEC", 'T', true, false, false, HD(OK, D_BOGUS), HD(OK, D_NONE),
     false, RDY, "dane_failure", true, OK, STS_DANE_SUM_NONE, 0},
    {"dane: TLSA, no handshake to match", 'E', true, false, false,
     HD(STS_SMTP_CONNECT_FAILED, D_NOHS), HD(OK, D_VALID),
     false, ENF, "", false, STS_SMTP_CONNECT_FAILED, STS_DANE_SUM_FULL, 0},
    {"dane: mismatch on an uncovered host: no conflict", 'E', true, false, true,
     HD(OK, D_NONE), HD(OK, D_MISMATCH),
     true, NOT, "dane_failure,mx_pattern_unused", true, OK, STS_DANE_SUM_PARTIAL, 0},
    {"dane without the SMTP stage: TLSA facts only", 'E', false, false, false,
     HD(NP, D_UNSIGNED), HD(NP, D_NONE),
     false, ENF, "tlsa_without_dnssec", false, NP, STS_DANE_SUM_NONE, 0},
};
// clang-format on

struct builder {
    struct sts_observation obs;
    struct sts_txt_record txt[1], tlsrpt[1];
    struct sts_mx_host mx[2];
    struct sts_mx_probe probes[2];
    const struct sts_mx_probe *probe_ptrs[2];
};

static void fill_addr(struct sts_smtp_addr_probe *a, enum sts_smtp_outcome o, bool expiring,
                      const char *ip)
{
    memset(a, 0, sizeof *a);
    snprintf(a->addr, sizeof a->addr, "%s", ip);
    a->outcome = o;
    a->time_ms = -1;
    bool tls = o == OK || o == STS_SMTP_TLS_OLD ||
               (o >= STS_SMTP_CERT_EXPIRED && o <= STS_SMTP_CERT_UNTRUSTED);
    a->reply_code = o == STS_SMTP_REFUSED ? 554 : (o == STS_SMTP_CONNECT_FAILED ? 0 : 220);
    a->starttls_offered = tls || o == STS_SMTP_STARTTLS_FAILED;
    if (tls) {
        snprintf(a->tls_version, sizeof a->tls_version, "%s",
                 o == STS_SMTP_TLS_OLD ? "TLSv1" : "TLSv1.3");
        a->cert = (struct sts_cert_facts){.present = true,
                                          .verify_code = X509_V_OK,
                                          .name_matches = true,
                                          .not_before = NOW - 30 * DAY,
                                          .not_after = NOW + (expiring ? 5 : 60) * DAY,
                                          .chain_len = 2};
    }
}

static void fill_probe(struct sts_mx_probe *p, const char *host, const struct host_spec *h,
                       bool smtp)
{
    memset(p, 0, sizeof *p);
    p->host = host;
    p->smtp_checked = smtp;
    p->tlsa_rcode = -1;
    if (smtp && h->a1 != STS_SMTP_NO_ADDRESS && h->a1 != NP) {
        fill_addr(&p->addrs[p->n_addrs++], h->a1, h->expiring, "192.0.2.1");
        if (h->a2 != NP)
            fill_addr(&p->addrs[p->n_addrs++], h->a2, false, "192.0.2.2");
    }
    if (h->dane == D_OFF)
        return;
    p->dane_checked = true;
    p->tlsa_rcode = h->dane == D_BOGUS ? 2 : 0;
    p->n_tlsa = h->dane == D_NONE || h->dane == D_BOGUS ? 0 : 2;
    p->tlsa_ad = h->dane != D_UNSIGNED;
    p->n_tlsa_usable = h->dane == D_INVALID ? 0 : p->n_tlsa;
    enum sts_dane_outcome per_addr = h->dane == D_VALID      ? STS_DANE_VALID
                                     : h->dane == D_MISMATCH ? STS_DANE_MISMATCH
                                                             : STS_DANE_NONE;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (sts_smtp_outcome_judged(p->addrs[i].outcome))
            p->addrs[i].dane = per_addr;
}

static void build(struct builder *b, const struct dcase *c)
{
    memset(b, 0, sizeof *b);
    struct sts_observation *o = &b->obs;
    o->domain = "example.com";
    o->now = NOW;
    b->txt[0] = (struct sts_txt_record){"v=STSv1; id=1", 13};
    o->txt = b->txt;
    o->n_txt = 1;
    o->txt_outcome = STS_DNS_OK;
    b->tlsrpt[0] = (struct sts_txt_record){"v=TLSRPTv1; rua=mailto:tls@example.com", 38};
    o->tlsrpt = b->tlsrpt;
    o->n_tlsrpt = 1;
    o->tlsrpt_outcome = STS_DNS_OK;
    const char *h2 = c->uncovered ? "mx.other.example.org" : "a.backup.example.net.";
    b->mx[0] = (struct sts_mx_host){"MX1.example.com", 10};
    b->mx[1] = (struct sts_mx_host){h2, 20};
    o->mx = b->mx;
    o->n_mx = 2;
    o->mx_outcome = STS_DNS_OK;
    o->a_outcome = STS_DNS_OK;
    o->aaaa_outcome = STS_DNS_NODATA;
    o->n_addrs = 1;
    o->https = STS_HTTPS_OK;
    o->cert = (struct sts_cert_facts){.present = true,
                                      .verify_code = X509_V_OK,
                                      .name_matches = true,
                                      .not_before = NOW - 30 * DAY,
                                      .not_after = NOW + 60 * DAY,
                                      .chain_len = 2};
    o->http_status = 200;
    o->content_type = "text/plain";
    o->body = c->mode == 'E' ? POLICY("enforce") : POLICY("testing");
    o->body_len = strlen(o->body);
    /* Probe host names are normalised (lower case, no trailing dot); MX answers may not be. */
    fill_probe(&b->probes[0], "mx1.example.com", &c->h1, c->smtp);
    fill_probe(&b->probes[1], c->uncovered ? "mx.other.example.org" : "a.backup.example.net",
               &c->h2, c->smtp);
    for (int i = 0; i < 2; i++) {
        b->probes[i].smtp = sts_smtp_host_outcome(&b->probes[i]);
        b->probes[i].dane = sts_dane_host_outcome(&b->probes[i]);
        b->probe_ptrs[i] = &b->probes[i];
    }
    o->smtp_checked = c->smtp;
    o->port25_blocked = c->blocked;
    o->dane_checked = c->h1.dane != D_OFF;
    o->mx_probes = b->probe_ptrs;
    o->n_mx_probes = 2;
}

static void run_case(const struct dcase *c)
{
    struct builder b;
    build(&b, c);
    struct sts_verdict v;
    sts_classify(&b.obs, &v);
    char w[512], name[200];
    sts_warnings_format(v.warnings, w, sizeof w);
    snprintf(name, sizeof name, "delivery: %s", c->name);
    const char *why = NULL;
    if (v.would_fail_delivery != c->would_fail)
        why = "would_fail_delivery";
    else if (v.readiness != c->readiness)
        why = "readiness";
    else if (strcmp(w, c->warnings) != 0)
        why = "warnings";
    else if (v.mx_verified != c->mx_verified)
        why = "mx_verified";
    else if (v.mx_outcome != c->mx_outcome)
        why = "mx_outcome";
    else if (v.dane_summary != c->dane)
        why = "dane_summary";
    else if (v.n_mx_failing != c->failing)
        why = "n_mx_failing";
    TAP_CHECK(why == NULL, name,
              "%s differs: fail=%d readiness=%s warnings=%s verified=%d mx_outcome=%s dane=%s "
              "failing=%zu",
              why ? why : "", v.would_fail_delivery, sts_readiness_name(v.readiness), w,
              v.mx_verified, sts_smtp_outcome_name(v.mx_outcome),
              sts_dane_summary_name(v.dane_summary) ? sts_dane_summary_name(v.dane_summary) : "-",
              v.n_mx_failing);
    sts_verdict_free(&v);
}

/* Every SMTP outcome and every delivery warning appears in a case. */
static void check_coverage(void)
{
    bool seen[STS_SMTP_COUNT] = {0}, warn[STS_WARN_COUNT] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seen[cases[i].h1.a1] = seen[cases[i].h1.a2] = seen[cases[i].h2.a1] = true;
        uint32_t ws;
        if (sts_warnings_parse(cases[i].warnings, &ws))
            for (int k = 0; k < STS_WARN_COUNT; k++)
                warn[k] |= (ws >> k) & 1;
    }
    bool all = true;
    for (int o = 0; o < STS_SMTP_COUNT; o++)
        all &= seen[o];
    TAP_CHECK(all, "delivery coverage: every SMTP outcome has a case", "one is missing");
    bool allw = true;
    for (int k = STS_WARN_MX_CERT_EXPIRING_SOON; k <= STS_WARN_DANE_FAILURE; k++)
        allw &= warn[k]; /* the delivery warnings; records_cut (after them) is the scanner's */
    TAP_CHECK(allw, "delivery coverage: every delivery warning has a case", "one is missing");
}

/* A domain without a v=STSv1 record gets the roll-ups (for the DANE overlap) but no warnings. */
static void check_no_record(void)
{
    struct dcase c = {.mode = 'E', .smtp = true};
    c.h1 = (struct host_spec)HD(STS_SMTP_CERT_EXPIRED, D_UNSIGNED);
    c.h2 = (struct host_spec)HD(OK, D_VALID);
    struct builder b;
    build(&b, &c);
    b.txt[0] = (struct sts_txt_record){"v=spf1 -all", 11};
    b.obs.https = STS_HTTPS_NOT_ATTEMPTED;
    b.obs.body = NULL;
    b.obs.body_len = 0;
    struct sts_verdict v;
    sts_classify(&b.obs, &v);
    TAP_CHECK(v.status == STS_STATUS_NO_POLICY && v.warnings == 0 && !v.would_fail_delivery &&
                  v.mx_outcome == STS_SMTP_CERT_EXPIRED && v.dane_summary == STS_DANE_SUM_PARTIAL,
              "delivery: no_policy domain keeps roll-ups, gets no warnings",
              "status=%s warnings=%x fail=%d mx=%s", sts_status_name(v.status), v.warnings,
              v.would_fail_delivery, sts_smtp_outcome_name(v.mx_outcome));
    sts_verdict_free(&v);
}

/* A policy that is not in force (policy host certificate expired) never fails delivery. */
static void check_policy_not_in_force(void)
{
    struct dcase c = {.mode = 'E', .smtp = true};
    c.h1 = (struct host_spec)H(STS_SMTP_STARTTLS_NOT_OFFERED);
    c.h2 = (struct host_spec)H(OK);
    struct builder b;
    build(&b, &c);
    b.obs.https = STS_HTTPS_CERT_FAILED;
    b.obs.cert.verify_code = X509_V_ERR_CERT_HAS_EXPIRED;
    b.obs.body = NULL;
    struct sts_verdict v;
    sts_classify(&b.obs, &v);
    TAP_CHECK(v.status == STS_STATUS_INVALID && v.category == STS_CAT_CERT_EXPIRED &&
                  !v.would_fail_delivery,
              "delivery: no policy in force, no would_fail", "status=%s cat=%s fail=%d",
              sts_status_name(v.status), sts_category_name(v.category), v.would_fail_delivery);
    sts_verdict_free(&v);
}

/* A cut MX answer (hosts beyond what the engine keeps were never seen, so never probed):
 * every kept host judged is not every host judged, and a DANE-valid kept set is not "full";
 * a kept host an enforcing sender refuses still fails delivery. */
static void check_mx_cut(void)
{
    struct dcase c = {.mode = 'T', .smtp = true};
    c.h1 = (struct host_spec)HD(OK, D_VALID);
    c.h2 = (struct host_spec)HD(OK, D_VALID);
    struct builder b;
    build(&b, &c);
    b.obs.mx_cut = 44;
    struct sts_verdict v;
    sts_classify(&b.obs, &v);
    TAP_CHECK(!v.mx_verified && v.smtp_checked && v.n_mx_probed == 2 &&
                  v.dane_summary == STS_DANE_SUM_PARTIAL &&
                  (v.warnings & (1u << STS_WARN_RECORDS_CUT)) && v.mx_covered != 1,
              "delivery: a cut MX answer is never every MX judged (mx_verified false)",
              "verified=%d probed=%zu dane=%s warnings=%x covered=%d", v.mx_verified, v.n_mx_probed,
              sts_dane_summary_name(v.dane_summary), v.warnings, v.mx_covered);
    sts_verdict_free(&v);

    c = (struct dcase){.mode = 'E', .smtp = true};
    c.h1 = (struct host_spec)H(STS_SMTP_CERT_EXPIRED);
    c.h2 = (struct host_spec)H(OK);
    build(&b, &c);
    b.obs.mx_cut = 3;
    sts_classify(&b.obs, &v);
    TAP_CHECK(v.would_fail_delivery && !v.mx_verified && v.n_mx_failing == 1,
              "delivery: a cut MX answer with a kept failing host still would_fail",
              "fail=%d verified=%d failing=%zu", v.would_fail_delivery, v.mx_verified,
              v.n_mx_failing);
    sts_verdict_free(&v);
}

/* The outcome tables: names round-trip, result types, worse-of ordering. */
static void check_tables(void)
{
    bool ok = true;
    for (int o = 0; o < STS_SMTP_COUNT; o++)
        ok &= sts_smtp_outcome_from_name(sts_smtp_outcome_name((enum sts_smtp_outcome)o)) == o;
    TAP_CHECK(ok, "delivery: SMTP outcome names round-trip", "one does not");
    ok = sts_dane_summary_from_name("full") == STS_DANE_SUM_FULL &&
         sts_dane_summary_name(STS_DANE_SUM_NOT_CHECKED) == NULL;
    TAP_CHECK(ok, "delivery: DANE summary names", "wrong");
    ok = sts_smtp_outcome_worse(OK, STS_SMTP_CONNECT_FAILED) == STS_SMTP_CONNECT_FAILED &&
         sts_smtp_outcome_worse(STS_SMTP_TLS_OLD, STS_SMTP_CERT_UNTRUSTED) ==
             STS_SMTP_CERT_UNTRUSTED &&
         sts_smtp_outcome_worse(STS_SMTP_STARTTLS_NOT_OFFERED, STS_SMTP_CERT_EXPIRED) ==
             STS_SMTP_STARTTLS_NOT_OFFERED &&
         sts_smtp_outcome_worse(NP, OK) == OK &&
         sts_dane_outcome_worse(STS_DANE_VALID, STS_DANE_MISMATCH) == STS_DANE_MISMATCH;
    TAP_CHECK(ok, "delivery: worse-of ordering", "wrong");
    TAP_STR_EQ(sts_smtp_outcome_rfc8460_result(STS_SMTP_CERT_NAME_MISMATCH),
               "certificate-host-mismatch", "delivery: rfc8460 of mx_cert_name_mismatch");
}

#define N_CASES (sizeof cases / sizeof cases[0])

int main(void)
{
    printf("1..%zu\n", N_CASES + 10);
    for (size_t i = 0; i < N_CASES; i++)
        run_case(&cases[i]);
    check_coverage();
    check_no_record();
    check_policy_not_in_force();
    check_mx_cut();
    check_tables();
    TAP_DONE();
}
