/* Engine unit tests: the per-domain state machine driven by fake answers, and DNS answer
 * parsing from crafted packets (split TXT strings, null MX, CNAME, refused addresses). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/engine/addr_policy.h"
#include "scanner/engine/dns_stage.h"
#include "scanner/engine/domain_task.h"
#include "scanner/engine/engine.h"
#include "tests/unit/tap.h"

#define Q(q) TASK_STEP_QUERY(q)

static struct domain_task task;

static void start(const char *domain, unsigned checks, bool orphans)
{
    domain_task_init(&task, domain, -1, checks, orphans, 1000);
}

static void txt(enum task_query q, const char *s)
{
    domain_task_add_txt(&task, q, s, strlen(s), true);
}

static void test_no_policy(void)
{
    start("example.test", SCAN_CHECK_DEFAULT, false);
    unsigned s = domain_task_start(&task);
    TAP_CHECK(s == (Q(TASK_Q_TXT) | Q(TASK_Q_MX) | Q(TASK_Q_TLSRPT)),
              "default checks ask TXT, MX and TLS-RPT first", "steps %#x", s);
    txt(TASK_Q_TXT, "v=spf1 -all");
    s = domain_task_answered(&task, TASK_Q_TXT, STS_DNS_OK, 1010);
    TAP_CHECK(s == 0, "no v=STSv1 record: no host lookup", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_MX, STS_DNS_NODATA, 1020);
    TAP_CHECK(s == 0, "still waiting for TLS-RPT", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_TLSRPT, STS_DNS_NXDOMAIN, 1030);
    TAP_CHECK(s == TASK_STEP_DONE && task.done, "done after the last answer", "steps %#x", s);
    TAP_CHECK(task.dns_done_ms == 1030, "DNS time ends at the last answer", "%lld",
              (long long)task.dns_done_ms);
    s = domain_task_answered(&task, TASK_Q_TLSRPT, STS_DNS_OK, 1040);
    TAP_CHECK(s == 0, "a duplicate answer is ignored", "steps %#x", s);
}

static void test_policy_path(void)
{
    start("example.test", SCAN_CHECK_DEFAULT, false);
    domain_task_start(&task);
    txt(TASK_Q_TXT, "v=STSv1; id=20240101;");
    unsigned s = domain_task_answered(&task, TASK_Q_TXT, STS_DNS_OK, 1010);
    TAP_CHECK(s == (Q(TASK_Q_A) | Q(TASK_Q_AAAA)), "v=STSv1 record: A and AAAA of mta-sts",
              "steps %#x", s);
    uint8_t v4[4] = {192, 0, 2, 1};
    domain_task_add_addr(&task, AF_INET, v4, false);
    s = domain_task_answered(&task, TASK_Q_A, STS_DNS_OK, 1020);
    TAP_CHECK(s == 0, "no fetch before AAAA is in", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_AAAA, STS_DNS_NODATA, 1030);
    TAP_CHECK(s == TASK_STEP_FETCH, "fetch once both host lookups are in", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1040);
    TAP_CHECK(s == 0, "not done while fetching", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_TLSRPT, STS_DNS_OK, 1050);
    TAP_CHECK(s == 0, "not done while fetching (2)", "steps %#x", s);
    task.fetch.outcome = STS_HTTPS_OK;
    s = domain_task_fetched(&task);
    TAP_CHECK(s == TASK_STEP_DONE, "done after the fetch", "steps %#x", s);
}

static void test_private_only(void)
{
    start("example.test", SCAN_CHECK_POLICY, false);
    unsigned s = domain_task_start(&task);
    TAP_CHECK(s == Q(TASK_Q_TXT), "--checks policy asks only the TXT record", "steps %#x", s);
    txt(TASK_Q_TXT, "v=STSv1; id=1;");
    domain_task_answered(&task, TASK_Q_TXT, STS_DNS_OK, 1010);
    uint8_t v4[4] = {10, 1, 2, 3};
    domain_task_add_addr(&task, AF_INET, v4, true);
    domain_task_answered(&task, TASK_Q_A, STS_DNS_OK, 1020);
    s = domain_task_answered(&task, TASK_Q_AAAA, STS_DNS_NODATA, 1030);
    TAP_CHECK(s == TASK_STEP_DONE && !task.fetch_started,
              "every address refused: done without a fetch", "steps %#x", s);
    TAP_CHECK(task.n_addrs == 1 && task.n_refused == 1, "the refused address is kept", "%d/%d",
              task.n_addrs, task.n_refused);
}

static void test_orphans_and_apex(void)
{
    start("example.test", SCAN_CHECK_DEFAULT | SCAN_CHECK_APEX, true);
    unsigned s = domain_task_start(&task);
    unsigned want = Q(TASK_Q_TXT) | Q(TASK_Q_MX) | Q(TASK_Q_TLSRPT) | Q(TASK_Q_APEX) | Q(TASK_Q_A) |
                    Q(TASK_Q_AAAA);
    TAP_CHECK(s == want, "--probe-orphans and +apex ask everything at once", "steps %#x", s);
    s = domain_task_answered(&task, TASK_Q_TXT, STS_DNS_NXDOMAIN, 1010);
    TAP_CHECK(s == 0, "host lookups are not asked twice", "steps %#x", s);
}

static void test_split_txt_and_bounds(void)
{
    start("example.test", SCAN_CHECK_DEFAULT, false);
    domain_task_add_txt(&task, TASK_Q_TXT, "v=STSv1; ", 9, true);
    domain_task_add_txt(&task, TASK_Q_TXT, "id=abc;", 7, false);
    domain_task_add_txt(&task, TASK_Q_TXT, "other", 5, true);
    domain_task_add_txt(&task, TASK_Q_TXT, " record", 7, false);
    const struct task_answer *a = &task.ans[TASK_Q_TXT];
    TAP_CHECK(a->n == 2, "two records from four strings", "n=%u", a->n);
    TAP_STR_EQ(domain_task_str(&task, domain_task_record(&task, TASK_Q_TXT, 0)), "v=STSv1; id=abc;",
               "strings of a record joined");
    TAP_STR_EQ(domain_task_str(&task, domain_task_record(&task, TASK_Q_TXT, 1)), "other record",
               "second record joined");
    TAP_CHECK(domain_task_has_version_record(&task), "joined record is a version record", "no");
    char nul[3] = {'a', '\0', 'b'};
    domain_task_add_txt(&task, TASK_Q_TLSRPT, nul, 3, true);
    TAP_CHECK(domain_task_record(&task, TASK_Q_TLSRPT, 0).len == 3,
              "a NUL byte inside a record is kept", "len %u",
              domain_task_record(&task, TASK_Q_TLSRPT, 0).len);
    for (size_t i = 0; i < TASK_MAX_TXT + 5; i++)
        domain_task_add_txt(&task, TASK_Q_APEX, "x", 1, true);
    TAP_CHECK(task.ans[TASK_Q_APEX].n == TASK_MAX_TXT && task.ans[TASK_Q_APEX].dropped == 5,
              "records past the answer's bound are counted, not stored", "n=%u dropped=%u",
              task.ans[TASK_Q_APEX].n, task.ans[TASK_Q_APEX].dropped);
    TAP_CHECK(domain_task_add_mx(&task, "mx.example.test", 10) && task.ans[TASK_Q_MX].dropped == 0,
              "a full TXT answer leaves the MX answer its own room", "dropped %u",
              task.ans[TASK_Q_MX].dropped);
    TAP_STR_EQ(task.domain, "example.test", "the domain survives the arena growing");
}

/* Issue 12: 300 MX hosts arriving first must not crowd out the _mta-sts record, and the cut
 * hosts are counted (the verdict then says so). */
