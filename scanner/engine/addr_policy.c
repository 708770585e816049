/* Which addresses the scanner may connect to: a default deny list of special ranges, and holes. */
#include "scanner/engine/addr_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define V4(a, b, c, d)                                                                             \
    {                                                                                              \
        (a), (b), (c), (d)                                                                         \
    }

/* REFERENCES.md's list, in its order; labels name the range and what it is. */
static const struct addr_range deny_list[] = {
    {AF_INET, V4(0, 0, 0, 0), 8, "0.0.0.0/8 (this network)"},
    {AF_INET, V4(10, 0, 0, 0), 8, "10.0.0.0/8 (private, RFC 1918)"},
    {AF_INET, V4(100, 64, 0, 0), 10, "100.64.0.0/10 (carrier-grade NAT, RFC 6598)"},
    {AF_INET, V4(127, 0, 0, 0), 8, "127.0.0.0/8 (loopback)"},
    {AF_INET, V4(169, 254, 0, 0), 16, "169.254.0.0/16 (link-local)"},
    {AF_INET, V4(172, 16, 0, 0), 12, "172.16.0.0/12 (private, RFC 1918)"},
    {AF_INET, V4(192, 0, 0, 0), 24, "192.0.0.0/24 (IETF protocol assignments)"},
    {AF_INET, V4(192, 0, 2, 0), 24, "192.0.2.0/24 (documentation, TEST-NET-1)"},
    {AF_INET, V4(192, 88, 99, 0), 24, "192.88.99.0/24 (6to4 relay anycast)"},
    {AF_INET, V4(192, 168, 0, 0), 16, "192.168.0.0/16 (private, RFC 1918)"},
    {AF_INET, V4(198, 18, 0, 0), 15, "198.18.0.0/15 (benchmarking)"},
    {AF_INET, V4(198, 51, 100, 0), 24, "198.51.100.0/24 (documentation, TEST-NET-2)"},
    {AF_INET, V4(203, 0, 113, 0), 24, "203.0.113.0/24 (documentation, TEST-NET-3)"},
    {AF_INET, V4(224, 0, 0, 0), 4, "224.0.0.0/4 (multicast)"},
    {AF_INET, V4(240, 0, 0, 0), 4, "240.0.0.0/4 (reserved)"},
    {AF_INET, V4(255, 255, 255, 255), 32, "255.255.255.255/32 (limited broadcast)"},
    {AF_INET6, {0}, 128, "::/128 (unspecified)"},
    {AF_INET6, {[15] = 1}, 128, "::1/128 (loopback)"},
    {AF_INET6, {[10] = 0xff, [11] = 0xff}, 96, "::ffff:0:0/96 (IPv4-mapped)"},
    {AF_INET6, {0x00, 0x64, 0xff, 0x9b}, 96, "64:ff9b::/96 (NAT64)"},
    /* Beyond REFERENCES.md: a site's own translator maps this prefix to any IPv4 address,
     * private ones included (RFC 8215). */
    {AF_INET6, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "64:ff9b:1::/48 (local-use NAT64)"},
    {AF_INET6, {0x01, 0x00}, 64, "100::/64 (discard-only)"},
    {AF_INET6, {0x20, 0x01}, 23, "2001::/23 (IETF protocol assignments)"},
    {AF_INET6, {0x20, 0x01, 0x0d, 0xb8}, 32, "2001:db8::/32 (documentation)"},
    {AF_INET6, {0xfc}, 7, "fc00::/7 (unique local)"},
    {AF_INET6, {0xfe, 0x80}, 10, "fe80::/10 (link-local)"},
    /* Beyond REFERENCES.md: deprecated ranges some networks still route privately. :: and ::1
     * come first above, with their own labels. */
    {AF_INET6, {0}, 96, "::/96 (IPv4-compatible, deprecated)"},
    {AF_INET6, {0xfe, 0xc0}, 10, "fec0::/10 (site-local, deprecated)"},
    {AF_INET6, {0xff}, 8, "ff00::/8 (multicast)"},
};

#define DENY_N (sizeof deny_list / sizeof deny_list[0])

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

const struct addr_range *addr_policy_deny_list(size_t *n)
{
    *n = DENY_N;
    return deny_list;
}

void addr_policy_init(struct addr_policy *p)
{
    memset(p, 0, sizeof *p);
}

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

static bool prefix_matches(const uint8_t *net, const uint8_t *addr, unsigned prefix)
{
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (memcmp(net, addr, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net[whole] & mask) == (addr[whole] & mask);
}

static bool range_contains(const struct addr_range *r, int family, const uint8_t *addr)
{
    return r->family == family && prefix_matches(r->addr, addr, r->prefix);
}

static bool is_mapped(int family, const uint8_t *addr)
{
    return family == AF_INET6 && memcmp(addr, mapped_prefix, 12) == 0;
}

static bool allowed(const struct addr_policy *p, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < p->n_allow; i++) {
        if (range_contains(&p->allow[i], family, addr))
            return true;
        /* An IPv4 hole also opens the mapped form of its addresses. */
        if (is_mapped(family, addr) && range_contains(&p->allow[i], AF_INET, addr + 12))
            return true;
    }
    return false;
}

/* 6to4 (2002:V4::/48, RFC 3056): a host with a 6to4 interface sends these inside IPv4
 * packets to V4 itself, so V4 must be an address the policy permits. */
