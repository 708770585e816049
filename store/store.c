/* Opening the result database: checks that it is ours, migrates it, and reports errors by file. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/sbuf.h"
#include "store/store_internal.h"

/* Schema steps after version 1; a new file gets store_schema_sql (the latest version) at once.
 * To add version N: append {N, "ALTER TABLE ...;"}, make the same change in schema.sql
 * (regenerate store_schema_sql.c), and raise STORE_SCHEMA_VERSION. */
const struct store_migration store_migrations[] = {
    {1, store_schema_sql},
    {2, store_schema_tlsrpt_sql}, /* TLS-RPT reports (the section of schema.sql) */
    {3, STORE_MIGRATION_V3},      /* the delivery side: results columns and mx_probes */
    {4, STORE_MIGRATION_V4},      /* results.policy_http_server */
};
const size_t store_n_migrations = sizeof store_migrations / sizeof store_migrations[0];

/* How long a statement waits for another process's write lock before giving up. */
#define STORE_BUSY_TIMEOUT_MS 5000

void store_set_error(struct store *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err, sizeof st->err, fmt, ap);
    va_end(ap);
}

/* A sentence for the SQLite result codes people can act on. */
static const char *sqlite_advice(int code)
{
    switch (code & 0xff) {
    case SQLITE_FULL:
        return "the disk is full";
    case SQLITE_READONLY:
        return "the database is read-only";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "the database is locked by another process";
    case SQLITE_NOTADB:
        return "not an SQLite database";
    case SQLITE_CORRUPT:
        return "the database file is damaged";
    case SQLITE_CANTOPEN:
        return "cannot open the file";
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return "permission denied";
    case SQLITE_IOERR:
        return "I/O error";
    case SQLITE_NOMEM:
        return "out of memory";
    default:
        return NULL;
    }
}

void store_set_sqlite_error(struct store *st, const char *what)
{
    int code = st->db ? sqlite3_extended_errcode(st->db) : SQLITE_ERROR;
    const char *advice = sqlite_advice(code);
    const char *msg = st->db ? sqlite3_errmsg(st->db) : "no connection";
    if (advice)
        store_set_error(st, "%s: %s: %s (SQLite: %s)", st->path, what, advice, msg);
    else
        store_set_error(st, "%s: %s: %s", st->path, what, msg);
}

int store_exec(struct store *st, const char *sql, const char *what)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    store_set_sqlite_error(st, what);
    return -1;
}

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_utc_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *store_error(const struct store *st)
{
    return st && st->err[0] ? st->err : "no error";
}

struct sqlite3 *store_db(struct store *st)
{
    return st->db;
}

/* Reads one integer PRAGMA; -1 on error (the error names the file). */
static int64_t pragma_int(struct store *st, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot read the database header");
        return -1;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    else
        store_set_sqlite_error(st, "cannot read the database header");
    sqlite3_finalize(stmt);
    return v;
}

/* Refuses files that are not mtasts databases or are newer than this build; writes the
 * schema version (0 for an empty file) into *version. Reads only. */
static int check_identity(struct store *st, int64_t *version)
{
    int64_t app = pragma_int(st, "PRAGMA application_id");
    if (app < 0)
        return -1;
    int64_t ver = pragma_int(st, "PRAGMA user_version");
    if (ver < 0)
        return -1;
    int64_t tables = pragma_int(st, "SELECT count(*) FROM sqlite_master");
    if (tables < 0)
        return -1;
    if (app != 0 && app != STORE_APPLICATION_ID) {
        store_set_error(st,
                        "%s: an SQLite database of another application (application_id 0x%llx), "
                        "not an mtasts database",
                        st->path, (unsigned long long)app);
        return -1;
    }
    if (ver == 0 && tables > 0) {
        store_set_error(st, "%s: an SQLite database but not an mtasts one (no schema version)",
                        st->path);
        return -1;
    }
    if (ver > STORE_SCHEMA_VERSION) {
        store_set_error(st,
                        "%s: schema version %lld is newer than this mtasts understands (%d); "
                        "use a newer mtasts (the file was not touched)",
                        st->path, (long long)ver, STORE_SCHEMA_VERSION);
        return -1;
    }
    *version = ver;
    return 0;
}

