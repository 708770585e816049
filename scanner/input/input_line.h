/* One line of a domain list: blank, comment, CSV header, bad, or a domain with its rank. */
#ifndef INPUT_LINE_H
#define INPUT_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line accepted, without its line ending. A longer line is one bad line (its first
 * bytes kept as text), never a crash, and reading resumes at the next line. */
#define INPUT_LINE_MAX 4096

enum input_line_kind {
    INPUT_LINE_SKIP = 0, /* blank or comment */
    INPUT_LINE_HEADER,   /* a CSV header (only when first_data_line) */
    INPUT_LINE_BAD,      /* reason set */
    INPUT_LINE_DOMAIN    /* domain/domain_len (not yet normalised) and rank set */
};

struct input_line_fields {
    const char *domain; /* points into the line */
    size_t domain_len;
    long rank;          /* -1 when none */
    const char *reason; /* INPUT_LINE_BAD: static text */
};

/* Splits one line (without its LF; a trailing CR is dropped) the way input_next() reads
 * lists (rules below). first_data_line: no earlier line of this file was anything but
 * blank or comment, so a header is recognised. Used by the exclude list too. Pure. */
enum input_line_kind input_split_line(const char *line, size_t len, bool first_data_line,
                                      struct input_line_fields *out);

#endif
