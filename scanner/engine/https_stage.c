/* The HTTPS stage of one worker: policy fetches on a libcurl multi handle driven by the
 * worker's event loop, one pinned address at a time, within the transfer and per-IP limits. */
#include "scanner/engine/https_stage.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/engine/addr_policy.h"
#include "scanner/engine/scan_state.h"
#include "scanner/engine/ratelimit.h"
#include "rules/sts_policy.h"
#include "lib/version.h"

/* How often fetches held back by the per-IP limit are looked at again. */
#define HTTPS_PERIP_RETRY_MS 20
/* Fetches examined per pump when the head is blocked by the per-IP limit. */
#define HTTPS_SCAN_WAITING 64

struct https_slot {
    CURL *easy;
    struct https_stage *stage;
    struct domain_task *task;
    struct cert_capture cert;
    char *body; /* STS_POLICY_MAX_BYTES */
    size_t body_len;
    bool too_large;
    size_t header_bytes;    /* response header bytes of this attempt */
    bool headers_too_large; /* HTTPS_HEADER_MAX reached: the transfer was aborted */
    bool blocked;           /* the open-socket guard refused the address */
    bool unpinned;          /* libcurl missed the pinned address and wanted to resolve: refused */
    int local_errno;        /* socket() failed for a local reason (EMFILE...): not the domain's */
    struct curl_slist *resolve;
    char host[TASK_DOMAIN_MAX + 16];
    char url[TASK_DOMAIN_MAX + 64];
    char errbuf[CURL_ERROR_SIZE];
    const struct task_addr *addr; /* the attempt's address, reserved in the per-IP map */
    struct https_slot *next_free;
};

void https_user_agent(char *buf, size_t buflen, const char *contact)
{
    if (contact && *contact)
        snprintf(buf, buflen, "mtasts/%s (+%s)", MTASTS_VERSION, contact);
    else
        snprintf(buf, buflen, "mtasts/%s (MTA-STS survey scanner)", MTASTS_VERSION);
}

/* ---- libcurl callbacks ---------------------------------------------------------------- */

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    struct https_stage *s = userp;
    unsigned ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= EVL_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= EVL_WRITE;
    evl_watch(s->loop, fd, EVL_OWNER_CURL, what == CURL_POLL_REMOVE ? 0 : ev);
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct https_stage *s = userp;
    s->timer_at = timeout_ms < 0 ? -1 : evl_now_ms() + timeout_ms;
    return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct https_slot *slot = userp;
    size_t n = size * nmemb;
    size_t room = STS_POLICY_MAX_BYTES - slot->body_len;
    if (n > room) {
        /* Keep what fits, then abort: an endless body must not keep the transfer alive. */
        memcpy(slot->body + slot->body_len, data, room);
        slot->body_len += room;
        slot->too_large = true;
        return 0;
    }
    memcpy(slot->body + slot->body_len, data, n);
    slot->body_len += n;
    return n;
}

bool https_header_fits(size_t *used, size_t n)
{
    if (n > HTTPS_HEADER_MAX || *used > HTTPS_HEADER_MAX - n)
        return false;
    *used += n;
    return true;
}

/* Counts header bytes only (curl_easy_header() still sees the headers): past the bound the
 * transfer is aborted, so a hostile header stream costs neither memory nor the full timeout. */
static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    struct https_slot *slot = userp;
    size_t n = size * nmemb;
    if (!https_header_fits(&slot->header_bytes, n)) {
        slot->headers_too_large = true;
        return 0;
    }
    return n;
}

/* Called by libcurl only when the host is not in its DNS cache, before any lookup: the pinned
 * CURLOPT_RESOLVE entry was missing. Refusing makes a lost pin fail closed instead of a
 * getaddrinfo() through the system's resolver (outside --resolver and the rate limit). */
static int resolver_start_cb(void *resolver_state, void *reserved, void *userp)
{
    (void)resolver_state;
    (void)reserved;
    struct https_slot *slot = userp;
    slot->unpinned = true;
    return 1;
}

long https_test_emfile;

