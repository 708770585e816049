/* Stable codes of the failure taxonomy (docs/taxonomy.md): statuses, categories, warnings. */
#ifndef STS_CODES_H
#define STS_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The codes' names are stored in databases: never renumber or rename, only append. */

enum sts_status {
    STS_STATUS_NO_POLICY = 0,
    STS_STATUS_VALID,
    STS_STATUS_INVALID,
    STS_STATUS_DNS_ERROR,
    STS_STATUS_DOMAIN_NXDOMAIN,
    STS_STATUS_COUNT
};

/* Primary failure category, in pipeline order: for an invalid domain the lowest applies. */
enum sts_category {
    STS_CAT_NONE = 0,
    STS_CAT_TXT_SYNTAX,
    STS_CAT_TXT_MULTIPLE,
    STS_CAT_POLICY_HOST_NO_ADDRESS,
    STS_CAT_POLICY_HOST_PRIVATE_ADDRESS,
    STS_CAT_HTTPS_CONNECT_FAILED,
    STS_CAT_HTTPS_TIMEOUT,
    STS_CAT_TLS_HANDSHAKE_FAILED,
    STS_CAT_CERT_EXPIRED,
    STS_CAT_CERT_NOT_YET_VALID,
    STS_CAT_CERT_NAME_MISMATCH,
    STS_CAT_CERT_SELF_SIGNED,
    STS_CAT_CERT_UNTRUSTED,
    STS_CAT_CERT_OTHER,
    STS_CAT_HTTP_REDIRECT,
    STS_CAT_HTTP_STATUS,
    STS_CAT_CONTENT_TYPE,
    STS_CAT_BODY_TOO_LARGE,
    STS_CAT_POLICY_SYNTAX,
    STS_CAT_POLICY_VERSION,
    STS_CAT_POLICY_MODE,
    STS_CAT_POLICY_MAX_AGE,
    STS_CAT_POLICY_NO_MX,
    STS_CAT_MX_NOT_COVERED,
    STS_CAT_COUNT
};

/* Warnings are a bit set: bit (1u << code). */
enum sts_warning {
    STS_WARN_LF_LINE_ENDINGS = 0,
    STS_WARN_MAX_AGE_SHORT,
    STS_WARN_TLSRPT_MISSING,
    STS_WARN_TLSRPT_INVALID,
    STS_WARN_CERT_EXPIRING_SOON,
    STS_WARN_MX_PATTERN_UNUSED,
    STS_WARN_POLICY_WITHOUT_TXT,
    STS_WARN_TXT_AT_APEX,
    STS_WARN_MODE_NONE,
    STS_WARN_TESTING_WITHOUT_TLSRPT,
    STS_WARN_NO_MX,
    STS_WARN_NULL_MX,
    /* The delivery side (issue 10): only with --checks +smtp / +dane. */
    STS_WARN_MX_CERT_EXPIRING_SOON, /* an MX certificate a sender accepts expires within 14 days */
    STS_WARN_DANE_AND_STS_CONFLICT, /* DANE and MTA-STS disagree on an MX certificate */
    STS_WARN_TLSA_WITHOUT_DNSSEC,   /* TLSA records the resolver did not validate */
    STS_WARN_MX_TLS_OLD,            /* an MX host negotiates below TLS 1.2 */
    STS_WARN_MX_TLS_INVALID,        /* a reached MX host a sender enforcing MTA-STS refuses */
    STS_WARN_DANE_FAILURE,          /* dane_mismatch or dnssec_bogus: DANE senders defer mail */
    STS_WARN_COUNT
};

enum sts_mode { STS_MODE_UNKNOWN = 0, STS_MODE_ENFORCE, STS_MODE_TESTING, STS_MODE_NONE };

enum sts_readiness {
    STS_READY_NA = 0, /* no policy */
    STS_READY_ENFORCING,
    STS_READY_TO_ENFORCE,
    STS_READY_NOT_READY
};

/* Outcome of one DNS lookup, after the scanner's retries. */
enum sts_dns_outcome {
    STS_DNS_NOT_ASKED = 0,
    STS_DNS_OK,
    STS_DNS_NODATA,
    STS_DNS_NXDOMAIN,
    STS_DNS_SERVFAIL,
    STS_DNS_REFUSED,
    STS_DNS_TIMEOUT,
    STS_DNS_ERROR
};

/* TLS-RPT state of a domain. */
enum sts_tlsrpt_state { STS_TLSRPT_NONE = 0, STS_TLSRPT_VALID, STS_TLSRPT_INVALID };

