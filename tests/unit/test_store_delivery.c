/* Unit tests of the store's delivery side: migration from version 1 (steps 2 and 3), mx_probes
 * written once per (scan, host), per-domain summary columns, `export` (domains and --table mx),
 * `merge`. */
#include <openssl/x509_vfy.h>

#include "store/store_internal.h" /* STORE_SCHEMA_VERSION */
#include "tests/unit/tap.h"
#include "tests/unit/test_store_fixtures.h"

#define PLAN 29

/* Probes shared by the fixture domains: a provider host with one good and one expired address
 * (so a sender may hit the expired one: mx_cert_expired), and a host that is fine. */
static struct sts_mx_probe shared_probe, own_probe;

static void fill_addr(struct sts_smtp_addr_probe *a, const char *ip, enum sts_smtp_outcome o,
                      int64_t not_after)
{
    memset(a, 0, sizeof *a);
    snprintf(a->addr, sizeof a->addr, "%s", ip);
    a->outcome = o;
    a->reply_code = 220;
    a->starttls_offered = true;
    snprintf(a->tls_version, sizeof a->tls_version, "TLSv1.3");
    snprintf(a->cipher, sizeof a->cipher, "TLS_AES_256_GCM_SHA384");
    a->cert = (struct sts_cert_facts){.present = true,
                                      .verify_code = o == STS_SMTP_OK ? X509_V_OK
                                                                      : X509_V_ERR_CERT_HAS_EXPIRED,
                                      .name_matches = true,
                                      .not_before = 1790000000,
                                      .not_after = not_after,
                                      .chain_len = 2};
    snprintf(a->cert.issuer, sizeof a->cert.issuer, "CN=Test \"CA\",\nO=<x>");
    a->time_ms = 12;
    snprintf(a->detail, sizeof a->detail, "220 mx ESMTP \"hi\"\r\n");
}

static void make_probes(void)
{
    memset(&shared_probe, 0, sizeof shared_probe);
    shared_probe.host = "mx1.mail.example.net";
    shared_probe.smtp_checked = shared_probe.dane_checked = true;
    shared_probe.n_addrs = 2;
    fill_addr(&shared_probe.addrs[0], "127.0.0.25", STS_SMTP_OK, 1800000000);
    fill_addr(&shared_probe.addrs[1], "::1", STS_SMTP_CERT_EXPIRED, 1700000000);
    shared_probe.tlsa_rcode = 0; /* NOERROR, no TLSA */
    shared_probe.smtp = sts_smtp_host_outcome(&shared_probe);
    memset(&own_probe, 0, sizeof own_probe);
    own_probe.host = "mx.own.example";
    own_probe.smtp_checked = own_probe.dane_checked = true;
    own_probe.n_addrs = 1;
    fill_addr(&own_probe.addrs[0], "127.0.0.26", STS_SMTP_OK, 1800000000);
    own_probe.tlsa_ad = true;
    own_probe.n_tlsa = own_probe.n_tlsa_usable = 1;
    own_probe.addrs[0].dane = STS_DANE_VALID;
    own_probe.smtp = sts_smtp_host_outcome(&own_probe);
}

/* Writes domain d with the delivery side: `own` uses mx.own.example, else the shared host. */
static int write_probed(struct store *st, int64_t scan, const char *d, bool own)
{
    struct fx f;
    fx_init(&f, d, FX_VALID, -1);
    static const struct sts_mx_probe *shared[1] = {&shared_probe}, *mine[1] = {&own_probe};
    if (own) {
        snprintf(f.mx_name, sizeof f.mx_name, "MX.own.example.");
        snprintf(f.body, sizeof f.body, "%s",
                 "version: STSv1\r\nmode: enforce\r\nmx: mx.own.example\r\nmax_age: 604800\r\n");
        f.body_len = strlen(f.body);
        f.obs.body_len = f.body_len;
    }
    f.obs.smtp_checked = f.obs.dane_checked = true;
    f.obs.mx_probes = own ? mine : shared;
    f.obs.n_mx_probes = 1;
    sts_verdict_free(&f.verdict);
    sts_classify(&f.obs, &f.verdict);
    struct store_row *row = store_row_build(&f.r);
    int rc = row ? store_write_row_owned(st, scan, row) : -2;
    fx_free(&f);
    return rc;
}

static int64_t begin(struct store *st, int index, int count)
{
    struct store_scan_info info = fx_info;
    info.shard_index = count ? index : -1;
    info.shard_count = count;
    int64_t scan = 0;
    return store_scan_begin(st, &info, &scan) < 0 ? -1 : scan;
}

