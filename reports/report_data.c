/* One pass of read-only SQL over a scan's results, aggregated into the report figures. */
#include "reports/report.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reports/groups.h"
#include "reports/json_list.h"
#include "reports/stats.h"

#define RFC_MAX_AGE 31557600
#define DAY 86400
#define REPORT_EXPIRING_DAYS 30

const int64_t report_rank_limits[REPORT_RANK_BUCKETS] = {1000, 10000, 100000, 1000000};

const char *const report_maxage_bucket_names[REPORT_MAXAGE_BUCKETS] = {
    "under_1d", "1d", "1d_to_7d", "7d", "7d_to_30d", "30d_and_more", "over_rfc_limit"};

int report_maxage_bucket(int64_t v)
{
    if (v < DAY)
        return 0;
    if (v == DAY)
        return 1;
    if (v < 7 * DAY)
        return 2;
    if (v == 7 * DAY)
        return 3;
    if (v < 30 * DAY)
        return 4;
    if (v <= RFC_MAX_AGE)
        return 5;
    return 6;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int64_t report_pick_scan(sqlite3 *db, int64_t id, char *err, size_t errlen)
{
    const char *sql = id > 0 ? "SELECT id FROM scans WHERE id = ?1"
                             : "SELECT id FROM scans ORDER BY state = 'complete' DESC, id DESC "
                               "LIMIT 1";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        set_err(err, errlen, "cannot read the scans table: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (id > 0)
        sqlite3_bind_int64(st, 1, id);
    int64_t found = -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        found = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE && id > 0)
        set_err(err, errlen, "no scan with id %lld in the database", (long long)id);
    else if (rc == SQLITE_DONE)
        set_err(err, errlen, "the database holds no scan yet");
    else
        set_err(err, errlen, "cannot read the scans table: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return found;
}

static char *col_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

static int load_scan_json(sqlite3 *db, struct report_scan *s);
static int load_input_errors(sqlite3 *db, struct report_scan *s);

static int load_scan(sqlite3 *db, int64_t scan_id, struct report_scan *s, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT id, started_at, finished_at, state, tool_version, inputs, options, "
        "shard_index, shard_count, input_domains, invalid_lines, duplicates, excluded, "
        "resumes, elapsed_s, merged_from, (SELECT count(*) FROM results r WHERE r.scan_id = "
        "scans.id) FROM scans WHERE id = ?1";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        set_err(err, errlen, "cannot read scan %lld: %s", (long long)scan_id, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, scan_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        set_err(err, errlen, "no scan with id %lld in the database", (long long)scan_id);
        sqlite3_finalize(st);
        return -1;
    }
    s->id = sqlite3_column_int64(st, 0);
    s->started_at = col_strdup(st, 1);
    s->finished_at = col_strdup(st, 2);
    s->state = col_strdup(st, 3);
    s->tool_version = col_strdup(st, 4);
    s->inputs = col_strdup(st, 5);
    s->options = col_strdup(st, 6);
    s->shard_index = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
    s->shard_count = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 8);
    s->has_input_domains = sqlite3_column_type(st, 9) != SQLITE_NULL;
    s->input_domains = sqlite3_column_int64(st, 9);
    s->invalid_lines = sqlite3_column_int64(st, 10);
    s->duplicates = sqlite3_column_int64(st, 11);
    s->excluded = sqlite3_column_int64(st, 12);
    s->resumes = sqlite3_column_int64(st, 13);
    s->has_elapsed = sqlite3_column_type(st, 14) != SQLITE_NULL;
    s->elapsed_s = sqlite3_column_double(st, 14);
    s->merged_from = col_strdup(st, 15);
    s->rows = sqlite3_column_int64(st, 16);
    sqlite3_finalize(st);
    if (load_scan_json(db, s) < 0 || load_input_errors(db, s) < 0) {
        set_err(err, errlen, "cannot read the options of scan %lld: %s", (long long)scan_id,
                sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Appends the pairs of one query over json_each into (keys, values). */
static int load_pairs(sqlite3 *db, const char *sql, const char *json, char ***keys, char ***values,
                      size_t *n)
{
    if (!json)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **k = realloc(*keys, cap * sizeof *k), **v;
            if (k)
                *keys = k;
            v = k ? realloc(*values, cap * sizeof *v) : NULL;
            if (!v) {
                sqlite3_finalize(st);
                return -1;
            }
            *values = v;
        }
        (*keys)[*n] = col_strdup(st, 0);
        (*values)[*n] = col_strdup(st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The options' top-level fields and the inputs' names; malformed JSON yields none (the raw
 * text is still printed). */
static int load_scan_json(sqlite3 *db, struct report_scan *s)
{
    static const char options_sql[] =
        "SELECT key, CASE WHEN type IN ('object', 'array') THEN json(value) "
        "WHEN type IN ('null', 'true', 'false') THEN type ELSE value END FROM json_each(?1) "
        "WHERE json_valid(?1) AND json_type(?1) = 'object'";
    static const char inputs_sql[] =
        "SELECT json_extract(value, '$.name'), json_extract(value, '$.sha256') FROM "
        "json_each(?1) WHERE json_valid(?1) AND json_type(?1) = 'array'";
    if (load_pairs(db, options_sql, s->options, &s->option_keys, &s->option_values, &s->noptions) <
        0)
        return -1;
    return load_pairs(db, inputs_sql, s->inputs, &s->input_names, &s->input_hashes, &s->ninputs);
}

/* The first input errors of the scan, and how many there are. */
static int load_input_errors(sqlite3 *db, struct report_scan *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT file, line, reason, text, (SELECT count(*) FROM input_errors "
                           "WHERE scan_id = ?1) FROM input_errors WHERE scan_id = ?1 ORDER BY "
                           "file, line LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, s->id);
    sqlite3_bind_int(st, 2, REPORT_INPUT_ERRORS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && s->ninput_errors < REPORT_INPUT_ERRORS) {
        struct report_input_error *e = &s->input_errors[s->ninput_errors++];
        e->file = col_strdup(st, 0);
        e->line = sqlite3_column_int64(st, 1);
        e->reason = col_strdup(st, 2);
        e->text = col_strdup(st, 3);
        s->input_errors_total = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* One result row, as the aggregation needs it. Strings borrowed from the statement. */
struct row {
    const char *domain;
    bool has_rank;
    int64_t rank, scanned_at;
    int status; /* enum sts_status, or -1 for an unknown code */
    const char *category, *warnings, *readiness, *mode, *mx_outcome, *tlsrpt_status;
    const char *mx_hosts, *rua, *host_cname; /* mx_hosts, rua: JSON arrays of strings */
    bool valid_strict, valid_lenient, would_fail, null_mx, policy_valid;
    int64_t txt_records, txt_version_records;
    bool has_txt_id, has_policy_body, has_max_age, has_cert_not_after;
    int64_t http_status, max_age, cert_verify_code, cert_not_after;
};

/* JSON lists (mx_hosts, rua) are read in C (json_list.h): json_each() over a million rows
 * cost more than the rest of the query. */
static const char rows_sql[] =
    "SELECT domain, rank, scanned_at, status, category, warnings, valid_strict, valid_lenient, "
    "would_fail_delivery, readiness, txt_records, txt_version_records, txt_id IS NOT NULL, "
    "mx_outcome, null_mx, tlsrpt_status, "
    "rua, "
    "host_cname, http_status, (policy_blob IS NOT NULL OR policy_size IS NOT NULL), "
    "policy_mode, policy_max_age, cert_verify_code, cert_not_after, "
    "mx_hosts, "
    "policy_valid "
    "FROM results WHERE scan_id = ?1";

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void read_row(sqlite3_stmt *st, struct row *r)
{
    r->domain = col_text(st, 0);
    r->has_rank = sqlite3_column_type(st, 1) != SQLITE_NULL;
    r->rank = sqlite3_column_int64(st, 1);
    r->scanned_at = sqlite3_column_int64(st, 2);
    const char *status = col_text(st, 3);
    r->status = status ? sts_status_from_name(status) : -1;
    r->category = col_text(st, 4);
    r->warnings = col_text(st, 5);
    r->valid_strict = sqlite3_column_int64(st, 6) != 0;
    r->valid_lenient = sqlite3_column_int64(st, 7) != 0;
    r->would_fail = sqlite3_column_int64(st, 8) != 0;
    r->readiness = col_text(st, 9);
    r->txt_records = sqlite3_column_int64(st, 10);
    r->txt_version_records = sqlite3_column_int64(st, 11);
    r->has_txt_id = sqlite3_column_int64(st, 12) != 0;
    r->mx_outcome = col_text(st, 13);
    r->null_mx = sqlite3_column_int64(st, 14) != 0;
    r->tlsrpt_status = col_text(st, 15);
    r->rua = col_text(st, 16);
    r->host_cname = col_text(st, 17);
    r->http_status = sqlite3_column_int64(st, 18);
    r->has_policy_body = sqlite3_column_int64(st, 19) != 0;
    r->mode = col_text(st, 20);
    r->has_max_age = sqlite3_column_type(st, 21) != SQLITE_NULL;
    r->max_age = sqlite3_column_int64(st, 21);
    r->cert_verify_code = sqlite3_column_int64(st, 22);
    r->has_cert_not_after = sqlite3_column_type(st, 23) != SQLITE_NULL;
    r->cert_not_after = sqlite3_column_int64(st, 23);
    r->mx_hosts = col_text(st, 24);
    r->policy_valid = sqlite3_column_int64(st, 25) == 1;
}

static bool str_is(const char *s, const char *want)
{
    return s && !strcmp(s, want);
}

static enum sts_mode row_mode(const struct row *r)
{
    return sts_mode_from_name(r->mode);
}

static void count_mode(struct report_modes *m, enum sts_mode mode)
{
    if (mode == STS_MODE_ENFORCE)
        m->enforce++;
    else if (mode == STS_MODE_TESTING)
        m->testing++;
    else if (mode == STS_MODE_NONE)
        m->none++;
}

/* The funnel stages of one row, nested: each stage is a subset of the one before (with_mx
 * and null_mx aside); reports/README.md defines them. */
struct stages {
    bool valid_txt, fetched, accepted;
};

static struct stages row_stages(const struct row *r)
{
    struct stages s;
    s.valid_txt = r->txt_records > 0 && r->txt_version_records == 1 && r->has_txt_id;
    s.fetched = s.valid_txt && r->http_status == 200 && r->has_policy_body;
    /* Accepted by a sender: fetched, parsed valid, and no fetch check failed, so the
     * classification went on to MX coverage (valid, or invalid only for coverage). */
    s.accepted = s.fetched && r->policy_valid &&
                 (r->status == STS_STATUS_VALID ||
                  (r->status == STS_STATUS_INVALID && str_is(r->category, "mx_not_covered")));
    return s;
}

static void count_funnel(struct report_funnel *f, const struct row *r)
{
    struct stages s = row_stages(r);
    f->scanned++;
    if (r->status != STS_STATUS_DOMAIN_NXDOMAIN && r->status != STS_STATUS_DNS_ERROR)
        f->resolving++;
    if (str_is(r->mx_outcome, "ok") && r->null_mx)
        f->null_mx++;
    else if (str_is(r->mx_outcome, "ok"))
        f->with_mx++;
    f->with_txt += r->txt_records > 0;
    f->valid_txt += s.valid_txt;
    f->policy_fetched += s.fetched;
    f->policy_valid += s.accepted;
    f->fully_valid += s.accepted && r->status == STS_STATUS_VALID;
}

static bool maxage_push(struct report_maxage *m, int64_t v)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        int64_t *values = realloc(m->values, cap * sizeof *values);
        if (!values)
            return false;
        m->values = values;
        m->cap = cap;
    }
    m->values[m->n++] = v;
    m->buckets[report_maxage_bucket(v)]++;
    return true;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts the values and derives quartiles and the ten most common values. */
static void maxage_finish(struct report_maxage *m)
{
    if (m->n == 0)
        return;
    qsort(m->values, m->n, sizeof *m->values, cmp_i64);
    m->min = m->values[0];
    m->max = m->values[m->n - 1];
    m->q1 = report_quantile(m->values, m->n, 0.25);
    m->median = report_quantile(m->values, m->n, 0.5);
    m->q3 = report_quantile(m->values, m->n, 0.75);
    /* Runs of equal values, kept in a top list ordered by count desc then value asc. Runs
     * arrive in ascending value order, so an equal count never displaces an earlier one. */
    for (size_t i = 0; i < m->n;) {
        size_t j = i;
        while (j < m->n && m->values[j] == m->values[i])
            j++;
        int64_t count = (int64_t)(j - i), value = m->values[i];
        size_t pos = m->ntop;
        while (pos > 0 && m->top[pos - 1].count < count)
            pos--;
        if (pos < REPORT_MAXAGE_TOP) {
            size_t last = m->ntop < REPORT_MAXAGE_TOP ? m->ntop : REPORT_MAXAGE_TOP - 1;
            memmove(&m->top[pos + 1], &m->top[pos], (last - pos) * sizeof m->top[0]);
            m->top[pos].value = value;
            m->top[pos].count = count;
            if (m->ntop < REPORT_MAXAGE_TOP)
                m->ntop++;
        }
        i = j;
    }
}

static void count_warnings(struct report_data *d, const struct row *r, bool mta_sts)
{
    uint32_t set;
    d->warning_unknown += (int64_t)sts_warnings_parse_known(r->warnings, &set);
    for (int w = 0; w < STS_WARN_COUNT; w++) {
        if (!(set & (1u << w)))
            continue;
        d->warning[w]++;
        if (mta_sts)
            d->warning_mta_sts[w]++;
    }
}

static void count_category(struct report_data *d, const struct row *r)
{
    d->invalid++;
    int c = r->category ? sts_category_from_name(r->category) : -1;
    if (c <= 0 || c >= STS_CAT_COUNT) {
        d->category[0]++;
        return;
    }
    d->category[c]++;
    if (c == STS_CAT_POLICY_HOST_NO_ADDRESS)
        d->rollup_no_address++;
    if (sts_category_is_cert((enum sts_category)c) || c == STS_CAT_TLS_HANDSHAKE_FAILED)
        d->rollup_cert++;
    if (c == STS_CAT_CERT_EXPIRED)
        d->rollup_expired++;
    if (c == STS_CAT_CERT_NAME_MISMATCH)
        d->rollup_name_mismatch++;
}

static bool add_expiring(struct report_data *d, const struct row *r)
{
    int64_t left = r->cert_not_after - r->scanned_at;
    if (!r->has_cert_not_after || r->cert_verify_code != 0 || left < 0 ||
        left > REPORT_EXPIRING_DAYS * DAY)
        return true;
    /* Within the warning's window: the classifier decided it when the row was written. */
    uint32_t warnings;
    sts_warnings_parse_known(r->warnings, &warnings);
    bool soon = warnings & (1u << STS_WARN_CERT_EXPIRING_SOON);
    d->expiring_30++;
    if (soon)
        d->expiring_14++;
    if (d->nexpiring == d->capexpiring) {
        size_t cap = d->capexpiring ? d->capexpiring * 2 : 64;
        struct report_expiring *e = realloc(d->expiring, cap * sizeof *e);
        if (!e)
            return false;
        d->expiring = e;
        d->capexpiring = cap;
    }
    struct report_expiring *e = &d->expiring[d->nexpiring];
    e->domain = strdup(r->domain ? r->domain : "");
    if (!e->domain)
        return false;
    e->not_after = r->cert_not_after;
    e->scanned_at = r->scanned_at;
    e->days_left = (double)left / DAY;
    e->soon = soon;
    d->nexpiring++;
    return true;
}

struct rua_seen {
    struct report_data *d;
    bool mailto, https, other;
};

static void rua_uri(const char *uri, void *arg)
{
    struct rua_seen *seen = arg;
    if (!strncasecmp(uri, "mailto:", 7)) {
        seen->d->rua_uris_mailto++;
        seen->mailto = true;
    } else if (!strncasecmp(uri, "https:", 6)) {
        seen->d->rua_uris_https++;
        seen->https = true;
    } else {
        seen->d->rua_uris_other++;
        seen->other = true;
    }
}

static void count_rua(struct report_data *d, const struct row *r)
{
    struct rua_seen seen = {.d = d};
    report_json_strings(r->rua, rua_uri, &seen);
    d->rua_domains_mailto += seen.mailto;
    d->rua_domains_https += seen.https;
    d->rua_domains_other += seen.other;
}

static void count_group(struct report_group *g, const struct row *r, bool mta_sts,
                        enum sts_mode mode)
{
    g->domains++;
    g->mta_sts += mta_sts;
    if (r->status == STS_STATUS_VALID) {
        g->valid++;
        if (mode == STS_MODE_ENFORCE)
            g->enforce++;
        else if (mode == STS_MODE_TESTING)
            g->testing++;
        else if (mode == STS_MODE_NONE)
            g->none++;
    }
    g->invalid += r->status == STS_STATUS_INVALID;
}

/* The registered domains of one row's MX hosts, each once; hosts under the domain's own
 * registered domain count as REPORT_SELF_HOSTED. */
struct mx_seen {
    char own[256];
    char reg[8][256];
    size_t n;
    bool overflow;
};

static void mx_host(const char *host, void *arg)
{
    struct mx_seen *seen = arg;
    char reg[256];
    if (!report_registered_domain(host, reg, sizeof reg))
        return;
    if (seen->own[0] && !strcmp(reg, seen->own))
        snprintf(reg, sizeof reg, "%s", REPORT_SELF_HOSTED);
    for (size_t i = 0; i < seen->n; i++)
        if (!strcmp(seen->reg[i], reg))
            return;
    if (seen->n == 8) {
        seen->overflow = true; /* more than 8 providers for one domain: the rest uncounted */
        return;
    }
    memcpy(seen->reg[seen->n++], reg, sizeof reg);
}

/* Each distinct registered domain among the row's MX hosts counts the domain once. */
static bool count_providers(struct report_data *d, const struct row *r, bool mta_sts,
                            enum sts_mode mode)
{
    if (!str_is(r->mx_outcome, "ok") || r->null_mx)
        return true;
    struct mx_seen seen = {.n = 0};
    if (!r->domain || !report_registered_domain(r->domain, seen.own, sizeof seen.own))
        seen.own[0] = '\0';
    report_json_strings(r->mx_hosts, mx_host, &seen);
    for (size_t i = 0; i < seen.n; i++) {
        struct report_group *g = report_groups_get(&d->providers, seen.reg[i]);
        if (!g)
            return false;
        count_group(g, r, mta_sts, mode);
    }
    return true;
}

static bool count_policy_host(struct report_data *d, const struct row *r, enum sts_mode mode)
{
    char reg[256];
    const char *name = REPORT_NO_CNAME;
    if (r->host_cname && report_registered_domain(r->host_cname, reg, sizeof reg))
        name = reg;
    struct report_group *g = report_groups_get(&d->policy_hosts, name);
    if (!g)
        return false;
    count_group(g, r, true, mode);
    return true;
}

static bool aggregate_row(struct report_data *d, const struct row *r)
{
    int s = r->status;
    if (s >= 0 && s < STS_STATUS_COUNT)
        d->status[s]++;
    else
        d->status_other++;
    bool valid = s == STS_STATUS_VALID;
    bool mta_sts = valid || s == STS_STATUS_INVALID;
    enum sts_mode mode = row_mode(r);

    count_funnel(&d->funnel, r);
    d->mta_sts += mta_sts;
    if (valid)
        count_mode(&d->modes, mode);
    if (s == STS_STATUS_INVALID)
        count_category(d, r);

    /* max_age of the policies senders accept, and of those refused only for max_age (the
     * over-the-limit bucket). */
    if (r->has_max_age && (row_stages(r).accepted || str_is(r->category, "policy_max_age"))) {
        if (!maxage_push(&d->maxage[REPORT_MAXAGE_ALL], r->max_age))
            return false;
        int set = mode == STS_MODE_ENFORCE   ? REPORT_MAXAGE_ENFORCE
                  : mode == STS_MODE_TESTING ? REPORT_MAXAGE_TESTING
                  : mode == STS_MODE_NONE    ? REPORT_MAXAGE_NONE
                                             : -1;
        if (set > 0 && !maxage_push(&d->maxage[set], r->max_age))
            return false;
        d->maxage_over_limit += r->max_age > RFC_MAX_AGE;
    }

    if (mta_sts) {
        d->would_fail += r->would_fail;
        d->readiness_enforcing += str_is(r->readiness, "enforcing");
        d->readiness_ready += str_is(r->readiness, "ready_to_enforce");
        d->readiness_not_ready += str_is(r->readiness, "not_ready");
        d->tlsrpt_valid_mta_sts += str_is(r->tlsrpt_status, "valid");
        d->tlsrpt_invalid_mta_sts += str_is(r->tlsrpt_status, "invalid");
        if (!count_policy_host(d, r, mode))
            return false;
    }
    d->valid_strict += r->valid_strict;
    d->valid_lenient += r->valid_lenient;
    d->lenient_only += r->valid_lenient && !r->valid_strict;

    count_warnings(d, r, mta_sts);
    if (mta_sts && !add_expiring(d, r))
        return false;

    if (str_is(r->tlsrpt_status, "valid")) {
        d->tlsrpt_valid++;
        count_rua(d, r);
    } else if (str_is(r->tlsrpt_status, "invalid")) {
        d->tlsrpt_invalid++;
    } else {
        d->tlsrpt_none++;
    }

    if (r->has_rank) {
        d->has_ranks = true;
        d->ranked++;
        for (int b = 0; b < REPORT_RANK_BUCKETS; b++) {
            if (r->rank < 1 || r->rank > report_rank_limits[b])
                continue;
            count_funnel(&d->rank[b].funnel, r);
            d->rank[b].mta_sts += mta_sts;
            if (valid)
                count_mode(&d->rank[b].modes, mode);
        }
    }
    return count_providers(d, r, mta_sts, mode);
}

static int cmp_expiring(const void *a, const void *b)
{
    const struct report_expiring *x = a, *y = b;
    if (x->not_after != y->not_after)
        return x->not_after < y->not_after ? -1 : 1;
    return strcmp(x->domain, y->domain);
}

int report_data_load(sqlite3 *db, int64_t scan_id, struct report_data *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->db = db;
    if (load_scan(db, scan_id, &d->scan, err, errlen) < 0) {
        report_data_free(d);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, rows_sql, -1, &st, NULL) != SQLITE_OK) {
        set_err(err, errlen, "cannot read the results of scan %lld: %s", (long long)scan_id,
                sqlite3_errmsg(db));
        report_data_free(d);
        return -1;
    }
    sqlite3_bind_int64(st, 1, scan_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct row r;
        read_row(st, &r);
        if (!aggregate_row(d, &r)) {
            set_err(err, errlen, "out of memory aggregating scan %lld", (long long)scan_id);
            sqlite3_finalize(st);
            report_data_free(d);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) {
        set_err(err, errlen, "cannot read the results of scan %lld: %s", (long long)scan_id,
                sqlite3_errmsg(db));
        sqlite3_finalize(st);
        report_data_free(d);
        return -1;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < REPORT_MAXAGE_SETS; i++)
        maxage_finish(&d->maxage[i]);
    if (d->nexpiring > 1)
        qsort(d->expiring, d->nexpiring, sizeof *d->expiring, cmp_expiring);
    report_groups_sort(&d->providers);
    report_groups_sort(&d->policy_hosts);
    if (report_delivery_load(db, scan_id, &d->delivery, err, errlen) < 0) {
        report_data_free(d);
        return -1;
    }
    return 0;
}

void report_data_free(struct report_data *d)
{
    struct report_scan *s = &d->scan;
    free(s->started_at);
    free(s->finished_at);
    free(s->state);
    free(s->tool_version);
    free(s->inputs);
    free(s->options);
    free(s->merged_from);
    for (size_t i = 0; i < s->noptions; i++) {
        free(s->option_keys[i]);
        free(s->option_values[i]);
    }
    free(s->option_keys);
    free(s->option_values);
    for (size_t i = 0; i < s->ninputs; i++) {
        free(s->input_names[i]);
        free(s->input_hashes[i]);
    }
    free(s->input_names);
    free(s->input_hashes);
    for (size_t i = 0; i < s->ninput_errors; i++) {
        free(s->input_errors[i].file);
        free(s->input_errors[i].text);
        free(s->input_errors[i].reason);
    }
    for (int i = 0; i < REPORT_MAXAGE_SETS; i++)
        free(d->maxage[i].values);
    for (size_t i = 0; i < d->nexpiring; i++)
        free(d->expiring[i].domain);
    free(d->expiring);
    report_groups_free(&d->providers);
    report_groups_free(&d->policy_hosts);
    memset(d, 0, sizeof *d);
}
