/* The delivery side of the verdict: MX probes and DANE to flags, roll-ups and warnings. */
#include "rules/sts_classify_mx.h"

#include <string.h>

#define WARN(w) (1u << (w))

static bool is_null_host(const char *h)
{
    return !h || h[0] == '\0' || strcmp(h, ".") == 0;
}


/* True when MX entry i repeats an earlier host (the same host is judged once). */
static bool repeated_host(const struct sts_observation *obs, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!is_null_host(obs->mx[j].host) && sts_mx_host_same(obs->mx[j].host, obs->mx[i].host))
            return true;
    return false;
}

/* The policy a sender applies: valid and fetched (status valid, or only an MX uncovered). */
static bool policy_in_force(const struct sts_verdict *v)
{
    return v->status == STS_STATUS_VALID ||
           (v->status == STS_STATUS_INVALID && v->category == STS_CAT_MX_NOT_COVERED);
}

/* An address whose certificate a sender accepted and that expires within 14 days. */
static bool cert_expiring(const struct sts_mx_probe *p, int64_t now)
{
    for (size_t i = 0; i < p->n_addrs && i < STS_MX_PROBE_MAX_ADDRS; i++) {
        const struct sts_smtp_addr_probe *a = &p->addrs[i];
        if ((a->outcome == STS_SMTP_OK || a->outcome == STS_SMTP_TLS_OLD) && a->cert.present &&
            a->cert.not_after > 0 && a->cert.not_after - now <= STS_CERT_EXPIRING_SOON_SECONDS)
            return true;
    }
    return false;
}

/* DANE and the web PKI judge the host differently: validated usable TLSA that does not match
 * a certificate MTA-STS accepts, or TLSA that matches a certificate MTA-STS rejects. Only for a
 * host the policy covers (an uncovered host is refused by MTA-STS whatever its certificate). */
static bool dane_sts_conflict(enum sts_smtp_outcome smtp, enum sts_dane_outcome dane)
{
    bool webpki_ok = smtp == STS_SMTP_OK || smtp == STS_SMTP_TLS_OLD;
    bool webpki_bad = smtp >= STS_SMTP_CERT_EXPIRED && smtp <= STS_SMTP_CERT_UNTRUSTED;
    return (dane == STS_DANE_MISMATCH && webpki_ok) || (dane == STS_DANE_VALID && webpki_bad);
}

void sts_classify_delivery(const struct sts_observation *obs, struct sts_verdict *v,
                           bool has_record)
{
    v->smtp_checked = obs->smtp_checked && !obs->port25_blocked;
    v->dane_checked = obs->dane_checked;
    v->mx_outcome = STS_SMTP_NOT_PROBED;
    v->dane_outcome = STS_DANE_NONE;
    v->dane_summary = STS_DANE_SUM_NOT_CHECKED;
    bool mx_known = obs->mx_outcome == STS_DNS_OK || obs->mx_outcome == STS_DNS_NODATA ||
                    obs->mx_outcome == STS_DNS_NXDOMAIN;
    bool all_judged = mx_known;
    size_t hosts = 0, dane_hosts = 0;
    uint32_t w = 0;
    bool sts_applies = policy_in_force(v) &&
                       (v->policy.mode == STS_MODE_ENFORCE || v->policy.mode == STS_MODE_TESTING);
    for (size_t i = 0; obs->mx_outcome == STS_DNS_OK && obs->mx && i < obs->n_mx; i++) {
        const char *h = obs->mx[i].host;
        if (is_null_host(h) || repeated_host(obs, i))
            continue;
        hosts++;
        const struct sts_mx_probe *p = sts_mx_probe_find(obs->mx_probes, obs->n_mx_probes, h);
        enum sts_smtp_outcome smtp = STS_SMTP_NOT_PROBED;
        if (p && v->smtp_checked && p->smtp_checked) {
            smtp = sts_smtp_host_outcome(p);
            v->n_mx_probed++;
            v->mx_outcome = sts_smtp_outcome_worse(v->mx_outcome, smtp);
            if (sts_smtp_outcome_fails_delivery(smtp))
                v->n_mx_failing++;
            if (sts_smtp_outcome_fails_delivery(smtp))
                w |= WARN(STS_WARN_MX_TLS_INVALID);
            if (smtp == STS_SMTP_TLS_OLD)
                w |= WARN(STS_WARN_MX_TLS_OLD);
            if (cert_expiring(p, obs->now))
                w |= WARN(STS_WARN_MX_CERT_EXPIRING_SOON);
        }
        if (!sts_smtp_outcome_judged(smtp))
            all_judged = false;
        if (p && obs->dane_checked && p->dane_checked) {
            enum sts_dane_outcome d = sts_dane_host_outcome(p);
            v->dane_outcome = sts_dane_outcome_worse(v->dane_outcome, d);
            if (sts_dane_outcome_published(d))
                dane_hosts++;
            if (d == STS_DANE_TLSA_UNSIGNED)
                w |= WARN(STS_WARN_TLSA_WITHOUT_DNSSEC);
            if (d == STS_DANE_MISMATCH || d == STS_DANE_DNSSEC_BOGUS)
                w |= WARN(STS_WARN_DANE_FAILURE);
            bool covered = v->mx_pattern && i < v->n_mx && v->mx_pattern[i] >= 0;
            if (sts_applies && covered && v->smtp_checked && dane_sts_conflict(smtp, d))
                w |= WARN(STS_WARN_DANE_AND_STS_CONFLICT);
        }
    }
    v->mx_verified = v->smtp_checked && all_judged;
    if (obs->dane_checked)
        v->dane_summary = dane_hosts == 0       ? STS_DANE_SUM_NONE
                          : dane_hosts == hosts ? STS_DANE_SUM_FULL
                                                : STS_DANE_SUM_PARTIAL;
    if (has_record)
        v->warnings |= w;
}

bool sts_classify_would_fail(const struct sts_verdict *v)
{
    if (!policy_in_force(v) || v->policy.mode != STS_MODE_ENFORCE)
        return false;
    return v->mx_covered == 0 || v->n_mx_failing > 0;
}
