/* One worker's event loop: epoll over every socket, a timer heap, and a cross-thread wakeup. */
#ifndef EVENT_LOOP_H
#define EVENT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who owns a watched descriptor: the loop hands events back with this tag, so c-ares and
 * libcurl sockets share one epoll set without a lookup table. */
enum evl_owner {
    EVL_OWNER_ARES = 1,
    EVL_OWNER_CURL = 2,
    EVL_OWNER_WAKE = 3,
    EVL_OWNER_MXDNS = 4, /* the SMTP stage's c-ares channel */
    EVL_OWNER_SMTP = 5   /* SMTP probe connections */
};

#define EVL_READ 1u
#define EVL_WRITE 2u

typedef void (*evl_timer_fn)(void *arg);
typedef void (*evl_io_fn)(void *ctx, enum evl_owner owner, int fd, unsigned events);

struct evl_timer {
    int64_t at_ms;
    uint64_t seq; /* FIFO order among equal deadlines */
    evl_timer_fn fn;
    void *arg;
};

struct evl {
    int epfd;
    int wakefd; /* eventfd: evl_wake() from any thread */
    evl_io_fn io;
    void *io_ctx;
    struct evl_timer *timers; /* binary min-heap */
    size_t n_timers, cap_timers;
    uint64_t seq;
};

/* Monotonic milliseconds. */
int64_t evl_now_ms(void);

/* Creates the epoll set and the wakeup descriptor. io receives every socket event. Returns 0
 * or -1 (errno set). */
int evl_init(struct evl *l, evl_io_fn io, void *io_ctx);
void evl_close(struct evl *l);

/* Sets the events watched on fd (EVL_READ|EVL_WRITE); 0 removes it. Returns 0 or -1. */
int evl_watch(struct evl *l, int fd, enum evl_owner owner, unsigned events);

/* Runs fn(arg) once at or after at_ms. Timers cannot be cancelled: the callback must check
 * whether it still matters. Returns 0, or -1 on out-of-memory. */
int evl_timer_at(struct evl *l, int64_t at_ms, evl_timer_fn fn, void *arg);

/* Deadline of the earliest timer, or -1 when none. */
int64_t evl_next_timer(const struct evl *l);

/* Runs every timer due at now_ms; returns how many ran. */
size_t evl_run_timers(struct evl *l, int64_t now_ms);

/* Waits up to timeout_ms (-1: forever) for socket events or a wakeup and dispatches them.
 * Returns the number of events, 0 on timeout, -1 on error other than EINTR. A wakeup is
 * consumed here and reported as an event. */
int evl_poll(struct evl *l, int timeout_ms);

/* Async-signal-safe and thread-safe: makes a blocked evl_poll return. */
void evl_wake(struct evl *l);

#endif
