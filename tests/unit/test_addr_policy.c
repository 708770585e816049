/* Unit tests of the address policy: every deny range and its edges, mapped IPv6, allow holes. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/engine/addr_policy.h"
#include "tests/unit/tap.h"

struct edge_case {
    const char *addr;
    const char *range; /* label prefix that must refuse it; NULL: permitted */
};

/* For each range: its first and last address refused, the neighbours outside permitted
 * (unless they fall into another listed range, named then). */
static const struct edge_case edges[] = {
    {"0.0.0.0", "0.0.0.0/8"},
    {"0.255.255.255", "0.0.0.0/8"},
    {"1.0.0.0", NULL},
    {"9.255.255.255", NULL},
    {"10.0.0.0", "10.0.0.0/8"},
    {"10.255.255.255", "10.0.0.0/8"},
    {"11.0.0.0", NULL},
    {"100.63.255.255", NULL},
    {"100.64.0.0", "100.64.0.0/10"},
    {"100.127.255.255", "100.64.0.0/10"},
    {"100.128.0.0", NULL},
    {"126.255.255.255", NULL},
    {"127.0.0.0", "127.0.0.0/8"},
    {"127.0.0.1", "127.0.0.0/8"},
    {"127.255.255.255", "127.0.0.0/8"},
    {"128.0.0.0", NULL},
    {"169.253.255.255", NULL},
    {"169.254.0.0", "169.254.0.0/16"},
    {"169.254.255.255", "169.254.0.0/16"},
    {"169.255.0.0", NULL},
    {"172.15.255.255", NULL},
    {"172.16.0.0", "172.16.0.0/12"},
    {"172.31.255.255", "172.16.0.0/12"},
    {"172.32.0.0", NULL},
    {"191.255.255.255", NULL},
    {"192.0.0.0", "192.0.0.0/24"},
    {"192.0.0.255", "192.0.0.0/24"},
    {"192.0.1.0", NULL},
    {"192.0.2.0", "192.0.2.0/24"},
    {"192.0.2.255", "192.0.2.0/24"},
    {"192.0.3.0", NULL},
    {"192.88.98.255", NULL},
    {"192.88.99.0", "192.88.99.0/24"},
    {"192.88.99.255", "192.88.99.0/24"},
    {"192.88.100.0", NULL},
    {"192.167.255.255", NULL},
    {"192.168.0.0", "192.168.0.0/16"},
    {"192.168.255.255", "192.168.0.0/16"},
    {"192.169.0.0", NULL},
    {"198.17.255.255", NULL},
    {"198.18.0.0", "198.18.0.0/15"},
    {"198.19.255.255", "198.18.0.0/15"},
    {"198.20.0.0", NULL},
    {"198.51.99.255", NULL},
    {"198.51.100.0", "198.51.100.0/24"},
    {"198.51.100.255", "198.51.100.0/24"},
    {"198.51.101.0", NULL},
    {"203.0.112.255", NULL},
    {"203.0.113.0", "203.0.113.0/24"},
    {"203.0.113.255", "203.0.113.0/24"},
    {"203.0.114.0", NULL},
    {"223.255.255.255", NULL},
    {"224.0.0.0", "224.0.0.0/4"},
    {"239.255.255.255", "224.0.0.0/4"},
    {"240.0.0.0", "240.0.0.0/4"},
    {"255.255.255.254", "240.0.0.0/4"},
    {"255.255.255.255", "240.0.0.0/4"}, /* the first listed range containing it wins */
    {"8.8.8.8", NULL},
    {"93.184.216.34", NULL},
    /* IPv6 */
    {"::", "::/128"},
    {"::1", "::1/128"},
    {"::2", "::/96"}, /* IPv4-compatible, deprecated */
    {"::a00:1", "::/96"},
    {"::808:808", "::/96"},
    {"::ffff:ffff", "::/96"},
    {"::1:0:0", NULL},
    {"::ffff:0:0", "0.0.0.0/8"}, /* mapped: the IPv4 range is named */
    {"::ffff:8.8.8.8", "::ffff:0:0/96"},
    {"::ffff:10.1.2.3", "10.0.0.0/8"},
    {"::ffff:127.0.0.1", "127.0.0.0/8"},
    {"::fffe:ffff:ffff", NULL},
    {"::1:0:0:0", NULL},
    {"64:ff9b::", "64:ff9b::/96"},
    {"64:ff9b::ffff:ffff", "64:ff9b::/96"},
    {"64:ff9b::1:0:0", NULL},
    {"64:ff9b:1::", "64:ff9b:1::/48"}, /* local-use NAT64: reaches private IPv4 */
    {"64:ff9b:1::a00:1", "64:ff9b:1::/48"},
    {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1::/48"},
    {"64:ff9b:2::", NULL},
    {"64:ff9b:0:ffff:ffff:ffff:ffff:ffff", NULL},
    {"2002:a00:1::", "10.0.0.0/8"}, /* 6to4 of 10.0.0.1: judged by the IPv4 */
    {"2002:7f00:1::1", "127.0.0.0/8"},
    {"2002:c0a8:101:1::1", "192.168.0.0/16"},
    {"2002:a9fe:a9fe::", "169.254.0.0/16"},
    {"2002:808:808::1", NULL}, /* 6to4 of 8.8.8.8 */
    {"2003::1", NULL},
    {"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"100::", "100::/64"},
    {"100::ffff:ffff:ffff:ffff", "100::/64"},
    {"100:0:0:1::", NULL},
    {"2001::", "2001::/23"},
    {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23"},
    {"2001:200::", NULL},
    {"2001:db8::", "2001:db8::/32"},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32"},
    {"2001:db9::", NULL},
    {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"fc00::", "fc00::/7"},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7"},
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"fe00::", NULL},
    {"fe80::", "fe80::/10"},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10"},
    {"fec0::", "fec0::/10"}, /* site-local, deprecated */
    {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::/10"},
    {"ff00::", "ff00::/8"},
    {"ff02::1", "ff00::/8"},
    {"2606:4700::1111", NULL},
    {"2a00:1450:4001:80b::200e", NULL},
};

static void test_edges(void)
{
    struct addr_policy p;
    addr_policy_init(&p);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        const char *why = addr_policy_reason_text(&p, edges[i].addr);
        char name[128];
        snprintf(name, sizeof name, "%s %s", edges[i].addr,
                 edges[i].range ? edges[i].range : "permitted");
        bool ok = edges[i].range ? why && !strncmp(why, edges[i].range, strlen(edges[i].range))
                                 : why == NULL;
        ok = ok && addr_policy_permits_text(&p, edges[i].addr) == (edges[i].range == NULL);
        TAP_CHECK(ok, name, "reason '%s'", why ? why : "(permitted)");
    }
}

/* Every listed range refuses its network address by default, via the binary interface. */
static void test_every_listed_range(void)
{
    struct addr_policy p;
    addr_policy_init(&p);
    size_t n = 0;
    const struct addr_range *list = addr_policy_deny_list(&n);
    TAP_CHECK(n == 29,
              "deny list: the 26 ranges of REFERENCES.md, local-use NAT64, ::/96 and fec0::/10",
              "n %zu", n);
    for (size_t i = 0; i < n; i++) {
        char name[128];
        snprintf(name, sizeof name, "listed range refuses its base: %s", list[i].label);
        TAP_CHECK(!addr_policy_permits(&p, list[i].family, list[i].addr), name, "permitted");
    }
}

static void test_allow(void)
{
    struct addr_policy p;
    const char *reason = NULL;
    addr_policy_init(&p);
    TAP_CHECK(addr_policy_allow(&p, "127.0.0.0/8", &reason) == 0, "allow 127.0.0.0/8", "%s",
              reason);
    TAP_CHECK(addr_policy_permits_text(&p, "127.0.0.1"), "127.0.0.1 allowed", "refused");
    TAP_CHECK(addr_policy_permits_text(&p, "127.255.255.255"), "127.255.255.255 allowed",
              "refused");
    TAP_CHECK(addr_policy_permits_text(&p, "::ffff:127.0.0.9"), "mapped 127 allowed too",
              "refused");
    TAP_CHECK(!addr_policy_permits_text(&p, "10.0.0.1"), "10.0.0.1 still refused", "permitted");
    TAP_CHECK(!addr_policy_permits_text(&p, "192.168.1.1"), "192.168.1.1 still refused",
              "permitted");
    TAP_CHECK(!addr_policy_permits_text(&p, "::1"), "::1 still refused", "permitted");
    TAP_CHECK(!addr_policy_permits_text(&p, "2002:7f00:1::1"),
              "an IPv4 hole does not open its 6to4 form", "permitted");
    TAP_CHECK(!addr_policy_permits_text(&p, "::ffff:10.0.0.1"), "mapped 10/8 still refused",
              "permitted");
    TAP_CHECK(addr_policy_permits_text(&p, "8.8.8.8"), "public still permitted", "refused");

    TAP_CHECK(addr_policy_allow(&p, "::1", &reason) == 0 && addr_policy_permits_text(&p, "::1"),
              "allow single IPv6 address", "wrong");
    TAP_CHECK(addr_policy_allow(&p, "10.1.2.3", &reason) == 0 &&
                  addr_policy_permits_text(&p, "10.1.2.3") &&
                  !addr_policy_permits_text(&p, "10.1.2.4"),
              "allow single IPv4 address (/32)", "wrong");
    TAP_CHECK(addr_policy_allow(&p, "fd00::/8", &reason) == 0 &&
                  addr_policy_permits_text(&p, "fd12::1") &&
                  !addr_policy_permits_text(&p, "fc00::1"),
              "allow part of a range", "wrong");
    TAP_CHECK(!strcmp(p.allow_text[0], "127.0.0.0/8"), "allow text kept", "%s", p.allow_text[0]);

    const char *bad[] = {"127.0.0.1/8", "10.0.0.0/33", "::/129",      "10.0.0/8", "x/8",
                         "10.0.0.0/",   "10.0.0.0/-1", "10.0.0.0/8x", "",         "fe80::1/10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        reason = NULL;
        snprintf(name, sizeof name, "refuse allow '%s'", bad[i]);
        TAP_CHECK(addr_policy_allow(&p, bad[i], &reason) == -1 && reason, name, "accepted");
    }
    addr_policy_init(&p);
    int fails = 0;
    for (int i = 0; i < ADDR_POLICY_MAX_ALLOW + 2; i++) {
        char cidr[32];
        snprintf(cidr, sizeof cidr, "10.0.%d.0/24", i);
        if (addr_policy_allow(&p, cidr, &reason) != 0)
            fails++;
    }
    TAP_CHECK(fails == 2 && p.n_allow == ADDR_POLICY_MAX_ALLOW, "allow list bounded",
              "fails %d n %zu", fails, p.n_allow);
}

/* A network whose DNS64 uses its own prefix: the embedded IPv4 decides. */
static void test_nat64(void)
{
    struct addr_policy p;
    const char *reason = NULL;
    addr_policy_init(&p);
    TAP_CHECK(addr_policy_permits_text(&p, "2001:67c:2b0:db64::a00:1"),
              "without --nat64-prefix an unknown prefix is an ordinary address", "refused");
    TAP_CHECK(addr_policy_add_nat64(&p, "2001:67c:2b0:db64::/96", &reason) == 0,
              "nat64 prefix added", "%s", reason);
    const char *why = addr_policy_reason_text(&p, "2001:67c:2b0:db64::a00:1");
    TAP_CHECK(why && !strncmp(why, "10.0.0.0/8", 10), "nat64 P::10.0.0.1 refused as 10.0.0.0/8",
              "reason '%s'", why ? why : "(permitted)");
    why = addr_policy_reason_text(&p, "2001:67c:2b0:db64::7f00:1");
    TAP_CHECK(why && !strncmp(why, "127.0.0.0/8", 11), "nat64 P::127.0.0.1 refused", "reason '%s'",
              why ? why : "(permitted)");
    TAP_CHECK(addr_policy_permits_text(&p, "2001:67c:2b0:db64::808:808"),
              "nat64 P::8.8.8.8 permitted", "refused");
    TAP_CHECK(addr_policy_permits_text(&p, "2001:67c:2b0:db65::a00:1"),
              "an address beside the prefix is not judged by its last 32 bits", "refused");
    TAP_CHECK(addr_policy_allow(&p, "10.0.0.0/8", &reason) == 0 &&
                  addr_policy_permits_text(&p, "2001:67c:2b0:db64::a00:1"),
              "an IPv4 hole opens its NAT64 form", "refused");
    addr_policy_init(&p);
    TAP_CHECK(addr_policy_add_nat64(&p, "fd00:64::/96", &reason) == 0 &&
                  !addr_policy_permits_text(&p, "fd00:64::808:808"),
              "a ULA NAT64 prefix stays refused as fc00::/7 without its own hole", "permitted");
    const char *bad[] = {"2001:db8::/64", "2001:db8::", "10.0.0.0/96", "2001:db8::1/96", "x/96"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        reason = NULL;
        snprintf(name, sizeof name, "refuse nat64 prefix '%s'", bad[i]);
        TAP_CHECK(addr_policy_add_nat64(&p, bad[i], &reason) == -1 && reason, name, "accepted");
    }
    uint8_t v6[16], v4[4] = {10, 0, 0, 1};
    inet_pton(AF_INET6, "2001:db8:1:2::a00:1", v6);
    TAP_CHECK(addr_policy_aaaa_embeds(v6, v4), "an AAAA ending in a refused A is recognised",
              "not");
    v4[3] = 2;
    TAP_CHECK(!addr_policy_aaaa_embeds(v6, v4), "an AAAA ending otherwise is not", "is");
}

static void test_bad_input(void)
{
    struct addr_policy p;
    addr_policy_init(&p);
    TAP_CHECK(!addr_policy_permits_text(&p, "example.com"), "text not an address refused",
              "permitted");
    TAP_CHECK(!addr_policy_permits_text(&p, NULL), "NULL refused", "permitted");
    uint8_t a[16] = {8, 8, 8, 8};
    TAP_CHECK(!addr_policy_permits(&p, AF_UNIX, a), "other family refused", "permitted");
    TAP_CHECK(addr_policy_permits(&p, AF_INET, a), "binary IPv4 8.8.8.8 permitted", "refused");
}

int main(void)
{
    size_t n_deny = 0;
    addr_policy_deny_list(&n_deny);
    /* edges, deny list (count and each), test_allow (14, 10 bad, the bound), test_nat64 (8, 5
     * bad, 2), test_bad_input (4). */
    TAP_PLAN(sizeof edges / sizeof edges[0] + 1 + n_deny + 25 + 15 + 4);
    test_edges();
    test_every_listed_range();
    test_allow();
    test_nat64();
    test_bad_input();
    TAP_DONE();
}
