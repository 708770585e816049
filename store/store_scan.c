/* Scans: begin, resume, finish, and the questions resume asks (which domains are done). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/version.h"
#include "store/store_internal.h"

static int rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int need_writer(struct store *st, const char *what)
{
    if (st->read_only) {
        store_set_error(st, "%s: opened read-only, cannot %s", st->path, what);
        return -1;
    }
    if (st->locked_scan) {
        store_set_error(st, "%s: this process is already writing scan %lld", st->path,
                        (long long)st->locked_scan);
        return -1;
    }
    return 0;
}

/* True when both texts are valid JSON (reports unnest them with json_each). */
static int check_json(struct store *st, const char *inputs, const char *options)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT json_valid(?1), json_valid(?2)", -1, &stmt, NULL) !=
        SQLITE_OK) {
        store_set_sqlite_error(st, "cannot check the scan's JSON");
        return -1;
    }
    sqlite3_bind_text(stmt, 1, inputs, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, options, -1, SQLITE_STATIC);
    int ok = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) &&
             sqlite3_column_int(stmt, 1);
    sqlite3_finalize(stmt);
    if (!ok)
        store_set_error(st, "%s: the scan's inputs or options are not valid JSON", st->path);
    return ok ? 0 : -1;
}

static int insert_scan(struct store *st, const struct store_scan_info *info, int64_t *scan_id)
{
    const char *inputs = info->inputs_json ? info->inputs_json : "[]";
    const char *options = info->options_json ? info->options_json : "{}";
    if (check_json(st, inputs, options) < 0)
        return -1;
    char now[32];
    store_utc_now(now, sizeof now);
    sqlite3_stmt *stmt = NULL;
    const char *sql = "INSERT INTO scans (started_at, state, tool_version, inputs, options, "
                      "shard_index, shard_count) VALUES (?, 'running', ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot record the new scan");
        return -1;
    }
    sqlite3_bind_text(stmt, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, info->tool_version ? info->tool_version : MTASTS_VERSION, -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, inputs, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, options, -1, SQLITE_STATIC);
    if (info->shard_index >= 0 && info->shard_count > 0) {
        sqlite3_bind_int(stmt, 5, info->shard_index);
        sqlite3_bind_int(stmt, 6, info->shard_count);
    }
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot record the new scan");
        return -1;
    }
    *scan_id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

/* After the lock row is committed: this process writes scan_id from now on. */
static int start_writing(struct store *st, int64_t scan_id)
{
    st->locked_scan = scan_id;
    st->pending_scan = scan_id;
    st->duplicate_rows = 0;
    st->rows_written = 0;
    if (store_timer_start(st) < 0) {
        store_lock_release(st);
        return -1;
    }
    return 0;
}

int store_scan_begin(struct store *st, const struct store_scan_info *info, int64_t *scan_id)
{
    if (need_writer(st, "start a scan") < 0)
        return -1;
    if (info && info->shard_index >= 0 &&
        (info->shard_count <= 0 || info->shard_index >= info->shard_count)) {
        store_set_error(st, "%s: bad shard %d/%d", st->path, info->shard_index, info->shard_count);
        return -1;
    }
    struct store_scan_info none = {NULL, NULL, NULL, -1, 0};
    if (!info)
        info = &none;
    int64_t id = 0;
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot start a scan") < 0)
        return -1;
    if (store_lock_take(st, 0) < 0 || insert_scan(st, info, &id) < 0)
        return rollback(st);
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE scan_lock SET scan_id = %lld WHERE id = 1", (long long)id);
    if (store_exec(st, sql, "cannot take the scan lock") < 0 ||
        store_exec(st, "COMMIT", "cannot start a scan") < 0)
        return rollback(st);
    *scan_id = id;
    return start_writing(st, id);
}

