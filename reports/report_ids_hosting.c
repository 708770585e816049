/* Survey figures beyond the main pass: the TXT id formats in use, and the hosting behind
 * policy hosts (CNAME target, Server header, certificate issuer) with each failure rate. */
#include "reports/report.h"

#include <ctype.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

const char *report_txt_id_format(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    const char *t = id ? strchr(id, 'T') : NULL;
    /* ISO 8601 basic: YYYYMMDDTHHMMSSZ (seconds optional: ...THHMMZ). */
    if ((n == 16 || n == 14) && t == id + 8 && id[n - 1] == 'Z' && all_digits(id, 8) &&
        all_digits(id + 9, n - 10))
        return "iso_basic_z";
    if (t && t > id && all_digits(id, (size_t)(t - id)) && all_digits(t + 1, strlen(t + 1)))
        return "compact_t";
    /* Seconds from 1973 to 2033, or milliseconds: a date serial such as 2026080101 (above
     * 2e9) stays "other". */
    if ((n == 9 || n == 10 || n == 13) && all_digits(id, n)) {
        unsigned long long v = strtoull(id, NULL, 10);
        if ((n < 13 && v >= 100000000ULL && v < 2000000000ULL) ||
            (n == 13 && v >= 100000000000ULL && v < 2000000000000ULL))
            return "unix_epoch";
    }
    return "other";
}

static bool ends_with(const char *host, const char *suffix)
{
    size_t h = strlen(host), s = strlen(suffix);
    while (h > 0 && host[h - 1] == '.')
        h--;
    if (h < s || strncasecmp(host + h - s, suffix, s) != 0)
        return false;
    return h == s || host[h - s - 1] == '.';
}

/* CNAME target suffixes of each hosting; the hosted MTA-STS services are the ones whose
 * documentation tells customers to CNAME mta-sts.D to them. */
static const struct {
    const char *suffix, *hosting;
} cname_rules[] = {
    {"github.io", "github_pages"},
    {"netlify.app", "netlify"},
    {"netlify.com", "netlify"},
    {"vercel.app", "vercel"},
    {"vercel-dns.com", "vercel"},
    {"cloudfront.net", "s3_cloudfront"},
    {"amazonaws.com", "s3_cloudfront"},
    {"cdn.cloudflare.net", "cloudflare"},
    {"workers.dev", "cloudflare"},
    {"pages.dev", "cloudflare"},
    {"mailhardener.com", "hosted_mta_sts"},
    {"uriports.com", "hosted_mta_sts"},
    {"easydmarc.com", "hosted_mta_sts"},
    {"easydmarc.pro", "hosted_mta_sts"},
    {"powerdmarc.com", "hosted_mta_sts"},
    {"ondmarc.com", "hosted_mta_sts"},
    {"redsift.cloud", "hosted_mta_sts"},
    {"dmarcian.com", "hosted_mta_sts"},
    {"valimail.com", "hosted_mta_sts"},
    {"mta-sts.cloud", "hosted_mta_sts"},
};

/* The product token of a Server header ("nginx/1.22.1 (Debian)" -> "nginx") equals name,
 * case-insensitively. */
static bool server_is(const char *server, const char *name)
{
    size_t n = strcspn(server, "/ (\t");
    return n == strlen(name) && strncasecmp(server, name, n) == 0;
}

/* Server header products that name who serves the response: the platforms answer with their
 * own value whatever the site is, and a proxy in front (Cloudflare) replaces the origin's. */
static const struct {
    const char *product, *hosting;
} server_rules[] = {
    {"GitHub.com", "github_pages"}, {"cloudflare", "cloudflare"},  {"Netlify", "netlify"},
    {"Vercel", "vercel"},           {"AmazonS3", "s3_cloudfront"}, {"CloudFront", "s3_cloudfront"},
};

/* Web server software people run themselves: with nothing more telling, the Server header
 * is then the evidence for self_hosted. */
static const char *const self_hosted_servers[] = {
    "nginx", "openresty", "Apache", "Caddy", "lighttpd", "Microsoft-IIS", "LiteSpeed", "h2o",
};

/* Precedence CNAME suffix > platform Server header > other CNAME > issuer > self_hosted; the
 * reasons are in report.h and reports/README.md. */
const char *report_hosting_of(const char *cname, const char *issuer, const char *server,
                              const char **signal)
{
    const char *unused;
    if (!signal)
        signal = &unused;
    bool has_cname = cname && *cname;
    *signal = "cname";
    for (size_t i = 0; has_cname && i < sizeof cname_rules / sizeof cname_rules[0]; i++)
        if (ends_with(cname, cname_rules[i].suffix))
            return cname_rules[i].hosting;
    *signal = "server";
    for (size_t i = 0; server && i < sizeof server_rules / sizeof server_rules[0]; i++)
        if (server_is(server, server_rules[i].product))
            return server_rules[i].hosting;
    if (has_cname) {
        *signal = "cname";
        return "other_cname";
    }
    /* No CNAME, no telling Server header: a CDN-fronted A record still shows in the
     * certificate. */
    *signal = "issuer";
    if (issuer && strcasestr(issuer, "cloudflare"))
        return "cloudflare";
    if (issuer && strcasestr(issuer, "amazon"))
        return "s3_cloudfront";
    *signal = "none";
    for (size_t i = 0; server && i < sizeof self_hosted_servers / sizeof self_hosted_servers[0];
         i++)
        if (server_is(server, self_hosted_servers[i]))
            *signal = "server";
    return "self_hosted";
}

static const char *const id_formats[] = {"iso_basic_z", "compact_t", "unix_epoch", "other"};
static const char *const id_examples[] = {"20260101T000000Z", "20260101T0000", "1767225600",
                                          "anything else (v1, abc123, 2026010101)"};
