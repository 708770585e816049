/* Private to store/: the open database, the self-contained row and the helpers between them. */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_APPLICATION_ID 0x4d545354 /* "MTST" in the file header: an mtasts database */

/* Default batch: commit after this many rows or this many milliseconds, whichever first. */
#define STORE_BATCH_ROWS 4096
#define STORE_BATCH_MS 1000
/* Rows kept in memory while the disk refuses them (SQLITE_FULL); past this writes fail. */
#define STORE_PENDING_MAX (64 * 1024)

/* The current full schema (identical to store/schema.sql: a unit test compares them). */
extern const char store_schema_sql[];
/* The TLS-RPT tables alone (the schema.sql section between its tlsrpt markers): step 2. */
extern const char store_schema_tlsrpt_sql[];

/* A step from version `to - 1` to version `to`; applied in one transaction. */
struct store_migration {
    int to;
    const char *sql;
};
extern const struct store_migration store_migrations[];
/* Version 2 -> 3: the delivery side (the same columns and table as schema.sql). */
#define STORE_MIGRATION_V3                                                                         \
    "ALTER TABLE results ADD COLUMN smtp_checked INTEGER;"                                         \
    "ALTER TABLE results ADD COLUMN mx_verified INTEGER;"                                          \
    "ALTER TABLE results ADD COLUMN mx_smtp_outcome TEXT;"                                         \
    "ALTER TABLE results ADD COLUMN mx_probed INTEGER;"                                            \
    "ALTER TABLE results ADD COLUMN mx_failing INTEGER;"                                           \
    "ALTER TABLE results ADD COLUMN dane_summary TEXT;"                                            \
    "ALTER TABLE results ADD COLUMN dane_outcome TEXT;"                                            \
    "ALTER TABLE results ADD COLUMN readiness_reasons TEXT;"                                       \
    "CREATE TABLE IF NOT EXISTS mx_probes (scan_id INTEGER NOT NULL REFERENCES scans(id), "        \
    "host TEXT NOT NULL, smtp_checked INTEGER NOT NULL, smtp_outcome TEXT NOT NULL, "              \
    "rfc8460_result TEXT, dane_checked INTEGER NOT NULL, dane_outcome TEXT, tlsa_ad INTEGER, "     \
    "tlsa_rcode INTEGER, tlsa_records INTEGER, tlsa_usable INTEGER, addrs_probed INTEGER NOT "     \
    "NULL, addrs_dropped INTEGER NOT NULL, starttls_offered INTEGER, tls_version TEXT, "           \
    "cert_verify_code INTEGER, cert_name_matches INTEGER, cert_not_after INTEGER, "                \
    "cert_issuer TEXT, addrs TEXT NOT NULL, PRIMARY KEY (scan_id, host)) WITHOUT ROWID;"

/* Version 3 -> 4: the HTTP Server header of the policy fetch (reports' hosting figure). */
#define STORE_MIGRATION_V4 "ALTER TABLE results ADD COLUMN policy_http_server TEXT;"

extern const size_t store_n_migrations;
/* The migration engine (store.c), with its steps as parameters so a test can run a future
 * version's steps. Returns 0, or -1 with the database unchanged. */
struct store;
int store_migrate_with(struct store *st, const char *schema, const struct store_migration *steps,
                       size_t n_steps, int target);

/* Columns of the results table written per row, in the order of the INSERT (scan_id first,
 * then these). One table so the INSERT, the row builder and the merge agree. */
