/* Unit tests of opening databases: embedded schema in sync, migrations, refusals, disk full. */
#include <errno.h>
#include <openssl/evp.h>
#include <sys/wait.h>

#include "store/store_internal.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_store_fixtures.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* SHA-256 of a file's bytes as 64 hex digits: "never modified" is checked byte for byte. */
static void file_digest(const char *path, char hex[65])
{
    size_t len = 0;
    char *data = read_file(path, &len);
    unsigned char md[32];
    unsigned int n = 0;
    hex[0] = '\0';
    if (data && EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
        for (int i = 0; i < 32; i++)
            sprintf(hex + 2 * i, "%02x", md[i]);
    free(data);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static void test_schema_in_sync(void)
{
    char *sql = read_file("store/schema.sql", NULL);
    TAP_CHECK(sql != NULL, "store/schema.sql is readable (run from the repository root)", "%s",
              strerror(errno));
    if (!sql)
        return;
    TAP_CHECK(strcmp(sql, store_schema_sql) == 0, "the embedded schema equals store/schema.sql",
              "run store/schema_to_c.sh after editing store/schema.sql");
    free(sql);
}

/* Every column the writer inserts exists in the schema (and nothing else is needed). */
static void test_columns_exist(void)
{
    const char *path = fx_path("cols.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    if (!st) {
        TAP_CHECK(0, "open for columns", "%s", err);
        return;
    }
    int missing = 0;
    char first[64] = "";
    for (int c = 0; c < SC_COUNT; c++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM pragma_table_info('results') WHERE name = '%s'",
                 store_col_names[c]);
        if (fx_query_int(path, sql) != 1 && !missing++)
            snprintf(first, sizeof first, "%s", store_col_names[c]);
    }
    TAP_CHECK(missing == 0, "every written column is in the results table", "%d missing, e.g. %s",
              missing, first);
    long long ncols = fx_query_int(path, "SELECT count(*) FROM pragma_table_info('results')");
    TAP_CHECK(ncols == SC_COUNT + 1, "the writer fills every results column",
              "%lld columns, %d written", ncols, SC_COUNT + 1);
    store_close(st);
}

static void expect_refusal(const char *name, const char *path, enum store_open_mode mode,
                           const char *needle)
{
    char before[65], after[65];
    file_digest(path, before);
    char err[1024] = "";
    struct store *st = store_open(path, mode, err, sizeof err);
    TAP_CHECK(st == NULL && strstr(err, path) && strstr(err, needle), name,
              "opened=%d, message '%s' (want '%s' and the file name)", st != NULL, err, needle);
    store_close(st);
    file_digest(path, after);
    char what[200];
    snprintf(what, sizeof what, "%s: file left untouched", name);
    TAP_CHECK(strcmp(before, after) == 0, what, "file changed");
}

static void test_refusals(void)
{
    const char *junk = fx_path("junk.db");
    const char text[] = "domain,rank\nexample.com,1\nthis is not a database at all, just text\n";
    char big[4096];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = text[i % (sizeof text - 1)];
    write_file(junk, big, sizeof big);
    expect_refusal("a text file is refused as not a database", junk, STORE_READ_WRITE,
                   "not an SQLite database");
    expect_refusal("a text file is refused read-only too", junk, STORE_READ_ONLY,
                   "not an SQLite database");

    const char *newer = fx_path("newer.db");
    sqlite3 *db = NULL;
    sqlite3_open(newer, &db);
    sqlite3_exec(db,
                 "PRAGMA application_id = 1297371988; PRAGMA user_version = 99; "
                 "CREATE TABLE future (x)",
                 NULL, NULL, NULL);
    sqlite3_close(db);
    expect_refusal("a newer schema is refused", newer, STORE_READ_WRITE, "newer");
    expect_refusal("a newer schema is refused read-only", newer, STORE_READ_ONLY, "newer");

    const char *other = fx_path("other.db");
    sqlite3_open(other, &db);
    sqlite3_exec(db, "CREATE TABLE customers (name TEXT)", NULL, NULL, NULL);
    sqlite3_close(db);
    expect_refusal("another application's database is refused", other, STORE_READ_WRITE,
                   "not an mtasts one");

    const char *foreign = fx_path("foreign.db");
    sqlite3_open(foreign, &db);
    sqlite3_exec(db, "PRAGMA application_id = 42; CREATE TABLE t (x)", NULL, NULL, NULL);
    sqlite3_close(db);
    expect_refusal("a database with another application_id is refused", foreign, STORE_READ_WRITE,
                   "another application");

    char err[1024] = "";
    struct store *st = store_open(fx_path("missing.db"), STORE_READ_ONLY, err, sizeof err);
    TAP_CHECK(!st && strstr(err, "no such database") && strstr(err, "missing.db"),
              "read-only open of a missing file says so", "%s", err);
    TAP_CHECK(access(fx_path("missing.db"), F_OK) != 0, "read-only open creates no file",
              "file created");
    st = store_open(fx_dir, STORE_READ_WRITE, err, sizeof err);
    TAP_CHECK(!st && strstr(err, "directory"), "a directory is refused", "%s", err);
}

/* Read-only files: root ignores permission bits, so the file is made immutable instead. */
static void test_read_only(void)
{
    const char *path = fx_path("ro.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    store_close(st);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod 0444 '%s'; chattr +i '%s' 2>/dev/null", path, path);
    int immutable = system(cmd) == 0;
    if (access(path, W_OK) == 0) {
        /* Three cases either way, so the plan holds (root ignores file modes). */
        TAP_SKIP("a read-only file is refused for writing", "cannot make a read-only file here");
        TAP_SKIP("a read-only file is refused for writing: file left untouched",
                 "cannot make a read-only file here");
        TAP_SKIP("a read-only file still opens for reading", "cannot make a read-only file here");
    } else {
        expect_refusal("a read-only file is refused for writing", path, STORE_READ_WRITE,
                       "read-only");
        st = store_open(path, STORE_READ_ONLY, err, sizeof err);
        TAP_CHECK(st != NULL, "a read-only file still opens for reading", "%s", err);
        store_close(st);
    }
    if (immutable) {
        snprintf(cmd, sizeof cmd, "chattr -i '%s' 2>/dev/null", path);
        if (system(cmd) != 0)
            fprintf(stderr, "could not undo chattr on %s\n", path);
    }
}

/* A read-only directory: the -wal file could not be created. */
static void test_read_only_dir(void)
{
    char dir[600], cmd[2000];
    snprintf(dir, sizeof dir, "%s/rodir", fx_dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && chmod 0555 '%s' && chattr +i '%s' 2>/dev/null", dir,
             dir, dir);
    int immutable = system(cmd) == 0;
    char path[700];
    snprintf(path, sizeof path, "%s/new.db", dir);
    if (access(dir, W_OK) == 0) {
        TAP_SKIP("a read-only directory is refused, naming file and directory",
                 "cannot make one here");
    } else {
        char err[1024] = "";
        struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
        TAP_CHECK(!st && strstr(err, "cannot write in its directory") && strstr(err, "new.db"),
                  "a read-only directory is refused, naming file and directory", "%s", err);
        store_close(st);
    }
    if (immutable) {
        snprintf(cmd, sizeof cmd, "chattr -i '%s' 2>/dev/null", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not undo chattr on %s\n", dir);
    }
}

/* Another process holds an exclusive lock: the open waits, then names the lock. */
static void test_locked(void)
{
    const char *path = fx_path("locked.db");
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    int rc = sqlite3_exec(db,
                          "PRAGMA journal_mode = DELETE; CREATE TABLE x (y); BEGIN EXCLUSIVE; "
                          "INSERT INTO x VALUES (1)",
                          NULL, NULL, NULL);
    char err[1024] = "";
    struct store *st = rc == SQLITE_OK ? store_open(path, STORE_READ_WRITE, err, sizeof err) : NULL;
    TAP_CHECK(rc == SQLITE_OK && !st && strstr(err, "locked") && strstr(err, path),
              "a database locked by another connection gives a clear error", "rc %d: %s", rc, err);
    store_close(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
}

/* The disk fills up mid-scan: the batch is kept in memory, nothing committed is damaged, and
 * once space returns the same rows are written. max_page_count makes SQLite see a full disk. */
static void test_disk_full(void)
{
    const char *path = fx_path("full.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "disk-full scan begins", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    store_set_batch(st, 100, 60000);
    for (int i = 0; i < 100; i++) {
        char d[32];
        snprintf(d, sizeof d, "before%03d.example", i);
        fx_write(st, scan, d, FX_VALID, i);
    }
    long long pages = fx_query_int(path, "PRAGMA page_count");
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages + 2);
    sqlite3_exec(store_db(st), sql, NULL, NULL, NULL);
    int failed_at = -1;
    for (int i = 0; i < 2000 && failed_at < 0; i++) {
        char d[32];
        snprintf(d, sizeof d, "after%04d.example", i);
        if (fx_write(st, scan, d, i % 3 ? FX_NO_POLICY : FX_VALID, i) != 0)
            failed_at = i;
    }
    TAP_CHECK(
        failed_at >= 0 && strstr(store_error(st), "disk is full") && strstr(store_error(st), path),
        "a full disk is reported, naming the file", "failed at %d: %s", failed_at, store_error(st));
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results") == 100,
              "committed rows survive a full disk", "%lld rows",
              fx_query_int(path, "SELECT count(*) FROM results"));
    TAP_CHECK(fx_write(st, scan, "kept.example", FX_NO_POLICY, 1) == -1,
              "a write right after the failure is refused at once, not retried", "accepted");
    TAP_CHECK(store_flush(st) == -1, "flushing while the disk is full fails again", "flushed");
    sqlite3_exec(store_db(st), "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL);
    TAP_CHECK(store_flush(st) == 0, "once space returns, the kept batch is written", "%s",
              store_error(st));
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results") == 100 + failed_at + 2,
              "no row of the failed batch was lost", "%lld rows, want %d",
              fx_query_int(path, "SELECT count(*) FROM results"), 100 + failed_at + 2);
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    char *ic = fx_query_text(path, "PRAGMA integrity_check");
    TAP_STR_EQ(ic, "ok", "database intact after running out of space");
    free(ic);
}

/* The migration engine with simulated future versions (current + 1, + 2): steps run in
 * order in one transaction, and a failing step leaves the file exactly as it was. */
static void test_migration_steps(void)
{
    const char *path = fx_path("migrate.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    if (!st) {
        TAP_CHECK(0, "open for migration", "%s", err);
        return;
    }
    enum { CUR = STORE_SCHEMA_VERSION };
    static const struct store_migration bad[] = {
        {CUR + 1, "ALTER TABLE results ADD COLUMN dane_status TEXT; ALTER TABLE no_such ADD "
                  "COLUMN x"},
    };
    char want[64];
    snprintf(want, sizeof want, "cannot migrate to schema version %d", CUR + 1);
    int rc = store_migrate_with(st, store_schema_sql, bad, 1, CUR + 1);
    TAP_CHECK(rc == -1 && strstr(store_error(st), want), "a failing migration step is reported",
              "rc %d: %s", rc, store_error(st));
    TAP_CHECK(fx_query_int(path, "PRAGMA user_version") == CUR &&
                  fx_query_int(path, "SELECT count(*) FROM pragma_table_info('results') WHERE "
                                     "name = 'dane_status'") == 0,
              "after a failed step the database keeps its version, without partial changes",
              "version %lld", fx_query_int(path, "PRAGMA user_version"));
    static const struct store_migration good[] = {
        {CUR + 1, "ALTER TABLE results ADD COLUMN dane_status TEXT"},
        {CUR + 2, "CREATE INDEX results_scan_dane ON results (scan_id, dane_status)"},
    };
    rc = store_migrate_with(st, store_schema_sql, good, 2, CUR + 2);
    TAP_CHECK(rc == 0 && fx_query_int(path, "PRAGMA user_version") == CUR + 2 &&
                  fx_query_int(path, "SELECT count(*) FROM pragma_table_info('results') WHERE "
                                     "name = 'dane_status'") == 1 &&
                  fx_query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                     "'results_scan_dane'") == 1,
              "the current version is migrated step by step, two versions up", "rc %d: %s", rc,
              store_error(st));
    store_close(st);
    char oerr[1024] = "";
    st = store_open(path, STORE_READ_ONLY, oerr, sizeof oerr);
    TAP_CHECK(!st && strstr(oerr, "newer than this mtasts"),
              "this build then refuses the migrated (newer) database", "%s", oerr);
    store_close(st);
}

/* The shape of a database: every table (columns with type, NOT NULL, default and key
 * position; WITHOUT ROWID; foreign keys) and every index (columns, unique, SQL), one a line
 * in name order. Compared instead of sqlite_master.sql, whose text ALTER TABLE ADD COLUMN
 * changes: a migrated file must have a new file's shape, not its comments. */
static const char shape_sql[] =
    "SELECT group_concat(x, char(10)) FROM (SELECT x FROM ("
    "SELECT 'table ' || t.name || ' wr ' || t.wr || ': ' || (SELECT group_concat(c.name || ' ' || "
    "c.type || ' ' || c.\"notnull\" || ' ' || coalesce(c.dflt_value, '-') || ' ' || c.pk, ', ') "
    "FROM pragma_table_info(t.name) c) || '; fk ' || coalesce((SELECT group_concat(f.\"from\" || "
    "'->' || f.\"table\" || '.' || coalesce(f.\"to\", ''), ', ') FROM "
    "pragma_foreign_key_list(t.name) f), '') AS x FROM pragma_table_list t WHERE t.schema = "
    "'main' AND t.name NOT LIKE 'sqlite_%' "
    "UNION ALL SELECT 'index ' || l.name || ' on ' || t.name || ' unique ' || l.\"unique\" || "
    "' origin ' || l.origin || ': ' || (SELECT group_concat(coalesce(i.name, '?'), ',') FROM "
    "pragma_index_info(l.name) i) || ' ' || coalesce((SELECT sql FROM sqlite_master WHERE name = "
    "l.name), '') FROM pragma_table_list t, pragma_index_list(t.name) l WHERE t.schema = 'main' "
    "AND t.name NOT LIKE 'sqlite_%') ORDER BY x)";

/* Makes `path` a database of schema version `version` from main's version 1 schema
 * (tests/fixtures/schema_v1.sql), plus the TLS-RPT tables for version 2, and `extra` SQL. */
static int make_old(const char *path, int version, const char *extra)
{
    char *v1 = read_file("tests/fixtures/schema_v1.sql", NULL);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    int rc = v1 ? sqlite3_exec(db, v1, NULL, NULL, NULL) : SQLITE_ERROR;
    if (version >= 2)
        rc |= sqlite3_exec(db, store_schema_tlsrpt_sql, NULL, NULL, NULL);
    char marks[128];
    snprintf(marks, sizeof marks, "PRAGMA application_id = 1297371988; PRAGMA user_version = %d",
             version);
    rc |= sqlite3_exec(db, marks, NULL, NULL, NULL);
    if (extra)
        rc |= sqlite3_exec(db, extra, NULL, NULL, NULL);
    sqlite3_close(db);
    free(v1);
    return rc;
}

/* Opens `path` for writing (migrating it) and checks it then has the current version and
 * the shape of a new file. */
static void check_migrated(const char *path, const char *fresh, const char *what)
{
    char err[1024] = "", name[160];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    snprintf(name, sizeof name, "%s is migrated to the current version", what);
    TAP_CHECK(st != NULL && fx_query_int(path, "PRAGMA user_version") == STORE_SCHEMA_VERSION, name,
              "%s", err);
    store_close(st);
    char *a = fx_query_text(path, shape_sql), *b = fx_query_text(fresh, shape_sql);
    snprintf(name, sizeof name, "%s: the migrated shape equals a new file's", what);
    TAP_CHECK(a && b && !strcmp(a, b), name, "migrated:\n%s\nnew:\n%s", a ? a : "(null)",
              b ? b : "(null)");
    free(a);
    free(b);
}

/* A version 1 file (before the TLS-RPT tables and the delivery side) runs steps 2 and 3; a
 * version 2 file (TLS-RPT tables, one report stored) runs step 3 and keeps its report. Both
 * then have exactly the tables, columns, keys and indexes of a new file. */
static void test_migration_chain(void)
{
    const char *v1 = fx_path("v1.db"), *v2 = fx_path("v2.db"), *fresh = fx_path("fresh.db");
    char err[1024] = "";
    struct store *st = store_open(fresh, STORE_READ_WRITE, err, sizeof err);
    store_close(st);
    int rc = make_old(v1, 1, NULL);
    TAP_CHECK(rc == SQLITE_OK && fx_query_int(v1, "SELECT count(*) FROM sqlite_master WHERE name "
                                                  "IN ('tlsrpt_reports', 'mx_probes')") == 0,
              "a version 1 database from main's version 1 schema", "rc %d", rc);
    check_migrated(v1, fresh, "a version 1 database");
    rc = make_old(v2, 2,
                  "INSERT INTO tlsrpt_reports (organization, report_id, json_sha256, source, "
                  "ingested_at) VALUES ('Example Org', 'r-1', x'00', 'test', "
                  "'2026-01-01T00:00:00Z')");
    TAP_CHECK(rc == SQLITE_OK &&
                  fx_query_int(v2, "SELECT count(*) FROM pragma_table_info('results') WHERE "
                                   "name = 'smtp_checked'") == 0,
              "a version 2 database (TLS-RPT tables, no delivery columns)", "rc %d", rc);
    check_migrated(v2, fresh, "a version 2 database");
    TAP_CHECK(fx_query_int(v2, "SELECT count(*) FROM tlsrpt_reports WHERE organization = "
                               "'Example Org' AND report_id = 'r-1'") == 1 &&
                  fx_query_int(v2, "SELECT count(*) FROM mx_probes") == 0,
              "the version 2 database keeps its TLS-RPT report and gains mx_probes", "not");
}

/* A version 3 file as a version 3 mtasts created it (tests/fixtures/schema_v3.sql, the
 * schema of main at dd0cec1), with a scan, a result and an MX probe, runs step 4 only: it
 * gains results.policy_http_server, NULL in the old row, keeps everything else, has the shape
 * of a new file, and then stores the header of a new scan. */
static void test_migration_v3(void)
{
    const char *v3 = fx_path("v3.db"), *fresh = fx_path("fresh3.db");
    char err[1024] = "";
    struct store *st = store_open(fresh, STORE_READ_WRITE, err, sizeof err);
    store_close(st);
    char *schema = read_file("tests/fixtures/schema_v3.sql", NULL);
    sqlite3 *db = NULL;
    sqlite3_open(v3, &db);
    int rc = schema ? sqlite3_exec(db, schema, NULL, NULL, NULL) : SQLITE_ERROR;
    rc |= sqlite3_exec(db,
                       "PRAGMA application_id = 1297371988; PRAGMA user_version = 3;"
                       "INSERT INTO scans (started_at, state, tool_version, inputs, options) "
                       "VALUES ('2026-11-01T00:00:00Z', 'complete', 'v3', '[]', '{}');"
                       "INSERT INTO results (scan_id, domain, scanned_at, status, valid_strict, "
                       "valid_lenient, would_fail_delivery, readiness, cert_issuer, smtp_checked, "
                       "mx_smtp_outcome) VALUES (1, 'v3.example', 1, 'valid', 1, 1, 0, "
                       "'enforcing', 'Cloudflare Inc ECC CA-3', 1, 'smtp_ok');"
                       "INSERT INTO mx_probes (scan_id, host, smtp_checked, smtp_outcome, "
                       "dane_checked, addrs_probed, addrs_dropped, addrs) VALUES (1, "
                       "'mx.v3.example', 1, 'smtp_ok', 0, 1, 0, '[]')",
                       NULL, NULL, NULL);
    sqlite3_close(db);
    free(schema);
    TAP_CHECK(rc == SQLITE_OK && fx_query_int(v3, "SELECT count(*) FROM pragma_table_info("
                                                  "'results') WHERE name = "
                                                  "'policy_http_server'") == 0,
              "a version 3 database from main's version 3 schema (no policy_http_server)", "rc %d",
              rc);
    check_migrated(v3, fresh, "a version 3 database");
    TAP_CHECK(fx_query_int(v3, "SELECT count(*) FROM results WHERE domain = 'v3.example' AND "
                               "cert_issuer = 'Cloudflare Inc ECC CA-3' AND mx_smtp_outcome = "
                               "'smtp_ok' AND policy_http_server IS NULL") == 1 &&
                  fx_query_int(v3, "SELECT count(*) FROM mx_probes WHERE host = "
                                   "'mx.v3.example'") == 1,
              "version 3 -> 4 keeps the row and its MX probe; the new column is NULL", "not");
    st = store_open(v3, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    int wrc = st && store_scan_begin(st, &fx_info, &scan) == 0
                  ? fx_write(st, scan, "new.example", FX_VALID, 1)
                  : -1;
    if (st) {
        store_scan_finish(st, scan, "complete", NULL);
        store_close(st);
    }
    char *got = fx_query_text(v3, "SELECT policy_http_server FROM results WHERE domain = "
                                  "'new.example'");
    TAP_CHECK(wrc == 0 && got && !strcmp(got, "nginx/1.22.1"),
              "the migrated database stores the Server header of a new scan", "rc %d, got %s", wrc,
              got ? got : "NULL");
    free(got);
}

/* A database written by the plain schema (as report fixtures do) opens as the current version. */
static void test_fixture_schema(void)
{
    const char *path = fx_path("fixture.db");
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    char *sql = read_file("store/schema.sql", NULL);
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_ERROR;
    char ver[64];
    snprintf(ver, sizeof ver, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    sqlite3_exec(db, ver, NULL, NULL, NULL);
    sqlite3_close(db);
    free(sql);
    char err[1024] = "";
    struct store *st = rc == SQLITE_OK ? store_open(path, STORE_READ_ONLY, err, sizeof err) : NULL;
    TAP_CHECK(st != NULL, "a database made from schema.sql opens read-only", "%s", err);
    store_close(st);
}

int main(void)
{
    TAP_PLAN(48);
    fx_mkdir("open");
    test_schema_in_sync();
    test_columns_exist();
    test_refusals();
    test_read_only();
    test_read_only_dir();
    test_locked();
    test_disk_full();
    test_fixture_schema();
    test_migration_steps();
    test_migration_chain();
    test_migration_v3();
    fx_rmdir();
    TAP_DONE();
}
