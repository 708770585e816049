/* The MX transport layer of `mtasts check`: each MX host's SMTP, STARTTLS, certificate, DANE. */
#ifndef CHECK_MX_H
#define CHECK_MX_H

#include "lib/sbuf.h"
#include "rules/sts_result.h"
#include "scanner/commands/check_eval.h"

/* Evaluates the layer (state, a one-line summary, the first fix) from r->verdict and
 * r->obs->mx_probes. SKIP when the SMTP stage did not run (or port 25 was blocked: said so);
 * FAIL when a compliant sender refuses mail now (would_fail_delivery because of an MX host);
 * WARN for findings that do not refuse mail now (testing mode, TLS < 1.2, expiring
 * certificates, DANE findings, hosts not reached). Pure. */
void check_mx_layer(const struct sts_result *r, struct check_layer *l);

/* Appends the per-host detail for people, each line indented by `indent` spaces: every MX
 * host (by preference), coverage by the policy, its outcome and RFC 8460 result type, each
 * address (reply, STARTTLS, TLS version and cipher, certificate issuer, expiry, name match,
 * chain), DANE, and the fix in plain words. Nothing when the SMTP and DANE stages did not
 * run. Remote bytes go through esc_text. */
void check_mx_render_text(struct sbuf *out, const struct sts_result *r, int indent);

/* Appends the same as one JSON object (no trailing newline):
 *   {"smtp_checked": bool, "port25_blocked": bool, "mx_verified": bool,
 *    "worst_outcome": str|null, "dane_checked": bool, "dane_summary": str|null,
 *    "hosts": [{"host": str, "preference": int, "covered": bool|null, "pattern": str|null,
 *               "smtp_outcome": str, "rfc8460_result": str|null, "fails_delivery": bool,
 *               "dane_outcome": str|null, "tlsa": {"records": int, "usable": int,
 *               "dnssec_validated": bool, "rcode": int}|null, "fix": str|null,
 *               "addresses": [{"addr", "outcome", "reply_code", "starttls_offered",
 *                              "tls_version", "cipher", "cert": {"issuer", "not_before",
 *                              "not_after", "name_matches", "verify_code", "chain_len",
 *                              "self_signed"}|null, "dane": str|null, "detail"}]}]}
 * Every remote string through esc_json. */
void check_mx_render_json(struct sbuf *out, const struct sts_result *r);

/* A note for the readiness layer: " (MX hosts not verified: ...)" when the verdict is
 * ready_to_enforce but mx_verified is false; "" otherwise. */
const char *check_mx_readiness_note(const struct sts_result *r);

#endif
