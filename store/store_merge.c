/* Merging the shard databases of one scan into a single scan: checks, then ATTACH + INSERT SELECT.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "store/store_internal.h"

/* What a shard says about its scan (the latest scan of the shard database). */
struct shard {
    const char *path;
    int64_t scan;
    char state[16];
    int index, count;
    char *tool_version, *inputs_key, *options_key, *inputs, *options;
    char *started_at, *finished_at;
    int64_t input_domains, invalid_lines, duplicates, excluded, resumes;
    double elapsed_s;
};

static void shard_free(struct shard *s)
{
    free(s->tool_version);
    free(s->inputs_key);
    free(s->options_key);
    free(s->inputs);
    free(s->options);
    free(s->started_at);
    free(s->finished_at);
}

static char *col_dup(sqlite3_stmt *stmt, int col)
{
    const char *t = (const char *)sqlite3_column_text(stmt, col);
    return strdup(t ? t : "");
}

/* Reads the shard's latest scan. The comparison keys drop what may differ between shards:
 * input file names (paths differ between machines; the SHA-256 must not), the thread
 * count (parallelism, not results) and the adaptive DNS window's history (what each shard's
 * resolver allowed, noted at the end of the scan: a measurement, not a setting). */
static int shard_read(struct shard *s, char *err, size_t errlen)
{
    char oerr[1024];
    struct store *st = store_open(s->path, STORE_READ_ONLY, oerr, sizeof oerr);
    if (!st) {
        snprintf(err, errlen, "%s", oerr);
        return -1;
    }
    const char *sql = "SELECT id, state, shard_index, shard_count, tool_version, "
                      "(SELECT json_group_array(coalesce(json_extract(value, '$.sha256'), "
                      "json_extract(value, '$.name'))) FROM json_each(inputs)), "
                      "json(json_remove(options, '$.threads', '$.dns_window')), inputs, options, "
                      "started_at, finished_at, "
                      "coalesce(input_domains, 0), invalid_lines, duplicates, excluded, resumes, "
                      "coalesce(elapsed_s, 0) FROM scans ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(store_db(st), sql, -1, &stmt, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot read its scans: %s", s->path,
                 sqlite3_errmsg(store_db(st)));
    } else if (sqlite3_step(stmt) != SQLITE_ROW) {
        snprintf(err, errlen, "%s: holds no scan", s->path);
    } else if (sqlite3_column_type(stmt, 3) == SQLITE_NULL) {
        snprintf(err, errlen, "%s: scan %lld is not a shard (scanned without --shard I/N)", s->path,
                 (long long)sqlite3_column_int64(stmt, 0));
    } else {
        s->scan = sqlite3_column_int64(stmt, 0);
        snprintf(s->state, sizeof s->state, "%s", (const char *)sqlite3_column_text(stmt, 1));
        s->index = sqlite3_column_int(stmt, 2);
        s->count = sqlite3_column_int(stmt, 3);
        s->tool_version = col_dup(stmt, 4);
        s->inputs_key = col_dup(stmt, 5);
        s->options_key = col_dup(stmt, 6);
        s->inputs = col_dup(stmt, 7);
        s->options = col_dup(stmt, 8);
        s->started_at = col_dup(stmt, 9);
        s->finished_at = col_dup(stmt, 10);
        s->input_domains = sqlite3_column_int64(stmt, 11);
        s->invalid_lines = sqlite3_column_int64(stmt, 12);
        s->duplicates = sqlite3_column_int64(stmt, 13);
        s->excluded = sqlite3_column_int64(stmt, 14);
        s->resumes = sqlite3_column_int64(stmt, 15);
        s->elapsed_s = sqlite3_column_double(stmt, 16);
        rc = 0;
    }
    sqlite3_finalize(stmt);
    if (rc == 0 && store_lock_busy(st, s->scan, err, errlen) != 0)
        rc = -1;
    store_close(st);
    return rc;
}

/* The shards must be the N parts of one scan: same N, each index once, same inputs,
 * options and tool version. */
