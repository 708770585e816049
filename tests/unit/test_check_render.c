/* Unit tests of `mtasts check` rendering: layers, fixes with concrete values, valid JSON, exits. */
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/commands/check_render.h"
#include "tests/unit/tap.h"

#define NOW 1795000000 /* 2026-11-18 */

static const char *const valid_body = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
                                      "mx: *.mail.example.net\r\nmax_age: 604800\r\n";

static struct sts_txt_record txt_ok[] = {{"v=STSv1; id=20240101T000000;", 28}};
static struct sts_txt_record txt_other[] = {{"google-site-verification=abc", 28}};
static struct sts_txt_record txt_bad[] = {{"v=STSv1; id=bad_id!;", 20}};
static struct sts_txt_record tlsrpt_ok[] = {{"v=TLSRPTv1; rua=mailto:tls@example.com", 38}};
static struct sts_mx_host mx_ok[] = {{"mx1.example.com", 10}, {"a.mail.example.net", 20}};
static struct sts_mx_host mx_uncovered[] = {{"mx1.example.com", 10}, {"mx2.other.org", 20}};
static const char *const addrs[] = {"192.0.2.10", "2001:db8::10"};

/* A valid, enforcing, fully covered deployment with TLS-RPT; tests change one thing. */
static struct sts_observation base_obs(void)
{
    struct sts_observation o;
    memset(&o, 0, sizeof o);
    o.domain = "example.com";
    o.now = NOW;
    o.txt_outcome = STS_DNS_OK;
    o.txt = txt_ok;
    o.n_txt = 1;
    o.mx_outcome = STS_DNS_OK;
    o.mx = mx_ok;
    o.n_mx = 2;
    o.tlsrpt_outcome = STS_DNS_OK;
    o.tlsrpt = tlsrpt_ok;
    o.n_tlsrpt = 1;
    o.apex_outcome = STS_DNS_NOT_ASKED;
    o.a_outcome = STS_DNS_OK;
    o.aaaa_outcome = STS_DNS_OK;
    o.n_addrs = 2;
    o.https = STS_HTTPS_OK;
    o.cert.present = true;
    o.cert.verify_code = X509_V_OK;
    o.cert.name_matches = true;
    o.cert.not_before = NOW - 86400 * 30;
    o.cert.not_after = NOW + 86400 * 60;
    o.cert.chain_len = 2;
    snprintf(o.cert.issuer, sizeof o.cert.issuer, "CN=Test CA,O=mtasts");
    o.http_status = 200;
    o.content_type = "text/plain; charset=utf-8";
    o.body = valid_body;
    o.body_len = strlen(valid_body);
    return o;
}

struct rendered {
    struct sts_verdict v;
    struct check_layer layers[CHECK_LAYER_COUNT];
    struct sbuf text, json;
    int exit_status;
};

static const char *render_server; /* the Server header of the next render, NULL: none */

static void render(const struct sts_observation *o, struct rendered *out)
{
    memset(out, 0, sizeof *out);
    sts_classify(o, &out->v);
    struct sts_result r;
    memset(&r, 0, sizeof r);
    r.domain = o->domain;
    r.rank = -1;
    r.scanned_at = o->now;
    r.obs = o;
    r.verdict = &out->v;
    r.addrs = addrs;
    r.n_addrs = o->n_addrs < 2 ? o->n_addrs : 2;
    r.https_addr = o->https != STS_HTTPS_NOT_ATTEMPTED ? "192.0.2.10" : NULL;
    r.tls_version = o->https == STS_HTTPS_OK ? "TLSv1.3" : NULL;
    r.policy_http_server = render_server;
    check_layers(&r, out->layers);
    check_render_text(&out->text, &r, false);
    check_render_json(&out->json, &r);
    out->exit_status = check_exit_status(&r);
}

static void release(struct rendered *x)
{
    sts_verdict_free(&x->v);
    sbuf_free(&x->text);
    sbuf_free(&x->json);
}

/* Validates JSON with python3's parser (the test fails if python3 is missing: it is a build
 * dependency of the test world) and optionally evaluates a Python expression on it as `d`. */
