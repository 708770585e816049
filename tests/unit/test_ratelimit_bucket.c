/* Unit tests of the token bucket (fake clock) and the per-IP connection map (against a model). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/engine/ratelimit.h"
#include "tests/unit/tap.h"

#define MS 1000000ull
#define SEC 1000000000ull

static void test_bucket(void)
{
    struct ratelimit b;
    uint64_t t = 5 * SEC;
    ratelimit_init(&b, 100, 10, t);
    size_t n = 0;
    while (ratelimit_take(&b, t))
        n++;
    TAP_CHECK(n == 10, "starts with a full burst", "took %zu", n);
    TAP_CHECK(ratelimit_wait_ns(&b, t) == 10 * MS, "next token in 10 ms at 100/s", "wait %llu",
              (unsigned long long)ratelimit_wait_ns(&b, t));
    TAP_CHECK(!ratelimit_take(&b, t + 9 * MS), "not before 10 ms", "took");
    TAP_CHECK(ratelimit_take(&b, t + 10 * MS), "one token at 10 ms", "none");
    TAP_CHECK(!ratelimit_take(&b, t + 10 * MS), "only one", "took");

    /* one simulated second at 1 ms steps: exactly rate tokens */
    t += 10 * MS;
    n = 0;
    for (int i = 1; i <= 1000; i++)
        n += ratelimit_take(&b, t + (uint64_t)i * MS);
    TAP_CHECK(n == 100, "100 tokens in one second", "took %zu", n);

    /* a long pause refills only up to the burst */
    t += 1000 * MS + 60 * SEC;
    TAP_CHECK(ratelimit_take_n(&b, t, 1000) == 10, "refill capped at burst", "wrong");
    /* time going backwards adds nothing and does not underflow */
    TAP_CHECK(!ratelimit_take(&b, t - SEC) && ratelimit_wait_ns(&b, t - SEC) > 0,
              "clock going backwards gives nothing", "took");
    TAP_CHECK(ratelimit_take_n(&b, t + 50 * MS, 3) == 3 &&
                  ratelimit_take_n(&b, t + 50 * MS, 3) == 2,
              "take_n partial", "wrong");
    ratelimit_destroy(&b);

    /* fractional rate: 0.5/s */
    ratelimit_init(&b, 0.5, 1, 0);
    TAP_CHECK(ratelimit_take(&b, 0) && !ratelimit_take(&b, SEC) && ratelimit_take(&b, 2 * SEC),
              "half a token per second", "wrong");
    TAP_CHECK(ratelimit_wait_ns(&b, 2 * SEC) == 2 * SEC, "wait 2 s at 0.5/s", "wait %llu",
              (unsigned long long)ratelimit_wait_ns(&b, 2 * SEC));
    ratelimit_destroy(&b);

    ratelimit_init(&b, 0, 0, 0);
    TAP_CHECK(ratelimit_take_n(&b, 0, 1000000) == 1000000 && ratelimit_wait_ns(&b, 0) == 0,
              "rate 0 is unlimited", "wrong");
    ratelimit_destroy(&b);

    /* a high rate over 10 simulated seconds, steps of 333 us: within one token of rate*time */
    ratelimit_init(&b, 50000, 100, 0);
    n = 0;
    uint64_t now = 0;
    for (; now <= 10 * SEC; now += 333000)
        n += ratelimit_take_n(&b, now, 1000);
    TAP_CHECK(n >= 499990 && n <= 500100, "50000/s sustained over 10 s", "took %zu", n);
    ratelimit_destroy(&b);

    uint64_t a = ratelimit_now_ns(), c = ratelimit_now_ns();
    TAP_CHECK(c >= a && a > 0, "monotonic clock", "wrong");
}

/* Random acquire/release against a simple model, so deletion (backward shift) is exercised. */
static void test_perip_model(void)
{
    enum { ADDRS = 40, STEPS = 200000, LIMIT = 3, CAP = 24 };
    struct ratelimit_perip *m = ratelimit_perip_new(LIMIT, CAP);
    int model[ADDRS] = {0};
    size_t distinct = 0;
    bool ok = true;
    unsigned seed = 12345;
    for (int s = 0; s < STEPS && ok; s++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 8) % ADDRS);
        bool v6 = i % 2;
        uint8_t addr[16] = {0};
        if (v6) {
            addr[0] = 0x20;
            addr[15] = (uint8_t)i;
        } else {
            addr[0] = 192;
            addr[3] = (uint8_t)i;
        }
        int fam = v6 ? AF_INET6 : AF_INET;
        if ((seed >> 20) & 1) {
            bool want = model[i] < LIMIT && (model[i] > 0 || distinct < CAP);
            bool got = ratelimit_perip_acquire(m, fam, addr);
            if (got != want)
                ok = false;
            if (got && model[i]++ == 0)
                distinct++;
        } else {
            ratelimit_perip_release(m, fam, addr);
            if (model[i] > 0 && --model[i] == 0)
                distinct--;
        }
        if (ratelimit_perip_count(m, fam, addr) != model[i] ||
            ratelimit_perip_addresses(m) != distinct)
            ok = false;
    }
    TAP_CHECK(ok, "per-IP map matches its model over 200000 operations", "diverged");
    ratelimit_perip_free(m);
}

