/* `mtasts export`: one scan's results as CSV or JSON lines, optionally zstd-compressed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/commands/commands.h"
#include "store/store.h"

static void export_usage(FILE *out)
{
    fprintf(
        out,
        "usage: mtasts export [--db FILE] [--scan ID] [--format csv|jsonl] [--zstd]\n"
        "                     [--artifacts] [--table domains|mx] [-o FILE]\n"
        "\n"
        "One record per domain of a scan, with every stored fact (field names: store/README.md),\n"
        "ordered by rank (unranked last) then domain; --table mx: one record per MX host probed\n"
        "in the scan (--checks +smtp, +dane), ordered by host.\n"
        "\n"
        "  --db FILE        result database (default mtasts.db)\n"
        "  --scan ID        scan to export (default: the latest complete scan, else the latest)\n"
        "  --format F       csv (default) or jsonl\n"
        "  --zstd           compress the output with zstd\n"
        "  --artifacts      add the raw TXT and TLS-RPT records and the policy body\n"
        "  --table T        domains (default) or mx\n"
        "  -o FILE          write to FILE (atomically: FILE appears when complete); default "
        "stdout\n");
}

struct export_args {
    const char *db, *out;
    struct store_export_options opt;
};

static int parse_scan_id(const char *s, int64_t *id)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v <= 0)
        return -1;
    *id = v;
    return 0;
}

/* Returns 0, 1 for --help, or 2 on a usage error (message printed). */
static int parse_args(int argc, char **argv, struct export_args *a)
{
    a->db = "mtasts.db";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
            return 1;
        if (!strcmp(arg, "--zstd")) {
            a->opt.zstd = true;
        } else if (!strcmp(arg, "--artifacts")) {
            a->opt.artifacts = true;
        } else if (!strcmp(arg, "--db") || !strcmp(arg, "--scan") || !strcmp(arg, "--format") ||
                   !strcmp(arg, "--table") || !strcmp(arg, "-o") || !strcmp(arg, "--output")) {
            if (!val) {
                fprintf(stderr, "mtasts export: %s needs a value\n", arg);
                return 2;
            }
            i++;
            if (!strcmp(arg, "--db")) {
                a->db = val;
            } else if (!strcmp(arg, "--scan")) {
                if (parse_scan_id(val, &a->opt.scan_id) < 0) {
                    fprintf(stderr, "mtasts export: --scan wants a scan id (1, 2, ...), not '%s'\n",
                            val);
                    return 2;
                }
            } else if (!strcmp(arg, "--format")) {
                if (!strcmp(val, "csv")) {
                    a->opt.format = STORE_EXPORT_CSV;
                } else if (!strcmp(val, "jsonl") || !strcmp(val, "json")) {
                    a->opt.format = STORE_EXPORT_JSONL;
                } else {
                    fprintf(stderr, "mtasts export: --format is csv or jsonl, not '%s'\n", val);
                    return 2;
                }
            } else if (!strcmp(arg, "--table")) {
                if (!strcmp(val, "domains")) {
                    a->opt.table = STORE_EXPORT_DOMAINS;
                } else if (!strcmp(val, "mx")) {
                    a->opt.table = STORE_EXPORT_MX;
                } else {
                    fprintf(stderr, "mtasts export: --table is domains or mx, not '%s'\n", val);
                    return 2;
                }
            } else {
                a->out = val;
            }
        } else {
            fprintf(stderr, "mtasts export: unknown argument '%s'\n", arg);
            return 2;
        }
    }
    return 0;
}

/* Writes to FILE.tmp.PID and renames it over FILE only when the export is complete. */
static int export_to_file(struct store *st, const struct export_args *a)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", a->out, (int)getpid()) >= sizeof tmp) {
        fprintf(stderr, "mtasts export: output path too long: %s\n", a->out);
        return 2;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "mtasts export: %s: %s\n", a->out, strerror(errno));
        return 1;
    }
    int64_t n = store_export(st, &a->opt, f);
    bool closed = fclose(f) == 0;
    if (n < 0 || !closed || rename(tmp, a->out) != 0) {
        if (n < 0)
            fprintf(stderr, "mtasts export: %s (%s not written)\n", store_error(st), a->out);
        else
            fprintf(stderr, "mtasts export: %s: %s\n", a->out, strerror(errno));
        unlink(tmp);
        return 1;
    }
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
    char err[1024];
    struct store *st = store_open(a.db, STORE_READ_ONLY, err, sizeof err);
    if (!st) {
        fprintf(stderr, "mtasts export: %s\n", err);
        return 1;
    }
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