static int shards_check(struct shard *s, size_t n, char *err, size_t errlen)
{
    int count = s[0].count;
    for (size_t i = 0; i < n; i++) {
        if (s[i].count != count) {
            snprintf(err, errlen, "%s is shard %d/%d but %s is shard %d/%d: not the same split",
                     s[i].path, s[i].index, s[i].count, s[0].path, s[0].index, count);
            return -1;
        }
        if (strcmp(s[i].inputs_key, s[0].inputs_key)) {
            snprintf(err, errlen,
                     "%s and %s scanned different inputs (their SHA-256 differ): %s vs %s",
                     s[0].path, s[i].path, s[0].inputs, s[i].inputs);
            return -1;
        }
        if (strcmp(s[i].options_key, s[0].options_key)) {
            snprintf(err, errlen, "%s and %s were scanned with different options: %s vs %s",
                     s[0].path, s[i].path, s[0].options, s[i].options);
            return -1;
        }
        if (strcmp(s[i].tool_version, s[0].tool_version)) {
            snprintf(err, errlen, "%s and %s were scanned by different mtasts versions (%s, %s)",
                     s[0].path, s[i].path, s[0].tool_version, s[i].tool_version);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (s[j].index == s[i].index) {
                snprintf(err, errlen, "shard %d/%d appears twice: %s and %s", s[i].index, count,
                         s[j].path, s[i].path);
                return -1;
            }
    }
    if ((size_t)count != n) {
        struct sbuf missing = SBUF_INIT;
        for (int k = 0; k < count; k++) {
            bool found = false;
            for (size_t i = 0; i < n; i++)
                found |= s[i].index == k;
            if (!found)
                sbuf_printf(&missing, "%s%d", missing.len ? ", " : "", k);
        }
        snprintf(err, errlen,
                 "the scan has %d shards but %zu were given; missing shard(s) %s of 0..%d", count,
                 n, sbuf_str(&missing), count - 1);
        sbuf_free(&missing);
        return -1;
    }
    return 0;
}

static int exec_bound(struct store *st, const char *sql, int64_t a, int64_t b, const char *what)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, what);
        return -1;
    }
    int np = sqlite3_bind_parameter_count(stmt);
    if (np >= 1)
        sqlite3_bind_int64(stmt, 1, a);
    if (np >= 2)
        sqlite3_bind_int64(stmt, 2, b);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, what);
        return -1;
    }
    return 0;
}

static bool is_blob_col(int c)
{
    return c == SC_TXT_BLOB || c == SC_TLSRPT_BLOB || c == SC_POLICY_BLOB || c == SC_CERT_BLOB;
}

/* INSERT INTO results (...) SELECT ?1, <columns, blob ids remapped> FROM shard.results. */
static char *results_copy_sql(void)
{
    struct sbuf q = SBUF_INIT;
    sbuf_puts(&q, "INSERT INTO main.results (scan_id");
    for (int c = 0; c < SC_COUNT; c++)
        sbuf_printf(&q, ", %s", store_col_names[c]);
    sbuf_puts(&q, ") SELECT ?1");
    for (int c = 0; c < SC_COUNT; c++) {
        if (is_blob_col(c))
            sbuf_printf(&q, ", (SELECT new FROM temp.blobmap WHERE old = r.%s)",
                        store_col_names[c]);
        else
            sbuf_printf(&q, ", r.%s", store_col_names[c]);
    }
    sbuf_puts(&q, " FROM shard.results r WHERE r.scan_id = ?2");
    if (q.oom) {
        sbuf_free(&q);
        return NULL;
    }
    return q.data;
}

