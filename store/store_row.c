/* Builds an owned row from a scan result: codes to names, lists to JSON, artifacts hashed+packed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "store/store_internal.h"

const char *const store_col_names[SC_COUNT] = {
    [SC_DOMAIN] = "domain",
    [SC_RANK] = "rank",
    [SC_SCANNED_AT] = "scanned_at",
    [SC_STATUS] = "status",
    [SC_CATEGORY] = "category",
    [SC_WARNINGS] = "warnings",
    [SC_VALID_STRICT] = "valid_strict",
    [SC_VALID_LENIENT] = "valid_lenient",
    [SC_WOULD_FAIL_DELIVERY] = "would_fail_delivery",
    [SC_READINESS] = "readiness",
    [SC_DETAIL] = "detail",
    [SC_TXT_OUTCOME] = "txt_outcome",
    [SC_TXT_RECORDS] = "txt_records",
    [SC_TXT_VERSION_RECORDS] = "txt_version_records",
    [SC_TXT_ID] = "txt_id",
    [SC_TXT_BLOB] = "txt_blob",
    [SC_MX_OUTCOME] = "mx_outcome",
    [SC_MX_HOSTS] = "mx_hosts",
    [SC_NULL_MX] = "null_mx",
    [SC_TLSRPT_OUTCOME] = "tlsrpt_outcome",
    [SC_TLSRPT_STATUS] = "tlsrpt_status",
    [SC_RUA] = "rua",
    [SC_TLSRPT_BLOB] = "tlsrpt_blob",
    [SC_HOST_A_OUTCOME] = "host_a_outcome",
    [SC_HOST_AAAA_OUTCOME] = "host_aaaa_outcome",
    [SC_HOST_ADDRS] = "host_addrs",
    [SC_HOST_ADDRS_REFUSED] = "host_addrs_refused",
    [SC_HOST_CNAME] = "host_cname",
    [SC_HTTPS_OUTCOME] = "https_outcome",
    [SC_HTTPS_ADDR] = "https_addr",
    [SC_HTTP_STATUS] = "http_status",
    [SC_CONTENT_TYPE] = "content_type",
    [SC_LOCATION] = "location",
    [SC_TLS_VERSION] = "tls_version",
    [SC_CERT_VERIFY_CODE] = "cert_verify_code",
    [SC_CERT_VERIFY_TEXT] = "cert_verify_text",
    [SC_CERT_NOT_BEFORE] = "cert_not_before",
    [SC_CERT_NOT_AFTER] = "cert_not_after",
    [SC_CERT_ISSUER] = "cert_issuer",
    [SC_CERT_NAME_MATCHES] = "cert_name_matches",
    [SC_CERT_CHAIN_LEN] = "cert_chain_len",
    [SC_CERT_BLOB] = "cert_blob",
    [SC_TIME_CONNECT_MS] = "time_connect_ms",
    [SC_TIME_TLS_MS] = "time_tls_ms",
    [SC_TIME_TOTAL_MS] = "time_total_ms",
    [SC_HTTPS_ERROR] = "https_error",
    [SC_POLICY_BLOB] = "policy_blob",
    [SC_POLICY_SIZE] = "policy_size",
    [SC_POLICY_MODE] = "policy_mode",
    [SC_POLICY_MAX_AGE] = "policy_max_age",
    [SC_MX_PATTERNS] = "mx_patterns",
    [SC_LF_LINE_ENDINGS] = "lf_line_endings",
    [SC_POLICY_ERRORS] = "policy_errors",
    [SC_MX_COVERED] = "mx_covered",
    [SC_TIME_DNS_MS] = "time_dns_ms",
    [SC_POLICY_VALID] = "policy_valid",
    [SC_POLICY_WARNINGS] = "policy_warnings",
    [SC_TXT_ERRORS] = "txt_errors",
    [SC_TLSRPT_ERRORS] = "tlsrpt_errors",
};

/* A row under construction: values in `row`, the bytes they point at in `data`. */
struct row_builder {
    int kind;
    struct store_val vals[SC_COUNT];
    struct store_artifact arts[SA_COUNT];
    struct sbuf data;
    bool failed;
};

