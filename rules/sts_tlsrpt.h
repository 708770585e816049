/* RFC 8460 3: the `_smtp._tls` TLS-RPT TXT record and its rua URIs. */
#ifndef STS_TLSRPT_H
#define STS_TLSRPT_H

#include "rules/sts_txt.h"

#define STS_RUA_MAX 16
#define STS_RUA_LEN_MAX 512

struct sts_tlsrpt_result {
    enum sts_record_status status; /* NONE: no record begins with v=TLSRPTv1, or several do */
    size_t n_version_records;
    int chosen;
    bool strict_ok;
    size_t n_rua;
    char rua[STS_RUA_MAX][STS_RUA_LEN_MAX]; /* the URIs as published, when VALID */
    struct sts_diags errors;
    struct sts_diags warnings;
};

/* Evaluates the records of the `_smtp._tls.D` answer. Never fails; writes *out. */
void sts_tlsrpt_evaluate(const struct sts_txt_record *recs, size_t n,
                         struct sts_tlsrpt_result *out);

/* The domain's TLS-RPT state from an evaluation (several version records count as invalid). */
enum sts_tlsrpt_state sts_tlsrpt_state_of(const struct sts_tlsrpt_result *r);

/* True when the record begins with `v=TLSRPTv1` followed by ';', whitespace or its end. */
bool sts_tlsrpt_is_version_record(const char *data, size_t len);

/* Checks one rua URI (RFC 8460 3: mailto: with an address, or https: with a host). Returns
 * NULL when it is acceptable, else the diagnostic code (tlsrpt_rua_scheme, _invalid, _empty)
 * and a reason in why[whylen]. */
const char *sts_tlsrpt_uri_check(const char *uri, size_t len, char *why, size_t whylen);

#endif
