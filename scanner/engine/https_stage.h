/* The HTTPS stage of one worker: policy fetches on a libcurl multi handle driven by the
 * worker's event loop, one pinned address at a time, within the transfer and per-IP limits. */
#ifndef HTTPS_STAGE_H
#define HTTPS_STAGE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "scanner/engine/cert_facts.h"
#include "scanner/engine/domain_task.h"
#include "scanner/engine/event_loop.h"

struct scan_config;
struct scan_stats;
struct ratelimit_perip;

/* Addresses tried per domain at most (a sender gives up after a few as well). */
#define HTTPS_MAX_ATTEMPTS 4
/* A fetch whose socket() failed for a local reason (EMFILE, ENFILE, ENOMEM, ENOBUFS) is not
 * the domain's failure: it is tried again later on the same address, at most this many times,
 * HTTPS_LOCAL_RETRY_MS apart times the try; then the domain is left not checked (status
 * dns_error, https_error says why), never invalid. */
#define HTTPS_LOCAL_RETRIES 5
#define HTTPS_LOCAL_RETRY_MS 500

/* Test hook (MTASTS_TEST_EMFILE=N, read by the engine): the next N sockets of the process fail
 * with EMFILE. */
extern long https_test_emfile;

/* Response header bytes accepted per attempt: real servers send a few KB; an endless header
 * block must end the transfer at once, whatever the libcurl version's own limits. */
#define HTTPS_HEADER_MAX (64 * 1024)

/* Bytes of the Server response header kept: real values are a product token or two
 * ("cloudflare", "nginx/1.22.1", "Apache/2.4.57 (Debian)"); a longer one is cut to
 * HTTPS_SERVER_MAX - 5 bytes followed by "[cut]", so the stored value says it was cut. */
#define HTTPS_SERVER_MAX 256
#define HTTPS_SERVER_CUT "[cut]"

/* The Server header value to keep: `value` (NUL-terminated, as libcurl gives it, surrounding
 * blanks already trimmed) copied into out (at least HTTPS_SERVER_MAX + 1 bytes), cut and
 * marked when longer; returns its length (0: empty or NULL value, nothing to keep). */
size_t https_server_value(const char *value, char *out);

/* Called when the fetch of t is over; t->fetch holds the outcome. */
typedef void (*https_done_fn)(void *ctx, struct domain_task *t);

struct https_slot; /* one reusable easy handle with its buffers */

struct https_stage {
    CURLM *multi;
    struct evl *loop;
    const struct scan_config *cfg;
    struct scan_stats *stats;
    struct ratelimit_perip *perip; /* shared by every worker */
    void *store;                   /* X509_STORE shared by every worker */
    https_done_fn on_done;
    void *ctx;
    int64_t timer_at; /* libcurl's timer deadline (monotonic ms), -1 when none */
    struct https_slot *slots;
    size_t n_slots, max_slots;
    struct https_slot *free_slots;
    size_t active;
    struct domain_task *wait_head, *wait_tail; /* fetches waiting for a slot or an address */
    size_t waiting;
    int64_t hold_max_ms; /* --per-ip-wait: the longest a fetch waits for its turn at an address */
    bool stopping;
};

/* max_transfers: this worker's share of --https-conns; store: the trust store
 * (cert_store_new), shared. Returns 0, or -1 with a message. */
int https_stage_init(struct https_stage *s, struct evl *loop, const struct scan_config *cfg,
                     struct scan_stats *stats, struct ratelimit_perip *perip, void *store,
                     size_t max_transfers, https_done_fn on_done, void *ctx, char *err,
                     size_t errlen);

/* Abandons every transfer (no callback after this), releases per-IP reservations, frees. */
void https_stage_close(struct https_stage *s);

/* Queues the fetch of t (addresses already in the task). */
void https_stage_fetch(struct https_stage *s, struct domain_task *t);

/* Starts waiting fetches that a slot and the per-IP limit allow. Returns the milliseconds
 * after which to try again when some wait only for the per-IP limit, or -1. */
int https_stage_pump(struct https_stage *s);

/* Socket events for libcurl descriptors; and libcurl's timer, due when now >= timer_at. */
void https_stage_io(struct https_stage *s, int fd, unsigned events);
void https_stage_timer(struct https_stage *s);

/* The outcome for a finished transfer: pure mapping from the libcurl code, whether TCP and
 * TLS were up, the body cap and the certificate verdict. Exposed for tests. */
enum sts_https_outcome https_outcome_of(CURLcode code, bool connected, bool tls_up, bool too_large,
                                        int cert_verify_code);

/* True when the next address should be tried after this attempt (connection refused or
 * the connect timed out). */
bool https_should_try_next(CURLcode code, bool connected);

/* True when a handshake that never completed ended because the peer went away (reset, EOF
 * without a TLS alert, broken pipe: libcurl's message `err`), not because TLS failed: the
 * connection could not be made, so the attempt is connect_failed, not tls_failed (a server
 * killed in the middle of a scan is not a TLS set-up fault). */
bool https_peer_vanished(CURLcode code, const char *err);

/* Adds n header bytes to *used; false (and *used unchanged) when the total would exceed
 * HTTPS_HEADER_MAX. Exposed for tests. */
bool https_header_fits(size_t *used, size_t n);

/* The User-Agent for a contact URL (NULL or "": none). */
void https_user_agent(char *buf, size_t buflen, const char *contact);

#endif
