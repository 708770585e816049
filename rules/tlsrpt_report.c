/* RFC 8460 4: one TLS-RPT aggregate report (JSON, via jansson) -> struct tlsrpt_report. */
#include "rules/tlsrpt_report.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/escape.h"
#include "lib/sbuf.h"

static void warn(struct tlsrpt_report *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(struct tlsrpt_report *r, const char *code, const char *fmt, ...)
{
    if (r->n_warnings >= TLSRPT_MAX_WARNINGS) {
        r->n_warnings_dropped++;
        return;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    struct tlsrpt_warning *w = &r->warnings[r->n_warnings++];
    w->code = code;
    w->detail = strdup(buf);
}

/* The deepest array/object nesting of the text, outside strings; stops counting past cap.
 * Run before jansson so a hostile document cannot drive its recursion. */
static int json_depth(const char *s, size_t len, int cap)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
            if (max > cap)
                return max;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

/* A copy of a JSON string value with NUL bytes as U+FFFD; NULL for "" (counted) or when
 * too long (warned). `what` names the field in warnings. */
static char *take_string(struct tlsrpt_report *r, json_t *v, const char *what)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0) {
        r->n_empty_strings++;
        return NULL;
    }
    if (len > TLSRPT_MAX_STRING) {
        warn(r, "string_too_long", "%s: %zu bytes (cap %u), not kept", what, len,
             (unsigned)TLSRPT_MAX_STRING);
        return NULL;
    }
    size_t nuls = 0;
    for (size_t i = 0; i < len; i++)
        nuls += s[i] == '\0';
    char *out = malloc(len + 2 * nuls + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0') {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* A string field of obj: absent -> NULL; not a string -> NULL with a warning. */
static char *get_string(struct tlsrpt_report *r, json_t *obj, const char *key, const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    char what[128];
    snprintf(what, sizeof what, "%s%s", where, key);
    if (!json_is_string(v)) {
        warn(r, "wrong_type", "%s: not a string, ignored", what);
        return NULL;
    }
    return take_string(r, v, what);
}

/* A count field: absent, or 0..TLSRPT_COUNT_MAX; every other value is absent + a warning. */
static struct tlsrpt_count get_count(struct tlsrpt_report *r, json_t *obj, const char *key,
                                     const char *where)
{
    struct tlsrpt_count c = {false, 0};
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return c;
    if (json_is_integer(v)) { /* not with JSON_DECODE_INT_AS_REAL, but callers may differ */
        json_int_t i = json_integer_value(v);
        if (i < 0) {
            warn(r, "count_negative", "%s%s: %lld, not kept", where, key, (long long)i);
            return c;
        }
        if (i > TLSRPT_COUNT_MAX) {
            warn(r, "count_too_large", "%s%s: %lld, not kept", where, key, (long long)i);
            return c;
        }
        c.present = true;
        c.v = (int64_t)i;
        return c;
    }
    if (!json_is_real(v)) {
        warn(r, "count_not_number", "%s%s: not a number, not kept", where, key);
        return c;
    }
    double d = json_real_value(v);
    if (d != floor(d)) {
        warn(r, "count_not_integer", "%s%s: %.17g, not kept", where, key, d);
    } else if (d < 0) {
        warn(r, "count_negative", "%s%s: %.17g, not kept", where, key, d);
    } else if (d > (double)TLSRPT_COUNT_MAX) {
        warn(r, "count_too_large", "%s%s: %.17g (above 2^53-1), not kept", where, key, d);
    } else {
        c.present = true;
        c.v = (int64_t)d;
    }
    return c;
}

/* A list of strings: an array of strings, or one string (the RFC's example writes mx-host
 * so). Returns 0, or -1 when the list exceeds the cap (the report is refused). */
static int get_list(struct tlsrpt_report *r, json_t *obj, const char *key, const char *where,
                    char ***out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    json_t *v = json_object_get(obj, key);
    char what[128];
    snprintf(what, sizeof what, "%s%s", where, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        char *s = take_string(r, v, what);
        if (!s)
            return 0;
        *out = calloc(1, sizeof **out);
        if (!*out) {
            free(s);
            return 0;
        }
        (*out)[0] = s;
        *n = 1;
        return 0;
    }
    if (!json_is_array(v)) {
        warn(r, "wrong_type", "%s: not a list of strings, ignored", what);
        return 0;
    }
    size_t len = json_array_size(v);
    if (len > TLSRPT_MAX_LIST) {
        snprintf(err, errlen, "%s has %zu entries (cap %d)", what, len, TLSRPT_MAX_LIST);
        return -1;
    }
    if (len == 0)
        return 0;
    *out = calloc(len, sizeof **out);
    if (!*out)
        return 0;
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            warn(r, "wrong_type", "%s[%zu]: not a string, ignored", what, i);
            continue;
        }
        char *s = take_string(r, e, what);
        if (s)
            (*out)[(*n)++] = s;
    }
    return 0;
}

