/* The DNS stage of one worker: a c-ares channel on the worker's event loop, rate-limited,
 * with bounded retries of SERVFAIL and timeouts, answers parsed into the domain's task. */
#include "scanner/engine/dns_stage.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "scanner/engine/addr_policy.h"
#include "scanner/engine/dns_retry.h"
#include "scanner/engine/scan_state.h"
#include "scanner/engine/ratelimit.h"

/* EDNS buffer size of DNS Flag Day 2020: large TXT answers without fragmentation. */
#define DNS_EDNS_SIZE 1232
/* Retry backoff: BASE * 2^(try-1) plus up to half of it in jitter. */
#define DNS_BACKOFF_BASE_MS 200
#define DNS_RCVBUF (4 * 1024 * 1024)

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns_stage *s = data;
    unsigned ev = (readable ? EVL_READ : 0) | (writable ? EVL_WRITE : 0);
    evl_watch(s->loop, fd, EVL_OWNER_ARES, ev);
}

int dns_channel_servers(ares_channel channel, const struct scan_config *cfg, char *err,
                        size_t errlen)
{
    if (cfg->n_resolvers == 0)
        return 0;
    char csv[SCAN_MAX_RESOLVERS * 66] = "";
    size_t len = 0;
    for (size_t i = 0; i < cfg->n_resolvers; i++) {
        int n = snprintf(csv + len, sizeof csv - len, "%s%s", i ? "," : "", cfg->resolvers[i]);
        if (n < 0 || (size_t)n >= sizeof csv - len) {
            snprintf(err, errlen, "too many resolvers");
            return -1;
        }
        len += (size_t)n;
    }
    int rc = ares_set_servers_ports_csv(channel, csv);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "bad --resolver list '%s': %s", csv, ares_strerror(rc));
        return -1;
    }
    return 0;
}

size_t dns_channel_count_servers(ares_channel channel)
{
    struct ares_addr_port_node *list = NULL;
    size_t n = 0;
    if (ares_get_servers_ports(channel, &list) == ARES_SUCCESS)
        for (const struct ares_addr_port_node *p = list; p; p = p->next)
            n++;
    ares_free_data(list);
    return n;
}

int dns_stage_init(struct dns_stage *s, struct evl *loop, const struct scan_config *cfg,
                   struct scan_stats *stats, struct ratelimit *qps, size_t max_waiting,
                   size_t max_outstanding, dns_answer_fn on_answer, void *ctx, char *err,
                   size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->cfg = cfg;
    s->stats = stats;
    s->qps = qps;
    s->on_answer = on_answer;
    s->ctx = ctx;
    s->max_outstanding = max_outstanding ? max_outstanding : 1;
    dns_window_init(&s->win, (double)s->max_outstanding, (double)s->max_outstanding);
    s->jitter_state =
        ((uint64_t)(uintptr_t)s << 1) ^ (uint64_t)evl_now_ms() ^ 0x9e3779b97f4a7c15ULL;
    if (s->jitter_state == 0)
        s->jitter_state = 1;
    s->wait_cap = max_waiting ? max_waiting : 1;
    s->wait = calloc(s->wait_cap, sizeof *s->wait);
    if (!s->wait) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct ares_options opt;
    memset(&opt, 0, sizeof opt);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_EDNSPSZ | ARES_OPT_SOCK_RCVBUF;
    /* NOCHECKRESP: a SERVFAIL or REFUSED answer reaches us as such (ARES_ESERVFAIL,
     * ARES_EREFUSED) instead of marking the resolver dead and ending as a generic error;
     * our own retries (rotating over --resolver) do the failover. */
    opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    opt.timeout = (int)(cfg->dns_timeout_s * 1000);
    if (opt.timeout < 50)
        opt.timeout = 50;
    opt.tries = 1; /* retries are ours: counted, backed off, and rate-limited */
    opt.ednspsz = DNS_EDNS_SIZE;
    /* Answers to a burst of queries arrive together on one UDP socket: a small buffer drops
     * them and turns them into timeouts (the kernel caps this at net.core.rmem_max). */
    opt.socket_receive_buffer_size = DNS_RCVBUF;
    opt.sock_state_cb = sock_state_cb;
    opt.sock_state_cb_data = s;
    if (cfg->n_resolvers > 1)
        mask |= ARES_OPT_ROTATE;
    int rc = ares_init_options(&s->channel, &opt, mask);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: cannot initialise the resolver: %s", ares_strerror(rc));
        free(s->wait);
        s->wait = NULL;
        return -1;
    }
    if (dns_channel_servers(s->channel, cfg, err, errlen) < 0) {
        dns_stage_close(s);
        return -1;
    }
    s->n_servers = dns_channel_count_servers(s->channel);
    return 0;
}

