/* Export of one scan as CSV or JSON lines: one record per domain, stable field names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "store/store_internal.h"

enum field_type {
    F_TEXT,  /* remote or code text */
    F_INT,   /* integer */
    F_BOOL,  /* 0/1 stored, true/false exported */
    F_JSON,  /* a JSON array/object stored as text: embedded as is in JSONL */
    F_CODES, /* comma-separated codes: a JSON array in JSONL, the same text in CSV */
    F_ART    /* the raw artifact of a blob column (with --artifacts) */
};

/* The export's fields, in output order. Names are a stable interface (store/README.md):
 * append new fields at the end, never rename. */
static const struct export_field {
    const char *name;
    const char *sql; /* expression over results r and blobs tb, lb, pb, cb */
    enum field_type type;
} fields[] = {
    {"domain", "r.domain", F_TEXT},
    {"rank", "r.rank", F_INT},
    {"status", "r.status", F_TEXT},
    {"category", "r.category", F_TEXT},
    {"rfc8460_result", "r.category", F_TEXT}, /* filled from the category in C */
    {"warnings", "r.warnings", F_CODES},
    {"valid_strict", "r.valid_strict", F_BOOL},
    {"valid_lenient", "r.valid_lenient", F_BOOL},
    {"would_fail_delivery", "r.would_fail_delivery", F_BOOL},
    {"readiness", "r.readiness", F_TEXT},
    {"detail", "r.detail", F_TEXT},
    {"mode", "r.policy_mode", F_TEXT},
    {"max_age", "r.policy_max_age", F_INT},
    {"mx_patterns", "r.mx_patterns", F_JSON},
    {"mx_hosts", "r.mx_hosts", F_JSON},
    {"mx_covered", "r.mx_covered", F_BOOL},
    {"null_mx", "r.null_mx", F_BOOL},
    {"txt_outcome", "r.txt_outcome", F_TEXT},
    {"txt_records", "r.txt_records", F_INT},
    {"txt_version_records", "r.txt_version_records", F_INT},
    {"txt_id", "r.txt_id", F_TEXT},
    {"txt_errors", "r.txt_errors", F_JSON},
    {"mx_outcome", "r.mx_outcome", F_TEXT},
    {"tlsrpt_outcome", "r.tlsrpt_outcome", F_TEXT},
    {"tlsrpt_status", "r.tlsrpt_status", F_TEXT},
    {"rua", "r.rua", F_JSON},
    {"tlsrpt_errors", "r.tlsrpt_errors", F_JSON},
    {"host_a_outcome", "r.host_a_outcome", F_TEXT},
    {"host_aaaa_outcome", "r.host_aaaa_outcome", F_TEXT},
    {"host_addrs", "r.host_addrs", F_JSON},
    {"host_addrs_refused", "r.host_addrs_refused", F_INT},
    {"host_cname", "r.host_cname", F_TEXT},
    {"https_outcome", "r.https_outcome", F_TEXT},
    {"https_addr", "r.https_addr", F_TEXT},
    {"http_status", "r.http_status", F_INT},
    {"content_type", "r.content_type", F_TEXT},
    {"location", "r.location", F_TEXT},
    {"https_error", "r.https_error", F_TEXT},
    {"tls_version", "r.tls_version", F_TEXT},
    {"cert_verify_code", "r.cert_verify_code", F_INT},
    {"cert_verify_text", "r.cert_verify_text", F_TEXT},
    {"cert_not_before", "r.cert_not_before", F_INT},
    {"cert_not_after", "r.cert_not_after", F_INT},
    {"cert_issuer", "r.cert_issuer", F_TEXT},
    {"cert_name_matches", "r.cert_name_matches", F_BOOL},
    {"cert_chain_len", "r.cert_chain_len", F_INT},
    {"policy_size", "r.policy_size", F_INT},
    {"policy_valid", "r.policy_valid", F_BOOL},
    {"lf_line_endings", "r.lf_line_endings", F_BOOL},
    {"policy_errors", "r.policy_errors", F_JSON},
    {"policy_warnings", "r.policy_warnings", F_JSON},
    {"scanned_at", "r.scanned_at", F_INT},
    {"time_dns_ms", "r.time_dns_ms", F_INT},
    {"time_connect_ms", "r.time_connect_ms", F_INT},
    {"time_tls_ms", "r.time_tls_ms", F_INT},
    {"time_total_ms", "r.time_total_ms", F_INT},
    {"txt_sha256", "lower(hex(tb.sha256))", F_TEXT},
    {"tlsrpt_sha256", "lower(hex(lb.sha256))", F_TEXT},
    {"policy_sha256", "lower(hex(pb.sha256))", F_TEXT},
    {"cert_sha256", "lower(hex(cb.sha256))", F_TEXT},
    /* added with schema version 3: the delivery side (NULL when not checked) */
    {"smtp_checked", "r.smtp_checked", F_BOOL},
    {"mx_verified", "r.mx_verified", F_BOOL},
    {"mx_smtp_outcome", "r.mx_smtp_outcome", F_TEXT},
    {"mx_probed", "r.mx_probed", F_INT},
    {"mx_failing", "r.mx_failing", F_INT},
    {"dane_summary", "r.dane_summary", F_TEXT},
    {"dane_outcome", "r.dane_outcome", F_TEXT},
    {"readiness_reasons", "r.readiness_reasons", F_CODES},
    /* added with schema version 4 */
    {"policy_http_server", "r.policy_http_server", F_TEXT},
};
#define RFC8460_FIELD 4

