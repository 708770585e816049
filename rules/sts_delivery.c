/* Delivery-side codes (SMTP and DANE outcomes), their RFC 8460 result types and roll-ups. */
#include <string.h>
#include <strings.h>

#include "rules/sts_delivery.h"

static const char *const smtp_names[STS_SMTP_COUNT] = {
    [STS_SMTP_NOT_PROBED] = "not_probed",
    [STS_SMTP_OK] = "smtp_ok",
    [STS_SMTP_CONNECT_FAILED] = "smtp_connect_failed",
    [STS_SMTP_TIMEOUT] = "smtp_timeout",
    [STS_SMTP_REFUSED] = "smtp_refused",
    [STS_SMTP_STARTTLS_NOT_OFFERED] = "starttls_not_offered",
    [STS_SMTP_STARTTLS_FAILED] = "starttls_failed",
    [STS_SMTP_CERT_EXPIRED] = "mx_cert_expired",
    [STS_SMTP_CERT_NOT_YET_VALID] = "mx_cert_not_yet_valid",
    [STS_SMTP_CERT_NAME_MISMATCH] = "mx_cert_name_mismatch",
    [STS_SMTP_CERT_SELF_SIGNED] = "mx_cert_self_signed",
    [STS_SMTP_CERT_UNTRUSTED] = "mx_cert_untrusted",
    [STS_SMTP_TLS_OLD] = "mx_tls_old",
    [STS_SMTP_UNREACHABLE] = "smtp_unreachable",
    [STS_SMTP_NO_ADDRESS] = "smtp_no_address",
    [STS_SMTP_ADDRESS_REFUSED] = "smtp_address_refused",
    [STS_SMTP_PER_IP_WAIT] = "smtp_per_ip_wait",
};

/* RFC 8460 4.3 result types a sender reports for each outcome. */
static const char *const smtp_rfc8460[STS_SMTP_COUNT] = {
    [STS_SMTP_STARTTLS_NOT_OFFERED] = "starttls-not-supported",
    [STS_SMTP_STARTTLS_FAILED] = "validation-failure",
    [STS_SMTP_CERT_EXPIRED] = "certificate-expired",
    [STS_SMTP_CERT_NOT_YET_VALID] = "certificate-not-trusted",
    [STS_SMTP_CERT_NAME_MISMATCH] = "certificate-host-mismatch",
    [STS_SMTP_CERT_SELF_SIGNED] = "certificate-not-trusted",
    [STS_SMTP_CERT_UNTRUSTED] = "certificate-not-trusted",
    [STS_SMTP_TLS_OLD] = "validation-failure",
};

static const char *const dane_names[STS_DANE_COUNT] = {
    [STS_DANE_NONE] = NULL,
    [STS_DANE_VALID] = "dane_valid",
    [STS_DANE_MISMATCH] = "dane_mismatch",
    [STS_DANE_TLSA_UNSIGNED] = "tlsa_unsigned",
    [STS_DANE_TLSA_INVALID] = "tlsa_invalid",
    [STS_DANE_DNSSEC_BOGUS] = "dnssec_bogus",
    [STS_DANE_NOT_VERIFIED] = "dane_not_verified",
};

static const char *const dane_rfc8460[STS_DANE_COUNT] = {
    [STS_DANE_MISMATCH] = "validation-failure",
    [STS_DANE_TLSA_INVALID] = "tlsa-invalid",
    [STS_DANE_DNSSEC_BOGUS] = "dnssec-invalid",
};

const char *sts_smtp_outcome_name(enum sts_smtp_outcome o)
{
    return (unsigned)o < STS_SMTP_COUNT ? smtp_names[o] : NULL;
}

const char *sts_dane_outcome_name(enum sts_dane_outcome o)
{
    return (unsigned)o < STS_DANE_COUNT ? dane_names[o] : NULL;
}

