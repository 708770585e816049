/* The scan engine: a feeder thread, worker threads each running one epoll loop that drives
 * c-ares and libcurl multi, and the calling thread as the single writer that feeds the sink. */
#include "scanner/engine/engine.h"

#include <ares.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanner/engine/addr_policy.h"
#include "scanner/engine/cert_facts.h"
#include "scanner/engine/dns_stage.h"
#include "scanner/engine/domain_task.h"
#include "scanner/engine/fd_limit.h"
#include "scanner/engine/event_loop.h"
#include "scanner/engine/https_stage.h"
#include "scanner/engine/mx_table.h"
#include "scanner/engine/ratelimit.h"
#include "scanner/engine/smtp_stage.h"
#include "rules/sts_classify.h"

#define ENGINE_INBOX 256 /* domains queued per worker by the feeder */
#define ENGINE_MAX_THREADS 256
#define ENGINE_POLL_MAX_MS 250 /* a loop looks at its inbox and the stop flag this often */
#define ENGINE_WRITER_WAIT_MS 100
/* Results queued before a worker wakes the sleeping writer: below that the writer finds them
 * when its wait times out (at most ENGINE_WRITER_WAIT_MS later). Waking it for every result
 * cost two futex calls per domain. */
#define ENGINE_WRITER_BATCH 64
/* Domains a worker takes from its inbox under one lock. */
#define ENGINE_ADMIT_BATCH 32
/* Done MX hosts kept once no domain in flight uses them (mx_table.h): about 5.5 KB each. */
#define ENGINE_MX_KEEP 4096

struct worker_task {
    struct domain_task t;
    struct dns_qref qref[TASK_Q_COUNT];
};

struct inbox_entry {
    char domain[TASK_DOMAIN_MAX];
    long rank;
};

struct engine;

struct worker {
    struct engine *eng;
    pthread_t thread;
    bool started;
    struct evl loop;
    bool loop_ok;
    struct dns_stage dns;
    struct https_stage https;
    struct smtp_stage smtp;
    bool smtp_ok;
    struct worker_task *pool;
    size_t pool_size;
    size_t pool_used;               /* tasks ever taken: the rest of the pool is untouched */
    struct domain_task *free_tasks; /* worker-local */
    size_t active;                  /* tasks running in this worker (not yet finished) */
    size_t n_free;                  /* tasks on free_tasks */

    pthread_mutex_t lock; /* guards the fields below, shared with the feeder and writer */
    struct inbox_entry inbox[ENGINE_INBOX];
    size_t in_head, in_len;
    bool input_done;
    struct domain_task *returned; /* tasks the writer is done with */
    struct domain_task *mx_ready; /* tasks whose MX hosts are all probed (any thread) */
};

struct engine {
    const struct scan_config *cfg;
    struct scan_stats *stats;
    engine_source_fn source;
    void *source_arg;
    engine_sink_fn sink;
    void *sink_arg;
    struct worker *workers;
    int n_workers;
    struct ratelimit qps;
    bool qps_ok;
    struct ratelimit_perip *perip;
    void *cert_store;    /* X509_STORE shared by every connection */
    struct mx_table *mx; /* the MX hosts of the scan; NULL without smtp/dane */
    void *smtp_ctx;      /* SSL_CTX of the SMTP probes */
    size_t active_total; /* domains in flight, all workers (atomic) */

    pthread_t feeder;
    bool feeder_started;
    bool feeder_done; /* atomic accesses only */
    pthread_mutex_t feed_lock;
    pthread_cond_t feed_cond; /* a worker made room in its inbox */

    pthread_mutex_t out_lock;
    pthread_cond_t out_cond; /* a result is queued, or a worker exited */
    struct domain_task *out_head, *out_tail;
    size_t out_len;      /* results queued */
    bool writer_waiting; /* the writer sleeps on out_cond: ENGINE_WRITER_BATCH results wake it */
    int workers_running;
    char failure[256]; /* a worker's fatal error (guarded by out_lock), "" when none */
};

/* Set from a signal handler, read by every thread: a lock-free atomic is both
 * async-signal-safe and race-free (volatile sig_atomic_t is only the former). */
static int stop_requested;
static struct engine *running_engine; /* atomic accesses only */

