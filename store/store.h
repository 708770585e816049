/* The result store: opening and migrating the SQLite database, scans, batched result writes. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules/sts_classify.h"
#include "rules/sts_result.h"

struct store; /* one open database; used by one thread at a time */

enum store_open_mode {
    STORE_READ_ONLY = 0, /* reports, export: never writes, refuses a missing file */
    STORE_READ_WRITE     /* scan, merge: creates the file, migrates the schema */
};

/* Opens `path`. On failure returns NULL and writes a message naming the file into err
 * (not SQLite, schema newer than this mtasts, read-only, locked, ...). The file is never
 * modified when opening fails. */
struct store *store_open(const char *path, enum store_open_mode mode, char *err, size_t errlen);
void store_close(struct store *st);

/* The last error message of this store (names the file); never NULL. */
const char *store_error(const struct store *st);

/* Facts about a new scan. */
/* An option of options_json that resume must find unchanged: its JSON key and the flag. */
struct store_option_key {
    const char *key;    /* "allow_private" */
    const char *flag;   /* "--allow-private", for the message */
    const char *absent; /* JSON value meant when the key is missing (a scan recorded before
                           the option existed, or a key written only when set): "90", "[]";
                           NULL: missing is a value of its own */
};

struct store_scan_info {
    const char *tool_version;
    const char *inputs_json;  /* JSON [{"name","sha256"}] */
    const char *options_json; /* JSON object */
    int shard_index;          /* -1 when unsharded */
    int shard_count;
    /* For store_scan_resume_matching: options that change verdicts (a resumed scan would mix
     * rows made under other rules); compared in options_json. NULL/0: not compared. */
    const struct store_option_key *verdict_options;
    size_t n_verdict_options;
};

/* Starts a scan; writes its id. Takes the database's scan lock: a second process scanning
 * into the same database gets an error here, not corruption. Returns 0 or -1. */
int store_scan_begin(struct store *st, const struct store_scan_info *info, int64_t *scan_id);

/* Reopens an unfinished scan for --resume (scan_id 0: the latest unfinished one); writes
 * its id and takes the scan lock. Returns 0, or -1 when there is none (message says so). */
int store_scan_resume(struct store *st, int64_t scan_id, int64_t *resumed_id);

/* True when the scan already has a result for domain (resume skips it). Callers resuming a
 * large scan may instead load the whole set with store_scan_domains(). */
bool store_result_exists(struct store *st, int64_t scan_id, const char *domain);

/* Calls fn for every domain with a result in the scan. Returns 0 or -1. */
int store_scan_domains(struct store *st, int64_t scan_id, void (*fn)(const char *domain, void *arg),
                       void *arg);

/* A result turned into an owned, self-contained row (strings formatted, artifacts hashed and
 * compressed), so a worker thread can build it and hand it to the writer thread. NULL on
 * out-of-memory. */
struct store_row *store_row_build(const struct sts_result *r);
void store_row_free(struct store_row *row);

/* Writes a row into the current batch; batches commit every few thousand rows or when
 * store_flush() is called. Returns 0 or -1 (store_error() says why; the batch is kept). */
int store_write_row(struct store *st, int64_t scan_id, const struct store_row *row);

/* Records an input line that is not a domain. */
int store_write_input_error(struct store *st, int64_t scan_id, const char *file, long line,
                            const char *text, const char *reason);

/* Commits the open batch. Returns 0 or -1. */
int store_flush(struct store *st);

/* Counts kept with the scan. */
struct store_scan_counts {
    int64_t input_domains;
    int64_t invalid_lines;
    int64_t duplicates;
    int64_t excluded;
    double elapsed_s; /* added to the stored value */
    /* The SMTP stage's summary, a JSON object (port-25 decision, probes made and saved),
     * stored in the scan's options under "smtp_summary"; NULL when the stage did not run. */
    const char *smtp_summary_json;
};

/* Flushes, records the counts and sets the state ("complete" or "interrupted"), and
 * releases the scan lock. Returns 0 or -1. */
int store_scan_finish(struct store *st, int64_t scan_id, const char *state,
                      const struct store_scan_counts *counts);

/* Adds (or replaces) key = json (a JSON value) in the scan's stored options: facts the scan
 * learnt as it ran (the adaptive DNS window). Returns 0, or -1 (store_error says why). */
int store_scan_note_option(struct store *st, int64_t scan_id, const char *key, const char *json);

