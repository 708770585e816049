/* The message of a UID FETCH response, by the literal's own length (never by its lines). */
#include "tlsrpt/imap_fetch.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* The line starting at p (up to and excluding its LF), or the rest when it has none. */
static size_t line_len(const char *p, const char *end)
{
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    return lf ? (size_t)(lf - p) : (size_t)(end - p);
}

/* True when s[0..n) holds the token "UID <uid>" (case-insensitive, a whole number). */
static bool has_uid(const char *s, size_t n, int64_t uid)
{
    for (size_t i = 0; i + 4 < n; i++) {
        if (strncasecmp(s + i, "UID ", 4) || (i > 0 && s[i - 1] != ' ' && s[i - 1] != '('))
            continue;
        uint64_t v = 0; /* 19 digits at most: below 2^64, so it never wraps */
        size_t k = i + 4, digits = 0;
        while (k < n && s[k] >= '0' && s[k] <= '9' && digits < 19) {
            v = v * 10 + (uint64_t)(s[k++] - '0');
            digits++;
        }
        if (digits && (k == n || s[k] == ' ' || s[k] == ')' || s[k] == '\r') && uid >= 0 &&
            v == (uint64_t)uid)
            return true;
    }
    return false;
}

/* "{N}" closing the line s[0..n) (a CR before the LF dropped): N, or -1. */
static long long literal_size(const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (n < 3 || s[n - 1] != '}')
        return -1;
    size_t i = n - 1;
    long long v = 0, mul = 1;
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9' && mul <= 1000000000000LL) {
        v += (s[i - 1] - '0') * mul;
        mul *= 10;
        i--;
    }
    if (i == n - 1 || i == 0 || s[i - 1] != '{')
        return -1;
    return v;
}

int tlsrpt_imap_fetch_body(const char *resp, size_t len, int64_t uid, size_t max, const char **body,
                           size_t *body_len, const char **why)
{
    const char *end = resp + len;
    *why = "the server sent no FETCH response with the message";
    for (const char *p = resp; p < end;) {
        size_t n = line_len(p, end);
        const char *next = p + n + (p + n < end ? 1 : 0);
        long long size = literal_size(p, n);
        bool fetch = n > 2 && p[0] == '*' && p[1] == ' ' && memmem(p, n, " FETCH (", 8);
        if (!fetch || size < 0) {
            p = next;
            continue;
        }
        if ((unsigned long long)size > max) {
            *why = "message larger than the 64 MiB input cap";
            return -1;
        }
        if ((size_t)(end - next) < (size_t)size || p + n == end) {
            *why = "the message was cut short: the response ended inside it";
            return -1;
        }
        /* UID before the literal, or in what follows it up to the end of that line */
        const char *after = next + size;
        if (!has_uid(p, n, uid) && !has_uid(after, line_len(after, end), uid)) {
            *why = "the FETCH response is for another message (UID differs)";
            return -1;
        }
        *body = next;
        *body_len = (size_t)size;
        return 0;
    }
    return -1;
}
