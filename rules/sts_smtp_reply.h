/* SMTP replies (RFC 5321 4.2): one multi-line reply parsed from remote bytes, bounded. */
#ifndef STS_SMTP_REPLY_H
#define STS_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on what a server may send as one reply. RFC 5321 4.5.3.1.5 caps a reply line at
 * 512 bytes with its CRLF; real EHLO replies are a dozen lines of a few dozen bytes. */
#define STS_SMTP_LINE_MAX 512     /* bytes of one line without its line ending */
#define STS_SMTP_REPLY_LINES 32   /* lines of one reply */
#define STS_SMTP_REPLY_BYTES 8192 /* bytes of one reply, line endings included */
#define STS_SMTP_TEXT_MAX 128     /* text kept for people: the first line, truncated */

enum sts_smtp_reply_status {
    STS_SMTP_REPLY_INCOMPLETE = 0, /* no final line yet: read more (within the bounds) */
    STS_SMTP_REPLY_DONE,           /* a complete reply: see code, consumed */
    STS_SMTP_REPLY_BAD             /* not SMTP, or past a bound: see error */
};

struct sts_smtp_reply {
    int code;        /* the three-digit code (of the first line), 0 when none */
    size_t n_lines;  /* lines seen */
    size_t consumed; /* bytes of the input the complete reply took, line endings included */
    bool starttls;   /* a line after the first has the keyword STARTTLS (an EHLO reply) */
    char text[STS_SMTP_TEXT_MAX]; /* the first line's text after the code, NUL-terminated,
                                     bytes as received (escape before display) */
    const char *error;            /* static reason when BAD, else NULL */
};

/* Parses the reply at the start of buf[0..len) (no NUL needed). A line ends with LF (CRLF
 * or a bare LF are both accepted). Each line is a code of three digits (first 2-5), then '-'
 * (more lines follow), ' ' or the end of the line (the last line); every line carries the
 * same code. Returns INCOMPLETE while the last line is missing and no bound is passed,
 * DONE with the reply in *out, or BAD with out->error (too long a line, too many lines or
 * bytes, a line that is not a reply, a code changing between lines). Pure: reads only
 * buf[0..len), always fills *out. */
enum sts_smtp_reply_status sts_smtp_reply_parse(const char *buf, size_t len,
                                                struct sts_smtp_reply *out);

#endif
