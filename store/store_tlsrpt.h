/* The store's TLS-RPT part: reports, their policies and failures, and IMAP read marks. */
#ifndef STORE_TLSRPT_H
#define STORE_TLSRPT_H

#include <stddef.h>
#include <stdint.h>

#include "rules/tlsrpt_report.h"
#include "store/store.h"

enum store_tlsrpt_outcome {
    STORE_TLSRPT_ERROR = -1,   /* store_error() says why; nothing was written */
    STORE_TLSRPT_ADDED = 0,    /* the report and all its rows were committed */
    STORE_TLSRPT_DUPLICATE = 1 /* same (organization, report-id) or same JSON: kept once */
};

/* Stores one parsed report in one transaction: the JSON as an artifact (zstd, deduplicated
 * by hash), the report row, its policies and failure details. `source` says where it was
 * read (kept in the row). *id gets the report's row id (the existing one for a duplicate)
 * when id is not NULL. */
enum store_tlsrpt_outcome store_tlsrpt_add(struct store *st, const struct tlsrpt_report *r,
                                           const char *json, size_t len, const char *source,
                                           int64_t *id);

/* The read mark of a mailbox. Returns 1 and fills *uidvalidity and *last_uid when there is
 * one, 0 when the mailbox was never read, -1 on error. */
int store_tlsrpt_mark_get(struct store *st, const char *mailbox, int64_t *uidvalidity,
                          int64_t *last_uid);

/* Records that every message of mailbox up to last_uid (under uidvalidity) was handled.
 * Returns 0 or -1. */
int store_tlsrpt_mark_set(struct store *st, const char *mailbox, int64_t uidvalidity,
                          int64_t last_uid);

#endif