static void parse_failure(struct tlsrpt_report *r, json_t *o, struct tlsrpt_failure *f,
                          const char *where)
{
    f->result_type = get_string(r, o, "result-type", where);
    f->sending_mta_ip = get_string(r, o, "sending-mta-ip", where);
    f->receiving_mx_hostname = get_string(r, o, "receiving-mx-hostname", where);
    f->receiving_mx_helo = get_string(r, o, "receiving-mx-helo", where);
    f->receiving_ip = get_string(r, o, "receiving-ip", where);
    f->failed_session_count = get_count(r, o, "failed-session-count", where);
    f->additional_information = get_string(r, o, "additional-information", where);
    f->failure_reason_code = get_string(r, o, "failure-reason-code", where);
    if (!f->failure_reason_code && json_object_get(o, "failure-error-code")) {
        f->failure_reason_code = get_string(r, o, "failure-error-code", where);
        if (f->failure_reason_code)
            warn(r, "reason_code_alias", "%sfailure-error-code read as failure-reason-code", where);
    }
    if (!f->result_type)
        warn(r, "missing_field", "%sresult-type", where);
    else if (!tlsrpt_result_type_known(f->result_type))
        warn(r, "unknown_result_type", "%sresult-type: %.200s", where, f->result_type);
    if (!f->failed_session_count.present && !json_object_get(o, "failed-session-count"))
        warn(r, "missing_field", "%sfailed-session-count", where);
}

static bool policy_type_known(const char *t)
{
    return !strcmp(t, "sts") || !strcmp(t, "tlsa") || !strcmp(t, "no-policy-found");
}

