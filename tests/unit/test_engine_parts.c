/* Engine unit tests: libcurl outcome mapping, certificate error ranking and leaf facts, the
 * event loop's timers and wakeup, --checks and the shared command-line options. */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/engine/addr_policy.h"
#include "scanner/engine/cert_facts.h"
#include "scanner/engine/dns_stage.h"
#include "scanner/engine/engine.h"
#include "scanner/engine/event_loop.h"
#include "scanner/engine/https_stage.h"
#include "scanner/commands/scan_options.h"
#include "lib/version.h"
#include "tests/unit/tap.h"

static void test_outcomes(void)
{
    TAP_CHECK(https_peer_vanished(CURLE_SSL_CONNECT_ERROR,
                                  "OpenSSL SSL_connect: Connection reset by peer in connection to "
                                  "mta-sts.example.test:443") &&
                  https_peer_vanished(CURLE_SSL_CONNECT_ERROR,
                                      "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to x"),
              "a peer gone during the handshake is a connect failure (issue 12: nginx killed)",
              "not recognised");
    TAP_CHECK(!https_peer_vanished(CURLE_SSL_CONNECT_ERROR,
                                   "error:0A000458:SSL routines::tlsv1 unrecognized name") &&
                  !https_peer_vanished(CURLE_OPERATION_TIMEDOUT, "reset by peer"),
              "a TLS alert stays a TLS failure", "taken for a vanished peer");
    TAP_CHECK(https_outcome_of(CURLE_OK, true, true, false, 0) == STS_HTTPS_OK, "200 is ok", "x");
    TAP_CHECK(https_outcome_of(CURLE_COULDNT_CONNECT, false, false, false, 0) ==
                  STS_HTTPS_CONNECT_FAILED,
              "connection refused", "x");
    TAP_CHECK(https_outcome_of(CURLE_OPERATION_TIMEDOUT, false, false, false, 0) ==
                  STS_HTTPS_TIMEOUT,
              "connect timeout", "x");
    TAP_CHECK(https_outcome_of(CURLE_OPERATION_TIMEDOUT, true, true, false, 0) == STS_HTTPS_TIMEOUT,
              "drip: total timeout after TLS", "x");
    TAP_CHECK(https_outcome_of(CURLE_SSL_CONNECT_ERROR, true, false, false, 0) ==
                  STS_HTTPS_TLS_FAILED,
              "handshake failure", "x");
    TAP_CHECK(https_outcome_of(CURLE_PEER_FAILED_VERIFICATION, true, false, false, 10) ==
                  STS_HTTPS_CERT_FAILED,
              "verification failure", "x");
    TAP_CHECK(https_outcome_of(CURLE_SSL_CONNECT_ERROR, true, false, false, 18) ==
                  STS_HTTPS_CERT_FAILED,
              "a recorded verify error wins over a generic TLS error", "x");
    TAP_CHECK(https_outcome_of(CURLE_WRITE_ERROR, true, true, true, 0) == STS_HTTPS_BODY_TOO_LARGE,
              "body cap", "x");
    TAP_CHECK(https_outcome_of(CURLE_GOT_NOTHING, true, true, false, 0) == STS_HTTPS_PROTOCOL_ERROR,
              "TLS up, no HTTP response", "x");
    TAP_CHECK(https_outcome_of(CURLE_RECV_ERROR, true, false, false, 0) == STS_HTTPS_TLS_FAILED,
              "reset during the handshake", "x");
    TAP_CHECK(https_should_try_next(CURLE_COULDNT_CONNECT, false) &&
                  https_should_try_next(CURLE_OPERATION_TIMEDOUT, false) &&
                  !https_should_try_next(CURLE_OPERATION_TIMEDOUT, true) &&
                  !https_should_try_next(CURLE_PEER_FAILED_VERIFICATION, true),
              "only connect failures move on to the next address", "x");
    char ua[256];
    https_user_agent(ua, sizeof ua, "https://example.org/scan");
    TAP_CHECK(!strncmp(ua, "mtasts/", 7) && strstr(ua, "(+https://example.org/scan)"),
              "User-Agent names tool, version and contact", "%s", ua);
}