static void test_large_mx_answer(void)
{
    start("example.test", SCAN_CHECK_DEFAULT, false);
    domain_task_start(&task);
    char host[64];
    for (int i = 0; i < 300; i++) {
        snprintf(host, sizeof host, "mx%d.example.test", i);
        domain_task_add_mx(&task, host, (unsigned)i);
    }
    domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1010);
    txt(TASK_Q_TXT, "v=STSv1; id=1;");
    unsigned s = domain_task_answered(&task, TASK_Q_TXT, STS_DNS_OK, 1020);
    TAP_CHECK(task.ans[TASK_Q_MX].n == TASK_MAX_MX &&
                  task.ans[TASK_Q_MX].dropped == 300 - TASK_MAX_MX,
              "300 MX hosts: 256 kept, the rest counted", "n %u dropped %u", task.ans[TASK_Q_MX].n,
              task.ans[TASK_Q_MX].dropped);
    TAP_CHECK(task.ans[TASK_Q_TXT].n == 1 && (s & Q(TASK_Q_A)),
              "the v=STSv1 record after a large MX answer is kept and followed", "n %u steps %#x",
              task.ans[TASK_Q_TXT].n, s);
    uint8_t v4[4] = {192, 0, 2, 1}, v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    for (int i = 0; i < 20; i++) {
        v4[3] = (uint8_t)i;
        v6[15] = (uint8_t)i;
        domain_task_add_addr(&task, AF_INET6, v6, false);
        domain_task_add_addr(&task, AF_INET, v4, false);
    }
    TAP_CHECK(task.n_family[0] == TASK_MAX_ADDR && task.n_family[1] == TASK_MAX_ADDR &&
                  task.n_addrs_dropped == 8,
              "20 A and 20 AAAA: 16 of each kept, 8 counted", "v4 %u v6 %u dropped %u",
              task.n_family[0], task.n_family[1], task.n_addrs_dropped);
    struct domain_task_view *v = malloc(sizeof *v);
    domain_task_view(&task, 2000, v);
    TAP_CHECK(v->obs.n_mx == TASK_MAX_MX && v->obs.mx_cut == 300 - TASK_MAX_MX &&
                  v->obs.addrs_cut == 8 && v->obs.mx[TASK_MAX_MX - 1].preference == TASK_MAX_MX - 1,
              "the observation carries the kept hosts and the cut counts", "n %zu cut %zu/%zu",
              v->obs.n_mx, v->obs.mx_cut, v->obs.addrs_cut);
    free(v);
}