/* One element of "policies". Returns 0, or -1 (report refused: over a cap). */
static int parse_policy(struct tlsrpt_report *r, json_t *o, size_t idx, struct tlsrpt_policy *p,
                        size_t *details_total, char *err, size_t errlen)
{
    char where[64];
    snprintf(where, sizeof where, "policies[%zu].policy.", idx);
    if (!json_is_object(o)) {
        warn(r, "wrong_type", "policies[%zu]: not an object, ignored", idx);
        return 0;
    }
    json_t *pol = json_object_get(o, "policy");
    if (json_is_object(pol)) {
        p->policy_type = get_string(r, pol, "policy-type", where);
        p->policy_domain = get_string(r, pol, "policy-domain", where);
        if (get_list(r, pol, "policy-string", where, &p->policy_strings, &p->n_policy_strings, err,
                     errlen) < 0 ||
            get_list(r, pol, "mx-host", where, &p->mx_hosts, &p->n_mx_hosts, err, errlen) < 0)
            return -1;
        if (!p->policy_type)
            warn(r, "missing_field", "%spolicy-type", where);
        else if (!policy_type_known(p->policy_type))
            warn(r, "unknown_policy_type", "%spolicy-type: %.200s", where, p->policy_type);
        if (!p->policy_domain)
            warn(r, "missing_field", "%spolicy-domain", where);
    } else {
        warn(r, "missing_field", "policies[%zu].policy", idx);
    }
    snprintf(where, sizeof where, "policies[%zu].summary.", idx);
    json_t *sum = json_object_get(o, "summary");
    if (json_is_object(sum)) {
        p->total_successful = get_count(r, sum, "total-successful-session-count", where);
        p->total_failure = get_count(r, sum, "total-failure-session-count", where);
    } else {
        warn(r, "missing_field", "policies[%zu].summary", idx);
    }
    json_t *fd = json_object_get(o, "failure-details");
    if (fd && !json_is_null(fd) && !json_is_array(fd))
        warn(r, "wrong_type", "policies[%zu].failure-details: not a list, ignored", idx);
    size_t nfd = json_is_array(fd) ? json_array_size(fd) : 0;
    if (nfd > TLSRPT_MAX_DETAILS - *details_total) {
        snprintf(err, errlen, "more than %d failure details", TLSRPT_MAX_DETAILS);
        return -1;
    }
    *details_total += nfd;
    if (nfd) {
        p->failures = calloc(nfd, sizeof *p->failures);
        if (!p->failures) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    int64_t sum_details = 0;
    bool all_counted = true;
    for (size_t i = 0; i < nfd; i++) {
        json_t *e = json_array_get(fd, i);
        char fw[80];
        snprintf(fw, sizeof fw, "policies[%zu].failure-details[%zu].", idx, i);
        if (!json_is_object(e)) {
            warn(r, "wrong_type", "policies[%zu].failure-details[%zu]: not an object, ignored", idx,
                 i);
            continue;
        }
        struct tlsrpt_failure *f = &p->failures[p->n_failures++];
        parse_failure(r, e, f, fw);
        if (f->failed_session_count.present)
            sum_details += f->failed_session_count.v; /* <= 1e5 * 2^53: no overflow */
        else
            all_counted = false;
    }
    /* The summary and the details are two statements of one figure: say when they differ. */
    if (p->total_failure.present && all_counted) {
        if (p->n_failures == 0 && p->total_failure.v > 0)
            warn(r, "failures_without_details",
                 "policies[%zu]: total-failure-session-count %lld with no failure-details", idx,
                 (long long)p->total_failure.v);
        else if (p->n_failures > 0 && sum_details != p->total_failure.v)
            warn(r, "summary_detail_mismatch",
                 "policies[%zu]: total-failure-session-count %lld, failure-details sum %lld", idx,
                 (long long)p->total_failure.v, (long long)sum_details);
    }
    return 0;
}

static void parse_dates(struct tlsrpt_report *r, json_t *root)
{
    json_t *dr = json_object_get(root, "date-range");
    if (!json_is_object(dr)) {
        warn(r, "missing_field", "date-range");
        return;
    }
    r->start_datetime = get_string(r, dr, "start-datetime", "date-range.");
    r->end_datetime = get_string(r, dr, "end-datetime", "date-range.");
    if (!r->start_datetime)
        warn(r, "missing_field", "date-range.start-datetime");
    else if (tlsrpt_parse_datetime(r->start_datetime, &r->start_time) == 0)
        r->has_start = true;
    else
        warn(r, "bad_datetime", "date-range.start-datetime: %.100s", r->start_datetime);
    if (!r->end_datetime)
        warn(r, "missing_field", "date-range.end-datetime");
    else if (tlsrpt_parse_datetime(r->end_datetime, &r->end_time) == 0)
        r->has_end = true;
    else
        warn(r, "bad_datetime", "date-range.end-datetime: %.100s", r->end_datetime);
    if (r->has_start && r->has_end) {
        int64_t span = r->end_time - r->start_time;
        if (span < 0)
            warn(r, "dates_out_of_order", "end-datetime is %lld s before start-datetime",
                 (long long)-span);
        else if (span > 26 * 3600)
            warn(r, "date_range_not_daily", "covers %lld s; counted on its first day",
                 (long long)span);
    }
}

int tlsrpt_report_parse(const char *json, size_t len, struct tlsrpt_report *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > TLSRPT_MAX_JSON_BYTES) {
        snprintf(err, errlen, "report is %zu bytes (cap %u)", len, TLSRPT_MAX_JSON_BYTES);
        return -1;
    }
    int depth = json_depth(json, len, TLSRPT_MAX_DEPTH);
    if (depth > TLSRPT_MAX_DEPTH) {
        snprintf(err, errlen, "JSON nested deeper than %d levels", TLSRPT_MAX_DEPTH);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(
        json, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        struct sbuf b = SBUF_INIT;
        esc_text(&b, jerr.text);
        snprintf(err, errlen, "not JSON: %s (line %d, column %d)", sbuf_str(&b), jerr.line,
                 jerr.column);
        sbuf_free(&b);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "not a TLS-RPT report: the JSON is not an object");
        goto done;
    }
    json_t *pols = json_object_get(root, "policies");
    if (!json_is_array(pols)) {
        snprintf(err, errlen, "not a TLS-RPT report: no \"policies\" list");
        goto done;
    }
    size_t np = json_array_size(pols);
    if (np > TLSRPT_MAX_POLICIES) {
        snprintf(err, errlen, "%zu policies (cap %d)", np, TLSRPT_MAX_POLICIES);
        goto done;
    }
    out->organization_name = get_string(out, root, "organization-name", "");
    out->contact_info = get_string(out, root, "contact-info", "");
    out->report_id = get_string(out, root, "report-id", "");
    if (!out->organization_name)
        warn(out, "missing_field", "organization-name");
    if (!out->report_id)
        warn(out, "missing_field", "report-id");
    if (!out->contact_info)
        warn(out, "missing_field", "contact-info");
    parse_dates(out, root);
    if (np == 0)
        warn(out, "no_policies", "the policies list is empty");
    out->policies = np ? calloc(np, sizeof *out->policies) : NULL;
    if (np && !out->policies) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    size_t details = 0;
    for (size_t i = 0; i < np; i++) {
        if (parse_policy(out, json_array_get(pols, i), i, &out->policies[out->n_policies], &details,
                         err, errlen) < 0) {
            out->n_policies++; /* freed below */
            goto done;
        }
        out->n_policies++;
    }
    if (out->n_empty_strings)
        warn(out, "empty_strings", "%zu empty string(s) read as absent", out->n_empty_strings);
    rc = 0;
done:
    json_decref(root);
    if (rc < 0)
        tlsrpt_report_free(out);
    return rc;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void tlsrpt_report_free(struct tlsrpt_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_policies; i++) {
        struct tlsrpt_policy *p = &r->policies[i];
        free(p->policy_type);
        free(p->policy_domain);
        free_list(p->policy_strings, p->n_policy_strings);
        free_list(p->mx_hosts, p->n_mx_hosts);
        for (size_t j = 0; j < p->n_failures; j++) {
            struct tlsrpt_failure *f = &p->failures[j];
            free(f->result_type);
            free(f->sending_mta_ip);
            free(f->receiving_mx_hostname);
            free(f->receiving_mx_helo);
            free(f->receiving_ip);
            free(f->additional_information);
            free(f->failure_reason_code);
        }
        free(p->failures);
    }
    free(r->policies);
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i].detail);
    free(r->organization_name);
    free(r->contact_info);
    free(r->report_id);
    free(r->start_datetime);
    free(r->end_datetime);
    memset(r, 0, sizeof *r);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int tlsrpt_parse_datetime(const char *s, int64_t *out)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm); 't'/' ' for 'T' and 'z' as RFC 3339 5.6
     * allows. */
    size_t len = strlen(s);
    if (len < 20)
        return -1;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        return -1;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int off = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    } else {
        return -1;
    }
    if (se == 60)
        se = 59; /* a leap second is the last second of its minute */
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}