/* Brings the schema to `target` in one transaction: a new file gets `schema` at once (it is
 * already the target version); an older one runs every step above its version, in order.
 * On any error nothing changes. */
int store_migrate_with(struct store *st, const char *schema, const struct store_migration *steps,
                       size_t n_steps, int target)
{
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot start the schema migration") < 0)
        return -1;
    int64_t from = pragma_int(st, "PRAGMA user_version"); /* again: another process may have won */
    if (from < 0 || from > target)
        goto fail;
    if (from == 0) {
        if (store_exec(st, schema, "cannot create the schema") < 0)
            goto fail;
    } else {
        for (size_t i = 0; i < n_steps; i++) {
            if (steps[i].to <= from || steps[i].to > target)
                continue;
            char what[64];
            snprintf(what, sizeof what, "cannot migrate to schema version %d", steps[i].to);
            if (store_exec(st, steps[i].sql, what) < 0)
                goto fail;
        }
    }
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
             STORE_APPLICATION_ID, target);
    if (store_exec(st, sql, "cannot record the schema version") < 0)
        goto fail;
    if (store_exec(st, "COMMIT", "cannot commit the schema migration") < 0)
        goto fail;
    return 0;
fail:
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int migrate(struct store *st)
{
    return store_migrate_with(st, store_schema_sql, store_migrations, store_n_migrations,
                              STORE_SCHEMA_VERSION);
}

/* Settings of a writing connection. WAL lets reports read while a scan writes.
 * synchronous=NORMAL in WAL mode never corrupts the file and loses nothing on a process
 * crash (kill -9): a commit is in the WAL, in the OS's cache, when COMMIT returns; only a
 * power failure may roll back the last commits, which --resume rescans. FULL would fsync
 * every batch for no gain against the failures a scan meets. */
static int configure_writer(struct store *st)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot switch to WAL mode");
        return -1;
    }
    int rc = sqlite3_step(stmt);
    bool wal = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(stmt, 0) ?: "", "wal");
    sqlite3_finalize(stmt);
    if (!wal) {
        store_set_sqlite_error(st, "cannot switch to WAL mode");
        return -1;
    }
    if (store_exec(st, "PRAGMA synchronous = NORMAL", "cannot set synchronous mode") < 0)
        return -1;
    /* 8 MiB of page cache (default 2 MiB). The (scan_id, domain) index of a million-row scan
     * is 28 MB: a page it misses is re-read from the OS page cache (microseconds), far below
     * what a scan's 2k-10k rows/s notice, while a 32 MiB cache made the scanner's peak RSS
     * grow 1.9x from 100k to 1M domains (the bench's flat-memory target is 1.5x). Merge
     * raises it (store_merge.c), since there writing is the whole job. */
    return store_exec(st, "PRAGMA cache_size = -8192", "cannot set the cache size");
}

