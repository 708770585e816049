/* The subcommands of the mtasts binary; each lives in its own cmd_*.c file. */
#ifndef MTASTS_COMMANDS_H
#define MTASTS_COMMANDS_H

/* Each takes the arguments after the subcommand name (argv[0] is the subcommand) and
 * returns the process exit status. */
int cmd_scan(int argc, char **argv);     /* scanner/commands/cmd_scan.c */
int cmd_check(int argc, char **argv);    /* scanner/commands/cmd_check.c */
int cmd_lint(int argc, char **argv);     /* scanner/commands/cmd_lint.c */
int cmd_generate(int argc, char **argv); /* scanner/commands/cmd_generate.c */
int cmd_report(int argc, char **argv);   /* scanner/commands/cmd_report.c (also `report trend`) */
int cmd_diff(int argc, char **argv);     /* scanner/commands/cmd_diff.c */
int cmd_export(int argc, char **argv);   /* scanner/commands/cmd_export.c */
int cmd_merge(int argc, char **argv);    /* scanner/commands/cmd_merge.c */
int cmd_tlsrpt(int argc, char **argv);   /* scanner/commands/cmd_tlsrpt.c (`tlsrpt ingest`) */
int cmd_report_tlsrpt(int argc, char **argv); /* scanner/commands/cmd_report_tlsrpt.c */

#endif
