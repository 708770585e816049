/* The scan's progress display: a status line rewritten on a terminal, or periodic log lines. */
#include "scanner/commands/progress.h"
#include "scanner/commands/status_file.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "rules/sts_codes.h"

#define PROGRESS_WINDOW 10 /* seconds of history behind the rate */

/* snprintf that never overruns: appends at *off, keeps the result NUL-terminated. */
static void put(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
{
    if (*off + 1 >= buflen)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, buflen - *off, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *off += (size_t)n < buflen - *off ? (size_t)n : buflen - *off - 1;
}

size_t progress_format_duration(char *buf, size_t buflen, double seconds)
{
    size_t off = 0;
    if (buflen == 0)
        return 0;
    buf[0] = '\0';
    if (!(seconds >= 0) || seconds > 1e9) {
        put(buf, buflen, &off, "?");
        return off;
    }
    unsigned long long s = (unsigned long long)(seconds + 0.5);
    if (s >= 3600)
        put(buf, buflen, &off, "%lluh%02llum%02llus", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        put(buf, buflen, &off, "%llum%02llus", s / 60, s % 60);
    else
        put(buf, buflen, &off, "%llus", s);
    return off;
}

size_t progress_format(char *buf, size_t buflen, const struct progress_view *v)
{
    size_t off = 0;
    char d[32];
    if (buflen == 0)
        return 0;
    buf[0] = '\0';
    if (v->total >= 0) {
        double pct = v->total > 0 ? 100.0 * (double)v->done / (double)v->total : 100.0;
        put(buf, buflen, &off, "%llu/%lld %.1f%%", (unsigned long long)v->done, v->total, pct);
    } else {
        put(buf, buflen, &off, "%llu done", (unsigned long long)v->done);
    }
    put(buf, buflen, &off, " %.0f/s", v->rate >= 0 ? v->rate : 0);
    if (v->total >= 0 && (uint64_t)v->total > v->done && v->rate > 0) {
        progress_format_duration(d, sizeof d, (double)((uint64_t)v->total - v->done) / v->rate);
        put(buf, buflen, &off, " ETA %s", d);
    }
    progress_format_duration(d, sizeof d, v->elapsed_s);
    put(buf, buflen, &off, " elapsed %s", d);
    put(buf, buflen, &off, " | in flight dns %llu https %llu", (unsigned long long)v->dns_inflight,
        (unsigned long long)v->https_inflight);
    if (v->smtp_on)
        put(buf, buflen, &off, " smtp %llu | mx %llu probed %llu shared%s",
            (unsigned long long)v->smtp_inflight, (unsigned long long)v->mx_probes,
            (unsigned long long)v->mx_shared,
            v->port25 == SCAN_PORT25_BLOCKED ? " PORT 25 BLOCKED" : "");
    if (v->dns_window)
        put(buf, buflen, &off, " | dns window %llu", (unsigned long long)v->dns_window);
    static const enum sts_status order[] = {STS_STATUS_VALID, STS_STATUS_INVALID,
                                            STS_STATUS_NO_POLICY, STS_STATUS_DOMAIN_NXDOMAIN,
                                            STS_STATUS_DNS_ERROR};
    put(buf, buflen, &off, " |");
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        put(buf, buflen, &off, " %s %llu", sts_status_name(order[i]),
            (unsigned long long)v->by_status[order[i]]);
    if (v->dns_retries)
        put(buf, buflen, &off, " | dns retries %llu", (unsigned long long)v->dns_retries);
    if (v->limits && v->limits[0])
        put(buf, buflen, &off, " | %s", v->limits);
    return off;
}

/* ---- The thread ----------------------------------------------------------------------- */

struct progress {
    struct progress_options opt;
    const struct scan_stats *stats;
    FILE *out;
    bool tty;
    bool running;
    bool stopping;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    long long total;
    double start;
    double hist_t[PROGRESS_WINDOW + 1];
    uint64_t hist_done[PROGRESS_WINDOW + 1];
    uint64_t hist_q[PROGRESS_WINDOW + 1];
    bool quiet;         /* no line printed (the status file may still be written) */
    bool status_failed; /* the status file could not be written (said once) */
    size_t hist_n;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t load(const volatile uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Samples the counters into a view, the rate over the last PROGRESS_WINDOW seconds. */
static void sample(struct progress *p, struct progress_view *v)
{
    const struct scan_stats *s = p->stats;
    double t = now_s();
    memset(v, 0, sizeof *v);
    v->done = load(&s->finished);
    pthread_mutex_lock(&p->lock);
    v->total = p->total;
    pthread_mutex_unlock(&p->lock);
    v->elapsed_s = t - p->start;
    v->dns_inflight = load(&s->dns_inflight);
    v->dns_window = load(&s->dns_window);
    v->https_inflight = load(&s->https_inflight);
    for (int i = 0; i < STS_STATUS_COUNT && i < 5; i++)
        v->by_status[i] = load(&s->by_status[i]);
    v->dns_retries = load(&s->dns_retries);
    v->dns_queries = load(&s->dns_queries);
    v->https_fetches = load(&s->https_fetches);
    v->limits = p->opt.limits;
    v->smtp_on = p->opt.smtp;
    v->smtp_inflight = load(&s->smtp_inflight);
    v->mx_probes = load(&s->mx_probes);
    v->mx_shared = load(&s->mx_shared);
    v->port25 = __atomic_load_n(&s->port25, __ATOMIC_RELAXED);

    if (p->hist_n == PROGRESS_WINDOW + 1) {
        memmove(p->hist_t, p->hist_t + 1, PROGRESS_WINDOW * sizeof p->hist_t[0]);
        memmove(p->hist_done, p->hist_done + 1, PROGRESS_WINDOW * sizeof p->hist_done[0]);
        memmove(p->hist_q, p->hist_q + 1, PROGRESS_WINDOW * sizeof p->hist_q[0]);
        p->hist_n--;
    }
    p->hist_t[p->hist_n] = t;
    p->hist_done[p->hist_n] = v->done;
    p->hist_q[p->hist_n] = v->dns_queries;
    p->hist_n++;
    double dt = t - p->hist_t[0];
    if (dt > 0.2) {
        v->rate = (double)(v->done - p->hist_done[0]) / dt;
        v->qps = (double)(v->dns_queries - p->hist_q[0]) / dt;
    } else if (v->elapsed_s > 0) {
        v->rate = (double)v->done / v->elapsed_s;
        v->qps = (double)v->dns_queries / v->elapsed_s;
    }
}

static unsigned terminal_width(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 0;
}

/* The status file, when asked for: a failure to write it is said once, the scan goes on. */
static void write_status(struct progress *p, const struct progress_view *v, bool final)
{
    if (!p->opt.status_file)
        return;
    char err[512];
    if (status_file_write(p->opt.status_file, v, final, err, sizeof err) < 0 && !p->status_failed) {
        fprintf(stderr, "mtasts scan: --status-file: %s\n", err);
        p->status_failed = true;
    }
}

static void emit(struct progress *p, bool final)
{
    struct progress_view v;
    char line[1024];
    sample(p, &v);
    write_status(p, &v, final);
    if (p->quiet)
        return;
    size_t n = progress_format(line, sizeof line, &v);
    if (p->tty) {
        /* Wider than the terminal would wrap, and \r would then rewrite only the last row. */
        unsigned w = terminal_width(p->out);
        if (w && n >= w)
            line[w - 1] = '\0';
        fprintf(p->out, "\r%s\033[K%s", line, final ? "\n" : "");
    } else {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(p->out, "%s progress: %s\n", stamp, line);
    }
    fflush(p->out);
}

static void *progress_thread(void *arg)
{
    struct progress *p = arg;
    unsigned interval = p->tty ? 1 : (p->opt.interval_s ? p->opt.interval_s : 10);
    unsigned ticks = 0;
    const unsigned status_every = 5; /* seconds between status file rewrites */
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 1;
        int rc = pthread_cond_timedwait(&p->cond, &p->lock, &deadline);
        if (p->stopping)
            break;
        if (rc != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&p->lock);
        ++ticks;
        if (!p->quiet && ticks % interval == 0) {
            emit(p, false);
        } else {
            struct progress_view v;
            sample(p, &v); /* keeps the rate window fed between log lines */
            if (ticks % status_every == 0)
                write_status(p, &v, false);
        }
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct progress *progress_start(const struct progress_options *opt, const struct scan_stats *stats)
{
    struct progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->opt = *opt;
    p->stats = stats;
    p->out = opt->out ? opt->out : stderr;
    p->total = opt->total;
    p->start = now_s();
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    enum progress_mode mode = opt->mode;
    if (mode == PROGRESS_AUTO)
        mode = isatty(fileno(p->out)) ? PROGRESS_TTY : PROGRESS_LOG;
    p->quiet = mode == PROGRESS_QUIET;
    if (p->quiet && !opt->status_file)
        return p;
    p->tty = mode == PROGRESS_TTY;
    if (pthread_create(&p->thread, NULL, progress_thread, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
        free(p);
        return NULL;
    }
    p->running = true;
    return p;
}

void progress_set_total(struct progress *p, long long total)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->total = total;
    pthread_mutex_unlock(&p->lock);
}

void progress_stop(struct progress *p)
{
    if (!p)
        return;
    if (p->running) {
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        emit(p, true);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
}