/* `--table mx`: one record per MX host of the scan (mx_probes m), with the number of the
 * scan's domains that use it (u.n, from results.mx_hosts). */
static const struct export_field mx_fields[] = {
    {"host", "m.host", F_TEXT},
    {"domains", "coalesce(u.n, 0)", F_INT},
    {"smtp_checked", "m.smtp_checked", F_BOOL},
    {"smtp_outcome", "m.smtp_outcome", F_TEXT},
    {"rfc8460_result", "m.rfc8460_result", F_TEXT},
    {"dane_checked", "m.dane_checked", F_BOOL},
    {"dane_outcome", "m.dane_outcome", F_TEXT},
    {"tlsa_ad", "m.tlsa_ad", F_BOOL},
    {"tlsa_rcode", "m.tlsa_rcode", F_INT},
    {"tlsa_records", "m.tlsa_records", F_INT},
    {"tlsa_usable", "m.tlsa_usable", F_INT},
    {"addrs_probed", "m.addrs_probed", F_INT},
    {"addrs_dropped", "m.addrs_dropped", F_INT},
    {"starttls_offered", "m.starttls_offered", F_BOOL},
    {"tls_version", "m.tls_version", F_TEXT},
    {"cert_verify_code", "m.cert_verify_code", F_INT},
    {"cert_name_matches", "m.cert_name_matches", F_BOOL},
    {"cert_not_after", "m.cert_not_after", F_INT},
    {"cert_issuer", "m.cert_issuer", F_TEXT},
    {"addrs", "m.addrs", F_JSON},
};

struct export_table {
    const struct export_field *fields;
    size_t n;
    bool results; /* the per-domain table (rfc8460 from the category, artifacts, 2 passes) */
};
static const struct export_table tables[] = {
    [STORE_EXPORT_DOMAINS] = {fields, sizeof fields / sizeof fields[0], true},
    [STORE_EXPORT_MX] = {mx_fields, sizeof mx_fields / sizeof mx_fields[0], false},
};

/* With --artifacts: the raw records and body, decoded. */
static const struct artifact_field {
    const char *name;
    const char *alias; /* the blobs join */
} art_fields[] = {
    {"txt_raw", "tb"},
    {"tlsrpt_raw", "lb"},
    {"policy_raw", "pb"},
};
#define N_ART (sizeof art_fields / sizeof art_fields[0])

/* Where export bytes go: a FILE, through zstd's streaming compressor when asked. */
struct export_out {
    FILE *f;
    ZSTD_CCtx *z;
    char *zbuf;
    size_t zcap;
    bool failed;
    int err; /* errno of the failed write, 0 when zstd failed */
};

