/* The SMTP stage of one worker: MX host lookups (A/AAAA, TLSA with the AD bit) and a small
 * non-blocking SMTP client (greeting, EHLO, STARTTLS, TLS with PKIX and DANE verdicts, QUIT). */
#include "scanner/engine/smtp_stage.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rules/sts_smtp_reply.h"
#include "rules/sts_tlsa.h"
#include "scanner/engine/addr_policy.h"
#include "scanner/engine/cert_facts.h"
#include "scanner/engine/dns_stage.h"
#include "scanner/engine/mx_table.h"
#include "scanner/engine/ratelimit.h"
#include "scanner/engine/scan_state.h"

#define SMTP_EDNS_SIZE 1232
#define SMTP_RETRY_MS 20 /* connections held back by a limit are looked at again this often */
#define SMTP_DNS_MAX_OUTSTANDING 256 /* lookups of this stage sent and not answered */
#define SMTP_OUT_MAX 320             /* one command: EHLO with a 255-byte name fits */

enum mx_qkind { MXQ_A = 0, MXQ_AAAA, MXQ_TLSA, MXQ_COUNT };

struct mx_query {
    struct mx_job *job;
    enum mx_qkind kind;
    struct mx_query *next;
};

struct job_tlsa {
    uint8_t usage, selector, mtype;
    uint8_t *data;
    size_t len;
};

/* One host under way in this worker; freed when the host is done. */
struct mx_job {
    struct smtp_stage *stage;
    struct sts_mx_probe *p; /* written only by this job until mx_table_done */
    unsigned checks;
    struct mx_query q[MXQ_COUNT];
    int dns_pending;
    uint8_t family[STS_MX_PROBE_MAX_ADDRS];
    uint8_t bytes[STS_MX_PROBE_MAX_ADDRS][16];
    bool allowed[STS_MX_PROBE_MAX_ADDRS];
    struct job_tlsa tlsa[STS_TLSA_MAX];
    size_t n_tlsa;   /* usable records kept for the handshake */
    bool dane_ready; /* validated, usable TLSA: every handshake is matched against them */
    bool tlsa_cut;   /* more usable records than kept: a mismatch proves nothing */
    size_t next_start;
    int64_t queued_ms; /* when its connections were first queued: --per-ip-wait counts from it */
    int conns_open;
    bool attempted, reached;
    bool in_start;
    struct mx_job *start_next;
    struct mx_job *prev, *next; /* stage->jobs */
};

enum conn_state { C_FREE = 0, C_CONNECT, C_GREETING, C_EHLO, C_STARTTLS, C_TLS };

struct smtp_conn {
    enum conn_state st;
    int fd;
    unsigned watching;
    struct mx_job *job;
    size_t ai; /* index into job->p->addrs */
    SSL *ssl;
    bool dane; /* TLSA records were added to this handshake */
    int64_t deadline, started;
    char in[STS_SMTP_REPLY_BYTES];
    size_t in_len;
    char out[SMTP_OUT_MAX];
    size_t out_len, out_off;
};

/* ---- the TLS context ------------------------------------------------------------------- */

void *smtp_ssl_ctx_new(void *store, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "OpenSSL: cannot create the SMTP TLS context");
        return NULL;
    }
    /* An old server must be seen and classified (mx_tls_old), not fail the handshake. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    bool ok = SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") == 1;
    /* The handshake never fails on verification: the PKIX verdict is computed after it from
     * the presented chain, the DANE verdict read from OpenSSL's DANE state. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (ok && store && X509_STORE_up_ref(store) == 1)
        SSL_CTX_set_cert_store(ctx, store);
    ok = ok && SSL_CTX_dane_enable(ctx) > 0;
    if (!ok) {
        snprintf(err, errlen, "OpenSSL: cannot set up the SMTP TLS context (ciphers or DANE)");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void smtp_ssl_ctx_free(void *ctx)
{
    SSL_CTX_free(ctx);
}

/* ---- setup ------------------------------------------------------------------------------ */

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct smtp_stage *s = data;
    unsigned ev = (readable ? EVL_READ : 0) | (writable ? EVL_WRITE : 0);
    evl_watch(s->loop, fd, EVL_OWNER_MXDNS, ev);
}