static void set_int(struct row_builder *b, int c, int64_t v)
{
    b->vals[c] = (struct store_val){.type = SV_INT, .i = v};
}

static void set_bool(struct row_builder *b, int c, bool v)
{
    set_int(b, c, v ? 1 : 0);
}

/* Stores len bytes as text. NUL bytes (hostile servers send them) become U+FFFD so that
 * every reader of a TEXT column sees the whole value. */
static void set_text_len(struct row_builder *b, int c, const char *s, size_t len)
{
    if (!s)
        return;
    if (b->data.len > UINT32_MAX / 2 || len > UINT32_MAX / 4) {
        b->failed = true;
        return;
    }
    size_t off = b->data.len;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (!nul) {
            sbuf_append(&b->data, p, (size_t)(end - p));
            break;
        }
        sbuf_append(&b->data, p, (size_t)(nul - p));
        sbuf_append(&b->data, "\xEF\xBF\xBD", 3);
        p = nul + 1;
    }
    size_t n = b->data.len - off;
    sbuf_putc(&b->data, '\0');
    b->vals[c] = (struct store_val){.type = SV_TEXT, .off = (uint32_t)off, .len = (uint32_t)n};
}

static void set_text(struct row_builder *b, int c, const char *s)
{
    if (s)
        set_text_len(b, c, s, strlen(s));
}

/* Stores a built text (JSON, lists) and empties the scratch buffer. */
static void set_sbuf(struct row_builder *b, int c, struct sbuf *s)
{
    if (s->oom)
        b->failed = true;
    else
        set_text_len(b, c, sbuf_str(s), s->len);
    sbuf_reset(s);
}

static void set_outcome(struct row_builder *b, int c, enum sts_dns_outcome o)
{
    set_text(b, c, sts_dns_outcome_name(o));
}

/* Hashes and compresses one artifact and points column c at it. */
static void set_artifact(struct row_builder *b, int c, enum store_art kind, const char *raw,
                         size_t len)
{
    struct store_artifact *a = &b->arts[kind];
    void *packed = NULL;
    size_t packed_len = 0;
    if (len > UINT32_MAX / 4 || store_blob_encode(raw, len, kind, a->sha256, a->codec,
                                                  sizeof a->codec, &packed, &packed_len) < 0) {
        b->failed = true;
        return;
    }
    a->present = true;
    a->raw_size = (uint32_t)len;
    a->off = (uint32_t)b->data.len;
    a->len = (uint32_t)packed_len;
    sbuf_append(&b->data, packed, packed_len);
    free(packed);
    b->vals[c] = (struct store_val){.type = SV_ART, .i = kind};
}

static int txt_cmp(const void *a, const void *b)
{
    const struct sts_txt_record *x = *(const struct sts_txt_record *const *)a;
    const struct sts_txt_record *y = *(const struct sts_txt_record *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* TXT records of one answer, sorted bytewise and joined by newlines: the artifact of a TXT
 * lookup. An RRset has no order (servers rotate it), so sorting gives the same content the
 * same hash whatever order the answer came in. */
static void set_txt_artifact(struct row_builder *b, int c, enum store_art kind,
                             const struct sts_txt_record *recs, size_t n, struct sbuf *tmp)
{
    if (!recs || n == 0)
        return;
    const struct sts_txt_record **sorted = calloc(n, sizeof *sorted);
    if (!sorted) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = &recs[i];
    qsort(sorted, n, sizeof *sorted, txt_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(tmp, '\n');
        sbuf_append(tmp, sorted[i]->data, sorted[i]->len);
    }
    free(sorted);
    if (tmp->oom)
        b->failed = true;
    else
        set_artifact(b, c, kind, tmp->data ? tmp->data : "", tmp->len);
    sbuf_reset(tmp);
}

/* [{"code","line","message"}] of a diagnostics list; nothing when it is empty. */
static void set_diags(struct row_builder *b, int c, const struct sts_diags *d, struct sbuf *tmp)
{
    if (d->n == 0 && d->dropped == 0)
        return;
    sts_diags_json(tmp, &d, 1, STS_DIAGS_JSON_MORE_FINDINGS);
    set_sbuf(b, c, tmp);
}

static void json_string_array(struct sbuf *out, const char *const *items, size_t n)
{
    sbuf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, items[i] ? items[i] : "");
    }
    sbuf_putc(out, ']');
}

