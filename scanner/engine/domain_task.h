/* The per-domain state machine: what was asked, what was answered, what to do next. */
#ifndef DOMAIN_TASK_H
#define DOMAIN_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "rules/sts_result.h"
#include "rules/sts_classify.h"

/* Bounds on what one domain keeps, per answer: records beyond them are counted (struct
 * task_answer.dropped, n_addrs_dropped), never silently lost: the observation carries the
 * counts and the verdict says when it depends on them (records_cut). Each answer has its own
 * region of the record pool, so one large answer cannot crowd out another. A task is about
 * 3.5 KB (variable bytes in its arena) because --inflight of them live at once. */
#define TASK_MAX_TXT 32  /* records of one TXT answer (_mta-sts, _smtp._tls, apex) */
#define TASK_MAX_MX 256  /* hosts of the MX answer (100+ MX hosts exist) */
#define TASK_MAX_ADDR 16 /* addresses of the A answer, and of the AAAA answer */
#define TASK_MAX_ADDRS (2 * TASK_MAX_ADDR)
#define TASK_MAX_RECORDS (3 * TASK_MAX_TXT + TASK_MAX_MX) /* the whole pool */
#define TASK_ADDR_TEXT 48                                 /* INET6_ADDRSTRLEN rounded up */
#define TASK_DOMAIN_MAX 256

/* The lookups of one domain; each is one bit of a step mask. */
enum task_query {
    TASK_Q_TXT = 0, /* TXT _mta-sts.D */
    TASK_Q_MX,      /* MX D */
    TASK_Q_TLSRPT,  /* TXT _smtp._tls.D */
    TASK_Q_APEX,    /* TXT D */
    TASK_Q_A,       /* A mta-sts.D */
    TASK_Q_AAAA,    /* AAAA mta-sts.D */
    TASK_Q_COUNT
};

/* Step bits returned by domain_task_start/_next: queries to send, the fetch, or done. */
#define TASK_STEP_QUERY(q) (1u << (q))
#define TASK_STEP_FETCH (1u << 8)
#define TASK_STEP_DONE (1u << 9)
#define TASK_STEP_MX (1u << 10) /* probe the MX hosts (SMTP stage, TLSA): domain_task_mx_done */

/* A byte range in the task's arena (offsets survive the arena growing). */
struct task_span {
    uint32_t off, len;
};

struct task_addr {
    uint8_t family; /* AF_INET or AF_INET6 */
    bool refused;   /* by the address policy */
    uint8_t bytes[16];
};

/* One answer's records are its own region of the task's record pool (domain_task_region). */
struct task_answer {
    enum sts_dns_outcome outcome;
    uint16_t first, n; /* records (TXT) or hosts (MX) in the pool */
    uint16_t dropped;  /* beyond the answer's bound: counted, not kept */
};

/* Everything the HTTPS stage reports about the fetch. */
struct task_fetch {
    enum sts_https_outcome outcome;
    struct sts_cert_facts cert;
    long http_status;
    bool has_body, has_content_type, has_location;
    struct task_span body, content_type, location, error, tls_version, verify_text, cert_pem;
    struct task_span server;   /* Server header of the response (https_server_value), len 0: none */
    char addr[TASK_ADDR_TEXT]; /* address of the final attempt, "" when none */
    int attempts;
    int time_connect_ms, time_tls_ms, time_total_ms;
};

/* One domain in flight. Owned by the worker that runs it; reused from a pool, so nothing in
 * it is freed between domains except the arena's excess capacity. */
struct domain_task {
    struct task_span domain_span; /* the domain, first bytes of the arena */
    const char *domain;           /* into the arena: valid while no span is added */
    long rank;
    unsigned checks; /* enum scan_check bits */
    bool probe_orphans;
    int64_t started_ms;  /* monotonic, for timing */
    int64_t dns_done_ms; /* last DNS answer */
    int64_t scanned_at;  /* Unix seconds when finished */

    unsigned pending; /* step bits sent and not answered */
    unsigned asked;   /* queries ever sent */
    bool fetch_started, fetch_done, done;

    struct task_answer ans[TASK_Q_COUNT];
    struct task_span rec[TASK_MAX_RECORDS]; /* TXT records and MX host names, by region */
    uint16_t pref[TASK_MAX_MX];             /* MX preferences, by host of the MX answer */
    struct task_addr addrs[TASK_MAX_ADDRS];
    uint8_t n_addrs, n_refused;
    uint8_t n_family[2];      /* kept addresses: [0] IPv4, [1] IPv6 */
    uint16_t n_addrs_dropped; /* beyond TASK_MAX_ADDR of their answer */
    struct task_span cname;   /* CNAME target of mta-sts.D, len 0 when none */
    struct task_fetch fetch;

    /* The delivery side: one shared probe per distinct MX host (mx_table), references
     * held until the task is reused. The array's memory is kept across domains. */
    bool mx_started, mx_done;
    bool port25_blocked;
    struct sts_mx_probe **mx_probes;
    uint16_t n_mx_probes, cap_mx_probes;
    int mx_waiting;                    /* hosts not done (+1 while joining); mx_table's lock */
    struct domain_task *mx_hold_next;  /* mx_table: held for the port-25 decision */
    struct domain_task *mx_ready_next; /* engine: ready list of the owning worker */