static bool json_ok(const char *json, const char *expr)
{
    char dir[] = "/tmp/mtasts-check-json-XXXXXX";
    if (!mkdtemp(dir))
        return false;
    char jpath[64], ppath[64], cmd[256];
    snprintf(jpath, sizeof jpath, "%s/out.json", dir);
    snprintf(ppath, sizeof ppath, "%s/check.py", dir);
    FILE *f = fopen(jpath, "w");
    FILE *py = fopen(ppath, "w");
    if (!f || !py)
        return false;
    fputs(json, f);
    fclose(f);
    fprintf(py, "import json, sys\nd = json.load(open(sys.argv[1]))\nsys.exit(0 if (%s) else 1)\n",
            expr ? expr : "True");
    fclose(py);
    snprintf(cmd, sizeof cmd, "python3 %s %s", ppath, jpath);
    int rc = system(cmd);
    unlink(jpath);
    unlink(ppath);
    rmdir(dir);
    return rc == 0;
}

static bool no_control_bytes(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\n')
            return false;
    return true;
}

/* No C1 control in UTF-8 form (U+0080..U+009F: U+009B is CSI to xterm and the Linux console). */
static bool no_c1_controls(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] >= 0x80 &&
            (unsigned char)s[1] < 0xA0)
            return false;
    return true;
}

static void test_valid(void)
{
    struct sts_observation o = base_obs();
    struct rendered x;
    render(&o, &x);
    bool all_pass = true;
    for (int i = 0; i < CHECK_LAYER_COUNT; i++)
        if (x.layers[i].state != CHECK_PASS &&
            !(i == CHECK_LAYER_DELIVERY && x.layers[i].state == CHECK_SKIP)) /* no +smtp */
            all_pass = false;
    TAP_CHECK(x.v.status == STS_STATUS_VALID && all_pass, "valid enforce: every layer passes",
              "status %d text:\n%s", x.v.status, sbuf_str(&x.text));
    TAP_CHECK(x.exit_status == 0, "valid: exit 0", "exit %d", x.exit_status);
    TAP_CHECK(strstr(sbuf_str(&x.text), "a.mail.example.net (preference 20): covered by "
                                        "*.mail.example.net") != NULL,
              "text shows the pattern covering each MX", "%s", sbuf_str(&x.text));
    TAP_CHECK(strstr(sbuf_str(&x.text), "example.com: valid") == sbuf_str(&x.text),
              "text starts with domain and status", "%s", sbuf_str(&x.text));
    TAP_CHECK(json_ok(sbuf_str(&x.json),
                      "d['status']=='valid' and d['category'] is None and d['exit_status']==0 and "
                      "d['layers']['mx']['state']=='pass' and d['facts']['max_age']==604800 and "
                      "d['facts']['mode']=='enforce' and d['facts']['txt_id']=='20240101T000000' "
                      "and d['facts']['mx_hosts'][1]['pattern']=='*.mail.example.net' and "
                      "d['facts']['rua']==['mailto:tls@example.com'] and "
                      "d['facts']['http_status']==200 and d['readiness']=='enforcing' and "
                      "d['facts']['policy_addresses']==['192.0.2.10','2001:db8::10']"),
              "valid: JSON fields", "%s", sbuf_str(&x.json));
    release(&x);
}