int smtp_stage_init(struct smtp_stage *s, struct evl *loop, const struct scan_config *cfg,
                    struct scan_stats *stats, struct ratelimit *qps, struct ratelimit_perip *perip,
                    void *store, void *ssl_ctx, struct mx_table *table, size_t max_conns, char *err,
                    size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->cfg = cfg;
    s->stats = stats;
    s->qps = qps;
    s->perip = perip;
    s->store = store;
    s->ssl_ctx = ssl_ctx;
    s->table = table;
    s->max_conns = max_conns ? max_conns : 1;
    s->conns = calloc(s->max_conns, sizeof *s->conns);
    if (!s->conns) {
        snprintf(err, errlen, "out of memory for %zu SMTP probes", s->max_conns);
        return -1;
    }
    struct ares_options opt;
    memset(&opt, 0, sizeof opt);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
               ARES_OPT_EDNSPSZ;
    /* As the DNS stage; c-ares retries timeouts itself here (few lookups, one per host). */
    opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    opt.timeout = (int)(cfg->dns_timeout_s * 1000);
    if (opt.timeout < 50)
        opt.timeout = 50;
    opt.tries = cfg->dns_tries > 0 ? cfg->dns_tries : 1;
    opt.ednspsz = SMTP_EDNS_SIZE;
    opt.sock_state_cb = sock_state_cb;
    opt.sock_state_cb_data = s;
    if (cfg->n_resolvers > 1)
        mask |= ARES_OPT_ROTATE;
    int rc = ares_init_options(&s->channel, &opt, mask);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: cannot initialise the MX resolver: %s", ares_strerror(rc));
        s->channel = NULL;
        return -1;
    }
    if (dns_channel_servers(s->channel, cfg, err, errlen) < 0)
        return -1;
    return 0;
}

static void job_free(struct smtp_stage *s, struct mx_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        s->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    for (size_t i = 0; i < j->n_tlsa; i++)
        free(j->tlsa[i].data);
    free(j);
}

static void conn_release(struct smtp_stage *s, struct smtp_conn *c)
{
    if (c->fd >= 0) {
        evl_watch(s->loop, c->fd, EVL_OWNER_SMTP, 0);
        close(c->fd);
    }
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->job && s->perip)
        ratelimit_perip_release(s->perip, c->job->family[c->ai], c->job->bytes[c->ai]);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->st = C_FREE;
    s->n_active--;
    __atomic_fetch_sub(&s->stats->smtp_inflight, 1, __ATOMIC_RELAXED);
}

void smtp_stage_close(struct smtp_stage *s)
{
    s->stopping = true;
    if (s->conns)
        for (size_t i = 0; i < s->max_conns; i++)
            if (s->conns[i].st != C_FREE)
                conn_release(s, &s->conns[i]);
    free(s->conns);
    s->conns = NULL;
    if (s->channel)
        ares_destroy(s->channel); /* callbacks see ARES_EDESTRUCTION and return */
    s->channel = NULL;
    while (s->jobs)
        job_free(s, s->jobs);
}

/* ---- finishing a host ------------------------------------------------------------------ */

static void job_finish(struct smtp_stage *s, struct mx_job *j)
{
    struct sts_mx_probe *p = j->p;
    p->smtp = sts_smtp_host_outcome(p);
    p->dane = sts_dane_host_outcome(p);
    bool attempted = j->attempted, reached = j->reached;
    job_free(s, j);
    mx_table_done(s->table, p, attempted, reached);
}

static void job_check_done(struct smtp_stage *s, struct mx_job *j)
{
    if (j->dns_pending == 0 && !j->in_start && j->conns_open == 0 && j->next_start >= j->p->n_addrs)
        job_finish(s, j);
}

/* ---- DNS ------------------------------------------------------------------------------- */

static void add_address(struct mx_job *j, int family, const void *bytes)
{
    struct sts_mx_probe *p = j->p;
    if (p->n_addrs >= STS_MX_PROBE_MAX_ADDRS) {
        p->n_addrs_dropped++;
        return;
    }
    size_t i = p->n_addrs++;
    struct sts_smtp_addr_probe *a = &p->addrs[i];
    j->family[i] = (uint8_t)family;
    memcpy(j->bytes[i], bytes, family == AF_INET6 ? 16 : 4);
    if (!inet_ntop(family, bytes, a->addr, sizeof a->addr))
        snprintf(a->addr, sizeof a->addr, "?");
    a->time_ms = -1;
    const char *why = addr_policy_reason(j->stage->cfg->addrs, family, bytes);
    j->allowed[i] = why == NULL;
    if (why) {
        a->outcome = STS_SMTP_ADDRESS_REFUSED; /* never contacted */
        snprintf(a->detail, sizeof a->detail, "address refused by the address policy: %s", why);
    }
}

