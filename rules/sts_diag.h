/* Diagnostics (errors and lint warnings) produced by the rule parsers: code, line, message. */
#ifndef STS_DIAG_H
#define STS_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define STS_DIAG_MAX 32
#define STS_DIAG_MESSAGE_MAX 200

/* One finding. `code` is a static string naming it precisely (e.g. "policy_mode_invalid");
 * each error code maps to one taxonomy category (see sts_diag_category in the parsers).
 * `line` is 1-based for policy files, 0 when not about a line. */
struct sts_diag {
    const char *code;
    unsigned line;
    char message[STS_DIAG_MESSAGE_MAX];
};

/* A bounded list: past STS_DIAG_MAX entries, further ones are counted in `dropped`. */
struct sts_diags {
    struct sts_diag items[STS_DIAG_MAX];
    size_t n;
    size_t dropped;
};

/* Appends a finding; the message is printf-formatted and truncated to fit. */
void sts_diags_add(struct sts_diags *d, const char *code, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The same with a va_list, for wrappers. */
void sts_diags_vadd(struct sts_diags *d, const char *code, unsigned line, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

struct sbuf;

/* How sts_diags_json writes the lists. */
enum sts_diags_json_flags {
    STS_DIAGS_JSON_LINE_NULL = 1u,     /* line 0 (not about a line) as null, not 0 */
    STS_DIAGS_JSON_MORE_FINDINGS = 2u, /* findings past STS_DIAG_MAX as a last entry
                                          {"code":"more_findings","line":0,"message":"N more
                                          findings not kept"} */
};

/* The one JSON writer of diagnostics: appends [{"code":str,"line":int|null,"message":str},...]
 * for the findings of every list in turn (a NULL list is skipped). Strings through esc_json. */
void sts_diags_json(struct sbuf *out, const struct sts_diags *const *lists, size_t nlists,
                    unsigned flags);

/* True when a finding with this code is in the list. */
bool sts_diags_has(const struct sts_diags *d, const char *code);

/* Writes `len` bytes of untrusted data into buf for a message: printable ASCII as is, other
 * bytes as \xNN, cut with "..." past buflen. Always NUL-terminates (buflen > 0). Returns buf. */
char *sts_diag_quote(char *buf, size_t buflen, const char *s, size_t len);

#endif