static void test_cert_ranking(void)
{
    int e1[] = {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_CERT_HAS_EXPIRED};
    TAP_CHECK(cert_most_significant(e1, 2) == X509_V_ERR_CERT_HAS_EXPIRED,
              "expired self-signed is expired", "got %d", cert_most_significant(e1, 2));
    int e2[] = {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE};
    TAP_CHECK(sts_cert_category(cert_most_significant(e2, 2)) == STS_CAT_CERT_UNTRUSTED,
              "unknown issuer is untrusted", "got %d", cert_most_significant(e2, 2));
    TAP_CHECK(cert_most_significant(NULL, 0) == 0, "no error: 0", "x");

    struct cert_capture c = {0}; /* cert_capture_reset keeps c.pem: it must start NULL */
    cert_capture_reset(&c, "mta-sts.example.test");
    c.leaf_seen = true;
    c.facts.name_matches = false;
    TAP_CHECK(cert_capture_finish(&c) == X509_V_ERR_HOSTNAME_MISMATCH,
              "verified chain, wrong name: hostname mismatch", "got %d", c.facts.verify_code);
    cert_capture_reset(&c, "mta-sts.example.test");
    c.leaf_seen = true;
    c.errors[c.n_errors++] = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
    TAP_CHECK(cert_capture_finish(&c) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
              "self-signed with the wrong name stays self-signed", "got %d", c.facts.verify_code);
}

/* A self-signed leaf made in memory: dates, issuer, SAN match. */
static void test_leaf_facts(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"leaf", -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:mta-sts.example.test");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, key, EVP_sha256());
    struct sts_cert_facts f;
    memset(&f, 0, sizeof f);
    cert_facts_from_leaf(&f, x, "mta-sts.example.test");
    TAP_CHECK(f.present && f.name_matches, "SAN covers the policy host", "x");
    TAP_CHECK(f.not_after - f.not_before == 86400, "notBefore/notAfter read", "%lld",
              (long long)(f.not_after - f.not_before));
    TAP_CHECK(f.self_signed, "issuer == subject is self-signed", "x");
    TAP_STR_EQ(f.issuer, "CN=leaf", "issuer in RFC 2253 form");
    cert_facts_from_leaf(&f, x, "mta-sts.other.test");
    TAP_CHECK(!f.name_matches, "SAN does not cover another host", "x");
    X509_free(x);
    EVP_PKEY_free(key);
}

static int fired[8], n_fired;

static void on_timer(void *arg)
{
    fired[n_fired++] = (int)(long)arg;
}

static void on_io(void *ctx, enum evl_owner owner, int fd, unsigned events)
{
    (void)fd;
    (void)events;
    *(int *)ctx += owner == EVL_OWNER_WAKE;
}

static void test_event_loop(void)
{
    struct evl l;
    int wakes = 0;
    TAP_CHECK(evl_init(&l, on_io, &wakes) == 0, "event loop created", "x");
    evl_timer_at(&l, 300, on_timer, (void *)3L);
    evl_timer_at(&l, 100, on_timer, (void *)1L);
    evl_timer_at(&l, 200, on_timer, (void *)2L);
    evl_timer_at(&l, 100, on_timer, (void *)4L);
    TAP_CHECK(evl_next_timer(&l) == 100, "earliest deadline first", "%lld",
              (long long)evl_next_timer(&l));
    size_t ran = evl_run_timers(&l, 150);
    TAP_CHECK(ran == 2 && fired[0] == 1 && fired[1] == 4, "due timers run, FIFO on ties",
              "ran %zu: %d %d", ran, fired[0], fired[1]);
    ran = evl_run_timers(&l, 1000);
    TAP_CHECK(ran == 2 && fired[2] == 2 && fired[3] == 3 && evl_next_timer(&l) == -1,
              "the rest in order, heap empty", "ran %zu", ran);
    evl_wake(&l);
    int n = evl_poll(&l, 1000);
    TAP_CHECK(n == 1 && wakes == 1, "a wakeup ends the poll", "n %d wakes %d", n, wakes);
    n = evl_poll(&l, 0);
    TAP_CHECK(n == 0, "the wakeup was consumed", "n %d", n);
    evl_close(&l);
}

