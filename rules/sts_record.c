/* The tag-value grammar shared by the _mta-sts and _smtp._tls TXT records. */
#include "rules/sts_record.h"

#include <string.h>

#include "rules/sts_txt.h"

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool sts_record_has_tag(const char *data, size_t len, const char *tag)
{
    size_t tl = strlen(tag);
    if (!data || len < tl || memcmp(data, tag, tl) != 0)
        return false;
    return len == tl || data[tl] == ';' || is_wsp(data[tl]);
}

int sts_record_pick(const struct sts_txt_record *recs, size_t n, const char *tag,
                    const char *multiple_code, const char *consequence, struct sts_diags *errors,
                    size_t *n_tagged)
{
    size_t count = 0;
    int first = -1;
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].data || !sts_record_has_tag(recs[i].data, recs[i].len, tag))
            continue;
        if (count == 0)
            first = (int)i;
        count++;
    }
    *n_tagged = count;
    if (count > 1) {
        sts_diags_add(errors, multiple_code, 0, "%zu records begin with %s; with more than one, %s",
                      count, tag, consequence);
        return -1;
    }
    return first;
}

bool sts_record_name_is(const struct sts_record_field *f, const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && memcmp(f->name, name, n) == 0;
}

/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
bool sts_record_ext_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > 32 || !is_alnum(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E): no space, control, '=', ';' or non-ASCII. */
static bool ext_value_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
            return false;
    }
    return true;
}

static void check_extension(const struct sts_record_field *f, const struct sts_record_codes *codes,
                            struct sts_diags *errors)
{
    char q[64];
    if (!sts_record_ext_name_valid(f->name, f->name_len)) {
        sts_diags_add(errors, codes->ext_name_invalid, 0,
                      "field name '%s' is not 1-32 letters, digits, '_', '-' or '.' starting "
                      "with a letter or digit",
                      sts_diag_quote(q, sizeof q, f->name, f->name_len));
        return;
    }
    if (!ext_value_ok(f->value, f->value_len))
        sts_diags_add(errors, codes->ext_value_invalid, 0,
                      "value of field '%s' is empty or holds a space, control character, '=' "
                      "or non-ASCII byte",
                      sts_diag_quote(q, sizeof q, f->name, f->name_len));
}

/* One field: [start, end) with surrounding whitespace already trimmed, non-empty. */
static void handle_field(const char *start, size_t n, const struct sts_record_codes *codes,
                         struct sts_diags *errors, sts_record_field_fn fn, void *ctx)
{
    const char *eq = memchr(start, '=', n);
    char q[64];
    if (!eq) {
        sts_diags_add(errors, codes->field_no_equals, 0, "field '%s' has no '='",
                      sts_diag_quote(q, sizeof q, start, n));
        return;
    }
    struct sts_record_field f = {
        .name = start,
        .name_len = (size_t)(eq - start),
        .value = eq + 1,
        .value_len = n - (size_t)(eq - start) - 1,
    };
    if (fn && fn(ctx, &f))
        return;
    check_extension(&f, codes, errors);
}

void sts_record_fields(const char *data, size_t len, size_t tag_len,
                       const struct sts_record_codes *codes, struct sts_diags *errors,
                       struct sts_diags *warnings, bool *strict, sts_record_field_fn fn, void *ctx)
{
    size_t p = tag_len;
    while (p < len && is_wsp(data[p]))
        p++;
    if (p < len && data[p] != ';') {
        sts_diags_add(errors, codes->delimiter_missing, 0,
                      "expected ';' after the version tag, found '%c'",
                      (data[p] >= 0x20 && data[p] < 0x7f) ? data[p] : '?');
    }
    bool warned_empty = false;
    while (p < len) {
        if (data[p] == ';')
            p++;
        while (p < len && is_wsp(data[p]))
            p++;
        if (p >= len)
            break; /* a trailing delimiter, with optional whitespace, is allowed */
        if (data[p] == ';') {
            if (!warned_empty)
                sts_diags_add(warnings, codes->empty_field, 0,
                              "empty field between two ';' (ignored)");
            warned_empty = true;
            *strict = false;
            continue;
        }
        const char *semi = memchr(data + p, ';', len - p);
        size_t end = semi ? (size_t)(semi - data) : len;
        size_t fend = end;
        while (fend > p && is_wsp(data[fend - 1]))
            fend--;
        if (fend < end && !semi) {
            sts_diags_add(warnings, codes->trailing_whitespace, 0,
                          "whitespace after the last field (allowed only before ';')");
            *strict = false;
        }
        handle_field(data + p, fend - p, codes, errors, fn, ctx);
        p = end;
    }
}
