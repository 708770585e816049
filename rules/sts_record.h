/* The tag-value grammar shared by the _mta-sts and _smtp._tls TXT records (RFC 8461 3.1,
 * RFC 8460 3): version tag, `;`-delimited `name=value` fields, extension fields. */
#ifndef STS_RECORD_H
#define STS_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/sts_diag.h"

/* The diagnostic codes one record type uses for the structural findings. */
struct sts_record_codes {
    const char *delimiter_missing;   /* error */
    const char *field_no_equals;     /* error */
    const char *ext_name_invalid;    /* error */
    const char *ext_value_invalid;   /* error */
    const char *empty_field;         /* tolerance warning */
    const char *trailing_whitespace; /* tolerance warning */
};

struct sts_record_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Called for each `name=value` field. Returns true when it consumed the field (a known
 * field); false lets the caller's grammar treat it as an extension field. */
typedef bool (*sts_record_field_fn)(void *ctx, const struct sts_record_field *f);

/* True when data begins with `tag` followed by ';', SP, HTAB or the end of the data. */
bool sts_record_has_tag(const char *data, size_t len, const char *tag);

struct sts_txt_record;

/* None, one or several version records: picks the one record of a TXT answer (n may be 0)
 * that begins with `tag`, as RFC 8461 3.1 and RFC 8460 3 both do (the others are ignored;
 * with several, nothing applies). Records with NULL data are skipped. Sets *n_tagged to how
 * many begin with `tag` and returns the index of the record to evaluate, or -1 when there
 * is none or several; with several, adds the error `multiple_code` to errors, saying how
 * many and what senders then do (`consequence`, e.g. "senders apply no policy (RFC 8461
 * 3.1)"). */
int sts_record_pick(const struct sts_txt_record *recs, size_t n, const char *tag,
                    const char *multiple_code, const char *consequence, struct sts_diags *errors,
                    size_t *n_tagged);

/* Walks the fields after the version tag (tag_len bytes) of a record. Structural errors and
 * tolerance warnings are added to `errors`/`warnings` with the codes given; a tolerance
 * clears *strict. Extension fields not consumed by fn are validated here. Reads only
 * data[0..len). */
void sts_record_fields(const char *data, size_t len, size_t tag_len,
                       const struct sts_record_codes *codes, struct sts_diags *errors,
                       struct sts_diags *warnings, bool *strict, sts_record_field_fn fn, void *ctx);

/* True when s[0..n) is an extension name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" /
 * "."), the same grammar for TXT fields (RFC 8461 3.1, RFC 8460 3) and policy keys (3.2). */
bool sts_record_ext_name_valid(const char *s, size_t n);

/* True when a field name equals the NUL-terminated `name` exactly (case-sensitive). */
bool sts_record_name_is(const struct sts_record_field *f, const char *name);

#endif