static int index_of(const char *const *names, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int sts_smtp_outcome_from_name(const char *name)
{
    return index_of(smtp_names, STS_SMTP_COUNT, name);
}

int sts_dane_outcome_from_name(const char *name)
{
    return index_of(dane_names, STS_DANE_COUNT, name);
}

const char *sts_smtp_outcome_rfc8460_result(enum sts_smtp_outcome o)
{
    return (unsigned)o < STS_SMTP_COUNT ? smtp_rfc8460[o] : NULL;
}

const char *sts_dane_outcome_rfc8460_result(enum sts_dane_outcome o)
{
    return (unsigned)o < STS_DANE_COUNT ? dane_rfc8460[o] : NULL;
}

/* TLS versions below 1.2 by OpenSSL's names (SSL_get_version). */
static bool tls_version_old(const char *v)
{
    return v && (strcmp(v, "TLSv1") == 0 || strcmp(v, "TLSv1.1") == 0 || strcmp(v, "SSLv3") == 0 ||
                 strcmp(v, "SSLv2") == 0);
}

enum sts_smtp_outcome sts_smtp_tls_outcome(const struct sts_cert_facts *cert,
                                           const char *tls_version, int64_t now)
{
    switch (sts_cert_problem(cert, now)) {
    case STS_CAT_NONE:
        break;
    case STS_CAT_CERT_EXPIRED:
        return STS_SMTP_CERT_EXPIRED;
    case STS_CAT_CERT_NOT_YET_VALID:
        return STS_SMTP_CERT_NOT_YET_VALID;
    case STS_CAT_CERT_NAME_MISMATCH:
        return STS_SMTP_CERT_NAME_MISMATCH;
    case STS_CAT_CERT_SELF_SIGNED:
        return STS_SMTP_CERT_SELF_SIGNED;
    default:
        return STS_SMTP_CERT_UNTRUSTED;
    }
    if (!cert->present)
        return STS_SMTP_CERT_UNTRUSTED;
    return tls_version_old(tls_version) ? STS_SMTP_TLS_OLD : STS_SMTP_OK;
}

bool sts_smtp_outcome_fails_delivery(enum sts_smtp_outcome o)
{
    switch (o) {
    case STS_SMTP_STARTTLS_NOT_OFFERED:
    case STS_SMTP_STARTTLS_FAILED:
    case STS_SMTP_CERT_EXPIRED:
    case STS_SMTP_CERT_NOT_YET_VALID:
    case STS_SMTP_CERT_NAME_MISMATCH:
    case STS_SMTP_CERT_SELF_SIGNED:
    case STS_SMTP_CERT_UNTRUSTED:
        return true;
    default:
        return false;
    }
}

bool sts_smtp_outcome_reached(enum sts_smtp_outcome o)
{
    return o == STS_SMTP_OK || o == STS_SMTP_REFUSED || o == STS_SMTP_TLS_OLD ||
           sts_smtp_outcome_fails_delivery(o);
}

enum sts_smtp_outcome sts_smtp_host_outcome(const struct sts_mx_probe *p)
{
    if (!p->smtp_checked)
        return STS_SMTP_NOT_PROBED;
    if (p->n_addrs == 0)
        return STS_SMTP_NO_ADDRESS;
    /* A finding a sender would refuse on, on any address, wins: some senders reach it. */
    for (size_t i = 0; i < p->n_addrs; i++)
        if (sts_smtp_outcome_fails_delivery(p->addrs[i].outcome))
            return p->addrs[i].outcome;
    /* An address not checked may hold a finding: the host is not judged from the others. */
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].outcome == STS_SMTP_PER_IP_WAIT)
            return STS_SMTP_PER_IP_WAIT;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].outcome == STS_SMTP_TLS_OLD)
            return STS_SMTP_TLS_OLD;
    bool any_ok = false, all_refused = true;
    for (size_t i = 0; i < p->n_addrs; i++) {
        any_ok |= p->addrs[i].outcome == STS_SMTP_OK;
        all_refused &= p->addrs[i].outcome == STS_SMTP_ADDRESS_REFUSED;
    }
    if (any_ok)
        return STS_SMTP_OK;
    if (all_refused)
        return STS_SMTP_ADDRESS_REFUSED;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (p->addrs[i].outcome != STS_SMTP_ADDRESS_REFUSED)
            return p->addrs[i].outcome;
    return p->addrs[0].outcome;
}

