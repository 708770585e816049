/* Facts learnt during a scan added to its stored options (scans.options), e.g. the adaptive DNS
 * window. */
#include <sqlite3.h>
#include <stdio.h>

#include "store/store.h"
#include "store/store_internal.h"

int store_scan_note_option(struct store *st, int64_t scan_id, const char *key, const char *json)
{
    char path[96];
    if (snprintf(path, sizeof path, "$.%s", key) >= (int)sizeof path) {
        snprintf(st->err, sizeof st->err, "option key too long");
        return -1;
    }
    sqlite3_stmt *stmt = NULL;
    const char *sql = "UPDATE scans SET options = json_set(options, ?1, json(?2)) WHERE id = ?3";
    pthread_mutex_lock(&st->mu);
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 2, json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(stmt, 3, scan_id);
        rc = sqlite3_step(stmt);
    }
    if (rc != SQLITE_DONE)
        snprintf(st->err, sizeof st->err, "cannot note %s in scan %lld: %s", key,
                 (long long)scan_id, sqlite3_errmsg(st->db));
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc == SQLITE_DONE ? 0 : -1;
}
