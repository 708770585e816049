/* One worker's event loop: epoll over every socket, a timer heap, and a cross-thread wakeup. */
#include "scanner/engine/event_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define EVL_BATCH 256

int64_t evl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t pack(enum evl_owner owner, int fd)
{
    return ((uint64_t)owner << 32) | (uint32_t)fd;
}

int evl_init(struct evl *l, evl_io_fn io, void *io_ctx)
{
    memset(l, 0, sizeof *l);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0)
        return -1;
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->wakefd < 0) {
        close(l->epfd);
        return -1;
    }
    l->io = io;
    l->io_ctx = io_ctx;
    if (evl_watch(l, l->wakefd, EVL_OWNER_WAKE, EVL_READ) < 0) {
        evl_close(l);
        return -1;
    }
    return 0;
}

void evl_close(struct evl *l)
{
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    free(l->timers);
    l->epfd = l->wakefd = -1;
    l->timers = NULL;
    l->n_timers = l->cap_timers = 0;
}

int evl_watch(struct evl *l, int fd, enum evl_owner owner, unsigned events)
{
    if (events == 0) {
        /* The descriptor may already be closed (and so gone from the set): not an error. */
        if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != ENOENT && errno != EBADF)
            return -1;
        return 0;
    }
    struct epoll_event ev = {0};
    ev.events = ((events & EVL_READ) ? EPOLLIN : 0) | ((events & EVL_WRITE) ? EPOLLOUT : 0);
    ev.data.u64 = pack(owner, fd);
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static bool timer_before(const struct evl_timer *a, const struct evl_timer *b)
{
    return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

static void heap_swap(struct evl_timer *h, size_t i, size_t j)
{
    struct evl_timer t = h[i];
    h[i] = h[j];
    h[j] = t;
}

int evl_timer_at(struct evl *l, int64_t at_ms, evl_timer_fn fn, void *arg)
{
    if (l->n_timers == l->cap_timers) {
        size_t cap = l->cap_timers ? l->cap_timers * 2 : 64;
        struct evl_timer *t = realloc(l->timers, cap * sizeof *t);
        if (!t)
            return -1;
        l->timers = t;
        l->cap_timers = cap;
    }
    size_t i = l->n_timers++;
    l->timers[i] = (struct evl_timer){at_ms, l->seq++, fn, arg};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(&l->timers[i], &l->timers[parent]))
            break;
        heap_swap(l->timers, i, parent);
        i = parent;
    }
    return 0;
}

int64_t evl_next_timer(const struct evl *l)
{
    return l->n_timers ? l->timers[0].at_ms : -1;
}

static struct evl_timer heap_pop(struct evl *l)
{
    struct evl_timer top = l->timers[0];
    l->timers[0] = l->timers[--l->n_timers];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1, best = i;
        if (c < l->n_timers && timer_before(&l->timers[c], &l->timers[best]))
            best = c;
        if (c + 1 < l->n_timers && timer_before(&l->timers[c + 1], &l->timers[best]))
            best = c + 1;
        if (best == i)
            break;
        heap_swap(l->timers, i, best);
        i = best;
    }
    return top;
}

size_t evl_run_timers(struct evl *l, int64_t now_ms)
{
    size_t ran = 0;
    while (l->n_timers && l->timers[0].at_ms <= now_ms) {
        struct evl_timer t = heap_pop(l);
        t.fn(t.arg); /* may add timers */
        ran++;
    }
    return ran;
}

static unsigned evl_events(uint32_t ep)
{
    unsigned ev = 0;
    if (ep & (EPOLLIN | EPOLLHUP | EPOLLERR))
        ev |= EVL_READ;
    if (ep & (EPOLLOUT | EPOLLERR))
        ev |= EVL_WRITE;
    return ev;
}

int evl_poll(struct evl *l, int timeout_ms)
{
    struct epoll_event evs[EVL_BATCH];
    int n = epoll_wait(l->epfd, evs, EVL_BATCH, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        enum evl_owner owner = (enum evl_owner)(evs[i].data.u64 >> 32);
        int fd = (int)(uint32_t)evs[i].data.u64;
        if (owner == EVL_OWNER_WAKE) {
            uint64_t v;
            while (read(l->wakefd, &v, sizeof v) > 0) {
            }
        }
        l->io(l->io_ctx, owner, fd, evl_events(evs[i].events));
    }
    return n;
}

void evl_wake(struct evl *l)
{
    uint64_t one = 1;
    ssize_t r = write(l->wakefd, &one, sizeof one);
    (void)r; /* a full counter already wakes the loop */
}
