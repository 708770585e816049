/* Unit tests of `mtasts merge`: N shards equal one unsharded scan; mismatches are refused. */
#include <signal.h>
#include <sys/wait.h>

#include "rules/tlsrpt_report.h"
#include "store/store_tlsrpt.h"
#include "tests/unit/tap.h"
#include "tests/unit/test_store_fixtures.h"

#define N_DOMAINS 300

static enum fx_kind kind_of(int i)
{
    return i % 7 == 0    ? FX_VALID
           : i % 11 == 0 ? FX_CERT_EXPIRED
           : i % 13 == 0 ? FX_HOSTILE
                         : FX_NO_POLICY;
}

/* Writes the domains i with i % count == index (all of them when count is 0). */
static int make_scan(const char *path, int index, int count, const char *options, const char *state,
                     int extra_domain)
{
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    if (!st) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    struct store_scan_info info = fx_info;
    info.shard_index = count ? index : -1;
    info.shard_count = count;
    if (options)
        info.options_json = options;
    int64_t scan = 0;
    if (store_scan_begin(st, &info, &scan) < 0) {
        fprintf(stderr, "%s\n", store_error(st));
        store_close(st);
        return -1;
    }
    int64_t n = 0;
    for (int i = 0; i < N_DOMAINS; i++) {
        if (count && i % count != index)
            continue;
        char d[32];
        snprintf(d, sizeof d, "m%04d.example", i);
        fx_write(st, scan, d, kind_of(i), i % 5 ? i + 1 : -1);
        n++;
    }
    if (extra_domain >= 0) {
        char d[32];
        snprintf(d, sizeof d, "m%04d.example", extra_domain);
        fx_write(st, scan, d, FX_NO_POLICY, 1);
    }
    store_write_input_error(st, scan, "list.txt", 4, "not a domain!", "invalid character");
    store_write_input_error(st, scan, "list.txt", 8, "-bad-", "label starts with a hyphen");
    struct store_scan_counts c = {n, 2, 1, 0, 10.0 + index, NULL};
    store_scan_finish(st, scan, state, &c);
    store_close(st);
    return 0;
}

