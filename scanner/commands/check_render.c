/* Rendering one `mtasts check` verdict: layer by layer, human text or JSON, and the exit status. */
#include "scanner/commands/check_render.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/escape.h"
#include "scanner/commands/mx_probe_json.h"

#define WARN_BIT(w) (1u << (w))

static const char *const layer_keys[CHECK_LAYER_COUNT] = {"dns", "fetch",  "parse",
                                                          "mx",  "tlsrpt", "readiness"};
static const char *const layer_titles[CHECK_LAYER_COUNT] = {
    "DNS record", "Policy fetch", "Policy parse", "MX coverage", "TLS-RPT", "Readiness"};
static const char *const state_names[] = {"pass", "warn", "fail", "skip"};

const char *check_layer_key(enum check_layer_id id)
{
    return (unsigned)id < CHECK_LAYER_COUNT ? layer_keys[id] : "unknown";
}

const char *check_layer_title(enum check_layer_id id)
{
    return (unsigned)id < CHECK_LAYER_COUNT ? layer_titles[id] : "unknown";
}

const char *check_state_name(enum check_state s)
{
    return (unsigned)s <= CHECK_SKIP ? state_names[s] : "unknown";
}

/* ---- Bounded text building ------------------------------------------------------------ */

/* Appends to a CHECK_TEXT_MAX field; truncates, never overruns. */
static void add(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char *buf, const char *fmt, ...)
{
    size_t off = strnlen(buf, CHECK_TEXT_MAX - 1);
    if (off + 1 >= CHECK_TEXT_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + off, CHECK_TEXT_MAX - off, fmt, ap);
    va_end(ap);
}

/* Appends at most max bytes of remote data through esc_text (lib/escape.c, the one terminal
 * escaper: C0 and C1 controls, DEL and invalid UTF-8 become '?'); a NUL shows as '?' too.
 * Truncates at a character boundary when the field is full. */
static void add_remote(char *buf, const char *s, size_t len, size_t max)
{
    size_t off = strnlen(buf, CHECK_TEXT_MAX - 1);
    if (!s)
        return;
    struct sbuf raw = SBUF_INIT, esc = SBUF_INIT;
    for (size_t i = 0; i < len && i < max; i++)
        sbuf_putc(&raw, s[i] ? s[i] : '\x01'); /* esc_text stops at a NUL: make it a control */
    esc_text(&esc, sbuf_str(&raw));
    size_t n = esc.len, room = CHECK_TEXT_MAX - 1 - off;
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)esc.data[n] & 0xC0) == 0x80)
            n--; /* do not split a UTF-8 sequence */
    }
    if (n)
        memcpy(buf + off, esc.data, n);
    off += n;
    if (len > max && off + 4 < CHECK_TEXT_MAX) {
        memcpy(buf + off, "...", 3);
        off += 3;
    }
    buf[off] = '\0';
    sbuf_free(&raw);
    sbuf_free(&esc);
}

static void add_remote_str(char *buf, const char *s)
{
    if (s)
        add_remote(buf, s, strlen(s), 200);
}

/* Appends a fix text with every "<domain>" replaced by the domain. */
static void add_fix(char *buf, const char *tmpl, const char *domain)
{
    if (!tmpl)
        return;
    if (buf[0])
        add(buf, " ");
    for (const char *p = tmpl; *p;) {
        const char *mark = strstr(p, "<domain>");
        if (!mark) {
            add(buf, "%s", p);
            return;
        }
        add(buf, "%.*s%s", (int)(mark - p), p, domain);
        p = mark + 8;
    }
}

static void add_date(char *buf, int64_t t)
{
    char d[32];
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(d, sizeof d, "%Y-%m-%d %H:%M UTC", &tm)) {
        add(buf, "unknown");
        return;
    }
    add(buf, "%s", d);
}

/* A suggested policy id: the scan time as YYYYMMDDhhmmss (what `mtasts generate` uses). */
static void suggest_id(char *out, size_t len, int64_t now)
{
    time_t tt = (time_t)now;
    struct tm tm;
    if (now <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, len, "%Y%m%d%H%M%S", &tm))
        snprintf(out, len, "20240101000000");
}

static bool is_parse_category(enum sts_category c)
{
    return c >= STS_CAT_POLICY_SYNTAX && c <= STS_CAT_POLICY_NO_MX;
}