static void test_checks(void)
{
    unsigned c;
    const char *why;
    TAP_CHECK(scan_options_parse_checks("policy", &c, &why) == 0 && c == SCAN_CHECK_POLICY,
              "--checks policy", "%#x", c);
    TAP_CHECK(scan_options_parse_checks("+apex", &c, &why) == 0 &&
                  c == (SCAN_CHECK_DEFAULT | SCAN_CHECK_APEX),
              "--checks +apex adds to the default", "%#x", c);
    TAP_CHECK(scan_options_parse_checks("-tlsrpt,-mx", &c, &why) == 0 && c == SCAN_CHECK_POLICY,
              "--checks -tlsrpt,-mx", "%#x", c);
    TAP_CHECK(scan_options_parse_checks("policy,bogus", &c, &why) < 0, "unknown check refused",
              "accepted");
    TAP_CHECK(scan_options_parse_checks("-policy,-mx,-tlsrpt", &c, &why) < 0,
              "nothing left refused", "accepted");
}

static struct scan_options opt;

static int parse(enum scan_command cmd, const char *line, char *err, size_t errlen)
{
    static char buf[1024];
    static char *argv[64];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = 0;
    for (char *save, *t = strtok_r(buf, " ", &save); t && argc < 63; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    return scan_options_parse(cmd, argc, argv, &opt, err, errlen);
}

static void test_options(void)
{
    char err[512] = "";
    int rc = parse(SCAN_CMD_SCAN,
                   "scan --resolver 127.0.0.1:53 --allow-private 127.0.0.0/8 10.0.0.0/8 list.txt "
                   "--dns-qps 1000 --threads 2 --per-ip 2 --timeout 3",
                   err, sizeof err);
    TAP_CHECK(rc == 0, "scan options parse", "%s", err);
    TAP_CHECK(opt.n_args == 1 && !strcmp(opt.args[0], "list.txt"),
              "--allow-private stops at the first non-CIDR", "n_args %zu", opt.n_args);
    TAP_CHECK(opt.addrs.n_allow == 2, "two ranges allowed", "%zu", opt.addrs.n_allow);
    uint8_t lo[4] = {127, 0, 0, 1}, pub[4] = {172, 16, 0, 1};
    TAP_CHECK(addr_policy_permits(opt.engine.addrs, 2 /* AF_INET */, lo) &&
                  !addr_policy_permits(opt.engine.addrs, 2, pub),
              "the engine sees the address policy", "x");
    TAP_CHECK(opt.engine.dns_qps == 1000 && opt.engine.threads == 2 && opt.engine.per_ip == 2 &&
                  opt.engine.timeout_s == 3 && opt.engine.n_resolvers == 1,
              "numbers reach the engine config", "x");
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan list --inflight 0", err, sizeof err) < 0 &&
                  strstr(err, "--inflight"),
              "out-of-range number refused naming the option", "%s", err);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan --db", err, sizeof err) < 0 && strstr(err, "--db"),
              "missing value refused", "%s", err);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan", err, sizeof err) < 0, "no list refused", "accepted");
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l --contact https://x.example/\r\nX-Injected:1", err,
                    sizeof err) < 0 &&
                  strstr(err, "--contact"),
              "--contact with CR LF refused (header injection)", "%s", err);
    char longer[700];
    snprintf(longer, sizeof longer, "scan l --contact https://x.example/%0600d", 0);
    TAP_CHECK(parse(SCAN_CMD_SCAN, longer, err, sizeof err) < 0 && strstr(err, "--contact"),
              "an over-long --contact refused, not truncated", "%s", err);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l --contact https://x.example/scan", err, sizeof err) ==
                      0 &&
                  !strcmp(opt.user_agent, "mtasts/" MTASTS_VERSION " (+https://x.example/scan)"),
              "--contact in the User-Agent", "'%s' %s", opt.user_agent, err);
    TAP_CHECK(parse(SCAN_CMD_SCAN,
                    "scan l --resolver [::1]:5353 --resolver ::1 --resolver 10.0.0.1:53", err,
                    sizeof err) == 0 &&
                  opt.engine.n_resolvers == 3,
              "resolver forms accepted", "%s", err);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l --resolver dns.example", err, sizeof err) < 0 &&
                  parse(SCAN_CMD_SCAN, "scan l --resolver 10.0.0.1:0", err, sizeof err) < 0 &&
                  parse(SCAN_CMD_SCAN, "scan l --resolver [::1", err, sizeof err) < 0,
              "bad resolvers refused before anything starts", "accepted");
    TAP_CHECK(parse(SCAN_CMD_CHECK, "check example.com --dns-qps 5", err, sizeof err) < 0,
              "scan-only option refused by check", "accepted");
    TAP_CHECK(parse(SCAN_CMD_CHECK, "check example.com --json --timeout 2", err, sizeof err) == 0 &&
                  opt.json && opt.engine.threads == 1,
              "check options", "%s", err);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l --scan 3", err, sizeof err) < 0,
              "--scan without --resume refused", "accepted");
    struct sbuf js = SBUF_INIT;
    parse(SCAN_CMD_SCAN, "scan l --resolver 127.0.0.1 --checks policy", err, sizeof err);
    scan_options_json(&opt, &js);
    TAP_CHECK(strstr(sbuf_str(&js), "\"checks\":[\"policy\"]") &&
                  strstr(sbuf_str(&js), "\"resolvers\":[\"127.0.0.1\"]"),
              "options JSON", "%s", sbuf_str(&js));
    sbuf_free(&js);
}