/* Transport outcome of the policy fetch. */
enum sts_https_outcome {
    STS_HTTPS_NOT_ATTEMPTED = 0,
    STS_HTTPS_OK,             /* an HTTP response was received (any status) */
    STS_HTTPS_CONNECT_FAILED, /* no address accepted TCP */
    STS_HTTPS_TIMEOUT,        /* connect or total time limit */
    STS_HTTPS_TLS_FAILED,     /* handshake failed, not because of certificate verification */
    STS_HTTPS_CERT_FAILED,    /* certificate verification failed: see the cert facts */
    STS_HTTPS_BODY_TOO_LARGE, /* the body passed STS_POLICY_MAX_BYTES */
    STS_HTTPS_PROTOCOL_ERROR  /* TLS up but no valid HTTP response (classified http_status) */
};

/* Each function returns a static lower-case code string ("valid", "cert_expired", ...);
 * an out-of-range value returns "unknown". The *_from_name functions return -1 when the
 * name is not a code. */
const char *sts_status_name(enum sts_status s);
const char *sts_category_name(enum sts_category c);
const char *sts_warning_name(enum sts_warning w);
const char *sts_mode_name(enum sts_mode m); /* NULL for STS_MODE_UNKNOWN */
const char *sts_readiness_name(enum sts_readiness r);
const char *sts_dns_outcome_name(enum sts_dns_outcome o);
const char *sts_tlsrpt_state_name(enum sts_tlsrpt_state t);
const char *sts_https_outcome_name(enum sts_https_outcome o); /* stored in https_outcome */
int sts_status_from_name(const char *name);
int sts_category_from_name(const char *name);
int sts_warning_from_name(const char *name);
/* STS_MODE_UNKNOWN for NULL or a name that is not a mode (stored rows hold the names). */
enum sts_mode sts_mode_from_name(const char *name);

/* True for a lookup that failed (SERVFAIL, REFUSED, timeout, other error): no answer to draw
 * conclusions from, unlike OK, NODATA and NXDOMAIN. */
bool sts_dns_outcome_failed(enum sts_dns_outcome o);

/* True for the categories of the fetch stage (policy_host_no_address .. body_too_large): the
 * policy could not be fetched as RFC 8461 3.3 requires, so no body is in force for a sender,
 * whatever it says. */
bool sts_category_is_fetch_stage(enum sts_category c);

/* True for the categories of the policy file (policy_syntax .. policy_no_mx). */
bool sts_category_is_parse(enum sts_category c);

/* True for the certificate categories (cert_expired .. cert_other); reports roll them up
 * with tls_handshake_failed as "HTTPS certificate". */
bool sts_category_is_cert(enum sts_category c);

/* The RFC 8460 result type a sender would report for a category ("sts-policy-fetch-error",
 * ...); NULL for STS_CAT_NONE. */
const char *sts_category_rfc8460_result(enum sts_category c);

/* One or two sentences telling the domain owner how to fix the category / warning. */
const char *sts_category_fix(enum sts_category c);
const char *sts_warning_fix(enum sts_warning w);

/* Writes the warning codes of a bit set, sorted by name and joined by ',', into buf
 * (always NUL-terminated, truncated at a code boundary if too small). Returns the number
 * of bytes written excluding the NUL. */
size_t sts_warnings_format(uint32_t warnings, char *buf, size_t buflen);

/* Parses a comma-separated list of warning codes into a bit set; returns false on an
 * unknown code. An empty string is the empty set. */
bool sts_warnings_parse(const char *list, uint32_t *out);

/* The lenient form for stored lists: sets *known to the codes it recognises and returns how
 * many entries are not warning codes (empty entries are skipped). NULL is the empty set. */
size_t sts_warnings_parse_known(const char *list, uint32_t *known);

/* Every diagnostic code the parsers emit (errors and lint warnings), in one table: its
 * taxonomy category (STS_CAT_NONE for warnings and TLS-RPT codes, which never make a domain
 * invalid) and whether, as a warning, it marks a tolerance (clears valid_strict). */
struct sts_diag_code_info {
    const char *code;
    enum sts_category category;
    bool is_error;
    bool tolerance;
    const char *summary;
};

/* The table entry for a code, or NULL when the code is unknown. */
const struct sts_diag_code_info *sts_diag_code_lookup(const char *code);

/* The category an error code maps to (STS_CAT_NONE for warnings and unknown codes). */
enum sts_category sts_diag_code_category(const char *code);

/* The whole table, for tests and documentation: entries 0..count-1. */
size_t sts_diag_code_count(void);
const struct sts_diag_code_info *sts_diag_code_at(size_t i);

#endif