/* A domain present in two shards: name one for the error message. */
static void name_overlap(struct store *st, int64_t merged, int64_t shard_scan, char *buf,
                         size_t len)
{
    sqlite3_stmt *stmt = NULL;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(st->db,
                           "SELECT r.domain FROM shard.results r JOIN main.results m ON "
                           "m.scan_id = ?1 AND m.domain = r.domain WHERE r.scan_id = ?2 LIMIT 1",
                           -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, merged);
        sqlite3_bind_int64(stmt, 2, shard_scan);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            snprintf(buf, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
}

/* Copies the shard's MX hosts. A host shared by domains of several shards was probed once
 * in each: the first shard's probe is kept (as a scan keeps its first write of a host). */
static int copy_mx_probes(struct store *st, const struct shard *s, int64_t merged)
{
    struct sbuf q = SBUF_INIT;
    sbuf_puts(&q, "INSERT INTO main.mx_probes (scan_id");
    for (int c = 0; c < SM_COUNT; c++)
        sbuf_printf(&q, ", %s", store_mx_col_names[c]);
    sbuf_puts(&q, ") SELECT ?1");
    for (int c = 0; c < SM_COUNT; c++)
        sbuf_printf(&q, ", %s", store_mx_col_names[c]);
    sbuf_puts(&q, " FROM shard.mx_probes WHERE scan_id = ?2 ORDER BY host "
                  "ON CONFLICT (scan_id, host) DO NOTHING");
    if (q.oom) {
        sbuf_free(&q);
        store_set_error(st, "%s: out of memory", st->path);
        return -1;
    }
    int rc = exec_bound(st, q.data, merged, s->scan, "cannot copy the shard's MX hosts");
    sbuf_free(&q);
    return rc;
}

/* Copies one shard's blobs (deduplicated by SHA-256), results, MX hosts and input errors. */
static int copy_shard(struct store *st, const struct shard *s, int64_t merged)
{
    static const char blobs_used[] =
        "SELECT txt_blob FROM shard.results WHERE scan_id = ?2 AND txt_blob IS NOT NULL "
        "UNION SELECT tlsrpt_blob FROM shard.results WHERE scan_id = ?2 AND tlsrpt_blob IS NOT "
        "NULL "
        "UNION SELECT policy_blob FROM shard.results WHERE scan_id = ?2 AND policy_blob IS NOT "
        "NULL "
        "UNION SELECT cert_blob FROM shard.results WHERE scan_id = ?2 AND cert_blob IS NOT NULL";
    char sql[2048];
    if (store_exec(st, "DELETE FROM temp.blobmap", "cannot reset the blob map") < 0)
        return -1;
    snprintf(sql, sizeof sql,
             "INSERT INTO main.blobs (sha256, kind, raw_size, codec, data) SELECT sha256, kind, "
             "raw_size, codec, data FROM shard.blobs WHERE id IN (%s) "
             "ON CONFLICT (sha256) DO NOTHING",
             blobs_used);
    if (exec_bound(st, sql, merged, s->scan, "cannot copy the shard's artifacts") < 0)
        return -1;
    snprintf(sql, sizeof sql,
             "INSERT INTO temp.blobmap (old, new) SELECT sb.id, mb.id FROM shard.blobs sb "
             "JOIN main.blobs mb ON mb.sha256 = sb.sha256 WHERE sb.id IN (%s)",
             blobs_used);
    if (exec_bound(st, sql, merged, s->scan, "cannot map the shard's artifacts") < 0)
        return -1;
    char *copy = results_copy_sql();
    if (!copy) {
        store_set_error(st, "%s: out of memory", st->path);
        return -1;
    }
    int rc = exec_bound(st, copy, merged, s->scan, "cannot copy the shard's results");
    free(copy);
    if (rc < 0) {
        char dom[256];
        if ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_CONSTRAINT) {
            name_overlap(st, merged, s->scan, dom, sizeof dom);
            store_set_error(st,
                            "%s: domain %s is in two shards; shards of one scan never "
                            "overlap: were they split the same way?",
                            s->path, dom[0] ? dom : "(unknown)");
        }
        return -1;
    }
    if (copy_mx_probes(st, s, merged) < 0)
        return -1;
    return exec_bound(st,
                      "INSERT INTO main.input_errors (scan_id, file, line, text, reason) "
                      "SELECT ?1, file, line, text, reason FROM shard.input_errors "
                      "WHERE scan_id = ?2 ON CONFLICT DO NOTHING",
                      merged, s->scan, "cannot copy the shard's input errors");
}

static int attach(struct store *st, const char *path)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, "ATTACH DATABASE ? AS shard", -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot attach a shard");
        return -1;
    }
    /* read-only: the shards are never modified */
    char uri[PATH_MAX + 64];
    struct sbuf u = SBUF_INIT;
    sbuf_puts(&u, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            sbuf_printf(&u, "%%%02X", (unsigned char)*p);
        else
            sbuf_putc(&u, *p);
    }
    sbuf_puts(&u, "?mode=ro");
    snprintf(uri, sizeof uri, "%s", sbuf_str(&u));
    sbuf_free(&u);
    sqlite3_bind_text(stmt, 1, uri, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_set_error(st, "%s: cannot attach shard %s: %s", st->path, path,
                        sqlite3_errmsg(st->db));
        return -1;
    }
    return 0;
}

static void detach(struct store *st)
{
    sqlite3_exec(st->db, "DETACH DATABASE shard", NULL, NULL, NULL);
}

/* The merged_from JSON of a merge of these shards: the same shards in the same states give
 * the same text. */
static void merged_from_json(const struct shard *s, size_t n, struct sbuf *from)
{
    sbuf_putc(from, '[');
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(from, i ? ",{\"db\":" : "{\"db\":");
        esc_json_str(from, s[i].path);
        sbuf_printf(from, ",\"scan\":%lld,\"shard\":%d,\"state\":", (long long)s[i].scan,
                    s[i].index);
        esc_json_str(from, s[i].state);
        sbuf_putc(from, '}');
    }
    sbuf_putc(from, ']');
}

/* A scan of st already merged from exactly these shards in these states: merging again would
 * add the same scan twice. Returns its id, 0 when there is none. */
