/* RFC 8461 3.2: parses a policy body into mode, max_age and mx patterns, with diagnostics. */
#include "rules/sts_policy.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/escape.h"
#include "rules/sts_mx.h"
#include "rules/sts_record.h"

/* The last occurrence of a single-valued field (version, mode, max_age): the last one wins. */
struct field_seen {
    const char *value; /* points into the body */
    size_t len;
    unsigned line;
    unsigned count;
};

struct parse_ctx {
    struct sts_policy *out;
    struct field_seen version, mode, max_age;
    unsigned fields;   /* key: value lines seen so far */
    unsigned mx_lines; /* mx lines, valid or not */
    bool version_not_first_warned;
};

enum known_key { KEY_UNKNOWN, KEY_VERSION, KEY_MODE, KEY_MX, KEY_MAX_AGE };

static void tolerate(struct parse_ctx *c, const char *code, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void tolerate(struct parse_ctx *c, const char *code, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sts_diags_vadd(&c->out->warnings, code, line, fmt, ap);
    va_end(ap);
    c->out->strict_ok = false;
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static bool has_non_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

static enum known_key classify_key(const char *k, size_t n, bool *exact)
{
    static const struct {
        const char *name;
        enum known_key key;
    } keys[] = {
        {"version", KEY_VERSION}, {"mode", KEY_MODE}, {"mx", KEY_MX}, {"max_age", KEY_MAX_AGE}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t kl = strlen(keys[i].name);
        if (n == kl && strncasecmp(k, keys[i].name, n) == 0) {
            *exact = memcmp(k, keys[i].name, n) == 0;
            return keys[i].key;
        }
    }
    *exact = true;
    return KEY_UNKNOWN;
}

static void remember(struct parse_ctx *c, struct field_seen *f, const char *key, const char *v,
                     size_t n, unsigned line)
{
    if (f->count > 0)
        tolerate(c, "policy_duplicate_key", line,
                 "'%s' repeats line %u; the last one wins (RFC 8461 names no rule for duplicates)",
                 key, f->line);
    f->value = v;
    f->len = n;
    f->line = line;
    f->count++;
}

static void add_mx(struct parse_ctx *c, const char *v, size_t n, unsigned line)
{
    struct sts_policy *out = c->out;
    char q[80];
    if (n > 0 && v[n - 1] == '.') {
        tolerate(c, "policy_mx_trailing_dot", line,
                 "mx '%s' ends with a dot; RFC 8461 patterns have none (dropped)",
                 sts_diag_quote(q, sizeof q, v, n));
        n--;
    }
    char pat[256];
    if (n == 0 || n >= sizeof pat || (n > 0 && v[n - 1] == '.')) {
        sts_diags_add(&out->errors, "policy_mx_invalid", line,
                      "mx '%s' is not a host name or *.host name",
                      sts_diag_quote(q, sizeof q, v, n));
        return;
    }
    for (size_t i = 0; i < n; i++)
        pat[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] - 'A' + 'a') : v[i];
    pat[n] = '\0';
    if (!sts_mx_pattern_valid(pat)) {
        sts_diags_add(&out->errors, "policy_mx_invalid", line,
                      "mx '%s' is not a host name or *.host name (letters, digits, '-', dots; a "
                      "wildcard only as a leading '*.')",
                      sts_diag_quote(q, sizeof q, v, n));
        return;
    }
    for (size_t i = 0; i < out->n_mx; i++) {
        if (strcmp(out->mx[i], pat) == 0) {
            sts_diags_add(&out->warnings, "policy_mx_duplicate", line, "mx '%s' is listed twice",
                          pat);
            return;
        }
    }
    if (out->n_mx == out->mx_cap) {
        size_t cap = out->mx_cap ? out->mx_cap * 2 : 16;
        char **grown = realloc(out->mx, cap * sizeof *grown);
        if (!grown) {
            sts_diags_add(&out->errors, "policy_out_of_memory", line, "out of memory storing mx");
            return;
        }
        out->mx = grown;
        out->mx_cap = cap;
    }
    char *copy = strdup(pat);
    if (!copy) {
        sts_diags_add(&out->errors, "policy_out_of_memory", line, "out of memory storing mx");
        return;
    }
    out->mx[out->n_mx++] = copy;
}

static void check_extension_value(struct parse_ctx *c, const char *key, size_t kl, const char *v,
                                  size_t n, unsigned line)
{
    char q[64];
    sts_diag_quote(q, sizeof q, key, kl);
    sts_diags_add(&c->out->warnings, "policy_unknown_key", line,
                  "unknown key '%s' (ignored, as RFC 8461 requires)", q);
    if (n == 0)
        tolerate(c, "policy_extension_empty", line, "key '%s' has an empty value", q);
    else if (!esc_utf8_valid(v, n))
        tolerate(c, "policy_non_ascii_extension", line,
                 "value of key '%s' is not valid UTF-8 (ignored with the key)", q);
}

/* One line without its terminator. Returns after the first error on the line. */
static void parse_line(struct parse_ctx *c, const char *s, size_t n, unsigned line)
{
    struct sts_policy *out = c->out;
    char q[80];
    if (memchr(s, '\0', n)) {
        sts_diags_add(&out->errors, "policy_nul", line, "NUL byte in line %u", line);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            sts_diags_add(&out->errors, "policy_control_char", line,
                          ch == '\r' ? "bare CR inside line %u (lines end with CRLF or LF)"
                                     : "control character in line %u",
                          line);
            return;
        }
    }
    size_t p = 0;
    while (p < n && is_wsp(s[p]))
        p++;
    if (p == n) {
        tolerate(c, "policy_blank_line", line, "empty line (ignored)");
        return;
    }
    if (p > 0)
        tolerate(c, "policy_leading_whitespace", line, "whitespace before the key (ignored)");
    const char *colon = memchr(s + p, ':', n - p);
    if (!colon) {
        sts_diags_add(&out->errors, "policy_line_no_colon", line, "'%s' is not 'key: value'",
                      sts_diag_quote(q, sizeof q, s + p, n - p));
        return;
    }
    const char *key = s + p;
    size_t kl = (size_t)(colon - key);
    if (kl > 0 && is_wsp(key[kl - 1])) {
        while (kl > 0 && is_wsp(key[kl - 1]))
            kl--;
        tolerate(c, "policy_whitespace_before_colon", line,
                 "whitespace between the key and ':' (ignored)");
    }
    if (!sts_record_ext_name_valid(key, kl)) { /* sts-policy-ext-name: the same grammar */
        sts_diags_add(&out->errors,
                      has_non_ascii(key, kl) ? "policy_non_ascii" : "policy_key_invalid", line,
                      "key '%s' is not 1-32 letters, digits, '_', '-' or '.'",
                      sts_diag_quote(q, sizeof q, key, kl));
        return;
    }
    const char *v = colon + 1;
    size_t vl = (size_t)(s + n - v);
    while (vl > 0 && is_wsp(v[0])) {
        v++;
        vl--;
    }
    while (vl > 0 && is_wsp(v[vl - 1]))
        vl--;
    bool exact;
    enum known_key k = classify_key(key, kl, &exact);
    unsigned field_index = c->fields++;
    if (k == KEY_UNKNOWN) {
        check_extension_value(c, key, kl, v, vl, line);
        return;
    }
    if (!exact)
        tolerate(c, "policy_key_case", line, "key '%s' should be lower case",
                 sts_diag_quote(q, sizeof q, key, kl));
    if (k == KEY_MX)
        c->mx_lines++; /* counted even when the value is rejected: the line was meant */
    if (has_non_ascii(v, vl)) {
        sts_diags_add(&out->errors, "policy_non_ascii", line, "non-ASCII byte in the value of '%s'",
                      sts_diag_quote(q, sizeof q, key, kl));
        return;
    }
    switch (k) {
    case KEY_VERSION:
        if (field_index != 0 && !c->version_not_first_warned) {
            tolerate(c, "policy_version_not_first", line,
                     "version should be the first field (found on line %u)", line);
            c->version_not_first_warned = true;
        }
        remember(c, &c->version, "version", v, vl, line);
        break;
    case KEY_MODE:
        remember(c, &c->mode, "mode", v, vl, line);
        break;
    case KEY_MAX_AGE:
        remember(c, &c->max_age, "max_age", v, vl, line);
        break;
    case KEY_MX:
        add_mx(c, v, vl, line);
        break;
    case KEY_UNKNOWN:
        break;
    }
}