static bool local_resource_errno(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS;
}

/* Last line of defence: whatever libcurl was about to connect to must be the pinned address
 * and allowed by the address policy; libcurl never resolves, but this does not rely on it. */
static curl_socket_t opensocket_cb(void *clientp, curlsocktype purpose,
                                   struct curl_sockaddr *address)
{
    struct https_slot *slot = clientp;
    (void)purpose;
    const struct sockaddr *sa = &address->addr;
    const void *bytes = NULL;
    if (sa->sa_family == AF_INET)
        bytes = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        bytes = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    const struct task_addr *want = slot->addr;
    bool pinned = bytes && want && sa->sa_family == want->family &&
                  memcmp(bytes, want->bytes, want->family == AF_INET6 ? 16 : 4) == 0;
    const struct addr_policy *pol = slot->stage->cfg->addrs;
    if (!pinned || !pol || !addr_policy_permits(pol, sa->sa_family, bytes)) {
        slot->blocked = true;
        return CURL_SOCKET_BAD;
    }
    if (https_test_emfile > 0 && __atomic_sub_fetch(&https_test_emfile, 1, __ATOMIC_RELAXED) >= 0) {
        slot->local_errno = EMFILE;
        return CURL_SOCKET_BAD;
    }
    curl_socket_t fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd == CURL_SOCKET_BAD && local_resource_errno(errno))
        slot->local_errno = errno;
    return fd;
}

/* ---- slots ----------------------------------------------------------------------------- */

static int slot_setup(struct https_stage *s, struct https_slot *slot)
{
    const struct scan_config *cfg = s->cfg;
    slot->stage = s;
    slot->body = malloc(STS_POLICY_MAX_BYTES);
    if (cfg->keep_cert_pem) {
        slot->cert.pem = malloc(CERT_PEM_MAX);
        slot->cert.pem_cap = slot->cert.pem ? CERT_PEM_MAX : 0;
    }
    slot->easy = curl_easy_init();
    if (!slot->body || !slot->easy)
        return -1;
    CURL *e = slot->easy;
    int rc = 0;
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    /* The policy host is observed directly, as a sender fetches it: https_proxy / ALL_PROXY
     * in the environment must not reroute (or, through the socket guard, fail) fetches. */
    rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
    rc |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->connect_timeout_s * 1000));
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L); /* one fetch per host */
    rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, cert_capture_ssl_ctx);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, &slot->cert);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, slot);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, slot);
    rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
    rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, slot);
    rc |= curl_easy_setopt(e, CURLOPT_RESOLVER_START_FUNCTION, resolver_start_cb);
    rc |= curl_easy_setopt(e, CURLOPT_RESOLVER_START_DATA, slot);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, slot);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, slot->errbuf);
    /* libcurl loads no CA file of its own: the shared store goes in through the ssl-ctx
     * callback (cert_capture_ssl_ctx), built once instead of once per connection. */
    rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
    rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    return rc == CURLE_OK ? 0 : -1;
}

static struct https_slot *slot_get(struct https_stage *s)
{
    if (s->free_slots) {
        struct https_slot *slot = s->free_slots;
        s->free_slots = slot->next_free;
        return slot;
    }
    if (s->n_slots >= s->max_slots)
        return NULL;
    struct https_slot *slot = &s->slots[s->n_slots];
    if (slot_setup(s, slot) < 0) {
        curl_easy_cleanup(slot->easy);
        free(slot->body);
        memset(slot, 0, sizeof *slot);
        return NULL;
    }
    s->n_slots++;
    return slot;
}

static void slot_put(struct https_stage *s, struct https_slot *slot)
{
    slot->task = NULL;
    slot->next_free = s->free_slots;
    s->free_slots = slot;
}

