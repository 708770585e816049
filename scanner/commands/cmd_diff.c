/* `mtasts diff [SCAN_A SCAN_B]`: changes between two scans, in any report format. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"
#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "store/store.h"

static const struct cli_help diff_help = {
    .synopsis = "mtasts diff [SCAN_A SCAN_B] [--db FILE] [--format FMT] [-o FILE] [--exit-code]\n"
                "            [--timestamp]",
    .summary = "Compares two scans (default: the last two complete scans) domain by domain:\n"
               "adopted, dropped, broke, fixed, mode/max_age/mx pattern changes, and policies\n"
               "changed under the same TXT id.\n",
    .options = "  --db FILE        result database (default mtasts.db)\n"
               "  --format FMT     output format (below; default text)\n"
               "  -o, --output F   write to F (atomically) instead of stdout\n"
               "  --exit-code      exit 1 when there are changes (like git diff --exit-code)\n"
               "  --timestamp      print the generation time (otherwise output is byte-stable)\n"
               "  -h, --help       this text\n",
    .footer = "Exit status: 0 written (no changes with --exit-code), 1 changes with --exit-code,\n"
              "or a database or write error, 2 usage error. Formats: reports/README.md.\n",
    .formats = true,
};

static void diff_usage(FILE *out)
{
    cli_usage(out, &diff_help);
}

int cmd_diff(int argc, char **argv)
{
    enum { O_DB = 256, O_FORMAT, O_EXIT_CODE, O_TIMESTAMP };
    static const struct option opts[] = {{"db", required_argument, NULL, O_DB},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"exit-code", no_argument, NULL, O_EXIT_CODE},
                                         {"timestamp", no_argument, NULL, O_TIMESTAMP},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db_path = "mtasts.db", *format = "text", *output = NULL;
    bool exit_code = false, timestamp = false;
    char err[512] = "";
    cli_getopt_reset();
    int c;
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
        case 'h':
            diff_usage(stdout);
            return 0;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            cli_error("diff", "%s", err);
            diff_usage(stderr);
            return 2;
        }
    }
    int64_t a = 0, b = 0;
    int npos = argc - optind;
    if (npos != 0 && npos != 2) {
        fprintf(stderr, "mtasts diff: give two scan ids or none\n");
        return 2;
    }
    if (npos == 2 && (cli_parse_scan_id("SCAN_A", argv[optind], &a, err, sizeof err) < 0 ||
                      cli_parse_scan_id("SCAN_B", argv[optind + 1], &b, err, sizeof err) < 0)) {
        cli_error("diff", "%s", err);
        return 2;
    }
    const struct report_renderer *r = cli_find_format("diff", format);
    if (!r)
        return 2;
    struct store *st = cli_open_db_read_only("diff", db_path);
    if (!st)
        return 1;
    if (npos == 0 && report_diff_pick(store_db(st), &a, &b, err, sizeof err) < 0) {
        fprintf(stderr, "mtasts diff: %s: %s\n", db_path, err);
        store_close(st);
        return 1;
    }
    struct cli_output out;
    FILE *f = cli_output_open("diff", &out, output);
    if (!f) {
        store_close(st);
        return 1;
    }
    char title[96], now[32];
    snprintf(title, sizeof title, "mtasts diff, scan %" PRId64 " -> scan %" PRId64, a, b);
    struct report_out o;
    report_out_init(&o, r, f, "diff", title);
    if (timestamp) {
        cli_now(now, sizeof now);
        o.timestamp = now;
    }
    int rc = 0;
    bool written = false; /* the output is complete: keep the file, whatever --exit-code says */
    int64_t changes = report_write_diff(&o, store_db(st), a, b, err, sizeof err);
    if (changes < 0) {
        fprintf(stderr, "mtasts diff: %s: %s\n", db_path, err);
        report_out_discard(&o);
        rc = 1;
    } else if (report_out_finish(&o) < 0) {
        fprintf(stderr, "mtasts diff: write error on %s\n", output ? output : "stdout");
        rc = 1;
    } else {
        written = true;
        if (exit_code && changes > 0)
            rc = 1;
    }
    if (cli_output_close("diff", &out, written) < 0)
        rc = 1;
    store_close(st);
    return rc;
}
