/* Engine unit tests of the delivery side: when a domain's MX hosts are probed (the task's MX
 * step), which host names are probed, the shared MX table (sharing, waiting domains, the
 * port-25 decision, eviction), and the SMTP options. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/commands/scan_options.h"
#include "scanner/engine/domain_task.h"
#include "scanner/engine/mx_table.h"
#include "scanner/engine/scan_state.h"
#include "tests/unit/tap.h"

#define Q(q) TASK_STEP_QUERY(q)

static struct domain_task task;

static void txt(enum task_query q, const char *s)
{
    domain_task_add_txt(&task, q, s, strlen(s), true);
}

static void test_mx_step(void)
{
    unsigned checks = SCAN_CHECK_DEFAULT | SCAN_CHECK_SMTP | SCAN_CHECK_DANE;
    domain_task_init(&task, "example.test", -1, checks, false, 1000);
    domain_task_start(&task);
    domain_task_add_mx(&task, "mx1.example.test", 10);
    unsigned s = domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1010);
    TAP_CHECK(!(s & TASK_STEP_MX), "smtp: MX hosts wait for the TXT answer", "steps %#x", s);
    txt(TASK_Q_TXT, "v=STSv1; id=1;");
    s = domain_task_answered(&task, TASK_Q_TXT, STS_DNS_OK, 1020);
    TAP_CHECK((s & TASK_STEP_MX) && (s & Q(TASK_Q_A)),
              "smtp: v=STSv1 record starts the MX probe with the host lookups", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_TLSRPT, STS_DNS_NODATA, 1030);
    domain_task_answered(&task, TASK_Q_A, STS_DNS_NODATA, 1040);
    s = domain_task_answered(&task, TASK_Q_AAAA, STS_DNS_NODATA, 1050);
    TAP_CHECK(s == 0 && !task.done, "the domain waits for its MX probes", "steps %#x", s);
    s = domain_task_mx_done(&task);
    TAP_CHECK(s == TASK_STEP_DONE && task.mx_done, "done once the MX probes are in", "steps %#x",
              s);
    TAP_CHECK(domain_task_mx_done(&task) == 0, "a second mx_done is ignored", "not ignored");

    domain_task_init(&task, "example.test", -1, checks, false, 1000);
    domain_task_start(&task);
    domain_task_add_mx(&task, "mx1.example.test", 10);
    domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1010);
    txt(TASK_Q_TXT, "v=spf1 -all");
    s = domain_task_answered(&task, TASK_Q_TXT, STS_DNS_OK, 1020);
    TAP_CHECK(!(s & TASK_STEP_MX), "smtp: no v=STSv1 record, no MX probe", "steps %#x", s);

    domain_task_init(&task, "example.test", -1, checks | SCAN_CHECK_SMTP_ALL, false, 1000);
    domain_task_start(&task);
    domain_task_add_mx(&task, "mx1.example.test", 10);
    s = domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1010);
    TAP_CHECK(s & TASK_STEP_MX, "smtp:all: the MX answer alone starts the probe", "steps %#x", s);

    domain_task_init(&task, "example.test", -1, checks | SCAN_CHECK_SMTP_ALL, false, 1000);
    domain_task_start(&task);
    s = domain_task_answered(&task, TASK_Q_MX, STS_DNS_NODATA, 1010);
    TAP_CHECK(!(s & TASK_STEP_MX), "no MX hosts: nothing to probe", "steps %#x", s);

    domain_task_init(&task, "example.test", -1, SCAN_CHECK_DEFAULT | SCAN_CHECK_SMTP_ALL, false,
                     1000);
    domain_task_start(&task);
    domain_task_add_mx(&task, "mx1.example.test", 10);
    s = domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1010);
    TAP_CHECK(!(s & TASK_STEP_MX), "neither smtp nor dane: no probe", "steps %#x", s);
}

static void test_mx_hosts(void)
{
    domain_task_init(&task, "example.test", -1, SCAN_CHECK_DEFAULT, false, 1000);
    domain_task_start(&task);
    domain_task_add_mx(&task, "MX1.Example.TEST.", 10);
    domain_task_add_mx(&task, "mx1.example.test", 20);
    domain_task_add_mx(&task, "", 0);
    domain_task_add_mx(&task, "mx2.example.test", 30);
    domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1010);
    char names[8][TASK_DOMAIN_MAX];
    size_t n = domain_task_mx_hosts(&task, names, 8);
    TAP_CHECK(n == 2 && !strcmp(names[0], "mx1.example.test") &&
                  !strcmp(names[1], "mx2.example.test"),
              "MX hosts: lower case, no trailing dot, distinct, null MX left out", "n %zu", n);
    n = domain_task_mx_hosts(&task, names, 1);
    TAP_CHECK(n == 1, "MX hosts: bounded by max", "n %zu", n);
}

/* ---- the MX table ------------------------------------------------------------------------ */