static bool dns_failed(enum sts_dns_outcome o)
{
    return o == STS_DNS_SERVFAIL || o == STS_DNS_REFUSED || o == STS_DNS_TIMEOUT ||
           o == STS_DNS_ERROR;
}

static bool has_record(const struct sts_verdict *v)
{
    return v->txt.n_version_records > 0;
}

static const char *domain_of(const struct sts_result *r)
{
    if (r->domain)
        return r->domain;
    return r->obs && r->obs->domain ? r->obs->domain : "";
}

static void add_diags(char *buf, const struct sts_diags *d, size_t max)
{
    for (size_t i = 0; i < d->n && i < max; i++) {
        add(buf, "\n");
        if (d->items[i].line)
            add(buf, "line %u: ", d->items[i].line);
        add_remote_str(buf, d->items[i].message);
    }
    if (d->n > max)
        add(buf, "\n(%zu more)", d->n - max + d->dropped);
}

/* ---- The layers ------------------------------------------------------------------------ */

static void layer_dns(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = domain_of(r);
    char id[32];
    suggest_id(id, sizeof id, o->now);
    if (v->status == STS_STATUS_DOMAIN_NXDOMAIN) {
        l->state = CHECK_FAIL;
        add(l->observed, "%s does not exist (NXDOMAIN for its MX and _mta-sts TXT lookups)", d);
        add(l->fix, "Check the spelling of the domain; a name that does not exist receives no "
                    "mail.");
        return;
    }
    if (dns_failed(o->txt_outcome) || o->txt_outcome == STS_DNS_NOT_ASKED) {
        l->state = CHECK_FAIL;
        add(l->observed, "TXT lookup of _mta-sts.%s: %s", d, sts_dns_outcome_name(o->txt_outcome));
        add(l->fix,
            "Make the name servers of %s answer for _mta-sts.%s (the lookup ended in %s), then "
            "check again.",
            d, d, sts_dns_outcome_name(o->txt_outcome));
        return;
    }
    size_t n = o->txt_outcome == STS_DNS_OK ? o->n_txt : 0;
    if (!has_record(v)) {
        l->state = CHECK_FAIL;
        add(l->observed, "no TXT record at _mta-sts.%s begins with v=STSv1 (%s", d,
            sts_dns_outcome_name(o->txt_outcome));
        add(l->observed, n ? ", %zu other record%s)" : ")", n, n == 1 ? "" : "s");
        add(l->fix,
            "Publish the TXT record _mta-sts.%s \"v=STSv1; id=%s;\" and serve the policy at "
            "https://mta-sts.%s/.well-known/mta-sts.txt (`mtasts generate` writes both).",
            d, id, d);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!o->txt[i].data || !sts_txt_is_version_record(o->txt[i].data, o->txt[i].len))
                continue;
            if (l->observed[0])
                add(l->observed, "\n");
            add(l->observed, "\"");
            add_remote(l->observed, o->txt[i].data, o->txt[i].len, 200);
            add(l->observed, "\"");
        }
        if (v->txt.category != STS_CAT_NONE) {
            l->state = CHECK_FAIL;
            add_diags(l->observed, &v->txt.errors, 3);
            add_fix(l->fix, sts_category_fix(v->txt.category), d);
            if (v->txt.category == STS_CAT_TXT_SYNTAX)
                add(l->fix, " For example: \"v=STSv1; id=%s;\".", id);
        } else if (!v->txt.strict_ok) {
            l->state = CHECK_WARN;
            add(l->observed, "\nid %s; accepted, but not to the letter of RFC 8461:", v->txt.id);
            add_diags(l->observed, &v->txt.warnings, 3);
            add(l->fix, "Rewrite the record as \"v=STSv1; id=%s;\" exactly.", v->txt.id);
        } else {
            l->state = CHECK_PASS;
            add(l->observed, "\nid %s", v->txt.id);
        }
    }
    if (v->warnings & WARN_BIT(STS_WARN_TXT_AT_APEX)) {
        if (l->state == CHECK_PASS)
            l->state = CHECK_WARN;
        add(l->observed, "\na v=STSv1 record is also published at %s itself", d);
        add_fix(l->fix, sts_warning_fix(STS_WARN_TXT_AT_APEX), d);
    }
}

