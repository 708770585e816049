/* Politeness limits: a token bucket for query rates, and a per-destination-IP connection cap. */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Token bucket --------------------------------------------------------------------
 * `rate` tokens per second accrue up to `burst`; each query takes one. Time is passed in
 * (nanoseconds of a monotonic clock, ratelimit_now_ns() in production) so tests drive a
 * fake clock. Shared by every worker thread: all functions lock an internal mutex (a few
 * tens of nanoseconds uncontended, far below one DNS query's cost). */
struct ratelimit {
    pthread_mutex_t lock;
    double rate;  /* tokens per second; <= 0 means unlimited */
    double burst; /* bucket size, >= 1 */
    double tokens;
    uint64_t last_ns;
};

/* Starts full (burst tokens) at now_ns. Choose burst >= rate x the caller's polling period
 * (e.g. rate / 50 for a 20 ms loop tick): tokens beyond the burst are lost, so a smaller
 * burst caps the achieved rate below `rate`. burst < 1 is taken as 1; rate <= 0 disables the
 * limit (every take succeeds). Returns 0, or -1 when the mutex cannot be created. */
int ratelimit_init(struct ratelimit *b, double rate, double burst, uint64_t now_ns);
void ratelimit_destroy(struct ratelimit *b);

/* Takes one token if available. Time going backwards is treated as no time passing. */
bool ratelimit_take(struct ratelimit *b, uint64_t now_ns);

/* Takes up to `want` tokens; returns how many it took (0..want). */
size_t ratelimit_take_n(struct ratelimit *b, uint64_t now_ns, size_t want);

/* Nanoseconds until one token is available (0: now). Unlimited buckets return 0. For an
 * event loop's timeout: ceil to the next millisecond when converting. */
uint64_t ratelimit_wait_ns(struct ratelimit *b, uint64_t now_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t ratelimit_now_ns(void);

/* ---- Connections per destination IP (`--per-ip R`, `--per-ip-conns N`) ------------------
 * A small open-addressing map from address to (connections held, time of the next new
 * connection). Two limits per address: at most `limit` connections at once, and new
 * connections at most `rate` per second, evenly spaced (GCRA with a burst of one: the next
 * connection is due 1/rate after the last one started). An entry disappears when it holds
 * no connection and its next one is due, so the map's size is bounded by the connections in
 * flight plus those started in the last 1/rate seconds; entries past their due time are
 * swept when the map is full. Thread-safe (one mutex). Shared by the HTTPS stage and any
 * other stage that connects to remote hosts (SMTP). */
struct ratelimit_perip;

/* limit: connections allowed per address at once (<= 0: unlimited, acquire always
 * succeeds); capacity: the most distinct addresses in flight at once (e.g. --https-conns).
 * NULL on out-of-memory. */
struct ratelimit_perip *ratelimit_perip_new(int limit, size_t capacity);
void ratelimit_perip_free(struct ratelimit_perip *m);

/* New connections per second per address (<= 0: no rate limit, the default). */
void ratelimit_perip_set_rate(struct ratelimit_perip *m, double per_s);

/* Reserves one connection to the address (family AF_INET: 4 bytes, AF_INET6: 16 bytes).
 * True when granted (release it later); false when the address is at its limit, its next
 * connection is not due yet, or `capacity` distinct addresses are already held: try again
 * later (a caller bounds how long it keeps trying). The _at form takes the time (ns of
 * CLOCK_MONOTONIC, ratelimit_now_ns()), for tests. */
bool ratelimit_perip_acquire(struct ratelimit_perip *m, int family, const void *addr);
bool ratelimit_perip_acquire_at(struct ratelimit_perip *m, int family, const void *addr,
                                uint64_t now_ns);
/* Text form ("192.0.2.1", "2001:db8::1"); false as well for text that is not an address. */
bool ratelimit_perip_acquire_text(struct ratelimit_perip *m, const char *addr);

/* Releases one connection granted by acquire. Releasing an address not held is ignored. */
void ratelimit_perip_release(struct ratelimit_perip *m, int family, const void *addr);
void ratelimit_perip_release_at(struct ratelimit_perip *m, int family, const void *addr,
                                uint64_t now_ns);
void ratelimit_perip_release_text(struct ratelimit_perip *m, const char *addr);

/* Connections currently held to an address, and distinct addresses held. */
int ratelimit_perip_count(struct ratelimit_perip *m, int family, const void *addr);
size_t ratelimit_perip_addresses(struct ratelimit_perip *m);

#endif
