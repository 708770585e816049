/* The MX transport layer of `mtasts check`: evaluation, text detail and JSON of every MX host. */
#include "scanner/commands/check_mx.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/escape.h"
#include "scanner/commands/check_text.h"

#define WARN_BIT(w) (1u << (w))
#define MX_SHOWN 16

static bool is_null_host(const char *h)
{
    return !h || !h[0] || strcmp(h, ".") == 0;
}

/* Remote text for the terminal, bounded (`max` bytes of s, NULs shown as '?'). */
static void put_remote(struct sbuf *out, const char *s, size_t max)
{
    if (!s)
        return;
    struct sbuf raw = SBUF_INIT;
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n; i++)
        sbuf_putc(&raw, s[i]);
    esc_text(out, sbuf_str(&raw));
    sbuf_free(&raw);
}

/* A fix template with every "<mx>" replaced by the (escaped) host name. */
static void put_fix(struct sbuf *out, const char *tmpl, const char *host)
{
    for (const char *p = tmpl; p && *p;) {
        const char *mark = strstr(p, "<mx>");
        if (!mark) {
            sbuf_puts(out, p);
            return;
        }
        sbuf_append(out, p, (size_t)(mark - p));
        put_remote(out, host, 253);
        p = mark + 4;
    }
}

static void put_date(struct sbuf *out, int64_t t)
{
    char d[32];
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(d, sizeof d, "%Y-%m-%d", &tm))
        sbuf_puts(out, "unknown");
    else
        sbuf_puts(out, d);
}

/* The stages ran for this domain (the probes are worth showing). */
static bool delivery_ran(const struct sts_observation *o)
{
    return o->smtp_checked || o->dane_checked;
}

