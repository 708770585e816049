/* Store benchmark: N synthetic, realistic results through the real write path; size and rate.
 *
 * Build by hand after `make` (the Makefile does not build scripts/):
 *   cc -O2 -I. -D_GNU_SOURCE -o build/bench_store scripts/bench_store.c \
 *      build/libstore.a build/librules.a build/libmt.a \
 *      $(pkg-config --libs sqlite3 libzstd openssl) -lpthread
 * Run:
 *   build/bench_store 1000000 /tmp/bench.db          # zstd artifacts (the default)
 *   build/bench_store 1000000 /tmp/bench-raw.db --raw # artifacts stored uncompressed
 *   build/bench_store 200000 /tmp/x.db --dict        # also the zstd dictionary experiment
 *
 * The mix follows published top-1M figures (REFERENCES.md): ~1% of domains publish MTA-STS
 * (about 70% valid), those carry a policy body and a certificate chain (a unique EC leaf
 * issued by one of three shared intermediates); ~3% publish TLS-RPT; the rest have MX hosts
 * and no policy, and a few do not exist. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>
#include <zstd.h>

#include "store/store_internal.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this thread: the rate the writer sustains when it has a core to itself (the
 * machine the numbers were taken on was shared). */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void random_domain(char *buf, size_t len, long rank)
{
    static const char *tlds[] = {"com", "com", "com", "com", "net", "org",  "de",    "co.uk",
                                 "io",  "ru",  "jp",  "fr",  "nl",  "info", "com.br"};
    char label[20];
    unsigned n = 5 + pick(10);
    for (unsigned i = 0; i < n; i++)
        label[i] = (char)('a' + pick(26));
    label[n] = '\0';
    snprintf(buf, len, "%s%ld.%s", label, rank % 97, tlds[pick(sizeof tlds / sizeof tlds[0])]);
}

/* ---- certificates: one EC leaf per MTA-STS domain, issued by one of three intermediates ---- */
struct issuer {
    EVP_PKEY *key;
    X509 *cert;
    char *pem;
};
static struct issuer issuers[3];

static EVP_PKEY *ec_key(void)
{
    return EVP_EC_gen("P-256");
}

static char *pem_of(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = malloc((size_t)n + 1);
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    BIO_free(b);
    return s;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set_int64(X509_get_serialNumber(x), (int64_t)(rnd() >> 2));
    X509_gmtime_adj(X509_getm_notBefore(x), -86400 * (long)pick(60));
    X509_gmtime_adj(X509_getm_notAfter(x), 86400 * 90);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    if (!issuer)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Bench CA", -1,
                                   -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    if (san) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                                            issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

static void make_issuers(void)
{
    static const char *names[] = {"Bench Encrypt R10", "Bench Encrypt R11", "Bench TLS RSA CA G1"};
    for (int i = 0; i < 3; i++) {
        issuers[i].key = ec_key();
        issuers[i].cert = make_cert(names[i], issuers[i].key, NULL, NULL, NULL);
        issuers[i].pem = pem_of(issuers[i].cert);
    }
}

/* Leaf + intermediate, as a server sends them. */
static char *make_chain(const char *domain)
{
    char cn[300], san[320];
    snprintf(cn, sizeof cn, "mta-sts.%s", domain);
    snprintf(san, sizeof san, "DNS:mta-sts.%s", domain);
    struct issuer *is = &issuers[pick(3)];
    EVP_PKEY *k = ec_key();
    X509 *leaf = make_cert(cn, k, is->cert, is->key, san);
    char *lp = pem_of(leaf);
    size_t n = strlen(lp) + strlen(is->pem) + 1;
    char *chain = malloc(n);
    snprintf(chain, n, "%s%s", lp, is->pem);
    free(lp);
    X509_free(leaf);
    EVP_PKEY_free(k);
    return chain;
}

/* ---- policy bodies, shaped like the ones large providers and self-hosters publish ---- */
static size_t make_policy(char *buf, size_t len, const char *domain, const char **mx_out,
                          char mx_store[3][300], size_t *n_mx)
{
    static const char *modes[] = {"enforce", "testing", "none"};
    static const long ages[] = {86400, 604800, 1209600, 2592000, 31557600, 604800, 86400};
    unsigned m = pick(100) < 54 ? 0 : pick(100) < 98 ? 1 : 2;
    const char *eol = pick(100) < 85 ? "\r\n" : "\n";
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "version: STSv1%smode: %s%s", eol, modes[m], eol);
    unsigned kind = pick(100);
    *n_mx = 0;
    if (kind < 35) { /* Microsoft 365 */
        snprintf(mx_store[0], 300, "*.mail.protection.outlook.com");
        *n_mx = 1;
    } else if (kind < 60) { /* Google */
        snprintf(mx_store[0], 300, "aspmx.l.google.com");
        snprintf(mx_store[1], 300, "*.aspmx.l.google.com");
        *n_mx = 2;
    } else { /* self-hosted */
        snprintf(mx_store[0], 300, "mx1.%s", domain);
        snprintf(mx_store[1], 300, "mx2.%s", domain);
        *n_mx = pick(2) ? 2 : 1;
    }
    for (size_t i = 0; i < *n_mx; i++) {
        o += (size_t)snprintf(buf + o, len - o, "mx: %s%s", mx_store[i], eol);
        mx_out[i] = mx_store[i];
    }
    o += (size_t)snprintf(buf + o, len - o, "max_age: %ld%s", ages[pick(7)], eol);
    return o;
}

