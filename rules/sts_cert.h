/* Certificate facts and their one classification, shared by the policy host and the MX hosts. */
#ifndef STS_CERT_H
#define STS_CERT_H

#include <stdbool.h>
#include <stdint.h>

#include "rules/sts_codes.h"

/* Facts about a server's certificate (policy host or MX host), from OpenSSL, even when
 * verification failed. */
struct sts_cert_facts {
    bool present;       /* a peer certificate was received */
    int verify_code;    /* OpenSSL X509_V_* of the chain; 0 (X509_V_OK) when it verified */
    bool name_matches;  /* a SAN (or the CN without SANs) covers the host name asked for (mta-sts.D,
                           the MX name) */
    int64_t not_before; /* Unix seconds of the leaf; 0 when unknown */
    int64_t not_after;
    int chain_len;    /* certificates the server sent */
    bool self_signed; /* leaf issuer equals subject */
    char issuer[256]; /* leaf issuer, one-line RFC 2253 form */
};

/* The category for an OpenSSL verify code (X509_V_*): one of the STS_CAT_CERT_* values, or
 * STS_CAT_NONE for X509_V_OK. */
enum sts_category sts_cert_category(int verify_code);

/* The certificate category of a server whose certificate failed verification, or whose
 * facts show a problem at time `now`. Several problems at once: the first in the taxonomy
 * table wins, so the facts are consulted in that order and OpenSSL's single verify code only
 * decides among the rest. A name mismatch counts only on a chain that verified. Returns
 * STS_CAT_NONE when the facts show no problem. */
enum sts_category sts_cert_problem(const struct sts_cert_facts *c, int64_t now);

#endif