int https_stage_init(struct https_stage *s, struct evl *loop, const struct scan_config *cfg,
                     struct scan_stats *stats, struct ratelimit_perip *perip, void *store,
                     size_t max_transfers, https_done_fn on_done, void *ctx, char *err,
                     size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->store = store;
    s->loop = loop;
    s->cfg = cfg;
    s->stats = stats;
    s->perip = perip;
    s->hold_max_ms = (int64_t)(cfg->per_ip_wait_s * 1000);
    s->on_done = on_done;
    s->ctx = ctx;
    s->timer_at = -1;
    s->max_slots = max_transfers ? max_transfers : 1;
    s->slots = calloc(s->max_slots, sizeof *s->slots);
    s->multi = curl_multi_init();
    if (!s->slots || !s->multi) {
        snprintf(err, errlen, "libcurl: cannot create the transfer set");
        https_stage_close(s);
        return -1;
    }
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 0L);
    return 0;
}

static void release_addr(struct https_stage *s, struct https_slot *slot)
{
    if (slot->addr && s->perip)
        ratelimit_perip_release(s->perip, slot->addr->family, slot->addr->bytes);
    slot->addr = NULL;
}

void https_stage_close(struct https_stage *s)
{
    s->stopping = true;
    for (size_t i = 0; i < s->n_slots; i++) {
        struct https_slot *slot = &s->slots[i];
        if (slot->task && s->multi)
            curl_multi_remove_handle(s->multi, slot->easy);
        release_addr(s, slot);
        curl_easy_cleanup(slot->easy);
        curl_slist_free_all(slot->resolve);
        free(slot->body);
        free(slot->cert.pem);
    }
    if (s->multi)
        curl_multi_cleanup(s->multi);
    free(s->slots);
    s->multi = NULL;
    s->slots = NULL;
    s->n_slots = 0;
}

/* ---- starting and finishing transfers --------------------------------------------------- */

static void wait_push(struct https_stage *s, struct domain_task *t, bool front)
{
    t->wait_next = NULL;
    if (!s->wait_head) {
        s->wait_head = s->wait_tail = t;
    } else if (front) {
        t->wait_next = s->wait_head;
        s->wait_head = t;
    } else {
        s->wait_tail->wait_next = t;
        s->wait_tail = t;
    }
    s->waiting++;
}

void https_stage_fetch(struct https_stage *s, struct domain_task *t)
{
    t->n_fetch_order = domain_task_fetch_order(t, t->fetch_order, HTTPS_MAX_ATTEMPTS);
    t->fetch_next = 0;
    t->fetch.outcome = STS_HTTPS_NOT_ATTEMPTED;
    t->fetch_queued_ms = evl_now_ms();
    wait_push(s, t, false);
}

/* The resolve list pins mta-sts.D:443 to the one address of this attempt; it first removes
 * the entry an earlier fetch of this handle left in the multi handle's DNS cache. */
static int pin_address(struct https_slot *slot, const char *host, const struct task_addr *a)
{
    char entry[2 * TASK_DOMAIN_MAX + TASK_ADDR_TEXT];
    struct curl_slist *list = NULL, *tmp;
    if (slot->host[0]) {
        snprintf(entry, sizeof entry, "-%s:443", slot->host);
        if (!(tmp = curl_slist_append(list, entry)))
            return -1;
        list = tmp;
    }
    snprintf(entry, sizeof entry, "-%s:443", host);
    if (!(tmp = curl_slist_append(list, entry)))
        goto fail;
    list = tmp;
    char text[TASK_ADDR_TEXT];
    task_addr_text(a, text, sizeof text);
    if (a->family == AF_INET6)
        snprintf(entry, sizeof entry, "%s:443:[%s]", host, text);
    else
        snprintf(entry, sizeof entry, "%s:443:%s", host, text);
    if (!(tmp = curl_slist_append(list, entry)))
        goto fail;
    list = tmp;
    curl_slist_free_all(slot->resolve);
    slot->resolve = list;
    snprintf(slot->host, sizeof slot->host, "%s", host);
    return curl_easy_setopt(slot->easy, CURLOPT_RESOLVE, list) == CURLE_OK ? 0 : -1;
fail:
    curl_slist_free_all(list);
    return -1;
}

static void record_failure(struct domain_task *t, const char *why)
{
    t->fetch.outcome = STS_HTTPS_CONNECT_FAILED;
    t->fetch.error = domain_task_put(t, why, strlen(why));
}