static int mx_cmp(const void *a, const void *b)
{
    const struct sts_mx_host *x = *(const struct sts_mx_host *const *)a;
    const struct sts_mx_host *y = *(const struct sts_mx_host *const *)b;
    if (x->preference != y->preference)
        return x->preference < y->preference ? -1 : 1;
    return strcmp(x->host ? x->host : "", y->host ? y->host : "");
}

/* MX hosts as a JSON array, by preference then name (the answer order is random). */
static void set_mx_hosts(struct row_builder *b, const struct sts_observation *obs, struct sbuf *tmp)
{
    if (obs->mx_outcome != STS_DNS_OK || !obs->mx)
        return;
    const struct sts_mx_host **sorted = calloc(obs->n_mx ? obs->n_mx : 1, sizeof *sorted);
    if (!sorted) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < obs->n_mx; i++)
        sorted[i] = &obs->mx[i];
    qsort(sorted, obs->n_mx, sizeof *sorted, mx_cmp);
    sbuf_putc(tmp, '[');
    for (size_t i = 0; i < obs->n_mx; i++) {
        if (i)
            sbuf_putc(tmp, ',');
        esc_json_str(tmp, sorted[i]->host ? sorted[i]->host : "");
    }
    sbuf_putc(tmp, ']');
    free(sorted);
    set_sbuf(b, SC_MX_HOSTS, tmp);
}

static void build_verdict(struct row_builder *b, const struct sts_verdict *v)
{
    char warnings[512];
    set_text(b, SC_STATUS, sts_status_name(v->status));
    if (v->status == STS_STATUS_INVALID)
        set_text(b, SC_CATEGORY, sts_category_name(v->category));
    sts_warnings_format(v->warnings, warnings, sizeof warnings);
    set_text(b, SC_WARNINGS, warnings);
    set_bool(b, SC_VALID_STRICT, v->valid_strict);
    set_bool(b, SC_VALID_LENIENT, v->valid_lenient);
    set_bool(b, SC_WOULD_FAIL_DELIVERY, v->would_fail_delivery);
    if (v->readiness != STS_READY_NA)
        set_text(b, SC_READINESS, sts_readiness_name(v->readiness));
    if (v->detail[0])
        set_text_len(b, SC_DETAIL, v->detail, strnlen(v->detail, sizeof v->detail));
    if (v->mx_covered >= 0)
        set_bool(b, SC_MX_COVERED, v->mx_covered);
}

