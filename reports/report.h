/* The report model and the renderer interface shared by every report format. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/sbuf.h"
#include "rules/sts_codes.h"
#include "rules/sts_delivery.h"

struct sqlite3;
struct report_out;

/* ---- figures of one scan (filled by report_data_load, see reports/README.md) ---- */

/* The adoption funnel; the stages are defined in reports/README.md. */
struct report_funnel {
    int64_t scanned, resolving, with_mx, null_mx, with_txt, valid_txt, policy_fetched, policy_valid,
        fully_valid;
};

/* Mode split among valid policies (status valid). */
struct report_modes {
    int64_t enforce, testing, none;
};

#define REPORT_MAXAGE_BUCKETS 7
#define REPORT_MAXAGE_TOP 10

/* One max_age distribution: values of every policy whose max_age was read. */
struct report_maxage {
    int64_t *values; /* sorted ascending after report_data_load */
    size_t n, cap;
    int64_t buckets[REPORT_MAXAGE_BUCKETS];
    struct {
        int64_t value, count;
    } top[REPORT_MAXAGE_TOP]; /* most common first, ties by smaller value */
    size_t ntop;
    double q1, median, q3; /* nearest-rank-interpolated, see stats.h; 0 when n == 0 */
    int64_t min, max;
};

enum {
    REPORT_MAXAGE_ALL = 0,
    REPORT_MAXAGE_ENFORCE,
    REPORT_MAXAGE_TESTING,
    REPORT_MAXAGE_NONE,
    REPORT_MAXAGE_SETS
};

/* Domains whose certificate expires soon (listed by domain and date). */
struct report_expiring {
    char *domain;
    int64_t not_after, scanned_at;
    double days_left; /* (not_after - scanned_at) in days: every format shows this figure */
    bool soon;        /* the row carries the stored cert_expiring_soon warning */
};

#define REPORT_RANK_BUCKETS 4

/* Per-group counters of the provider tables. */
struct report_group {
    char *name;
    int64_t domains, mta_sts, valid, invalid, enforce, testing, none;
};

struct report_groups {
    struct report_group *items; /* sorted by domains desc, then name */
    size_t n, cap;
    size_t *slots; /* open-addressing index into items (internal) */
    size_t nslots;
};

#define REPORT_INPUT_ERRORS 50

/* The scans row. Strings owned (NULL when the column is NULL). */
struct report_scan {
    int64_t id;
    char *started_at, *finished_at, *state, *tool_version, *inputs, *options, *merged_from;
    int64_t input_domains, invalid_lines, duplicates, excluded, resumes;
    bool has_input_domains, has_elapsed;
    double elapsed_s;
    int64_t shard_index, shard_count; /* -1 when unsharded */
    int64_t rows;                     /* result rows of the scan */
    /* Top-level fields of the options JSON, and the inputs' names and hashes, in stored
     * order: "key" and its value as text (JSON for arrays and objects). */
    char **option_keys, **option_values;
    size_t noptions;
    char **input_names, **input_hashes;
    size_t ninputs;
    /* The first REPORT_INPUT_ERRORS rows of input_errors by file and line; their total. */
    struct report_input_error {
        char *file, *text, *reason;
        int64_t line;
    } input_errors[REPORT_INPUT_ERRORS];
    size_t ninput_errors;
    int64_t input_errors_total;
};

/* The delivery side of a scan (reports/report_delivery.c; reports/README.md defines each). */
#define REPORT_RFC8460_TYPES 5
extern const char *const report_rfc8460_types[REPORT_RFC8460_TYPES];
struct report_delivery {
    /* MTA-STS domains (status valid or invalid) by the SMTP stage's per-domain columns */
    int64_t mta_sts, probed, verified, starttls_missing, failing_domains;
    int64_t domains_by_type[REPORT_RFC8460_TYPES]; /* worst MX outcome's RFC 8460 type */
    /* MX hosts of the scan (mx_probes with smtp_checked = 1) */
    int64_t hosts, hosts_judged, hosts_starttls, hosts_cert_ok, hosts_failing;
    int64_t hosts_by_type[REPORT_RFC8460_TYPES];
    /* would_fail_delivery = 1, by cause (a domain may have both causes) */
    int64_t would_fail, wf_uncovered, wf_mx, wf_by_outcome[STS_SMTP_COUNT];
    /* DANE-checked domains: MTA-STS (status valid) x DANE (dane_summary full) */
    int64_t dane_checked, both, mta_sts_only, dane_only, neither, dane_partial;
    int64_t conflicts, dane_failures, tlsa_unsigned;
};

