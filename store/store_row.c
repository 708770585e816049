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
    [SC_SMTP_CHECKED] = "smtp_checked",
    [SC_MX_VERIFIED] = "mx_verified",
    [SC_MX_SMTP_OUTCOME] = "mx_smtp_outcome",
    [SC_MX_PROBED] = "mx_probed",
    [SC_MX_FAILING] = "mx_failing",
    [SC_DANE_SUMMARY] = "dane_summary",
    [SC_DANE_OUTCOME] = "dane_outcome",
    [SC_READINESS_REASONS] = "readiness_reasons",
    [SC_POLICY_HTTP_SERVER] = "policy_http_server",
};

const char *const store_mx_col_names[SM_COUNT] = {
    [SM_HOST] = "host",
    [SM_SMTP_CHECKED] = "smtp_checked",
    [SM_SMTP_OUTCOME] = "smtp_outcome",
    [SM_RFC8460_RESULT] = "rfc8460_result",
    [SM_DANE_CHECKED] = "dane_checked",
    [SM_DANE_OUTCOME] = "dane_outcome",
    [SM_TLSA_AD] = "tlsa_ad",
    [SM_TLSA_RCODE] = "tlsa_rcode",
    [SM_TLSA_RECORDS] = "tlsa_records",
    [SM_TLSA_USABLE] = "tlsa_usable",
    [SM_ADDRS_PROBED] = "addrs_probed",
    [SM_ADDRS_DROPPED] = "addrs_dropped",
    [SM_STARTTLS_OFFERED] = "starttls_offered",
    [SM_TLS_VERSION] = "tls_version",
    [SM_CERT_VERIFY_CODE] = "cert_verify_code",
    [SM_CERT_NAME_MATCHES] = "cert_name_matches",
    [SM_CERT_NOT_AFTER] = "cert_not_after",
    [SM_CERT_ISSUER] = "cert_issuer",
    [SM_ADDRS] = "addrs",
};

/* A row under construction: values in `row`, the bytes they point at in `data`. */
struct row_builder {
    int kind;
    struct store_val *vals; /* where set_* write: main, or one MX host's values */
    struct store_val main[SC_COUNT];
    struct sbuf mx; /* the MX host rows: n_mx arrays of SM_COUNT values */
    uint32_t n_mx;
    struct store_artifact arts[SA_COUNT];
    struct sbuf data;
    uint32_t mx_off;
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
    set_text(b, SC_POLICY_HTTP_SERVER, r->policy_http_server);
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
        json_string_array(tmp, (const char *const *)p->mx, p->n_mx);
        set_sbuf(b, SC_MX_PATTERNS, tmp);
    }
    set_bool(b, SC_LF_LINE_ENDINGS, p->lf_line_endings);
    set_diags(b, SC_POLICY_ERRORS, &p->errors, tmp);
    set_diags(b, SC_POLICY_WARNINGS, &p->warnings, tmp);
}

/* One MX probe's address facts as the JSON of mx_probes.addrs. */
static void addrs_json(struct sbuf *out, const struct sts_mx_probe *p)
{
    sbuf_putc(out, '[');
    for (size_t i = 0; i < p->n_addrs && i < STS_MX_PROBE_MAX_ADDRS; i++) {
        const struct sts_smtp_addr_probe *a = &p->addrs[i];
        const char *dane = sts_dane_outcome_name(a->dane);
        sbuf_puts(out, i ? ",{\"addr\":" : "{\"addr\":");
        esc_json(out, a->addr, strnlen(a->addr, sizeof a->addr));
        sbuf_puts(out, ",\"outcome\":");
        esc_json_str(out, sts_smtp_outcome_name(a->outcome) ? sts_smtp_outcome_name(a->outcome)
                                                            : "unknown");
        sbuf_printf(out, ",\"reply_code\":%d,\"starttls\":%s,\"tls_version\":", a->reply_code,
                    a->starttls_offered ? "true" : "false");
        esc_json(out, a->tls_version, strnlen(a->tls_version, sizeof a->tls_version));
        sbuf_puts(out, ",\"cipher\":");
        esc_json(out, a->cipher, strnlen(a->cipher, sizeof a->cipher));
        if (a->cert.present) {
            sbuf_printf(
                out, ",\"verify_code\":%d,\"not_before\":%lld,\"not_after\":%lld,\"issuer\":",
                a->cert.verify_code, (long long)a->cert.not_before, (long long)a->cert.not_after);
            esc_json(out, a->cert.issuer, strnlen(a->cert.issuer, sizeof a->cert.issuer));
            sbuf_printf(out, ",\"name_matches\":%s,\"chain_len\":%d,\"self_signed\":%s",
                        a->cert.name_matches ? "true" : "false", a->cert.chain_len,
                        a->cert.self_signed ? "true" : "false");
        } else {
            sbuf_puts(out, ",\"verify_code\":null,\"not_before\":null,\"not_after\":null,"
                           "\"issuer\":null,\"name_matches\":null,\"chain_len\":null,"
                           "\"self_signed\":null");
        }
        sbuf_puts(out, ",\"dane\":");
        if (dane)
            esc_json_str(out, dane);
        else
            sbuf_puts(out, "null");
        if (a->time_ms >= 0)
            sbuf_printf(out, ",\"time_ms\":%d,\"detail\":", a->time_ms);
        else
            sbuf_puts(out, ",\"time_ms\":null,\"detail\":");
        esc_json(out, a->detail, strnlen(a->detail, sizeof a->detail));
        sbuf_putc(out, '}');
    }
    sbuf_putc(out, ']');
}

