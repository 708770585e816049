/* The scan lock: one writing scan per database, stale locks of dead processes taken over. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "store/store_internal.h"

/* Start time of a process in clock ticks since boot (/proc/PID/stat field 22), so a pid
 * reused by another program after a crash is not mistaken for the scanner. 0 when unknown. */
static int64_t process_start(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!p)
        return 0;
    p++;
    /* after ")" come fields 3..; field 22 is the 20th of them */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    return p ? strtoll(p + 1, NULL, 10) : 0;
}

static void host_name(char *buf, size_t len)
{
    if (gethostname(buf, len) != 0)
        snprintf(buf, len, "unknown");
    buf[len - 1] = '\0';
}

/* True when the holder recorded in the lock row is certainly gone. */
static bool holder_dead(int64_t pid, int64_t pid_start, const char *host)
{
    char me[256];
    host_name(me, sizeof me);
    if (strcmp(host, me) != 0)
        return false; /* another machine: we cannot tell */
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
        return true;
    int64_t now_start = process_start((pid_t)pid);
    return pid_start != 0 && now_start != 0 && now_start != pid_start;
}

/* Inside the caller's write transaction: fails when a live process holds the lock,
 * removes the lock of a dead one. */
static int lock_check_free(struct store *st)
{
    sqlite3_stmt *stmt = NULL;
    const char *sql = "SELECT scan_id, pid, pid_start, host, since FROM scan_lock WHERE id = 1";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot read the scan lock");
        return -1;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        store_set_sqlite_error(st, "cannot read the scan lock");
        sqlite3_finalize(stmt);
        return -1;
    }
    int64_t scan = sqlite3_column_int64(stmt, 0);
    int64_t pid = sqlite3_column_int64(stmt, 1);
    int64_t pid_start = sqlite3_column_int64(stmt, 2);
    char host[256], since[64];
    snprintf(host, sizeof host, "%s", (const char *)sqlite3_column_text(stmt, 3) ?: "");
    snprintf(since, sizeof since, "%s", (const char *)sqlite3_column_text(stmt, 4) ?: "");
    sqlite3_finalize(stmt);

    if (holder_dead(pid, pid_start, host))
        return store_exec(st, "DELETE FROM scan_lock WHERE id = 1", "cannot remove a stale lock");
    char me[256];
    host_name(me, sizeof me);
    if (strcmp(host, me) != 0)
        store_set_error(st,
                        "%s: scan %lld is being written by process %lld on host %s since %s; "
                        "if that process is gone, remove its lock with: sqlite3 %s "
                        "'DELETE FROM scan_lock'",
                        st->path, (long long)scan, (long long)pid, host, since, st->path);
    else
        store_set_error(st,
                        "%s: scan %lld is being written by process %lld (running since %s); "
                        "one scan at a time per database: wait for it, or use another --db",
                        st->path, (long long)scan, (long long)pid, since);
    return -1;
}

/* Takes the lock for scan_id inside the caller's write transaction. */
int store_lock_take(struct store *st, int64_t scan_id)
{
    if (lock_check_free(st) < 0)
        return -1;
    char host[256], since[32];
    host_name(host, sizeof host);
    store_utc_now(since, sizeof since);
    sqlite3_stmt *stmt = NULL;
    const char *sql = "INSERT INTO scan_lock (id, scan_id, pid, pid_start, host, since) "
                      "VALUES (1, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot take the scan lock");
        return -1;
    }
    sqlite3_bind_int64(stmt, 1, scan_id);
    sqlite3_bind_int64(stmt, 2, getpid());
    sqlite3_bind_int64(stmt, 3, process_start(getpid()));
    sqlite3_bind_text(stmt, 4, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, since, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot take the scan lock");
        return -1;
    }
    return 0;
}

/* Drops this process's lock (best effort: a lock left behind is stale once we exit). */
void store_lock_release(struct store *st)
{
    if (!st->locked_scan || !st->db)
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM scan_lock WHERE id = 1 AND pid = %d AND scan_id = %lld",
             (int)getpid(), (long long)st->locked_scan);
    sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    st->locked_scan = 0;
}

int store_lock_busy(struct store *st, int64_t scan_id, char *msg, size_t msglen)
{
    sqlite3_stmt *stmt = NULL;
    const char *sql = "SELECT pid, pid_start, host, since FROM scan_lock WHERE id = 1 AND "
                      "scan_id = ?";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "%s: cannot read the scan lock: %s", st->path,
                 sqlite3_errmsg(st->db));
        return -1;
    }
    sqlite3_bind_int64(stmt, 1, scan_id);
    int busy = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(stmt, 0);
        const char *host = (const char *)sqlite3_column_text(stmt, 2) ?: "";
        if (!holder_dead(pid, sqlite3_column_int64(stmt, 1), host)) {
            snprintf(msg, msglen,
                     "%s: scan %lld is still being written by process %lld on %s "
                     "(since %s)",
                     st->path, (long long)scan_id, (long long)pid, host,
                     (const char *)sqlite3_column_text(stmt, 3) ?: "?");
            busy = 1;
        }
    }
    sqlite3_finalize(stmt);
    return busy;
}
