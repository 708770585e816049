/* Shared command-line plumbing of `report` and `diff`: opening the store, the output file. */
#ifndef REPORT_CLI_H
#define REPORT_CLI_H

#include <stdio.h>

#include "reports/report.h"

struct store;

/* Opens `path` read-only through the store; prints the error naming it and returns NULL on
 * failure. */
struct store *report_cli_open(const char *cmd, const char *path);

/* Opens the output: stdout when path is NULL or "-", else path.tmp.PID, renamed into place by
 * report_cli_close_output on success (a cron job never sees half a report). */
FILE *report_cli_open_output(const char *cmd, const char *path);
/* Closes the output; on ok renames the temporary file into place, else removes it.
 * Returns 0, or -1 after printing why. */
int report_cli_close_output(const char *cmd, FILE *f, const char *path, bool ok);

/* Current UTC time as 2026-11-22T12:00:00Z (for --timestamp). */
void report_cli_now(char *buf, size_t len);

#endif
