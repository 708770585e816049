/* The compact set of domain names of the reader (dedup) and of `scan --resume` (the domains
 * done): SipHash-2-4 of the normalised name in a lib/hashset. */
#ifndef INPUT_SET_H
#define INPUT_SET_H

#include <stdbool.h>
#include <stddef.h>

/* 64-bit SipHash-2-4 values of the normalised name (key "mtasts-dedup-v1.", distinct from the
 * shard key) in a lib/hashset: 8 bytes a slot. Sized for `expected` at 70% load: about 11.4
 * bytes per expected domain; past 80% load it grows by 1.5x (10 to 15 bytes per domain, a
 * transient 2.5x while growing). Two distinct names collide with probability about
 * n^2 / 2^65 (3e-8 for a million): the later one would be dropped as a duplicate. Not
 * thread-safe: one owner. */
struct input_set;

struct input_set *input_set_new(size_t expected); /* expected: sizing hint, may be 0 */
void input_set_free(struct input_set *s);
/* Returns 1 when added, 0 when already present, -1 on out-of-memory. */
int input_set_add(struct input_set *s, const char *domain);
bool input_set_contains(const struct input_set *s, const char *domain);
size_t input_set_count(const struct input_set *s);
size_t input_set_bytes(const struct input_set *s); /* memory held by the table */

#endif