struct report_data {
    struct sqlite3 *db; /* borrowed from report_data_load: sections that query beyond the
                           one pass (report_ids_hosting.c, report_history.c) */
    struct report_scan scan;
    struct report_delivery delivery; /* the delivery side, zero when never probed */
    struct report_funnel funnel;
    int64_t status[STS_STATUS_COUNT];
    int64_t status_other; /* rows whose status is not a known code */
    int64_t mta_sts;      /* status valid or invalid: a v=STSv1 record was published */
    struct report_modes modes;
    struct report_maxage maxage[REPORT_MAXAGE_SETS];
    int64_t maxage_over_limit; /* parsed values above 31557600 (also in the last bucket) */

    int64_t invalid;
    int64_t category[STS_CAT_COUNT]; /* [0]: invalid rows with no or an unknown category */
    int64_t rollup_no_address, rollup_cert, rollup_expired, rollup_name_mismatch;

    int64_t would_fail; /* would_fail_delivery = 1 */
    int64_t valid_strict, valid_lenient, lenient_only;
    int64_t readiness_enforcing, readiness_ready, readiness_not_ready;

    int64_t warning[STS_WARN_COUNT];         /* all rows */
    int64_t warning_mta_sts[STS_WARN_COUNT]; /* among MTA-STS domains */
    int64_t warning_unknown;

    struct report_expiring *expiring; /* sorted by not_after, then domain */
    size_t nexpiring, capexpiring;
    int64_t expiring_14, expiring_30;

    int64_t tlsrpt_valid, tlsrpt_invalid, tlsrpt_none;                /* all scanned */
    int64_t tlsrpt_valid_mta_sts, tlsrpt_invalid_mta_sts;             /* among MTA-STS */
    int64_t rua_domains_mailto, rua_domains_https, rua_domains_other; /* valid TLS-RPT */
    int64_t rua_uris_mailto, rua_uris_https, rua_uris_other;

    bool has_ranks;
    int64_t ranked;
    struct {
        struct report_funnel funnel;
        struct report_modes modes;
        int64_t mta_sts;
    } rank[REPORT_RANK_BUCKETS];

    struct report_groups providers;    /* MX registered domains */
    struct report_groups policy_hosts; /* CNAME target (registered domain) or self-hosted */
};

/* Group names that are not registered domains (parentheses cannot occur in a host name). */
#define REPORT_SELF_HOSTED "(self-hosted)"        /* MX under the domain's own name */
#define REPORT_NO_CNAME "(self-hosted: no CNAME)" /* policy host without a CNAME */

extern const int64_t report_rank_limits[REPORT_RANK_BUCKETS];
extern const char *const report_maxage_bucket_names[REPORT_MAXAGE_BUCKETS];

/* Resolves the scan to report: id > 0 must exist; id == 0 picks the latest complete scan,
 * else the latest scan. Returns the id, or -1 with a message in err. */
int64_t report_pick_scan(struct sqlite3 *db, int64_t id, char *err, size_t errlen);

/* Loads the scans row of `scan_id` and aggregates its results into *d (zeroed first).
 * Returns 0, or -1 with a message naming the problem in err; *d is then freed. */
int report_data_load(struct sqlite3 *db, int64_t scan_id, struct report_data *d, char *err,
                     size_t errlen);
void report_data_free(struct report_data *d);

/* Aggregates the delivery side of a scan (results' delivery columns, mx_probes) into *dl
 * (zeroed first). Returns 0, or -1 with a message in err. */
int report_delivery_load(struct sqlite3 *db, int64_t scan_id, struct report_delivery *dl, char *err,
                         size_t errlen);
