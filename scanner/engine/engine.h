/* The scan engine: worker threads, each one epoll loop driving c-ares and libcurl multi. */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/sts_result.h"
#include "scanner/engine/scan_state.h"

/* The engine pulls domains from a source and pushes one result per domain to a sink.
 *
 * source: called from the engine's feeder thread; writes the next domain (normalised) and
 * its rank (-1 when none) and returns true, or returns false at the end of the input or to
 * stop early. The domain string must stay valid until the next call. After engine_stop() the
 * feeder thread is cancelled (deferred) if the source has not returned, so that a blocking
 * read of a pipe cannot hold the scan: the source must disable cancellation around anything
 * that takes locks or must not be cut short (e.g. store writes).
 *
 * sink: called from ONE thread (the engine serialises calls) for every finished domain,
 * with a result whose pointers are valid only during the call. Return false to stop. */
typedef bool (*engine_source_fn)(void *arg, const char **domain, long *rank);
typedef bool (*engine_sink_fn)(void *arg, const struct sts_result *result);

/* Runs the scan to the end of the source, or until engine_stop() is called (from a signal
 * handler or another thread: in-flight work is abandoned, finished results all reach the
 * sink). Returns 0, or -1 with a message in err (bad resolver, libcurl/c-ares init, or a
 * worker's event loop failing mid-scan, which also stops the scan: engine_stopped() is
 * then true and the results written so far stand). */
int engine_run(const struct scan_config *cfg, engine_source_fn source, void *source_arg,
               engine_sink_fn sink, void *sink_arg, struct scan_stats *stats, char *err,
               size_t errlen);

/* Async-signal-safe request to stop the running scan. */
void engine_stop(void);

/* True once engine_stop() was called (the scan was interrupted, not finished). */
bool engine_stopped(void);

/* Clears a stop request, for a process that runs the engine again (tests). */
void engine_stop_reset(void);

#endif