/* The scan to resume: `want`, or the latest unfinished one when want is 0. */
static int pick_resumable(struct store *st, int64_t want, int64_t *id)
{
    sqlite3_stmt *stmt = NULL;
    const char *sql = want ? "SELECT id, state, merged_from IS NOT NULL FROM scans WHERE id = ?"
                           : "SELECT id, state, merged_from IS NOT NULL FROM scans "
                             "WHERE state != 'complete' ORDER BY id DESC LIMIT 1";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot find the scan to resume");
        return -1;
    }
    if (want)
        sqlite3_bind_int64(stmt, 1, want);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            store_set_sqlite_error(st, "cannot find the scan to resume");
        else if (want)
            store_set_error(st, "%s: no scan %lld to resume", st->path, (long long)want);
        else
            store_set_error(st, "%s: no unfinished scan to resume (all scans are complete)",
                            st->path);
        sqlite3_finalize(stmt);
        return -1;
    }
    *id = sqlite3_column_int64(stmt, 0);
    bool complete = !strcmp((const char *)sqlite3_column_text(stmt, 1) ?: "", "complete");
    bool merged = sqlite3_column_int(stmt, 2);
    sqlite3_finalize(stmt);
    if (complete) {
        store_set_error(st, "%s: scan %lld is complete; nothing to resume", st->path,
                        (long long)*id);
        return -1;
    }
    if (merged) {
        store_set_error(st, "%s: scan %lld was made by `mtasts merge`; resume its shards instead",
                        st->path, (long long)*id);
        return -1;
    }
    return 0;
}

int store_scan_resume(struct store *st, int64_t scan_id, int64_t *resumed_id)
{
    if (need_writer(st, "resume a scan") < 0)
        return -1;
    int64_t id = 0;
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot resume a scan") < 0)
        return -1;
    if (pick_resumable(st, scan_id, &id) < 0 || store_lock_take(st, id) < 0)
        return rollback(st);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE scans SET state = 'running', finished_at = NULL, resumes = resumes + 1 "
             "WHERE id = %lld",
             (long long)id);
    if (store_exec(st, sql, "cannot resume a scan") < 0 ||
        store_exec(st, "COMMIT", "cannot resume a scan") < 0)
        return rollback(st);
    *resumed_id = id;
    return start_writing(st, id);
}

static int update_finished(struct store *st, int64_t scan_id, const char *state,
                           const struct store_scan_counts *c)
{
    char now[32];
    store_utc_now(now, sizeof now);
    sqlite3_stmt *stmt = NULL;
    const char *sql = "UPDATE scans SET state = ?1, finished_at = ?2, "
                      "input_domains = CASE WHEN ?3 THEN ?4 ELSE input_domains END, "
                      "invalid_lines = CASE WHEN ?3 THEN ?5 ELSE invalid_lines END, "
                      "duplicates = CASE WHEN ?3 THEN ?6 ELSE duplicates END, "
                      "excluded = CASE WHEN ?3 THEN ?7 ELSE excluded END, "
                      "elapsed_s = coalesce(elapsed_s, 0) + ?8, "
                      "options = CASE WHEN ?10 IS NULL THEN options "
                      "ELSE json_set(options, '$.smtp_summary', json(?10)) END WHERE id = ?9";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot finish the scan");
        return -1;
    }
    sqlite3_bind_text(stmt, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 3, c != NULL);
    if (c) {
        sqlite3_bind_int64(stmt, 4, c->input_domains);
        sqlite3_bind_int64(stmt, 5, c->invalid_lines);
        sqlite3_bind_int64(stmt, 6, c->duplicates);
        sqlite3_bind_int64(stmt, 7, c->excluded);
    }
    sqlite3_bind_double(stmt, 8, c ? c->elapsed_s : 0.0);
    sqlite3_bind_int64(stmt, 9, scan_id);
    if (c && c->smtp_summary_json)
        sqlite3_bind_text(stmt, 10, c->smtp_summary_json, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, 10);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot finish the scan");
        return -1;
    }
    return 0;
}

