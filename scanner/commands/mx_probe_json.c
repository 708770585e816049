/* The MX probes of a domain (SMTP stage, DANE) as JSON, every remote string escaped. */
#include "scanner/commands/mx_probe_json.h"

#include "lib/escape.h"

static const char *tf(bool b)
{
    return b ? "true" : "false";
}

static void addr_json(struct sbuf *out, const struct sts_smtp_addr_probe *a)
{
    sbuf_puts(out, "{\"addr\":");
    esc_json_str(out, a->addr);
    sbuf_puts(out, ",\"outcome\":");
    esc_json_str(out, sts_smtp_outcome_name(a->outcome));
    sbuf_printf(out, ",\"reply_code\":%d,\"starttls\":%s,\"tls_version\":", a->reply_code,
                tf(a->starttls_offered));
    esc_json_str(out, a->tls_version[0] ? a->tls_version : NULL);
    sbuf_puts(out, ",\"cipher\":");
    esc_json_str(out, a->cipher[0] ? a->cipher : NULL);
    sbuf_puts(out, ",\"cert\":");
    if (a->cert.present) {
        sbuf_printf(out,
                    "{\"verify_code\":%d,\"name_matches\":%s,\"not_before\":%lld,"
                    "\"not_after\":%lld,\"chain_len\":%d,\"self_signed\":%s,\"issuer\":",
                    a->cert.verify_code, tf(a->cert.name_matches), (long long)a->cert.not_before,
                    (long long)a->cert.not_after, a->cert.chain_len, tf(a->cert.self_signed));
        esc_json_str(out, a->cert.issuer);
        sbuf_putc(out, '}');
    } else {
        sbuf_puts(out, "null");
    }
    sbuf_puts(out, ",\"dane\":");
    esc_json_str(out, sts_dane_outcome_name(a->dane));
    sbuf_printf(out, ",\"time_ms\":%d,\"detail\":", a->time_ms);
    esc_json_str(out, a->detail[0] ? a->detail : NULL);
    sbuf_putc(out, '}');
}

static void host_json(struct sbuf *out, const struct sts_mx_probe *p)
{
    sbuf_puts(out, "{\"host\":");
    esc_json_str(out, p->host);
    sbuf_printf(out, ",\"smtp_checked\":%s,\"dane_checked\":%s,\"smtp\":", tf(p->smtp_checked),
                tf(p->dane_checked));
    esc_json_str(out, sts_smtp_outcome_name(p->smtp));
    sbuf_puts(out, ",\"smtp_rfc8460\":");
    esc_json_str(out, sts_smtp_outcome_rfc8460_result(p->smtp));
    sbuf_puts(out, ",\"dane\":");
    esc_json_str(out, sts_dane_outcome_name(p->dane));
    sbuf_printf(out, ",\"tlsa\":{\"rcode\":%d,\"ad\":%s,\"records\":%zu,\"usable\":%zu}",
                p->tlsa_rcode, tf(p->tlsa_ad), p->n_tlsa, p->n_tlsa_usable);
    sbuf_printf(out, ",\"addresses_dropped\":%zu,\"addresses\":[", p->n_addrs_dropped);
    for (size_t i = 0; i < p->n_addrs && i < STS_MX_PROBE_MAX_ADDRS; i++) {
        if (i)
            sbuf_putc(out, ',');
        addr_json(out, &p->addrs[i]);
    }
    sbuf_puts(out, "]}");
}

void mx_probe_json(struct sbuf *out, const struct sts_observation *o)
{
    if (!o->smtp_checked && !o->dane_checked) {
        sbuf_puts(out, "null");
        return;
    }
    sbuf_printf(out, "{\"smtp_checked\":%s,\"dane_checked\":%s,\"port25_blocked\":%s,\"hosts\":[",
                tf(o->smtp_checked), tf(o->dane_checked), tf(o->port25_blocked));
    for (size_t i = 0; i < o->n_mx_probes; i++) {
        if (i)
            sbuf_putc(out, ',');
        host_json(out, o->mx_probes[i]);
    }
    sbuf_puts(out, "]}");
}
