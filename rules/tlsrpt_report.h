/* RFC 8460 4: one TLS-RPT aggregate report (JSON) -> struct tlsrpt_report, with warnings. */
#ifndef TLSRPT_REPORT_H
#define TLSRPT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on hostile input. A report over a cap is refused as a whole (never stored cut). */
#define TLSRPT_MAX_JSON_BYTES (16u << 20) /* of the decompressed JSON */
#define TLSRPT_MAX_DEPTH 32               /* arrays/objects; a real report nests 5 deep */
#define TLSRPT_MAX_POLICIES 10000
#define TLSRPT_MAX_DETAILS 100000 /* failure details, over all policies */
#define TLSRPT_MAX_LIST 1000      /* entries of policy-string or mx-host */
#define TLSRPT_MAX_STRING 4096    /* bytes of one string; longer ones are dropped (NULL) */
#define TLSRPT_MAX_WARNINGS 64    /* kept per report; the rest counted in n_warnings_dropped */
/* Largest count kept: JSON's exact integer range (RFC 7493 I-JSON), far above any real day. */
#define TLSRPT_COUNT_MAX ((int64_t)9007199254740991) /* 2^53 - 1 */

/* A session count: absent, or a value 0..TLSRPT_COUNT_MAX. Anything else is absent plus a
 * warning (negative, too large, not an integer, not a number). */
struct tlsrpt_count {
    bool present;
    int64_t v;
};

/* One failure-details entry. Strings are owned, NUL-terminated (NUL bytes in the JSON become
 * U+FFFD), NULL when absent or empty (an empty string counts as absent: reporters send ""
 * for fields they do not know). */
struct tlsrpt_failure {
    char *result_type; /* as received; see tlsrpt_result_type_known() */
    char *sending_mta_ip;
    char *receiving_mx_hostname;
    char *receiving_mx_helo;
    char *receiving_ip;
    struct tlsrpt_count failed_session_count;
    char *additional_information;
    char *failure_reason_code; /* also read from "failure-error-code" (the RFC's own example) */
};

struct tlsrpt_policy {
    char *policy_type; /* sts, tlsa, no-policy-found (others kept, with a warning) */
    char *policy_domain;
    char **policy_strings;
    size_t n_policy_strings;
    char **mx_hosts; /* "mx-host": an array, or one string as in the RFC's example */
    size_t n_mx_hosts;
    struct tlsrpt_count total_successful;
    struct tlsrpt_count total_failure;
    struct tlsrpt_failure *failures;
    size_t n_failures;
};

/* A warning: a stable code (docs/taxonomy.md, "TLS-RPT report warnings") and a detail
 * that may quote remote bytes (escape it on output). */
struct tlsrpt_warning {
    const char *code; /* static */
    char *detail;     /* owned */
};

struct tlsrpt_report {
    char *organization_name;
    char *contact_info;
    char *report_id;
    char *start_datetime, *end_datetime; /* as received */
    bool has_start, has_end;             /* the datetime parsed (RFC 3339) */
    int64_t start_time, end_time;        /* Unix seconds, UTC */
    struct tlsrpt_policy *policies;
    size_t n_policies;
    struct tlsrpt_warning warnings[TLSRPT_MAX_WARNINGS];
    size_t n_warnings;
    size_t n_warnings_dropped;
    size_t n_empty_strings; /* "" read as absent */
};

/* Parses one report from json[0..len) (need not be NUL-terminated). Returns 0 and fills *out
 * (zeroed first; free with tlsrpt_report_free), or -1 with the reason in err and *out freed:
 * not JSON, not UTF-8, over a cap, not an object, no "policies" array. Never reads past len;
 * never invents a value: what is absent or malformed stays absent, with a warning. */
int tlsrpt_report_parse(const char *json, size_t len, struct tlsrpt_report *out, char *err,
                        size_t errlen);
void tlsrpt_report_free(struct tlsrpt_report *r);

/* Parses an RFC 3339 date-time (Z or +hh:mm offset, optional fraction) into Unix seconds.
 * Returns 0 or -1. */
int tlsrpt_parse_datetime(const char *s, int64_t *out);

/* True when t is one of the RFC 8460 4.3 result types (case-insensitive). */
bool tlsrpt_result_type_known(const char *t);

/* The warnings as a JSON array [{"code","detail"}] into a malloc'ed string (NULL on OOM). */
char *tlsrpt_warnings_json(const struct tlsrpt_report *r);

#endif
