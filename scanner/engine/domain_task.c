/* The per-domain state machine: which lookups follow which answers, and the task's storage. */
#include "scanner/engine/domain_task.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/engine/addr_policy.h"
#include "scanner/engine/scan_state.h"
#include "rules/sts_txt.h"

/* An arena that grew past this for one domain (a large policy body) is released instead of
 * kept, so a pool of thousands of tasks stays small. */
#define TASK_ARENA_KEEP 16384

uint64_t domain_task_fail_put_at;
static uint64_t puts_made;

bool domain_task_alloc_failed(const struct domain_task *t)
{
    return t->arena.oom;
}

bool domain_task_init(struct domain_task *t, const char *domain, long rank, unsigned checks,
                      bool probe_orphans, int64_t now_ms)
{
    size_t len = strlen(domain);
    if (len == 0 || len >= TASK_DOMAIN_MAX)
        return false;
    struct sbuf arena = t->arena;
    if (arena.cap > TASK_ARENA_KEEP || arena.oom)
        sbuf_free(&arena); /* after a failure, start from fresh memory */
    sbuf_reset(&arena);
    struct domain_task *next = t->next;
    void *owner = t->owner;
    struct sts_mx_probe **probes = t->mx_probes;
    uint16_t cap_probes = t->cap_mx_probes;
    memset(t, 0, sizeof *t);
    t->arena = arena;
    t->next = next;
    t->owner = owner;
    t->mx_probes = probes;
    t->cap_mx_probes = cap_probes;
    t->domain = "";
    t->domain_span = domain_task_put(t, domain, len);
    if (t->domain_span.off == 0)
        return false;
    t->domain = domain_task_str(t, t->domain_span);
    t->rank = rank;
    t->checks = checks;
    t->probe_orphans = probe_orphans;
    t->started_ms = now_ms;
    t->dns_done_ms = now_ms;
    t->fetch.time_connect_ms = t->fetch.time_tls_ms = t->fetch.time_total_ms = -1;
    return true;
}

void domain_task_free(struct domain_task *t)
{
    sbuf_free(&t->arena);
    free(t->mx_probes);
    t->mx_probes = NULL;
    t->cap_mx_probes = 0;
}

static unsigned send_queries(struct domain_task *t, unsigned bits)
{
    t->pending |= bits;
    t->asked |= bits;
    return bits;
}

unsigned domain_task_start(struct domain_task *t)
{
    unsigned q = 0;
    if (t->checks & SCAN_CHECK_POLICY)
        q |= TASK_STEP_QUERY(TASK_Q_TXT);
    if (t->checks & SCAN_CHECK_MX)
        q |= TASK_STEP_QUERY(TASK_Q_MX);
    if (t->checks & SCAN_CHECK_TLSRPT)
        q |= TASK_STEP_QUERY(TASK_Q_TLSRPT);
    if (t->checks & SCAN_CHECK_APEX)
        q |= TASK_STEP_QUERY(TASK_Q_APEX);
    /* Orphan probing asks for the policy host at once: there is no TXT answer to wait on. */
    if ((t->checks & SCAN_CHECK_POLICY) && t->probe_orphans)
        q |= TASK_STEP_QUERY(TASK_Q_A) | TASK_STEP_QUERY(TASK_Q_AAAA);
    if (q == 0) {
        t->done = true;
        return TASK_STEP_DONE;
    }
    return send_queries(t, q);
}

bool domain_task_has_version_record(const struct domain_task *t)
{
    for (size_t i = 0; i < t->ans[TASK_Q_TXT].n; i++) {
        struct task_span r = domain_task_record(t, TASK_Q_TXT, i);
        if (sts_txt_is_version_record(domain_task_str(t, r), r.len))
            return true;
    }
    return false;
}

static bool host_lookups_done(const struct domain_task *t)
{
    unsigned both = TASK_STEP_QUERY(TASK_Q_A) | TASK_STEP_QUERY(TASK_Q_AAAA);
    return (t->asked & both) == both && (t->pending & both) == 0;
}