static void finish(struct store *st, int64_t scan, int64_t n)
{
    struct store_scan_counts c = {.input_domains = n, .elapsed_s = 1.0};
    store_scan_finish(st, scan, "complete", &c);
}

/* A database made with the version 1 schema of main (tests/fixtures/schema_v1.sql) and one
 * result is migrated forward: its row intact, the new columns NULL, mx_probes created. */
static void test_migrate_v1(void)
{
    const char *path = fx_path("v1.db");
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    FILE *fp = fopen("tests/fixtures/schema_v1.sql", "r");
    char sql[16384] = "";
    size_t n = fp ? fread(sql, 1, sizeof sql - 1, fp) : 0;
    sql[n] = '\0';
    if (fp)
        fclose(fp);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    rc |= sqlite3_exec(db,
                       "PRAGMA application_id = 1297371988; PRAGMA user_version = 1;"
                       "INSERT INTO scans (started_at, state, tool_version, inputs, options) "
                       "VALUES ('2026-01-01T00:00:00Z', 'complete', 'old', '[]', '{}');"
                       "INSERT INTO results (scan_id, domain, scanned_at, status, valid_strict, "
                       "valid_lenient, would_fail_delivery, readiness, mx_hosts) VALUES (1, "
                       "'old.example', 1, 'valid', 1, 1, 0, 'enforcing', '[\"mx.old.example\"]')",
                       NULL, NULL, NULL);
    sqlite3_close(db);
    TAP_CHECK(rc == SQLITE_OK && n > 1000, "a version 1 database is made from main's schema",
              "rc %d, %zu bytes", rc, n);
    char err[1024] = "";
    struct store *ro = store_open(path, STORE_READ_ONLY, err, sizeof err);
    char older[32];
    snprintf(older, sizeof older, "older than %d", STORE_SCHEMA_VERSION);
    TAP_CHECK(!ro && strstr(err, older), "read-only open of version 1 says to migrate", "%s", err);
    store_close(ro);
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    TAP_CHECK(st != NULL, "a writing open migrates version 1", "%s", err);
    store_close(st);
    TAP_CHECK(fx_query_int(path, "PRAGMA user_version") == STORE_SCHEMA_VERSION &&
                  fx_query_int(path, "SELECT count(*) FROM pragma_table_info('results') WHERE "
                                     "name IN ('smtp_checked', 'mx_verified', 'mx_smtp_outcome', "
                                     "'mx_probed', 'mx_failing', 'dane_summary', 'dane_outcome', "
                                     "'readiness_reasons')") == 8 &&
                  fx_query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                     "'mx_probes'") == 1,
              "version 1 -> 2 -> 3: eight result columns and mx_probes added", "version %lld",
              fx_query_int(path, "PRAGMA user_version"));
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE domain = 'old.example' AND "
                                 "readiness = 'enforcing' AND smtp_checked IS NULL") == 1,
              "the old row is intact, its delivery columns NULL", "not");
    /* The migrated file takes a scan with probes, like a new one. */
    st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = st ? begin(st, 0, 0) : -1;
    int wrc = scan > 0 ? write_probed(st, scan, "new.example", false) : -1;
    if (st) {
        finish(st, scan, 1);
        store_close(st);
    }
    TAP_CHECK(wrc == 0 &&
                  fx_query_int(path, "SELECT count(*) FROM mx_probes WHERE scan_id = 2") == 1,
              "the migrated database stores a scan with MX probes", "rc %d", wrc);
    /* Every column the writer inserts exists in a migrated database as in a new one. */
    const char *fresh = fx_path("fresh.db");
    st = store_open(fresh, STORE_READ_WRITE, err, sizeof err);
    store_close(st);
    const char *cols = "SELECT group_concat(name || type, ',') FROM (SELECT name, type FROM "
                       "pragma_table_info('mx_probes') ORDER BY cid)";
    char *a = fx_query_text(path, cols), *b = fx_query_text(fresh, cols);
    TAP_CHECK(a && b && strcmp(a, b) == 0, "mx_probes of a migrated database equals a new one's",
              "%s vs %s", a ? a : "-", b ? b : "-");
    free(a);
    free(b);
    const char *rcols = "SELECT group_concat(name || type, ',') FROM (SELECT name, type FROM "
                        "pragma_table_info('results') ORDER BY cid)";
    a = fx_query_text(path, rcols);
    b = fx_query_text(fresh, rcols);
    TAP_CHECK(a && b && strcmp(a, b) == 0, "results of a migrated database equals a new one's",
              "%s vs %s", a ? a : "-", b ? b : "-");
    free(a);
    free(b);
}