static struct domain_task *readied[16];
static size_t n_readied;

static void on_ready(void *ctx, struct domain_task *t)
{
    (void)ctx;
    if (n_readied < 16)
        readied[n_readied++] = t;
}

static void test_table_sharing(void)
{
    struct scan_stats stats;
    memset(&stats, 0, sizeof stats);
    struct mx_table *m = mx_table_new(2, 20, false, on_ready, NULL, &stats); /* dane only */
    struct domain_task a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    n_readied = 0;
    bool created;
    mx_table_wait_begin(m, &a);
    struct sts_mx_probe *pa = mx_table_join(m, "mx.example", &a, &created);
    TAP_CHECK(pa && created && !strcmp(pa->host, "mx.example"), "table: first domain creates",
              "created %d", created);
    TAP_CHECK(!mx_table_wait_end(m, &a), "table: the domain waits for its host", "went on");
    mx_table_wait_begin(m, &b);
    struct sts_mx_probe *pb = mx_table_join(m, "mx.example", &b, &created);
    TAP_CHECK(pb == pa && !created, "table: second domain shares the probe", "created %d", created);
    mx_table_wait_end(m, &b);
    TAP_CHECK(stats.mx_probes == 1 && stats.mx_shared == 1, "table: probes and saves counted",
              "%llu %llu", (unsigned long long)stats.mx_probes,
              (unsigned long long)stats.mx_shared);
    mx_table_done(m, pa, false, false);
    TAP_CHECK(n_readied == 2, "table: both domains ready when the host is done", "%zu", n_readied);
    struct domain_task c;
    memset(&c, 0, sizeof c);
    mx_table_wait_begin(m, &c);
    struct sts_mx_probe *pc = mx_table_join(m, "mx.example", &c, &created);
    TAP_CHECK(pc == pa && !created && mx_table_wait_end(m, &c),
              "table: a done host lets a domain go on at once", "created %d", created);
    /* Eviction: keep 2 unused done hosts. */
    mx_table_release(m, pa);
    mx_table_release(m, pa);
    mx_table_release(m, pa);
    const char *hosts[] = {"h1.example", "h2.example", "h3.example"};
    for (int i = 0; i < 3; i++) {
        struct domain_task d;
        memset(&d, 0, sizeof d);
        mx_table_wait_begin(m, &d);
        struct sts_mx_probe *p = mx_table_join(m, hosts[i], &d, &created);
        mx_table_wait_end(m, &d);
        mx_table_done(m, p, false, false);
        mx_table_release(m, p);
    }
    struct domain_task e;
    memset(&e, 0, sizeof e);
    mx_table_wait_begin(m, &e);
    struct sts_mx_probe *pe = mx_table_join(m, "mx.example", &e, &created);
    TAP_CHECK(created, "table: the least recently used unused host was evicted (probed again)",
              "created %d", created);
    mx_table_wait_end(m, &e);
    mx_table_done(m, pe, false, false);
    mx_table_join(m, "h3.example", &e, &created);
    TAP_CHECK(!created, "table: a recent host is still shared", "created %d", created);
    TAP_CHECK(mx_table_port25(m) == SCAN_PORT25_OPEN, "table: without smtp no port-25 question",
              "%d", mx_table_port25(m));
    mx_table_free(m);
}

