/* A compact set of 64-bit hash values (hashset.h): linear probing, fastrange home slots. */
#include "lib/hashset.h"

#include <stdlib.h>

#define HASHSET_MIN_SLOTS 1024

struct hashset {
    uint64_t *slots; /* 0: empty; stored values are never 0 */
    size_t size;     /* number of slots (any integer; fastrange maps values onto it) */
    size_t count;
};

static size_t home(uint64_t h, size_t size)
{
    return (size_t)(((unsigned __int128)h * size) >> 64);
}

/* Inserts a value known not to be present. */
static void place(uint64_t *slots, size_t size, uint64_t h)
{
    size_t i = home(h, size);
    while (slots[i] != 0)
        i = i + 1 == size ? 0 : i + 1;
    slots[i] = h;
}

static int resize(struct hashset *s, size_t size)
{
    uint64_t *slots = calloc(size, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->size; i++)
        if (s->slots[i])
            place(slots, size, s->slots[i]);
    free(s->slots);
    s->slots = slots;
    s->size = size;
    return 0;
}

struct hashset *hashset_new(size_t expected)
{
    struct hashset *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    size_t size =
        expected > HASHSET_MIN_SLOTS * 7 / 10 ? expected / 7 * 10 + 10 : HASHSET_MIN_SLOTS;
    if (resize(s, size) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void hashset_free(struct hashset *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s);
}

/* Index of h, or of the empty slot where the probe for h ends. */
static size_t find(const struct hashset *s, uint64_t h)
{
    size_t i = home(h, s->size);
    while (s->slots[i] != 0 && s->slots[i] != h)
        i = i + 1 == s->size ? 0 : i + 1;
    return i;
}

int hashset_add(struct hashset *s, uint64_t h)
{
    h = h ? h : 1;
    if (s->slots[find(s, h)] == h)
        return 0;
    if ((s->count + 1) * 10 > s->size * 8 && resize(s, s->size + s->size / 2) != 0)
        return -1;
    s->slots[find(s, h)] = h;
    s->count++;
    return 1;
}

bool hashset_contains(const struct hashset *s, uint64_t h)
{
    h = h ? h : 1;
    return s->slots[find(s, h)] == h;
}

size_t hashset_count(const struct hashset *s)
{
    return s->count;
}

size_t hashset_bytes(const struct hashset *s)
{
    return s->size * sizeof *s->slots;
}