static void out_write(struct export_out *o, const void *data, size_t len, ZSTD_EndDirective end)
{
    if (o->failed)
        return;
    if (!o->z) {
        if (len && fwrite(data, 1, len, o->f) != len) {
            o->failed = true;
            o->err = errno;
        }
        return;
    }
    ZSTD_inBuffer in = {data, len, 0};
    size_t left;
    do {
        ZSTD_outBuffer zo = {o->zbuf, o->zcap, 0};
        left = ZSTD_compressStream2(o->z, &zo, &in, end);
        if (ZSTD_isError(left) || (zo.pos && fwrite(o->zbuf, 1, zo.pos, o->f) != zo.pos)) {
            o->failed = true;
            o->err = ZSTD_isError(left) ? 0 : errno;
            return;
        }
    } while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
}

/* Two passes give the order without sorting whole rows: ranked rows by the (scan_id, rank)
 * index (only ties sorted, by domain), then unranked rows by the (scan_id, domain) index. */
static char *build_sql(const struct export_table *t, bool artifacts, bool ranked)
{
    struct sbuf q = SBUF_INIT;
    sbuf_puts(&q, "SELECT ");
    for (size_t i = 0; i < t->n; i++)
        sbuf_printf(&q, "%s%s", i ? ", " : "", t->fields[i].sql);
    for (size_t i = 0; i < t->n; i++)
        if (t->fields[i].type == F_JSON)
            sbuf_printf(&q, ", json_valid(%s)", t->fields[i].sql);
    if (!t->results) {
        sbuf_puts(&q, " FROM mx_probes m LEFT JOIN (SELECT lower(rtrim(j.value, '.')) AS h, "
                      "count(DISTINCT r.domain) AS n FROM results r, json_each(r.mx_hosts) j "
                      "WHERE r.scan_id = ?1 GROUP BY h) u ON u.h = m.host "
                      "WHERE m.scan_id = ?1 ORDER BY m.host");
        if (q.oom) {
            sbuf_free(&q);
            return NULL;
        }
        return q.data;
    }
    if (artifacts)
        for (size_t i = 0; i < N_ART; i++)
            sbuf_printf(&q, ", %s.codec, %s.data, %s.raw_size", art_fields[i].alias,
                        art_fields[i].alias, art_fields[i].alias);
    sbuf_puts(&q, " FROM results r"
                  " LEFT JOIN blobs tb ON tb.id = r.txt_blob"
                  " LEFT JOIN blobs lb ON lb.id = r.tlsrpt_blob"
                  " LEFT JOIN blobs pb ON pb.id = r.policy_blob"
                  " LEFT JOIN blobs cb ON cb.id = r.cert_blob"
                  " WHERE r.scan_id = ?");
    sbuf_puts(&q, ranked ? " AND r.rank IS NOT NULL ORDER BY r.rank, r.domain"
                         : " AND r.rank IS NULL ORDER BY r.domain");
    if (q.oom) {
        sbuf_free(&q);
        return NULL;
    }
    return q.data;
}

/* A comma-separated code list as a JSON array of strings. */
static void codes_json(struct sbuf *out, const char *list)
{
    sbuf_putc(out, '[');
    const char *p = list;
    bool first = true;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n) {
            if (!first)
                sbuf_putc(out, ',');
            esc_json(out, p, n);
            first = false;
        }
        p = comma ? comma + 1 : NULL;
    }
    sbuf_putc(out, ']');
}

static const char *rfc8460_of(const char *category)
{
    if (!category)
        return NULL;
    int c = sts_category_from_name(category);
    return c > 0 ? sts_category_rfc8460_result((enum sts_category)c) : NULL;
}