static size_t allowed_addrs(const struct domain_task *t)
{
    return t->n_addrs - t->n_refused;
}

static bool answered(const struct domain_task *t, enum task_query q)
{
    return (t->asked & TASK_STEP_QUERY(q)) && !(t->pending & TASK_STEP_QUERY(q));
}

/* The MX hosts are probed once the MX answer is in, and (without smtp:all) once the TXT
 * answer shows a v=STSv1 record: they matter for the policy's domains. */
static bool wants_mx_probe(const struct domain_task *t)
{
    if (t->mx_started || !(t->checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE)))
        return false;
    if (!answered(t, TASK_Q_MX) || t->ans[TASK_Q_MX].outcome != STS_DNS_OK ||
        t->ans[TASK_Q_MX].n == 0)
        return false;
    if (t->checks & SCAN_CHECK_SMTP_ALL)
        return true;
    return answered(t, TASK_Q_TXT) && domain_task_has_version_record(t);
}

/* After every answer: launch the host lookups once the TXT answer calls for them, the fetch
 * once both host lookups are in, and say done when nothing is left. */
static unsigned next_steps(struct domain_task *t)
{
    unsigned steps = 0;
    unsigned host = TASK_STEP_QUERY(TASK_Q_A) | TASK_STEP_QUERY(TASK_Q_AAAA);
    bool txt_in =
        (t->asked & TASK_STEP_QUERY(TASK_Q_TXT)) && !(t->pending & TASK_STEP_QUERY(TASK_Q_TXT));
    if (txt_in && !(t->asked & host) && domain_task_has_version_record(t))
        steps |= send_queries(t, host);
    if (wants_mx_probe(t)) {
        t->mx_started = true;
        t->pending |= TASK_STEP_MX;
        steps |= TASK_STEP_MX;
    }
    if (!t->fetch_started && host_lookups_done(t) && allowed_addrs(t) > 0) {
        t->fetch_started = true;
        t->pending |= TASK_STEP_FETCH;
        steps |= TASK_STEP_FETCH;
    }
    if (t->pending == 0 && steps == 0) {
        t->done = true;
        steps |= TASK_STEP_DONE;
    }
    return steps;
}

unsigned domain_task_answered(struct domain_task *t, enum task_query q,
                              enum sts_dns_outcome outcome, int64_t now_ms)
{
    unsigned bit = TASK_STEP_QUERY(q);
    if (q >= TASK_Q_COUNT || !(t->pending & bit))
        return 0; /* not asked, or answered twice: ignore */
    t->pending &= ~bit;
    t->ans[q].outcome = outcome;
    if (now_ms > t->dns_done_ms)
        t->dns_done_ms = now_ms;
    return next_steps(t);
}

unsigned domain_task_fetched(struct domain_task *t)
{
    if (!(t->pending & TASK_STEP_FETCH))
        return 0;
    t->pending &= ~TASK_STEP_FETCH;
    t->fetch_done = true;
    return next_steps(t);
}

unsigned domain_task_mx_done(struct domain_task *t)
{
    if (!(t->pending & TASK_STEP_MX))
        return 0;
    t->pending &= ~TASK_STEP_MX;
    t->mx_done = true;
    return next_steps(t);
}

