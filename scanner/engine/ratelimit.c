/* Politeness limits: a token bucket for query rates, and a per-destination-IP connection cap. */
#include "scanner/engine/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int ratelimit_init(struct ratelimit *b, double rate, double burst, uint64_t now_ns)
{
    if (pthread_mutex_init(&b->lock, NULL) != 0)
        return -1;
    b->rate = rate;
    b->burst = burst < 1 ? 1 : burst;
    b->tokens = b->burst;
    b->last_ns = now_ns;
    return 0;
}

void ratelimit_destroy(struct ratelimit *b)
{
    pthread_mutex_destroy(&b->lock);
}

/* Adds the tokens accrued since last_ns. Caller holds the lock. */
static void refill(struct ratelimit *b, uint64_t now_ns)
{
    if (now_ns <= b->last_ns)
        return;
    double add = (double)(now_ns - b->last_ns) * 1e-9 * b->rate;
    b->tokens = fmin(b->burst, b->tokens + add);
    b->last_ns = now_ns;
}

size_t ratelimit_take_n(struct ratelimit *b, uint64_t now_ns, size_t want)
{
    if (b->rate <= 0)
        return want;
    pthread_mutex_lock(&b->lock);
    refill(b, now_ns);
    size_t avail = b->tokens >= 1 ? (size_t)b->tokens : 0;
    size_t got = avail < want ? avail : want;
    b->tokens -= (double)got;
    pthread_mutex_unlock(&b->lock);
    return got;
}

bool ratelimit_take(struct ratelimit *b, uint64_t now_ns)
{
    return ratelimit_take_n(b, now_ns, 1) == 1;
}

uint64_t ratelimit_wait_ns(struct ratelimit *b, uint64_t now_ns)
{
    if (b->rate <= 0)
        return 0;
    pthread_mutex_lock(&b->lock);
    refill(b, now_ns);
    double missing = 1.0 - b->tokens;
    pthread_mutex_unlock(&b->lock);
    if (missing <= 0)
        return 0;
    return (uint64_t)ceil(missing / b->rate * 1e9);
}

uint64_t ratelimit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- Connections per destination IP ------------------------------------------------- */

struct perip_slot {
    uint8_t key[17]; /* family tag (4 or 6) then 16 address bytes, zero-padded */
    bool live;       /* false: empty slot */
    int count;       /* connections held */
    uint64_t tat_ns; /* the earliest time of the next new connection (GCRA's theoretical
                        arrival time); an entry with count 0 lives until then */
};

struct ratelimit_perip {
    pthread_mutex_t lock;
    int limit;
    uint64_t interval_ns; /* 1 / rate; 0: no rate limit */
    size_t capacity;      /* most distinct addresses held at once */
    size_t mask;          /* slots - 1; slots a power of two >= 2 * capacity */
    size_t used;
    struct perip_slot *slots;
};

struct ratelimit_perip *ratelimit_perip_new(int limit, size_t capacity)
{
    struct ratelimit_perip *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (capacity < 1)
        capacity = 1;
    size_t slots = 16;
    while (slots < 2 * capacity)
        slots *= 2;
    m->slots = calloc(slots, sizeof *m->slots);
    if (!m->slots || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m->slots);
        free(m);
        return NULL;
    }
    m->limit = limit;
    m->capacity = capacity;
    m->mask = slots - 1;
    return m;
}

void ratelimit_perip_free(struct ratelimit_perip *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->slots);
    free(m);
}

static bool make_key(int family, const void *addr, uint8_t key[17])
{
    memset(key, 0, 17);
    if (!addr)
        return false;
    if (family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, addr, 4);
        return true;
    }
    if (family == AF_INET6) {
        key[0] = 6;
        memcpy(key + 1, addr, 16);
        return true;
    }
    return false;
}

static size_t key_hash(const uint8_t key[17])
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a 64 */
    for (int i = 0; i < 17; i++) {
        h ^= key[i];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 29));
}

/* The slot holding key, or the empty slot where it would go. Caller holds the lock. The
 * table is never full (slots >= 2 * capacity >= 2 * used), so the probe ends. */
static size_t find_slot(const struct ratelimit_perip *m, const uint8_t key[17])
{
    size_t i = key_hash(key) & m->mask;
    while (m->slots[i].live && memcmp(m->slots[i].key, key, 17) != 0)
        i = (i + 1) & m->mask;
    return i;
}

