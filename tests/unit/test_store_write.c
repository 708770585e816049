/* Unit tests of the store's write path: scans, batches, timer commits, artifacts, resume. */
#include <signal.h>
#include <sys/wait.h>

#include "store/store_internal.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_store_fixtures.h"

static void test_create(void)
{
    const char *path = fx_path("create.db");
    char err[1024] = "";
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    TAP_CHECK(st != NULL, "open creates a new database", "%s", err);
    if (!st)
        return;
    store_close(st);
    TAP_CHECK(fx_query_int(path, "PRAGMA user_version") == STORE_SCHEMA_VERSION,
              "the current schema version recorded", "user_version %lld",
              fx_query_int(path, "PRAGMA user_version"));
    TAP_CHECK(fx_query_int(path, "PRAGMA application_id") == 0x4d545354,
              "application_id marks an mtasts database", "got %llx",
              fx_query_int(path, "PRAGMA application_id"));
    char *mode = fx_query_text(path, "PRAGMA journal_mode");
    TAP_STR_EQ(mode, "wal", "database is in WAL mode");
    free(mode);
    st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    TAP_CHECK(st != NULL, "reopening an existing database works", "%s", err);
    store_close(st);
    st = store_open(path, STORE_READ_ONLY, err, sizeof err);
    TAP_CHECK(st != NULL, "read-only open of an existing database works", "%s", err);
    store_close(st);
}

static void test_batches(void)
{
    const char *path = fx_path("batch.db");
    char err[1024] = "";
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "begin a scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    TAP_CHECK(scan == 1, "first scan has id 1", "id %lld", (long long)scan);
    store_set_batch(st, 1000, 60000);
    int fails = 0;
    for (int i = 0; i < 2500; i++) {
        char d[64];
        snprintf(d, sizeof d, "d%05d.example", i);
        fails += fx_write(st, scan, d, i % 100 == 0 ? FX_VALID : FX_NO_POLICY, i + 1) != 0;
    }
    TAP_CHECK(fails == 0, "2500 rows written without error", "%d failed: %s", fails,
              store_error(st));
    long long seen = fx_query_int(path, "SELECT count(*) FROM results");
    TAP_CHECK(seen == 2000, "batches of 1000 are committed as they fill",
              "another connection sees %lld rows, want 2000", seen);
    TAP_CHECK(store_scan_result_count(st, scan) == 2500, "result count includes the open batch",
              "got %lld", (long long)store_scan_result_count(st, scan));
    struct store_scan_counts c = {2500, 0, 0, 0, 1.5, NULL};
    TAP_CHECK(store_scan_finish(st, scan, "complete", &c) == 0, "finish the scan", "%s",
              store_error(st));
    store_close(st);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE scan_id = 1") == 2500,
              "all rows committed after finish", "got %lld",
              fx_query_int(path, "SELECT count(*) FROM results"));
    char *state = fx_query_text(path, "SELECT state FROM scans WHERE id = 1");
    TAP_STR_EQ(state, "complete", "scan state is complete");
    free(state);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM scan_lock") == 0,
              "finish releases the scan lock", "lock rows remain");
    TAP_CHECK(fx_query_int(path, "SELECT input_domains FROM scans WHERE id = 1") == 2500,
              "counts recorded", "input_domains %lld",
              fx_query_int(path, "SELECT input_domains FROM scans WHERE id = 1"));
    /* artifacts: 25 valid rows share one policy body, one TXT record and one certificate */
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM blobs WHERE kind = 'policy'") == 1,
              "identical policy bodies are stored once", "%lld policy blobs",
              fx_query_int(path, "SELECT count(*) FROM blobs WHERE kind = 'policy'"));
    TAP_CHECK(fx_query_int(path, "SELECT count(DISTINCT policy_blob) FROM results") == 1 &&
                  fx_query_int(path, "SELECT count(policy_blob) FROM results") == 25,
              "every valid row points at the shared policy blob", "distinct %lld, count %lld",
              fx_query_int(path, "SELECT count(DISTINCT policy_blob) FROM results"),
              fx_query_int(path, "SELECT count(policy_blob) FROM results"));
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM blobs WHERE kind = 'tlsrpt'") == 25,
              "distinct TLS-RPT records are stored separately", "%lld",
              fx_query_int(path, "SELECT count(*) FROM blobs WHERE kind = 'tlsrpt'"));
}