void engine_stop(void)
{
    __atomic_store_n(&stop_requested, 1, __ATOMIC_RELEASE);
    struct engine *e = __atomic_load_n(&running_engine, __ATOMIC_ACQUIRE);
    if (!e)
        return;
    for (int i = 0; i < e->n_workers; i++)
        if (e->workers[i].loop_ok)
            evl_wake(&e->workers[i].loop);
}

static bool stopping(void)
{
    return __atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE) != 0;
}

/* ---- worker: steps of the state machine ------------------------------------------------ */

static void finish_domain(struct worker *w, struct domain_task *t)
{
    struct engine *e = w->eng;
    t->scanned_at = (int64_t)time(NULL);
    t->next = NULL;
    w->active--;
    __atomic_fetch_sub(&e->active_total, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&e->out_lock);
    if (e->out_tail)
        e->out_tail->next = t;
    else
        e->out_head = t;
    e->out_tail = t;
    /* once per batch: the writer takes the whole queue when it wakes */
    if (++e->out_len == ENGINE_WRITER_BATCH && e->writer_waiting)
        pthread_cond_signal(&e->out_cond);
    pthread_mutex_unlock(&e->out_lock);
}

static void request_mx(struct worker *w, struct domain_task *t);
static void run_steps(struct worker *w, struct domain_task *t, unsigned steps);

/* Drops the references the task holds on shared MX probes (before it is reused). */
static void release_probes(struct worker *w, struct domain_task *t)
{
    for (size_t i = 0; i < t->n_mx_probes; i++)
        mx_table_release(w->eng->mx, t->mx_probes[i]);
    t->n_mx_probes = 0;
}

/* A domain given up without a row (allocation failures): its task goes back to the pool. */
static void drop_domain(struct worker *w, struct domain_task *t)
{
    release_probes(w, t);
    w->active--;
    __atomic_fetch_sub(&w->eng->active_total, 1, __ATOMIC_RELAXED);
    t->next = w->free_tasks;
    w->free_tasks = t;
    w->n_free++;
}

/* At most this many restarts of one domain after allocation failures; then the scan stops
 * (interrupted, resumable) rather than store a verdict made from partial answers. */
#define ENGINE_ALLOC_RETRIES 2

/* Starts (or restarts) a domain on task t. An allocation failure is counted, and the domain is
 * restarted from fresh memory; when that keeps failing the task is dropped without a row and
 * the scan stops, so --resume scans the domain again. */
static void start_domain(struct worker *w, struct domain_task *t, const char *domain, long rank,
                         uint8_t retries)
{
    struct engine *e = w->eng;
    for (;;) {
        if (domain_task_init(t, domain, rank, e->cfg->checks, e->cfg->probe_orphans,
                             evl_now_ms())) {
            t->alloc_retries = retries;
            run_steps(w, t, domain_task_start(t));
            return;
        }
        if (!domain_task_alloc_failed(t))
            break; /* cannot happen: the feeder checked the length */
        __atomic_fetch_add(&e->stats->alloc_failures, 1, __ATOMIC_RELAXED);
        if (retries++ >= ENGINE_ALLOC_RETRIES)
            break;
    }
    drop_domain(w, t);
    if (domain_task_alloc_failed(t)) {
        fprintf(stderr, "mtasts: out of memory scanning %s: stopping (resumable)\n", domain);
        engine_stop();
    }
}

/* A domain finished: restarted when an allocation failed during it, else queued for the
 * writer. */
static void end_domain(struct worker *w, struct domain_task *t)
{
    if (!domain_task_alloc_failed(t)) {
        finish_domain(w, t);
        return;
    }
    struct engine *e = w->eng;
    __atomic_fetch_add(&e->stats->alloc_failures, 1, __ATOMIC_RELAXED);
    char domain[TASK_DOMAIN_MAX];
    snprintf(domain, sizeof domain, "%s", t->domain); /* put first: never lost to the failure */
    uint8_t retries = (uint8_t)(t->alloc_retries + 1);
    if (retries > ENGINE_ALLOC_RETRIES || !domain[0]) {
        drop_domain(w, t);
        fprintf(stderr, "mtasts: out of memory scanning %s: stopping (resumable)\n", domain);
        engine_stop();
        return;
    }
    release_probes(w, t); /* the restart joins its MX hosts again */
    start_domain(w, t, domain, t->rank, retries);
}