static bool start_transfer(struct https_stage *s, struct https_slot *slot, struct domain_task *t,
                           const struct task_addr *a)
{
    char host[TASK_DOMAIN_MAX + 16];
    snprintf(host, sizeof host, "mta-sts.%s", t->domain);
    snprintf(slot->url, sizeof slot->url, "https://%s/.well-known/mta-sts.txt", host);
    slot->task = t;
    slot->addr = a;
    slot->body_len = 0;
    slot->too_large = false;
    slot->header_bytes = 0;
    slot->headers_too_large = false;
    slot->blocked = false;
    slot->unpinned = false;
    slot->local_errno = 0;
    slot->errbuf[0] = '\0';
    cert_capture_reset(&slot->cert, host);
    slot->cert.store = s->store;
    if (pin_address(slot, host, a) < 0 ||
        curl_easy_setopt(slot->easy, CURLOPT_URL, slot->url) != CURLE_OK ||
        curl_multi_add_handle(s->multi, slot->easy) != CURLM_OK)
        return false;
    t->fetch.attempts++;
    task_addr_text(a, t->fetch.addr, sizeof t->fetch.addr);
    s->active++;
    __atomic_fetch_add(&s->stats->https_inflight, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->https_fetches, 1, __ATOMIC_RELAXED);
    return true;
}

static void finish_task(struct https_stage *s, struct domain_task *t)
{
    s->on_done(s->ctx, t);
}

enum start_result {
    START_RUNNING,    /* the transfer is running */
    START_HELD,       /* no free slot: try again later */
    START_HELD_PERIP, /* the per-IP limits hold it back: try again later, within the deadline */
    START_FINISHED    /* could not start: the task was finished with a failure */
};

/* Starts t on its next address. */
static enum start_result try_start(struct https_stage *s, struct domain_task *t)
{
    if (t->fetch_next >= t->n_fetch_order) { /* nothing (left) to try: cannot happen */
        record_failure(t, "no address to try");
        finish_task(s, t);
        return START_FINISHED;
    }
    if (t->local_retry_at && evl_now_ms() < t->local_retry_at)
        return START_HELD; /* after a local failure: not yet */
    const struct task_addr *a = &t->addrs[t->fetch_order[t->fetch_next]];
    if (s->perip && !ratelimit_perip_acquire(s->perip, a->family, a->bytes))
        return START_HELD_PERIP;
    struct https_slot *slot = slot_get(s);
    if (!slot) {
        if (s->perip)
            ratelimit_perip_release(s->perip, a->family, a->bytes);
        return START_HELD;
    }
    t->fetch_next++;
    if (start_transfer(s, slot, t, a))
        return START_RUNNING;
    release_addr(s, slot);
    slot_put(s, slot);
    record_failure(t, "libcurl: cannot start the transfer");
    finish_task(s, t);
    return START_FINISHED;
}

static struct domain_task *wait_pop(struct https_stage *s)
{
    struct domain_task *t = s->wait_head;
    s->wait_head = t->wait_next;
    if (!s->wait_head)
        s->wait_tail = NULL;
    t->wait_next = NULL;
    s->waiting--;
    return t;
}

/* True when t's deadline (--domain-timeout from its start) has passed. */
static bool past_deadline(const struct https_stage *s, const struct domain_task *t)
{
    return evl_now_ms() - t->started_ms >= (int64_t)(s->cfg->domain_timeout_s * 1000);
}

/* The fetch waited for a slot past a limit (the domain deadline, or --per-ip-wait at a busy
 * address): it never starts, and the domain is not checked (the wait is the scan's throttle,
 * not a fact about the domain: never an https_timeout blamed on the policy host). */
