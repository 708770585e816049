/* Unit tests: tlsrpt/ extractors: gzip under a cap (exact boundary, members, damage), zip,
 * content sniffing, MIME parts and mbox messages. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/tap.h"
#include "tlsrpt/extract.h"

#define N_CASES 15

/* gzip of `len` bytes of c (zlib's gzip wrapper). Returns malloc'ed bytes. */
static char *gz(const char *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    char *out = malloc(cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

struct tally {
    int reports, rejects, notes;
    char last_reason[256];
    size_t last_len;
};

static void on_report(void *arg, const char *name, const char *json, size_t len)
{
    (void)name;
    (void)json;
    struct tally *t = arg;
    t->reports++;
    t->last_len = len;
}

static void on_reject(void *arg, const char *name, const char *reason)
{
    (void)name;
    struct tally *t = arg;
    t->rejects++;
    snprintf(t->last_reason, sizeof t->last_reason, "%s", reason);
}

static void on_note(void *arg, const char *name, const char *text)
{
    (void)name;
    (void)text;
    ((struct tally *)arg)->notes++;
}

static void test_gunzip(void)
{
    size_t cap = 1000, zl, ol;
    char *plain = malloc(cap + 1), *out = NULL, err[256];
    memset(plain, '{', cap + 1);
    char *z = gz(plain, cap, &zl);
    int rc = tlsrpt_gunzip(z, zl, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc == 0 && ol == cap, "exactly the cap decompresses", "rc %d: %s", rc, err);
    free(out);
    free(z);
    z = gz(plain, cap + 1, &zl);
    rc = tlsrpt_gunzip(z, zl, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc < 0 && strstr(err, "gzip bomb"), "one byte over the cap is refused", "rc %d", rc);
    /* Two members concatenated are one file. */
    size_t l1, l2;
    char *a = gz("{\"a\":", 5, &l1), *b = gz("1}", 2, &l2);
    char *ab = malloc(l1 + l2 + 8);
    memcpy(ab, a, l1);
    memcpy(ab + l1, b, l2);
    rc = tlsrpt_gunzip(ab, l1 + l2, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc == 0 && ol == 7 && !memcmp(out, "{\"a\":1}", 7), "concatenated gzip members",
              "rc %d: %s", rc, err);
    free(out);
    memset(ab + l1 + l2, 0, 8);
    rc = tlsrpt_gunzip(ab, l1 + l2 + 8, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc == 0 && ol == 7, "zero padding after the gzip data is tolerated", "rc %d: %s", rc,
              err);
    free(out);
    memcpy(ab + l1 + l2, "garbage!", 8);
    rc = tlsrpt_gunzip(ab, l1 + l2 + 8, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc < 0 && strstr(err, "trailing"), "trailing garbage is refused", "rc %d: %s", rc,
              err);
    rc = tlsrpt_gunzip(a, l1 - 4, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc < 0, "truncated gzip data is refused", "rc %d", rc);
    a[l1 / 2] ^= 0x55;
    rc = tlsrpt_gunzip(a, l1, cap, &out, &ol, err, sizeof err);
    TAP_CHECK(rc < 0, "damaged gzip data is refused", "rc %d", rc);
    free(a);
    free(b);
    free(ab);
    free(z);
    free(plain);
}

static void test_sniff(void)
{
    TAP_CHECK(tlsrpt_sniff("\x1f\x8b\x08", 3) == TLSRPT_KIND_GZIP &&
                  tlsrpt_sniff("PK\x03\x04", 4) == TLSRPT_KIND_ZIP &&
                  tlsrpt_sniff("\xef\xbb\xbf \n{", 6) == TLSRPT_KIND_JSON &&
                  tlsrpt_sniff("From x Mon", 10) == TLSRPT_KIND_MBOX &&
                  tlsrpt_sniff("Subject: x\n\nbody", 16) == TLSRPT_KIND_MESSAGE,
              "content sniffing: gzip, zip, JSON after a BOM, mbox, message", "x");
}

static const char msg[] = "From: r@example\r\n"
                          "Subject: report\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/report; report-type=tlsrpt; boundary=\"b\"\r\n"
                          "\r\n"
                          "--b\r\n"
                          "Content-Type: text/plain\r\n\r\nhello\r\n"
                          "--b\r\n"
                          "Content-Type: application/tlsrpt+json\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n"
                          "eyJwb2xpY2llcyI6W119\r\n"
                          "--b\r\n"
                          "Content-Type: application/octet-stream; name=\"x.bin\"\r\n\r\nzzz\r\n"
                          "--b\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Disposition: attachment; filename=\"r.json\"\r\n\r\n"
                          "{\"policies\":[1]}\r\n"
                          "--b--\r\n";

static void test_mime(void)
{
    struct tally t = {0};
    struct tlsrpt_sink sink = {on_report, on_reject, on_note, &t};
    int found = tlsrpt_extract_message(&sink, "m", msg, sizeof msg - 1);
    TAP_CHECK(found == 2 && t.reports == 2,
              "two report parts: tlsrpt+json (base64) and json named .json", "found %d, reports %d",
              found, t.reports);
    TAP_CHECK(t.notes == 1, "the generic media type is noted", "notes %d", t.notes);
    memset(&t, 0, sizeof t);
    found = tlsrpt_extract_message(&sink, "m", "Subject: hi\r\n\r\nno report\r\n", 27);
    TAP_CHECK(found == 0 && t.reports == 0 && t.rejects == 0, "a plain message holds no report",
              "found %d", found);
    char mbox[4096];
    int n = snprintf(mbox, sizeof mbox,
                     "From a Mon Nov 30 00:00:00 2026\n%s\nFrom b Mon Nov 30 "
                     "00:00:01 2026\nSubject: plain\n\ntext\n",
                     msg);
    memset(&t, 0, sizeof t);
    size_t nm = 0, nw = 0;
    tlsrpt_extract_mbox(&sink, "mb", mbox, (size_t)n, &nm, &nw);
    TAP_CHECK(nm == 2 && nw == 1 && t.reports == 2, "an mbox: two messages, one without a report",
              "messages %zu, without %zu, reports %d", nm, nw, t.reports);
}

static void test_payload(void)
{
    struct tally t = {0};
    struct tlsrpt_sink sink = {on_report, on_reject, on_note, &t};
    size_t zl;
    char *z = gz("{\"policies\":[]}", 15, &zl);
    tlsrpt_extract_payload(&sink, "p", z, zl);
    TAP_CHECK(t.reports == 1 && t.last_len == 15, "a gzip payload yields its JSON", "%d",
              t.reports);
    /* gzip of gzip of gzip: nested more than twice is refused. */
    size_t z2l, z3l;
    char *z2 = gz(z, zl, &z2l), *z3 = gz(z2, z2l, &z3l);
    memset(&t, 0, sizeof t);
    tlsrpt_extract_payload(&sink, "p", z3, z3l);
    TAP_CHECK(t.rejects == 1 && strstr(t.last_reason, "nested"),
              "gzip nested three deep is refused", "%s", t.last_reason);
    memset(&t, 0, sizeof t);
    tlsrpt_extract_payload(&sink, "p", "PK\x03\x04garbage", 11);
    TAP_CHECK(t.rejects == 1 && t.reports == 0, "a damaged zip is rejected with a reason", "%d",
              t.rejects);
    free(z);
    free(z2);
    free(z3);
}

int main(void)
{
    printf("1..%d\n", N_CASES);
    test_gunzip();
    test_sniff();
    test_mime();
    test_payload();
    TAP_DONE();
}
