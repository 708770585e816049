/* The scan-wide table of MX hosts: each distinct host probed once and shared by every domain
 * that uses it, the domains waiting on hosts under way, and the port-25-blocked decision. */
#ifndef MX_TABLE_H
#define MX_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/sts_delivery.h"

struct domain_task;
struct scan_stats;

/* Called (with the table's lock held) when a domain has every MX host done and may go on:
 * hands it to the worker that owns it (which must not call back into the table there). */
typedef void (*mx_ready_fn)(void *ctx, struct domain_task *t);

struct mx_table;

/* keep: done hosts kept once no domain in flight uses them (least recently used evicted
 * beyond it; a later domain with an evicted host probes it again). Memory is then bounded by
 * (keep + hosts used by domains in flight) x about 5.5 KB. port25_n: probes that decide
 * whether outbound port 25 is blocked (SCAN_PORT25_PROBES). NULL on out-of-memory. */
struct mx_table *mx_table_new(size_t keep, int port25_n, bool smtp, mx_ready_fn ready,
                              void *ready_ctx, struct scan_stats *stats);
void mx_table_free(struct mx_table *m); /* every entry; no domain may use them any more */

/* Begins a domain's wait: while it holds the table, hosts done elsewhere cannot release it. */
void mx_table_wait_begin(struct mx_table *m, struct domain_task *t);

/* The probe of `host` (lower case, no trailing dot) for domain t, with a reference held for
 * t (release with mx_table_release). *created: the host is new, the caller must probe it and
 * call mx_table_done. While it is not done, t waits on it. NULL on out-of-memory. */
struct sts_mx_probe *mx_table_join(struct mx_table *m, const char *host, struct domain_task *t,
                                   bool *created);

/* Ends the joins of t: when nothing is left to wait for, t is ready at once (returns true:
 * the caller goes on with it itself; ready is not called) unless it is held for the port-25
 * decision (returns false: ready is called later). */
bool mx_table_wait_end(struct mx_table *m, struct domain_task *t);

/* The prober finished the host: attempted = some address got a connection attempt,
 * reached = some address accepted TCP. Domains waiting only on it become ready (or held
 * until the port-25 decision). The probe must not change after this. */
void mx_table_done(struct mx_table *m, struct sts_mx_probe *p, bool attempted, bool reached);

/* Drops t's reference. */
void mx_table_release(struct mx_table *m, const struct sts_mx_probe *p);

/* Called by the workers when nothing else could add a probe (every domain in flight is
 * held and no host is under way): decides with the probes there are. active: domains in
 * flight, all workers. */
void mx_table_idle(struct mx_table *m, size_t active);

/* enum scan_port25 */
int mx_table_port25(struct mx_table *m);

#endif
