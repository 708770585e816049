/* File descriptors a scan needs, and the soft RLIMIT_NOFILE raised to match before it starts. */
#include "scanner/engine/fd_limit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Per worker: epoll, eventfd, libcurl's wakeup socketpair, and slack. */
#define FD_PER_WORKER 6
/* Per worker and resolver: a UDP and a TCP socket (c-ares). */
#define FD_PER_RESOLVER 2
/* The system resolver list when none is given (resolv.conf holds at most 3 servers). */
#define FD_SYSTEM_RESOLVERS 3
/* The store (database, WAL, shared memory, journal), the inputs, stdio, the CA file, OpenSSL
 * and libcurl's own. */
#define FD_MARGIN 64

long fd_limit_needed(const struct scan_config *cfg)
{
    long resolvers = cfg->n_resolvers ? (long)cfg->n_resolvers : FD_SYSTEM_RESOLVERS;
    long threads = cfg->threads > 0 ? cfg->threads : 1;
    long need = (long)cfg->https_conns + threads * (FD_PER_WORKER + FD_PER_RESOLVER * resolvers) +
                FD_MARGIN;
    if (cfg->checks & (SCAN_CHECK_SMTP | SCAN_CHECK_DANE)) {
        /* The SMTP stage: its own c-ares channel per worker, and one socket per probe
         * connection (--smtp-conns, split between workers rounded up). */
        need += threads * FD_PER_RESOLVER * resolvers;
        if (cfg->checks & SCAN_CHECK_SMTP)
            need += (long)cfg->smtp_conns + threads;
    }
    return need;
}

int fd_limit_ensure(const struct scan_config *cfg, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        snprintf(err, errlen, "cannot read the open-file limit: %s", strerror(errno));
        return -1;
    }
    rlim_t need = (rlim_t)fd_limit_needed(cfg);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_cur == RLIM_INFINITY)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        bool smtp = (cfg->checks & SCAN_CHECK_SMTP) != 0;
        char smtp_conns[48] = "";
        if (smtp)
            snprintf(smtp_conns, sizeof smtp_conns, " and --smtp-conns %d", cfg->smtp_conns);
        snprintf(err, errlen,
                 "--https-conns %d%s with %d threads needs about %llu open files, but the hard "
                 "limit is %llu (ulimit -Hn): lower --https-conns%s, or raise the limit",
                 cfg->https_conns, smtp_conns, cfg->threads, (unsigned long long)need,
                 (unsigned long long)rl.rlim_max, smtp ? " or --smtp-conns" : "");
        return -1;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        snprintf(err, errlen, "cannot raise the open-file limit to %llu: %s",
                 (unsigned long long)need, strerror(errno));
        return -1;
    }
    return 0;
}