enum store_col {
    SC_DOMAIN,
    SC_RANK,
    SC_SCANNED_AT,
    SC_STATUS,
    SC_CATEGORY,
    SC_WARNINGS,
    SC_VALID_STRICT,
    SC_VALID_LENIENT,
    SC_WOULD_FAIL_DELIVERY,
    SC_READINESS,
    SC_DETAIL,
    SC_TXT_OUTCOME,
    SC_TXT_RECORDS,
    SC_TXT_VERSION_RECORDS,
    SC_TXT_ID,
    SC_TXT_BLOB,
    SC_MX_OUTCOME,
    SC_MX_HOSTS,
    SC_NULL_MX,
    SC_TLSRPT_OUTCOME,
    SC_TLSRPT_STATUS,
    SC_RUA,
    SC_TLSRPT_BLOB,
    SC_HOST_A_OUTCOME,
    SC_HOST_AAAA_OUTCOME,
    SC_HOST_ADDRS,
    SC_HOST_ADDRS_REFUSED,
    SC_HOST_CNAME,
    SC_HTTPS_OUTCOME,
    SC_HTTPS_ADDR,
    SC_HTTP_STATUS,
    SC_CONTENT_TYPE,
    SC_LOCATION,
    SC_TLS_VERSION,
    SC_CERT_VERIFY_CODE,
    SC_CERT_VERIFY_TEXT,
    SC_CERT_NOT_BEFORE,
    SC_CERT_NOT_AFTER,
    SC_CERT_ISSUER,
    SC_CERT_NAME_MATCHES,
    SC_CERT_CHAIN_LEN,
    SC_CERT_BLOB,
    SC_TIME_CONNECT_MS,
    SC_TIME_TLS_MS,
    SC_TIME_TOTAL_MS,
    SC_HTTPS_ERROR,
    SC_POLICY_BLOB,
    SC_POLICY_SIZE,
    SC_POLICY_MODE,
    SC_POLICY_MAX_AGE,
    SC_MX_PATTERNS,
    SC_LF_LINE_ENDINGS,
    SC_POLICY_ERRORS,
    SC_MX_COVERED,
    SC_TIME_DNS_MS,
    SC_POLICY_VALID,
    SC_POLICY_WARNINGS,
    SC_TXT_ERRORS,
    SC_TLSRPT_ERRORS,
    SC_SMTP_CHECKED, /* version 3 */
    SC_MX_VERIFIED,
    SC_MX_SMTP_OUTCOME,
    SC_MX_PROBED,
    SC_MX_FAILING,
    SC_DANE_SUMMARY,
    SC_DANE_OUTCOME,
    SC_READINESS_REASONS,
    SC_POLICY_HTTP_SERVER, /* version 4 */
    SC_COUNT
};

/* Columns of an mx_probes row (scan_id first, then these), in the order of its INSERT. */
enum store_mx_col {
    SM_HOST,
    SM_SMTP_CHECKED,
    SM_SMTP_OUTCOME,
    SM_RFC8460_RESULT,
    SM_DANE_CHECKED,
    SM_DANE_OUTCOME,
    SM_TLSA_AD,
    SM_TLSA_RCODE,
    SM_TLSA_RECORDS,
    SM_TLSA_USABLE,
    SM_ADDRS_PROBED,
    SM_ADDRS_DROPPED,
    SM_STARTTLS_OFFERED,
    SM_TLS_VERSION,
    SM_CERT_VERIFY_CODE,
    SM_CERT_NAME_MATCHES,
    SM_CERT_NOT_AFTER,
    SM_CERT_ISSUER,
    SM_ADDRS,
    SM_COUNT
};
extern const char *const store_mx_col_names[SM_COUNT];
extern const char *const store_col_names[SC_COUNT];

/* Raw artifacts kept per row, each referenced by one blob column. */
enum store_art { SA_TXT, SA_TLSRPT, SA_POLICY, SA_CERT, SA_COUNT };

enum store_val_type { SV_NULL = 0, SV_INT, SV_TEXT, SV_ART /* the id of artifact `i` */ };

struct store_val {
    uint8_t type;
    int64_t i;    /* SV_INT value; SV_ART artifact index */
    uint32_t off; /* SV_TEXT: offset into row->data */
    uint32_t len;
};

struct store_artifact {
    bool present;
    uint8_t sha256[32];
    uint32_t raw_size;
    char codec[32]; /* "raw", "zstd", "zstd-dict:<id>" */
    uint32_t off;   /* stored bytes in row->data */
    uint32_t len;
};

enum store_row_kind { STORE_ROW_RESULT = 0, STORE_ROW_INPUT_ERROR };
/* Values of an input-error row. */
enum { IE_FILE = 0, IE_LINE, IE_TEXT, IE_REASON };
#define STORE_INPUT_TEXT_MAX 300 /* bytes of a bad input line kept (schema.sql) */

/* One result as an owned, position-independent block: every string lives in data[] and is
 * addressed by offset, so a row is copied with one memcpy of `size` bytes. */
struct store_row {
    size_t size; /* of the whole allocation */
    int kind;    /* enum store_row_kind */
    struct store_val vals[SC_COUNT];
    struct store_artifact arts[SA_COUNT];
    /* The domain's MX hosts as mx_probes rows: n_mx arrays of SM_COUNT store_val, copied
     * into data[] at mx_off (unaligned: read them with store_row_mx_val). */
    uint32_t n_mx;
    uint32_t mx_off;
    uint32_t data_len;
    char data[];
};

struct store {
    sqlite3 *db;
    char *path;
    char err[1024];
    bool read_only;