static void test_no_policy(void)
{
    struct sts_observation o = base_obs();
    o.txt = txt_other;
    o.a_outcome = o.aaaa_outcome = STS_DNS_NOT_ASKED;
    o.n_addrs = 0;
    o.https = STS_HTTPS_NOT_ATTEMPTED;
    o.body = NULL;
    o.body_len = 0;
    o.http_status = 0;
    o.content_type = NULL;
    o.cert.present = false;
    struct rendered x;
    render(&o, &x);
    TAP_CHECK(
        x.layers[CHECK_LAYER_DNS].state == CHECK_FAIL &&
            strstr(x.layers[CHECK_LAYER_DNS].fix, "_mta-sts.example.com \"v=STSv1; id=20261118") &&
            strstr(x.layers[CHECK_LAYER_DNS].observed, "1 other record"),
        "no policy: DNS fails with the record to publish", "%s | %s",
        x.layers[CHECK_LAYER_DNS].observed, x.layers[CHECK_LAYER_DNS].fix);
    TAP_CHECK(x.layers[CHECK_LAYER_FETCH].state == CHECK_SKIP &&
                  x.layers[CHECK_LAYER_PARSE].state == CHECK_SKIP &&
                  x.layers[CHECK_LAYER_READINESS].state == CHECK_SKIP,
              "no policy: later layers skipped", "wrong");
    TAP_CHECK(x.exit_status == 2, "no policy: exit 2", "exit %d", x.exit_status);
    TAP_CHECK(json_ok(sbuf_str(&x.json), "d['status']=='no_policy' and d['facts']['mode'] is None "
                                         "and d['layers']['fetch']['fix'] is None"),
              "no policy: JSON", "%s", sbuf_str(&x.json));
    release(&x);
}

static void test_mx_not_covered(void)
{
    struct sts_observation o = base_obs();
    o.mx = mx_uncovered;
    struct rendered x;
    render(&o, &x);
    const struct check_layer *mx = &x.layers[CHECK_LAYER_MX];
    TAP_CHECK(x.v.category == STS_CAT_MX_NOT_COVERED && mx->state == CHECK_FAIL &&
                  strstr(mx->fix, "\"mx: mx2.other.org\"") && strstr(mx->fix, "enforce mode") &&
                  strstr(mx->observed, "mx2.other.org (preference 20): NOT covered"),
              "mx not covered: the missing mx line", "%s | %s", mx->observed, mx->fix);
    TAP_CHECK(x.layers[CHECK_LAYER_PARSE].state == CHECK_PASS, "policy itself parses", "state %d",
              x.layers[CHECK_LAYER_PARSE].state);
    TAP_CHECK(x.exit_status == 2 && x.v.would_fail_delivery, "mx not covered: exit 2", "exit %d",
              x.exit_status);
    TAP_CHECK(json_ok(sbuf_str(&x.json), "d['category']=='mx_not_covered' and "
                                         "d['would_fail_delivery'] and "
                                         "d['rfc8460_result']=='validation-failure' and "
                                         "d['facts']['mx_hosts'][1]['covered'] is False"),
              "mx not covered: JSON", "%s", sbuf_str(&x.json));
    release(&x);
}

static void test_cert_mismatch(void)
{
    struct sts_observation o = base_obs();
    o.https = STS_HTTPS_CERT_FAILED;
    o.cert.verify_code = X509_V_ERR_HOSTNAME_MISMATCH;
    o.cert.name_matches = false;
    o.http_status = 0;
    o.body = NULL;
    o.body_len = 0;
    o.content_type = NULL;
    struct rendered x;
    render(&o, &x);
    const struct check_layer *f = &x.layers[CHECK_LAYER_FETCH];
    TAP_CHECK(x.v.category == STS_CAT_CERT_NAME_MISMATCH && f->state == CHECK_FAIL &&
                  strstr(f->fix, "Name needed: mta-sts.example.com.") &&
                  strstr(f->fix, "subjectAltName includes mta-sts.example.com") &&
                  strstr(f->observed, "does NOT cover mta-sts.example.com"),
              "cert mismatch: the name needed", "%s | %s", f->observed, f->fix);
    TAP_CHECK(x.layers[CHECK_LAYER_PARSE].state == CHECK_SKIP, "cert mismatch: parse skipped",
              "state %d", x.layers[CHECK_LAYER_PARSE].state);
    TAP_CHECK(x.exit_status == 2, "cert mismatch: exit 2", "exit %d", x.exit_status);
    release(&x);

    o = base_obs();
    o.https = STS_HTTPS_CERT_FAILED;
    o.cert.verify_code = X509_V_ERR_CERT_HAS_EXPIRED;
    o.cert.not_after = NOW - 86400;
    render(&o, &x);
    f = &x.layers[CHECK_LAYER_FETCH];
    TAP_CHECK(x.v.category == STS_CAT_CERT_EXPIRED && strstr(f->fix, "It expired on 2026-11-17"),
              "cert expired: the date", "%s", f->fix);
    release(&x);
}