static void parse_addrs(struct mx_job *j, enum mx_qkind kind, const unsigned char *abuf, int alen)
{
    struct hostent *he = NULL;
    int family = kind == MXQ_A ? AF_INET : AF_INET6;
    int rc = family == AF_INET ? ares_parse_a_reply(abuf, alen, &he, NULL, NULL)
                               : ares_parse_aaaa_reply(abuf, alen, &he, NULL, NULL);
    if (rc != ARES_SUCCESS)
        return;
    for (char **a = he->h_addr_list; a && *a; a++)
        add_address(j, family, *a);
    ares_free_hostent(he);
}

/* The TLSA answer's header and records; usable ones are copied for the handshakes. */
static void parse_tlsa(struct mx_job *j, const unsigned char *abuf, int alen)
{
    struct sts_tlsa_answer a;
    int rc = sts_tlsa_parse(abuf, (size_t)alen, &a);
    struct sts_mx_probe *p = j->p;
    p->tlsa_rcode = a.rcode;
    p->tlsa_ad = a.ad;
    if (rc < 0) {
        p->n_tlsa = p->n_tlsa_usable = 0; /* malformed: as if no answer */
        return;
    }
    p->n_tlsa = a.n_tlsa;
    p->n_tlsa_usable = a.n_usable;
    if (a.rcode != 0 || !a.ad)
        return;
    for (size_t i = 0; i < a.n_kept && j->n_tlsa < STS_TLSA_MAX; i++) {
        if (!sts_tlsa_usable(&a.rr[i]))
            continue;
        struct job_tlsa *t = &j->tlsa[j->n_tlsa];
        t->data = malloc(a.rr[i].len);
        if (!t->data)
            break;
        memcpy(t->data, a.rr[i].data, a.rr[i].len);
        t->len = a.rr[i].len;
        t->usage = a.rr[i].usage;
        t->selector = a.rr[i].selector;
        t->mtype = a.rr[i].mtype;
        j->n_tlsa++;
    }
    j->dane_ready = j->n_tlsa > 0;
    j->tlsa_cut = a.n_usable > j->n_tlsa;
}

static void start_connections(struct smtp_stage *s, struct mx_job *j);

/* Every lookup is in: connect to the allowed addresses (SMTP), or finish (DANE only). */
static void lookups_done(struct smtp_stage *s, struct mx_job *j)
{
    struct sts_mx_probe *p = j->p;
    if (!(j->checks & SCAN_CHECK_SMTP)) {
        j->next_start = p->n_addrs;
        job_check_done(s, j);
        return;
    }
    p->smtp_checked = true;
    /* An AAAA ending in a refused A of the same host is refused too (a DNS64 through a prefix
     * the policy does not know); judged once both answers are in. */
    bool was[STS_MX_PROBE_MAX_ADDRS];
    memcpy(was, j->allowed, sizeof was);
    if (addr_policy_refuse_hidden_v4(j->family, (const uint8_t(*)[16])j->bytes, j->allowed,
                                     p->n_addrs) > 0)
        for (size_t i = 0; i < p->n_addrs; i++)
            if (was[i] && !j->allowed[i]) {
                p->addrs[i].outcome = STS_SMTP_ADDRESS_REFUSED; /* never contacted */
                snprintf(p->addrs[i].detail, sizeof p->addrs[i].detail,
                         "address refused: its last 32 bits are a refused IPv4 address of the "
                         "same host");
            }
    bool blocked = mx_table_port25(s->table) == SCAN_PORT25_BLOCKED;
    for (size_t i = 0; i < p->n_addrs; i++)
        if (j->allowed[i] && blocked) {
            p->addrs[i].outcome = STS_SMTP_UNREACHABLE; /* not tried: port 25 is blocked */
            j->allowed[i] = false;
        }
    start_connections(s, j);
}

