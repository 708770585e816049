/* File descriptors a scan needs, and the soft RLIMIT_NOFILE raised to match before it starts. */
#ifndef FD_LIMIT_H
#define FD_LIMIT_H

#include <stddef.h>

#include "scanner/engine/scan_state.h"

/* Descriptors the engine may hold at once with these options: one per HTTPS transfer
 * (connections are never reused or cached), each worker's event loop, eventfd, libcurl wakeup
 * pair and c-ares sockets (UDP and TCP per resolver), with the SMTP stage (--checks smtp/dane)
 * its second c-ares channel and one per SMTP connection, and a margin for the store, the
 * inputs and the libraries. */
long fd_limit_needed(const struct scan_config *cfg);

/* Raises the soft RLIMIT_NOFILE to fd_limit_needed() (never lowers it) when the hard limit
 * allows. Returns 0; or -1 with a message naming the options and both limits when the hard
 * limit is too low (the scan must not start: at the limit socket() fails with EMFILE, which
 * is a local failure, not the domain's). */
int fd_limit_ensure(const struct scan_config *cfg, char *err, size_t errlen);

#endif
