/* Rendering one `mtasts check` verdict: the evaluated layers as human text or JSON. */
#include "scanner/commands/check_render.h"

#include <stdio.h>
#include <string.h>

#include "lib/escape.h"
#include "scanner/commands/check_mx.h"
#include "scanner/commands/check_text.h"
#include "scanner/commands/mx_probe_json.h"

#define WARN_BIT(w) (1u << (w))

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
    check_text_remote_str(head, check_result_domain(r));
    sbuf_printf(out, "%s: %s", head, sts_status_name(v->status));
    if (v->category != STS_CAT_NONE)
        sbuf_printf(out, " (%s)", sts_category_name(v->category));
    head[0] = '\0';
    check_text_remote_str(head, v->detail);
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
        if (l->id == CHECK_LAYER_DELIVERY)
            check_mx_render_text(out, r, 22);
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
    json_key(out, "policy_http_server", &first);
    esc_json_str(out, r->policy_http_server);
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
    esc_json_str(out, check_result_domain(r));
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
    sbuf_printf(out, "%d", check_exit_of_layers(r, layers));
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
    json_key(out, "mx_verified", &first);
    sbuf_puts(out, v->mx_verified ? "true" : "false");
    json_key(out, "delivery", &first);
    check_mx_render_json(out, r);
    json_key(out, "facts", &first);
    json_facts(out, r);
    json_key(out, "mx_probes", &first);
    mx_probe_json(out, r->obs);
    sbuf_putc(out, '}');
}