/* Indices of the first MX_SHOWN MX hosts by preference, distinct, without the null MX. */
static size_t hosts_in_order(const struct sts_observation *o, size_t idx[MX_SHOWN])
{
    size_t n = 0;
    if (o->mx_outcome != STS_DNS_OK || !o->mx)
        return 0;
    for (size_t i = 0; i < o->n_mx && n < MX_SHOWN; i++) {
        if (is_null_host(o->mx[i].host))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = sts_mx_host_same(o->mx[idx[k]].host, o->mx[i].host);
        if (seen)
            continue;
        size_t j = n++;
        for (; j > 0 && o->mx[idx[j - 1]].preference > o->mx[i].preference; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    return n;
}

static const struct sts_mx_probe *probe_of(const struct sts_observation *o, size_t i)
{
    return sts_mx_probe_find(o->mx_probes, o->n_mx_probes, o->mx[i].host);
}

/* The outcome shown for a host: the roll-up when the SMTP stage judged it. */
static enum sts_smtp_outcome host_outcome(const struct sts_result *r, const struct sts_mx_probe *p)
{
    if (!p || !r->verdict->smtp_checked || !p->smtp_checked)
        return STS_SMTP_NOT_PROBED;
    return sts_smtp_host_outcome(p);
}

static enum sts_dane_outcome host_dane(const struct sts_mx_probe *p)
{
    return p && p->dane_checked ? sts_dane_host_outcome(p) : STS_DANE_NONE;
}

/* How many fix lines the MX hosts have (SMTP and DANE, all hosts): with one, the layer's
 * fix line says it all and the host lines do not repeat it. */
static size_t host_fix_count(const struct sts_result *r)
{
    const struct sts_observation *o = r->obs;
    size_t idx[MX_SHOWN];
    size_t n = hosts_in_order(o, idx), fixes = 0;
    for (size_t k = 0; k < n; k++) {
        const struct sts_mx_probe *p = probe_of(o, idx[k]);
        fixes += (sts_smtp_outcome_fix(host_outcome(r, p)) != NULL) +
                 (sts_dane_outcome_fix(host_dane(p)) != NULL);
    }
    return fixes;
}

void check_mx_layer(const struct sts_result *r, struct check_layer *l)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    if (!delivery_ran(o)) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed,
                       "MX hosts not probed (the SMTP stage is off: --checks +smtp,+dane)");
        return;
    }
    if (o->port25_blocked) {
        l->state = CHECK_SKIP;
        check_text_add(l->observed,
                       "outbound port 25 is blocked on this network: MX hosts not judged");
        check_text_add(l->fix, "Run the check from a network that allows outbound SMTP (port 25).");
        return;
    }
    size_t idx[MX_SHOWN];
    size_t n = hosts_in_order(o, idx), failing = 0, unreached = 0;
    const char *first_fix = NULL, *first_host = NULL;
    for (size_t k = 0; k < n; k++) {
        const struct sts_mx_probe *p = probe_of(o, idx[k]);
        enum sts_smtp_outcome s = host_outcome(r, p);
        if (sts_smtp_outcome_fails_delivery(s))
            failing++;
        else if (v->smtp_checked && !sts_smtp_outcome_judged(s))
            unreached++;
        const char *fix = sts_smtp_outcome_fix(s);
        if (!fix)
            fix = sts_dane_outcome_fix(host_dane(p));
        if (fix && !first_fix) {
            first_fix = fix;
            first_host = o->mx[idx[k]].host;
        }
    }
    if (n == 0)
        check_text_add(l->observed, "no MX host to probe");
    else if (v->smtp_checked)
        check_text_add(l->observed,
                       "%zu MX host%s probed: %zu refused by an enforcing sender, %zu not reached",
                       n, n == 1 ? "" : "s", failing, unreached);
    else
        check_text_add(l->observed, "%zu MX host%s: DANE only (SMTP not probed)", n,
                       n == 1 ? "" : "s");
    if (v->smtp_checked && v->mx_outcome != STS_SMTP_NOT_PROBED)
        check_text_add(l->observed, "; worst %s", sts_smtp_outcome_name(v->mx_outcome));
    if (v->dane_checked)
        check_text_add(l->observed, "; DANE %s", sts_dane_summary_name(v->dane_summary));
    uint32_t warn = WARN_BIT(STS_WARN_MX_TLS_INVALID) | WARN_BIT(STS_WARN_MX_TLS_OLD) |
                    WARN_BIT(STS_WARN_MX_CERT_EXPIRING_SOON) |
                    WARN_BIT(STS_WARN_DANE_AND_STS_CONFLICT) |
                    WARN_BIT(STS_WARN_TLSA_WITHOUT_DNSSEC) | WARN_BIT(STS_WARN_DANE_FAILURE);
    if (failing && v->would_fail_delivery)
        l->state = CHECK_FAIL;
    else if ((v->warnings & warn) || failing || unreached)
        l->state = CHECK_WARN;
    else
        l->state = CHECK_PASS;
    if (failing && v->would_fail_delivery)
        check_text_add(l->observed, "\nmode enforce: senders refuse mail for %s now",
                       r->domain ? r->domain : "the domain");
    else if (failing)
        check_text_add(l->observed, "\nsenders would refuse mail once the policy is enforced");
    if (first_fix) {
        struct sbuf f = SBUF_INIT;
        put_fix(&f, first_fix, first_host);
        check_text_add(l->fix, "%s", sbuf_str(&f));
        if (host_fix_count(r) > 1)
            check_text_add(l->fix, " (each host's fix is listed below)");
        sbuf_free(&f);
    } else if (v->warnings & WARN_BIT(STS_WARN_MX_CERT_EXPIRING_SOON)) {
        check_text_add(l->fix, "%s", sts_warning_fix(STS_WARN_MX_CERT_EXPIRING_SOON));
    } else if (v->warnings & WARN_BIT(STS_WARN_DANE_AND_STS_CONFLICT)) {
        check_text_add(l->fix, "%s", sts_warning_fix(STS_WARN_DANE_AND_STS_CONFLICT));
    }
}