/* The database main's own store wrote (tests/fixtures/store_v1.db) is migrated forward with
 * every row, artifact and input error intact, then exports, reports and takes a new scan. */
static void test_migrate_store_v1(void)
{
    const char *path = fx_path("store_v1.db");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp tests/fixtures/store_v1.db '%s'", path);
    int rc = system(cmd);
    TAP_CHECK(rc == 0 && fx_query_int(path, "PRAGMA user_version") == 1 &&
                  fx_query_int(path, "SELECT count(*) FROM results") == 4,
              "main's version 1 database: 4 results", "rc %d", rc);
    char *before =
        fx_query_text(path, "SELECT group_concat(domain || status || "
                            "coalesce(category, '') || warnings || coalesce(cert_issuer, "
                            "'') || coalesce(location, '') || coalesce(policy_blob, ''), "
                            "'|') FROM (SELECT * FROM results ORDER BY domain)");
    char err[1024] = "";
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    TAP_CHECK(st && fx_query_int(path, "PRAGMA user_version") == STORE_SCHEMA_VERSION &&
                  fx_query_int(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                     "('tlsrpt_reports', 'mx_probes')") == 2,
              "it migrates to the current version (TLS-RPT tables and mx_probes)", "%s", err);
    char *after = fx_query_text(path, "SELECT group_concat(domain || status || "
                                      "coalesce(category, '') || warnings || coalesce(cert_issuer, "
                                      "'') || coalesce(location, '') || coalesce(policy_blob, ''), "
                                      "'|') FROM (SELECT * FROM results ORDER BY domain)");
    char *body = NULL;
    size_t len = 0;
    int64_t blob = fx_query_int(path, "SELECT policy_blob FROM results WHERE domain = "
                                      "'v1-valid.example'");
    TAP_CHECK(before && after && strcmp(before, after) == 0 && st &&
                  store_artifact_get(st, blob, &body, &len) == 0 && strstr(body, "mode: enforce") &&
                  fx_query_int(path, "SELECT count(*) FROM input_errors") == 1,
              "its rows, artifacts and input errors are intact", "%s vs %s", before ? before : "-",
              after ? after : "-");
    free(body);
    free(before);
    free(after);
    /* a new scan with the delivery side next to the old one */
    int64_t scan = st ? begin(st, 0, 0) : -1;
    int wrc = scan > 0 ? write_probed(st, scan, "after-migration.example", false) : -1;
    if (st) {
        finish(st, scan, 1);
        store_close(st);
    }
    TAP_CHECK(wrc == 0 &&
                  fx_query_int(path, "SELECT count(*) FROM results WHERE scan_id = 1 AND "
                                     "smtp_checked IS NULL") == 4 &&
                  fx_query_int(path, "SELECT count(*) FROM mx_probes WHERE scan_id = 2") == 1,
              "a scan with MX probes is added; the old scan's delivery columns stay NULL", "rc %d",
              wrc);
    struct store *ro = store_open(path, STORE_READ_ONLY, err, sizeof err);
    const char *out = fx_path("v1.jsonl");
    FILE *f = fopen(out, "wb");
    struct store_export_options opt = {1, STORE_EXPORT_JSONL, false, false, STORE_EXPORT_DOMAINS};
    int64_t n = ro && f ? store_export(ro, &opt, f) : -1;
    if (f)
        fclose(f);
    store_close(ro);
    FILE *r = fopen(out, "rb");
    char buf[8192] = "";
    size_t got = r ? fread(buf, 1, sizeof buf - 1, r) : 0;
    buf[got] = '\0';
    if (r)
        fclose(r);
    TAP_CHECK(n == 4 && strstr(buf, "\"domain\":\"v1-valid.example\"") &&
                  strstr(buf, "\"smtp_checked\":null,\"mx_verified\":null"),
              "the migrated old scan exports, its delivery fields null", "%lld: %.300s",
              (long long)n, buf);
}

