/* Rendering one `mtasts check` verdict: the layers (check_eval.h) as human text or JSON. */
#ifndef CHECK_RENDER_H
#define CHECK_RENDER_H

#include <stdbool.h>

#include "lib/sbuf.h"
#include "rules/sts_result.h"
#include "scanner/commands/check_eval.h"

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

#endif