static void test_testing_without_tlsrpt(void)
{
    struct sts_observation o = base_obs();
    static const char body[] = "version: STSv1\nmode: testing\nmx: mx1.example.com\n"
                               "mx: *.mail.example.net\nmax_age: 3600\n";
    o.body = body;
    o.body_len = sizeof body - 1;
    o.tlsrpt_outcome = STS_DNS_NXDOMAIN;
    o.tlsrpt = NULL;
    o.n_tlsrpt = 0;
    struct rendered x;
    render(&o, &x);
    const struct check_layer *t = &x.layers[CHECK_LAYER_TLSRPT];
    const struct check_layer *p = &x.layers[CHECK_LAYER_PARSE];
    TAP_CHECK(t->state == CHECK_WARN &&
                  strstr(t->fix, "\"v=TLSRPTv1; rua=mailto:tls-reports@example.com\""),
              "tlsrpt missing: the record to publish", "%s", t->fix);
    TAP_CHECK(p->state == CHECK_WARN && strstr(p->observed, "max_age_short") &&
                  strstr(p->observed, "lf_line_endings") && strstr(p->fix, "86400"),
              "short max_age and LF: warned with fixes", "%s | %s", p->observed, p->fix);
    TAP_CHECK(x.layers[CHECK_LAYER_READINESS].state == CHECK_WARN &&
                  strstr(x.layers[CHECK_LAYER_READINESS].observed, "tlsrpt_missing"),
              "not ready to enforce, with reasons", "%s", x.layers[CHECK_LAYER_READINESS].observed);
    TAP_CHECK(x.v.status == STS_STATUS_VALID && x.exit_status == 1, "warnings only: exit 1",
              "status %d exit %d", x.v.status, x.exit_status);
    TAP_CHECK(json_ok(sbuf_str(&x.json),
                      "'tlsrpt_missing' in d['warnings'] and d['exit_status']==1 and "
                      "d['readiness']=='not_ready' and d['facts']['rua']==[]"),
              "warnings: JSON", "%s", sbuf_str(&x.json));
    release(&x);

    /* testing, every blocker cleared: ready to enforce, advice but exit 0 */
    o = base_obs();
    static const char body2[] = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\n"
                                "mx: *.mail.example.net\r\nmax_age: 604800\r\n";
    o.body = body2;
    o.body_len = sizeof body2 - 1;
    render(&o, &x);
    TAP_CHECK(
        x.v.readiness == STS_READY_TO_ENFORCE &&
            x.layers[CHECK_LAYER_READINESS].state == CHECK_PASS &&
            strstr(x.layers[CHECK_LAYER_READINESS].fix, "\"mode: enforce\"") && x.exit_status == 0,
        "ready to enforce: advice, exit 0", "readiness %d exit %d", x.v.readiness, x.exit_status);
    release(&x);
}

static void test_could_not_check(void)
{
    struct sts_observation o = base_obs();
    o.txt_outcome = STS_DNS_SERVFAIL;
    struct rendered x;
    render(&o, &x);
    TAP_CHECK(x.v.status == STS_STATUS_DNS_ERROR && x.exit_status == 3 &&
                  strstr(x.layers[CHECK_LAYER_DNS].observed, "servfail"),
              "servfail: exit 3", "status %d exit %d", x.v.status, x.exit_status);
    release(&x);

    memset(&o, 0, sizeof o);
    o.domain = "nonexistent.example";
    o.now = NOW;
    o.txt_outcome = STS_DNS_NXDOMAIN;
    o.mx_outcome = STS_DNS_NXDOMAIN;
    o.tlsrpt_outcome = STS_DNS_NXDOMAIN;
    render(&o, &x);
    TAP_CHECK(x.v.status == STS_STATUS_DOMAIN_NXDOMAIN && x.exit_status == 3 &&
                  strstr(x.layers[CHECK_LAYER_DNS].observed, "does not exist"),
              "nxdomain: exit 3", "status %d exit %d", x.v.status, x.exit_status);
    TAP_CHECK(json_ok(sbuf_str(&x.json), "d['status']=='domain_nxdomain' and d['exit_status']==3"),
              "nxdomain: JSON", "%s", sbuf_str(&x.json));
    TAP_CHECK(x.layers[CHECK_LAYER_TLSRPT].state == CHECK_SKIP &&
                  !strstr(x.layers[CHECK_LAYER_TLSRPT].fix, "Publish") &&
                  !strstr(sbuf_str(&x.text), "Publish a TLS-RPT"),
              "nxdomain: no advice to publish TLS-RPT under a name that does not exist", "fix '%s'",
              x.layers[CHECK_LAYER_TLSRPT].fix);
    release(&x);

    TAP_CHECK(check_exit_combine(0, 2) == 2 && check_exit_combine(3, 1) == 3 &&
                  check_exit_combine(1, 0) == 1,
              "exit statuses combine to the worst", "wrong");
}

