/* Option helpers every command uses (as curl keeps tool_paramhlp.c): getopt_long set-up and
 * its messages, numbers with ranges, scan ids, the --help layout, the read-only database and
 * the output file of the reading commands. */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/atomic_file.h"

struct report_renderer;
struct store;

/* Prints "mtasts CMD: message" and a newline on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The short options every command's getopt_long call starts with: ':' (a missing value is
 * reported as ':', not '?') and -h. Commands add their own after it ("o:" ...). */
#define CLI_SHORT_OPTS ":h"

/* Makes getopt_long start afresh (a process may parse several command lines: the tests) and
 * keeps it quiet: every command reports problems in its own words, through
 * cli_getopt_message. Call before the first getopt_long of a command line. */
void cli_getopt_reset(void);

/* The message for what getopt_long returned on a problem: ':' gives "--opt needs a value",
 * '?' gives "unknown option '--opt'". */
void cli_getopt_message(int c, char **argv, char *err, size_t errlen);

/* Decimal integer in [min, max], the whole of v. Returns 0, or -1 with err
 * "OPT wants an integer in MIN..MAX, got 'V'". */
int cli_parse_int(const char *opt, const char *v, long min, long max, int *out, char *err,
                  size_t errlen);

/* A number (strtod) in [min, max]. Returns 0, or -1 with err
 * "OPT wants a number in MIN..MAX, got 'V'". */
int cli_parse_double(const char *opt, const char *v, double min, double max, double *out, char *err,
                     size_t errlen);

/* A scan id: a positive decimal integer. Returns 0, or -1 with err
 * "WHAT wants a scan id (1, 2, ...), got 'V'". */
int cli_parse_scan_id(const char *what, const char *v, int64_t *out, char *err, size_t errlen);

/* One command's --help, printed in the same layout for every command:
 *   usage: SYNOPSIS (each further line indented under the first)
 *   <blank> SUMMARY <blank> options: OPTIONS [<blank> formats: one line a renderer]
 *   <blank> FOOTER */
struct cli_help {
    const char *synopsis; /* "mtasts CMD ..." lines, '\n'-separated, no trailing newline */
    const char *summary;  /* what the command does; ends with a newline */
    const char *options;  /* "  --opt VALUE   meaning\n" lines */
    const char *footer;   /* exit status and where to read more; ends with a newline */
    bool formats;         /* list the report formats (--format) from the renderer table */
};
void cli_usage(FILE *out, const struct cli_help *h);

/* Opens a result database read-only for the commands that only read it (report, diff,
 * export, merge's summary). Prints "mtasts CMD: reason" and returns NULL on failure. */
struct store *cli_open_db_read_only(const char *cmd, const char *path);

/* The output of a command: standard output when path is NULL or "-", else an atomic file
 * (lib/atomic_file.h: the file appears whole, or not at all). Returns the stream to write, or
 * NULL after printing why. */
struct cli_output {
    FILE *f;
    bool to_file;
    struct atomic_file af;
};
FILE *cli_output_open(const char *cmd, struct cli_output *out, const char *path);

/* Finishes the output: on ok the file is committed (renamed into place), else removed.
 * Returns 0, or -1 after printing why (a file that could not be committed, or !ok). */
int cli_output_close(const char *cmd, struct cli_output *out, bool ok);

/* The report renderer named by --format, or NULL after printing "unknown --format 'NAME'
 * (text, md, ...)", the list read from the renderer table. */
const struct report_renderer *cli_find_format(const char *cmd, const char *name);

/* Current UTC time as 2026-11-22T12:00:00Z (--timestamp). */
void cli_now(char *buf, size_t len);

#endif
