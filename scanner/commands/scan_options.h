/* Command-line options shared by `mtasts scan` and `mtasts check`: parsed into the engine's
 * configuration, the address policy and the scan's own settings. */
#ifndef SCAN_OPTIONS_H
#define SCAN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/sbuf.h"
#include "scanner/engine/addr_policy.h"
#include "scanner/engine/scan_state.h"
#include "scanner/commands/progress.h"

enum scan_command { SCAN_CMD_SCAN = 0, SCAN_CMD_CHECK };

#define SCAN_MAX_ARGS 4096

struct scan_options {
    enum scan_command command;
    struct scan_config engine; /* engine.addrs and engine.user_agent point into this struct */
    struct addr_policy addrs;
    char user_agent[512];
    const char *contact;

    /* scan */
    const char *db;
    bool resume;
    int64_t scan_id; /* --scan ID with --resume; 0: the latest unfinished */
    bool sharded;
    unsigned shard_index, shard_count;
    const char *exclude_file;
    enum progress_mode progress;
    const char *status_file; /* --status-file: JSON status rewritten atomically, or NULL */

    /* check */
    bool json;

    /* positional arguments: lists (scan) or domains (check), borrowed from argv */
    const char *args[SCAN_MAX_ARGS];
    size_t n_args;
};

/* Parses argv (argv[0] is the subcommand). Returns 0, 1 when --help was printed to stdout,
 * or -1 with a message in err naming the option and the value. */
int scan_options_parse(enum scan_command cmd, int argc, char **argv, struct scan_options *o,
                       char *err, size_t errlen);

/* The preamble of scan and check: a new scan_options parsed from argv, or NULL with *status
 * the exit status: 0 after --help, else the command's usage status (scan 2, check 3) or its
 * out-of-memory status (scan 1, check 3), the message printed as "mtasts CMD: ...". The
 * caller frees the options. */
struct scan_options *scan_options_from_argv(enum scan_command cmd, int argc, char **argv,
                                            int *status);

/* The usage text of a command. */
void scan_options_usage(enum scan_command cmd, FILE *out);

/* Parses a --checks list: "policy,mx" sets exactly those; "+apex" or "-tlsrpt" adjust the
 * default. Returns 0 or -1 with a static *reason. */
int scan_options_parse_checks(const char *list, unsigned *checks, const char **reason);
/* The same with the command's default as the base of +X/-X (SCAN_CHECK_CHECK_DEFAULT for
 * check). smtp or dane turn mx on. */
int scan_options_parse_checks_from(const char *list, unsigned base_default, unsigned *checks,
                                   const char **reason);

/* The options that shape results, as a JSON object (stored with the scan). */
void scan_options_json(const struct scan_options *o, struct sbuf *out);

/* The rate limits as shown in the progress line: "qps 500, dns 1000, inflight 2000,
 * https 200, per-ip 4, timeout 10s". */
void scan_options_limits(const struct scan_options *o, char *buf, size_t buflen);

#endif