static void test_fetch_order(void)
{
    start("example.test", SCAN_CHECK_DEFAULT, false);
    uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2}, a3[4] = {10, 0, 0, 1};
    uint8_t b1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    domain_task_add_addr(&task, AF_INET, a1, false);
    domain_task_add_addr(&task, AF_INET, a3, true);
    domain_task_add_addr(&task, AF_INET, a2, false);
    domain_task_add_addr(&task, AF_INET6, b1, false);
    uint8_t order[TASK_MAX_ADDRS];
    size_t n = domain_task_fetch_order(&task, order, TASK_MAX_ADDRS);
    TAP_CHECK(n == 3, "refused addresses are never tried", "n=%zu", n);
    TAP_CHECK(n == 3 && order[0] == 3 && order[1] == 0 && order[2] == 2,
              "IPv6 first, then alternating with IPv4", "order %d %d %d", order[0], order[1],
              order[2]);
    char text[TASK_ADDR_TEXT];
    task_addr_text(&task.addrs[3], text, sizeof text);
    const char *got = text;
    TAP_STR_EQ(got, "2001:db8::1", "IPv6 address text");
    n = domain_task_fetch_order(&task, order, 2);
    TAP_CHECK(n == 2, "the attempt bound is honoured", "n=%zu", n);
}

/* An AAAA ending in a refused A of the same name (DNS64 through an unknown prefix) is refused,
 * whichever answer came first. */
static void test_aaaa_hiding_refused_a(void)
{
    uint8_t a[4] = {10, 0, 0, 1}, pub[4] = {8, 8, 8, 8};
    uint8_t hide[16] = {0x20, 0x01, 0x06, 0x7c, 0x02, 0xb0, 0xdb, 0x64, [12] = 10, 0, 0, 1};
    uint8_t other[16] = {0x20, 0x01, 0x06, 0x7c, 0x02, 0xb0, 0xdb, 0x64, [12] = 8, 8, 4, 4};
    start("example.test", SCAN_CHECK_DEFAULT, false);
    domain_task_add_addr(&task, AF_INET, a, true);
    domain_task_add_addr(&task, AF_INET6, hide, false);
    domain_task_add_addr(&task, AF_INET6, other, false);
    TAP_CHECK(task.addrs[1].refused && !task.addrs[2].refused && task.n_refused == 2,
              "A first: the AAAA ending in the refused A is refused", "refused %d %d n %u",
              task.addrs[1].refused, task.addrs[2].refused, task.n_refused);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    domain_task_add_addr(&task, AF_INET6, hide, false);
    domain_task_add_addr(&task, AF_INET6, other, false);
    domain_task_add_addr(&task, AF_INET, pub, false);
    domain_task_add_addr(&task, AF_INET, a, true);
    uint8_t order[TASK_MAX_ADDRS];
    size_t n = domain_task_fetch_order(&task, order, TASK_MAX_ADDRS);
    TAP_CHECK(task.addrs[0].refused && !task.addrs[1].refused && task.n_refused == 2 && n == 2,
              "AAAA first: refused when the A arrives, never tried", "refused %d %d n %u tries %zu",
              task.addrs[0].refused, task.addrs[1].refused, task.n_refused, n);
}

