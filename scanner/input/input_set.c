/* The compact set of domain names (input_set.h): keyed hashes in a lib/hashset. */
#include "scanner/input/input_set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hashset.h"
#include "scanner/input/shard.h"

#define SET_KEY "mtasts-dedup-v1."

struct input_set {
    struct hashset *hashes;
};

static uint64_t set_hash(const char *domain)
{
    return shard_siphash24((const uint8_t *)SET_KEY, domain, strlen(domain));
}

struct input_set *input_set_new(size_t expected)
{
    struct input_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->hashes = hashset_new(expected);
    if (!s->hashes) {
        free(s);
        return NULL;
    }
    return s;
}

void input_set_free(struct input_set *s)
{
    if (!s)
        return;
    hashset_free(s->hashes);
    free(s);
}

int input_set_add(struct input_set *s, const char *domain)
{
    return hashset_add(s->hashes, set_hash(domain));
}

bool input_set_contains(const struct input_set *s, const char *domain)
{
    return hashset_contains(s->hashes, set_hash(domain));
}

size_t input_set_count(const struct input_set *s)
{
    return hashset_count(s->hashes);
}

size_t input_set_bytes(const struct input_set *s)
{
    return hashset_bytes(s->hashes);
}