/* Rows of scan a in db x that differ from scan b in db y, timings and blob ids aside. */
static long long diff_rows(const char *x, long long a, const char *y, long long b)
{
    static const char cols[] =
        "domain, rank, status, category, warnings, valid_strict, valid_lenient, "
        "would_fail_delivery, readiness, detail, txt_outcome, txt_records, txt_version_records, "
        "txt_id, mx_outcome, mx_hosts, null_mx, tlsrpt_outcome, tlsrpt_status, rua, "
        "host_a_outcome, host_aaaa_outcome, host_addrs, host_addrs_refused, host_cname, "
        "https_outcome, https_addr, http_status, content_type, location, tls_version, "
        "cert_verify_code, cert_verify_text, cert_not_before, cert_not_after, cert_issuer, "
        "cert_name_matches, cert_chain_len, https_error, policy_size, policy_mode, "
        "policy_max_age, mx_patterns, lf_line_endings, policy_errors, mx_covered, policy_valid, "
        "policy_warnings, txt_errors, tlsrpt_errors, policy_http_server";
    static const char blobs[] = "(SELECT sha256 FROM %s.blobs WHERE id = r.txt_blob), "
                                "(SELECT sha256 FROM %s.blobs WHERE id = r.policy_blob), "
                                "(SELECT sha256 FROM %s.blobs WHERE id = r.cert_blob), "
                                "(SELECT sha256 FROM %s.blobs WHERE id = r.tlsrpt_blob)";
    char bx[512], by[512], sql[4096];
    snprintf(bx, sizeof bx, blobs, "main", "main", "main", "main");
    snprintf(by, sizeof by, blobs, "y", "y", "y", "y");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT %s, %s FROM main.results r WHERE scan_id = %lld "
             "EXCEPT SELECT %s, %s FROM y.results r WHERE scan_id = %lld)",
             cols, bx, a, cols, by, b);
    sqlite3 *db = NULL;
    sqlite3_open_v2(x, &db, SQLITE_OPEN_READONLY, NULL);
    char att[700];
    snprintf(att, sizeof att, "ATTACH '%s' AS y", y);
    sqlite3_exec(db, att, NULL, NULL, NULL);
    sqlite3_stmt *stmt = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    else
        fprintf(stderr, "diff: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

static int merge(const char *out, const char **shards, size_t n, char *err, size_t errlen)
{
    int64_t id = 0;
    err[0] = '\0';
    return store_merge(out, shards, n, &id, NULL, err, errlen) < 0 ? -1 : (int)id;
}

static void test_merge_equals_single(void)
{
    const char *single = fx_path("single.db");
    const char *shards[3] = {fx_path("s0.db"), fx_path("s1.db"), fx_path("s2.db")};
    make_scan(single, 0, 0, NULL, "complete", -1);
    for (int i = 0; i < 3; i++)
        make_scan(shards[i], i, 3, NULL, "complete", -1);
    const char *out = fx_path("merged.db");
    char err[2048];
    const char *order[3] = {shards[2], shards[0], shards[1]}; /* any order */
    int id = merge(out, order, 3, err, sizeof err);
    TAP_CHECK(id == 1, "three shards merge into scan 1 of a new database", "%s", err);
    long long rows = fx_query_int(out, "SELECT count(*) FROM results WHERE scan_id = 1");
    TAP_CHECK(rows == N_DOMAINS, "the merged scan has every domain once", "%lld rows", rows);
    long long d1 = diff_rows(out, 1, single, 1), d2 = diff_rows(single, 1, out, 1);
    TAP_CHECK(d1 == 0 && d2 == 0, "merged rows equal the unsharded scan's, row for row",
              "%lld rows only in the merge, %lld only in the single scan", d1, d2);
    long long servers = fx_query_int(out, "SELECT count(*) FROM results WHERE scan_id = 1 AND "
                                          "policy_http_server IS NOT NULL");
    TAP_CHECK(servers > 0 && servers == fx_query_int(single, "SELECT count(*) FROM results WHERE "
                                                             "policy_http_server IS NOT NULL"),
              "merge carries policy_http_server (schema version 4)", "%lld in the merge", servers);
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM blobs WHERE kind = 'policy'") == 1,
              "artifacts are deduplicated across shards", "%lld policy blobs",
              fx_query_int(out, "SELECT count(*) FROM blobs WHERE kind = 'policy'"));
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM blobs") ==
                  fx_query_int(single, "SELECT count(*) FROM blobs"),
              "as many artifacts as the unsharded scan", "%lld vs %lld",
              fx_query_int(out, "SELECT count(*) FROM blobs"),
              fx_query_int(single, "SELECT count(*) FROM blobs"));
    char *state = fx_query_text(out, "SELECT state FROM scans WHERE id = 1");
    TAP_STR_EQ(state, "complete", "complete shards make a complete scan");
    free(state);
    TAP_CHECK(fx_query_int(out, "SELECT input_domains FROM scans WHERE id = 1") == N_DOMAINS,
              "input domains are summed", "%lld",
              fx_query_int(out, "SELECT input_domains FROM scans WHERE id = 1"));
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM input_errors") == 2 &&
                  fx_query_int(out, "SELECT invalid_lines FROM scans") == 2,
              "bad input lines, seen by every shard, are kept once", "%lld errors, %lld counted",
              fx_query_int(out, "SELECT count(*) FROM input_errors"),
              fx_query_int(out, "SELECT invalid_lines FROM scans"));
    TAP_CHECK(fx_query_int(out, "SELECT duplicates FROM scans") == 3,
              "duplicates (a per-shard count) are summed", "%lld",
              fx_query_int(out, "SELECT duplicates FROM scans"));
    TAP_CHECK(fx_query_int(out, "SELECT json_array_length(merged_from) FROM scans") == 3,
              "merged_from lists the three shards", "%lld",
              fx_query_int(out, "SELECT json_array_length(merged_from) FROM scans"));
    TAP_CHECK(fx_query_int(out, "SELECT shard_count IS NULL FROM scans") == 1,
              "the merged scan is not itself a shard", "shard_count set");
    TAP_CHECK(fx_query_int(out, "SELECT elapsed_s FROM scans") == 12,
              "elapsed time is the longest shard's", "%lld",
              fx_query_int(out, "SELECT elapsed_s FROM scans"));
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM scan_lock") == 0,
              "merge leaves no lock behind", "lock row left");
    TAP_CHECK(fx_query_int(shards[0], "SELECT count(*) FROM scans") == 1, "shards are not modified",
              "scans changed");
    /* The same shards again into the same output: refused, no second scan. */
    int again = merge(out, order, 3, err, sizeof err);
    TAP_CHECK(again < 0 && strstr(err, "already holds scan 1") &&
                  fx_query_int(out, "SELECT count(*) FROM scans") == 1,
              "merging the same shards into the same output again is refused, no duplicate scan",
              "id %d, %s, %lld scans", again, err, fx_query_int(out, "SELECT count(*) FROM scans"));

    /* a second merge appends a second scan to the same output */
    id = merge(out, shards, 3, err, sizeof err);
    TAP_CHECK(id == 2 &&
                  fx_query_int(out, "SELECT count(*) FROM results WHERE scan_id = 1") == N_DOMAINS,
              "merging again appends a scan and leaves the first unchanged", "%d: %s", id, err);
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM blobs") ==
                  fx_query_int(single, "SELECT count(*) FROM blobs"),
              "artifacts stay deduplicated across merged scans", "%lld",
              fx_query_int(out, "SELECT count(*) FROM blobs"));
}