static void build_dns(struct row_builder *b, const struct sts_result *r, struct sbuf *tmp)
{
    const struct sts_observation *obs = r->obs;
    const struct sts_verdict *v = r->verdict;
    set_outcome(b, SC_TXT_OUTCOME, obs->txt_outcome);
    if (obs->txt_outcome != STS_DNS_NOT_ASKED) {
        set_int(b, SC_TXT_RECORDS, (int64_t)obs->n_txt);
        set_int(b, SC_TXT_VERSION_RECORDS, (int64_t)v->txt.n_version_records);
    }
    if (v->txt.status == STS_RECORD_VALID && v->txt.id[0])
        set_text_len(b, SC_TXT_ID, v->txt.id, strnlen(v->txt.id, sizeof v->txt.id));
    set_txt_artifact(b, SC_TXT_BLOB, SA_TXT, obs->txt, obs->n_txt, tmp);
    set_diags(b, SC_TXT_ERRORS, &v->txt.errors, tmp);

    set_outcome(b, SC_MX_OUTCOME, obs->mx_outcome);
    set_mx_hosts(b, obs, tmp);
    if (obs->mx_outcome != STS_DNS_NOT_ASKED)
        set_bool(b, SC_NULL_MX, v->null_mx);

    set_outcome(b, SC_TLSRPT_OUTCOME, obs->tlsrpt_outcome);
    if (obs->tlsrpt_outcome != STS_DNS_NOT_ASKED)
        set_text(b, SC_TLSRPT_STATUS, sts_tlsrpt_state_name(v->tlsrpt_state));
    if (v->tlsrpt.status == STS_RECORD_VALID) {
        const char *rua[STS_RUA_MAX];
        size_t n = v->tlsrpt.n_rua < STS_RUA_MAX ? v->tlsrpt.n_rua : STS_RUA_MAX;
        for (size_t i = 0; i < n; i++)
            rua[i] = v->tlsrpt.rua[i];
        json_string_array(tmp, rua, n);
        set_sbuf(b, SC_RUA, tmp);
    }
    set_txt_artifact(b, SC_TLSRPT_BLOB, SA_TLSRPT, obs->tlsrpt, obs->n_tlsrpt, tmp);
    set_diags(b, SC_TLSRPT_ERRORS, &v->tlsrpt.errors, tmp);

    set_outcome(b, SC_HOST_A_OUTCOME, obs->a_outcome);
    set_outcome(b, SC_HOST_AAAA_OUTCOME, obs->aaaa_outcome);
    if (r->addrs && r->n_addrs) {
        json_string_array(tmp, r->addrs, r->n_addrs);
        set_sbuf(b, SC_HOST_ADDRS, tmp);
    }
    if (obs->a_outcome != STS_DNS_NOT_ASKED || obs->aaaa_outcome != STS_DNS_NOT_ASKED)
        set_int(b, SC_HOST_ADDRS_REFUSED, (int64_t)obs->n_addrs_refused);
    set_text(b, SC_HOST_CNAME, r->host_cname);
}

static void build_https(struct row_builder *b, const struct sts_result *r)
{
    const struct sts_observation *obs = r->obs;
    set_text(b, SC_HTTPS_OUTCOME, sts_https_outcome_name(obs->https));
    set_text(b, SC_HTTPS_ADDR, r->https_addr);
    if (obs->http_status > 0)
        set_int(b, SC_HTTP_STATUS, obs->http_status);
    set_text(b, SC_CONTENT_TYPE, obs->content_type);
    set_text(b, SC_LOCATION, r->location);
    set_text(b, SC_TLS_VERSION, r->tls_version);
    if (obs->cert.present) {
        const struct sts_cert_facts *c = &obs->cert;
        set_int(b, SC_CERT_VERIFY_CODE, c->verify_code);
        if (c->not_before)
            set_int(b, SC_CERT_NOT_BEFORE, c->not_before);
        if (c->not_after)
            set_int(b, SC_CERT_NOT_AFTER, c->not_after);
        if (c->issuer[0])
            set_text_len(b, SC_CERT_ISSUER, c->issuer, strnlen(c->issuer, sizeof c->issuer));
        set_bool(b, SC_CERT_NAME_MATCHES, c->name_matches);
        set_int(b, SC_CERT_CHAIN_LEN, c->chain_len);
    }
    set_text(b, SC_CERT_VERIFY_TEXT, r->cert_verify_text);
    if (r->cert_pem && *r->cert_pem)
        set_artifact(b, SC_CERT_BLOB, SA_CERT, r->cert_pem, strlen(r->cert_pem));
    if (r->time_connect_ms >= 0)
        set_int(b, SC_TIME_CONNECT_MS, r->time_connect_ms);
    if (r->time_tls_ms >= 0)
        set_int(b, SC_TIME_TLS_MS, r->time_tls_ms);
    if (r->time_total_ms >= 0)
        set_int(b, SC_TIME_TOTAL_MS, r->time_total_ms);
    if (r->time_dns_ms >= 0)
        set_int(b, SC_TIME_DNS_MS, r->time_dns_ms);
    set_text(b, SC_HTTPS_ERROR, r->https_error);
}

/* Body facts (size, line endings, errors, lint, policy_valid) are stored whenever a body was
 * parsed. The policy's content (mode, max_age, mx patterns) only when the policy is in force
 * for a sender: it parsed valid and no fetch-stage failure applies (the contract of the
 * world's ground truth and of the reports' funnel), so counting modes never counts a policy
 * served as text/html or one that does not parse. The body itself stays in policy_blob. */
