/* Unit tests of domain_normalize: case, trailing dot, IDN, and every refusal with its reason. */
#include <string.h>

#include "scanner/input/domain_name.h"
#include "tests/unit/tap.h"

struct good_case {
    const char *in, *want;
};

struct bad_case {
    const char *in;
    const char *reason_part; /* a substring the reason must contain */
};

static const struct good_case good[] = {
    {"example.com", "example.com"},
    {"EXAMPLE.COM", "example.com"},
    {"Example.Com.", "example.com"},
    {"  example.com\t", "example.com"},
    {"example.com\r\n", "example.com"},
    {"mail.sub.example.co.uk", "mail.sub.example.co.uk"},
    {"a-b.example", "a-b.example"},
    {"ab--cd.com", "ab--cd.com"}, /* R-LDH labels exist in the wild: plain ASCII is kept */
    {"123.example", "123.example"},
    {"1.2.3.example", "1.2.3.example"},
    {"Exämple.COM", "xn--exmple-cua.com"},
    {"bücher.de", "xn--bcher-kva.de"},
    {"straße.de", "xn--strae-oqa.de"}, /* nontransitional: ß kept, not "strasse" */
    {"XN--BCHER-KVA.DE", "xn--bcher-kva.de"},
    {"xn--bcher-kva.de", "xn--bcher-kva.de"},
    {"\xef\xbd\x81\xef\xbd\x82\xef\xbd\x83.com", "abc.com"}, /* fullwidth letters mapped */
    {"例え.テスト", "xn--r8jz45g.xn--zckzah"},
    {"xn--r8jz45g.xn--zckzah", "xn--r8jz45g.xn--zckzah"},
    {"a.b", "a.b"},
};

static const struct bad_case bad[] = {
    {"", "empty"},
    {"   ", "empty"},
    {".", "empty"},
    {"localhost", "single-label"},
    {"com.", "single-label"},
    {"example..com", "empty label"},
    {".example.com", "empty label"},
    {"example.com..", "empty label"},
    {"-example.com", "hyphen"},
    {"example-.com", "hyphen"},
    {"_dmarc.example.com", "underscore"},
    {"a_b.example.com", "underscore"},
    {"*.example.com", "wildcard"},
    {"https://example.com/", "URL"},
    {"user@example.com", "URL"},
    {"exa mple.com", "whitespace"},
    {"1.2.3.4", "IP address"},
    {"[2001:db8::1]", "IP address"},
    {"2001:db8::1", "IP address"},
    {"::1", "IP address"},
    {"1.2.3.999", "all digits"},
    {"example.123", "all digits"},
    {"exa\x01mple.com", "control"},
    {"b\xff"
     "ad.com",
     "UTF-8"},
    {"xn--zz.com", "A-label"},
    {"exa!mple.com", "not allowed"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "63"},
};

static void test_good(void)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char out[DOMAIN_NAME_BUFSZ], name[128];
        const char *reason = "unset";
        int rc = domain_normalize(good[i].in, strlen(good[i].in), out, sizeof out, &reason);
        snprintf(name, sizeof name, "normalise '%s'", good[i].want);
        TAP_CHECK(rc == 0 && !strcmp(out, good[i].want), name, "rc %d out '%s' reason '%s'", rc,
                  out, reason ? reason : "");
    }
}

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[DOMAIN_NAME_BUFSZ], name[160];
        const char *reason = NULL;
        int rc = domain_normalize(bad[i].in, strlen(bad[i].in), out, sizeof out, &reason);
        snprintf(name, sizeof name, "refuse case %zu (%s)", i, bad[i].reason_part);
        TAP_CHECK(rc == -1 && reason && strstr(reason, bad[i].reason_part) && out[0] == '\0', name,
                  "rc %d out '%s' reason '%s'", rc, out, reason ? reason : "(null)");
    }
}

static void test_lengths(void)
{
    char in[600], out[DOMAIN_NAME_BUFSZ];
    const char *reason = NULL;
    /* 4 labels of 63 + 3 dots = 255 > 253; 3 labels of 63 + "a" label: 63*3+1+3 = 193 */
    size_t n = 0;
    for (int l = 0; l < 4; l++) {
        memset(in + n, 'a', 63);
        n += 63;
        in[n++] = '.';
    }
    in[n - 1] = '\0';
    int rc = domain_normalize(in, n - 1, out, sizeof out, &reason);
    TAP_CHECK(rc == -1 && reason && strstr(reason, "253"), "refuse 255-byte name", "rc %d %s", rc,
              reason ? reason : "");

    /* exactly 253 bytes: 63.63.63.61 */
    n = 0;
    for (int l = 0; l < 4; l++) {
        size_t ll = l < 3 ? 63 : 61;
        memset(in + n, 'b', ll);
        n += ll;
        in[n++] = '.';
    }
    n--;
    in[n] = '\0';
    rc = domain_normalize(in, n, out, sizeof out, &reason);
    TAP_CHECK(rc == 0 && strlen(out) == 253, "accept 253-byte name", "rc %d len %zu", rc,
              strlen(out));
    /* the same with a trailing dot (254 bytes of input) */
    in[n] = '.';
    rc = domain_normalize(in, n + 1, out, sizeof out, &reason);
    TAP_CHECK(rc == 0 && strlen(out) == 253, "accept 253-byte name with trailing dot", "rc %d", rc);
    /* too small an output buffer refuses instead of overflowing */
    char tiny[8];
    rc = domain_normalize("example.com", 11, tiny, sizeof tiny, &reason);
    TAP_CHECK(rc == -1 && tiny[0] == '\0', "small output buffer refused", "rc %d", rc);

    /* very long garbage does not reach libidn2 unbounded */
    memset(in, 'x', sizeof in);
    rc = domain_normalize(in, sizeof in, out, sizeof out, &reason);
    TAP_CHECK(rc == -1, "600-byte label refused", "rc %d", rc);
}

static void test_embedded_nul(void)
{
    char out[DOMAIN_NAME_BUFSZ];
    const char *reason = NULL;
    int rc = domain_normalize("exa\0mple.com", 12, out, sizeof out, &reason);
    TAP_CHECK(rc == -1 && reason && strstr(reason, "NUL"), "NUL inside name refused", "rc %d %s",
              rc, reason ? reason : "");
    /* length is honoured: not NUL-terminated input */
    rc = domain_normalize("example.comXXXX", 11, out, sizeof out, &reason);
    TAP_CHECK(rc == 0 && !strcmp(out, "example.com"), "length honoured", "rc %d '%s'", rc, out);
}

static void test_single_label_flag(void)
{
    char out[DOMAIN_NAME_BUFSZ];
    const char *reason = NULL;
    int rc = domain_normalize_flags("COM.", 4, DOMAIN_ALLOW_SINGLE_LABEL, out, sizeof out, &reason);
    TAP_CHECK(rc == 0 && !strcmp(out, "com"), "single label allowed with flag", "rc %d", rc);
    rc = domain_normalize_flags("123", 3, DOMAIN_ALLOW_SINGLE_LABEL, out, sizeof out, &reason);
    TAP_CHECK(rc == -1, "numeric single label refused even with flag", "rc %d", rc);
}

int main(void)
{
    TAP_PLAN(55);
    test_good();
    test_bad();
    test_lengths();
    test_embedded_nul();
    test_single_label_flag();
    TAP_DONE();
}
