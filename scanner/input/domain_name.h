/* Normalising one input domain name: trim, lower-case, IDN to A-labels, LDH validation. */
#ifndef DOMAIN_NAME_H
#define DOMAIN_NAME_H

#include <stddef.h>

#define DOMAIN_NAME_MAX 253                     /* RFC 1035 2.3.4, in presentation form */
#define DOMAIN_LABEL_MAX 63                     /* RFC 1035 2.3.4 */
#define DOMAIN_NAME_BUFSZ (DOMAIN_NAME_MAX + 1) /* enough for any normalised name */

/* Normalises `len` bytes of `in` (need not be NUL-terminated) into `out`:
 *  - surrounding spaces, tabs, CR and LF are trimmed; one trailing dot is dropped;
 *  - ASCII is lower-cased; U-labels are converted to A-labels with libidn2
 *    (idn2_to_ascii_8z, IDN2_NONTRANSITIONAL: UTS #46 mapping, `ß` kept as `ß`);
 *  - the result must be LDH labels of 1-63 bytes ([a-z0-9-], no leading or trailing
 *    hyphen), 253 bytes at most, with at least two labels and a top-level label that is
 *    not all digits;
 *  - refused: IP address literals (IPv4 dotted quads, IPv6, with or without brackets),
 *    single-label names (`localhost`, `com`: not a mail domain a survey counts),
 *    underscores (`_dmarc.example.com`: a mail domain is a host name, RFC 5321 2.3.5),
 *    wildcards, URLs, empty labels, NUL or control bytes, invalid UTF-8 or IDNA.
 * Returns 0 with the name in out, or -1 with *reason set to a static, human-readable
 * explanation (out is then ""). outlen must be at least DOMAIN_NAME_BUFSZ for every valid
 * name to fit; a name that does not fit is refused as too long. Thread-safe, no I/O. */
int domain_normalize(const char *in, size_t len, char *out, size_t outlen, const char **reason);

/* Flags for domain_normalize_flags(). */
enum domain_flags {
    DOMAIN_ALLOW_SINGLE_LABEL = 1u << 0 /* accept `com` (exclude lists name whole TLDs) */
};

/* domain_normalize() with flags (0: identical to domain_normalize). */
int domain_normalize_flags(const char *in, size_t len, unsigned flags, char *out, size_t outlen,
                           const char **reason);

#endif