static void test_txt_syntax(void)
{
    struct sts_observation o = base_obs();
    o.txt = txt_bad;
    struct rendered x;
    render(&o, &x);
    const struct check_layer *d = &x.layers[CHECK_LAYER_DNS];
    TAP_CHECK(x.v.category == STS_CAT_TXT_SYNTAX && d->state == CHECK_FAIL &&
                  strstr(d->fix, "For example: \"v=STSv1; id=20261118") &&
                  strstr(d->observed, "\"v=STSv1; id=bad_id!;\""),
              "txt syntax: the record and an example", "%s | %s", d->observed, d->fix);
    release(&x);
}

/* Hostile remote bytes: markup, quotes, control bytes, invalid UTF-8, NUL in the body. */
static void test_hostile(void)
{
    struct sts_observation o = base_obs();
    static const char body[] = "version: STSv1\r\nmode: enf\0rce\r\nmx: \"<b>\r\nmax_age: 1\r\n";
    static const char hostile_txt[] = "v=STSv1; id=abc; x=\"\x01\xff\xfe<script>";
    static struct sts_txt_record txt[] = {{hostile_txt, sizeof hostile_txt - 1}};
    o.txt = txt;
    o.content_type = "text/html\"\x07\xc3(<script>alert(1)</script>";
    o.body = body;
    o.body_len = sizeof body - 1;
    struct rendered x;
    render(&o, &x);
    TAP_CHECK(json_ok(sbuf_str(&x.json), NULL), "hostile strings: JSON stays valid", "%s",
              sbuf_str(&x.json));
    TAP_CHECK(no_control_bytes(sbuf_str(&x.text)), "hostile strings: no control bytes in text",
              "%s", sbuf_str(&x.text));
    TAP_CHECK(json_ok(sbuf_str(&x.json), "d['facts']['content_type'].startswith('text/html\"')"),
              "content type round-trips through JSON", "%s", sbuf_str(&x.json));
    release(&x);

    /* C1 controls in UTF-8 (CSI U+009B, OSC U+009D) in the TXT record, MX host and headers. */
    static const char c1_txt[] = "v=STSv1; id=abc\xc2\x9b"
                                 "2J\xc2\x9d"
                                 "0;pwned\x07 caf\xc3\xa9";
    static struct sts_txt_record txt_c1[] = {{c1_txt, sizeof c1_txt - 1}};
    static struct sts_mx_host mx_c1[] = {{"mx1.example.com\xc2\x9b"
                                          "31m",
                                          10}};
    o = base_obs();
    o.txt = txt_c1;
    o.mx = mx_c1;
    o.n_mx = 1;
    o.content_type = "text/plain\xc2\x9b"
                     "1;1H";
    render(&o, &x);
    TAP_CHECK(no_c1_controls(sbuf_str(&x.text)) && no_control_bytes(sbuf_str(&x.text)),
              "hostile strings: no C1 control (CSI, OSC) reaches the terminal", "%s",
              sbuf_str(&x.text));
    TAP_CHECK(strstr(sbuf_str(&x.text), "caf\xc3\xa9") != NULL, "valid UTF-8 text is kept", "%s",
              sbuf_str(&x.text));
    release(&x);

    o = base_obs();
    o.body = body;
    o.body_len = sizeof body - 1;
    render(&o, &x);
    TAP_CHECK(x.layers[CHECK_LAYER_PARSE].state == CHECK_FAIL &&
                  x.layers[CHECK_LAYER_PARSE].fix[0] && json_ok(sbuf_str(&x.json), NULL),
              "policy with NUL: parse fails with a fix, JSON valid", "%s",
              x.layers[CHECK_LAYER_PARSE].observed);
    release(&x);
}

