/* `mtasts merge OUT.db SHARD.db...`: the shard databases of one scan into one scan of OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "store/store.h"

static const struct cli_help merge_help = {
    .synopsis = "mtasts merge OUT.db SHARD.db...",
    .summary =
        "Combines the shard databases of one scan (mtasts scan --shard I/N --db SHARD.db, the\n"
        "same inputs and options, every I of 0..N-1 once) into one new scan of OUT.db, which\n"
        "is created if needed. The latest scan of each shard database is used. Artifacts are\n"
        "deduplicated again, bad input lines merged, counts summed; the merged scan is complete\n"
        "only if every shard is. TLS-RPT reports ingested into the shards are copied too, each\n"
        "report once. Shards are only read. On error OUT.db is left as it was.\n",
    .options = "  -h, --help       this text\n",
    .footer = "Exit status: 0 merged, 1 refused or database error, 2 usage error.\n",
};

static void merge_usage(FILE *out)
{
    cli_usage(out, &merge_help);
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    char err[2048];
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS, opts, NULL)) != -1) {
        if (c == 'h') {
            merge_usage(stdout);
            return 0;
        }
        cli_getopt_message(c, argv, err, sizeof err);
        cli_error("merge", "%s", err);
        return 2;
    }
    argc -= optind - 1; /* argv[1] is OUT.db from here on */
    argv += optind - 1;
    if (argc < 3) {
        merge_usage(stderr);
        return 2;
    }
    const char *out = argv[1];
    int64_t id = 0;
    struct store_merge_info info = {0};
    if (store_merge(out, (const char *const *)argv + 2, (size_t)argc - 2, &id, &info, err,
                    sizeof err) < 0) {
        fprintf(stderr, "mtasts merge: %s\n", err);
        return 1;
    }
    struct store *st = cli_open_db_read_only("merge", out);
    if (!st)
        return 1;
    struct store_scan_row row;
    int64_t rows = store_scan_result_count(st, id);
    if (store_scan_get(st, id, &row) == 0) {
        fprintf(stderr,
                "mtasts merge: %d shards merged into scan %lld of %s: %lld results for %lld "
                "input domains, state %s\n",
                argc - 2, (long long)id, out, (long long)rows, (long long)row.input_domains,
                row.state);
        if (rows != row.input_domains)
            fprintf(stderr,
                    "mtasts merge: warning: results (%lld) differ from input domains "
                    "(%lld): resume the incomplete shards, then merge again\n",
                    (long long)rows, (long long)row.input_domains);
        if (info.tlsrpt_copied || info.tlsrpt_duplicates || info.tlsrpt_marks)
            fprintf(stderr,
                    "mtasts merge: TLS-RPT: %lld reports copied, %lld already held (the same "
                    "report ingested twice is kept once), %lld IMAP read marks merged\n",
                    (long long)info.tlsrpt_copied, (long long)info.tlsrpt_duplicates,
                    (long long)info.tlsrpt_marks);
        free(row.inputs_json);
        free(row.options_json);
    }
    store_close(st);
    return 0;
}
