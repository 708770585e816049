/* `mtasts report` and `mtasts report trend`: parse options, pick the scan, render. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "store/store.h"

static const struct cli_help report_help = {
    .synopsis =
        "mtasts report [--db FILE] [--scan ID] [--format FMT] [-o FILE] [--section NAME]\n"
        "              [--top N] [--timestamp]\n"
        "mtasts report --per-domain [--status S,...] [--category C,...] [--readiness R,...]\n"
        "              [--would-fail-delivery] [--sort FIELD] [--desc] [--db FILE] [--scan ID]\n"
        "              [--format FMT] [-o FILE]\n"
        "mtasts report trend [--db FILE] [--format FMT] [-o FILE]\n"
        "mtasts report tlsrpt [--db FILE] [--domain D] ... (mtasts report tlsrpt --help)",
    .summary = "The survey report of one scan (adoption funnel, modes, max_age, failure\n"
               "categories, warnings, certificates, TLS-RPT, providers), a per-domain worklist,\n"
               "or the trend across every scan of the database.\n",
    .options =
        "  --db FILE        result database (default mtasts.db)\n"
        "  --scan ID        scan to report (default: the latest complete, else the latest)\n"
        "  --format FMT     output format (below; default text)\n"
        "  -o, --output F   write to F (atomically: F.tmp renamed) instead of stdout\n"
        "  --section NAME   only this table or section (e.g. funnel, categories, rollups)\n"
        "  --top N          rows of the provider tables (default 25)\n"
        "  --timestamp      print the generation time (otherwise output is byte-stable)\n"
        "  --per-domain     one row per domain: status, category, warnings, readiness, fix\n"
        "  --status S,...   per-domain filter: valid, invalid, no_policy, dns_error, ...\n"
        "                   (several values, comma-separated or the option repeated)\n"
        "  --category C,... per-domain filter: failure category codes\n"
        "  --readiness R,.. per-domain filter: ready_to_enforce, not_ready, enforcing\n"
        "  --would-fail-delivery  per-domain filter: only domains whose mail would fail\n"
        "  --sort FIELD     severity (default: would fail delivery, invalid, not ready,\n"
        "                   warnings, dns_error, the rest), domain, rank, status, category,\n"
        "                   readiness, max_age, mode, would_fail_delivery\n"
        "  --desc           reverse the sort (ties still by domain)\n"
        "  -h, --help       this text\n",
    .footer = "Exit status: 0 written, 1 database or write error, 2 usage error.\n"
              "Sections and formulas: reports/README.md.\n",
    .formats = true,
};

static void report_usage(FILE *out)
{
    cli_usage(out, &report_help);
}

struct report_args {
    const char *db, *format, *output, *section;
    int64_t scan;
    size_t top;
    bool per_domain, trend, timestamp;
    struct report_worklist_opts wl;
    /* Repeated --status/--category/--readiness accumulate here, comma-joined. */
    char status[512], category[1024], readiness[128];
};

/* Appends a comma list to buf (a repeated filter option adds values). */
static bool add_list(char *buf, size_t len, const char *v, const char **dst)
{
    size_t used = strlen(buf);
    int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", v);
    if (n < 0 || (size_t)n >= len - used)
        return false;
    *dst = buf;
    return true;
}

static int parse_args(int argc, char **argv, struct report_args *a)
{
    enum {
        O_DB = 256,
        O_SCAN,
        O_FORMAT,
        O_SECTION,
        O_TIMESTAMP,
        O_PER_DOMAIN,
        O_STATUS,
        O_CATEGORY,
        O_SORT,
        O_DESC,
        O_TOP,
        O_READINESS,
        O_WOULD_FAIL
    };
    static const struct option opts[] = {{"db", required_argument, NULL, O_DB},
                                         {"scan", required_argument, NULL, O_SCAN},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"section", required_argument, NULL, O_SECTION},
                                         {"timestamp", no_argument, NULL, O_TIMESTAMP},
                                         {"per-domain", no_argument, NULL, O_PER_DOMAIN},
                                         {"status", required_argument, NULL, O_STATUS},
                                         {"category", required_argument, NULL, O_CATEGORY},
                                         {"sort", required_argument, NULL, O_SORT},
                                         {"desc", no_argument, NULL, O_DESC},
                                         {"top", required_argument, NULL, O_TOP},
                                         {"readiness", required_argument, NULL, O_READINESS},
                                         {"would-fail-delivery", no_argument, NULL, O_WOULD_FAIL},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->db = "mtasts.db";
    a->format = "text";
    char err[256];
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS "o:", opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            a->db = optarg;
            break;
        case O_SCAN:
            if (cli_parse_scan_id("--scan", optarg, &a->scan, err, sizeof err) < 0)
                goto usage_error;
            break;
        case O_FORMAT:
            a->format = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case O_SECTION:
            a->section = optarg;
            break;
        case O_TIMESTAMP:
            a->timestamp = true;
            break;
        case O_TOP: {
            int top;
            if (cli_parse_int("--top", optarg, 1, 1000000, &top, err, sizeof err) < 0)
                goto usage_error;
            a->top = (size_t)top;
            break;
        }
        case O_PER_DOMAIN:
            a->per_domain = true;
            break;
        case O_STATUS:
            if (!add_list(a->status, sizeof a->status, optarg, &a->wl.status)) {
                snprintf(err, sizeof err, "--status: too many values");
                goto usage_error;
            }
            break;
        case O_CATEGORY:
            if (!add_list(a->category, sizeof a->category, optarg, &a->wl.category)) {
                snprintf(err, sizeof err, "--category: too many values");
                goto usage_error;
            }
            break;
        case O_READINESS:
            if (!add_list(a->readiness, sizeof a->readiness, optarg, &a->wl.readiness)) {
                snprintf(err, sizeof err, "--readiness: too many values");
                goto usage_error;
            }
            break;
        case O_WOULD_FAIL:
            a->wl.would_fail = true;
            break;
        case O_SORT:
            a->wl.sort = optarg;
            break;
        case O_DESC:
            a->wl.desc = true;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            cli_error("report", "%s", err);
            report_usage(stderr);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "trend") && !a->trend) {
            a->trend = true;
        } else {
            fprintf(stderr, "mtasts report: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if ((a->wl.status || a->wl.category || a->wl.readiness || a->wl.would_fail || a->wl.sort ||
         a->wl.desc) &&
        !a->per_domain) {
        fprintf(stderr, "mtasts report: --status, --category, --readiness, --would-fail-delivery, "
                        "--sort and --desc need --per-domain\n");
        return 2;
    }
    if (a->per_domain && report_worklist_check(&a->wl, err, sizeof err) < 0) {
        fprintf(stderr, "mtasts report: %s\n", err);
        return 2;
    }
    if (a->trend && (a->per_domain || a->scan)) {
        fprintf(stderr, "mtasts report trend: takes no --scan or --per-domain\n");
        return 2;
    }
    return -1;