static void build_policy(struct row_builder *b, const struct sts_result *r, struct sbuf *tmp)
{
    const struct sts_observation *obs = r->obs;
    const struct sts_verdict *v = r->verdict;
    if (obs->body) {
        set_artifact(b, SC_POLICY_BLOB, SA_POLICY, obs->body, obs->body_len);
        set_int(b, SC_POLICY_SIZE, (int64_t)obs->body_len);
    }
    if (!v->policy_parsed)
        return;
    const struct sts_policy *p = &v->policy;
    set_bool(b, SC_POLICY_VALID, p->valid);
    if (p->valid && !sts_category_is_fetch_stage(v->category)) {
        set_text(b, SC_POLICY_MODE, sts_mode_name(p->mode));
        if (p->has_max_age)
            set_int(b, SC_POLICY_MAX_AGE, p->max_age);
        size_t n = p->n_mx < STS_POLICY_MX_MAX ? p->n_mx : STS_POLICY_MX_MAX;
        json_string_array(tmp, (const char *const *)p->mx, n);
        set_sbuf(b, SC_MX_PATTERNS, tmp);
    }
    set_bool(b, SC_LF_LINE_ENDINGS, p->lf_line_endings);
    set_diags(b, SC_POLICY_ERRORS, &p->errors, tmp);
    set_diags(b, SC_POLICY_WARNINGS, &p->warnings, tmp);
}

/* Packs the builder into one allocation. */
static struct store_row *row_finish(struct row_builder *b)
{
    if (b->failed || b->data.oom || b->data.len > UINT32_MAX / 2)
        return NULL;
    size_t size = sizeof(struct store_row) + b->data.len;
    struct store_row *row = malloc(size);
    if (!row)
        return NULL;
    memset(row, 0, sizeof *row);
    row->kind = b->kind;
    memcpy(row->vals, b->vals, sizeof row->vals);
    memcpy(row->arts, b->arts, sizeof row->arts);
    row->size = size;
    row->data_len = (uint32_t)b->data.len;
    if (b->data.len)
        memcpy(row->data, b->data.data, b->data.len);
    return row;
}

struct store_row *store_row_build(const struct sts_result *r)
{
    if (!r || !r->domain || !r->obs || !r->verdict)
        return NULL;
    struct row_builder b = {.data = SBUF_INIT};
    struct sbuf tmp = SBUF_INIT;
    b.kind = STORE_ROW_RESULT;
    set_text(&b, SC_DOMAIN, r->domain);
    if (r->rank >= 0)
        set_int(&b, SC_RANK, r->rank);
    set_int(&b, SC_SCANNED_AT, r->scanned_at);
    build_verdict(&b, r->verdict);
    build_dns(&b, r, &tmp);
    build_https(&b, r);
    build_policy(&b, r, &tmp);
    if (tmp.oom)
        b.failed = true;
    struct store_row *row = row_finish(&b);
    sbuf_free(&tmp);
    sbuf_free(&b.data);
    return row;
}

/* An input error travels in the same batch as results, in the first four values. */
struct store_row *store_row_input_error(const char *file, long line, const char *text,
                                        const char *reason)
{
    struct row_builder b = {.data = SBUF_INIT};
    b.kind = STORE_ROW_INPUT_ERROR;
    size_t tlen = text ? strnlen(text, STORE_INPUT_TEXT_MAX) : 0;
    set_text(&b, IE_FILE, file ? file : "-");
    set_int(&b, IE_LINE, line);
    set_text_len(&b, IE_TEXT, text ? text : "", tlen);
    set_text(&b, IE_REASON, reason ? reason : "not a domain");
    struct store_row *row = row_finish(&b);
    sbuf_free(&b.data);
    return row;
}

void store_row_free(struct store_row *row)
{
    free(row);
}

const char *store_row_text(const struct store_row *row, int col, size_t *len)
{
    const struct store_val *v = &row->vals[col];
    if (v->type != SV_TEXT)
        return NULL;
    if (len)
        *len = v->len;
    return row->data + v->off;
}
