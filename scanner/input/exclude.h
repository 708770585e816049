/* The exclude list (`--exclude FILE`): domains, and whole subtrees, the scan must not touch. */
#ifndef EXCLUDE_H
#define EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

/* Entry forms, one per line (blank lines and `#` comments skipped, a `rank,domain` line
 * takes its domain column, so a list can be reused as an exclude file):
 *   example.com      excludes example.com itself and every name below it
 *   .example.com     excludes only the names below example.com, not example.com
 *   *.example.com    the same as .example.com
 * Names are normalised like input domains (case, trailing dot, IDN), so `Exämple.COM.`
 * and `xn--exmple-cua.com` are one entry. Matching costs one hash lookup per label of the
 * domain, independent of the list's size. */
struct exclude_list;

struct exclude_list *exclude_new(void); /* NULL on out-of-memory */
void exclude_free(struct exclude_list *x);

/* Adds one entry (any of the forms above). Returns 0, or -1 with *reason static. */
int exclude_add(struct exclude_list *x, const char *entry, const char **reason);

/* Adds every entry of a file (`-` is not allowed: stdin is for the domain list). A line
 * that is not a valid entry is an error, not skipped: silently ignoring part of an exclude
 * list would scan someone who asked not to be. Returns 0, or -1 with a message naming the
 * file and line in err. */
int exclude_load(struct exclude_list *x, const char *path, char *err, size_t errlen);

/* True when the normalised domain is excluded. Thread-safe for concurrent readers. */
bool exclude_match(const struct exclude_list *x, const char *domain);

/* Number of distinct entries. */
size_t exclude_count(const struct exclude_list *x);

#endif
