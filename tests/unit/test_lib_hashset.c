/* Unit suite for lib/hashset.c: membership, growth past the sizing hint, the value 0. */
#include <stdint.h>
#include <stdio.h>

#include "lib/hashset.h"
#include "tests/unit/tap.h"

#define PLAN 6

/* splitmix64: distinct, well-spread test values. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int main(void)
{
    printf("1..%d\n", PLAN);
    struct hashset *s = hashset_new(0);
    TAP_CHECK(s && hashset_count(s) == 0 && !hashset_contains(s, mix(1)), "a new set is empty",
              "count %zu", s ? hashset_count(s) : 0);
    TAP_CHECK(hashset_add(s, mix(1)) == 1 && hashset_add(s, mix(1)) == 0 &&
                  hashset_contains(s, mix(1)) && hashset_count(s) == 1,
              "add returns 1, then 0 for the same value", "count %zu", hashset_count(s));
    size_t before = hashset_bytes(s);
    size_t added = 0, missing = 0;
    for (uint64_t i = 2; i <= 100000; i++)
        added += hashset_add(s, mix(i)) == 1;
    for (uint64_t i = 1; i <= 100000; i++)
        missing += !hashset_contains(s, mix(i));
    TAP_CHECK(added == 99999 && missing == 0 && hashset_count(s) == 100000,
              "100000 values past a hint of 0: every one added once and found",
              "added %zu, missing %zu", added, missing);
    TAP_CHECK(hashset_bytes(s) > before && hashset_bytes(s) <= 100000 * 8 * 10 / 8 * 3 / 2 + 8192,
              "the table grew, within 1.5x of 80% load", "%zu bytes", hashset_bytes(s));
    TAP_CHECK(!hashset_contains(s, mix(100001)) && !hashset_contains(s, mix(0)),
              "values never added are absent", "found");
    TAP_CHECK(hashset_add(s, 0) == 1 && hashset_contains(s, 0) && hashset_add(s, 0) == 0,
              "the value 0 is a member like any other", "count %zu", hashset_count(s));
    hashset_free(s);
    TAP_DONE();
}
