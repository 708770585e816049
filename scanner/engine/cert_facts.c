/* Certificate facts from OpenSSL during the policy fetch, recorded even when verification
 * fails: every verify error, the leaf's dates, issuer and name match, the chain length. */
#include "scanner/engine/cert_facts.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int capture_index = -1;
static pthread_once_t capture_once = PTHREAD_ONCE_INIT;

/* Our own ex_data slot on the SSL_CTX, so nothing libcurl keeps there is touched. */
static void capture_index_init(void)
{
    capture_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

void cert_capture_reset(struct cert_capture *c, const char *host)
{
    char *pem = c->pem;
    size_t cap = c->pem_cap;
    memset(c, 0, sizeof *c);
    c->pem = pem;
    c->pem_cap = cap;
    if (pem && cap)
        pem[0] = '\0';
    snprintf(c->host, sizeof c->host, "%s", host);
}

/* The chain as the server sent it, in PEM, when the caller gave a buffer and it fits. */
static void capture_pem(struct cert_capture *c, STACK_OF(X509) * sent, X509 *leaf)
{
    if (!c->pem || c->pem_cap < 2)
        return;
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    bool ok = true;
    int n = sent ? sk_X509_num(sent) : 0;
    if (n == 0)
        ok = PEM_write_bio_X509(bio, leaf) == 1;
    for (int i = 0; ok && i < n; i++)
        ok = PEM_write_bio_X509(bio, sk_X509_value(sent, i)) == 1;
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (ok && len > 0 && (size_t)len < c->pem_cap) {
        memcpy(c->pem, data, (size_t)len);
        c->pem[len] = '\0';
        c->pem_len = (size_t)len;
    }
    BIO_free(bio);
}

static int64_t asn1_time_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static void issuer_text(X509 *leaf, char *buf, size_t buflen)
{
    buf[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    if (X509_NAME_print_ex(bio, X509_get_issuer_name(leaf), 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(bio, buf, (int)buflen - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
}

void cert_facts_from_leaf(struct sts_cert_facts *f, void *x509_leaf, const char *host)
{
    X509 *leaf = x509_leaf;
    f->present = true;
    f->not_before = asn1_time_unix(X509_get0_notBefore(leaf));
    f->not_after = asn1_time_unix(X509_get0_notAfter(leaf));
    f->self_signed = X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(leaf)) == 0;
    f->name_matches = X509_check_host(leaf, host, strlen(host), 0, NULL) == 1;
    issuer_text(leaf, f->issuer, sizeof f->issuer);
}

static void add_error(struct cert_capture *c, int code)
{
    for (int i = 0; i < c->n_errors; i++)
        if (c->errors[i] == code)
            return;
    if (c->n_errors < CERT_MAX_ERRORS)
        c->errors[c->n_errors++] = code;
}

/* Keeps verifying past an error (returns 1) so every error is seen and the leaf's facts are
 * read; the errors stay in the store context, so SSL_get_verify_result() still reports
 * failure and libcurl refuses the peer (CURLE_PEER_FAILED_VERIFICATION) before any request. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct cert_capture *c = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), capture_index) : NULL;
    if (!c)
        return preverify_ok;
    if (!c->leaf_seen) {
        X509 *leaf = X509_STORE_CTX_get0_cert(x);
        if (leaf) {
            c->leaf_seen = true;
            cert_facts_from_leaf(&c->facts, leaf, c->host);
            STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(x);
            c->facts.chain_len = sent ? sk_X509_num(sent) : 1;
            capture_pem(c, sent, leaf);
            snprintf(c->tls_version, sizeof c->tls_version, "%s", SSL_get_version(ssl));
        }
    }
    if (!preverify_ok)
        add_error(c, X509_STORE_CTX_get_error(x));
    return 1;
}

CURLcode cert_capture_ssl_ctx(CURL *curl, void *ssl_ctx, void *userptr)
{
    (void)curl;
    pthread_once(&capture_once, capture_index_init);
    if (capture_index < 0)
        return CURLE_SSL_CERTPROBLEM;
    SSL_CTX *ctx = ssl_ctx;
    struct cert_capture *c = userptr;
    if (c->store) {
        if (X509_STORE_up_ref(c->store) != 1)
            return CURLE_OUT_OF_MEMORY;
        SSL_CTX_set_cert_store(ctx, c->store); /* takes the reference, frees the empty one */
    }
    SSL_CTX_set_ex_data(ctx, capture_index, userptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    return CURLE_OK;
}

int cert_most_significant(const int *errors, int n)
{
    int best = 0;
    enum sts_category best_cat = STS_CAT_COUNT;
    for (int i = 0; i < n; i++) {
        enum sts_category cat = sts_cert_category(errors[i]);
        if (cat < best_cat) {
            best = errors[i];
            best_cat = cat;
        }
    }
    return best;
}

int cert_capture_finish(struct cert_capture *c)
{
    /* A name mismatch counts only on a chain that verified (docs/taxonomy.md). */
    if (c->leaf_seen && !c->facts.name_matches && c->n_errors == 0)
        add_error(c, X509_V_ERR_HOSTNAME_MISMATCH);
    c->facts.verify_code = cert_most_significant(c->errors, c->n_errors);
    return c->facts.verify_code;
}

void *cert_store_new(const char *ca_file, char *err, size_t errlen)
{
    X509_STORE *store = X509_STORE_new();
    if (!store) {
        snprintf(err, errlen, "out of memory for the certificate store");
        return NULL;
    }
    int ok = ca_file ? X509_STORE_load_file(store, ca_file) : X509_STORE_set_default_paths(store);
    if (ok != 1) {
        snprintf(err, errlen, "cannot load CA certificates from %s",
                 ca_file ? ca_file : "the system's default locations");
        X509_STORE_free(store);
        return NULL;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    return store;
}

void cert_store_free(void *store)
{
    X509_STORE_free(store);
}

/* Collects every error of a chain verification (the capture rides in the context's app
 * data), continuing past each so that all are seen. */
static int peer_verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
    struct cert_capture *c = X509_STORE_CTX_get_app_data(x);
    if (c && !preverify_ok)
        add_error(c, X509_STORE_CTX_get_error(x));
    return 1;
}

int cert_verify_peer(void *store, void *leaf, void *chain, const char *host,
                     struct sts_cert_facts *f)
{
    struct cert_capture c;
    memset(&c, 0, sizeof c);
    snprintf(c.host, sizeof c.host, "%s", host);
    memset(f, 0, sizeof *f);
    if (!leaf)
        return 0;
    cert_facts_from_leaf(&c.facts, leaf, host);
    STACK_OF(X509) *sent = chain;
    c.facts.chain_len = sent ? sk_X509_num(sent) : 1;
    c.leaf_seen = true;
    X509_STORE_CTX *x = X509_STORE_CTX_new();
    if (!x || !store || X509_STORE_CTX_init(x, store, leaf, sent) != 1) {
        add_error(&c, X509_V_ERR_UNSPECIFIED);
    } else {
        X509_STORE_CTX_set_default(x, "ssl_server");
        X509_STORE_CTX_set_app_data(x, &c);
        X509_STORE_CTX_set_verify_cb(x, peer_verify_cb);
        if (X509_verify_cert(x) <= 0 && c.n_errors == 0)
            add_error(&c, X509_STORE_CTX_get_error(x) ? X509_STORE_CTX_get_error(x)
                                                      : X509_V_ERR_UNSPECIFIED);
    }
    X509_STORE_CTX_free(x);
    cert_capture_finish(&c);
    *f = c.facts;
    return f->verify_code;
}