static void dns_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct mx_query *q = arg;
    struct mx_job *j = q->job;
    struct smtp_stage *s = j->stage;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || s->stopping)
        return;
    s->dns_outstanding--;
    __atomic_fetch_sub(&s->stats->dns_inflight, 1, __ATOMIC_RELAXED);
    if (q->kind == MXQ_TLSA) {
        if (status == ARES_SUCCESS && abuf && alen > 0)
            parse_tlsa(j, abuf, alen);
        else /* timeout or transport error: not answered */
            j->p->tlsa_rcode = status == ARES_ESERVFAIL ? 2 : -1;
    } else if (status == ARES_SUCCESS && abuf && alen > 0) {
        parse_addrs(j, q->kind, abuf, alen);
    }
    if (--j->dns_pending == 0)
        lookups_done(s, j);
}

static void dns_send(struct smtp_stage *s, struct mx_query *q)
{
    char name[300];
    struct mx_job *j = q->job;
    s->dns_outstanding++;
    __atomic_fetch_add(&s->stats->dns_inflight, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->dns_queries, 1, __ATOMIC_RELAXED);
    if (q->kind != MXQ_TLSA) {
        ares_query(s->channel, j->p->host, ns_c_in, q->kind == MXQ_A ? ns_t_a : ns_t_aaaa, dns_cb,
                   q);
        return;
    }
    __atomic_fetch_add(&s->stats->tlsa_queries, 1, __ATOMIC_RELAXED);
    /* c-ares 1.18's ares_query cannot ask for DNSSEC: the query is built here with EDNS and
     * the AD bit set (RFC 6840 5.7), so that a validating resolver says whether it validated
     * the answer; ares_send delivers the raw answer, RCODE and AD bit included. */
    unsigned char *buf = NULL;
    int len = 0;
    int n = snprintf(name, sizeof name, "_25._tcp.%s", j->p->host);
    if (n <= 0 || n > 253 ||
        ares_create_query(name, ns_c_in, STS_DNS_TYPE_TLSA, 0, 1, &buf, &len, SMTP_EDNS_SIZE) !=
            ARES_SUCCESS ||
        len < 12) {
        if (buf)
            ares_free_string(buf);
        dns_cb(q, ARES_EBADNAME, 0, NULL, 0); /* counted above, uncounted there */
        return;
    }
    buf[3] |= 0x20; /* AD */
    ares_send(s->channel, buf, len, dns_cb, q);
    ares_free_string(buf);
}

static void dns_enqueue(struct smtp_stage *s, struct mx_query *q)
{
    q->next = NULL;
    if (s->dns_tail)
        s->dns_tail->next = q;
    else
        s->dns_head = q;
    s->dns_tail = q;
}

void smtp_stage_probe(struct smtp_stage *s, struct sts_mx_probe *p, unsigned checks)
{
    struct mx_job *j = calloc(1, sizeof *j);
    if (!j) { /* a local failure: the host is recorded as not probed, the scan goes on */
        mx_table_done(s->table, p, false, false);
        return;
    }
    j->stage = s;
    j->p = p;
    j->checks = checks;
    p->dane_checked = (checks & SCAN_CHECK_DANE) != 0;
    p->tlsa_rcode = -1;
    j->next = s->jobs;
    if (s->jobs)
        s->jobs->prev = j;
    s->jobs = j;
    for (int k = 0; k < MXQ_COUNT; k++) {
        if (k == MXQ_TLSA && !(checks & SCAN_CHECK_DANE))
            continue;
        j->q[k].job = j;
        j->q[k].kind = (enum mx_qkind)k;
        j->dns_pending++;
        dns_enqueue(s, &j->q[k]);
    }
}

/* ---- the SMTP client ------------------------------------------------------------------- */

static struct sts_smtp_addr_probe *conn_addr(struct smtp_conn *c)
{
    return &c->job->p->addrs[c->ai];
}

static void conn_watch(struct smtp_stage *s, struct smtp_conn *c, unsigned ev)
{
    if (c->watching != ev && evl_watch(s->loop, c->fd, EVL_OWNER_SMTP, ev) == 0)
        c->watching = ev;
}

