/* Shared by the store's unit suites: realistic scan results, temp dirs, a second connection. */
#ifndef TEST_STORE_FIXTURES_H
#define TEST_STORE_FIXTURES_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

enum fx_kind {
    FX_VALID,     /* enforce policy, covered MX, TLS-RPT, verified certificate */
    FX_NO_POLICY, /* NXDOMAIN at _mta-sts */
    FX_CERT_EXPIRED,
    FX_HOSTILE /* remote strings full of quotes, commas, newlines, NUL, markup */
};

/* Owns everything a store_result points at. */
struct fx {
    char domain[256];
    char txt_data[128];
    char tlsrpt_data[256];
    char mx_name[300];
    char body[512];
    size_t body_len;
    char content_type[64];
    char location[128];
    char server[128];
    char https_error[128];
    char pem[256];
    const char *addrs[2];
    struct sts_txt_record txt[1];
    struct sts_txt_record tlsrpt[1];
    struct sts_mx_host mx[1];
    struct sts_observation obs;
    struct sts_verdict verdict;
    struct sts_result r;
};

/* The policy body shared by FX_VALID domains (same bytes: one blob for all of them). */
#define FX_SHARED_POLICY                                                                           \
    "version: STSv1\r\nmode: enforce\r\nmx: *.mail.example.net\r\nmax_age: 604800\r\n"

__attribute__((unused)) static void fx_init(struct fx *f, const char *domain, enum fx_kind kind,
                                            long rank)
{
    memset(f, 0, sizeof *f);
    snprintf(f->domain, sizeof f->domain, "%s", domain);
    snprintf(f->mx_name, sizeof f->mx_name, "mx1.mail.example.net");
    f->mx[0] = (struct sts_mx_host){f->mx_name, 10};
    struct sts_observation *o = &f->obs;
    o->domain = f->domain;
    o->now = 1795000000;
    o->mx_outcome = STS_DNS_OK;
    o->mx = f->mx;
    o->n_mx = 1;
    o->tlsrpt_outcome = STS_DNS_NXDOMAIN;
    f->r.rank = rank;
    f->r.time_dns_ms = 12;
    f->r.time_connect_ms = f->r.time_tls_ms = f->r.time_total_ms = -1;
    if (kind == FX_NO_POLICY) {
        o->txt_outcome = STS_DNS_NXDOMAIN;
    } else {
        snprintf(f->txt_data, sizeof f->txt_data, "v=STSv1; id=20261122;");
        f->txt[0] = (struct sts_txt_record){f->txt_data, strlen(f->txt_data)};
        o->txt_outcome = STS_DNS_OK;
        o->txt = f->txt;
        o->n_txt = 1;
        snprintf(f->tlsrpt_data, sizeof f->tlsrpt_data, "v=TLSRPTv1; rua=mailto:tls@%s", domain);
        f->tlsrpt[0] = (struct sts_txt_record){f->tlsrpt_data, strlen(f->tlsrpt_data)};
        o->tlsrpt_outcome = STS_DNS_OK;
        o->tlsrpt = f->tlsrpt;
        o->n_tlsrpt = 1;
        o->a_outcome = STS_DNS_OK;
        o->aaaa_outcome = STS_DNS_NODATA;
        o->n_addrs = 1;
        f->addrs[0] = "127.0.0.10";
        f->r.addrs = f->addrs;
        f->r.n_addrs = 1;
        f->r.https_addr = "127.0.0.10";
        f->r.tls_version = "TLSv1.3";
        o->https = STS_HTTPS_OK;
        o->cert.present = true;
        o->cert.name_matches = true;
        o->cert.not_before = 1790000000;
        o->cert.not_after = 1800000000;
        o->cert.chain_len = 2;
        snprintf(o->cert.issuer, sizeof o->cert.issuer, "CN=World Test CA");
        o->http_status = 200;
        snprintf(f->content_type, sizeof f->content_type, "text/plain");
        o->content_type = f->content_type;
        snprintf(f->server, sizeof f->server, "nginx/1.22.1");
        f->r.policy_http_server = f->server;
        snprintf(f->body, sizeof f->body, "%s", FX_SHARED_POLICY);
        f->body_len = strlen(f->body);
        o->body = f->body;
        o->body_len = f->body_len;
        f->r.cert_verify_text = "ok";
        snprintf(f->pem, sizeof f->pem,
                 "-----BEGIN CERTIFICATE-----\nMIIBfakefakefake\n-----END CERTIFICATE-----\n");
        f->r.cert_pem = f->pem;
        f->r.time_connect_ms = 1;
        f->r.time_tls_ms = 3;
        f->r.time_total_ms = 5;
    }
    if (kind == FX_CERT_EXPIRED) {
        o->https = STS_HTTPS_CERT_FAILED;
        o->cert.verify_code = 10; /* X509_V_ERR_CERT_HAS_EXPIRED */
        o->cert.not_after = 1700000000;
        o->http_status = 0;
        o->content_type = NULL;
        o->body = NULL;
        o->body_len = 0;
        f->r.cert_verify_text = "certificate has expired";
        f->r.policy_http_server = NULL; /* no response: no header */
    }
    if (kind == FX_HOSTILE) {
        o->https = STS_HTTPS_OK;
        o->http_status = 302;
        memcpy(f->content_type, "text/\"html\",\n<b>x\0y", 19);
        o->content_type = f->content_type; /* the C string stops at the NUL */
        snprintf(f->location, sizeof f->location,
                 "https://evil.example/\"a,b\"\r\n<script>alert(1)</script>");
        f->r.location = f->location;
        snprintf(f->server, sizeof f->server, "evil\x1b[2J\"a,b\" <script>=1+1");
        f->r.policy_http_server = f->server;
        snprintf(f->https_error, sizeof f->https_error, "=cmd|' /C calc'!A0");
        f->r.https_error = f->https_error;
        o->body = NULL;
        o->body_len = 0;
    }
    f->r.domain = f->domain;
    f->r.scanned_at = 1795000000;
    f->r.obs = o;
    f->r.verdict = &f->verdict;
    sts_classify(o, &f->verdict);
}