const char *check_mx_readiness_note(const struct sts_result *r)
{
    const struct sts_verdict *v = r->verdict;
    if (v->readiness != STS_READY_TO_ENFORCE || v->mx_verified)
        return "";
    if (r->obs->port25_blocked)
        return "\nMX hosts not verified: outbound port 25 is blocked on this network, so this "
               "is readiness of the policy only";
    if (!v->smtp_checked)
        return "\nMX hosts not verified: the SMTP stage did not run, so this is readiness of "
               "the policy only (run with --checks +smtp)";
    return "\nMX hosts not all verified: some could not be reached on port 25";
}

/* ---- Text detail ------------------------------------------------------------------------ */

static void put_cert(struct sbuf *out, const struct sts_cert_facts *c)
{
    sbuf_puts(out, "certificate from ");
    if (c->issuer[0])
        put_remote(out, c->issuer, sizeof c->issuer);
    else
        sbuf_puts(out, "(no issuer)");
    sbuf_puts(out, ", expires ");
    put_date(out, c->not_after);
    sbuf_printf(out, ", name %s, chain of %d, verify code %d",
                c->name_matches ? "matches" : "MISMATCH", c->chain_len, c->verify_code);
    if (c->self_signed)
        sbuf_puts(out, ", self-signed");
}

static void put_addr(struct sbuf *out, const struct sts_smtp_addr_probe *a, int indent)
{
    sbuf_printf(out, "%*s", indent, "");
    put_remote(out, a->addr, sizeof a->addr);
    sbuf_printf(out, ": %s",
                sts_smtp_outcome_name(a->outcome) ? sts_smtp_outcome_name(a->outcome) : "unknown");
    if (a->reply_code)
        sbuf_printf(out, ", reply %d", a->reply_code);
    sbuf_puts(out, a->starttls_offered ? ", STARTTLS offered" : ", no STARTTLS");
    if (a->tls_version[0]) {
        sbuf_puts(out, ", ");
        put_remote(out, a->tls_version, sizeof a->tls_version);
        if (a->cipher[0]) {
            sbuf_putc(out, ' ');
            put_remote(out, a->cipher, sizeof a->cipher);
        }
    }
    sbuf_putc(out, '\n');
    if (a->cert.present) {
        sbuf_printf(out, "%*s", indent + 2, "");
        put_cert(out, &a->cert);
        sbuf_putc(out, '\n');
    }
    if (a->detail[0]) {
        sbuf_printf(out, "%*s", indent + 2, "");
        put_remote(out, a->detail, sizeof a->detail);
        sbuf_putc(out, '\n');
    }
}