/* One failed allocation must not stick to the pooled task: the next domain starts clean. */
static void test_oom_not_sticky(void)
{
    start("first.test", SCAN_CHECK_DEFAULT, false);
    task.arena.oom = true; /* as after a failed allocation for first.test */
    TAP_CHECK(domain_task_alloc_failed(&task), "a failed allocation is seen", "not");
    bool ok = domain_task_init(&task, "second.test", 2, SCAN_CHECK_DEFAULT, false, 1000);
    TAP_CHECK(ok && !domain_task_alloc_failed(&task) && !strcmp(task.domain, "second.test"),
              "after an allocation failure the next domain on the task starts clean",
              "init %d oom %d domain '%s'", ok, task.arena.oom, task.domain);
    txt(TASK_Q_TXT, "v=STSv1; id=1;");
    TAP_CHECK(task.ans[TASK_Q_TXT].n == 1 && domain_task_has_version_record(&task),
              "and keeps its answers", "n %u", task.ans[TASK_Q_TXT].n);
}

static void test_view(void)
{
    start("example.test", SCAN_CHECK_DEFAULT, false);
    domain_task_start(&task);
    txt(TASK_Q_TXT, "v=STSv1; id=1;");
    domain_task_add_mx(&task, "mx.example.test", 10);
    domain_task_answered(&task, TASK_Q_MX, STS_DNS_OK, 1100);
    domain_task_set_cname(&task, "policy.provider.test");
    struct domain_task_view *v = malloc(sizeof *v);
    domain_task_view(&task, 1700000000, v);
    TAP_CHECK(v->obs.n_txt == 1 && v->obs.txt[0].len == 14, "view: TXT records", "n=%zu",
              v->obs.n_txt);
    TAP_CHECK(v->obs.n_mx == 1 && v->obs.mx[0].preference == 10 &&
                  !strcmp(v->obs.mx[0].host, "mx.example.test"),
              "view: MX hosts", "n=%zu", v->obs.n_mx);
    TAP_CHECK(v->obs.https == STS_HTTPS_NOT_ATTEMPTED && v->obs.body == NULL,
              "view: no fetch, no body", "https %d", v->obs.https);
    TAP_STR_EQ(v->result.host_cname, "policy.provider.test", "view: CNAME of the policy host");
    TAP_CHECK(v->result.time_dns_ms == 100, "view: DNS time", "%d", v->result.time_dns_ms);
    TAP_CHECK(v->obs.tlsrpt_outcome == STS_DNS_NOT_ASKED, "view: pending lookups not asked", "%d",
              v->obs.tlsrpt_outcome);
    free(v);
}

/* ---- DNS answers ---------------------------------------------------------------------- */

struct pkt {
    unsigned char b[2048];
    size_t len;
};

static void put16(struct pkt *p, unsigned v)
{
    p->b[p->len++] = (unsigned char)(v >> 8);
    p->b[p->len++] = (unsigned char)v;
}

static void put_name(struct pkt *p, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        p->b[p->len++] = (unsigned char)n;
        memcpy(p->b + p->len, name, n);
        p->len += n;
        name += n + (dot ? 1 : 0);
    }
    p->b[p->len++] = 0;
}

/* A response to (name, type) with ancount answers appended by the caller. */
static void begin(struct pkt *p, const char *name, unsigned type, unsigned ancount)
{
    p->len = 0;
    put16(p, 0x1234);
    put16(p, 0x8180);
    put16(p, 1);
    put16(p, ancount);
    put16(p, 0);
    put16(p, 0);
    put_name(p, name);
    put16(p, type);
    put16(p, 1);
}

static void rr(struct pkt *p, const char *owner, unsigned type, const void *rdata, size_t len)
{
    if (owner)
        put_name(p, owner);
    else
        put16(p, 0xc00c); /* the question's name */
    put16(p, type);
    put16(p, 1);
    put16(p, 0);
    put16(p, 60);
    put16(p, (unsigned)len);
    memcpy(p->b + p->len, rdata, len);
    p->len += len;
}

