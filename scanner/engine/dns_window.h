/* The adaptive DNS window: how many queries one worker keeps outstanding, from answer latency and
 * losses. */
#ifndef DNS_WINDOW_H
#define DNS_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A pure controller (no clock, no I/O): the caller reports each finished query (its round
 * trip in ms, and whether it was lost, i.e. timed out), and reads the window.
 *
 * The choice (see scanner/engine/README.md, "Adaptive DNS window"): delay-based with a loss
 * brake, evaluated once per epoch (an epoch ends after `window` answers, about one round
 * trip at full window):
 *  - slow start: the window doubles each epoch until the first sign of congestion;
 *  - loss: more than 1% of the epoch's answers lost (and at least 2) means the resolver
 *    drops what it cannot queue: the window halves (multiplicative decrease), then holds
 *    until every query sent before the cut has ended (a loss is seen only a timeout after
 *    the send: those that follow are old news and do not cut again);
 *  - latency: the smoothed round trip (an average over epochs, 1/4 weight to the newest)
 *    above DNS_WINDOW_RTT_GROWTH x the base round trip (the lowest smoothed value seen,
 *    rising 0.5% per second so it follows a resolver or a network that really got slower)
 *    means queries queue at the resolver without adding throughput: the window shrinks by
 *    15% (the growth must also exceed DNS_WINDOW_RTT_SLACK_MS). At saturation a resolver answers C
 * queries/s whatever the window, and the round trip is window / C: the window settles near twice
 * what keeps the resolver busy, which is the most throughput with the least queueing;
 *  - otherwise it grows by an eighth (at least 1): proportional rather than +1, so a window
 *    that must grow from 32 to 1000 when the network has 100 ms of latency gets there in
 *    about 30 round trips, not 1000.
 * The window stays within [floor, ceiling]. Rare timeouts (a silent server among many good
 * ones) stay below the loss threshold and do not shrink the window.
 *
 * A resolver that drops past a fixed number of waiting queries without answering slower first
 * (Debian's unbound: `wait-limit: 1000` per client address, docs/resolver.md) gives no latency
 * signal, and a loss shows only a timeout after the send: by then the window has grown far past
 * the limit. So a loss cut also learns a cap: the window in effect when the first lost query
 * was sent (looked up in the last DNS_WINDOW_HISTORY epochs), less 10%. The window grows no
 * further than the cap, which rises DNS_WINDOW_CAP_RISE_PER_S per second so the controller
 * probes again, slowly, for a resolver whose limit has gone.
 */

#define DNS_WINDOW_RTT_GROWTH 1.5
/* ... and by at least this much: a few ms of queueing at a resolver on the same machine is
 * what keeps it busy, not a sign of overload, and sub-ms round trips are too noisy to steer by */
#define DNS_WINDOW_RTT_SLACK_MS 5.0
#define DNS_WINDOW_LOSS_FRACTION 0.01
#define DNS_WINDOW_HISTORY 256
#define DNS_WINDOW_CAP_RISE_PER_S 0.01

struct dns_window {
    double w;              /* current window (fractional; dns_window_get rounds down) */
    double floor, ceiling; /* bounds */
    double base_rtt_ms;    /* lowest smoothed round trip, drifting up; 0: none yet */
    double srtt_ms;        /* smoothed round trip over epochs; 0: none yet */
    int64_t base_at_ms;    /* when base_rtt_ms was last set or drifted */
    bool slow_start;
    /* the current epoch */
    uint64_t ep_answers, ep_lost;
    double ep_rtt_sum;
    /* history summary (for the scan's summary and the tests) */
    uint64_t epochs, cuts_loss, cuts_latency, answers, lost;
    double w_min, w_max, w_sum; /* over epochs: min, max, sum (mean = w_sum / epochs) */
    double last_rtt_ms;         /* mean round trip of the last epoch */
    int64_t cut_at_ms;          /* time of the last loss cut */
    double loss_rtt_ms;         /* longest round trip of a lost query (about the timeout) */
    /* the learned cap (0: none yet) and when it last rose */
    double cap;
    int64_t cap_at_ms;
    /* the window of each recent epoch from its start: a ring of DNS_WINDOW_HISTORY */
    struct {
        int64_t at_ms;
        double w;
    } hist[DNS_WINDOW_HISTORY];
    unsigned hist_n, hist_next;
    /* the earliest send time of a loss in the current epoch (for the cap) */
    int64_t ep_first_lost_sent_ms;
};

/* Starts at the floor, in slow start. floor >= 1, ceiling >= floor (clamped if not). */
void dns_window_init(struct dns_window *c, double floor, double ceiling);

/* One finished query at time now_ms (any monotonic clock, ms): its round trip (ms, from send
 * to answer) and whether it was lost (no answer within the try's timeout). Returns true when
 * an epoch ended and the window changed. */
bool dns_window_on_answer(struct dns_window *c, int64_t now_ms, double rtt_ms, bool lost);

/* The window as a number of queries (>= 1). */
size_t dns_window_get(const struct dns_window *c);

#endif
