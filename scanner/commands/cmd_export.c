/* `mtasts export`: one scan's results as CSV or JSON lines, optionally zstd-compressed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "store/store.h"

static const struct cli_help export_help = {
    .synopsis =
        "mtasts export [--db FILE] [--scan ID] [--format csv|jsonl] [--zstd] [--artifacts]\n"
        "              [--table domains|mx] [-o FILE]",
    .summary =
        "One record per domain of a scan, with every stored fact (field names: store/README.md),\n"
        "ordered by rank (unranked last) then domain; --table mx: one record per MX host probed\n"
        "in the scan (--checks +smtp, +dane), ordered by host.\n",
    .options =
        "  --db FILE        result database (default mtasts.db)\n"
        "  --scan ID        scan to export (default: the latest complete scan, else the latest)\n"
        "  --format F       csv (default) or jsonl\n"
        "  --zstd           compress the output with zstd\n"
        "  --artifacts      add the raw TXT and TLS-RPT records and the policy body\n"
        "  --table T        domains (default) or mx\n"
        "  -o, --output F   write to F (atomically: F appears when complete); default stdout\n"
        "  -h, --help       this text\n",
    .footer = "Exit status: 0 written, 1 database or write error, 2 usage error.\n",
};

static void export_usage(FILE *out)
{
    cli_usage(out, &export_help);
}

struct export_args {
    const char *db, *out;
    struct store_export_options opt;
};

/* Returns 0, 1 for --help, or 2 on a usage error (message printed). */
static int parse_args(int argc, char **argv, struct export_args *a)
{
    enum { O_DB = 256, O_SCAN, O_FORMAT, O_ZSTD, O_ARTIFACTS, O_TABLE };
    static const struct option opts[] = {{"db", required_argument, NULL, O_DB},
                                         {"scan", required_argument, NULL, O_SCAN},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"zstd", no_argument, NULL, O_ZSTD},
                                         {"artifacts", no_argument, NULL, O_ARTIFACTS},
                                         {"table", required_argument, NULL, O_TABLE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    char err[256];
    a->db = "mtasts.db";
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS "o:", opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            a->db = optarg;
            break;
        case O_SCAN:
            if (cli_parse_scan_id("--scan", optarg, &a->opt.scan_id, err, sizeof err) < 0)
                goto usage_error;
            break;
        case O_FORMAT:
            if (!strcmp(optarg, "csv")) {
                a->opt.format = STORE_EXPORT_CSV;
            } else if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json")) {
                a->opt.format = STORE_EXPORT_JSONL;
            } else {
                snprintf(err, sizeof err, "--format is csv or jsonl, not '%s'", optarg);
                goto usage_error;
            }
            break;
        case O_TABLE:
            if (!strcmp(optarg, "domains")) {
                a->opt.table = STORE_EXPORT_DOMAINS;
            } else if (!strcmp(optarg, "mx")) {
                a->opt.table = STORE_EXPORT_MX;
            } else {
                snprintf(err, sizeof err, "--table is domains or mx, not '%s'", optarg);
                goto usage_error;
            }
            break;
        case 'o':
            a->out = optarg;
            break;
        case O_ZSTD:
            a->opt.zstd = true;
            break;
        case O_ARTIFACTS:
            a->opt.artifacts = true;
            break;
        case 'h':
            return 1;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            goto usage_error;
        }
    }
    if (optind < argc) {
        snprintf(err, sizeof err, "unexpected argument '%s'", argv[optind]);
        goto usage_error;
    }
    return 0;
usage_error:
    cli_error("export", "%s", err);
    return 2;
}

/* The export into FILE, atomically (cli_output_open). */
static int export_to_file(struct store *st, const struct export_args *a)
{
    struct cli_output out;
    FILE *f = cli_output_open("export", &out, a->out);
    if (!f)
        return 1;
    int64_t n = store_export(st, &a->opt, f);
    if (n < 0)
        cli_error("export", "%s (%s not written)", store_error(st), a->out);
    if (cli_output_close("export", &out, n >= 0) < 0)
        return 1;
    fprintf(stderr, "mtasts export: %lld records written to %s\n", (long long)n, a->out);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    struct export_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc == 1) {
        export_usage(stdout);
        return 0;
    }
    if (rc) {
        export_usage(stderr);
        return 2;
    }
    if (a.opt.zstd && !a.out && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "mtasts export: refusing to write compressed data to a terminal; use -o "
                        "FILE or a pipe\n");
        return 2;
    }
    struct store *st = cli_open_db_read_only("export", a.db);
    if (!st)
        return 1;
    if (a.out) {
        rc = export_to_file(st, &a);
    } else {
        int64_t n = store_export(st, &a.opt, stdout);
        if (n < 0)
            fprintf(stderr, "mtasts export: %s\n", store_error(st));
        rc = n < 0 ? 1 : 0;
    }
    store_close(st);
    return rc;
}