/* n hosts whose every address failed to connect (attempted, not reached). */
static size_t fail_hosts(struct mx_table *m, struct domain_task *tasks, int n, int first)
{
    size_t before = n_readied;
    for (int i = 0; i < n; i++) {
        char host[32];
        snprintf(host, sizeof host, "h%d.example", first + i);
        bool created;
        struct domain_task *t = &tasks[first + i];
        mx_table_wait_begin(m, t);
        struct sts_mx_probe *p = mx_table_join(m, host, t, &created);
        p->smtp_checked = true;
        p->n_addrs = 1;
        p->addrs[0].outcome = STS_SMTP_CONNECT_FAILED;
        p->smtp = sts_smtp_host_outcome(p);
        mx_table_wait_end(m, t);
        mx_table_done(m, p, true, false);
    }
    return n_readied - before;
}

static void test_table_port25(void)
{
    struct scan_stats stats;
    memset(&stats, 0, sizeof stats);
    static struct domain_task tasks[64];
    memset(tasks, 0, sizeof tasks);
    n_readied = 0;
    struct mx_table *m = mx_table_new(100, 20, true, on_ready, NULL, &stats);
    size_t r = fail_hosts(m, tasks, 19, 0);
    TAP_CHECK(r == 0 && mx_table_port25(m) == SCAN_PORT25_UNDECIDED,
              "port 25: 19 failed hosts: undecided, their domains held", "ready %zu", r);
    fprintf(stderr, "(the next line is the message under test)\n");
    fail_hosts(m, tasks, 1, 19);
    TAP_CHECK(mx_table_port25(m) == SCAN_PORT25_BLOCKED && stats.port25 == SCAN_PORT25_BLOCKED,
              "port 25: the 20th failed host decides blocked", "%d", mx_table_port25(m));
    TAP_CHECK(n_readied == 16 && tasks[0].port25_blocked, /* on_ready keeps 16 */
              "port 25: held domains released with port25_blocked", "ready %zu", n_readied);
    struct domain_task *t0 = &tasks[0];
    bool created;
    struct sts_mx_probe *p = mx_table_join(m, "h0.example", t0, &created);
    TAP_CHECK(p->smtp == STS_SMTP_UNREACHABLE && p->addrs[0].outcome == STS_SMTP_UNREACHABLE,
              "port 25: done hosts rewritten to smtp_unreachable", "%s",
              sts_smtp_outcome_name(p->smtp));
    mx_table_free(m);

    memset(&stats, 0, sizeof stats);
    memset(tasks, 0, sizeof tasks);
    n_readied = 0;
    m = mx_table_new(100, 20, true, on_ready, NULL, &stats);
    fail_hosts(m, tasks, 3, 0);
    struct domain_task ok;
    memset(&ok, 0, sizeof ok);
    mx_table_wait_begin(m, &ok);
    p = mx_table_join(m, "answering.example", &ok, &created);
    mx_table_wait_end(m, &ok);
    mx_table_done(m, p, true, true);
    TAP_CHECK(mx_table_port25(m) == SCAN_PORT25_OPEN && n_readied == 4 && !tasks[0].port25_blocked,
              "port 25: one host answering decides open and releases the held", "ready %zu",
              n_readied);
    mx_table_free(m);

    memset(&stats, 0, sizeof stats);
    memset(tasks, 0, sizeof tasks);
    n_readied = 0;
    m = mx_table_new(100, 20, true, on_ready, NULL, &stats);
    fail_hosts(m, tasks, 2, 0);
    mx_table_idle(m, 5);
    TAP_CHECK(mx_table_port25(m) == SCAN_PORT25_UNDECIDED,
              "port 25: other domains in flight: still undecided", "%d", mx_table_port25(m));
    mx_table_idle(m, 2);
    TAP_CHECK(mx_table_port25(m) == SCAN_PORT25_BLOCKED && n_readied == 2,
              "port 25: fewer than 20 probes, nothing else in flight: decided", "%d",
              mx_table_port25(m));
    mx_table_free(m);
}

/* ---- options ----------------------------------------------------------------------------- */