static void never_started(struct https_stage *s, struct domain_task *t, bool by_deadline)
{
    __atomic_fetch_add(by_deadline ? &s->stats->deadline_passed : &s->stats->perip_wait_passed, 1,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->stats->not_checked, 1, __ATOMIC_RELAXED);
    char addr[TASK_ADDR_TEXT] = "?", why[320];
    if (t->fetch_next < t->n_fetch_order)
        task_addr_text(&t->addrs[t->fetch_order[t->fetch_next]], addr, sizeof addr);
    if (by_deadline)
        snprintf(why, sizeof why,
                 "not checked: the domain deadline (--domain-timeout %gs) passed while the fetch "
                 "waited for a connection slot to %s (--per-ip %g/s, --per-ip-conns %d, "
                 "--https-conns %d); it never started",
                 s->cfg->domain_timeout_s, addr, s->cfg->per_ip, s->cfg->per_ip_conns,
                 s->cfg->https_conns);
    else
        snprintf(why, sizeof why,
                 "not checked: waited %.0f s for a turn at %s (--per-ip %g/s, --per-ip-conns %d, "
                 "--per-ip-wait %gs); it never started",
                 (double)(evl_now_ms() - t->fetch_queued_ms) / 1000.0, addr, s->cfg->per_ip,
                 s->cfg->per_ip_conns, s->cfg->per_ip_wait_s);
    if (t->fetch.attempts == 0) {
        t->fetch.outcome = STS_HTTPS_NOT_ATTEMPTED;
        t->fetch.addr[0] = '\0';
        t->fetch.error = domain_task_put(t, why, strlen(why));
    } /* else: an earlier attempt of this fetch stands (its failure is the domain's) */
    finish_task(s, t);
}

/* Fetches held back by the per-IP limit go to the back of the line, so a busy address does
 * not block fetches to others; each pump looks at a bounded number of them. */
int https_stage_pump(struct https_stage *s)
{
    bool held = false;
    size_t budget = s->waiting < HTTPS_SCAN_WAITING ? s->waiting : HTTPS_SCAN_WAITING;
    while (budget-- > 0 && s->wait_head && !s->stopping && s->active < s->max_slots) {
        struct domain_task *t = wait_pop(s);
        enum start_result r = try_start(s, t);
        if (r != START_HELD && r != START_HELD_PERIP)
            continue;
        if (past_deadline(s, t)) {
            /* the domain deadline first: a fetch still waiting then never starts */
            never_started(s, t, true);
        } else if (r == START_HELD_PERIP && evl_now_ms() - t->fetch_queued_ms > s->hold_max_ms) {
            /* a domain never waits forever for its turn at a busy address */
            never_started(s, t, false);
        } else {
            wait_push(s, t, false);
            held = true;
        }
    }
    if (s->waiting > 0 && s->active < s->max_slots)
        held = true; /* budget spent: look again soon */
    return held ? HTTPS_PERIP_RETRY_MS : -1;
}

/* ---- outcome ------------------------------------------------------------------------- */

enum sts_https_outcome https_outcome_of(CURLcode code, bool connected, bool tls_up, bool too_large,
                                        int cert_verify_code)
{
    if (cert_verify_code != 0)
        return STS_HTTPS_CERT_FAILED;
    if (too_large)
        return STS_HTTPS_BODY_TOO_LARGE;
    switch (code) {
    case CURLE_OK:
        return STS_HTTPS_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return STS_HTTPS_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        return STS_HTTPS_CONNECT_FAILED;
    case CURLE_PEER_FAILED_VERIFICATION:
        return STS_HTTPS_CERT_FAILED;
    case CURLE_SSL_CONNECT_ERROR:
        return tls_up ? STS_HTTPS_PROTOCOL_ERROR : STS_HTTPS_TLS_FAILED;
    default:
        if (tls_up)
            return STS_HTTPS_PROTOCOL_ERROR;
        return connected ? STS_HTTPS_TLS_FAILED : STS_HTTPS_CONNECT_FAILED;
    }
}

bool https_should_try_next(CURLcode code, bool connected)
{
    if (code == CURLE_COULDNT_CONNECT)
        return true;
    return code == CURLE_OPERATION_TIMEDOUT && !connected;
}