/* Writes the sections mx_transport, would_fail_causes and dane_overlap. */
void report_write_delivery(struct report_out *o, const struct report_delivery *dl);

/* Which max_age bucket a value falls in (0..REPORT_MAXAGE_BUCKETS-1). */
int report_maxage_bucket(int64_t max_age);

/* ---- output: typed cells, tables, charts, and the renderer table ---- */

enum report_kind {
    REPORT_TEXT = 0, /* string; may be remote bytes: every renderer escapes it */
    REPORT_INT,      /* n */
    REPORT_REAL,     /* x, printed with 1 decimal in text */
    REPORT_PCT,      /* n of den: percentage with a 95% Wilson interval */
    REPORT_SHARE,    /* n of den: percentage without an interval */
    REPORT_LIST      /* comma-separated codes (warnings): JSON writes an array of strings,
                        the other formats the text as it is */
};

struct report_col {
    const char *name;  /* machine name: CSV header, JSON key */
    const char *label; /* human heading */
    enum report_kind kind;
};

struct report_cell {
    const char *s; /* REPORT_TEXT; NULL is an empty/absent value */
    int64_t n, den;
    double x;
    bool null; /* no value (REPORT_INT/REPORT_REAL/PCT) */
};

enum report_chart_kind { REPORT_CHART_BARS, REPORT_CHART_COLUMNS, REPORT_CHART_LINES };

/* A chart; only the HTML renderer draws them. For LINES, values holds nseries rows of n
 * points (values[s * n + i]); otherwise one series of n values. */
struct report_chart {
    enum report_chart_kind kind;
    const char *id, *title, *unit;
    size_t n;
    const char *const *labels; /* n labels (x axis for LINES); may be remote strings */
    const double *values;
    size_t nseries;
    const char *const *series; /* nseries names (LINES) */
};

/* Optional drawing hints for a chart (report_out_chart_styled), kept out of struct
 * report_chart so its positional initializers stay valid: a logarithmic axis (BARS: values
 * >= 1 drawn as log10, so the small stages of a funnel show beside the large ones), and
 * per-bar label texts shown instead of the bare value (BARS, COLUMNS: "162 · 5.40% [4.65,
 * 6.26]"). */
struct report_chart_style {
    bool log_scale;
    const char *const *value_labels; /* n labels, or NULL */
};

struct report_out;

/* A report format, ZMap output-module style: adding a format is adding one file. */
struct report_renderer {
    const char *name; /* the --format value */
    const char *help; /* one line for --help: what the format is for */
    void (*begin)(struct report_out *o);
    void (*section)(struct report_out *o, const char *id, const char *title);
    void (*note)(struct report_out *o, const char *text);
    void (*table_begin)(struct report_out *o, const char *id, const char *title,
                        const struct report_col *cols, size_t ncols);
    void (*table_row)(struct report_out *o, const struct report_cell *cells);
    void (*table_end)(struct report_out *o);
    void (*chart)(struct report_out *o, const struct report_chart *c);
    void (*end)(struct report_out *o);
    /* The summary figures (report_summary.c), before the first section: named values in
     * nested groups (objects, or lists whose members have no key). The JSON renderer writes
     * them as its stable summary keys; the other formats show the same figures in their
     * tables and leave these NULL. */
    void (*group_begin)(struct report_out *o, const char *key, bool list);
    void (*group_end)(struct report_out *o);
    void (*figure)(struct report_out *o, const char *key, enum report_kind kind,
                   const struct report_cell *c);
};

extern const struct report_renderer report_render_text, report_render_md, report_render_csv,
    report_render_json, report_render_html;

/* A renderer that writes nothing and collects the section and table ids into the sbuf at
 * o->rstate (reports/report_names.c): the valid --section names of a report. */
extern const struct report_renderer report_render_names;

/* The renderer named `name` ("text", "md", "csv", "json", "html"), or NULL. */
const struct report_renderer *report_renderer_find(const char *name);

