/* `mtasts merge OUT.db SHARD.db...`: the shard databases of one scan into one scan of OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/commands/commands.h"
#include "store/store.h"

static void merge_usage(FILE *out)
{
    fprintf(
        out,
        "usage: mtasts merge OUT.db SHARD.db...\n"
        "\n"
        "Combines the shard databases of one scan (mtasts scan --shard I/N --db SHARD.db, the\n"
        "same inputs and options, every I of 0..N-1 once) into one new scan of OUT.db, which\n"
        "is created if needed. The latest scan of each shard database is used. Artifacts are\n"
        "deduplicated again, bad input lines merged, counts summed; the merged scan is complete\n"
        "only if every shard is. Shards are only read. On error OUT.db is left as it was.\n");
}

int cmd_merge(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            merge_usage(stdout);
            return 0;
        }
    if (argc < 3) {
        merge_usage(stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "mtasts merge: unknown option '%s'\n", argv[i]);
            return 2;
        }
    const char *out = argv[1];
    char err[2048];
    int64_t id = 0;
    if (store_merge(out, (const char *const *)argv + 2, (size_t)argc - 2, &id, err, sizeof err) <
        0) {
        fprintf(stderr, "mtasts merge: %s\n", err);
        return 1;
    }
    struct store *st = store_open(out, STORE_READ_ONLY, err, sizeof err);
    if (!st) {
        fprintf(stderr, "mtasts merge: %s\n", err);
        return 1;
    }
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
        free(row.inputs_json);
        free(row.options_json);
    }
    store_close(st);
    return 0;
}
