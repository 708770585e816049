/* `mtasts generate --host STACK --out DIR`: the files each hosting stack needs to serve the
 * policy at https://mta-sts.D/.well-known/mta-sts.txt as text/plain. */
#ifndef GENERATE_HOST_H
#define GENERATE_HOST_H

#include <stdbool.h>
#include <stddef.h>

/* The stack names, for --help and errors: "nginx, caddy, cloudflare-worker, github-pages,
 * netlify, vercel, s3-cloudfront". */
extern const char generate_host_names[];

/* True when name is a known stack. */
int generate_host_known(const char *name);

/* Writes the stack's files under dir (created; each file atomically) for the policy of
 * `domain` (CRLF text of len bytes). tls_cert/tls_key (may be NULL) go into the nginx and
 * Caddy configurations instead of their defaults (Let's Encrypt paths / automatic HTTPS).
 * Prints one "; wrote PATH" line per file on out. Returns 0, or -1 with err. */
int generate_host_write(const char *stack, const char *dir, const char *domain, const char *policy,
                        size_t len, const char *tls_cert, const char *tls_key, void *out, char *err,
                        size_t errlen);

#endif
