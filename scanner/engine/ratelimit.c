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
    int count;       /* 0: empty slot */
};

struct ratelimit_perip {
    pthread_mutex_t lock;
    int limit;
    size_t capacity; /* most distinct addresses held at once */
    size_t mask;     /* slots - 1; slots a power of two >= 2 * capacity */
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
    while (m->slots[i].count != 0 && memcmp(m->slots[i].key, key, 17) != 0)
        i = (i + 1) & m->mask;
    return i;
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void remove_slot(struct ratelimit_perip *m, size_t i)
{
    size_t j = i;
    for (;;) {
        m->slots[i].count = 0;
        for (;;) {
            j = (j + 1) & m->mask;
            if (m->slots[j].count == 0)
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

bool ratelimit_perip_acquire(struct ratelimit_perip *m, int family, const void *addr)
{
    uint8_t key[17];
    if (!make_key(family, addr, key))
        return false;
    if (m->limit <= 0)
        return true;
    bool granted = false;
    pthread_mutex_lock(&m->lock);
    size_t i = find_slot(m, key);
    if (m->slots[i].count > 0) {
        if (m->slots[i].count < m->limit) {
            m->slots[i].count++;
            granted = true;
        }
    } else if (m->used < m->capacity) {
        memcpy(m->slots[i].key, key, 17);
        m->slots[i].count = 1;
        m->used++;
        granted = true;
    }
    pthread_mutex_unlock(&m->lock);
    return granted;
}

void ratelimit_perip_release(struct ratelimit_perip *m, int family, const void *addr)
{
    uint8_t key[17];
    if (!make_key(family, addr, key) || m->limit <= 0)
        return;
    pthread_mutex_lock(&m->lock);
    size_t i = find_slot(m, key);
    if (m->slots[i].count > 0 && --m->slots[i].count == 0) {
        remove_slot(m, i);
        m->used--;
    }
    pthread_mutex_unlock(&m->lock);
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