void check_mx_render_text(struct sbuf *out, const struct sts_result *r, int indent)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    if (!delivery_ran(o) || o->port25_blocked)
        return;
    size_t idx[MX_SHOWN];
    size_t n = hosts_in_order(o, idx);
    bool policy = v->policy_parsed && v->policy.valid && v->policy.mode != STS_MODE_NONE;
    bool several_fixes = host_fix_count(r) > 1;
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        const struct sts_mx_probe *p = probe_of(o, i);
        enum sts_smtp_outcome s = host_outcome(r, p);
        enum sts_dane_outcome d = host_dane(p);
        sbuf_printf(out, "%*s", indent, "");
        put_remote(out, o->mx[i].host, 253);
        sbuf_printf(out, " (preference %u)", o->mx[i].preference);
        if (policy) {
            int pat = i < v->n_mx && v->mx_pattern ? v->mx_pattern[i] : -1;
            sbuf_puts(out, pat >= 0 ? ", covered" : ", NOT covered by the policy");
        }
        sbuf_printf(out, ": %s", sts_smtp_outcome_name(s));
        if (sts_smtp_outcome_rfc8460_result(s))
            sbuf_printf(out, " (senders report %s)", sts_smtp_outcome_rfc8460_result(s));
        if (sts_smtp_outcome_fails_delivery(s))
            sbuf_puts(out, v->policy.mode == STS_MODE_ENFORCE && policy
                               ? " - senders refuse mail now"
                               : " - senders would refuse mail under enforce");
        sbuf_putc(out, '\n');
        for (size_t a = 0; p && a < p->n_addrs && a < STS_MX_PROBE_MAX_ADDRS; a++)
            put_addr(out, &p->addrs[a], indent + 2);
        if (p && p->n_addrs_dropped)
            sbuf_printf(out, "%*s(%zu more addresses not probed)\n", indent + 2, "",
                        p->n_addrs_dropped);
        if (p && p->dane_checked) {
            sbuf_printf(out, "%*sDANE: %s", indent + 2, "",
                        sts_dane_outcome_name(d) ? sts_dane_outcome_name(d) : "no TLSA records");
            if (p->n_tlsa)
                sbuf_printf(out, " (%zu TLSA, %zu usable, %s)", p->n_tlsa, p->n_tlsa_usable,
                            p->tlsa_ad ? "DNSSEC-validated" : "NOT DNSSEC-validated");
            sbuf_putc(out, '\n');
        }
        const char *fixes[2] = {sts_smtp_outcome_fix(s), sts_dane_outcome_fix(d)};
        for (int f = 0; f < 2 && several_fixes; f++) {
            if (!fixes[f])
                continue;
            sbuf_printf(out, "%*sfix: ", indent + 2, "");
            put_fix(out, fixes[f], o->mx[i].host);
            sbuf_putc(out, '\n');
        }
    }
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void json_bool(struct sbuf *out, const char *key, bool v)
{
    sbuf_printf(out, "\"%s\":%s", key, v ? "true" : "false");
}

static void json_addr(struct sbuf *out, const struct sts_smtp_addr_probe *a)
{
    sbuf_puts(out, "{\"addr\":");
    esc_json(out, a->addr, strnlen(a->addr, sizeof a->addr));
    sbuf_puts(out, ",\"outcome\":");
    esc_json_str(out, sts_smtp_outcome_name(a->outcome));
    sbuf_printf(out, ",\"reply_code\":%d,", a->reply_code);
    json_bool(out, "starttls_offered", a->starttls_offered);
    sbuf_puts(out, ",\"tls_version\":");
    esc_json_str(out, a->tls_version[0] ? a->tls_version : NULL);
    sbuf_puts(out, ",\"cipher\":");
    esc_json_str(out, a->cipher[0] ? a->cipher : NULL);
    sbuf_puts(out, ",\"cert\":");
    if (a->cert.present) {
        sbuf_puts(out, "{\"issuer\":");
        esc_json(out, a->cert.issuer, strnlen(a->cert.issuer, sizeof a->cert.issuer));
        sbuf_printf(out, ",\"not_before\":%lld,\"not_after\":%lld,", (long long)a->cert.not_before,
                    (long long)a->cert.not_after);
        json_bool(out, "name_matches", a->cert.name_matches);
        sbuf_printf(out, ",\"verify_code\":%d,\"chain_len\":%d,", a->cert.verify_code,
                    a->cert.chain_len);
        json_bool(out, "self_signed", a->cert.self_signed);
        sbuf_putc(out, '}');
    } else {
        sbuf_puts(out, "null");
    }
    sbuf_puts(out, ",\"dane\":");
    esc_json_str(out, sts_dane_outcome_name(a->dane));
    sbuf_puts(out, ",\"detail\":");
    esc_json(out, a->detail, strnlen(a->detail, sizeof a->detail));
    sbuf_putc(out, '}');
}

static void json_fix(struct sbuf *out, const char *tmpl, const char *host)
{
    if (!tmpl) {
        sbuf_puts(out, "null");
        return;
    }
    /* The fix with the raw host substituted, then escaped once as a whole. */
    struct sbuf f = SBUF_INIT;
    for (const char *p = tmpl; *p;) {
        const char *mark = strstr(p, "<mx>");
        if (!mark) {
            sbuf_puts(&f, p);
            break;
        }
        sbuf_append(&f, p, (size_t)(mark - p));
        sbuf_puts(&f, host ? host : "");
        p = mark + 4;
    }
    esc_json(out, sbuf_str(&f), f.len);
    sbuf_free(&f);
}