bool tlsrpt_result_type_known(const char *t)
{
    static const char *const known[] = {"starttls-not-supported", "certificate-host-mismatch",
                                        "certificate-expired",    "certificate-not-trusted",
                                        "validation-failure",     "tlsa-invalid",
                                        "dnssec-invalid",         "dane-required",
                                        "sts-policy-fetch-error", "sts-policy-invalid",
                                        "sts-webpki-invalid"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(t, known[i]))
            return true;
    return false;
}

char *tlsrpt_warnings_json(const struct tlsrpt_report *r)
{
    struct sbuf b = SBUF_INIT;
    sbuf_putc(&b, '[');
    for (size_t i = 0; i < r->n_warnings; i++) {
        if (i)
            sbuf_putc(&b, ',');
        sbuf_puts(&b, "{\"code\":");
        esc_json_str(&b, r->warnings[i].code);
        sbuf_puts(&b, ",\"detail\":");
        esc_json_str(&b, r->warnings[i].detail ? r->warnings[i].detail : "");
        sbuf_putc(&b, '}');
    }
    if (r->n_warnings_dropped)
        sbuf_printf(&b, "%s{\"code\":\"warnings_dropped\",\"detail\":\"%zu more\"}",
                    r->n_warnings ? "," : "", r->n_warnings_dropped);
    sbuf_putc(&b, ']');
    if (b.oom) {
        sbuf_free(&b);
        return NULL;
    }
    return b.data ? b.data : strdup("[]");
}