/* The window as the progress line sees it: the sum over workers, kept by deltas. */
static void report_window(struct dns_stage *s)
{
    size_t w = dns_window_get(&s->win);
    if (w == s->win_reported)
        return;
    if (w > s->win_reported)
        __atomic_fetch_add(&s->stats->dns_window, (uint64_t)(w - s->win_reported),
                           __ATOMIC_RELAXED);
    else
        __atomic_fetch_sub(&s->stats->dns_window, (uint64_t)(s->win_reported - w),
                           __ATOMIC_RELAXED);
    s->win_reported = w;
}

void dns_stage_set_floor(struct dns_stage *s, size_t floor)
{
    if (floor < 1)
        floor = 1;
    if (floor > s->max_outstanding)
        floor = s->max_outstanding;
    dns_window_init(&s->win, (double)floor, (double)s->max_outstanding);
    report_window(s);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void atomic_min(volatile uint64_t *p, uint64_t v)
{
    uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while ((cur == 0 || v < cur) &&
           !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

static void atomic_max(volatile uint64_t *p, uint64_t v)
{
    uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v > cur &&
           !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* This worker's window history into the scan's counters (sums over workers). */
static void report_history(struct dns_stage *s)
{
    const struct dns_window *w = &s->win;
    if (!s->stats || w->epochs == 0)
        return;
    atomic_min(&s->stats->dnsw_min, (uint64_t)w->w_min);
    atomic_max(&s->stats->dnsw_max, (uint64_t)w->w_max);
    __atomic_fetch_add(&s->stats->dnsw_sum, (uint64_t)w->w_sum, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->dnsw_epochs, w->epochs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->dnsw_cuts_loss, w->cuts_loss, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->dnsw_cuts_latency, w->cuts_latency, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->dnsw_lost, w->lost, __ATOMIC_RELAXED);
}

void dns_stage_close(struct dns_stage *s)
{
    if (!s->stopping)
        report_history(s);
    s->stopping = true;
    if (s->channel) {
        ares_destroy(s->channel); /* callbacks run with ARES_EDESTRUCTION and are ignored */
        s->channel = NULL;
    }
    free(s->wait);
    s->wait = NULL;
}

bool dns_query_name(enum task_query q, const char *domain, char *buf, size_t buflen)
{
    static const char *const prefix[TASK_Q_COUNT] = {
        [TASK_Q_TXT] = "_mta-sts.", [TASK_Q_MX] = "",        [TASK_Q_TLSRPT] = "_smtp._tls.",
        [TASK_Q_APEX] = "",         [TASK_Q_A] = "mta-sts.", [TASK_Q_AAAA] = "mta-sts.",
    };
    if (q >= TASK_Q_COUNT)
        return false;
    int n = snprintf(buf, buflen, "%s%s", prefix[q], domain);
    return n > 0 && (size_t)n < buflen && n <= 253;
}

static int query_type(enum task_query q)
{
    switch (q) {
    case TASK_Q_MX:
        return ns_t_mx;
    case TASK_Q_A:
        return ns_t_a;
    case TASK_Q_AAAA:
        return ns_t_aaaa;
    default:
        return ns_t_txt;
    }
}

enum sts_dns_outcome dns_outcome_of_status(int status)
{
    switch (status) {
    case ARES_SUCCESS:
        return STS_DNS_OK;
    case ARES_ENODATA:
        return STS_DNS_NODATA;
    case ARES_ENOTFOUND:
        return STS_DNS_NXDOMAIN;
    case ARES_ESERVFAIL:
        return STS_DNS_SERVFAIL;
    case ARES_EREFUSED:
        return STS_DNS_REFUSED;
    case ARES_ETIMEOUT:
        return STS_DNS_TIMEOUT;
    default:
        return STS_DNS_ERROR;
    }
}

static enum sts_dns_outcome parse_txt(struct domain_task *t, enum task_query q,
                                      const unsigned char *abuf, int alen)
{
    struct ares_txt_ext *txt = NULL;
    int rc = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (rc != ARES_SUCCESS)
        return rc == ARES_ENODATA ? STS_DNS_NODATA : STS_DNS_ERROR;
    size_t n = 0;
    for (struct ares_txt_ext *p = txt; p; p = p->next, n++)
        domain_task_add_txt(t, q, p->txt, p->length, p->record_start || n == 0);
    ares_free_data(txt);
    return t->ans[q].n > 0 ? STS_DNS_OK : STS_DNS_NODATA;
}

static enum sts_dns_outcome parse_mx(struct domain_task *t, const unsigned char *abuf, int alen)
{
    struct ares_mx_reply *mx = NULL;
    int rc = ares_parse_mx_reply(abuf, alen, &mx);
    if (rc != ARES_SUCCESS)
        return rc == ARES_ENODATA ? STS_DNS_NODATA : STS_DNS_ERROR;
    for (struct ares_mx_reply *p = mx; p; p = p->next)
        domain_task_add_mx(t, p->host ? p->host : "", p->priority);
    ares_free_data(mx);
    return t->ans[TASK_Q_MX].n > 0 ? STS_DNS_OK : STS_DNS_NODATA;
}

/* The canonical name c-ares reports differs from the name asked when a CNAME was followed. */
static void note_cname(struct domain_task *t, const struct hostent *he)
{
    char asked[TASK_DOMAIN_MAX + 16];
    if (!he || !he->h_name || t->cname.len)
        return;
    if (!dns_query_name(TASK_Q_A, t->domain, asked, sizeof asked))
        return;
    if (strcasecmp(asked, he->h_name) == 0 || strlen(he->h_name) >= TASK_DOMAIN_MAX)
        return;
    domain_task_set_cname(t, he->h_name);
}

static enum sts_dns_outcome parse_addrs(struct domain_task *t, enum task_query q,
                                        const unsigned char *abuf, int alen,
                                        const struct addr_policy *addrs)
{
    struct hostent *he = NULL;
    int family = q == TASK_Q_A ? AF_INET : AF_INET6;
    int rc = family == AF_INET ? ares_parse_a_reply(abuf, alen, &he, NULL, NULL)
                               : ares_parse_aaaa_reply(abuf, alen, &he, NULL, NULL);
    if (rc != ARES_SUCCESS)
        return rc == ARES_ENODATA ? STS_DNS_NODATA : STS_DNS_ERROR;
    note_cname(t, he);
    size_t added = 0;
    for (char **p = he->h_addr_list; p && *p; p++) {
        bool ok = addrs ? addr_policy_permits(addrs, family, *p) : false;
        if (domain_task_add_addr(t, family, *p, !ok))
            added++;
    }
    ares_free_hostent(he);
    return added > 0 ? STS_DNS_OK : STS_DNS_NODATA;
}

enum sts_dns_outcome dns_parse_answer(struct domain_task *t, enum task_query q,
                                      const unsigned char *abuf, int alen,
                                      const struct addr_policy *addrs)
{
    if (!abuf || alen <= 0)
        return STS_DNS_ERROR;
    switch (q) {
    case TASK_Q_MX:
        return parse_mx(t, abuf, alen);
    case TASK_Q_A:
    case TASK_Q_AAAA:
        return parse_addrs(t, q, abuf, alen, addrs);
    default:
        return parse_txt(t, q, abuf, alen);
    }
}

/* xorshift64: retries of many queries that failed together spread out instead of
 * returning to the resolver in one burst. */
static uint64_t jitter(struct dns_stage *s)
{
    uint64_t x = s->jitter_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->jitter_state = x;
    return x;
}

static void enqueue(struct dns_stage *s, struct dns_qref *ref, bool front)
{
    if (s->wait_len == s->wait_cap) {
        /* Cannot happen with the pool sized as documented; fail the query rather than drop it. */
        s->on_answer(s->ctx, ref->task, ref->q, STS_DNS_ERROR);
        return;
    }
    if (front) {
        s->wait_head = (s->wait_head + s->wait_cap - 1) % s->wait_cap;
        s->wait[s->wait_head] = ref;
    } else {
        s->wait[(s->wait_head + s->wait_len) % s->wait_cap] = ref;
    }
    s->wait_len++;
}

static void retry_timer(void *arg)
{
    struct dns_qref *ref = arg;
    if (ref->stage->stopping)
        return;
    enqueue(ref->stage, ref, false);
}

static void query_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct dns_qref *ref = arg;
    struct dns_stage *s = ref->stage;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || s->stopping)
        return;
    s->outstanding--;
    __atomic_fetch_sub(&s->stats->dns_inflight, 1, __ATOMIC_RELAXED);
    /* Every answer (or loss) steers the window: a timeout is a query the resolver (or the
     * path) dropped; any answer, even SERVFAIL, measures the round trip. */
    int64_t t = now_us();
    if (dns_window_on_answer(&s->win, t / 1000, (double)(t - ref->sent_us) / 1000.0,
                             status == ARES_ETIMEOUT))
        report_window(s);
    enum sts_dns_outcome o = dns_outcome_of_status(status);
    if (o == STS_DNS_OK)
        o = dns_parse_answer(ref->task, ref->q, abuf, alen, s->cfg->addrs);
    if (dns_retry_wanted(o, ref->tries, s->cfg->dns_tries, s->n_servers)) {
        int64_t backoff = (int64_t)DNS_BACKOFF_BASE_MS << (ref->tries - 1 < 6 ? ref->tries - 1 : 6);
        backoff += (int64_t)(jitter(s) % (uint64_t)(backoff / 2 + 1));
        __atomic_fetch_add(&s->stats->dns_retries, 1, __ATOMIC_RELAXED);
        if (evl_timer_at(s->loop, evl_now_ms() + backoff, retry_timer, ref) == 0)
            return;
    }
    s->on_answer(s->ctx, ref->task, ref->q, o);
}

static void send_one(struct dns_stage *s, struct dns_qref *ref)
{
    char name[300];
    ref->tries++;
    if (!dns_query_name(ref->q, ref->task->domain, name, sizeof name)) {
        s->on_answer(s->ctx, ref->task, ref->q, STS_DNS_ERROR);
        return;
    }
    s->outstanding++;
    ref->sent_us = now_us();
    __atomic_fetch_add(&s->stats->dns_inflight, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->dns_queries, 1, __ATOMIC_RELAXED);
    ares_query(s->channel, name, ns_c_in, query_type(ref->q), query_cb, ref);
}

void dns_stage_query(struct dns_stage *s, struct dns_qref *ref, bool urgent)
{
    ref->stage = s;
    ref->tries = 0;
    enqueue(s, ref, urgent);
}

int dns_stage_pump(struct dns_stage *s)
{
    size_t limit = dns_window_get(&s->win);
    size_t other = s->other_outstanding ? *s->other_outstanding : 0;
    limit = other < limit ? limit - other : 0; /* the SMTP stage's lookups are pumped first */
    while (s->wait_len > 0 && !s->stopping && s->outstanding < limit) {
        size_t room = limit - s->outstanding;
        size_t want = s->wait_len < room ? s->wait_len : room;
        size_t got = want;
        if (s->qps)
            got = ratelimit_take_n(s->qps, ratelimit_now_ns(), want);
        if (got == 0)
            break;
        for (size_t i = 0; i < got; i++) {
            struct dns_qref *ref = s->wait[s->wait_head];
            s->wait_head = (s->wait_head + 1) % s->wait_cap;
            s->wait_len--;
            send_one(s, ref); /* may enqueue again (synchronous failure): loop re-checks */
        }
    }
    if (s->wait_len == 0 || !s->qps || s->outstanding >= limit)
        return -1;
    uint64_t ns = ratelimit_wait_ns(s->qps, ratelimit_now_ns());
    return (int)((ns + 999999) / 1000000);
}

void dns_stage_io(struct dns_stage *s, int fd, unsigned events)
{
    ares_process_fd(s->channel, (events & EVL_READ) ? fd : ARES_SOCKET_BAD,
                    (events & EVL_WRITE) ? fd : ARES_SOCKET_BAD);
}

void dns_stage_timeouts(struct dns_stage *s)
{
    ares_process_fd(s->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int dns_stage_next_timeout_ms(struct dns_stage *s)
{
    if (s->outstanding == 0)
        return -1;
    struct timeval max = {3600, 0}, tv;
    struct timeval *p = ares_timeout(s->channel, &max, &tv);
    if (!p)
        return -1;
    return (int)(p->tv_sec * 1000 + (p->tv_usec + 999) / 1000);
}
