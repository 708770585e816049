/* The diff model: kinds of change with their severity, filters, and the cron summary. */
#ifndef REPORT_DIFF_H
#define REPORT_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sqlite3;
struct report_out;

/* Severities, lowest first: --min-severity and snapshot.sh --alert-on compare them. */
enum diff_severity { DIFF_INFO = 0, DIFF_LOW, DIFF_MEDIUM, DIFF_HIGH, DIFF_SEVERITIES };

/* One kind of change: a row of the table in diff_kinds.c (reports/README.md defines each).
 * Adding a kind is one row there plus its rule in diff.c. */
struct diff_kind {
    const char *name;
    enum diff_severity severity;
    const char *meaning;
};

/* The kinds, in the order of diff_kinds[] (diff_kinds.c checks the count). */
enum {
    K_ADOPTED = 0,
    K_DROPPED,
    K_BROKE,
    K_FIXED,
    K_MODE,
    K_MAX_AGE,
    K_MX_PATTERNS,
    K_POLICY_SAME_ID,
    K_CATEGORY,
    K_TLSRPT_REMOVED,
    K_RUA,
    K_MX_HOSTS,
    K_CERT_14,
    K_CERT_30,
    K_WFD,
    K_WFD_CLEARED,
    K_READINESS,
    K_WARN_ADDED,
    K_WARN_REMOVED,
    K_ENFORCE_TLSRPT,
    K_MX_TLS_BROKE,
    K_MX_TLS_FIXED,
    K_COUNT
};

/* The table, indexed by the enum above. */
#define DIFF_KINDS_MAX 64
extern const struct diff_kind diff_kinds[];
extern const size_t diff_nkinds;

/* The kind named `name`, or -1. */
int diff_kind_find(const char *name);
/* "info", "low", "medium", "high"; diff_severity_parse returns -1 for anything else. */
const char *diff_severity_name(enum diff_severity s);
int diff_severity_parse(const char *s);

/* Parses a comma-separated list of kind names into a mask (bit i = diff_kinds[i]); may be
 * called several times (repeated --only adds). Returns 0, or -1 with err naming the unknown
 * kind and listing the valid names. */
int diff_only_parse(const char *list, uint64_t *mask, char *err, size_t errlen);

#define DIFF_EXAMPLES 5

/* What a diff found, after the filters: counts per kind and per severity, the first
 * DIFF_EXAMPLES domains of each kind (owned copies), population sizes. */
struct diff_totals {
    int64_t a, b;                      /* the scans */
    char a_started[32], b_started[32]; /* their started_at */
    bool baseline;                     /* only one complete scan: nothing compared */
    int64_t common, only_a, only_b;    /* domains in both / only in one scan */
    int64_t count[DIFF_KINDS_MAX];
    int64_t by_severity[DIFF_SEVERITIES];
    int64_t changes, domains; /* rows shown, distinct domains with a shown row */
    char *examples[DIFF_KINDS_MAX][DIFF_EXAMPLES];
};

/* Options of one diff. policy_text, when set, returns the decoded policy body of a blob id
 * (malloc'ed, NUL-terminated; NULL when unreadable) so policy_changed_same_id shows the
 * differing lines; without it the rows name the blob ids. */
struct diff_opts {
    uint64_t only; /* kinds shown; 0 = every kind */
    enum diff_severity min_severity;
    char *(*policy_text)(void *ctx, int64_t blob_id);
    void *ctx;
    bool baseline; /* report_diff_pick returned 1: a == b is the baseline, not a self-diff */
};

/* Picks the scans to compare: the last two complete scans (older in *a). Returns 2 with
 * both set; 1 when there is exactly one complete scan (*a = *b = that scan: the baseline);
 * -1 with a message in err when there is none or the database cannot be read. */
int report_diff_pick(struct sqlite3 *db, int64_t *a, int64_t *b, char *err, size_t errlen);

/* Writes the changes from scan a to scan b through o (summary first, then the changes), and
 * fills *t. With a == b after report_diff_pick returned 1, writes the baseline document.
 * Returns the number of changes shown, or -1 with a message in err. */
int64_t report_write_diff(struct report_out *o, struct sqlite3 *db, int64_t a, int64_t b,
                          const struct diff_opts *opts, struct diff_totals *t, char *err,
                          size_t errlen);

/* The short summary for people and cron mail: one headline, then one line per kind found,
 * highest severity first, with up to DIFF_EXAMPLES domains. */
void report_diff_brief(FILE *f, const struct diff_totals *t);

/* Frees the examples. */
void diff_totals_free(struct diff_totals *t);

#endif
