/* Unit tests of `mtasts export`: hostile strings survive CSV and JSONL, order, zstd, scan choice.
 */
#include <zstd.h>

#include "tests/unit/tap.h"
#include "tests/unit/test_store_fixtures.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}

/* A strict RFC 4180 reader: records of fields; returns the number of records or -1. */
#define MAX_REC 64
#define MAX_FIELDS 80
static char *csv[MAX_REC][MAX_FIELDS];
static int csv_nfields[MAX_REC];

static int csv_parse(const char *s)
{
    int r = 0, f = 0;
    char field[8192];
    size_t n = 0;
    memset(csv_nfields, 0, sizeof csv_nfields);
    while (*s && r < MAX_REC) {
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s)
                    return -1;
                if (*s == '"' && s[1] == '"') {
                    field[n++] = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    field[n++] = *s++;
                }
                if (n >= sizeof field - 1)
                    return -1;
            }
        } else {
            while (*s && *s != ',' && *s != '\n') {
                if (*s == '"' || *s == '\r')
                    return -1; /* quotes and CR only inside quoted fields */
                field[n++] = *s++;
                if (n >= sizeof field - 1)
                    return -1;
            }
        }
        field[n] = '\0';
        if (f < MAX_FIELDS)
            csv[r][f++] = strdup(field);
        n = 0;
        if (*s == ',') {
            s++;
        } else if (*s == '\n' || !*s) {
            csv_nfields[r] = f;
            f = 0;
            r++;
            if (*s)
                s++;
        } else {
            return -1;
        }
    }
    return r;
}

static void csv_free(int n)
{
    for (int r = 0; r < n && r < MAX_REC; r++)
        for (int f = 0; f < csv_nfields[r]; f++)
            free(csv[r][f]);
}

static int csv_col(const char *name)
{
    for (int f = 0; f < csv_nfields[0]; f++)
        if (!strcmp(csv[0][f], name))
            return f;
    return -1;
}

