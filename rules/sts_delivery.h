/* The delivery side of a domain: what each MX host answered on port 25 (STARTTLS, its
 * certificate) and its DANE state (RFC 7672), as observed facts and stable outcome codes. */
#ifndef STS_DELIVERY_H
#define STS_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/sts_cert.h"

/* The codes' names are stored in databases: never renumber or rename, only append.
 * docs/taxonomy.md says which count for would_fail_delivery and readiness, and why. */

/* Outcome of the SMTP probe of one MX address, and (rolled up) of one MX host. */
enum sts_smtp_outcome {
    STS_SMTP_NOT_PROBED = 0,       /* SMTP stage off, or the host was not selected */
    STS_SMTP_OK,                   /* STARTTLS, TLS >= 1.2, certificate valid for the name */
    STS_SMTP_CONNECT_FAILED,       /* TCP refused / unreachable */
    STS_SMTP_TIMEOUT,              /* connect, banner, EHLO, STARTTLS or handshake timed out */
    STS_SMTP_REFUSED,              /* 5xx greeting (or 4xx/5xx to EHLO) */
    STS_SMTP_STARTTLS_NOT_OFFERED, /* EHLO lists no STARTTLS */
    STS_SMTP_STARTTLS_FAILED,      /* STARTTLS rejected, or the TLS handshake failed */
    STS_SMTP_CERT_EXPIRED,         /* mx_cert_expired */
    STS_SMTP_CERT_NOT_YET_VALID,   /* mx_cert_not_yet_valid */
    STS_SMTP_CERT_NAME_MISMATCH,   /* mx_cert_name_mismatch (chain fine, name not covered) */
    STS_SMTP_CERT_SELF_SIGNED,     /* mx_cert_self_signed */
    STS_SMTP_CERT_UNTRUSTED,       /* mx_cert_untrusted (incl. any other verify error) */
    STS_SMTP_TLS_OLD,              /* mx_tls_old: negotiated below TLS 1.2 */
    STS_SMTP_UNREACHABLE,          /* port 25 blocked on the scanner's network: not the
                                      domain's fault (decided by the engine, once per scan) */
    STS_SMTP_NO_ADDRESS,           /* the MX host has no A/AAAA (or DNS failed for it) */
    STS_SMTP_ADDRESS_REFUSED,      /* every address refused by the address policy */
    STS_SMTP_PER_IP_WAIT,          /* not checked: the probe waited past --per-ip-wait for a
                                      turn at the address and was never made (the scan's
                                      throttle, not a fact about the host) */
    STS_SMTP_COUNT
};

/* DANE state of one MX host (TLSA at _25._tcp.<host>). */
enum sts_dane_outcome {
    STS_DANE_NONE = 0,      /* no TLSA records (or DANE not checked: see dane_checked) */
    STS_DANE_VALID,         /* validated TLSA matched the presented chain (OpenSSL DANE) */
    STS_DANE_MISMATCH,      /* validated, usable TLSA; the chain matched none */
    STS_DANE_TLSA_UNSIGNED, /* TLSA present but the resolver did not validate (no AD) */
    STS_DANE_TLSA_INVALID,  /* validated TLSA, none usable for SMTP (RFC 7672 3.1.3) */
    STS_DANE_DNSSEC_BOGUS,  /* SERVFAIL from the validating resolver */
    STS_DANE_NOT_VERIFIED,  /* validated, usable TLSA, but no TLS handshake to match */
    STS_DANE_COUNT
};

#define STS_MX_PROBE_MAX_ADDRS 8 /* addresses probed per MX host; more are counted */

/* What the probe of one address saw. */
struct sts_smtp_addr_probe {
    char addr[48]; /* text form */
    enum sts_smtp_outcome outcome;
    int reply_code;             /* last SMTP reply code seen (220, 554, ...); 0 when none */
    bool starttls_offered;      /* EHLO listed STARTTLS */
    char tls_version[16];       /* "TLSv1.3"; "" without TLS */
    char cipher[64];            /* "" without TLS */
    struct sts_cert_facts cert; /* the MX certificate, checked against the MX host name */
    enum sts_dane_outcome dane; /* the chain against the host's TLSA records */
    int time_ms;                /* connect to QUIT; -1 when not measured */
    char detail[160];           /* one line for people: the reply text or the error */
};

/* One distinct MX host of a domain, probed once per scan and shared by every domain using it. */
struct sts_mx_probe {
    const char *host;           /* lower case, no trailing dot */
    bool smtp_checked;          /* the SMTP stage ran for this host */
    bool dane_checked;          /* TLSA was asked for this host */
    enum sts_smtp_outcome smtp; /* roll-up over the addresses: sts_smtp_host_outcome() */
    enum sts_dane_outcome dane; /* roll-up: sts_dane_host_outcome() */
    size_t n_addrs;             /* addresses probed (<= STS_MX_PROBE_MAX_ADDRS) */
    size_t n_addrs_dropped;     /* addresses beyond the bound, not probed */
    struct sts_smtp_addr_probe addrs[STS_MX_PROBE_MAX_ADDRS];
    /* TLSA records of the host, as asked with DNSSEC (the AD bit of the answer). */
    bool tlsa_ad;         /* the resolver validated the TLSA answer */
    int tlsa_rcode;       /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN; -1 timeout / not asked */
    size_t n_tlsa;        /* records in the answer */
    size_t n_tlsa_usable; /* of which usable for SMTP: usage 2 or 3, selector 0/1, mtype 0/1/2 */
};