static void add_fetch_facts(const struct sts_result *r, char *buf)
{
    const struct sts_observation *o = r->obs;
    if (r->n_addrs) {
        add(buf, "\nmta-sts.%s: ", domain_of(r));
        for (size_t i = 0; i < r->n_addrs && i < 8; i++) {
            add(buf, "%s", i ? ", " : "");
            add_remote_str(buf, r->addrs[i]);
        }
        if (o->n_addrs_refused)
            add(buf, " (%zu refused by the address policy)", o->n_addrs_refused);
    }
    if (r->host_cname) {
        add(buf, "\nCNAME ");
        add_remote_str(buf, r->host_cname);
    }
    if (o->https == STS_HTTPS_NOT_ATTEMPTED)
        return;
    if (r->https_addr) {
        add(buf, "\nconnected to ");
        add_remote_str(buf, r->https_addr);
        if (r->tls_version)
            add(buf, ", %s", r->tls_version);
    }
    if (o->cert.present) {
        add(buf, "\ncertificate: issuer ");
        add_remote_str(buf, o->cert.issuer);
        add(buf, ", valid until ");
        add_date(buf, o->cert.not_after);
        add(buf, ", %s mta-sts.%s", o->cert.name_matches ? "covers" : "does NOT cover",
            domain_of(r));
        if (o->cert.verify_code) {
            add(buf, ", verify error %d", o->cert.verify_code);
            if (r->cert_verify_text) {
                add(buf, " (");
                add_remote_str(buf, r->cert_verify_text);
                add(buf, ")");
            }
        }
    }
    if (o->http_status) {
        add(buf, "\nHTTP %ld", o->http_status);
        add(buf, ", Content-Type ");
        if (o->content_type)
            add_remote_str(buf, o->content_type);
        else
            add(buf, "(none)");
        if (o->body)
            add(buf, ", %zu bytes", o->body_len);
    }
    if (r->location) {
        add(buf, "\nLocation: ");
        add_remote_str(buf, r->location);
    }
    if (r->https_error && r->https_error[0]) {
        add(buf, "\nerror: ");
        add_remote_str(buf, r->https_error);
    }
}

static void layer_fetch(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = domain_of(r);
    bool orphan = v->warnings & WARN_BIT(STS_WARN_POLICY_WITHOUT_TXT);
    bool asked = o->a_outcome != STS_DNS_NOT_ASKED || o->aaaa_outcome != STS_DNS_NOT_ASKED;
    if ((!has_record(v) && !orphan) || (!asked && o->https == STS_HTTPS_NOT_ATTEMPTED)) {
        l->state = CHECK_SKIP;
        add(l->observed, "not fetched: %s",
            has_record(v) ? "no usable TXT record" : "no v=STSv1 TXT record");
        return;
    }
    add(l->observed, "https://mta-sts.%s/.well-known/mta-sts.txt", d);
    add_fetch_facts(r, l->observed);
    if (v->status == STS_STATUS_INVALID && sts_category_is_fetch_stage(v->category)) {
        l->state = CHECK_FAIL;
        add(l->observed, "\n%s: ", sts_category_name(v->category));
        add_remote_str(l->observed, v->detail);
        add_fix(l->fix, sts_category_fix(v->category), d);
        if (v->category == STS_CAT_CERT_NAME_MISMATCH)
            add(l->fix, " Name needed: mta-sts.%s.", d);
        else if (v->category == STS_CAT_CERT_EXPIRED) {
            add(l->fix, " It expired on ");
            add_date(l->fix, o->cert.not_after);
            add(l->fix, ".");
        }
        return;
    }
    if (v->status == STS_STATUS_DNS_ERROR && has_record(v) && !dns_failed(o->txt_outcome)) {
        l->state = CHECK_FAIL;
        add(l->observed, "\naddress lookup of mta-sts.%s: A %s, AAAA %s", d,
            sts_dns_outcome_name(o->a_outcome), sts_dns_outcome_name(o->aaaa_outcome));
        add(l->fix, "Make the name servers of %s answer A/AAAA queries for mta-sts.%s.", d, d);
        return;
    }
    if (v->status == STS_STATUS_INVALID && !is_parse_category(v->category) &&
        v->category != STS_CAT_MX_NOT_COVERED) {
        l->state = CHECK_SKIP; /* the TXT record decided already */
        return;
    }
    l->state = CHECK_PASS;
    if (v->warnings & WARN_BIT(STS_WARN_CERT_EXPIRING_SOON)) {
        l->state = CHECK_WARN;
        add_fix(l->fix, sts_warning_fix(STS_WARN_CERT_EXPIRING_SOON), d);
        add(l->fix, " It expires on ");
        add_date(l->fix, o->cert.not_after);
        add(l->fix, ".");
    }
    if (orphan) {
        l->state = CHECK_WARN;
        add_fix(l->fix, sts_warning_fix(STS_WARN_POLICY_WITHOUT_TXT), d);
    }
}