/* One value, in the record's format. */
static void put_value(struct sbuf *rec, enum store_export_format fmt, enum field_type type,
                      sqlite3_stmt *stmt, int col, int json_ok, const char *override, bool rfc8460)
{
    bool null = sqlite3_column_type(stmt, col) == SQLITE_NULL;
    const char *text = override ? override : (const char *)sqlite3_column_text(stmt, col);
    size_t len = override ? strlen(override) : (size_t)sqlite3_column_bytes(stmt, col);
    if (override == NULL && rfc8460)
        null = true;
    if (null && !override) {
        if (fmt == STORE_EXPORT_JSONL)
            sbuf_puts(rec, "null");
        return;
    }
    if (type == F_INT) {
        sbuf_printf(rec, "%lld", (long long)sqlite3_column_int64(stmt, col));
    } else if (type == F_BOOL) {
        sbuf_puts(rec, sqlite3_column_int64(stmt, col) ? "true" : "false");
    } else if (fmt == STORE_EXPORT_CSV) {
        esc_csv(rec, text ? text : "");
    } else if (type == F_JSON && json_ok) {
        sbuf_append(rec, text, len);
    } else if (type == F_CODES) {
        codes_json(rec, text);
    } else {
        esc_json(rec, text ? text : "", len);
    }
}

/* The decoded artifact of one blob join, or nothing when the row has none. */
static int put_artifact(struct store *st, struct sbuf *rec, enum store_export_format fmt,
                        sqlite3_stmt *stmt, int col)
{
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
        if (fmt == STORE_EXPORT_JSONL)
            sbuf_puts(rec, "null");
        return 0;
    }
    char *raw = NULL;
    size_t len = 0;
    if (store_blob_read(st, (const char *)sqlite3_column_text(stmt, col),
                        sqlite3_column_blob(stmt, col + 1),
                        (size_t)sqlite3_column_bytes(stmt, col + 1),
                        (size_t)sqlite3_column_int64(stmt, col + 2), &raw, &len) < 0)
        return -1;
    if (fmt == STORE_EXPORT_CSV) {
        /* esc_csv stops at NUL: show NULs of hostile bodies as U+FFFD instead of cutting */
        struct sbuf clean = SBUF_INIT;
        for (size_t i = 0; i < len; i++)
            if (raw[i])
                sbuf_putc(&clean, raw[i]);
            else
                sbuf_puts(&clean, "\xEF\xBF\xBD");
        esc_csv(rec, sbuf_str(&clean));
        sbuf_free(&clean);
    } else {
        esc_json(rec, raw, len);
    }
    free(raw);
    return 0;
}

static void put_header(const struct export_table *t, struct sbuf *rec, bool artifacts)
{
    for (size_t i = 0; i < t->n; i++)
        sbuf_printf(rec, "%s%s", i ? "," : "", t->fields[i].name);
    if (artifacts)
        for (size_t i = 0; i < N_ART; i++)
            sbuf_printf(rec, ",%s", art_fields[i].name);
    sbuf_putc(rec, '\n');
}

static int put_record(struct store *st, const struct export_table *t, struct sbuf *rec,
                      const struct store_export_options *opt, sqlite3_stmt *stmt)
{
    bool jsonl = opt->format == STORE_EXPORT_JSONL;
    int json_col = (int)t->n;
    if (jsonl)
        sbuf_putc(rec, '{');
    for (size_t i = 0; i < t->n; i++) {
        int json_ok = 0;
        if (t->fields[i].type == F_JSON)
            json_ok = sqlite3_column_int(stmt, json_col++);
        if (i)
            sbuf_putc(rec, ',');
        if (jsonl) {
            esc_json_str(rec, t->fields[i].name);
            sbuf_putc(rec, ':');
        }
        const char *override = NULL;
        bool rfc8460 = t->results && i == RFC8460_FIELD;
        if (rfc8460)
            override = rfc8460_of((const char *)sqlite3_column_text(stmt, (int)i));
        put_value(rec, opt->format, t->fields[i].type, stmt, (int)i, json_ok, override, rfc8460);
    }
    if (opt->artifacts && t->results) {
        for (size_t i = 0; i < N_ART; i++) {
            sbuf_putc(rec, ',');
            if (jsonl) {
                esc_json_str(rec, art_fields[i].name);
                sbuf_putc(rec, ':');
            }
            if (put_artifact(st, rec, opt->format, stmt, json_col + 3 * (int)i) < 0)
                return -1;
        }
    }
    sbuf_puts(rec, jsonl ? "}\n" : "\n");
    return 0;
}