static void test_parse_txt(void)
{
    struct pkt p;
    begin(&p, "_mta-sts.example.test", 16, 2);
    const char r1[] = "\x09v=STSv1; \x07id=abc;";
    rr(&p, NULL, 16, r1, sizeof r1 - 1);
    const char r2[] = "\x05other";
    rr(&p, NULL, 16, r2, sizeof r2 - 1);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    enum sts_dns_outcome o = dns_parse_answer(&task, TASK_Q_TXT, p.b, (int)p.len, NULL);
    TAP_CHECK(o == STS_DNS_OK && task.ans[TASK_Q_TXT].n == 2, "TXT answer: two records",
              "outcome %d n %u", o, task.ans[TASK_Q_TXT].n);
    TAP_STR_EQ(domain_task_str(&task, domain_task_record(&task, TASK_Q_TXT, 0)), "v=STSv1; id=abc;",
               "TXT answer: character-strings of one record concatenated");

    begin(&p, "_mta-sts.example.test", 16, 1);
    const char cname[] = "\x03"
                         "foo\x04test";
    rr(&p, NULL, 5, cname, sizeof cname); /* includes the root label */
    start("example.test", SCAN_CHECK_DEFAULT, false);
    o = dns_parse_answer(&task, TASK_Q_TXT, p.b, (int)p.len, NULL);
    TAP_CHECK(o == STS_DNS_NODATA, "TXT answer with only a CNAME is NODATA", "outcome %d", o);
    o = dns_parse_answer(&task, TASK_Q_TXT, p.b, 7, NULL);
    TAP_CHECK(o == STS_DNS_ERROR, "truncated answer is an error", "outcome %d", o);
}

static void test_parse_mx(void)
{
    struct pkt p;
    begin(&p, "example.test", 15, 1);
    const unsigned char null_mx[] = {0, 0, 0}; /* preference 0, root name */
    rr(&p, NULL, 15, null_mx, sizeof null_mx);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    enum sts_dns_outcome o = dns_parse_answer(&task, TASK_Q_MX, p.b, (int)p.len, NULL);
    TAP_CHECK(o == STS_DNS_OK && task.ans[TASK_Q_MX].n == 1 && task.pref[0] == 0,
              "null MX parsed as one host", "outcome %d n %u", o, task.ans[TASK_Q_MX].n);
    const char *h = domain_task_str(&task, domain_task_record(&task, TASK_Q_MX, 0));
    TAP_CHECK(!strcmp(h, "") || !strcmp(h, "."), "null MX host is the root", "host '%s'", h);

    begin(&p, "example.test", 15, 2);
    const unsigned char mx1[] = {0, 10, 2, 'm', 'x', 0xc0, 0x0c};
    const unsigned char mx2[] = {0, 20, 3, 'm', 'x', '2', 0xc0, 0x0c};
    rr(&p, NULL, 15, mx1, sizeof mx1);
    rr(&p, NULL, 15, mx2, sizeof mx2);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    o = dns_parse_answer(&task, TASK_Q_MX, p.b, (int)p.len, NULL);
    TAP_CHECK(o == STS_DNS_OK && task.ans[TASK_Q_MX].n == 2, "two MX hosts", "n %u",
              task.ans[TASK_Q_MX].n);
    TAP_STR_EQ(domain_task_str(&task, domain_task_record(&task, TASK_Q_MX, 1)), "mx2.example.test",
               "MX host name decompressed");
}

static void test_parse_addrs(void)
{
    struct addr_policy pol;
    addr_policy_init(&pol);
    struct pkt p;
    begin(&p, "mta-sts.example.test", 1, 3);
    const char target[] = "\x06policy\x08provider\x04test";
    rr(&p, NULL, 5, target, sizeof target);
    const unsigned char pub[4] = {93, 184, 216, 34}; /* public: in no deny range */
    const unsigned char priv[4] = {10, 0, 0, 1};
    rr(&p, "policy.provider.test", 1, pub, 4);
    rr(&p, "policy.provider.test", 1, priv, 4);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    enum sts_dns_outcome o = dns_parse_answer(&task, TASK_Q_A, p.b, (int)p.len, &pol);
    TAP_CHECK(o == STS_DNS_OK && task.n_addrs == 2, "A answer through a CNAME: two addresses",
              "outcome %d n %d", o, task.n_addrs);
    TAP_CHECK(task.n_refused == 1 && task.addrs[1].refused && !task.addrs[0].refused,
              "the private address is marked refused", "refused %d", task.n_refused);
    TAP_STR_EQ(domain_task_str(&task, task.cname), "policy.provider.test",
               "the CNAME target is recorded");
}

