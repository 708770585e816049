/* The adaptive DNS window: how many queries one worker keeps outstanding, from answer latency and
 * losses. */
#include "scanner/engine/dns_window.h"

/* How fast the base round trip may rise (per second): slow enough that a queue building at
 * the resolver shows as growth, fast enough to follow a resolver that got slower. */
#define BASE_DRIFT_PER_S 0.005
#define SRTT_WEIGHT 0.25
#define CUT_LOSS 0.5
#define CUT_LATENCY 0.85
#define GROW 0.125

static double clamp(const struct dns_window *c, double w)
{
    double top = c->cap > 0 && c->cap < c->ceiling ? c->cap : c->ceiling;
    if (top < c->floor)
        top = c->floor;
    return w < c->floor ? c->floor : w > top ? top : w;
}

/* The window in effect at time t_ms (the last epoch that started at or before it). */
static double window_at(const struct dns_window *c, int64_t t_ms)
{
    double w = c->w;
    for (unsigned k = 0; k < c->hist_n; k++) {
        unsigned i = (c->hist_next + DNS_WINDOW_HISTORY - 1 - k) % DNS_WINDOW_HISTORY;
        w = c->hist[i].w;
        if (c->hist[i].at_ms <= t_ms)
            break;
    }
    return w;
}

static void remember(struct dns_window *c, int64_t now_ms)
{
    c->hist[c->hist_next].at_ms = now_ms;
    c->hist[c->hist_next].w = c->w;
    c->hist_next = (c->hist_next + 1) % DNS_WINDOW_HISTORY;
    if (c->hist_n < DNS_WINDOW_HISTORY)
        c->hist_n++;
}

void dns_window_init(struct dns_window *c, double floor, double ceiling)
{
    *c = (struct dns_window){0};
    c->floor = floor < 1 ? 1 : floor;
    c->ceiling = ceiling < c->floor ? c->floor : ceiling;
    c->w = c->floor;
    c->slow_start = true;
    c->w_min = c->w_max = c->w;
    c->ep_first_lost_sent_ms = INT64_MAX;
}

size_t dns_window_get(const struct dns_window *c)
{
    return c->w < 1 ? 1 : (size_t)c->w;
}

static void end_epoch(struct dns_window *c, int64_t now_ms)
{
    uint64_t got = c->ep_answers - c->ep_lost;
    double mean = got ? c->ep_rtt_sum / (double)got : 0;
    bool loss =
        c->ep_lost >= 2 && (double)c->ep_lost > DNS_WINDOW_LOSS_FRACTION * (double)c->ep_answers;
    if (got) {
        c->last_rtt_ms = mean;
        c->srtt_ms = c->srtt_ms <= 0 ? mean : (1 - SRTT_WEIGHT) * c->srtt_ms + SRTT_WEIGHT * mean;
        if (c->base_rtt_ms <= 0 || c->srtt_ms < c->base_rtt_ms) {
            c->base_rtt_ms = c->srtt_ms;
            c->base_at_ms = now_ms;
        } else if (now_ms > c->base_at_ms) {
            c->base_rtt_ms *= 1 + BASE_DRIFT_PER_S * (double)(now_ms - c->base_at_ms) / 1000.0;
            c->base_at_ms = now_ms;
        }
    }
    if (c->cap > 0 && now_ms > c->cap_at_ms) {
        c->cap *= 1 + DNS_WINDOW_CAP_RISE_PER_S * (double)(now_ms - c->cap_at_ms) / 1000.0;
        c->cap_at_ms = now_ms;
    }
    if (loss) {
        double learned = 0.9 * window_at(c, c->ep_first_lost_sent_ms);
        if (c->cap <= 0 || learned < c->cap)
            c->cap = learned < c->floor ? c->floor : learned;
        c->cap_at_ms = now_ms;
        c->w = clamp(c, c->w * CUT_LOSS);
        c->slow_start = false;
        c->cuts_loss++;
        c->cut_at_ms = now_ms;
    } else if (now_ms < c->cut_at_ms + (int64_t)c->loss_rtt_ms) {
        /* after a loss cut, hold until every query sent before it has ended: their losses
         * are old news, and growing now would overshoot again */
    } else if (got && c->srtt_ms > DNS_WINDOW_RTT_GROWTH * c->base_rtt_ms &&
               c->srtt_ms > c->base_rtt_ms + DNS_WINDOW_RTT_SLACK_MS) {
        c->w = clamp(c, c->w * CUT_LATENCY);
        c->slow_start = false;
        c->cuts_latency++;
    } else if (c->slow_start) {
        c->w = clamp(c, c->w * 2);
    } else {
        double step = c->w * GROW;
        c->w = clamp(c, c->w + (step < 1 ? 1 : step));
    }
    c->epochs++;
    if (c->w < c->w_min)
        c->w_min = c->w;
    if (c->w > c->w_max)
        c->w_max = c->w;
    c->w_sum += c->w;
    c->ep_answers = c->ep_lost = 0;
    c->ep_rtt_sum = 0;
    c->ep_first_lost_sent_ms = INT64_MAX;
    remember(c, now_ms);
}

bool dns_window_on_answer(struct dns_window *c, int64_t now_ms, double rtt_ms, bool lost)
{
    c->answers++;
    c->ep_answers++;
    if (lost) {
        c->lost++;
        if (rtt_ms > c->loss_rtt_ms)
            c->loss_rtt_ms = rtt_ms;
        /* a loss of a query sent before the last cut was already answered by that cut */
        int64_t sent = now_ms - (int64_t)rtt_ms;
        if (c->cuts_loss == 0 || sent >= c->cut_at_ms) {
            c->ep_lost++;
            if (sent < c->ep_first_lost_sent_ms)
                c->ep_first_lost_sent_ms = sent;
        }
    } else {
        c->ep_rtt_sum += rtt_ms < 0 ? 0 : rtt_ms;
    }
    if ((double)c->ep_answers < c->w)
        return false;
    double before = c->w;
    end_epoch(c, now_ms);
    return c->w != before;
}
