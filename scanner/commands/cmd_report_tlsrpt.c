/* `mtasts report tlsrpt`: the TLS-RPT report tables, in any report format. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/tlsrpt.h"
#include "rules/tlsrpt_report.h"
#include "scanner/commands/commands.h"
#include "scanner/commands/cli.h"
#include "store/store.h"

static const struct cli_help tlsrpt_report_help = {
    .synopsis =
        "mtasts report tlsrpt [--db FILE] [--domain D] [--since YYYY-MM-DD] [--window DAYS]\n"
        "                     [--format FMT] [-o FILE] [--section NAME] [--timestamp]",
    .summary = "What the TLS-RPT reports stored by `mtasts tlsrpt ingest` say, per policy domain\n"
               "and day: successful and failed sessions, failures by result type, by reporter, by\n"
               "receiving MX host and IP with reason codes; beside each domain's state in the\n"
               "latest scan and its readiness once the reports are counted.\n",
    .options = "  --db FILE        result database (default mtasts.db)\n"
               "  --domain D       only this policy domain\n"
               "  --since DATE     only reports whose day (UTC start) is DATE or later\n"
               "  --window DAYS    days of clean reports needed for ready_to_enforce (default 14)\n"
               "  --format FMT     output format (below; html has a chart)\n"
               "  -o, --output F   write to F (atomically) instead of stdout\n"
               "  --section NAME   only this table or section (tlsrpt_domains, tlsrpt_days, ...)\n"
               "  --timestamp      print the generation time\n"
               "  -h, --help       this text\n",
    .footer = "Exit status: 0 written, 1 database or write error, 2 usage error.\n"
              "Tables and the JSON schema: reports/README.md (section TLS-RPT).\n",
    .formats = true,
};

static bool valid_day(const char *s)
{
    char buf[32];
    int64_t t;
    if (strlen(s) != 10)
        return false;
    snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
    return tlsrpt_parse_datetime(buf, &t) == 0;
}

int cmd_report_tlsrpt(int argc, char **argv)
{
    enum { O_DB = 256, O_DOMAIN, O_SINCE, O_WINDOW, O_FORMAT, O_SECTION, O_TIMESTAMP };
    static const struct option opts[] = {{"db", required_argument, NULL, O_DB},
                                         {"domain", required_argument, NULL, O_DOMAIN},
                                         {"since", required_argument, NULL, O_SINCE},
                                         {"window", required_argument, NULL, O_WINDOW},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"output", required_argument, NULL, 'o'},
                                         {"section", required_argument, NULL, O_SECTION},
                                         {"timestamp", no_argument, NULL, O_TIMESTAMP},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = "mtasts.db", *format = "text", *output = NULL, *section = NULL;
    char domain[256] = "";
    struct report_tlsrpt_opts ro = {NULL, NULL, TLSRPT_WINDOW_DEFAULT, report_tlsrpt_today()};
    bool timestamp = false;
    char err[512] = "";
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, CLI_SHORT_OPTS "o:", opts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            db = optarg;
            break;
        case O_DOMAIN: {
            snprintf(domain, sizeof domain, "%s", optarg);
            for (char *p = domain; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            size_t n = strlen(domain);
            while (n > 0 && domain[n - 1] == '.')
                domain[--n] = '\0';
            ro.domain = domain;
            break;
        }
        case O_SINCE:
            if (!valid_day(optarg)) {
                cli_error("report tlsrpt", "--since wants YYYY-MM-DD, got '%s'", optarg);
                return 2;
            }
            ro.since = optarg;
            break;
        case O_WINDOW:
            if (cli_parse_int("--window", optarg, 1, 366, &ro.window, err, sizeof err) < 0) {
                cli_error("report tlsrpt", "%s", err);
                return 2;
            }
            break;
        case O_FORMAT:
            format = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case O_SECTION:
            section = optarg;
            break;
        case O_TIMESTAMP:
            timestamp = true;
            break;
        case 'h':
            cli_usage(stdout, &tlsrpt_report_help);
            return 0;
        default:
            cli_getopt_message(c, argv, err, sizeof err);
            cli_error("report tlsrpt", "%s", err);
            cli_usage(stderr, &tlsrpt_report_help);
            return 2;
        }
    }
    if (optind < argc) {
        cli_error("report tlsrpt", "unexpected argument '%s'", argv[optind]);
        return 2;
    }
    const struct report_renderer *r = cli_find_format("report tlsrpt", format);
    if (!r)
        return 2;
    struct store *st = cli_open_db_read_only("report tlsrpt", db);
    if (!st)
        return 1;
    struct cli_output out;
    FILE *f = cli_output_open("report tlsrpt", &out, output);
    if (!f) {
        store_close(st);
        return 1;
    }
    char now[32];
    struct report_out o;
    report_out_init(&o, r, f, "tlsrpt", "mtasts TLS-RPT report");
    o.only = section;
    if (timestamp) {
        cli_now(now, sizeof now);
        o.timestamp = now;
    }
    int rc = report_write_tlsrpt(&o, store_db(st), &ro, err, sizeof err) < 0 ? 1 : 0;
    if (rc) {
        fprintf(stderr, "mtasts report tlsrpt: %s: %s\n", db, err);
        report_out_discard(&o);
    } else if (section && !o.matched) {
        fprintf(stderr, "mtasts report tlsrpt: no table or section named '%s'\n", section);
        report_out_discard(&o);
        rc = 2;
    } else if (report_out_finish(&o) < 0) {
        fprintf(stderr, "mtasts report tlsrpt: write error on %s\n", output ? output : "stdout");
        rc = 1;
    }
    if (cli_output_close("report tlsrpt", &out, rc == 0) < 0 && rc == 0)
        rc = 1;
    store_close(st);
    return rc;
}