/* The stored policy bytes decompress to exactly what the server sent. */
static void test_artifact_roundtrip(void)
{
    const char *path = fx_path("batch.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_ONLY, err, sizeof err);
    if (!st) {
        TAP_CHECK(0, "open for artifact check", "%s", err);
        return;
    }
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2(store_db(st),
                       "SELECT codec, data, raw_size, sha256 FROM blobs WHERE kind = 'policy'", -1,
                       &stmt, NULL);
    char *out = NULL;
    size_t out_len = 0;
    int rc = -1;
    char codec[32] = "";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        snprintf(codec, sizeof codec, "%s", sqlite3_column_text(stmt, 0));
        char *got = NULL;
        size_t got_len = 0;
        rc = store_blob_read(st, codec, sqlite3_column_blob(stmt, 1),
                             (size_t)sqlite3_column_bytes(stmt, 1),
                             (size_t)sqlite3_column_int64(stmt, 2), &got, &got_len);
        out = got;
        out_len = got_len;
    }
    sqlite3_finalize(stmt);
    TAP_CHECK(!strcmp(codec, "zstd") || !strcmp(codec, "raw") || !strncmp(codec, "zstd-dict:", 10),
              "policy body stored with a known codec", "codec %s", codec);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM blobs WHERE length(data) > raw_size") == 0,
              "no artifact is stored larger than its raw size", "%lld grew",
              fx_query_int(path, "SELECT count(*) FROM blobs WHERE length(data) > raw_size"));
    TAP_CHECK(rc == 0 && out_len == strlen(FX_SHARED_POLICY) &&
                  memcmp(out, FX_SHARED_POLICY, out_len) == 0,
              "policy body round-trips through compression", "rc %d len %zu", rc, out_len);
    free(out);
    sqlite3_int64 id = 0;
    sqlite3_prepare_v2(store_db(st),
                       "SELECT policy_blob FROM results WHERE policy_blob IS NOT NULL LIMIT 1", -1,
                       &stmt, NULL);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    char *body = NULL;
    size_t body_len = 0;
    rc = store_artifact_get(st, id, &body, &body_len);
    TAP_CHECK(rc == 0 && body_len == strlen(FX_SHARED_POLICY) && !strcmp(body, FX_SHARED_POLICY),
              "store_artifact_get returns a row's policy body", "rc %d: %s", rc, store_error(st));
    free(body);
    TAP_CHECK(store_artifact_get(st, 999999, &body, &body_len) == -1 &&
                  strstr(store_error(st), "no artifact 999999"),
              "store_artifact_get of a missing id fails clearly", "%s", store_error(st));
    store_close(st);
}

static void test_duplicates_and_appends(void)
{
    const char *path = fx_path("batch.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "second scan begins", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    TAP_CHECK(scan == 2, "a second scan is appended", "id %lld", (long long)scan);
    fx_write(st, scan, "dup.example", FX_VALID, 1);
    store_flush(st);
    fx_write(st, scan, "dup.example", FX_NO_POLICY, 1);
    fx_write(st, scan, "d00001.example", FX_VALID, 2); /* in scan 1 too: no conflict */
    store_flush(st);
    TAP_CHECK(store_duplicate_rows(st) == 1, "a second result for a domain is counted",
              "duplicates %lld", (long long)store_duplicate_rows(st));
    char *status = fx_query_text(path, "SELECT status FROM results WHERE scan_id = 2 AND "
                                       "domain = 'dup.example'");
    TAP_STR_EQ(status, "valid", "the first committed result is kept, never replaced");
    free(status);
    TAP_CHECK(store_result_exists(st, scan, "dup.example") &&
                  !store_result_exists(st, scan, "d00002.example"),
              "store_result_exists", "wrong answer");
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE scan_id = 1") == 2500,
              "earlier scans are unchanged", "scan 1 has %lld rows",
              fx_query_int(path, "SELECT count(*) FROM results WHERE scan_id = 1"));
}