/* The renderer table, in the order --help lists it: the i-th renderer, NULL past the end.
 * Commands read the format list from here, never from a list of their own. */
const struct report_renderer *report_renderer_at(size_t i);

/* The names of every renderer joined by ", " into buf (always NUL-terminated). */
void report_renderer_names(char *buf, size_t len);

/* An output in progress: the renderer, the document, filters and the buffer. */
struct report_out {
    const struct report_renderer *r;
    FILE *f;
    struct sbuf buf; /* renderers append here; flushed to f in large pieces */
    bool write_error;

    const char *title;              /* document title */
    const char *timestamp;          /* printed only when not NULL (--timestamp) */
    const struct report_data *data; /* the survey's figures (callers set it; renderers get
                                       them as summary events, report_write_summary) */
    const char *kind;               /* "report", "per_domain", "trend", "diff" */
    const char *only;               /* --section: a table or section id, NULL for all */
    size_t top;                     /* --top: rows of the provider tables, 0 for the default 25 */

    /* state kept by the dispatcher and renderers */
    bool begun, exact_table, in_section, section_open, table_skip, matched;
    const char *section_id, *section_title;
    const struct report_col *cols;
    size_t ncols;
    int64_t rows;
    const struct report_chart_style *chart_style; /* during report_out_chart_styled only */
    void *rstate;                                 /* renderer-private */
};

/* Starts an output to f. The strings are borrowed until report_out_finish. */
void report_out_init(struct report_out *o, const struct report_renderer *r, FILE *f,
                     const char *kind, const char *title);