void ratelimit_perip_set_rate(struct ratelimit_perip *m, double per_s)
{
    pthread_mutex_lock(&m->lock);
    m->interval_ns = per_s > 0 ? (uint64_t)(1e9 / per_s) : 0;
    pthread_mutex_unlock(&m->lock);
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void remove_slot(struct ratelimit_perip *m, size_t i)
{
    size_t j = i;
    for (;;) {
        m->slots[i].live = false;
        m->slots[i].count = 0;
        for (;;) {
            j = (j + 1) & m->mask;
            if (!m->slots[j].live)
                return;
            size_t home = key_hash(m->slots[j].key) & m->mask;
            /* Move j back to i unless its home lies cyclically in (i, j]. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        m->slots[i] = m->slots[j];
        i = j;
    }
}

/* Drops the entries that hold nothing and whose next connection is due (the table is full
 * of recently used addresses). Caller holds the lock. */
static void sweep(struct ratelimit_perip *m, uint64_t now_ns)
{
    for (size_t i = 0; i <= m->mask; i++) {
        while (m->slots[i].live && m->slots[i].count == 0 && m->slots[i].tat_ns <= now_ns) {
            remove_slot(m, i); /* may move another entry into i: look at it too */
            m->used--;
        }
    }
}

bool ratelimit_perip_acquire_at(struct ratelimit_perip *m, int family, const void *addr,
                                uint64_t now_ns)
{
    uint8_t key[17];
    if (!make_key(family, addr, key))
        return false;
    if (m->limit <= 0 && m->interval_ns == 0)
        return true;
    bool granted = false;
    pthread_mutex_lock(&m->lock);
    size_t i = find_slot(m, key);
    if (!m->slots[i].live && m->used >= m->capacity) {
        sweep(m, now_ns);
        i = find_slot(m, key);
    }
    struct perip_slot *e = &m->slots[i];
    if (e->live) {
        if ((m->limit <= 0 || e->count < m->limit) && e->tat_ns <= now_ns) {
            e->count++;
            e->tat_ns = now_ns + m->interval_ns;
            granted = true;
        }
    } else if (m->used < m->capacity) {
        memcpy(e->key, key, 17);
        e->live = true;
        e->count = 1;
        e->tat_ns = now_ns + m->interval_ns;
        m->used++;
        granted = true;
    }
    pthread_mutex_unlock(&m->lock);
    return granted;
}

bool ratelimit_perip_acquire(struct ratelimit_perip *m, int family, const void *addr)
{
    return ratelimit_perip_acquire_at(m, family, addr, ratelimit_now_ns());
}

void ratelimit_perip_release_at(struct ratelimit_perip *m, int family, const void *addr,
                                uint64_t now_ns)
{
    uint8_t key[17];
    if (!make_key(family, addr, key) || (m->limit <= 0 && m->interval_ns == 0))
        return;
    pthread_mutex_lock(&m->lock);
    size_t i = find_slot(m, key);
    struct perip_slot *e = &m->slots[i];
    if (e->live && e->count > 0 && --e->count == 0 && e->tat_ns <= now_ns) {
        remove_slot(m, i);
        m->used--;
    }
    pthread_mutex_unlock(&m->lock);
}

void ratelimit_perip_release(struct ratelimit_perip *m, int family, const void *addr)
{
    ratelimit_perip_release_at(m, family, addr, ratelimit_now_ns());
}

int ratelimit_perip_count(struct ratelimit_perip *m, int family, const void *addr)
{
    uint8_t key[17];
    if (!make_key(family, addr, key))
        return 0;
    pthread_mutex_lock(&m->lock);
    int n = m->slots[find_slot(m, key)].count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

size_t ratelimit_perip_addresses(struct ratelimit_perip *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->used;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static int text_addr(const char *text, uint8_t out[16])
{
    if (text && inet_pton(AF_INET, text, out) == 1)
        return AF_INET;
    if (text && inet_pton(AF_INET6, text, out) == 1)
        return AF_INET6;
    return 0;
}

bool ratelimit_perip_acquire_text(struct ratelimit_perip *m, const char *addr)
{
    uint8_t a[16];
    int family = text_addr(addr, a);
    return family && ratelimit_perip_acquire(m, family, a);
}

void ratelimit_perip_release_text(struct ratelimit_perip *m, const char *addr)
{
    uint8_t a[16];
    int family = text_addr(addr, a);
    if (family)
        ratelimit_perip_release(m, family, a);
}