struct sample {
    char **items;
    size_t *lens;
    size_t n, cap;
};
static struct sample policies, chains;

static void keep(struct sample *s, const char *data, size_t len)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->items = realloc(s->items, s->cap * sizeof *s->items);
        s->lens = realloc(s->lens, s->cap * sizeof *s->lens);
    }
    s->items[s->n] = malloc(len);
    memcpy(s->items[s->n], data, len);
    s->lens[s->n++] = len;
}

/* ---- one domain ---- */
struct gen {
    char domain[64], txt[64], tlsrpt[400], body[1024], content_type[16];
    char mx_names[3][300], pattern_store[3][300];
    const char *patterns[3];
    struct sts_txt_record txt_rec, tlsrpt_rec;
    struct sts_mx_host mx[3];
    const char *addrs[1];
    char *chain;
};

static void gen_domain(struct gen *g, long rank, bool dict_sample, struct sts_observation *o,
                       struct sts_result *r)
{
    memset(o, 0, sizeof *o);
    memset(r, 0, sizeof *r);
    free(g->chain);
    g->chain = NULL;
    random_domain(g->domain, sizeof g->domain, rank);
    o->domain = g->domain;
    o->now = 1795000000;
    r->domain = g->domain;
    r->rank = rank;
    r->scanned_at = 1795000000 + rank / 1000;
    r->time_dns_ms = (int)pick(200);
    r->time_connect_ms = r->time_tls_ms = r->time_total_ms = -1;
    unsigned roll = pick(10000);
    bool sts = roll < 100, exists = roll < 9700 || sts;
    o->mx_outcome = exists ? (pick(100) < 90 ? STS_DNS_OK : STS_DNS_NODATA) : STS_DNS_NXDOMAIN;
    o->txt_outcome = exists ? STS_DNS_NXDOMAIN : STS_DNS_NXDOMAIN;
    o->tlsrpt_outcome = STS_DNS_NXDOMAIN;
    if (o->mx_outcome == STS_DNS_OK) {
        size_t n = 1 + pick(2);
        for (size_t i = 0; i < n; i++) {
            snprintf(g->mx_names[i], 300, "mx%zu.%s", i + 1, g->domain);
            g->mx[i] = (struct sts_mx_host){g->mx_names[i], (unsigned)(10 * (i + 1))};
        }
        o->mx = g->mx;
        o->n_mx = n;
    }
    if (exists && (sts || pick(100) < 2)) {
        snprintf(g->tlsrpt, sizeof g->tlsrpt, "v=TLSRPTv1; rua=mailto:tls-reports@%s", g->domain);
        g->tlsrpt_rec = (struct sts_txt_record){g->tlsrpt, strlen(g->tlsrpt)};
        o->tlsrpt_outcome = STS_DNS_OK;
        o->tlsrpt = &g->tlsrpt_rec;
        o->n_tlsrpt = 1;
    }
    if (!sts)
        return;
    snprintf(g->txt, sizeof g->txt, "v=STSv1; id=2026%08u;", (unsigned)pick(100000000));
    g->txt_rec = (struct sts_txt_record){g->txt, strlen(g->txt)};
    o->txt_outcome = STS_DNS_OK;
    o->txt = &g->txt_rec;
    o->n_txt = 1;
    o->a_outcome = STS_DNS_OK;
    o->aaaa_outcome = STS_DNS_NODATA;
    unsigned fate = pick(100);
    if (fate >= 90) { /* no address for mta-sts.D: the most common failure */
        o->a_outcome = STS_DNS_NXDOMAIN;
        o->aaaa_outcome = STS_DNS_NXDOMAIN;
        return;
    }
    o->n_addrs = 1;
    g->addrs[0] = "192.0.2.10";
    r->addrs = g->addrs;
    r->n_addrs = 1;
    r->https_addr = g->addrs[0];
    r->tls_version = "TLSv1.3";
    g->chain = make_chain(g->domain);
    r->cert_pem = g->chain;
    o->cert.present = true;
    o->cert.chain_len = 2;
    o->cert.not_before = 1790000000;
    o->cert.not_after = 1800000000;
    snprintf(o->cert.issuer, sizeof o->cert.issuer, "CN=Bench Encrypt R10,O=Bench CA");
    o->cert.name_matches = fate < 80;
    o->cert.verify_code = fate < 80 ? 0 : 62; /* X509_V_ERR_HOSTNAME_MISMATCH */
    o->https = fate < 80 ? STS_HTTPS_OK : STS_HTTPS_CERT_FAILED;
    r->cert_verify_text = fate < 80 ? "ok" : "hostname mismatch";
    r->time_connect_ms = (int)pick(80);
    r->time_tls_ms = (int)pick(120);
    r->time_total_ms = r->time_tls_ms + (int)pick(200);
    if (fate >= 80)
        return;
    size_t n_mx = 0;
    size_t blen =
        make_policy(g->body, sizeof g->body, g->domain, g->patterns, g->pattern_store, &n_mx);
    o->http_status = 200;
    snprintf(g->content_type, sizeof g->content_type, "text/plain");
    o->content_type = g->content_type;
    o->body = g->body;
    o->body_len = blen;
    if (dict_sample) {
        keep(&policies, g->body, blen);
        keep(&chains, g->chain, strlen(g->chain));
    }
}

