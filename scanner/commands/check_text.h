/* Bounded text fields of `mtasts check` (CHECK_TEXT_MAX bytes each, check_eval.h): every
 * function appends to a NUL-terminated field and truncates, never overruns. */
#ifndef CHECK_TEXT_H
#define CHECK_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "rules/sts_diag.h"

#define CHECK_TEXT_MAX 1024

/* printf-style append. */
void check_text_add(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends at most max bytes of remote data, made printable by esc_text (a NUL shows as '?'),
 * with "..." when cut at max; truncated at a character boundary when the field is full. */
void check_text_remote(char *buf, const char *s, size_t len, size_t max);

/* check_text_remote of a NUL-terminated string, at most 200 bytes; NULL appends nothing. */
void check_text_remote_str(char *buf, const char *s);

/* Appends a fix text (after a space when buf is not empty) with every "<domain>" replaced
 * by domain; NULL appends nothing. */
void check_text_fix(char *buf, const char *tmpl, const char *domain);

/* "YYYY-MM-DD hh:mm UTC", or "unknown" for t <= 0. */
void check_text_date(char *buf, int64_t t);

/* The first max diagnostics, one a line ("line N: message"), then "(N more)". */
void check_text_diags(char *buf, const struct sts_diags *d, size_t max);

#endif
