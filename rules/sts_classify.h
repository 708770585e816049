/* The classifier: one domain's observations to status, category, warnings and verdicts. */
#ifndef STS_CLASSIFY_H
#define STS_CLASSIFY_H

#include <stdint.h>

#include "rules/sts_cert.h"
#include "rules/sts_codes.h"
#include "rules/sts_delivery.h"
#include "rules/sts_policy.h"
#include "rules/sts_tlsrpt.h"
#include "rules/sts_txt.h"

#define STS_CERT_EXPIRING_SOON_SECONDS (14 * 86400)

struct sts_mx_host {
    const char *host; /* as answered; "." (or "") with preference 0 is the null MX */
    unsigned preference;
};

/* Everything the scanner saw for one domain. Pointers are borrowed; the classifier copies
 * what it keeps. */
struct sts_observation {
    const char *domain; /* normalised: lower case, no trailing dot, A-labels */
    int64_t now;        /* scan time, Unix seconds (certificate expiry warnings) */

    enum sts_dns_outcome txt_outcome; /* _mta-sts.D TXT */
    const struct sts_txt_record *txt;
    size_t n_txt;

    enum sts_dns_outcome mx_outcome; /* D MX */
    const struct sts_mx_host *mx;
    size_t n_mx;

    enum sts_dns_outcome tlsrpt_outcome; /* _smtp._tls.D TXT */
    const struct sts_txt_record *tlsrpt;
    size_t n_tlsrpt;

    enum sts_dns_outcome apex_outcome; /* D TXT, only with --checks +apex */
    const struct sts_txt_record *apex;
    size_t n_apex;

    enum sts_dns_outcome a_outcome, aaaa_outcome; /* mta-sts.D */
    size_t n_addrs;                               /* addresses answered, A and AAAA together */
    size_t n_addrs_refused;                       /* of which the address policy refused */

    enum sts_https_outcome https;
    struct sts_cert_facts cert;
    long http_status;         /* 0 when no response */
    const char *content_type; /* as received, NULL when absent */
    const char *body;         /* NULL when no body was read */
    size_t body_len;

    /* The delivery side (`--checks +smtp`, `+dane`): one probe per distinct MX host of `mx`
     * (shared between the domains that use the host, so borrowed by pointer). NULL / 0 when
     * the stage did not run for this domain. */
    bool smtp_checked, dane_checked;
    bool port25_blocked; /* the engine found outbound port 25 blocked: hosts not judged */
    const struct sts_mx_probe *const *mx_probes;
    size_t n_mx_probes;
};

/* The verdict on one domain. Owns memory: release with sts_verdict_free(). */
struct sts_verdict {
    enum sts_status status;
    enum sts_category category; /* STS_CAT_NONE unless status is INVALID */
    uint32_t warnings;          /* bit (1u << enum sts_warning) */
    bool valid_lenient;
    bool valid_strict;
    bool would_fail_delivery;
    enum sts_readiness readiness;
    uint32_t readiness_warnings; /* warnings that block promotion (subset of warnings) */
    int mx_covered;              /* 1, 0, or -1 when unknown / not applicable */
    bool null_mx;
    size_t n_mx;
    int *mx_pattern; /* per MX host of the observation: index of the matching pattern, or -1 */

    struct sts_txt_result txt;
    bool policy_parsed; /* a body was parsed into `policy` */
    struct sts_policy policy;
    struct sts_tlsrpt_result tlsrpt;
    enum sts_tlsrpt_state tlsrpt_state;

    char detail[256]; /* one line on the primary category or status, for people */

    /* The delivery side (docs/taxonomy.md, "The delivery side"); from obs->mx_probes. */
    bool smtp_checked; /* the SMTP stage ran for this domain and port 25 was not blocked */
    bool mx_verified;  /* smtp_checked, the MX answer was conclusive, and every MX host's
                          TLS was judged (reached, STARTTLS asked): only then does a
                          ready_to_enforce mean "verified deliverable" */
    enum sts_smtp_outcome mx_outcome; /* worst host outcome (sts_smtp_outcome_worse);
                                         STS_SMTP_NOT_PROBED when not checked */
    size_t n_mx_probed;               /* distinct MX hosts with a probe */
    size_t n_mx_failing;              /* of which reached and refused by an enforcing sender */
    bool dane_checked;
    enum sts_dane_summary dane_summary;
    enum sts_dane_outcome dane_outcome; /* worst host DANE outcome */
};

/* Classifies one domain. Pure: no I/O, no clock (uses obs->now). Always fills *out. */
void sts_classify(const struct sts_observation *obs, struct sts_verdict *out);

void sts_verdict_free(struct sts_verdict *v);

#endif
