/* Which addresses the scanner may connect to: a default deny list of special ranges, and holes. */
#ifndef ADDR_POLICY_H
#define ADDR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default deny list is the special-purpose ranges of /work/shared/REFERENCES.md
 * (zgrab2's default blocklist): 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
 * 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24,
 * 224/4, 240/4, 255.255.255.255/32; ::/128, ::1/128, ::ffff:0:0/96, 64:ff9b::/96, 100::/64,
 * 2001::/23, 2001:db8::/32, fc00::/7, fe80::/10, ff00::/8; and beyond that list the
 * local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215: translated to any IPv4, private ones
 * included). A 6to4 address (2002:V4::/48) is refused when its embedded IPv4 V4 is, with V4's
 * range as the reason (a 6to4 interface sends it to V4 directly); an IPv4 hole does not open it.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is refused as ::ffff:0:0/96; its reason names
 * the IPv4 range when the embedded address is in one, and an allowed IPv4 range also opens
 * its mapped form (so ::ffff:127.0.0.1 follows 127.0.0.0/8).
 * Beyond the list, also refused: the deprecated IPv4-compatible ::/96 (RFC 4291 2.5.5.1; :: and
 * ::1 keep their own labels) and site-local fec0::/10 (deprecated by RFC 3879, still routed
 * privately by some networks).
 * NAT64 prefixes given with addr_policy_add_nat64 (--nat64-prefix P/96, a network whose DNS64
 * uses its own prefix): an address P::V4 is refused when its embedded IPv4 V4 is (V4's range is
 * the reason, as for the well-known prefix where the whole of 64:ff9b::/96 is refused); when V4
 * is permitted the IPv6 address is judged as any other (a ULA prefix needs its own hole). */

#define ADDR_POLICY_MAX_ALLOW 32
#define ADDR_POLICY_MAX_NAT64 8

struct addr_range {
    int family;        /* AF_INET or AF_INET6 */
    uint8_t addr[16];  /* network address, first 4 bytes for AF_INET */
    unsigned prefix;   /* 0-32 or 0-128 */
    const char *label; /* static text, e.g. "127.0.0.0/8 (loopback)"; allow ranges: "" */
};

/* Immutable once set up: safe to read from any number of threads. */
struct addr_policy {
    size_t n_allow;
    struct addr_range allow[ADDR_POLICY_MAX_ALLOW];
    char allow_text[ADDR_POLICY_MAX_ALLOW][48]; /* the CIDRs as given, for messages */
    size_t n_nat64;
    uint8_t nat64[ADDR_POLICY_MAX_NAT64][12];   /* the first 96 bits of each NAT64 prefix */
    char nat64_text[ADDR_POLICY_MAX_NAT64][48]; /* as given, for messages and the scan record */
};

/* The default: deny every listed range, no holes. */
void addr_policy_init(struct addr_policy *p);

/* Opens a hole: `cidr` is "a.b.c.d/N", "v6addr/N" or a single address (/32, /128).
 * Host bits set below the prefix are refused (a likely typo). Returns 0, or -1 with a static
 * *reason (bad syntax, prefix out of range, too many ranges). */
int addr_policy_allow(struct addr_policy *p, const char *cidr, const char **reason);

/* Adds a NAT64 prefix ("2001:db8:64::/96"; only /96, RFC 6052's form with the IPv4 address in
 * the last 32 bits). Returns 0, or -1 with a static *reason. */
int addr_policy_add_nat64(struct addr_policy *p, const char *prefix, const char **reason);

/* True when an AAAA address hides a refused A of the same name: its last 32 bits are that IPv4
 * address (a DNS64 translation through a prefix the policy does not know). The caller refuses
 * such an AAAA. */
bool addr_policy_aaaa_embeds(const uint8_t v6[16], const uint8_t v4[4]);

/* True when the address may be contacted: in an allow range, or in no deny range.
 * family AF_INET: addr points at 4 bytes (struct in_addr); AF_INET6: 16 bytes. Any other
 * family is refused. */
bool addr_policy_permits(const struct addr_policy *p, int family, const void *addr);

/* The same for a textual address ("192.0.2.1", "2001:db8::1", "::ffff:10.0.0.1"); text
 * that is not an address is refused. */
bool addr_policy_permits_text(const struct addr_policy *p, const char *text);

/* NULL when permitted; otherwise the static label of the deny range that refused it
 * ("10.0.0.0/8 (private, RFC 1918)"), or "not an IP address". */
const char *addr_policy_reason(const struct addr_policy *p, int family, const void *addr);
const char *addr_policy_reason_text(const struct addr_policy *p, const char *text);

/* The built-in deny list, for documentation and tests: *n receives its length. */
const struct addr_range *addr_policy_deny_list(size_t *n);

#endif
