/* Reading report mails from an IMAP mailbox (libcurl), only the messages not read before. */
#ifndef TLSRPT_IMAP_H
#define TLSRPT_IMAP_H

#include <stdbool.h>

#include "tlsrpt/ingest.h"

struct tlsrpt_imap_opts {
    const char *netrc_file; /* NULL: ~/.netrc */
    const char *ca_file;    /* NULL: the system's trust store */
    bool allow_plain;       /* imap:// without TLS; otherwise imap:// requires STARTTLS */
    long timeout_s;         /* per IMAP command (connect included) */
};

/* True when the source names a mailbox (imap:// or imaps://). */
bool tlsrpt_imap_is_url(const char *source);

/* Ingests the messages of url (imaps://user@host[:port]/MAILBOX) with a UID above the read
 * mark stored for the mailbox; the mark advances after each message is handled, so a run
 * that stops reads the rest next time. The password comes from the environment variable
 * MTASTS_IMAP_PASSWORD or the netrc file, never from the URL (a URL with a password is
 * refused). Failures are counted in in->io_errors and logged. */
void tlsrpt_imap_ingest(struct tlsrpt_ingest *in, const char *url,
                        const struct tlsrpt_imap_opts *opts);

#endif
