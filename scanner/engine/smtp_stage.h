/* The SMTP stage of one worker: the MX hosts this worker probes for the whole scan. Per host:
 * A/AAAA and TLSA (with the AD bit) on the stage's own c-ares channel, through the shared DNS
 * rate limit; then per allowed address a small non-blocking SMTP client on the worker's event
 * loop: greeting, EHLO, STARTTLS, a TLS handshake giving the PKIX and the DANE verdicts, QUIT.
 * Never MAIL FROM. */
#ifndef SMTP_STAGE_H
#define SMTP_STAGE_H

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/sts_delivery.h"
#include "scanner/engine/dns_window.h"
#include "scanner/engine/event_loop.h"

struct scan_config;
struct scan_stats;
struct ratelimit;
struct ratelimit_perip;
struct mx_table;
struct mx_job;
struct mx_query;
struct smtp_conn;

struct smtp_stage {
    struct evl *loop;
    const struct scan_config *cfg;
    struct scan_stats *stats;
    struct ratelimit *qps;         /* the DNS stage's bucket, shared; NULL: unlimited */
    struct ratelimit_perip *perip; /* shared with the HTTPS stage: connections per IP */
    void *store;                   /* X509_STORE for the PKIX verdict */
    void *ssl_ctx;                 /* SSL_CTX shared by every worker (smtp_ssl_ctx_new) */
    struct mx_table *table;
    ares_channel channel;
    bool stopping;
    struct mx_query *dns_head, *dns_tail; /* waiting for a rate-limit token */
    size_t dns_outstanding;
    /* The worker's adaptive DNS window (the DNS stage's), or NULL: these lookups go to the
     * same resolvers, so at most that many are outstanding (below SMTP_DNS_MAX_OUTSTANDING),
     * and the DNS stage counts them against its window. They do not steer it: set by the
     * engine after init. */
    const struct dns_window *window;
    struct mx_job *jobs;       /* every host under way in this worker */
    struct mx_job *start_head; /* hosts with addresses not yet connected */
    struct smtp_conn *conns;   /* max_conns connection slots */
    size_t max_conns, n_active;
};

/* The TLS client context of the probes, built once: any protocol from TLS 1.0 and every
 * cipher (@SECLEVEL=0) so that an old server is seen (mx_tls_old) instead of failing, no
 * verification in the handshake (the verdicts are read after it), the trust store for DANE-TA,
 * DANE enabled. NULL with a message in err. */
void *smtp_ssl_ctx_new(void *store, char *err, size_t errlen);
void smtp_ssl_ctx_free(void *ctx);

/* max_conns: this worker's share of --smtp-conns. Returns 0, or -1 with a message. */
int smtp_stage_init(struct smtp_stage *s, struct evl *loop, const struct scan_config *cfg,
                    struct scan_stats *stats, struct ratelimit *qps, struct ratelimit_perip *perip,
                    void *store, void *ssl_ctx, struct mx_table *table, size_t max_conns, char *err,
                    size_t errlen);

/* Abandons every probe (the table is freed by the engine), frees everything. */
void smtp_stage_close(struct smtp_stage *s);

/* Probes a host new to the table (mx_table_join said created): fills *p and calls
 * mx_table_done when finished. checks: SCAN_CHECK_SMTP and/or SCAN_CHECK_DANE. */
void smtp_stage_probe(struct smtp_stage *s, struct sts_mx_probe *p, unsigned checks);

/* Sends queued lookups and starts connections the limits allow. Returns milliseconds until
 * something waits to be tried again, or -1. */
int smtp_stage_pump(struct smtp_stage *s);

/* Events of the stage's descriptors (c-ares: EVL_OWNER_MXDNS; probes: EVL_OWNER_SMTP). */
void smtp_stage_dns_io(struct smtp_stage *s, int fd, unsigned events);
void smtp_stage_io(struct smtp_stage *s, int fd, unsigned events);

/* Deadlines: call after every poll; and the milliseconds until the next one, or -1. */
void smtp_stage_timeouts(struct smtp_stage *s, int64_t now_ms);
int smtp_stage_next_timeout_ms(struct smtp_stage *s, int64_t now_ms);

#endif
