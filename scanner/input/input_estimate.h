/* The progress line's total before a scan: the candidate lines of the lists, counted in one
 * quick pass. */
#ifndef INPUT_ESTIMATE_H
#define INPUT_ESTIMATE_H

#include <stddef.h>

/* Counts the lines of the files that would be candidate domains (not blank, not comment,
 * not a header), reading each file once (zstd decompressed), without validating them: the
 * progress line's total before a scan. Returns -1, reading nothing, when a file is not
 * input_rereadable() ("-", a pipe: it cannot be read twice), or when a file cannot be read. An
 * upper bound of the domains input_next() will return. */
long long input_estimate_total(const char *const *files, size_t n_files);

#endif