/* ---- the dictionary experiment: does a trained dictionary pay on these artifacts? ---- */
static void dict_experiment(const char *what, struct sample *s)
{
    if (s->n < 200)
        return;
    size_t train = s->n / 2, total = 0;
    for (size_t i = 0; i < train; i++)
        total += s->lens[i];
    char *flat = malloc(total);
    size_t o = 0;
    for (size_t i = 0; i < train; i++) {
        memcpy(flat + o, s->items[i], s->lens[i]);
        o += s->lens[i];
    }
    static char dict[16384];
    size_t dsize = ZDICT_trainFromBuffer(dict, sizeof dict, flat, s->lens, (unsigned)train);
    free(flat);
    if (ZDICT_isError(dsize)) {
        printf("dictionary for %s: training failed: %s\n", what, ZDICT_getErrorName(dsize));
        return;
    }
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CDict *cd = ZSTD_createCDict(dict, dsize, 3);
    size_t raw = 0, plain = 0, with = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    double t0 = now();
    for (size_t i = train; i < s->n; i++) {
        raw += s->lens[i];
        size_t n = ZSTD_compressCCtx(c, buf, cap, s->items[i], s->lens[i], 3);
        plain += n < s->lens[i] ? n : s->lens[i];
    }
    double t1 = now();
    for (size_t i = train; i < s->n; i++) {
        size_t n = ZSTD_compress_usingCDict(c, buf, cap, s->items[i], s->lens[i], cd);
        with += n < s->lens[i] ? n : s->lens[i];
    }
    double t2 = now();
    size_t m = s->n - train;
    printf("dictionary for %s (%zu B, trained on %zu, tested on %zu): raw %.0f B/item, zstd %.0f "
           "B/item (%.1f us), zstd+dict %.0f B/item (%.1f us)\n",
           what, dsize, train, m, (double)raw / m, (double)plain / m, (t1 - t0) * 1e6 / m,
           (double)with / m, (t2 - t1) * 1e6 / m);
    free(buf);
    ZSTD_freeCDict(cd);
    ZSTD_freeCCtx(c);
}

