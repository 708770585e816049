/* The write path: rows gathered in memory, committed in batches by count or by a 1 s timer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

/* Builds "INSERT INTO results (scan_id, <columns>) VALUES (?, ...)" from store_col_names.
 * ON CONFLICT DO NOTHING: a (scan, domain) result, once committed, is never replaced. */
static char *results_insert_sql(void)
{
    size_t cap = 64 * SC_COUNT + 256;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(sql, cap, "INSERT INTO results (scan_id");
    for (int c = 0; c < SC_COUNT; c++)
        n += (size_t)snprintf(sql + n, cap - n, ", %s", store_col_names[c]);
    n += (size_t)snprintf(sql + n, cap - n, ") VALUES (?");
    for (int c = 0; c < SC_COUNT; c++)
        n += (size_t)snprintf(sql + n, cap - n, ", ?");
    snprintf(sql + n, cap - n, ") ON CONFLICT (scan_id, domain) DO NOTHING");
    return sql;
}

/* "INSERT INTO mx_probes (scan_id, <columns>) VALUES (?, ...)": first write of a host wins. */
static char *mx_insert_sql(void)
{
    size_t cap = 64 * SM_COUNT + 256;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t n = (size_t)snprintf(sql, cap, "INSERT INTO mx_probes (scan_id");
    for (int c = 0; c < SM_COUNT; c++)
        n += (size_t)snprintf(sql + n, cap - n, ", %s", store_mx_col_names[c]);
    n += (size_t)snprintf(sql + n, cap - n, ") VALUES (?");
    for (int c = 0; c < SM_COUNT; c++)
        n += (size_t)snprintf(sql + n, cap - n, ", ?");
    snprintf(sql + n, cap - n, ") ON CONFLICT (scan_id, host) DO NOTHING");
    return sql;
}

/* The set of MX hosts written in one scan: open addressing over owned strings. Bounded: past
 * STORE_HOSTSET_MAX hosts it stops remembering and ON CONFLICT DO NOTHING does the work. */
#define STORE_HOSTSET_MAX (1u << 20)
struct store_hostset {
    int64_t scan;
    size_t n, cap; /* cap a power of two */
    char **slots;
};

static uint64_t host_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

void store_hostset_free(struct store_hostset *hs)
{
    if (!hs)
        return;
    for (size_t i = 0; i < hs->cap; i++)
        free(hs->slots[i]);
    free(hs->slots);
    free(hs);
}

/* True when host was already written in scan; otherwise remembers it (when it can). */
static bool hostset_seen(struct store *st, int64_t scan, const char *host, size_t len)
{
    struct store_hostset *hs = st->mx_written;
    if (hs && hs->scan != scan) {
        store_hostset_free(hs);
        hs = st->mx_written = NULL;
    }
    if (!hs) {
        hs = st->mx_written = calloc(1, sizeof *hs);
        if (!hs)
            return false;
        hs->scan = scan;
    }
    if (hs->n * 2 >= hs->cap) {
        if (hs->n >= STORE_HOSTSET_MAX)
            return false;
        size_t cap = hs->cap ? hs->cap * 2 : 1024;
        char **slots = calloc(cap, sizeof *slots);
        if (!slots)
            return false;
        for (size_t i = 0; i < hs->cap; i++) {
            if (!hs->slots[i])
                continue;
            size_t j = host_hash(hs->slots[i], strlen(hs->slots[i])) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = hs->slots[i];
        }
        free(hs->slots);
        hs->slots = slots;
        hs->cap = cap;
    }
    size_t j = host_hash(host, len) & (hs->cap - 1);
    while (hs->slots[j]) {
        if (strlen(hs->slots[j]) == len && memcmp(hs->slots[j], host, len) == 0)
            return true;
        j = (j + 1) & (hs->cap - 1);
    }
    hs->slots[j] = strndup(host, len);
    hs->n += hs->slots[j] != NULL;
    return false;
}