size_t domain_task_mx_hosts(const struct domain_task *t, char (*names)[TASK_DOMAIN_MAX], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ans[TASK_Q_MX].n && n < max; i++) {
        struct task_span r = domain_task_record(t, TASK_Q_MX, i);
        const char *h = domain_task_str(t, r);
        size_t len = r.len;
        if (len > 0 && h[len - 1] == '.')
            len--;
        if (len == 0 || len >= TASK_DOMAIN_MAX)
            continue; /* the null MX, or a name too long to be one */
        char lower[TASK_DOMAIN_MAX];
        for (size_t k = 0; k < len; k++) {
            char c = h[k];
            lower[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        lower[len] = '\0';
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(names[k], lower) == 0;
        if (!seen)
            memcpy(names[n++], lower, len + 1);
    }
    return n;
}

struct task_span domain_task_put(struct domain_task *t, const void *data, size_t len)
{
    struct task_span s = {0, 0};
    if (len > UINT32_MAX / 2 || t->arena.len > UINT32_MAX / 2)
        return s;
    if (domain_task_fail_put_at &&
        __atomic_add_fetch(&puts_made, 1, __ATOMIC_RELAXED) == domain_task_fail_put_at)
        t->arena.oom = true; /* the test hook: as if this allocation failed */
    /* Offset 0 is kept for "empty", so every span starts after a first byte. */
    if (t->arena.len == 0)
        sbuf_putc(&t->arena, '\0');
    size_t off = t->arena.len;
    sbuf_append(&t->arena, data, len);
    sbuf_putc(&t->arena, '\0');
    if (t->arena.oom)
        return s;
    s.off = (uint32_t)off;
    s.len = (uint32_t)len;
    if (t->domain_span.off)
        t->domain = t->arena.data + t->domain_span.off;
    return s;
}

const char *domain_task_str(const struct domain_task *t, struct task_span s)
{
    if (s.off == 0 || t->arena.data == NULL)
        return "";
    return t->arena.data + s.off;
}

struct task_span domain_task_record(const struct domain_task *t, enum task_query q, size_t i)
{
    struct task_span none = {0, 0};
    const struct task_answer *a = &t->ans[q];
    if (i >= a->n)
        return none;
    return t->rec[a->first + i];
}

/* Each answer's region of the record pool: its first slot and its bound. */
static uint16_t region_first(enum task_query q)
{
    switch (q) {
    case TASK_Q_TXT:
        return 0;
    case TASK_Q_TLSRPT:
        return TASK_MAX_TXT;
    case TASK_Q_APEX:
        return 2 * TASK_MAX_TXT;
    default:
        return 3 * TASK_MAX_TXT; /* MX */
    }
}

static uint16_t region_size(enum task_query q)
{
    return q == TASK_Q_MX ? TASK_MAX_MX : TASK_MAX_TXT;
}

/* Adds a record of answer q in its region (region_full said there is room). */
static void new_record(struct domain_task *t, enum task_query q, struct task_span s)
{
    struct task_answer *a = &t->ans[q];
    a->first = region_first(q);
    t->rec[a->first + a->n++] = s;
}

/* True, and the record counted as dropped, when answer q's region is full. */
static bool region_full(struct domain_task *t, enum task_query q)
{
    struct task_answer *a = &t->ans[q];
    if (a->n < region_size(q))
        return false;
    a->dropped++;
    return true;
}

/* TXT character-strings of one record arrive one by one: a continuation extends the last
 * record, which is always the last thing written to the arena (the terminating NUL is moved). */
bool domain_task_add_txt(struct domain_task *t, enum task_query q, const void *data, size_t len,
                         bool record_start)
{
    struct task_answer *a = &t->ans[q];
    if (q == TASK_Q_MX || q == TASK_Q_A || q == TASK_Q_AAAA || q >= TASK_Q_COUNT)
        return false;
    if (!record_start && a->dropped > 0)
        return false; /* the continuation of a dropped record */
    if (!record_start && a->n > 0) {
        struct task_span *last = &t->rec[a->first + a->n - 1];
        if (last->off + last->len + 1 == t->arena.len) {
            t->arena.len--; /* drop the NUL, append, terminate again */
            sbuf_append(&t->arena, data, len);
            sbuf_putc(&t->arena, '\0');
            if (t->arena.oom)
                return false;
            last->len += (uint32_t)len;
            t->domain = t->arena.data + t->domain_span.off;
            return true;
        }
    }
    if (region_full(t, q))
        return false;
    struct task_span s = domain_task_put(t, data, len);
    if (s.off == 0)
        return false;
    new_record(t, q, s);
    return true;
}

bool domain_task_add_mx(struct domain_task *t, const char *host, unsigned preference)
{
    if (region_full(t, TASK_Q_MX))
        return false;
    struct task_span s = domain_task_put(t, host, strlen(host));
    if (s.off == 0)
        return false;
    uint16_t at = t->ans[TASK_Q_MX].n;
    new_record(t, TASK_Q_MX, s);
    t->pref[at] = (uint16_t)(preference > 65535 ? 65535 : preference);
    return true;
}

/* An AAAA whose last 32 bits are a refused A of the same name is refused too: a DNS64 through a
 * prefix the address policy does not know would otherwise reach the refused IPv4. Answers
 * arrive in either order, so each new address is compared with those already kept. */
static bool hides_refused_a(const struct domain_task *t, int family, const uint8_t *bytes)
{
    for (size_t i = 0; i < t->n_addrs; i++) {
        const struct task_addr *o = &t->addrs[i];
        if (family == AF_INET6 && o->family == AF_INET && o->refused &&
            addr_policy_aaaa_embeds(bytes, o->bytes))
            return true;
    }
    return false;
}

static void refuse_aaaa_hiding(struct domain_task *t, const uint8_t *v4)
{
    for (size_t i = 0; i < t->n_addrs; i++) {
        struct task_addr *o = &t->addrs[i];
        if (o->family == AF_INET6 && !o->refused && addr_policy_aaaa_embeds(o->bytes, v4)) {
            o->refused = true;
            t->n_refused++;
        }
    }
}

bool domain_task_add_addr(struct domain_task *t, int family, const void *bytes, bool refused)
{
    if (family != AF_INET && family != AF_INET6)
        return false;
    int fi = family == AF_INET6;
    if (t->n_family[fi] >= TASK_MAX_ADDR || t->n_addrs >= TASK_MAX_ADDRS) {
        t->n_addrs_dropped++;
        return false;
    }
    t->n_family[fi]++;
    if (!refused && hides_refused_a(t, family, bytes))
        refused = true;
    if (refused && family == AF_INET)
        refuse_aaaa_hiding(t, bytes);
    struct task_addr *a = &t->addrs[t->n_addrs];
    memset(a, 0, sizeof *a);
    a->family = (uint8_t)family;
    memcpy(a->bytes, bytes, family == AF_INET6 ? 16 : 4);
    a->refused = refused;
    t->n_addrs++;
    if (refused)
        t->n_refused++;
    return true;
}

void task_addr_text(const struct task_addr *a, char *buf, size_t buflen)
{
    if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)buflen))
        snprintf(buf, buflen, "?");
}

