/* The DNS retry policy: timeouts retried up to --dns-tries, SERVFAIL only with another resolver. */
#include "scanner/engine/dns_retry.h"
#include "tests/unit/tap.h"

int main(void)
{
    printf("1..8\n");
    TAP_CHECK(dns_retry_wanted(STS_DNS_TIMEOUT, 1, 3, 1), "timeout, first try: retried", "no");
    TAP_CHECK(dns_retry_wanted(STS_DNS_TIMEOUT, 2, 3, 1), "timeout, second try: retried", "no");
    TAP_CHECK(!dns_retry_wanted(STS_DNS_TIMEOUT, 3, 3, 1), "timeout, last try: final", "retried");
    TAP_CHECK(!dns_retry_wanted(STS_DNS_SERVFAIL, 1, 3, 1),
              "SERVFAIL with one resolver: final (it cached its verdict)", "retried");
    TAP_CHECK(dns_retry_wanted(STS_DNS_SERVFAIL, 1, 3, 2),
              "SERVFAIL with two resolvers: asked again (the other one)", "no");
    TAP_CHECK(!dns_retry_wanted(STS_DNS_SERVFAIL, 3, 3, 2), "SERVFAIL, last try: final", "retried");
    TAP_CHECK(!dns_retry_wanted(STS_DNS_NXDOMAIN, 1, 3, 2), "NXDOMAIN is an answer", "retried");
    TAP_CHECK(!dns_retry_wanted(STS_DNS_REFUSED, 1, 3, 2), "REFUSED is final", "retried");
    TAP_DONE();
}
