/* The adaptive DNS window as a pure function: its rules, and simulated resolvers at 0-100 ms
 * latency and with drops. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/engine/dns_window.h"
#include "tests/unit/tap.h"

/* --- the rules ------------------------------------------------------------------------------- */
static void feed(struct dns_window *c, int64_t *now, int n, double rtt, int lost_every)
{
    for (int i = 0; i < n; i++) {
        *now += 1;
        dns_window_on_answer(c, *now, rtt, lost_every > 0 && i % lost_every == 0);
    }
}

static void test_rules(void)
{
    struct dns_window c;
    int64_t now = 0;
    dns_window_init(&c, 16, 1000);
    TAP_CHECK(dns_window_get(&c) == 16, "starts at the floor", "got %zu", dns_window_get(&c));
    feed(&c, &now, 16, 5, 0);
    TAP_CHECK(dns_window_get(&c) == 32, "slow start doubles after one window of answers", "got %zu",
              dns_window_get(&c));
    for (int i = 0; i < 20; i++)
        feed(&c, &now, (int)dns_window_get(&c), 5, 0);
    TAP_CHECK(dns_window_get(&c) == 1000, "never above the ceiling", "got %zu", dns_window_get(&c));
    size_t before = dns_window_get(&c);
    feed(&c, &now, (int)before, 5, 50); /* 2% lost */
    TAP_CHECK(dns_window_get(&c) == before / 2 && c.cuts_loss == 1,
              "losses above 1% halve the window", "%zu -> %zu", before, dns_window_get(&c));
    TAP_CHECK(!c.slow_start, "a loss ends slow start", "still in slow start");
    before = dns_window_get(&c);
    feed(&c, &now, (int)before, 5, 0);
    TAP_CHECK(dns_window_get(&c) == (size_t)(before + before / 8.0),
              "then it grows by an eighth per window", "%zu -> %zu", before, dns_window_get(&c));
    /* a silent server among good ones: one timeout per 500 answers */
    dns_window_init(&c, 16, 1000);
    for (int i = 0; i < 40; i++)
        feed(&c, &now, (int)dns_window_get(&c), 5, 500);
    TAP_CHECK(c.cuts_loss == 0 && dns_window_get(&c) == 1000,
              "rare timeouts (0.2%) do not shrink the window", "%llu cuts, window %zu",
              (unsigned long long)c.cuts_loss, dns_window_get(&c));
    /* latency growth */
    dns_window_init(&c, 16, 1000);
    for (int i = 0; i < 10; i++)
        feed(&c, &now, (int)dns_window_get(&c), 5, 0);
    before = dns_window_get(&c);
    for (int i = 0; i < 6; i++)
        feed(&c, &now, (int)dns_window_get(&c), 50, 0);
    TAP_CHECK(c.cuts_latency > 0 && dns_window_get(&c) < before,
              "a round trip grown 10x shrinks the window", "%zu -> %zu, %llu latency cuts", before,
              dns_window_get(&c), (unsigned long long)c.cuts_latency);
    for (int i = 0; i < 200; i++)
        feed(&c, &now, (int)dns_window_get(&c), 1000, 1); /* everything lost */
    TAP_CHECK(dns_window_get(&c) == 16, "never below the floor", "got %zu", dns_window_get(&c));
    dns_window_init(&c, 0, 0);
    TAP_CHECK(dns_window_get(&c) == 1 && c.ceiling >= c.floor, "bounds are sane (floor >= 1)",
              "window %zu", dns_window_get(&c));
}

/* --- simulated resolver ------------------------------------------------------------------------
 * A resolver that answers C queries/s of CPU (FIFO), then waits 2 x latency (+ jitter) for the
 * authoritative server without using CPU, and holds at most `limit` queries (those beyond are
 * dropped: the client sees a timeout after `timeout_ms`). One client with one controller; time
 * in microseconds. */
