/* Unit tests of the MX transport layer of `mtasts check`: states, per-host text, JSON, escaping. */
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/commands/check_mx.h"
#include "scanner/commands/check_render.h"
#include "tests/unit/tap.h"

#define NOW 1795000000
#define DAY 86400
#define PLAN 15

static const char *policy_of(bool enforce)
{
    return enforce ? "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
                     "mx: *.mail.example.net\r\nmax_age: 604800\r\n"
                   : "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\n"
                     "mx: *.mail.example.net\r\nmax_age: 604800\r\n";
}

static struct sts_txt_record txt_ok[] = {{"v=STSv1; id=20240101T000000;", 28}};
static struct sts_txt_record tlsrpt_ok[] = {{"v=TLSRPTv1; rua=mailto:tls@example.com", 38}};
static struct sts_mx_host mx_ok[] = {{"mx1.example.com", 10}, {"A.mail.example.net.", 20}};

struct world {
    struct sts_observation o;
    struct sts_mx_probe p[2];
    const struct sts_mx_probe *pp[2];
    struct sts_verdict v;
    struct sts_result r;
    struct check_layer l;
    struct sbuf text, json;
};

static void addr(struct sts_smtp_addr_probe *a, const char *ip, enum sts_smtp_outcome o,
                 int64_t not_after, const char *issuer)
{
    memset(a, 0, sizeof *a);
    snprintf(a->addr, sizeof a->addr, "%s", ip);
    a->outcome = o;
    a->reply_code = o == STS_SMTP_REFUSED ? 554 : 220;
    a->starttls_offered = o != STS_SMTP_STARTTLS_NOT_OFFERED;
    a->time_ms = 5;
    if (o == STS_SMTP_STARTTLS_NOT_OFFERED)
        return;
    snprintf(a->tls_version, sizeof a->tls_version, "TLSv1.3");
    snprintf(a->cipher, sizeof a->cipher, "TLS_AES_128_GCM_SHA256");
    a->cert = (struct sts_cert_facts){.present = true,
                                      .verify_code = o == STS_SMTP_OK ? X509_V_OK
                                                                      : X509_V_ERR_CERT_HAS_EXPIRED,
                                      .name_matches = true,
                                      .not_before = NOW - 30 * DAY,
                                      .not_after = not_after,
                                      .chain_len = 2};
    snprintf(a->cert.issuer, sizeof a->cert.issuer, "%s", issuer);
}

/* Two MX hosts: mx1 with outcome o1, a.mail with smtp_ok (and DANE valid when dane). */
static void build(struct world *w, bool enforce, bool smtp, enum sts_smtp_outcome o1, bool dane)
{
    memset(w, 0, sizeof *w);
    struct sts_observation *o = &w->o;
    o->domain = "example.com";
    o->now = NOW;
    o->txt_outcome = o->mx_outcome = o->tlsrpt_outcome = STS_DNS_OK;
    o->txt = txt_ok;
    o->n_txt = 1;
    o->mx = mx_ok;
    o->n_mx = 2;
    o->tlsrpt = tlsrpt_ok;
    o->n_tlsrpt = 1;
    o->a_outcome = STS_DNS_OK;
    o->aaaa_outcome = STS_DNS_NODATA;
    o->n_addrs = 1;
    o->https = STS_HTTPS_OK;
    o->cert = (struct sts_cert_facts){.present = true,
                                      .verify_code = X509_V_OK,
                                      .name_matches = true,
                                      .not_before = NOW - 30 * DAY,
                                      .not_after = NOW + 60 * DAY,
                                      .chain_len = 2};
    o->http_status = 200;
    o->content_type = "text/plain";
    o->body = policy_of(enforce);
    o->body_len = strlen(o->body);
    w->p[0].host = "mx1.example.com";
    w->p[1].host = "a.mail.example.net";
    for (int i = 0; i < 2; i++) {
        w->p[i].smtp_checked = smtp;
        w->p[i].dane_checked = dane;
        w->p[i].tlsa_rcode = 0;
        w->pp[i] = &w->p[i];
    }
    if (smtp) {
        w->p[0].n_addrs = 1;
        addr(&w->p[0].addrs[0], "192.0.2.25", o1, o1 == STS_SMTP_OK ? NOW + 60 * DAY : NOW - DAY,
             "CN=Evil\x1b[31mCA\xc2\x9b,O=\"x\"");
        w->p[1].n_addrs = 1;
        addr(&w->p[1].addrs[0], "2001:db8::25", STS_SMTP_OK, NOW + 60 * DAY, "CN=Good CA");
    }
    if (dane) {
        w->p[1].tlsa_ad = true;
        w->p[1].n_tlsa = w->p[1].n_tlsa_usable = 1;
        w->p[1].addrs[0].dane = STS_DANE_VALID;
    }
    o->smtp_checked = smtp;
    o->dane_checked = dane;
    o->mx_probes = w->pp;
    o->n_mx_probes = 2;
    sts_classify(o, &w->v);
    w->r.domain = o->domain;
    w->r.rank = -1;
    w->r.obs = o;
    w->r.verdict = &w->v;
    check_mx_layer(&w->r, &w->l);
    check_mx_render_text(&w->text, &w->r, 4);
    check_render_json(&w->json, &w->r);
}