static void run_steps(struct worker *w, struct domain_task *t, unsigned steps)
{
    struct worker_task *wt = (struct worker_task *)t;
    /* Queries after a domain's first wave (its policy host) jump the DNS line. */
    bool urgent = t->asked != steps;
    for (int q = 0; q < TASK_Q_COUNT; q++) {
        if (!(steps & TASK_STEP_QUERY(q)))
            continue;
        wt->qref[q].task = t;
        wt->qref[q].q = (enum task_query)q;
        dns_stage_query(&w->dns, &wt->qref[q], urgent);
    }
    if (steps & TASK_STEP_FETCH)
        https_stage_fetch(&w->https, t);
    if (steps & TASK_STEP_MX)
        request_mx(w, t);
    if (steps & TASK_STEP_DONE)
        end_domain(w, t);
}

/* Joins the domain to the shared probe of each of its MX hosts; hosts new to the scan are
 * probed by this worker. The domain goes on when every host is done (at once when all were
 * done already), through mx_ready when the last one finishes elsewhere. */
static void request_mx(struct worker *w, struct domain_task *t)
{
    struct engine *e = w->eng;
    static __thread char names[TASK_MAX_MX][TASK_DOMAIN_MAX];
    size_t n = domain_task_mx_hosts(t, names, TASK_MAX_MX);
    if (n > t->cap_mx_probes) {
        struct sts_mx_probe **p = realloc(t->mx_probes, n * sizeof *p);
        if (!p)
            n = 0; /* out of memory: the domain goes on without its probes */
        else {
            t->mx_probes = p;
            t->cap_mx_probes = (uint16_t)n;
        }
    }
    t->n_mx_probes = 0;
    mx_table_wait_begin(e->mx, t);
    for (size_t i = 0; i < n; i++) {
        bool created = false;
        struct sts_mx_probe *p = mx_table_join(e->mx, names[i], t, &created);
        if (!p)
            continue;
        t->mx_probes[t->n_mx_probes++] = p;
        if (created)
            smtp_stage_probe(&w->smtp, p, e->cfg->checks);
    }
    if (mx_table_wait_end(e->mx, t))
        run_steps(w, t, domain_task_mx_done(t));
}

/* mx_table's ready callback (its lock held, any thread): the task goes back to its worker. */
static void mx_ready(void *ctx, struct domain_task *t)
{
    (void)ctx;
    struct worker *w = t->owner;
    pthread_mutex_lock(&w->lock);
    t->mx_ready_next = w->mx_ready;
    w->mx_ready = t;
    pthread_mutex_unlock(&w->lock);
    evl_wake(&w->loop);
}

static void take_mx_ready(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    struct domain_task *t = w->mx_ready;
    w->mx_ready = NULL;
    pthread_mutex_unlock(&w->lock);
    while (t) {
        struct domain_task *next = t->mx_ready_next;
        t->mx_ready_next = NULL;
        run_steps(w, t, domain_task_mx_done(t));
        t = next;
    }
}

static void on_dns_answer(void *ctx, struct domain_task *t, enum task_query q,
                          enum sts_dns_outcome outcome)
{
    struct worker *w = ctx;
    run_steps(w, t, domain_task_answered(t, q, outcome, evl_now_ms()));
}

static void on_fetch_done(void *ctx, struct domain_task *t)
{
    struct worker *w = ctx;
    run_steps(w, t, domain_task_fetched(t));
}

static void on_io(void *ctx, enum evl_owner owner, int fd, unsigned events)
{
    struct worker *w = ctx;
    if (owner == EVL_OWNER_ARES)
        dns_stage_io(&w->dns, fd, events);
    else if (owner == EVL_OWNER_CURL)
        https_stage_io(&w->https, fd, events);
    else if (owner == EVL_OWNER_MXDNS && w->smtp_ok)
        smtp_stage_dns_io(&w->smtp, fd, events);
    else if (owner == EVL_OWNER_SMTP && w->smtp_ok)
        smtp_stage_io(&w->smtp, fd, events);
}

/* ---- worker: admission and the loop -------------------------------------------------- */