static void layer_parse(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_verdict *v = r->verdict;
    const struct sts_policy *p = &v->policy;
    const char *d = domain_of(r);
    if (!v->policy_parsed ||
        (sts_category_is_fetch_stage(v->category) && v->category != STS_CAT_NONE)) {
        l->state = CHECK_SKIP;
        add(l->observed, "no policy body to parse");
        return;
    }
    if (is_parse_category(p->category) || is_parse_category(v->category) || !p->valid) {
        l->state = CHECK_FAIL;
        add(l->observed, "%s", sts_category_name(p->category));
        add_diags(l->observed, &p->errors, 4);
        add_fix(l->fix, sts_category_fix(p->category), d);
        return;
    }
    add(l->observed, "mode %s, max_age %lld", sts_mode_name(p->mode) ? sts_mode_name(p->mode) : "?",
        p->max_age);
    if (p->max_age >= 86400)
        add(l->observed, " (%lld day%s)", p->max_age / 86400, p->max_age < 2 * 86400 ? "" : "s");
    add(l->observed, ", mx:");
    for (size_t i = 0; i < p->n_mx; i++) {
        add(l->observed, " ");
        add_remote_str(l->observed, p->mx[i]);
    }
    if (p->n_mx == 0)
        add(l->observed, " (none)");
    l->state = CHECK_PASS;
    static const enum sts_warning parse_warnings[] = {STS_WARN_MODE_NONE, STS_WARN_MAX_AGE_SHORT,
                                                      STS_WARN_LF_LINE_ENDINGS};
    for (size_t i = 0; i < sizeof parse_warnings / sizeof parse_warnings[0]; i++) {
        if (!(v->warnings & WARN_BIT(parse_warnings[i])))
            continue;
        l->state = CHECK_WARN;
        add(l->observed, "\nwarning %s", sts_warning_name(parse_warnings[i]));
        add_fix(l->fix, sts_warning_fix(parse_warnings[i]), d);
    }
    if (!p->strict_ok) {
        l->state = CHECK_WARN;
        add(l->observed, "\naccepted by common senders, but not to the letter of RFC 8461:");
        add_diags(l->observed, &p->warnings, 4);
        if (!l->fix[0])
            add(l->fix, "Rewrite the policy file as `mtasts generate` writes it: lower-case "
                        "\"key: value\" lines, each key once, CRLF line endings.");
    }
}

#define MX_SHOWN 16

/* Indices of the first MX_SHOWN MX hosts ordered by preference (then answer order). */
static size_t mx_order(const struct sts_observation *o, size_t idx[MX_SHOWN])
{
    size_t n = o->n_mx < MX_SHOWN ? o->n_mx : MX_SHOWN;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && o->mx[idx[j - 1]].preference > o->mx[i].preference; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    return n;
}

/* Lists the MX hosts, with the pattern covering each when there is a policy to apply. */
static void add_mx_hosts(const struct sts_result *r, char *buf, bool coverage)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    size_t idx[MX_SHOWN];
    size_t n = mx_order(o, idx);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        add(buf, "\n");
        add_remote_str(buf, o->mx[i].host ? o->mx[i].host : "");
        add(buf, " (preference %u)", o->mx[i].preference);
        if (!coverage)
            continue;
        add(buf, ": ");
        int pat = i < v->n_mx && v->mx_pattern ? v->mx_pattern[i] : -1;
        if (pat >= 0 && (size_t)pat < v->policy.n_mx) {
            add(buf, "covered by ");
            add_remote_str(buf, v->policy.mx[pat]);
        } else {
            add(buf, "NOT covered");
        }
    }
    if (o->n_mx > n)
        add(buf, "\n(%zu more)", o->n_mx - n);
}