enum sts_dane_outcome sts_dane_host_outcome(const struct sts_mx_probe *p)
{
    if (!p->dane_checked)
        return STS_DANE_NONE;
    if (p->tlsa_rcode == 2)
        return STS_DANE_DNSSEC_BOGUS;
    if (p->n_tlsa == 0)
        return STS_DANE_NONE;
    if (!p->tlsa_ad)
        return STS_DANE_TLSA_UNSIGNED;
    if (p->n_tlsa_usable == 0)
        return STS_DANE_TLSA_INVALID;
    /* Every address that completed a handshake must match: a sender may reach any of them. */
    bool matched = false;
    for (size_t i = 0; i < p->n_addrs; i++) {
        if (p->addrs[i].dane == STS_DANE_MISMATCH)
            return STS_DANE_MISMATCH;
        matched |= p->addrs[i].dane == STS_DANE_VALID;
    }
    return matched ? STS_DANE_VALID : STS_DANE_NOT_VERIFIED;
}

bool sts_smtp_outcome_judged(enum sts_smtp_outcome o)
{
    return o == STS_SMTP_OK || o == STS_SMTP_TLS_OLD || sts_smtp_outcome_fails_delivery(o);
}

/* Rank for sts_smtp_outcome_worse: higher is worse. */
static int smtp_rank(enum sts_smtp_outcome o)
{
    switch (o) {
    case STS_SMTP_OK:
        return 1;
    case STS_SMTP_PER_IP_WAIT:
        return 2;
    case STS_SMTP_UNREACHABLE:
        return 3;
    case STS_SMTP_ADDRESS_REFUSED:
        return 4;
    case STS_SMTP_NO_ADDRESS:
        return 5;
    case STS_SMTP_CONNECT_FAILED:
        return 6;
    case STS_SMTP_TIMEOUT:
        return 7;
    case STS_SMTP_REFUSED:
        return 8;
    case STS_SMTP_TLS_OLD:
        return 9;
    case STS_SMTP_CERT_UNTRUSTED:
        return 10;
    case STS_SMTP_CERT_SELF_SIGNED:
        return 11;
    case STS_SMTP_CERT_NAME_MISMATCH:
        return 12;
    case STS_SMTP_CERT_NOT_YET_VALID:
        return 13;
    case STS_SMTP_CERT_EXPIRED:
        return 14;
    case STS_SMTP_STARTTLS_FAILED:
        return 15;
    case STS_SMTP_STARTTLS_NOT_OFFERED:
        return 16;
    default:
        return 0;
    }
}

enum sts_smtp_outcome sts_smtp_outcome_worse(enum sts_smtp_outcome a, enum sts_smtp_outcome b)
{
    return smtp_rank(b) > smtp_rank(a) ? b : a;
}

static int dane_rank(enum sts_dane_outcome o)
{
    switch (o) {
    case STS_DANE_VALID:
        return 1;
    case STS_DANE_NOT_VERIFIED:
        return 2;
    case STS_DANE_TLSA_UNSIGNED:
        return 3;
    case STS_DANE_TLSA_INVALID:
        return 4;
    case STS_DANE_MISMATCH:
        return 5;
    case STS_DANE_DNSSEC_BOGUS:
        return 6;
    default:
        return 0;
    }
}

enum sts_dane_outcome sts_dane_outcome_worse(enum sts_dane_outcome a, enum sts_dane_outcome b)
{
    return dane_rank(b) > dane_rank(a) ? b : a;
}

bool sts_dane_outcome_published(enum sts_dane_outcome o)
{
    return o == STS_DANE_VALID || o == STS_DANE_MISMATCH || o == STS_DANE_NOT_VERIFIED;
}

static const char *const dane_summary_names[STS_DANE_SUM_COUNT] = {
    [STS_DANE_SUM_NOT_CHECKED] = NULL,
    [STS_DANE_SUM_NONE] = "none",
    [STS_DANE_SUM_PARTIAL] = "partial",
    [STS_DANE_SUM_FULL] = "full",
};

const char *sts_dane_summary_name(enum sts_dane_summary s)
{
    return (unsigned)s < STS_DANE_SUM_COUNT ? dane_summary_names[s] : NULL;
}