static void test_names_and_status(void)
{
    char buf[300];
    TAP_CHECK(dns_query_name(TASK_Q_TXT, "example.test", buf, sizeof buf) &&
                  !strcmp(buf, "_mta-sts.example.test"),
              "query name of the policy record", "%s", buf);
    TAP_CHECK(dns_query_name(TASK_Q_TLSRPT, "example.test", buf, sizeof buf) &&
                  !strcmp(buf, "_smtp._tls.example.test"),
              "query name of the TLS-RPT record", "%s", buf);
    char longname[260];
    memset(longname, 'a', 250);
    memcpy(longname + 250, ".te", 4);
    TAP_CHECK(!dns_query_name(TASK_Q_TLSRPT, longname, buf, sizeof buf),
              "a name over 253 bytes is refused", "accepted");
    TAP_CHECK(dns_outcome_of_status(ARES_ENOTFOUND) == STS_DNS_NXDOMAIN &&
                  dns_outcome_of_status(ARES_ENODATA) == STS_DNS_NODATA &&
                  dns_outcome_of_status(ARES_ESERVFAIL) == STS_DNS_SERVFAIL &&
                  dns_outcome_of_status(ARES_EREFUSED) == STS_DNS_REFUSED &&
                  dns_outcome_of_status(ARES_ETIMEOUT) == STS_DNS_TIMEOUT &&
                  dns_outcome_of_status(ARES_ECONNREFUSED) == STS_DNS_ERROR,
              "c-ares statuses map to distinct outcomes", "mismatch");
}

/* ---- Hostile answers: seeds mutated at random, every bound and invariant checked --------- */

/* True when every record of answer q lies in the arena and is NUL-terminated there. */
static bool spans_sane(enum task_query q)
{
    const struct task_answer *a = &task.ans[q];
    if (a->n && (size_t)a->first + a->n > TASK_MAX_RECORDS)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        struct task_span sp = domain_task_record(&task, q, i);
        if (sp.off == 0 || (size_t)sp.off + sp.len + 1 > task.arena.len ||
            task.arena.data[sp.off + sp.len] != '\0')
            return false;
    }
    return true;
}

static void seed_txt(struct pkt *p)
{
    begin(p, "_mta-sts.example.test", 16, 70); /* more records than a task keeps */
    for (int i = 0; i < 70; i++) {
        char r[40];
        int n = snprintf(r + 1, sizeof r - 1, "v=STSv1; id=%d;", i);
        r[0] = (char)n;
        rr(p, NULL, 16, r, (size_t)n + 1);
        if (p->len > sizeof p->b - 64)
            break;
    }
}

static void seed_mx(struct pkt *p)
{
    begin(p, "example.test", 15, 3);
    const unsigned char mx1[] = {0, 10, 2, 'm', 'x', 0xc0, 0x0c};
    const unsigned char mx2[] = {0, 20, 3, 'm', 'x', '2', 0xc0, 0x0c};
    const unsigned char loop[] = {0, 30, 0xc0, 0x0c};
    rr(p, NULL, 15, mx1, sizeof mx1);
    rr(p, NULL, 15, mx2, sizeof mx2);
    rr(p, NULL, 15, loop, sizeof loop);
}

