/* Streaming reader of domain lists: lines from the files (input_source), split (input_line),
 * normalised, then shard, exclude, dedup (input_set) and skip applied. */
#ifndef INPUT_H
#define INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/input/domain_name.h"
/* The reader's parts, each in its own file; included here for the reader's callers. */
#include "scanner/input/input_estimate.h" /* the progress total: candidate lines */
#include "scanner/input/input_line.h"     /* one line of a list */
#include "scanner/input/input_set.h"      /* the dedup / resume set */
#include "scanner/input/input_sha256.h"   /* the hash recorded with the scan */
#include "scanner/input/input_source.h"   /* one file: zstd, lines; input_rereadable */

struct exclude_list; /* scanner/input/exclude.h */

/* A bad line's text is kept up to this many bytes (control bytes and NUL shown as '?'). */
#define INPUT_TEXT_MAX 256

/* ---- The reader ------------------------------------------------------------------------ */

/* Resume hook: return true to skip a domain (already has a result in the scan). Called
 * from the reading thread with the normalised domain, after dedup. */
typedef bool (*input_skip_fn)(void *arg, const char *domain);

struct input_options {
    const char *const *files; /* paths; "-" is stdin (at most once); zstd is recognised by
                                 its magic number (any name, stdin too) */
    size_t n_files;
    const struct exclude_list *exclude; /* NULL: none */
    unsigned shard_index, shard_count;  /* shard_count 0 or 1: every domain */
    input_skip_fn skip;                 /* NULL: none */
    void *skip_arg;
    size_t expected_domains; /* dedup set sizing hint; 0: input_open() counts the lists' lines
                                (a quick first pass, about 0.4 s per million) to size it once */
};

enum input_kind {
    INPUT_DOMAIN = 0, /* a domain to scan */
    INPUT_BAD_LINE,   /* a line that is not a domain: record file, line, text, reason */
    INPUT_END,        /* every file read */
    INPUT_ERROR       /* a file could not be read (I/O, corrupt zstd): see input_error() */
};

/* One item from input_next(). Pointers are valid until the next input_next() call. */
struct input_entry {
    enum input_kind kind;
    const char *domain; /* INPUT_DOMAIN: normalised (domain_normalize) */
    long rank;          /* INPUT_DOMAIN: the CSV rank column, -1 when none */
    const char *file;   /* as given ("-" for stdin) */
    long line;          /* 1-based line number in that file */
    const char *text;   /* INPUT_BAD_LINE: the line, sanitised and truncated to TEXT_MAX */
    const char *reason; /* INPUT_BAD_LINE: why, static text */
};

/* Every line read falls in exactly one of: blank/comment/header (lines - the rest), invalid,
 * other_shard, excluded, duplicates, skipped, domains. */
struct input_counts {
    uint64_t lines;       /* lines read, all files */
    uint64_t headers;     /* CSV header lines skipped */
    uint64_t invalid;     /* INPUT_BAD_LINE returned */
    uint64_t other_shard; /* valid, belongs to another shard */
    uint64_t excluded;    /* valid, in this shard, matched the exclude list */
    uint64_t duplicates;  /* valid, in this shard, not excluded, seen before */
    uint64_t skipped;     /* new, but the skip hook said it is done (resume) */
    uint64_t domains;     /* INPUT_DOMAIN returned */
};

struct input;

/* Opens the reader. Every file is checked (and checked readable) now so a typo fails before
 * the scan starts; reading is lazy, one file after another. Returns NULL with a message
 * naming the file in err. The options' pointers must outlive the reader. */
struct input *input_open(const struct input_options *opt, char *err, size_t errlen);

/* The next item. Line handling, per file (input_split_line):
 *  - CR before LF is dropped; blank lines and lines whose first non-blank byte is `#` are
 *    skipped, and a ` #` or tab-`#` comment at the end of a line is cut;
 *  - a line with commas is CSV: when the first field is all digits it is the rank and the
 *    second field the domain (`rank,domain,...`: Tranco, Umbrella), otherwise the first
 *    field is the domain (`domain,...`); fields may be in double quotes;
 *  - header: the first non-comment line of a file is skipped (counted in headers) when it
 *    contains no '.' and one of its fields is a column name (rank, domain, name, host,
 *    hostname, site, url, origin, position, id, case-insensitive);
 *  - a NUL byte, a line over INPUT_LINE_MAX, or a domain domain_normalize refuses is an
 *    INPUT_BAD_LINE with its reason;
 *  - then, in this order: other shard, exclude list, dedup, skip hook; a domain that
 *    passes all of them is returned.
 * Memory stays flat apart from the dedup set. After INPUT_END or INPUT_ERROR, further calls
 * return the same. */
enum input_kind input_next(struct input *in, struct input_entry *e);

const struct input_counts *input_get_counts(const struct input *in);
const char *input_error(const struct input *in); /* "" when none */
size_t input_dedup_bytes(const struct input *in);
void input_close(struct input *in);

/* The exact number of domains input_next() will return for these options (shard, exclude,
 * dedup and the skip hook applied): a full first pass over the lists, about 2 s per million
 * lines, with a transient dedup set. The progress total of a sharded, excluding or resumed
 * scan, where input_estimate_total() would overcount. Returns -1, reading nothing, when a file
 * is not input_rereadable(), or when one cannot be read (the scan itself then reports it). */
long long input_count_selected(const struct input_options *opt);

#endif