int sts_dane_summary_from_name(const char *name)
{
    return index_of(dane_summary_names, STS_DANE_SUM_COUNT, name);
}

static const char *const smtp_fixes[STS_SMTP_COUNT] = {
    [STS_SMTP_CONNECT_FAILED] = "Make <mx> accept connections on port 25 from the internet "
                                "(firewall, listening address), or remove it from the MX records.",
    [STS_SMTP_TIMEOUT] = "Make <mx> answer on port 25 within a few seconds (greeting, EHLO and "
                         "the TLS handshake).",
    [STS_SMTP_REFUSED] = "<mx> greets with a 5xx reply and accepts no mail: fix the server, or "
                         "remove it from the MX records.",
    [STS_SMTP_STARTTLS_NOT_OFFERED] =
        "Enable STARTTLS on <mx> (Postfix: smtpd_tls_security_level = may, with a certificate "
        "and key): senders enforcing MTA-STS refuse a host without it.",
    [STS_SMTP_STARTTLS_FAILED] = "Fix TLS on <mx>: STARTTLS is offered but the handshake fails "
                                 "(certificate and key files, protocols, ciphers).",
    [STS_SMTP_CERT_EXPIRED] = "Renew the certificate of <mx> and automate its renewal.",
    [STS_SMTP_CERT_NOT_YET_VALID] =
        "Install a certificate on <mx> whose validity has started (check the clock and notBefore).",
    [STS_SMTP_CERT_NAME_MISMATCH] = "Serve a certificate on <mx> whose subjectAltName includes "
                                    "<mx> itself (the MX host name, not the domain).",
    [STS_SMTP_CERT_SELF_SIGNED] = "Replace the self-signed certificate of <mx> with one from a "
                                  "public certificate authority.",
    [STS_SMTP_CERT_UNTRUSTED] = "Serve the full chain (leaf and intermediates) of a certificate "
                                "from a public certificate authority on <mx>.",
    [STS_SMTP_TLS_OLD] = "Enable TLS 1.2 and 1.3 on <mx>; TLS 1.0 and 1.1 are obsolete (RFC 8996).",
    [STS_SMTP_NO_ADDRESS] =
        "Publish an A or AAAA record for <mx>, or remove it from the MX records.",
    [STS_SMTP_ADDRESS_REFUSED] = "Point <mx> at a public address: senders cannot reach private "
                                 "or reserved addresses.",
};

static const char *const dane_fixes[STS_DANE_COUNT] = {
    [STS_DANE_MISMATCH] = "Publish TLSA records at _25._tcp.<mx> that match the certificate <mx> "
                          "presents (publish the new TLSA before changing certificates).",
    [STS_DANE_TLSA_UNSIGNED] = "Sign the zone of _25._tcp.<mx> with DNSSEC, or remove its TLSA "
                               "records: unsigned TLSA is ignored.",
    [STS_DANE_TLSA_INVALID] = "Publish usable TLSA records at _25._tcp.<mx>: usage 2 or 3, "
                              "selector 0 or 1, matching type 0, 1 or 2 (RFC 7672 3.1).",
    [STS_DANE_DNSSEC_BOGUS] = "Repair the DNSSEC chain of _25._tcp.<mx> (expired signatures, DS "
                              "mismatch): validating senders cannot resolve it and defer mail.",
    [STS_DANE_NOT_VERIFIED] = "<mx> publishes TLSA but could not be reached to match them: "
                              "check that it answers on port 25.",
};

const char *sts_smtp_outcome_fix(enum sts_smtp_outcome o)
{
    return (unsigned)o < STS_SMTP_COUNT ? smtp_fixes[o] : NULL;
}

const char *sts_dane_outcome_fix(enum sts_dane_outcome o)
{
    return (unsigned)o < STS_DANE_COUNT ? dane_fixes[o] : NULL;
}

bool sts_mx_host_same(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

const struct sts_mx_probe *sts_mx_probe_find(const struct sts_mx_probe *const *probes, size_t n,
                                             const char *host)
{
    if (!probes || !host)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (probes[i] && probes[i]->host && sts_mx_host_same(probes[i]->host, host))
            return probes[i];
    return NULL;
}
