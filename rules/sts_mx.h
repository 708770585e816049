/* RFC 8461 4.1: matching MX host names against policy `mx` patterns. */
#ifndef STS_MX_H
#define STS_MX_H

#include <stdbool.h>
#include <stddef.h>

/* True when `host` matches `pattern`: case-insensitive, a trailing dot on either ignored,
 * `*.` matches exactly one leftmost label (never the parent itself), no other wildcard. */
bool sts_mx_pattern_matches(const char *pattern, const char *host);

/* True when `pattern` is a syntactically valid mx pattern (a domain name, optionally with a
 * leading `*.`). */
bool sts_mx_pattern_valid(const char *pattern);

/* Index of the first pattern matching host, or -1. */
int sts_mx_find_pattern(const char *const *patterns, size_t n, const char *host);

/* True when `name` (len bytes) is a host name per RFC 5321 `Domain`: LDH labels of 1-63
 * bytes, not starting or ending with '-', 253 bytes at most; one trailing dot allowed. */
bool sts_hostname_valid(const char *name, size_t len);

#endif