#define NFORMATS 4

static const char *const hostings[] = {"self_hosted",   "other_cname",   "github_pages",
                                       "cloudflare",    "netlify",       "vercel",
                                       "s3_cloudfront", "hosted_mta_sts"};
#define NHOSTINGS 8

static const char *const signals[] = {"cname", "server", "issuer", "none"};
#define NSIGNALS 4

static int index_of(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return (int)n - 1;
}

void report_section_ids_hosting(struct report_out *o, const struct report_data *d)
{
    int64_t ids[NFORMATS] = {0}, nid = 0;
    struct {
        int64_t domains, valid, invalid;
        int64_t by[NSIGNALS]; /* domains decided by each signal */
    } host[NHOSTINGS] = {{0}};
    int64_t mta_sts = 0;
    bool failed = true;
    sqlite3_stmt *st = NULL;
    if (d->db && sqlite3_prepare_v2(d->db,
                                    "SELECT txt_id, status, host_cname, cert_issuer, "
                                    "policy_http_server FROM results WHERE scan_id = ?1",
                                    -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, d->scan.id);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            const char *status = (const char *)sqlite3_column_text(st, 1);
            if (id) {
                ids[index_of(id_formats, NFORMATS, report_txt_id_format(id))]++;
                nid++;
            }
            bool valid = status && !strcmp(status, "valid");
            bool invalid = status && !strcmp(status, "invalid");
            if (!valid && !invalid)
                continue;
            mta_sts++;
            const char *signal = NULL;
            int h = index_of(hostings, NHOSTINGS,
                             report_hosting_of((const char *)sqlite3_column_text(st, 2),
                                               (const char *)sqlite3_column_text(st, 3),
                                               (const char *)sqlite3_column_text(st, 4), &signal));
            host[h].by[index_of(signals, NSIGNALS, signal)]++;
            host[h].domains++;
            host[h].valid += valid;
            host[h].invalid += invalid;
        }
        failed = rc != SQLITE_DONE;
    }
    sqlite3_finalize(st);

    report_out_section(o, "txt_ids", "TXT id formats");
    if (failed) {
        report_out_note(o, "Not available: the results could not be read.");
        return;
    }
    report_out_note(o,
                    "Denominator: %" PRId64 " domains whose _mta-sts record has an id. "
                    "`mtasts generate` writes iso_basic_z.",
                    nid);
    static const struct report_col icols[] = {{"format", "format", REPORT_TEXT},
                                              {"example", "example", REPORT_TEXT},
                                              {"count", "domains", REPORT_INT},
                                              {"share", "share [95% CI]", REPORT_PCT}};
    report_out_table_begin(o, "txt_id_formats", NULL, icols, 4);
    for (int i = 0; i < NFORMATS; i++) {
        struct report_cell c[4] = {report_text(id_formats[i]), report_text(id_examples[i]),
                                   report_int(ids[i]), report_pct(ids[i], nid)};
        report_out_row(o, c);
    }
    report_out_table_end(o);

    report_out_section(o, "hosting", "Hosting behind policy hosts");
    report_out_note(o,
                    "MTA-STS domains (%" PRId64 ") by who serves https://mta-sts.D, the first "
                    "signal that tells: the CNAME target of mta-sts.D (a platform's suffix), "
                    "the HTTP Server header of the policy fetch (GitHub.com, cloudflare, "
                    "Netlify, Vercel, AmazonS3, CloudFront: a proxy in front such as "
                    "Cloudflare replaces the origin's), any other CNAME (other_cname), the "
                    "certificate issuer (Cloudflare, Amazon), else self_hosted (signal server "
                    "when the header names web server software such as nginx or Apache). "
                    "Rules in reports/report_ids_hosting.c. by_cname, by_server, by_issuer, "
                    "by_none: the domains each signal decided. Failure rate: invalid among the "
                    "hosting's MTA-STS domains.",
                    mta_sts);
    static const struct report_col hcols[] = {{"hosting", "hosting", REPORT_TEXT},
                                              {"domains", "MTA-STS domains", REPORT_INT},
                                              {"share", "share [95% CI]", REPORT_PCT},
                                              {"valid", "valid", REPORT_INT},
                                              {"invalid", "invalid", REPORT_INT},
                                              {"failure_rate", "failure rate [95% CI]", REPORT_PCT},
                                              {"by_cname", "by CNAME", REPORT_INT},
                                              {"by_server", "by Server", REPORT_INT},
                                              {"by_issuer", "by issuer", REPORT_INT},
                                              {"by_none", "by none", REPORT_INT}};
    report_out_table_begin(o, "hosting", NULL, hcols, 10);
    int order[NHOSTINGS];
    for (int i = 0; i < NHOSTINGS; i++)
        order[i] = i;
    for (int i = 1; i < NHOSTINGS; i++) /* by domains, ties in table order */
        for (int k = i; k > 0 && host[order[k]].domains > host[order[k - 1]].domains; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (int i = 0; i < NHOSTINGS; i++) {
        int h = order[i];
        struct report_cell c[10] = {report_text(hostings[h]),
                                    report_int(host[h].domains),
                                    report_pct(host[h].domains, mta_sts),
                                    report_int(host[h].valid),
                                    report_int(host[h].invalid),
                                    report_pct(host[h].invalid, host[h].domains),
                                    report_int(host[h].by[0]),
                                    report_int(host[h].by[1]),
                                    report_int(host[h].by[2]),
                                    report_int(host[h].by[3])};
        report_out_row(o, c);
    }
    report_out_table_end(o);
}