static void conn_deadline(struct smtp_stage *s, struct smtp_conn *c)
{
    c->deadline = evl_now_ms() + (int64_t)(s->cfg->smtp_timeout_s * 1000);
}

/* Ends the probe of one address with its outcome; detail as printf (remote bytes are kept
 * as received: every output escapes them). */
static void conn_end(struct smtp_stage *s, struct smtp_conn *c, enum sts_smtp_outcome o,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void conn_end(struct smtp_stage *s, struct smtp_conn *c, enum sts_smtp_outcome o,
                     const char *fmt, ...)
{
    struct sts_smtp_addr_probe *a = conn_addr(c);
    a->outcome = o;
    a->time_ms = (int)(evl_now_ms() - c->started);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->detail, sizeof a->detail, fmt, ap);
        va_end(ap);
    }
    /* A polite goodbye where the session is still in plain text; never waited for. */
    if (c->st == C_GREETING || c->st == C_EHLO || c->st == C_STARTTLS) {
        ssize_t w = send(c->fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
    }
    struct mx_job *j = c->job;
    conn_release(s, c);
    j->conns_open--;
    job_check_done(s, j);
}

static bool conn_flush(struct smtp_stage *s, struct smtp_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w =
            send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c->out_off += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_watch(s, c, EVL_READ | EVL_WRITE);
            return true;
        }
        return false;
    }
    conn_watch(s, c, EVL_READ);
    return true;
}

static void conn_send(struct smtp_stage *s, struct smtp_conn *c, enum conn_state next,
                      const char *cmd)
{
    int n = snprintf(c->out, sizeof c->out, "%s\r\n", cmd);
    c->out_len = n > 0 && (size_t)n < sizeof c->out ? (size_t)n : 0;
    c->out_off = 0;
    c->st = next;
    conn_deadline(s, c);
    if (!conn_flush(s, c)) {
        enum sts_smtp_outcome o = next == C_STARTTLS ? STS_SMTP_STARTTLS_FAILED : STS_SMTP_REFUSED;
        conn_end(s, c, o, "connection lost sending %s: %s", cmd, strerror(errno));
    }
}

static const char *tls_error_text(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "TLS handshake failed";
    ERR_error_string_n(e, buf, len);
    return buf;
}

/* The handshake is complete: the PKIX verdict from the presented chain (independent of DANE),
 * the DANE verdict from OpenSSL's DANE state, then QUIT. */
static void tls_done(struct smtp_stage *s, struct smtp_conn *c)
{
    struct sts_smtp_addr_probe *a = conn_addr(c);
    const char *host = c->job->p->host;
    snprintf(a->tls_version, sizeof a->tls_version, "%s", SSL_get_version(c->ssl));
    const char *cipher = SSL_get_cipher_name(c->ssl);
    snprintf(a->cipher, sizeof a->cipher, "%s", cipher ? cipher : "");
    X509 *leaf = SSL_get0_peer_certificate(c->ssl);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
    cert_verify_peer(s->store, leaf, chain, host, &a->cert);
    /* A mismatch against a cut record set is not a mismatch: said as not verified. */
    if (c->dane) {
        bool matched = SSL_get0_dane_authority(c->ssl, NULL, NULL) >= 0;
        a->dane = matched            ? STS_DANE_VALID
                  : c->job->tlsa_cut ? STS_DANE_NOT_VERIFIED
                                     : STS_DANE_MISMATCH;
    }
    enum sts_smtp_outcome o = sts_smtp_tls_outcome(&a->cert, a->tls_version, (int64_t)time(NULL));
    ERR_clear_error();
    int w = SSL_write(c->ssl, "QUIT\r\n", 6); /* best effort, not waited for */
    (void)w;
    /* the version and cipher have fields of their own: the detail is the verification */
    conn_end(s, c, o, "certificate verification: %s",
             a->cert.verify_code ? X509_verify_cert_error_string(a->cert.verify_code) : "ok");
}

static void tls_step(struct smtp_stage *s, struct smtp_conn *c)
{
    ERR_clear_error();
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        tls_done(s, c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        conn_watch(s, c, EVL_READ);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        conn_watch(s, c, EVL_WRITE);
        return;
    }
    char buf[160];
    conn_end(s, c, STS_SMTP_STARTTLS_FAILED, "TLS handshake failed: %s",
             tls_error_text(buf, sizeof buf));
}

