/* Rendering one `mtasts check` verdict: layer by layer, human text or JSON, and the exit status. */
#ifndef CHECK_RENDER_H
#define CHECK_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"
#include "rules/sts_result.h"

/* The layers a check reports, in this order. */
enum check_layer_id {
    CHECK_LAYER_DNS = 0,   /* the _mta-sts TXT record */
    CHECK_LAYER_FETCH,     /* policy host address, HTTPS, certificate, HTTP status, type */
    CHECK_LAYER_PARSE,     /* the policy file */
    CHECK_LAYER_MX,        /* MX coverage */
    CHECK_LAYER_DELIVERY,  /* MX transport: STARTTLS, certificates, DANE (check_mx.c) */
    CHECK_LAYER_TLSRPT,    /* the _smtp._tls TXT record */
    CHECK_LAYER_READINESS, /* promotion from testing to enforce */
    CHECK_LAYER_COUNT
};

enum check_state { CHECK_PASS = 0, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

#define CHECK_TEXT_MAX 1024

/* One layer's verdict: observed values and the fix (empty when nothing to fix). */
struct check_layer {
    enum check_layer_id id;
    enum check_state state;
    char observed[CHECK_TEXT_MAX]; /* what was seen, one or two lines; remote bytes made
                                      printable (control bytes shown as '?') */
    char fix[CHECK_TEXT_MAX];      /* the exact change to make, one or two sentences */
};

/* "dns", "fetch", "parse", "mx", "delivery", "tlsrpt", "readiness" (the JSON keys) and
 * "DNS record", "Policy fetch", ... (titles for people). */
const char *check_layer_key(enum check_layer_id id);
const char *check_layer_title(enum check_layer_id id);
const char *check_state_name(enum check_state s); /* "pass", "warn", "fail", "skip" */

/* Evaluates every layer of one result (r->obs and r->verdict must be set). Pure. */
void check_layers(const struct sts_result *r, struct check_layer out[CHECK_LAYER_COUNT]);

/* Appends the human report of one domain: a header line with the status, one block per
 * layer ("PASS  DNS record  ..." then indented observed values and "fix: ..."), ending
 * with a newline. color: ANSI colours for the states (when stdout is a terminal). */
void check_render_text(struct sbuf *out, const struct sts_result *r, bool color);

/* Appends one JSON object (no trailing newline) for one domain:
 *   {"domain": str, "status": str, "category": str|null, "rfc8460_result": str|null,
 *    "detail": str, "warnings": [str], "readiness": str, "would_fail_delivery": bool,
 *    "valid_strict": bool, "valid_lenient": bool, "exit_status": int,
 *    "layers": {"dns": L, "fetch": L, "parse": L, "mx": L, "delivery": L, "tlsrpt": L,
 *               "readiness": L},
 *    "mx_verified": bool, "delivery": D (check_mx.h: each MX host, its addresses, DANE),
 *    "facts": {"txt_id": str|null, "mode": str|null, "max_age": int|null,
 *              "mx_patterns": [str], "mx_hosts": [{"host": str, "preference": int, "covered":
 * bool|null, "pattern": str|null}], "policy_addresses": [str], "http_status": int|null,
 *              "content_type": str|null, "cert_not_after": int|null,
 *              "cert_issuer": str|null, "rua": [str]}}
 * with L = {"state": "pass|warn|fail|skip", "observed": str, "fix": str|null}.
 * Every remote string goes through esc_json. */
void check_render_json(struct sbuf *out, const struct sts_result *r);

/* 0: status valid and no layer warns; 1: valid, but a warning (a taxonomy warning, a lenient
 * parse, a failed MX or TLS-RPT lookup); 2: a failure (invalid, or no_policy: a check asks
 * whether MTA-STS protects this domain, and it does not); 3: could not check (dns_error;
 * domain_nxdomain: the name does not exist). The same value as the JSON's "exit_status". */
int check_exit_status(const struct sts_result *r);

/* Combines the exit statuses of several domains: the highest wins. */
int check_exit_combine(int a, int b);

#endif