/* The scan an export defaults to: the latest complete one, else the latest. */
static int64_t default_scan(struct store *st)
{
    sqlite3_stmt *stmt = NULL;
    int64_t id = 0;
    const char *sql = "SELECT id FROM scans ORDER BY state = 'complete' DESC, id DESC LIMIT 1";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return id;
}

static bool scan_exists(struct store *st, int64_t id)
{
    sqlite3_stmt *stmt = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM scans WHERE id = ?", -1, &stmt, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(stmt, 1, id);
        found = sqlite3_step(stmt) == SQLITE_ROW;
    }
    sqlite3_finalize(stmt);
    return found;
}

static int open_out(struct store *st, struct export_out *o, FILE *f, bool zstd)
{
    memset(o, 0, sizeof *o);
    o->f = f;
    if (!zstd)
        return 0;
    o->z = ZSTD_createCCtx();
    o->zcap = ZSTD_CStreamOutSize();
    o->zbuf = malloc(o->zcap);
    if (!o->z || !o->zbuf) {
        store_set_error(st, "%s: out of memory for the zstd stream", st->path);
        return -1;
    }
    ZSTD_CCtx_setParameter(o->z, ZSTD_c_compressionLevel, 3);
    return 0;
}

static void close_out(struct export_out *o)
{
    ZSTD_freeCCtx(o->z);
    free(o->zbuf);
}

/* Writes the records of one pass; returns the number written or -1. */
static int64_t export_pass(struct store *st, const struct store_export_options *opt, int64_t scan,
                           bool ranked, struct export_out *o, struct sbuf *rec)
{
    const struct export_table *t = &tables[opt->table];
    char *sql = build_sql(t, opt->artifacts, ranked);
    sqlite3_stmt *stmt = NULL;
    if (!sql || sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        store_set_sqlite_error(st, "cannot query the results to export");
        free(sql);
        return -1;
    }
    free(sql);
    sqlite3_bind_int64(stmt, 1, scan);
    int64_t n = 0;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (put_record(st, t, rec, opt, stmt) < 0) {
            sqlite3_finalize(stmt);
            return -1;
        }
        n++;
        if (rec->len >= 64 * 1024) {
            out_write(o, rec->data, rec->len, ZSTD_e_continue);
            sbuf_reset(rec);
        }
    }
    if (step != SQLITE_DONE) {
        store_set_sqlite_error(st, "cannot read the results to export");
        n = -1;
    }
    sqlite3_finalize(stmt);
    return n;
}

int64_t store_export(struct store *st, const struct store_export_options *opt, FILE *out)
{
    int64_t scan = opt->scan_id ? opt->scan_id : default_scan(st);
    if (!scan || !scan_exists(st, scan)) {
        if (opt->scan_id)
            store_set_error(st, "%s: no scan %lld", st->path, (long long)opt->scan_id);
        else
            store_set_error(st, "%s: no scan to export", st->path);
        return -1;
    }
    struct export_out o;
    struct sbuf rec = SBUF_INIT;
    if (open_out(st, &o, out, opt->zstd) < 0) {
        close_out(&o);
        return -1;
    }
    const struct export_table *t = &tables[opt->table];
    if (opt->format == STORE_EXPORT_CSV)
        put_header(t, &rec, opt->artifacts && t->results);
    int64_t ranked = export_pass(st, opt, scan, true, &o, &rec);
    int64_t unranked = ranked < 0 || !t->results ? (ranked < 0 ? -1 : 0)
                                                 : export_pass(st, opt, scan, false, &o, &rec);
    int64_t n = unranked < 0 ? -1 : ranked + unranked;
    if (n >= 0) {
        out_write(&o, rec.data ? rec.data : "", rec.len, o.z ? ZSTD_e_end : ZSTD_e_continue);
        if (!rec.oom && !o.failed && fflush(out) != 0) {
            o.failed = true;
            o.err = errno;
        }
        if (rec.oom || o.failed) {
            store_set_error(st, "%s: cannot write the export: %s", st->path,
                            rec.oom ? "out of memory"
                            : o.err ? strerror(o.err)
                                    : "compression failed");
            n = -1;
        }
    }
    sbuf_free(&rec);
    close_out(&o);
    return n;
}