static void tls_start(struct smtp_stage *s, struct smtp_conn *c)
{
    const char *host = c->job->p->host;
    c->ssl = SSL_new(s->ssl_ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_set_tlsext_host_name(c->ssl, host) != 1) {
        conn_end(s, c, STS_SMTP_STARTTLS_FAILED, "local TLS setup failed");
        return;
    }
    struct mx_job *j = c->job;
    if (j->dane_ready && SSL_dane_enable(c->ssl, host) > 0) {
        /* RFC 7672 3.1.1: DANE-EE(3) matches the key whatever names the certificate has. */
        SSL_dane_set_flags(c->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
        int added = 0;
        for (size_t i = 0; i < j->n_tlsa; i++)
            if (SSL_dane_tlsa_add(c->ssl, j->tlsa[i].usage, j->tlsa[i].selector, j->tlsa[i].mtype,
                                  j->tlsa[i].data, j->tlsa[i].len) > 0)
                added++;
        c->dane = added > 0;
    }
    c->st = C_TLS;
    c->in_len = 0; /* bytes after the 220 are discarded: no plaintext injection (CVE-2011-0411) */
    conn_deadline(s, c);
    tls_step(s, c);
}

/* A complete reply in the current state. */
static void on_reply(struct smtp_stage *s, struct smtp_conn *c, const struct sts_smtp_reply *r)
{
    struct sts_smtp_addr_probe *a = conn_addr(c);
    a->reply_code = r->code;
    switch (c->st) {
    case C_GREETING:
        if (r->code != 220) {
            conn_end(s, c, STS_SMTP_REFUSED, "greeting %d %s", r->code, r->text);
            return;
        }
        char cmd[SMTP_OUT_MAX];
        snprintf(cmd, sizeof cmd, "EHLO %s", s->cfg->ehlo_name);
        conn_send(s, c, C_EHLO, cmd);
        return;
    case C_EHLO:
        if (r->code != 250) {
            conn_end(s, c, STS_SMTP_REFUSED, "EHLO answered %d %s", r->code, r->text);
            return;
        }
        a->starttls_offered = r->starttls;
        if (!r->starttls) {
            conn_end(s, c, STS_SMTP_STARTTLS_NOT_OFFERED, "EHLO lists no STARTTLS");
            return;
        }
        conn_send(s, c, C_STARTTLS, "STARTTLS");
        return;
    case C_STARTTLS:
        if (r->code != 220) {
            conn_end(s, c, STS_SMTP_STARTTLS_FAILED, "STARTTLS answered %d %s", r->code, r->text);
            return;
        }
        tls_start(s, c);
        return;
    default:
        return;
    }
}

static void on_bad_reply(struct smtp_stage *s, struct smtp_conn *c, const char *why)
{
    enum sts_smtp_outcome o = c->st == C_STARTTLS ? STS_SMTP_STARTTLS_FAILED : STS_SMTP_REFUSED;
    const char *step = c->st == C_GREETING ? "greeting" : c->st == C_EHLO ? "EHLO" : "STARTTLS";
    conn_end(s, c, o, "%s: %s", step, why);
}

static void conn_read(struct smtp_stage *s, struct smtp_conn *c)
{
    for (;;) {
        if (c->in_len >= sizeof c->in) {
            on_bad_reply(s, c, "reply longer than 8192 bytes");
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
        if (n == 0) {
            on_bad_reply(s, c, "connection closed by the server");
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            on_bad_reply(s, c, strerror(errno));
            return;
        }
        c->in_len += (size_t)n;
        struct sts_smtp_reply r;
        enum sts_smtp_reply_status st = sts_smtp_reply_parse(c->in, c->in_len, &r);
        if (st == STS_SMTP_REPLY_INCOMPLETE)
            continue;
        if (st == STS_SMTP_REPLY_BAD) {
            on_bad_reply(s, c, r.error);
            return;
        }
        memmove(c->in, c->in + r.consumed, c->in_len - r.consumed);
        c->in_len -= r.consumed;
        on_reply(s, c, &r);
        return; /* the state changed (or the slot was released): wait for the next event */
    }
}

static void conn_connected(struct smtp_stage *s, struct smtp_conn *c)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr == EINPROGRESS)
        return;
    if (soerr != 0) {
        conn_end(s, c, STS_SMTP_CONNECT_FAILED, "connect: %s", strerror(soerr));
        return;
    }
    c->job->reached = true;
    c->st = C_GREETING;
    conn_deadline(s, c);
    conn_watch(s, c, EVL_READ);
}