struct sim {
    double cap;        /* queries per second */
    double latency_ms; /* one way to the authoritative server */
    double base_ms;    /* the resolver's own work on a miss besides the queue (ms) */
    int limit;         /* queries the resolver holds */
    double timeout_ms; /* the client's per-try timeout */
    double seconds;    /* simulated time */
    /* results over the second half */
    double throughput, loss_fraction, mean_window;
    uint64_t answered, lost;
};

#define SIM_MAX 20000

static uint64_t rng = 88172645463325252ULL;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* A binary heap of pending answers: (time, sent, lost). */
struct ev {
    double at, sent;
    int lost;
};
static struct ev heap[SIM_MAX + 16];
static int hn;
static void push(struct ev e)
{
    int i = hn++;
    heap[i] = e;
    while (i > 0 && heap[(i - 1) / 2].at > heap[i].at) {
        struct ev t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}
static struct ev pop(void)
{
    struct ev top = heap[0];
    heap[0] = heap[--hn];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < hn && heap[l].at < heap[m].at)
            m = l;
        if (r < hn && heap[r].at < heap[m].at)
            m = r;
        if (m == i)
            break;
        struct ev t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
    return top;
}

static void simulate(struct sim *s, double floor, double ceiling)
{
    struct dns_window c;
    dns_window_init(&c, floor, ceiling);
    hn = 0;
    double now = 0, cpu_free = 0, half = s->seconds * 1000 / 2;
    int in_resolver = 0, outstanding = 0;
    double wsum = 0;
    uint64_t wn = 0;
    s->answered = s->lost = 0;
    /* in_resolver is approximated by the outstanding answers that are not losses */
    while (now < s->seconds * 1000) {
        while ((size_t)outstanding < dns_window_get(&c) && hn < SIM_MAX) {
            struct ev e = {.sent = now};
            if (in_resolver >= s->limit) {
                e.at = now + s->timeout_ms;
                e.lost = 1;
            } else {
                double start = cpu_free > now ? cpu_free : now;
                cpu_free = start + 1000.0 / s->cap;
                e.at = cpu_free + s->base_ms + 2 * s->latency_ms * (1 + 0.2 * urand());
                in_resolver++;
            }
            push(e);
            outstanding++;
        }
        struct ev e = pop();
        now = e.at;
        outstanding--;
        if (!e.lost)
            in_resolver--;
        dns_window_on_answer(&c, (int64_t)now, now - e.sent, e.lost);
        if (now >= half) {
            if (e.lost)
                s->lost++;
            else
                s->answered++;
            wsum += (double)dns_window_get(&c);
            wn++;
        }
    }
    double secs = (s->seconds * 1000 - half) / 1000;
    s->throughput = (double)s->answered / secs;
    s->loss_fraction =
        s->answered + s->lost ? (double)s->lost / (double)(s->answered + s->lost) : 0;
    s->mean_window = wn ? wsum / (double)wn : 0;
}

