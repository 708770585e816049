/* Grouping hosts by provider: registered-domain approximation and per-group counters. */
#ifndef REPORT_GROUPS_H
#define REPORT_GROUPS_H

#include <stddef.h>

#include "reports/report.h"

/* Writes the registered domain of `host` into buf (lower case, trailing dot dropped): one
 * label more than its longest ICANN public suffix in the Public Suffix List (libpsl, with
 * Debian's publicsuffix data when newer than the built-in copy); a host that is itself a
 * public suffix is returned whole. Private suffixes (github.io, ...) are not registries
 * here: user.github.io groups under github.io. Returns false when host is empty or does not
 * fit in buf. */
bool report_registered_domain(const char *host, char *buf, size_t len);

/* The group named `name`, created with zero counters when new; NULL when out of memory.
 * The pointer is valid until the next call. */
struct report_group *report_groups_get(struct report_groups *g, const char *name);

/* Sorts groups by domains desc, then name asc (the index is dropped; no more gets). */
void report_groups_sort(struct report_groups *g);
void report_groups_free(struct report_groups *g);

#endif