/* The policy host's Server header: a fact of the fetch layer in text and JSON, escaped. */
static void test_server_header(void)
{
    struct sts_observation o = base_obs();
    struct rendered x;
    render_server = "GitHub.com";
    render(&o, &x);
    TAP_CHECK(strstr(x.layers[CHECK_LAYER_FETCH].observed, "\nServer: GitHub.com") &&
                  strstr(sbuf_str(&x.text), "Server: GitHub.com"),
              "text: the fetch layer shows the Server header", "%s",
              x.layers[CHECK_LAYER_FETCH].observed);
    TAP_CHECK(json_ok(sbuf_str(&x.json), "d['facts']['policy_http_server'] == 'GitHub.com'"),
              "json: facts.policy_http_server", "%s", sbuf_str(&x.json));
    release(&x);
    render_server = "cloud\x1b[31mflare\xc2\x9b"
                    "2J\"<b>";
    render(&o, &x);
    TAP_CHECK(no_control_bytes(sbuf_str(&x.text)) && no_c1_controls(sbuf_str(&x.text)) &&
                  strstr(sbuf_str(&x.text), "Server: cloud"),
              "text: a hostile Server header reaches the terminal without control bytes", "%s",
              sbuf_str(&x.text));
    TAP_CHECK(json_ok(sbuf_str(&x.json),
                      "d['facts']['policy_http_server'].startswith('cloud\\x1b[31mflare')"),
              "json: a hostile Server header round-trips, escaped", "%s", sbuf_str(&x.json));
    release(&x);
    render_server = NULL;
    render(&o, &x);
    TAP_CHECK(!strstr(sbuf_str(&x.text), "Server:") &&
                  json_ok(sbuf_str(&x.json), "d['facts']['policy_http_server'] is None"),
              "no header: no Server line, null in JSON", "%s", sbuf_str(&x.json));
    release(&x);
}

static void test_mx_order(void)
{
    static struct sts_mx_host reversed[] = {{"a.mail.example.net", 20}, {"mx1.example.com", 10}};
    struct sts_observation o = base_obs();
    o.mx = reversed;
    struct rendered x;
    render(&o, &x);
    const char *obs = x.layers[CHECK_LAYER_MX].observed;
    const char *first = strstr(obs, "mx1.example.com (preference 10)");
    const char *second = strstr(obs, "a.mail.example.net (preference 20)");
    TAP_CHECK(first && second && first < second, "MX hosts listed by preference", "%s", obs);
    TAP_CHECK(strstr(x.layers[CHECK_LAYER_PARSE].observed, "(7 days)") != NULL,
              "max_age shown in days", "%s", x.layers[CHECK_LAYER_PARSE].observed);
    release(&x);
}

static void test_names(void)
{
    TAP_CHECK(!strcmp(check_layer_key(CHECK_LAYER_TLSRPT), "tlsrpt") &&
                  !strcmp(check_layer_title(CHECK_LAYER_MX), "MX coverage") &&
                  !strcmp(check_state_name(CHECK_SKIP), "skip") &&
                  !strcmp(check_layer_key((enum check_layer_id)99), "unknown"),
              "layer and state names", "wrong");
}

int main(void)
{
    TAP_PLAN(43);
    test_valid();
    test_no_policy();
    test_mx_not_covered();
    test_cert_mismatch();
    test_testing_without_tlsrpt();
    test_could_not_check();
    test_txt_syntax();
    test_hostile();
    test_server_header();
    test_mx_order();
    test_names();
    TAP_DONE();
}
