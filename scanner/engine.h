/* The scan engine: worker threads, each one epoll loop driving c-ares and libcurl multi. */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"

/* Which lookups run per domain (`--checks`). */
enum engine_check {
    ENGINE_CHECK_POLICY = 1u << 0, /* TXT _mta-sts.D, A/AAAA mta-sts.D, HTTPS fetch */
    ENGINE_CHECK_MX = 1u << 1,     /* MX D (coverage) */
    ENGINE_CHECK_TLSRPT = 1u << 2, /* TXT _smtp._tls.D */
    ENGINE_CHECK_APEX = 1u << 3,   /* TXT D (txt_at_apex) */
    ENGINE_CHECK_DEFAULT = ENGINE_CHECK_POLICY | ENGINE_CHECK_MX | ENGINE_CHECK_TLSRPT
};

#define ENGINE_MAX_RESOLVERS 8

struct addr_policy; /* scanner/addr_policy.h */

/* Everything that shapes a scan; filled from the command line, shown in the progress line
 * and stored with the scan. Defaults (engine_config_defaults) are safe for the internet. */
struct engine_config {
    int threads;                              /* worker threads; default: number of cores */
    unsigned checks;                          /* enum engine_check bits */
    bool probe_orphans;                       /* fetch the policy even without a TXT record */
    size_t n_resolvers;                       /* 0: the system's (/etc/resolv.conf) */
    char resolvers[ENGINE_MAX_RESOLVERS][64]; /* "IP" or "IP:PORT" or "[IPv6]:PORT" */
    double dns_qps;                           /* DNS queries per second, all workers together */
    int inflight;                             /* domains in flight, all workers together */
    int https_conns;                          /* HTTPS transfers in flight, all workers together */
    int per_ip;                               /* concurrent connections per destination IP */
    double timeout_s;                         /* HTTPS total time limit per fetch */
    double connect_timeout_s;                 /* TCP+TLS connect limit */
    double dns_timeout_s;                     /* per DNS try */
    int dns_tries;                            /* tries for SERVFAIL/timeout before dns_error */
    const char *ca_file;                      /* NULL: the system store */
    const char *user_agent;                   /* full User-Agent string */
    const struct addr_policy *addrs;          /* which addresses may be contacted */
    bool keep_cert_pem;                       /* store the peer chain as an artifact */
    /* DNS queries outstanding at once, all workers together (added by the engine): a
     * resolver drops what it cannot queue, so more than it holds is slower, not faster. */
    int dns_inflight;
};

void engine_config_defaults(struct engine_config *cfg);

/* The engine pulls domains from a source and pushes one result per domain to a sink.
 *
 * source: called from the engine's feeder thread; writes the next domain (normalised) and
 * its rank (-1 when none) and returns true, or returns false at the end of the input or to
 * stop early. The domain string must stay valid until the next call. After engine_stop() the
 * feeder thread is cancelled (deferred) if the source has not returned, so that a blocking
 * read of a pipe cannot hold the scan: the source must disable cancellation around anything
 * that takes locks or must not be cut short (e.g. store writes).
 *
 * sink: called from ONE thread (the engine serialises calls) for every finished domain,
 * with a result whose pointers are valid only during the call. Return false to stop. */
typedef bool (*engine_source_fn)(void *arg, const char **domain, long *rank);
typedef bool (*engine_sink_fn)(void *arg, const struct store_result *result);

/* Live counters, readable from any thread (relaxed atomics), for the progress line. */
struct engine_stats {
    volatile uint64_t started, finished;
    volatile uint64_t dns_inflight, https_inflight;
    volatile uint64_t dns_queries, dns_retries, https_fetches;
    volatile uint64_t by_status[8]; /* indexed by enum sts_status */
};

/* Runs the scan to the end of the source, or until engine_stop() is called (from a signal
 * handler or another thread: in-flight work is abandoned, finished results all reach the
 * sink). Returns 0, or -1 with a message in err (bad resolver, libcurl/c-ares init, or a
 * worker's event loop failing mid-scan, which also stops the scan: engine_stopped() is
 * then true and the results written so far stand). */
int engine_run(const struct engine_config *cfg, engine_source_fn source, void *source_arg,
               engine_sink_fn sink, void *sink_arg, struct engine_stats *stats, char *err,
               size_t errlen);

/* Async-signal-safe request to stop the running scan. */
void engine_stop(void);

/* True once engine_stop() was called (the scan was interrupted, not finished). */
bool engine_stopped(void);

/* Clears a stop request, for a process that runs the engine again (tests). */
void engine_stop_reset(void);

#endif