/* 5 domains on the shared host, 1 on its own; written in two sessions (a resume). */
static const char *write_scan(void)
{
    const char *path = fx_path("probes.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    if (!st)
        return path;
    store_set_batch(st, 2, 1000); /* several batches */
    int64_t scan = begin(st, 0, 0);
    for (int i = 0; i < 3; i++) {
        char d[32];
        snprintf(d, sizeof d, "s%d.example", i);
        write_probed(st, scan, d, false);
    }
    write_probed(st, scan, "own.example", true);
    write_probed(st, scan, "plain.example", false);
    store_close(st); /* unfinished: resumed below with an empty host cache */
    st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t resumed = 0;
    store_scan_resume(st, 0, &resumed);
    write_probed(st, resumed, "s9.example", false);
    finish(st, resumed, 6);
    store_close(st);
    return path;
}

static void test_write(const char *path)
{
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results") == 6 &&
                  fx_query_int(path, "SELECT count(*) FROM mx_probes") == 2,
              "6 domains, 2 distinct MX hosts: one mx_probes row per host",
              "%lld results, %lld hosts", fx_query_int(path, "SELECT count(*) FROM results"),
              fx_query_int(path, "SELECT count(*) FROM mx_probes"));
    TAP_CHECK(fx_query_int(path,
                           "SELECT count(*) FROM mx_probes WHERE host = "
                           "'mx1.mail.example.net' AND smtp_outcome = 'mx_cert_expired' AND "
                           "rfc8460_result = 'certificate-expired' AND starttls_offered = 1 "
                           "AND tls_version = 'TLSv1.3' AND cert_verify_code = 10 AND "
                           "cert_not_after = 1700000000 AND addrs_probed = 2 AND "
                           "dane_checked = 1 AND dane_outcome IS NULL AND tlsa_records = 0") == 1,
              "the shared host's roll-up comes from its expired address", "not");
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM mx_probes, json_each(mx_probes.addrs) j "
                                 "WHERE json_valid(addrs) AND json_extract(j.value, '$.issuer') = "
                                 "'CN=Test \"CA\",\nO=<x>'") == 3,
              "addrs is valid JSON and keeps remote bytes exactly", "not");
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM mx_probes WHERE host = 'mx.own.example' "
                                 "AND smtp_outcome = 'smtp_ok' AND rfc8460_result IS NULL AND "
                                 "dane_outcome = 'dane_valid' AND tlsa_ad = 1") == 1,
              "the own host: smtp_ok, dane_valid", "not");
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE domain LIKE 's%' AND "
                                 "smtp_checked = 1 AND mx_verified = 1 AND mx_smtp_outcome = "
                                 "'mx_cert_expired' AND mx_probed = 1 AND mx_failing = 1 AND "
                                 "would_fail_delivery = 1 AND dane_summary = 'none' AND "
                                 "dane_outcome IS NULL AND readiness = 'enforcing'") == 4,
              "domains on the broken host: would_fail_delivery, summary columns", "%lld",
              fx_query_int(path, "SELECT count(*) FROM results WHERE would_fail_delivery = 1"));
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE domain = 'own.example' AND "
                                 "mx_smtp_outcome = 'smtp_ok' AND would_fail_delivery = 0 AND "
                                 "dane_summary = 'full' AND dane_outcome = 'dane_valid'") == 1,
              "the domain on its own host: smtp_ok, DANE full", "not");
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results r, json_each(r.mx_hosts) j JOIN "
                                 "mx_probes m ON m.scan_id = r.scan_id AND m.host = "
                                 "lower(rtrim(j.value, '.'))") == 6,
              "every domain finds its host through results.mx_hosts (case, trailing dot)", "%lld",
              fx_query_int(path, "SELECT count(*) FROM results r, json_each(r.mx_hosts) j JOIN "
                                 "mx_probes m ON m.host = lower(rtrim(j.value, '.'))"));
}

/* Runs an export into a file and returns its text (malloc'ed). */
static char *export_text(const char *path, enum store_export_format fmt,
                         enum store_export_table table)
{
    char err[1024];
    struct store *st = store_open(path, STORE_READ_ONLY, err, sizeof err);
    const char *out = fx_path(table == STORE_EXPORT_MX ? "mx.out" : "domains.out");
    FILE *f = fopen(out, "wb");
    struct store_export_options opt = {0, fmt, false, false, table};
    int64_t n = st && f ? store_export(st, &opt, f) : -1;
    if (f)
        fclose(f);
    store_close(st);
    if (n < 0)
        return NULL;
    FILE *r = fopen(out, "rb");
    char *buf = calloc(1, 1 << 16);
    size_t len = r && buf ? fread(buf, 1, (1 << 16) - 1, r) : 0;
    if (r)
        fclose(r);
    buf[len] = '\0';
    return buf;
}

