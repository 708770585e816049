/* The DNS stage of one worker: a c-ares channel on the worker's event loop, rate-limited,
 * with bounded retries of SERVFAIL and timeouts, answers parsed into the domain's task. */
#ifndef DNS_STAGE_H
#define DNS_STAGE_H

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/engine/dns_window.h"
#include "scanner/engine/domain_task.h"
#include "scanner/engine/event_loop.h"

struct scan_config;
struct scan_stats;
struct ratelimit;
struct addr_policy;

/* Called when query q of task t has its final outcome (after retries); its answers are in
 * the task already. */
typedef void (*dns_answer_fn)(void *ctx, struct domain_task *t, enum task_query q,
                              enum sts_dns_outcome outcome);

struct dns_stage {
    ares_channel channel;
    struct evl *loop;
    const struct scan_config *cfg;
    struct scan_stats *stats;
    struct ratelimit *qps; /* shared by every worker; NULL: unlimited */
    dns_answer_fn on_answer;
    void *ctx;
    bool stopping;
    /* Queries waiting for a rate-limit token: a FIFO ring of (task, query) references. */
    struct dns_qref **wait;
    size_t wait_cap, wait_head, wait_len;
    size_t outstanding;     /* queries sent to c-ares and not answered */
    size_t max_outstanding; /* this worker's share of --dns-inflight: the window's ceiling */
    struct dns_window win;  /* the adaptive window (dns_window.h): what is sent at most */
    size_t win_reported;    /* this worker's window as last added to stats->dns_window */
    /* Queries this worker has outstanding on another channel to the same resolvers (the SMTP
     * stage's MX host lookups), or NULL: they count against the window, so the resolver sees
     * at most `window` queries from the worker whichever stage sent them. */
    const size_t *other_outstanding;
    uint64_t jitter_state; /* xorshift state for retry jitter (no shared rand() lock) */
    size_t n_servers;      /* resolvers the channel rotates over (--resolver, or resolv.conf) */
};

/* Per (task, query) reference, the argument of c-ares callbacks and retry timers; lives in
 * the worker's pool next to the task (one per task and query). */
struct dns_qref {
    struct dns_stage *stage;
    struct domain_task *task;
    enum task_query q;
    int tries;
    int64_t sent_us; /* when the current try was sent (CLOCK_MONOTONIC): its round trip */
};

/* Sets up the channel: resolvers from cfg (or the system's), per-try timeout, EDNS, sockets
 * on the loop. max_waiting bounds the queue of queries not yet sent (tasks * queries);
 * max_outstanding bounds the queries sent and not answered. Returns 0, or -1 with a message
 * naming the resolver or the c-ares error in err. */
int dns_stage_init(struct dns_stage *s, struct evl *loop, const struct scan_config *cfg,
                   struct scan_stats *stats, struct ratelimit *qps, size_t max_waiting,
                   size_t max_outstanding, dns_answer_fn on_answer, void *ctx, char *err,
                   size_t errlen);

/* The adaptive window's floor for this worker (its share of --dns-inflight-min; the window
 * starts there). Call after dns_stage_init; floor >= max_outstanding fixes the window. */
void dns_stage_set_floor(struct dns_stage *s, size_t floor);
/* Points a channel at the --resolver list (nothing to do without one). Returns 0, or -1 with
 * a message naming the list. Shared with the SMTP stage's channel. */
int dns_channel_servers(ares_channel channel, const struct scan_config *cfg, char *err,
                        size_t errlen);
/* How many resolvers a channel rotates over (those of --resolver, or of resolv.conf). */
size_t dns_channel_count_servers(ares_channel channel);

/* Cancels everything (no callback reaches the engine after stopping) and frees the channel. */
void dns_stage_close(struct dns_stage *s);

/* Queues query ref->q of ref->task; it is sent when the rate limit allows. An urgent query
 * (the policy host lookups of a domain already under way) goes to the front of the line:
 * finishing started domains first keeps their fetches flowing and memory bounded. */
void dns_stage_query(struct dns_stage *s, struct dns_qref *ref, bool urgent);

/* Sends queued queries the rate limit and the outstanding bound allow now. Returns the
 * milliseconds until the next token when queries wait only for the rate limit, or -1 (an
 * answer frees room for the others). */
int dns_stage_pump(struct dns_stage *s);

/* Socket events for c-ares descriptors, and timeouts: call after every poll. */
void dns_stage_io(struct dns_stage *s, int fd, unsigned events);
void dns_stage_timeouts(struct dns_stage *s);

/* Milliseconds until c-ares needs dns_stage_timeouts(), or -1 when nothing is outstanding. */
int dns_stage_next_timeout_ms(struct dns_stage *s);

/* The DNS name queried for q of domain ("_mta-sts.D", ...), into buf. False when too long. */
bool dns_query_name(enum task_query q, const char *domain, char *buf, size_t buflen);

/* Maps a c-ares status of a finished query to an outcome (ARES_SUCCESS => STS_DNS_OK). */
enum sts_dns_outcome dns_outcome_of_status(int status);

/* Parses an answer into the task; returns the final outcome (OK, or NODATA when the answer
 * holds no record of the type, or ERROR for a malformed answer). Exposed for unit tests. */
enum sts_dns_outcome dns_parse_answer(struct domain_task *t, enum task_query q,
                                      const unsigned char *abuf, int alen,
                                      const struct addr_policy *addrs);

#endif