static int prepare_statements(struct store *st)
{
    if (st->ins_result)
        return 0;
    char *sql = results_insert_sql();
    if (!sql) {
        store_set_error(st, "%s: out of memory", st->path);
        return -1;
    }
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->ins_result, NULL);
    free(sql);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(st->db,
                                "INSERT INTO blobs (sha256, kind, raw_size, codec, data) "
                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                                -1, SQLITE_PREPARE_PERSISTENT, &st->ins_blob, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(st->db, "SELECT id FROM blobs WHERE sha256 = ?", -1,
                                SQLITE_PREPARE_PERSISTENT, &st->sel_blob, NULL);
    char *mx_sql = rc == SQLITE_OK ? mx_insert_sql() : NULL;
    if (rc == SQLITE_OK)
        rc = mx_sql ? sqlite3_prepare_v3(st->db, mx_sql, -1, SQLITE_PREPARE_PERSISTENT, &st->ins_mx,
                                         NULL)
                    : SQLITE_NOMEM;
    free(mx_sql);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(st->db,
                                "INSERT INTO input_errors (scan_id, file, line, text, reason) "
                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                -1, SQLITE_PREPARE_PERSISTENT, &st->ins_input_error, NULL);
    if (rc != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot prepare the writer's statements");
        return -1;
    }
    return 0;
}

static void finalize_statements(struct store *st)
{
    sqlite3_finalize(st->ins_result);
    sqlite3_finalize(st->ins_blob);
    sqlite3_finalize(st->sel_blob);
    sqlite3_finalize(st->ins_input_error);
    sqlite3_finalize(st->ins_mx);
    st->ins_result = st->ins_blob = st->sel_blob = st->ins_input_error = st->ins_mx = NULL;
}