__attribute__((unused)) static void fx_free(struct fx *f)
{
    sts_verdict_free(&f->verdict);
}

/* Builds and writes one result; returns store_write_row's status (or -2 when building fails). */
__attribute__((unused)) static int fx_write(struct store *st, int64_t scan, const char *domain,
                                            enum fx_kind kind, long rank)
{
    struct fx f;
    fx_init(&f, domain, kind, rank);
    struct store_row *row = store_row_build(&f.r);
    int rc = row ? store_write_row(st, scan, row) : -2;
    store_row_free(row);
    fx_free(&f);
    return rc;
}

/* A fresh temp directory for one suite. */
static char fx_dir[256];
__attribute__((unused)) static void fx_mkdir(const char *suite)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fx_dir, sizeof fx_dir, "%s/mtasts-%s-XXXXXX", base, suite);
    if (!mkdtemp(fx_dir)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* A path in the suite's directory; valid until fx_rmdir(). */
static char *fx_paths[4096];
static size_t fx_n_paths;
__attribute__((unused)) static const char *fx_path(const char *name)
{
    char *p = malloc(512);
    if (!p || fx_n_paths == sizeof fx_paths / sizeof fx_paths[0])
        exit(1);
    snprintf(p, 512, "%s/%s", fx_dir, name);
    fx_paths[fx_n_paths++] = p;
    return p;
}

__attribute__((unused)) static void fx_rmdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fx_dir);
    for (size_t i = 0; i < fx_n_paths; i++)
        free(fx_paths[i]);
    fx_n_paths = 0;
}

/* One integer from SQL run on a separate connection (what another process would see). */
__attribute__((unused)) static long long fx_query_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            v = sqlite3_column_int64(stmt, 0);
        else
            fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return v;
}

/* One text value (malloc'ed, NULL when SQL NULL or on error). */
__attribute__((unused)) static char *fx_query_text(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *v = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
            v = strdup((const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return v;
}

static const struct store_scan_info fx_info = {
    .tool_version = "test",
    .inputs_json = "[{\"name\":\"list.txt\",\"sha256\":\"00\"}]",
    .options_json = "{\"timeout\":3}",
    .shard_index = -1,
};

#endif