/* One TLS-RPT report for `domain` with `fails` failure details; `pad` spaces change its bytes
 * (a reformatted copy) without changing what it says. */
static int add_report(const char *path, const char *org, const char *id, const char *domain,
                      int fails, int pad)
{
    char json[4096];
    int n = snprintf(json, sizeof json,
                     "{\"organization-name\":\"%s\",%*s\"date-range\":{\"start-datetime\":"
                     "\"2026-11-01T00:00:00Z\",\"end-datetime\":\"2026-11-01T23:59:59Z\"},"
                     "\"contact-info\":\"tls@%s\",\"report-id\":\"%s\",\"policies\":[{\"policy\":"
                     "{\"policy-type\":\"sts\",\"policy-domain\":\"%s\",\"mx-host\":\"mx.%s\"},"
                     "\"summary\":{\"total-successful-session-count\":10,"
                     "\"total-failure-session-count\":%d},\"failure-details\":[",
                     org, pad, "", org, id, domain, domain, fails);
    for (int i = 0; i < fails; i++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      "%s{\"result-type\":\"certificate-expired\",\"sending-mta-ip\":"
                      "\"192.0.2.%d\",\"receiving-mx-hostname\":\"mx.%s\","
                      "\"failed-session-count\":1}",
                      i ? "," : "", i + 1, domain);
    n += snprintf(json + n, sizeof json - (size_t)n, "]}]}");
    struct tlsrpt_report r;
    char err[256];
    if (tlsrpt_report_parse(json, (size_t)n, &r, err, sizeof err) < 0) {
        fprintf(stderr, "report: %s\n", err);
        return -1;
    }
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int rc = st ? store_tlsrpt_add(st, &r, json, (size_t)n, "test", NULL) : -1;
    store_close(st);
    tlsrpt_report_free(&r);
    return rc;
}

static int set_mark(const char *path, const char *mailbox, int64_t validity, int64_t uid)
{
    char err[256];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int rc = st ? store_tlsrpt_mark_set(st, mailbox, validity, uid) : -1;
    store_close(st);
    return rc;
}

/* TLS-RPT reports ingested into the shards survive the merge, each report once; the read
 * marks are merged; a failed merge leaves none of them behind. */
