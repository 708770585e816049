/* RFC 8461 3.2: the policy file served at https://mta-sts.D/.well-known/mta-sts.txt. */
#ifndef STS_POLICY_H
#define STS_POLICY_H

#include "rules/sts_codes.h"
#include "rules/sts_diag.h"

#define STS_POLICY_MAX_BYTES 65536  /* the fetch cap; a longer body is body_too_large */
#define STS_POLICY_MAX_AGE 31557600 /* RFC 8461 3.2 */
/* No bound on mx lines but the body's: RFC 8461 sets none, and 64 KiB hold about 13,000
 * (the shortest line, "mx:a\n", is 5 bytes). The patterns live in a growing array. */

struct sts_policy {
    bool valid;     /* valid with the documented tolerances (docs/taxonomy.md) */
    bool strict_ok; /* valid, and no tolerance was needed */
    enum sts_mode mode;
    bool has_max_age;
    long long max_age; /* when has_max_age */
    size_t n_mx, mx_cap;
    char **mx;                  /* n_mx patterns lower-cased, trailing dot dropped; owned */
    bool lf_line_endings;       /* at least one line ended by a bare LF */
    enum sts_category category; /* first policy category that applies, or STS_CAT_NONE */
    struct sts_diags errors;
    struct sts_diags warnings;
};

/* Parses a body of `len` bytes (need not be NUL-terminated; may contain NULs). A body over
 * STS_POLICY_MAX_BYTES is rejected with category STS_CAT_BODY_TOO_LARGE. Always fills *out;
 * release it with sts_policy_free(). Returns out->valid. */
bool sts_policy_parse(const char *body, size_t len, struct sts_policy *out);

void sts_policy_free(struct sts_policy *p);

#endif
