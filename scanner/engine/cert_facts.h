/* Certificate facts from OpenSSL during the policy fetch, recorded even when verification
 * fails: every verify error, the leaf's dates, issuer and name match, the chain length. */
#ifndef CERT_FACTS_H
#define CERT_FACTS_H

#include <curl/curl.h>
#include <stdbool.h>

#include "rules/sts_classify.h"

#define CERT_MAX_ERRORS 8

/* One fetch's capture; the ssl-ctx callback's user pointer. */
struct cert_capture {
    char host[256];              /* the name the certificate must cover */
    struct sts_cert_facts facts; /* verify_code set by cert_capture_finish() */
    int errors[CERT_MAX_ERRORS]; /* distinct X509_V_* errors seen, in order */
    int n_errors;
    bool leaf_seen;
    char tls_version[16]; /* "TLSv1.3", "" when the handshake did not get there */
    void *store;          /* X509_STORE to verify against (cert_store_new), or NULL */
    char *pem;            /* when not NULL: the chain the server sent, PEM, NUL-terminated */
    size_t pem_cap;       /* size of pem (owned by the caller, kept across resets) */
    size_t pem_len;       /* 0: not captured (or it did not fit) */
};

/* Chains longer than this are not kept (the facts still are). */
#define CERT_PEM_MAX 32768

/* The trust store, built once and shared by every connection of every worker (OpenSSL's
 * X509_STORE is safe for concurrent verification once built): ca_file, or the system's
 * default locations when NULL. Loading a CA bundle per connection costs milliseconds of CPU
 * each, more than the handshake. Flags as libcurl sets them (partial chains accepted).
 * Returns NULL with a message naming the file in err. */
void *cert_store_new(const char *ca_file, char *err, size_t errlen);
void cert_store_free(void *store);

/* Clears a capture for a new fetch of `host`: keeps only the pem buffer (and its size). */
void cert_capture_reset(struct cert_capture *c, const char *host);

/* CURLOPT_SSL_CTX_FUNCTION: installs the shared trust store (c->store) and a verify callback
 * on the connection's SSL_CTX that records facts into the cert_capture given as
 * CURLOPT_SSL_CTX_DATA. Verification itself is unchanged: OpenSSL's verdict stands, and
 * libcurl fails the transfer on any error. */
CURLcode cert_capture_ssl_ctx(CURL *curl, void *ssl_ctx, void *userptr);

/* Sets facts.verify_code to the most significant error (the one whose taxonomy category
 * comes first, docs/taxonomy.md), X509_V_ERR_HOSTNAME_MISMATCH when the chain verified but
 * the name does not match, or 0. Returns it. */
int cert_capture_finish(struct cert_capture *c);

/* Pure choice used by cert_capture_finish, exposed for tests. */
int cert_most_significant(const int *errors, int n);

/* The PKIX verdict of a chain a server presented, outside any handshake (the SMTP stage,
 * whose handshake verifies with DANE): verifies leaf (X509 *) with the untrusted chain
 * (STACK_OF(X509) *, may be NULL) against store (X509_STORE *) as an SSL server, collecting
 * every error; fills *f (facts of the leaf for `host`, chain length, verify_code by the same
 * ranking as cert_capture_finish, a name mismatch only on a chain that verified). Returns
 * f->verify_code. */
int cert_verify_peer(void *store, void *leaf, void *chain, const char *host,
                     struct sts_cert_facts *f);

/* Facts of one leaf certificate (X509 *), for tests and the capture. */
void cert_facts_from_leaf(struct sts_cert_facts *f, void *x509_leaf, const char *host);

#endif