static void finish_version(struct parse_ctx *c)
{
    struct field_seen *f = &c->version;
    char q[80];
    if (f->count == 0) {
        sts_diags_add(&c->out->errors, "policy_version_missing", 0, "no 'version: STSv1' line");
        return;
    }
    if (f->len == 5 && memcmp(f->value, "STSv1", 5) == 0)
        return;
    if (f->len == 5 && strncasecmp(f->value, "STSv1", 5) == 0) {
        tolerate(c, "policy_value_case", f->line, "version '%s' should be written 'STSv1'",
                 sts_diag_quote(q, sizeof q, f->value, f->len));
        return;
    }
    sts_diags_add(&c->out->errors, "policy_version_invalid", f->line, "version '%s' is not STSv1",
                  sts_diag_quote(q, sizeof q, f->value, f->len));
}

static void finish_mode(struct parse_ctx *c)
{
    static const struct {
        const char *name;
        enum sts_mode mode;
    } modes[] = {
        {"enforce", STS_MODE_ENFORCE}, {"testing", STS_MODE_TESTING}, {"none", STS_MODE_NONE}};
    struct field_seen *f = &c->mode;
    char q[80];
    if (f->count == 0) {
        sts_diags_add(&c->out->errors, "policy_mode_missing", 0,
                      "no 'mode:' line (enforce, testing or none)");
        return;
    }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        size_t ml = strlen(modes[i].name);
        if (f->len != ml || strncasecmp(f->value, modes[i].name, ml) != 0)
            continue;
        if (memcmp(f->value, modes[i].name, ml) != 0)
            tolerate(c, "policy_value_case", f->line, "mode '%s' should be written '%s'",
                     sts_diag_quote(q, sizeof q, f->value, f->len), modes[i].name);
        c->out->mode = modes[i].mode;
        return;
    }
    sts_diags_add(&c->out->errors, "policy_mode_invalid", f->line,
                  "mode '%s' is not enforce, testing or none",
                  sts_diag_quote(q, sizeof q, f->value, f->len));
}