bool https_peer_vanished(CURLcode code, const char *err)
{
    if (code != CURLE_SSL_CONNECT_ERROR && code != CURLE_RECV_ERROR && code != CURLE_SEND_ERROR &&
        code != CURLE_GOT_NOTHING)
        return false;
    if (!err)
        return false;
    return strstr(err, "reset by peer") || strstr(err, "SSL_ERROR_SYSCALL") ||
           strstr(err, "unexpected eof") || strstr(err, "Broken pipe") ||
           strstr(err, "Connection refused");
}

static int ms_of(CURL *e, CURLINFO info)
{
    curl_off_t us = 0;
    if (curl_easy_getinfo(e, info, &us) != CURLE_OK || us <= 0)
        return -1;
    return (int)(us / 1000);
}

static void put_text(struct domain_task *t, struct task_span *dst, const char *s)
{
    if (s && *s)
        *dst = domain_task_put(t, s, strlen(s));
}

size_t https_server_value(const char *value, char *out)
{
    size_t n = value ? strlen(value) : 0;
    if (n <= HTTPS_SERVER_MAX) {
        memcpy(out, value ? value : "", n);
        out[n] = '\0';
        return n;
    }
    size_t keep = HTTPS_SERVER_MAX - (sizeof HTTPS_SERVER_CUT - 1);
    memcpy(out, value, keep);
    memcpy(out + keep, HTTPS_SERVER_CUT, sizeof HTTPS_SERVER_CUT);
    return HTTPS_SERVER_MAX;
}

/* The facts of the response that ended the attempt. libcurl does not follow redirects here,
 * so request -1 (the last) is the one response of the fetch: its headers are the policy
 * host's, whether it served the policy or not. */