    struct sbuf arena; /* bytes of every span */

    /* Engine bookkeeping (not used by the state machine). */
    struct domain_task *next;      /* pool free list, result queue */
    struct domain_task *wait_next; /* HTTPS stage waiting list */
    void *owner;
    uint8_t fetch_order[TASK_MAX_ADDRS]; /* addresses to try (domain_task_fetch_order) */
    uint8_t n_fetch_order, fetch_next;
    uint8_t alloc_retries;   /* times the domain was restarted after an allocation failure */
    uint8_t local_retries;   /* fetch attempts repeated after a local failure (EMFILE...) */
    int64_t local_retry_at;  /* monotonic ms: not before, after a local failure; 0: now */
    int64_t fetch_queued_ms; /* when the fetch (or its next address) began to wait for its turn */
};

/* True when an allocation for this domain failed (t->arena.oom): something it was told may be
 * missing, so its verdict cannot be trusted; the engine restarts the domain instead. */
bool domain_task_alloc_failed(const struct domain_task *t);

/* Test hook: when set (the engine reads MTASTS_TEST_ALLOC_FAIL=N), the Nth arena allocation of
 * the process fails as if memory ran out, once. 0: never. */
extern uint64_t domain_task_fail_put_at;

/* Resets a task for a new domain (keeps the arena's memory up to a bound; clears a previous
 * domain's out-of-memory state). domain is copied; returns false when it does not fit or
 * memory ran out (domain_task_alloc_failed then). */
bool domain_task_init(struct domain_task *t, const char *domain, long rank, unsigned checks,
                      bool probe_orphans, int64_t now_ms);
void domain_task_free(struct domain_task *t); /* releases the arena and the probe array */

/* First steps: the queries to send for this domain (per `checks`). */
unsigned domain_task_start(struct domain_task *t);

/* Records that query q ended with `outcome` (answers were added before with the add_*
 * functions) and returns the new steps to take (possibly TASK_STEP_DONE). */
unsigned domain_task_answered(struct domain_task *t, enum task_query q,
                              enum sts_dns_outcome outcome, int64_t now_ms);

/* Records the end of the fetch (t->fetch filled) and returns TASK_STEP_DONE. */
unsigned domain_task_fetched(struct domain_task *t);

/* Records that every MX host of the domain was probed (t->mx_probes filled) and returns the
 * next steps. */
unsigned domain_task_mx_done(struct domain_task *t);

/* The distinct MX host names to probe: lower case, no trailing dot, the null MX and empty
 * names left out, at most max; writes them (NUL-terminated, TASK_DOMAIN_MAX each) into
 * names and returns how many. */
size_t domain_task_mx_hosts(const struct domain_task *t, char (*names)[TASK_DOMAIN_MAX],
                            size_t max);

/* Answer data. Each returns false when the bound was reached (the item is counted, not kept)
 * or memory ran out. */
bool domain_task_add_txt(struct domain_task *t, enum task_query q, const void *data, size_t len,
                         bool record_start);
bool domain_task_add_mx(struct domain_task *t, const char *host, unsigned preference);
bool domain_task_add_addr(struct domain_task *t, int family, const void *bytes, bool refused);

/* Stores bytes in the arena and returns their span (off 0 on out-of-memory). The arena may
 * move: t->domain is updated, other pointers into it must be taken again. */
struct task_span domain_task_put(struct domain_task *t, const void *data, size_t len);
/* Pointer to a span's bytes (NUL-terminated: every put adds a NUL); valid until the next put. */
const char *domain_task_str(const struct domain_task *t, struct task_span s);

/* Record i of a TXT answer, or MX host i (as a span; preference in t->pref[i]). */
struct task_span domain_task_record(const struct domain_task *t, enum task_query q, size_t i);

/* Sets the CNAME target of the policy host. */
void domain_task_set_cname(struct domain_task *t, const char *target);

/* The text form of an address into buf (at least TASK_ADDR_TEXT bytes). */
void task_addr_text(const struct task_addr *a, char *buf, size_t buflen);

/* True when the _mta-sts answer holds a record beginning with v=STSv1. */
bool domain_task_has_version_record(const struct domain_task *t);

/* The addresses to try, in the order a sender would (allowed ones only, IPv6 and IPv4
 * alternating, IPv6 first as RFC 8305 suggests); writes up to max indexes into order and
 * returns how many. */
size_t domain_task_fetch_order(const struct domain_task *t, uint8_t *order, size_t max);

/* Everything the classifier and the store need, as pointers into the task. Filled by
 * domain_task_view(); valid while the task is unchanged. */
struct domain_task_view {
    struct sts_observation obs;
    struct sts_txt_record txt[TASK_MAX_TXT], tlsrpt[TASK_MAX_TXT], apex[TASK_MAX_TXT];
    struct sts_mx_host mx[TASK_MAX_MX];
    const char *addr_text[TASK_MAX_ADDRS];
    char addr_buf[TASK_MAX_ADDRS][TASK_ADDR_TEXT];
    struct sts_result result; /* verdict pointer left for the caller to set */
};

void domain_task_view(const struct domain_task *t, int64_t now, struct domain_task_view *v);

#endif
