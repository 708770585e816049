/* `mtasts diff [SCAN_A SCAN_B]`: changes between two scans, in any report format. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/diff.h"
#include "reports/report.h"
#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "store/store.h"

static const struct cli_help diff_help = {
    .synopsis = "mtasts diff [SCAN_A SCAN_B] [--db FILE] [--format FMT] [-o FILE] [--exit-code]\n"
                "            [--only KIND,...] [--min-severity S] [--brief] [--timestamp]",
    .summary = "Compares two scans (default: the last two complete scans) domain by domain:\n"
               "adopted, dropped, broke, fixed, mode/max_age/mx pattern changes, policies\n"
               "changed under the same TXT id, TLS-RPT removed or rua changed, MX hosts changed,\n"
               "certificates newly expiring within 14/30 days, would_fail_delivery and readiness\n"
               "flips, warnings added or removed; each kind has a severity (info, low, medium,\n"
               "high). With one complete scan the output is the baseline state (nothing to\n"
               "compare, exit 0).\n",
    .options = "  --db FILE          result database (default mtasts.db)\n"
               "  --format FMT       output format (below; default text)\n"
               "  -o, --output F     write to F (atomically) instead of stdout\n"
               "  --only KIND,...    only these change kinds (repeatable; names in the summary)\n"
               "  --min-severity S   only kinds of severity S or higher (info, low, medium, high)\n"
               "  --brief            a short summary, highest severity first (for cron mail)\n"
               "  --exit-code        exit 1 when changes are shown (as diff(1))\n"
               "  --timestamp        print the generation time (otherwise output is byte-stable)\n"
               "  -h, --help         this text\n",
    .footer = "Exit status (as diff(1)): 0 no changes shown (or without --exit-code: written),\n"
              "1 changes shown with --exit-code, 2 trouble: a usage error, a missing or\n"
              "unreadable database, no complete scan, a write error. Formats: reports/README.md.\n",
    .formats = true,
};

static void diff_usage(FILE *out)
{
    cli_usage(out, &diff_help);
}

/* The decoded policy body of a blob, for policy_changed_same_id. */
static char *policy_text(void *ctx, int64_t blob_id)
{
    char *out = NULL;
    size_t len = 0;
    if (store_artifact_get(ctx, blob_id, &out, &len) < 0)
        return NULL;
    return out;
}

/* The exit status of trouble, as diff(1). */
#define DIFF_TROUBLE 2

int cmd_diff(int argc, char **argv)
{
    enum { O_DB = 256, O_FORMAT, O_EXIT_CODE, O_TIMESTAMP, O_ONLY, O_MIN_SEV, O_BRIEF };
    static const struct option opts[] = {{"db", required_argument, NULL, O_DB},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"exit-code", no_argument, NULL, O_EXIT_CODE},
                                         {"timestamp", no_argument, NULL, O_TIMESTAMP},
                                         {"only", required_argument, NULL, O_ONLY},
                                         {"min-severity", required_argument, NULL, O_MIN_SEV},
                                         {"brief", no_argument, NULL, O_BRIEF},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db_path = "mtasts.db", *format = "text", *output = NULL;
    bool exit_code = false, timestamp = false, brief = false;
    struct diff_opts dopts = {0};
    char err[1024] = "";
    cli_getopt_reset();
    int c, sev;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS "o:", opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            db_path = optarg;
            break;
        case O_FORMAT:
            format = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case O_EXIT_CODE:
            exit_code = true;
            break;
        case O_TIMESTAMP:
            timestamp = true;
            break;
        case O_BRIEF:
            brief = true;
            break;
        case O_ONLY:
            if (diff_only_parse(optarg, &dopts.only, err, sizeof err) < 0) {
                cli_error("diff", "--only: %s", err);
                return DIFF_TROUBLE;
            }
            break;
        case O_MIN_SEV:
            if ((sev = diff_severity_parse(optarg)) < 0) {
                cli_error("diff", "--min-severity wants info, low, medium or high, got '%s'",
                          optarg);
                return DIFF_TROUBLE;
            }
            dopts.min_severity = (enum diff_severity)sev;
            break;
        case 'h':
            diff_usage(stdout);
            return 0;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            cli_error("diff", "%s", err);
            diff_usage(stderr);
            return DIFF_TROUBLE;
        }
    }
    int64_t a = 0, b = 0;
    int npos = argc - optind;
    if (npos != 0 && npos != 2) {
        fprintf(stderr, "mtasts diff: give two scan ids or none\n");
        return DIFF_TROUBLE;
    }
    if (npos == 2 && (cli_parse_scan_id("SCAN_A", argv[optind], &a, err, sizeof err) < 0 ||
                      cli_parse_scan_id("SCAN_B", argv[optind + 1], &b, err, sizeof err) < 0)) {
        cli_error("diff", "%s", err);
        return DIFF_TROUBLE;
    }
    const struct report_renderer *r = cli_find_format("diff", format);
    if (!r)
        return DIFF_TROUBLE;
    struct store *st = cli_open_db_read_only("diff", db_path);
    if (!st)
        return DIFF_TROUBLE;
    if (npos == 0) {
        int found = report_diff_pick(store_db(st), &a, &b, err, sizeof err);
        if (found < 0) {
            fprintf(stderr, "mtasts diff: %s: %s\n", db_path, err);
            store_close(st);
            return DIFF_TROUBLE;
        }
        dopts.baseline = found == 1;
    }
    dopts.policy_text = policy_text;
    dopts.ctx = st;
    struct cli_output out;
    FILE *f = cli_output_open("diff", &out, output);
    if (!f) {
        store_close(st);
        return DIFF_TROUBLE;
    }
    char title[96], now[32];
    snprintf(title, sizeof title, "mtasts diff, scan %" PRId64 " -> scan %" PRId64, a, b);
    /* --brief renders the document into a discarded stream: the totals are what it prints. */
    FILE *doc = f;
    if (brief && !(doc = fopen("/dev/null", "w"))) {
        fprintf(stderr, "mtasts diff: cannot open /dev/null\n");
        cli_output_close("diff", &out, false);
        store_close(st);
        return DIFF_TROUBLE;
    }
    struct report_out o;
    report_out_init(&o, r, doc, "diff", title);
    if (timestamp) {
        cli_now(now, sizeof now);
        o.timestamp = now;
    }
    int rc = 0;
    bool written = false; /* the output is complete: keep the file, whatever --exit-code says */
    struct diff_totals totals;
    int64_t changes = report_write_diff(&o, store_db(st), a, b, &dopts, &totals, err, sizeof err);
    if (changes < 0) {
        fprintf(stderr, "mtasts diff: %s: %s\n", db_path, err);
        report_out_discard(&o);
        rc = DIFF_TROUBLE;
    } else if (report_out_finish(&o) < 0 ||
               (brief && (report_diff_brief(f, &totals), fflush(f) != 0 || ferror(f)))) {
        fprintf(stderr, "mtasts diff: write error on %s\n", output ? output : "stdout");
        rc = DIFF_TROUBLE;
    } else {
        written = true;
        if (exit_code && changes > 0)
            rc = 1;
    }
    if (brief)
        fclose(doc);
    if (changes >= 0)
        diff_totals_free(&totals);
    if (cli_output_close("diff", &out, written) < 0)
        rc = DIFF_TROUBLE;
    store_close(st);
    return rc;
}
