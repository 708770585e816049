/* IMAP source: EXAMINE for UIDVALIDITY, UID SEARCH above the read mark, UID FETCH each new
 * message (libcurl), each message ingested, then the mark advanced. The mailbox is never
 * changed: it is opened read-only (EXAMINE, never SELECT) and read with BODY.PEEK[]. */
#include "tlsrpt/imap.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/sbuf.h"
#include "store/store_tlsrpt.h"
#include "tlsrpt/imap_fetch.h"

#define TLSRPT_IMAP_MAX_RESPONSE (4u << 20) /* a SEARCH answer of ~400k UIDs */
#define TLSRPT_IMAP_MAX_UIDS 100000         /* messages read per run; the rest next run */

bool tlsrpt_imap_is_url(const char *s)
{
    return !strncasecmp(s, "imaps://", 8) || !strncasecmp(s, "imap://", 7);
}

struct capture {
    struct sbuf b;
    size_t cap;
    bool over;
};

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
    struct capture *c = arg;
    size_t len = size * n;
    if (c->b.len + len > c->cap) {
        c->over = true;
        return 0; /* aborts the transfer */
    }
    sbuf_append(&c->b, p, len);
    return c->b.oom ? 0 : len;
}

static size_t on_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* Splits imaps://user@host:port/MAILBOX into the server part (scheme://user@host:port/) and
 * the mailbox. Returns 0, or -1 with a reason. */
static int split_url(const char *url, char *server, size_t slen, char *mailbox, size_t mlen,
                     const char **why)
{
    const char *auth = strstr(url, "://");
    if (!auth) {
        *why = "not an IMAP URL";
        return -1;
    }
    auth += 3;
    const char *slash = strchr(auth, '/');
    const char *at = memchr(auth, '@', slash ? (size_t)(slash - auth) : strlen(auth));
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon) {
            *why = "the URL holds a password: give it in a netrc file (--netrc-file) or in "
                   "MTASTS_IMAP_PASSWORD, never on the command line";
            return -1;
        }
    }
    if (!slash || !slash[1]) {
        *why = "the URL names no mailbox (imaps://user@host/INBOX)";
        return -1;
    }
    if (strpbrk(slash + 1, ";?#\"\\\r\n") || strchr(slash + 1, ' ')) {
        *why = "the mailbox name holds characters this reader does not send (; ? # \" \\ "
               "space)";
        return -1;
    }
    if ((size_t)(slash + 1 - url) >= slen || strlen(slash + 1) >= mlen) {
        *why = "the URL is too long";
        return -1;
    }
    memcpy(server, url, (size_t)(slash + 1 - url));
    server[slash + 1 - url] = '\0';
    snprintf(mailbox, mlen, "%s", slash + 1);
    return 0;
}

static void setup(CURL *c, const struct tlsrpt_imap_opts *o, bool plain_url)
{
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
    /* libcurl clips response lines longer than its buffer: as large as it goes, so that a
     * message's lines reach the header callback whole (a clipped one fails the length check) */
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)CURL_MAX_READ_SIZE);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s * 4 : 120L);
    if (plain_url)
        curl_easy_setopt(c, CURLOPT_USE_SSL, o->allow_plain ? CURLUSESSL_NONE : CURLUSESSL_ALL);
    if (o->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    const char *pw = getenv("MTASTS_IMAP_PASSWORD");
    if (pw && *pw) {
        curl_easy_setopt(c, CURLOPT_PASSWORD, pw);
    } else {
        curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
        if (o->netrc_file)
            curl_easy_setopt(c, CURLOPT_NETRC_FILE, o->netrc_file);
    }
}

/* Runs one request; the answer lands in cap (reset first): the untagged lines libcurl hands
 * to the write callback, or with `lines` every response line (the header callback: how
 * libcurl 7.88 passes a custom FETCH's literal, which it does not parse). Returns 0 or -1
 * (logged). */
static int perform(struct tlsrpt_ingest *in, CURL *c, const char *url, const char *custom,
                   struct capture *cap, size_t limit, bool lines, const char *what)
{
    static struct capture ignored;
    sbuf_reset(&cap->b);
    cap->over = false;
    cap->cap = limit;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, lines ? on_discard : on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, lines ? &ignored : cap);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, lines ? on_write : on_discard);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, lines ? cap : &ignored);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        return 0;
    char why[256];
    snprintf(why, sizeof why, "%s",
             cap->over ? "the answer is larger than the cap" : curl_easy_strerror(rc));
    tlsrpt_ingest_log(in, url, what, why);
    return -1;
}

/* "[UIDVALIDITY n]" in an EXAMINE answer. */
static int parse_uidvalidity(const char *s, int64_t *v)
{
    const char *p = strcasestr(s, "[UIDVALIDITY ");
    if (!p)
        return -1;
    char *end;
    long long n = strtoll(p + 13, &end, 10);
    if (end == p + 13 || *end != ']' || n <= 0)
        return -1;
    *v = n;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The UIDs of "* SEARCH 3 5 8" above `after`, ascending. */
static size_t parse_search(const char *s, int64_t after, int64_t *uids, size_t max)
{
    size_t n = 0;
    for (const char *line = s; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncasecmp(line, "* SEARCH", 8))
            continue;
        const char *p = line + 8;
        while (*p && *p != '\r' && *p != '\n' && n < max) {
            while (*p == ' ')
                p++;
            char *end;
            long long u = strtoll(p, &end, 10);
            if (end == p)
                break;
            if (u > after)
                uids[n++] = u;
            p = end;
        }
    }
    qsort(uids, n, sizeof *uids, cmp_u64);
    return n;
}