const char *sts_smtp_outcome_name(enum sts_smtp_outcome o); /* "smtp_ok", ... */
const char *sts_dane_outcome_name(enum sts_dane_outcome o); /* "dane_valid", ...; NULL for NONE */
int sts_smtp_outcome_from_name(const char *name);           /* -1 when unknown */
int sts_dane_outcome_from_name(const char *name);           /* -1 when unknown */

/* The RFC 8460 result type a sender would report for an outcome, or NULL when none
 * (smtp_ok, the not-the-domain's-fault outcomes). */
const char *sts_smtp_outcome_rfc8460_result(enum sts_smtp_outcome o);
const char *sts_dane_outcome_rfc8460_result(enum sts_dane_outcome o);

/* The outcome of an address whose TLS handshake completed, from its facts at time `now`:
 * certificate findings first (sts_cert_problem, most significant first: a sender refuses on
 * them), then a version below TLS 1.2 (mx_tls_old: a sender still delivers), else smtp_ok.
 * Outcomes before the handshake (connect, timeout, refused, STARTTLS) are the engine's. */
enum sts_smtp_outcome sts_smtp_tls_outcome(const struct sts_cert_facts *cert,
                                           const char *tls_version, int64_t now);

/* A host's outcome from its addresses: the one a sender is most likely to hit and that
 * matters most. A TLS or certificate finding on any reachable address wins over a connect
 * failure elsewhere (a sender that reaches that address refuses the mail); then an address
 * not checked (smtp_per_ip_wait: what it would have shown is unknown, so the host is never
 * called ok or mx_tls_old from its other addresses); smtp_ok only when every reachable
 * address is ok; otherwise the first address's transport outcome. */
enum sts_smtp_outcome sts_smtp_host_outcome(const struct sts_mx_probe *p);
enum sts_dane_outcome sts_dane_host_outcome(const struct sts_mx_probe *p);

/* True when a sender enforcing MTA-STS would refuse to deliver to a host with this outcome
 * (RFC 8461 4.2): no STARTTLS, a failed TLS negotiation, or a certificate not valid for the
 * MX name under the web PKI. Connect failures, timeouts, 5xx greetings, no address and
 * port-25-blocked never count: the sender defers for reasons unrelated to the policy. */
bool sts_smtp_outcome_fails_delivery(enum sts_smtp_outcome o);

/* True when the host was reached on port 25 (any outcome from the greeting on). */
bool sts_smtp_outcome_reached(enum sts_smtp_outcome o);

/* True when the host's TLS was judged: the probe got as far as STARTTLS (smtp_ok, mx_tls_old,
 * or an outcome that fails delivery). A 5xx greeting is reached but not judged. */
bool sts_smtp_outcome_judged(enum sts_smtp_outcome o);

/* The worse of two outcomes, for a domain's worst MX host: what a sender refuses on first
 * (starttls_not_offered, starttls_failed, then the certificate findings in taxonomy order),
 * then mx_tls_old, then outcomes that are not the domain's TLS (refused, timeout, connect,
 * no address, address refused, unreachable, per_ip_wait), then smtp_ok, then not_probed. */
enum sts_smtp_outcome sts_smtp_outcome_worse(enum sts_smtp_outcome a, enum sts_smtp_outcome b);

/* The worse of two DANE outcomes: dnssec_bogus, dane_mismatch, tlsa_invalid, tlsa_unsigned,
 * dane_not_verified, dane_valid, none. */
enum sts_dane_outcome sts_dane_outcome_worse(enum sts_dane_outcome a, enum sts_dane_outcome b);

/* True when the host publishes DNSSEC-validated, usable TLSA records (a DANE sender applies
 * RFC 7672 to it): dane_valid, dane_mismatch, dane_not_verified. */
bool sts_dane_outcome_published(enum sts_dane_outcome o);

/* True when two host names are the same DNS name (case-insensitive, trailing dot ignored). */
bool sts_mx_host_same(const char *a, const char *b);

/* The probe of MX host `host` among `probes` (names compared as DNS names: case-insensitive,
 * a trailing dot ignored), or NULL. The one place an MX answer is joined to its probe. */
const struct sts_mx_probe *sts_mx_probe_find(const struct sts_mx_probe *const *probes, size_t n,
                                             const char *host);

/* One or two sentences telling the MX operator how to fix an outcome; the literal "<mx>" is
 * for the caller to replace with the host name. NULL for smtp_ok, not_probed and dane_valid
 * / none. */
const char *sts_smtp_outcome_fix(enum sts_smtp_outcome o);
const char *sts_dane_outcome_fix(enum sts_dane_outcome o);

/* A domain's DANE deployment over its MX hosts. Stored names: sts_dane_summary_name(). */
enum sts_dane_summary {
    STS_DANE_SUM_NOT_CHECKED = 0, /* TLSA not asked (NULL in the store) */
    STS_DANE_SUM_NONE,            /* no MX host publishes validated, usable TLSA */
    STS_DANE_SUM_PARTIAL,         /* some MX hosts do, not all */
    STS_DANE_SUM_FULL,            /* every MX host does: DANE protects every delivery */
    STS_DANE_SUM_COUNT
};
const char *sts_dane_summary_name(enum sts_dane_summary s); /* NULL for NOT_CHECKED */
int sts_dane_summary_from_name(const char *name);           /* -1 when unknown */

#endif
