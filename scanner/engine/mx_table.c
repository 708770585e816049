/* The scan-wide table of MX hosts: each distinct host probed once and shared by every domain
 * that uses it, the domains waiting on hosts under way, and the port-25-blocked decision. */
#include "scanner/engine/mx_table.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/engine/domain_task.h"
#include "scanner/engine/scan_state.h"

#define MX_BUCKETS 16384 /* power of two; chains stay short up to ~100k hosts */

struct mx_entry {
    struct sts_mx_probe probe; /* first: the probe pointer is the entry pointer */
    char host[TASK_DOMAIN_MAX];
    uint32_t hash;
    int refs;
    bool done;
    struct mx_entry *hnext;               /* hash chain */
    struct mx_entry *lru_prev, *lru_next; /* done and unused: eviction order */
    struct domain_task **waiters;
    size_t n_waiters, cap_waiters;
};

struct mx_table {
    pthread_mutex_t lock;
    struct mx_entry *buckets[MX_BUCKETS];
    size_t keep, n_idle;
    struct mx_entry *lru_head, *lru_tail;
    size_t under_way; /* hosts created and not done */
    bool smtp;        /* the SMTP stage runs: domains wait for the port-25 decision */
    int port25;       /* enum scan_port25 */
    int port25_n;
    int settled; /* hosts whose every attempted address failed to connect */
    struct domain_task *held;
    size_t n_held;
    mx_ready_fn ready;
    void *ready_ctx;
    struct scan_stats *stats;
};

static uint32_t host_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static struct mx_entry *entry_of(const struct sts_mx_probe *p)
{
    return (struct mx_entry *)(void *)p; /* probe is the first member */
}

struct mx_table *mx_table_new(size_t keep, int port25_n, bool smtp, mx_ready_fn ready,
                              void *ready_ctx, struct scan_stats *stats)
{
    struct mx_table *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->keep = keep;
    m->port25_n = port25_n > 0 ? port25_n : 1;
    m->smtp = smtp;
    m->port25 = smtp ? SCAN_PORT25_UNDECIDED : SCAN_PORT25_OPEN;
    m->ready = ready;
    m->ready_ctx = ready_ctx;
    m->stats = stats;
    return m;
}

static void entry_free(struct mx_entry *e)
{
    free(e->waiters);
    free(e);
}