/* Number of result rows of a scan, or -1. */
int64_t store_scan_result_count(struct store *st, int64_t scan_id);

/* The underlying handle, for read-only SQL in reports and export. */
struct sqlite3 *store_db(struct store *st);

/* ---- Added by the store (store/README.md describes them) ---- */

/* Like store_write_row, but takes ownership of row (no copy): the writer thread's fast path.
 * The row is freed by the store whatever the outcome. */
int store_write_row_owned(struct store *st, int64_t scan_id, struct store_row *row);

/* Rows dropped since the scan began or resumed because the domain already had a result in
 * the scan (the first committed result is kept, never replaced). 0 in a correct scan. */
int64_t store_duplicate_rows(const struct store *st);

/* Batch size: commit after `rows` rows or `ms` milliseconds (defaults 4096 and 1000). */
void store_set_batch(struct store *st, size_t rows, int ms);

/* What a scan row says, for `scan --resume` (check the shard and inputs match) and tools. */
struct store_scan_row {
    int64_t id;
    char state[16]; /* running, complete, interrupted */
    char started_at[32];
    int shard_index;       /* -1 when unsharded */
    int shard_count;       /* 0 when unsharded */
    int64_t input_domains; /* -1 when not recorded yet */
    char *inputs_json;     /* owned: free() */
    char *options_json;    /* owned: free() */
};

/* Reads scan `scan_id` (0: the latest scan). Returns 0, or -1 when there is none (message
 * says so). Free the two strings with free(). */
int store_scan_get(struct store *st, int64_t scan_id, struct store_scan_row *out);

/* Decodes a stored artifact (blobs.codec, blobs.data, blobs.raw_size) into a malloc'ed,
 * NUL-terminated buffer of raw_size bytes. Returns 0 or -1 (damaged blob, unknown codec). */
int store_blob_read(struct store *st, const char *codec, const void *data, size_t len,
                    size_t raw_size, char **out, size_t *out_len);

/* Reads artifact `blob_id` (a results.*_blob value). Returns 0, or -1 (no such blob). */
int store_artifact_get(struct store *st, int64_t blob_id, char **out, size_t *out_len);

/* store_scan_resume, after checking that the scan is the same work: the same shard (I/N, or
 * unsharded), the same inputs (compared by SHA-256, or by name for stdin) and the same values
 * of info->verdict_options in the stored options. Rate limits and other options may change
 * between runs. Returns 0, or -1 with a message naming every option that differs, with its
 * old and new value (and nothing is taken or changed). */
int store_scan_resume_matching(struct store *st, int64_t scan_id,
                               const struct store_scan_info *info, int64_t *resumed_id);

/* Text export of one scan (`mtasts export`). */
enum store_export_format { STORE_EXPORT_CSV = 0, STORE_EXPORT_JSONL };
/* Which records: one per domain (results), or one per MX host of the scan (mx_probes). */
enum store_export_table { STORE_EXPORT_DOMAINS = 0, STORE_EXPORT_MX };
struct store_export_options {
    int64_t scan_id; /* 0: the latest complete scan, else the latest scan */
    enum store_export_format format;
    bool zstd;                     /* compress the output stream */
    bool artifacts;                /* add the raw TXT/TLS-RPT records and the policy body */
    enum store_export_table table; /* --table domains (default) | mx */
};
/* Writes every result of the scan to `out`, ordered by rank (unranked last) then domain; with
 * table STORE_EXPORT_MX every MX host of the scan, ordered by host (artifacts ignored).
 * Returns the number of records, or -1 (store_error() says why). */
int64_t store_export(struct store *st, const struct store_export_options *opt, FILE *out);

/* What a merge did besides the scan: TLS-RPT reports copied from the shards, reports left
 * out because OUT (or an earlier shard) already held them, IMAP read marks merged. */
struct store_merge_info {
    int64_t tlsrpt_copied, tlsrpt_duplicates, tlsrpt_marks;
};

/* Merges the shard databases of one scan into a new scan of `out` (see store/README.md),
 * with the TLS-RPT reports they hold (each report once). Returns 0, the new scan's id and,
 * when info is not NULL, what else was merged; or -1 with a message in err; `out` is
 * unchanged then. */
int store_merge(const char *out, const char *const *shards, size_t n_shards, int64_t *merged_id,
                struct store_merge_info *info, char *err, size_t errlen);

#endif