static int answered;

static void count_answer(void *ctx, struct domain_task *t, enum task_query q,
                         enum sts_dns_outcome o)
{
    (void)ctx;
    (void)t;
    (void)q;
    (void)o;
    answered++;
}

/* The DNS wait line: follow-up queries of started domains go first; nothing is sent here
 * (no pump), so no packet leaves. */
static void test_dns_queue(void)
{
    struct evl l;
    struct scan_config cfg;
    struct scan_stats stats;
    char err[256];
    scan_config_defaults(&cfg);
    cfg.n_resolvers = 1;
    snprintf(cfg.resolvers[0], sizeof cfg.resolvers[0], "127.0.0.1:9");
    memset(&stats, 0, sizeof stats);
    evl_init(&l, on_io, &(int){0});
    struct dns_stage s;
    int rc = dns_stage_init(&s, &l, &cfg, &stats, NULL, 4, 2, count_answer, NULL, err, sizeof err);
    TAP_CHECK(rc == 0, "DNS stage created", "%s", err);
    if (rc != 0)
        return;
    struct dns_qref r[5];
    memset(r, 0, sizeof r);
    dns_stage_query(&s, &r[0], false);
    dns_stage_query(&s, &r[1], false);
    dns_stage_query(&s, &r[2], true);
    TAP_CHECK(s.wait_len == 3 && s.wait[s.wait_head] == &r[2] &&
                  s.wait[(s.wait_head + 1) % s.wait_cap] == &r[0] &&
                  s.wait[(s.wait_head + 2) % s.wait_cap] == &r[1],
              "an urgent query goes to the front, the rest keep their order", "len %zu",
              s.wait_len);
    dns_stage_query(&s, &r[3], false);
    answered = 0;
    dns_stage_query(&s, &r[4], false);
    TAP_CHECK(answered == 1 && s.wait_len == 4,
              "a full line fails the query (answered as an error), never drops it silently",
              "answered %d len %zu", answered, s.wait_len);
    dns_stage_close(&s);
    evl_close(&l);
}

/* The response header budget: a hostile endless header block is cut at HTTPS_HEADER_MAX. */
static void test_header_budget(void)
{
    size_t used = 0;
    TAP_CHECK(https_header_fits(&used, 100) && used == 100, "header bytes counted", "used %zu",
              used);
    TAP_CHECK(https_header_fits(&used, HTTPS_HEADER_MAX - 100) && used == HTTPS_HEADER_MAX,
              "exactly the cap fits", "used %zu", used);
    TAP_CHECK(!https_header_fits(&used, 1) && used == HTTPS_HEADER_MAX, "one byte past is refused",
              "used %zu", used);
    used = 10;
    TAP_CHECK(!https_header_fits(&used, SIZE_MAX) && used == 10, "no overflow on a huge chunk",
              "used %zu", used);
    size_t total = 0;
    int lines = 0;
    while (https_header_fits(&total, 1012)) /* "X-Filler: " + 1000 bytes + CRLF */
        lines++;
    TAP_CHECK(lines == HTTPS_HEADER_MAX / 1012, "endless header block stops at the cap", "%d lines",
              lines);
}

