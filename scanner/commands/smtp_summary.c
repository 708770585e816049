/* The SMTP stage's figures for the end of a scan: the summary line and the stored JSON. */
#include "scanner/commands/smtp_summary.h"

static unsigned long long load(const volatile uint64_t *p)
{
    return (unsigned long long)__atomic_load_n(p, __ATOMIC_RELAXED);
}

const char *scan_port25_name(int port25)
{
    switch (port25) {
    case SCAN_PORT25_OPEN:
        return "open";
    case SCAN_PORT25_BLOCKED:
        return "blocked";
    default:
        return "undecided";
    }
}

void scan_smtp_summary_json(const struct scan_stats *s, struct sbuf *out)
{
    sbuf_printf(out,
                "{\"mx_hosts_probed\":%llu,\"probes_saved_by_sharing\":%llu,\"connections\":%llu,"
                "\"tlsa_queries\":%llu,\"port25\":\"%s\",\"addrs_per_ip_wait\":%llu}",
                load(&s->mx_probes), load(&s->mx_shared), load(&s->smtp_conns_made),
                load(&s->tlsa_queries), scan_port25_name(s->port25), load(&s->smtp_per_ip_waits));
}

void scan_smtp_summary_print(const struct scan_stats *s, FILE *out)
{
    unsigned long long probed = load(&s->mx_probes), shared = load(&s->mx_shared);
    unsigned long long joins = probed + shared;
    fprintf(out,
            "smtp: %llu MX hosts probed, %llu probes saved by sharing (%.0f%% of %llu host "
            "lookups by domains), %llu connections, %llu TLSA queries; port 25 %s\n",
            probed, shared, joins ? 100.0 * (double)shared / (double)joins : 0.0, joins,
            load(&s->smtp_conns_made), load(&s->tlsa_queries), scan_port25_name(s->port25));
    unsigned long long waits = load(&s->smtp_per_ip_waits);
    if (waits)
        fprintf(out,
                "smtp: %llu MX address%s NOT CHECKED: the probe waited past --per-ip-wait for a "
                "turn at a busy address (smtp_per_ip_wait; raise --per-ip or --per-ip-wait)\n",
                waits, waits == 1 ? "" : "es");
    if (s->port25 == SCAN_PORT25_BLOCKED)
        fprintf(out, "smtp: OUTBOUND PORT 25 IS BLOCKED on this network: MX hosts are recorded "
                     "as smtp_unreachable, not as failures of the domains\n");
}