/* The id of an artifact's blob: inserted once per distinct SHA-256, looked up otherwise. */
static int blob_id(struct store *st, const struct store_row *row, enum store_art kind, int64_t *id)
{
    const struct store_artifact *a = &row->arts[kind];
    sqlite3_stmt *ins = st->ins_blob;
    sqlite3_reset(ins);
    sqlite3_bind_blob(ins, 1, a->sha256, 32, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, store_art_kind(kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 3, a->raw_size);
    sqlite3_bind_text(ins, 4, a->codec, -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 5, row->data + a->off, (int)a->len, SQLITE_STATIC);
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_changes(st->db) == 1) {
        *id = sqlite3_last_insert_rowid(st->db);
        return 0;
    }
    /* Reset at once: a statement left on a row keeps a read transaction open, and then no
     * checkpoint can ever restart the WAL, which grows without bound. */
    sqlite3_stmt *sel = st->sel_blob;
    sqlite3_bind_blob(sel, 1, a->sha256, 32, SQLITE_STATIC);
    rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(sel, 0);
    sqlite3_reset(sel);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int bind_val(struct store *st, sqlite3_stmt *stmt, int param, const struct store_row *row,
                    const struct store_val *v)
{
    int64_t id;
    switch (v->type) {
    case SV_INT:
        return sqlite3_bind_int64(stmt, param, v->i);
    case SV_TEXT:
        return sqlite3_bind_text(stmt, param, row->data + v->off, (int)v->len, SQLITE_STATIC);
    case SV_ART:
        if (blob_id(st, row, (enum store_art)v->i, &id) < 0)
            return SQLITE_ERROR;
        return sqlite3_bind_int64(stmt, param, id);
    default:
        return sqlite3_bind_null(stmt, param);
    }
}

static int bind_value(struct store *st, sqlite3_stmt *stmt, int param, const struct store_row *row,
                      int col)
{
    return bind_val(st, stmt, param, row, &row->vals[col]);
}

/* Writes the row's MX hosts not yet written in this scan. */
static int write_mx(struct store *st, int64_t scan_id, const struct store_row *row)
{
    for (uint32_t i = 0; i < row->n_mx; i++) {
        struct store_val host = store_row_mx_val(row, i, SM_HOST);
        if (host.type != SV_TEXT || hostset_seen(st, scan_id, row->data + host.off, host.len))
            continue;
        sqlite3_stmt *stmt = st->ins_mx;
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        sqlite3_bind_int64(stmt, 1, scan_id);
        for (int c = 0; c < SM_COUNT; c++) {
            struct store_val v = store_row_mx_val(row, i, c);
            if (bind_val(st, stmt, c + 2, row, &v) != SQLITE_OK)
                return -1;
        }
        int rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

/* Writes one row inside the open transaction; *dup is set when the domain had a result. */
static int write_one(struct store *st, int64_t scan_id, const struct store_row *row, bool *dup)
{
    bool input_error = row->kind == STORE_ROW_INPUT_ERROR;
    sqlite3_stmt *stmt = input_error ? st->ins_input_error : st->ins_result;
    int ncols = input_error ? 4 : SC_COUNT;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    sqlite3_bind_int64(stmt, 1, scan_id);
    for (int c = 0; c < ncols; c++)
        if (bind_value(st, stmt, c + 2, row, c) != SQLITE_OK)
            return -1;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        *dup = !input_error && sqlite3_changes(st->db) == 0;
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return -1;
    return input_error || *dup ? 0 : write_mx(st, scan_id, row);
}

static void free_pending(struct store *st)
{
    for (size_t i = 0; i < st->n_pending; i++)
        free(st->pending[i]);
    st->n_pending = 0;
}

/* Says why a batch failed, and that its rows are kept for the next try. */
static void batch_error(struct store *st)
{
    int code = sqlite3_extended_errcode(st->db) & 0xff;
    char what[160];
    if (code == SQLITE_FULL)
        snprintf(what, sizeof what,
                 "cannot commit %zu results: the disk is full; they are kept in memory and "
                 "written at the next commit once space is freed",
                 st->n_pending);
    else
        snprintf(what, sizeof what, "cannot commit %zu results (kept, retried at the next commit)",
                 st->n_pending);
    store_set_sqlite_error(st, what);
}

int store_flush_locked(struct store *st)
{
    if (st->n_pending == 0)
        return 0;
    if (prepare_statements(st) < 0)
        return -1;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        batch_error(st);
        return -1;
    }
    int64_t dups = 0;
    for (size_t i = 0; i < st->n_pending; i++) {
        bool dup = false;
        if (write_one(st, st->pending_scan, st->pending[i], &dup) < 0)
            goto fail;
        dups += dup;
    }
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < st->n_pending; i++)
        st->rows_written += st->pending[i]->kind == STORE_ROW_RESULT;
    st->rows_written -= dups;
    st->duplicate_rows += dups;
    free_pending(st);
    st->batch_started_ms = 0;
    return 0;
fail:
    batch_error(st);
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    store_hostset_free(st->mx_written); /* it named hosts of the rolled-back batch */
    st->mx_written = NULL;
    st->retry_after_ms = store_now_ms() + st->batch_ms;
    return -1;
}

/* Whether the batch should be committed now: full or old, and not right after a failure
 * (retrying a growing batch on every write while the disk stays full would be quadratic). */
static bool batch_due(const struct store *st, int64_t now)
{
    if (now < st->retry_after_ms)
        return false;
    return st->n_pending >= st->batch_rows || now - st->batch_started_ms >= st->batch_ms;
}

/* Takes ownership of row into the batch; commits when the batch is full or old. */
static int enqueue(struct store *st, int64_t scan_id, struct store_row *row)
{
    if (!st->locked_scan || scan_id != st->locked_scan) {
        store_set_error(st, "%s: scan %lld is not open for writing in this process", st->path,
                        (long long)scan_id);
        free(row);
        return -1;
    }
    if (st->n_pending >= STORE_PENDING_MAX) {
        store_set_error(st, "%s: %zu results wait for the disk (%s); refusing more", st->path,
                        st->n_pending, st->err[0] ? "see the previous error" : "commit failing");
        free(row);
        return -1;
    }
    if (st->n_pending == st->cap_pending) {
        size_t cap = st->cap_pending ? st->cap_pending * 2 : 1024;
        struct store_row **p = realloc(st->pending, cap * sizeof *p);
        if (!p) {
            store_set_error(st, "%s: out of memory batching results", st->path);
            free(row);
            return -1;
        }
        st->pending = p;
        st->cap_pending = cap;
    }
    st->pending[st->n_pending++] = row;
    int64_t now = store_now_ms();
    if (!st->batch_started_ms)
        st->batch_started_ms = now;
    if (now < st->retry_after_ms)
        return -1; /* the last commit failed moments ago: the row is kept, the error stands */
    if (batch_due(st, now))
        return store_flush_locked(st);
    return 0;
}

int store_write_row(struct store *st, int64_t scan_id, const struct store_row *row)
{
    if (!row) {
        store_set_error(st, "%s: no row to write (store_row_build failed?)", st->path);
        return -1;
    }
    struct store_row *copy = malloc(row->size);
    if (!copy) {
        store_set_error(st, "%s: out of memory batching results", st->path);
        return -1;
    }
    memcpy(copy, row, row->size);
    return store_write_row_owned(st, scan_id, copy);
}

int store_write_row_owned(struct store *st, int64_t scan_id, struct store_row *row)
{
    if (!row) {
        store_set_error(st, "%s: no row to write (store_row_build failed?)", st->path);
        return -1;
    }
    pthread_mutex_lock(&st->mu);
    int rc = enqueue(st, scan_id, row);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_write_input_error(struct store *st, int64_t scan_id, const char *file, long line,
                            const char *text, const char *reason)
{
    struct store_row *row = store_row_input_error(file, line, text, reason);
    if (!row) {
        store_set_error(st, "%s: out of memory recording a bad input line", st->path);
        return -1;
    }
    pthread_mutex_lock(&st->mu);
    int rc = enqueue(st, scan_id, row);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_flush(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    int rc = store_flush_locked(st);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* Commits a batch older than batch_ms even when no new row arrives, so a slow scan
 * killed with -9 loses at most about a second of results. */
static void *timer_main(void *arg)
{
    struct store *st = arg;
    pthread_mutex_lock(&st->mu);
    while (!st->timer_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long tick_ms = st->batch_ms / 4 > 10 ? st->batch_ms / 4 : 10;
        ts.tv_nsec += tick_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&st->timer_cond, &st->mu, &ts);
        if (st->timer_stop)
            break;
        if (st->n_pending && batch_due(st, store_now_ms()))
            store_flush_locked(st); /* on failure the batch stays; the writer sees the error */
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

int store_timer_start(struct store *st)
{
    if (st->timer_running)
        return 0;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_destroy(&st->timer_cond);
    pthread_cond_init(&st->timer_cond, &attr);
    pthread_condattr_destroy(&attr);
    st->timer_stop = false;
    int rc = pthread_create(&st->timer, NULL, timer_main, st);
    if (rc != 0) {
        store_set_error(st, "%s: cannot start the commit timer: %s", st->path, strerror(rc));
        return -1;
    }
    st->timer_running = true;
    return 0;
}

void store_timer_stop(struct store *st)
{
    if (!st->timer_running)
        return;
    pthread_mutex_lock(&st->mu);
    st->timer_stop = true;
    pthread_cond_signal(&st->timer_cond);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->timer, NULL);
    st->timer_running = false;
}

void store_write_shutdown(struct store *st)
{
    store_timer_stop(st);
    if (st->db && !st->read_only)
        store_flush_locked(st); /* best effort: a failed batch is lost only with the process */
    free_pending(st);
    finalize_statements(st);
    store_hostset_free(st->mx_written);
    st->mx_written = NULL;
}

void store_set_batch(struct store *st, size_t rows, int ms)
{
    pthread_mutex_lock(&st->mu);
    st->batch_rows = rows ? rows : STORE_BATCH_ROWS;
    st->batch_ms = ms > 0 ? ms : STORE_BATCH_MS;
    pthread_mutex_unlock(&st->mu);
}

int64_t store_duplicate_rows(const struct store *st)
{
    return st->duplicate_rows;
}