    /* The write path: guarded by mu, because the commit timer thread flushes too. */
    pthread_mutex_t mu;
    sqlite3_stmt *ins_result, *ins_blob, *sel_blob, *ins_input_error, *ins_mx;
    /* MX hosts already written in pending_scan's scan: each host is inserted once however
     * many domains use it (a cache; ON CONFLICT DO NOTHING keeps it correct when cleared). */
    struct store_hostset *mx_written;
    struct store_row **pending; /* the open batch, owned copies */
    size_t n_pending, cap_pending;
    int64_t pending_scan; /* scan the batch belongs to */
    int64_t batch_started_ms;
    int64_t retry_after_ms; /* after a failed commit, automatic commits wait until then */
    size_t batch_rows;
    int batch_ms;
    int64_t duplicate_rows; /* rows dropped because the (scan, domain) already had one */
    int64_t rows_written;

    /* The scan lock and its timer. */
    int64_t locked_scan; /* 0 when this process holds no lock */
    pthread_t timer;
    bool timer_running;
    bool timer_stop;
    pthread_cond_t timer_cond;
};

/* Formats the store's error message (prefixed by nothing; callers name the file). */
void store_set_error(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "FILE: what (SQLite says: ...)" for the last SQLite error of the connection. */
void store_set_sqlite_error(struct store *st, const char *what);
/* Runs SQL without results; on failure sets the error naming `what`. Returns 0 or -1. */
int store_exec(struct store *st, const char *sql, const char *what);

int64_t store_now_ms(void);
/* UTC now as 2026-11-22T12:00:00Z. */
void store_utc_now(char *buf, size_t len);

/* Rows (store_row.c). */
struct store_row *store_row_input_error(const char *file, long line, const char *text,
                                        const char *reason);
/* Value `col` of MX host row `i` of a result row. */
struct store_val store_row_mx_val(const struct store_row *row, uint32_t i, int col);
/* The text of value `col`, or NULL when it is not text. */
const char *store_row_text(const struct store_row *row, int col, size_t *len);

/* The write path (store_write.c). */
int store_flush_locked(struct store *st);
void store_write_shutdown(struct store *st); /* flush, stop the timer, finalise statements */
void store_hostset_free(struct store_hostset *hs);
int store_timer_start(struct store *st);
void store_timer_stop(struct store *st);

/* The scan lock (store_lock.c). */
int store_lock_take(struct store *st, int64_t scan_id);
void store_lock_release(struct store *st);
/* 1 when scan_id is locked by a live (or unverifiable, other-host) process, with a message;
 * 0 when not; -1 on error. Reads only. */
int store_lock_busy(struct store *st, int64_t scan_id, char *msg, size_t msglen);

/* Artifacts (store_blob.c): hashes `raw` and compresses it into a newly allocated buffer. */
int store_blob_encode(const char *raw, size_t len, enum store_art kind, uint8_t sha256[32],
                      char *codec, size_t codec_len, void **out, size_t *out_len);
/* Decodes a stored blob into a malloc'ed, NUL-terminated buffer. Returns 0 or -1. */
int store_blob_decode(const char *codec, const void *data, size_t len, size_t raw_size, char **out,
                      size_t *out_len);
const char *store_art_kind(enum store_art kind);
/* zstd level for new artifacts (default 3; 0: store raw). For the benchmark; not thread-safe. */
void store_blob_set_level(int level);

/* ---- store_merge_tlsrpt.c: the TLS-RPT tables of an attached shard (`shard`) -------------
 * begin: before the first shard (temporary tables, OUT's highest ids); copy: inside a shard's
 * transaction, its reports not already in OUT (same JSON or same (organization, report id))
 * with their policies and failures, ids remapped, and its read marks collected; marks: inside
 * the final transaction, the collected marks into OUT; undo_sql: the statements that remove
 * what copy added, for a failed merge. Each returns 0 or -1 (store_error() says why). */
struct store_merge_tlsrpt {
    int64_t max_report, max_policy; /* OUT's highest ids before the merge */
    int64_t reports_copied, reports_duplicate, marks;
};
int store_merge_tlsrpt_begin(struct store *st, struct store_merge_tlsrpt *m);
int store_merge_tlsrpt_copy(struct store *st, struct store_merge_tlsrpt *m);
int store_merge_tlsrpt_marks(struct store *st, struct store_merge_tlsrpt *m);
void store_merge_tlsrpt_undo_sql(const struct store_merge_tlsrpt *m, char *sql, size_t len);

#endif
