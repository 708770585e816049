/* Writes TLS-RPT reports (one transaction each) and the IMAP read marks into the database. */
#include "store/store_tlsrpt.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "store/store_internal.h"

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static void bind_count(sqlite3_stmt *s, int i, struct tlsrpt_count c)
{
    if (c.present)
        sqlite3_bind_int64(s, i, c.v);
    else
        sqlite3_bind_null(s, i);
}

/* A JSON array of strings (built with the one escaper). NULL on OOM. */
static char *json_list(char **items, size_t n)
{
    struct sbuf b = SBUF_INIT;
    sbuf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(&b, ',');
        esc_json_str(&b, items[i]);
    }
    sbuf_putc(&b, ']');
    if (b.oom) {
        sbuf_free(&b);
        return NULL;
    }
    return b.data;
}

/* policy_domain for joins: ASCII lower case, trailing dots dropped; NULL stays NULL. */
static char *join_domain(const char *d)
{
    if (!d)
        return NULL;
    char *s = strdup(d);
    if (!s)
        return NULL;
    for (char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
    return s;
}

/* Inserts the JSON as a deduplicated artifact; writes its blob id. */
static int put_blob(struct store *st, const char *json, size_t len, int64_t *blob_id)
{
    uint8_t sha[32]; /* of the raw JSON, as every artifact (store_blob_encode) */
    char codec[32];
    void *data = NULL;
    size_t dlen = 0;
    if (store_blob_encode(json, len, SA_TLSRPT, sha, codec, sizeof codec, &data, &dlen) < 0) {
        store_set_error(st, "%s: cannot compress a report (out of memory)", st->path);
        return -1;
    }
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO blobs (sha256, kind, raw_size, codec, data) VALUES "
                           "(?, 'tlsrpt_report', ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                           -1, &s, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_blob(s, 1, sha, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, (int64_t)len);
    sqlite3_bind_text(s, 3, codec, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 4, data, (int)dlen, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE)
        goto out;
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT id FROM blobs WHERE sha256 = ?", -1, &s, NULL) !=
        SQLITE_OK)
        goto out;
    sqlite3_bind_blob(s, 1, sha, 32, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        goto out;
    *blob_id = sqlite3_column_int64(s, 0);
    rc = 0;
out:
    if (rc < 0)
        store_set_sqlite_error(st, "cannot store a report artifact");
    sqlite3_finalize(s);
    free(data);
    return rc;
}

/* The existing report with this hash or (organization, report-id); 0 when none. */
static int64_t find_duplicate(struct store *st, const struct tlsrpt_report *r,
                              const uint8_t sha[32])
{
    sqlite3_stmt *s = NULL;
    int64_t id = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id FROM tlsrpt_reports WHERE json_sha256 = ?1 OR "
                           "(?2 IS NOT NULL AND ?3 IS NOT NULL AND organization = ?2 AND "
                           "report_id = ?3) LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot look for a duplicate report");
        return -1;
    }
    sqlite3_bind_blob(s, 1, sha, 32, SQLITE_TRANSIENT);
    bind_text(s, 2, r->organization_name);
    bind_text(s, 3, r->report_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot look for a duplicate report");
        id = -1;
    }
    sqlite3_finalize(s);
    return id;
}

