/* The scan result of one domain: the type shared by the engine, the store and the commands. */
#ifndef STS_RESULT_H
#define STS_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "rules/sts_classify.h"

/* One domain's scan result: what the engine observed and the classifier decided. The engine
 * produces it, `check` renders it, the store turns it into a row. All pointers borrowed. */
struct sts_result {
    const char *domain;
    long rank; /* -1 when the input had none */
    int64_t scanned_at;
    const struct sts_observation *obs;
    const struct sts_verdict *verdict;
    const char *const *addrs; /* policy host addresses as text */
    size_t n_addrs;
    const char *host_cname; /* NULL when none */
    const char *https_addr; /* address of the final fetch attempt, NULL when none */
    const char *location;   /* redirect Location, NULL when none */
    /* HTTP Server header of the fetch's response (at most HTTPS_SERVER_MAX bytes, a longer
     * value cut and marked "[cut]"; remote bytes, escaped on output), NULL when none */
    const char *policy_http_server;
    const char *tls_version; /* NULL when no TLS */
    const char *cert_verify_text;
    const char *cert_pem; /* peer chain, PEM; NULL when none */
    const char *https_error;
    int time_dns_ms, time_connect_ms, time_tls_ms, time_total_ms; /* -1 when not measured */
};

#endif