/* The address that decided the host's outcome: the first whose outcome is the roll-up. */
static const struct sts_smtp_addr_probe *deciding_addr(const struct sts_mx_probe *p,
                                                       enum sts_smtp_outcome o)
{
    for (size_t i = 0; i < p->n_addrs && i < STS_MX_PROBE_MAX_ADDRS; i++)
        if (p->addrs[i].outcome == o)
            return &p->addrs[i];
    return p->n_addrs ? &p->addrs[0] : NULL;
}

/* Appends one mx_probes row for probe p to the builder's MX rows. */
static void build_mx_row(struct row_builder *b, const struct sts_mx_probe *p, struct sbuf *tmp)
{
    struct store_val vals[SM_COUNT];
    memset(vals, 0, sizeof vals);
    b->vals = vals;
    enum sts_smtp_outcome o = sts_smtp_host_outcome(p);
    set_text(b, SM_HOST, p->host);
    set_bool(b, SM_SMTP_CHECKED, p->smtp_checked);
    set_text(b, SM_SMTP_OUTCOME, sts_smtp_outcome_name(o) ? sts_smtp_outcome_name(o) : "unknown");
    set_text(b, SM_RFC8460_RESULT, sts_smtp_outcome_rfc8460_result(o));
    set_bool(b, SM_DANE_CHECKED, p->dane_checked);
    if (p->dane_checked) {
        set_text(b, SM_DANE_OUTCOME, sts_dane_outcome_name(sts_dane_host_outcome(p)));
        set_bool(b, SM_TLSA_AD, p->tlsa_ad);
        set_int(b, SM_TLSA_RCODE, p->tlsa_rcode);
        set_int(b, SM_TLSA_RECORDS, (int64_t)p->n_tlsa);
        set_int(b, SM_TLSA_USABLE, (int64_t)p->n_tlsa_usable);
    }
    set_int(b, SM_ADDRS_PROBED, (int64_t)p->n_addrs);
    set_int(b, SM_ADDRS_DROPPED, (int64_t)p->n_addrs_dropped);
    const struct sts_smtp_addr_probe *a = deciding_addr(p, o);
    if (a && a->reply_code >= 200 && a->reply_code < 400)
        set_bool(b, SM_STARTTLS_OFFERED, a->starttls_offered);
    if (a && a->tls_version[0])
        set_text_len(b, SM_TLS_VERSION, a->tls_version,
                     strnlen(a->tls_version, sizeof a->tls_version));
    if (a && a->cert.present) {
        set_int(b, SM_CERT_VERIFY_CODE, a->cert.verify_code);
        set_bool(b, SM_CERT_NAME_MATCHES, a->cert.name_matches);
        if (a->cert.not_after)
            set_int(b, SM_CERT_NOT_AFTER, a->cert.not_after);
        if (a->cert.issuer[0])
            set_text_len(b, SM_CERT_ISSUER, a->cert.issuer,
                         strnlen(a->cert.issuer, sizeof a->cert.issuer));
    }
    addrs_json(tmp, p);
    set_sbuf(b, SM_ADDRS, tmp);
    b->vals = b->main;
    sbuf_append(&b->mx, vals, sizeof vals);
    b->n_mx++;
}