static void test_perip_text(void)
{
    struct ratelimit_perip *m = ratelimit_perip_new(2, 4);
    TAP_CHECK(ratelimit_perip_acquire_text(m, "192.0.2.1") &&
                  ratelimit_perip_acquire_text(m, "192.0.2.1") &&
                  !ratelimit_perip_acquire_text(m, "192.0.2.1"),
              "limit 2 per address", "wrong");
    TAP_CHECK(ratelimit_perip_acquire_text(m, "2001:db8::1"), "other address independent",
              "refused");
    ratelimit_perip_release_text(m, "192.0.2.1");
    TAP_CHECK(ratelimit_perip_acquire_text(m, "192.0.2.1"), "slot free after release", "refused");
    TAP_CHECK(!ratelimit_perip_acquire_text(m, "not-an-ip"), "text not an address refused",
              "granted");
    ratelimit_perip_release_text(m, "198.51.100.1"); /* not held: ignored */
    TAP_CHECK(ratelimit_perip_addresses(m) == 2, "two addresses held", "%zu",
              ratelimit_perip_addresses(m));
    ratelimit_perip_free(m);

    m = ratelimit_perip_new(0, 1);
    int granted = 0;
    for (int i = 0; i < 100; i++)
        granted += ratelimit_perip_acquire_text(m, "192.0.2.1");
    TAP_CHECK(granted == 100, "limit 0 is unlimited", "granted %d", granted);
    ratelimit_perip_free(m);
}

/* --per-ip as a rate: new connections per second per address, evenly spaced, with a cap on
 * concurrent ones; entries outlive their connections until the next one is due. */
static void test_perip_rate(void)
{
    uint8_t a[4] = {192, 0, 2, 1}, b[4] = {192, 0, 2, 2};
    struct ratelimit_perip *m = ratelimit_perip_new(8, 4);
    ratelimit_perip_set_rate(m, 10); /* one new connection per 100 ms */
    uint64_t t = 1000 * MS;
    TAP_CHECK(ratelimit_perip_acquire_at(m, AF_INET, a, t), "rate: the first connection is granted",
              "refused");
    TAP_CHECK(!ratelimit_perip_acquire_at(m, AF_INET, a, t + 50 * MS),
              "rate: a second one 50 ms later waits (10/s)", "granted");
    TAP_CHECK(ratelimit_perip_acquire_at(m, AF_INET, a, t + 100 * MS),
              "rate: granted once 100 ms have passed", "refused");
    TAP_CHECK(ratelimit_perip_acquire_at(m, AF_INET, b, t + 100 * MS),
              "rate: another address has its own turn", "refused");
    int granted = 0;
    for (int i = 2; i < 40; i++) /* 10 s at 10/s, 8 at once at most, none released */
        granted += ratelimit_perip_acquire_at(m, AF_INET, a, t + (uint64_t)i * 100 * MS);
    TAP_CHECK(granted == 6 && ratelimit_perip_count(m, AF_INET, a) == 8,
              "rate: never more than --per-ip-conns (8) at once", "granted %d more, held %d",
              granted, ratelimit_perip_count(m, AF_INET, a));
    for (int i = 0; i < 8; i++)
        ratelimit_perip_release_at(m, AF_INET, a, t + 4000 * MS);
    ratelimit_perip_release_at(m, AF_INET, b, t + 150 * MS); /* next due at t + 200 ms */
    TAP_CHECK(ratelimit_perip_addresses(m) == 1,
              "rate: an entry whose next connection is due goes away on release; one not yet due "
              "stays",
              "%zu addresses", ratelimit_perip_addresses(m));
    /* fill the map (capacity 4) with entries not yet due, then one is due: it is swept */
    uint8_t c[4] = {192, 0, 2, 10};
    int held = 0;
    for (int i = 0; i < 6; i++) {
        c[3] = (uint8_t)(10 + i);
        if (ratelimit_perip_acquire_at(m, AF_INET, c, t + 5000 * MS)) {
            ratelimit_perip_release_at(m, AF_INET, c, t + 5000 * MS);
            held++;
        }
    }
    TAP_CHECK(held == 4,
              "rate: capacity (4) bounds the addresses remembered; a due entry is swept for a new "
              "one",
              "%d granted", held);
    c[3] = 99;
    TAP_CHECK(ratelimit_perip_acquire_at(m, AF_INET, c, t + 5200 * MS),
              "rate: a full map sweeps entries that are due and grants a new address", "refused");
    ratelimit_perip_free(m);
    m = ratelimit_perip_new(2, 16); /* no rate: the old concurrent cap */
    bool g1 = ratelimit_perip_acquire_at(m, AF_INET, a, t),
         g2 = ratelimit_perip_acquire_at(m, AF_INET, a, t),
         g3 = ratelimit_perip_acquire_at(m, AF_INET, a, t);
    ratelimit_perip_release_at(m, AF_INET, a, t);
    TAP_CHECK(g1 && g2 && !g3 && ratelimit_perip_acquire_at(m, AF_INET, a, t),
              "no rate: only the concurrent cap applies", "%d %d %d", g1, g2, g3);
    ratelimit_perip_free(m);
}

int main(void)
{
    TAP_PLAN(30);
    test_bucket();
    test_perip_rate();
    test_perip_model();
    test_perip_text();
    TAP_DONE();
}