/* The URL for messages: a password in the user part (refused anyway) shown as "***". */
static void redact(const char *url, char *out, size_t len)
{
    const char *auth = strstr(url, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    const char *colon = auth ? strchr(auth + 3, ':') : NULL;
    if (at && colon && colon < at && (!slash || at < slash))
        snprintf(out, len, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(out, len, "%s", url);
}

/* Opens the mailbox read-only on a new session: EXAMINE on the server URL, so that libcurl
 * never SELECTs it (a SELECT opens it read-write and libcurl's own fetch, BODY[], sets
 * \Seen). Every later command also goes to the server URL and so runs in this EXAMINE. */
static CURL *open_examined(struct tlsrpt_ingest *in, const struct tlsrpt_imap_opts *o, bool plain,
                           const char *server, const char *mailbox, struct capture *cap,
                           int64_t *uidvalidity, const char *url)
{
    CURL *c = curl_easy_init();
    if (!c) {
        tlsrpt_ingest_log(in, url, "cannot read", "libcurl did not start");
        return NULL;
    }
    setup(c, o, plain);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "EXAMINE \"%s\"", mailbox);
    if (perform(in, c, server, cmd, cap, 65536, false, "cannot open the mailbox") < 0) {
        curl_easy_cleanup(c);
        return NULL;
    }
    if (parse_uidvalidity(sbuf_str(&cap->b), uidvalidity) < 0) {
        tlsrpt_ingest_log(in, url, "cannot read", "the server sent no UIDVALIDITY");
        curl_easy_cleanup(c);
        return NULL;
    }
    return c;
}

void tlsrpt_imap_ingest(struct tlsrpt_ingest *in, const char *url, const struct tlsrpt_imap_opts *o)
{
    char server[1024], mailbox[256], shown[1024];
    const char *why = NULL;
    if (split_url(url, server, sizeof server, mailbox, sizeof mailbox, &why) < 0) {
        in->io_errors++;
        redact(url, shown, sizeof shown);
        tlsrpt_ingest_log(in, shown, "cannot read", why);
        return;
    }
    bool plain = !strncasecmp(url, "imap://", 7);
    struct capture cap = {SBUF_INIT, 0, false};
    int64_t *uids = NULL;
    int64_t uidvalidity = 0, mark_validity = 0, last_uid = 0;
    CURL *c = open_examined(in, o, plain, server, mailbox, &cap, &uidvalidity, url);
    if (!c)
        goto fail;
    int m = store_tlsrpt_mark_get(in->st, url, &mark_validity, &last_uid);
    if (m < 0) {
        in->fatal = true;
        tlsrpt_ingest_log(in, url, "cannot read the mark", store_error(in->st));
        goto out;
    }
    if (m == 1 && mark_validity != uidvalidity) {
        tlsrpt_ingest_log(in, url, "note",
                          "UIDVALIDITY changed: the server renumbered the mailbox; reading it "
                          "all again (reports already stored count as duplicates)");
        last_uid = 0;
    } else if (m == 0) {
        last_uid = 0;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "UID SEARCH UID %" PRId64 ":*", last_uid + 1);
    if (perform(in, c, server, cmd, &cap, TLSRPT_IMAP_MAX_RESPONSE, false,
                "cannot search the mailbox") < 0)
        goto fail;
    uids = malloc(TLSRPT_IMAP_MAX_UIDS * sizeof *uids);
    if (!uids)
        goto fail;
    size_t n = parse_search(sbuf_str(&cap.b), last_uid, uids, TLSRPT_IMAP_MAX_UIDS);
    for (size_t i = 0; i < n && !in->fatal; i++) {
        char name[1600];
        snprintf(name, sizeof name, "%s UID %" PRId64, url, uids[i]);
        /* BODY.PEEK[] never sets \Seen (and the mailbox is read-only anyway) */
        snprintf(cmd, sizeof cmd, "UID FETCH %" PRId64 " BODY.PEEK[]", uids[i]);
        if (perform(in, c, server, cmd, &cap, TLSRPT_MAX_INPUT_BYTES + 65536, true,
                    "cannot fetch") < 0 &&
            !cap.over)
            goto fail; /* the mark stays before this message: the next run retries it */
        const char *body = NULL;
        size_t len = 0;
        if (cap.over) {
            why = "message larger than the 64 MiB input cap";
        } else if (tlsrpt_imap_fetch_body(cap.b.data ? cap.b.data : "", cap.b.len, uids[i],
                                          TLSRPT_MAX_INPUT_BYTES, &body, &len, &why) == 0) {
            why = NULL;
            tlsrpt_ingest_message(in, name, body, len);
        }
        if (why) {
            in->rejected++;
            tlsrpt_ingest_log(in, name, "rejected", why);
            /* what is left of that answer must not be read as the next one: a new session */
            curl_easy_cleanup(c);
            int64_t v = 0;
            c = open_examined(in, o, plain, server, mailbox, &cap, &v, url);
            if (!c || v != uidvalidity)
                goto fail;
        }
        if (in->fatal)
            break;
        if (store_tlsrpt_mark_set(in->st, url, uidvalidity, uids[i]) < 0) {
            in->fatal = true;
            tlsrpt_ingest_log(in, url, "cannot record the mark", store_error(in->st));
            break;
        }
    }
    if (n == 0 && m != 1 &&
        store_tlsrpt_mark_set(in->st, url, uidvalidity, last_uid) < 0) { /* remember validity */
        in->fatal = true;
        tlsrpt_ingest_log(in, url, "cannot record the mark", store_error(in->st));
    }
    goto out;
fail:
    in->io_errors++;
out:
    free(uids);
    sbuf_free(&cap.b);
    if (c)
        curl_easy_cleanup(c);
}