static void take_returned(struct worker *w, bool *input_done)
{
    pthread_mutex_lock(&w->lock);
    struct domain_task *r = w->returned;
    w->returned = NULL;
    *input_done = w->input_done && w->in_len == 0;
    pthread_mutex_unlock(&w->lock);
    while (r) {
        struct domain_task *next = r->next;
        release_probes(w, r); /* the writer is done with the probes */
        r->next = w->free_tasks;
        w->free_tasks = r;
        w->n_free++;
        r = next;
    }
}

/* A task from the free list, else the next never-used one of the pool: pages of the pool
 * are touched only when that many domains are really in flight. */
static struct domain_task *task_get(struct worker *w)
{
    struct domain_task *t = w->free_tasks;
    if (t) {
        w->free_tasks = t->next;
        w->n_free--;
        return t;
    }
    if (w->pool_used >= w->pool_size)
        return NULL;
    t = &w->pool[w->pool_used++].t;
    t->owner = w;
    return t;
}

/* New domains wait in the inbox while the DNS stage already has twice what it may have
 * outstanding queued: admitting them would only hold memory, not speed anything up. */
static bool dns_has_room(const struct worker *w)
{
    return w->dns.wait_len < 2 * w->dns.max_outstanding;
}

/* Takes domains from the inbox in batches (one lock each), as long as the DNS stage has room
 * and tasks are free. The feeder is woken only once the inbox is at most half full: waking it
 * for every slot freed cost a futex wake and a wait per domain. */
static void admit(struct worker *w)
{
    struct engine *e = w->eng;
    bool wake_feeder = false;
    while (!stopping() && dns_has_room(w) && (w->free_tasks || w->pool_used < w->pool_size)) {
        size_t free_tasks = w->n_free + (w->pool_size - w->pool_used);
        size_t want = free_tasks < ENGINE_ADMIT_BATCH ? free_tasks : ENGINE_ADMIT_BATCH;
        struct inbox_entry batch[ENGINE_ADMIT_BATCH];
        size_t got = 0;
        pthread_mutex_lock(&w->lock);
        size_t before = w->in_len;
        while (got < want && w->in_len > 0) {
            batch[got++] = w->inbox[w->in_head];
            w->in_head = (w->in_head + 1) % ENGINE_INBOX;
            w->in_len--;
        }
        if (got && before > ENGINE_INBOX / 2 && w->in_len <= ENGINE_INBOX / 2)
            wake_feeder = true;
        else if (got && w->in_len == 0)
            wake_feeder = true;
        pthread_mutex_unlock(&w->lock);
        if (!got)
            break;
        for (size_t i = 0; i < got; i++) {
            struct domain_task *t = task_get(w); /* got <= free tasks */
            w->active++;
            __atomic_fetch_add(&e->active_total, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&e->stats->started, 1, __ATOMIC_RELAXED);
            start_domain(w, t, batch[i].domain, batch[i].rank, 0);
        }
    }
    if (wake_feeder) {
        pthread_mutex_lock(&e->feed_lock);
        pthread_cond_signal(&e->feed_cond);
        pthread_mutex_unlock(&e->feed_lock);
    }
}

