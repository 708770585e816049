/* `tlsrpt ingest`: reads sources (files, directories, Maildirs, mboxes, stdin, IMAP) and
 * stores every report found, counting what happened. */
#ifndef TLSRPT_INGEST_H
#define TLSRPT_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "tlsrpt/extract.h"

struct tlsrpt_ingest {
    struct store *st; /* borrowed */
    FILE *log;        /* stderr: rejections (name and reason), notes, the summary */
    bool verbose;     /* also one line per report stored or duplicate */
    bool fatal;       /* the database failed: stop */

    int64_t added, duplicates, rejected, messages, messages_without, io_errors, notes;
    int64_t policies, details, with_warnings;
    struct tlsrpt_sink sink; /* stores what the extractors find */
};

/* Prepares an ingest into st (open read-write), logging to log. */
void tlsrpt_ingest_init(struct tlsrpt_ingest *in, struct store *st, FILE *log);

/* Ingests one source given on the command line: "-" (standard input), a directory (a
 * Maildir when it has cur/ or new/; else every entry, recursively, in name order), or a
 * file (JSON, gzip, zip, mbox or a message, by content). A source that cannot be read is
 * counted in io_errors; a file that holds no report is rejected. */
void tlsrpt_ingest_path(struct tlsrpt_ingest *in, const char *path);

/* One message (from a Maildir, an mbox or IMAP): messages without a report are counted,
 * not rejected (mailboxes hold other mail). Returns the report parts found. */
int tlsrpt_ingest_message(struct tlsrpt_ingest *in, const char *name, const char *data, size_t len);

/* Writes the one-line summary to the log. */
void tlsrpt_ingest_summary(const struct tlsrpt_ingest *in);

/* The exit status: 2 when a source could not be read or the database failed, 1 when a
 * report was rejected, else 0 (duplicates and messages without reports are not failures). */
int tlsrpt_ingest_status(const struct tlsrpt_ingest *in);

/* Logs "mtasts tlsrpt ingest: NAME: TEXT" with NAME escaped for the terminal. */
void tlsrpt_ingest_log(struct tlsrpt_ingest *in, const char *name, const char *what,
                       const char *text);

#endif
