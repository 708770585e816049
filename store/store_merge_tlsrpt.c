/* Merging the TLS-RPT tables of the attached shard (reports, policies, failure details, IMAP
 * read marks) into the output database, each report kept once. */
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

/* Runs one statement; with a row, its first column goes to *out (when out is not NULL). */
static int run(struct store *st, const char *sql, int64_t *out, const char *what)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, what);
        return -1;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && out)
        *out = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_set_sqlite_error(st, what);
        return -1;
    }
    return 0;
}

int store_merge_tlsrpt_begin(struct store *st, struct store_merge_tlsrpt *m)
{
    memset(m, 0, sizeof *m);
    static const char temp[] =
        "CREATE TEMP TABLE IF NOT EXISTS tr_new (old INTEGER PRIMARY KEY);"
        "CREATE TEMP TABLE IF NOT EXISTS tr_reportmap (old INTEGER PRIMARY KEY, new INTEGER);"
        "CREATE TEMP TABLE IF NOT EXISTS tr_policymap (old INTEGER PRIMARY KEY, new INTEGER);"
        "CREATE TEMP TABLE IF NOT EXISTS tr_marks (mailbox TEXT PRIMARY KEY, uidvalidity "
        "INTEGER NOT NULL, last_uid INTEGER NOT NULL, updated_at TEXT NOT NULL);"
        "DELETE FROM temp.tr_marks;";
    if (store_exec(st, temp, "cannot create the TLS-RPT merge tables") < 0)
        return -1;
    /* what OUT held before: a failed merge deletes every row above these ids */
    if (run(st, "SELECT coalesce(max(id), 0) FROM main.tlsrpt_reports", &m->max_report,
            "cannot read the TLS-RPT reports") < 0 ||
        run(st, "SELECT coalesce(max(id), 0) FROM main.tlsrpt_policies", &m->max_policy,
            "cannot read the TLS-RPT policies") < 0)
        return -1;
    return 0;
}

/* One read mark per mailbox: under the same UIDVALIDITY the higher last UID (every message up
 * to it is in the database that set it, so in the merge too); under another, the newer mark
 * (the server renumbered the mailbox; older reports are recognised as duplicates anyway). */
#define MARK_UPSERT                                                                                \
    " WHERE true ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, "         \
    "last_uid = excluded.last_uid, updated_at = excluded.updated_at WHERE "                        \
    "(excluded.uidvalidity = uidvalidity AND excluded.last_uid > last_uid) OR "                    \
    "(excluded.uidvalidity <> uidvalidity AND excluded.updated_at > updated_at)"