static int min_timeout(int a, int b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

static int until(int64_t at, int64_t now)
{
    if (at < 0)
        return -1;
    return at <= now ? 0 : (int)(at - now);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        if (stopping())
            break;
        bool input_done = false;
        take_returned(w, &input_done);
        take_mx_ready(w);
        admit(w);
        /* MX host lookups first: they finish domains already in flight, and new domains'
         * queries would otherwise take every rate-limit token. */
        int t_smtp = w->smtp_ok ? smtp_stage_pump(&w->smtp) : -1;
        int t_dns = dns_stage_pump(&w->dns);
        int t_https = https_stage_pump(&w->https);
        if (w->eng->mx)
            mx_table_idle(w->eng->mx, __atomic_load_n(&w->eng->active_total, __ATOMIC_RELAXED));
        if (input_done && w->active == 0)
            break;
        int64_t now = evl_now_ms();
        int timeout = ENGINE_POLL_MAX_MS;
        timeout = min_timeout(timeout, t_dns);
        timeout = min_timeout(timeout, t_https);
        timeout = min_timeout(timeout, dns_stage_next_timeout_ms(&w->dns));
        timeout = min_timeout(timeout, until(w->https.timer_at, now));
        timeout = min_timeout(timeout, until(evl_next_timer(&w->loop), now));
        timeout = min_timeout(timeout, t_smtp);
        if (w->smtp_ok)
            timeout = min_timeout(timeout, smtp_stage_next_timeout_ms(&w->smtp, now));
        if (evl_poll(&w->loop, timeout) < 0) {
            /* Its domains cannot finish: stop the scan (resumable) rather than lose them. */
            struct engine *e = w->eng;
            pthread_mutex_lock(&e->out_lock);
            if (!e->failure[0])
                snprintf(e->failure, sizeof e->failure, "worker event loop failed: %m");
            pthread_mutex_unlock(&e->out_lock);
            engine_stop();
            break;
        }
        now = evl_now_ms();
        evl_run_timers(&w->loop, now);
        dns_stage_timeouts(&w->dns);
        if (w->https.timer_at >= 0 && w->https.timer_at <= now)
            https_stage_timer(&w->https);
        if (w->smtp_ok)
            smtp_stage_timeouts(&w->smtp, evl_now_ms());
    }
    struct engine *e = w->eng;
    pthread_mutex_lock(&e->out_lock);
    e->workers_running--;
    pthread_cond_broadcast(&e->out_cond);
    pthread_mutex_unlock(&e->out_lock);
    return NULL;
}

/* ---- feeder --------------------------------------------------------------------------- */

/* Returns false when the inbox is full; *was_empty tells whether the worker needs a wakeup
 * (it looks at a non-empty inbox on every turn of its loop anyway). */