void smtp_stage_io(struct smtp_stage *s, int fd, unsigned events)
{
    struct smtp_conn *c = NULL;
    for (size_t i = 0; i < s->max_conns && !c; i++)
        if (s->conns[i].st != C_FREE && s->conns[i].fd == fd)
            c = &s->conns[i];
    if (!c)
        return;
    switch (c->st) {
    case C_CONNECT:
        conn_connected(s, c);
        return;
    case C_TLS:
        tls_step(s, c);
        return;
    default:
        if ((events & EVL_WRITE) && c->out_off < c->out_len && !conn_flush(s, c)) {
            on_bad_reply(s, c, strerror(errno));
            return;
        }
        if (events & EVL_READ)
            conn_read(s, c);
        return;
    }
}

enum open_result {
    OPEN_STARTED, /* the probe of the address is under way (or already ended) */
    OPEN_NO_SLOT, /* every --smtp-conns slot is busy: try again later */
    OPEN_PER_IP   /* the per-IP limits hold it back: try again later, within --per-ip-wait */
};

/* Opens the connection to address i of j, unless a limit holds it back. */
static enum open_result conn_open(struct smtp_stage *s, struct mx_job *j, size_t i)
{
    struct smtp_conn *c = NULL;
    for (size_t k = 0; k < s->max_conns && !c; k++)
        if (s->conns[k].st == C_FREE)
            c = &s->conns[k];
    if (!c)
        return OPEN_NO_SLOT;
    if (s->perip && !ratelimit_perip_acquire(s->perip, j->family[i], j->bytes[i]))
        return OPEN_PER_IP;
    memset(c, 0, sizeof *c);
    c->job = j;
    c->ai = i;
    c->started = evl_now_ms();
    c->st = C_CONNECT;
    s->n_active++;
    j->conns_open++;
    j->attempted = true;
    __atomic_fetch_add(&s->stats->smtp_inflight, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->smtp_conns_made, 1, __ATOMIC_RELAXED);
    int family = j->family[i];
    c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        /* A local failure (out of descriptors): not the host's fault, so not recorded as a
         * connect failure of the host, and not evidence about port 25. */
        j->attempted = false;
        conn_end(s, c, STS_SMTP_NOT_PROBED, "local error: socket: %s", strerror(errno));
        return OPEN_STARTED;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (family == AF_INET6) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(25);
        memcpy(&sa->sin6_addr, j->bytes[i], 16);
        sl = sizeof *sa;
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        sa->sin_family = AF_INET;
        sa->sin_port = htons(25);
        memcpy(&sa->sin_addr, j->bytes[i], 4);
        sl = sizeof *sa;
    }
    conn_deadline(s, c);
    if (connect(c->fd, (struct sockaddr *)&ss, sl) == 0) {
        conn_connected(s, c);
    } else if (errno == EINPROGRESS) {
        conn_watch(s, c, EVL_WRITE);
    } else {
        conn_end(s, c, STS_SMTP_CONNECT_FAILED, "connect: %s", strerror(errno));
    }
    return OPEN_STARTED;
}

/* Address i of j waited past --per-ip-wait for its turn: the probe is not made, and the
 * address says so (never a failure of the host: the wait is the scan's throttle). Not an
 * attempt either, so it is no evidence about port 25. */
static void waited_out(struct smtp_stage *s, struct mx_job *j, size_t i, int64_t waited_ms)
{
    struct sts_smtp_addr_probe *a = &j->p->addrs[i];
    a->outcome = STS_SMTP_PER_IP_WAIT;
    snprintf(a->detail, sizeof a->detail,
             "not checked: waited %.1f s for a turn at this address (--per-ip %g/s, "
             "--per-ip-conns %d, --per-ip-wait %g s); no connection made",
             (double)waited_ms / 1000.0, s->cfg->per_ip, s->cfg->per_ip_conns,
             s->cfg->per_ip_wait_s);
    __atomic_fetch_add(&s->stats->smtp_per_ip_waits, 1, __ATOMIC_RELAXED);
}