static int parse(enum scan_command cmd, const char *line, struct scan_options *o, char *err,
                 size_t errlen)
{
    static char buf[1024];
    static char *argv[64];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = 0;
    for (char *tok = strtok(buf, " "); tok && argc < 63; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    return scan_options_parse(cmd, argc, argv, o, err, errlen);
}

static void test_options(void)
{
    static struct scan_options o;
    char err[256];
    unsigned c;
    const char *why;
    TAP_CHECK(scan_options_parse_checks("+smtp", &c, &why) == 0 &&
                  c == (SCAN_CHECK_DEFAULT | SCAN_CHECK_SMTP),
              "--checks +smtp", "%#x", c);
    TAP_CHECK(scan_options_parse_checks("policy,smtp:all,dane", &c, &why) == 0 &&
                  c == (SCAN_CHECK_POLICY | SCAN_CHECK_MX | SCAN_CHECK_SMTP | SCAN_CHECK_SMTP_ALL |
                        SCAN_CHECK_DANE),
              "--checks smtp:all,dane asks for MX too", "%#x", c);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l.txt", &o, err, sizeof err) == 0 &&
                  !(o.engine.checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE)) &&
                  o.engine.smtp_conns == 50 && o.engine.smtp_timeout_s == 10 &&
                  o.engine.ehlo_name[0],
              "scan: SMTP stage off by default, defaults set", "%#x %s", o.engine.checks, err);
    TAP_CHECK(parse(SCAN_CMD_CHECK, "check a.test", &o, err, sizeof err) == 0 &&
                  (o.engine.checks & SCAN_CHECK_SMTP) && (o.engine.checks & SCAN_CHECK_DANE),
              "check: smtp and dane on by default", "%#x", o.engine.checks);
    TAP_CHECK(parse(SCAN_CMD_CHECK, "check a.test --checks -smtp,-dane", &o, err, sizeof err) ==
                      0 &&
                  !(o.engine.checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE)),
              "check: --checks -smtp,-dane turns them off", "%#x", o.engine.checks);
    TAP_CHECK(parse(SCAN_CMD_SCAN,
                    "scan l.txt --ehlo scanner.example.org --smtp-timeout 2.5 --smtp-conns 7", &o,
                    err, sizeof err) == 0 &&
                  !strcmp(o.engine.ehlo_name, "scanner.example.org") &&
                  o.engine.smtp_timeout_s == 2.5 && o.engine.smtp_conns == 7,
              "--ehlo, --smtp-timeout, --smtp-conns", "%s", err);
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l.txt --ehlo bad<name>", &o, err, sizeof err) < 0,
              "--ehlo refuses bytes outside a host name", "accepted");
    TAP_CHECK(parse(SCAN_CMD_SCAN, "scan l.txt --smtp-conns 0", &o, err, sizeof err) < 0,
              "--smtp-conns 0 refused", "accepted");
    struct sbuf j = SBUF_INIT;
    parse(SCAN_CMD_SCAN, "scan l.txt --checks +smtp --ehlo probe.example", &o, err, sizeof err);
    scan_options_json(&o, &j);
    const char *js = sbuf_str(&j);
    TAP_CHECK(strstr(js, "\"smtp\"") && strstr(js, "\"ehlo\":\"probe.example\"") &&
                  strstr(js, "\"smtp_conns\":50"),
              "options JSON stores the SMTP settings", "%s", js);
    TAP_CHECK(!strstr(js, "smtp:all"), "options JSON: +smtp is not stored as smtp:all", "%s", js);
    sbuf_free(&j);
    char ehlo[256];
    scan_default_ehlo(ehlo, sizeof ehlo);
    TAP_CHECK(strchr(ehlo, '.') != NULL, "default EHLO name is a dotted name", "'%s'", ehlo);
}

int main(void)
{
    printf("1..%d\n", 9 + 2 + 9 + 7 + 11);
    test_mx_step();
    test_mx_hosts();
    test_table_sharing();
    test_table_port25();
    test_options();
    domain_task_free(&task);
    TAP_DONE();
}