static void layer_mx(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = domain_of(r);
    if (o->mx_outcome == STS_DNS_NOT_ASKED) {
        l->state = CHECK_SKIP;
        add(l->observed, "MX not looked up");
        return;
    }
    if (dns_failed(o->mx_outcome)) {
        l->state = CHECK_WARN;
        add(l->observed, "MX lookup of %s: %s; coverage unknown", d,
            sts_dns_outcome_name(o->mx_outcome));
        add(l->fix, "Make the name servers of %s answer MX queries.", d);
        return;
    }
    if (v->null_mx || (v->warnings & WARN_BIT(STS_WARN_NULL_MX))) {
        l->state = CHECK_WARN;
        add(l->observed, "null MX (0 .): %s accepts no mail", d);
        add_fix(l->fix, sts_warning_fix(STS_WARN_NULL_MX), d);
        return;
    }
    if (o->mx_outcome == STS_DNS_NODATA || o->mx_outcome == STS_DNS_NXDOMAIN) {
        l->state = has_record(v) ? CHECK_WARN : CHECK_SKIP;
        add(l->observed, "no MX record (%s)", sts_dns_outcome_name(o->mx_outcome));
        if (has_record(v))
            add_fix(l->fix, sts_warning_fix(STS_WARN_NO_MX), d);
        return;
    }
    add(l->observed, "%zu MX host%s", o->n_mx, o->n_mx == 1 ? "" : "s");
    bool applies = v->policy_parsed && v->policy.valid && v->policy.mode != STS_MODE_NONE;
    add_mx_hosts(r, l->observed, applies);
    if (!v->policy_parsed || !v->policy.valid) {
        l->state = CHECK_SKIP;
        add(l->observed, "\nno valid policy to check them against");
        return;
    }
    if (v->policy.mode == STS_MODE_NONE) {
        l->state = CHECK_SKIP;
        add(l->observed, "\nmode none: senders apply no policy");
        return;
    }
    if (v->mx_covered == 0) {
        l->state = CHECK_FAIL;
        add(l->fix, "Add to the policy file:");
        for (size_t i = 0; i < o->n_mx && i < v->n_mx; i++)
            if (v->mx_pattern[i] < 0 && o->mx[i].host && o->mx[i].host[0] &&
                strcmp(o->mx[i].host, ".") != 0) {
                add(l->fix, " \"mx: ");
                add_remote_str(l->fix, o->mx[i].host);
                add(l->fix, "\"");
            }
        add(l->fix, " (then publish a new id in _mta-sts.%s), or change the MX records.", d);
        if (v->policy.mode == STS_MODE_ENFORCE)
            add(l->fix, " In enforce mode, senders refuse to deliver to an MX the policy does not "
                        "list.");
        return;
    }
    l->state = CHECK_PASS;
    if (v->warnings & WARN_BIT(STS_WARN_MX_PATTERN_UNUSED)) {
        l->state = CHECK_WARN;
        add(l->observed, "\nunused patterns:");
        for (size_t j = 0; j < v->policy.n_mx; j++) {
            bool used = false;
            for (size_t i = 0; i < v->n_mx && !used; i++)
                used = v->mx_pattern[i] == (int)j;
            if (!used) {
                add(l->observed, " ");
                add_remote_str(l->observed, v->policy.mx[j]);
            }
        }
        add_fix(l->fix, sts_warning_fix(STS_WARN_MX_PATTERN_UNUSED), d);
    }
}

