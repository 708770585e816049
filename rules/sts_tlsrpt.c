/* RFC 8460 3: evaluates the records of a `_smtp._tls` TXT answer and their rua URIs. */
#include "rules/sts_tlsrpt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rules/sts_record.h"

#define STS_TLSRPT_TAG "v=TLSRPTv1"

static const struct sts_record_codes tlsrpt_codes = {
    .delimiter_missing = "tlsrpt_delimiter_missing",
    .field_no_equals = "tlsrpt_field_no_equals",
    .ext_name_invalid = "tlsrpt_ext_name_invalid",
    .ext_value_invalid = "tlsrpt_ext_value_invalid",
    .empty_field = "tlsrpt_empty_field",
    .trailing_whitespace = "tlsrpt_trailing_whitespace",
};

struct tlsrpt_ctx {
    struct sts_tlsrpt_result *out;
    bool seen_rua;
};

bool sts_tlsrpt_is_version_record(const char *data, size_t len)
{
    return sts_record_has_tag(data, len, STS_TLSRPT_TAG);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 characters (unreserved, reserved, and '%' introducing two hex digits). */
static bool uri_chars_ok(const char *s, size_t n)
{
    static const char extra[] = "-._~:/?#[]@!$&'()*+,;=";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return false;
            i += 2;
            continue;
        }
        if (c == '\0' || !memchr(extra, c, sizeof extra - 1))
            return false;
    }
    return true;
}

static bool has_prefix_ci(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && strncasecmp(s, prefix, pl) == 0;
}

/* mailto:local@domain[,...][?headers]: at least one address with both parts non-empty. */
static bool mailto_ok(const char *s, size_t n)
{
    size_t end = 0;
    while (end < n && s[end] != '?')
        end++;
    const char *at = memchr(s, '@', end);
    if (!at || at == s)
        return false;
    size_t dom = (size_t)(at - s) + 1;
    if (dom >= end || memchr(s + dom, '@', end - dom))
        return false;
    return s[dom] != '.' && s[end - 1] != '.';
}

/* https://host[:port][/path...]: a non-empty host. */
static bool https_ok(const char *s, size_t n)
{
    if (n < 2 || s[0] != '/' || s[1] != '/')
        return false;
    size_t h = 2, e = 2;
    while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#' && s[e] != ':')
        e++;
    if (e == h || memchr(s + h, '@', e - h))
        return false;
    if (e < n && s[e] == ':') {
        size_t d = e + 1;
        while (d < n && s[d] >= '0' && s[d] <= '9')
            d++;
        if (d == e + 1 || (d < n && s[d] != '/' && s[d] != '?' && s[d] != '#'))
            return false;
    }
    return true;
}

const char *sts_tlsrpt_uri_check(const char *uri, size_t len, char *why, size_t whylen)
{
    if (len == 0) {
        snprintf(why, whylen, "empty URI");
        return "tlsrpt_rua_empty";
    }
    bool mailto = has_prefix_ci(uri, len, "mailto:");
    bool https = has_prefix_ci(uri, len, "https:");
    if (!mailto && !https) {
        snprintf(why, whylen, "scheme is not mailto: or https:");
        return "tlsrpt_rua_scheme";
    }
    if (!uri_chars_ok(uri, len)) {
        snprintf(why, whylen, "holds a character not allowed in a URI (percent-encode it)");
        return "tlsrpt_rua_invalid";
    }
    /* Commas are the list separator, so an unencoded one never reaches here. */
    if (memchr(uri, '!', len)) {
        snprintf(why, whylen, "holds '!', which RFC 8460 3 requires percent-encoded (%%21)");
        return "tlsrpt_rua_invalid";
    }
    if (mailto && !mailto_ok(uri + 7, len - 7)) {
        snprintf(why, whylen, "mailto: without an address local@domain");
        return "tlsrpt_rua_invalid";
    }
    if (https && !https_ok(uri + 6, len - 6)) {
        snprintf(why, whylen, "https: without //host");
        return "tlsrpt_rua_invalid";
    }
    return NULL;
}

