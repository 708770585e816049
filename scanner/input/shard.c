/* Deterministic sharding of domains: SipHash-2-4 with a fixed key, the same on every machine. */
#include "scanner/input/shard.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL(v[1], 13);
    v[1] ^= v[0];
    v[0] = ROTL(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = ROTL(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = ROTL(v[1], 17);
    v[1] ^= v[2];
    v[2] = ROTL(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    sip_round(v);
    sip_round(v);
    v[0] ^= m;
}

uint64_t shard_siphash24(const uint8_t key[16], const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                     k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8)
        sip_absorb(v, load_le64(p + i));
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++)
        last |= (uint64_t)p[full + i] << (8 * i);
    sip_absorb(v, last);
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t shard_hash(const char *domain)
{
    return shard_siphash24((const uint8_t *)SHARD_KEY, domain, strlen(domain));
}

unsigned shard_of(const char *domain, unsigned n)
{
    if (n <= 1)
        return 0;
    return (unsigned)(shard_hash(domain) % n);
}

/* Parses 1-7 decimal digits ending at *end; false on anything else. */
static bool parse_uint(const char *s, const char **end, unsigned *out)
{
    unsigned v = 0;
    size_t digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (++digits > 7)
            return false;
        v = v * 10 + (unsigned)(*s - '0');
        s++;
    }
    *end = s;
    *out = v;
    return digits > 0;
}

int shard_parse(const char *spec, unsigned *index, unsigned *count, const char **reason)
{
    const char *p = spec ? spec : "";
    unsigned i, n;
    if (!parse_uint(p, &p, &i) || *p != '/' || !parse_uint(p + 1, &p, &n) || *p != '\0') {
        *reason = "expected I/N with decimal numbers, e.g. 0/4";
        return -1;
    }
    if (n < 1 || n > 1000000) {
        *reason = "shard count N must be between 1 and 1000000";
        return -1;
    }
    if (i >= n) {
        /* The hint names the N given: "3/3" is told 0/3 .. 2/3. */
        static __thread char msg[128];
        snprintf(msg, sizeof msg, "shard index I is 0-based and must be below N (0/%u .. %u/%u)", n,
                 n - 1, n);
        *reason = msg;
        return -1;
    }
    *index = i;
    *count = n;
    return 0;
}