/* JSON facts checked with SQLite's own JSON functions. */
static sqlite3 *mem;
static char *json_get(const char *line, const char *path)
{
    sqlite3_stmt *stmt = NULL;
    char *v = NULL;
    sqlite3_prepare_v2(mem, "SELECT json_extract(?, ?)", -1, &stmt, NULL);
    sqlite3_bind_text(stmt, 1, line, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, path, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
        v = strdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return v;
}

static int json_valid_line(const char *line)
{
    sqlite3_stmt *stmt = NULL;
    int ok = 0;
    sqlite3_prepare_v2(mem, "SELECT json_valid(?) AND json_type(?) = 'object'", -1, &stmt, NULL);
    sqlite3_bind_text(stmt, 1, line, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, line, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        ok = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return ok;
}

static const char *db_path;

static void make_db(void)
{
    db_path = fx_path("export.db");
    char err[1024];
    struct store *st = store_open(db_path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    store_scan_begin(st, &fx_info, &scan);
    fx_write(st, scan, "old.example", FX_VALID, 1);
    store_scan_finish(st, scan, "complete", NULL);
    store_scan_begin(st, &fx_info, &scan);
    fx_write(st, scan, "zeta.example", FX_NO_POLICY, -1);
    fx_write(st, scan, "hostile.example", FX_HOSTILE, 3);
    fx_write(st, scan, "valid.example", FX_VALID, 2);
    fx_write(st, scan, "alpha.example", FX_NO_POLICY, -1);
    fx_write(st, scan, "expired.example", FX_CERT_EXPIRED, 2);
    store_scan_finish(st, scan, "complete", NULL);
    store_scan_begin(st, &fx_info, &scan); /* a third, unfinished scan */
    fx_write(st, scan, "running.example", FX_NO_POLICY, 1);
    store_scan_finish(st, scan, "interrupted", NULL);
    store_close(st);
}

static int64_t export_to(const char *path, int64_t scan, enum store_export_format fmt, bool zstd,
                         bool artifacts)
{
    char err[1024];
    struct store *st = store_open(db_path, STORE_READ_ONLY, err, sizeof err);
    if (!st)
        return -1;
    FILE *f = fopen(path, "wb");
    struct store_export_options opt = {scan, fmt, zstd, artifacts, STORE_EXPORT_DOMAINS};
    int64_t n = store_export(st, &opt, f);
    if (n < 0)
        fprintf(stderr, "export: %s\n", store_error(st));
    fclose(f);
    store_close(st);
    return n;
}

static void test_csv(void)
{
    const char *out = fx_path("out.csv");
    int64_t n = export_to(out, 2, STORE_EXPORT_CSV, false, true);
    TAP_CHECK(n == 5, "CSV export of scan 2 writes 5 records", "got %lld", (long long)n);
    char *text = slurp(out, NULL);
    int nrec = text ? csv_parse(text) : -1;
    TAP_CHECK(nrec == 6, "CSV parses strictly: header + 5 records", "got %d", nrec);
    if (nrec != 6) {
        free(text);
        return;
    }
    int same = 1;
    for (int r = 1; r < nrec; r++)
        same &= csv_nfields[r] == csv_nfields[0];
    TAP_CHECK(same, "every CSV record has as many fields as the header", "ragged");
    const char *required[] = {"domain",      "rank",        "status",         "category",
                              "warnings",    "mode",        "max_age",        "mx_patterns",
                              "mx_hosts",    "mx_covered",  "txt_id",         "tlsrpt_status",
                              "rua",         "http_status", "cert_not_after", "would_fail_delivery",
                              "valid_strict"};
    int missing = 0;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        missing += csv_col(required[i]) < 0;
    TAP_CHECK(missing == 0, "CSV header has every required field", "%d missing", missing);
    int dom = csv_col("domain");
    const char *order[] = {"expired.example", "valid.example", "hostile.example", "alpha.example",
                           "zeta.example"};
    int in_order = 1;
    for (int r = 1; r < 6; r++)
        in_order &= !strcmp(csv[r][dom], order[r - 1]);
    TAP_CHECK(in_order, "records ordered by rank, then domain, unranked last", "got %s %s %s %s %s",
              csv[1][dom], csv[2][dom], csv[3][dom], csv[4][dom], csv[5][dom]);
    int loc = csv_col("location"), ct = csv_col("content_type"), he = csv_col("https_error");
    TAP_STR_EQ(csv[3][loc], "https://evil.example/\"a,b\"\r\n<script>alert(1)</script>",
               "CSV keeps quotes, commas, CR LF and markup of a remote string intact");
    TAP_STR_EQ(csv[3][ct], "text/\"html\",\n<b>x", "CSV content type with quote, comma, newline");
    TAP_STR_EQ(csv[3][he], "'=cmd|' /C calc'!A0",
               "CSV defuses a spreadsheet formula with a leading quote");
    TAP_STR_EQ(csv[2][csv_col("mode")], "enforce", "CSV mode of the valid domain");
    TAP_STR_EQ(csv[2][csv_col("mx_patterns")], "[\"*.mail.example.net\"]",
               "CSV lists are JSON arrays");
    TAP_STR_EQ(csv[1][csv_col("category")], "cert_expired", "CSV category");
    TAP_STR_EQ(csv[1][csv_col("rfc8460_result")], "sts-webpki-invalid",
               "CSV RFC 8460 result type of the category");
    TAP_STR_EQ(csv[4][csv_col("category")], "", "CSV NULL is an empty field");
    TAP_STR_EQ(csv[2][csv_col("valid_strict")], "true", "CSV booleans are true/false");
    int sv = csv_col("policy_http_server");
    TAP_CHECK(sv >= 0 && !strcmp(csv[2][sv], "nginx/1.22.1") && !strcmp(csv[1][sv], ""),
              "CSV policy_http_server: the Server header, empty without a response", "got %s",
              sv >= 0 ? csv[2][sv] : "(no column)");
    const char *hostile_sv = sv >= 0 ? csv[3][sv] : "(no column)";
    TAP_STR_EQ(hostile_sv, "evil\x1b[2J\"a,b\" <script>=1+1",
               "CSV policy_http_server: quotes, commas and the ESC byte kept (a quoted field)");
    TAP_STR_EQ(csv[2][csv_col("policy_raw")], FX_SHARED_POLICY,
               "--artifacts adds the policy body, CRLFs intact");
    csv_free(nrec);
    free(text);
}

static void test_jsonl(void)
{
    const char *out = fx_path("out.jsonl");
    int64_t n = export_to(out, 2, STORE_EXPORT_JSONL, false, false);
    TAP_CHECK(n == 5, "JSONL export writes 5 records", "got %lld", (long long)n);
    char *text = slurp(out, NULL);
    char *lines[8] = {0};
    int nl = 0;
    for (char *p = text, *save = NULL; text && nl < 8; p = NULL) {
        char *tok = strtok_r(p, "\n", &save);
        if (!tok)
            break;
        lines[nl++] = tok;
    }
    TAP_CHECK(nl == 5, "one JSON object per line", "%d lines", nl);
    int valid = 0;
    for (int i = 0; i < nl; i++)
        valid += json_valid_line(lines[i]);
    TAP_CHECK(valid == nl, "every line is a valid JSON object", "%d of %d valid", valid, nl);
    if (nl == 5) {
        char *v = json_get(lines[2], "$.location");
        TAP_STR_EQ(v, "https://evil.example/\"a,b\"\r\n<script>alert(1)</script>",
                   "JSONL round-trips a hostile Location exactly");
        free(v);
        v = json_get(lines[2], "$.content_type");
        TAP_STR_EQ(v, "text/\"html\",\n<b>x", "JSONL round-trips a hostile Content-Type");
        free(v);
        v = json_get(lines[1], "$.mx_patterns[0]");
        TAP_STR_EQ(v, "*.mail.example.net", "JSONL lists are real arrays");
        free(v);
        v = json_get(lines[1], "$.warnings");
        TAP_CHECK(v && v[0] == '[', "JSONL warnings are an array", "got %s", v ? v : "null");
        free(v);
        v = json_get(lines[1], "$.max_age");
        TAP_STR_EQ(v, "604800", "JSONL max_age is a number");
        free(v);
        v = json_get(lines[3], "$.category");
        TAP_CHECK(v == NULL, "JSONL category is null for a domain without a policy", "got %s", v);
        free(v);
        v = json_get(lines[2], "$.policy_http_server");
        TAP_STR_EQ(v, "evil\x1b[2J\"a,b\" <script>=1+1",
                   "JSONL round-trips a hostile Server header exactly (ESC escaped)");
        free(v);
        v = json_get(lines[0], "$.policy_http_server");
        TAP_CHECK(v == NULL, "JSONL policy_http_server is null without a response", "got %s", v);
        free(v);
        v = json_get(lines[0], "$.would_fail_delivery");
        TAP_STR_EQ(v, "0", "JSONL booleans are false/true");
        free(v);
    }
    free(text);
}

static void test_zstd_and_defaults(void)
{
    const char *plain = fx_path("plain.jsonl"), *packed = fx_path("packed.jsonl.zst");
    int64_t a = export_to(plain, 0, STORE_EXPORT_JSONL, false, false);
    int64_t b = export_to(packed, 0, STORE_EXPORT_JSONL, true, false);
    TAP_CHECK(a == 5 && b == 5, "the default scan is the latest complete one (scan 2)",
              "got %lld and %lld records", (long long)a, (long long)b);
    size_t plen = 0, zlen = 0;
    char *p = slurp(plain, &plen), *z = slurp(packed, &zlen);
    char *d = malloc(plen + 1);
    size_t dn = (p && z && d) ? ZSTD_decompress(d, plen + 1, z, zlen) : 0;
    TAP_CHECK(!ZSTD_isError(dn) && dn == plen && memcmp(d, p, plen) == 0,
              "--zstd output decompresses to the plain export", "size %zu vs %zu", dn, plen);
    free(p);
    free(z);
    free(d);
    int64_t c = export_to(fx_path("s3.csv"), 3, STORE_EXPORT_CSV, false, false);
    TAP_CHECK(c == 1, "--scan picks an unfinished scan too", "got %lld", (long long)c);
    int64_t e = export_to(fx_path("s9.csv"), 9, STORE_EXPORT_CSV, false, false);
    TAP_CHECK(e == -1, "a missing scan is an error", "got %lld", (long long)e);
}

/* A full disk fails the export with the system's reason, not a bare "write error". */
static void test_write_error(void)
{
    char err[1024];
    struct store *st = store_open(db_path, STORE_READ_ONLY, err, sizeof err);
    FILE *f = fopen("/dev/full", "wb");
    struct store_export_options opt = {0, STORE_EXPORT_JSONL, false, false, STORE_EXPORT_DOMAINS};
    int64_t n = st && f ? store_export(st, &opt, f) : 0;
    TAP_CHECK(n == -1 && strstr(store_error(st), "No space left on device"),
              "export to a full disk fails and says why", "n=%lld err=%s", (long long)n,
              st ? store_error(st) : err);
    if (f)
        fclose(f);
    store_close(st);
}

/* Property test: random hostile bytes (NUL, control bytes, invalid UTF-8, quotes, commas,
 * CR LF, markup, formula starts) in every remote string still export as strict CSV with the
 * header's field count and as valid JSON objects. Seeded, so a failure reproduces. */
static uint64_t prng = 0x2545F4914F6CDD1DULL;
static unsigned rnd(unsigned n)
{
    prng ^= prng << 13;
    prng ^= prng >> 7;
    prng ^= prng << 17;
    return (unsigned)(prng % n);
}

static void hostile(char *buf, size_t cap, size_t *len_out)
{
    static const char *pieces[] = {
        "\"",   ",",        "\r\n", "\n",           "<script>", "=",       "+",
        "-",    "@",        "'",    "\\",           "\xff",     "\xc3",    "\xe2\x82",
        "\x01", "\x1b[31m", "\t",   "\xef\xbb\xbf", "}",        "{\"a\":", "\xed\xa0\x80"};
    size_t n = 0, parts = 1 + rnd(8);
    for (size_t i = 0; i < parts && n + 16 < cap; i++) {
        if (rnd(4) == 0) {
            buf[n++] = '\0';
            continue;
        }
        const char *p = rnd(3) ? pieces[rnd(sizeof pieces / sizeof pieces[0])] : "abc";
        size_t l = strlen(p);
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    *len_out = n;
}

static void test_random_hostile(void)
{
    const char *path = fx_path("random.db");
    char err[1024];
    struct store *st = store_open(path, STORE_READ_WRITE, err, sizeof err);
    int64_t scan = 0;
    if (!st || store_scan_begin(st, &fx_info, &scan) < 0) {
        TAP_CHECK(0, "random scan", "%s", st ? store_error(st) : err);
        store_close(st);
        return;
    }
    int built = 0;
    for (int i = 0; i < 300; i++) {
        struct fx f;
        char d[32];
        snprintf(d, sizeof d, "r%03d.example", i);
        fx_init(&f, d, i % 2 ? FX_VALID : FX_HOSTILE, i % 3 ? i : -1);
        char ct[64], loc[128], he[128], txt[128], tls[128], mx[128], iss[128];
        size_t l;
        hostile(ct, sizeof ct, &l);
        hostile(loc, sizeof loc, &l);
        hostile(he, sizeof he, &l);
        hostile(tls, sizeof tls, &l);
        hostile(mx, sizeof mx, &l);
        hostile(iss, sizeof iss, &l);
        memcpy(f.obs.cert.issuer, iss, strlen(iss) + 1);
        hostile(txt, sizeof txt, &l);
        struct sts_txt_record rec[2] = {{txt, l}, {f.txt_data, strlen(f.txt_data)}};
        f.obs.txt = rec;
        f.obs.n_txt = 2;
        f.obs.content_type = ct;
        f.r.location = loc;
        f.r.https_error = he;
        f.r.tls_version = tls;
        f.mx[0].host = mx;
        sts_verdict_free(&f.verdict);
        sts_classify(&f.obs, &f.verdict);
        struct store_row *row = store_row_build(&f.r);
        built += row != NULL;
        store_write_row_owned(st, scan, row);
        fx_free(&f);
    }
    store_scan_finish(st, scan, "complete", NULL);
    store_close(st);
    TAP_CHECK(built == 300, "300 rows of random hostile bytes build", "%d built", built);

    const char *saved = db_path;
    db_path = path;
    const char *csvp = fx_path("random.csv"), *jsonp = fx_path("random.jsonl");
    int64_t n1 = export_to(csvp, 1, STORE_EXPORT_CSV, false, true);
    int64_t n2 = export_to(jsonp, 1, STORE_EXPORT_JSONL, false, true);
    db_path = saved;
    TAP_CHECK(n1 == 300 && n2 == 300, "both exports write 300 records", "%lld, %lld", (long long)n1,
              (long long)n2);

    /* JSONL: every line a valid JSON object */
    size_t len = 0;
    char *text = slurp(jsonp, &len);
    int lines = 0, valid = 0;
    for (char *p = text, *save = NULL; text; p = NULL) {
        char *tok = strtok_r(p, "\n", &save);
        if (!tok)
            break;
        lines++;
        valid += json_valid_line(tok);
    }
    TAP_CHECK(lines == 300 && valid == 300, "every hostile JSONL line is a valid JSON object",
              "%d lines, %d valid", lines, valid);
    free(text);

    /* CSV: strict parse, every record as wide as the header (parser sized for 64 records:
     * check them in chunks by counting quotes-balanced records instead) */
    text = slurp(csvp, &len);
    int records = 0, bad = 0;
    bool in_quotes = false;
    int fields = 1, header_fields = -1;
    for (size_t i = 0; text && i < len; i++) {
        char c = text[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < len && text[i + 1] == '"')
                i++;
            else if (c == '"')
                in_quotes = false;
        } else if (c == '"') {
            bad += i > 0 && text[i - 1] != ',' && text[i - 1] != '\n'; /* quote mid-field */
            in_quotes = true;
        } else if (c == ',') {
            fields++;
        } else if (c == '\r' || c == '\0') {
            bad++; /* CR and NUL only inside quotes */
        } else if (c == '\n') {
            if (header_fields < 0)
                header_fields = fields;
            else
                bad += fields != header_fields;
            records++;
            fields = 1;
        }
    }
    TAP_CHECK(records == 301 && bad == 0 && !in_quotes,
              "the hostile CSV is strict RFC 4180 with constant width", "%d records, %d bad, %s",
              records, bad, in_quotes ? "unterminated quote" : "quotes closed");
    free(text);
}

int main(void)
{
    TAP_PLAN(38);
    fx_mkdir("export");
    sqlite3_open(":memory:", &mem);
    make_db();
    test_csv();
    test_jsonl();
    test_zstd_and_defaults();
    test_write_error();
    test_random_hostile();
    sqlite3_close(mem);
    fx_rmdir();
    TAP_DONE();
}