static long long q1(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_store N DB [--raw] [--dict]\n");
        return 2;
    }
    long n = atol(argv[1]);
    const char *path = argv[2];
    bool raw = false, dict = false;
    for (int i = 3; i < argc; i++) {
        raw |= !strcmp(argv[i], "--raw");
        dict |= !strcmp(argv[i], "--dict");
    }
    if (raw)
        store_blob_set_level(0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm'", path, path, path);
    if (system(cmd) != 0)
        return 1;
    make_issuers();
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    if (!st) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct store_scan_info info = {.tool_version = "bench",
                                   .inputs_json = "[{\"name\":\"bench\",\"sha256\":null}]",
                                   .options_json = "{}",
                                   .shard_index = -1};
    int64_t scan = 0;
    if (store_scan_begin(st, &info, &scan) < 0) {
        fprintf(stderr, "%s\n", store_error(st));
        return 1;
    }
    struct gen g = {0};
    struct sts_observation o;
    struct sts_result r;
    double t_gen = 0, t_build = 0, t_write = 0, c_build = 0, c_write = 0;
    for (long i = 1; i <= n; i++) {
        double t0 = now();
        gen_domain(&g, i, dict, &o, &r);
        double t1 = now(), c1 = cpu();
        struct sts_verdict v;
        sts_classify(&o, &v);
        r.obs = &o;
        r.verdict = &v;
        struct store_row *row = store_row_build(&r);
        sts_verdict_free(&v);
        double t2 = now(), c2 = cpu();
        if (!row || store_write_row_owned(st, scan, row) < 0) {
            fprintf(stderr, "write failed at %ld: %s\n", i, store_error(st));
            return 1;
        }
        double t3 = now(), c3 = cpu();
        t_gen += t1 - t0;
        t_build += t2 - t1;
        t_write += t3 - t2;
        c_build += c2 - c1;
        c_write += c3 - c2;
    }
    double t0 = now(), c0 = cpu();
    struct store_scan_counts c = {n, 0, 0, 0, 0};
    store_scan_finish(st, scan, "complete", &c);
    store_close(st);
    t_write += now() - t0;
    c_write += cpu() - c0;

    sqlite3 *db = NULL;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    long long pages = q1(db, "PRAGMA page_count"), psize = q1(db, "PRAGMA page_size");
    long long bytes = pages * psize;
    long long results = q1(db, "SELECT sum(pgsize) FROM dbstat WHERE name IN ('results', "
                               "'results_scan_status', 'results_scan_rank')");
    long long blobs = q1(db, "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%blobs%'");
    long long nblobs = q1(db, "SELECT count(*) FROM blobs");
    long long blob_raw = q1(db, "SELECT sum(raw_size) FROM blobs");
    long long blob_data = q1(db, "SELECT sum(length(data)) FROM blobs");
    sqlite3_close(db);
    printf("domains %ld, artifacts %s: file %.1f MB = %.1f bytes/domain "
           "(results+indexes %.1f B/domain, blobs %.1f B/domain)\n",
           n, raw ? "raw" : "zstd-3", bytes / 1e6, (double)bytes / n, (double)results / n,
           (double)blobs / n);
    printf("blobs: %lld, raw %.1f MB, stored %.1f MB (%.0f%%)\n", nblobs, blob_raw / 1e6,
           blob_data / 1e6, blob_raw ? 100.0 * blob_data / blob_raw : 0);
    printf("time: generate %.1f s (certificates), classify+row_build %.1f s wall, %.1f us/row CPU "
           "(worker threads), writer %.1f s wall = %.0f rows/s; writer CPU %.1f us/row = %.0f "
           "rows/s per core\n",
           t_gen, t_build, c_build * 1e6 / n, t_write, n / t_write, c_write * 1e6 / n, n / c_write);
    if (dict) {
        dict_experiment("policy bodies", &policies);
        dict_experiment("certificate chains", &chains);
    }
    return 0;
}
