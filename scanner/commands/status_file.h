/* `scan --status-file FILE`: the scan's progress as JSON, rewritten atomically, for
 * dashboards and scripts (as zmap's and zgrab2's status feeds). */
#ifndef STATUS_FILE_H
#define STATUS_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "scanner/commands/progress.h"

/* Formats the status object (one line, newline-terminated) into buf; pure. Keys: state
 * ("running" or "finished"), updated (UTC), elapsed_s, done, total (null when unknown),
 * percent, domains_per_s, queries_per_s, dns_queries, dns_retries, https_fetches,
 * in_flight {dns, https}, by_status {...}, eta_s (null when unknown). Returns the length,
 * or 0 when buf is too small. */
size_t status_file_format(char *buf, size_t len, const struct progress_view *v, bool final,
                          const char *updated);

/* Writes the status to path through lib/atomic_file (a reader sees the old or the new
 * file, whole). Returns 0, or -1 with err naming the file and the reason. */
int status_file_write(const char *path, const struct progress_view *v, bool final, char *err,
                      size_t errlen);

#endif