static void add_uri(struct sts_tlsrpt_result *out, const char *u, size_t n)
{
    char q[80], why[96];
    const char *code = sts_tlsrpt_uri_check(u, n, why, sizeof why);
    if (code) {
        sts_diags_add(&out->errors, code, 0, "rua URI '%s': %s", sts_diag_quote(q, sizeof q, u, n),
                      why);
        return;
    }
    if (n >= STS_RUA_LEN_MAX) {
        sts_diags_add(&out->errors, "tlsrpt_rua_too_long", 0,
                      "rua URI '%s' is %zu bytes; at most %d are kept",
                      sts_diag_quote(q, sizeof q, u, n), n, STS_RUA_LEN_MAX - 1);
        return;
    }
    for (size_t i = 0; i < out->n_rua; i++) {
        if (strlen(out->rua[i]) == n && memcmp(out->rua[i], u, n) == 0) {
            sts_diags_add(&out->warnings, "tlsrpt_rua_uri_duplicate", 0,
                          "rua URI '%s' is listed twice", sts_diag_quote(q, sizeof q, u, n));
            return;
        }
    }
    if (out->n_rua >= STS_RUA_MAX) {
        sts_diags_add(&out->errors, "tlsrpt_rua_too_many", 0,
                      "more than %d rua URIs; the rest are not checked", STS_RUA_MAX);
        return;
    }
    memcpy(out->rua[out->n_rua], u, n);
    out->rua[out->n_rua][n] = '\0';
    out->n_rua++;
}

/* tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri) */
static void parse_rua(struct sts_tlsrpt_result *out, const char *v, size_t n)
{
    size_t p = 0;
    if (n == 0) {
        sts_diags_add(&out->errors, "tlsrpt_rua_empty", 0, "rua field has an empty value");
        return;
    }
    for (;;) {
        while (p < n && (v[p] == ' ' || v[p] == '\t'))
            p++;
        const char *comma = memchr(v + p, ',', n - p);
        size_t end = comma ? (size_t)(comma - v) : n;
        size_t e = end;
        while (e > p && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e == p)
            sts_diags_add(&out->errors, "tlsrpt_rua_empty", 0,
                          "rua list holds an empty URI (two commas, or a comma at an end)");
        else
            add_uri(out, v + p, e - p);
        if (!comma || sts_diags_has(&out->errors, "tlsrpt_rua_too_many"))
            break;
        p = end + 1;
    }
}

static bool on_field(void *vctx, const struct sts_record_field *f)
{
    struct tlsrpt_ctx *ctx = vctx;
    if (!sts_record_name_is(f, "rua"))
        return false;
    if (ctx->seen_rua) {
        sts_diags_add(&ctx->out->errors, "tlsrpt_rua_duplicate", 0,
                      "more than one rua field; list all URIs in one, separated by commas");
        return true;
    }
    ctx->seen_rua = true;
    parse_rua(ctx->out, f->value, f->value_len);
    return true;
}

void sts_tlsrpt_evaluate(const struct sts_txt_record *recs, size_t n, struct sts_tlsrpt_result *out)
{
    memset(out, 0, sizeof *out);
    out->chosen = sts_record_pick(recs, n, STS_TLSRPT_TAG, "tlsrpt_multiple",
                                  "senders send no reports (RFC 8460 3)", &out->errors,
                                  &out->n_version_records);
    if (out->chosen < 0) {
        out->status = STS_RECORD_NONE;
        return;
    }
    const struct sts_txt_record *rec = &recs[out->chosen];
    struct tlsrpt_ctx ctx = {.out = out};
    out->strict_ok = true;
    sts_record_fields(rec->data, rec->len, strlen(STS_TLSRPT_TAG), &tlsrpt_codes, &out->errors,
                      &out->warnings, &out->strict_ok, on_field, &ctx);
    if (!ctx.seen_rua)
        sts_diags_add(&out->errors, "tlsrpt_rua_missing", 0,
                      "no rua field: the record must read \"v=TLSRPTv1; rua=mailto:...\"");
    if (out->errors.n > 0 || out->errors.dropped > 0) {
        out->status = STS_RECORD_INVALID;
        out->strict_ok = false;
        out->n_rua = 0;
        return;
    }
    out->status = STS_RECORD_VALID;
}

enum sts_tlsrpt_state sts_tlsrpt_state_of(const struct sts_tlsrpt_result *r)
{
    if (r->n_version_records == 0)
        return STS_TLSRPT_NONE;
    return r->status == STS_RECORD_VALID ? STS_TLSRPT_VALID : STS_TLSRPT_INVALID;
}