static void start_connections(struct smtp_stage *s, struct mx_job *j)
{
    if (!j->queued_ms)
        j->queued_ms = evl_now_ms();
    if (!j->in_start) {
        j->in_start = true;
        j->start_next = s->start_head;
        s->start_head = j;
    }
}

/* Starts what the limits allow; returns true when something is still held back. */
static bool pump_connections(struct smtp_stage *s)
{
    bool held = false;
    struct mx_job **pp = &s->start_head;
    while (*pp && !s->stopping) {
        struct mx_job *j = *pp;
        while (j->next_start < j->p->n_addrs) {
            size_t i = j->next_start;
            if (!j->allowed[i]) {
                j->next_start++;
                continue;
            }
            enum open_result r = s->n_active >= s->max_conns ? OPEN_NO_SLOT : conn_open(s, j, i);
            int64_t waited = evl_now_ms() - j->queued_ms;
            if (r == OPEN_PER_IP && waited > (int64_t)(s->cfg->per_ip_wait_s * 1000)) {
                /* a probe never waits forever for its turn at a busy address */
                waited_out(s, j, i, waited);
                j->next_start++;
                continue;
            }
            if (r != OPEN_STARTED) {
                held = true;
                break;
            }
            j->next_start++;
        }
        if (j->next_start >= j->p->n_addrs) {
            *pp = j->start_next;
            j->in_start = false;
            job_check_done(s, j); /* frees j when nothing is open */
        } else {
            pp = &j->start_next;
        }
        if (s->n_active >= s->max_conns)
            return true;
    }
    return held;
}

int smtp_stage_pump(struct smtp_stage *s)
{
    int wait = -1;
    size_t cap = SMTP_DNS_MAX_OUTSTANDING;
    if (s->window && dns_window_get(s->window) < cap)
        cap = dns_window_get(s->window);
    while (s->dns_head && !s->stopping && s->dns_outstanding < cap) {
        if (s->qps && !ratelimit_take(s->qps, ratelimit_now_ns())) {
            uint64_t ns = ratelimit_wait_ns(s->qps, ratelimit_now_ns());
            wait = (int)((ns + 999999) / 1000000);
            break;
        }
        struct mx_query *q = s->dns_head;
        s->dns_head = q->next;
        if (!s->dns_head)
            s->dns_tail = NULL;
        dns_send(s, q);
    }
    if (pump_connections(s) && (wait < 0 || wait > SMTP_RETRY_MS))
        wait = SMTP_RETRY_MS;
    return wait;
}

void smtp_stage_dns_io(struct smtp_stage *s, int fd, unsigned events)
{
    ares_process_fd(s->channel, (events & EVL_READ) ? fd : ARES_SOCKET_BAD,
                    (events & EVL_WRITE) ? fd : ARES_SOCKET_BAD);
}

void smtp_stage_timeouts(struct smtp_stage *s, int64_t now_ms)
{
    if (s->dns_outstanding)
        ares_process_fd(s->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    for (size_t i = 0; i < s->max_conns; i++) {
        struct smtp_conn *c = &s->conns[i];
        if (c->st == C_FREE || c->deadline > now_ms)
            continue;
        static const char *const step[] = {"",           "connect",        "greeting",
                                           "EHLO reply", "STARTTLS reply", "TLS handshake"};
        conn_end(s, c, STS_SMTP_TIMEOUT, "no %s within %gs", step[c->st], s->cfg->smtp_timeout_s);
    }
}

int smtp_stage_next_timeout_ms(struct smtp_stage *s, int64_t now_ms)
{
    int best = -1;
    if (s->dns_outstanding) {
        struct timeval max = {3600, 0}, tv;
        struct timeval *p = ares_timeout(s->channel, &max, &tv);
        if (p)
            best = (int)(p->tv_sec * 1000 + (p->tv_usec + 999) / 1000);
    }
    for (size_t i = 0; i < s->max_conns; i++) {
        const struct smtp_conn *c = &s->conns[i];
        if (c->st == C_FREE)
            continue;
        int ms = c->deadline <= now_ms ? 0 : (int)(c->deadline - now_ms);
        if (best < 0 || ms < best)
            best = ms;
    }
    return best;
}