void domain_task_set_cname(struct domain_task *t, const char *target)
{
    t->cname = domain_task_put(t, target, strlen(target));
}

size_t domain_task_fetch_order(const struct domain_task *t, uint8_t *order, size_t max)
{
    uint8_t v6[TASK_MAX_ADDRS], v4[TASK_MAX_ADDRS];
    size_t n6 = 0, n4 = 0, n = 0;
    for (uint8_t i = 0; i < t->n_addrs; i++) {
        if (t->addrs[i].refused)
            continue;
        if (t->addrs[i].family == AF_INET6)
            v6[n6++] = i;
        else
            v4[n4++] = i;
    }
    for (size_t i = 0; n < max && (i < n6 || i < n4); i++) {
        if (i < n6 && n < max)
            order[n++] = v6[i];
        if (i < n4 && n < max)
            order[n++] = v4[i];
    }
    return n;
}

static size_t view_records(const struct domain_task *t, enum task_query q,
                           struct sts_txt_record *out)
{
    size_t n = t->ans[q].n;
    for (size_t i = 0; i < n; i++) {
        struct task_span r = domain_task_record(t, q, i);
        out[i].data = domain_task_str(t, r);
        out[i].len = r.len;
    }
    return n;
}

static const char *span_or_null(const struct domain_task *t, bool has, struct task_span s)
{
    return has ? domain_task_str(t, s) : NULL;
}

static const char *nonempty(const struct domain_task *t, struct task_span s)
{
    return s.off ? domain_task_str(t, s) : NULL;
}

