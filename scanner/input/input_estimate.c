/* The candidate lines of the lists, counted in one quick pass (input_estimate.h). */
#include "scanner/input/input_estimate.h"

#include <stdbool.h>
#include <stdlib.h>

#include "scanner/input/input_line.h"
#include "scanner/input/input_source.h"

/* Candidate lines of one open file, or -1 on a read error. A line over INPUT_LINE_MAX counts
 * (the reader returns it as a bad line) but, as in the reader, does not end the header zone. */
static long long count_file(struct input_source *src, char *line)
{
    long long n = 0;
    char err[256];
    for (;;) {
        size_t len;
        bool too_long;
        int rc =
            input_source_read_line(src, line, INPUT_LINE_MAX, &len, &too_long, err, sizeof err);
        if (rc <= 0)
            return rc < 0 ? -1 : n;
        if (too_long) {
            n++;
            continue;
        }
        struct input_line_fields f;
        enum input_line_kind k = input_split_line(line, len, !src->seen_data, &f);
        if (k == INPUT_LINE_SKIP)
            continue;
        src->seen_data = true;
        if (k != INPUT_LINE_HEADER)
            n++;
    }
}

long long input_estimate_total(const char *const *files, size_t n_files)
{
    for (size_t i = 0; i < n_files; i++)
        if (!input_rereadable(files[i]))
            return -1;
    struct input_source *src = malloc(sizeof *src);
    char *line = malloc(INPUT_LINE_MAX + 1);
    long long total = src && line ? 0 : -1;
    for (size_t i = 0; total >= 0 && i < n_files; i++) {
        char err[256];
        if (input_source_open(src, files[i], err, sizeof err) < 0) {
            total = -1;
            break;
        }
        long long n = count_file(src, line);
        input_source_close(src);
        total = n < 0 ? -1 : total + n;
    }
    free(line);
    free(src);
    return total;
}
