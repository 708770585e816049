/* RFC 8461 3.1: evaluates the records of a `_mta-sts` TXT answer. */
#include "rules/sts_txt.h"

#include <string.h>

#include "rules/sts_record.h"

#define STS_TXT_TAG "v=STSv1"

static const struct sts_record_codes txt_codes = {
    .delimiter_missing = "txt_delimiter_missing",
    .field_no_equals = "txt_field_no_equals",
    .ext_name_invalid = "txt_ext_name_invalid",
    .ext_value_invalid = "txt_ext_value_invalid",
    .empty_field = "txt_empty_field",
    .trailing_whitespace = "txt_trailing_whitespace",
};

struct txt_ctx {
    struct sts_txt_result *out;
    bool seen_id;
    bool id_ok;
};

bool sts_txt_is_version_record(const char *data, size_t len)
{
    return sts_record_has_tag(data, len, STS_TXT_TAG);
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* sts-id = %s"id=" 1*32(ALPHA / DIGIT) */
static bool on_field(void *vctx, const struct sts_record_field *f)
{
    struct txt_ctx *ctx = vctx;
    struct sts_txt_result *out = ctx->out;
    char q[48];
    if (!sts_record_name_is(f, "id"))
        return false;
    if (ctx->seen_id) {
        sts_diags_add(&out->errors, "txt_id_duplicate", 0,
                      "more than one id field ('%s' repeats it)",
                      sts_diag_quote(q, sizeof q, f->value, f->value_len));
        ctx->id_ok = false;
        return true;
    }
    ctx->seen_id = true;
    if (f->value_len == 0) {
        sts_diags_add(&out->errors, "txt_id_empty", 0, "id field has an empty value");
        return true;
    }
    if (f->value_len > 32) {
        sts_diags_add(&out->errors, "txt_id_too_long", 0,
                      "id '%s' is %zu characters long; at most 32 are allowed",
                      sts_diag_quote(q, sizeof q, f->value, f->value_len), f->value_len);
        return true;
    }
    for (size_t i = 0; i < f->value_len; i++) {
        if (!is_alnum(f->value[i])) {
            sts_diags_add(&out->errors, "txt_id_invalid", 0,
                          "id '%s' holds a character other than A-Z, a-z, 0-9",
                          sts_diag_quote(q, sizeof q, f->value, f->value_len));
            return true;
        }
    }
    memcpy(out->id, f->value, f->value_len);
    out->id[f->value_len] = '\0';
    ctx->id_ok = true;
    return true;
}

static void evaluate_one(const struct sts_txt_record *rec, struct sts_txt_result *out)
{
    struct txt_ctx ctx = {.out = out};
    sts_record_fields(rec->data, rec->len, strlen(STS_TXT_TAG), &txt_codes, &out->errors,
                      &out->warnings, &out->strict_ok, on_field, &ctx);
    if (!ctx.seen_id)
        sts_diags_add(&out->errors, "txt_id_missing", 0,
                      "no id field: the record must read \"v=STSv1; id=<1-32 letters or "
                      "digits>;\"");
    if (out->errors.n > 0 || out->errors.dropped > 0 || !ctx.id_ok) {
        out->status = STS_RECORD_INVALID;
        out->category = STS_CAT_TXT_SYNTAX;
        out->strict_ok = false;
        out->id[0] = '\0';
        return;
    }
    out->status = STS_RECORD_VALID;
    out->category = STS_CAT_NONE;
}

void sts_txt_evaluate(const struct sts_txt_record *recs, size_t n, struct sts_txt_result *out)
{
    memset(out, 0, sizeof *out);
    out->chosen = sts_record_pick(recs, n, STS_TXT_TAG, "txt_multiple",
                                  "senders apply no policy (RFC 8461 3.1)", &out->errors,
                                  &out->n_version_records);
    if (out->chosen < 0) {
        out->status = STS_RECORD_NONE;
        if (out->n_version_records > 1)
            out->category = STS_CAT_TXT_MULTIPLE;
        return;
    }
    out->strict_ok = true;
    evaluate_one(&recs[out->chosen], out);
}