static void test_merge_tlsrpt(void)
{
    const char *t0 = fx_path("t0.db"), *t1 = fx_path("t1.db"), *out = fx_path("tr.db");
    make_scan(t0, 0, 2, NULL, "complete", -1);
    make_scan(t1, 1, 2, NULL, "complete", -1);
    /* t0: A (2 failures), B (1); t1: B again (same JSON), A reformatted (same organization and
     * report id), C (3 failures); OUT already holds D, and t1 holds D too */
    int rc = add_report(t0, "org-a", "r-a", "a.example", 2, 0) |
             add_report(t0, "org-b", "r-b", "b.example", 1, 0) |
             add_report(t1, "org-b", "r-b", "b.example", 1, 0) |
             add_report(t1, "org-a", "r-a", "a.example", 2, 3) |
             add_report(t1, "org-c", "r-c", "c.example", 3, 0) |
             add_report(t1, "org-d", "r-d", "d.example", 1, 0) |
             add_report(out, "org-d", "r-d", "d.example", 1, 0);
    rc |= set_mark(t0, "imaps://u@h/INBOX", 7, 10) | set_mark(t1, "imaps://u@h/INBOX", 7, 20) |
          set_mark(t1, "imaps://u@h/Reports", 3, 5) | set_mark(out, "imaps://u@h/Reports", 3, 9);
    TAP_CHECK(rc == 0, "tlsrpt merge: shards hold reports and read marks", "setup failed");
    const char *both[] = {t0, t1};
    struct store_merge_info info = {0};
    int64_t id = 0;
    char err[2048];
    rc = store_merge(out, both, 2, &id, &info, err, sizeof err);
    TAP_CHECK(rc == 0 && info.tlsrpt_copied == 3 && info.tlsrpt_duplicates == 3 &&
                  info.tlsrpt_marks == 2,
              "tlsrpt merge: 3 reports copied, 3 already held, 2 marks",
              "rc %d: %s; copied %lld, duplicates %lld, marks %lld", rc, err,
              (long long)info.tlsrpt_copied, (long long)info.tlsrpt_duplicates,
              (long long)info.tlsrpt_marks);
    long long reports = fx_query_int(out, "SELECT count(*) FROM tlsrpt_reports");
    long long orgs = fx_query_int(out, "SELECT count(DISTINCT organization) FROM tlsrpt_reports");
    TAP_CHECK(reports == 4 && orgs == 4, "tlsrpt merge: each report once (A, B, C, and OUT's D)",
              "%lld reports, %lld organizations", reports, orgs);
    /* every copied report has its policy, its failures and its artifact, linked by new ids */
    char *per = fx_query_text(
        out, "SELECT group_concat(organization || ':' || n || ':' || d, ' ') FROM (SELECT "
             "r.organization, count(f.idx) AS n, p.domain AS d FROM tlsrpt_reports r JOIN "
             "tlsrpt_policies p ON p.report = r.id LEFT JOIN tlsrpt_failures f ON f.policy = "
             "p.id GROUP BY r.id ORDER BY r.organization)");
    TAP_STR_EQ(per, "org-a:2:a.example org-b:1:b.example org-c:3:c.example org-d:1:d.example",
               "tlsrpt merge: policies and failure details follow their reports");
    free(per);
    long long blobs = fx_query_int(
        out, "SELECT count(*) FROM tlsrpt_reports r JOIN blobs b ON b.id = r.raw_blob AND "
             "b.kind = 'tlsrpt_report'");
    TAP_CHECK(blobs == 4, "tlsrpt merge: each report keeps its raw JSON artifact", "%lld", blobs);
    char *marks = fx_query_text(out, "SELECT group_concat(mailbox || '=' || uidvalidity || '/' || "
                                     "last_uid, ' ') FROM (SELECT * FROM tlsrpt_imap_marks ORDER "
                                     "BY mailbox)");
    TAP_STR_EQ(marks, "imaps://u@h/INBOX=7/20 imaps://u@h/Reports=3/9",
               "tlsrpt merge: read marks keep the highest UID of one UIDVALIDITY");
    free(marks);

    /* a merge that fails on its last shard leaves no report, policy, failure or mark */
    const char *u0 = fx_path("u0.db"), *u1 = fx_path("u1.db"), *fresh = fx_path("fresh.db");
    make_scan(u0, 0, 2, NULL, "complete", -1);
    make_scan(u1, 1, 2, NULL, "complete", 0); /* holds a domain of u0: refused while copying */
    add_report(u0, "org-e", "r-e", "e.example", 2, 0);
    set_mark(u0, "imaps://u@h/INBOX", 1, 4);
    const char *bad[] = {u0, u1};
    rc = store_merge(fresh, bad, 2, &id, NULL, err, sizeof err);
    long long left = fx_query_int(fresh, "SELECT (SELECT count(*) FROM tlsrpt_reports) + (SELECT "
                                         "count(*) FROM tlsrpt_policies) + (SELECT count(*) FROM "
                                         "tlsrpt_failures) + (SELECT count(*) FROM "
                                         "tlsrpt_imap_marks) + (SELECT count(*) FROM blobs)");
    TAP_CHECK(rc < 0 && strstr(err, "two shards") && left == 0,
              "tlsrpt merge: a failed merge leaves no TLS-RPT row behind", "rc %d (%s), %lld rows",
              rc, err, left);
}

static void expect_refused(const char *name, const char **shards, size_t n, const char *needle)
{
    const char *out = fx_path("merged.db");
    long long scans = fx_query_int(out, "SELECT count(*) FROM scans");
    long long blobs = fx_query_int(out, "SELECT count(*) FROM blobs");
    char err[2048];
    int id = merge(out, shards, n, err, sizeof err);
    TAP_CHECK(id < 0 && strstr(err, needle), name, "id %d, message '%s' (want '%s')", id, err,
              needle);
    char what[200];
    snprintf(what, sizeof what, "%s: output unchanged", name);
    TAP_CHECK(fx_query_int(out, "SELECT count(*) FROM scans") == scans &&
                  fx_query_int(out, "SELECT count(*) FROM blobs") == blobs &&
                  fx_query_int(out, "SELECT count(*) FROM scan_lock") == 0,
              what, "scans %lld -> %lld, blobs %lld -> %lld", scans,
              fx_query_int(out, "SELECT count(*) FROM scans"), blobs,
              fx_query_int(out, "SELECT count(*) FROM blobs"));
}

