/* A compact set of 64-bit hash values: open addressing, 8 bytes a slot, no keys kept. The
 * caller hashes (with a keyed hash, so inputs cannot aim at collisions) and owns what a
 * collision means: two distinct keys with one hash are one member. */
#ifndef HASHSET_H
#define HASHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sized for `expected` members at 70% load (about 11.4 bytes a member); past 80% load it
 * grows by 1.5x (a transient 2.5x while growing). Not thread-safe: one owner. */
struct hashset;

struct hashset *hashset_new(size_t expected); /* expected: sizing hint, may be 0; NULL: OOM */
void hashset_free(struct hashset *s);
/* Returns 1 when added, 0 when already present, -1 on out-of-memory (the set unchanged).
 * The value 0 is stored as 1 (0 marks an empty slot). */
int hashset_add(struct hashset *s, uint64_t h);
bool hashset_contains(const struct hashset *s, uint64_t h);
size_t hashset_count(const struct hashset *s);
size_t hashset_bytes(const struct hashset *s); /* memory held by the table */

#endif