void report_out_begin(struct report_out *o);
void report_out_section(struct report_out *o, const char *id, const char *title);
void report_out_note(struct report_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_out_table_begin(struct report_out *o, const char *id, const char *title,
                            const struct report_col *cols, size_t ncols);
void report_out_row(struct report_out *o, const struct report_cell *cells);
void report_out_table_end(struct report_out *o);
void report_out_chart(struct report_out *o, const struct report_chart *c);
/* report_out_chart with drawing hints (renderers that draw read o->chart_style). */
void report_out_chart_styled(struct report_out *o, const struct report_chart *c,
                             const struct report_chart_style *style);
/* Summary events (dropped with --section, and by renderers that leave them NULL): a group
 * (object) or a list opens with a key (NULL inside a list) and closes with group_end. */
void report_out_group(struct report_out *o, const char *key);
void report_out_list(struct report_out *o, const char *key);
void report_out_group_end(struct report_out *o);
void report_out_figure(struct report_out *o, const char *key, enum report_kind kind,
                       struct report_cell c);
/* Ends the document and flushes. Returns 0, or -1 on a write error (or out of memory). */
int report_out_finish(struct report_out *o);
/* Ends a begun document without writing what is still buffered (after an error). */
void report_out_discard(struct report_out *o);
/* Moves buffered output to the file once it is large. */
void report_out_maybe_flush(struct report_out *o);

/* Cell helpers. */
struct report_cell report_text(const char *s);
struct report_cell report_int(int64_t n);
struct report_cell report_real(double x);
struct report_cell report_pct(int64_t n, int64_t den);
struct report_cell report_share(int64_t n, int64_t den);
struct report_cell report_null(void);

/* Appends a cell formatted for people (text, md, html): "12.34% [11.02, 13.71]" for a
 * percentage with its interval, "n/a" without a denominator, "-" for no value. */
void report_cell_format(struct sbuf *b, enum report_kind kind, const struct report_cell *c);

/* ---- the reports ---- */

/* Published figures printed beside ours (shared/REFERENCES.md beside the checkout,
 * reports/README.md). */
#define PUB_TOP1M "top-1M snapshots (industry write-ups)"
#define PUB_IMC "IMC 2025 MTA-STS study (>87M domains)"

/* Formats "n · p% [lo, hi]" (share of den with its 95% Wilson interval; "n" alone when den
 * is 0) into buf: the label of a chart bar. */
void report_chart_share_label(char *buf, size_t len, int64_t n, int64_t den);

/* The survey's first section (reports/report_headline.c): the figures a reader looks for
 * first, each beside its published counterpart. */
void report_section_headline(struct report_out *o, const struct report_data *d);

/* Survey sections with their own queries (d->db): the TXT id formats and the hosting behind
 * policy hosts (report_ids_hosting.c), and what happened across snapshots (report_history.c).
 * A query error becomes a note in the section. */
void report_section_ids_hosting(struct report_out *o, const struct report_data *d);
void report_section_history(struct report_out *o, const struct report_data *d);

/* The format of a TXT id (report_ids_hosting.c): "iso_basic_z" (20240101T000000Z),
 * "compact_t" (digits T digits, no Z), "unix_epoch" (9 to 10 digits, or 13 for
 * milliseconds), else "other". */
const char *report_txt_id_format(const char *id);

/* The hosting behind a policy host (report_ids_hosting.c), the one place it is decided, from
 * three facts (each may be NULL): the CNAME target of mta-sts.D, the certificate issuer and
 * the HTTP Server header of the policy fetch. Returns "github_pages", "netlify", "vercel",
 * "s3_cloudfront", "cloudflare", "hosted_mta_sts" (a hosted MTA-STS service), "other_cname"
 * or "self_hosted". Precedence, the first that tells:
 *   1. a CNAME to a platform's suffix (github.io, netlify.app, cloudfront.net, a hosted
 *      MTA-STS service...): the customer pointed the name there, and a service that sits
 *      behind a CDN would otherwise be counted as the CDN;
 *   2. a platform's Server header (GitHub.com, cloudflare, Netlify, Vercel, AmazonS3,
 *      CloudFront): the platform writes it whatever the site; Cloudflare's proxy replaces the
 *      origin's, so "cloudflare" means Cloudflare in front, whoever is behind;
 *   3. any other CNAME: "other_cname" (someone else's name, not recognised);
 *   4. the certificate issuer (Cloudflare, Amazon): a CDN-fronted A record without a header;
 *   5. "self_hosted".
 * *signal (when signal is not NULL) is set to the fact that decided: "cname", "server",
 * "issuer", or "none" (self_hosted by default; "server" when the header names web server
 * software people run themselves: nginx, Apache, Caddy, ...). Static strings. */
const char *report_hosting_of(const char *cname, const char *issuer, const char *server,
                              const char **signal);

/* Writes the survey report of one scan (all sections) through o. */
void report_write_survey(struct report_out *o, const struct report_data *d);
/* The survey's summary figures as events (reports/README.md, JSON schema): called by
 * report_write_survey after report_out_begin. */
void report_write_summary(struct report_out *o, const struct report_data *d);

/* Options of the per-domain worklist. The filters are comma-separated lists of codes (a row
 * matches one of them), NULL for all. */
struct report_worklist_opts {
    const char *status;    /* valid, invalid, no_policy, dns_error, domain_nxdomain */
    const char *category;  /* failure category codes */
    const char *readiness; /* ready_to_enforce, not_ready, enforcing */
    bool would_fail;       /* only rows with would_fail_delivery = 1 */
    const char *sort;      /* severity (default), domain, rank, status, category, readiness,
                              max_age, mode, would_fail_delivery */
    bool desc;
};

/* Checks the options (known sort key, status and category codes). Returns 0, or -1 with a
 * message in err. */
int report_worklist_check(const struct report_worklist_opts *opts, char *err, size_t errlen);

/* Streams the per-domain worklist of a scan (options checked first). Returns 0 or -1 with a message
 * in err. */
int report_write_worklist(struct report_out *o, struct sqlite3 *db, int64_t scan_id,
                          const struct report_worklist_opts *opts, char *err, size_t errlen);

/* Writes the trend across completed scans (all scans when none is complete). */
int report_write_trend(struct report_out *o, struct sqlite3 *db, char *err, size_t errlen);

/* diff: reports/diff.h. */

/* Formats Unix seconds as 2026-11-22 (UTC) / 2026-11-22T12:00:00Z into buf. */
void report_format_date(int64_t t, char *buf, size_t len);
void report_format_time(int64_t t, char *buf, size_t len);

#endif
