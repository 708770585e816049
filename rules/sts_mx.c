/* RFC 8461 4.1: MX host names against policy `mx` patterns. */
#include "rules/sts_mx.h"

#include <string.h>
#include <strings.h>

static bool is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Length without one trailing dot. */
static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        n--;
    return n;
}

bool sts_hostname_valid(const char *name, size_t len)
{
    if (!name)
        return false;
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || name[i] == '.') {
            if (label == 0 || label > 63)
                return false;
            if (name[i - label] == '-' || name[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_ldh(name[i]))
            return false;
        label++;
    }
    return true;
}

bool sts_mx_pattern_valid(const char *pattern)
{
    if (!pattern)
        return false;
    size_t n = strlen(pattern);
    if (n >= 2 && pattern[0] == '*' && pattern[1] == '.')
        return sts_hostname_valid(pattern + 2, n - 2);
    return sts_hostname_valid(pattern, n);
}

bool sts_mx_pattern_matches(const char *pattern, const char *host)
{
    if (!pattern || !host)
        return false;
    size_t pl = trimmed_len(pattern), hl = trimmed_len(host);
    if (pl == 0 || hl == 0 || memchr(host, '*', hl))
        return false;
    if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        const char *parent = pattern + 2;
        size_t parl = pl - 2;
        if (parl == 0 || memchr(parent, '*', parl))
            return false;
        /* host = label "." parent, with exactly one non-empty leftmost label */
        if (hl < parl + 2 || host[hl - parl - 1] != '.')
            return false;
        if (strncasecmp(host + hl - parl, parent, parl) != 0)
            return false;
        const char *dot = memchr(host, '.', hl - parl - 1);
        return dot == NULL && hl - parl - 1 > 0;
    }
    if (memchr(pattern, '*', pl))
        return false;
    return pl == hl && strncasecmp(pattern, host, pl) == 0;
}

int sts_mx_find_pattern(const char *const *patterns, size_t n, const char *host)
{
    for (size_t i = 0; i < n; i++)
        if (sts_mx_pattern_matches(patterns[i], host))
            return (int)i;
    return -1;
}