/* WAL mode keeps FILE-wal and FILE-shm next to the database: its directory must be writable. */
/* The directory of the database file, into dir. */
static void db_dir(const struct store *st, char *dir, size_t len)
{
    snprintf(dir, len, "%s", st->path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
}

static int check_dir_writable(struct store *st)
{
    char dir[4096];
    db_dir(st, dir, sizeof dir);
    if (access(dir, W_OK) == 0)
        return 0;
    store_set_error(st,
                    "%s: cannot write in its directory %s (%s); the database needs it for its "
                    "-wal and -shm files",
                    st->path, dir, strerror(errno));
    return -1;
}

/* Why a file cannot be opened for writing, before SQLite touches it. */
static int check_writable(struct store *st)
{
    if (check_dir_writable(st) < 0)
        return -1;
    struct stat sb;
    if (stat(st->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            store_set_error(st, "%s: is a directory, not a database", st->path);
            return -1;
        }
        if (access(st->path, W_OK) != 0) {
            store_set_error(st,
                            "%s: the database is read-only (%s); a scan or merge needs to "
                            "write it",
                            st->path, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT) {
        store_set_error(st, "%s: %s", st->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int check_readable(struct store *st)
{
    struct stat sb;
    if (stat(st->path, &sb) != 0) {
        store_set_error(st, "%s: %s", st->path,
                        errno == ENOENT ? "no such database" : strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        store_set_error(st, "%s: is a directory, not a database", st->path);
        return -1;
    }
    return 0;
}

static int open_connection(struct store *st, enum store_open_mode mode)
{
    int flags =
        mode == STORE_READ_ONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(st->path, &st->db, flags | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        store_set_sqlite_error(st, "cannot open");
        return -1;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    if (mode == STORE_READ_WRITE && sqlite3_db_readonly(st->db, "main") == 1) {
        store_set_error(st, "%s: the database is read-only; a scan or merge needs to write it",
                        st->path);
        return -1;
    }
    return 0;
}

/* A WAL database in a folder the reader cannot write (a copy in a read-only folder, another
 * user's reports) cannot be read the usual way: SQLite must create PATH-shm. With no PATH-wal
 * beside it no writer is active, so the file cannot change under us and SQLite may read it
 * as immutable. Returns 0 when reopened that way, -1 otherwise (the first error kept). */
static int reopen_immutable(struct store *st)
{
    char wal[PATH_MAX + 8], dir[4096];
    snprintf(wal, sizeof wal, "%s-wal", st->path);
    db_dir(st, dir, sizeof dir);
    /* Only for that case: where the folder is writable the usual open's error stands (a
     * transient one beside a live writer must never become a read that ignores its WAL). */
    if (access(dir, W_OK) == 0 || access(wal, F_OK) == 0 || access(st->path, R_OK) != 0)
        return -1;
    struct sbuf uri = SBUF_INIT;
    sbuf_puts(&uri, "file:");
    for (const char *p = st->path; *p; p++) {
        if (*p == '?' || *p == '#' || *p == '%')
            sbuf_printf(&uri, "%%%02X", (unsigned char)*p);
        else
            sbuf_putc(&uri, *p);
    }
    sbuf_puts(&uri, "?immutable=1");
    sqlite3 *db = NULL;
    int rc =
        uri.oom
            ? SQLITE_NOMEM
            : sqlite3_open_v2(sbuf_str(&uri), &db,
                              SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI, NULL);
    sbuf_free(&uri);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(st->db);
    st->db = db;
    sqlite3_extended_result_codes(st->db, 1);
    st->err[0] = '\0';
    return 0;
}

static struct store *store_new(const char *path)
{
    struct store *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->path = strdup(path);
    if (!st->path) {
        free(st);
        return NULL;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->timer_cond, NULL);
    st->batch_rows = STORE_BATCH_ROWS;
    st->batch_ms = STORE_BATCH_MS;
    return st;
}

static void store_free(struct store *st)
{
    if (st->db)
        sqlite3_close_v2(st->db);
    pthread_cond_destroy(&st->timer_cond);
    pthread_mutex_destroy(&st->mu);
    free(st->pending);
    free(st->path);
    free(st);
}

struct store *store_open(const char *path, enum store_open_mode mode, char *err, size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "no database file given");
        return NULL;
    }
    struct store *st = store_new(path);
    if (!st) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    st->read_only = mode == STORE_READ_ONLY;
    int64_t version = 0;
    int rc = st->read_only ? check_readable(st) : check_writable(st);
    if (rc == 0)
        rc = open_connection(st, mode);
    if (rc == 0)
        rc = check_identity(st, &version);
    if (rc < 0 && st->read_only && reopen_immutable(st) == 0)
        rc = check_identity(st, &version);
    if (rc == 0 && st->read_only && version < STORE_SCHEMA_VERSION) {
        if (version == 0)
            store_set_error(st, "%s: empty file, not an mtasts database", path);
        else
            store_set_error(st,
                            "%s: schema version %lld is older than %d; open it once with a "
                            "writing command (scan, merge) to migrate it",
                            path, (long long)version, STORE_SCHEMA_VERSION);
        rc = -1;
    }
    if (rc == 0 && !st->read_only)
        rc = configure_writer(st);
    if (rc == 0 && !st->read_only && version < STORE_SCHEMA_VERSION)
        rc = migrate(st);
    if (rc < 0) {
        snprintf(err, errlen, "%s", st->err);
        store_free(st);
        return NULL;
    }
    st->err[0] = '\0';
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    store_write_shutdown(st);
    store_lock_release(st);
    store_free(st);
}