/* The per-domain delivery summary, and one mx_probes row per distinct probed MX host. */
static void build_delivery(struct row_builder *b, const struct sts_result *r, struct sbuf *tmp)
{
    const struct sts_observation *obs = r->obs;
    const struct sts_verdict *v = r->verdict;
    if (v->readiness == STS_READY_NOT_READY) {
        char w[512] = "";
        size_t n = 0;
        if (v->status == STS_STATUS_INVALID)
            n = (size_t)snprintf(w, sizeof w, "%s", sts_category_name(v->category));
        if (v->readiness_warnings && n + 1 < sizeof w) {
            if (n)
                w[n++] = ',';
            sts_warnings_format(v->readiness_warnings, w + n, sizeof w - n);
        }
        set_text(b, SC_READINESS_REASONS, w);
    }
    if (!obs->smtp_checked && !obs->dane_checked)
        return;
    set_bool(b, SC_SMTP_CHECKED, v->smtp_checked);
    set_bool(b, SC_MX_VERIFIED, v->mx_verified);
    if (v->smtp_checked && v->mx_outcome != STS_SMTP_NOT_PROBED)
        set_text(b, SC_MX_SMTP_OUTCOME, sts_smtp_outcome_name(v->mx_outcome));
    set_int(b, SC_MX_PROBED, (int64_t)v->n_mx_probed);
    set_int(b, SC_MX_FAILING, (int64_t)v->n_mx_failing);
    if (v->dane_checked) {
        set_text(b, SC_DANE_SUMMARY, sts_dane_summary_name(v->dane_summary));
        set_text(b, SC_DANE_OUTCOME, sts_dane_outcome_name(v->dane_outcome));
    }
    for (size_t i = 0; i < obs->n_mx_probes && obs->mx_probes; i++) {
        const struct sts_mx_probe *p = obs->mx_probes[i];
        if (!p || !p->host || !p->host[0] || (!p->smtp_checked && !p->dane_checked))
            continue;
        bool repeat = false;
        for (size_t j = 0; j < i && !repeat; j++)
            repeat = obs->mx_probes[j] && obs->mx_probes[j]->host &&
                     strcmp(obs->mx_probes[j]->host, p->host) == 0;
        if (!repeat)
            build_mx_row(b, p, tmp);
    }
    if (b->n_mx) {
        /* 8-byte alignment is not needed (values are read with memcpy) but keeps it tidy */
        while (b->data.len % 8)
            sbuf_putc(&b->data, '\0');
        b->mx_off = (uint32_t)b->data.len;
        sbuf_append(&b->data, b->mx.data, b->mx.len);
        if (b->mx.oom)
            b->failed = true;
    }
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
    memcpy(row->vals, b->main, sizeof row->vals);
    memcpy(row->arts, b->arts, sizeof row->arts);
    row->size = size;
    row->n_mx = b->n_mx;
    row->mx_off = b->mx_off;
    row->data_len = (uint32_t)b->data.len;
    if (b->data.len)
        memcpy(row->data, b->data.data, b->data.len);
    return row;
}

struct store_row *store_row_build(const struct sts_result *r)
{
    if (!r || !r->domain || !r->obs || !r->verdict)
        return NULL;
    struct row_builder b = {.data = SBUF_INIT, .mx = SBUF_INIT};
    struct sbuf tmp = SBUF_INIT;
    b.vals = b.main;
    b.kind = STORE_ROW_RESULT;
    set_text(&b, SC_DOMAIN, r->domain);
    if (r->rank >= 0)
        set_int(&b, SC_RANK, r->rank);
    set_int(&b, SC_SCANNED_AT, r->scanned_at);
    build_verdict(&b, r->verdict);
    build_dns(&b, r, &tmp);
    build_https(&b, r);
    build_policy(&b, r, &tmp);
    build_delivery(&b, r, &tmp);
    if (tmp.oom)
        b.failed = true;
    struct store_row *row = row_finish(&b);
    sbuf_free(&tmp);
    sbuf_free(&b.mx);
    sbuf_free(&b.data);
    return row;
}

/* An input error travels in the same batch as results, in the first four values. */
struct store_row *store_row_input_error(const char *file, long line, const char *text,
                                        const char *reason)
{
    struct row_builder b = {.data = SBUF_INIT};
    b.vals = b.main;
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

struct store_val store_row_mx_val(const struct store_row *row, uint32_t i, int col)
{
    struct store_val v;
    memcpy(&v,
           row->data + row->mx_off +
               ((size_t)i * SM_COUNT + (size_t)col) * sizeof(struct store_val),
           sizeof v);
    return v;
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