/* A slow scan: rows are committed by the timer, not only when the batch fills. */
static void test_timer_commit(void)
{
    const char *path = fx_path("timer.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "timer scan begins", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    store_set_batch(st, 100000, 200);
    for (int i = 0; i < 5; i++) {
        char d[32];
        snprintf(d, sizeof d, "slow%d.example", i);
        fx_write(st, scan, d, FX_NO_POLICY, -1);
    }
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results") == 0,
              "rows wait in the batch at first", "already committed");
    usleep(700 * 1000);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results") == 5,
              "the timer commits an old batch without new writes", "saw %lld rows",
              fx_query_int(path, "SELECT count(*) FROM results"));
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE rank IS NULL") == 5,
              "rank -1 is stored as NULL", "ranks not NULL");
    store_close(st); /* without finish: the scan stays 'running', resumable */
    char *state = fx_query_text(path, "SELECT state FROM scans");
    TAP_STR_EQ(state, "running", "closing without finish leaves the scan resumable");
    free(state);
}

/* A child begins a scan, commits some rows and dies without finishing (kill -9). */
static pid_t crash_child(const char *path, int rows, int ready_fd, bool hold)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0)
        _exit(3);
    for (int i = 0; i < rows; i++) {
        char d[32];
        snprintf(d, sizeof d, "r%04d.example", i);
        fx_write(st, scan, d, i % 10 ? FX_NO_POLICY : FX_VALID, i + 1);
    }
    store_flush(st);
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1)
        _exit(4);
    if (hold)
        pause();
    _exit(0); /* no finish, no close: like a killed process */
}

static void collect(const char *domain, void *arg)
{
    (void)domain;
    (*(int *)arg)++;
}

static void test_resume_after_crash(void)
{
    const char *path = fx_path("resume.db");
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t pid = crash_child(path, 300, fds[1], false);
    char c;
    bool ready = read(fds[0], &c, 1) == 1;
    int status = 0;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
    TAP_CHECK(ready, "child scanned 300 domains and died", "child status %d", status);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM scan_lock") == 1,
              "a dead scanner leaves its lock behind", "no lock row");

    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t id = 0;
    int rc = st ? store_scan_resume(st, 0, &id) : -1;
    TAP_CHECK(rc == 0 && id == 1, "resume takes over the stale lock of a dead process", "%s",
              st ? store_error(st) : err);
    if (rc != 0) {
        store_close(st);
        return;
    }
    int done = 0;
    store_scan_domains(st, id, collect, &done);
    TAP_CHECK(done == 300, "store_scan_domains lists the committed domains", "got %d", done);
    for (int i = 0; i < 500; i++) {
        char d[32];
        snprintf(d, sizeof d, "r%04d.example", i);
        if (!store_result_exists(st, id, d))
            fx_write(st, id, d, FX_NO_POLICY, i + 1);
    }
    struct store_scan_counts counts = {500, 0, 0, 0, 2.0, NULL};
    TAP_CHECK(store_scan_finish(st, id, "complete", &counts) == 0, "resumed scan finishes", "%s",
              store_error(st));
    TAP_CHECK(store_duplicate_rows(st) == 0, "resume wrote no duplicate", "%lld",
              (long long)store_duplicate_rows(st));
    store_close(st);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results") == 500 &&
                  fx_query_int(path, "SELECT count(DISTINCT domain) FROM results") == 500,
              "exactly one row per domain after resume", "%lld rows",
              fx_query_int(path, "SELECT count(*) FROM results"));
    TAP_CHECK(fx_query_int(path, "SELECT resumes FROM scans WHERE id = 1") == 1,
              "the resume is counted", "resumes %lld",
              fx_query_int(path, "SELECT resumes FROM scans WHERE id = 1"));
    st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    rc = st ? store_scan_resume(st, 0, &id) : 0;
    TAP_CHECK(rc == -1 && strstr(store_error(st), "no unfinished scan"),
              "nothing to resume when every scan is complete", "%s", store_error(st));
    rc = st ? store_scan_resume(st, 1, &id) : 0;
    TAP_CHECK(rc == -1 && strstr(store_error(st), "complete"), "a complete scan is not resumed",
              "%s", store_error(st));
    store_close(st);
}