static void record_response(struct https_slot *slot, struct domain_task *t)
{
    CURL *e = slot->easy;
    struct task_fetch *f = &t->fetch;
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    f->http_status = status;
    char *ct = NULL;
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
        f->content_type = domain_task_put(t, ct, strlen(ct));
        f->has_content_type = f->content_type.off != 0;
    }
    struct curl_header *h = NULL;
    if (curl_easy_header(e, "Location", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h && h->value) {
        f->location = domain_task_put(t, h->value, strlen(h->value));
        f->has_location = f->location.off != 0;
    }
    h = NULL;
    if (curl_easy_header(e, "Server", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h && h->value) {
        char server[HTTPS_SERVER_MAX + 1];
        size_t n = https_server_value(h->value, server);
        if (n)
            f->server = domain_task_put(t, server, n);
    }
    if (status > 0) {
        f->body = domain_task_put(t, slot->body, slot->body_len);
        f->has_body = f->body.off != 0;
    }
}

static void record_attempt(struct https_slot *slot, struct domain_task *t, CURLcode code)
{
    CURL *e = slot->easy;
    struct task_fetch *f = &t->fetch;
    int connect_ms = ms_of(e, CURLINFO_CONNECT_TIME_T);
    int app_ms = ms_of(e, CURLINFO_APPCONNECT_TIME_T);
    bool connected = connect_ms >= 0;
    bool tls_up = app_ms >= 0;
    int verify = cert_capture_finish(&slot->cert);
    if (code == CURLE_PEER_FAILED_VERIFICATION && verify == 0) /* libcurl's own name check */
        verify =
            slot->cert.facts.name_matches ? X509_V_ERR_UNSPECIFIED : X509_V_ERR_HOSTNAME_MISMATCH;
    slot->cert.facts.verify_code = verify;
    f->cert = slot->cert.facts;
    f->outcome = https_outcome_of(code, connected, tls_up, slot->too_large, verify);
    if (f->outcome == STS_HTTPS_TLS_FAILED && !tls_up && https_peer_vanished(code, slot->errbuf))
        f->outcome = STS_HTTPS_CONNECT_FAILED;
    f->time_connect_ms = connect_ms;
    f->time_tls_ms = app_ms >= 0 && connect_ms >= 0 ? app_ms - connect_ms : -1;
    f->time_total_ms = ms_of(e, CURLINFO_TOTAL_TIME_T);
    memset(&f->error, 0, sizeof f->error);
    memset(&f->verify_text, 0, sizeof f->verify_text);
    memset(&f->cert_pem, 0, sizeof f->cert_pem);
    memset(&f->server, 0, sizeof f->server);
    if (slot->cert.pem_len)
        f->cert_pem = domain_task_put(t, slot->cert.pem, slot->cert.pem_len);
    memset(&f->tls_version, 0, sizeof f->tls_version);
    if (code != CURLE_OK && !slot->too_large) {
        const char *msg = slot->unpinned  ? "pinned address lost: libcurl was refused a DNS lookup"
                          : slot->blocked ? "address refused by the address policy"
                          : slot->headers_too_large ? "response headers larger than 64 KiB"
                          : slot->errbuf[0]         ? slot->errbuf
                                                    : curl_easy_strerror(code);
        put_text(t, &f->error, msg);
    }
    if (slot->cert.leaf_seen)
        put_text(t, &f->verify_text, X509_verify_cert_error_string(verify));
    put_text(t, &f->tls_version, slot->cert.tls_version);
    if (code == CURLE_OK || slot->too_large || f->outcome == STS_HTTPS_PROTOCOL_ERROR)
        record_response(slot, t);
}

/* The attempt failed before reaching the network, for want of a local resource: the same
 * address again later, or after HTTPS_LOCAL_RETRIES the domain left not checked. */
static void local_failure(struct https_stage *s, struct https_slot *slot, struct domain_task *t)
{
    __atomic_fetch_add(&s->stats->local_failures, 1, __ATOMIC_RELAXED);
    int e = slot->local_errno;
    release_addr(s, slot);
    slot_put(s, slot);
    t->fetch_next--;
    t->fetch.attempts--;
    if (t->local_retries < HTTPS_LOCAL_RETRIES) {
        t->local_retries++;
        t->local_retry_at = evl_now_ms() + (int64_t)HTTPS_LOCAL_RETRY_MS * t->local_retries;
        wait_push(s, t, false);
        return;
    }
    __atomic_fetch_add(&s->stats->not_checked, 1, __ATOMIC_RELAXED);
    char why[160];
    snprintf(why, sizeof why,
             "not checked: local resource failure (%s) on this machine, not the domain's",
             strerror(e));
    t->fetch.outcome = STS_HTTPS_NOT_ATTEMPTED;
    t->fetch.addr[0] = '\0';
    t->fetch.error = domain_task_put(t, why, strlen(why));
    finish_task(s, t);
}

static void transfer_done(struct https_stage *s, CURL *easy, CURLcode code)
{
    struct https_slot *slot = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&slot);
    curl_multi_remove_handle(s->multi, easy);
    s->active--;
    __atomic_fetch_sub(&s->stats->https_inflight, 1, __ATOMIC_RELAXED);
    struct domain_task *t = slot->task;
    if (slot->local_errno && code != CURLE_OK) {
        local_failure(s, slot, t);
        return;
    }
    bool connected = ms_of(easy, CURLINFO_CONNECT_TIME_T) >= 0;
    record_attempt(slot, t, code);
    release_addr(s, slot);
    slot_put(s, slot);
    if (https_should_try_next(code, connected) && t->fetch_next < t->n_fetch_order) {
        t->fetch_queued_ms = evl_now_ms();
        wait_push(s, t, true);
        return;
    }
    finish_task(s, t);
}

static void check_done(struct https_stage *s)
{
    CURLMsg *msg;
    int left;
    while (!s->stopping && (msg = curl_multi_info_read(s->multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            transfer_done(s, msg->easy_handle, msg->data.result);
}

void https_stage_io(struct https_stage *s, int fd, unsigned events)
{
    int running = 0, mask = 0;
    if (events & EVL_READ)
        mask |= CURL_CSELECT_IN;
    if (events & EVL_WRITE)
        mask |= CURL_CSELECT_OUT;
    curl_multi_socket_action(s->multi, fd, mask, &running);
    check_done(s);
}

void https_stage_timer(struct https_stage *s)
{
    int running = 0;
    s->timer_at = -1;
    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(s);
}
