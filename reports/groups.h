/* Grouping hosts by provider: registered-domain approximation and per-group counters. */
#ifndef REPORT_GROUPS_H
#define REPORT_GROUPS_H

#include <stddef.h>

#include "reports/report.h"

/* Writes the registered domain of `host` into buf (lower case, trailing dot dropped): the
 * last three labels when the last two form a known multi-label public suffix (co.uk,
 * com.au, ...; the built-in list in groups.c), else the last two labels; a host with fewer
 * labels is returned whole. An approximation of the Public Suffix List, documented in
 * reports/README.md. Returns false when host is empty or does not fit in buf. */
bool report_registered_domain(const char *host, char *buf, size_t len);

/* The group named `name`, created with zero counters when new; NULL when out of memory.
 * The pointer is valid until the next call. */
struct report_group *report_groups_get(struct report_groups *g, const char *name);

/* Sorts groups by domains desc, then name asc (the index is dropped; no more gets). */
void report_groups_sort(struct report_groups *g);
void report_groups_free(struct report_groups *g);

#endif
