/* The one place remote bytes are escaped for output: JSON, CSV, HTML and terminal text. */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

/* Appends `s` (len bytes, any bytes including NUL) as a JSON string with its quotes.
 * Control characters, quotes and backslashes are escaped; invalid UTF-8 bytes become
 * U+FFFD so the output is always valid JSON. A NULL s appends `null`. */
void esc_json(struct sbuf *out, const char *s, size_t len);
void esc_json_str(struct sbuf *out, const char *s); /* NUL-terminated s, NULL => null */

/* Appends `s` as one CSV field (RFC 4180): quoted when it holds a comma, quote, CR, LF or a
 * control byte (C0, DEL, C1: kept as they are, inside the quotes, as shared/DESIGN.md asks),
 * or starts with a character spreadsheets treat as a formula (= + - @ TAB CR), which is then
 * prefixed with a single quote. Invalid UTF-8 becomes U+FFFD. NUL ends the field. NULL
 * appends an empty field. */
void esc_csv(struct sbuf *out, const char *s);

/* Appends `s` as HTML text or attribute value: & < > " ' escaped, control bytes (C0 but LF
 * and TAB, DEL, C1) shown as U+FFFD. NULL appends nothing. */
void esc_html(struct sbuf *out, const char *s);

/* True when s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF): the bytes esc_json keeps as they are. */
bool esc_utf8_valid(const char *s, size_t len);

/* Appends `s` for a terminal or a log: C0 controls, DEL, C1 controls (U+0080..U+009F; the
 * Linux console takes U+009B as CSI) and invalid UTF-8 bytes become '?', so remote bytes
 * cannot move the cursor or change the terminal. NULL appends nothing. */
void esc_text(struct sbuf *out, const char *s);

#endif
