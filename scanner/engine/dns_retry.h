/* Which failed DNS tries the scanner sends again: the one retry policy of the DNS stages. */
#ifndef DNS_RETRY_H
#define DNS_RETRY_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/sts_codes.h"

/*
 * Whether a lookup whose try number `tries` (1 = the first) ended in `outcome` is sent again,
 * given --dns-tries `max_tries` and the number of resolvers the channel rotates over.
 *
 *  - timeout and local errors: retried up to max_tries (a lost packet, a resolver that was
 *    busy): the next try may well be answered;
 *  - SERVFAIL: retried only when there is another resolver to ask. A recursive resolver says
 *    SERVFAIL after it has itself retried the authoritative servers (or when DNSSEC validation
 *    failed), and it caches that verdict: unbound 1.17 answered a repeated SERVFAIL for a
 *    lame delegation in 0 ms, three times within a second and again 5 s later (the world's
 *    dns-servfail scenario). Asking the same resolver again within a scan's backoff (200-600
 *    ms) cannot change the answer; it only held every such domain 0.6-0.9 s, and the scan's
 *    end with it. glibc's stub and dig do the same: SERVFAIL moves to the next server.
 *  - anything else (an answer, NXDOMAIN, NODATA, REFUSED, a malformed answer) is final.
 */
bool dns_retry_wanted(enum sts_dns_outcome outcome, int tries, int max_tries, size_t n_resolvers);

#endif