static void finish_max_age(struct parse_ctx *c)
{
    struct field_seen *f = &c->max_age;
    char q[80];
    if (f->count == 0) {
        sts_diags_add(&c->out->errors, "policy_max_age_missing", 0, "no 'max_age:' line");
        return;
    }
    bool digits = f->len >= 1 && f->len <= 10;
    long long v = 0;
    for (size_t i = 0; digits && i < f->len; i++) {
        if (f->value[i] < '0' || f->value[i] > '9')
            digits = false;
        else
            v = v * 10 + (f->value[i] - '0');
    }
    if (!digits) {
        sts_diags_add(&c->out->errors, "policy_max_age_invalid", f->line,
                      "max_age '%s' is not 1 to 10 digits",
                      sts_diag_quote(q, sizeof q, f->value, f->len));
        return;
    }
    if (v > STS_POLICY_MAX_AGE) {
        sts_diags_add(&c->out->errors, "policy_max_age_too_large", f->line,
                      "max_age %lld is above the RFC 8461 maximum of %d", v, STS_POLICY_MAX_AGE);
        return;
    }
    c->out->has_max_age = true;
    c->out->max_age = v;
    if (v < 86400)
        sts_diags_add(&c->out->warnings, "max_age_short", f->line,
                      "max_age %lld is under a day: senders refetch often and a downgrade "
                      "window opens",
                      v);
}

/* Stable sort by line, findings without a line (0) last: output reads top to bottom. */
static void sort_by_line(struct sts_diags *d)
{
    for (size_t i = 1; i < d->n; i++) {
        struct sts_diag tmp = d->items[i];
        unsigned key = tmp.line ? tmp.line : ~0u;
        size_t j = i;
        while (j > 0 && (d->items[j - 1].line ? d->items[j - 1].line : ~0u) > key) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = tmp;
    }
}

static void finish(struct parse_ctx *c)
{
    struct sts_policy *out = c->out;
    finish_version(c);
    finish_mode(c);
    finish_max_age(c);
    if ((out->mode == STS_MODE_ENFORCE || out->mode == STS_MODE_TESTING) && c->mx_lines == 0)
        sts_diags_add(&out->errors, "policy_mx_missing", 0,
                      "mode %s requires at least one 'mx:' line", sts_mode_name(out->mode));
    out->category = STS_CAT_NONE;
    for (size_t i = 0; i < out->errors.n; i++) {
        enum sts_category cat = sts_diag_code_category(out->errors.items[i].code);
        if (cat != STS_CAT_NONE && (out->category == STS_CAT_NONE || cat < out->category))
            out->category = cat;
    }
    out->valid = out->errors.n == 0 && out->errors.dropped == 0;
    if (!out->valid && out->category == STS_CAT_NONE)
        out->category = STS_CAT_POLICY_SYNTAX;
    if (!out->valid)
        out->strict_ok = false;
    sort_by_line(&out->errors);
    sort_by_line(&out->warnings);
}

bool sts_policy_parse(const char *body, size_t len, struct sts_policy *out)
{
    memset(out, 0, sizeof *out);
    out->strict_ok = true;
    if (len > STS_POLICY_MAX_BYTES) {
        sts_diags_add(&out->errors, "body_too_large", 0,
                      "policy body is larger than %d bytes, the most senders read",
                      STS_POLICY_MAX_BYTES);
        out->category = STS_CAT_BODY_TOO_LARGE;
        out->strict_ok = false;
        return false;
    }
    if (!body)
        len = 0;
    struct parse_ctx c = {.out = out};
    size_t p = 0;
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        tolerate(&c, "policy_bom", 1, "UTF-8 byte-order mark before the first line (ignored)");
        p = 3;
    }
    unsigned line = 1, first_lf = 0;
    while (p < len) {
        const char *nl = memchr(body + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - body) : len;
        size_t content = end;
        if (nl && content > p && body[content - 1] == '\r') {
            content--;
        } else if (nl) {
            if (!out->lf_line_endings)
                first_lf = line;
            out->lf_line_endings = true;
        } else {
            sts_diags_add(&out->warnings, "policy_no_final_newline", line,
                          "the last line has no line ending (allowed by RFC 8461's ABNF)");
        }
        parse_line(&c, body + p, content - p, line);
        p = nl ? end + 1 : len;
        line++;
    }
    if (out->lf_line_endings)
        sts_diags_add(&out->warnings, "lf_line_endings", first_lf,
                      "lines end with a bare LF (first: line %u); RFC 8461's prose asks for "
                      "CRLF, its ABNF accepts LF",
                      first_lf);
    finish(&c);
    return out->valid;
}

void sts_policy_free(struct sts_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_mx; i++)
        free(p->mx[i]);
    free(p->mx);
    p->mx = NULL;
    p->n_mx = p->mx_cap = 0;
}
