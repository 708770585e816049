/* Unit tests: the SMTP reply parser and the TLSA answer parser (pure rules of the SMTP stage). */
#include <stdint.h>
#include <stdlib.h>

#include "rules/sts_smtp_reply.h"
#include "rules/sts_tlsa.h"
#include "tests/unit/tap.h"

static enum sts_smtp_reply_status parse(const char *s, struct sts_smtp_reply *r)
{
    return sts_smtp_reply_parse(s, strlen(s), r);
}

static void test_replies(void)
{
    struct sts_smtp_reply r;
    enum sts_smtp_reply_status st = parse("220 mx.example.org ESMTP\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && r.code == 220 && r.consumed == 26 && r.n_lines == 1,
              "reply: one-line greeting", "st %d code %d consumed %zu", st, r.code, r.consumed);
    TAP_STR_EQ(r.text, "mx.example.org ESMTP", "reply: greeting text kept");

    const char *ehlo = "250-mx.example.org\r\n250-PIPELINING\r\n250-starttls\r\n250 8BITMIME\r\n";
    st = parse(ehlo, &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && r.code == 250 && r.n_lines == 4 && r.starttls &&
                  r.consumed == strlen(ehlo),
              "reply: EHLO with STARTTLS (any case)", "st %d lines %zu starttls %d", st, r.n_lines,
              r.starttls);

    st = parse("250-STARTTLS.example\r\n250-PIPELINING\r\n250 STARTTLSX\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && !r.starttls,
              "reply: STARTTLS only as a keyword after the first line", "starttls %d", r.starttls);

    st = parse("250-mx\r\n250-STARTTLS\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_INCOMPLETE, "reply: no last line yet is incomplete", "st %d",
              st);
    st = parse("220 ok", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_INCOMPLETE, "reply: no line ending yet is incomplete", "st %d",
              st);

    st = parse("554 5.7.1 go away\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && r.code == 554, "reply: bare LF and a 5xx code",
              "st %d code %d", st, r.code);
    st = parse("220\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && r.code == 220 && r.text[0] == '\0',
              "reply: code without text", "st %d", st);

    st = parse("220 first\r\n250 second\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && r.consumed == 11,
              "reply: only the first reply is consumed (pipelined bytes stay)", "consumed %zu",
              r.consumed);

    st = parse("250-a\r\n251 b\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD && r.error, "reply: code changing between lines is bad",
              "st %d", st);
    st = parse("HTTP/1.1 400 Bad Request\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: not SMTP is bad", "st %d", st);
    st = parse("120 wait\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: first digit outside 2-5 is bad", "st %d", st);
    st = parse("220x\r\n", &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: no separator after the code is bad", "st %d", st);

    char *big = malloc(STS_SMTP_REPLY_BYTES * 2);
    memset(big, 'a', 700);
    memcpy(big, "220 ", 4);
    st = sts_smtp_reply_parse(big, 700, &r); /* no line ending, past the line bound */
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: an endless line is bad past 512 bytes", "st %d",
              st);
    memcpy(big + 600, "\r\n", 2);
    st = sts_smtp_reply_parse(big, 602, &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: a 600-byte line is bad", "st %d", st);

    size_t len = 0;
    for (int i = 0; i < 40; i++)
        len += (size_t)sprintf(big + len, "250-line %d\r\n", i);
    st = sts_smtp_reply_parse(big, len, &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: more than 32 lines is bad", "st %d", st);

    len = 0;
    for (int i = 0; i < 30; i++) {
        memcpy(big + len, "250-", 4);
        memset(big + len + 4, 'x', 400);
        memcpy(big + len + 404, "\r\n", 2);
        len += 406;
    }
    st = sts_smtp_reply_parse(big, len, &r);
    TAP_CHECK(st == STS_SMTP_REPLY_BAD, "reply: more than 8192 bytes is bad", "st %d", st);
    free(big);

    char nul[] = "220 a\0b\r\n";
    st = sts_smtp_reply_parse(nul, sizeof nul - 1, &r);
    TAP_CHECK(st == STS_SMTP_REPLY_DONE && r.code == 220, "reply: a NUL byte in the text is data",
              "st %d", st);
}

/* A DNS response: header, the question, then answers (type, rdata). */
static size_t dns_msg(uint8_t *buf, int rcode, bool ad, const int *types, const uint8_t **rd,
                      const size_t *rdlen, int n)
{
    size_t p = 0;
    uint8_t hdr[12] = {0x12, 0x34, 0x81, (uint8_t)(0x80 | (ad ? 0x20 : 0) | rcode),
                       0,    1,    0,    (uint8_t)n,
                       0,    0,    0,    0};
    memcpy(buf, hdr, 12);
    p = 12;
    static const uint8_t q[] = "\x03_25\x04_tcp\x02mx\x07"
                               "example\x03org";
    memcpy(buf + p, q, sizeof q); /* includes the root label's 0 */
    p += sizeof q;
    memcpy(buf + p, "\x00\x34\x00\x01", 4);
    p += 4;
    for (int i = 0; i < n; i++) {
        uint8_t rr[10] = {0xc0, 0x0c, 0, (uint8_t)types[i], 0, 1, 0, 0, 1, 0};
        memcpy(buf + p, rr, 10);
        p += 10;
        buf[p++] = (uint8_t)(rdlen[i] >> 8);
        buf[p++] = (uint8_t)rdlen[i];
        memcpy(buf + p, rd[i], rdlen[i]);
        p += rdlen[i];
    }
    return p;
}

static void test_tlsa(void)
{
    uint8_t msg[1024], r311[35] = {3, 1, 1}, r202[67] = {2, 0, 2}, r101[35] = {1, 0, 1},
                       rbad[23] = {3, 1, 1}, cname[] = "\x01x\x00";
    memset(r311 + 3, 0xab, 32);
    memset(r202 + 3, 0xcd, 64);
    struct sts_tlsa_answer a;

    int t1[] = {52};
    const uint8_t *d1[] = {r311};
    size_t l1[] = {sizeof r311};
    size_t n = dns_msg(msg, 0, true, t1, d1, l1, 1);
    int rc = sts_tlsa_parse(msg, n, &a);
    TAP_CHECK(rc == 0 && a.rcode == 0 && a.ad && a.n_tlsa == 1 && a.n_usable == 1 &&
                  a.rr[0].usage == 3 && a.rr[0].selector == 1 && a.rr[0].mtype == 1 &&
                  a.rr[0].len == 32 && a.rr[0].data[0] == 0xab,
              "tlsa: one DANE-EE 3 1 1 record with AD", "rc %d n %zu usable %zu", rc, a.n_tlsa,
              a.n_usable);

    n = dns_msg(msg, 0, false, t1, d1, l1, 1);
    rc = sts_tlsa_parse(msg, n, &a);
    TAP_CHECK(rc == 0 && !a.ad && a.n_tlsa == 1, "tlsa: the AD bit off is read", "ad %d", a.ad);

    int t3[] = {5, 52, 52};
    const uint8_t *d3[] = {cname, r202, r101};
    size_t l3[] = {3, sizeof r202, sizeof r101};
    n = dns_msg(msg, 0, true, t3, d3, l3, 3);
    rc = sts_tlsa_parse(msg, n, &a);
    TAP_CHECK(rc == 0 && a.n_tlsa == 2 && a.n_usable == 1 && a.rr[0].usage == 2 &&
                  a.rr[0].len == 64 && a.rr[1].usage == 1,
              "tlsa: a CNAME skipped, DANE-TA usable, PKIX-EE not", "n %zu usable %zu", a.n_tlsa,
              a.n_usable);

    const uint8_t *d4[] = {rbad};
    size_t l4[] = {sizeof rbad};
    n = dns_msg(msg, 0, true, t1, d4, l4, 1);
    rc = sts_tlsa_parse(msg, n, &a);
    TAP_CHECK(rc == 0 && a.n_tlsa == 1 && a.n_usable == 0,
              "tlsa: SHA-256 data of the wrong length is unusable", "usable %zu", a.n_usable);

    n = dns_msg(msg, 2, false, NULL, NULL, NULL, 0);
    rc = sts_tlsa_parse(msg, n, &a);
    TAP_CHECK(rc == 0 && a.rcode == 2 && a.n_tlsa == 0, "tlsa: SERVFAIL rcode read", "rcode %d",
              a.rcode);

    n = dns_msg(msg, 0, true, t1, d1, l1, 1);
    rc = sts_tlsa_parse(msg, n - 5, &a);
    TAP_CHECK(rc == -1 && a.n_tlsa == 0 && a.rcode == 0, "tlsa: rdata past the end is malformed",
              "rc %d", rc);
    rc = sts_tlsa_parse(msg, 11, &a);
    TAP_CHECK(rc == -1 && a.rcode == -1, "tlsa: short header is malformed", "rc %d", rc);
    msg[7] = 200; /* claims 200 answers */
    rc = sts_tlsa_parse(msg, n, &a);
    TAP_CHECK(rc == -1 && a.n_tlsa == 1, "tlsa: answer count past the message is malformed",
              "rc %d n %zu", rc, a.n_tlsa);

    uint8_t many[2048];
    int t9[10];
    const uint8_t *d9[10];
    size_t l9[10];
    for (int i = 0; i < 10; i++) {
        t9[i] = 52;
        d9[i] = r311;
        l9[i] = sizeof r311;
    }
    n = dns_msg(many, 0, true, t9, d9, l9, 10);
    rc = sts_tlsa_parse(many, n, &a);
    TAP_CHECK(rc == 0 && a.n_tlsa == 10 && a.n_kept == STS_TLSA_MAX && a.n_usable == 10,
              "tlsa: records beyond the bound are counted, not kept", "n %zu kept %zu", a.n_tlsa,
              a.n_kept);

    struct sts_tlsa_rr full = {3, 0, 0, r311, 0};
    TAP_CHECK(!sts_tlsa_usable(&full), "tlsa: full-match with no data unusable", "usable");
    struct sts_tlsa_rr sel2 = {3, 2, 1, r311 + 3, 32};
    TAP_CHECK(!sts_tlsa_usable(&sel2), "tlsa: selector 2 unusable", "usable");
}

int main(void)
{
    printf("1..%d\n", 18 + 11);
    test_replies();
    test_tlsa();
    TAP_DONE();
}
