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

/* ---- Connections per destination IP (`--per-ip N`) -------------------------------------
 * A small open-addressing map from address to in-flight count; an entry disappears when
 * its count returns to 0, so its size is bounded by the connections in flight. Thread-safe
 * (one mutex). */
struct ratelimit_perip;

/* limit: connections allowed per address at once (<= 0: unlimited, acquire always
 * succeeds); capacity: the most distinct addresses in flight at once (e.g. --https-conns).
 * NULL on out-of-memory. */
struct ratelimit_perip *ratelimit_perip_new(int limit, size_t capacity);
void ratelimit_perip_free(struct ratelimit_perip *m);

/* Reserves one connection to the address (family AF_INET: 4 bytes, AF_INET6: 16 bytes).
 * True when granted (release it later); false when the address is at its limit, or when
 * `capacity` distinct addresses are already in flight: try again after a release. */
bool ratelimit_perip_acquire(struct ratelimit_perip *m, int family, const void *addr);
/* Text form ("192.0.2.1", "2001:db8::1"); false as well for text that is not an address. */
bool ratelimit_perip_acquire_text(struct ratelimit_perip *m, const char *addr);

/* Releases one connection granted by acquire. Releasing an address not held is ignored. */
void ratelimit_perip_release(struct ratelimit_perip *m, int family, const void *addr);
void ratelimit_perip_release_text(struct ratelimit_perip *m, const char *addr);

/* Connections currently held to an address, and distinct addresses held. */
int ratelimit_perip_count(struct ratelimit_perip *m, int family, const void *addr);
size_t ratelimit_perip_addresses(struct ratelimit_perip *m);

#endif