int store_merge_tlsrpt_copy(struct store *st, struct store_merge_tlsrpt *m)
{
    int64_t has = 0;
    if (run(st,
            "SELECT count(*) FROM shard.sqlite_master WHERE type = 'table' AND name IN "
            "('tlsrpt_reports', 'tlsrpt_policies', 'tlsrpt_failures', 'tlsrpt_imap_marks')",
            &has, "cannot read the shard's tables") < 0)
        return -1;
    if (has < 4)
        return 0; /* a database from before schema version 2: no TLS-RPT tables, nothing lost */
    int64_t before = 0, in_shard = 0, added = 0;
    /* The shard's reports not already in OUT: the same JSON, or the same (organization,
     * report id), is the same report (as `tlsrpt ingest` decides). */
    static const char pick[] =
        "DELETE FROM temp.tr_new; DELETE FROM temp.tr_reportmap; DELETE FROM temp.tr_policymap;"
        "INSERT INTO temp.tr_new (old) SELECT r.id FROM shard.tlsrpt_reports r WHERE NOT EXISTS "
        "(SELECT 1 FROM main.tlsrpt_reports m WHERE m.json_sha256 = r.json_sha256) AND NOT "
        "EXISTS (SELECT 1 FROM main.tlsrpt_reports m WHERE r.organization IS NOT NULL AND "
        "r.report_id IS NOT NULL AND m.organization = r.organization AND m.report_id = "
        "r.report_id)";
    if (store_exec(st, pick, "cannot compare the shard's TLS-RPT reports") < 0 ||
        run(st, "SELECT count(*) FROM shard.tlsrpt_reports", &in_shard,
            "cannot count the shard's TLS-RPT reports") < 0 ||
        run(st, "SELECT count(*) FROM temp.tr_new", &added, "cannot count new TLS-RPT reports") <
            0 ||
        run(st, "SELECT coalesce(max(id), 0) FROM main.tlsrpt_reports", &before,
            "cannot read the TLS-RPT reports") < 0)
        return -1;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO temp.tr_reportmap (old, new) SELECT r.id, m.id FROM "
             "shard.tlsrpt_reports r JOIN main.tlsrpt_reports m ON m.json_sha256 = r.json_sha256 "
             "WHERE m.id > %lld",
             (long long)before);
    /* artifacts first (deduplicated by SHA-256), then the rows with their ids remapped */
    static const char copy[] =
        "INSERT INTO main.blobs (sha256, kind, raw_size, codec, data) SELECT sha256, kind, "
        "raw_size, codec, data FROM shard.blobs WHERE id IN (SELECT r.raw_blob FROM "
        "shard.tlsrpt_reports r JOIN temp.tr_new n ON n.old = r.id) ON CONFLICT (sha256) DO "
        "NOTHING;"
        "INSERT INTO main.tlsrpt_reports (organization, contact, report_id, start_datetime, "
        "end_datetime, start_time, end_time, day, json_sha256, raw_blob, source, ingested_at, "
        "warnings) SELECT r.organization, r.contact, r.report_id, r.start_datetime, "
        "r.end_datetime, r.start_time, r.end_time, r.day, r.json_sha256, (SELECT mb.id FROM "
        "shard.blobs sb JOIN main.blobs mb ON mb.sha256 = sb.sha256 WHERE sb.id = r.raw_blob), "
        "r.source, r.ingested_at, r.warnings FROM shard.tlsrpt_reports r JOIN temp.tr_new n ON "
        "n.old = r.id ORDER BY r.id";
    static const char rows[] =
        "INSERT INTO main.tlsrpt_policies (report, idx, policy_type, policy_domain, domain, "
        "policy_strings, mx_hosts, successful, failed) SELECT rm.new, p.idx, p.policy_type, "
        "p.policy_domain, p.domain, p.policy_strings, p.mx_hosts, p.successful, p.failed FROM "
        "shard.tlsrpt_policies p JOIN temp.tr_reportmap rm ON rm.old = p.report ORDER BY p.id;"
        "INSERT INTO temp.tr_policymap (old, new) SELECT p.id, mp.id FROM shard.tlsrpt_policies "
        "p JOIN temp.tr_reportmap rm ON rm.old = p.report JOIN main.tlsrpt_policies mp ON "
        "mp.report = rm.new AND mp.idx = p.idx;"
        "INSERT INTO main.tlsrpt_failures (policy, idx, result_type, sending_mta_ip, "
        "receiving_mx_hostname, receiving_mx_helo, receiving_ip, failed_sessions, reason_code, "
        "additional_information) SELECT pm.new, f.idx, f.result_type, f.sending_mta_ip, "
        "f.receiving_mx_hostname, f.receiving_mx_helo, f.receiving_ip, f.failed_sessions, "
        "f.reason_code, f.additional_information FROM shard.tlsrpt_failures f JOIN "
        "temp.tr_policymap pm ON pm.old = f.policy;"
        "INSERT INTO temp.tr_marks (mailbox, uidvalidity, last_uid, updated_at) SELECT mailbox, "
        "uidvalidity, last_uid, updated_at FROM shard.tlsrpt_imap_marks" MARK_UPSERT;
    if (store_exec(st, copy, "cannot copy the shard's TLS-RPT reports") < 0 ||
        store_exec(st, sql, "cannot map the shard's TLS-RPT reports") < 0 ||
        store_exec(st, rows, "cannot copy the shard's TLS-RPT policies and failures") < 0)
        return -1;
    m->reports_copied += added;
    m->reports_duplicate += in_shard - added;
    return 0;
}

int store_merge_tlsrpt_marks(struct store *st, struct store_merge_tlsrpt *m)
{
    if (run(st, "SELECT count(*) FROM temp.tr_marks", &m->marks, "cannot read the read marks") < 0)
        return -1;
    return store_exec(st,
                      "INSERT INTO main.tlsrpt_imap_marks (mailbox, uidvalidity, last_uid, "
                      "updated_at) SELECT mailbox, uidvalidity, last_uid, updated_at FROM "
                      "temp.tr_marks" MARK_UPSERT,
                      "cannot merge the IMAP read marks");
}

void store_merge_tlsrpt_undo_sql(const struct store_merge_tlsrpt *m, char *sql, size_t len)
{
    snprintf(sql, len,
             "DELETE FROM tlsrpt_failures WHERE policy > %lld; "
             "DELETE FROM tlsrpt_policies WHERE id > %lld; "
             "DELETE FROM tlsrpt_reports WHERE id > %lld;",
             (long long)m->max_policy, (long long)m->max_policy, (long long)m->max_report);
}