static void release(struct world *w)
{
    sts_verdict_free(&w->v);
    sbuf_free(&w->text);
    sbuf_free(&w->json);
}

/* python3 parses the JSON and evaluates expr on it as d (as test_check_render does). */
static bool json_ok(const char *json, const char *expr)
{
    char dir[] = "/tmp/mtasts-checkmx-XXXXXX";
    if (!mkdtemp(dir))
        return false;
    char jpath[64], ppath[64], cmd[256];
    snprintf(jpath, sizeof jpath, "%s/out.json", dir);
    snprintf(ppath, sizeof ppath, "%s/check.py", dir);
    FILE *f = fopen(jpath, "w"), *py = fopen(ppath, "w");
    if (!f || !py)
        return false;
    fputs(json, f);
    fclose(f);
    fprintf(py, "import json, sys\nd = json.load(open(sys.argv[1]))\nsys.exit(0 if (%s) else 1)\n",
            expr);
    fclose(py);
    snprintf(cmd, sizeof cmd, "python3 %s %s", ppath, jpath);
    int rc = system(cmd);
    unlink(jpath);
    unlink(ppath);
    rmdir(dir);
    return rc == 0;
}

int main(void)
{
    printf("1..%d\n", PLAN);
    struct world w;

    build(&w, true, false, STS_SMTP_NOT_PROBED, false);
    TAP_CHECK(w.l.state == CHECK_SKIP && strstr(w.l.observed, "not probed") && w.text.len == 0,
              "SMTP stage off: layer skipped, no host detail", "%d %s", w.l.state, w.l.observed);
    release(&w);

    build(&w, true, true, STS_SMTP_OK, true);
    TAP_CHECK(w.l.state == CHECK_PASS && strstr(w.l.observed, "2 MX hosts probed") &&
                  strstr(w.l.observed, "DANE partial"),
              "all smtp_ok: pass, DANE partial", "%d %s", w.l.state, w.l.observed);
    TAP_CHECK(
        strstr(sbuf_str(&w.text), "A.mail.example.net. (preference 20), covered: smtp_ok") &&
            strstr(sbuf_str(&w.text), "DANE: dane_valid (1 TLSA, 1 usable, DNSSEC-validated)"),
        "text: each host with coverage, outcome and DANE", "%s", sbuf_str(&w.text));
    release(&w);

    build(&w, true, true, STS_SMTP_CERT_EXPIRED, false);
    const char *t = sbuf_str(&w.text);
    TAP_CHECK(w.l.state == CHECK_FAIL && w.v.would_fail_delivery &&
                  strstr(w.l.observed, "senders refuse mail for example.com now") &&
                  strstr(w.l.fix, "Renew the certificate of mx1.example.com"),
              "enforce + expired MX certificate: fail, fix names the host", "%d %s / %s", w.l.state,
              w.l.observed, w.l.fix);
    TAP_CHECK(strstr(t, "mx1.example.com (preference 10), covered: mx_cert_expired (senders report "
                        "certificate-expired) - senders refuse mail now") &&
                  strstr(t, "192.0.2.25: mx_cert_expired, reply 220, STARTTLS offered, TLSv1.3 "
                            "TLS_AES_128_GCM_SHA256") &&
                  strstr(t, "expires 2026-11-17, name matches, chain of 2, verify code 10") &&
                  !strstr(t, "fix: ") && !strstr(w.l.fix, "each host's fix"),
              "text: address, STARTTLS, TLS, certificate expiry; the one fix only on the layer",
              "%s / %s", t, w.l.fix);
    TAP_CHECK(!strchr(t, '\x1b') && !strstr(t, "\xc2\x9b") && strstr(t, "CN=Evil?[31mCA?"),
              "text: remote issuer escaped (ESC and C1 CSI shown as ?)", "%s", t);
    TAP_CHECK(json_ok(sbuf_str(&w.json),
                      "d['would_fail_delivery'] and d['layers']['delivery']['state']=='fail' and "
                      "d['delivery']['worst_outcome']=='mx_cert_expired' and "
                      "d['delivery']['hosts'][0]['host']=='mx1.example.com' and "
                      "d['delivery']['hosts'][0]['fails_delivery'] and "
                      "d['delivery']['hosts'][0]['rfc8460_result']=='certificate-expired' and "
                      "d['delivery']['hosts'][0]['covered'] and "
                      "d['delivery']['hosts'][0]['addresses'][0]['cert']['issuer']=="
                      "'CN=Evil\\x1b[31mCA\\x9b,O=\"x\"' and "
                      "d['delivery']['hosts'][1]['smtp_outcome']=='smtp_ok' and "
                      "d['delivery']['hosts'][1]['tlsa'] is None and d['exit_status']==2"),
              "JSON: the delivery object, remote bytes kept exactly and escaped", "%s",
              sbuf_str(&w.json));
    release(&w);

    build(&w, false, true, STS_SMTP_STARTTLS_NOT_OFFERED, false);
    TAP_CHECK(w.l.state == CHECK_WARN && !w.v.would_fail_delivery &&
                  strstr(w.l.observed, "once the policy is enforced") &&
                  strstr(w.l.fix, "Enable STARTTLS on mx1.example.com") &&
                  w.v.readiness == STS_READY_NOT_READY,
              "testing + no STARTTLS: warn, not ready, fix", "%d %s / %s", w.l.state, w.l.observed,
              w.l.fix);
    TAP_CHECK(strstr(sbuf_str(&w.text), "no STARTTLS") &&
                  strstr(sbuf_str(&w.text), "senders would refuse mail under enforce"),
              "text: no STARTTLS, refused under enforce", "%s", sbuf_str(&w.text));
    TAP_CHECK(json_ok(sbuf_str(&w.json),
                      "'mx_tls_invalid' in d['warnings'] and "
                      "d['layers']['readiness']['state']=='warn' and "
                      "'mx_tls_invalid' in d['layers']['readiness']['observed']"),
              "readiness names mx_tls_invalid", "%s", sbuf_str(&w.json));
    release(&w);

    build(&w, false, true, STS_SMTP_CONNECT_FAILED, false);
    TAP_CHECK(w.l.state == CHECK_WARN && strstr(w.l.observed, "1 not reached") &&
                  w.v.readiness == STS_READY_TO_ENFORCE && !w.v.mx_verified,
              "testing + one host unreachable: warn, ready but not verified", "%d %s", w.l.state,
              w.l.observed);
    TAP_CHECK(strstr(check_mx_readiness_note(&w.r), "not all verified"),
              "readiness note: MX hosts not all verified", "%s", check_mx_readiness_note(&w.r));
    release(&w);

    build(&w, false, false, STS_SMTP_NOT_PROBED, false);
    TAP_CHECK(w.v.readiness == STS_READY_TO_ENFORCE &&
                  strstr(check_mx_readiness_note(&w.r), "did not run") &&
                  json_ok(sbuf_str(&w.json), "d['readiness']=='ready_to_enforce' and not "
                                             "d['mx_verified'] and 'MX hosts not verified' in "
                                             "d['layers']['readiness']['observed']"),
              "ready without +smtp says the MX hosts were not verified", "%s", sbuf_str(&w.json));
    release(&w);

    build(&w, true, true, STS_SMTP_OK, false);
    w.o.port25_blocked = true;
    sts_verdict_free(&w.v);
    sts_classify(&w.o, &w.v);
    memset(&w.l, 0, sizeof w.l);
    check_mx_layer(&w.r, &w.l);
    TAP_CHECK(w.l.state == CHECK_SKIP && strstr(w.l.observed, "port 25 is blocked") &&
                  !w.v.would_fail_delivery && !w.v.mx_verified,
              "port 25 blocked: skipped, said once, nothing judged", "%d %s", w.l.state,
              w.l.observed);
    release(&w);

    build(&w, false, true, STS_SMTP_OK, false);
    w.o.port25_blocked = true;
    sts_verdict_free(&w.v);
    sts_classify(&w.o, &w.v);
    TAP_CHECK(w.v.readiness == STS_READY_TO_ENFORCE && !w.v.mx_verified &&
                  strstr(check_mx_readiness_note(&w.r), "port 25 is blocked"),
              "port 25 blocked: ready on the policy side, the note says why", "%s",
              check_mx_readiness_note(&w.r));
    release(&w);
    TAP_DONE();
}