static void seed_addrs(struct pkt *p, bool v6)
{
    begin(p, "mta-sts.example.test", v6 ? 28 : 1, 20);
    const char target[] = "\x06policy\x08provider\x04test";
    rr(p, NULL, 5, target, sizeof target);
    for (int i = 0; i < 19; i++) {
        unsigned char a[16] = {0};
        if (v6) {
            static const unsigned char forms[][4] = {{0x20, 0x01, 0x48, 0x60},
                                                     {0, 0, 0, 0},
                                                     {0x00, 0x64, 0xff, 0x9b},
                                                     {0x20, 0x02, 10, 0}};
            memcpy(a, forms[i % 4], 4);
            if (i % 4 == 1) { /* IPv4-mapped */
                a[10] = a[11] = 0xff;
                a[12] = 10;
            }
            a[15] = (unsigned char)i;
        } else {
            a[0] = i % 2 ? 10 : 93;
            a[3] = (unsigned char)i;
        }
        rr(p, "policy.provider.test", v6 ? 28 : 1, a, v6 ? 16 : 4);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_parse_mutations(void)
{
    struct addr_policy pol;
    addr_policy_init(&pol);
    static const enum task_query qs[4] = {TASK_Q_TXT, TASK_Q_MX, TASK_Q_A, TASK_Q_AAAA};
    struct pkt seeds[4];
    seed_txt(&seeds[0]);
    seed_mx(&seeds[1]);
    seed_addrs(&seeds[2], false);
    seed_addrs(&seeds[3], true);
    int bad = 0, ok_answers = 0;
    char why[160] = "";
    for (int it = 0; it < 4000 && !bad; it++) {
        int k = it % 4;
        enum task_query q = qs[k];
        struct pkt p = seeds[k];
        int flips = it < 4 ? 0 : 1 + (int)(rng() % 6);
        for (int f = 0; f < flips; f++)
            p.b[rng() % p.len] = (unsigned char)rng();
        if (it >= 4 && rng() % 4 == 0)
            p.len = 1 + rng() % p.len; /* truncated */
        start("example.test", SCAN_CHECK_DEFAULT | SCAN_CHECK_APEX, true);
        enum sts_dns_outcome o = dns_parse_answer(&task, q, p.b, (int)p.len, &pol);
        ok_answers += o == STS_DNS_OK;
        if (o != STS_DNS_OK && o != STS_DNS_NODATA && o != STS_DNS_ERROR)
            snprintf(why, sizeof why, "iteration %d: outcome %d", it, o), bad++;
        else if (task.ans[q].n > (q == TASK_Q_MX ? TASK_MAX_MX : TASK_MAX_TXT) ||
                 task.n_addrs > TASK_MAX_ADDRS || task.n_refused > task.n_addrs)
            snprintf(why, sizeof why, "iteration %d: bounds rec %u addrs %u", it, task.ans[q].n,
                     task.n_addrs),
                bad++;
        else if (!spans_sane(q))
            snprintf(why, sizeof why, "iteration %d: a record outside the arena", it), bad++;
        for (size_t i = 0; i < task.n_addrs && !bad; i++) {
            const struct task_addr *a = &task.addrs[i];
            if (a->refused == addr_policy_permits(&pol, a->family, a->bytes))
                snprintf(why, sizeof why, "iteration %d: address %zu refused=%d", it, i,
                         a->refused),
                    bad++;
        }
        if (!bad && task.cname.len && strlen(domain_task_str(&task, task.cname)) != task.cname.len)
            snprintf(why, sizeof why, "iteration %d: CNAME span length", it), bad++;
        if (!bad && strcmp(task.domain, "example.test") != 0)
            snprintf(why, sizeof why, "iteration %d: the domain moved", it), bad++;
    }
    TAP_CHECK(!bad, "4000 mutated answers: bounds, spans and address verdicts hold", "%s", why);
    TAP_CHECK(ok_answers > 100, "mutated answers still parse often enough to test", "%d",
              ok_answers);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    dns_parse_answer(&task, TASK_Q_TXT, seeds[0].b, (int)seeds[0].len, &pol);
    TAP_CHECK(task.ans[TASK_Q_TXT].n == TASK_MAX_TXT && task.ans[TASK_Q_TXT].dropped > 0,
              "records beyond the bound are counted, not kept", "n %u dropped %u",
              task.ans[TASK_Q_TXT].n, task.ans[TASK_Q_TXT].dropped);
    start("example.test", SCAN_CHECK_DEFAULT, false);
    dns_parse_answer(&task, TASK_Q_AAAA, seeds[3].b, (int)seeds[3].len, &pol);
    size_t permitted = 0;
    for (size_t i = 0; i < task.n_addrs; i++)
        permitted += !task.addrs[i].refused;
    TAP_CHECK(task.n_addrs == TASK_MAX_ADDR && permitted == 4,
              "AAAA: mapped, NAT64 and 6to4-of-private refused, only the global ones kept",
              "addrs %u permitted %zu", task.n_addrs, permitted);
}

int main(void)
{
    TAP_PLAN(63);
    test_no_policy();
    test_policy_path();
    test_private_only();
    test_orphans_and_apex();
    test_split_txt_and_bounds();
    test_large_mx_answer();
    test_fetch_order();
    test_aaaa_hiding_refused_a();
    test_oom_not_sticky();
    test_view();
    test_parse_txt();
    test_parse_mx();
    test_parse_addrs();
    test_names_and_status();
    test_parse_mutations();
    domain_task_free(&task);
    TAP_DONE();
}