static void layer_tlsrpt(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const char *d = domain_of(r);
    if (o->tlsrpt_outcome == STS_DNS_NOT_ASKED) {
        l->state = CHECK_SKIP;
        add(l->observed, "_smtp._tls not looked up");
        return;
    }
    if (dns_failed(o->tlsrpt_outcome)) {
        l->state = CHECK_WARN;
        add(l->observed, "TXT lookup of _smtp._tls.%s: %s", d,
            sts_dns_outcome_name(o->tlsrpt_outcome));
        add(l->fix, "Make the name servers of %s answer for _smtp._tls.%s.", d, d);
        return;
    }
    switch (v->tlsrpt_state) {
    case STS_TLSRPT_VALID:
        l->state = CHECK_PASS;
        add(l->observed, "v=TLSRPTv1, rua:");
        for (size_t i = 0; i < v->tlsrpt.n_rua; i++) {
            add(l->observed, " ");
            add_remote_str(l->observed, v->tlsrpt.rua[i]);
        }
        return;
    case STS_TLSRPT_INVALID:
        l->state = CHECK_WARN;
        add(l->observed, "%zu v=TLSRPTv1 record%s, invalid", v->tlsrpt.n_version_records,
            v->tlsrpt.n_version_records == 1 ? "" : "s");
        add_diags(l->observed, &v->tlsrpt.errors, 3);
        add_fix(l->fix, sts_warning_fix(STS_WARN_TLSRPT_INVALID), d);
        return;
    case STS_TLSRPT_NONE:
        break;
    }
    l->state = CHECK_WARN;
    add(l->observed, "no v=TLSRPTv1 record at _smtp._tls.%s (%s)", d,
        sts_dns_outcome_name(o->tlsrpt_outcome));
    add_fix(l->fix, sts_warning_fix(STS_WARN_TLSRPT_MISSING), d);
}

static void layer_readiness(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_verdict *v = r->verdict;
    const char *d = domain_of(r);
    switch (v->readiness) {
    case STS_READY_NA:
        l->state = CHECK_SKIP;
        add(l->observed, "no policy");
        return;
    case STS_READY_ENFORCING:
        l->state = CHECK_PASS;
        add(l->observed, "enforcing: senders refuse unauthenticated delivery");
        return;
    case STS_READY_TO_ENFORCE:
        l->state = CHECK_PASS;
        add(l->observed, "ready to enforce: valid, testing, every MX covered, TLS-RPT valid");
        add(l->fix,
            "When the TLS-RPT reports show no failures, change \"mode: testing\" to \"mode: "
            "enforce\" and publish a new id in _mta-sts.%s.",
            d);
        return;
    case STS_READY_NOT_READY:
        break;
    }
    l->state = v->status == STS_STATUS_VALID ? CHECK_WARN : CHECK_FAIL;
    add(l->observed, "not ready to enforce:");
    if (v->status != STS_STATUS_VALID)
        add(l->observed, " %s",
            v->category != STS_CAT_NONE ? sts_category_name(v->category)
                                        : sts_status_name(v->status));
    for (int w = 0; w < STS_WARN_COUNT; w++)
        if (v->readiness_warnings & WARN_BIT(w))
            add(l->observed, " %s", sts_warning_name((enum sts_warning)w));
    if (v->status == STS_STATUS_VALID && v->mx_covered != 1 && v->policy.mode == STS_MODE_TESTING)
        add(l->observed, " mx_coverage_unknown");
    if (v->status != STS_STATUS_VALID) {
        add(l->fix, "Fix the failing layers above first.");
        return;
    }
    for (int w = 0; w < STS_WARN_COUNT; w++)
        if (v->readiness_warnings & WARN_BIT(w)) {
            add_fix(l->fix, sts_warning_fix((enum sts_warning)w), d);
            return;
        }
}

void check_layers(const struct sts_result *r, struct check_layer out[CHECK_LAYER_COUNT])
{
    static void (*const fns[CHECK_LAYER_COUNT])(const struct sts_result *, struct check_layer *) = {
        layer_dns, layer_fetch, layer_parse, layer_mx, layer_tlsrpt, layer_readiness};
    for (int i = 0; i < CHECK_LAYER_COUNT; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].id = (enum check_layer_id)i;
        fns[i](r, &out[i]);
    }
}

/* ---- Exit status ----------------------------------------------------------------------- */

static int exit_of_layers(const struct sts_result *r, const struct check_layer *layers)
{
    enum sts_status s = r->verdict->status;
    if (s == STS_STATUS_DNS_ERROR || s == STS_STATUS_DOMAIN_NXDOMAIN)
        return 3;
    if (s != STS_STATUS_VALID)
        return 2;
    int worst = r->verdict->warnings ? 1 : 0;
    for (int i = 0; i < CHECK_LAYER_COUNT; i++) {
        if (layers[i].state == CHECK_FAIL)
            return 2;
        if (layers[i].state == CHECK_WARN)
            worst = 1;
    }
    return worst;
}

int check_exit_status(const struct sts_result *r)
{
    struct check_layer layers[CHECK_LAYER_COUNT];
    check_layers(r, layers);
    return exit_of_layers(r, layers);
}

int check_exit_combine(int a, int b)
{
    return a > b ? a : b;
}