static bool inbox_push(struct worker *w, const char *domain, long rank, bool *was_empty)
{
    bool ok = false;
    pthread_mutex_lock(&w->lock);
    *was_empty = w->in_len == 0;
    if (w->in_len < ENGINE_INBOX) {
        struct inbox_entry *in = &w->inbox[(w->in_head + w->in_len) % ENGINE_INBOX];
        snprintf(in->domain, sizeof in->domain, "%s", domain);
        in->rank = rank;
        w->in_len++;
        ok = true;
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

/* Round-robin over the workers with room; waits for room when every inbox is full. */
static void feed_one(struct engine *e, int *next, const char *domain, long rank)
{
    while (!stopping()) {
        int oldstate;
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &oldstate);
        for (int i = 0; i < e->n_workers; i++) {
            struct worker *w = &e->workers[(*next + i) % e->n_workers];
            bool was_empty;
            if (inbox_push(w, domain, rank, &was_empty)) {
                *next = (*next + i + 1) % e->n_workers;
                if (was_empty)
                    evl_wake(&w->loop); /* one syscall per batch, not per domain */
                pthread_setcancelstate(oldstate, NULL);
                return;
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&e->feed_lock);
        pthread_cond_timedwait(&e->feed_cond, &e->feed_lock, &ts);
        pthread_mutex_unlock(&e->feed_lock);
        pthread_setcancelstate(oldstate, NULL);
    }
}

static void *feeder_main(void *arg)
{
    struct engine *e = arg;
    int next = 0;
    const char *domain;
    long rank;
    while (!stopping() && e->source(e->source_arg, &domain, &rank)) {
        if (!domain || strlen(domain) >= TASK_DOMAIN_MAX)
            continue; /* input.h never returns these: names are at most 253 bytes */
        feed_one(e, &next, domain, rank);
    }
    for (int i = 0; i < e->n_workers; i++) {
        struct worker *w = &e->workers[i];
        pthread_mutex_lock(&w->lock);
        w->input_done = true;
        pthread_mutex_unlock(&w->lock);
        evl_wake(&w->loop);
    }
    __atomic_store_n(&e->feeder_done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* ---- writer: classification and the sink, in the calling thread ------------------------ */

static void return_task(struct domain_task *t)
{
    struct worker *w = t->owner;
    pthread_mutex_lock(&w->lock);
    bool was_empty = w->returned == NULL;
    t->next = w->returned;
    w->returned = t;
    pthread_mutex_unlock(&w->lock);
    if (was_empty) /* the worker drains the whole list on its next turn */
        evl_wake(&w->loop);
}

static bool deliver(struct engine *e, struct domain_task *t, struct domain_task_view *view,
                    struct sts_verdict *verdict)
{
    domain_task_view(t, t->scanned_at, view);
    sts_classify(&view->obs, verdict);
    view->result.verdict = verdict;
    bool go_on = e->sink(e->sink_arg, &view->result);
    __atomic_fetch_add(&e->stats->finished, 1, __ATOMIC_RELAXED);
    if ((unsigned)verdict->status < 8)
        __atomic_fetch_add(&e->stats->by_status[verdict->status], 1, __ATOMIC_RELAXED);
    sts_verdict_free(verdict);
    return go_on;
}

static void writer_loop(struct engine *e)
{
    struct domain_task_view *view = malloc(sizeof *view);
    struct sts_verdict *verdict = malloc(sizeof *verdict);
    if (!view || !verdict) {
        engine_stop();
    }
    for (;;) {
        pthread_mutex_lock(&e->out_lock);
        while (!e->out_head && e->workers_running > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += ENGINE_WRITER_WAIT_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            e->writer_waiting = true;
            pthread_cond_timedwait(&e->out_cond, &e->out_lock, &ts);
            e->writer_waiting = false;
        }
        struct domain_task *batch = e->out_head;
        e->out_head = e->out_tail = NULL;
        e->out_len = 0;
        bool last = !batch && e->workers_running == 0;
        pthread_mutex_unlock(&e->out_lock);
        if (last)
            break;
        while (batch) {
            struct domain_task *next = batch->next;
            if (view && verdict && !deliver(e, batch, view, verdict))
                engine_stop();
            return_task(batch);
            batch = next;
        }
    }
    free(view);
    free(verdict);
}

/* ---- setup and teardown ------------------------------------------------------------- */

static size_t share(int total, int n)
{
    int s = (total + n - 1) / n;
    return s > 0 ? (size_t)s : 1;
}

static int worker_init(struct engine *e, struct worker *w, size_t tasks, size_t transfers,
                       size_t probes, char *err, size_t errlen)
{
    w->eng = e;
    pthread_mutex_init(&w->lock, NULL);
    if (evl_init(&w->loop, on_io, w) < 0) {
        snprintf(err, errlen, "cannot create an event loop: %m");
        return -1;
    }
    w->loop_ok = true;
    w->pool = calloc(tasks, sizeof *w->pool);
    if (!w->pool) {
        snprintf(err, errlen, "out of memory for %zu domains in flight", tasks);
        return -1;
    }
    w->pool_size = tasks; /* calloc: pages stay untouched until task_get() reaches them */
    struct ratelimit *qps = e->qps_ok ? &e->qps : NULL;
    if (dns_stage_init(&w->dns, &w->loop, e->cfg, e->stats, qps, tasks * TASK_Q_COUNT,
                       share(e->cfg->dns_inflight, e->n_workers), on_dns_answer, w, err,
                       errlen) < 0)
        return -1;
    dns_stage_set_floor(&w->dns, share(e->cfg->dns_inflight_min > 0 ? e->cfg->dns_inflight_min
                                                                    : e->cfg->dns_inflight,
                                       e->n_workers));
    if (https_stage_init(&w->https, &w->loop, e->cfg, e->stats, e->perip, e->cert_store, transfers,
                         on_fetch_done, w, err, errlen) < 0)
        return -1;
    if (e->mx) {
        w->smtp_ok = true; /* closed by worker_close even when init fails half-way */
        if (smtp_stage_init(&w->smtp, &w->loop, e->cfg, e->stats, qps, e->perip, e->cert_store,
                            e->smtp_ctx, e->mx, probes, err, errlen) < 0)
            return -1;
        /* one window for both channels to the resolvers: MX host lookups first, within it */
        w->smtp.window = &w->dns.win;
        w->dns.other_outstanding = &w->smtp.dns_outstanding;
    }
    return 0;
}

static void worker_close(struct worker *w)
{
    if (!w->eng)
        return;
    dns_stage_close(&w->dns);
    https_stage_close(&w->https);
    if (w->smtp_ok)
        smtp_stage_close(&w->smtp);
    w->smtp_ok = false;
    if (w->pool)
        for (size_t i = 0; i < w->pool_used; i++)
            domain_task_free(&w->pool[i].t);
    free(w->pool);
    if (w->loop_ok)
        evl_close(&w->loop);
    w->loop_ok = false;
    pthread_mutex_destroy(&w->lock);
}

static int check_config(const struct scan_config *cfg, char *err, size_t errlen)
{
    if (cfg->threads < 1 || cfg->threads > ENGINE_MAX_THREADS) {
        snprintf(err, errlen, "--threads must be 1..%d", ENGINE_MAX_THREADS);
        return -1;
    }
    if (cfg->inflight < 1 || cfg->https_conns < 1 || cfg->dns_inflight < 1 || cfg->smtp_conns < 1) {
        snprintf(err, errlen,
                 "--inflight, --dns-inflight, --https-conns and --smtp-conns must be at least 1");
        return -1;
    }
    if (!cfg->user_agent || !cfg->addrs) {
        snprintf(err, errlen, "engine: user agent and address policy are required");
        return -1;
    }
    if (cfg->ca_file && access(cfg->ca_file, R_OK) != 0) {
        snprintf(err, errlen, "--ca-file %s: %m", cfg->ca_file);
        return -1;
    }
    return 0;
}

static pthread_once_t libs_once = PTHREAD_ONCE_INIT;
static int libs_status;

static void libs_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        libs_status = -1;
    else if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        libs_status = -1;
}

static int engine_setup(struct engine *e, char *err, size_t errlen)
{
    const struct scan_config *cfg = e->cfg;
    pthread_once(&libs_once, libs_init);
    if (libs_status < 0) {
        snprintf(err, errlen, "cannot initialise libcurl or c-ares");
        return -1;
    }
    pthread_mutex_init(&e->feed_lock, NULL);
    pthread_cond_init(&e->feed_cond, NULL);
    pthread_mutex_init(&e->out_lock, NULL);
    pthread_cond_init(&e->out_cond, NULL);
    if (cfg->dns_qps > 0) {
        double burst = cfg->dns_qps / 20 > 1 ? cfg->dns_qps / 20 : 1;
        if (ratelimit_init(&e->qps, cfg->dns_qps, burst, ratelimit_now_ns()) < 0) {
            snprintf(err, errlen, "cannot create the DNS rate limiter");
            return -1;
        }
        e->qps_ok = true;
    }
    e->cert_store = cert_store_new(cfg->ca_file, err, errlen);
    if (!e->cert_store)
        return -1;
    if (cfg->checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE)) {
        e->smtp_ctx = smtp_ssl_ctx_new(e->cert_store, err, errlen);
        if (!e->smtp_ctx)
            return -1;
        e->mx = mx_table_new(ENGINE_MX_KEEP, SCAN_PORT25_PROBES,
                             (cfg->checks & SCAN_CHECK_SMTP) != 0, mx_ready, e, e->stats);
        if (!e->mx) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    /* Port 25 and 443 connections share the per-IP limits: one map for both stages; its
     * capacity: the addresses held plus those whose next connection is not due yet. */
    e->perip = ratelimit_perip_new(cfg->per_ip_conns,
                                   2 * ((size_t)cfg->https_conns + (size_t)cfg->smtp_conns) + 64);
    if (e->perip)
        ratelimit_perip_set_rate(e->perip, cfg->per_ip);
    e->n_workers = cfg->threads;
    e->workers = calloc((size_t)e->n_workers, sizeof *e->workers);
    if (!e->perip || !e->workers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t tasks = share(cfg->inflight, e->n_workers);
    size_t transfers = share(cfg->https_conns, e->n_workers);
    size_t probes = share(cfg->smtp_conns, e->n_workers);
    for (int i = 0; i < e->n_workers; i++)
        if (worker_init(e, &e->workers[i], tasks, transfers, probes, err, errlen) < 0)
            return -1;
    return 0;
}

static void engine_teardown(struct engine *e)
{
    if (e->workers)
        for (int i = 0; i < e->n_workers; i++)
            worker_close(&e->workers[i]);
    free(e->workers);
    mx_table_free(e->mx);
    if (e->smtp_ctx)
        smtp_ssl_ctx_free(e->smtp_ctx);
    if (e->cert_store)
        cert_store_free(e->cert_store);
    if (e->perip)
        ratelimit_perip_free(e->perip);
    if (e->qps_ok)
        ratelimit_destroy(&e->qps);
    pthread_mutex_destroy(&e->feed_lock);
    pthread_cond_destroy(&e->feed_cond);
    pthread_mutex_destroy(&e->out_lock);
    pthread_cond_destroy(&e->out_cond);
}

/* The engine's threads are created with asynchronous signals blocked, so a SIGINT/SIGTERM
 * handler (engine_stop) runs in the calling thread: it can then never run while that same
 * thread tears the engine down, nor interrupt a worker's system calls. */
static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigfillset(&set);
    static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT};
    for (size_t i = 0; i < sizeof sync_sigs / sizeof sync_sigs[0]; i++)
        sigdelset(&set, sync_sigs[i]);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static int start_threads_blocked(struct engine *e, char *err, size_t errlen)
{
    e->workers_running = 0;
    for (int i = 0; i < e->n_workers; i++) {
        pthread_mutex_lock(&e->out_lock);
        e->workers_running++;
        pthread_mutex_unlock(&e->out_lock);
        if (pthread_create(&e->workers[i].thread, NULL, worker_main, &e->workers[i]) != 0) {
            pthread_mutex_lock(&e->out_lock);
            e->workers_running--;
            pthread_mutex_unlock(&e->out_lock);
            snprintf(err, errlen, "cannot start worker thread %d", i);
            return -1;
        }
        e->workers[i].started = true;
    }
    if (pthread_create(&e->feeder, NULL, feeder_main, e) != 0) {
        snprintf(err, errlen, "cannot start the feeder thread");
        return -1;
    }
    e->feeder_started = true;
    return 0;
}

static int start_threads(struct engine *e, char *err, size_t errlen)
{
    sigset_t old;
    block_signals(&old);
    int rc = start_threads_blocked(e, err, errlen);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void join_threads(struct engine *e)
{
    for (int i = 0; i < e->n_workers; i++)
        if (e->workers[i].started)
            pthread_join(e->workers[i].thread, NULL);
    if (e->feeder_started) {
        /* After a stop the feeder may sit in a blocking read of stdin: cancel it there. */
        if (!__atomic_load_n(&e->feeder_done, __ATOMIC_ACQUIRE) && stopping())
            pthread_cancel(e->feeder);
        pthread_join(e->feeder, NULL);
    }
}

int engine_run(const struct scan_config *cfg, engine_source_fn source, void *source_arg,
               engine_sink_fn sink, void *sink_arg, struct scan_stats *stats, char *err,
               size_t errlen)
{
    struct engine e;
    memset(&e, 0, sizeof e);
    e.cfg = cfg;
    e.stats = stats;
    e.source = source;
    e.source_arg = source_arg;
    e.sink = sink;
    e.sink_arg = sink_arg;
    if (err && errlen)
        err[0] = '\0';
    if (check_config(cfg, err, errlen) < 0)
        return -1;
    /* Fault injection for the tests (tests/integration/scan_alloc_failure.sh). */
    const char *fail_at = getenv("MTASTS_TEST_ALLOC_FAIL");
    domain_task_fail_put_at = fail_at ? strtoull(fail_at, NULL, 10) : 0;
    const char *emfile = getenv("MTASTS_TEST_EMFILE");
    https_test_emfile = emfile ? strtol(emfile, NULL, 10) : 0;
    if (fd_limit_ensure(cfg, err, errlen) < 0)
        return -1;
    int rc = engine_setup(&e, err, errlen);
    if (rc == 0) {
        __atomic_store_n(&running_engine, &e, __ATOMIC_RELEASE);
        if (stopping()) /* a signal before the start still stops the scan */
            engine_stop();
        rc = start_threads(&e, err, errlen);
        if (rc < 0)
            engine_stop();
        writer_loop(&e);
        join_threads(&e);
        if (rc == 0 && e.failure[0]) {
            snprintf(err, errlen, "%s", e.failure);
            rc = -1;
        }
        __atomic_store_n(&running_engine, NULL, __ATOMIC_RELEASE);
    }
    engine_teardown(&e);
    return rc;
}

bool engine_stopped(void)
{
    return __atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE) != 0;
}

void engine_stop_reset(void)
{
    __atomic_store_n(&stop_requested, 0, __ATOMIC_RELEASE);
}
