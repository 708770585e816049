/* TLSA answers (RFC 6698, RFC 7672): the DNS message of a _25._tcp.<mx> TLSA query parsed
 * from remote bytes: header bits, records, and which records are usable for SMTP. */
#ifndef STS_TLSA_H
#define STS_TLSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STS_TLSA_MAX 8 /* records kept per answer; more are counted */
#define STS_DNS_TYPE_TLSA 52

struct sts_tlsa_rr {
    uint8_t usage, selector, mtype;
    const uint8_t *data; /* certificate association data, into the message */
    size_t len;
};

struct sts_tlsa_answer {
    int rcode;       /* header RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
    bool ad;         /* Authenticated Data: the resolver validated the answer */
    bool tc;         /* truncated */
    size_t n_tlsa;   /* TLSA records in the answer section */
    size_t n_usable; /* of which usable for SMTP (sts_tlsa_usable) */
    size_t n_kept;   /* records in rr (the first STS_TLSA_MAX) */
    struct sts_tlsa_rr rr[STS_TLSA_MAX];
};

/* Parses a DNS response message. Records of other types (a CNAME chain) are skipped; names
 * are skipped without being followed (compression pointers are not chased), so the owner
 * name is not checked: the resolver answered the question asked. Returns 0, or -1 when the
 * message is malformed (too short, a section running past the end, a bad label): *out then
 * holds what was read before (rcode and the bits when the header was complete). Pure:
 * reads only msg[0..len). */
int sts_tlsa_parse(const uint8_t *msg, size_t len, struct sts_tlsa_answer *out);

/* RFC 7672 3.1.3: usage DANE-TA(2) or DANE-EE(3), selector Cert(0) or SPKI(1), matching
 * type Full(0) (some data), SHA2-256(1) (32 bytes) or SHA2-512(2) (64 bytes). PKIX usages
 * 0 and 1 are not usable for SMTP. */
bool sts_tlsa_usable(const struct sts_tlsa_rr *r);

#endif