/* ---- Text -------------------------------------------------------------------------------- */

static const char *state_label(enum check_state s, bool color)
{
    static const char *const plain[] = {"PASS", "WARN", "FAIL", "SKIP"};
    static const char *const colored[] = {"\033[32mPASS\033[0m", "\033[33mWARN\033[0m",
                                          "\033[31mFAIL\033[0m", "\033[2mSKIP\033[0m"};
    return (unsigned)s <= CHECK_SKIP ? (color ? colored[s] : plain[s]) : "????";
}

/* Appends text with every line after the first indented by `indent` spaces. */
static void put_indented(struct sbuf *out, const char *text, int indent)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        sbuf_append(out, p, n);
        if (!nl)
            break;
        sbuf_printf(out, "\n%*s", indent, "");
        p = nl + 1;
    }
}

void check_render_text(struct sbuf *out, const struct sts_result *r, bool color)
{
    const struct sts_verdict *v = r->verdict;
    struct check_layer layers[CHECK_LAYER_COUNT];
    check_layers(r, layers);
    char head[CHECK_TEXT_MAX] = "";
    add_remote_str(head, domain_of(r));
    sbuf_printf(out, "%s: %s", head, sts_status_name(v->status));
    if (v->category != STS_CAT_NONE)
        sbuf_printf(out, " (%s)", sts_category_name(v->category));
    head[0] = '\0';
    add_remote_str(head, v->detail);
    if (head[0])
        sbuf_printf(out, ": %s", head);
    sbuf_putc(out, '\n');
    for (int i = 0; i < CHECK_LAYER_COUNT; i++) {
        const struct check_layer *l = &layers[i];
        sbuf_printf(out, "  %s  %-13s ", state_label(l->state, color), check_layer_title(l->id));
        put_indented(out, l->observed, 22);
        sbuf_putc(out, '\n');
        if (l->fix[0]) {
            sbuf_printf(out, "%*sfix: ", 22, "");
            put_indented(out, l->fix, 27);
            sbuf_putc(out, '\n');
        }
    }
    char w[512];
    sts_warnings_format(v->warnings, w, sizeof w);
    sbuf_printf(out, "  warnings: %s; readiness: %s; valid_strict: %s; would_fail_delivery: %s\n",
                w[0] ? w : "none", sts_readiness_name(v->readiness), v->valid_strict ? "yes" : "no",
                v->would_fail_delivery ? "yes" : "no");
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void json_key(struct sbuf *out, const char *key, bool *first)
{
    if (!*first)
        sbuf_putc(out, ',');
    *first = false;
    esc_json_str(out, key);
    sbuf_putc(out, ':');
}

static void json_layer(struct sbuf *out, const struct check_layer *l)
{
    sbuf_puts(out, "{\"state\":");
    esc_json_str(out, check_state_name(l->state));
    sbuf_puts(out, ",\"observed\":");
    esc_json_str(out, l->observed);
    sbuf_puts(out, ",\"fix\":");
    esc_json_str(out, l->fix[0] ? l->fix : NULL);
    sbuf_putc(out, '}');
}

static void json_facts(struct sbuf *out, const struct sts_result *r)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    bool policy = v->policy_parsed && v->policy.valid;
    bool first = true;
    sbuf_putc(out, '{');
    json_key(out, "txt_id", &first);
    esc_json_str(out, v->txt.id[0] ? v->txt.id : NULL);
    json_key(out, "mode", &first);
    esc_json_str(out, policy ? sts_mode_name(v->policy.mode) : NULL);
    json_key(out, "max_age", &first);
    if (policy && v->policy.has_max_age)
        sbuf_printf(out, "%lld", v->policy.max_age);
    else
        sbuf_puts(out, "null");
    json_key(out, "mx_patterns", &first);
    sbuf_putc(out, '[');
    for (size_t i = 0; v->policy_parsed && i < v->policy.n_mx; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, v->policy.mx[i]);
    }
    sbuf_putc(out, ']');
    json_key(out, "mx_hosts", &first);
    sbuf_putc(out, '[');
    size_t n_mx = o->mx_outcome == STS_DNS_OK ? o->n_mx : 0;
    for (size_t i = 0; i < n_mx; i++) {
        int pat = i < v->n_mx && v->mx_pattern ? v->mx_pattern[i] : -1;
        sbuf_puts(out, i ? ",{\"host\":" : "{\"host\":");
        esc_json_str(out, o->mx[i].host ? o->mx[i].host : "");
        sbuf_printf(out, ",\"preference\":%u,\"covered\":", o->mx[i].preference);
        if (!policy || v->policy.mode == STS_MODE_NONE)
            sbuf_puts(out, "null");
        else
            sbuf_puts(out, pat >= 0 ? "true" : "false");
        sbuf_puts(out, ",\"pattern\":");
        esc_json_str(out, pat >= 0 && (size_t)pat < v->policy.n_mx ? v->policy.mx[pat] : NULL);
        sbuf_putc(out, '}');
    }
    sbuf_putc(out, ']');
    json_key(out, "policy_addresses", &first);
    sbuf_putc(out, '[');
    for (size_t i = 0; i < r->n_addrs; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, r->addrs[i]);
    }
    sbuf_putc(out, ']');
    json_key(out, "http_status", &first);
    if (o->http_status)
        sbuf_printf(out, "%ld", o->http_status);
    else
        sbuf_puts(out, "null");
    json_key(out, "content_type", &first);
    esc_json_str(out, o->content_type);
    json_key(out, "cert_not_after", &first);
    if (o->cert.present && o->cert.not_after)
        sbuf_printf(out, "%lld", (long long)o->cert.not_after);
    else
        sbuf_puts(out, "null");
    json_key(out, "cert_issuer", &first);
    esc_json_str(out, o->cert.present && o->cert.issuer[0] ? o->cert.issuer : NULL);
    json_key(out, "rua", &first);
    sbuf_putc(out, '[');
    for (size_t i = 0; v->tlsrpt_state == STS_TLSRPT_VALID && i < v->tlsrpt.n_rua; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, v->tlsrpt.rua[i]);
    }
    sbuf_puts(out, "]}");
}

