/* Which failed DNS tries the scanner sends again (see dns_retry.h for the reasons). */
#include "scanner/engine/dns_retry.h"

bool dns_retry_wanted(enum sts_dns_outcome outcome, int tries, int max_tries, size_t n_resolvers)
{
    if (tries >= max_tries)
        return false;
    switch (outcome) {
    case STS_DNS_TIMEOUT:
    case STS_DNS_ERROR:
        return true;
    case STS_DNS_SERVFAIL:
        return n_resolvers > 1;
    default:
        return false;
    }
}
