/* Finding TLS-RPT report JSON in bytes: gzip, zip, a mail message, an mbox (no I/O besides
 * what the caller hands in; the sink decides what to do with each report found). */
#ifndef TLSRPT_EXTRACT_H
#define TLSRPT_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

/* Caps on hostile input. Decompressed bytes are counted while inflating: a bomb is refused
 * at the cap with at most the cap in memory. */
#define TLSRPT_MAX_INPUT_BYTES (64u << 20)    /* a file, a message, standard input */
#define TLSRPT_MAX_INFLATED_BYTES (16u << 20) /* one decompressed report (= the parser's cap) */
#define TLSRPT_MAX_ZIP_ENTRIES 64
#define TLSRPT_MAX_MIME_DEPTH 8   /* nested multiparts and attached messages */
#define TLSRPT_MAX_MIME_PARTS 256 /* parts looked at in one message */

/* Where extracted reports go. `name` says where the bytes came from ("file.eml: part
 * report.json.gz"); json is not NUL-terminated. */
struct tlsrpt_sink {
    void (*report)(void *arg, const char *name, const char *json, size_t len);
    /* A report-shaped item that could not be read (bomb, bad gzip, ...): rejected. */
    void (*reject)(void *arg, const char *name, const char *reason);
    /* A note on a tolerated quirk (not a failure). May be NULL. */
    void (*note)(void *arg, const char *name, const char *text);
    void *arg;
};

/* A report payload: gzip (one or more members), zip (every entry), or JSON as it is.
 * Calls sink->report for each JSON found, sink->reject for what cannot be decoded. */
void tlsrpt_extract_payload(const struct tlsrpt_sink *sink, const char *name, const char *data,
                            size_t len);

/* Inflates gzip data into a malloc'ed buffer, refusing more than `cap` output bytes.
 * Returns 0, or -1 with the reason in err (output freed). */
int tlsrpt_gunzip(const char *data, size_t len, size_t cap, char **out, size_t *out_len, char *err,
                  size_t errlen);

/* One mail message (RFC 5322 bytes): every application/tlsrpt+gzip or +json part (and the
 * tolerated look-alikes, with a note) goes to tlsrpt_extract_payload. Returns the number of
 * report parts found (0: the message holds no report). */
int tlsrpt_extract_message(const struct tlsrpt_sink *sink, const char *name, const char *data,
                           size_t len);

/* An mbox (bytes): each message as tlsrpt_extract_message. *n_messages and *n_without get
 * the number of messages and of those without a report. */
void tlsrpt_extract_mbox(const struct tlsrpt_sink *sink, const char *name, const char *data,
                         size_t len, size_t *n_messages, size_t *n_without);

/* The same for an mbox file read as a stream (any size: one message in memory at a time).
 * Takes ownership of fd (closed). */
void tlsrpt_extract_mbox_fd(const struct tlsrpt_sink *sink, const char *name, int fd,
                            size_t *n_messages, size_t *n_without);

/* What bytes look like, by content (never by file name). */
enum tlsrpt_kind {
    TLSRPT_KIND_GZIP,
    TLSRPT_KIND_ZIP,
    TLSRPT_KIND_JSON,
    TLSRPT_KIND_MBOX,
    TLSRPT_KIND_MESSAGE
};
enum tlsrpt_kind tlsrpt_sniff(const char *data, size_t len);

#endif
