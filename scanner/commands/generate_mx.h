/* `mtasts generate --mx-from-dns D`: the domain's current MX hosts as mx: lines, with
 * wildcard suggestions where several hosts share a parent. */
#ifndef GENERATE_MX_H
#define GENERATE_MX_H

#include <stddef.h>

#define GENERATE_MX_MAX 64

struct generate_mx {
    char *hosts[GENERATE_MX_MAX]; /* owned, lower case, no trailing dot, by preference then
                                     name, duplicates removed */
    size_t n;
};

/* Looks up the MX records of domain (resolver "IP[:PORT]", or NULL for /etc/resolv.conf),
 * within timeout_s. Returns 0 with at least one host; -1 with err (no MX, a null MX, a
 * DNS failure). */
int generate_mx_lookup(const char *domain, const char *resolver, double timeout_s,
                       struct generate_mx *out, char *err, size_t errlen);

/* Appends to buf (NUL-terminated, truncated to len) one "*.PARENT covers N hosts" line per
 * parent shared by three or more of the hosts, the suggestion to consider. */
void generate_mx_wildcards(const struct generate_mx *m, char *buf, size_t len);

void generate_mx_free(struct generate_mx *m);

#endif