void mx_table_free(struct mx_table *m)
{
    if (!m)
        return;
    for (size_t b = 0; b < MX_BUCKETS; b++) {
        struct mx_entry *e = m->buckets[b];
        while (e) {
            struct mx_entry *next = e->hnext;
            entry_free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void lru_remove(struct mx_table *m, struct mx_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        m->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        m->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
    m->n_idle--;
}

static void unlink_hash(struct mx_table *m, struct mx_entry *e)
{
    struct mx_entry **pp = &m->buckets[e->hash & (MX_BUCKETS - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
}

/* A done host no domain uses any more joins the eviction order; past `keep`, the least
 * recently used goes. */
static void lru_push(struct mx_table *m, struct mx_entry *e)
{
    e->lru_next = NULL;
    e->lru_prev = m->lru_tail;
    if (m->lru_tail)
        m->lru_tail->lru_next = e;
    else
        m->lru_head = e;
    m->lru_tail = e;
    m->n_idle++;
    while (m->n_idle > m->keep && m->lru_head) {
        struct mx_entry *old = m->lru_head;
        lru_remove(m, old);
        unlink_hash(m, old);
        entry_free(old);
    }
}

/* Outcomes of a blocked port 25 are the network's, not the host's. */
static void mark_unreachable(struct sts_mx_probe *p)
{
    for (size_t i = 0; i < p->n_addrs; i++) {
        enum sts_smtp_outcome o = p->addrs[i].outcome;
        if (o == STS_SMTP_CONNECT_FAILED || o == STS_SMTP_TIMEOUT)
            p->addrs[i].outcome = STS_SMTP_UNREACHABLE;
    }
    p->smtp = sts_smtp_host_outcome(p);
}

static void hand_over(struct mx_table *m, struct domain_task *t)
{
    t->port25_blocked = m->port25 == SCAN_PORT25_BLOCKED;
    m->ready(m->ready_ctx, t);
}

static void decide(struct mx_table *m, int verdict)
{
    if (m->port25 != SCAN_PORT25_UNDECIDED)
        return;
    m->port25 = verdict;
    __atomic_store_n(&m->stats->port25, verdict, __ATOMIC_RELAXED);
    if (verdict == SCAN_PORT25_BLOCKED) {
        fprintf(stderr,
                "mtasts: outbound port 25 looks blocked on this network: none of the first %d "
                "MX hosts probed accepted a TCP connection on any address. Their hosts are "
                "recorded as smtp_unreachable, never as the domains' failures; run the SMTP "
                "checks from a network that allows outbound port 25.\n",
                m->settled);
        for (size_t b = 0; b < MX_BUCKETS; b++)
            for (struct mx_entry *e = m->buckets[b]; e; e = e->hnext)
                if (e->done)
                    mark_unreachable(&e->probe);
    }
    struct domain_task *t = m->held;
    m->held = NULL;
    m->n_held = 0;
    while (t) {
        struct domain_task *next = t->mx_hold_next;
        t->mx_hold_next = NULL;
        hand_over(m, t);
        t = next;
    }
}

/* A domain with every host done: on at once, or held while the port-25 question is open. */
static bool settle_task(struct mx_table *m, struct domain_task *t)
{
    if (m->port25 == SCAN_PORT25_UNDECIDED) {
        t->mx_hold_next = m->held;
        m->held = t;
        m->n_held++;
        return false;
    }
    t->port25_blocked = m->port25 == SCAN_PORT25_BLOCKED;
    return true;
}

void mx_table_wait_begin(struct mx_table *m, struct domain_task *t)
{
    pthread_mutex_lock(&m->lock);
    t->mx_waiting = 1; /* the caller's own guard, dropped by mx_table_wait_end */
    pthread_mutex_unlock(&m->lock);
}

struct sts_mx_probe *mx_table_join(struct mx_table *m, const char *host, struct domain_task *t,
                                   bool *created)
{
    *created = false;
    uint32_t h = host_hash(host);
    pthread_mutex_lock(&m->lock);
    struct mx_entry *e = m->buckets[h & (MX_BUCKETS - 1)];
    while (e && !(e->hash == h && strcmp(e->host, host) == 0))
        e = e->hnext;
    if (e) {
        __atomic_fetch_add(&m->stats->mx_shared, 1, __ATOMIC_RELAXED);
        if (e->done && e->refs == 0)
            lru_remove(m, e);
    } else {
        e = calloc(1, sizeof *e);
        if (!e) {
            pthread_mutex_unlock(&m->lock);
            return NULL;
        }
        snprintf(e->host, sizeof e->host, "%s", host);
        e->probe.host = e->host;
        e->probe.tlsa_rcode = -1;
        e->hash = h;
        e->hnext = m->buckets[h & (MX_BUCKETS - 1)];
        m->buckets[h & (MX_BUCKETS - 1)] = e;
        m->under_way++;
        *created = true;
        __atomic_fetch_add(&m->stats->mx_probes, 1, __ATOMIC_RELAXED);
    }
    if (!e->done) {
        if (e->n_waiters == e->cap_waiters) {
            size_t cap = e->cap_waiters ? e->cap_waiters * 2 : 4;
            struct domain_task **w = realloc(e->waiters, cap * sizeof *w);
            if (!w) {
                pthread_mutex_unlock(&m->lock);
                return NULL; /* the entry stays; a later domain may still use it */
            }
            e->waiters = w;
            e->cap_waiters = cap;
        }
        e->waiters[e->n_waiters++] = t;
        t->mx_waiting++;
    }
    e->refs++;
    pthread_mutex_unlock(&m->lock);
    return &e->probe;
}

bool mx_table_wait_end(struct mx_table *m, struct domain_task *t)
{
    pthread_mutex_lock(&m->lock);
    bool go = --t->mx_waiting == 0 && settle_task(m, t);
    pthread_mutex_unlock(&m->lock);
    return go;
}

void mx_table_done(struct mx_table *m, struct sts_mx_probe *p, bool attempted, bool reached)
{
    struct mx_entry *e = entry_of(p);
    pthread_mutex_lock(&m->lock);
    if (m->port25 == SCAN_PORT25_UNDECIDED) {
        if (reached)
            decide(m, SCAN_PORT25_OPEN);
        else if (attempted && ++m->settled >= m->port25_n)
            decide(m, SCAN_PORT25_BLOCKED);
    }
    if (m->port25 == SCAN_PORT25_BLOCKED)
        mark_unreachable(p);
    e->done = true;
    m->under_way--;
    for (size_t i = 0; i < e->n_waiters; i++) {
        struct domain_task *t = e->waiters[i];
        if (--t->mx_waiting == 0 && settle_task(m, t))
            m->ready(m->ready_ctx, t);
    }
    free(e->waiters);
    e->waiters = NULL;
    e->n_waiters = e->cap_waiters = 0;
    if (e->refs == 0)
        lru_push(m, e);
    pthread_mutex_unlock(&m->lock);
}

void mx_table_release(struct mx_table *m, const struct sts_mx_probe *p)
{
    struct mx_entry *e = entry_of(p);
    pthread_mutex_lock(&m->lock);
    if (e->refs > 0 && --e->refs == 0 && e->done)
        lru_push(m, e);
    pthread_mutex_unlock(&m->lock);
}

void mx_table_idle(struct mx_table *m, size_t active)
{
    if (!m->smtp || __atomic_load_n(&m->stats->port25, __ATOMIC_RELAXED) != SCAN_PORT25_UNDECIDED)
        return;
    pthread_mutex_lock(&m->lock);
    if (m->port25 == SCAN_PORT25_UNDECIDED && m->n_held > 0 && m->under_way == 0 &&
        active <= m->n_held)
        decide(m, m->settled > 0 ? SCAN_PORT25_BLOCKED : SCAN_PORT25_OPEN);
    pthread_mutex_unlock(&m->lock);
}

int mx_table_port25(struct mx_table *m)
{
    pthread_mutex_lock(&m->lock);
    int v = m->port25;
    pthread_mutex_unlock(&m->lock);
    return v;
}