int store_scan_finish(struct store *st, int64_t scan_id, const char *state,
                      const struct store_scan_counts *counts)
{
    if (!state || (strcmp(state, "complete") && strcmp(state, "interrupted"))) {
        store_set_error(st, "%s: a scan finishes 'complete' or 'interrupted', not '%s'", st->path,
                        state ? state : "(null)");
        return -1;
    }
    if (scan_id != st->locked_scan) {
        store_set_error(st, "%s: scan %lld is not being written by this process", st->path,
                        (long long)scan_id);
        return -1;
    }
    store_timer_stop(st);
    pthread_mutex_lock(&st->mu);
    int rc = store_flush_locked(st);
    pthread_mutex_unlock(&st->mu);
    if (rc < 0)
        return -1; /* the lock stays: it is stale once this process exits */
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot finish the scan") < 0)
        return -1;
    if (update_finished(st, scan_id, state, counts) < 0)
        return rollback(st);
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM scan_lock WHERE id = 1 AND scan_id = %lld",
             (long long)scan_id);
    if (store_exec(st, sql, "cannot release the scan lock") < 0 ||
        store_exec(st, "COMMIT", "cannot finish the scan") < 0)
        return rollback(st);
    st->locked_scan = 0;
    return 0;
}

/* The queries below run under the write mutex (the commit timer uses the same connection)
 * after a flush, so rows still in the batch are visible to them. */
static int lock_and_flush(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    if (st->read_only || store_flush_locked(st) == 0)
        return 0;
    pthread_mutex_unlock(&st->mu);
    return -1;
}

bool store_result_exists(struct store *st, int64_t scan_id, const char *domain)
{
    if (!domain || lock_and_flush(st) < 0)
        return false;
    sqlite3_stmt *stmt = NULL;
    bool found = false;
    const char *sql = "SELECT 1 FROM results WHERE scan_id = ? AND domain = ?";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, scan_id);
        sqlite3_bind_text(stmt, 2, domain, -1, SQLITE_STATIC);
        found = sqlite3_step(stmt) == SQLITE_ROW;
    } else {
        store_set_sqlite_error(st, "cannot look up a result");
    }
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return found;
}

int store_scan_domains(struct store *st, int64_t scan_id, void (*fn)(const char *domain, void *arg),
                       void *arg)
{
    if (lock_and_flush(st) < 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    int rc = SQLITE_ERROR;
    const char *sql = "SELECT domain FROM results WHERE scan_id = ?";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, scan_id);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            fn((const char *)sqlite3_column_text(stmt, 0), arg);
    }
    if (rc != SQLITE_DONE)
        store_set_sqlite_error(st, "cannot list the scan's domains");
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc == SQLITE_DONE ? 0 : -1;
}

int64_t store_scan_result_count(struct store *st, int64_t scan_id)
{
    if (lock_and_flush(st) < 0)
        return -1;
    sqlite3_stmt *stmt = NULL;
    int64_t n = -1;
    const char *sql = "SELECT count(*) FROM results WHERE scan_id = ?";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, scan_id);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            n = sqlite3_column_int64(stmt, 0);
    }
    if (n < 0)
        store_set_sqlite_error(st, "cannot count results");
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return n;
}

static char *dup_column(sqlite3_stmt *stmt, int col)
{
    const char *s = (const char *)sqlite3_column_text(stmt, col);
    return strdup(s ? s : "");
}