/* The Server header kept: real values whole, a longer one cut to the bound and marked. */
static void test_server_value(void)
{
    char out[HTTPS_SERVER_MAX + 1];
    TAP_CHECK(https_server_value("GitHub.com", out) == 10 && !strcmp(out, "GitHub.com"),
              "a real Server value is kept whole", "got %s", out);
    TAP_CHECK(https_server_value(NULL, out) == 0 && out[0] == '\0' &&
                  https_server_value("", out) == 0,
              "no header, or an empty one: nothing kept", "got %s", out);
    char exact[HTTPS_SERVER_MAX + 1];
    memset(exact, 'a', HTTPS_SERVER_MAX);
    exact[HTTPS_SERVER_MAX] = '\0';
    TAP_CHECK(https_server_value(exact, out) == HTTPS_SERVER_MAX && !strcmp(out, exact),
              "a value of exactly the bound is kept whole, unmarked", "len %zu", strlen(out));
    static char huge[5000];
    memset(huge, 'b', sizeof huge - 1);
    size_t n = https_server_value(huge, out);
    size_t keep = HTTPS_SERVER_MAX - strlen(HTTPS_SERVER_CUT);
    TAP_CHECK(n == HTTPS_SERVER_MAX && strlen(out) == n && out[keep - 1] == 'b' &&
                  !strcmp(out + keep, HTTPS_SERVER_CUT),
              "a longer value is cut to the bound and ends with the cut mark", "n %zu: %s", n,
              out + keep);
}

/* A run of the engine with no checks: every domain finishes at once, nothing is sent. */
struct mask_probe {
    int fed, sunk;
    bool feeder_blocks_int, feeder_blocks_term;
};

static bool probe_source(void *arg, const char **domain, long *rank)
{
    struct mask_probe *p = arg;
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    p->feeder_blocks_int = sigismember(&cur, SIGINT) == 1;
    p->feeder_blocks_term = sigismember(&cur, SIGTERM) == 1;
    if (p->fed >= 3)
        return false;
    static const char *const names[] = {"a.test", "b.test", "c.test"};
    *domain = names[p->fed++];
    *rank = p->fed;
    return true;
}

static bool probe_sink(void *arg, const struct sts_result *r)
{
    (void)r;
    ((struct mask_probe *)arg)->sunk++;
    return true;
}

/* SIGINT/SIGTERM reach only the thread that runs the engine: a handler on a worker or the
 * feeder could run while that thread tears the engine down. */
static void test_engine_signal_mask(void)
{
    struct addr_policy pol;
    addr_policy_init(&pol);
    struct scan_config cfg;
    scan_config_defaults(&cfg);
    cfg.threads = 2;
    cfg.checks = 0;
    cfg.inflight = 8;
    cfg.https_conns = 2;
    cfg.n_resolvers = 1;
    snprintf(cfg.resolvers[0], sizeof cfg.resolvers[0], "127.0.0.1:1");
    cfg.user_agent = "mtasts-test";
    cfg.addrs = &pol;
    struct scan_stats stats;
    memset(&stats, 0, sizeof stats);
    struct mask_probe p = {0};
    char err[256];
    sigset_t before, after;
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    int rc = engine_run(&cfg, probe_source, &p, probe_sink, &p, &stats, err, sizeof err);
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    TAP_CHECK(rc == 0 && p.sunk == 3, "engine without checks finishes every domain",
              "rc %d sunk %d: %s", rc, p.sunk, err);
    TAP_CHECK(p.feeder_blocks_int && p.feeder_blocks_term,
              "engine threads block SIGINT and SIGTERM", "feeder: INT %d TERM %d",
              p.feeder_blocks_int, p.feeder_blocks_term);
    TAP_CHECK(sigismember(&after, SIGINT) == sigismember(&before, SIGINT) &&
                  sigismember(&after, SIGTERM) == sigismember(&before, SIGTERM),
              "the caller's signal mask is restored", "changed");
}

int main(void)
{
    TAP_PLAN(67);
    test_outcomes();
    test_header_budget();
    test_server_value();
    test_cert_ranking();
    test_leaf_facts();
    test_event_loop();
    test_dns_queue();
    test_checks();
    test_options();
    test_engine_signal_mask();
    TAP_DONE();
}
