/* The scan state: what shapes a scan (configuration) and its live counters, read by every stage. */
#ifndef SCAN_STATE_H
#define SCAN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which lookups run per domain (`--checks`). */
enum scan_check {
    SCAN_CHECK_POLICY = 1u << 0,   /* TXT _mta-sts.D, A/AAAA mta-sts.D, HTTPS fetch */
    SCAN_CHECK_MX = 1u << 1,       /* MX D (coverage) */
    SCAN_CHECK_TLSRPT = 1u << 2,   /* TXT _smtp._tls.D */
    SCAN_CHECK_APEX = 1u << 3,     /* TXT D (txt_at_apex) */
    SCAN_CHECK_SMTP = 1u << 4,     /* port 25 of the MX hosts of domains with a v=STSv1 record */
    SCAN_CHECK_SMTP_ALL = 1u << 5, /* with SMTP (or DANE): the MX hosts of every domain */
    SCAN_CHECK_DANE = 1u << 6,     /* TLSA _25._tcp.<mx> of the MX hosts selected */
    SCAN_CHECK_DEFAULT = SCAN_CHECK_POLICY | SCAN_CHECK_MX | SCAN_CHECK_TLSRPT,
    /* `mtasts check` looks at the delivery side too. */
    SCAN_CHECK_CHECK_DEFAULT = SCAN_CHECK_DEFAULT | SCAN_CHECK_SMTP | SCAN_CHECK_DANE
};

#define SCAN_MAX_RESOLVERS 8

struct addr_policy; /* scanner/addr_policy.h */

/* Everything that shapes a scan; filled from the command line, shown in the progress line
 * and stored with the scan. Defaults (scan_config_defaults) are safe for the internet. */
struct scan_config {
    int threads;                            /* worker threads; default: number of cores */
    unsigned checks;                        /* enum scan_check bits */
    bool probe_orphans;                     /* fetch the policy even without a TXT record */
    size_t n_resolvers;                     /* 0: the system's (/etc/resolv.conf) */
    char resolvers[SCAN_MAX_RESOLVERS][64]; /* "IP" or "IP:PORT" or "[IPv6]:PORT" */
    double dns_qps;                         /* DNS queries per second, all workers together */
    int inflight;                           /* domains in flight, all workers together */
    int https_conns;                        /* HTTPS transfers in flight, all workers together */
    double per_ip;                          /* new connections per second per destination IP */
    int per_ip_conns;                       /* concurrent connections per destination IP */
    double per_ip_wait_s;            /* longest wait for a turn at one IP, then not checked */
    double timeout_s;                /* HTTPS total time limit per fetch */
    double connect_timeout_s;        /* TCP+TLS connect limit */
    double dns_timeout_s;            /* per DNS try */
    int dns_tries;                   /* tries for SERVFAIL/timeout before dns_error */
    const char *ca_file;             /* NULL: the system store */
    const char *user_agent;          /* full User-Agent string */
    const struct addr_policy *addrs; /* which addresses may be contacted */
    bool keep_cert_pem;              /* store the peer chain as an artifact */
    /* DNS queries outstanding at once, all workers together (added by the engine): a
     * resolver drops what it cannot queue, so more than it holds is slower, not faster. */
    int dns_inflight;
    /* The adaptive DNS window's floor (--dns-inflight-min): it starts there and never goes
     * below; --dns-inflight is its ceiling. Equal values fix the window. */
    int dns_inflight_min;
    /* The SMTP stage (SCAN_CHECK_SMTP, SCAN_CHECK_DANE). */
    char ehlo_name[256];   /* the name sent in EHLO */
    double smtp_timeout_s; /* limit of each step: connect, greeting, EHLO, STARTTLS, handshake */
    int smtp_conns;        /* SMTP probes in flight, all workers together */
    /* Every domain's deadline from its start (default 90 s): a fetch still waiting for a
     * connection slot (--per-ip, --https-conns) then never starts, and the domain is finished
     * not checked (dns_error, https_error says why). DNS is bounded by its own timeouts and
     * tries, a started fetch by --timeout, so a domain ends by about deadline + --timeout. */
    double domain_timeout_s;
};

/* The EHLO name when none is given and the machine's name is not a dotted name. */
#define SCAN_EHLO_FALLBACK "mtasts.invalid"
/* Probes that decide whether outbound port 25 is blocked (see scanner/README.md). */
#define SCAN_PORT25_PROBES 20

void scan_config_defaults(struct scan_config *cfg);

/* The default EHLO name into buf: the machine's dotted host name, else SCAN_EHLO_FALLBACK. */
void scan_default_ehlo(char *buf, size_t buflen);

/* Live counters, readable from any thread (relaxed atomics), for the progress line. */
struct scan_stats {
    volatile uint64_t started, finished;
    volatile uint64_t dns_inflight, https_inflight;
    volatile uint64_t dns_window; /* the adaptive DNS windows of all workers, summed */
    /* The windows' history, summed over workers when each worker's DNS stage closes:
     * smallest and largest window, sum of windows over epochs and number of epochs (the
     * mean), cuts for losses and for round-trip growth, queries lost (timeouts). */
    volatile uint64_t dnsw_min, dnsw_max, dnsw_sum, dnsw_epochs, dnsw_cuts_loss, dnsw_cuts_latency,
        dnsw_lost;
    volatile uint64_t dns_queries, dns_retries, https_fetches;
    volatile uint64_t by_status[8]; /* indexed by enum sts_status */
    /* The SMTP stage: MX hosts probed (each once per scan unless evicted, see mx_table.h),
     * probes saved because a domain found its host already probed or under way, address
     * connections made, probes in flight, and the port-25 decision (0 undecided, 1 open,
     * 2 blocked). */
    volatile uint64_t mx_probes, mx_shared, smtp_conns_made, smtp_inflight, tlsa_queries;
    /* Addresses whose probe waited past --per-ip-wait and was not made (smtp_per_ip_wait). */
    volatile uint64_t smtp_per_ip_waits;
    volatile int port25; /* enum scan_port25 */
    /* Allocation failures for a domain (it is restarted, at most twice, then the scan stops
     * resumable): never a verdict made from partial answers. */
    volatile uint64_t alloc_failures;
    /* Fetch attempts that failed for a local reason (socket(): EMFILE, ENFILE, ENOMEM,
     * ENOBUFS): repeated later; domains left not checked after HTTPS_LOCAL_RETRIES. */
    volatile uint64_t local_failures, not_checked;
    volatile uint64_t deadline_passed;   /* fetches that never started by the domain deadline */
    volatile uint64_t perip_wait_passed; /* fetches that never started within --per-ip-wait */
};

enum scan_port25 { SCAN_PORT25_UNDECIDED = 0, SCAN_PORT25_OPEN, SCAN_PORT25_BLOCKED };

#endif
