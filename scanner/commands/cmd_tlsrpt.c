/* `mtasts tlsrpt ingest`: reads TLS-RPT aggregate reports from files, mailboxes and IMAP. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/commands/cli.h"
#include "scanner/commands/commands.h"
#include "store/store.h"
#include "tlsrpt/imap.h"
#include "tlsrpt/ingest.h"

static const struct cli_help ingest_help = {
    .synopsis =
        "mtasts tlsrpt ingest [--db FILE] [--verbose] [--netrc-file FILE] [--ca-file FILE]\n"
        "                     [--allow-plain-imap] SOURCE...",
    .summary = "Stores the TLS-RPT aggregate reports (RFC 8460) found in each SOURCE, once each:\n"
               "  FILE.json, FILE.json.gz, FILE.gz, FILE.zip   a report (recognised by content)\n"
               "  FILE.eml                 a mail with application/tlsrpt+gzip or +json parts\n"
               "  MBOX                     every message of an mbox file\n"
               "  DIR                      a Maildir (cur/, new/), or every file below DIR\n"
               "  -                        standard input\n"
               "  imaps://USER@HOST[:PORT]/MAILBOX   the messages not read by an earlier run\n",
    .options =
        "  --db FILE            result database (default mtasts.db; created if needed)\n"
        "  --verbose            one line per report stored or skipped as a duplicate\n"
        "  --netrc-file FILE    IMAP password from FILE (default ~/.netrc); or set\n"
        "                       MTASTS_IMAP_PASSWORD. Never in the URL.\n"
        "  --ca-file FILE       trust these CAs for IMAP over TLS\n"
        "  --allow-plain-imap   allow imap:// without TLS (default: imap:// needs STARTTLS)\n"
        "  -h, --help           this text\n",
    .footer = "A bad file is reported on stderr with its name and the reason; the others are\n"
              "still ingested. Exit status: 0 every report stored (or already stored), 1 some\n"
              "were rejected, 2 usage error, unreadable source or database failure.\n"
              "Then: mtasts report tlsrpt --db FILE (see `mtasts report tlsrpt --help`).\n",
};

static int cmd_tlsrpt_ingest(int argc, char **argv)
{
    enum { O_DB = 256, O_NETRC, O_CA, O_PLAIN, O_VERBOSE };
    static const struct option opts[] = {{"db", required_argument, NULL, O_DB},
                                         {"netrc-file", required_argument, NULL, O_NETRC},
                                         {"ca-file", required_argument, NULL, O_CA},
                                         {"allow-plain-imap", no_argument, NULL, O_PLAIN},
                                         {"verbose", no_argument, NULL, O_VERBOSE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = "mtasts.db";
    struct tlsrpt_imap_opts io = {NULL, NULL, false, 30};
    bool verbose = false;
    char err[1024];
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS, opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            db = optarg;
            break;
        case O_NETRC:
            io.netrc_file = optarg;
            break;
        case O_CA:
            io.ca_file = optarg;
            break;
        case O_PLAIN:
            io.allow_plain = true;
            break;
        case O_VERBOSE:
            verbose = true;
            break;
        case 'h':
            cli_usage(stdout, &ingest_help);
            return 0;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            cli_error("tlsrpt ingest", "%s", err);
            cli_usage(stderr, &ingest_help);
            return 2;
        }
    }
    if (optind >= argc) {
        cli_error("tlsrpt ingest", "no SOURCE given");
        cli_usage(stderr, &ingest_help);
        return 2;
    }
    struct store *st = store_open(db, STORE_READ_WRITE, err, sizeof err);
    if (!st) {
        cli_error("tlsrpt ingest", "%s", err);
        return 2;
    }
    bool any_imap = false;
    for (int i = optind; i < argc; i++)
        any_imap |= tlsrpt_imap_is_url(argv[i]);
    if (any_imap)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    struct tlsrpt_ingest in;
    tlsrpt_ingest_init(&in, st, stderr);
    in.verbose = verbose;
    for (int i = optind; i < argc && !in.fatal; i++) {
        if (tlsrpt_imap_is_url(argv[i]))
            tlsrpt_imap_ingest(&in, argv[i], &io);
        else
            tlsrpt_ingest_path(&in, argv[i]);
    }
    tlsrpt_ingest_summary(&in);
    store_close(st);
    if (any_imap)
        curl_global_cleanup();
    return tlsrpt_ingest_status(&in);
}

int cmd_tlsrpt(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cli_usage(argc < 2 ? stderr : stdout, &ingest_help);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "ingest"))
        return cmd_tlsrpt_ingest(argc - 1, argv + 1);
    cli_error("tlsrpt", "unknown subcommand '%s' (ingest)", argv[1]);
    return 2;
}