static bool is_6to4(int family, const uint8_t *addr)
{
    return family == AF_INET6 && addr[0] == 0x20 && addr[1] == 0x02;
}

static const char *denied(int family, const uint8_t *addr)
{
    if (is_mapped(family, addr)) {
        const char *v4 = denied(AF_INET, addr + 12);
        if (v4)
            return v4;
    }
    if (is_6to4(family, addr))
        return denied(AF_INET, addr + 2);
    for (size_t i = 0; i < DENY_N; i++)
        if (range_contains(&deny_list[i], family, addr))
            return deny_list[i].label;
    return NULL;
}

static bool in_nat64(const struct addr_policy *p, int family, const uint8_t *addr)
{
    if (family != AF_INET6)
        return false;
    for (size_t i = 0; i < p->n_nat64; i++)
        if (memcmp(p->nat64[i], addr, 12) == 0)
            return true;
    return false;
}

const char *addr_policy_reason(const struct addr_policy *p, int family, const void *addr)
{
    if ((family != AF_INET && family != AF_INET6) || !addr)
        return "not an IP address";
    /* A configured NAT64 prefix reaches its embedded IPv4: that must be permitted first. */
    if (in_nat64(p, family, addr)) {
        const char *v4 = addr_policy_reason(p, AF_INET, (const uint8_t *)addr + 12);
        if (v4)
            return v4;
    }
    if (allowed(p, family, addr))
        return NULL;
    return denied(family, addr);
}

bool addr_policy_permits(const struct addr_policy *p, int family, const void *addr)
{
    return addr_policy_reason(p, family, addr) == NULL;
}

/* Parses a textual address; 0 when it is none. */
static int parse_addr(const char *text, uint8_t out[16])
{
    if (!text)
        return 0;
    if (inet_pton(AF_INET, text, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, text, out) == 1)
        return AF_INET6;
    return 0;
}

const char *addr_policy_reason_text(const struct addr_policy *p, const char *text)
{
    uint8_t a[16];
    int family = parse_addr(text, a);
    if (!family)
        return "not an IP address";
    return addr_policy_reason(p, family, a);
}

bool addr_policy_permits_text(const struct addr_policy *p, const char *text)
{
    return addr_policy_reason_text(p, text) == NULL;
}

int addr_policy_add_nat64(struct addr_policy *p, const char *prefix, const char **reason)
{
    char buf[64];
    if (!prefix || strlen(prefix) >= sizeof buf) {
        *reason = "not an IPv6 prefix";
        return -1;
    }
    if (p->n_nat64 >= ADDR_POLICY_MAX_NAT64) {
        *reason = "too many NAT64 prefixes";
        return -1;
    }
    strcpy(buf, prefix);
    char *slash = strchr(buf, '/');
    if (!slash || strcmp(slash, "/96") != 0) {
        *reason = "a NAT64 prefix must be written PREFIX/96 (RFC 6052)";
        return -1;
    }
    *slash = '\0';
    uint8_t a[16];
    if (inet_pton(AF_INET6, buf, a) != 1) {
        *reason = "not an IPv6 address before /96";
        return -1;
    }
    static const uint8_t zero[4];
    if (memcmp(a + 12, zero, 4) != 0) {
        *reason = "host bits set below /96 (did you mean the prefix?)";
        return -1;
    }
    memcpy(p->nat64[p->n_nat64], a, 12);
    snprintf(p->nat64_text[p->n_nat64], sizeof p->nat64_text[0], "%s", prefix);
    p->n_nat64++;
    return 0;
}

bool addr_policy_aaaa_embeds(const uint8_t v6[16], const uint8_t v4[4])
{
    return memcmp(v6 + 12, v4, 4) == 0;
}

int addr_policy_allow(struct addr_policy *p, const char *cidr, const char **reason)
{
    char buf[64];
    if (!cidr || strlen(cidr) >= sizeof buf) {
        *reason = "not an address or CIDR range";
        return -1;
    }
    if (p->n_allow >= ADDR_POLICY_MAX_ALLOW) {
        *reason = "too many allowed ranges";
        return -1;
    }
    strcpy(buf, cidr);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    struct addr_range r = {0};
    r.family = parse_addr(buf, r.addr);
    if (!r.family) {
        *reason = "not an IPv4 or IPv6 address before the prefix length";
        return -1;
    }
    unsigned max = (unsigned)addr_len(r.family) * 8;
    r.prefix = max;
    if (slash) {
        char *end;
        const char *digits = slash + 1;
        if (*digits < '0' || *digits > '9') {
            *reason = "prefix length must be a decimal number";
            return -1;
        }
        unsigned long v = strtoul(digits, &end, 10);
        if (*end != '\0' || v > max) {
            *reason = "prefix length out of range (0-32 for IPv4, 0-128 for IPv6)";
            return -1;
        }
        r.prefix = (unsigned)v;
    }
    uint8_t masked[16];
    memcpy(masked, r.addr, sizeof masked);
    for (unsigned bit = r.prefix; bit < max; bit++)
        masked[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
    if (memcmp(masked, r.addr, addr_len(r.family)) != 0) {
        *reason = "host bits set below the prefix length (did you mean the network address?)";
        return -1;
    }
    r.label = "";
    snprintf(p->allow_text[p->n_allow], sizeof p->allow_text[0], "%s", cidr);
    p->allow[p->n_allow++] = r;
    return 0;
}
