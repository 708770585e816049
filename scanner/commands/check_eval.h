/* Evaluating one `mtasts check` verdict: the layers (state, observed values, fix) and the
 * exit status. Pure: no output; check_render.h turns the layers into text or JSON. */
#ifndef CHECK_EVAL_H
#define CHECK_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/sts_result.h"
#include "scanner/commands/check_text.h" /* CHECK_TEXT_MAX */

/* The layers a check reports, in this order. */
enum check_layer_id {
    CHECK_LAYER_DNS = 0,   /* the _mta-sts TXT record */
    CHECK_LAYER_FETCH,     /* policy host address, HTTPS, certificate, HTTP status, type */
    CHECK_LAYER_PARSE,     /* the policy file */
    CHECK_LAYER_MX,        /* MX coverage */
    CHECK_LAYER_DELIVERY,  /* MX transport: STARTTLS, certificates, DANE (check_mx.c) */
    CHECK_LAYER_TLSRPT,    /* the _smtp._tls TXT record */
    CHECK_LAYER_READINESS, /* promotion from testing to enforce */
    CHECK_LAYER_COUNT
};

enum check_state { CHECK_PASS = 0, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

/* One layer's verdict: observed values and the fix (empty when nothing to fix). */
struct check_layer {
    enum check_layer_id id;
    enum check_state state;
    char observed[CHECK_TEXT_MAX]; /* what was seen, one or two lines; remote bytes made
                                      printable (control bytes shown as '?') */
    char fix[CHECK_TEXT_MAX];      /* the exact change to make, one or two sentences */
};

/* "dns", "fetch", "parse", "mx", "delivery", "tlsrpt", "readiness" (the JSON keys) and
 * "DNS record", "Policy fetch", ... (titles for people). */
const char *check_layer_key(enum check_layer_id id);
const char *check_layer_title(enum check_layer_id id);
const char *check_state_name(enum check_state s); /* "pass", "warn", "fail", "skip" */

/* Evaluates every layer of one result (r->obs and r->verdict must be set). Pure. */
void check_layers(const struct sts_result *r, struct check_layer out[CHECK_LAYER_COUNT]);

/* 0: status valid and no layer warns; 1: valid, but a warning (a taxonomy warning, a lenient
 * parse, a failed MX or TLS-RPT lookup); 2: a failure (invalid, or no_policy: a check asks
 * whether MTA-STS protects this domain, and it does not); 3: could not check (dns_error;
 * domain_nxdomain: the name does not exist). The same value as the JSON's "exit_status". */
int check_exit_status(const struct sts_result *r);

/* Combines the exit statuses of several domains: the highest wins. */
int check_exit_combine(int a, int b);

/* The same exit status from layers already evaluated by check_layers(r, layers). */
int check_exit_of_layers(const struct sts_result *r,
                         const struct check_layer layers[CHECK_LAYER_COUNT]);

/* The domain the result is about (r->domain, else the observation's, else ""). */
const char *check_result_domain(const struct sts_result *r);

#endif