void check_render_json(struct sbuf *out, const struct sts_result *r)
{
    const struct sts_verdict *v = r->verdict;
    struct check_layer layers[CHECK_LAYER_COUNT];
    check_layers(r, layers);
    bool first = true;
    sbuf_putc(out, '{');
    json_key(out, "domain", &first);
    esc_json_str(out, domain_of(r));
    json_key(out, "status", &first);
    esc_json_str(out, sts_status_name(v->status));
    json_key(out, "category", &first);
    esc_json_str(out, v->category != STS_CAT_NONE ? sts_category_name(v->category) : NULL);
    json_key(out, "rfc8460_result", &first);
    esc_json_str(out, sts_category_rfc8460_result(v->category));
    json_key(out, "detail", &first);
    esc_json_str(out, v->detail);
    json_key(out, "warnings", &first);
    sbuf_putc(out, '[');
    bool wfirst = true;
    for (int w = 0; w < STS_WARN_COUNT; w++) {
        if (!(v->warnings & WARN_BIT(w)))
            continue;
        if (!wfirst)
            sbuf_putc(out, ',');
        wfirst = false;
        esc_json_str(out, sts_warning_name((enum sts_warning)w));
    }
    sbuf_putc(out, ']');
    json_key(out, "readiness", &first);
    esc_json_str(out, sts_readiness_name(v->readiness));
    json_key(out, "would_fail_delivery", &first);
    sbuf_puts(out, v->would_fail_delivery ? "true" : "false");
    json_key(out, "valid_strict", &first);
    sbuf_puts(out, v->valid_strict ? "true" : "false");
    json_key(out, "valid_lenient", &first);
    sbuf_puts(out, v->valid_lenient ? "true" : "false");
    json_key(out, "exit_status", &first);
    sbuf_printf(out, "%d", exit_of_layers(r, layers));
    json_key(out, "layers", &first);
    sbuf_putc(out, '{');
    for (int i = 0; i < CHECK_LAYER_COUNT; i++) {
        if (i)
            sbuf_putc(out, ',');
        esc_json_str(out, check_layer_key(layers[i].id));
        sbuf_putc(out, ':');
        json_layer(out, &layers[i]);
    }
    sbuf_putc(out, '}');
    json_key(out, "facts", &first);
    json_facts(out, r);
    json_key(out, "mx_probes", &first);
    mx_probe_json(out, r->obs);
    sbuf_putc(out, '}');
}
