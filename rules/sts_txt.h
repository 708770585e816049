/* RFC 8461 3.1: the `_mta-sts` TXT record, from the records of one answer to a verdict. */
#ifndef STS_TXT_H
#define STS_TXT_H

#include "rules/sts_codes.h"
#include "rules/sts_diag.h"

/* One TXT record: its character-strings already concatenated. May contain any byte. */
struct sts_txt_record {
    const char *data;
    size_t len;
};

/* Verdict on the records of one TXT answer. */
enum sts_record_status {
    STS_RECORD_NONE = 0, /* no record begins with the version tag, or more than one does */
    STS_RECORD_VALID,
    STS_RECORD_INVALID
};

struct sts_txt_result {
    enum sts_record_status status;
    size_t n_version_records;   /* records that begin with the version tag */
    int chosen;                 /* index of the single version record, or -1 */
    char id[33];                /* the id when status is VALID, else "" */
    bool strict_ok;             /* the chosen record follows RFC 8461 ABNF to the letter */
    enum sts_category category; /* STS_CAT_TXT_SYNTAX, STS_CAT_TXT_MULTIPLE or STS_CAT_NONE */
    struct sts_diags errors;
    struct sts_diags warnings;
};

/* True when the record begins with `v=STSv1` followed by ';', whitespace or its end. */
bool sts_txt_is_version_record(const char *data, size_t len);

/* Evaluates the records of the `_mta-sts.D` answer (n may be 0). Never fails; writes *out. */
void sts_txt_evaluate(const struct sts_txt_record *recs, size_t n, struct sts_txt_result *out);

#endif
