/* Reading the message out of a UID FETCH response: the literal of BODY[] (IMAP4rev1 literal
 * framing, RFC 3501 4.3), pure. */
#ifndef TLSRPT_IMAP_FETCH_H
#define TLSRPT_IMAP_FETCH_H

#include <stddef.h>
#include <stdint.h>

/* resp[0..len) is the raw text of the response to "UID FETCH <uid> BODY.PEEK[]" (every
 * line as received, CRLFs kept). Finds the untagged "* n FETCH (" line carrying the literal
 * "{N}" at its end and UID <uid> (before or after the literal), and points *body at its N
 * bytes. Returns 0, or -1 with *why set: no FETCH line, another UID, a literal cut short
 * (fewer than N bytes followed: the response ended early) or one larger than max. Never
 * reads past len. */
int tlsrpt_imap_fetch_body(const char *resp, size_t len, int64_t uid, size_t max, const char **body,
                           size_t *body_len, const char **why);

#endif