static int64_t same_merge(struct store *st, const struct shard *s, size_t n)
{
    struct sbuf from = SBUF_INIT;
    merged_from_json(s, n, &from);
    sqlite3_stmt *stmt = NULL;
    int64_t id = 0;
    if (!from.oom && sqlite3_prepare_v2(st->db,
                                        "SELECT id FROM scans WHERE merged_from = ?1 ORDER BY id "
                                        "DESC LIMIT 1",
                                        -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, sbuf_str(&from), -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) == SQLITE_ROW)
            id = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sbuf_free(&from);
    return id;
}

/* The merged scan's row, state 'running' until every shard is in. */
static int insert_merged_scan(struct store *st, struct shard *s, size_t n, int64_t *id)
{
    struct sbuf from = SBUF_INIT;
    merged_from_json(s, n, &from);
    sqlite3_stmt *stmt = NULL;
    const char *sql = "INSERT INTO scans (started_at, state, tool_version, inputs, options, "
                      "merged_from) VALUES (?, 'running', ?, ?, ?, ?)";
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK && !from.oom) {
        const char *started = s[0].started_at;
        for (size_t i = 1; i < n; i++)
            if (strcmp(s[i].started_at, started) < 0)
                started = s[i].started_at;
        sqlite3_bind_text(stmt, 1, started, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, s[0].tool_version, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, s[0].inputs, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, s[0].options, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 5, sbuf_str(&from), -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    sbuf_free(&from);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot record the merged scan");
        return -1;
    }
    *id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

/* Counts: domains, duplicates and exclusions partition the input between shards, so they
 * add up; every shard reads every bad line, so invalid_lines is the same in each (max);
 * the shards ran in parallel, so the elapsed time is the longest shard's. */
static int finish_merged_scan(struct store *st, struct shard *s, size_t n, int64_t id)
{
    int64_t domains = 0, dups = 0, excluded = 0, invalid = 0, resumes = 0;
    double elapsed = 0;
    bool complete = true;
    const char *finished = "";
    for (size_t i = 0; i < n; i++) {
        domains += s[i].input_domains;
        dups += s[i].duplicates;
        excluded += s[i].excluded;
        resumes += s[i].resumes;
        invalid = s[i].invalid_lines > invalid ? s[i].invalid_lines : invalid;
        elapsed = s[i].elapsed_s > elapsed ? s[i].elapsed_s : elapsed;
        complete &= !strcmp(s[i].state, "complete");
        if (strcmp(s[i].finished_at, finished) > 0)
            finished = s[i].finished_at;
    }
    sqlite3_stmt *stmt = NULL;
    const char *sql = "UPDATE scans SET state = ?, finished_at = ?, input_domains = ?, "
                      "invalid_lines = ?, duplicates = ?, excluded = ?, resumes = ?, "
                      "elapsed_s = ? WHERE id = ?";
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, complete ? "complete" : "interrupted", -1, SQLITE_STATIC);
        if (finished[0])
            sqlite3_bind_text(stmt, 2, finished, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 3, domains);
        sqlite3_bind_int64(stmt, 4, invalid);
        sqlite3_bind_int64(stmt, 5, dups);
        sqlite3_bind_int64(stmt, 6, excluded);
        sqlite3_bind_int64(stmt, 7, resumes);
        sqlite3_bind_double(stmt, 8, elapsed);
        sqlite3_bind_int64(stmt, 9, id);
        rc = sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot finish the merged scan");
        return -1;
    }
    return 0;
}

/* Undoes a failed merge: the new scan's rows, the TLS-RPT rows it added and the artifacts
 * only it used. */
static void merge_cleanup(struct store *st, int64_t id, int64_t max_blob,
                          const struct store_merge_tlsrpt *tr)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    detach(st);
    if (!id)
        return;
    char sql[1024], undo[512];
    store_merge_tlsrpt_undo_sql(tr, undo, sizeof undo);
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE; DELETE FROM results WHERE scan_id = %lld; "
             "DELETE FROM mx_probes WHERE scan_id = %lld; "
             "DELETE FROM input_errors WHERE scan_id = %lld; DELETE FROM scans WHERE id = %lld; "
             "%s DELETE FROM blobs WHERE id > %lld; COMMIT",
             (long long)id, (long long)id, (long long)id, (long long)id, undo, (long long)max_blob);
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK && !sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int64_t max_blob_id(struct store *st)
{
    sqlite3_stmt *stmt = NULL;
    int64_t id = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT coalesce(max(id), 0) FROM blobs", -1, &stmt, NULL) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return id;
}