static void test_export(const char *path)
{
    char *mx = export_text(path, STORE_EXPORT_JSONL, STORE_EXPORT_MX);
    size_t lines = 0;
    for (const char *p = mx; p && *p; p++)
        lines += *p == '\n';
    TAP_CHECK(mx && lines == 2 &&
                  strncmp(mx, "{\"host\":\"mx.own.example\",\"domains\":1,", 37) == 0 &&
                  strstr(mx, "{\"host\":\"mx1.mail.example.net\",\"domains\":5,\"smtp_checked\":"
                             "true,\"smtp_outcome\":\"mx_cert_expired\",\"rfc8460_result\":"
                             "\"certificate-expired\""),
              "export --table mx: one record per host, ordered, with its domain count", "%s",
              mx ? mx : "(failed)");
    TAP_CHECK(mx && strstr(mx, "\"addrs\":[{\"addr\":\"127.0.0.25\""),
              "export --table mx: addresses as a JSON array", "%s", mx ? mx : "");
    free(mx);
    char *csv = export_text(path, STORE_EXPORT_CSV, STORE_EXPORT_MX);
    TAP_CHECK(csv &&
                  strncmp(csv, "host,domains,smtp_checked,smtp_outcome,rfc8460_result,", 54) == 0,
              "export --table mx CSV header", "%.80s", csv ? csv : "");
    free(csv);
    char *d = export_text(path, STORE_EXPORT_JSONL, STORE_EXPORT_DOMAINS);
    TAP_CHECK(d && strstr(d, "\"smtp_checked\":true,\"mx_verified\":true,\"mx_smtp_outcome\":"
                             "\"mx_cert_expired\",\"mx_probed\":1,\"mx_failing\":1,"
                             "\"dane_summary\":\"none\",\"dane_outcome\":null,"
                             "\"readiness_reasons\":null,\"policy_http_server\":\"nginx/1.22.1\"}"),
              "export: the per-domain delivery fields are appended", "%.400s", d ? d : "");
    free(d);
}

static void test_merge(void)
{
    const char *s0 = fx_path("m0.db"), *s1 = fx_path("m1.db"), *out = fx_path("merged.db");
    const char *paths[2] = {s0, s1};
    char err[1024] = "";
    for (int i = 0; i < 2; i++) {
        struct store *st = store_open(paths[i], STORE_READ_WRITE, err, sizeof err);
        int64_t scan = st ? begin(st, i, 2) : -1;
        char d[32];
        snprintf(d, sizeof d, "shard%d.example", i);
        write_probed(st, scan, d, false); /* both shards probed the shared host */
        if (i == 1)
            write_probed(st, scan, "own.example", true);
        finish(st, scan, i + 1);
        store_close(st);
    }
    int64_t id = 0;
    int rc = store_merge(out, paths, 2, &id, NULL, err, sizeof err);
    TAP_CHECK(rc == 0 && fx_query_int(out, "SELECT count(*) FROM mx_probes") == 2 &&
                  fx_query_int(out, "SELECT count(*) FROM mx_probes WHERE scan_id = 1 AND host = "
                                    "'mx1.mail.example.net' AND smtp_outcome = "
                                    "'mx_cert_expired'") == 1,
              "merge carries mx_probes, a host probed by two shards once", "rc %d %s: %lld", rc,
              err, fx_query_int(out, "SELECT count(*) FROM mx_probes"));
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM results WHERE mx_smtp_outcome IS NOT NULL") ==
                  3,
              "merge carries the per-domain delivery columns", "%lld",
              fx_query_int(out, "SELECT count(*) FROM results WHERE mx_smtp_outcome IS NOT NULL"));
}

/* Rows without the delivery side keep it NULL; not_ready rows name their reasons. */
static void test_plain_rows(void)
{
    const char *path = fx_path("plain.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = st ? begin(st, 0, 0) : -1;
    fx_write(st, scan, "a.example", FX_VALID, 1);
    fx_write(st, scan, "b.example", FX_CERT_EXPIRED, 2);
    finish(st, scan, 2);
    store_close(st);
    TAP_CHECK(fx_query_int(path, "SELECT count(*) FROM results WHERE smtp_checked IS NULL AND "
                                 "mx_smtp_outcome IS NULL AND dane_summary IS NULL") == 2,
              "without +smtp/+dane the delivery columns are NULL", "not");
    char *why = fx_query_text(path, "SELECT readiness_reasons FROM results WHERE domain = "
                                    "'b.example'");
    TAP_CHECK(why && strcmp(why, "cert_expired") == 0, "readiness_reasons of a not_ready domain",
              "'%s'", why ? why : "(null)");
    free(why);
    TAP_CHECK(fx_query_int(path, "SELECT readiness_reasons IS NULL FROM results WHERE domain = "
                                 "'a.example'") == 1,
              "readiness_reasons is NULL unless not_ready", "not");
}

int main(void)
{
    printf("1..%d\n", PLAN);
    fx_mkdir("delivery");
    make_probes();
    test_migrate_v1();
    test_migrate_store_v1();
    const char *path = write_scan();
    test_write(path);
    test_export(path);
    test_merge();
    test_plain_rows();
    fx_rmdir();
    TAP_DONE();
}