static void test_sim(void)
{
    /* 0 ms: loopback to the authoritative server; the resolver's CPU is the limit */
    struct sim s = {.cap = 6000,
                    .latency_ms = 0,
                    .base_ms = 0.3,
                    .limit = 8192,
                    .timeout_ms = 2000,
                    .seconds = 20};
    simulate(&s, 16, 1000);
    TAP_CHECK(s.throughput >= 0.95 * s.cap && s.lost == 0,
              "0 ms: the resolver's full rate, no loss, far below the ceiling",
              "%.0f q/s of %.0f, %llu lost, window %.0f", s.throughput, s.cap,
              (unsigned long long)s.lost, s.mean_window);
    printf("# 0 ms: %.0f q/s of %.0f, mean window %.0f\n", s.throughput, s.cap, s.mean_window);
    TAP_CHECK(s.mean_window < 500, "0 ms: the window stays small (queueing adds nothing)",
              "mean window %.0f", s.mean_window);
    /* 30 ms one way: the window must grow to about C x 2 x 30 ms = 360 */
    s = (struct sim){.cap = 6000,
                     .latency_ms = 30,
                     .base_ms = 0.3,
                     .limit = 8192,
                     .timeout_ms = 2000,
                     .seconds = 30};
    simulate(&s, 16, 1000);
    printf("# 30 ms: %.0f q/s of %.0f, mean window %.0f\n", s.throughput, s.cap, s.mean_window);
    TAP_CHECK(s.throughput >= 0.9 * s.cap && s.lost == 0,
              "30 ms: at least 90% of the resolver's rate, no loss",
              "%.0f q/s of %.0f, %llu lost, window %.0f", s.throughput, s.cap,
              (unsigned long long)s.lost, s.mean_window);
    /* 100 ms one way: the ceiling (1000) is the limit: 1000 / 0.2 s = 5000 q/s at most */
    s = (struct sim){.cap = 6000,
                     .latency_ms = 100,
                     .base_ms = 0.3,
                     .limit = 8192,
                     .timeout_ms = 2000,
                     .seconds = 60};
    simulate(&s, 16, 1000);
    printf("# 100 ms: %.0f q/s, mean window %.0f\n", s.throughput, s.mean_window);
    TAP_CHECK(s.throughput >= 0.85 * 1000 / 0.22 && s.lost == 0,
              "100 ms: the window reaches the ceiling, throughput near ceiling / round trip",
              "%.0f q/s, window %.0f, %llu lost", s.throughput, s.mean_window,
              (unsigned long long)s.lost);
    /* a resolver that holds 1024 queries and drops the rest, with a ceiling far above it */
    s = (struct sim){.cap = 6000,
                     .latency_ms = 30,
                     .base_ms = 0.3,
                     .limit = 1024,
                     .timeout_ms = 2000,
                     .seconds = 60};
    simulate(&s, 16, 20000);
    printf("# dropping resolver: %.0f q/s, loss %.4f, mean window %.0f\n", s.throughput,
           s.loss_fraction, s.mean_window);
    TAP_CHECK(s.loss_fraction < 0.005 && s.throughput >= 0.8 * s.cap,
              "a resolver that drops beyond 1024 is backed off from (loss < 0.5%, >= 80% rate)",
              "%.0f q/s, loss %.4f, window %.0f", s.throughput, s.loss_fraction, s.mean_window);
    /* Debian's unbound: fast (25,000 q/s) but at most 1,000 queries from one client waiting
     * (wait-limit), at 30 ms: rate x round trip (about 1,600) is above the limit, so the drops
     * come before any latency growth; a ceiling of 4,000 (a user who raised --dns-inflight) */
    s = (struct sim){.cap = 25000,
                     .latency_ms = 30,
                     .base_ms = 0.3,
                     .limit = 1000,
                     .timeout_ms = 2000,
                     .seconds = 60};
    simulate(&s, 16, 4000);
    printf("# wait-limit resolver: %.0f q/s, loss %.4f (%llu lost), mean window %.0f\n",
           s.throughput, s.loss_fraction, (unsigned long long)s.lost, s.mean_window);
    TAP_CHECK(s.loss_fraction < 0.005 && s.throughput >= 0.8 * 1000 / 0.066,
              "a resolver that drops beyond 1,000 waiting (wait-limit) is backed off from",
              "%.0f q/s, loss %.4f, window %.0f", s.throughput, s.loss_fraction, s.mean_window);
    /* a slow resolver at 0 ms: 500 q/s */
    s = (struct sim){.cap = 500,
                     .latency_ms = 0,
                     .base_ms = 0.3,
                     .limit = 1024,
                     .timeout_ms = 2000,
                     .seconds = 40};
    simulate(&s, 16, 5000);
    TAP_CHECK(s.throughput >= 0.95 * s.cap && s.loss_fraction < 0.001,
              "a slow resolver (500 q/s, holds 1024) with a 5000 ceiling: full rate, no loss",
              "%.0f q/s, loss %.4f, window %.0f", s.throughput, s.loss_fraction, s.mean_window);
}

int main(void)
{
    printf("1..17\n");
    test_rules();
    test_sim();
    TAP_DONE();
}
