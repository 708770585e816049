/* The SMTP stage's figures for the end of a scan: the summary line and the JSON stored with
 * the scan (probes made, probes saved by sharing, connections, the port-25 decision). */
#ifndef SMTP_SUMMARY_H
#define SMTP_SUMMARY_H

#include <stdio.h>

#include "lib/sbuf.h"
#include "scanner/engine/scan_state.h"

/* "open", "blocked" or "undecided" (no probe needed a connection). */
const char *scan_port25_name(int port25);

/* {"mx_hosts_probed":N,"probes_saved_by_sharing":N,"connections":N,"tlsa_queries":N,
 *  "port25":"open"} */
void scan_smtp_summary_json(const struct scan_stats *s, struct sbuf *out);

/* One line (two when port 25 is blocked) on out. */
void scan_smtp_summary_print(const struct scan_stats *s, FILE *out);

#endif