static void view_fetch(const struct domain_task *t, struct domain_task_view *v)
{
    const struct task_fetch *f = &t->fetch;
    struct sts_observation *o = &v->obs;
    o->https = t->fetch_done ? f->outcome : STS_HTTPS_NOT_ATTEMPTED;
    o->cert = f->cert;
    o->http_status = f->http_status;
    o->content_type = span_or_null(t, f->has_content_type, f->content_type);
    o->body = span_or_null(t, f->has_body, f->body);
    o->body_len = f->has_body ? f->body.len : 0;

    struct sts_result *r = &v->result;
    r->https_addr = f->addr[0] ? f->addr : NULL;
    r->location = span_or_null(t, f->has_location, f->location);
    r->policy_http_server = f->server.len ? domain_task_str(t, f->server) : NULL;
    r->tls_version = nonempty(t, f->tls_version);
    r->cert_verify_text = nonempty(t, f->verify_text);
    r->cert_pem = nonempty(t, f->cert_pem);
    r->https_error = nonempty(t, f->error);
    r->time_connect_ms = f->time_connect_ms;
    r->time_tls_ms = f->time_tls_ms;
    r->time_total_ms = f->time_total_ms;
}

void domain_task_view(const struct domain_task *t, int64_t now, struct domain_task_view *v)
{
    memset(v, 0, sizeof *v);
    struct sts_observation *o = &v->obs;
    o->domain = t->domain;
    o->now = now;
    o->txt_outcome = t->ans[TASK_Q_TXT].outcome;
    o->n_txt = view_records(t, TASK_Q_TXT, v->txt);
    o->txt = v->txt;
    o->tlsrpt_outcome = t->ans[TASK_Q_TLSRPT].outcome;
    o->n_tlsrpt = view_records(t, TASK_Q_TLSRPT, v->tlsrpt);
    o->tlsrpt = v->tlsrpt;
    o->apex_outcome = t->ans[TASK_Q_APEX].outcome;
    o->n_apex = view_records(t, TASK_Q_APEX, v->apex);
    o->apex = v->apex;
    o->mx_outcome = t->ans[TASK_Q_MX].outcome;
    const struct task_answer *mx = &t->ans[TASK_Q_MX];
    for (size_t i = 0; i < mx->n; i++) {
        v->mx[i].host = domain_task_str(t, t->rec[mx->first + i]);
        v->mx[i].preference = t->pref[i];
    }
    o->mx = v->mx;
    o->n_mx = mx->n;
    o->a_outcome = t->ans[TASK_Q_A].outcome;
    o->aaaa_outcome = t->ans[TASK_Q_AAAA].outcome;
    o->txt_cut = t->ans[TASK_Q_TXT].dropped;
    o->mx_cut = t->ans[TASK_Q_MX].dropped;
    o->tlsrpt_cut = t->ans[TASK_Q_TLSRPT].dropped;
    o->apex_cut = t->ans[TASK_Q_APEX].dropped;
    o->addrs_cut = t->n_addrs_dropped;
    o->n_addrs = t->n_addrs;
    o->n_addrs_refused = t->n_refused;
    for (size_t i = 0; i < t->n_addrs; i++) {
        task_addr_text(&t->addrs[i], v->addr_buf[i], sizeof v->addr_buf[i]);
        v->addr_text[i] = v->addr_buf[i];
    }

    struct sts_result *r = &v->result;
    r->domain = t->domain;
    r->rank = t->rank;
    r->scanned_at = t->scanned_at ? t->scanned_at : now;
    r->obs = o;
    r->addrs = v->addr_text;
    r->n_addrs = t->n_addrs;
    r->host_cname = t->cname.len ? domain_task_str(t, t->cname) : NULL;
    r->time_dns_ms = (int)(t->dns_done_ms - t->started_ms);
    r->time_connect_ms = r->time_tls_ms = r->time_total_ms = -1;
    view_fetch(t, v);
    if (t->mx_done) {
        o->smtp_checked = (t->checks & SCAN_CHECK_SMTP) != 0;
        o->dane_checked = (t->checks & SCAN_CHECK_DANE) != 0;
        o->port25_blocked = t->port25_blocked;
        o->mx_probes = (const struct sts_mx_probe *const *)t->mx_probes;
        o->n_mx_probes = t->n_mx_probes;
    }
}