static void test_refusals(void)
{
    const char *s0 = fx_path("s0.db"), *s1 = fx_path("s1.db"), *s2 = fx_path("s2.db");
    const char *two[] = {s0, s1};
    expect_refused("a missing shard is refused", two, 2, "missing shard(s) 2");
    const char *dup[] = {s0, s1, s1};
    expect_refused("a shard given twice is refused", dup, 3, "appears twice");
    const char *single[] = {fx_path("single.db")};
    expect_refused("an unsharded scan is refused", single, 1, "not a shard");

    const char *opt = fx_path("opt2.db");
    make_scan(opt, 2, 3, "{\"timeout\":10}", "complete", -1);
    const char *mixed[] = {s0, s1, opt};
    expect_refused("shards scanned with other options are refused", mixed, 3, "different options");

    const char *four = fx_path("four.db");
    make_scan(four, 3, 4, NULL, "complete", -1);
    const char *split[] = {s0, s1, s2, four};
    expect_refused("shards of different splits are refused", split, 4, "not the same split");

    /* shard 2 also holds a domain of shard 0: caught when copying, output rolled back */
    const char *overlap = fx_path("overlap2.db");
    make_scan(overlap, 2, 3, NULL, "complete", 0);
    const char *ov[] = {s0, s1, overlap};
    expect_refused("overlapping shards are refused, naming the domain", ov, 3,
                   "m0000.example is in two shards");

    char err[2048];
    const char *self[] = {s0, s1, fx_path("merged.db")};
    int id = merge(fx_path("merged.db"), self, 3, err, sizeof err);
    TAP_CHECK(id < 0 && strstr(err, "both the output and a shard"),
              "the output cannot be one of the shards", "%s", err);
    const char *junk = fx_path("junk.db");
    FILE *f = fopen(junk, "w");
    fputs("not a database, only words and more words to fill a page of text..........\n", f);
    fclose(f);
    const char *bad[] = {s0, s1, junk};
    expect_refused("a shard that is not a database is refused by name", bad, 3, "junk.db");
}

static void test_interrupted_and_live_shards(void)
{
    const char *i0 = fx_path("i0.db"), *i1 = fx_path("i1.db");
    make_scan(i0, 0, 2, NULL, "complete", -1);
    make_scan(i1, 1, 2, NULL, "interrupted", -1);
    const char *out = fx_path("imerged.db");
    const char *sh[] = {i0, i1};
    char err[2048];
    int id = merge(out, sh, 2, err, sizeof err);
    char *state = fx_query_text(out, "SELECT state FROM scans");
    TAP_CHECK(id == 1 && state && !strcmp(state, "interrupted"),
              "one interrupted shard makes the merged scan interrupted", "%d %s: %s", id,
              state ? state : "(null)", err);
    free(state);

    /* a shard still being scanned by a live process is refused */
    const char *live = fx_path("live.db");
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        char e[1024];
        struct store *st = store_open(live, STORE_READ_WRITE, e, sizeof e);
        struct store_scan_info info = fx_info;
        info.shard_index = 1;
        info.shard_count = 2;
        int64_t scan;
        if (!st || store_scan_begin(st, &info, &scan) < 0)
            _exit(3);
        fx_write(st, scan, "m0001.example", FX_NO_POLICY, 2);
        store_flush(st);
        if (write(fds[1], "r", 1) != 1)
            _exit(4);
        pause();
        _exit(0);
    }
    char c;
    if (read(fds[0], &c, 1) == 1) {
        const char *lv[] = {i0, live};
        id = merge(fx_path("lmerged.db"), lv, 2, err, sizeof err);
        TAP_CHECK(id < 0 && strstr(err, "still being written"),
                  "a shard still being scanned is refused", "%d: %s", id, err);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    TAP_PLAN(42);
    fx_mkdir("merge");
    test_merge_equals_single();
    test_refusals();
    test_interrupted_and_live_shards();
    test_merge_tlsrpt();
    fx_rmdir();
    TAP_DONE();
}