/* A report reading while a scan writes: WAL readers are never blocked and see counts grow
 * batch by batch, never a partial batch (each count is a multiple of the batch size). */
static int reader_main(const char *path)
{
    int64_t last = -1;
    int distinct = 0;
    for (int i = 0; i < 400; i++) {
        char err[1024];
        struct store *st = store_open(path, STORE_READ_ONLY, err, sizeof err);
        if (!st)
            return 1;
        int64_t n = store_scan_result_count(st, 1);
        store_close(st);
        if (n < 0)
            return 1;
        if (n < last || n % 500 != 0) {
            fprintf(stderr, "# reader: count %lld after %lld\n", (long long)n, (long long)last);
            return n < last ? 4 : 2;
        }
        distinct += n != last;
        last = n;
        if (n == 20000)
            break;
        usleep(5000);
    }
    return distinct >= 3 ? 0 : 3;
}

static void test_concurrent_reader(void)
{
    const char *path = fx_path("reader.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "reader scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    store_set_batch(st, 500, 60000);
    pid_t pid = fork();
    if (pid == 0)
        _exit(reader_main(path));
    int fails = 0;
    for (int i = 0; i < 20000; i++) {
        char d[32];
        snprintf(d, sizeof d, "c%05d.example", i);
        fails += fx_write(st, scan, d, FX_NO_POLICY, i + 1) != 0;
    }
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    int status = 0;
    waitpid(pid, &status, 0);
    TAP_CHECK(fails == 0, "the writer is never blocked by a reader", "%d writes failed", fails);
    TAP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "a concurrent reader is never blocked and sees whole batches only",
              "reader exit %d (1 error, 2 partial batch, 3 too few updates, 4 shrinking count)",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* --resume with another shard or other inputs is refused before anything is taken. */
static void test_resume_matching(void)
{
    const char *path = fx_path("match.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    struct store_scan_info info = fx_info;
    info.shard_index = 1;
    info.shard_count = 3;
    int64_t scan = 0, id = 0;
    if (!st || store_scan_begin(st, &info, &scan) < 0) {
        TAP_CHECK(0, "matching scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    store_scan_finish(st, scan, "interrupted", NULL);
    struct store_scan_info other = info;
    other.shard_index = 0;
    int rc = store_scan_resume_matching(st, 0, &other, &id);
    TAP_CHECK(rc == -1 && strstr(store_error(st), "was --shard 1/3, this run is --shard 0/3"),
              "resume with another shard is refused", "%s", store_error(st));
    other = info;
    other.inputs_json = "[{\"name\":\"list.txt\",\"sha256\":\"ff\"}]";
    rc = store_scan_resume_matching(st, 0, &other, &id);
    TAP_CHECK(rc == -1 && strstr(store_error(st), "other inputs"),
              "resume with a changed input file is refused", "%s", store_error(st));
    static const struct store_option_key keys[] = {{"timeout", "--timeout", NULL},
                                                   {"allow_private", "--allow-private", NULL},
                                                   {"domain_timeout_s", "--domain-timeout", "90"}};
    other = info;
    other.options_json = "{\"timeout\":9,\"allow_private\":[\"127.0.0.0/8\"]}";
    other.verdict_options = keys;
    other.n_verdict_options = 3;
    rc = store_scan_resume_matching(st, 0, &other, &id);
    TAP_CHECK(rc == -1 &&
                  strstr(store_error(st), "--timeout was 3, now 9; --allow-private was none, now "
                                          "[\"127.0.0.0/8\"]"),
              "resume with other verdict options is refused, naming each", "%s", store_error(st));
    other.options_json = "{\"timeout\":3,\"domain_timeout_s\":90}";
    rc = store_scan_resume_matching(st, 0, &other, &id);
    TAP_CHECK(rc == 0 && id == scan,
              "an option missing from the stored scan counts as its default (90 == absent)", "%s",
              store_error(st));
    store_scan_finish(st, scan, "interrupted", NULL);
    other.options_json = "{\"timeout\":3,\"domain_timeout_s\":30}";
    rc = store_scan_resume_matching(st, 0, &other, &id);
    TAP_CHECK(rc == -1 && strstr(store_error(st), "--domain-timeout was 90, now 30"),
              "and another value than the default is refused", "%s", store_error(st));
    other = info;
    other.inputs_json = "[{\"name\":\"/elsewhere/list.txt\",\"sha256\":\"00\"}]";
    other.options_json = "{\"timeout\":9}";
    rc = store_scan_resume_matching(st, 0, &other, &id);
    TAP_CHECK(rc == 0 && id == scan,
              "resume with the same file at another path and other options works", "%s",
              store_error(st));
    store_close(st);
}

/* Two processes: the second one gets a clear error while the first is alive. */
static void test_lock_contention(void)
{
    const char *path = fx_path("lock.db");
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t pid = crash_child(path, 10, fds[1], true);
    char c;
    bool ready = read(fds[0], &c, 1) == 1;
    TAP_CHECK(ready, "first process holds a scan", "child did not start");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t id = 0;
    int rc = st ? store_scan_begin(st, &fx_info, &id) : 0;
    TAP_CHECK(rc == -1 && strstr(store_error(st), "being written by process") &&
                  strstr(store_error(st), path),
              "a second scanner gets a clear error naming the file", "rc %d: %s", rc,
              store_error(st));
    rc = st ? store_scan_resume(st, 0, &id) : 0;
    TAP_CHECK(rc == -1 && strstr(store_error(st), "being written"),
              "resume refuses a scan a live process writes", "rc %d: %s", rc, store_error(st));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    rc = store_scan_begin(st, &fx_info, &id);
    TAP_CHECK(rc == 0 && id == 2, "after the holder is killed, a new scan may begin", "%s",
              store_error(st));
    store_scan_finish(st, id, "interrupted", NULL);
    store_close(st);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE scan_id = 1") == 10,
              "the killed scan's committed rows are intact", "%lld",
              fx_query_int(path, "SELECT count(*) FROM results WHERE scan_id = 1"));
    char *ic = fx_query_text(path, "PRAGMA integrity_check");
    TAP_STR_EQ(ic, "ok", "database integrity after contention");
    free(ic);
}

static void test_input_errors(void)
{
    const char *path = fx_path("inerr.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "input error scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    char longline[1000];
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    int rc = store_write_input_error(st, scan, "list.txt", 3, "bad domain!", "invalid character");
    rc |= store_write_input_error(st, scan, "list.txt", 3, "bad domain!", "invalid character");
    rc |= store_write_input_error(st, scan, "list.txt", 9, longline, "too long");
    TAP_CHECK(rc == 0, "input errors written", "%s", store_error(st));
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM input_errors") == 2,
              "the same bad line is recorded once (resume rereads the input)", "%lld",
              fx_query_int(path, "SELECT count(*) FROM input_errors"));
    TAP_CHECK(fx_query_int(path, "SELECT length(text) FROM input_errors WHERE line = 9") == 300,
              "a long bad line is kept truncated to 300 bytes", "%lld",
              fx_query_int(path, "SELECT length(text) FROM input_errors WHERE line = 9"));
}

static void test_row_contents(void)
{
    const char *path = fx_path("rows.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "row scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    fx_write(st, scan, "valid.example", FX_VALID, 7);
    fx_write(st, scan, "expired.example", FX_CERT_EXPIRED, 8);
    fx_write(st, scan, "hostile.example", FX_HOSTILE, 9);
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    struct {
        const char *sql, *want;
    } cases[] = {
        {"SELECT status FROM results WHERE domain = 'valid.example'", "valid"},
        {"SELECT policy_mode FROM results WHERE domain = 'valid.example'", "enforce"},
        {"SELECT mx_patterns FROM results WHERE domain = 'valid.example'",
         "[\"*.mail.example.net\"]"},
        {"SELECT mx_hosts FROM results WHERE domain = 'valid.example'",
         "[\"mx1.mail.example.net\"]"},
        {"SELECT txt_id FROM results WHERE domain = 'valid.example'", "20261122"},
        {"SELECT rua FROM results WHERE domain = 'valid.example'",
         "[\"mailto:tls@valid.example\"]"},
        {"SELECT tlsrpt_status FROM results WHERE domain = 'valid.example'", "valid"},
        {"SELECT https_outcome FROM results WHERE domain = 'valid.example'", "ok"},
        {"SELECT readiness FROM results WHERE domain = 'valid.example'", "enforcing"},
        {"SELECT category FROM results WHERE domain = 'expired.example'", "cert_expired"},
        {"SELECT cert_not_after FROM results WHERE domain = 'expired.example'", "1700000000"},
        {"SELECT content_type FROM results WHERE domain = 'hostile.example'",
         "text/\"html\",\n<b>x"},
        {"SELECT category FROM results WHERE domain = 'valid.example'", NULL},
        {"SELECT policy_http_server FROM results WHERE domain = 'valid.example'", "nginx/1.22.1"},
        {"SELECT policy_http_server FROM results WHERE domain = 'hostile.example'",
         "evil\x1b[2J\"a,b\" <script>=1+1"},
        {"SELECT policy_http_server FROM results WHERE domain = 'expired.example'", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = fx_query_text(path, cases[i].sql);
        TAP_STR_EQ(got, cases[i].want, cases[i].sql);
        free(got);
    }
}

/* Mode, max_age and mx patterns describe the policy in force: none for a valid body served
 * with the wrong media type, none for a body that does not parse; the body facts stay. */
static void test_policy_in_force(void)
{
    const char *path = fx_path("inforce.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "in-force scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    struct fx f;
    fx_init(&f, "html.example", FX_VALID, 1);
    snprintf(f.content_type, sizeof f.content_type, "text/html");
    sts_verdict_free(&f.verdict);
    sts_classify(&f.obs, &f.verdict);
    struct store_row *row = store_row_build(&f.r);
    store_write_row_owned(st, scan, row);
    fx_free(&f);
    fx_init(&f, "broken.example", FX_VALID, 2);
    snprintf(f.body, sizeof f.body,
             "version: STSv1\r\nmode: strict\r\nmx: *.mail.example.net\r\n"
             "max_age: 604800\r\n");
    f.obs.body_len = strlen(f.body);
    sts_verdict_free(&f.verdict);
    sts_classify(&f.obs, &f.verdict);
    row = store_row_build(&f.r);
    store_write_row_owned(st, scan, row);
    fx_free(&f);
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    struct {
        const char *sql, *want;
    } cases[] = {
        {"SELECT category FROM results WHERE domain = 'html.example'", "content_type"},
        {"SELECT policy_mode FROM results WHERE domain = 'html.example'", NULL},
        {"SELECT policy_max_age FROM results WHERE domain = 'html.example'", NULL},
        {"SELECT mx_patterns FROM results WHERE domain = 'html.example'", NULL},
        {"SELECT policy_valid FROM results WHERE domain = 'html.example'", "1"},
        {"SELECT policy_size FROM results WHERE domain = 'html.example'", "72"},
        {"SELECT category FROM results WHERE domain = 'broken.example'", "policy_mode"},
        {"SELECT policy_mode FROM results WHERE domain = 'broken.example'", NULL},
        {"SELECT policy_valid FROM results WHERE domain = 'broken.example'", "0"},
        {"SELECT json_extract(policy_errors, '$[0].line') FROM results WHERE domain = "
         "'broken.example'",
         "2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = fx_query_text(path, cases[i].sql);
        TAP_STR_EQ(got, cases[i].want, cases[i].sql);
        free(got);
    }
}

/* A NUL inside a stored text value becomes U+FFFD, so no reader cuts the value short. */
static void test_nul_in_text(void)
{
    struct fx f;
    fx_init(&f, "nul.example", FX_HOSTILE, 1);
    static const char with_nul[] = "bad\0error";
    struct sts_txt_record rec = {with_nul, sizeof with_nul - 1};
    f.obs.txt = &rec;
    struct store_row *row = store_row_build(&f.r);
    TAP_CHECK(row != NULL, "row with NUL bytes builds", "NULL row");
    store_row_free(row);
    fx_free(&f);
    TAP_CHECK(store_row_build(NULL) == NULL, "store_row_build(NULL) is NULL", "not NULL");
}

/* The same TXT RRset in another order is the same artifact (servers rotate answers). */
static void test_txt_order(void)
{
    struct fx a, b;
    fx_init(&a, "order.example", FX_VALID, 1);
    fx_init(&b, "order.example", FX_VALID, 1);
    struct sts_txt_record ab[2] = {{"v=STSv1; id=1;", 14}, {"other record", 12}};
    struct sts_txt_record ba[2] = {ab[1], ab[0]};
    a.obs.txt = ab;
    a.obs.n_txt = 2;
    b.obs.txt = ba;
    b.obs.n_txt = 2;
    struct store_row *ra = store_row_build(&a.r), *rb = store_row_build(&b.r);
    TAP_CHECK(ra && rb && ra->arts[SA_TXT].present &&
                  memcmp(ra->arts[SA_TXT].sha256, rb->arts[SA_TXT].sha256, 32) == 0,
              "TXT records in any order make the same artifact", "hashes differ");
    store_row_free(ra);
    store_row_free(rb);
    fx_free(&a);
    fx_free(&b);
}

/* Checkpoints must keep working during a long scan: the WAL stays small while rows pile up
 * (a statement left open once made it grow to gigabytes). */
static void test_wal_bounded(void)
{
    const char *path = fx_path("wal.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "wal scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    store_set_batch(st, 500, 60000);
    for (int i = 0; i < 30000; i++) {
        char d[32];
        snprintf(d, sizeof d, "w%05d.example", i);
        fx_write(st, scan, d, FX_VALID, i + 1); /* shared artifacts: the lookup path */
    }
    store_flush(st);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat sb;
    long long wal_size = stat(wal, &sb) == 0 ? (long long)sb.st_size : -1;
    long long db_size = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    TAP_CHECK(wal_size >= 0 && wal_size < 8 * 1024 * 1024 && db_size > wal_size,
              "the WAL is checkpointed during a scan (stays a few MB)",
              "WAL %lld bytes, database %lld bytes", wal_size, db_size);
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
}

int main(void)
{
    TAP_PLAN(89);
    fx_mkdir("write");
    test_create();
    test_batches();
    test_artifact_roundtrip();
    test_duplicates_and_appends();
    test_timer_commit();
    test_resume_after_crash();
    test_lock_contention();
    test_resume_matching();
    test_concurrent_reader();
    test_input_errors();
    test_row_contents();
    test_nul_in_text();
    test_policy_in_force();
    test_txt_order();
    test_wal_bounded();
    fx_rmdir();
    TAP_DONE();
}