usage_error:
    cli_error("report", "%s", err);
    return 2;
}

/* What a rendering keeps alive until the output is finished. */
struct render_state {
    char title[128];
    struct report_data data; /* the survey's figures (zeroed for other reports) */
};

/* Renders the chosen report into o; returns 0 or 1 (message printed). */
static int render(struct report_out *o, struct report_args *a, struct sqlite3 *db,
                  struct render_state *rs)
{
    char err[512] = "";
    char *title = rs->title;
    const size_t title_len = sizeof rs->title;
    if (a->trend) {
        o->title = "mtasts trend";
        o->kind = "trend";
        if (report_write_trend(o, db, err, sizeof err) < 0)
            goto fail;
        return 0;
    }
    int64_t scan = report_pick_scan(db, a->scan, err, sizeof err);
    if (scan < 0)
        goto fail;
    if (a->per_domain) {
        snprintf(title, title_len, "mtasts per-domain worklist, scan %" PRId64, scan);
        o->title = title;
        o->kind = "per_domain";
        /* One table: a plain CSV file with its header row, no block marker line. */
        if (!o->only && !strcmp(o->r->name, "csv"))
            o->only = "domains";
        if (report_write_worklist(o, db, scan, &a->wl, err, sizeof err) < 0)
            goto fail;
        return 0;
    }
    struct report_data *d = &rs->data;
    if (report_data_load(db, scan, d, err, sizeof err) < 0)
        goto fail;
    snprintf(title, title_len, "mtasts report, scan %" PRId64 " (%s)", scan,
             d->scan.state ? d->scan.state : "unknown state");
    o->title = title;
    o->data = d;
    report_write_survey(o, d);
    return 0;
fail:
    fprintf(stderr, "mtasts report: %s: %s\n", a->db, err);
    return 1;
}

int cmd_report(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "tlsrpt")) /* TLS-RPT reports: their own options */
        return cmd_report_tlsrpt(argc - 1, argv + 1);
    struct report_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    const struct report_renderer *r = cli_find_format("report", a.format);
    if (!r)
        return 2;
    struct store *st = cli_open_db_read_only("report", a.db);
    if (!st)
        return 1;
    struct cli_output out;
    FILE *f = cli_output_open("report", &out, a.output);
    if (!f) {
        store_close(st);
        return 1;
    }
    char now[32];
    struct report_out o;
    report_out_init(&o, r, f, "report", NULL);
    o.only = a.section;
    o.top = a.top;
    if (a.timestamp) {
        cli_now(now, sizeof now);
        o.timestamp = now;
    }
    struct render_state *rs = calloc(1, sizeof *rs);
    if (!rs) {
        fprintf(stderr, "mtasts report: out of memory\n");
        cli_output_close("report", &out, false);
        store_close(st);
        return 1;
    }
    rc = render(&o, &a, store_db(st), rs);
    if (rc == 0 && a.section && !o.matched) {
        /* The same report once more, through a renderer that only collects the ids. */
        struct sbuf names = SBUF_INIT;
        struct render_state *rs2 = calloc(1, sizeof *rs2);
        FILE *null = fopen("/dev/null", "w");
        if (rs2 && null) {
            struct report_out n;
            report_out_init(&n, &report_render_names, null, "report", NULL);
            n.top = a.top;
            n.rstate = &names;
            if (render(&n, &a, store_db(st), rs2) == 0) {
                n.rstate = NULL;
                report_out_discard(&n);
            }
            report_data_free(&rs2->data);
        }
        if (null)
            fclose(null);
        free(rs2);
        fprintf(stderr, "mtasts report: no table or section named '%s'%s%s%s\n", a.section,
                names.len ? " (" : " (see reports/README.md)", names.len ? sbuf_str(&names) : "",
                names.len ? ")" : "");
        sbuf_free(&names);
        report_out_discard(&o);
        rc = 2;
    } else if (rc == 0 && report_out_finish(&o) < 0) {
        fprintf(stderr, "mtasts report: write error on %s\n", a.output ? a.output : "stdout");
        rc = 1;
    } else if (rc != 0) {
        report_out_discard(&o);
    }
    report_data_free(&rs->data); /* zeroed or loaded: both are safe to free */
    free(rs);
    if (cli_output_close("report", &out, rc == 0) < 0 && rc == 0)
        rc = 1;
    store_close(st);
    return rc;
}