/* Each shard is copied in its own transaction (ATTACH is not allowed inside one, and only
 * 10 databases attach at once); the merge holds OUT's scan lock throughout, and a failure
 * removes what was copied, so OUT ends as it was. */
static int merge_into(struct store *st, struct shard *s, size_t n, int64_t *merged_id,
                      struct store_merge_tlsrpt *tr)
{
    int64_t id = 0, max_blob = max_blob_id(st);
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot start the merge") < 0)
        return -1;
    if (store_lock_take(st, 0) < 0 || insert_merged_scan(st, s, n, &id) < 0) {
        merge_cleanup(st, 0, max_blob, tr);
        return -1;
    }
    st->locked_scan = id;
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE scan_lock SET scan_id = %lld", (long long)id);
    if (store_exec(st, sql, "cannot take the scan lock") < 0 ||
        store_exec(st, "COMMIT", "cannot start the merge") < 0 ||
        store_exec(st,
                   "CREATE TEMP TABLE IF NOT EXISTS blobmap (old INTEGER PRIMARY KEY, new INTEGER)",
                   "cannot create the blob map") < 0 ||
        store_merge_tlsrpt_begin(st, tr) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (attach(st, s[i].path) < 0 ||
            store_exec(st, "BEGIN IMMEDIATE", "cannot copy a shard") < 0 ||
            copy_shard(st, &s[i], id) < 0 || store_merge_tlsrpt_copy(st, tr) < 0 ||
            store_exec(st, "COMMIT", "cannot copy a shard") < 0)
            goto fail;
        detach(st);
    }
    /* the read marks last, with the scan: a mark never outlives the reports it vouches for */
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot finish the merge") < 0 ||
        finish_merged_scan(st, s, n, id) < 0 || store_merge_tlsrpt_marks(st, tr) < 0 ||
        store_exec(st, "DELETE FROM scan_lock WHERE id = 1", "cannot release the lock") < 0 ||
        store_exec(st, "COMMIT", "cannot finish the merge") < 0)
        goto fail;
    st->locked_scan = 0;
    *merged_id = id;
    return 0;
fail:
    merge_cleanup(st, id, max_blob, tr);
    store_lock_release(st);
    return -1;
}

int store_merge(const char *out, const char *const *shards, size_t n_shards, int64_t *merged_id,
                struct store_merge_info *info, char *err, size_t errlen)
{
    struct store_merge_tlsrpt tr;
    memset(&tr, 0, sizeof tr);
    if (n_shards == 0) {
        snprintf(err, errlen, "no shard databases given");
        return -1;
    }
    char out_real[PATH_MAX] = "";
    if (!realpath(out, out_real))
        snprintf(out_real, sizeof out_real, "%s", out);
    struct shard *s = calloc(n_shards, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n_shards && rc == 0; i++) {
        char real[PATH_MAX];
        s[i].path = shards[i];
        if (realpath(shards[i], real) && !strcmp(real, out_real)) {
            snprintf(err, errlen, "%s is both the output and a shard", out);
            rc = -1;
        } else {
            rc = shard_read(&s[i], err, errlen);
        }
    }
    if (rc == 0)
        rc = shards_check(s, n_shards, err, errlen);
    struct store *st = NULL;
    if (rc == 0) {
        st = store_open(out, STORE_READ_WRITE, err, errlen);
        rc = st ? 0 : -1;
    }
    /* merge is a command of its own: 64 MiB of cache keeps the destination's indexes in
     * memory (1M rows: 61 s -> 40 s, sys 8.7 s -> 2.1 s, RSS 83 MB; 256 MiB: 35 s, 296 MB) */
    int64_t dup = rc == 0 ? same_merge(st, s, n_shards) : 0;
    if (dup > 0) {
        snprintf(err, errlen,
                 "%s already holds scan %lld, merged from these shards in these states: "
                 "nothing new to merge (merge into a new file, or resume a shard first)",
                 out, (long long)dup);
        rc = -1;
    }
    if (rc == 0)
        store_exec(st, "PRAGMA cache_size = -65536", "cannot set the cache size");
    if (rc == 0 && merge_into(st, s, n_shards, merged_id, &tr) < 0) {
        snprintf(err, errlen, "%s", store_error(st));
        rc = -1;
    }
    if (rc == 0 && info) {
        info->tlsrpt_copied = tr.reports_copied;
        info->tlsrpt_duplicates = tr.reports_duplicate;
        info->tlsrpt_marks = tr.marks;
    }
    store_close(st);
    for (size_t i = 0; i < n_shards; i++)
        shard_free(&s[i]);
    free(s);
    return rc;
}
