/* Normalising one input domain name: trim, lower-case, IDN to A-labels, LDH validation. */
#include "scanner/input/domain_name.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Longest raw input considered: a U-label name may take 4 UTF-8 bytes per character plus
 * mapping; anything longer cannot normalise to 253 bytes and is refused before libidn2. */
#define DOMAIN_RAW_MAX 1024

static bool is_trim_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Why a byte cannot appear in a name; NULL when it can (lower-case LDH or '.'). */
static const char *bad_byte_reason(unsigned char c)
{
    if (c == 0)
        return "NUL byte in name";
    if (c < 0x20 || c == 0x7f)
        return "control character in name";
    if (c == ' ' || c == '\t')
        return "whitespace inside name";
    if (c == '_')
        return "underscore in name (a mail domain is a host name: letters, digits, hyphens)";
    if (c == '*')
        return "wildcard in name";
    if (c == '/' || c == ':' || c == '@' || c == '?')
        return "URL, address or path, not a domain name";
    if (c == '[' || c == ']')
        return "IP address literal, not a domain name";
    return "character not allowed in a domain name (letters, digits, hyphens, dots)";
}

static bool is_ip_literal(const char *s, size_t len)
{
    char buf[64];
    unsigned char tmp[16];
    if (len == 0 || len >= sizeof buf)
        return false;
    size_t off = 0;
    if (s[0] == '[' && len >= 2 && s[len - 1] == ']') {
        off = 1;
        len -= 2;
    }
    memcpy(buf, s + off, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, tmp) == 1 || inet_pton(AF_INET6, buf, tmp) == 1;
}

/* Checks a lower-case ASCII name: LDH labels 1-63, <= 253, >= 2 labels, TLD not numeric. */
static const char *ldh_check(const char *name, size_t len, unsigned flags)
{
    if (len == 0)
        return "empty name";
    if (len > DOMAIN_NAME_MAX)
        return "name longer than 253 bytes";
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '.') {
            if (!is_ldh((unsigned char)name[i]))
                return bad_byte_reason((unsigned char)name[i]);
            continue;
        }
        size_t llen = i - start;
        if (llen == 0)
            return "empty label (two dots in a row, or a leading dot)";
        if (llen > DOMAIN_LABEL_MAX)
            return "label longer than 63 bytes";
        if (name[start] == '-' || name[i - 1] == '-')
            return "label starts or ends with a hyphen";
        labels++;
        start = i + 1;
    }
    if (labels < 2 && !(flags & DOMAIN_ALLOW_SINGLE_LABEL))
        return "single-label name (not a registrable mail domain)";
    bool numeric = true;
    for (size_t i = len; i > 0 && name[i - 1] != '.'; i--)
        if (name[i - 1] < '0' || name[i - 1] > '9')
            numeric = false;
    if (numeric)
        return "top-level label is all digits (an IP address?)";
    return NULL;
}

/* True when the name needs libidn2: non-ASCII bytes, or an A-label to verify. */
static bool needs_idna(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true;
    for (size_t i = 0; i + 4 <= len; i++)
        if ((i == 0 || s[i - 1] == '.') && strncasecmp(s + i, "xn--", 4) == 0)
            return true;
    return false;
}

static const char *idna_reason(int rc)
{
    switch (rc) {
    case IDN2_ENCODING_ERROR:
        return "invalid UTF-8 in name";
    case IDN2_PUNYCODE_BAD_INPUT:
    case IDN2_ALABEL_ROUNDTRIP_FAILED:
        return "invalid A-label (xn--) in name";
    case IDN2_TOO_BIG_DOMAIN:
        return "name longer than 253 bytes";
    case IDN2_TOO_BIG_LABEL:
        return "label longer than 63 bytes";
    case IDN2_HYPHEN_STARTEND:
        return "label starts or ends with a hyphen";
    case IDN2_2HYPHEN:
        return "hyphens in 3rd and 4th position of an internationalised name";
    default:
        return "invalid internationalised name (IDNA2008/UTS #46)";
    }
}

static int fail(char *out, size_t outlen, const char **reason, const char *why)
{
    if (outlen > 0)
        out[0] = '\0';
    if (reason)
        *reason = why;
    return -1;
}

int domain_normalize_flags(const char *in, size_t len, unsigned flags, char *out, size_t outlen,
                           const char **reason)
{
    if (!in)
        return fail(out, outlen, reason, "empty name");
    while (len > 0 && is_trim_byte((unsigned char)in[0])) {
        in++;
        len--;
    }
    while (len > 0 && is_trim_byte((unsigned char)in[len - 1]))
        len--;
    if (len > 0 && in[len - 1] == '.')
        len--;
    if (len == 0)
        return fail(out, outlen, reason, "empty name");
    if (len > DOMAIN_RAW_MAX)
        return fail(out, outlen, reason, "name longer than 253 bytes");
    if (memchr(in, '\0', len))
        return fail(out, outlen, reason, "NUL byte in name");
    if (is_ip_literal(in, len))
        return fail(out, outlen, reason, "IP address literal, not a domain name");

    char buf[DOMAIN_RAW_MAX + 1];
    size_t n = len;
    memcpy(buf, in, len);
    buf[len] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] >= 'A' && buf[i] <= 'Z')
            buf[i] = (char)(buf[i] - 'A' + 'a');

    const char *name = buf;
    char *idna = NULL;
    if (needs_idna(buf, n)) {
        /* Control and LDH problems first: libidn2's messages for them are vaguer. */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)buf[i];
            if (c < 0x80 && c != '.' && !is_ldh(c))
                return fail(out, outlen, reason, bad_byte_reason(c));
        }
        int rc = idn2_to_ascii_8z(buf, &idna, IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK) {
            free(idna);
            return fail(out, outlen, reason, idna_reason(rc));
        }
        name = idna;
        n = strlen(idna);
    }
    const char *why = ldh_check(name, n, flags);
    if (!why && n + 1 > outlen)
        why = "name longer than 253 bytes";
    if (why) {
        free(idna);
        return fail(out, outlen, reason, why);
    }
    memcpy(out, name, n + 1);
    free(idna);
    if (reason)
        *reason = NULL;
    return 0;
}

int domain_normalize(const char *in, size_t len, char *out, size_t outlen, const char **reason)
{
    return domain_normalize_flags(in, len, 0, out, outlen, reason);
}