int store_scan_get(struct store *st, int64_t scan_id, struct store_scan_row *out)
{
    memset(out, 0, sizeof *out);
    const char *sql = scan_id
                          ? "SELECT id, state, started_at, shard_index, shard_count, "
                            "input_domains, inputs, options FROM scans WHERE id = ?"
                          : "SELECT id, state, started_at, shard_index, shard_count, "
                            "input_domains, inputs, options FROM scans ORDER BY id DESC LIMIT 1";
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        if (scan_id)
            sqlite3_bind_int64(stmt, 1, scan_id);
        rc = sqlite3_step(stmt);
    }
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(stmt, 0);
        snprintf(out->state, sizeof out->state, "%s",
                 (const char *)sqlite3_column_text(stmt, 1) ?: "");
        snprintf(out->started_at, sizeof out->started_at, "%s",
                 (const char *)sqlite3_column_text(stmt, 2) ?: "");
        bool sharded = sqlite3_column_type(stmt, 3) != SQLITE_NULL;
        out->shard_index = sharded ? sqlite3_column_int(stmt, 3) : -1;
        out->shard_count = sharded ? sqlite3_column_int(stmt, 4) : 0;
        out->input_domains =
            sqlite3_column_type(stmt, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 5);
        out->inputs_json = dup_column(stmt, 6);
        out->options_json = dup_column(stmt, 7);
    } else if (rc == SQLITE_DONE || rc == SQLITE_OK) {
        if (scan_id)
            store_set_error(st, "%s: no scan %lld", st->path, (long long)scan_id);
        else
            store_set_error(st, "%s: no scan yet", st->path);
    } else {
        store_set_sqlite_error(st, "cannot read the scan");
    }
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    if (rc != SQLITE_ROW)
        return -1;
    if (!out->inputs_json || !out->options_json) {
        free(out->inputs_json);
        free(out->options_json);
        store_set_error(st, "%s: out of memory", st->path);
        return -1;
    }
    return 0;
}

/* The inputs of a scan as the list of their SHA-256 (names where there is no hash). */
static char *inputs_key(struct store *st, const char *inputs_json)
{
    sqlite3_stmt *stmt = NULL;
    char *key = NULL;
    const char *sql = "SELECT json_group_array(coalesce(json_extract(value, '$.sha256'), "
                      "json_extract(value, '$.name'))) FROM json_each(?)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, inputs_json, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            key = strdup((const char *)sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return key;
}

static int check_same_work(struct store *st, const struct store_scan_row *row,
                           const struct store_scan_info *info)
{
    int want_index = info->shard_count > 0 ? info->shard_index : -1;
    int want_count = info->shard_count > 0 ? info->shard_count : 0;
    if (row->shard_index != want_index || row->shard_count != want_count) {
        char have[32] = "unsharded", want[32] = "unsharded";
        if (row->shard_count)
            snprintf(have, sizeof have, "--shard %d/%d", row->shard_index, row->shard_count);
        if (want_count)
            snprintf(want, sizeof want, "--shard %d/%d", want_index, want_count);
        store_set_error(st, "%s: scan %lld was %s, this run is %s: resume it with the same shard",
                        st->path, (long long)row->id, have, want);
        return -1;
    }
    char *a = inputs_key(st, row->inputs_json);
    char *b = inputs_key(st, info->inputs_json ? info->inputs_json : "[]");
    int same = a && b && !strcmp(a, b);
    if (!same)
        store_set_error(st,
                        "%s: scan %lld read other inputs (%s) than this run (%s): resume it "
                        "with the same lists, unchanged",
                        st->path, (long long)row->id, row->inputs_json,
                        info->inputs_json ? info->inputs_json : "[]");
    free(a);
    free(b);
    return same ? 0 : -1;
}

int store_scan_resume_matching(struct store *st, int64_t scan_id,
                               const struct store_scan_info *info, int64_t *resumed_id)
{
    int64_t id = scan_id;
    if (!id) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(st->db,
                               "SELECT id FROM scans WHERE state != 'complete' ORDER BY id DESC "
                               "LIMIT 1",
                               -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            id = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    if (id && info) {
        struct store_scan_row row;
        if (store_scan_get(st, id, &row) < 0)
            return -1;
        int rc = check_same_work(st, &row, info);
        free(row.inputs_json);
        free(row.options_json);
        if (rc < 0)
            return -1;
    }
    return store_scan_resume(st, id, resumed_id); /* id 0: says there is nothing to resume */
}