static int insert_report(struct store *st, const struct tlsrpt_report *r, const uint8_t sha[32],
                         int64_t blob_id, const char *source, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO tlsrpt_reports (organization, contact, report_id, "
                           "start_datetime, end_datetime, start_time, end_time, day, json_sha256, "
                           "raw_blob, source, ingested_at, warnings) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot store a report");
        return -1;
    }
    bind_text(s, 1, r->organization_name);
    bind_text(s, 2, r->contact_info);
    bind_text(s, 3, r->report_id);
    bind_text(s, 4, r->start_datetime);
    bind_text(s, 5, r->end_datetime);
    if (r->has_start)
        sqlite3_bind_int64(s, 6, r->start_time);
    if (r->has_end)
        sqlite3_bind_int64(s, 7, r->end_time);
    char day[16] = "";
    if (r->has_start) {
        time_t t = (time_t)r->start_time;
        struct tm tm;
        if (gmtime_r(&t, &tm) && strftime(day, sizeof day, "%Y-%m-%d", &tm) == 10)
            sqlite3_bind_text(s, 8, day, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_blob(s, 9, sha, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 10, blob_id);
    bind_text(s, 11, source);
    char now[32];
    store_utc_now(now, sizeof now);
    sqlite3_bind_text(s, 12, now, -1, SQLITE_TRANSIENT);
    char *warnings = tlsrpt_warnings_json(r);
    bind_text(s, 13, warnings ? warnings : "[]");
    int rc = sqlite3_step(s);
    free(warnings);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot store a report");
        return -1;
    }
    *id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

static int insert_policy(struct store *st, int64_t report, size_t idx,
                         const struct tlsrpt_policy *p, sqlite3_stmt *ins_fail)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO tlsrpt_policies (report, idx, policy_type, policy_domain, "
                           "domain, policy_strings, mx_hosts, successful, failed) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        goto fail;
    char *dom = join_domain(p->policy_domain);
    char *strings = json_list(p->policy_strings, p->n_policy_strings);
    char *mx = json_list(p->mx_hosts, p->n_mx_hosts);
    sqlite3_bind_int64(s, 1, report);
    sqlite3_bind_int64(s, 2, (int64_t)idx);
    bind_text(s, 3, p->policy_type);
    bind_text(s, 4, p->policy_domain);
    bind_text(s, 5, dom);
    bind_text(s, 6, strings);
    bind_text(s, 7, mx);
    bind_count(s, 8, p->total_successful);
    bind_count(s, 9, p->total_failure);
    int rc = sqlite3_step(s);
    free(dom);
    free(strings);
    free(mx);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        goto fail;
    int64_t pid = sqlite3_last_insert_rowid(st->db);
    for (size_t i = 0; i < p->n_failures; i++) {
        const struct tlsrpt_failure *f = &p->failures[i];
        sqlite3_reset(ins_fail);
        sqlite3_clear_bindings(ins_fail);
        sqlite3_bind_int64(ins_fail, 1, pid);
        sqlite3_bind_int64(ins_fail, 2, (int64_t)i);
        bind_text(ins_fail, 3, f->result_type);
        bind_text(ins_fail, 4, f->sending_mta_ip);
        bind_text(ins_fail, 5, f->receiving_mx_hostname);
        bind_text(ins_fail, 6, f->receiving_mx_helo);
        bind_text(ins_fail, 7, f->receiving_ip);
        bind_count(ins_fail, 8, f->failed_session_count);
        bind_text(ins_fail, 9, f->failure_reason_code);
        bind_text(ins_fail, 10, f->additional_information);
        if (sqlite3_step(ins_fail) != SQLITE_DONE)
            goto fail;
    }
    return 0;
fail:
    store_set_sqlite_error(st, "cannot store a report's policies");
    return -1;
}

enum store_tlsrpt_outcome store_tlsrpt_add(struct store *st, const struct tlsrpt_report *r,
                                           const char *json, size_t len, const char *source,
                                           int64_t *id)
{
    uint8_t sha[32];
    unsigned int md_len = 0;
    if (!EVP_Digest(json, len, sha, &md_len, EVP_sha256(), NULL) || md_len != 32) {
        store_set_error(st, "%s: cannot hash a report", st->path);
        return STORE_TLSRPT_ERROR;
    }
    if (store_exec(st, "BEGIN IMMEDIATE", "cannot start storing a report") < 0)
        return STORE_TLSRPT_ERROR;
    int64_t rid = 0, blob = 0;
    sqlite3_stmt *ins_fail = NULL;
    int64_t dup = find_duplicate(st, r, sha);
    if (dup < 0)
        goto fail;
    if (dup > 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        if (id)
            *id = dup;
        return STORE_TLSRPT_DUPLICATE;
    }
    if (put_blob(st, json, len, &blob) < 0 || insert_report(st, r, sha, blob, source, &rid) < 0)
        goto fail;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO tlsrpt_failures (policy, idx, result_type, sending_mta_ip, "
                           "receiving_mx_hostname, receiving_mx_helo, receiving_ip, "
                           "failed_sessions, reason_code, additional_information) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &ins_fail, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot store a report's failures");
        goto fail;
    }
    for (size_t i = 0; i < r->n_policies; i++)
        if (insert_policy(st, rid, i, &r->policies[i], ins_fail) < 0)
            goto fail;
    sqlite3_finalize(ins_fail);
    ins_fail = NULL;
    if (store_exec(st, "COMMIT", "cannot commit a report") < 0)
        goto fail;
    if (id)
        *id = rid;
    return STORE_TLSRPT_ADDED;
fail:
    sqlite3_finalize(ins_fail);
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return STORE_TLSRPT_ERROR;
}

int store_tlsrpt_mark_get(struct store *st, const char *mailbox, int64_t *uidvalidity,
                          int64_t *last_uid)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT uidvalidity, last_uid FROM tlsrpt_imap_marks WHERE mailbox = ?",
                           -1, &s, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot read the mailbox marks");
        return -1;
    }
    sqlite3_bind_text(s, 1, mailbox, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s), out = 0;
    if (rc == SQLITE_ROW) {
        *uidvalidity = sqlite3_column_int64(s, 0);
        *last_uid = sqlite3_column_int64(s, 1);
        out = 1;
    } else if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot read the mailbox marks");
        out = -1;
    }
    sqlite3_finalize(s);
    return out;
}

int store_tlsrpt_mark_set(struct store *st, const char *mailbox, int64_t uidvalidity,
                          int64_t last_uid)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO tlsrpt_imap_marks (mailbox, uidvalidity, last_uid, "
                           "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET "
                           "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
                           "updated_at = excluded.updated_at",
                           -1, &s, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot record the mailbox mark");
        return -1;
    }
    char now[32];
    store_utc_now(now, sizeof now);
    sqlite3_bind_text(s, 1, mailbox, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, uidvalidity);
    sqlite3_bind_int64(s, 3, last_uid);
    sqlite3_bind_text(s, 4, now, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot record the mailbox mark");
        return -1;
    }
    return 0;
}
