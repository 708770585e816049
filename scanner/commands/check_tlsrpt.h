/* `mtasts check D --db FILE`: the report-based part of readiness, added after a domain's
 * verdict when TLS-RPT reports for it were ingested into FILE. */
#ifndef CHECK_TLSRPT_H
#define CHECK_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

struct store;

struct check_tlsrpt {
    const char *db; /* --db FILE; NULL: no report part */
    int window;     /* --window DAYS */
    struct store *st;
    bool open_failed;
};

/* Takes --db FILE and --window DAYS out of argv (so the scan options never see them).
 * Returns 0, or -1 with a message in err. */
int check_tlsrpt_take_args(int *argc, char **argv, struct check_tlsrpt *c, char *err,
                           size_t errlen);

/* Appends the report part for `domain` to out (text: a "TLS-RPT reports" block; JSON: a
 * "tlsrpt_reports" member added to the object that ends out) when reports for it exist, and
 * raises *exit_status (1: window not clean, 2: enforcing with blocking failures). */
void check_tlsrpt_append(struct check_tlsrpt *c, struct sbuf *out, const char *domain,
                         const char *scan_readiness, bool json, int *exit_status);

void check_tlsrpt_close(struct check_tlsrpt *c);

#endif