static void json_host(struct sbuf *out, const struct sts_result *r, size_t i)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    const struct sts_mx_probe *p = probe_of(o, i);
    enum sts_smtp_outcome s = host_outcome(r, p);
    enum sts_dane_outcome d = host_dane(p);
    bool policy = v->policy_parsed && v->policy.valid && v->policy.mode != STS_MODE_NONE;
    int pat = i < v->n_mx && v->mx_pattern ? v->mx_pattern[i] : -1;
    sbuf_puts(out, "{\"host\":");
    esc_json_str(out, o->mx[i].host);
    sbuf_printf(out, ",\"preference\":%u,\"covered\":%s,\"pattern\":", o->mx[i].preference,
                !policy    ? "null"
                : pat >= 0 ? "true"
                           : "false");
    esc_json_str(out,
                 policy && pat >= 0 && (size_t)pat < v->policy.n_mx ? v->policy.mx[pat] : NULL);
    sbuf_puts(out, ",\"smtp_outcome\":");
    esc_json_str(out, sts_smtp_outcome_name(s));
    sbuf_puts(out, ",\"rfc8460_result\":");
    esc_json_str(out, sts_smtp_outcome_rfc8460_result(s));
    sbuf_putc(out, ',');
    json_bool(out, "fails_delivery", sts_smtp_outcome_fails_delivery(s));
    sbuf_puts(out, ",\"dane_outcome\":");
    esc_json_str(out, sts_dane_outcome_name(d));
    sbuf_puts(out, ",\"tlsa\":");
    if (p && p->dane_checked) {
        sbuf_printf(out, "{\"records\":%zu,\"usable\":%zu,", p->n_tlsa, p->n_tlsa_usable);
        json_bool(out, "dnssec_validated", p->tlsa_ad);
        sbuf_printf(out, ",\"rcode\":%d}", p->tlsa_rcode);
    } else {
        sbuf_puts(out, "null");
    }
    sbuf_puts(out, ",\"fix\":");
    json_fix(out, sts_smtp_outcome_fix(s) ? sts_smtp_outcome_fix(s) : sts_dane_outcome_fix(d),
             o->mx[i].host);
    sbuf_puts(out, ",\"addresses\":[");
    for (size_t a = 0; p && a < p->n_addrs && a < STS_MX_PROBE_MAX_ADDRS; a++) {
        if (a)
            sbuf_putc(out, ',');
        json_addr(out, &p->addrs[a]);
    }
    sbuf_puts(out, "]}");
}

void check_mx_render_json(struct sbuf *out, const struct sts_result *r)
{
    const struct sts_observation *o = r->obs;
    const struct sts_verdict *v = r->verdict;
    sbuf_putc(out, '{');
    json_bool(out, "smtp_checked", v->smtp_checked);
    sbuf_putc(out, ',');
    json_bool(out, "port25_blocked", o->port25_blocked);
    sbuf_putc(out, ',');
    json_bool(out, "mx_verified", v->mx_verified);
    sbuf_puts(out, ",\"worst_outcome\":");
    esc_json_str(out, v->smtp_checked && v->mx_outcome != STS_SMTP_NOT_PROBED
                          ? sts_smtp_outcome_name(v->mx_outcome)
                          : NULL);
    sbuf_putc(out, ',');
    json_bool(out, "dane_checked", v->dane_checked);
    sbuf_puts(out, ",\"dane_summary\":");
    esc_json_str(out, sts_dane_summary_name(v->dane_summary));
    sbuf_puts(out, ",\"hosts\":[");
    size_t idx[MX_SHOWN];
    size_t n = delivery_ran(o) ? hosts_in_order(o, idx) : 0;
    for (size_t k = 0; k < n; k++) {
        if (k)
            sbuf_putc(out, ',');
        json_host(out, r, idx[k]);
    }
    sbuf_puts(out, "]}");
}
