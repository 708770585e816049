/* Entry point of the mtasts binary: dispatches git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "scanner/commands/commands.h"
#include "lib/version.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"scan", cmd_scan, "scan domain lists into a result database"},
    {"check", cmd_check, "check one or more domains, layer by layer, with fixes"},
    {"lint", cmd_lint, "validate a policy file or TXT records offline"},
    {"generate", cmd_generate, "generate the TXT records and policy file for a domain"},
    {"report", cmd_report, "survey report of a scan, or `report trend` across scans"},
    {"diff", cmd_diff, "changes between two scans"},
    {"export", cmd_export, "export a scan's results as CSV or JSON lines"},
    {"merge", cmd_merge, "merge shard databases of one scan"},
    {"tlsrpt", cmd_tlsrpt, "ingest TLS-RPT aggregate reports (then `report tlsrpt`)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: mtasts COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`mtasts COMMAND --help` describes a command; `man mtasts` all of them.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("mtasts %s\n", MTASTS_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mtasts: unknown command '%s'\n", name);
    usage(stderr);
    return 2;
}
