/* `mtasts generate --mx-from-dns D`: the domain's current MX hosts as mx: lines, with
 * wildcard suggestions where several hosts share a parent. One c-ares query, driven by
 * poll() until it answers or the deadline passes. */
#include "scanner/commands/generate_mx.h"

#include <ares.h>
#include <ctype.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mx_query {
    bool done;
    int status;
    struct ares_mx_reply *reply;
};

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct mx_query *q = arg;
    q->done = true;
    q->status = status;
    if (status == ARES_SUCCESS && ares_parse_mx_reply(abuf, alen, &q->reply) != ARES_SUCCESS)
        q->status = ARES_EBADRESP;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_pref_name(const void *a, const void *b)
{
    const struct ares_mx_reply *x = *(struct ares_mx_reply *const *)a;
    const struct ares_mx_reply *y = *(struct ares_mx_reply *const *)b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcasecmp(x->host, y->host);
}

int generate_mx_lookup(const char *domain, const char *resolver, double timeout_s,
                       struct generate_mx *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    static bool lib_ready;
    if (!lib_ready && ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares cannot be initialised");
        return -1;
    }
    lib_ready = true;
    ares_channel ch;
    struct ares_options opt;
    memset(&opt, 0, sizeof opt);
    opt.flags = ARES_FLAG_NOSEARCH;
    opt.timeout = 2000;
    opt.tries = 3;
    if (ares_init_options(&ch, &opt, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
        ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares cannot be initialised");
        return -1;
    }
    if (resolver && ares_set_servers_ports_csv(ch, resolver) != ARES_SUCCESS) {
        snprintf(err, errlen, "bad --resolver '%s'", resolver);
        ares_destroy(ch);
        return -1;
    }
    struct mx_query q = {0};
    ares_query(ch, domain, 1 /* C_IN */, 15 /* T_MX */, on_answer, &q);
    double deadline = now_s() + timeout_s;
    while (!q.done && now_s() < deadline) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        nfds_t n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = (short)((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
                               (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
            if (ev)
                pfd[n++] = (struct pollfd){.fd = socks[i], .events = ev};
        }
        poll(pfd, n, 100);
        for (nfds_t i = 0; i < n; i++)
            ares_process_fd(
                ch, (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
                (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
        ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
    }
    ares_destroy(ch); /* ends a pending query with ARES_EDESTRUCTION */
    int rc = -1;
    if (!q.done || q.status == ARES_EDESTRUCTION || q.status == ARES_ETIMEOUT) {
        snprintf(err, errlen, "no answer for the MX records of %s within %.0f s", domain,
                 timeout_s);
    } else if (q.status == ARES_ENOTFOUND) {
        snprintf(err, errlen, "%s does not exist (NXDOMAIN)", domain);
    } else if (q.status == ARES_ENODATA) {
        snprintf(err, errlen, "%s has no MX record: give the hosts with --mx", domain);
    } else if (q.status != ARES_SUCCESS) {
        snprintf(err, errlen, "the MX lookup of %s failed: %s", domain, ares_strerror(q.status));
    } else {
        struct ares_mx_reply *list[GENERATE_MX_MAX];
        size_t k = 0;
        for (struct ares_mx_reply *r = q.reply; r && k < GENERATE_MX_MAX; r = r->next)
            list[k++] = r;
        qsort(list, k, sizeof list[0], by_pref_name);
        for (size_t i = 0; i < k; i++) {
            char h[256];
            size_t hl = strlen(list[i]->host);
            while (hl > 0 && list[i]->host[hl - 1] == '.')
                hl--;
            if (hl == 0 || hl >= sizeof h)
                continue; /* the null MX "." (RFC 7505), or too long */
            for (size_t c = 0; c < hl; c++)
                h[c] = (char)tolower((unsigned char)list[i]->host[c]);
            h[hl] = '\0';
            bool dup = false;
            for (size_t j = 0; j < out->n; j++)
                dup |= !strcmp(out->hosts[j], h);
            if (!dup && (out->hosts[out->n] = strdup(h)))
                out->n++;
        }
        if (out->n == 0)
            snprintf(err, errlen, "%s publishes a null MX (it accepts no mail): no policy needed",
                     domain);
        else
            rc = 0;
    }
    if (q.reply)
        ares_free_data(q.reply);
    return rc;
}

void generate_mx_wildcards(const struct generate_mx *m, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->n; i++) {
        const char *parent = strchr(m->hosts[i], '.');
        if (!parent || !strchr(parent + 1, '.'))
            continue; /* *.com would be no suggestion */
        parent++;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *pj = strchr(m->hosts[j], '.');
            seen = pj && !strcmp(pj + 1, parent);
        }
        if (seen)
            continue;
        size_t count = 0;
        for (size_t j = 0; j < m->n; j++) {
            const char *pj = strchr(m->hosts[j], '.');
            count += pj && !strcmp(pj + 1, parent);
        }
        if (count >= 3 && used < len) {
            int n = snprintf(buf + used, len - used, "*.%s covers %zu hosts\n", parent, count);
            if (n > 0)
                used += (size_t)n;
        }
    }
}

void generate_mx_free(struct generate_mx *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->hosts[i]);
    memset(m, 0, sizeof *m);
}
